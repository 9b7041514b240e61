/* error.c - see error.h */
/* GNU strerror_r (returns the message) rather than the XSI one: gnu11 alone does not select it */
#define _GNU_SOURCE 1
#include "lib/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void vset(struct cs_err *err, const char *fmt, va_list ap)
{
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

enum cs_status cs_fail(struct cs_err *err, enum cs_status st, const char *fmt, ...)
{
	va_list ap;

	err->status = st;
	va_start(ap, fmt);
	vset(err, fmt, ap);
	va_end(ap);
	return st;
}

enum cs_status cs_fail_errno(struct cs_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;
	char ebuf[128];
	const char *why;

	switch (errnum) {
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		err->status = CS_NOSPACE;
		break;
	case ENOMEM:
		err->status = CS_NOMEM;
		break;
	case EINTR:
		err->status = CS_INTERRUPTED;
		break;
	default:
		err->status = CS_SYS;
		break;
	}
	va_start(ap, fmt);
	vset(err, fmt, ap);
	va_end(ap);
	/* strerror_r (GNU) may return a static string instead of filling ebuf */
	why = strerror_r(errnum, ebuf, sizeof(ebuf));
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", why);
	return err->status;
}

enum cs_status cs_fail_nomem(struct cs_err *err)
{
	static const char msg[] = "out of memory";

	err->status = CS_NOMEM;
	memcpy(err->msg, msg, sizeof(msg));
	return CS_NOMEM;
}

enum cs_status cs_err_prefix(struct cs_err *err, const char *fmt, ...)
{
	char old[CS_ERR_MSG_MAX];
	va_list ap;
	size_t n;

	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vset(err, fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", old);
	return err->status;
}

void cs_err_clear(struct cs_err *err)
{
	err->status = CS_OK;
	err->msg[0] = '\0';
}

const char *cs_status_name(enum cs_status st)
{
	switch (st) {
	case CS_OK: return "ok";
	case CS_SYS: return "system error";
	case CS_CORRUPT: return "corrupt input";
	case CS_NOTSUPP: return "not supported";
	case CS_NOSPACE: return "no space";
	case CS_NOMEM: return "out of memory";
	case CS_INVALID: return "invalid argument";
	case CS_NODATA: return "no data";
	case CS_INTERRUPTED: return "interrupted";
	}
	return "unknown";
}
