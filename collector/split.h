/* split.h - the --split run (one VMCORE into N kdump files, each holding a
 * contiguous pfn range with a similar number of kept pages) and the
 * --reassemble run (the files of a set back into one ordinary kdump file).
 * Top-level runs like cs_dmesg_main: they print their own messages and
 * return the final status; @stop is main's signal flag. */
#ifndef CS_SPLIT_H
#define CS_SPLIT_H

#include <signal.h>
#include <stdint.h>

#include "collector/options.h"
#include "filter/plan.h"
#include "lib/error.h"

enum cs_status cs_split_main(const struct cs_options *o, volatile sig_atomic_t *stop);
enum cs_status cs_reassemble_main(const struct cs_options *o, volatile sig_atomic_t *stop);

/* Cut [0, plan->max_mapnr) into @n contiguous ranges at multiples of
 * @block_pfns so that each holds about plan->kept_pages / @n kept pfns
 * (each within one block of that): range i is [@bound[i], @bound[i + 1]),
 * @bound has @n + 1 entries.  Pure; exported for the unit test. */
void cs_split_ranges(const struct cs_plan *plan, unsigned int n, uint64_t block_pfns,
		     uint64_t *bound);

#endif
