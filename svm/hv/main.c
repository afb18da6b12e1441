// SPDX-License-Identifier: GPL-2.0
/*
 * Boot: check what QEMU's multiboot loader gave us (the RAM, the one
 * module), set up SVM, the nested tables and the guest, and run it.
 * Also the hypervisor's own exceptions and its power-off.
 */
#include "hv.h"

#define MB_BOOT_MAGIC		0x2badb002
#define MB_INFO_MEM		BIT(0)
#define MB_INFO_MODS		BIT(3)

struct mb_info {
	u32 flags;
	u32 mem_lower, mem_upper;	/* KiB below 1 MiB, above 1 MiB */
	u32 boot_device;
	u32 cmdline;
	u32 mods_count, mods_addr;
};

struct mb_module {
	u32 start, end;
	u32 string;			/* QEMU: the -initrd entry, file name first */
	u32 reserved;
};

#define KERNEL_CS		0x08	/* start.S */

static struct idt_entry idt[32] __aligned(16);

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
	for (unsigned int v = 0; v < ARRAY_SIZE(idt); v++)
		idt[v] = idt_gate(KERNEL_CS, exc_stubs + 16 * v);
	load_idt(idt, sizeof(idt));
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
		hv_fatal("too little RAM for the private region: QEMU needs -m 512M");
	if (!(mbi->flags & MB_INFO_MODS) || mbi->mods_count != 1)
		hv_fatal("expected one multiboot module, the guest image (-initrd)");
	mod = (const void *)(u64)mbi->mods_addr;
	hv_printf("RAM to 0x%lx; module 0x%x-0x%x: %s\n", ram_top, mod->start, mod->end,
		  mod->string ? (const char *)(u64)mod->string : "");
	/* QEMU puts the modules after our .bss, below the private RAM. */
	if (mod->start < (u64)__hv_end || mod->end > PRIVATE_BASE || mod->end < mod->start)
		hv_fatal("the module is not between the hypervisor and the private RAM");

	svm_init();
	npt_init();
	guest_load(mod->start, mod->end - mod->start);
	svm_loop();
}
