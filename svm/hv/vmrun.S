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

/*
 * Every guest GPR but RDI, which holds &regs while the others move; the
 * callers move RDI themselves.
 */
.macro for_each_gpr_but_rdi op
	\op rbx, GR_RBX
	\op rcx, GR_RCX
	\op rdx, GR_RDX
	\op rsi, GR_RSI
	\op rbp, GR_RBP
	\op r8, GR_R8
	\op r9, GR_R9
	\op r10, GR_R10
	\op r11, GR_R11
	\op r12, GR_R12
	\op r13, GR_R13
	\op r14, GR_R14
	\op r15, GR_R15
.endm

.macro load_gpr reg, off
	movq	\off(%rdi), %\reg
.endm

.macro store_gpr reg, off
	movq	%\reg, \off(%rdi)
.endm

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
	for_each_gpr_but_rdi load_gpr
	movq	GR_RDI(%rdi), %rdi
	vmload	%rax
	vmrun	%rax
	vmsave	%rax
	pushq	%rdi			/* the guest's RDI */
	movq	8(%rsp), %rdi		/* regs */
	for_each_gpr_but_rdi store_gpr
	popq	GR_RDI(%rdi)
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
