// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's GPA space: AMD nested page tables (4-level, the host's
 * paging mode at VMRUN), walked by the CPU after the guest's own tables.
 *
 * - Each 4 KiB page of the guest's RAM has two addresses: the shared
 *   view, mapped to the same HPA (what QEMU's devices and the hypervisor
 *   see), and the private view, mapped to other RAM at PRIVATE_BASE +
 *   GPA.  For SEV the shared view is the plain GPA and the private one
 *   GPA | bit 47 (the C-bit); for TDX the private view is the plain GPA
 *   and the shared one GPA | bit 47 (the shared bit).  So a page written
 *   through one view reads back different memory through the other, as
 *   on SEV where the host sees only ciphertext of private pages.
 * - npt_set_view() chooses per page which views are mapped and records it
 *   in page_view[], as realm/fw/stage2.c does for the RIPAS.  SEV and
 *   plain guests have both views of every page (SEV hardware does not
 *   enforce either); a TDX guest's pages follow its MapGPA and ACCEPT
 *   calls (tdx.c), so that an access through the other view is a nested
 *   page fault the hypervisor stops the run on (exit.c).
 * - The firmware's tables above the guest's RAM: both views, the private
 *   one a copy (npt_map_firmware()).
 * - [MMIO_BASE, 4 GiB) is identity with 2 MiB pages: local APIC, I/O
 *   APIC, HPET, PCI BARs (for TDX in both views).  Everything else is
 *   unmapped: the hypervisor, its tables and the private RAM's own HPAs
 *   are out of the guest's reach.
 *
 * Nested tables need the U bit in every entry (nested walks are user
 * accesses); NX is not used (the host's EFER.NXE is clear, so bit 63
 * would be reserved).  A change takes effect at the next VMRUN, which
 * flushes the guest's TLB when npt_take_flush() says so.
 */
#include "hv.h"

#define NPT_P			BIT(0)
#define NPT_RW			BIT(1)
#define NPT_US			BIT(2)
#define NPT_D			BIT(6)		/* set by the CPU's nested walk on a write */
#define NPT_PS			BIT(7)
#define NPT_ADDR_MASK		0x000ffffffffff000UL
#define NPT_TABLE		(NPT_P | NPT_RW | NPT_US)
#define NPT_PAGE		(NPT_P | NPT_RW | NPT_US)

#define ENTRIES			512
#define PAGES			(GUEST_RAM_SIZE / PAGE_SIZE)

/*
 * A level 1 table per 2 MiB of each view (256), a PML4, two PDPTs, three
 * PDs (four in TDX mode, whose MMIO is mapped in both views), and spares
 * for the firmware's tables (npt_map_firmware()).
 */
#define MAX_TABLES		(2 * GUEST_RAM_SIZE / SZ_2M + 16)

static u64 tables[MAX_TABLES][ENTRIES] __aligned(4096);
static unsigned int tables_used;
static u64 *pml4;
static u8 page_view[PAGES];
static bool flush_pending;

static u64 *new_table(void)
{
	if (tables_used == MAX_TABLES)
		hv_fatal("npt: out of tables");
	return tables[tables_used++];	/* .bss: already zero */
}

static unsigned int idx(u64 gpa, unsigned int level)
{
	return (gpa >> (12 + 9 * (level - 1))) & (ENTRIES - 1);
}

static u64 *next_level(u64 *table, unsigned int i)
{
	if (!(table[i] & NPT_P))
		table[i] = (u64)new_table() | NPT_TABLE;
	else if (table[i] & NPT_PS)
		hv_fatal("npt: a large page where a table was expected");
	return (u64 *)(table[i] & NPT_ADDR_MASK);
}

/* The entry for @gpa at @level (1: 4 KiB, 2: 2 MiB), tables made on first use. */
static u64 *entry(u64 gpa, unsigned int level)
{
	u64 *t = pml4;

	for (unsigned int l = 4; l > level; l--)
		t = next_level(t, idx(gpa, l));
	return &t[idx(gpa, level)];
}

/*
 * Which views of the page at @gpa (4 KiB aligned, guest RAM) the guest
 * may use from its next VMRUN on.
 */
/*
 * The GPA of each view of the page at @gpa (bit 47 clear): SEV sets the
 * C-bit for private memory, TDX the shared bit for shared memory.
 */
u64 npt_shared_gpa(u64 gpa)
{
	return hv_mode == HV_MODE_TDX ? gpa | GPA_BIT47 : gpa;
}

u64 npt_private_gpa(u64 gpa)
{
	return hv_mode == HV_MODE_TDX ? gpa : gpa | GPA_BIT47;
}

void npt_set_view(u64 gpa, enum npt_view view)
{
	if (!ALIGNED(gpa, PAGE_SIZE) || gpa >= GUEST_RAM_SIZE)
		hv_fatal("npt: a view for a GPA outside the guest's RAM");
	*entry(npt_shared_gpa(gpa), 1) = view & NPT_SHARED ? gpa | NPT_PAGE : 0;
	*entry(npt_private_gpa(gpa), 1) = view & NPT_PRIVATE ? (PRIVATE_BASE + gpa) | NPT_PAGE : 0;
	page_view[gpa / PAGE_SIZE] = view;
	flush_pending = true;
}

enum npt_view npt_view(u64 gpa)
{
	gpa &= ~GPA_BIT47;
	return gpa < GUEST_RAM_SIZE ? page_view[gpa / PAGE_SIZE] : NPT_NONE;
}

/* The HPA the guest reaches at @gpa now: a software walk of the tables. */
bool npt_translate(u64 gpa, u64 *hpa)
{
	u64 *t = pml4, e;

	for (unsigned int l = 4; l >= 1; l--) {
		e = t[idx(gpa, l)];
		if (!(e & NPT_P))
			return false;
		if (l == 1 || (e & NPT_PS)) {
			u64 size = BIT(12 + 9 * (l - 1));

			*hpa = (e & NPT_ADDR_MASK & ~(size - 1)) | (gpa & (size - 1));
			return true;
		}
		t = (u64 *)(e & NPT_ADDR_MASK);
	}
	return false;
}

/*
 * The firmware's tables at @gpa (above the guest's RAM, below MMIO): the
 * shared view is the same HPA, the private view a copy at @copy_hpa that
 * linux.c made at launch.  Both stay mapped.
 */
void npt_map_firmware(u64 gpa, u64 size, u64 copy_hpa)
{
	if (!ALIGNED(gpa | size, PAGE_SIZE) || gpa < GUEST_RAM_SIZE || gpa + size > MMIO_BASE)
		hv_fatal("npt: firmware tables outside the hole between guest RAM and MMIO");
	for (u64 off = 0; off < size; off += PAGE_SIZE) {
		*entry(npt_shared_gpa(gpa + off), 1) = (gpa + off) | NPT_PAGE;
		*entry(npt_private_gpa(gpa + off), 1) = (copy_hpa + off) | NPT_PAGE;
	}
	flush_pending = true;
}

/*
 * How many pages of the guest's RAM its CPU wrote through each view
 * since they were mapped: the dirty bits the nested walk set.  Devices
 * write HPAs directly and are not counted.
 */
void npt_count_dirty(u64 *shared, u64 *private)
{
	*shared = *private = 0;
	for (u64 gpa = 0; gpa < GUEST_RAM_SIZE; gpa += PAGE_SIZE) {
		*shared += !!(*entry(npt_shared_gpa(gpa), 1) & NPT_D);
		*private += !!(*entry(npt_private_gpa(gpa), 1) & NPT_D);
	}
}

/* How many pages of the guest's RAM are in each view (indexed by enum npt_view). */
void npt_count_views(u64 count[4])
{
	count[0] = count[1] = count[2] = count[3] = 0;
	for (u64 i = 0; i < PAGES; i++)
		count[page_view[i] & NPT_BOTH]++;
}

/* True once after any change: the next VMRUN flushes the guest's TLB. */
bool npt_take_flush(void)
{
	bool f = flush_pending;

	flush_pending = false;
	return f;
}

u64 npt_root(void)
{
	return (u64)pml4;
}

/*
 * SEV and plain: every page has both views, as on SEV hardware.  TDX:
 * every page starts private (the TD's memory is accepted at launch), and
 * only MapGPA and ACCEPT change that (tdx.c).  MMIO is identity; a TDX
 * guest reaches it through both views (7.2 maps the xAPIC page without
 * the shared bit, ioremap() with it).
 */
void npt_init(void)
{
	enum npt_view initial = hv_mode == HV_MODE_TDX ? NPT_PRIVATE : NPT_BOTH;

	pml4 = new_table();
	for (u64 gpa = 0; gpa < GUEST_RAM_SIZE; gpa += PAGE_SIZE)
		npt_set_view(gpa, initial);
	for (u64 gpa = MMIO_BASE; gpa < MMIO_TOP; gpa += SZ_2M) {
		*entry(gpa, 2) = gpa | NPT_PAGE | NPT_PS;
		if (hv_mode == HV_MODE_TDX)
			*entry(gpa | GPA_BIT47, 2) = gpa | NPT_PAGE | NPT_PS;
	}
	hv_printf("npt: GPA 0x0-0x%lx, shared view %s to the same HPA, private view %s to HPA 0x%lx (4 KiB pages, %s); MMIO 0x%lx-0x%lx identity (2 MiB pages); %u tables\n",
		  GUEST_RAM_SIZE, hv_mode == HV_MODE_TDX ? "GPA|bit 47" : "GPA",
		  hv_mode == HV_MODE_TDX ? "GPA" : "GPA|bit 47", PRIVATE_BASE,
		  hv_mode == HV_MODE_TDX ? "every page private until MapGPA: enforcing" :
		  "both views mapped: not enforcing", MMIO_BASE, MMIO_TOP, tables_used);
}
