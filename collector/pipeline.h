/* pipeline.h - read, zero-test and compress every kept page on N threads and
 * hand the results to the writer in the order collector/order.h chooses.
 *
 * Work moves in batches of consecutive kept pfns through a fixed ring of
 * slots: the main thread fills free slots, N - 1 worker threads and the main
 * thread itself (each with its own codec context) read and compress each
 * batch in its slot, and the main thread writes finished slots strictly in
 * the order they were filled.  The main thread sleeps only when no slot is
 * queued and the next half of the ring is not done yet; with N = 1 no thread
 * is started.
 * Memory is fixed at start (slots x batch x page size), independent of the
 * dumped machine's RAM; nothing is allocated per page.
 */
#ifndef CS_PIPELINE_H
#define CS_PIPELINE_H

#include <signal.h>
#include <stdint.h>

#include "collector/order.h"
#include "collector/writer.h"
#include "compress/codec.h"
#include "filter/kernel.h"
#include "filter/plan.h"
#include "lib/error.h"

/* Pages per slot, and slots on @n threads: the ring's size, which
 * collector/estimate.c counts into a dump's predicted peak memory. */
#define CS_PIPELINE_BATCH_PAGES 16u
#define CS_PIPELINE_SLOTS(n) ((n) > 1 ? 2 * (n) + 1 : 1)

struct cs_pipeline_cfg {
	const struct cs_kernel *k;
	const struct cs_plan *plan;
	const struct cs_codec *codec;		/* NULL: raw pages */
	int codec_level;
	const struct cs_writer_ops *wops;	/* NULL with w: dry run, no output */
	struct cs_writer *w;
	unsigned int nthreads;			/* >= 1 */
	unsigned int dump_level;
	int progress;				/* progress lines on stderr */
	volatile sig_atomic_t *stop;		/* set by a signal handler, or NULL */
	enum cs_order_kind order;		/* CS_ORDER_PFN (0) or CS_ORDER_ANALYST */
};

struct cs_pipeline_stats {
	uint64_t pages_read;
	uint64_t zero_pages;	/* zero pages excluded (level bit 1) */
	uint64_t pages_out;	/* pages handed to the writer as data */
	uint64_t raw_pages;	/* of those, stored uncompressed */
	uint64_t first_pages;	/* kept pages written first (order.h groups 1-5) */
	uint64_t first_ranges;
	unsigned long rss_kib;	/* resident set at the end of the copy, KiB (lib/rss.h) */
};

enum cs_status cs_pipeline_run(const struct cs_pipeline_cfg *cfg,
			       struct cs_pipeline_stats *stats, struct cs_err *err);

/* Is this page all zero bytes? */
int cs_page_is_zero(const void *page, size_t size);

#endif
