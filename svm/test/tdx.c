// SPDX-License-Identifier: GPL-2.0
/*
 * A test of the hypervisor's TDX mode, from where a TDX guest sees it: the
 * CPUID it reads, the emulated TDX module's answers (TDG.VP.INFO,
 * TDG.VM.RD/WR, MapGPA, TDG.MEM.PAGE.ACCEPT) and the nested tables that
 * enforce them: after MapGPA to shared the shared alias is other memory,
 * ACCEPT takes only a pending page and zeroes it; a TDCALL from ring 3
 * (user.S) is the CPU's #GP, not a call of the module; and at the end a read
 * through the private view of a shared page, which the hypervisor must
 * stop (scripts/svm.sh checks its STOP line).  Launched into the private
 * view, whose GPAs carry no bit; prints KTAP on COM1.
 */
#include "lib.h"

#define SHARED_BIT		BIT(47)

#define TDG_VP_VMCALL		0
#define TDG_VP_INFO		1
#define TDG_MEM_PAGE_ACCEPT	6
#define TDG_VM_RD		7
#define TDG_VM_WR		8
#define TDCS_TD_CTLS		0x1110000300000017UL
#define TD_CTLS_REDUCE_VE	BIT(3)
#define VMCALL_MAP_GPA		0x10001
#define VMCALL_IO		30
#define VMCALL_INVALID_OPERAND	0x8000000000000000UL
#define HV_MARK_PORT		0x0ac0
#define COM1_LSR		0x3fd
#define LSR_THRE		BIT(5)

/* A 4 KiB page of free guest RAM, and where the test maps its shared alias. */
#define DATA_GPA		0x01000000UL
#define SHARED_VA		BIT(39)

struct tdx_regs {
	u64 rax, rcx, rdx, r8, r9, r10, r11, r12, r13, r14, r15;
};

static u64 pdpt[512] __aligned(4096);
static u64 pd[512] __aligned(4096);
static u64 pt[512] __aligned(4096);

static void tdcall(struct tdx_regs *t)
{
	register u64 r8 asm("r8") = t->r8;
	register u64 r9 asm("r9") = t->r9;
	register u64 r10 asm("r10") = t->r10;
	register u64 r11 asm("r11") = t->r11;
	register u64 r12 asm("r12") = t->r12;
	register u64 r13 asm("r13") = t->r13;
	register u64 r14 asm("r14") = t->r14;
	register u64 r15 asm("r15") = t->r15;

	asm volatile(".byte 0x66, 0x0f, 0x01, 0xcc"
		     : "+a"(t->rax), "+c"(t->rcx), "+d"(t->rdx), "+r"(r8), "+r"(r9),
		       "+r"(r10), "+r"(r11), "+r"(r12), "+r"(r13), "+r"(r14), "+r"(r15)
		     : : "memory");
	t->r8 = r8;
	t->r9 = r9;
	t->r10 = r10;
	t->r11 = r11;
	t->r12 = r12;
	t->r13 = r13;
	t->r14 = r14;
	t->r15 = r15;
}

/* TDG.VP.VMCALL<MapGPA>: R10 is the host's status. */
static u64 map_gpa(u64 gpa, u64 size)
{
	struct tdx_regs t = { .rax = TDG_VP_VMCALL, .r11 = VMCALL_MAP_GPA,
			      .r12 = gpa, .r13 = size };

	tdcall(&t);
	return t.rax ? t.rax : t.r10;
}

/* TDG.VP.VMCALL<Instruction.IO>: R10 is the host's status, R11 what IN read. */
static u64 port_io(unsigned int size, bool write, u16 port, u64 value, u64 *read)
{
	struct tdx_regs t = { .rax = TDG_VP_VMCALL, .r11 = VMCALL_IO, .r12 = size,
			      .r13 = write, .r14 = port, .r15 = value };

	tdcall(&t);
	*read = t.r11;
	return t.rax ? t.rax : t.r10;
}

static u64 accept(u64 gpa)
{
	struct tdx_regs t = { .rax = TDG_MEM_PAGE_ACCEPT, .rcx = gpa };

	tdcall(&t);
	return t.rax;
}

/*
 * Ring 3 (user.S): a GDT with user segments and a TSS whose RSP0 takes
 * the #GP from ring 3, and the first GiB mapped again at USER_VA with
 * the user bit at every level (the boot tables have none).
 */
#define KERNEL_CS		0x08	/* head.S's selectors, kept */
#define USER_DS			(0x18 | 3)
#define USER_CS			(0x20 | 3)
#define TSS_SEL			0x28
#define USER_VA			BIT(40)	/* PML4 slot 2 */
#define SZ_2M			0x200000UL

extern char user_return_entry[], user_tdcall[];
u64 run_user(u64 rip, u64 rsp, u64 cs, u64 ss);

static u64 gdt[7] __aligned(16);
static u32 tss[26] __aligned(16);	/* 104 bytes: RSP0 at byte 4 */
static u8 ring0_stack[4096] __aligned(16);
static u8 user_stack[4096] __aligned(16);
static u64 user_pdpt[512] __aligned(4096);
static u64 user_pd[512] __aligned(4096);

static bool ring3_init(u64 *pml4)
{
	u64 base = (u64)tss, rsp0 = (u64)ring0_stack + sizeof(ring0_stack);
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (u64)gdt };
	int i;

	gdt[1] = 0x00af9b000000ffffUL;	/* ring 0 64-bit code, as head.S's */
	gdt[2] = 0x00cf93000000ffffUL;	/* ring 0 data */
	gdt[3] = 0x00cff3000000ffffUL;	/* ring 3 data */
	gdt[4] = 0x00affb000000ffffUL;	/* ring 3 64-bit code */
	gdt[5] = (sizeof(tss) - 1) | (base & 0xffffff) << 16 | 0x89UL << 40 |
		 (base >> 24 & 0xff) << 56;	/* available 64-bit TSS */
	gdt[6] = base >> 32;
	tss[1] = (u32)rsp0;
	tss[2] = (u32)(rsp0 >> 32);
	tss[25] = sizeof(tss) << 16;	/* no I/O permission bitmap */
	asm volatile("lgdt %0" : : "m"(gdtr));
	asm volatile("ltr %w0" : : "r"((u16)TSS_SEL));

	for (i = 0; i < 512; i++)
		user_pd[i] = i * SZ_2M | PTE_P | PTE_RW | PTE_US | PTE_PS;
	user_pdpt[0] = (u64)user_pd | PTE_P | PTE_RW | PTE_US;
	pml4[USER_VA >> 39] = (u64)user_pdpt | PTE_P | PTE_RW | PTE_US;
	return idt_set(VEC_USER_RETURN, idt_user_gate(KERNEL_CS, user_return_entry));
}

/* SHARED_VA: DATA_GPA with the shared bit, in PML4 slot 1. */
static void map_shared_alias(u64 *pml4)
{
	pt[0] = DATA_GPA | SHARED_BIT | PTE_P | PTE_RW;
	pd[0] = (u64)pt | PTE_P | PTE_RW;
	pdpt[0] = (u64)pd | PTE_P | PTE_RW;
	pml4[SHARED_VA >> 39] = (u64)pdpt | PTE_P | PTE_RW;
}

#define NR_CASES	19

void abi_main(void)
{
	volatile u64 *priv = (u64 *)DATA_GPA, *shared = (u64 *)SHARED_VA;
	struct tdx_regs t;
	u64 v, bad, cr3, *pml4;
	bool ring3;
	u32 r[4];
	int i;

	idt_init();
	asm volatile("mov %%cr3, %0" : "=r"(cr3));
	pml4 = (u64 *)(cr3 & PTE_ADDR_MASK);
	map_shared_alias(pml4);
	ring3 = ring3_init(pml4);
	asm volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
	ktap_plan(NR_CASES);

	cpuid(0, 0, r);
	expect("cpuid_vendor_genuineintel",
	       r[1] == 0x756e6547 && r[3] == 0x49656e69 && r[2] == 0x6c65746e, r[1]);
	cpuid(0x21, 0, r);
	expect("cpuid_21_inteltdx",
	       r[1] == 0x65746e49 && r[3] == 0x5844546c && r[2] == 0x20202020, r[1]);
	cpuid(0x8000001f, 0, r);
	expect("cpuid_8000001f_no_sev", !(r[0] & BIT(1)), r[0]);

	t = (struct tdx_regs){ .rax = TDG_VP_INFO };
	tdcall(&t);
	expect("vp_info_gpaw_48", !t.rax && (t.rcx & 0x3f) == 48, t.rax ? t.rax : t.rcx);
	expect("vp_info_sept_ve_disable", !t.rax && (t.rdx & BIT(28)), t.rdx);

	t = (struct tdx_regs){ .rax = TDG_VM_WR, .rdx = TDCS_TD_CTLS,
			       .r8 = TD_CTLS_REDUCE_VE, .r9 = TD_CTLS_REDUCE_VE };
	tdcall(&t);
	v = t.rax;
	t = (struct tdx_regs){ .rax = TDG_VM_RD, .rdx = TDCS_TD_CTLS };
	tdcall(&t);
	expect("vm_wr_rd_td_ctls", !v && !t.rax && (t.r8 & TD_CTLS_REDUCE_VE), v ? v : t.r8);
	t = (struct tdx_regs){ .rax = TDG_VM_RD, .rdx = 0x1234 };
	tdcall(&t);
	expect("vm_rd_unknown_field_refused", t.rax == TDX_OPERAND_INVALID, t.rax);

	for (i = 0; i < 512; i++)
		priv[i] = 0xa5a5000000000000UL + i;
	expect("private_page_written", priv[511] == 0xa5a5000000000000UL + 511, priv[511]);

	v = map_gpa(DATA_GPA | SHARED_BIT, PAGE_SIZE);
	expect("map_gpa_to_shared", !v, v);
	bad = 0;
	for (i = 0; i < 512; i++)
		bad += shared[i] == 0xa5a5000000000000UL + i;
	expect("shared_alias_is_other_memory", !bad, shared[0]);
	v = accept(DATA_GPA);
	expect("accept_refuses_a_shared_page", v == TDX_OPERAND_INVALID, v);

	v = map_gpa(DATA_GPA, PAGE_SIZE);
	expect("map_gpa_to_private", !v, v);
	v = accept(DATA_GPA);
	bad = 0;
	for (i = 0; !v && i < 512; i++)
		bad += priv[i] != 0;
	expect("accept_zeroes_the_page", !v && !bad, v ? v : bad);
	v = accept(DATA_GPA);
	expect("accept_twice_refused", v == TDX_OPERAND_INVALID, v);
	v = map_gpa(0x40000000UL | SHARED_BIT, PAGE_SIZE);
	expect("map_gpa_outside_ram_refused", v != 0, v);

	/*
	 * Port I/O through the host: a read of COM1's line status, a write
	 * to the mark port that the hypervisor itself must take (svm.sh
	 * looks for the line announced here), and a size no I/O has.
	 */
	v = port_io(1, false, COM1_LSR, 0, &bad);
	expect("vmcall_io_read", !v && (bad & LSR_THRE), v ? v : bad);
	puts_uart("# hv should print: mark 5:\n");
	v = port_io(1, true, HV_MARK_PORT, 5, &bad);
	expect("vmcall_io_mark_port", !v, v);
	v = port_io(3, true, 0x80, 0, &bad);
	expect("vmcall_io_size_3_refused", v == VMCALL_INVALID_OPERAND, v);

	/*
	 * TDCALL at CPL 3: the CPU's #GP(0), not the module's answer (which
	 * would clear RAX) and not a #UD.
	 */
	fault_count = 0;
	fault_vector = 0;
	fault_skip = 4;
	v = ring3 ? run_user(USER_VA + (u64)user_tdcall,
			     USER_VA + (u64)user_stack + sizeof(user_stack),
			     USER_CS, USER_DS) : ~0UL;
	fault_skip = 0;
	expect("tdcall_at_cpl3_is_gp", ring3 && v == TDG_VP_INFO && fault_count == 1 &&
	       fault_vector == VEC_GP, fault_count == 1 ? fault_vector : v);

	/* Last: the private view of a shared page.  The hypervisor stops here. */
	v = map_gpa(DATA_GPA | SHARED_BIT, PAGE_SIZE);
	puts_uart("# reading the private view of a page the guest made shared\n");
	v += priv[0];
	puts_uart("# the read was not stopped\n");
	asm volatile("hlt" : : "a"(v));
}
