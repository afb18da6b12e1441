/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ring 3 for the TDX ABI test (tdx.c).  run_user() enters code at CPL 3
 * with IRETQ and comes back, as if it had returned, when that code raises
 * USER_RETURN_VEC through an interrupt gate of DPL 3 (the only way up
 * from ring 3 that needs no MSR setup).  user_tdcall is such code: a
 * TDCALL of TDG.VP.INFO, which a CPU refuses outside ring 0 with #GP(0)
 * before the TDX module sees it; RAX comes back as the code left it.
 */
#define KERNEL_DS	0x10
#define USER_RETURN_VEC	0x81	/* lib.h's VEC_USER_RETURN */

	.text
/* u64 run_user(u64 rip, u64 rsp, u64 cs, u64 ss) */
	.globl	run_user
run_user:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, saved_rsp(%rip)
	pushq	%rcx		/* SS */
	pushq	%rsi		/* RSP */
	pushq	$0x2		/* RFLAGS: interrupts stay off */
	pushq	%rdx		/* CS */
	pushq	%rdi		/* RIP */
	iretq

/*
 * The gate of USER_RETURN_VEC: the frame on the TSS's ring-0 stack is
 * dropped, run_user()'s own stack taken back.  Going to ring 3 nulled
 * DS and ES (their DPL is 0), coming back nulled SS: all three reloaded.
 */
	.globl	user_return_entry
user_return_entry:
	movq	saved_rsp(%rip), %rsp
	movl	$KERNEL_DS, %ecx
	movl	%ecx, %ds
	movl	%ecx, %es
	movl	%ecx, %ss
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret

	.globl	user_tdcall
user_tdcall:
	movl	$1, %eax			/* TDG.VP.INFO */
	.byte	0x66, 0x0f, 0x01, 0xcc		/* TDCALL */
	int	$USER_RETURN_VEC

	.bss
	.balign	8
saved_rsp:
	.quad	0
