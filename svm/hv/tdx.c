// SPDX-License-Identifier: GPL-2.0
/*
 * The TDX module, as far as a 7.2 TDX guest calls it: an emulation, not
 * the module.  TDCALL (66 0f 01 cc) is #UD on AMD; exit.c decodes it and
 * calls tdx_call().  The leaves are the ones arch/x86/coco/tdx/ of 7.2
 * uses (numbers from the GHCI and the module's ABI, as 7.2's
 * asm/shared/tdx.h has them):
 *
 * - TDG.VP.INFO: GPA width 48, so the shared bit is bit 47; attributes
 *   SEPT_VE_DISABLE, which 7.2 requires of a TD that cannot disable SEPT
 *   #VEs itself (CONFIG_FLAGS reads 0: no FLEXIBLE_PENDING_VE).
 * - TDG.VM.RD of CONFIG_FLAGS, TD_CTLS, NOTIFY_ENABLES and
 *   TOPOLOGY_ENUM_CONFIGURED; TDG.VM.WR of TD_CTLS and NOTIFY_ENABLES.
 * - TDG.MEM.PAGE.ACCEPT: a page that MapGPA made private is zeroed and
 *   mapped private; any other page is refused, as the module refuses a
 *   page that is not pending (here always with TDX_OPERAND_INVALID; the
 *   module has codes of its own, and 7.2 only tests for non-zero).
 * - TDG.VP.VMCALL (the host's calls, with status in R10): MapGPA, which
 *   moves each page of the range to its shared view, or unmaps it until
 *   it is accepted (npt.c); HLT, a real halt until an interrupt, which
 *   is then handed to the guest (R12, "interrupts blocked", is 0 from
 *   7.2's tdx_halt() and not looked at); port I/O (through exit.c, as an
 *   intercepted IN or OUT) and MMIO; ReportFatalError, which stops the
 *   run with the guest's message.
 * - TDG.VP.VEINFO.GET: no #VE is ever injected here (CPUID, MSRs, port
 *   I/O and MMIO run natively on this CPU), so a call stops the run.
 * Any other leaf or VMCALL stops the run with its number.
 *
 * The nested tables enforce what MapGPA and ACCEPT said: from launch
 * every page is private only, and an access through the other view is a
 * nested page fault that stops the run (exit.c).
 */
#include "vmcb.h"

#define TDG_VP_VMCALL		0
#define TDG_VP_INFO		1
#define TDG_VP_VEINFO_GET	3
#define TDG_MEM_PAGE_ACCEPT	6
#define TDG_VM_RD		7
#define TDG_VM_WR		8

#define TDCS_CONFIG_FLAGS		0x1110000300000016UL
#define TDCS_TD_CTLS			0x1110000300000017UL
#define TDCS_NOTIFY_ENABLES		0x9100000000000010UL
#define TDCS_TOPOLOGY_ENUM_CONFIGURED	0x9100000000000019UL

#define TDX_ATTR_SEPT_VE_DISABLE	BIT(28)
#define TDX_SUCCESS			0

/* TDG.VP.VMCALL: R10 is 0 for the GHCI's calls, R11 the call. */
#define VMCALL_HLT			12	/* EXIT_REASON_HLT */
#define VMCALL_IO			30	/* EXIT_REASON_IO_INSTRUCTION */
#define VMCALL_MMIO			48	/* EXIT_REASON_EPT_VIOLATION */
#define VMCALL_MAP_GPA			0x10001
#define VMCALL_REPORT_FATAL_ERROR	0x10003
#define VMCALL_SUCCESS			0
#define VMCALL_INVALID_OPERAND		0x8000000000000000UL

#define GPA_WIDTH		(CBIT + 1)

static u64 td_ctls;

static struct {
	u64 calls, vmcalls, map_gpa, to_shared, to_private, accept, accepted, halts;
	u64 already_shared, already_private;
} count;

static void __noreturn stop(struct vmcb *v, const char *what, u64 number)
{
	hv_printf("STOP: %s 0x%lx at guest RIP 0x%lx\n", what, number, v->save.rip);
	hv_fatal("a TDX call the emulated module does not implement");
}

/*
 * MapGPA: the shared bit of @start says which way.  Each page must be
 * guest RAM: to shared, its private view goes (the host may now use the
 * page); to private, both go until the guest accepts it.  A page that is
 * already where the call sends it is counted apart: a host VMM accepts
 * such a request, but a kernel that asks has lost track of the page (decrypted it
 * twice, or freed it while still shared and decrypted it again when it
 * came back), as the realm firmware counts requests for the same RIPAS.
 */
static u64 map_gpa(u64 start, u64 size)
{
	bool shared = start & GPA_BIT47;
	u64 gpa = start & ~GPA_BIT47;

	if (!ALIGNED(gpa | size, PAGE_SIZE) || gpa + size > GUEST_RAM_SIZE || gpa + size < gpa)
		return VMCALL_INVALID_OPERAND;
	count.map_gpa++;
	for (u64 off = 0; off < size; off += PAGE_SIZE) {
		enum npt_view was = npt_view(gpa + off);

		if (shared && was == NPT_SHARED)
			count.already_shared++;
		if (!shared && was != NPT_SHARED)
			count.already_private++;
		npt_set_view(gpa + off, shared ? NPT_SHARED : NPT_NONE);
	}
	if (shared)
		count.to_shared += size / PAGE_SIZE;
	else
		count.to_private += size / PAGE_SIZE;
	return VMCALL_SUCCESS;
}

/* ACCEPT: RCX = GPA | level (0: 4 KiB, 1: 2 MiB, 2: 1 GiB). */
static u64 accept(u64 rcx)
{
	unsigned int level = rcx & 7;
	u64 gpa = rcx & ~0xfffUL & ~GPA_BIT47, size;

	if (level > 2 || (rcx & GPA_BIT47))
		return TDX_OPERAND_INVALID;
	size = PAGE_SIZE << (9 * level);
	if (!ALIGNED(gpa, size) || gpa + size > GUEST_RAM_SIZE)
		return TDX_OPERAND_INVALID;
	for (u64 off = 0; off < size; off += PAGE_SIZE)
		if (npt_view(gpa + off) != NPT_NONE)
			return TDX_OPERAND_INVALID;	/* not pending */
	hpa_fill(PRIVATE_BASE + gpa, 0, size);
	for (u64 off = 0; off < size; off += PAGE_SIZE)
		npt_set_view(gpa + off, NPT_PRIVATE);
	count.accept++;
	count.accepted += size / PAGE_SIZE;
	return TDX_SUCCESS;
}

static u64 vm_rd(u64 field, u64 *value)
{
	switch (field) {
	case TDCS_CONFIG_FLAGS:
	case TDCS_NOTIFY_ENABLES:
	case TDCS_TOPOLOGY_ENUM_CONFIGURED:
		*value = 0;
		return TDX_SUCCESS;
	case TDCS_TD_CTLS:
		*value = td_ctls;
		return TDX_SUCCESS;
	}
	return TDX_OPERAND_INVALID;
}

static u64 vm_wr(u64 field, u64 value, u64 mask)
{
	switch (field) {
	case TDCS_NOTIFY_ENABLES:
		return TDX_SUCCESS;	/* no notifications are ever sent */
	case TDCS_TD_CTLS:
		td_ctls = (td_ctls & ~mask) | (value & mask);
		return TDX_SUCCESS;
	}
	return TDX_OPERAND_INVALID;
}

/* Port I/O for the guest: R12 size, R13 1 for a write, R14 port, R15 value. */
static u64 vmcall_io(struct guest_regs *regs)
{
	u64 value = regs->r15;

	if (regs->r12 > 4 || !exit_port_io((u16)regs->r14, regs->r12, !regs->r13, &value))
		return VMCALL_INVALID_OPERAND;
	if (!regs->r13)
		regs->r11 = value;
	return VMCALL_SUCCESS;
}

/* MMIO for the guest, below 4 GiB only: R12 size, R13 1 for a write, R14 address. */
static u64 vmcall_mmio(struct guest_regs *regs)
{
	u64 addr = regs->r14 & ~GPA_BIT47;

	if (addr < MMIO_BASE || addr + regs->r12 > MMIO_TOP)
		return VMCALL_INVALID_OPERAND;
	switch (regs->r12 | (regs->r13 ? 0x100 : 0)) {
	case 1:	regs->r11 = *(volatile u8 *)addr; break;
	case 2:	regs->r11 = *(volatile u16 *)addr; break;
	case 4:	regs->r11 = *(volatile u32 *)addr; break;
	case 8:	regs->r11 = *(volatile u64 *)addr; break;
	case 0x101: *(volatile u8 *)addr = (u8)regs->r15; break;
	case 0x102: *(volatile u16 *)addr = (u16)regs->r15; break;
	case 0x104: *(volatile u32 *)addr = (u32)regs->r15; break;
	case 0x108: *(volatile u64 *)addr = regs->r15; break;
	default: return VMCALL_INVALID_OPERAND;
	}
	return VMCALL_SUCCESS;
}

/* ReportFatalError: the message is in R14, R15, RBX, RDI, RSI, R8, R9, RDX. */
static void __noreturn report_fatal_error(struct vmcb *v, struct guest_regs *regs)
{
	u64 words[9] = { regs->r14, regs->r15, regs->rbx, regs->rdi, regs->rsi,
			 regs->r8, regs->r9, regs->rdx, 0 };

	hv_printf("STOP: the guest reported a fatal error (code 0x%lx): %s; guest RIP 0x%lx\n",
		  regs->r12, (const char *)words, v->save.rip);
	hv_fatal("TDG.VP.VMCALL<ReportFatalError>");
}

static u64 vmcall(struct vmcb *v, struct guest_regs *regs)
{
	count.vmcalls++;
	if (regs->r10)
		stop(v, "TDG.VP.VMCALL of a vendor-specific leaf, R10 =", regs->r10);
	switch (regs->r11) {
	case VMCALL_MAP_GPA:
		return map_gpa(regs->r12, regs->r13);
	case VMCALL_HLT:
		/* Sleep until an interrupt, then let the guest take it. */
		count.halts++;
		if (!svm_interrupt_pending())
			svm_inject_interrupt(svm_wait_for_interrupt());
		return VMCALL_SUCCESS;
	case VMCALL_IO:
		return vmcall_io(regs);
	case VMCALL_MMIO:
		return vmcall_mmio(regs);
	case VMCALL_REPORT_FATAL_ERROR:
		report_fatal_error(v, regs);
	}
	stop(v, "unimplemented TDG.VP.VMCALL", regs->r11);
}

/* RAX: the leaf, then the module's status.  exit.c advances RIP. */
void tdx_call(struct vmcb *v, struct guest_regs *regs)
{
	u64 leaf = v->save.rax, value = 0;

	count.calls++;
	switch (leaf) {
	case TDG_VP_VMCALL:
		regs->r10 = vmcall(v, regs);
		v->save.rax = TDX_SUCCESS;
		return;
	case TDG_VP_INFO:
		regs->rcx = GPA_WIDTH;
		regs->rdx = TDX_ATTR_SEPT_VE_DISABLE;
		regs->r8 = 1UL << 32 | 1;	/* max and current vCPUs */
		regs->r9 = 0;
		regs->r10 = 0;
		regs->r11 = 0;
		v->save.rax = TDX_SUCCESS;
		return;
	case TDG_VM_RD:
		v->save.rax = vm_rd(regs->rdx, &value);
		regs->r8 = value;
		return;
	case TDG_VM_WR:
		v->save.rax = vm_wr(regs->rdx, regs->r8, regs->r9);
		return;
	case TDG_MEM_PAGE_ACCEPT:
		v->save.rax = accept(regs->rcx);
		return;
	case TDG_VP_VEINFO_GET:
		stop(v, "TDG.VP.VEINFO.GET without a #VE: leaf", leaf);
	}
	stop(v, "unimplemented TDCALL leaf", leaf);
}

void tdx_report(void)
{
	hv_printf("tdx: %lu TDCALLs, %lu VMCALLs; MapGPA %lu calls: %lu pages to shared, %lu to private; ACCEPT %lu calls, %lu pages; %lu halts\n",
		  count.calls, count.vmcalls, count.map_gpa, count.to_shared, count.to_private,
		  count.accept, count.accepted, count.halts);
	hv_printf("tdx: MapGPA of pages already there: %lu to shared, %lu to private\n",
		  count.already_shared, count.already_private);
}
