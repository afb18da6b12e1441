/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SVM hypervisor: an L1 of ours, booted by QEMU's multiboot loader
 * (TCG), that runs one guest as L2 under AMD SVM with nested paging and
 * emulates what a SEV or a TDX guest asks of its platform.  An
 * emulated platform, no encryption, no firmware: see ../README.md.
 */
#ifndef SVM_HV_H
#define SVM_HV_H

#include "../include/x86.h"

#define ALIGNED(x, a)		(((x) & ((a) - 1)) == 0)

#define SZ_2M			0x200000UL
#define SZ_1G			0x40000000UL

/*
 * The layout of host physical memory (QEMU -m 1G, see ../README.md).
 * The guest's GPA space is built from it by npt.c:
 * - GPA [0, GUEST_RAM_SIZE) is the guest's RAM, mapped to the same HPA
 *   (the shared view: what QEMU's devices and the hypervisor see);
 * - GPA | bit 47 (SEV's C-bit) of the same range is the private view,
 *   backed by other RAM at PRIVATE_BASE; for a TDX guest bit 47 is the
 *   shared bit instead: GPA | bit 47 is the shared view (the same HPA)
 *   and GPA the private one (npt.c);
 * - the firmware's tables above the guest's RAM (SeaBIOS's ACPI and
 *   SMBIOS tables at the top of QEMU's RAM): the same HPA in the shared
 *   view, a copy at FW_COPY_BASE in the private one (linux.c);
 * - GPA [MMIO_BASE, 4 GiB) is identity: the local APIC, I/O APIC, HPET,
 *   PCI BARs and the BIOS flash.
 * The hypervisor (link.ld) and the multiboot modules QEMU puts right after
 * it live between the two RAM regions, outside the guest's GPA space.
 */
#define GUEST_RAM_SIZE		0x10000000UL	/* 256 MiB */
#define HV_BASE			0x10000000UL	/* link.ld */
#define PRIVATE_BASE		0x20000000UL
#define PRIVATE_SIZE		GUEST_RAM_SIZE
#define FW_COPY_BASE		(PRIVATE_BASE + PRIVATE_SIZE)
#define FW_COPY_SIZE		0x00100000UL
#define CBIT			47		/* SEV's C-bit, TDX's shared bit */
#define GPA_BIT47		BIT(CBIT)
#define MMIO_BASE		0xc0000000UL
#define MMIO_TOP		0x100000000UL
#define QEMU_RAM_MIN		(FW_COPY_BASE + FW_COPY_SIZE)

/* The guest's boot state (guest.c, linux.c), in its RAM. */
#define GUEST_BOOT_GPA		0x00010000UL	/* GDT, then its page tables */
#define GUEST_ZERO_PAGE_GPA	0x00018000UL	/* Linux's boot_params */
#define GUEST_CMDLINE_GPA	0x00019000UL	/* and its command line */
#define GUEST_IMAGE_GPA		0x00200000UL	/* a flat image is copied here */
#define BIOS_AREA_END		0x00100000UL	/* the first MiB: BDA, EBDA, ROMs */

/*
 * A port no device of QEMU's pc machine uses: the guest workload's marks
 * (guest/workload.c wl_hv_mark), at which the hypervisor reports.
 */
#define HV_MARK_PORT		0x0ac0

/* isa-debug-exit at port 0xf4: QEMU exits with (value << 1) | 1. */
#define DEBUG_EXIT_PORT		0xf4
#define HV_EXIT_DONE		0x10		/* QEMU status 33 */
#define HV_EXIT_FATAL		0x11		/* QEMU status 35 */

/* The guest's general-purpose registers; RAX and RSP live in the VMCB. */
struct guest_regs {
	u64 rbx, rcx, rdx, rsi, rdi, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};

/* lib.c: gcc may call memset and memcpy even in freestanding code */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void hpa_copy(u64 dst, u64 src, u64 n);
void hpa_fill(u64 dst, u8 c, u64 n);

/* start.S, and the C it calls */
extern char __hv_start[], __hv_end[];
extern char exc_stubs[], irq_stubs[];
extern volatile int hv_irq_vector;
void __noreturn hv_main(u32 magic, u32 mbi_pa);
void __noreturn host_exception(u64 vec, u64 err, u64 rip, u64 cr2);

/* vmrun.S: one VMLOAD, VMRUN, VMSAVE round trip with the guest's GPRs */
void svm_run(struct guest_regs *regs, u64 vmcb_pa);

/* main.c */
void __noreturn hv_fatal(const char *why);
void __noreturn hv_power_off(u8 code);

/* console.c */
void console_init(void);
void hv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* npt.c: the guest's GPA space */
enum npt_view {
	NPT_NONE = 0,
	NPT_SHARED = BIT(0),		/* npt_shared_gpa() -> the same HPA */
	NPT_PRIVATE = BIT(1),		/* npt_private_gpa() -> PRIVATE_BASE + GPA */
	NPT_BOTH = NPT_SHARED | NPT_PRIVATE,
};

void npt_init(void);
u64 npt_root(void);
u64 npt_shared_gpa(u64 gpa);
u64 npt_private_gpa(u64 gpa);
void npt_set_view(u64 gpa, enum npt_view view);
enum npt_view npt_view(u64 gpa);
bool npt_translate(u64 gpa, u64 *hpa);
bool npt_take_flush(void);
void npt_map_firmware(u64 gpa, u64 size, u64 copy_hpa);
void npt_count_dirty(u64 *shared, u64 *private);
void npt_count_views(u64 count[4]);

/*
 * What the guest runs as: main.c reads "mode=" from the hypervisor's
 * command line.  SEV: CPUID and SEV_STATUS say SEV, and a Linux guest is
 * launched into the private view.  TDX: CPUID 0x21 says IntelTDX,
 * TDCALL reaches the emulated TDX module (tdx.c), the guest is launched
 * into the private view and the nested tables enforce its MapGPA and
 * ACCEPT calls.  Plain: neither, launched into the shared view; the same
 * hypervisor and guest without memory encryption.
 */
enum hv_mode { HV_MODE_SEV, HV_MODE_PLAIN, HV_MODE_TDX };
extern enum hv_mode hv_mode;

/* guest.c: the guest's boot state and memory */
void *guest_launch_ptr(u64 gpa, bool private);
void guest_enter(u64 rip, u64 rsi, bool private, bool hlt_ends_run);
void guest_load_flat(u64 image, u64 size);
bool guest_read_va(u64 va, void *buf, unsigned int len);

/* linux.c: a Linux kernel (vmlinux), its boot_params and initramfs */
struct linux_image {
	u64 kernel, kernel_size;	/* vmlinux, as QEMU loaded the module */
	u64 initrd, initrd_size;	/* 0, 0 without an initramfs */
	const char *cmdline;
	u64 mmap, mmap_size;		/* the multiboot memory map */
};
void linux_load(const struct linux_image *img);
void linux_power_off(void);
void linux_mark(u8 mark);

/* svm.c */
struct vmcb;
extern struct vmcb vmcb;
void svm_init(void);
void svm_setup_guest(u64 rip, u64 rsp, u64 cr3, u64 gdt, u16 cs, u16 ds, bool hlt_ends_run);
void svm_set_rsi(u64 rsi);
void svm_intercept_port(u16 port);
u8 svm_wait_for_interrupt(void);
void svm_inject_interrupt(u8 vector);
bool svm_interrupt_pending(void);
void __noreturn svm_loop(void);

/* tdx.c: the TDX module's calls, for a TDX guest */
void tdx_call(struct vmcb *v, struct guest_regs *regs);
void tdx_report(void);

/* exit.c */
extern u16 exit_power_off_port;
void exit_handle(struct vmcb *v, struct guest_regs *regs);
void exit_report(void);
bool exit_port_io(u16 port, unsigned int size, bool in, u64 *value);

#endif /* SVM_HV_H */
