// SPDX-License-Identifier: GPL-2.0
/*
 * A Linux guest: its vmlinux, entered at startup_64 by the 64-bit boot
 * protocol (Documentation/arch/x86/boot.rst), the zero page (struct
 * boot_params) with an E820 map, the command line and the initramfs.
 *
 * The decompressor is skipped on purpose: it walks page tables it built
 * without the C-bit, which SEV hardware reads as private and our nested
 * paging would read as shared.  The kernel proper puts the C-bit into its
 * own tables and CR3 itself (sme_enable(), __startup_64()).
 *
 * For a SEV or TDX guest everything the kernel must find encrypted goes
 * into the private view, as LAUNCH_UPDATE_DATA (SEV) or TDH.MEM.PAGE.ADD
 * (TDX) would put it there: the kernel, the
 * zero page, the command line, the initramfs, and copies of the first MiB
 * (BIOS data area, EBDA, the F segment with the RSDP, MP and SMBIOS entry
 * points) and of the firmware's tables above the guest's RAM (ACPI, SMBIOS):
 * 7.2 maps E820 reserved and ACPI ranges encrypted in a SEV guest
 * (memremap_should_map_decrypted()).  Then the shared view of the guest's
 * RAM is poisoned, so that a read through the wrong view finds 0x5a bytes,
 * never the data (a TDX guest cannot even read it: its shared view is
 * unmapped until MapGPA).  A plain guest gets the same in the shared view.
 */
#include "hv.h"

#define EM_X86_64		62
#define PT_LOAD			1

#define E820_RAM		1
#define E820_MAX		128
#define POISON			0x5a

#define BOOT_FLAG		0xaa55
#define SETUP_HDR_MAGIC		0x53726448	/* "HdrS" */
#define BOOT_PROTOCOL		0x020f
#define LOADER_UNDEFINED	0xff
#define LOADED_HIGH		BIT(0)
#define CMDLINE_MAX		2048		/* x86's COMMAND_LINE_SIZE */

struct elf64_ehdr {
	u8 ident[16];
	u16 type, machine;
	u32 version;
	u64 entry, phoff, shoff;
	u32 flags;
	u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	u32 type, flags;
	u64 offset, vaddr, paddr, filesz, memsz, align;
};

/* A multiboot memory map entry: @size counts the bytes after itself. */
struct mb_mmap_entry {
	u32 size;
	u64 addr, len;
	u32 type;
} __attribute__((packed));

struct boot_e820_entry {
	u64 addr, size;
	u32 type;
} __attribute__((packed));

/* The fields of struct boot_params that the hypervisor fills, at their offsets. */
struct zero_page {
	u8 pad0[0x070];
	u64 acpi_rsdp_addr;
	u8 pad1[0x1e8 - 0x078];
	u8 e820_entries;
	u8 pad2[0x1fe - 0x1e9];
	u16 boot_flag;
	u16 jump;
	u32 header;
	u16 version;
	u8 pad3[0x210 - 0x208];
	u8 type_of_loader;
	u8 loadflags;
	u8 pad4[0x218 - 0x212];
	u32 ramdisk_image;
	u32 ramdisk_size;
	u8 pad5[0x228 - 0x220];
	u32 cmd_line_ptr;
	u8 pad6[0x238 - 0x22c];
	u32 cmdline_size;
	u8 pad7[0x2d0 - 0x23c];
	struct boot_e820_entry e820_table[E820_MAX];
	u8 pad8[0x1000 - 0xcd0];
} __attribute__((packed));

_Static_assert(offsetof(struct zero_page, acpi_rsdp_addr) == 0x070, "boot_params layout");
_Static_assert(offsetof(struct zero_page, e820_entries) == 0x1e8, "boot_params layout");
_Static_assert(offsetof(struct zero_page, boot_flag) == 0x1fe, "boot_params layout");
_Static_assert(offsetof(struct zero_page, type_of_loader) == 0x210, "boot_params layout");
_Static_assert(offsetof(struct zero_page, ramdisk_image) == 0x218, "boot_params layout");
_Static_assert(offsetof(struct zero_page, cmd_line_ptr) == 0x228, "boot_params layout");
_Static_assert(offsetof(struct zero_page, cmdline_size) == 0x238, "boot_params layout");
_Static_assert(offsetof(struct zero_page, e820_table) == 0x2d0, "boot_params layout");
_Static_assert(sizeof(struct zero_page) == PAGE_SIZE, "boot_params layout");

static u64 round_up(u64 x, u64 a)
{
	return (x + a - 1) & ~(a - 1);
}

static void e820_add(struct zero_page *zp, u64 addr, u64 size, u32 type)
{
	if (zp->e820_entries == E820_MAX)
		hv_fatal("linux: more than 128 E820 entries");
	zp->e820_table[zp->e820_entries++] = (struct boot_e820_entry){ addr, size, type };
	hv_printf("linux: e820 0x%lx-0x%lx %s\n", addr, addr + size - 1,
		  type == E820_RAM ? "RAM" : "reserved");
}

/*
 * The guest's E820 map, from QEMU's: RAM cut to the guest's RAM, every
 * reserved range kept.  A reserved range between the guest's RAM and
 * MMIO is the firmware's (SeaBIOS's ACPI and SMBIOS tables): it is mapped
 * into the guest, with a private copy.
 */
static void e820_build(struct zero_page *zp, u64 mmap, u64 mmap_size)
{
	u64 copy = FW_COPY_BASE;

	for (u64 p = mmap; p < mmap + mmap_size;) {
		const struct mb_mmap_entry *e = (const void *)p;
		u64 start = e->addr, end = e->addr + e->len, base, len;

		p += e->size + sizeof(e->size);
		if (e->type == E820_RAM) {
			if (end > GUEST_RAM_SIZE)
				end = GUEST_RAM_SIZE;
			if (start < end)
				e820_add(zp, start, end - start, E820_RAM);
			continue;
		}
		e820_add(zp, start, end - start, e->type);
		if (start < GUEST_RAM_SIZE || start >= MMIO_BASE)
			continue;
		if (start < QEMU_RAM_MIN)
			hv_fatal("linux: firmware tables inside the hypervisor's memory: QEMU needs -m 1G");
		/*
		 * Nested paging maps whole pages: copy whole pages too, so
		 * that an entry that starts inside a page keeps its offset.
		 */
		base = start & ~(PAGE_SIZE - 1);
		len = round_up(end, PAGE_SIZE) - base;
		if (copy + len > FW_COPY_BASE + FW_COPY_SIZE)
			hv_fatal("linux: the firmware's tables do not fit FW_COPY_SIZE");
		hpa_copy(copy, base, len);
		npt_map_firmware(base, len, copy);
		hv_printf("linux: firmware tables 0x%lx-0x%lx mapped, private copy at 0x%lx\n",
			  start, end - 1, copy + (start - base));
		copy += len;
	}
	if (!zp->e820_entries)
		hv_fatal("linux: QEMU's memory map has no RAM for the guest");
}

/* The ACPI RSDP in the BIOS's F and E segments, as the kernel would scan. */
static u64 find_rsdp(void)
{
	for (u64 a = 0xe0000; a < BIOS_AREA_END; a += 16) {
		const u8 *p = (const u8 *)a;
		u8 sum = 0;

		if (p[0] != 'R' || p[1] != 'S' || p[2] != 'D' || p[3] != ' ' ||
		    p[4] != 'P' || p[5] != 'T' || p[6] != 'R' || p[7] != ' ')
			continue;
		for (unsigned int i = 0; i < 20; i++)
			sum += p[i];
		if (!sum)
			return a;
	}
	return 0;
}

static bool sig_is(const void *p, const char *sig)
{
	const char *c = p;

	for (unsigned int i = 0; sig[i]; i++)
		if (c[i] != sig[i])
			return false;
	return true;
}

/*
 * The FADT's PM1a control port (a u32 at offset 64), found through the
 * RSDT (SeaBIOS's RSDP is revision 0: no XSDT).  0 if there is none.
 */
static u16 acpi_pm1a_cnt(u64 rsdp)
{
	const u8 *rsdt;
	u32 len;

	if (!rsdp)
		return 0;
	rsdt = (const u8 *)(u64)*(const u32 *)(rsdp + 16);
	if (!sig_is(rsdt, "RSDT"))
		return 0;
	len = *(const u32 *)(rsdt + 4);
	for (u32 off = 36; off + 4 <= len; off += 4) {
		const u8 *t = (const u8 *)(u64)*(const u32 *)(rsdt + off);

		if (sig_is(t, "FACP"))
			return (u16)*(const u32 *)(t + 64);
	}
	return 0;
}

/* The guest writes SLP_EN to PM1a control (exit.c): the last report. */
void linux_power_off(void)
{
	u64 shared, private;

	npt_count_dirty(&shared, &private);
	hv_printf("power-off: the guest's CPU wrote %lu pages of its RAM through the shared view, %lu through the private view (nested dirty bits)\n",
		  shared, private);
	exit_report();
}

/*
 * The workload's mark (exit.c): how many pages are shared now.  For a TDX
 * guest these are what its MapGPA calls left shared; SEV and plain guests
 * keep every page in both views.
 */
void linux_mark(u8 mark)
{
	u64 count[4];

	npt_count_views(count);
	hv_printf("mark %u: %lu pages shared, %lu private, %lu in both views, %lu in neither\n",
		  mark, count[NPT_SHARED], count[NPT_PRIVATE], count[NPT_BOTH], count[NPT_NONE]);
}

/* The PT_LOAD segments at their physical addresses; returns the entry. */
static u64 load_vmlinux(u64 image, u64 size, bool private, u64 *end)
{
	const struct elf64_ehdr *eh = (const void *)image;
	bool entry_loaded = false;

	if (size < sizeof(*eh) || eh->ident[0] != 0x7f || eh->ident[1] != 'E' ||
	    eh->ident[2] != 'L' || eh->ident[3] != 'F' || eh->ident[4] != 2 ||
	    eh->machine != EM_X86_64)
		hv_fatal("linux: the kernel module is not an x86-64 ELF (vmlinux)");
	if (eh->phentsize != sizeof(struct elf64_phdr) ||
	    eh->phoff + (u64)eh->phnum * eh->phentsize > size)
		hv_fatal("linux: vmlinux's program headers are cut off");
	*end = 0;
	for (unsigned int i = 0; i < eh->phnum; i++) {
		const struct elf64_phdr *ph = (const void *)(image + eh->phoff + i * eh->phentsize);

		if (ph->type != PT_LOAD)
			continue;
		if (ph->offset + ph->filesz > size || ph->filesz > ph->memsz)
			hv_fatal("linux: a vmlinux segment is cut off");
		if (ph->paddr < BIOS_AREA_END || ph->paddr + ph->memsz > GUEST_RAM_SIZE)
			hv_fatal("linux: a vmlinux segment is outside the guest's RAM");
		memcpy(guest_launch_ptr(ph->paddr, private), (void *)(image + ph->offset),
		       ph->filesz);
		memset(guest_launch_ptr(ph->paddr + ph->filesz, private), 0,
		       ph->memsz - ph->filesz);
		if (ph->paddr + ph->memsz > *end)
			*end = ph->paddr + ph->memsz;
		entry_loaded |= eh->entry >= ph->paddr && eh->entry < ph->paddr + ph->memsz;
	}
	if (!entry_loaded)
		hv_fatal("linux: vmlinux's entry (startup_64) is in no loaded segment");
	return eh->entry;
}

void linux_load(const struct linux_image *img)
{
	bool private = hv_mode != HV_MODE_PLAIN;
	struct zero_page *zp = guest_launch_ptr(GUEST_ZERO_PAGE_GPA, private);
	char *cmdline = guest_launch_ptr(GUEST_CMDLINE_GPA, private);
	u64 entry, kernel_end, initrd_gpa = 0;
	unsigned int len = 0;

	/* The BIOS areas first: the boot state below lands inside them. */
	if (private)
		hpa_copy(PRIVATE_BASE, 0, BIOS_AREA_END);
	entry = load_vmlinux(img->kernel, img->kernel_size, private, &kernel_end);
	if (img->initrd_size) {
		/* Compared before subtracting: a huge initramfs must not wrap. */
		if (img->initrd_size > GUEST_RAM_SIZE - round_up(kernel_end, PAGE_SIZE))
			hv_fatal("linux: the initramfs does not fit between the kernel and the end of RAM");
		initrd_gpa = (GUEST_RAM_SIZE - img->initrd_size) & ~(PAGE_SIZE - 1);
		memcpy(guest_launch_ptr(initrd_gpa, private), (void *)img->initrd,
		       img->initrd_size);
	}

	memset(zp, 0, sizeof(*zp));
	zp->boot_flag = BOOT_FLAG;
	zp->header = SETUP_HDR_MAGIC;
	zp->version = BOOT_PROTOCOL;
	zp->type_of_loader = LOADER_UNDEFINED;
	zp->loadflags = LOADED_HIGH;
	zp->ramdisk_image = (u32)initrd_gpa;
	zp->ramdisk_size = (u32)img->initrd_size;
	zp->cmd_line_ptr = GUEST_CMDLINE_GPA;
	zp->cmdline_size = CMDLINE_MAX;
	zp->acpi_rsdp_addr = find_rsdp();
	while (img->cmdline[len] && len < CMDLINE_MAX - 1) {
		cmdline[len] = img->cmdline[len];
		len++;
	}
	cmdline[len] = 0;
	e820_build(zp, img->mmap, img->mmap_size);

	hv_printf("linux: vmlinux to 0x%lx, entry 0x%lx; initramfs 0x%lx+0x%lx; boot_params 0x%lx; RSDP 0x%lx; %s view\n",
		  kernel_end, entry, initrd_gpa, img->initrd_size,
		  GUEST_ZERO_PAGE_GPA, zp->acpi_rsdp_addr, private ? "private" : "shared");
	hv_printf("linux: command line \"%s\"\n", cmdline);
	guest_enter(entry, GUEST_ZERO_PAGE_GPA, private, false);
	exit_power_off_port = acpi_pm1a_cnt(zp->acpi_rsdp_addr);
	if (!exit_power_off_port)
		hv_fatal("linux: no FADT with a PM1a control port: the guest's power-off would go unseen");
	svm_intercept_port(exit_power_off_port);
	svm_intercept_port(HV_MARK_PORT);
	hv_printf("linux: ACPI PM1a control at port 0x%x intercepted, for the power-off; port 0x%x for the workload's marks\n",
		  exit_power_off_port, HV_MARK_PORT);

	if (private) {
		/* Not the legacy VGA and ROM window: it is not RAM. */
		hpa_fill(0, POISON, 0xa0000);
		hpa_fill(BIOS_AREA_END, POISON, GUEST_RAM_SIZE - BIOS_AREA_END);
		hv_printf("linux: the shared view of the guest's RAM poisoned with 0x%x\n", POISON);
	}
}
