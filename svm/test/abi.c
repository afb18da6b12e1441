// SPDX-License-Identifier: GPL-2.0
/*
 * A test of what the SVM hypervisor emulates, from where a guest kernel
 * sees it: an L2 in long mode, ring 0.  It checks what a SEV guest reads
 * (CPUID 0x8000001f, SEV_STATUS), that the private view (the C-bit, GPA
 * bit 47, set in the guest's own PTEs) is other memory than the shared
 * one, that a TDCALL is caught and answered even across two private
 * pages, that what is hidden stays hidden (LA57, SVM), that the guest's
 * registers survive exits and that the guest's own exceptions reach its
 * IDT.  Prints KTAP on COM1 (port I/O, straight to QEMU) and ends with
 * HLT, the hypervisor's cue to report and power off.  Booted in place of
 * a kernel by "scripts/svm.sh --abi-test".
 */
#include "lib.h"

#define CBIT			47			/* what CPUID must say */
#define C_BIT			BIT(CBIT)
#define TDCALL_ANSWER		TDX_OPERAND_INVALID	/* hv/exit.c, outside TDX mode */

/*
 * Free guest RAM for the test (hv.h: guest RAM is GPA 0-256 MiB, the
 * image at 2 MiB), and where the test maps its private view: PML4 slot 1,
 * which the hypervisor's identity map leaves empty.
 */
#define DATA_GPA		0x01000000UL	/* a 2 MiB page */
#define CODE_GPA		0x01200000UL	/* two 4 KiB pages */
#define PRIV_VA			BIT(39)
#define PRIV_DATA_VA		PRIV_VA				/* DATA_GPA | C */
#define PRIV_CODE_VA		(PRIV_VA + 0x200000UL)		/* CODE_GPA pages, swapped */


static u64 pdpt[512] __aligned(4096);
static u64 pd[512] __aligned(4096);
static u64 pt[512] __aligned(4096);

static u64 tdcall(u64 leaf)
{
	asm volatile(".byte 0x66, 0x0f, 0x01, 0xcc" : "+a"(leaf) : : "memory");
	return leaf;
}

/*
 * The private view, as a SEV guest maps private memory: PTEs with the
 * C-bit.  PRIV_DATA_VA is DATA_GPA's 2 MiB with the C-bit; PRIV_CODE_VA's
 * two 4 KiB pages are CODE_GPA's, swapped, so that an instruction across
 * them is not contiguous in any physical space.  The image and its .bss
 * are identity mapped, so a table's address is its GPA.
 */
static void map_private(void)
{
	u64 cr3, *pml4;

	asm volatile("mov %%cr3, %0" : "=r"(cr3));
	pml4 = (u64 *)(cr3 & PTE_ADDR_MASK);
	pd[0] = DATA_GPA | C_BIT | PTE_P | PTE_RW | PTE_PS;
	pd[1] = (u64)pt | PTE_P | PTE_RW;
	pt[0] = (CODE_GPA + 0x1000) | C_BIT | PTE_P | PTE_RW;
	pt[1] = CODE_GPA | C_BIT | PTE_P | PTE_RW;
	pdpt[0] = (u64)pd | PTE_P | PTE_RW;
	pml4[PRIV_VA >> 39] = (u64)pdpt | PTE_P | PTE_RW;
	asm volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

/* Values in registers the hypervisor does not answer in, across exits. */
static u64 gprs_changed(void)
{
	u64 out[9], bad = 0;

	asm volatile("mov $0x1111111111111111, %%r8\n\t"
		     "mov $0x2222222222222222, %%r9\n\t"
		     "mov $0x3333333333333333, %%r10\n\t"
		     "mov $0x4444444444444444, %%r11\n\t"
		     "mov $0x5555555555555555, %%r12\n\t"
		     "mov $0x6666666666666666, %%r13\n\t"
		     "mov $0x7777777777777777, %%r14\n\t"
		     "mov $0x8888888888888888, %%r15\n\t"
		     "mov $0x9999999999999999, %%rsi\n\t"
		     "xor %%eax, %%eax\n\t"
		     "xor %%ecx, %%ecx\n\t"
		     "cpuid\n\t"
		     "mov $0xc0010131, %%ecx\n\t"
		     "rdmsr\n\t"
		     ".byte 0x66, 0x0f, 0x01, 0xcc\n\t"
		     "mov %%r8, 0(%%rdi)\n\t"
		     "mov %%r9, 8(%%rdi)\n\t"
		     "mov %%r10, 16(%%rdi)\n\t"
		     "mov %%r11, 24(%%rdi)\n\t"
		     "mov %%r12, 32(%%rdi)\n\t"
		     "mov %%r13, 40(%%rdi)\n\t"
		     "mov %%r14, 48(%%rdi)\n\t"
		     "mov %%r15, 56(%%rdi)\n\t"
		     "mov %%rsi, 64(%%rdi)"
		     : : "D"(out)
		     : "rax", "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11",
		       "r12", "r13", "r14", "r15", "memory");
	for (int i = 0; i < 9; i++)
		if (out[i] != 0x1111111111111111UL * (i + 1))
			bad |= BIT(i);
	return bad;
}

#define NR_CASES	12

void abi_main(void)
{
	volatile u64 *shared = (u64 *)DATA_GPA, *priv = (u64 *)PRIV_DATA_VA;
	volatile u8 *code = (u8 *)(PRIV_CODE_VA + 0xffe);
	u64 v, bad, max_ext;
	u32 r[4];
	int i;

	idt_init();
	map_private();
	ktap_plan(NR_CASES);

	cpuid(0x80000000, 0, r);
	max_ext = r[0];
	cpuid(0x8000001f, 0, r);
	expect("cpuid_8000001f_sev", max_ext >= 0x8000001f && (r[0] & BIT(1)), r[0]);
	expect("cpuid_8000001f_cbit_47", (r[1] & 0x3f) == CBIT, r[1]);
	cpuid(7, 0, r);
	expect("cpuid_la57_hidden", !(r[2] & BIT(16)), r[2]);
	cpuid(0x80000001, 0, r);
	expect("cpuid_svm_hidden", !(r[2] & CPUID_SVM), r[2]);

	v = rdmsr(MSR_SEV_STATUS);
	expect("sev_status_sev_enabled", v & BIT(0), v);
	fault_count = 0;
	fault_vector = 0;
	fault_skip = 2;
	asm volatile("wrmsr" : : "c"(MSR_SEV_STATUS), "a"(0), "d"(0) : "memory");
	expect("sev_status_write_gp", fault_count == 1 && fault_vector == VEC_GP, fault_vector);

	bad = gprs_changed();
	expect("gprs_kept_across_exits", !bad, bad);

	/* Shared and private views of one GPA are different memory. */
	for (i = 0; i < 512; i++)
		shared[i] = 0x5a5a000000000000UL + i;
	bad = 0;
	for (i = 0; i < 512; i++)
		if (priv[i] == 0x5a5a000000000000UL + i)
			bad++;
	expect("private_alias_is_other_memory", !bad, priv[0]);
	for (i = 0; i < 512; i++)
		priv[i] = 0xa5a5000000000000UL + i;
	bad = 0;
	for (i = 0; i < 512; i++)
		if (shared[i] != 0x5a5a000000000000UL + i || priv[i] != 0xa5a5000000000000UL + i)
			bad++;
	expect("private_write_leaves_shared", !bad, shared[0]);

	v = tdcall(1);		/* TDG.VP.INFO */
	expect("tdcall_caught", v == TDCALL_ANSWER, v);

	/* TDCALL; RET, written and run through the private view. */
	code[0] = 0x66;
	code[1] = 0x0f;
	code[2] = 0x01;
	code[3] = 0xcc;
	code[4] = 0xc3;
	v = 1;
	asm volatile("call *%1" : "+a"(v) : "r"(code) : "memory", "cc");
	expect("tdcall_across_private_pages", v == TDCALL_ANSWER, v);

	/* Any other #UD is the guest's own. */
	fault_count = 0;
	fault_vector = 0;
	fault_skip = 2;
	asm volatile("ud2" : : : "memory");
	expect("ud2_reflected", fault_count == 1 && fault_vector == VEC_UD, fault_vector);

	/* Done: the hypervisor reports and powers off. */
	asm volatile("hlt");
	puts_uart("# HLT returned: the hypervisor did not finish the run\n");
}
