/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry points, the EL2 vector table and the few things C cannot do:
 * the ERET into the kernel and the SMC that reaches QEMU's own PSCI.
 */

#define FRAME_SIZE	(34 * 8)	/* struct trap_frame */
#define STACK_SIZE	0x4000		/* fw.h */
#define MAX_CPUS	8

	.section .text.boot, "ax"

/*
 * CPU 0 starts here at EL2, MMU off, from QEMU's "-device loader" of
 * this ELF (cpu-num=0).  The other vCPUs stay powered off until the
 * firmware asks QEMU's PSCI to start them (psci.c), but a CPU that
 * arrives here anyway is parked.
 */
	.globl	_start
_start:
	mrs	x0, mpidr_el1
	and	x1, x0, #0xff
	ubfx	x2, x0, #8, #8
	orr	x1, x1, x2, lsl #4
	cbz	x1, 1f
0:	wfe
	b	0b

	/* .bss holds the stacks: clear it before the first call. */
1:	adrp	x0, __bss_start
	add	x0, x0, :lo12:__bss_start
	adrp	x1, __bss_end
	add	x1, x1, :lo12:__bss_end
2:	cmp	x0, x1
	b.hs	3f
	stp	xzr, xzr, [x0], #16
	b	2b
3:	mov	x0, #0
	bl	stack_top
	mov	sp, x0
	bl	fw_main
	b	.

/*
 * A secondary vCPU, started by QEMU's PSCI CPU_ON on the firmware's
 * request: EL2, MMU off, x0 = its cpu index.
 */
	.globl	secondary_entry
secondary_entry:
	bl	stack_top
	mov	sp, x0
	bl	secondary_main
	b	.

	.text

/* u64 stack_top(unsigned int cpu): leaves x1-x7 alone. */
	.globl	stack_top
stack_top:
	cmp	x0, #MAX_CPUS
	b.hs	fatal_early
	add	x0, x0, #1
	adrp	x8, stacks
	add	x8, x8, :lo12:stacks
	add	x0, x8, x0, lsl #14		/* STACK_SIZE == 1 << 14 */
	ret
fatal_early:
	wfe
	b	fatal_early

/*
 * enter_el1(entry, x0, sp): drop to EL1h with DAIF masked and the MMU
 * off, as Documentation/arch/arm64/booting.rst asks, leaving SP_EL2 at
 * the top of this CPU's stack for the traps to come.
 */
	.globl	enter_el1
enter_el1:
	msr	elr_el2, x0
	mov	x3, #0x3c5			/* EL1h, D, A, I, F masked */
	msr	spsr_el2, x3
	mov	sp, x2
	mov	x0, x1
	mov	x1, xzr
	mov	x2, xzr
	mov	x3, xzr
	isb
	eret

/*
 * u64 qemu_psci(fid, a1, a2, a3): an SMC from EL2.  There is no EL3;
 * QEMU's virt board, whose PSCI conduit is SMC when virtualization=on,
 * answers PSCI function ids itself and any other SMC is UNDEFINED, so
 * only PSCI ids may come here (psci.c).
 */
	.globl	qemu_psci
qemu_psci:
	smc	#0
	ret

/* A test-and-set lock; the firmware has no MMU, QEMU TCG still honours
 * exclusives (real hardware would want the EL2 MMU on first). */
	.globl	spin_lock
spin_lock:
	mov	w2, #1
	sevl
1:	wfe
2:	ldaxr	w1, [x0]
	cbnz	w1, 1b
	stxr	w1, w2, [x0]
	cbnz	w1, 2b
	ret

	.globl	spin_unlock
spin_unlock:
	stlr	wzr, [x0]
	sev
	ret

/* ---- vectors ---------------------------------------------------------- */

	.macro	save_frame
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #16 * 0]
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
	mrs	x0, elr_el2
	stp	x30, x0, [sp, #16 * 15]
	mrs	x0, spsr_el2
	str	x0, [sp, #16 * 16]
	.endm

	/* Anything but a lower-EL AArch64 synchronous exception is a bug. */
	.macro	bad_vector kind
	.balign	0x80
	mov	x0, #\kind
	b	trap_bad
	.endm

	.balign	0x800
	.globl	vectors
vectors:
	bad_vector 0	/* current EL, SP0: sync */
	bad_vector 1	/* irq */
	bad_vector 2	/* fiq */
	bad_vector 3	/* serror */
	bad_vector 4	/* current EL, SPx: sync (a fault in the firmware) */
	bad_vector 5
	bad_vector 6
	bad_vector 7
	.balign	0x80	/* lower EL, AArch64: sync (the kernel's SMC) */
	b	trap_lower_sync
	bad_vector 9	/* irq: HCR_EL2.IMO is clear, so never */
	bad_vector 10	/* fiq: FMO clear */
	bad_vector 11	/* serror: AMO clear */
	bad_vector 12	/* lower EL, AArch32 */
	bad_vector 13
	bad_vector 14
	bad_vector 15

trap_lower_sync:
	save_frame
	mov	x0, sp
	bl	trap_sync
	ldr	x0, [sp, #16 * 16]
	msr	spsr_el2, x0
	ldp	x30, x0, [sp, #16 * 15]
	msr	elr_el2, x0
	ldp	x0, x1, [sp, #16 * 0]
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x18, x19, [sp, #16 * 9]
	ldp	x20, x21, [sp, #16 * 10]
	ldp	x22, x23, [sp, #16 * 11]
	ldp	x24, x25, [sp, #16 * 12]
	ldp	x26, x27, [sp, #16 * 13]
	ldp	x28, x29, [sp, #16 * 14]
	add	sp, sp, #FRAME_SIZE
	eret

	/* x0 = vector number; trap_bad() prints the syndrome and stops. */
trap_bad:
	bl	trap_bad_c
	b	.

	.bss
	.balign	16
	.globl	stacks
stacks:
	.space	STACK_SIZE * MAX_CPUS
