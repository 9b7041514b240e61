/* report.h - the end-of-run page report, in makedumpfile's words and as JSON. */
#ifndef CS_REPORT_H
#define CS_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "filter/plan.h"

struct cs_report {
	const struct cs_plan *plan;
	uint64_t zero_pages;	/* excluded as zero (level bit 1) */
	uint64_t write_bytes;	/* bytes of the output file(s) */
	int elf;		/* -E: adds the "in ELF format" line */
	int dry_run;
};

struct cs_report_counts {
	uint64_t original, excluded, zero, cache, cache_private, user, free_pages,
		 hwpoison, offline, remaining, hole, total, unclassified;
};

void cs_report_counts(const struct cs_report *r, struct cs_report_counts *c);

/* makedumpfile's report block (hex counts, 16 digits) */
void cs_report_print(const struct cs_report *r, FILE *f);

/* the same counts (decimal) as one JSON object */
void cs_report_json(const struct cs_report *r, FILE *f);

#endif
