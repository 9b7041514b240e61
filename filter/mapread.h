/* mapread.h - reading an input file through mmap windows instead of pread.
 *
 * Measured in the lab's 6.1 capture kernel (doc/performance.md, "Input path
 * in the capture kernel"): /proc/vmcore read with pread moves about 300 MB/s
 * (each read copies the old kernel's memory page by page through a temporary
 * mapping), through 4 MiB mmap windows 1.4-2.7 GB/s.  On a regular file in
 * the page cache it is the other way round (first-touch page faults), so the
 * collector maps /proc/vmcore only.
 *
 * A few windows of CS_MAPREAD_WINDOW bytes (file offsets aligned to it) are
 * kept mapped, shared by all readers under a mutex with reference counts; a
 * read copies out of a window without the lock.  Memory is bounded: at most
 * CS_MAPREAD_WINDOWS windows (page tables for 32 MiB), whatever the size of
 * the dumped machine.  When a window cannot be mapped (a kernel whose
 * /proc/vmcore has no mmap, ENOMEM) the reader is switched off and every read
 * goes back to pread.
 */
#ifndef CS_MAPREAD_H
#define CS_MAPREAD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

#define CS_MAPREAD_WINDOW (4u << 20)
#define CS_MAPREAD_WINDOWS 8

struct cs_mapread;

/* A reader of @fd's first @file_size bytes (the size mmap may cover). */
enum cs_status cs_mapread_new(int fd, uint64_t file_size, struct cs_mapread **out,
			      struct cs_err *err);
void cs_mapread_free(struct cs_mapread *m);

/* Copy [@off, @off + @len) into @buf.  CS_NOTSUPP (nothing copied, @err
 * untouched): read this one with pread instead — the range is past the
 * mappable size, every window is busy, or mapping failed (then for good). */
enum cs_status cs_mapread_copy(struct cs_mapread *m, void *buf, size_t len, uint64_t off);

#endif
