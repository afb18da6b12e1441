// SPDX-License-Identifier: GPL-2.0
/*
 * The guest: the state it starts in, a flat image (the ABI test) in its
 * RAM, and the hypervisor's reads of its memory through its own page
 * tables.
 *
 * Linux's 64-bit boot protocol (Documentation/arch/x86/boot.rst) is the
 * model: long mode, paging on with an identity map covering what it
 * needs, a GDT with flat __BOOT_CS (0x10) and __BOOT_DS (0x18), interrupts
 * off, RSI the boot_params.  The hypervisor builds these in the guest's
 * RAM at GUEST_BOOT_GPA, in the view the guest is launched into: for a
 * SEV guest the private one, with the C-bit in every entry and in CR3, as
 * a SEV guest's page walks are private; for a TDX guest also the private
 * one, whose GPAs have no bit set.
 */
#include "vmcb.h"

#define BOOT_CS			0x10
#define BOOT_DS			0x18

#define CR4_LA57		BIT(12)

/* In the guest's RAM. */
#define BOOT_GDT		(GUEST_BOOT_GPA + 0x0000)
#define BOOT_PML4		(GUEST_BOOT_GPA + 0x1000)
#define BOOT_PDPT		(GUEST_BOOT_GPA + 0x2000)
#define BOOT_PD			(GUEST_BOOT_GPA + 0x3000)	/* 4 pages: 4 GiB */
#define BOOT_END		(GUEST_BOOT_GPA + 0x7000)

/*
 * Where the hypervisor writes the guest's @gpa (guest RAM) before launch:
 * the shared view is the same HPA, the private one PRIVATE_BASE + @gpa,
 * what SEV's LAUNCH_UPDATE_DATA would have encrypted in place.
 */
void *guest_launch_ptr(u64 gpa, bool private)
{
	if (gpa >= GUEST_RAM_SIZE)
		hv_fatal("guest: a launch write outside the guest's RAM");
	return (void *)(private ? PRIVATE_BASE + gpa : gpa);
}

/*
 * Build the boot GDT and the identity tables (4 GiB, 2 MiB pages: RAM and
 * the MMIO hole) and start the guest at @rip with @rsi.
 */
void guest_enter(u64 rip, u64 rsi, bool private, bool hlt_ends_run)
{
	u64 *gdt = guest_launch_ptr(BOOT_GDT, private);
	u64 *pml4 = guest_launch_ptr(BOOT_PML4, private);
	u64 *pdpt = guest_launch_ptr(BOOT_PDPT, private);
	u64 *pd = guest_launch_ptr(BOOT_PD, private);
	u64 c = private ? npt_private_gpa(0) : npt_shared_gpa(0);

	memset(gdt, 0, BOOT_END - GUEST_BOOT_GPA);
	gdt[BOOT_CS / 8] = 0x00af9b000000ffffUL;	/* 64-bit code */
	gdt[BOOT_DS / 8] = 0x00cf93000000ffffUL;	/* flat data */
	pml4[0] = BOOT_PDPT | c | PTE_P | PTE_RW;
	for (u64 i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PD + i * PAGE_SIZE) | c | PTE_P | PTE_RW;
	/* The MMIO hole without the C-bit: nested paging maps it shared only. */
	for (u64 i = 0; i < 4 * 512; i++)
		pd[i] = (i * SZ_2M) | (i * SZ_2M < MMIO_BASE ? c : 0) | PTE_P | PTE_RW | PTE_PS;
	hv_printf("guest: GDT and identity page tables (4 GiB, 2 MiB pages%s) at GPA 0x%lx, %s view\n",
		  c ? ", bit 47 set outside the MMIO hole" : "", GUEST_BOOT_GPA, private ? "private" : "shared");
	/* The stack below the boot area, until the guest sets its own. */
	svm_setup_guest(rip, GUEST_BOOT_GPA, BOOT_PML4 | c, BOOT_GDT, BOOT_CS, BOOT_DS,
			hlt_ends_run);
	svm_set_rsi(rsi);
}

/*
 * An ABI test: a flat image entered at its first byte, in the shared view
 * (the SEV test maps its private view itself), or for TDX in the private
 * view, the only one a TD's memory starts with.
 */
void guest_load_flat(u64 image, u64 size)
{
	bool private = hv_mode == HV_MODE_TDX;

	if (size > GUEST_RAM_SIZE - GUEST_IMAGE_GPA)
		hv_fatal("the guest image does not fit the guest's RAM");
	memcpy(guest_launch_ptr(GUEST_IMAGE_GPA, private), (void *)image, size);
	hv_printf("guest: image of %lu bytes at GPA 0x%lx\n", size, GUEST_IMAGE_GPA);
	guest_enter(GUEST_IMAGE_GPA, 0, private, true);
}

/* The HPA of guest RAM (either view) at @gpa, never MMIO. */
static bool gpa_to_ram(u64 gpa, u64 *hpa)
{
	if (!npt_translate(gpa, hpa))
		return false;
	return *hpa < GUEST_RAM_SIZE ||
	       (*hpa >= PRIVATE_BASE && *hpa < PRIVATE_BASE + PRIVATE_SIZE);
}

/*
 * The guest's own translation of @va, as the CPU would: paging off, or
 * 4-level long mode with 1 GiB, 2 MiB and 4 KiB pages.  Its tables are
 * read through the nested tables, wherever the guest put them.
 */
static bool gva_to_gpa(u64 va, u64 *gpa)
{
	const struct vmcb_save *s = &vmcb.save;
	u64 table, e, hpa;

	if (!(s->cr0 & CR0_PG)) {
		*gpa = va;
		return true;
	}
	if (!(s->efer & EFER_LMA) || (s->cr4 & CR4_LA57))
		return false;	/* legacy paging, 5-level: not needed */
	table = s->cr3 & PTE_ADDR_MASK;
	for (unsigned int level = 4; level >= 1; level--) {
		unsigned int shift = 12 + 9 * (level - 1);

		if (!gpa_to_ram(table + ((va >> shift) & 511) * 8, &hpa))
			return false;
		e = *(const u64 *)hpa;
		if (!(e & PTE_P))
			return false;
		if (level == 1 || ((level == 2 || level == 3) && (e & PTE_PS))) {
			u64 size = BIT(shift);

			*gpa = (e & PTE_ADDR_MASK & ~(size - 1)) | (va & (size - 1));
			return true;
		}
		table = e & PTE_ADDR_MASK;
	}
	return false;
}

/*
 * Read @len bytes at the guest's virtual address @va, a byte at a time:
 * an instruction may cross a page, and the next page may be anywhere.
 */
bool guest_read_va(u64 va, void *buf, unsigned int len)
{
	u8 *b = buf;
	u64 gpa, hpa;

	for (unsigned int i = 0; i < len; i++) {
		if (!gva_to_gpa(va + i, &gpa) || !gpa_to_ram(gpa, &hpa))
			return false;
		b[i] = *(const u8 *)hpa;
	}
	return true;
}
