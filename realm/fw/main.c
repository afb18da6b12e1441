// SPDX-License-Identifier: GPL-2.0
/*
 * Boot: set up EL2 so that the kernel at EL1 runs as if EL2 were not
 * there, except that every SMC traps here (HCR_EL2.TSC), then enter the
 * kernel the way arm64's booting.rst asks.
 */
#include "fw.h"

const volatile struct fw_params *params = (void *)PARAMS_ADDR;

/* HCR_EL2 */
#define HCR_TSC		BIT(19)	/* SMC from EL1 traps to EL2, EC 0x17 */
#define HCR_RW		BIT(31)	/* EL1 is AArch64 */
#define HCR_APK		BIT(40)	/* no traps on pointer-auth keys ... */
#define HCR_API		BIT(41)	/* ... or instructions: -cpu max has PAuth */
#define HCR_ATA		BIT(56)	/* MTE tags usable at EL1, if present */

/* SCTLR_EL2 with the MMU and the caches off: the RES1 bits only. */
#define SCTLR_EL2_OFF	0x30c50830UL
/* SCTLR_EL1 as the kernel wants it at entry: MMU off, little-endian. */
#define SCTLR_EL1_OFF	0x30d00800UL
/* CPTR_EL2 (E2H == 0): RES1 bits 13, 9, 7:0; TSM, TZ, TFP, TAM clear. */
#define CPTR_EL2_NOTRAP	0x22ffUL
/* CNTHCTL_EL2: EL1PCTEN | EL1PCEN, EL1 owns the physical timer. */
#define CNTHCTL_EL1_OWN	0x3UL
/* ICC_SRE_EL2: SRE, DFB, DIB and Enable, so EL1 may use ICC_SRE_EL1. */
#define ICC_SRE_EL2_ALL	0xfUL

#define id_field(reg, shift)	(((reg) >> (shift)) & 0xf)

unsigned int mpidr_to_cpu(u64 mpidr)
{
	/* QEMU virt numbers vCPUs Aff1:Aff0 with up to 16 per cluster. */
	return (mpidr & 0xff) | (((mpidr >> 8) & 0xff) << 4);
}

unsigned int this_cpu(void)
{
	return mpidr_to_cpu(read_sysreg(mpidr_el1));
}

void cpu_init_el2(void)
{
	u64 pfr0 = read_sysreg(id_aa64pfr0_el1);
	u64 pfr1 = read_sysreg(id_aa64pfr1_el1);

	write_sysreg(SCTLR_EL2_OFF, sctlr_el2);
	write_sysreg(vectors, vbar_el2);
	write_sysreg(HCR_RW | HCR_TSC | HCR_API | HCR_APK | HCR_ATA, hcr_el2);
	write_sysreg(CPTR_EL2_NOTRAP, cptr_el2);
	write_sysreg(0, hstr_el2);
	write_sysreg(CNTHCTL_EL1_OWN, cnthctl_el2);
	write_sysreg(0, cntvoff_el2);
	/* EL1 reads of MIDR/MPIDR return these: give it the real ones. */
	write_sysreg(read_sysreg(midr_el1), vpidr_el2);
	write_sysreg(read_sysreg(mpidr_el1), vmpidr_el2);
	/* MDCR_EL2.HPMN: all PMU counters to EL1, no debug traps. */
	write_sysreg((read_sysreg(pmcr_el0) >> 11) & 0x1f, mdcr_el2);
	/* GICv3: the kernel uses the system-register CPU interface. */
	write_sysreg(ICC_SRE_EL2_ALL, S3_4_C12_C9_5);
	isb();
	write_sysreg(0, S3_4_C12_C11_0);	/* ICH_HCR_EL2: no vGIC */
	/* Do not cap EL1's vector lengths (ZCR_EL2, SMCR_EL2.LEN). */
	if (id_field(pfr0, 32))
		write_sysreg(0xf, S3_4_C1_C2_0);
	if (id_field(pfr1, 24))
		write_sysreg(BIT(31) | 0xf, S3_4_C1_C2_6);	/* FA64 */
	write_sysreg(SCTLR_EL1_OFF, sctlr_el1);
	isb();
	stage2_cpu_init();
}

void __attribute__((noreturn)) fw_fatal(const char *why)
{
	fw_printf("fw: FATAL on cpu %lu: %s\n", (u64)this_cpu(), why);
	smccc_report();
	rsi_report();
	stage2_report();
	fw_printf("fw: powering off after a fatal error\n");
	qemu_psci(0x84000008, 0, 0, 0);		/* PSCI SYSTEM_OFF */
	for (;;)
		asm volatile("wfe");
}

/* An exception the firmware never expects (start.S vector number). */
void trap_bad_c(u64 kind)
{
	fw_printf("fw: unexpected exception, vector %lu: ESR_EL2 0x%lx ELR_EL2 0x%lx FAR_EL2 0x%lx SPSR_EL2 0x%lx\n",
		  kind, read_sysreg(esr_el2), read_sysreg(elr_el2),
		  read_sysreg(far_el2), read_sysreg(spsr_el2));
	fw_fatal("unexpected exception");
}

void __attribute__((noreturn)) fw_main(void)
{
	if (params->magic != PARAMS_MAGIC) {
		/* No console address either: nothing to say it on. */
		for (;;)
			asm volatile("wfe");
	}
	console_init(params->uart);
	fw_printf("fw: realm firmware at EL%lu, cpu 0; kernel at 0x%lx, DTB at 0x%lx\n",
		  (read_sysreg(CurrentEL) >> 2) & 3, params->kernel_entry, params->dtb);
	if (((read_sysreg(CurrentEL) >> 2) & 3) != 2)
		fw_fatal("not entered at EL2 (QEMU needs -M virt,virtualization=on)");
	rsi_init();
	stage2_init(params->ram_base, params->ram_size, params->ipa_bits, params->dtb);
	cpu_init_el2();
	fw_printf("fw: entering the kernel at EL1\n");
	enter_el1(params->kernel_entry, params->dtb, stack_top(0));
}
