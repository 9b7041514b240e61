/* error.h - coresift's one error convention.
 *
 * A function that can fail returns an enum cs_status and, on failure, records a
 * message in a caller-provided struct cs_err (fixed buffer: reporting an
 * out-of-memory condition never allocates).  Callers add context on the way up
 * with cs_err_prefix(); only main() prints the message and maps the status to
 * an exit code (see collector/main.c and man/coresift.8, EXIT STATUS).
 *
 * Message shape: what failed first, then where, then why:
 *   "cannot write page descriptors: /var/crash/vmcore: No space left on device"
 */
#ifndef CS_ERROR_H
#define CS_ERROR_H

#include <stdarg.h>

enum cs_status {
	CS_OK = 0,
	CS_SYS,		/* a system call failed (errno in the message) */
	CS_CORRUPT,	/* the input makes no sense */
	CS_NOTSUPP,	/* valid, but not something we handle (yet) */
	CS_NOSPACE,	/* ENOSPC, EDQUOT or the -L limit: output is incomplete */
	CS_NOMEM,	/* allocation failed */
	CS_INVALID,	/* bad command line or bad API use */
	CS_NODATA,	/* the requested memory is not in the input (hole/excluded) */
	CS_INTERRUPTED,	/* a signal asked us to stop */
};

#define CS_ERR_MSG_MAX 1024

struct cs_err {
	enum cs_status status;
	char msg[CS_ERR_MSG_MAX];
};

/* Record a failure; returns @st so callers can write "return cs_fail(...)". */
enum cs_status cs_fail(struct cs_err *err, enum cs_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record a failed system call: message is "<fmt...>: strerror(errnum)".
 * ENOSPC/EDQUOT/EFBIG map to CS_NOSPACE, ENOMEM to CS_NOMEM, EINTR to
 * CS_INTERRUPTED, everything else to CS_SYS. */
enum cs_status cs_fail_errno(struct cs_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Out of memory: no allocation, no formatting beyond a constant. */
enum cs_status cs_fail_nomem(struct cs_err *err);

/* Prepend context: "<fmt...>: <old message>". Returns err->status. */
enum cs_status cs_err_prefix(struct cs_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void cs_err_clear(struct cs_err *err);

/* Short name of a status, e.g. "corrupt input" (for tests and reports). */
const char *cs_status_name(enum cs_status st);

#endif
