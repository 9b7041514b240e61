/* rearrange.h - -R: turn a flattened stream (stdin) back into a normal file. */
#ifndef CS_REARRANGE_H
#define CS_REARRANGE_H

#include <signal.h>
#include <stdint.h>

#include "collector/target.h"
#include "lib/error.h"

/* Read the flattened stream on @in_fd ("makedumpfile" header, then
 * (offset, size, data) records, big-endian, ending with (-1, -1)) and write
 * every record at its offset on @t.  A stream that ends before its end
 * marker is CS_CORRUPT ("incomplete"), after writing what arrived.
 * *@records counts the records applied. */
enum cs_status cs_rearrange(int in_fd, const char *in_name, struct cs_target *t,
			    volatile sig_atomic_t *stop, uint64_t *records,
			    struct cs_err *err);

/* After a cut-short stream: if the rebuilt file is a kdump-compressed dump,
 * set its "incomplete" header flag so readers know pages may be missing. */
enum cs_status cs_rearrange_mark_incomplete(struct cs_target *t, struct cs_err *err);

#endif
