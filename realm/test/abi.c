// SPDX-License-Identifier: GPL-2.0
/*
 * A test of the firmware's ABI, from where the kernel calls it: EL1,
 * through SMC.  It checks the answers Linux 7.2 relies on and a few it
 * does not (input errors, partial progress, rejection, MMIO, CPU_ON
 * twice) and the enforcing mode's stage 2 (each alias reachable only in
 * its RIPAS), prints KTAP on the PL011 and ends with an access the
 * enforcing mode must stop.  Booted in place of the kernel by
 * "scripts/realm.sh --abi-test", with the MMU off, so every address
 * below is an IPA.
 */
#include <stdbool.h>
#include <stdint.h>

typedef uint64_t u64;

#define BIT(n)			(1UL << (n))

#define UART			0x09000000UL	/* QEMU virt's PL011 */
#define RAM_BASE		0x40000000UL	/* scripts/realm.sh layout */
#define RAM_TOP			0x60000000UL
#define IPA_BITS		34
#define SHARED			BIT(IPA_BITS - 1)
#define TEST_BASE		0x50000000UL	/* free RAM for this test */
#define GRANULE			0x1000UL
#define SET_STEP		0x200000UL	/* fw/rsi.c */

#define SMCCC_VERSION		0x80000000UL
#define PSCI_VERSION		0x84000000UL
#define PSCI_CPU_ON_64		0xc4000003UL
#define PSCI_AFFINITY_INFO_64	0xc4000004UL
#define PSCI_SYSTEM_OFF		0x84000008UL
#define PSCI_FEATURES		0x8400000aUL
#define RSI_VERSION		0xc4000190UL
#define RSI_FEATURES		0xc4000191UL
#define RSI_ATTEST_INIT		0xc4000194UL
#define RSI_REALM_CONFIG	0xc4000196UL
#define RSI_IPA_STATE_SET	0xc4000197UL
#define RSI_IPA_STATE_GET	0xc4000198UL

#define NOT_SUPPORTED		((u64)-1)
#define RSI_SUCCESS		0
#define RSI_ERROR_INPUT		1
#define RSI_ACCEPT		0
#define RSI_REJECT		1
#define RIPAS_EMPTY		0
#define RIPAS_RAM		1
#define RIPAS_DEV		3
#define RSI_CHANGE_DESTROYED	1

struct res {
	u64 a0, a1, a2;
};

extern char secondary[];
volatile struct {
	u64 arrivals, x0, el;
} mailbox;

static struct res smc(u64 fid, u64 a1, u64 a2, u64 a3, u64 a4)
{
	register u64 x0 asm("x0") = fid, x1 asm("x1") = a1, x2 asm("x2") = a2;
	register u64 x3 asm("x3") = a3, x4 asm("x4") = a4;

	asm volatile("smc #0"
		     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4)
		     : : "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
		       "x13", "x14", "x15", "x16", "x17", "memory");
	return (struct res){ x0, x1, x2 };
}

static void putc_uart(char c)
{
	while (*(volatile uint32_t *)(UART + 0x18) & BIT(5))
		;
	*(volatile uint32_t *)UART = (uint8_t)c;
}

static void puts_uart(const char *s)
{
	while (*s)
		putc_uart(*s++);
}

static void put_hex(u64 v)
{
	puts_uart("0x");
	for (int i = 60; i >= 0; i -= 4)
		putc_uart("0123456789abcdef"[(v >> i) & 0xf]);
}

static int nr_case;

static void put_dec(unsigned int v)
{
	if (v >= 10)
		put_dec(v / 10);
	putc_uart('0' + v % 10);
}

static void expect(const char *name, bool ok, u64 got)
{
	puts_uart(ok ? "ok " : "not ok ");
	put_dec(++nr_case);
	puts_uart(" ");
	puts_uart(name);
	if (!ok) {
		puts_uart(" # got ");
		put_hex(got);
	}
	puts_uart("\n");
}

static bool is_res(struct res r, u64 a0, u64 a1, u64 a2)
{
	return r.a0 == a0 && r.a1 == a1 && r.a2 == a2;
}

#define NR_CASES	23

void abi_main(void)
{
	volatile u64 *priv = (void *)TEST_BASE, *shared = (void *)(TEST_BASE | SHARED);
	u64 *config = (void *)(TEST_BASE - GRANULE);
	struct res r;
	u64 top;
	int i;

	puts_uart("KTAP version 1\n1..");
	put_dec(NR_CASES);
	puts_uart("\n");

	r = smc(SMCCC_VERSION, 0, 0, 0, 0);
	expect("smccc_version_1_2", r.a0 == 0x10002, r.a0);
	r = smc(PSCI_VERSION, 0, 0, 0, 0);
	expect("psci_version_1_1", r.a0 == 0x10001, r.a0);
	r = smc(PSCI_FEATURES, SMCCC_VERSION, 0, 0, 0);
	expect("psci_features_smccc_version", r.a0 == 0, r.a0);

	r = smc(RSI_VERSION, 0x10000, 0, 0, 0);
	expect("rsi_version_1_0", is_res(r, RSI_SUCCESS, 0x10000, 0x10000), r.a0);
	r = smc(RSI_VERSION, 0x20000, 0, 0, 0);
	expect("rsi_version_2_0_refused", is_res(r, RSI_ERROR_INPUT, 0x10000, 0x10000), r.a0);
	r = smc(RSI_FEATURES, 0, 0, 0, 0);
	expect("rsi_features_0", r.a0 == RSI_SUCCESS && r.a1 == 0, r.a1);

	config[0] = config[1] = ~0UL;
	r = smc(RSI_REALM_CONFIG, (u64)config, 0, 0, 0);
	expect("realm_config", r.a0 == RSI_SUCCESS && config[0] == IPA_BITS && config[1] == 0,
	       config[0]);
	r = smc(RSI_REALM_CONFIG, (u64)config + 8, 0, 0, 0);
	expect("realm_config_misaligned", r.a0 == RSI_ERROR_INPUT, r.a0);

	/* Share 4 MiB: the firmware goes SET_STEP at a time. */
	r = smc(RSI_IPA_STATE_SET, TEST_BASE, TEST_BASE + 2 * SET_STEP, RIPAS_EMPTY,
		RSI_CHANGE_DESTROYED);
	expect("set_empty_partial", is_res(r, RSI_SUCCESS, TEST_BASE + SET_STEP, RSI_ACCEPT), r.a1);
	r = smc(RSI_IPA_STATE_SET, r.a1, TEST_BASE + 2 * SET_STEP, RIPAS_EMPTY,
		RSI_CHANGE_DESTROYED);
	expect("set_empty_rest", is_res(r, RSI_SUCCESS, TEST_BASE + 2 * SET_STEP, RSI_ACCEPT), r.a1);
	r = smc(RSI_IPA_STATE_GET, TEST_BASE, TEST_BASE + 4 * SET_STEP, 0, 0);
	expect("get_empty_run", is_res(r, RSI_SUCCESS, TEST_BASE + 2 * SET_STEP, RIPAS_EMPTY), r.a1);
	r = smc(RSI_IPA_STATE_GET, TEST_BASE - GRANULE, TEST_BASE + GRANULE, 0, 0);
	expect("get_ram_before", is_res(r, RSI_SUCCESS, TEST_BASE, RIPAS_RAM), r.a1);

	/*
	 * Shared and private are different memory, each reachable only in
	 * its RIPAS: write the alias while EMPTY, read the private page once
	 * RAM again, then the alias once EMPTY again, which the host dropped
	 * when the granule went RAM.
	 */
	for (i = 0; i < 512; i++)
		shared[i] = 0x5a5a0000UL + i;
	r = smc(RSI_IPA_STATE_SET, TEST_BASE, TEST_BASE + GRANULE, RIPAS_RAM, 0);
	expect("set_ram_again", is_res(r, RSI_SUCCESS, TEST_BASE + GRANULE, RSI_ACCEPT), r.a1);
	r = smc(RSI_IPA_STATE_GET, TEST_BASE, TEST_BASE + GRANULE, 0, 0);
	expect("get_ram_again", is_res(r, RSI_SUCCESS, TEST_BASE + GRANULE, RIPAS_RAM), r.a2);
	top = 0;
	for (i = 0; i < 512; i++)
		top |= priv[i];
	expect("alias_is_other_memory", top == 0, top);
	smc(RSI_IPA_STATE_SET, TEST_BASE, TEST_BASE + GRANULE, RIPAS_EMPTY, 0);
	top = 0;
	for (i = 0; i < 512; i++)
		top |= shared[i];
	expect("alias_dropped_while_ram", top == 0, top);
	smc(RSI_IPA_STATE_SET, TEST_BASE, TEST_BASE + GRANULE, RIPAS_RAM, 0);

	r = smc(RSI_IPA_STATE_SET, TEST_BASE + 8, TEST_BASE + GRANULE, RIPAS_EMPTY, 0);
	expect("set_misaligned", r.a0 == RSI_ERROR_INPUT, r.a0);
	r = smc(RSI_IPA_STATE_SET, TEST_BASE, SHARED + GRANULE, RIPAS_EMPTY, 0);
	expect("set_beyond_protected", r.a0 == RSI_ERROR_INPUT, r.a0);
	r = smc(RSI_IPA_STATE_SET, UART, UART + GRANULE, RIPAS_EMPTY, 0);
	expect("set_mmio_rejected", is_res(r, RSI_SUCCESS, UART, RSI_REJECT), r.a2);
	r = smc(RSI_IPA_STATE_GET, UART, UART + GRANULE, 0, 0);
	expect("get_mmio_dev", is_res(r, RSI_SUCCESS, UART + GRANULE, RIPAS_DEV), r.a2);

	/* Not offered: answered NOT_SUPPORTED, and said on the console. */
	r = smc(RSI_ATTEST_INIT, 0, 0, 0, 0);
	expect("attestation_not_supported", r.a0 == NOT_SUPPORTED, r.a0);

	/* CPU_ON enters at EL1 with context_id in x0; twice, after CPU_OFF. */
	mailbox.arrivals = 0;
	for (i = 1; i <= 2; i++) {
		r = smc(PSCI_CPU_ON_64, 1, (u64)secondary, 0xc0de0000UL + i, 0);
		while (r.a0 == 0 && mailbox.arrivals < (u64)i)
			;
		/* AFFINITY_INFO: wait for OFF (1) before starting it again. */
		while (smc(PSCI_AFFINITY_INFO_64, 1, 0, 0, 0).a0 != 1)
			;
	}
	expect("cpu_on_twice", r.a0 == 0 && mailbox.arrivals == 2 &&
	       mailbox.x0 == 0xc0de0002UL && mailbox.el == (1 << 2), mailbox.x0);

	r = smc(PSCI_FEATURES, 0xc4000001UL, 0, 0, 0);	/* CPU_SUSPEND */
	expect("psci_features_absent", r.a0 == NOT_SUPPORTED, r.a0);

	/*
	 * Last, on purpose: the alias of a granule that is RAM.  The
	 * enforcing mode must stop the run here (scripts/realm.sh checks
	 * the firmware's line); if it does not, say so and power off.
	 */
	puts_uart("# reading the shared alias of a RAM granule: the firmware must stop this\n");
	top = shared[0];
	puts_uart("# not stopped\n");
	smc(PSCI_SYSTEM_OFF, 0, 0, 0, 0);
	puts_uart("# SYSTEM_OFF returned\n");
}
