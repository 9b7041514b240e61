/* writer.h - output formats as a table of operations.
 *
 * The pipeline (collector/pipeline.c) feeds every kept page, in pfn order,
 * already compressed (or raw) to a writer.  A writer lays out its format on a
 * target (collector/target.h: a seekable file, or a sequential stream that the
 * flattened encoder turns into (offset, size) records).
 */
#ifndef CS_WRITER_H
#define CS_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "collector/target.h"
#include "filter/kernel.h"
#include "filter/plan.h"
#include "lib/error.h"

/* What a writer needs to know before the first page. */
struct cs_dump_info {
	const struct cs_kernel *k;
	const struct cs_plan *plan;	/* present/kept pfns, max_mapnr (plan.h) */
	unsigned int dump_level;
	uint32_t codec_flag;		/* header status codec bit, 0 = none */
	unsigned int page_size;
	/* one file of a --split set (kdump only): the plan is a view of
	 * pfns [split_start, split_end) (its pages and descriptors); the 2nd
	 * bitmap written is the whole dump's, as makedumpfile writes it: its
	 * --reassemble and crash take the set's bitmap from the files */
	int split;
	uint64_t split_start, split_end;
	/* zero pages are only known while copying; a writer that needs the
	 * final 2nd bitmap up front (kdump) uses the plan's kept pfns and
	 * points zero pages at its shared zero page */
};

struct cs_writer;

struct cs_writer_ops {
	const char *name;		/* "kdump", "elf" */
	enum cs_status (*create)(struct cs_writer **w, struct cs_target *t,
				 const struct cs_dump_info *info, struct cs_err *err);
	/* pfn in increasing order; @flags: 0 raw or a CS_DH_COMPRESSED_* bit */
	enum cs_status (*page)(struct cs_writer *w, uint64_t pfn, const void *data,
			       size_t len, uint32_t flags, struct cs_err *err);
	/* a zero page (dump level bit 1 excludes it from ELF, shares one
	 * zero page in kdump) */
	enum cs_status (*zero_page)(struct cs_writer *w, uint64_t pfn, struct cs_err *err);
	/* an excluded-as-zero page at a level without bit 1 is written with
	 * page(); this is only called when bit 1 is set */
	enum cs_status (*finish)(struct cs_writer *w, struct cs_err *err);
	/* stop early (ENOSPC, -L, signal): mark the output incomplete as far
	 * as the format allows; must not allocate */
	enum cs_status (*mark_incomplete)(struct cs_writer *w, struct cs_err *err);
	void (*destroy)(struct cs_writer *w);	/* NULL is a no-op */
	/* bytes written so far (for the report's "Write bytes") */
	uint64_t (*bytes)(const struct cs_writer *w);
};

extern const struct cs_writer_ops cs_writer_kdump, cs_writer_elf;

/* The kdump writer's fixed buffers (collector/kdump_writer.c), which
 * collector/estimate.c counts into a dump's predicted peak memory: its
 * write cache for page data and the page descriptors it holds. */
#define CS_KDUMP_DATA_CACHE (64u * 1024)
#define CS_KDUMP_DESC_WINDOW 2048u

#endif
