// SPDX-License-Identifier: GPL-2.0
/*
 * PSCI for the kernel, on top of QEMU's own.
 *
 * With virtualization=on and no EL3, QEMU's virt board implements PSCI
 * itself for SMCs that reach "EL3"; the kernel's SMCs trap here first
 * (HCR_EL2.TSC), and the firmware's own SMCs from EL2 do reach QEMU
 * (target/arm/op_helper.c, pre_smc: only EL1 with TSC set traps).  So:
 * - answered here: PSCI_VERSION, PSCI_FEATURES, MIGRATE_INFO_TYPE, and
 *   SMCCC_VERSION's feature bit, which QEMU does not implement and
 *   without which the kernel would not use SMCCC 1.1 nor the SMC conduit;
 * - passed on: CPU_ON (rewritten: the vCPU starts in the firmware at
 *   EL2, which then enters the kernel at EL1), CPU_OFF, AFFINITY_INFO,
 *   SYSTEM_OFF and SYSTEM_RESET (after the firmware's report).
 */
#include "fw.h"

#define PSCI_VERSION			0x84000000U
#define PSCI_CPU_OFF			0x84000002U
#define PSCI_CPU_ON			0x84000003U
#define PSCI_CPU_ON_64			0xc4000003U
#define PSCI_AFFINITY_INFO		0x84000004U
#define PSCI_AFFINITY_INFO_64		0xc4000004U
#define PSCI_MIGRATE_INFO_TYPE		0x84000006U
#define PSCI_SYSTEM_OFF			0x84000008U
#define PSCI_SYSTEM_RESET		0x84000009U
#define PSCI_FEATURES			0x8400000aU

#define PSCI_VERSION_1_1		0x10001UL
#define PSCI_TOS_NOT_PRESENT_MP		2UL
#define PSCI_RET_INVALID_PARAMS		((u64)-2)

/* What a vCPU started by CPU_ON enters in the kernel. */
static struct {
	u64 entry;
	u64 context;
} boot_slot[MAX_CPUS];

static const u32 implemented[] = {
	PSCI_VERSION, PSCI_CPU_OFF, PSCI_CPU_ON, PSCI_CPU_ON_64,
	PSCI_AFFINITY_INFO, PSCI_AFFINITY_INFO_64, PSCI_MIGRATE_INFO_TYPE,
	PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET, PSCI_FEATURES,
};

bool psci_has(u32 fid)
{
	for (size_t i = 0; i < ARRAY_SIZE(implemented); i++)
		if (implemented[i] == fid)
			return true;
	return false;
}

static u64 cpu_on(struct trap_frame *f, bool smc64)
{
	u64 target = smc64 ? f->x[1] : (u32)f->x[1];
	u64 entry = smc64 ? f->x[2] : (u32)f->x[2];
	unsigned int cpu = mpidr_to_cpu(target);

	if (cpu >= MAX_CPUS || (target & ~0xffffUL))
		return PSCI_RET_INVALID_PARAMS;
	boot_slot[cpu].entry = entry;
	boot_slot[cpu].context = f->x[3];
	dsb(sy);
	/* QEMU checks the rest (ALREADY_ON, ON_PENDING, no such CPU). */
	return qemu_psci(PSCI_CPU_ON_64, target, (u64)secondary_entry, cpu);
}

/* A vCPU that QEMU started at secondary_entry (start.S). */
void __attribute__((noreturn)) secondary_main(void)
{
	unsigned int cpu = this_cpu();

	cpu_init_el2();
	enter_el1(boot_slot[cpu].entry, boot_slot[cpu].context, stack_top(cpu));
}

static void __attribute__((noreturn)) power_off(u32 fid, const char *what)
{
	fw_printf("fw: %s requested by cpu %lu\n", what, (u64)this_cpu());
	smccc_report();
	rsi_report();
	stage2_report();
	fw_printf("fw: %s through QEMU's PSCI\n", what);
	qemu_psci(fid, 0, 0, 0);
	fw_fatal("QEMU's PSCI returned from a power-off call");
}

bool psci_call(struct trap_frame *f, u32 fid)
{
	switch (fid) {
	case PSCI_VERSION:
		f->x[0] = PSCI_VERSION_1_1;
		return true;
	case PSCI_FEATURES:
		if (psci_has((u32)f->x[1]) || (u32)f->x[1] == SMCCC_VERSION)
			f->x[0] = SMCCC_RET_SUCCESS;
		else
			smccc_absent(f, "PSCI_FEATURES");
		return true;
	case PSCI_MIGRATE_INFO_TYPE:
		f->x[0] = PSCI_TOS_NOT_PRESENT_MP;
		return true;
	case PSCI_CPU_ON:
	case PSCI_CPU_ON_64:
		f->x[0] = cpu_on(f, fid == PSCI_CPU_ON_64);
		return true;
	case PSCI_CPU_OFF:
		/* Returns only on failure; CPU_ON restarts at secondary_entry. */
		f->x[0] = qemu_psci(fid, 0, 0, 0);
		return true;
	case PSCI_AFFINITY_INFO:
	case PSCI_AFFINITY_INFO_64:
		f->x[0] = qemu_psci(fid, f->x[1], f->x[2], 0);
		return true;
	case PSCI_SYSTEM_OFF:
		power_off(fid, "SYSTEM_OFF");
	case PSCI_SYSTEM_RESET:
		power_off(fid, "SYSTEM_RESET");
	}
	/* Other PSCI ids (CPU_SUSPEND, SYSTEM_RESET2 ...): not offered. */
	if ((fid & ~0x40000000U) >= PSCI_VERSION && (fid & ~0x40000000U) <= 0x8400001fU) {
		smccc_unimplemented(f, "PSCI function");
		return true;
	}
	return false;
}
