/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The world switch: one trip into the guest and back.
 *
 * VMRUN loads and #VMEXIT stores only part of the guest's state in the
 * VMCB (RIP, RSP, RAX, control registers, CS/SS/DS/ES, GDTR, IDTR); the
 * other general-purpose registers stay in the CPU, so they are loaded
 * from struct guest_regs before and stored after.  FS, GS, TR, LDTR,
 * KernelGsBase and the SYSCALL/SYSENTER MSRs are VMLOAD/VMSAVE state:
 * VMLOAD puts the guest's in the CPU before VMRUN, VMSAVE keeps them in
 * the VMCB after.  The hypervisor uses none of them itself, and no FPU,
 * SSE or AVX state (it is built without), so the guest's stays in place.
 *
 * After #VMEXIT the CPU has the host's RSP and RAX (the VMCB's address)
 * back from the host save area, and GIF is clear: the hypervisor runs
 * with every interrupt held off until the next VMRUN.
 */

/* struct guest_regs (hv.h) */
#define GR_RBX		0
#define GR_RCX		8
#define GR_RDX		16
#define GR_RSI		24
#define GR_RDI		32
#define GR_RBP		40
#define GR_R8		48
#define GR_R9		56
#define GR_R10		64
#define GR_R11		72
#define GR_R12		80
#define GR_R13		88
#define GR_R14		96
#define GR_R15		104

	.text
/* void svm_run(struct guest_regs *regs, u64 vmcb_pa) */
	.globl	svm_run
svm_run:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	pushq	%rdi			/* regs, for after the exit */
	movq	%rsi, %rax
	movq	GR_RBX(%rdi), %rbx
	movq	GR_RCX(%rdi), %rcx
	movq	GR_RDX(%rdi), %rdx
	movq	GR_RSI(%rdi), %rsi
	movq	GR_RBP(%rdi), %rbp
	movq	GR_R8(%rdi), %r8
	movq	GR_R9(%rdi), %r9
	movq	GR_R10(%rdi), %r10
	movq	GR_R11(%rdi), %r11
	movq	GR_R12(%rdi), %r12
	movq	GR_R13(%rdi), %r13
	movq	GR_R14(%rdi), %r14
	movq	GR_R15(%rdi), %r15
	movq	GR_RDI(%rdi), %rdi
	vmload	%rax
	vmrun	%rax
	vmsave	%rax
	pushq	%rdi
	movq	8(%rsp), %rdi
	movq	%rbx, GR_RBX(%rdi)
	movq	%rcx, GR_RCX(%rdi)
	movq	%rdx, GR_RDX(%rdi)
	movq	%rsi, GR_RSI(%rdi)
	movq	%rbp, GR_RBP(%rdi)
	movq	%r8, GR_R8(%rdi)
	movq	%r9, GR_R9(%rdi)
	movq	%r10, GR_R10(%rdi)
	movq	%r11, GR_R11(%rdi)
	movq	%r12, GR_R12(%rdi)
	movq	%r13, GR_R13(%rdi)
	movq	%r14, GR_R14(%rdi)
	movq	%r15, GR_R15(%rdi)
	popq	GR_RDI(%rdi)
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
