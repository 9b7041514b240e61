/* memmap.c - the mem_map walk: struct pages -> page plan (bitmaps, counts).
 *
 * Where the struct pages are.  We decode SPARSEMEM mem_section rather than
 * computing vmemmap + pfn * SIZE(page) directly, although on x86_64
 * (always SPARSEMEM_VMEMMAP) both give the same address:
 *  - it needs nothing from the architecture (6.1 does not even export
 *    SYMBOL(vmemmap)); the decoded section_mem_map is what the kernel
 *    itself uses for pfn_to_page() on every SPARSEMEM flavour;
 *  - it tells which sections have a mem_map at all, so holes in the
 *    physical map are skipped without touching unmapped vmemmap;
 *  - the cost is one 16-byte mem_section entry per 128 MiB section.
 * tests/plancheck.c cross-checks the decoded base against the arch's
 * vmemmap base on real vmcores.
 *
 * SPARSEMEM_EXTREME (x86_64, arm64, ...): SYMBOL(mem_section) is the root
 * array of LENGTH(mem_section) pointers, each to PAGE_SIZE / SIZE(mem_section)
 * entries.  Static SPARSEMEM: SYMBOL(mem_section) is the flat array and
 * LENGTH(mem_section) equals the number of sections.  An entry's
 * section_mem_map is (mem_map - section_start_pfn) with flag bits in the
 * low bits (PRESENT, HAS_MEM_MAP, ONLINE, EARLY, TAINT_ZONE_DEVICE: at most
 * 6 bits on any kernel); the struct page of pfn is decoded + pfn * SIZE(page).
 *
 * The walk is one pass over the present pfns in batches of CS_MM_BATCH
 * struct pages; nothing is allocated per page.  Fail safe: a struct page
 * that cannot be read or makes no sense keeps its page (CS_PC_UNCLASSIFIED);
 * a block (free buddy block, compound page) ends at the first page that does
 * not belong to it, at the section end, or at max_mapnr.
 */
#include "filter/plan.h"

#include <stdlib.h>
#include <string.h>

#include "lib/io.h"

#define CS_MM_BATCH 512
/* low bits of section_mem_map that are flags, not address */
#define CS_SECTION_FLAG_MASK 0x3fULL
#define CS_SECTION_HAS_MEM_MAP 0x2ULL

/* A run of pfns that share their first page's class. */
struct mm_block {
	uint64_t end;		/* first pfn after the block; 0 = none */
	enum cs_page_class cls;
	int compound;		/* 1: members must be tails of head_addr */
	uint64_t head_addr;	/* struct page address of the head */
};

struct mm_walk {
	const struct cs_kernel *k;
	struct cs_plan *plan;
	struct cs_page_layout layout;
	unsigned int level;
	int check_head_ptr;	/* compound_head is a pointer (pre-7.1) */
	uint8_t *buf;		/* (CS_MM_BATCH + 1) struct pages */
	struct mm_block blk;
	uint64_t pages_per_section;
	struct cs_err scratch;	/* failed reads are expected; not reported */
};

static void account(struct mm_walk *w, uint64_t pfn, enum cs_page_class c)
{
	struct cs_plan *p = w->plan;

	p->count[c]++;
	/* a page without data in the input is not kept anyway */
	if (cs_page_class_excluded(c, w->level) && cs_bit_test(p->keep, pfn)) {
		cs_bit_clear(p->keep, pfn);
		p->excluded[c]++;
	}
}

/* Is @ptr (a tail's compound_head without bit 0) a struct page of this
 * section's mem_map before @pfn? */
static int plausible_head(const struct mm_walk *w, uint64_t map, uint64_t pfn, uint64_t ptr)
{
	uint64_t size = w->layout.size, here = map + pfn * size;

	if (ptr >= here || (here - ptr) % size)
		return 0;
	return (here - ptr) / size < ((uint64_t)1 << 26);
}

/* Does the struct page @page of @pfn continue the current block? */
static int block_member(const struct mm_walk *w, const uint8_t *page)
{
	const struct cs_page_layout *l = &w->layout;
	uint64_t n;

	if (w->blk.compound) {
		uint64_t ch = cs_get_le64(page + l->off_compound_head);
		if (!(ch & 1))
			return 0;
		return !w->check_head_ptr || ch - 1 == w->blk.head_addr;
	}
	/* inside a free block every page is plain: no tail, no type, no flags
	 * that say "in use" */
	return cs_page_classify(l, page, NULL, &n) == CS_PC_KERNEL && n == 1;
}

static void classify_one(struct mm_walk *w, uint64_t map, uint64_t pfn, const uint8_t *page,
			 const uint8_t *next, uint64_t section_end)
{
	const struct cs_page_layout *l = &w->layout;
	uint64_t npages;
	enum cs_page_class c;

	if (page && pfn < w->blk.end) {
		if (block_member(w, page)) {
			account(w, pfn, w->blk.cls);
			return;
		}
		w->blk.end = 0;	/* the block ends early: judge this page alone */
	}
	if (!page) {
		account(w, pfn, CS_PC_UNCLASSIFIED);
		return;
	}
	c = cs_page_classify(l, page, next, &npages);
	if (c == CS_PC_TAIL) {
		/* a tail outside its head's block: the head was unreadable,
		 * absent or nonsense; keep it, but only call it a tail if it
		 * points at a struct page */
		uint64_t ch = cs_get_le64(page + l->off_compound_head);
		if (w->check_head_ptr && !plausible_head(w, map, pfn, ch - 1))
			c = CS_PC_UNCLASSIFIED;
		account(w, pfn, c);
		return;
	}
	if (npages > 1) {
		/* buddy blocks and compound pages are naturally aligned and
		 * never leave their section (sections are 2^15+ pages, and a
		 * larger hugetlb page starts at a section boundary) */
		if (pfn & (npages - 1)) {
			account(w, pfn, CS_PC_UNCLASSIFIED);
			return;
		}
		w->blk.end = pfn + npages;
		if (w->blk.end > section_end && npages <= w->pages_per_section)
			w->blk.end = section_end;
		w->blk.cls = c;
		w->blk.compound = c != CS_PC_FREE;
		w->blk.head_addr = map + pfn * l->size;
	}
	account(w, pfn, c);
}

/* Any present pfn in [start, end)? */
static int any_present(const struct cs_plan *p, uint64_t start, uint64_t end)
{
	for (uint64_t pfn = start; pfn < end; pfn++) {
		if ((pfn & 7) == 0 && pfn + 8 <= end) {
			if (p->present[pfn >> 3]) return 1;
			pfn += 7;
			continue;
		}
		if (cs_bit_test(p->present, pfn))
			return 1;
	}
	return 0;
}

/* Walk pfns [start, end) of one section whose decoded mem_map is @map. */
static void walk_section(struct mm_walk *w, uint64_t map, uint64_t start, uint64_t end)
{
	const struct cs_kernel *k = w->k;
	unsigned int size = w->layout.size;
	struct cs_plan *p = w->plan;

	for (uint64_t b = start; b < end; b += CS_MM_BATCH) {
		uint64_t n = end - b < CS_MM_BATCH ? end - b : CS_MM_BATCH;
		uint64_t nread = n + (b + n < end);	/* one more for the last head's tail */
		int ok;

		if (!any_present(p, b, b + n)) {
			w->blk.end = 0;
			continue;
		}
		ok = cs_kernel_read_virt(k, map + b * size, w->buf, nread * size, &w->scratch) == CS_OK;
		if (!ok && nread > n) {
			/* maybe only the extra page is missing */
			nread = n;
			ok = cs_kernel_read_virt(k, map + b * size, w->buf, n * size,
						 &w->scratch) == CS_OK;
		}
		for (uint64_t i = 0; i < n; i++) {
			uint64_t pfn = b + i;
			const uint8_t *page = w->buf + i * size, *next = NULL;

			if (!cs_bit_test(p->present, pfn))
				continue;
			if (!ok) {
				/* salvage what we can, one struct page at a time */
				if (cs_kernel_read_virt(k, map + pfn * size, w->buf + i * size, size,
							&w->scratch) != CS_OK)
					page = NULL;
			}
			if (page && i + 1 < nread) {
				next = page + size;
				if (!ok && cs_kernel_read_virt(k, map + (pfn + 1) * size,
							       w->buf + (i + 1) * size, size,
							       &w->scratch) != CS_OK)
					next = NULL;
			}
			classify_one(w, map, pfn, page, next, end);
		}
	}
}

/* 1st bitmap = present RAM in the input; keep starts as the pages that have
 * data.  A page an earlier run excluded (re-filtering a kdump file, an ELF
 * hole with filesz < memsz) is present without data and is never kept. */
static enum cs_status mark_present(struct cs_plan *p, const struct cs_vmcore *vc,
				   uint64_t bytes, struct cs_err *err)
{
	cs_vmcore_bitmaps(vc, p->present, p->keep, p->max_mapnr);
	for (uint64_t i = 0; i < bytes; i++)
		p->keep[i] &= p->present[i];
	(void)err;
	return CS_OK;
}

static uint64_t popcount_bm(const uint8_t *bm, uint64_t bytes)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < bytes; i++)
		n += (uint64_t)__builtin_popcount(bm[i]);
	return n;
}

/* Present pfns of a section without a usable mem_map are kept, unclassified. */
static void keep_unclassified(struct mm_walk *w, uint64_t start, uint64_t end)
{
	w->blk.end = 0;
	for (uint64_t pfn = start; pfn < end; pfn++)
		if (cs_bit_test(w->plan->present, pfn))
			account(w, pfn, CS_PC_UNCLASSIFIED);
}

enum cs_status cs_plan_build(struct cs_plan *plan, const struct cs_kernel *k,
			     unsigned int level, struct cs_err *err)
{
	const struct cs_vmcoreinfo *vi = &k->vi;
	const struct cs_vmcore *vc = k->vc;
	struct mm_walk w;
	unsigned int shift, page_size = vc->page_size ? vc->page_size : 4096;
	uint64_t bytes, nr_sections, per_root, nroots, ms_size, sec_shift;
	enum cs_status st;

	memset(plan, 0, sizeof(*plan));
	if (level > CS_DL_MAX)
		return cs_fail(err, CS_INVALID, "dump level %u out of range 0-31", level);
	for (shift = 0; (1u << shift) < page_size; shift++)
		;
	memset(&w, 0, sizeof(w));
	w.k = k;
	w.plan = plan;
	w.level = level;
	st = cs_page_layout_init(&w.layout, vi, err);
	if (st)
		return cs_err_prefix(err, "cannot classify pages");
	/* 7.1's compound_info is being reworked to encode the head differently
	 * (vmemmap dedup series); only bit 0 (tail) is relied upon there */
	w.check_head_ptr = w.layout.has_compound_head && !vi->have.off_page_compound_info;

	ms_size = vi->size_mem_section;
	sec_shift = (uint64_t)vi->section_size_bits;
	if (ms_size < 8 || ms_size > page_size || vi->off_section_mem_map + 8 > ms_size ||
	    sec_shift <= shift || sec_shift >= 64 || vi->max_physmem_bits <= (int64_t)sec_shift ||
	    vi->max_physmem_bits > 64)
		return cs_fail(err, CS_CORRUPT, "implausible SPARSEMEM parameters: SIZE(mem_section)=%llu "
			       "SECTION_SIZE_BITS=%llu MAX_PHYSMEM_BITS=%lld",
			       (unsigned long long)ms_size, (unsigned long long)sec_shift,
			       (long long)vi->max_physmem_bits);
	w.pages_per_section = (uint64_t)1 << (sec_shift - shift);
	nr_sections = (uint64_t)1 << (vi->max_physmem_bits - (int64_t)sec_shift);

	plan->dump_level = level;
	plan->max_mapnr = vc->max_pfn;
	bytes = (plan->max_mapnr + 7) / 8;
	plan->present = calloc(bytes ? bytes : 1, 1);
	plan->keep = calloc(bytes ? bytes : 1, 1);
	w.buf = malloc((size_t)(CS_MM_BATCH + 1) * w.layout.size);
	if (!plan->present || !plan->keep || !w.buf) {
		st = cs_fail_nomem(err);
		goto out;
	}
	st = mark_present(plan, vc, bytes, err);
	if (st)
		goto out;

	/* EXTREME when the root array is shorter than the section count */
	per_root = vi->have.len_mem_section && vi->len_mem_section == nr_sections
			   ? 1 : page_size / ms_size;
	nroots = (nr_sections + per_root - 1) / per_root;
	for (uint64_t s = 0; s * w.pages_per_section < plan->max_mapnr; s++) {
		uint64_t start = s * w.pages_per_section;
		uint64_t end = start + w.pages_per_section;
		uint64_t r = s / per_root, idx = s % per_root, entry_addr, map;
		uint8_t ent[8];

		if (end > plan->max_mapnr)
			end = plan->max_mapnr;
		if (!any_present(plan, start, end))
			continue;
		if (r >= nroots) {
			keep_unclassified(&w, start, end);
			continue;
		}
		if (per_root == 1) {
			entry_addr = vi->sym_mem_section + s * ms_size;
		} else {
			if (cs_kernel_read_virt(k, vi->sym_mem_section + r * 8, ent, 8,
						&w.scratch) != CS_OK) {
				keep_unclassified(&w, start, end);
				continue;
			}
			entry_addr = cs_get_le64(ent);
			if (!entry_addr) {
				keep_unclassified(&w, start, end);
				continue;
			}
			entry_addr += idx * ms_size;
		}
		if (cs_kernel_read_virt(k, entry_addr + vi->off_section_mem_map, ent, 8,
					&w.scratch) != CS_OK) {
			keep_unclassified(&w, start, end);
			continue;
		}
		map = cs_get_le64(ent);
		if (!(map & CS_SECTION_HAS_MEM_MAP) || !(map & ~CS_SECTION_FLAG_MASK)) {
			keep_unclassified(&w, start, end);
			continue;
		}
		map &= ~CS_SECTION_FLAG_MASK;
		if (start && w.blk.end <= start)
			w.blk.end = 0;
		walk_section(&w, map, start, end);
	}
	plan->present_pages = popcount_bm(plan->present, bytes);
	plan->kept_pages = popcount_bm(plan->keep, bytes);
	st = CS_OK;
out:
	free(w.buf);
	if (st)
		cs_plan_fini(plan);
	return st;
}

void cs_plan_fini(struct cs_plan *plan)
{
	free(plan->present);
	free(plan->keep);
	plan->present = plan->keep = NULL;
}
