/* estimate.h - the --mem-usage and --estimate runs (first kernel, /proc/kcore).
 *
 * Top-level runs like collector/dmesg_cmd.c: they print their own table and
 * messages and return the status main maps to the exit code.
 */
#ifndef CS_ESTIMATE_H
#define CS_ESTIMATE_H

#include "collector/options.h"
#include "lib/error.h"

/* --mem-usage VMCORE: makedumpfile's page table of the running system. */
enum cs_status cs_mem_usage_main(const struct cs_options *o);

/* --estimate VMCORE: predicted dump sizes, times, peak memory, crashkernel=. */
enum cs_status cs_estimate_main(const struct cs_options *o);

#endif
