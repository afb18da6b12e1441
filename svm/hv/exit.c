// SPDX-License-Identifier: GPL-2.0
/*
 * The #VMEXIT dispatcher: what the hypervisor emulates for the guest.
 *
 * QEMU's SVM offers neither NRIPS nor decode assists, so the VMCB carries
 * no next RIP and no instruction bytes: each handler knows the length of
 * what it emulates (CPUID 2, RDMSR/WRMSR 2, TDCALL 4) and advances RIP
 * itself, and the #UD handler reads the bytes at the guest's RIP through
 * the guest's page tables and the nested ones (guest.c).
 *
 * Any exit not handled here stops the run: the exit code, EXITINFO1/2,
 * the guest's RIP, then the report and a power-off that scripts/svm.sh
 * reads as a failure.
 */
#include "vmcb.h"

#define SEV_STATUS_SEV		BIT(0)		/* SEV is active */

#define CPUID_HYPERVISOR	BIT(31)		/* leaf 1 ECX */
#define CPUID_OSXSAVE		BIT(27)		/* leaf 1 ECX */
#define CPUID_OSPKE		BIT(4)		/* leaf 7.0 ECX */
#define CPUID_LA57		BIT(16)		/* leaf 7.0 ECX */
#define CPUID_SEV		BIT(1)		/* 0x8000001f EAX */
#define CPUID_TDX_LEAF		0x21
#define CR4_OSXSAVE		BIT(18)
#define CR4_PKE			BIT(22)

/*
 * The answer to a TDCALL outside TDX mode: what the TDX module says to a
 * leaf it does not know.  test/abi.c checks for it; in TDX mode tdx.c
 * answers.
 */
#define TDCALL_ANSWER		TDX_OPERAND_INVALID

static const u8 tdcall_insn[4] = { 0x66, 0x0f, 0x01, 0xcc };

/* EXITINFO1 of an IOIO exit (APM vol. 2, 15.10.2). */
#define IOIO_IN			BIT(0)
#define IOIO_STR		BIT(2)
#define IOIO_REP		BIT(3)
#define IOIO_SZ8		BIT(4)
#define IOIO_SZ16		BIT(5)
#define IOIO_SZ32		BIT(6)
#define ACPI_SLP_EN		BIT(13)		/* PM1 control: enter the sleep state */

/* ACPI's PM1a control port of a Linux guest (linux.c), 0 if none. */
u16 exit_power_off_port;

static struct {
	u64 exits, cpuid, msr, tdcall, ud_reflected, gp_injected;
	u64 first_tdcall_rip;
} seen;

static const char *exit_name(u64 code)
{
	switch (code) {
	case VMEXIT_INTR:	return "INTR";
	case VMEXIT_NMI:	return "NMI";
	case VMEXIT_CPUID:	return "CPUID";
	case VMEXIT_HLT:	return "HLT";
	case VMEXIT_IOIO:	return "IOIO";
	case VMEXIT_MSR:	return "MSR";
	case VMEXIT_SHUTDOWN:	return "SHUTDOWN, a triple fault in the guest";
	case VMEXIT_VMRUN:	return "VMRUN";
	case VMEXIT_VMMCALL:	return "VMMCALL";
	case VMEXIT_NPF:	return "NPF, a nested page fault";
	case VMEXIT_INVALID:	return "INVALID, VMRUN refused the VMCB";
	}
	if (code >= VMEXIT_EXC(0) && code <= VMEXIT_EXC(31))
		return "exception";
	return "?";
}

static void __noreturn unexpected(struct vmcb *v, struct guest_regs *regs)
{
	struct vmcb_control *c = &v->control;

	hv_printf("unexpected exit 0x%lx (%s): info1 0x%lx info2 0x%lx rip 0x%lx exitintinfo 0x%x\n",
		  c->exit_code, exit_name(c->exit_code), c->exit_info1, c->exit_info2,
		  v->save.rip, c->exit_int_info);
	if (c->exit_code == VMEXIT_MSR)
		hv_printf("%s of MSR 0x%lx\n", c->exit_info1 ? "write" : "read", regs->rcx);
	hv_fatal("unexpected exit");
}

static const char *view_name(enum npt_view view)
{
	switch (view) {
	case NPT_NONE:		return "neither (converted to private, not accepted)";
	case NPT_SHARED:	return "shared";
	case NPT_PRIVATE:	return "private";
	case NPT_BOTH:		return "both";
	}
	return "?";
}

/*
 * A nested page fault: the guest used a view of a page that is not mapped
 * (for a TDX guest, the view its page is not in now), or a GPA outside
 * its RAM, firmware tables and MMIO.  The run stops here.  On TDX a
 * private mapping of a shared page shuts the guest down (as 7.2's
 * comment in tdx_early_init() says), and a shared access to a private
 * page finds no mapping in the host's tables.
 */
static void __noreturn handle_npf(struct vmcb *v, struct guest_regs *regs)
{
	u64 gpa = v->control.exit_info2, err = v->control.exit_info1;
	u64 page = gpa & ~GPA_BIT47 & ~(PAGE_SIZE - 1);
	const char *access = err & NPF_FETCH ? "fetch" : err & NPF_WRITE ? "write" : "read";

	if (page >= GUEST_RAM_SIZE) {
		hv_printf("STOP: nested page fault: %s of GPA 0x%lx, outside the guest's RAM, firmware tables and MMIO; guest RIP 0x%lx\n",
			  access, gpa, v->save.rip);
	} else {
		hv_printf("STOP: nested page fault: %s of GPA 0x%lx, the %s view of a page that is %s; guest RIP 0x%lx\n",
			  access, gpa, gpa == npt_shared_gpa(gpa & ~GPA_BIT47) ? "shared" : "private",
			  view_name(npt_view(page)), v->save.rip);
	}
	(void)regs;
	hv_fatal("nested page fault");
}

/* Deliver exception @vec to the guest at its next VMRUN, RIP unchanged. */
static void inject(struct vmcb *v, u8 vec, bool has_err, u32 err)
{
	if (v->control.event_inj & EVENT_VALID)
		hv_fatal("an exception to inject while another is being delivered: not emulated");
	v->control.event_inj = EVENT_VALID | EVENT_TYPE_EXC | vec | (has_err ? EVENT_ERR_VALID : 0);
	v->control.event_inj_err = err;
}

/* QEMU's highest basic CPUID leaf, read once. */
static u32 host_max_basic_leaf(void)
{
	static u32 max;
	u32 r[4];

	if (!max) {
		cpuid(0, 0, r);
		max = r[0];
	}
	return max;
}

static void handle_cpuid(struct vmcb *v, struct guest_regs *regs)
{
	u32 leaf = (u32)v->save.rax, subleaf = (u32)regs->rcx;
	u32 r[4];

	cpuid(leaf, subleaf, r);
	/*
	 * Past QEMU's highest basic leaf the CPU repeats that leaf's data;
	 * a TDX guest sees up to leaf 0x21, so the leaves in between read
	 * as zero, not as topology or SGX garbage.
	 */
	if (hv_mode == HV_MODE_TDX && leaf < 0x80000000 && leaf > host_max_basic_leaf())
		r[0] = r[1] = r[2] = r[3] = 0;
	switch (leaf) {
	case 0:
		/*
		 * TDX runs on Intel CPUs.  On an AMD vendor 7.2's
		 * bsp_determine_snp() sets cc_vendor to AMD after
		 * tdx_early_init() set it to Intel, and the guest loses its
		 * memory encryption: the TDX guest sees "GenuineIntel", and
		 * the leaves up to 0x21.
		 */
		if (hv_mode == HV_MODE_TDX) {
			if (r[0] < CPUID_TDX_LEAF)
				r[0] = CPUID_TDX_LEAF;
			r[1] = 0x756e6547;
			r[3] = 0x49656e69;
			r[2] = 0x6c65746e;
		}
		break;
	case 1:
		/* OSXSAVE mirrors the guest's CR4, not ours. */
		r[2] &= ~CPUID_OSXSAVE;
		if (v->save.cr4 & CR4_OSXSAVE)
			r[2] |= CPUID_OSXSAVE;
		r[2] |= CPUID_HYPERVISOR;
		break;
	case 7:
		if (subleaf)
			break;
		/* QEMU's max CPU has LA57; our nested tables are 4-level. */
		r[2] &= ~(CPUID_LA57 | CPUID_OSPKE);
		if (v->save.cr4 & CR4_PKE)
			r[2] |= CPUID_OSPKE;
		break;
	case 0x80000000:
		if (hv_mode == HV_MODE_SEV && r[0] < 0x8000001f)
			r[0] = 0x8000001f;
		break;
	case 0x80000001:
		r[2] &= ~CPUID_SVM;	/* no nested SVM for the guest */
		break;
	case 0x8000000a:
		r[0] = r[1] = r[2] = r[3] = 0;
		break;
	case 0x8000001f:
		/*
		 * SEV, C-bit 47, no physical address bits lost (EBX[11:6]
		 * 0: nothing is encrypted here), one encrypted guest, SEV
		 * ASIDs from 1.
		 */
		r[0] = CPUID_SEV;
		r[1] = CBIT;
		r[2] = 1;
		r[3] = 1;
		if (hv_mode != HV_MODE_SEV)
			r[0] = r[1] = r[2] = r[3] = 0;
		break;
	case CPUID_TDX_LEAF:
		/* "IntelTDX    " in EBX, EDX, ECX, for subleaf 0. */
		if (hv_mode == HV_MODE_TDX && !subleaf) {
			r[0] = 0;
			r[1] = 0x65746e49;
			r[3] = 0x5844546c;
			r[2] = 0x20202020;
		}
		break;
	}
	v->save.rax = r[0];
	regs->rbx = r[1];
	regs->rcx = r[2];
	regs->rdx = r[3];
	v->save.rip += 2;
	seen.cpuid++;
}

static void handle_msr(struct vmcb *v, struct guest_regs *regs)
{
	if ((u32)regs->rcx != MSR_SEV_STATUS)
		unexpected(v, regs);
	seen.msr++;
	if (v->control.exit_info1) {
		/* SEV_STATUS is read-only: a write is #GP, as on hardware. */
		inject(v, VEC_GP, true, 0);
		seen.gp_injected++;
		return;
	}
	v->save.rax = hv_mode == HV_MODE_SEV ? SEV_STATUS_SEV : 0;
	regs->rdx = 0;
	v->save.rip += 2;
}

static bool is_tdcall(u64 rip)
{
	u8 insn[4];

	if (!guest_read_va(rip, insn, sizeof(insn)))
		return false;
	for (unsigned int i = 0; i < sizeof(insn); i++)
		if (insn[i] != tdcall_insn[i])
			return false;
	return true;
}

static void handle_ud(struct vmcb *v, struct guest_regs *regs)
{
	if (is_tdcall(v->save.rip)) {
		if (!seen.tdcall++)
			seen.first_tdcall_rip = v->save.rip;
		if (hv_mode == HV_MODE_TDX && v->save.cpl) {
			/* TDCALL is for ring 0 only: the CPU raises #GP(0). */
			inject(v, VEC_GP, true, 0);
			seen.gp_injected++;
			return;
		}
		if (hv_mode == HV_MODE_TDX)
			tdx_call(v, regs);
		else
			v->save.rax = TDCALL_ANSWER;
		v->save.rip += 4;
		return;
	}
	/* Any other #UD is the guest's, if it has a handler for it. */
	if (v->save.idtr.limit < VEC_UD * 16 + 15)
		unexpected(v, regs);
	inject(v, VEC_UD, false, 0);
	seen.ud_reflected++;
}

/*
 * Port I/O done here on the guest's behalf, for an intercepted IN or OUT
 * and for a TDX guest's TDG.VP.VMCALL<Instruction.IO>, so that both
 * reach the workload's marks and the power-off the same way.  A write
 * to the mark port goes to the hypervisor, not to QEMU; a write to
 * ACPI's PM1a control register that puts the machine into its sleep
 * state (S5, power-off, for the guests here) first gives the hypervisor
 * its last word.  Returns false for a size other than 1, 2 or 4 bytes
 * and for a read of the mark port: neither is emulated.
 */
bool exit_port_io(u16 port, unsigned int size, bool in, u64 *value)
{
	if ((size != 1 && size != 2 && size != 4) || (in && port == HV_MARK_PORT))
		return false;
	if (in) {
		*value = size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
		return true;
	}
	if (port == HV_MARK_PORT) {
		linux_mark((u8)*value);
		return true;
	}
	if (port == exit_power_off_port && *value & ACPI_SLP_EN && size != 1)
		linux_power_off();
	if (size == 1)
		outb(port, (u8)*value);
	else if (size == 2)
		outw(port, (u16)*value);
	else
		outl(port, (u32)*value);
	return true;
}

/*
 * The two ports intercepted: the workload's marks and ACPI's PM1a
 * control register.  An IN fills only the low bytes of RAX, as the CPU
 * would.  EXITINFO2 is the next RIP (no NRIPS needed).
 */
static void handle_ioio(struct vmcb *v, struct guest_regs *regs)
{
	u64 info = v->control.exit_info1, value = v->save.rax;
	unsigned int size = info & IOIO_SZ8 ? 1 : info & IOIO_SZ16 ? 2 : 4;
	u64 keep = size == 4 ? 0 : ~0UL << (size * 8);
	u16 port = info >> 16;

	if (info & (IOIO_STR | IOIO_REP))
		unexpected(v, regs);
	if (port != HV_MARK_PORT && port != exit_power_off_port)
		unexpected(v, regs);
	if (!exit_port_io(port, size, info & IOIO_IN, &value))
		unexpected(v, regs);
	if (info & IOIO_IN)
		v->save.rax = (v->save.rax & keep) | value;
	v->save.rip = v->control.exit_info2;
}

void exit_report(void)
{
	if (hv_mode == HV_MODE_TDX)
		tdx_report();
	hv_printf("exits %lu: CPUID %lu, SEV_STATUS %lu, TDCALL %lu (first at rip 0x%lx), #UD reflected %lu, #GP injected %lu\n",
		  seen.exits, seen.cpuid, seen.msr, seen.tdcall, seen.first_tdcall_rip,
		  seen.ud_reflected, seen.gp_injected);
}

void exit_handle(struct vmcb *v, struct guest_regs *regs)
{
	struct vmcb_control *c = &v->control;

	seen.exits++;
	/* An event cut short by the exit is delivered again. */
	if (c->exit_int_info & EVENT_VALID) {
		c->event_inj = c->exit_int_info;
		c->event_inj_err = c->exit_int_info_err;
	}
	switch (c->exit_code) {
	case VMEXIT_CPUID:
		handle_cpuid(v, regs);
		return;
	case VMEXIT_MSR:
		handle_msr(v, regs);
		return;
	case VMEXIT_EXC(VEC_UD):
		handle_ud(v, regs);
		return;
	case VMEXIT_IOIO:
		handle_ioio(v, regs);
		return;
	case VMEXIT_NPF:
		handle_npf(v, regs);
	case VMEXIT_HLT:
		/* The ABI test's request to finish. */
		hv_printf("guest finished: HLT at rip 0x%lx\n", v->save.rip);
		exit_report();
		hv_printf("powering off\n");
		hv_power_off(HV_EXIT_DONE);
	}
	unexpected(v, regs);
}
