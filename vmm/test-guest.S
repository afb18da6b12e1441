/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tiny "kernels" that misbehave, for the VMM's bad-input tests
 * (vmm/host-init.c): each is an arm64 Image (the boot protocol's 64-byte
 * header, then code) and is built three times by scripts/pkvm.sh:
 *   -DBAD_MMIO     store to an address where no device lives
 *   -DBAD_FEATURE  accept a virtio-blk feature the VMM did not offer
 *   -DSPIN         never power off
 * The VMM must stop each with an error and a non-zero exit status.
 */
#include "layout.h"

	.text
	.globl	_start
_start:
	b	code			/* code0, code1 */
	.long	0
	.quad	0			/* text_offset */
	.quad	image_end - _start	/* image_size */
	.quad	0			/* flags */
	.quad	0, 0, 0			/* res2-res4 */
	.long	0x644d5241		/* "ARM\x64" */
	.long	0			/* res5 */
code:
#if defined(BAD_MMIO)
	ldr	x1, =0x0c000000		/* between the devices and RAM */
	str	w0, [x1]
#elif defined(BAD_FEATURE)
	ldr	x1, =(VIRTIO_MMIO_BASE + VIRTIO_BLK_SLOT * VIRTIO_MMIO_SIZE)
	str	wzr, [x1, #0x24]	/* DriverFeaturesSel = 0 */
	mov	w2, #(1 << 4)		/* VIRTIO_BLK_F_GEOMETRY: not offered */
	str	w2, [x1, #0x20]		/* DriverFeatures */
#endif
1:	wfe
	b	1b
	.ltorg
image_end:
