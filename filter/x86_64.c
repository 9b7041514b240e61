/* x86_64.c - x86_64 address translation from VMCOREINFO and the dump alone.
 *
 * Everything is derived without a vmlinux:
 *  - KASLR offset: KERNELOFFSET; phys_base: NUMBER(phys_base) (both since
 *    4.x; absent means 0, i.e. a non-relocated kernel).
 *  - Page-table root: SYMBOL(init_top_pgt) (4.13+, the old name
 *    SYMBOL(swapper_pg_dir) otherwise), a kernel-image address, so
 *    __pa = va - __START_KERNEL_map + phys_base.
 *  - Paging levels: NUMBER(pgtable_l5_enabled) (4.17+, absent = 4 levels).
 *  - Direct-map base (page_offset_base, randomized since 4.8): the kernel
 *    allocates the SPARSEMEM_EXTREME root array with memblock, so
 *    SYMBOL(mem_section) (the pointer's value since 4.15, commit a0b1280368d1)
 *    is a direct-map address.  Walking the page tables gives its physical
 *    address P, and page_offset = SYMBOL(mem_section) - P.  KASLR places the
 *    direct map on a 1 GiB boundary, which we check.
 *  - vmemmap base: SYMBOL(vmemmap) when exported (6.12 has it, 6.1 does not);
 *    otherwise any present section's encoded section_mem_map: the kernel
 *    stores mem_map - section_start_pfn (sparse_encode_mem_map), which with
 *    SPARSEMEM_VMEMMAP is the vmemmap base itself, plus flag bits below
 *    SECTION_MAP_LAST_BIT (at most 6 bits so far); the base is 1 GiB
 *    aligned, so clearing the page-offset bits recovers it exactly.
 *  - NUMBER(sme_mask) (AMD SME/SEV memory encryption bit) is set in page
 *    table entries and is stripped before using an entry as an address.
 */
#include <elf.h>
#include <inttypes.h>
#include <string.h>

#include "filter/kernel.h"
#include "lib/io.h"

#define START_KERNEL_MAP	0xffffffff80000000ull
#define DEFAULT_IMAGE_SIZE	(1ull << 30)	/* KERNEL_IMAGE_SIZE with KASLR */
#define PHYS_MASK		0x000ffffffffff000ull	/* bits 12..51 */
#define PTE_PRESENT		0x1ull
#define PTE_PSE			0x80ull		/* large page at PUD/PMD level */
#define GIB			(1ull << 30)

static const char *const level_name[] = { "PTE", "PMD", "PUD", "PGD", "P4D/PML5" };

/* Walk the page tables; *psize is the mapping's size (4K, 2M or 1G). */
static enum cs_status walk(const struct cs_kernel *k, uint64_t va, uint64_t *pa,
			   uint64_t *psize, struct cs_err *err)
{
	const struct cs_x86_64_state *x = &k->as.x86_64;
	uint64_t table = x->pgd_paddr;
	uint64_t mask = PHYS_MASK & ~(uint64_t)k->vi.sme_mask;
	int top = x->levels == 5 ? 56 : 47;
	int64_t sva = (int64_t)(va << (63 - top)) >> (63 - top);

	if ((uint64_t)sva != va)
		return cs_fail(err, CS_NODATA, "virtual address %#" PRIx64 " is not canonical for %d-level paging",
			       va, x->levels);
	for (int lv = x->levels - 1; lv >= 0; lv--) {
		unsigned int shift = 12 + 9 * (unsigned int)lv;
		uint64_t slot = table + ((va >> shift) & 511) * 8;
		uint8_t raw[8];
		uint64_t e;
		enum cs_status st;

		st = cs_vmcore_read_phys(k->vc, slot, raw, 8, err);
		if (st)
			return cs_err_prefix(err, "cannot translate virtual address %#" PRIx64
					     ": %s table at physical %#" PRIx64,
					     va, level_name[lv], table);
		e = cs_get_le64(raw);
		if (!(e & PTE_PRESENT))
			return cs_fail(err, CS_NODATA,
				       "virtual address %#" PRIx64 " is not mapped (%s entry %#" PRIx64
				       " at physical %#" PRIx64 " not present)",
				       va, level_name[lv], e, slot);
		if (lv == 0 || ((lv == 1 || lv == 2) && (e & PTE_PSE))) {
			uint64_t size = 1ull << shift;

			/* large-page entries carry PAT in bit 12: mask to the page size */
			*pa = (e & mask & ~(size - 1)) | (va & (size - 1));
			*psize = size;
			return CS_OK;
		}
		if (e & PTE_PSE && lv > 2)
			return cs_fail(err, CS_CORRUPT,
				       "cannot translate virtual address %#" PRIx64 ": %s entry %#" PRIx64
				       " at physical %#" PRIx64 " has the large-page bit",
				       va, level_name[lv], e, slot);
		table = e & mask;
	}
	return cs_fail(err, CS_CORRUPT, "cannot translate virtual address %#" PRIx64, va);
}

static enum cs_status x86_64_vtop(const struct cs_kernel *k, uint64_t vaddr, uint64_t *paddr,
				  struct cs_err *err)
{
	uint64_t size;

	return walk(k, vaddr, paddr, &size, err);
}

static enum cs_status find_vmemmap(struct cs_kernel *k, struct cs_err *err)
{
	const struct cs_vmcoreinfo *vi = &k->vi;
	uint64_t nroots = vi->have.len_mem_section ? vi->len_mem_section : 0;
	uint64_t per_root, ssize = vi->size_mem_section;
	enum cs_status st;

	if (vi->have.sym_vmemmap) {
		k->as.x86_64.vmemmap_base = vi->sym_vmemmap;
		return CS_OK;
	}
	if (ssize == 0 || ssize > 4096 || vi->off_section_mem_map + 8 > ssize)
		return cs_fail(err, CS_CORRUPT, "implausible SIZE(mem_section)=%" PRIu64, ssize);
	per_root = 4096 / ssize;	/* SECTIONS_PER_ROOT = PAGE_SIZE / sizeof */
	if (!nroots) {
		int bits = (int)(vi->max_physmem_bits - vi->section_size_bits);

		nroots = bits > 0 && bits < 40 ? ((1ull << bits) + per_root - 1) / per_root : 0;
	}
	for (uint64_t r = 0; r < nroots; r++) {
		uint8_t raw[8];
		uint64_t root;

		st = cs_kernel_read_virt(k, vi->sym_mem_section + r * 8, raw, 8, err);
		if (st)
			return cs_err_prefix(err, "cannot read mem_section root %" PRIu64, r);
		root = cs_get_le64(raw);
		if (!root)
			continue;
		for (uint64_t i = 0; i < per_root; i++) {
			uint64_t m;

			st = cs_kernel_read_virt(k, root + i * ssize + vi->off_section_mem_map,
						 raw, 8, err);
			if (st)
				return cs_err_prefix(err, "cannot read mem_section %" PRIu64,
						     r * per_root + i);
			m = cs_get_le64(raw);
			/* SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP */
			if ((m & 3) == 3) {
				k->as.x86_64.vmemmap_base = m & ~0xfffull;
				return CS_OK;
			}
		}
	}
	return cs_fail(err, CS_CORRUPT, "no present memory section in mem_section %#" PRIx64
		       " (cannot find the vmemmap base)", vi->sym_mem_section);
}

static enum cs_status x86_64_init(struct cs_kernel *k, struct cs_err *err)
{
	struct cs_x86_64_state *x = &k->as.x86_64;
	const struct cs_vmcoreinfo *vi = &k->vi;
	uint64_t root, image_size, pa;
	uint8_t probe[8];
	enum cs_status st;

	memset(x, 0, sizeof(*x));
	x->kaslr_offset = vi->have.kerneloffset ? vi->kerneloffset : 0;
	x->phys_base = vi->have.phys_base ? (uint64_t)vi->phys_base : 0;
	if (vi->have.pgtable_l5_enabled && vi->pgtable_l5_enabled != 0 && vi->pgtable_l5_enabled != 1)
		return cs_fail(err, CS_CORRUPT, "implausible NUMBER(pgtable_l5_enabled)=%" PRId64,
			       vi->pgtable_l5_enabled);
	x->levels = vi->have.pgtable_l5_enabled && vi->pgtable_l5_enabled ? 5 : 4;
	if ((uint64_t)vi->sme_mask & 0xfff)
		return cs_fail(err, CS_CORRUPT, "implausible NUMBER(sme_mask)=%#" PRIx64,
			       (uint64_t)vi->sme_mask);

	if (vi->have.sym_init_top_pgt)
		root = vi->sym_init_top_pgt;
	else if (vi->have.sym_swapper_pg_dir)
		root = vi->sym_swapper_pg_dir;
	else
		return cs_fail(err, CS_CORRUPT,
			       "VMCOREINFO has neither SYMBOL(init_top_pgt) nor SYMBOL(swapper_pg_dir)");
	image_size = vi->have.kernel_image_size && vi->kernel_image_size > 0
		     ? (uint64_t)vi->kernel_image_size : DEFAULT_IMAGE_SIZE;
	if (root < START_KERNEL_MAP || root - START_KERNEL_MAP >= image_size || root & 0xfff)
		return cs_fail(err, CS_CORRUPT,
			       "page-table root %#" PRIx64 " is not a page-aligned kernel-image address",
			       root);
	x->pgd_paddr = root - START_KERNEL_MAP + x->phys_base;
	st = cs_vmcore_read_phys(k->vc, x->pgd_paddr, probe, sizeof(probe), err);
	if (st)
		return cs_err_prefix(err, "page-table root %#" PRIx64 " (physical %#" PRIx64
				     ", phys_base %#" PRIx64 ") is unreadable",
				     root, x->pgd_paddr, x->phys_base);

	/* direct-map base from the root array of mem_section (see top) */
	st = x86_64_vtop(k, vi->sym_mem_section, &pa, err);
	if (st)
		return cs_err_prefix(err, "cannot find the direct-map base from SYMBOL(mem_section)");
	x->page_offset = vi->sym_mem_section - pa;
	if (x->page_offset & (GIB - 1) || !(x->page_offset >> 63))
		return cs_fail(err, CS_CORRUPT,
			       "direct-map base %#" PRIx64 " derived from SYMBOL(mem_section)=%#" PRIx64
			       " (physical %#" PRIx64 ") is not a 1 GiB aligned kernel address",
			       x->page_offset, vi->sym_mem_section, pa);
	return find_vmemmap(k, err);
}

const struct cs_arch_ops cs_arch_x86_64 = {
	.name = "x86_64",
	.elf_machine = EM_X86_64,
	.init = x86_64_init,
	.vtop = x86_64_vtop,
};
