/* page_class.h - the pure page classifier: struct page bytes + layout -> class.
 *
 * No I/O here: the mem_map walker (filter/memmap.c) reads struct pages and
 * asks cs_page_classify() what each one is.  Kernel-layout differences are
 * decided once, from VMCOREINFO, in cs_page_layout_init().
 */
#ifndef CS_PAGE_CLASS_H
#define CS_PAGE_CLASS_H

#include <stdint.h>

#include "filter/vmcoreinfo.h"
#include "lib/error.h"

enum cs_page_class {
	CS_PC_KERNEL = 0,	/* anything we keep at every level: kernel data, slab, ... */
	CS_PC_CACHE,		/* non-private page cache: level bit 2 */
	CS_PC_CACHE_PRIVATE,	/* page cache with private data: level bit 4 */
	CS_PC_USER,		/* anonymous / hugetlb / THP user data: level bit 8 */
	CS_PC_FREE,		/* free buddy block (and unaccepted memory): level bit 16 */
	CS_PC_HWPOISON,		/* PG_hwpoison: never read, never dumped */
	CS_PC_OFFLINE,		/* logically offline: never read, never dumped */
	CS_PC_UNCLASSIFIED,	/* struct page unreadable or nonsensical: kept */
	CS_PC_TAIL,		/* tail of a compound page: follows its head */
	CS_PC_COUNT
};

/* Dump-level bits (makedumpfile's -d) */
#define CS_DL_ZERO		1
#define CS_DL_CACHE		2
#define CS_DL_CACHE_PRIVATE	4
#define CS_DL_USER		8
#define CS_DL_FREE		16
#define CS_DL_MAX		31

struct cs_page_layout {
	unsigned int size;		/* SIZE(page) */
	unsigned int off_flags, off_mapping, off_mapcount, off_private;
	unsigned int off_compound_head;	/* compound_head / compound_info */
	int has_compound_head;
	uint64_t pg_lru, pg_private, pg_swapcache, pg_swapbacked;
	uint64_t pg_head_mask;		/* 0 if unknown */
	int pg_slab;			/* -1 if the kernel has no PG_slab (6.10+) */
	int pg_hwpoison;		/* -1 if unknown */
	int pg_hugetlb;			/* -1 if none (6.6-6.8 only) */
	/* page-type values; "have" flags say whether the kernel exports them */
	int have_buddy, have_offline, have_slab_type, have_hugetlb_type, have_unaccepted;
	int32_t buddy, offline, slab_type, hugetlb_type, unaccepted;
	int page_type_in_top_byte;	/* 6.12+: compare the full _mapcount value */
	/* compound order / dtor location (in the first tail page) */
	int order_in_flags_1;		/* 6.6+: low byte of tail[1].flags */
	unsigned int off_compound_dtor, off_compound_order;
	int have_dtor;
	int64_t hugetlb_dtor;		/* 4.4-6.5: compound_dtor id of hugetlb */
	unsigned int max_order;		/* free_area length - 1, order sanity bound */
};

enum cs_status cs_page_layout_init(struct cs_page_layout *l, const struct cs_vmcoreinfo *vi,
				   struct cs_err *err);

/* Classify one struct page.  @page is SIZE(page) bytes; @next is the
 * following struct page (needed for a compound head's order/dtor) or NULL if
 * unavailable.  On return *@npages is how many consecutive pfns starting here
 * the class covers (2^order for a free block or a compound user page, else 1).
 * Never fails: nonsense gives CS_PC_UNCLASSIFIED. */
enum cs_page_class cs_page_classify(const struct cs_page_layout *l, const uint8_t *page,
				    const uint8_t *next, uint64_t *npages);

/* Is a page of class @c excluded at dump level @level?  (zero pages are
 * decided on content, elsewhere) */
int cs_page_class_excluded(enum cs_page_class c, unsigned int level);

#endif
