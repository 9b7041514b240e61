/* plan.h - the page plan: which pfns exist and which are kept, with counts.
 *
 * Built by the mem_map walk (filter/memmap.c) before any page data is read.
 * Zero pages are found later, while copying (they need the data).
 */
#ifndef CS_PLAN_H
#define CS_PLAN_H

#include <stdint.h>

#include "filter/kernel.h"
#include "filter/page_class.h"
#include "lib/error.h"

struct cs_plan {
	uint64_t max_mapnr;		/* bitmaps cover pfns [0, max_mapnr) */
	uint8_t *present;		/* 1st bitmap: pfn is RAM in the input */
	uint8_t *keep;			/* 2nd bitmap before the zero test: has data
				 * in the input and not excluded by class */
	unsigned int dump_level;
	/* pages per class among present pfns, whatever the level */
	uint64_t count[CS_PC_COUNT];
	uint64_t excluded[CS_PC_COUNT];	/* pages removed from keep per class */
	uint64_t present_pages;		/* makedumpfile "Original pages" */
	uint64_t kept_pages;		/* bits set in keep */
};

static inline int cs_bit_test(const uint8_t *bm, uint64_t pfn)
{
	return bm[pfn >> 3] >> (pfn & 7) & 1;
}
static inline void cs_bit_set(uint8_t *bm, uint64_t pfn)
{
	bm[pfn >> 3] |= (uint8_t)(1u << (pfn & 7));
}
static inline void cs_bit_clear(uint8_t *bm, uint64_t pfn)
{
	bm[pfn >> 3] &= (uint8_t)~(1u << (pfn & 7));
}

/* Walk mem_map and fill @plan for dump level @level (0..31). */
enum cs_status cs_plan_build(struct cs_plan *plan, const struct cs_kernel *k,
			     unsigned int level, struct cs_err *err);
void cs_plan_fini(struct cs_plan *plan);

#endif
