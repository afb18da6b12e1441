/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ABI test's entry: an arm64 Image header (booting.rst), so that the
 * firmware boots it exactly as it boots Linux, at EL1 with the MMU off
 * and x0 = the DTB, and a secondary entry for the CPU_ON test.
 */
	.section .text.head, "ax"
	.globl	_head
_head:
	b	primary			/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset */
	.quad	__image_end - _head	/* image_size */
	.quad	0xa			/* flags: LE, 4K pages, anywhere */
	.quad	0, 0, 0			/* res2-4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5 */

primary:
	adrp	x1, stack_top
	add	x1, x1, :lo12:stack_top
	mov	sp, x1
	bl	abi_main
	b	.

/*
 * The CPU_ON target: record what the firmware entered it with (x0, the
 * exception level) in the mailbox, then power off again.  No stack.
 */
	.globl	secondary
secondary:
	adrp	x1, mailbox
	add	x1, x1, :lo12:mailbox
	mrs	x2, CurrentEL
	stp	x0, x2, [x1, #8]
	ldr	x3, [x1]
	add	x3, x3, #1
	str	x3, [x1]		/* mailbox.arrivals, written last */
	dsb	sy
	mov	x0, #0x84000000
	orr	x0, x0, #2		/* PSCI CPU_OFF */
	smc	#0
	b	.

	.bss
	.balign	16
	.space	0x4000
stack_top:
