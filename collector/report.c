/* report.c - see report.h */
#include "config.h"

#include "collector/report.h"

#include <inttypes.h>

void cs_report_counts(const struct cs_report *r, struct cs_report_counts *c)
{
	const struct cs_plan *p = r->plan;

	c->original = p->present_pages;
	c->zero = r->zero_pages;
	c->cache = p->excluded[CS_PC_CACHE];
	c->cache_private = p->excluded[CS_PC_CACHE_PRIVATE];
	c->user = p->excluded[CS_PC_USER];
	c->free_pages = p->excluded[CS_PC_FREE];
	c->hwpoison = p->excluded[CS_PC_HWPOISON];
	c->offline = p->excluded[CS_PC_OFFLINE];
	c->excluded = c->zero + c->cache + c->cache_private + c->user + c->free_pages +
		      c->hwpoison + c->offline;
	c->remaining = c->original >= c->excluded ? c->original - c->excluded : 0;
	c->total = p->max_mapnr;
	c->hole = c->total - c->original;
	c->unclassified = p->count[CS_PC_UNCLASSIFIED];
}

void cs_report_print(const struct cs_report *r, FILE *f)
{
	struct cs_report_counts c;

	cs_report_counts(r, &c);
	fprintf(f, "\n");
	fprintf(f, "Original pages  : 0x%016" PRIx64 "\n", c.original);
	fprintf(f, "  Excluded pages   : 0x%016" PRIx64 "\n", c.excluded);
	fprintf(f, "    Pages filled with zero  : 0x%016" PRIx64 "\n", c.zero);
	fprintf(f, "    Non-private cache pages : 0x%016" PRIx64 "\n", c.cache);
	fprintf(f, "    Private cache pages     : 0x%016" PRIx64 "\n", c.cache_private);
	fprintf(f, "    User process data pages : 0x%016" PRIx64 "\n", c.user);
	fprintf(f, "    Free pages              : 0x%016" PRIx64 "\n", c.free_pages);
	fprintf(f, "    Hwpoison pages          : 0x%016" PRIx64 "\n", c.hwpoison);
	fprintf(f, "    Offline pages           : 0x%016" PRIx64 "\n", c.offline);
	fprintf(f, "  Remaining pages  : 0x%016" PRIx64 "\n", c.remaining);
	if (c.original)
		fprintf(f, "  (The number of pages is reduced to %" PRIu64 "%%.)\n",
			c.remaining * 100 / c.original);
	fprintf(f, "Memory Hole     : 0x%016" PRIx64 "\n", c.hole);
	fprintf(f, "--------------------------------------------------\n");
	fprintf(f, "Total pages     : 0x%016" PRIx64 "\n", c.total);
	if (!r->dry_run)
		fprintf(f, "Write bytes     : %" PRIu64 "\n", r->write_bytes);
	/* coresift's own line: pages whose struct page made no sense (kept) */
	fprintf(f, "Unclassified pages (kept) : 0x%016" PRIx64 "\n", c.unclassified);
	fprintf(f, "\n");
}

void cs_report_json(const struct cs_report *r, FILE *f)
{
	struct cs_report_counts c;

	cs_report_counts(r, &c);
	fprintf(f,
		"{\"dump_level\": %u, \"original_pages\": %" PRIu64 ", \"excluded_pages\": %" PRIu64
		", \"zero_pages\": %" PRIu64 ", \"non_private_cache_pages\": %" PRIu64
		", \"private_cache_pages\": %" PRIu64 ", \"user_pages\": %" PRIu64
		", \"free_pages\": %" PRIu64 ", \"hwpoison_pages\": %" PRIu64
		", \"offline_pages\": %" PRIu64 ", \"remaining_pages\": %" PRIu64
		", \"memory_hole_pages\": %" PRIu64 ", \"total_pages\": %" PRIu64
		", \"unclassified_pages\": %" PRIu64 ", \"write_bytes\": %" PRIu64 "}\n",
		r->plan->dump_level, c.original, c.excluded, c.zero, c.cache, c.cache_private,
		c.user, c.free_pages, c.hwpoison, c.offline, c.remaining, c.hole, c.total,
		c.unclassified, r->dry_run ? 0 : r->write_bytes);
}
