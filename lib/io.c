/* io.c - see io.h */
#include "lib/io.h"

#include <errno.h>
#include <unistd.h>

enum cs_status cs_pread_all(int fd, void *buf, size_t len, uint64_t off,
			    const char *what, struct cs_err *err)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cs_fail_errno(err, errno, "cannot read %s at offset %#llx",
					     what, (unsigned long long)off);
		}
		if (n == 0)
			return cs_fail(err, CS_CORRUPT, "%s: truncated: no data at offset %#llx",
				       what, (unsigned long long)off);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return CS_OK;
}

enum cs_status cs_write_all(int fd, const void *buf, size_t len, uint64_t off,
			    const char *what, struct cs_err *err)
{
	return cs_write_all_stop(fd, buf, len, off, NULL, what, err);
}

enum cs_status cs_write_all_stop(int fd, const void *buf, size_t len, uint64_t off,
				 const volatile sig_atomic_t *stop, const char *what,
				 struct cs_err *err)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n;

		if (stop && *stop)
			return cs_fail(err, CS_INTERRUPTED, "cannot write %s: interrupted by a signal",
				       what);
		if (off == CS_IO_APPEND)
			n = write(fd, p, len);
		else
			n = pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (off == CS_IO_APPEND)
				return cs_fail_errno(err, errno, "cannot write %s", what);
			return cs_fail_errno(err, errno, "cannot write %s at offset %#llx",
					     what, (unsigned long long)off);
		}
		if (n == 0)
			return cs_fail(err, CS_SYS, "cannot write %s: no progress", what);
		p += n;
		len -= (size_t)n;
		if (off != CS_IO_APPEND)
			off += (uint64_t)n;
	}
	return CS_OK;
}

enum cs_status cs_read_full(int fd, void *buf, size_t len, size_t *got,
			    const char *what, struct cs_err *err)
{
	uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*got = done;
			return cs_fail_errno(err, errno, "cannot read %s", what);
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*got = done;
	return CS_OK;
}
