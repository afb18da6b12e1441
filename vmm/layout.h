/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest physical memory map, shared by the VMM and the device tree
 * template (guest.dts is run through cpp with this header): one source
 * for every address, so the two cannot drift apart.  Only #defines here.
 *
 *   0x0800_0000  GICv3 distributor            64 KiB
 *   0x080a_0000  GICv3 redistributors        128 KiB per vCPU
 *   0x0900_0000  boot console (PL011 TX only)   4 KiB, for earlycon
 *   0x0a00_0000  virtio-mmio transports       512 B each, SPI 16 upwards
 *   0x4000_0000  RAM                         256 MiB
 *     +0           kernel Image (text_offset from its header), 64 MiB max
 *     +64 MiB      initramfs, 32 MiB max
 *     +96 MiB      DTB, 2 MiB max (the arm64 boot protocol limit)
 *     +128 MiB     restricted DMA pool, 32 MiB, the only memory the
 *                  guest shares with the VMM
 *     +160 MiB     free for the guest
 */
#ifndef VMM_LAYOUT_H
#define VMM_LAYOUT_H

#define NR_VCPUS		2

#define GIC_DIST_BASE		0x08000000
#define GIC_DIST_SIZE		0x10000
#define GIC_REDIST_BASE		0x080a0000
#define GIC_REDIST_SIZE		(0x20000 * NR_VCPUS)

/* guest.dts repeats this address in its earlycon= parameter */
#define UART_BASE		0x09000000
#define UART_SIZE		0x1000

/* Transport n: base + n * size, SPI first_spi + n */
#define VIRTIO_MMIO_BASE	0x0a000000
#define VIRTIO_MMIO_SIZE	0x200
#define VIRTIO_FIRST_SPI	16
#define VIRTIO_CONSOLE_SLOT	0	/* hvc0: the guest's console */
#define VIRTIO_BLK_SLOT		1	/* vda */
#define VIRTIO_STREAM_SLOT	2	/* hvc1: the VMM is the stream peer */

#define RAM_BASE		0x40000000
#define RAM_SIZE		0x10000000
#define KERNEL_BASE		RAM_BASE
#define KERNEL_MAX		0x04000000
#define INITRD_BASE		0x44000000
#define INITRD_MAX		0x02000000
#define DTB_BASE		0x46000000
#define DTB_MAX			0x00200000
#define POOL_BASE		0x48000000
#define POOL_SIZE		0x02000000

#endif /* VMM_LAYOUT_H */
