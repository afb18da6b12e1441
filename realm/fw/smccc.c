// SPDX-License-Identifier: GPL-2.0
/*
 * The trap from EL1 and the SMC Calling Convention around the calls:
 * which function ids exist, and which answer is an error.
 *
 * Two kinds of NOT_SUPPORTED answers are kept apart on the console:
 * - "absent": discovery probes, where NOT_SUPPORTED is the ABI's normal
 *   answer for a service this firmware does not offer (the kernel asks
 *   for TRNG, the hypervisor's UID, Spectre workarounds ...);
 * - "unimplemented": a call the kernel expected to work.  scripts/realm.sh
 *   fails the run on any such line.
 */
#include "fw.h"

#define ESR_EC(esr)		((esr) >> 26)
#define ESR_EC_HVC64		0x16
#define ESR_EC_SMC64		0x17
#define ESR_EC_IABT_LOW		0x20
#define ESR_EC_DABT_LOW		0x24
#define ESR_ISS_IMM16(esr)	((esr) & 0xffff)

#define FID_FAST		BIT(31)
#define FID_OWNER(fid)		(((fid) >> 24) & 0x3f)
#define OWNER_ARCH		0
#define OWNER_STANDARD		4

#define SMCCC_VERSION_1_2	0x10002UL

/* Discovery probes the kernel makes (include/linux/arm-smccc.h). */
#define SMCCC_TRNG_VERSION		0x84000050U
#define SMCCC_VENDOR_HYP_CALL_UID	0x8600ff01U

static u64 nr_calls, nr_absent, nr_unimplemented;

void smccc_unimplemented(struct trap_frame *f, const char *what)
{
	count(&nr_unimplemented);
	fw_printf("fw: unimplemented call 0x%lx (%s) from cpu %lu at 0x%lx: answered NOT_SUPPORTED\n",
		  f->x[0], what, (u64)this_cpu(), f->elr - 4);
	f->x[0] = SMCCC_RET_NOT_SUPPORTED;
}

void smccc_absent(struct trap_frame *f, const char *what)
{
	count(&nr_absent);
	fw_printf("fw: probe 0x%lx (%s, x1=0x%lx): absent, answered NOT_SUPPORTED\n",
		  f->x[0], what, f->x[1]);
	f->x[0] = SMCCC_RET_NOT_SUPPORTED;
}

static void smccc_arch(struct trap_frame *f, u32 fid)
{
	u32 query = (u32)f->x[1];

	switch (fid) {
	case SMCCC_VERSION:
		/* RSI is specified on SMCCC 1.2 (results in x0-x3 here). */
		f->x[0] = SMCCC_VERSION_1_2;
		return;
	case SMCCC_ARCH_FEATURES:
		if (query == SMCCC_VERSION || query == SMCCC_ARCH_FEATURES)
			f->x[0] = SMCCC_RET_SUCCESS;
		else
			smccc_absent(f, "SMCCC_ARCH_FEATURES");
		return;
	}
	smccc_unimplemented(f, "SMCCC arch call");
}

static void smccc_call(struct trap_frame *f)
{
	u32 fid = (u32)f->x[0];

	count(&nr_calls);
	if (!(fid & FID_FAST)) {
		smccc_unimplemented(f, "yielding call");
		return;
	}
	switch (FID_OWNER(fid)) {
	case OWNER_ARCH:
		smccc_arch(f, fid);
		return;
	case OWNER_STANDARD:
		if (psci_call(f, fid) || rsi_call(f, fid))
			return;
		if (fid == SMCCC_TRNG_VERSION) {
			smccc_absent(f, "TRNG_VERSION");
			return;
		}
		break;
	}
	if (fid == SMCCC_VENDOR_HYP_CALL_UID) {
		smccc_absent(f, "VENDOR_HYP_CALL_UID");
		return;
	}
	smccc_unimplemented(f, "unknown function id");
}

/* The lower-EL synchronous vector (start.S). */
void trap_sync(struct trap_frame *f)
{
	u64 esr = read_sysreg(esr_el2);

	switch (ESR_EC(esr)) {
	case ESR_EC_SMC64:
		/*
		 * An SMC trapped by HCR_EL2.TSC is a Trap exception, not a
		 * Secure Monitor Call: its preferred return address is the
		 * SMC itself, so step over it (as KVM does, handle_smc() in
		 * arch/arm64/kvm/handle_exit.c).  An HVC returns past itself.
		 */
		f->elr += 4;
		if (ESR_ISS_IMM16(esr)) {
			smccc_unimplemented(f, "SMC with a non-zero immediate");
			return;
		}
		smccc_call(f);
		return;
	case ESR_EC_HVC64:
		/* ELR already points past an HVC; the DTB says "smc". */
		count(&nr_calls);
		smccc_unimplemented(f, "HVC: the conduit is SMC");
		return;
	case ESR_EC_IABT_LOW:
	case ESR_EC_DABT_LOW:
		/* Only stage 2 can fault to EL2: the enforcing mode. */
		stage2_fault(f, esr, ESR_EC(esr) == ESR_EC_IABT_LOW);
	}
	fw_printf("fw: unexpected trap from EL1: ESR_EL2 0x%lx ELR_EL2 0x%lx FAR_EL2 0x%lx\n",
		  esr, f->elr, read_sysreg(far_el2));
	fw_fatal("unexpected trap from EL1");
}

void smccc_report(void)
{
	fw_printf("fw: calls %lu, probes answered absent %lu, unimplemented %lu\n",
		  nr_calls, nr_absent, nr_unimplemented);
}
