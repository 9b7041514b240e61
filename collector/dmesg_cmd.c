/* dmesg_cmd.c - the --dump-dmesg run: VMCORE -> kernel log in LOGFILE or on
 * standard output (-F).
 *
 * A top-level run like main's dump: it prints its own messages
 * ("<progname>: <message>" on failure; "The dmesg log is saved to X." and
 * "<progname> Completed." at message level 2, as makedumpfile does).
 *
 * A damaged ring still yields every record that could be trusted: the log
 * file is completed and kept (when it holds at least one record), the
 * problem is reported and the exit status is 1, so a kdump script that
 * checks the status knows, and an analyst still has the text.  Any other
 * failure removes the partial file.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "collector/dmesg_cmd.h"
#include "collector/target.h"
#include "filter/dmesg.h"
#include "filter/kernel.h"
#include "filter/vmcore.h"
#include "lib/io.h"

static void say(const struct cs_options *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(const struct cs_options *o, const char *fmt, ...)
{
	va_list ap;

	if (!(o->message_level & CS_ML_COMMON))
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

struct out {
	struct cs_target *t;	/* NULL: standard output */
	uint64_t off;
};

static enum cs_status out_write(void *ctx, const void *buf, size_t len, struct cs_err *err)
{
	struct out *w = ctx;
	enum cs_status st;

	if (w->t)
		st = cs_target_pwrite(w->t, buf, len, w->off, err);
	else
		st = cs_write_all(STDOUT_FILENO, buf, len, CS_IO_APPEND, "standard output", err);
	w->off += len;
	return st;
}

enum cs_status cs_dmesg_main(const struct cs_options *o)
{
	struct cs_vmcore vc;
	struct cs_kernel k;
	struct cs_target t;
	struct cs_dmesg_stats stats;
	struct cs_dmesg_sink sink;
	struct out w = { NULL, 0 };
	struct cs_err err;
	enum cs_status st;
	int have_t = 0;

	cs_err_clear(&err);
	st = cs_kernel_open(o->in_paths, o->nin, o->vmcoreinfo_path, &vc, &k, &err);
	if (st != CS_OK) {
		fprintf(stderr, "%s: %s\n", o->progname, err.msg);
		return st;
	}
	if (o->out_path) {
		st = cs_target_open_file(&t, o->out_path, o->force, &err);
		if (st != CS_OK)
			goto out;
		have_t = 1;
		t.limit = o->limit;
		w.t = &t;
	}
	sink.write = out_write;
	sink.ctx = &w;
	st = cs_dmesg_extract(&k, o->partial_dmesg, &sink, &stats, &err);
	if (st != CS_OK)
		cs_err_prefix(&err, "%s", o->in_path);
	/* a damaged ring or a missing page still leaves a complete file of
	 * what could be read: keep it, unless nothing could be */
	if (have_t && (st == CS_OK ||
		       ((st == CS_CORRUPT || st == CS_NODATA) && stats.records > 0))) {
		struct cs_err e2;

		cs_err_clear(&e2);
		if (cs_target_commit(&t, &e2) != CS_OK) {
			if (st == CS_OK)
				err = e2;
			else
				fprintf(stderr, "%s: %s\n", o->progname, e2.msg);
			st = e2.status;
		} else if (st != CS_OK) {
			fprintf(stderr, "%s: %s\n", o->progname, err.msg);
			fprintf(stderr, "%s: what could be read (%llu records) is saved to %s\n",
				o->progname, (unsigned long long)stats.records, o->out_path);
			goto done;
		}
	}
out:
	if (st != CS_OK)
		fprintf(stderr, "%s: %s\n", o->progname, err.msg);
done:
	if (have_t)
		cs_target_deinit(&t);	/* removes the file unless committed */
	cs_vmcore_close(&vc);
	if (st == CS_OK) {
		say(o, "\nThe dmesg log is saved to %s.\n",
		    o->out_path ? o->out_path : "standard output");
		say(o, "\n%s Completed.\n", o->progname);
	}
	return st;
}
