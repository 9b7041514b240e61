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
 *
 * Windows (see plan.h): the walk runs block by block over [start, end)
 * ranges that hold whole sections, writing into the bits of that range
 * only, so walking a block again later (from the block state saved where a
 * block crosses the block's start) gives exactly the bits the first walk
 * gave.
 */
#include "filter/plan.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/io.h"
#include "lib/thread.h"

#define CS_MM_BATCH 512		/* struct pages judged as one batch */
#define CS_MM_READ CS_PLAN_MM_READ	/* struct pages read at once (plan.h) */
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
	struct cs_plan *plan;	/* counts go here while counting */
	struct cs_page_layout layout;
	unsigned int level;
	int check_head_ptr;	/* compound_head is a pointer (pre-7.1) */
	int counting;		/* the first walk: count classes */
	uint8_t *buf;		/* (CS_MM_READ + 1) struct pages */
	struct mm_block blk;
	uint64_t max;		/* max_mapnr */
	uint64_t pages_per_section;
	uint64_t per_root, nroots, ms_size;	/* mem_section layout */
	/* the bits being filled: pfn base + i is bit i */
	uint8_t *present, *keep;
	uint64_t base;
	struct cs_err scratch;	/* failed reads are expected; not reported */
};

/* The walk state at the start of a block that begins inside a block of
 * pages (compound or free) that started earlier. */
struct carry {
	uint64_t block;
	struct mm_block blk;
};

/* One bitmap of a whole plan kept per block: per block, a pointer into
 * bits[nbits blocks]: [0] all ones, [1] all zeros, then copies of the mixed
 * blocks (compact()).  blk NULL: not packed. */
struct packed_bits {
	const uint8_t **blk;
	uint8_t *bits;
	uint64_t nbits;
};

struct cs_plan_cache {
	struct mm_walk w;
	const struct cs_vmcore *vc;
	int whole;		/* present/keep hold [0, max_mapnr) */
	int borrowed;		/* ... and are the caller's (cs_plan_from_bitmaps) */
	uint8_t *present, *keep;	/* whole bitmaps, or nslots blocks each */
	uint64_t block_bytes;
	size_t nslots;
	uint64_t *slot_block;	/* UINT64_MAX: empty */
	uint8_t *slot_keep;	/* 1: keep bits valid (present always is) */
	uint64_t *slot_used;
	uint64_t clock;
	uint32_t *block_slot;	/* per block: slot + 1, 0 = not held */
	struct carry *carry;
	size_t ncarry, ccap;
	uint64_t walks;		/* blocks walked again (tests, doc/memory.md) */
	unsigned int parts, parts_redone;	/* walk_whole() (tests) */
	/* kept bits before each 4096-pfn piece of a block, per block (whole)
	 * or per slot: a rank is then a popcount of at most 512 bytes */
	uint32_t *sub;
	unsigned int spb;	/* pieces per block */
	/* a whole plan's bits once built (compact()): [CS_PLAN_PRESENT] and
	 * [CS_PLAN_KEEP]; the whole bitmap is then NULL */
	struct packed_bits packed[2];
};

static int bit_get(const struct mm_walk *w, const uint8_t *bm, uint64_t pfn)
{
	return cs_bit_test(bm, pfn - w->base);
}

static void account(struct mm_walk *w, uint64_t pfn, enum cs_page_class c)
{
	struct cs_plan *p = w->plan;
	int excl = cs_page_class_excluded(c, w->level);

	if (w->counting)
		p->count[c]++;
	/* a page without data in the input is not kept anyway */
	if (excl && bit_get(w, w->keep, pfn)) {
		cs_bit_clear(w->keep, pfn - w->base);
		if (w->counting)
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
static int any_present(const struct mm_walk *w, uint64_t start, uint64_t end)
{
	for (uint64_t pfn = start; pfn < end; pfn++) {
		uint64_t i = pfn - w->base;

		if ((i & 7) == 0 && pfn + 8 <= end) {
			if (w->present[i >> 3]) return 1;
			pfn += 7;
			continue;
		}
		if (cs_bit_test(w->present, i))
			return 1;
	}
	return 0;
}

/* Walk pfns [start, end) of one section whose decoded mem_map is @map.
 *
 * Struct pages are read CS_MM_READ at a time (one pread instead of eight:
 * the syscall, not the copy, is what a walk costs) but judged in batches of
 * CS_MM_BATCH exactly as if each batch had been read alone: a batch without
 * present pfns ends the current block, and when the large read fails each
 * batch is read on its own, with the page-by-page salvage after that. */
static void walk_section(struct mm_walk *w, uint64_t map, uint64_t start, uint64_t end)
{
	const struct cs_kernel *k = w->k;
	unsigned int size = w->layout.size;

	for (uint64_t r0 = start; r0 < end; r0 += CS_MM_READ) {
		uint64_t rn = end - r0 < CS_MM_READ ? end - r0 : CS_MM_READ;
		uint64_t rread = rn + (r0 + rn < end);
		int big = 0;

		if (any_present(w, r0, r0 + rn))
			big = cs_kernel_read_virt(k, map + r0 * size, w->buf, rread * size,
						  &w->scratch) == CS_OK;
		for (uint64_t b = r0; b < r0 + rn; b += CS_MM_BATCH) {
			uint64_t n = r0 + rn - b < CS_MM_BATCH ? r0 + rn - b : CS_MM_BATCH;
			uint64_t nread = n + (b + n < end);	/* one more for the last head's tail */
			uint8_t *buf = w->buf + (b - r0) * size;
			int ok;

			if (!any_present(w, b, b + n)) {
				w->blk.end = 0;
				continue;
			}
			ok = big;
			if (!ok) {
				ok = cs_kernel_read_virt(k, map + b * size, buf, nread * size,
							 &w->scratch) == CS_OK;
				if (!ok && nread > n) {
					/* maybe only the extra page is missing */
					nread = n;
					ok = cs_kernel_read_virt(k, map + b * size, buf, n * size,
								 &w->scratch) == CS_OK;
				}
			}
			for (uint64_t i = 0; i < n; i++) {
				uint64_t pfn = b + i;
				const uint8_t *page = buf + i * size, *next = NULL;

				if (!bit_get(w, w->present, pfn))
					continue;
				if (!ok) {
					/* salvage what we can, one struct page at a time */
					if (cs_kernel_read_virt(k, map + pfn * size, buf + i * size, size,
								&w->scratch) != CS_OK)
						page = NULL;
				}
				if (page && i + 1 < nread) {
					next = page + size;
					if (!ok && cs_kernel_read_virt(k, map + (pfn + 1) * size,
								       buf + (i + 1) * size, size,
								       &w->scratch) != CS_OK)
						next = NULL;
				}
				classify_one(w, map, pfn, page, next, end);
			}
		}
	}
}

/* Present pfns of a section without a usable mem_map are kept, unclassified. */
static void keep_unclassified(struct mm_walk *w, uint64_t start, uint64_t end)
{
	w->blk.end = 0;
	for (uint64_t pfn = start; pfn < end; pfn++)
		if (bit_get(w, w->present, pfn))
			account(w, pfn, CS_PC_UNCLASSIFIED);
}

/* What the kernel's mem_section says of section @s (the entry's
 * section_mem_map in *@map): */
enum section_state {
	SECTION_MAPPED,		/* it has a mem_map, decoded into *@map */
	SECTION_ABSENT,		/* read cleanly: the kernel has no memory there
				 * (a NULL root, or an all-zero entry) */
	SECTION_UNKNOWN,	/* unreadable, beyond the roots, or flags that
				 * make no sense: its pages are kept */
};

static enum section_state section_state(struct mm_walk *w, uint64_t s, uint64_t *map)
{
	const struct cs_kernel *k = w->k;
	const struct cs_vmcoreinfo *vi = &k->vi;
	uint64_t r = s / w->per_root, idx = s % w->per_root, entry_addr;
	uint8_t ent[8];

	if (r >= w->nroots)
		return SECTION_UNKNOWN;
	if (w->per_root == 1) {
		entry_addr = vi->sym_mem_section + s * w->ms_size;
	} else {
		if (cs_kernel_read_virt(k, vi->sym_mem_section + r * 8, ent, 8, &w->scratch) != CS_OK)
			return SECTION_UNKNOWN;
		entry_addr = cs_get_le64(ent);
		if (!entry_addr)
			return SECTION_ABSENT;
		entry_addr += idx * w->ms_size;
	}
	if (cs_kernel_read_virt(k, entry_addr + vi->off_section_mem_map, ent, 8,
				&w->scratch) != CS_OK)
		return SECTION_UNKNOWN;
	*map = cs_get_le64(ent);
	if (*map == 0)
		return SECTION_ABSENT;
	if (!(*map & CS_SECTION_HAS_MEM_MAP) || !(*map & ~CS_SECTION_FLAG_MASK))
		return SECTION_UNKNOWN;
	*map &= ~CS_SECTION_FLAG_MASK;
	return SECTION_MAPPED;
}

/* Walk the sections of [start, end) (whole sections, or up to max_mapnr). */
static void walk_range(struct mm_walk *w, uint64_t start, uint64_t end)
{
	uint64_t max = w->max;

	for (uint64_t s = start / w->pages_per_section; s * w->pages_per_section < end; s++) {
		uint64_t sstart = s * w->pages_per_section;
		uint64_t send = sstart + w->pages_per_section;
		uint64_t map = 0;

		if (send > max)
			send = max;
		if (!any_present(w, sstart, send))
			continue;
		if (section_state(w, s, &map) != SECTION_MAPPED) {
			keep_unclassified(w, sstart, send);
			continue;
		}
		if (sstart && w->blk.end <= sstart)
			w->blk.end = 0;
		walk_section(w, map, sstart, send);
	}
}

/* Where the memory the kernel manages ends: the input's max pfn, less what
 * lies above the last section of the kernel's mem_section that is not
 * cleanly absent.  A QEMU dump-guest-memory ELF carries the firmware ROM
 * just below 4 GiB as a segment of its own, which no struct page
 * describes; makedumpfile 1.7.2 ends max_mapnr at its last section with a
 * mem_map likewise, so its bitmaps and ours stay the same size.  A garbage
 * program header (a segment far beyond RAM, or a huge p_memsz) is cut the
 * same way, instead of sizing the bitmaps by it (terabytes of pfns: a dump
 * that fills the disk).  Only sections read cleanly as absent (a NULL
 * root, an all-zero entry, or past the kernel's section count) count: a
 * corrupted or unreadable mem_section drops no memory, whose pages are then
 * kept unclassified. */
static uint64_t managed_end(struct mm_walk *w, const struct cs_vmcore *vc)
{
	uint64_t ps = vc->page_size ? vc->page_size : 4096, pps = w->pages_per_section;
	uint64_t nsec = w->nroots * w->per_root, map = 0;

	/* the top segment with a section that is, or may be, the kernel's */
	for (size_t n = vc->nseg; n > 0; n--) {
		const struct cs_segment *sg = &vc->seg[n - 1];
		uint64_t first = sg->phys / ps, last = (sg->phys + sg->mem_size + ps - 1) / ps;
		uint64_t lo, s;

		if (last > vc->max_pfn)
			last = vc->max_pfn;
		if (first >= last)
			continue;	/* nothing of it below max_pfn */
		/* its sections from the top down: s is one past the highest
		 * one not absent (segments do not overlap, so any s > lo ends
		 * above every lower segment) */
		lo = first / pps;
		s = (last - 1) / pps + 1;
		if (s > nsec)
			s = nsec;
		while (s > lo && section_state(w, s - 1, &map) == SECTION_ABSENT)
			s--;
		if (s > lo)
			return s * pps < last ? s * pps : last;
	}
	return vc->max_pfn;	/* nothing is the kernel's: cut nothing */
}

static uint64_t popcount_bm(const uint8_t *bm, uint64_t bytes)
{
	uint64_t n = 0, i = 0;

	for (; i + 8 <= bytes; i += 8) {
		uint64_t v;

		memcpy(&v, bm + i, 8);
		n += (uint64_t)__builtin_popcountll(v);
	}
	for (; i < bytes; i++)
		n += (uint64_t)__builtin_popcount(bm[i]);
	return n;
}

static uint64_t block_start(const struct cs_plan *p, uint64_t b)
{
	return b << p->block_shift;
}

static uint64_t block_end(const struct cs_plan *p, uint64_t b)
{
	uint64_t e = (b + 1) << p->block_shift;

	return e < p->max_mapnr ? e : p->max_mapnr;
}

/* 1st bitmap = present RAM in the input; keep starts as the pages that have
 * data.  A page an earlier run excluded (re-filtering a kdump file, an ELF
 * hole with filesz < memsz) is present without data and is never kept. */
static void fill_input_bits(const struct cs_vmcore *vc, uint8_t *present, uint8_t *keep,
			    uint64_t start, uint64_t end, uint64_t bytes)
{
	memset(present, 0, bytes);
	memset(keep, 0, bytes);
	cs_vmcore_bitmaps(vc, present, keep, start, end);
	for (uint64_t i = 0; i < bytes; i++)
		keep[i] &= present[i];
}

static const struct mm_block *find_carry(const struct cs_plan_cache *c, uint64_t block)
{
	size_t lo = 0, hi = c->ncarry;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->carry[mid].block < block)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->ncarry && c->carry[lo].block == block ? &c->carry[lo].blk : NULL;
}

#define SUB_SHIFT 12

static void fill_sub(uint32_t *sub, unsigned int spb, const uint8_t *keep, uint64_t nbits)
{
	uint64_t bytes = (nbits + 7) >> 3, n = 0;

	for (unsigned int j = 0; j < spb; j++) {
		uint64_t a = (uint64_t)j << (SUB_SHIFT - 3), e = a + ((uint64_t)1 << (SUB_SHIFT - 3));

		sub[j] = (uint32_t)n;
		if (a < bytes)
			n += popcount_bm(keep + a, (e < bytes ? e : bytes) - a);
	}
}

/* The slot to (re)use for block @b: its own, else the least recently used. */
static size_t slot_for(const struct cs_plan *p, uint64_t b, int *hit)
{
	struct cs_plan_cache *c = p->cache;
	size_t s = 0;

	if (c->block_slot[b]) {
		*hit = 1;
		s = c->block_slot[b] - 1;
	} else {
		*hit = 0;
		for (size_t i = 1; i < c->nslots; i++)
			if (c->slot_used[i] < c->slot_used[s])
				s = i;
		if (c->slot_block[s] != UINT64_MAX)
			c->block_slot[c->slot_block[s]] = 0;
		c->slot_block[s] = b;
		c->slot_keep[s] = 0;
		c->block_slot[b] = (uint32_t)(s + 1);
	}
	c->slot_used[s] = ++c->clock;
	return s;
}

/* Make block @b's present bits (and keep bits with @need_keep) valid in a
 * slot; returns the slot. */
static size_t load_block(const struct cs_plan *p, uint64_t b, int need_keep)
{
	struct cs_plan_cache *c = p->cache;
	uint64_t start = block_start(p, b), end = block_end(p, b);
	int hit;
	size_t s = slot_for(p, b, &hit);
	uint8_t *pres = c->present + s * c->block_bytes, *keep = c->keep + s * c->block_bytes;
	const struct mm_block *carry;

	if (!hit)
		fill_input_bits(c->vc, pres, keep, start, end, c->block_bytes);
	if (!need_keep || c->slot_keep[s])
		return s;
	/* keep holds the input's data bits until the walk has run */
	if (!cs_plan_block_kept(p, b)) {
		memset(keep, 0, c->block_bytes);
	} else {
		carry = find_carry(c, b);
		memset(&c->w.blk, 0, sizeof(c->w.blk));
		if (carry)
			c->w.blk = *carry;
		c->w.present = pres;
		c->w.keep = keep;
		c->w.base = start;
		c->w.counting = 0;
		walk_range(&c->w, start, end);
		c->walks++;
	}
	fill_sub(c->sub + s * c->spb, c->spb, keep, end - start);
	c->slot_keep[s] = 1;
	return s;
}

const uint8_t *cs_plan_block_bits(const struct cs_plan *p, uint64_t block,
				  enum cs_plan_bitmap which, uint64_t *nbits)
{
	const struct cs_plan_cache *c = p->cache;
	size_t s;

	if (nbits)
		*nbits = block_end(p, block) - block_start(p, block);
	if (c->whole && c->packed[which].blk)
		return c->packed[which].blk[block];
	if (c->whole)
		return (which == CS_PLAN_KEEP ? c->keep : c->present) +
		       (block_start(p, block) >> 3);
	s = load_block(p, block, which == CS_PLAN_KEEP);
	return (which == CS_PLAN_KEEP ? c->keep : c->present) + s * c->block_bytes;
}

const uint8_t *cs_plan_whole_bitmap(const struct cs_plan *p, enum cs_plan_bitmap which)
{
	if (!p->cache->whole)
		return NULL;
	return which == CS_PLAN_KEEP ? p->cache->keep : p->cache->present;
}

int cs_plan_read_only(const struct cs_plan *p)
{
	return p->cache->whole;
}

int cs_plan_present(const struct cs_plan *p, uint64_t pfn)
{
	uint64_t b = pfn >> p->block_shift;

	if (pfn >= p->max_mapnr)
		return 0;
	return cs_bit_test(cs_plan_block_bits(p, b, CS_PLAN_PRESENT, NULL),
			   pfn - block_start(p, b));
}

int cs_plan_kept(const struct cs_plan *p, uint64_t pfn)
{
	uint64_t b = pfn >> p->block_shift;

	if (pfn < p->lo || pfn >= p->hi || pfn >= p->max_mapnr || !cs_plan_block_kept(p, b))
		return 0;
	return cs_bit_test(cs_plan_block_bits(p, b, CS_PLAN_KEEP, NULL), pfn - block_start(p, b));
}

uint64_t cs_plan_next_kept(const struct cs_plan *p, uint64_t pfn, uint64_t limit)
{
	uint64_t lim = limit;

	if (lim > p->hi)
		lim = p->hi;
	if (lim > p->max_mapnr)
		lim = p->max_mapnr;
	if (pfn < p->lo)
		pfn = p->lo;
	while (pfn < lim) {
		uint64_t b = pfn >> p->block_shift, base = block_start(p, b);
		uint64_t bend = base + ((uint64_t)1 << p->block_shift), l = lim < bend ? lim : bend;
		const uint8_t *bm;

		if (!cs_plan_block_kept(p, b)) {
			pfn = bend;
			continue;
		}
		bm = cs_plan_block_bits(p, b, CS_PLAN_KEEP, NULL);
		while (pfn < l) {
			uint64_t i = pfn - base;
			uint8_t v = bm[i >> 3] >> (i & 7);

			if (v & 1)
				return pfn;
			if (!v) {
				/* nothing left in this byte; then whole zero words */
				pfn = (pfn | 7) + 1;
				while (pfn + 64 <= l && !(pfn & 63)) {
					uint64_t x;

					memcpy(&x, bm + ((pfn - base) >> 3), 8);
					if (x)
						break;
					pfn += 64;
				}
			} else {
				pfn++;
			}
		}
		pfn = l;
	}
	return limit;
}

/* kept pfns of the whole plan before @pfn */
static uint64_t rank_all(const struct cs_plan *p, uint64_t pfn)
{
	uint64_t b, off, n, j;
	const uint8_t *bm;

	if (pfn >= p->max_mapnr)
		return p->kept_before[p->nblocks];
	b = pfn >> p->block_shift;
	off = pfn - block_start(p, b);
	n = p->kept_before[b];
	if (!off || !cs_plan_block_kept(p, b))
		return n;
	bm = cs_plan_block_bits(p, b, CS_PLAN_KEEP, NULL);
	j = off >> SUB_SHIFT;
	n += (p->cache->whole ? p->cache->sub + b * p->cache->spb
			      : p->cache->sub + (p->cache->block_slot[b] - 1) * p->cache->spb)[j];
	n += popcount_bm(bm + (j << (SUB_SHIFT - 3)), (off >> 3) - (j << (SUB_SHIFT - 3)));
	if (off & 7)
		n += (uint64_t)__builtin_popcount(bm[off >> 3] & ((1u << (off & 7)) - 1));
	return n;
}

uint64_t cs_plan_rank(const struct cs_plan *p, uint64_t pfn)
{
	if (pfn < p->lo)
		pfn = p->lo;
	if (pfn > p->hi)
		pfn = p->hi;
	return rank_all(p, pfn) - p->lo_rank;
}

void cs_plan_view(const struct cs_plan *plan, uint64_t lo, uint64_t hi, struct cs_plan *view)
{
	*view = *plan;
	if (hi > plan->max_mapnr)
		hi = plan->max_mapnr;
	if (lo > hi)
		lo = hi;
	view->lo = lo;
	view->hi = hi;
	view->is_view = 1;
	view->lo_rank = rank_all(plan, lo);
	view->kept_pages = rank_all(plan, hi) - view->lo_rank;
}

void cs_plan_walk_stats(const struct cs_plan *p, uint64_t *carried, uint64_t *rewalked)
{
	*carried = p->cache ? p->cache->ncarry : 0;
	*rewalked = p->cache ? p->cache->walks : 0;
}

void cs_plan_thread_stats(const struct cs_plan *p, unsigned int *parts, unsigned int *redone)
{
	*parts = p->cache ? p->cache->parts : 0;
	*redone = p->cache ? p->cache->parts_redone : 0;
}

uint64_t cs_plan_memory(const struct cs_plan *p)
{
	const struct cs_plan_cache *c = p->cache;
	uint64_t n = sizeof(*c) + (p->nblocks + 1) * sizeof(*p->kept_before);

	if (!c)
		return 0;
	for (int i = 0; i < 2; i++) {
		const struct packed_bits *pk = &c->packed[i];

		if (pk->blk)
			n += p->nblocks * sizeof(*pk->blk) + pk->nbits * c->block_bytes;
		else if (c->whole && !c->borrowed)
			n += (p->max_mapnr + 7) / 8;
	}
	n += (c->whole ? p->nblocks : c->nslots) * c->spb * sizeof(*c->sub);
	if (!c->whole)
		n += c->nslots * (2 * c->block_bytes + 2 * sizeof(uint64_t) + 1) +
		     p->nblocks * sizeof(*c->block_slot) + (size_t)(CS_MM_READ + 1) * c->w.layout.size;
	return n + c->ccap * sizeof(*c->carry);
}

static enum cs_status alloc_common(struct cs_plan *plan, unsigned int shift, struct cs_err *err)
{
	plan->block_shift = shift;
	plan->nblocks = (plan->max_mapnr + ((uint64_t)1 << shift) - 1) >> shift;
	plan->lo = 0;
	plan->hi = plan->max_mapnr;
	plan->kept_before = calloc(plan->nblocks + 1, sizeof(*plan->kept_before));
	plan->cache = calloc(1, sizeof(*plan->cache));
	if (!plan->kept_before || !plan->cache)
		return cs_fail_nomem(err);
	plan->cache->spb = shift > SUB_SHIFT ? 1u << (shift - SUB_SHIFT) : 1;
	return CS_OK;
}

/* set bits of pfns [s, e) of a whole bitmap, @s a multiple of 8 */
static uint64_t count_range(const uint8_t *bm, uint64_t s, uint64_t e)
{
	uint64_t n = popcount_bm(bm + (s >> 3), (e - s) >> 3);

	if ((e - s) & 7)
		n += (uint64_t)__builtin_popcount(bm[e >> 3] & ((1u << (e & 7)) - 1));
	return n;
}

/* prefix counts of the whole keep bitmap, per block and per piece */
static enum cs_status prefix_whole(struct cs_plan *plan, const uint8_t *keep, struct cs_err *err)
{
	struct cs_plan_cache *c = plan->cache;
	uint64_t n = 0;

	c->sub = malloc((plan->nblocks ? plan->nblocks : 1) * c->spb * sizeof(*c->sub));
	if (!c->sub)
		return cs_fail_nomem(err);
	for (uint64_t b = 0; b < plan->nblocks; b++) {
		uint64_t s = block_start(plan, b), e = block_end(plan, b);

		plan->kept_before[b] = n;
		n += count_range(keep, s, e);
		fill_sub(c->sub + b * c->spb, c->spb, keep + (s >> 3), e - s);
	}
	plan->kept_before[plan->nblocks] = n;
	plan->kept_pages = n;
	return CS_OK;
}

enum cs_status cs_plan_from_bitmaps(struct cs_plan *plan, uint64_t max_mapnr,
				    const uint8_t *present, const uint8_t *keep,
				    struct cs_err *err)
{
	enum cs_status st;

	memset(plan, 0, sizeof(*plan));
	plan->max_mapnr = max_mapnr;
	st = alloc_common(plan, CS_PLAN_BLOCK_SHIFT_MIN, err);
	if (st) {
		cs_plan_fini(plan);
		return st;
	}
	plan->cache->whole = plan->cache->borrowed = 1;
	plan->cache->present = (uint8_t *)present;
	plan->cache->keep = (uint8_t *)keep;
	plan->window_blocks = plan->nblocks;
	st = prefix_whole(plan, keep, err);
	if (st) {
		cs_plan_fini(plan);
		return st;
	}
	plan->present_pages = count_range(present, 0, max_mapnr);
	return CS_OK;
}

static int all_bytes(const uint8_t *bm, uint64_t n, uint8_t v)
{
	for (uint64_t i = 0; i < n; i++)
		if (bm[i] != v)
			return 0;
	return 1;
}

/* Block @b of whole bitmap @bm: 0 all ones, 1 all zeros, 2 mixed (the last
 * block, when short, counts as mixed) */
static int block_kind(const struct cs_plan *p, const uint8_t *bm, uint64_t b)
{
	const uint8_t *src = bm + (block_start(p, b) >> 3);
	uint64_t bb = p->cache->block_bytes;

	if (block_end(p, b) - block_start(p, b) != (uint64_t)1 << p->block_shift)
		return 2;
	if (all_bytes(src, bb, 0xff))
		return 0;
	return all_bytes(src, bb, 0) ? 1 : 2;
}

/* After a whole plan's walk its bits are only read block by block (the
 * writers' bitmaps, the accessors), and most blocks are all ones or all
 * zeros: present bits are, but for the firmware's holes, and so are keep
 * bits across holes (a QEMU ELF's ROM at 4 GiB - 256 KiB makes a 1 GiB
 * guest's bitmaps cover 4 GiB) and free memory.  Keep one shared block of
 * each and copies of the mixed ones, and free the whole bitmap before the
 * pipeline's buffers are made (max_mapnr / 8 bytes each: at 16 GiB 512 KiB
 * of present bits; the QEMU 1 GiB ELF's keep bits 128 -> 36 KiB at -d 31).
 * Without memory for the table the whole bitmap simply stays. */
static void compact(struct cs_plan *plan, enum cs_plan_bitmap which)
{
	struct cs_plan_cache *c = plan->cache;
	struct packed_bits *pk = &c->packed[which];
	uint8_t **whole = which == CS_PLAN_KEEP ? &c->keep : &c->present;
	uint64_t bb = c->block_bytes, n = 2;

	for (uint64_t b = 0; b < plan->nblocks; b++)
		n += block_kind(plan, *whole, b) == 2;
	pk->blk = malloc((plan->nblocks ? plan->nblocks : 1) * sizeof(*pk->blk));
	pk->bits = calloc(n, bb);
	if (!pk->blk || !pk->bits) {
		free(pk->blk);
		free(pk->bits);
		pk->blk = NULL;
		pk->bits = NULL;
		return;
	}
	pk->nbits = n;
	memset(pk->bits, 0xff, bb);	/* [0]: all ones, [1]: all zeros */
	n = 2;
	for (uint64_t b = 0; b < plan->nblocks; b++) {
		uint64_t s = block_start(plan, b), k = (uint64_t)block_kind(plan, *whole, b);

		if (k == 2) {
			k = n++;
			memcpy(pk->bits + k * bb, *whole + (s >> 3), (block_end(plan, b) - s + 7) / 8);
		}
		pk->blk[b] = pk->bits + k * bb;
	}
	free(*whole);
	*whole = NULL;
	if (which == CS_PLAN_KEEP)
		c->w.keep = NULL;
	else
		c->w.present = NULL;
}

/* ---- the one-window walk on several threads ------------------------------
 *
 * [0, max_mapnr) is cut into parts at section starts, about the same number
 * of present pfns each, at least CS_MM_PAR_MIN_SECTIONS sections.  Only a
 * block larger than a section (a gigantic hugetlb page) crosses a section
 * start.  Each part is walked on its own thread, with its own struct page
 * buffer and class counts, from the state a serial walk has at a section
 * start that no block crosses.  The parts are then joined in order: when the
 * walk of the parts before a cut ends inside a block that runs past the cut,
 * that part is refilled from the input and walked again serially from that
 * state, so the result is always exactly the serial walk's.  Parts write disjoint bytes of
 * the bitmaps; reads go through the thread-safe input and page-table cache. */
#define CS_MM_PAR_MAX 8
#define CS_MM_PAR_MIN_SECTIONS 2

struct mm_part {
	struct mm_walk w;
	struct cs_kernel *k;	/* a copy with its own page-table cache: one
				 * shared cache made each thread's translations
				 * evict the other's table pages */
	struct cs_plan counts;	/* count[] and excluded[] of this part */
	uint64_t start, end;
	pthread_t tid;
	int started;
};

static void *walk_part(void *arg)
{
	struct mm_part *pt = arg;

	walk_range(&pt->w, pt->start, pt->end);
	return NULL;
}

/* The cuts: about equal numbers of present pfns per part, at aligned pfns.
 * Returns the number of parts (1: walk serially). */
static unsigned int choose_parts(const struct mm_walk *w, unsigned int nthreads,
				 uint64_t *cut)
{
	uint64_t align = w->pages_per_section, total, per, seen = 0, last = 0;
	unsigned int n = 1;

	if (nthreads > CS_MM_PAR_MAX)
		nthreads = CS_MM_PAR_MAX;
	cut[0] = 0;
	cut[1] = w->max;
	if (nthreads < 2 || align < 8 || w->max / align < 2 * CS_MM_PAR_MIN_SECTIONS)
		return 1;
	total = popcount_bm(w->present, (w->max + 7) / 8);
	per = total / nthreads;
	for (uint64_t pfn = align; pfn < w->max && n < nthreads; pfn += align) {
		seen += popcount_bm(w->present + ((pfn - align) >> 3), align >> 3);
		if (seen >= per * n && pfn - last >= CS_MM_PAR_MIN_SECTIONS * align &&
		    w->max - pfn >= CS_MM_PAR_MIN_SECTIONS * align)
			cut[n++] = last = pfn;
	}
	cut[n] = w->max;
	return n;
}

/* Walk [0, max_mapnr) of a one-window plan on up to @nthreads threads. */
static void walk_whole(struct cs_plan_cache *c, struct mm_walk *w, unsigned int nthreads)
{
	struct mm_part part[CS_MM_PAR_MAX];
	uint64_t cut[CS_MM_PAR_MAX + 1];
	unsigned int n = choose_parts(w, nthreads, cut);
	size_t bufsize = (size_t)(CS_MM_READ + 1) * w->layout.size;

	c->parts = n;

	for (unsigned int i = 1; i < n; i++) {
		struct mm_part *pt = &part[i];

		memset(pt, 0, sizeof(*pt));
		pt->w = *w;
		pt->w.plan = &pt->counts;
		pt->w.blk.end = 0;
		pt->start = cut[i];
		pt->end = cut[i + 1];
		pt->w.buf = malloc(bufsize);
		pt->k = malloc(sizeof(*pt->k));
		if (!pt->w.buf || !pt->k)
			continue;
		*pt->k = *w->k;
		memset(pt->k->pt_cache.tag, 0, sizeof(pt->k->pt_cache.tag));
		pthread_mutex_init(&pt->k->pt_cache.lock, NULL);
		pt->w.k = pt->k;
		/* signals stay the main thread's (lib/thread.h) */
		if (cs_thread_start(&pt->tid, walk_part, pt) == 0)
			pt->started = 1;
		else
			pthread_mutex_destroy(&pt->k->pt_cache.lock);
	}
	walk_range(w, 0, cut[1]);
	for (unsigned int i = 1; i < n; i++) {
		struct mm_part *pt = &part[i];

		if (pt->started)
			pthread_join(pt->tid, NULL);
		if (pt->started && !(w->blk.end > pt->start)) {
			for (int k = 0; k < CS_PC_COUNT; k++) {
				w->plan->count[k] += pt->counts.count[k];
				w->plan->excluded[k] += pt->counts.excluded[k];
			}
			w->blk = pt->w.blk;
		} else {
			/* not walked, or a block of the parts before runs into
			 * it: again, serially, from the state where it starts */
			uint64_t from = pt->start >> 3, bytes = (pt->end + 7) / 8 - from;

			fill_input_bits(c->vc, c->present + from, c->keep + from, pt->start, pt->end,
					bytes);
			walk_range(w, pt->start, pt->end);
			c->parts_redone++;
		}
		if (pt->started)
			pthread_mutex_destroy(&pt->k->pt_cache.lock);
		free(pt->k);
		free(pt->w.buf);
	}
}

enum cs_status cs_plan_build_sized(struct cs_plan *plan, const struct cs_kernel *k,
				   unsigned int level, uint64_t buffer_kib, struct cs_err *err)
{
	return cs_plan_build_threads(plan, k, level, buffer_kib, 1, err);
}

enum cs_status cs_plan_build_threads(struct cs_plan *plan, const struct cs_kernel *k,
				     unsigned int level, uint64_t buffer_kib,
				     unsigned int nthreads, struct cs_err *err)
{
	const struct cs_vmcoreinfo *vi = &k->vi;
	const struct cs_vmcore *vc = k->vc;
	struct cs_plan_cache *c;
	struct mm_walk *w, probe;
	unsigned int shift, bshift, page_size = vc->page_size ? vc->page_size : 4096;
	uint64_t nr_sections, ms_size, sec_shift, window_pfns;
	struct cs_page_layout layout;
	enum cs_status st;

	memset(plan, 0, sizeof(*plan));
	if (level > CS_DL_MAX)
		return cs_fail(err, CS_INVALID, "dump level %u out of range 0-31", level);
	for (shift = 0; (1u << shift) < page_size; shift++)
		;
	st = cs_page_layout_init(&layout, vi, err);
	if (st)
		return cs_err_prefix(err, "cannot classify pages");

	ms_size = vi->size_mem_section;
	sec_shift = (uint64_t)vi->section_size_bits;
	if (ms_size < 8 || ms_size > page_size || vi->off_section_mem_map + 8 > ms_size ||
	    sec_shift <= shift || sec_shift >= 64 || vi->max_physmem_bits <= (int64_t)sec_shift ||
	    vi->max_physmem_bits > 64)
		return cs_fail(err, CS_CORRUPT, "implausible SPARSEMEM parameters: SIZE(mem_section)=%llu "
			       "SECTION_SIZE_BITS=%llu MAX_PHYSMEM_BITS=%lld",
			       (unsigned long long)ms_size, (unsigned long long)sec_shift,
			       (long long)vi->max_physmem_bits);
	/* a block holds whole sections */
	bshift = (unsigned int)(sec_shift - shift);
	if (bshift < CS_PLAN_BLOCK_SHIFT_MIN)
		bshift = CS_PLAN_BLOCK_SHIFT_MIN;
	if (bshift > 40)
		return cs_fail(err, CS_CORRUPT, "implausible SECTION_SIZE_BITS %llu",
			       (unsigned long long)sec_shift);

	/* the mem_section layout, first to find where managed memory ends */
	memset(&probe, 0, sizeof(probe));
	probe.k = k;
	probe.pages_per_section = (uint64_t)1 << (sec_shift - shift);
	nr_sections = (uint64_t)1 << (vi->max_physmem_bits - (int64_t)sec_shift);
	probe.ms_size = ms_size;
	/* EXTREME when the root array is shorter than the section count */
	probe.per_root = vi->have.len_mem_section && vi->len_mem_section == nr_sections
			 ? 1 : page_size / ms_size;
	probe.nroots = (nr_sections + probe.per_root - 1) / probe.per_root;

	plan->dump_level = level;
	plan->max_mapnr = managed_end(&probe, vc);
	st = alloc_common(plan, bshift, err);
	if (st)
		goto out;
	c = plan->cache;
	c->vc = vc;
	w = &c->w;
	*w = probe;
	w->plan = plan;
	w->max = plan->max_mapnr;
	w->level = level;
	w->layout = layout;
	/* 7.1's compound_info is being reworked to encode the head differently
	 * (vmemmap dedup series); only bit 0 (tail) is relied upon there */
	w->check_head_ptr = layout.has_compound_head && !vi->have.off_page_compound_info;
	w->buf = malloc((size_t)(CS_MM_READ + 1) * layout.size);
	if (!w->buf) {
		st = cs_fail_nomem(err);
		goto out;
	}

	/* the bitmap buffer: KiB per bitmap, 8 Ki pfns a KiB, whole blocks,
	 * at least two (the analyst order's both ends) */
	if (!buffer_kib)
		buffer_kib = CS_PLAN_DEFAULT_BUFFER_KIB;
	window_pfns = buffer_kib > (UINT64_MAX >> 14) ? UINT64_MAX >> 1 : buffer_kib << 13;
	plan->window_blocks = window_pfns >> bshift;
	if (plan->window_blocks < 2)
		plan->window_blocks = 2;
	c->block_bytes = ((uint64_t)1 << bshift) >> 3;

	if (plan->nblocks <= plan->window_blocks) {
		/* one window: both bitmaps whole, one walk */
		uint64_t bytes = (plan->max_mapnr + 7) / 8;

		c->whole = 1;
		c->present = malloc(bytes ? bytes : 1);
		c->keep = malloc(bytes ? bytes : 1);
		if (!c->present || !c->keep) {
			st = cs_fail_nomem(err);
			goto out;
		}
		fill_input_bits(vc, c->present, c->keep, 0, plan->max_mapnr, bytes);
		w->present = c->present;
		w->keep = c->keep;
		w->base = 0;
		w->counting = 1;
		walk_whole(c, w, nthreads);
		plan->present_pages = popcount_bm(c->present, bytes);
		st = prefix_whole(plan, c->keep, err);
		free(w->buf);
		w->buf = NULL;
		if (st == CS_OK) {
			compact(plan, CS_PLAN_PRESENT);
			compact(plan, CS_PLAN_KEEP);
		}
		goto out;
	}

	/* windows: a cache of window_blocks blocks, filled by the first walk */
	c->nslots = (size_t)plan->window_blocks;
	c->present = malloc(c->nslots * c->block_bytes);
	c->keep = malloc(c->nslots * c->block_bytes);
	c->slot_block = malloc(c->nslots * sizeof(*c->slot_block));
	c->slot_used = calloc(c->nslots, sizeof(*c->slot_used));
	c->slot_keep = calloc(c->nslots, 1);
	c->sub = malloc(c->nslots * c->spb * sizeof(*c->sub));
	c->block_slot = calloc(plan->nblocks, sizeof(*c->block_slot));
	if (!c->present || !c->keep || !c->slot_block || !c->slot_used || !c->slot_keep ||
	    !c->block_slot || !c->sub) {
		st = cs_fail_nomem(err);
		goto out;
	}
	for (size_t i = 0; i < c->nslots; i++)
		c->slot_block[i] = UINT64_MAX;
	for (uint64_t b = 0; b < plan->nblocks; b++) {
		uint64_t start = block_start(plan, b), end = block_end(plan, b);
		int hit;
		size_t s = slot_for(plan, b, &hit);
		uint8_t *pres = c->present + s * c->block_bytes, *keep = c->keep + s * c->block_bytes;

		/* the walk state where this block starts inside an earlier one */
		if (start && w->blk.end > start) {
			if (c->ncarry == c->ccap) {
				size_t ncap = c->ccap ? 2 * c->ccap : 16;
				struct carry *n = realloc(c->carry, ncap * sizeof(*n));

				if (!n) {
					st = cs_fail_nomem(err);
					goto out;
				}
				c->carry = n;
				c->ccap = ncap;
			}
			c->carry[c->ncarry].block = b;
			c->carry[c->ncarry].blk = w->blk;
			c->ncarry++;
		}
		fill_input_bits(vc, pres, keep, start, end, c->block_bytes);
		w->present = pres;
		w->keep = keep;
		w->base = start;
		w->counting = 1;
		walk_range(w, start, end);
		fill_sub(c->sub + s * c->spb, c->spb, keep, end - start);
		c->slot_keep[s] = 1;
		plan->present_pages += popcount_bm(pres, c->block_bytes);
		plan->kept_before[b + 1] = plan->kept_before[b] + popcount_bm(keep, c->block_bytes);
	}
	plan->kept_pages = plan->kept_before[plan->nblocks];
	st = CS_OK;
out:
	if (st)
		cs_plan_fini(plan);
	return st;
}

void cs_plan_fini(struct cs_plan *plan)
{
	struct cs_plan_cache *c = plan->cache;

	if (plan->is_view)
		return;
	if (c) {
		if (!c->borrowed) {
			free(c->present);
			free(c->keep);
		}
		free(c->w.buf);
		free(c->slot_block);
		free(c->slot_keep);
		free(c->slot_used);
		free(c->block_slot);
		free(c->carry);
		free(c->sub);
		for (int i = 0; i < 2; i++) {
			free(c->packed[i].blk);
			free(c->packed[i].bits);
		}
		free(c);
	}
	free(plan->kept_before);
	plan->cache = NULL;
	plan->kept_before = NULL;
}
