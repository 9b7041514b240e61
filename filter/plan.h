/* plan.h - the page plan: which pfns exist and which are kept, with counts.
 *
 * Built by the mem_map walk (filter/memmap.c) before any page data is read.
 * Zero pages are found later, while copying (they need the data).
 *
 * Memory is bounded by design, not by the dumped machine's RAM size
 * (doc/memory.md has the numbers):
 *
 *  - pfns are grouped in blocks of 1 << block_shift pfns (32 Ki pfns, or one
 *    SPARSEMEM section when that is larger, so a block always holds whole
 *    sections).  For every block the plan keeps the number of kept pfns before
 *    it (kept_before[], 8 bytes a block: 64 KiB at 1 TiB of 4 KiB pages,
 *    1 MiB at 16 TiB), plus the mem_map walk's state at the blocks that
 *    start inside a compound page or buddy block that began earlier (a sparse
 *    list: empty unless gigantic pages cross blocks).
 *  - The two bitmaps (present, keep) are held for a window of blocks only:
 *    the bitmap buffer (--cyclic-buffer, makedumpfile's option: KiB per
 *    bitmap; default CS_PLAN_DEFAULT_BUFFER_KIB, so a machine of up to
 *    64 GiB is one window) holds that many blocks' bits.  When all of
 *    [0, max_mapnr) fits, the plan is one window and holds both bitmaps
 *    whole, exactly as before windows existed.  Otherwise the buffer is a
 *    cache of blocks: a block's bits are re-created on demand from the
 *    input's own bitmaps (present, has data) and, only when the block has
 *    kept pfns, by walking that block's struct pages again from the saved
 *    walk state.  Blocks without kept pfns never need a walk: their keep
 *    bits are zero and their present bits come from the input alone.
 *  - Building walks mem_map once, block by block, counting classes and
 *    filling kept_before[]; the pipeline's pass re-walks only the blocks
 *    that have kept pfns, once each in pfn order (the analyst order visits
 *    priority ranges first, then 4 MiB chunks from both ends: two blocks in
 *    use at a time).
 *  - The descriptor index of a kept pfn (kdump) is kept_before[block] +
 *    the set bits before it in its block; a --split file's plan is a view
 *    [lo, hi) of the same plan (no copy of any bitmap).
 *
 * The input is read twice for a block that is re-walked: it must not change
 * between the passes (/proc/vmcore and files do not).  Accessors are not
 * thread-safe: only one thread (the pipeline's main thread) uses a plan.
 */
#ifndef CS_PLAN_H
#define CS_PLAN_H

#include <stdint.h>

#include "filter/kernel.h"
#include "filter/page_class.h"
#include "lib/error.h"

#define CS_PLAN_BLOCK_SHIFT_MIN 15		/* 32 Ki pfns a block at least */
#define CS_PLAN_DEFAULT_BUFFER_KIB 2048u	/* 16 Mi pfns: 64 GiB of 4 KiB pages */

struct cs_plan_cache;

struct cs_plan {
	uint64_t max_mapnr;		/* bitmaps cover pfns [0, max_mapnr) */
	unsigned int dump_level;
	/* pages per class among present pfns, whatever the level */
	uint64_t count[CS_PC_COUNT];
	uint64_t excluded[CS_PC_COUNT];	/* pages removed from keep per class */
	uint64_t present_pages;		/* makedumpfile "Original pages" */
	uint64_t kept_pages;		/* kept pfns in [lo, hi) */
	/* the view: kept pfns outside [lo, hi) read as not kept (one file of
	 * a --split set); [0, max_mapnr) for a whole plan */
	uint64_t lo, hi;
	uint64_t lo_rank;		/* kept pfns of the whole plan before lo */
	int is_view;			/* cs_plan_view() copy: fini is a no-op */
	unsigned int block_shift;	/* pfns per block = 1 << block_shift */
	uint64_t nblocks;
	uint64_t *kept_before;		/* [nblocks + 1]: kept pfns before each block */
	uint64_t window_blocks;		/* blocks the bitmap buffer holds */
	struct cs_plan_cache *cache;	/* the bits (filter/memmap.c) */
};

enum cs_plan_bitmap { CS_PLAN_PRESENT, CS_PLAN_KEEP };

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

/* Struct pages the walk reads at once (filter/memmap.c), into a buffer of
 * one more; collector/estimate.c counts the buffer into a dump's predicted
 * peak memory. */
#define CS_PLAN_MM_READ 512u

/* Walk mem_map and fill @plan for dump level @level (0..31), with a bitmap
 * buffer of @buffer_kib KiB per bitmap (0: CS_PLAN_DEFAULT_BUFFER_KIB). */
enum cs_status cs_plan_build_sized(struct cs_plan *plan, const struct cs_kernel *k,
				   unsigned int level, uint64_t buffer_kib, struct cs_err *err);
/* The same, walking a plan that is one window on up to @nthreads threads
 * (the result is the same bit for bit: filter/memmap.c, walk_whole()). */
enum cs_status cs_plan_build_threads(struct cs_plan *plan, const struct cs_kernel *k,
				     unsigned int level, uint64_t buffer_kib,
				     unsigned int nthreads, struct cs_err *err);
static inline enum cs_status cs_plan_build(struct cs_plan *plan, const struct cs_kernel *k,
					   unsigned int level, struct cs_err *err)
{
	return cs_plan_build_sized(plan, k, level, 0, err);
}
/* A one-window plan over the caller's bitmaps (borrowed, (max_mapnr + 7) / 8
 * bytes each; keep must be a subset of present): tests and tools. */
enum cs_status cs_plan_from_bitmaps(struct cs_plan *plan, uint64_t max_mapnr,
				    const uint8_t *present, const uint8_t *keep,
				    struct cs_err *err);
void cs_plan_fini(struct cs_plan *plan);

/* *@view = @plan restricted to kept pfns in [lo, hi); it shares @plan's
 * bits and lives no longer than @plan. */
void cs_plan_view(const struct cs_plan *plan, uint64_t lo, uint64_t hi, struct cs_plan *view);

/* Is @pfn present (1st bitmap) / kept (2nd bitmap before the zero test,
 * inside the view)?  Out of range: 0. */
int cs_plan_present(const struct cs_plan *p, uint64_t pfn);
int cs_plan_kept(const struct cs_plan *p, uint64_t pfn);
/* The first kept pfn in [pfn, limit) (inside the view), or limit. */
uint64_t cs_plan_next_kept(const struct cs_plan *p, uint64_t pfn, uint64_t limit);
/* Kept pfns of the view before @pfn: a kept pfn's descriptor index. */
uint64_t cs_plan_rank(const struct cs_plan *p, uint64_t pfn);
/* Block @block's bits of one bitmap, whole plan (the view does not apply):
 * pfn (block << block_shift) + i is bit i.  Valid until the next call on
 * the plan; *@nbits = pfns of the block below max_mapnr. */
const uint8_t *cs_plan_block_bits(const struct cs_plan *p, uint64_t block,
				  enum cs_plan_bitmap which, uint64_t *nbits);
/* The whole bitmap when the plan is one window and holds it whole (one
 * over the caller's bitmaps), else NULL: a built plan keeps its bits per
 * block (filter/memmap.c, compact()). */
const uint8_t *cs_plan_whole_bitmap(const struct cs_plan *p, enum cs_plan_bitmap which);
/* Is the plan one window?  Then its accessors only read, and two threads may
 * use it at once. */
int cs_plan_read_only(const struct cs_plan *p);
/* Kept pfns (whole plan) in block @block. */
static inline uint64_t cs_plan_block_kept(const struct cs_plan *p, uint64_t block)
{
	return p->kept_before[block + 1] - p->kept_before[block];
}
/* Blocks that start inside an earlier block of pages (walk state saved),
 * and blocks walked again since the plan was built (tests). */
/* Parts the one-window walk was cut into (threads), and parts walked again
 * serially because a block ran into them (tests). */
void cs_plan_thread_stats(const struct cs_plan *p, unsigned int *parts, unsigned int *redone);
void cs_plan_walk_stats(const struct cs_plan *p, uint64_t *carried, uint64_t *rewalked);
/* Bytes the plan holds (bitmaps, block summaries, walk state). */
uint64_t cs_plan_memory(const struct cs_plan *p);

#endif
