// SPDX-License-Identifier: GPL-2.0
/*
 * Boot: check what QEMU's multiboot loader gave us (the RAM and its map,
 * our command line, the modules), set up SVM, the nested tables and the
 * guest, and run it.  Also the hypervisor's own exceptions and its
 * power-off.
 *
 * The modules (QEMU's -initrd, comma-separated, each "file arguments"):
 * a Linux vmlinux, whose arguments are the kernel's command line, and
 * optionally its initramfs; or one flat image, the ABI test.
 * The hypervisor's command line (QEMU's -append): "mode=sev" (the
 * default), "mode=tdx" or "mode=plain".
 */
#include "hv.h"

#define MB_BOOT_MAGIC		0x2badb002
#define MB_INFO_MEM		BIT(0)
#define MB_INFO_CMDLINE		BIT(2)
#define MB_INFO_MODS		BIT(3)
#define MB_INFO_MMAP		BIT(6)

struct mb_info {
	u32 flags;
	u32 mem_lower, mem_upper;	/* KiB below 1 MiB, above 1 MiB */
	u32 boot_device;
	u32 cmdline;
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
};

struct mb_module {
	u32 start, end;
	u32 string;			/* QEMU: the -initrd entry, file name first */
	u32 reserved;
};

#define KERNEL_CS		0x08	/* start.S */

static struct idt_entry idt[256] __aligned(16);

enum hv_mode hv_mode = HV_MODE_SEV;

void __noreturn hv_power_off(u8 code)
{
	outb(DEBUG_EXIT_PORT, code);
	for (;;)
		asm volatile("cli; hlt");
}

void __noreturn hv_fatal(const char *why)
{
	hv_printf("FATAL: %s\n", why);
	exit_report();
	hv_printf("powering off after a fatal error\n");
	hv_power_off(HV_EXIT_FATAL);
}

/* start.S exc_common: an exception in the hypervisor itself. */
void __noreturn host_exception(u64 vec, u64 err, u64 rip, u64 cr2)
{
	hv_printf("host exception %lu (error 0x%lx) at rip 0x%lx, cr2 0x%lx\n",
		  vec, err, rip, cr2);
	hv_fatal("exception in the hypervisor");
}

static void idt_init(void)
{
	for (unsigned int v = 0; v < 32; v++)
		idt[v] = idt_gate(KERNEL_CS, exc_stubs + 16 * v);
	for (unsigned int v = 32; v < ARRAY_SIZE(idt); v++)
		idt[v] = idt_gate(KERNEL_CS, irq_stubs + 16 * (v - 32));
	load_idt(idt, sizeof(idt));
}

static bool starts_with(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return false;
	return true;
}

/* "mode=sev", "mode=tdx" or "mode=plain", anywhere in QEMU's "file arguments". */
static void parse_cmdline(const char *s)
{
	for (; *s; s++) {
		if (!starts_with(s, "mode="))
			continue;
		if (starts_with(s + 5, "sev"))
			hv_mode = HV_MODE_SEV;
		else if (starts_with(s + 5, "tdx"))
			hv_mode = HV_MODE_TDX;
		else if (starts_with(s + 5, "plain"))
			hv_mode = HV_MODE_PLAIN;
		else
			hv_fatal("mode= takes sev, tdx or plain");
	}
}

/* A module's arguments: what follows its file name. */
static const char *module_args(const struct mb_module *mod)
{
	const char *s = mod->string ? (const char *)(u64)mod->string : "";

	while (*s && *s != ' ')
		s++;
	while (*s == ' ')
		s++;
	return s;
}

static bool is_elf64(const struct mb_module *mod)
{
	const u8 *p = (const u8 *)(u64)mod->start;

	return mod->end - mod->start >= 5 && p[0] == 0x7f && p[1] == 'E' &&
	       p[2] == 'L' && p[3] == 'F' && p[4] == 2;
}

void __noreturn hv_main(u32 magic, u32 mbi_pa)
{
	const struct mb_info *mbi = (const void *)(u64)mbi_pa;
	const struct mb_module *mod;
	u64 ram_top;

	console_init();
	idt_init();
	hv_printf("SVM hypervisor (L1) at 0x%lx-0x%lx, multiboot info at 0x%x\n",
		  (u64)__hv_start, (u64)__hv_end, mbi_pa);
	if (magic != MB_BOOT_MAGIC)
		hv_fatal("not started by a multiboot loader");
	if (!(mbi->flags & MB_INFO_MEM))
		hv_fatal("the multiboot information has no memory size");
	ram_top = 0x100000 + (u64)mbi->mem_upper * 1024;
	if (ram_top < QEMU_RAM_MIN)
		hv_fatal("too little RAM for the private RAM: QEMU needs -m 1G");
	if (mbi->flags & MB_INFO_CMDLINE)
		parse_cmdline((const char *)(u64)mbi->cmdline);
	if (!(mbi->flags & MB_INFO_MODS) || mbi->mods_count < 1 || mbi->mods_count > 2)
		hv_fatal("expected one or two multiboot modules (-initrd): vmlinux[,initramfs], or the ABI test");
	mod = (const void *)(u64)mbi->mods_addr;
	for (unsigned int i = 0; i < mbi->mods_count; i++) {
		hv_printf("module %u: 0x%x-0x%x: %s\n", i, mod[i].start, mod[i].end,
			  mod[i].string ? (const char *)(u64)mod[i].string : "");
		/* QEMU puts the modules after our .bss, below the private RAM. */
		if (mod[i].start < (u64)__hv_end || mod[i].end > PRIVATE_BASE ||
		    mod[i].end < mod[i].start)
			hv_fatal("a module is not between the hypervisor and the private RAM");
	}
	hv_printf("mode: %s\n", hv_mode == HV_MODE_SEV ?
		  "SEV (CPUID 0x8000001f and SEV_STATUS say SEV; launch into the private view)" :
		  hv_mode == HV_MODE_TDX ?
		  "TDX (CPUID 0x21 says IntelTDX, TDCALL is the emulated TDX module; launch into the private view, enforcing)" :
		  "plain (no SEV or TDX in CPUID; launch into the shared view)");

	svm_init();
	npt_init();
	if (is_elf64(&mod[0])) {
		struct linux_image img = {
			.kernel = mod[0].start,
			.kernel_size = mod[0].end - mod[0].start,
			.cmdline = module_args(&mod[0]),
		};

		if (!(mbi->flags & MB_INFO_MMAP))
			hv_fatal("the multiboot information has no memory map");
		img.mmap = mbi->mmap_addr;
		img.mmap_size = mbi->mmap_length;
		if (mbi->mods_count == 2) {
			img.initrd = mod[1].start;
			img.initrd_size = mod[1].end - mod[1].start;
		}
		linux_load(&img);
	} else {
		if (mbi->mods_count != 1)
			hv_fatal("a flat image (the ABI test) comes alone");
		guest_load_flat(mod->start, mod->end - mod->start);
	}
	svm_loop();
}
