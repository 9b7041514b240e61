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
#define MODULES_END		0xffffffffff000000ull
#define KERNEL_HALF		0xffff800000000000ull	/* lowest kernel address, 4-level */
#define KERNEL_HALF_L5		0xff00000000000000ull
#define CPU_ENTRY_AREA		0xfffffe0000000000ull	/* 4.15+, both paging modes */
#define CPU_ENTRY_AREA_SIZE	(1ull << 39)
#define STACK_SIZE		0x4000ull	/* THREAD_SIZE without KASAN */
#define PRSTATUS_NREGS		27		/* struct user_regs_struct */
#define PR_REG_RSP		19
#define PHYS_MASK		0x000ffffffffff000ull	/* bits 12..51 */
#define PTE_PRESENT		0x1ull
#define PTE_RW			0x2ull
#define PTE_PSE			0x80ull		/* large page at PUD/PMD level */
#define PTE_NX			(1ull << 63)
#define GIB			(1ull << 30)

static const char *const level_name[] = { "PTE", "PMD", "PUD", "PGD", "P4D/PML5" };

/* The page-table format, shared by translate and walk. */
enum entry { ENTRY_NONE, ENTRY_TABLE, ENTRY_LEAF, ENTRY_BAD };

/* What entry @e of a level-@lv table (0 = PTE) is. */
static enum entry entry_kind(uint64_t e, int lv)
{
	if (!(e & PTE_PRESENT))
		return ENTRY_NONE;
	if (lv == 0 || ((lv == 1 || lv == 2) && (e & PTE_PSE)))
		return ENTRY_LEAF;
	return e & PTE_PSE ? ENTRY_BAD : ENTRY_TABLE;
}

/* Permissions after entry @e under the effective bits @up of the levels
 * above: writable only if every level allows it, no-execute if any says so. */
static uint64_t entry_eff(uint64_t e, uint64_t up)
{
	return (e & up & PTE_RW) | ((e | up) & PTE_NX);
}

static unsigned int map_flags(uint64_t eff)
{
	return (eff & PTE_RW ? CS_MAP_WRITE : 0) | (eff & PTE_NX ? 0 : CS_MAP_EXEC);
}

static uint64_t entry_mask(const struct cs_kernel *k)
{
	return PHYS_MASK & ~(uint64_t)k->vi.sme_mask;
}

/* large-page entries carry PAT in bit 12: mask to the page size */
static uint64_t leaf_pa(const struct cs_kernel *k, uint64_t e, uint64_t size)
{
	return e & entry_mask(k) & ~(size - 1);
}

static uint64_t canonical(uint64_t va, int levels)
{
	int top = levels == 5 ? 56 : 47;

	return (uint64_t)((int64_t)(va << (63 - top)) >> (63 - top));
}

static enum cs_status x86_64_translate(const struct cs_kernel *k, uint64_t va,
				       struct cs_mapping *m, struct cs_err *err)
{
	const struct cs_x86_64_state *x = &k->as.x86_64;
	uint64_t table = x->pgd_paddr, up = PTE_RW;

	if (canonical(va, x->levels) != va)
		return cs_fail(err, CS_NODATA, "virtual address %#" PRIx64 " is not canonical for %d-level paging",
			       va, x->levels);
	for (int lv = x->levels - 1; lv >= 0; lv--) {
		unsigned int shift = 12 + 9 * (unsigned int)lv;
		unsigned int idx = (unsigned int)((va >> shift) & 511);
		uint64_t e, size = 1ull << shift;
		enum cs_status st;

		st = cs_kernel_pt_entry(k, (unsigned int)lv, table, idx, &e, err);
		if (st)
			return cs_err_prefix(err, "cannot translate virtual address %#" PRIx64
					     ": %s table at physical %#" PRIx64,
					     va, level_name[lv], table);
		switch (entry_kind(e, lv)) {
		case ENTRY_NONE:
			return cs_fail(err, CS_NODATA,
				       "virtual address %#" PRIx64 " is not mapped (%s entry %#" PRIx64
				       " at physical %#" PRIx64 " not present)",
				       va, level_name[lv], e, table + (uint64_t)idx * 8);
		case ENTRY_LEAF:
			m->va = va & ~(size - 1);
			m->pa = leaf_pa(k, e, size);
			m->size = size;
			m->flags = map_flags(entry_eff(e, up));
			return CS_OK;
		case ENTRY_BAD:
			return cs_fail(err, CS_CORRUPT,
				       "cannot translate virtual address %#" PRIx64 ": %s entry %#" PRIx64
				       " at physical %#" PRIx64 " has the large-page bit",
				       va, level_name[lv], e, table + (uint64_t)idx * 8);
		case ENTRY_TABLE:
			up = entry_eff(e, up);
			table = e & entry_mask(k);
			break;
		}
	}
	return cs_fail(err, CS_CORRUPT, "cannot translate virtual address %#" PRIx64, va);
}

static enum cs_status x86_64_vtop(const struct cs_kernel *k, uint64_t vaddr, uint64_t *paddr,
				  struct cs_err *err)
{
	struct cs_mapping m;
	enum cs_status st = x86_64_translate(k, vaddr, &m, err);

	if (!st)
		*paddr = m.pa + (vaddr - m.va);
	return st;
}

struct walk {
	const struct cs_kernel *k;
	uint64_t lo, hi;
	cs_walk_fn *fn;
	void *arg;
	uint8_t buf[5][4096];	/* one table page per level */
};

/* Visit the level-@lv table at physical @table covering virtual addresses
 * from @base, with effective permission bits @up from the levels above. */
static void walk_table(struct walk *w, uint64_t table, int lv, uint64_t base, uint64_t up,
		       int root)
{
	const struct cs_kernel *k = w->k;
	unsigned int shift = 12 + 9 * (unsigned int)lv;
	uint8_t *buf = w->buf[lv];
	struct cs_walk_item it;
	struct cs_err ignored;

	memset(&it, 0, sizeof(it));
	it.root = root;
	it.level = lv;
	it.table = table;
	if (w->fn(w->arg, &it) == CS_WALK_SKIP)
		return;
	if (cs_vmcore_read_phys(k->vc, table, buf, 4096, &ignored) != CS_OK)
		return;
	for (unsigned int i = 0; i < 512; i++) {
		uint64_t va = canonical(base + ((uint64_t)i << shift), k->as.x86_64.levels);
		uint64_t va_last = va + ((1ull << shift) - 1);
		uint64_t e = cs_get_le64(buf + i * 8);
		uint64_t eff = entry_eff(e, up);
		enum entry kind;

		if (va_last < w->lo || va > w->hi)
			continue;
		kind = entry_kind(e, lv);
		if (kind == ENTRY_LEAF) {
			uint64_t from = va < w->lo ? w->lo : va;
			uint64_t to = va_last > w->hi ? w->hi : va_last;

			it.leaf = 1;
			it.map.va = from;
			it.map.pa = leaf_pa(k, e, 1ull << shift) + (from - va);
			it.map.size = to - from + 1;
			it.map.flags = map_flags(eff);
			w->fn(w->arg, &it);
		} else if (kind == ENTRY_TABLE) {
			/* the child has its own buffer: ours stays intact */
			walk_table(w, e & entry_mask(k), lv - 1, va, eff, 0);
		}
	}
}

static void x86_64_walk(const struct cs_kernel *k, uint64_t lo, uint64_t hi, cs_walk_fn *fn,
			void *arg)
{
	struct walk w;

	w.k = k;
	w.lo = lo;
	w.hi = hi;
	w.fn = fn;
	w.arg = arg;
	walk_table(&w, k->as.x86_64.pgd_paddr, k->as.x86_64.levels - 1, 0, PTE_RW, 1);
}

static uint64_t image_size(const struct cs_kernel *k)
{
	return k->vi.have.kernel_image_size && k->vi.kernel_image_size > 0
	       ? (uint64_t)k->vi.kernel_image_size : DEFAULT_IMAGE_SIZE;
}

/* The kernel image at __START_KERNEL_map (KERNEL_IMAGE_SIZE), modules
 * right after it up to MODULES_END, the cpu_entry_area (4.15+; it aliases
 * each CPU's GDT, TSS and exception stacks, which live in the per-cpu
 * areas), and the direct map found by init. */
static int x86_64_regions(const struct cs_kernel *k, struct cs_arch_regions *r)
{
	const struct cs_x86_64_state *x = &k->as.x86_64;
	uint64_t image = image_size(k);

	if (!x->pgd_paddr)
		return -1;
	memset(r, 0, sizeof(*r));
	r->kernel_lo = x->levels == 5 ? KERNEL_HALF_L5 : KERNEL_HALF;
	r->image_lo = START_KERNEL_MAP;
	r->image_hi = START_KERNEL_MAP + image - 1;
	r->modules_lo = START_KERNEL_MAP + image;
	r->modules_hi = MODULES_END - 1;
	r->percpu_lo = CPU_ENTRY_AREA;
	r->percpu_hi = CPU_ENTRY_AREA + CPU_ENTRY_AREA_SIZE - 1;
	r->direct_map = x->page_offset;
	r->stack_size = STACK_SIZE;
	r->prstatus_nregs = PRSTATUS_NREGS;
	r->prstatus_sp = PR_REG_RSP;
	return 0;
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
	uint64_t root, pa;
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
	if (root < START_KERNEL_MAP || root - START_KERNEL_MAP >= image_size(k) || root & 0xfff)
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
	.translate = x86_64_translate,
	.vtop = x86_64_vtop,
	.walk = x86_64_walk,
	.regions = x86_64_regions,
};
