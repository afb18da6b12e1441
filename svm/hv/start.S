/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The multiboot v1 header and entry, and the few things C cannot do
 * before it runs: identity page tables, the switch to long mode, a GDT,
 * a stack, and the host's exception stubs.
 *
 * QEMU's multiboot loader (-kernel) takes only 32-bit images: this file
 * is linked into an x86-64 ELF that the Makefile turns into ELF32
 * (objcopy -O elf32-i386; every address is below 4 GiB), and its entry
 * is 32-bit code.  QEMU enters it in protected mode, paging off,
 * EAX = 0x2badb002, EBX = the multiboot information.
 */

#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003	/* modules page aligned, memory info */

#define CR0_PE		0x00000001
#define CR0_PG		0x80000000
#define CR4_PAE		0x00000020
#define MSR_EFER	0xc0000080
#define EFER_LME	0x00000100
#define PTE_PW		0x003		/* present, writable */
#define PDE_2M		0x083		/* present, writable, 2 MiB page */

#define KERNEL_CS	0x08
#define KERNEL_DS	0x10
#define STACK_SIZE	0x4000

	.section .text.boot, "ax"
	.code32
	.balign	4
mb_header:
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)

	.globl	_start
_start:
	cli
	cld
	/* Kept in .data: clearing .bss must not lose them. */
	movl	%eax, boot_magic
	movl	%ebx, boot_mbi

	/*
	 * .bss holds the page tables, the stack and every table of the
	 * hypervisor.  QEMU's ELF loader zeroes it already; clear it anyway,
	 * a reset or another loader may not.
	 */
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	shrl	$2, %ecx
	xorl	%eax, %eax
	rep stosl

	/*
	 * Identity map the first 4 GiB with 2 MiB pages: the hypervisor,
	 * the guest's RAM, the private RAM and the MMIO hole.  Nothing of
	 * ours lives above 4 GiB.
	 */
	movl	$host_pd, %edi
	movl	$PDE_2M, %eax
	movl	$2048, %ecx
1:	movl	%eax, (%edi)
	addl	$0x200000, %eax
	addl	$8, %edi
	loop	1b
	movl	$host_pdpt, %edi
	movl	$(host_pd + PTE_PW), %eax
	movl	$4, %ecx
2:	movl	%eax, (%edi)
	addl	$0x1000, %eax
	addl	$8, %edi
	loop	2b
	movl	$(host_pdpt + PTE_PW), host_pml4

	/* Long mode: PAE, then EFER.LME, then paging. */
	movl	$host_pml4, %eax
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_PE), %eax
	movl	%eax, %cr0
	lgdt	gdt_ptr
	ljmp	$KERNEL_CS, $start64

	.code64
start64:
	movl	$KERNEL_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	movq	$stack_top, %rsp
	movl	boot_magic, %edi
	movl	boot_mbi, %esi
	call	hv_main
3:	hlt
	jmp	3b

/*
 * Host exception stubs, 16 bytes each so that C finds vector n at
 * exc_stubs + 16 * n (main.c builds the IDT).  The hypervisor runs with
 * interrupts off, so only its own bugs come here: host_exception() says
 * where and powers off.
 */
	.macro	exc_stub vec
	.balign	16
	/* These vectors push an error code, the others do not. */
	.if !(\vec == 8 || \vec == 10 || \vec == 11 || \vec == 12 || \vec == 13 || \vec == 14 || \vec == 17 || \vec == 21 || \vec == 29 || \vec == 30)
	pushq	$0
	.endif
	pushq	$\vec
	jmp	exc_common
	.endm

	.text
	.balign	16
	.globl	exc_stubs
exc_stubs:
	.irp	v, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	exc_stub \v
	.endr

/*
 * Interrupt stubs for vectors 32-255, 16 bytes each from irq_stubs.  The
 * hypervisor takes an interrupt only while it waits for one on a TDX
 * guest's HLT (svm.c svm_wait_for_interrupt()): irq_common records the
 * vector for it to inject into the guest, sends no EOI (the guest's
 * handler does) and returns with IF clear, so that no second interrupt
 * overwrites the first.
 */
	.balign	16
	.globl	irq_stubs
irq_stubs:
	.set	vec, 32
	.rept	224
	.balign	16
	pushq	$vec
	jmp	irq_common
	.set	vec, vec + 1
	.endr

	/* Stack: RAX, vector, RIP, CS, RFLAGS, RSP, SS. */
irq_common:
	pushq	%rax
	movq	8(%rsp), %rax
	movl	%eax, hv_irq_vector
	andq	$~0x200, 32(%rsp)	/* RFLAGS.IF */
	popq	%rax
	addq	$8, %rsp
	iretq

	/* Stack: vector, error code, RIP, CS, RFLAGS, RSP, SS. */
exc_common:
	movq	(%rsp), %rdi
	movq	8(%rsp), %rsi
	movq	16(%rsp), %rdx
	movq	%cr2, %rcx
	andq	$-16, %rsp
	call	host_exception
4:	hlt
	jmp	4b

	.section .rodata
	.balign	8
gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* KERNEL_CS: 64-bit code */
	.quad	0x00cf92000000ffff	/* KERNEL_DS: flat data */
gdt_end:
gdt_ptr:
	.word	gdt_end - gdt - 1
	.long	gdt

	.data
	.balign	4
boot_magic:
	.long	0
boot_mbi:
	.long	0

	.bss
	.balign	4096
host_pml4:
	.space	4096
host_pdpt:
	.space	4096
host_pd:
	.space	4 * 4096
	.balign	16
	.space	STACK_SIZE
stack_top:
