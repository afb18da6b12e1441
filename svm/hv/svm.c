// SPDX-License-Identifier: GPL-2.0
/*
 * SVM: turn it on, fill the one VMCB, and run the guest exit after exit.
 *
 * Intercepted, and why (exit.c handles each):
 * - VMRUN: the architecture requires it (QEMU fails VMRUN with
 *   VMEXIT_INVALID without it); the guest sees no SVM in CPUID anyway.
 * - CPUID: the guest must see SEV (leaf 0x8000001f) or TDX (leaf 0x21)
 *   and must not see what we do not emulate (LA57, SVM).
 * - MSR, through the permission bitmap: only SEV_STATUS (0xc0010131),
 *   read and write.  Every other MSR in the bitmap's three ranges goes
 *   to QEMU directly; MSRs outside them always exit (APM), and stop the
 *   run.
 * - #UD: TDCALL (66 0f 01 cc) is undefined on AMD; the hypervisor decodes
 *   it at the guest's RIP (in TDX mode: the emulated module's calls,
 *   tdx.c).
 * - HLT, for the ABI test only: its way to say it has finished.  A Linux
 *   guest's HLT is not intercepted: it halts until an interrupt, as on
 *   hardware.
 * - SHUTDOWN: a triple fault in the guest stops the run with its RIP
 *   instead of resetting the machine.
 * - IOIO, for two ports of a Linux guest: ACPI's PM1a control register,
 *   so that the hypervisor reports before the guest powers the machine
 *   off, and HV_MARK_PORT, the workload's marks (exit.c).
 * Nested page faults need no intercept bit: with nested paging they
 * always exit, and stop the run.
 * Not intercepted: other I/O (the guest's port I/O reaches QEMU's UART,
 * PIT, isa-debug-exit ... directly), INTR (with V_INTR_MASKING clear a
 * physical interrupt goes straight into the guest's IDT), CR and DR
 * accesses, INVLPG, XSETBV.
 */
#include "vmcb.h"

#define MSR_VM_HSAVE_PA		0xc0010117
#define EFER_SVME		BIT(12)
#define EFER_LME		BIT(8)

#define CPUID_SVM_NPT		BIT(0)		/* 0x8000000a EDX */

#define CR0_PE			BIT(0)
#define CR0_MP			BIT(1)
#define CR0_ET			BIT(4)
#define CR0_NE			BIT(5)
#define CR0_WP			BIT(16)
#define CR4_PAE			BIT(5)

/* VMCB segment attributes: type, S, DPL, P in 7:0, AVL, L, D/B, G in 11:8. */
#define ATTR_CODE64		0xa9b		/* execute/read, accessed, L, G */
#define ATTR_DATA		0xc93		/* read/write, accessed, D/B, G */
#define ATTR_TSS64_BUSY		0x08b
#define ATTR_LDT		0x082

#define GUEST_ASID		1		/* 0 is the host's: VMRUN refuses it */
#define PAT_DEFAULT		0x0007040600070406UL

struct vmcb vmcb __aligned(4096);
static u8 hsave[4096] __aligned(4096);
static u8 msrpm[8192] __aligned(4096);	/* 2 bits (read, write) per MSR */
static u8 iopm[12288] __aligned(4096);	/* 1 bit per port */
static struct guest_regs regs;

/*
 * The bitmap covers MSRs 0-0x1fff, 0xc0000000-0xc0001fff and
 * 0xc0010000-0xc0011fff, 2 KiB each.
 */
static void msrpm_intercept(u32 msr)
{
	u32 base;

	if (msr < 0x2000) {
		base = 0;
	} else if (msr - 0xc0000000U < 0x2000) {
		base = 0x800;
		msr -= 0xc0000000U;
	} else if (msr - 0xc0010000U < 0x2000) {
		base = 0x1000;
		msr -= 0xc0010000U;
	} else {
		hv_fatal("svm: an MSR outside the permission bitmap");
	}
	/* Read and write bits. */
	msrpm[base + msr / 4] |= 3 << (msr % 4 * 2);
}

void svm_init(void)
{
	u32 r[4];

	cpuid(0x80000008, 0, r);
	/* The C-bit must be an address bit: QEMU's default of 40 makes it reserved. */
	if ((r[0] & 0xff) <= CBIT)
		hv_fatal("the physical address width is too small for C-bit 47: QEMU needs phys-bits=48");
	cpuid(0x80000001, 0, r);
	if (!(r[2] & CPUID_SVM))
		hv_fatal("no SVM: QEMU needs -cpu max,+svm,+npt");
	cpuid(0x8000000a, 0, r);
	if (!(r[3] & CPUID_SVM_NPT))
		hv_fatal("no nested paging: QEMU needs -cpu max,+svm,+npt");
	hv_printf("svm: revision %u, %u ASIDs, features 0x%x (no NRIPS, no decode assists: RIP advanced by hand)\n",
		  r[0] & 0xff, r[1], r[3]);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, (u64)hsave);
	msrpm_intercept(MSR_SEV_STATUS);
}

static void seg(struct vmcb_seg *s, u16 sel, u16 attrib)
{
	s->selector = sel;
	s->attrib = attrib;
	s->limit = 0xffffffff;
	s->base = 0;
}

/*
 * The guest starts in long mode, as Linux's 64-bit boot protocol asks:
 * paging on with @cr3's tables, flat @cs and @ds from the GDT at @gdt,
 * interrupts off.
 */
void svm_setup_guest(u64 rip, u64 rsp, u64 cr3, u64 gdt, u16 cs, u16 ds, bool hlt_ends_run)
{
	struct vmcb_control *c = &vmcb.control;
	struct vmcb_save *s = &vmcb.save;

	c->intercept_exc = BIT(VEC_UD);
	c->intercept_misc1 = INTERCEPT_CPUID | INTERCEPT_MSR | INTERCEPT_SHUTDOWN;
	if (hlt_ends_run)
		c->intercept_misc1 |= INTERCEPT_HLT;
	c->intercept_misc2 = INTERCEPT_VMRUN;
	c->iopm_base_pa = (u64)iopm;
	c->msrpm_base_pa = (u64)msrpm;
	c->asid = GUEST_ASID;
	c->int_ctl = 0;			/* V_INTR_MASKING clear: see the top */
	c->nested_ctl = NESTED_NP_ENABLE;
	c->nested_cr3 = npt_root();

	seg(&s->cs, cs, ATTR_CODE64);
	seg(&s->ds, ds, ATTR_DATA);
	seg(&s->es, ds, ATTR_DATA);
	seg(&s->ss, ds, ATTR_DATA);
	seg(&s->fs, ds, ATTR_DATA);
	seg(&s->gs, ds, ATTR_DATA);
	s->gdtr.base = gdt;
	s->gdtr.limit = 4 * 8 - 1;
	s->idtr.limit = 0;		/* the guest brings its own */
	s->tr.attrib = ATTR_TSS64_BUSY;
	s->tr.limit = 0x67;
	s->ldtr.attrib = ATTR_LDT;
	s->cpl = 0;
	/* SVME: VMRUN refuses a guest without it (APM consistency checks). */
	s->efer = EFER_LME | EFER_LMA | EFER_SVME;
	s->cr0 = CR0_PG | CR0_WP | CR0_NE | CR0_ET | CR0_MP | CR0_PE;
	s->cr3 = cr3;
	s->cr4 = CR4_PAE;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->rflags = 0x2;
	s->rip = rip;
	s->rsp = rsp;
	s->rax = 0;
	s->g_pat = PAT_DEFAULT;
}

/* I/O to @port exits (the permission map has a bit per port). */
void svm_intercept_port(u16 port)
{
	iopm[port / 8] |= 1 << (port % 8);
	vmcb.control.intercept_misc1 |= INTERCEPT_IOIO;
}

volatile int hv_irq_vector;

/*
 * Halt until a physical interrupt arrives and return its vector: GIF and
 * IF on, HLT, and start.S's irq_common takes the interrupt (no EOI: the
 * guest's handler will send it) and returns with IF clear.  Only for a
 * TDX guest's HLT call, which must sleep, not spin.
 */
u8 svm_wait_for_interrupt(void)
{
	hv_irq_vector = -1;
	while (hv_irq_vector < 0)
		asm volatile("stgi; sti; hlt; cli; clgi" : : : "memory");
	return (u8)hv_irq_vector;
}

/*
 * Hand @vector to the guest as a virtual interrupt: it is taken once the
 * guest sets RFLAGS.IF, through the guest's IDT, like the physical one
 * the hypervisor took for it.
 */
void svm_inject_interrupt(u8 vector)
{
	u32 ctl = vmcb.control.int_ctl & ~(0xfU << INT_CTL_V_PRIO_SHIFT);

	vmcb.control.int_vector = vector;
	vmcb.control.int_ctl = ctl | INT_CTL_V_IRQ | INT_CTL_V_IGN_TPR |
			       (u32)(vector >> 4) << INT_CTL_V_PRIO_SHIFT;
}

/* A virtual interrupt the guest has not taken yet. */
bool svm_interrupt_pending(void)
{
	return vmcb.control.int_ctl & INT_CTL_V_IRQ;
}

/* Linux's boot protocol passes boot_params in RSI. */
void svm_set_rsi(u64 rsi)
{
	regs.rsi = rsi;
}

void __noreturn svm_loop(void)
{
	hv_printf("entering the guest at 0x%lx (ASID %u, nested CR3 0x%lx)\n",
		  vmcb.save.rip, vmcb.control.asid, vmcb.control.nested_cr3);
	for (;;) {
		/* QEMU offers only the flush-all TLB control. */
		vmcb.control.tlb_control = npt_take_flush() ? TLB_FLUSH_ALL : 0;
		svm_run(&regs, (u64)&vmcb);
		vmcb.control.event_inj = 0;
		exit_handle(&vmcb, &regs);
	}
}
