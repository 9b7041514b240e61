/* rearrange.c - see rearrange.h; the format is described in doc/kdump-format.md. */
#include "config.h"

#include "collector/rearrange.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"

#define FLAT_HEADER_SIZE 4096
#define FLAT_SIGNATURE "makedumpfile"
#define CHUNK (1u << 20)
/* disk_dump_header.status and DUMP_DH_COMPRESSED_INCOMPLETE (doc/kdump-format.md) */
#define KDUMP_STATUS_OFF 424
#define KDUMP_INCOMPLETE_FLAG 0x8

enum cs_status cs_rearrange(int in_fd, const char *in_name, struct cs_target *t,
			    volatile sig_atomic_t *stop, uint64_t *records,
			    struct cs_err *err)
{
	uint8_t hdr[FLAT_HEADER_SIZE], rec[16];
	uint8_t *buf;
	uint64_t pos = FLAT_HEADER_SIZE;
	enum cs_status st = CS_OK;
	size_t got;

	*records = 0;
	st = cs_read_full(in_fd, hdr, sizeof(hdr), &got, in_name, err);
	if (st != CS_OK)
		return st;
	if (got < 32 || memcmp(hdr, FLAT_SIGNATURE, sizeof(FLAT_SIGNATURE)) != 0)
		return cs_fail(err, CS_CORRUPT, "%s: not a flattened dump (no \"%s\" signature)",
			       in_name, FLAT_SIGNATURE);
	if (cs_get_be64(hdr + 16) != 1 || cs_get_be64(hdr + 24) != 1)
		return cs_fail(err, CS_NOTSUPP, "%s: flattened header type %lld version %lld (want 1, 1)",
			       in_name, (long long)cs_get_be64(hdr + 16),
			       (long long)cs_get_be64(hdr + 24));
	if (got < sizeof(hdr))
		return cs_fail(err, CS_CORRUPT, "%s: flattened header cut short (%zu of %d bytes)",
			       in_name, got, FLAT_HEADER_SIZE);
	buf = malloc(CHUNK);
	if (!buf)
		return cs_fail_nomem(err);
	for (;;) {
		uint64_t off, size;

		if (stop && *stop) {
			st = cs_fail(err, CS_INTERRUPTED, "interrupted by a signal");
			break;
		}
		st = cs_read_full(in_fd, rec, sizeof(rec), &got, in_name, err);
		if (st != CS_OK)
			break;
		if (got < sizeof(rec)) {
			st = cs_fail(err, CS_CORRUPT,
				     "%s: the flattened stream ends at byte %llu without its end marker: the dump is incomplete",
				     in_name, (unsigned long long)(pos + got));
			break;
		}
		off = cs_get_be64(rec);
		size = cs_get_be64(rec + 8);
		if (off == UINT64_MAX && size == UINT64_MAX)
			break;	/* end marker */
		if ((int64_t)off < 0 || (int64_t)size <= 0) {
			st = cs_fail(err, CS_CORRUPT,
				     "%s: bad flattened record at byte %llu: offset %lld, size %lld",
				     in_name, (unsigned long long)pos, (long long)off, (long long)size);
			break;
		}
		pos += sizeof(rec);
		while (size) {
			size_t n = size > CHUNK ? CHUNK : (size_t)size;

			st = cs_read_full(in_fd, buf, n, &got, in_name, err);
			if (st == CS_OK && got)
				st = cs_target_pwrite(t, buf, got, off, err);
			if (st == CS_OK && got < n)
				st = cs_fail(err, CS_CORRUPT,
					     "%s: the flattened stream ends inside a record at byte %llu: the dump is incomplete",
					     in_name, (unsigned long long)(pos + got));
			if (st != CS_OK)
				break;
			off += n;
			size -= n;
			pos += n;
		}
		if (st != CS_OK)
			break;
		(*records)++;
	}
	free(buf);
	return st;
}

enum cs_status cs_rearrange_mark_incomplete(struct cs_target *t, struct cs_err *err)
{
	uint8_t sig[8], status[4];
	/* the target's fd may be write-only (NFS, see target.c): read the
	 * header through a descriptor of our own */
	int rfd = t->tmp_path ? open(t->tmp_path, O_RDONLY | O_CLOEXEC) : -1;
	int fd = rfd >= 0 ? rfd : t->fd;
	int have = cs_pread_all(fd, sig, sizeof(sig), 0, t->tmp_path ? t->tmp_path : "dumpfile",
				err) == CS_OK &&
		   memcmp(sig, "KDUMP   ", 8) == 0 &&
		   cs_pread_all(fd, status, sizeof(status), KDUMP_STATUS_OFF, "dumpfile", err) == CS_OK;

	if (rfd >= 0)
		close(rfd);
	if (!have)
		return CS_OK;	/* not even a kdump header: nothing to flag */
	cs_put_le32(status, cs_get_le32(status) | KDUMP_INCOMPLETE_FLAG);
	return cs_write_all(t->fd, status, sizeof(status), KDUMP_STATUS_OFF, "dumpfile header", err);
}
