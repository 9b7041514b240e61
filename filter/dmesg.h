/* dmesg.h - the crashed kernel's log (--dump-dmesg), read from VMCOREINFO alone.
 *
 * Three layouts, chosen by the VMCOREINFO keys the kernel exported:
 *   5.10+     lockless printk_ringbuffer       SYMBOL(prb)
 *   3.5-5.9   struct printk_log records        SYMBOL(log_first_idx)
 *             ("struct log" before 3.11)
 *   <=3.4     plain character ring             SYMBOL(log_end)
 * Records come out as makedumpfile 1.7.2's --dump-dmesg writes them:
 * "[%5lu.%06lu] text\n", a newline inside a record continues on a line
 * indented under the text, bytes that are neither printable nor white space
 * as "\xNN".  The <=3.4 ring is written as the raw characters it holds.
 *
 * Nothing here prints: the text goes to a caller-supplied sink.
 */
#ifndef CS_DMESG_H
#define CS_DMESG_H

#include <stddef.h>
#include <stdint.h>

#include "filter/kernel.h"
#include "lib/error.h"

struct cs_dmesg_sink {
	/* consume @len bytes of log text; a failure stops the extraction */
	enum cs_status (*write)(void *ctx, const void *buf, size_t len, struct cs_err *err);
	void *ctx;
};

struct cs_dmesg_stats {
	const char *format;	/* "printk_ringbuffer", "printk_log", "log", "log_buf" */
	uint64_t records;	/* records written (<=3.4: bytes) */
	uint64_t skipped;	/* not committed/finalized, data-less, or before the clear */
};

/* Extract the log of @k into @sink; only what followed the last
 * "dmesg -c" / syslog clear when @partial.
 *
 * A malformed ring (cycle, wild index or lpos, text_len past its block, absurd
 * ring size) does not stop at the first problem: every record that can still
 * be trusted is written, then CS_CORRUPT is returned describing the first
 * problem (what and where).  Memory the dump lacks is CS_NODATA naming the
 * address, with the same "write what is recoverable" rule for single records.
 * Every walk is bounded by the ring's size.  A sink failure is returned at
 * once. */
enum cs_status cs_dmesg_extract(const struct cs_kernel *k, int partial,
				const struct cs_dmesg_sink *sink,
				struct cs_dmesg_stats *stats, struct cs_err *err);

/* Worst-case size of one formatted record of @text_len bytes. */
size_t cs_dmesg_record_bound(size_t text_len);

/* Format one record into @out (at least cs_dmesg_record_bound(len) bytes);
 * returns the length.  Pure: unit-testable. */
size_t cs_dmesg_format_record(uint64_t ts_nsec, const uint8_t *text, size_t len, char *out);

#endif
