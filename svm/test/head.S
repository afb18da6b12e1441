/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ABI test's entry.  The hypervisor enters it at its first byte in
 * long mode, with its own GDT and identity page tables (hv/guest.c);
 * the test loads a GDT and stack of its own, so that it depends on no
 * more than Linux's 64-bit boot protocol promises, clears its .bss
 * (the image is flat: .bss was never in the file) and calls abi_main().
 * Also the exception entries abi.c points its IDT at.
 */
#define KERNEL_CS	0x08
#define KERNEL_DS	0x10

	.section .text.head, "ax"
	.code64
	.globl	_head
_head:
	cli
	lgdt	gdt_ptr(%rip)
	leaq	1f(%rip), %rax
	pushq	$KERNEL_CS
	pushq	%rax
	lretq
1:	movl	$KERNEL_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	leaq	__bss_start(%rip), %rdi
	leaq	__bss_end(%rip), %rcx
	subq	%rdi, %rcx
	xorl	%eax, %eax
	cld
	rep stosb
	leaq	stack_top(%rip), %rsp
	call	abi_main
2:	hlt
	jmp	2b

	.text
/*
 * #UD (no error code) and #GP (error code): note the vector, count it,
 * step over the faulting instruction by fault_skip bytes (set by the case
 * that expects the fault) and return.
 */
	.globl	ud_entry
ud_entry:
	pushq	$0
	pushq	$6
	jmp	fault_common

	.globl	gp_entry
gp_entry:
	pushq	$13
	jmp	fault_common

	/* Stack: vector, error code, RIP, CS, RFLAGS, RSP, SS. */
fault_common:
	pushq	%rax
	movq	8(%rsp), %rax
	movq	%rax, fault_vector(%rip)
	incq	fault_count(%rip)
	movq	fault_skip(%rip), %rax
	addq	%rax, 24(%rsp)
	popq	%rax
	addq	$16, %rsp
	iretq

	.section .rodata
	.balign	8
gdt:
	.quad	0
	.quad	0x00af9b000000ffff	/* KERNEL_CS: 64-bit code */
	.quad	0x00cf93000000ffff	/* KERNEL_DS: flat data */
gdt_end:
gdt_ptr:
	.word	gdt_end - gdt - 1
	.quad	gdt

	.bss
	.balign	16
	.space	0x4000
stack_top:
