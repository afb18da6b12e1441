// SPDX-License-Identifier: GPL-2.0
/*
 * The enforcing mode: stage 2 translation at EL2 that follows the RIPAS
 * table, as a CCA host that unmaps what the realm converted would.
 *
 * - The private IPA of a granule of the kernel's RAM is mapped only while
 *   its RIPAS is RAM, and its shared alias (the top IPA bit set) only
 *   while it is EMPTY.  Any other access by the kernel is a stage 2
 *   fault, and the firmware stops the run there with the IPA, the
 *   granule's RIPAS and the guest's PC: on CCA the first would be a
 *   synchronous external abort in the realm, the second a fault the host
 *   cannot resolve.
 * - MMIO below the kernel's RAM is mapped as Device memory, the DTB's
 *   2 MiB as normal memory (the kernel edits it early); nothing else is
 *   mapped, the firmware's own window included.
 * - The host side: when a granule goes back to RAM the host drops the
 *   page it shared, so the alias is zeroed; an alias found non-zero
 *   later, while its granule is still RAM, was written by a device (the
 *   kernel cannot reach it), i.e. a device wrote through a DMA address
 *   of memory that had been made private.  Counted, with the first IPA.
 *
 * Devices are QEMU's and reach physical memory directly: this catches
 * the CPU's wrong accesses and a device's writes, never a device's
 * reads.  No isolation either: see ../README.md.
 */
#include "fw.h"

/* VMSAv8-64 stage 2 descriptors, 4 KiB granule. */
#define S2_VALID		BIT(0)
#define S2_TABLE		(BIT(1) | S2_VALID)	/* levels 0-2 */
#define S2_PAGE			(BIT(1) | S2_VALID)	/* level 3 */
#define S2_BLOCK		S2_VALID		/* levels 1-2 */
#define S2_MEMATTR_DEVICE	(0x1UL << 2)		/* Device-nGnRE */
#define S2_MEMATTR_NORMAL	(0xfUL << 2)		/* Normal, inner/outer WB */
#define S2_AP_RW		(0x3UL << 6)
#define S2_SH_INNER		(0x3UL << 8)
#define S2_AF			BIT(10)
#define S2_ADDR_MASK		0x0000fffffffff000UL

#define S2_RAM			(S2_MEMATTR_NORMAL | S2_AP_RW | S2_SH_INNER | S2_AF)
#define S2_MMIO			(S2_MEMATTR_DEVICE | S2_AP_RW | S2_AF)

/*
 * VTCR_EL2: a 34-bit IPA space (T0SZ 30) that starts at level 1 (SL0 1,
 * 16 entries of 1 GiB), 4 KiB granule, 40-bit output, table walks
 * non-cacheable (the firmware writes the tables with its MMU off).
 */
#define VTCR_RES1		BIT(31)
#define VTCR_PS_40		(2UL << 16)
#define VTCR_SL0_L1		(1UL << 6)
#define VTCR_T0SZ(bits)		(64UL - (bits))
#define S2_IPA_BITS		34
#define VMID			1UL
#define HCR_VM			BIT(0)

#define GRANULE			0x1000UL
#define L1_SHIFT		30
#define L2_SHIFT		21
#define L3_SHIFT		12
#define ENTRIES			512

/*
 * Tables for up to 512 MiB of private RAM: a level 3 table per 2 MiB of
 * it and of its alias, plus the level 1 and a few level 2 tables.
 */
#define MAX_TABLES		(2 * 256 + 8)

static u64 tables[MAX_TABLES][ENTRIES] __attribute__((aligned(4096)));
static unsigned int tables_used;
static u64 *l1;
static u64 ram_base, ram_top, alias_bit;
static bool enforcing;

static struct {
	u64 faults;
	u64 device_writes, first_device_write;	/* host side, see above */
} seen;

static u64 *new_table(void)
{
	if (tables_used == MAX_TABLES)
		fw_fatal("stage 2: out of tables (the enforcing mode covers 512 MiB of private RAM)");
	return tables[tables_used++];	/* .bss: already zero */
}

static u64 *next_level(u64 *table, unsigned int idx)
{
	if (!(table[idx] & S2_VALID))
		table[idx] = (u64)new_table() | S2_TABLE;
	else if ((table[idx] & S2_TABLE) != S2_TABLE)
		fw_fatal("stage 2: a block where a table was expected");
	return (u64 *)(table[idx] & S2_ADDR_MASK);
}

static unsigned int idx(u64 ipa, unsigned int shift)
{
	return (ipa >> shift) & (ENTRIES - 1);
}

/* The level 3 entry of a granule, its tables made on first use. */
static u64 *pte(u64 ipa)
{
	u64 *l2 = next_level(l1, (ipa >> L1_SHIFT) & 0xf);
	u64 *l3 = next_level(l2, idx(ipa, L2_SHIFT));

	return &l3[idx(ipa, L3_SHIFT)];
}

static void map_block_2m(u64 ipa, u64 attrs)
{
	u64 *l2 = next_level(l1, (ipa >> L1_SHIFT) & 0xf);

	l2[idx(ipa, L2_SHIFT)] = ipa | attrs | S2_BLOCK;
}

static bool is_zero(u64 pa)
{
	const volatile u64 *p = (void *)pa;

	for (u64 i = 0; i < GRANULE / 8; i++)
		if (p[i])
			return false;
	return true;
}

static void zero(u64 pa)
{
	volatile u64 *p = (void *)pa;

	for (u64 i = 0; i < GRANULE / 8; i++)
		p[i] = 0;
}

/* A non-zero alias of a RAM granule: a device wrote it (see the top). */
static void check_alias(u64 ipa)
{
	if (is_zero(ipa | alias_bit))
		return;
	if (!seen.device_writes++)
		seen.first_device_write = ipa | alias_bit;
}

/*
 * The granule at private IPA @ipa changes from @from to @to: map the
 * address the new RIPAS allows and unmap the other.  The caller holds the
 * RIPAS lock and calls stage2_sync() after a batch of changes.
 */
void stage2_ripas_changed(u64 ipa, u8 from, u8 to)
{
	if (!enforcing || from == to)
		return;
	if (to == RIPAS_EMPTY) {
		check_alias(ipa);
		*pte(ipa) = 0;
		*pte(ipa | alias_bit) = (ipa | alias_bit) | S2_RAM | S2_PAGE;
	} else {
		*pte(ipa | alias_bit) = 0;
		zero(ipa | alias_bit);
		*pte(ipa) = ipa | S2_RAM | S2_PAGE;
	}
}

/* Make the changes visible: no vCPU may keep a stale translation. */
void stage2_sync(void)
{
	if (!enforcing)
		return;
	dsb(ishst);
	asm volatile("tlbi vmalls12e1is" ::: "memory");
	dsb(ish);
	isb();
}

/*
 * Build the tables for the RIPAS the firmware starts with: all private
 * RAM is RAM.  @dtb is the DTB's address, outside the private RAM.
 */
void stage2_init(u64 base, u64 size, u64 ipa_bits, u64 dtb)
{
	enforcing = params->enforce;
	if (!enforcing)
		return;
	ram_base = base;
	ram_top = base + size;
	alias_bit = BIT(ipa_bits - 1);
	if (ipa_bits != S2_IPA_BITS || base < BIT(L1_SHIFT))
		fw_fatal("stage 2: the enforcing mode needs ipa_bits 34 and RAM above 1 GiB");
	l1 = new_table();
	/* QEMU virt's MMIO: the first GiB. */
	l1[0] = S2_MMIO | S2_BLOCK;
	for (u64 ipa = ram_base; ipa < ram_top; ipa += GRANULE) {
		*pte(ipa) = ipa | S2_RAM | S2_PAGE;
		*pte(ipa | alias_bit) = 0;
	}
	map_block_2m(dtb & ~(BIT(L2_SHIFT) - 1), S2_RAM);
	fw_printf("stage2: enforcing: private RAM mapped while RIPAS RAM, its alias while EMPTY; %u tables\n",
		  tables_used);
}

/* Per vCPU, after cpu_init_el2(): turn stage 2 on. */
void stage2_cpu_init(void)
{
	if (!enforcing)
		return;
	write_sysreg(VTCR_RES1 | VTCR_PS_40 | VTCR_SL0_L1 | VTCR_T0SZ(S2_IPA_BITS), vtcr_el2);
	write_sysreg((u64)l1 | (VMID << 48), vttbr_el2);
	isb();
	asm volatile("tlbi vmalls12e1" ::: "memory");
	dsb(nsh);
	write_sysreg(read_sysreg(hcr_el2) | HCR_VM, hcr_el2);
	isb();
}

static const char *ripas_name(u8 r)
{
	static const char *const names[] = { "EMPTY", "RAM", "DESTROYED", "DEV" };

	return r < ARRAY_SIZE(names) ? names[r] : "?";
}

/*
 * A stage 2 fault from EL1 (a data or instruction abort, EC 0x24 or
 * 0x20): say where and why, then stop the run.  HPFAR_EL2 holds the
 * faulting IPA's page, FAR_EL2 the virtual address.
 */
void __attribute__((noreturn)) stage2_fault(struct trap_frame *f, u64 esr, bool fetch)
{
	u64 far = read_sysreg(far_el2);
	u64 ipa = ((read_sysreg(hpfar_el2) >> 4) << 12) | (far & (GRANULE - 1));
	u64 priv = ipa & ~alias_bit;
	const char *what = "outside the realm's RAM and MMIO";
	const char *access = fetch ? "instruction fetch" : esr & BIT(6) ? "write" : "read";
	u8 state = RIPAS_DEV;

	count(&seen.faults);
	if (priv >= ram_base && priv < ram_top) {
		state = rsi_ripas(priv);
		what = ipa & alias_bit ? "the shared alias of a granule" : "the private IPA of a granule";
	}
	fw_printf("fw: STOP: stage 2 fault on cpu %u: %s of IPA 0x%lx, %s with RIPAS %s; VA 0x%lx PC 0x%lx LR 0x%lx ESR_EL2 0x%lx%s\n",
		  this_cpu(), access, ipa, what, ripas_name(state), far, f->elr,
		  f->x[30], esr, esr & BIT(7) ? " (in a stage 1 table walk)" : "");
	fw_fatal("stopped at the first access the RIPAS does not allow");
}

void stage2_report(void)
{
	if (!enforcing)
		return;
	/* Granules that are RAM now: did a device write their alias since? */
	for (u64 ipa = ram_base; ipa < ram_top; ipa += GRANULE)
		if (rsi_ripas(ipa) == RIPAS_RAM)
			check_alias(ipa);
	if (seen.device_writes)
		fw_printf("stage2: device writes to the shared alias of a RAM granule: %lu granules, the first at IPA 0x%lx\n",
			  seen.device_writes, seen.first_device_write);
	else
		fw_printf("stage2: device writes to the shared alias of a RAM granule: 0 granules\n");
}
