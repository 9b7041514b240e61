/* page_class.c - the pure page classifier (makedumpfile's -d semantics).
 *
 * Everything kernel-version specific is decided once, in
 * cs_page_layout_init(), from which VMCOREINFO keys the crashed kernel
 * exported; cs_page_classify() then only looks at struct page bytes.  The
 * classifier never fails: bytes that make no sense for the layout give
 * CS_PC_UNCLASSIFIED, and the walker keeps such pages.
 *
 * Kernel facts used here (x86_64, 64-byte struct page; offsets come from
 * VMCOREINFO, these are the shapes behind the branches):
 *  - A tail page of a compound page has bit 0 set in page.compound_head
 *    (v4.4, 1d798ca3f164 "mm: make compound_head() robust"); Linux 7.1
 *    renamed the field compound_info (Kiryl Shutsemau's "Rename the
 *    'compound_head' field" patch) as a step towards a different encoding
 *    of the head, so for 7.1+ we rely on bit 0 only.
 *  - The first tail page carries the order (and before 6.6 the destructor):
 *    4.4-4.15 two u16 (compound_dtor, compound_order), 4.16-6.2 two u8
 *    (exported as OFFSET(page.compound_dtor/compound_order)), 6.3-6.5 the
 *    same bytes exported as OFFSET(folio._folio_dtor/_folio_order) relative
 *    to the head (1c5509be58f6 "mm: remove 'First tail page' members from
 *    struct page"), 6.6+ the low byte of the first tail's flags (_flags_1)
 *    (ebc1baf5c9b4 "mm: free up a word in the first tail page").
 *  - hugetlb: 4.4-6.5 compound_dtor == HUGETLB_PAGE_DTOR; 6.6-6.8 PG_hugetlb
 *    in _flags_1 (9c5ccf2db04b "mm: remove HUGETLB_PAGE_DTOR"); 6.9+ a page
 *    type on the head (d99e3140a4d3 "mm: turn folio_test_hugetlb into a
 *    PageType").
 *  - Page types live in _mapcount (page_type).  Up to 6.11 a type is one
 *    cleared bit in a negative value (buddy = ~0x80 = -129); since 6.12 the
 *    type is the top byte (PGTY_buddy = 0xf0, ...) and the low 24 bits may
 *    hold type-owned data ("mm: page_type: use a value rather than bits"),
 *    so only the top byte is compared.  VMCOREINFO exports the values
 *    (PAGE_BUDDY_MAPCOUNT_VALUE etc.); the 6.12 ones have zero low 24 bits,
 *    which is how we tell the encodings apart.
 *  - slab: PG_slab up to 6.9; a page type since 6.10 (46df8e73a4a3 "mm: free
 *    up PG_slab").  Since 6.2 struct slab's fields alias page.mapping and
 *    can have bit 0 set (130d4df57390), so "anon" must exclude slab pages.
 *  - unaccepted memory (TDX/SEV-SNP): a page type on the first page of a
 *    MAX_PAGE_ORDER block, exported from 6.16.
 */
#include "filter/page_class.h"

#include <string.h>

#include "lib/io.h"

/* Largest compound order we believe: 1 GiB hugetlb pages are order 18 with
 * 4 KiB pages (PUD size); 16 GiB gigantic pages on 64 KiB-page arm64/ppc64
 * are order 18 too.  Anything above 26 (256 GiB of 4 KiB pages) is garbage. */
#define CS_MAX_COMPOUND_ORDER 26

/* A mapcount beyond this many mappings of one page is not a real count. */
#define CS_MAX_MAPCOUNT (1 << 24)

static int flag_set(uint64_t flags, int bit)
{
	return bit >= 0 && bit < 64 && (flags >> bit & 1);
}

enum cs_status cs_page_layout_init(struct cs_page_layout *l, const struct cs_vmcoreinfo *vi,
				   struct cs_err *err)
{
	memset(l, 0, sizeof(*l));
	l->size = (unsigned int)vi->size_page;
	l->off_flags = (unsigned int)vi->off_page_flags;
	l->off_mapping = (unsigned int)vi->off_page_mapping;
	l->off_mapcount = (unsigned int)vi->off_page_mapcount;
	l->off_private = (unsigned int)vi->off_page_private;

	if (l->size < 32 || l->size > 256)
		return cs_fail(err, CS_CORRUPT, "SIZE(page)=%u is not a plausible struct page size",
			       l->size);
	if (l->off_flags + 8 > l->size || l->off_mapping + 8 > l->size ||
	    l->off_mapcount + 4 > l->size || l->off_private + 8 > l->size)
		return cs_fail(err, CS_CORRUPT,
			       "struct page offsets (flags %u, mapping %u, _mapcount %u, private %u) "
			       "do not fit SIZE(page)=%u",
			       l->off_flags, l->off_mapping, l->off_mapcount, l->off_private, l->size);

	/* 7.1 renamed compound_head -> compound_info; same slot, bit 0 = tail */
	if (vi->have.off_page_compound_info) {
		l->off_compound_head = (unsigned int)vi->off_page_compound_info;
		l->has_compound_head = 1;
	} else if (vi->have.off_page_compound_head) {
		l->off_compound_head = (unsigned int)vi->off_page_compound_head;
		l->has_compound_head = 1;
	}
	if (l->has_compound_head && l->off_compound_head + 8 > l->size)
		return cs_fail(err, CS_CORRUPT, "OFFSET(page.compound_head)=%u outside SIZE(page)=%u",
			       l->off_compound_head, l->size);

#define BIT_OR_NONE(have, v) ((have) && (v) >= 0 && (v) < 64 ? (int)(v) : -1)
	if (vi->pg_lru < 0 || vi->pg_lru >= 64 || vi->pg_private < 0 || vi->pg_private >= 64 ||
	    vi->pg_swapcache < 0 || vi->pg_swapcache >= 64)
		return cs_fail(err, CS_CORRUPT, "page flag numbers out of range (PG_lru %lld, "
			       "PG_private %lld, PG_swapcache %lld)", (long long)vi->pg_lru,
			       (long long)vi->pg_private, (long long)vi->pg_swapcache);
	l->pg_lru = (uint64_t)vi->pg_lru;
	l->pg_private = (uint64_t)vi->pg_private;
	l->pg_swapcache = (uint64_t)vi->pg_swapcache;
	/* PG_swapbacked is exported since 4.10 (PG_swapcache aliases
	 * PG_owner_priv_1 and only means swap cache together with it);
	 * UINT64_MAX = unknown, then PG_swapcache alone decides */
	l->pg_swapbacked = vi->have.pg_swapbacked && vi->pg_swapbacked >= 0 && vi->pg_swapbacked < 64
				   ? (uint64_t)vi->pg_swapbacked : UINT64_MAX;
	l->pg_head_mask = vi->have.pg_head_mask ? (uint64_t)vi->pg_head_mask : 0;
	l->pg_slab = BIT_OR_NONE(vi->have.pg_slab, vi->pg_slab);
	l->pg_hwpoison = BIT_OR_NONE(vi->have.pg_hwpoison, vi->pg_hwpoison);
	l->pg_hugetlb = BIT_OR_NONE(vi->have.pg_hugetlb, vi->pg_hugetlb);
#undef BIT_OR_NONE

	l->have_buddy = vi->have.page_buddy_mapcount;
	l->buddy = (int32_t)vi->page_buddy_mapcount;
	l->have_offline = vi->have.page_offline_mapcount;
	l->offline = (int32_t)vi->page_offline_mapcount;
	l->have_slab_type = vi->have.page_slab_mapcount;
	l->slab_type = (int32_t)vi->page_slab_mapcount;
	l->have_hugetlb_type = vi->have.page_hugetlb_mapcount;
	l->hugetlb_type = (int32_t)vi->page_hugetlb_mapcount;
	l->have_unaccepted = vi->have.page_unaccepted_mapcount;
	l->unaccepted = (int32_t)vi->page_unaccepted_mapcount;
	/* 6.12+: PGTY_* << 24, low 24 bits zero; before: ~(one bit), low bits set */
	l->page_type_in_top_byte = l->have_buddy && ((uint32_t)l->buddy & 0x00ffffffu) == 0;

	/* where the first tail page keeps the order and destructor */
	if (vi->have.off_page_compound_order) {
		/* 4.4-6.2: offsets are within the tail page itself */
		l->off_compound_order = (unsigned int)vi->off_page_compound_order;
		if (vi->have.off_page_compound_dtor) {
			l->off_compound_dtor = (unsigned int)vi->off_page_compound_dtor;
			l->have_dtor = 1;
		}
	} else if (vi->have.off_folio_order && vi->off_folio_order >= l->size) {
		/* 6.3-6.5: folio offsets count from the head page */
		l->off_compound_order = (unsigned int)(vi->off_folio_order - l->size);
		if (vi->have.off_folio_dtor && vi->off_folio_dtor >= l->size) {
			l->off_compound_dtor = (unsigned int)(vi->off_folio_dtor - l->size);
			l->have_dtor = 1;
		}
	} else {
		/* 6.6+: neither key exists; order is the low byte of _flags_1 */
		l->order_in_flags_1 = 1;
	}
	if (!l->order_in_flags_1 && l->off_compound_order >= l->size)
		return cs_fail(err, CS_CORRUPT, "compound order offset %u outside SIZE(page)=%u",
			       l->off_compound_order, l->size);
	if (l->have_dtor && l->off_compound_dtor >= l->size)
		return cs_fail(err, CS_CORRUPT, "compound dtor offset %u outside SIZE(page)=%u",
			       l->off_compound_dtor, l->size);
	l->hugetlb_dtor = l->have_dtor && vi->have.hugetlb_page_dtor ? vi->hugetlb_page_dtor : -1;

	/* LENGTH(zone.free_area) = MAX_ORDER+1 (NR_PAGE_ORDERS since 6.8) */
	l->max_order = vi->have.len_zone_free_area && vi->len_zone_free_area >= 1 &&
				       vi->len_zone_free_area <= 32
			       ? (unsigned int)vi->len_zone_free_area - 1 : 10;
	return CS_OK;
}

/* Width of the first tail's order/dtor fields: wider on 4.4-4.15 (dtor and
 * order two bytes apart on 64-bit), one byte each from 4.16 on; the distance
 * between the two exported offsets tells which. */
static unsigned int tail_field_width(const struct cs_page_layout *l)
{
	if (l->have_dtor) {
		unsigned int a = l->off_compound_dtor, b = l->off_compound_order;
		unsigned int d = a > b ? a - b : b - a;
		if (d == 2 || d == 4)
			return d;
	}
	return 1;
}

static uint64_t get_field(const uint8_t *p, unsigned int width)
{
	switch (width) {
	case 2: return cs_get_le16(p);
	case 4: return cs_get_le32(p);
	default: return p[0];
	}
}

/* Is _mapcount value @v the page type @want? */
static int type_is(const struct cs_page_layout *l, int32_t v, int32_t want)
{
	if (l->page_type_in_top_byte)
		return (uint32_t)v >> 24 == (uint32_t)want >> 24;
	return v == want;
}

enum mc_kind { MC_COUNT, MC_TYPE, MC_NONSENSE };

/* What kind of value is this _mapcount: a plausible mapcount (-1 = not
 * mapped, 0.. = mappings - 1), some page type, or garbage. */
static enum mc_kind mapcount_kind(const struct cs_page_layout *l, int32_t v)
{
	uint32_t u = (uint32_t)v;

	if (l->page_type_in_top_byte) {
		/* 6.12+: top byte 0x00-0x7f counts, 0x80-0xef overflow reserve,
		 * 0xf0-0xfe types, 0xff "no type" (only -1 is a sane count) */
		if (v == -1 || (v >= 0 && v < CS_MAX_MAPCOUNT))
			return MC_COUNT;
		if (u >> 24 >= 0xf0 && u >> 24 <= 0xfe)
			return MC_TYPE;
		return MC_NONSENSE;
	}
	if (v >= -1 && v < CS_MAX_MAPCOUNT)
		return MC_COUNT;
	if (v >= -128)
		return MC_NONSENSE;	/* PAGE_MAPCOUNT_RESERVE: underflow */
	/* up to 6.11 a type is one cleared bit in an all-ones value: bits
	 * 0x80..0x1000 up to 6.10 (PG_buddy 0x80 ... PG_slab 0x1000); in 6.11
	 * the bits moved to 0x02000000..0x40000000 and the low 16 bits became
	 * free for the type's owner (David Hildenbrand, "mm: allow reuse of the
	 * lower 16 bit of the page type with an actual type") */
	if ((~u >> 16) && __builtin_popcount(~u & 0xffff0000u) == 1)
		return MC_TYPE;
	if (!(~u >> 16) && __builtin_popcount(~u) == 1)
		return MC_TYPE;
	return MC_NONSENSE;
}

/* Order of the compound page whose head is @page, from the first tail
 * @next; 0 when this is not a (sane) head, -1 when the bytes are nonsense. */
static int compound_order(const struct cs_page_layout *l, uint64_t flags, const uint8_t *next)
{
	int head;
	uint64_t order;

	if (l->pg_head_mask)
		head = (flags & l->pg_head_mask) != 0;
	else	/* no PG_head_mask (older than 4.x exports): a following tail tells */
		head = next && l->has_compound_head &&
		       (cs_get_le64(next + l->off_compound_head) & 1);
	if (!head)
		return 0;
	if (!next)
		return -1;	/* a head whose first tail we could not read */
	/* the first tail must be a tail */
	if (l->has_compound_head && !(cs_get_le64(next + l->off_compound_head) & 1))
		return -1;
	if (l->order_in_flags_1)
		order = cs_get_le64(next + l->off_flags) & 0xff;
	else
		order = get_field(next + l->off_compound_order, tail_field_width(l));
	/* compound pages have order >= 1 by construction */
	if (order < 1 || order > CS_MAX_COMPOUND_ORDER)
		return -1;
	return (int)order;
}

static int is_hugetlb_head(const struct cs_page_layout *l, int32_t mapcount, const uint8_t *next)
{
	if (l->have_hugetlb_type)			/* 6.9+ */
		return type_is(l, mapcount, l->hugetlb_type);
	if (l->pg_hugetlb >= 0)				/* 6.6-6.8 */
		return flag_set(cs_get_le64(next + l->off_flags), l->pg_hugetlb);
	if (l->have_dtor && l->hugetlb_dtor >= 0)	/* 4.4-6.5 */
		return get_field(next + l->off_compound_dtor, tail_field_width(l)) ==
		       (uint64_t)l->hugetlb_dtor;
	return 0;
}

enum cs_page_class cs_page_classify(const struct cs_page_layout *l, const uint8_t *page,
				    const uint8_t *next, uint64_t *npages)
{
	uint64_t flags = cs_get_le64(page + l->off_flags);
	uint64_t mapping = cs_get_le64(page + l->off_mapping);
	int32_t mapcount = (int32_t)cs_get_le32(page + l->off_mapcount);
	int slab, order;
	enum mc_kind mk;

	*npages = 1;

	/* tails follow their head; the walker checks the head pointer */
	if (l->has_compound_head && (cs_get_le64(page + l->off_compound_head) & 1)) {
		if (l->pg_head_mask && (flags & l->pg_head_mask))
			return CS_PC_UNCLASSIFIED;	/* head and tail at once */
		return CS_PC_TAIL;
	}

	order = compound_order(l, flags, next);
	if (order < 0)
		return CS_PC_UNCLASSIFIED;
	mk = mapcount_kind(l, mapcount);

	/* poisoned memory is never read, whatever else the page claims -- as
	 * long as the struct page is sane: a garbage flags word has the
	 * PG_hwpoison bit half the time, and dropping such a page would lose
	 * data on a guess (memory_failure() leaves a plain _mapcount behind,
	 * or the hugetlb type on a poisoned hugetlb head) */
	if (flag_set(flags, l->pg_hwpoison) &&
	    (mk == MC_COUNT ||
	     (mk == MC_TYPE && l->have_hugetlb_type && type_is(l, mapcount, l->hugetlb_type))))
		return CS_PC_HWPOISON;

	/* slab before anything that reads _mapcount or mapping: up to 6.9
	 * struct slab's fields alias both */
	slab = flag_set(flags, l->pg_slab) ||
	       (l->have_slab_type && type_is(l, mapcount, l->slab_type));
	if (slab) {
		*npages = (uint64_t)1 << order;
		return CS_PC_KERNEL;
	}

	if (mk == MC_NONSENSE)
		return CS_PC_UNCLASSIFIED;
	if (mk == MC_TYPE) {
		if (l->have_buddy && type_is(l, mapcount, l->buddy)) {
			uint64_t bo = cs_get_le64(page + l->off_private);
			/* free blocks are never compound, slab or on an LRU */
			if (bo > l->max_order || order != 0 || flag_set(flags, (int)l->pg_lru))
				return CS_PC_UNCLASSIFIED;
			*npages = (uint64_t)1 << bo;
			return CS_PC_FREE;
		}
		if (l->have_unaccepted && type_is(l, mapcount, l->unaccepted)) {
			/* marks a whole MAX_PAGE_ORDER block (6.16+) */
			if (order != 0)
				return CS_PC_UNCLASSIFIED;
			*npages = (uint64_t)1 << l->max_order;
			return CS_PC_FREE;
		}
		if (l->have_offline && type_is(l, mapcount, l->offline))
			return order ? CS_PC_UNCLASSIFIED : CS_PC_OFFLINE;
		if (l->have_hugetlb_type && type_is(l, mapcount, l->hugetlb_type)) {
			if (!order)
				return CS_PC_UNCLASSIFIED;	/* hugetlb is always compound */
			*npages = (uint64_t)1 << order;
			return CS_PC_USER;
		}
		/* page tables, guard pages, zsmalloc, ...: kernel data */
		*npages = (uint64_t)1 << order;
		return CS_PC_KERNEL;
	}

	*npages = (uint64_t)1 << order;
	if (order && is_hugetlb_head(l, mapcount, next))
		return CS_PC_USER;
	/* PAGE_MAPPING_ANON (bit 0); KSM pages (bits 0 and 1) are anon too */
	if (mapping & 1)
		return CS_PC_USER;
	if (flag_set(flags, (int)l->pg_lru) ||
	    (flag_set(flags, (int)l->pg_swapcache) &&
	     (l->pg_swapbacked == UINT64_MAX || flag_set(flags, (int)l->pg_swapbacked))))
		return flag_set(flags, (int)l->pg_private) ? CS_PC_CACHE_PRIVATE : CS_PC_CACHE;
	return CS_PC_KERNEL;
}

int cs_page_class_excluded(enum cs_page_class c, unsigned int level)
{
	switch (c) {
	case CS_PC_CACHE:
		/* level 4 ("all cache") includes the non-private cache of level 2 */
		return (level & (CS_DL_CACHE | CS_DL_CACHE_PRIVATE)) != 0;
	case CS_PC_CACHE_PRIVATE:
		return (level & CS_DL_CACHE_PRIVATE) != 0;
	case CS_PC_USER:
		return (level & CS_DL_USER) != 0;
	case CS_PC_FREE:
		return (level & CS_DL_FREE) != 0;
	case CS_PC_HWPOISON:
	case CS_PC_OFFLINE:
		return 1;
	default:
		return 0;
	}
}
