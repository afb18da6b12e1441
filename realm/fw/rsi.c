// SPDX-License-Identifier: GPL-2.0
/*
 * An emulated Realm Services Interface, as Linux 7.2 uses it: the ids,
 * arguments and results of arch/arm64/include/asm/rsi_smc.h, the way
 * rsi_cmds.h reads them.  There is no RMM below: the RIPAS of each 4 KiB
 * granule of the kernel's RAM is a byte in a table here, which only the
 * enforcing mode (stage2.c) turns into what the kernel may access.  What
 * makes "shared" real is the address: a shared page is reached through
 * its alias with the top IPA bit set, which QEMU backs with other RAM
 * (scripts/realm.sh), as a host's memory would be.
 */
#include "fw.h"

#define RSI_FID(n)			(0xc4000000U | (n))
#define SMC_RSI_ABI_VERSION		RSI_FID(0x190)
#define SMC_RSI_FEATURES		RSI_FID(0x191)
#define SMC_RSI_REALM_CONFIG		RSI_FID(0x196)
#define SMC_RSI_IPA_STATE_SET		RSI_FID(0x197)
#define SMC_RSI_IPA_STATE_GET		RSI_FID(0x198)
/* RSI 1.0 is 0x190-0x19f; later revisions add ids up to 0x1bf. */
#define RSI_FID_FIRST			RSI_FID(0x190)
#define RSI_FID_LAST			RSI_FID(0x1bf)

#define RSI_ABI_VERSION_1_0		0x10000UL

#define RSI_SUCCESS			0UL
#define RSI_ERROR_INPUT			1UL

#define RSI_CHANGE_DESTROYED		BIT(0)	/* IPA_STATE_SET flags */
#define RSI_ACCEPT			0UL
#define RSI_REJECT			1UL

#define GRANULE				0x1000UL
/* Up to 4 GiB of private RAM, one byte per granule. */
#define MAX_GRANULES			(BIT(32) / GRANULE)
/*
 * IPA_STATE_SET changes at most this much per call and returns where it
 * stopped, as a host that works in steps would: the kernel must loop
 * (rsi_set_memory_range()), and this keeps that path exercised.
 */
#define SET_STEP			(512 * GRANULE)

/* struct realm_config (rsi_smc.h): ipa_bits at 0, hash_algo at 8. */
#define CONFIG_SIZE			0x1000UL
#define RSI_HASH_SHA_256		0UL

static u8 ripas[MAX_GRANULES];
static u32 rsi_lock;
static u64 ram_base, ram_top, protected_top;

/* The evidence: what the kernel did to each range, granule by granule. */
struct range_stats {
	const char *name;
	u64 base, top;
	u64 to_empty, to_ram;		/* granules that changed */
	u64 empty_again, ram_again;	/* asked for the RIPAS they had */
};

static struct range_stats pool = { .name = "restricted-dma-pool" };
static struct range_stats other = { .name = "other RAM" };

static struct {
	u64 version, features, config, set, set_rejected, get, errors;
	u64 got[4];			/* IPA_STATE_GET answers by RIPAS */
} calls;

void rsi_init(void)
{
	ram_base = params->ram_base;
	ram_top = ram_base + params->ram_size;
	protected_top = BIT(params->ipa_bits - 1);
	if (params->ram_size > MAX_GRANULES * GRANULE || ram_top > protected_top ||
	    !ALIGNED(ram_base | ram_top, GRANULE))
		fw_fatal("private RAM does not fit the RIPAS table or the protected IPA space");
	pool.base = params->pool_base;
	pool.top = pool.base + params->pool_size;
	other.base = ram_base;
	other.top = ram_top;

	/*
	 * A realm's VMM sets RIPAS RAM over all guest memory before the
	 * first instruction (and populates the image), so the kernel finds
	 * its RAM private; its boot-time IPA_STATE_SET then changes nothing.
	 */
	for (u64 i = 0; i < params->ram_size / GRANULE; i++)
		ripas[i] = RIPAS_RAM;
	fw_printf("rsi: private RAM 0x%lx-0x%lx RIPAS RAM, ipa_bits %lu: shared alias bit 0x%lx\n",
		  ram_base, ram_top, params->ipa_bits, protected_top);
	if (params->pool_size)
		fw_printf("rsi: counting %s 0x%lx-0x%lx apart\n",
			  pool.name, pool.base, pool.top);
}

bool rsi_version_seen(void)
{
	return calls.version;
}

static bool in_ram(u64 ipa)
{
	return ipa >= ram_base && ipa < ram_top;
}

static u8 *granule(u64 ipa)
{
	return &ripas[(ipa - ram_base) / GRANULE];
}

u8 rsi_ripas(u64 ipa)
{
	return *granule(ipa);
}

static struct range_stats *stats_for(u64 ipa)
{
	if (ipa >= pool.base && ipa < pool.top)
		return &pool;
	return &other;
}

/*
 * RSI_VERSION: x1 the revision the kernel asks for; x1/x2 the lowest and
 * highest this firmware implements.  Only 1.0, the one 7.2 asks for.
 */
static void rsi_version(struct trap_frame *f)
{
	/* Said at once: a kernel that never gets here is no realm guest. */
	if (!calls.version)
		fw_printf("rsi: RSI_VERSION %lu.%lu requested by cpu %lu\n",
			  f->x[1] >> 16, f->x[1] & 0xffff, (u64)this_cpu());
	count(&calls.version);
	f->x[0] = f->x[1] == RSI_ABI_VERSION_1_0 ? RSI_SUCCESS : RSI_ERROR_INPUT;
	f->x[1] = RSI_ABI_VERSION_1_0;
	f->x[2] = RSI_ABI_VERSION_1_0;
}

/* RSI_FEATURES: every feature register of RSI 1.0 reads as zero. */
static void rsi_features(struct trap_frame *f)
{
	count(&calls.features);
	f->x[0] = RSI_SUCCESS;
	f->x[1] = 0;
}

/*
 * RSI_REALM_CONFIG: x1 the IPA of a 4 KiB-aligned struct realm_config
 * in private RAM.  Written with the MMU off, so cleaned to the point of
 * coherency for the kernel, which reads it through its cacheable map.
 */
static void rsi_realm_config(struct trap_frame *f)
{
	u64 ipa = f->x[1];
	volatile u64 *cfg = (void *)ipa;

	count(&calls.config);
	if (!ALIGNED(ipa, CONFIG_SIZE) || !in_ram(ipa) || *granule(ipa) != RIPAS_RAM) {
		count(&calls.errors);
		f->x[0] = RSI_ERROR_INPUT;
		return;
	}
	for (u64 i = 0; i < CONFIG_SIZE / 8; i++)
		cfg[i] = 0;
	cfg[0] = params->ipa_bits;
	cfg[1] = RSI_HASH_SHA_256;
	for (u64 off = 0; off < CONFIG_SIZE; off += 64)
		asm volatile("dc civac, %0" : : "r"(ipa + off) : "memory");
	dsb(sy);
	f->x[0] = RSI_SUCCESS;
}

/*
 * RSI_IPA_STATE_SET: x1 base, x2 top, x3 RIPAS (EMPTY or RAM), x4 flags.
 * Results: x0 status, x1 the IPA up to which the change was made,
 * x2 the host's response.  The firmware plays the host too: it accepts
 * changes of the kernel's RAM, SET_STEP at a time, and rejects anything
 * else (MMIO has no RAM behind it to share).
 */
static void rsi_ipa_state_set(struct trap_frame *f)
{
	u64 base = f->x[1], top = f->x[2], want = f->x[3], flags = f->x[4];
	u64 ipa, end;

	count(&calls.set);
	f->x[2] = RSI_ACCEPT;
	if (want > RIPAS_RAM || !ALIGNED(base | top, GRANULE) || top <= base ||
	    top > protected_top) {
		count(&calls.errors);
		f->x[0] = RSI_ERROR_INPUT;
		f->x[1] = base;
		return;
	}
	f->x[0] = RSI_SUCCESS;
	if (!in_ram(base)) {
		count(&calls.set_rejected);
		fw_printf("rsi: IPA_STATE_SET 0x%lx-0x%lx to %s outside private RAM: rejected\n",
			  base, top, want == RIPAS_RAM ? "RAM" : "EMPTY");
		f->x[1] = base;
		f->x[2] = RSI_REJECT;
		return;
	}

	end = top < ram_top ? top : ram_top;
	if (end - base > SET_STEP)
		end = base + SET_STEP;
	spin_lock(&rsi_lock);
	for (ipa = base; ipa < end; ipa += GRANULE) {
		u8 *r = granule(ipa);
		struct range_stats *s = stats_for(ipa);

		/* Never produced here (no host destroys), but honoured. */
		if (*r == RIPAS_DESTROYED && !(flags & RSI_CHANGE_DESTROYED))
			break;
		if (*r == want && want == RIPAS_EMPTY)
			s->empty_again++;
		else if (*r == want)
			s->ram_again++;
		else if (want == RIPAS_EMPTY)
			s->to_empty++;
		else
			s->to_ram++;
		stage2_ripas_changed(ipa, *r, (u8)want);
		*r = (u8)want;
	}
	stage2_sync();
	spin_unlock(&rsi_lock);
	f->x[1] = ipa;
	if (ipa == base) {
		/* Stopped at a DESTROYED granule: no progress to report. */
		count(&calls.set_rejected);
		f->x[2] = RSI_REJECT;
	}
}

/*
 * RSI_IPA_STATE_GET: x1 base, x2 end.  Results: x1 the top of the run of
 * granules from base that share one RIPAS, x2 that RIPAS.
 *
 * Outside private RAM (MMIO, the firmware's window) the answer is DEV:
 * without stage 2 the device is only reached at its own address, so
 * 7.2's realm_ioremap_hook() must map it protected, and any RIPAS but
 * EMPTY does that; DEV is what rsi.c calls "a trusted emulated MMIO".
 */
static void rsi_ipa_state_get(struct trap_frame *f)
{
	u64 base = f->x[1], end = f->x[2], ipa;
	u8 state;

	count(&calls.get);
	if (!ALIGNED(base | end, GRANULE) || end <= base || end > protected_top) {
		count(&calls.errors);
		f->x[0] = RSI_ERROR_INPUT;
		return;
	}
	if (!in_ram(base)) {
		state = RIPAS_DEV;
		ipa = base < ram_base && end > ram_base ? ram_base : end;
	} else {
		spin_lock(&rsi_lock);
		state = *granule(base);
		for (ipa = base + GRANULE; ipa < end && in_ram(ipa); ipa += GRANULE)
			if (*granule(ipa) != state)
				break;
		spin_unlock(&rsi_lock);
	}
	count(&calls.got[state]);
	f->x[0] = RSI_SUCCESS;
	f->x[1] = ipa;
	f->x[2] = state;
}

bool rsi_call(struct trap_frame *f, u32 fid)
{
	if (fid < RSI_FID_FIRST || fid > RSI_FID_LAST)
		return false;
	switch (fid) {
	case SMC_RSI_ABI_VERSION:
		rsi_version(f);
		break;
	case SMC_RSI_FEATURES:
		rsi_features(f);
		break;
	case SMC_RSI_REALM_CONFIG:
		rsi_realm_config(f);
		break;
	case SMC_RSI_IPA_STATE_SET:
		rsi_ipa_state_set(f);
		break;
	case SMC_RSI_IPA_STATE_GET:
		rsi_ipa_state_get(f);
		break;
	default:
		/* Measurements, attestation, host calls: no RMM to ask. */
		smccc_unimplemented(f, "RSI call");
		break;
	}
	return true;
}

/* Does this granule hold anything but zeroes? */
static bool has_data(u64 pa)
{
	const volatile u64 *p = (void *)pa;

	for (u64 i = 0; i < GRANULE / 8; i++)
		if (p[i])
			return true;
	return false;
}

/*
 * Per range: what the kernel asked for, where each granule is now, and
 * how many granules now EMPTY hold data in their shared alias (QEMU's
 * RAM starts zeroed, so only the CPU through a shared mapping or a
 * device can have put it there) and in their private page (written
 * before the page was shared, or through a stale private mapping).
 */
static void report_range(const struct range_stats *s)
{
	u64 empty = 0, shared_data = 0, private_data = 0, n = 0;

	for (u64 ipa = s->base; ipa < s->top; ipa += GRANULE) {
		if (s == &other && stats_for(ipa) == &pool)
			continue;
		n++;
		if (*granule(ipa) == RIPAS_EMPTY) {
			empty++;
			shared_data += has_data(ipa | protected_top);
			private_data += has_data(ipa);
		}
	}
	fw_printf("rsi: %s 0x%lx-0x%lx: RIPAS changes %lu to EMPTY, %lu to RAM; requests for the same RIPAS: %lu EMPTY, %lu RAM\n",
		  s->name, s->base, s->top, s->to_empty, s->to_ram,
		  s->empty_again, s->ram_again);
	fw_printf("rsi: %s now: %lu of %lu granules EMPTY; of those, %lu hold data in the shared alias, %lu in the private page\n",
		  s->name, empty, n, shared_data, private_data);
}

void rsi_report(void)
{
	if (!ram_top)
		return;		/* before rsi_init() */
	fw_printf("rsi: calls: RSI_VERSION %lu, RSI_FEATURES %lu, REALM_CONFIG %lu, IPA_STATE_SET %lu (%lu rejected), IPA_STATE_GET %lu (EMPTY %lu, RAM %lu, DEV %lu), invalid %lu\n",
		  calls.version, calls.features, calls.config, calls.set,
		  calls.set_rejected, calls.get, calls.got[RIPAS_EMPTY],
		  calls.got[RIPAS_RAM], calls.got[RIPAS_DEV], calls.errors);
	if (pool.top > pool.base)
		report_range(&pool);
	report_range(&other);
}
