/* main.c - coresift's entry point: parse, run, print, map status to exit code.
 *
 * Only this file prints errors and chooses exit codes (see lib/error.h):
 *   0  the dump (or dry run) completed
 *   1  anything failed; the message says what, where and why.  A dump cut
 *      short by a full disk, -L or a signal is kept and flagged incomplete.
 * (makedumpfile's convention, which kdump scripts test.)
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "collector/options.h"
#include "collector/dmesg_cmd.h"
#include "collector/estimate.h"
#include "collector/pipeline.h"
#include "collector/rearrange.h"
#include "collector/report.h"
#include "collector/split.h"
#include "collector/target.h"
#include "collector/target_ssh.h"
#include "collector/writer.h"
#include "filter/kernel.h"
#include "filter/plan.h"
#include "filter/vmcore.h"
#include "lib/rss.h"

#define EXIT_OK 0
#define EXIT_FAILED 1

/* The one piece of process-wide mutable state: a signal handler can only
 * talk to the run through a volatile sig_atomic_t.  The pipeline polls it. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* a dropped ssh pipe must be an error we report, not a silent death */
	signal(SIGPIPE, SIG_IGN);
}

static void print_version(const struct cs_options *o)
{
	printf("%s: coresift version %s\n", o->progname, PACKAGE_VERSION);
	for (const struct cs_codec *const *c = cs_codecs; *c; c++)
		printf("%s\t%s\n", (*c)->name, (*c)->built ? "enabled" : "disabled");
}

static void msg(const struct cs_options *o, unsigned int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void msg(const struct cs_options *o, unsigned int level, const char *fmt, ...)
{
	va_list ap;

	if (!(o->message_level & level))
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static enum cs_status write_json(const struct cs_options *o, const struct cs_report *r,
				 struct cs_err *err)
{
	FILE *f;

	if (!o->json_stats)
		return CS_OK;
	if (strcmp(o->json_stats, "-") == 0) {
		cs_report_json(r, stdout);
		fflush(stdout);
		return CS_OK;
	}
	f = fopen(o->json_stats, "w");
	if (!f)
		return cs_fail_errno(err, errno, "cannot create %s", o->json_stats);
	cs_report_json(r, f);
	if (fclose(f) != 0)
		return cs_fail_errno(err, errno, "cannot write %s", o->json_stats);
	return CS_OK;
}

struct run {
	const struct cs_options *o;
	struct cs_vmcore vc;
	struct cs_kernel k;
	struct cs_plan plan;
	struct cs_target target;
	struct cs_writer *w;
	const struct cs_writer_ops *wops;
	struct cs_pipeline_stats stats;
	int have_vc, have_plan, have_target;
};

/* One attempt at one dump level: plan, output, pipeline, commit. */
static enum cs_status dump_at_level(struct run *r, unsigned int level, struct cs_err *err)
{
	const struct cs_options *o = r->o;
	struct cs_dump_info info;
	struct cs_pipeline_cfg pcfg;
	enum cs_status st;

	/* re-filtering a kdump file: what it excluded stays excluded, and the
	 * report and header show the combined level (as makedumpfile) */
	level |= r->vc.dump_level;

	st = cs_plan_build_threads(&r->plan, &r->k, level, o->cyclic_buffer_kib,
				   cs_options_threads(o), err);
	if (st != CS_OK)
		return cs_err_prefix(err, "cannot choose pages");
	r->have_plan = 1;
	if (r->plan.max_mapnr < r->vc.max_pfn)
		msg(o, CS_ML_DEBUG, "pfns %#llx-%#llx of the input are above the kernel's last memory section: left out\n",
		    (unsigned long long)r->plan.max_mapnr, (unsigned long long)r->vc.max_pfn - 1);

	if (!o->dry_run) {
		if (o->flat_out)
			st = cs_target_open_flat(&r->target, STDOUT_FILENO, err);
		else if (cs_ssh_is_url(o->out_path))
			st = cs_target_open_ssh(&r->target, o->out_path, getenv("CORESIFT_SSH"),
						o->ssh_opts, o->force, err);
		else
			st = cs_target_open_file(&r->target, o->out_path, o->force, err);
		if (st != CS_OK)
			return st;
		r->have_target = 1;
		r->target.limit = o->limit;
		/* a stream may block on a reader that went away: let a signal
		 * end it (a file's writes do not block; the pipeline polls) */
		r->target.stop = r->target.kind != CS_TARGET_FILE ? &stop_requested : NULL;
		r->wops = o->elf_out ? &cs_writer_elf : &cs_writer_kdump;
		memset(&info, 0, sizeof(info));
		info.k = &r->k;
		info.plan = &r->plan;
		info.dump_level = level;
		info.codec_flag = o->codec ? o->codec->flag : 0;
		info.page_size = r->vc.page_size;
		st = r->wops->create(&r->w, &r->target, &info, err);
		if (st != CS_OK)
			return st;
	}

	memset(&pcfg, 0, sizeof(pcfg));
	pcfg.k = &r->k;
	pcfg.plan = &r->plan;
	pcfg.codec = o->codec;
	pcfg.codec_level = o->codec_level;
	pcfg.wops = r->wops;
	pcfg.w = r->w;
	pcfg.nthreads = cs_options_threads(o);
	pcfg.dump_level = level;
	pcfg.progress = (o->message_level & CS_ML_PROGRESS) && !o->dry_run;
	pcfg.stop = &stop_requested;
	/* pages an analyst needs first, so a cut dump stays readable; ELF
	 * lays pages out by address, so a cut keeps a prefix whatever the order */
	pcfg.order = o->elf_out ? CS_ORDER_PFN : CS_ORDER_ANALYST;
	st = cs_pipeline_run(&pcfg, &r->stats, err);
	msg(o, CS_ML_DEBUG, "written first: %llu kept pages in %llu ranges\n",
	    (unsigned long long)r->stats.first_pages, (unsigned long long)r->stats.first_ranges);
	if (st != CS_OK)
		return st;
	if (r->w) {
		st = r->wops->finish(r->w, err);
		if (st != CS_OK)
			return st;
		st = cs_target_commit(&r->target, err);
		if (st != CS_OK)
			return st;
	}
	return CS_OK;
}

/* Undo dump_at_level's output after a failed attempt, so the next level
 * starts from nothing. */
static void drop_attempt(struct run *r)
{
	if (r->w) {
		r->wops->destroy(r->w);
		r->w = NULL;
	}
	if (r->have_target) {
		cs_target_abort(&r->target, 0);
		cs_target_deinit(&r->target);
		r->have_target = 0;
	}
	if (r->have_plan) {
		cs_plan_fini(&r->plan);
		r->have_plan = 0;
	}
}

static enum cs_status run_dump(struct run *r, struct cs_err *err)
{
	const struct cs_options *o = r->o;
	uint64_t beyond;
	enum cs_status st;

	st = cs_kernel_open(o->in_paths, o->nin, o->vmcoreinfo_path, &r->vc, &r->k, err);
	if (st != CS_OK)
		return st;
	r->have_vc = 1;
	/* /proc/vmcore through mmap windows unless --non-mmap (filter/mapread.h);
	 * CORESIFT_MMAP=1 maps any ELF file, so tests can compare both paths */
	st = cs_vmcore_set_read_mode(&r->vc, o->non_mmap ? CS_READ_PREAD
					     : getenv("CORESIFT_MMAP") ? CS_READ_MMAP
								       : CS_READ_AUTO, err);
	if (st != CS_OK)
		return st;
	if (r->vc.map)
		msg(o, CS_ML_DEBUG, "reading %s through mmap windows\n", r->vc.path);
	msg(o, CS_ML_DEBUG, "kernel %s, %zu memory segments, max pfn %#llx\n",
	    r->k.vi.osrelease, r->vc.nseg, (unsigned long long)r->vc.max_pfn);
	/* input that lost memory: the dump goes on with what is left, and
	 * says so (exit status 0: the dump holds all the input holds) */
	if (r->vc.truncated_bytes)
		msg(o, CS_ML_ERROR,
		    "%s: warning: %s ends before its memory segments do: %llu bytes of memory are not in it (file cut short?) and are left out of the dump\n",
		    o->progname, r->vc.path, (unsigned long long)r->vc.truncated_bytes);
	beyond = cs_kernel_bytes_beyond_physmem(&r->k);
	if (beyond)
		msg(o, CS_ML_ERROR,
		    "%s: warning: %s: %llu bytes of memory segments lie beyond the kernel's %lld-bit physical address space (garbage program header?) and are left out of the dump\n",
		    o->progname, r->vc.path, (unsigned long long)beyond,
		    (long long)r->k.vi.max_physmem_bits);

	/* -d 31,1 style lists: when a level's dump does not fit (full disk or
	 * -L), start over with the next level, as makedumpfile does.  A stream
	 * (-F) cannot be taken back, so it stops at the first level. */
	for (unsigned int i = 0;; i++) {
		st = dump_at_level(r, o->levels[i], err);
		if (st != CS_NOSPACE || i + 1 == o->nlevels || o->flat_out || o->dry_run ||
		    cs_ssh_is_url(o->out_path))
			return st;
		msg(o, CS_ML_ERROR, "%s: %s\n", o->progname, err->msg);
		msg(o, CS_ML_COMMON, "%s: retrying with dump level %u\n", o->progname,
		    o->levels[i + 1]);
		drop_attempt(r);
		cs_err_clear(err);
	}
}

/* After a failure: keep what a full disk, -L, a signal or a failed write
 * (EIO from a lost NFS server...) left, flagged incomplete; remove the
 * output of any other failure (bad input, a bug: nothing an analyst lacks).
 * A dump whose incomplete flag cannot be written after a failed write stays
 * under its temporary name, which says what it is. */
static void salvage(struct run *r, enum cs_status st)
{
	int io = r->have_target && r->target.kind == CS_TARGET_FILE && r->target.io_failed;
	int keep = (st == CS_NOSPACE || st == CS_INTERRUPTED || io) && r->w ?
			   CS_KEEP_RENAMED : CS_KEEP_NONE;

	/* a stream stopped by a signal writes nothing more: it ends without
	 * the terminator, which is how -R knows it is incomplete */
	if (keep && st == CS_INTERRUPTED && (r->o->flat_out || cs_ssh_is_url(r->o->out_path)))
		keep = CS_KEEP_NONE;
	if (keep) {
		struct cs_err e2;

		cs_err_clear(&e2);
		if (r->wops->mark_incomplete(r->w, &e2) != CS_OK) {
			fprintf(stderr, "%s: %s\n", r->o->progname, e2.msg);
			keep = io ? CS_KEEP_AS_TEMP : CS_KEEP_NONE;
		}
	}
	if (r->have_target) {
		cs_target_abort(&r->target, keep);
		if (keep == CS_KEEP_RENAMED && r->target.path)
			fprintf(stderr, "%s: the incomplete dump is kept in %s; it may still be analyzable.\n",
				r->o->progname, r->target.path);
		else if (keep == CS_KEEP_AS_TEMP)
			fprintf(stderr, "%s: what was written is kept in %s, not flagged incomplete in its header\n",
				r->o->progname, r->target.tmp_path);
	}
}

static int run_rearrange(const struct cs_options *o)
{
	struct cs_target t;
	struct cs_err err;
	enum cs_status st;
	uint64_t records = 0;

	cs_err_clear(&err);
	if (isatty(STDIN_FILENO)) {
		fprintf(stderr, "%s: -R reads a flattened stream on standard input, which is a terminal\n",
			o->progname);
		return EXIT_FAILED;
	}
	st = cs_target_open_file(&t, o->out_path, o->force, &err);
	if (st != CS_OK) {
		fprintf(stderr, "%s: %s\n", o->progname, err.msg);
		return EXIT_FAILED;
	}
	st = cs_rearrange(STDIN_FILENO, "standard input", &t, &stop_requested, &records, &err);
	if (st == CS_OK)
		st = cs_target_commit(&t, &err);
	if (st != CS_OK) {
		/* what arrived is kept, flagged incomplete, when the stream was
		 * cut short or we were stopped; other failures remove it */
		int keep = (st == CS_CORRUPT || st == CS_INTERRUPTED || st == CS_NOSPACE) &&
			   t.written > 0;
		struct cs_err e2;

		fprintf(stderr, "%s: %s\n", o->progname, err.msg);
		cs_err_clear(&e2);
		if (keep && cs_rearrange_mark_incomplete(&t, &e2) != CS_OK) {
			fprintf(stderr, "%s: %s\n", o->progname, e2.msg);
			keep = 0;
		}
		cs_target_abort(&t, keep);
		if (keep)
			fprintf(stderr, "%s: the incomplete dump is kept in %s\n", o->progname,
				o->out_path);
		cs_target_deinit(&t);
		return EXIT_FAILED;
	}
	cs_target_deinit(&t);
	msg(o, CS_ML_COMMON, "\nThe dumpfile is saved to %s (%llu records).\n\n%s Completed.\n",
	    o->out_path, (unsigned long long)records, o->progname);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct cs_options o;
	struct cs_err err;
	struct run r;
	struct cs_report rep;
	enum cs_status st;
	int rc = EXIT_OK;

	cs_err_clear(&err);
	/* No transparent huge pages for this process: with THP "always" (the
	 * Debian kernels' default) a huge page could land in the adjacent
	 * anonymous buffers of a dump (slots, writer cache, bitmaps) and add up
	 * to 2 MiB in a capture kernel that may have little memory, depending on
	 * where ASLR put them; --estimate's memory model assumes 4 KiB pages.
	 * Best effort: kernels before 3.15 lack the option. */
	(void)prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	st = cs_options_parse(&o, argc, argv, &err);
	if (st != CS_OK) {
		fprintf(stderr, "%s: %s\n", argc > 0 ? o.progname : "coresift", err.msg);
		return EXIT_FAILED;
	}
	switch (o.mode) {
	case CS_MODE_HELP:
		cs_options_usage(&o, stdout);
		return EXIT_OK;
	case CS_MODE_VERSION:
		print_version(&o);
		return EXIT_OK;
	case CS_MODE_CHECK_PARAMS:
		msg(&o, CS_ML_COMMON, "The parameters are valid.\n");
		return EXIT_OK;
	case CS_MODE_REARRANGE:
		install_signals();
		return run_rearrange(&o);
	case CS_MODE_DMESG:
		return cs_dmesg_main(&o) == CS_OK ? EXIT_OK : EXIT_FAILED;
	case CS_MODE_MEM_USAGE:
		return cs_mem_usage_main(&o) == CS_OK ? EXIT_OK : EXIT_FAILED;
	case CS_MODE_ESTIMATE:
		return cs_estimate_main(&o) == CS_OK ? EXIT_OK : EXIT_FAILED;
	case CS_MODE_SPLIT:
		install_signals();
		return cs_split_main(&o, &stop_requested) == CS_OK ? EXIT_OK : EXIT_FAILED;
	case CS_MODE_REASSEMBLE:
		install_signals();
		return cs_reassemble_main(&o, &stop_requested) == CS_OK ? EXIT_OK : EXIT_FAILED;
	case CS_MODE_DUMP:
		break;
	}
	if (o.flat_out && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "%s: -F writes binary data to standard output, which is a terminal; redirect it\n",
			o.progname);
		return EXIT_FAILED;
	}
	install_signals();

	memset(&r, 0, sizeof(r));
	r.o = &o;
	st = run_dump(&r, &err);
	if (st != CS_OK) {
		fprintf(stderr, "%s: %s\n", o.progname, err.msg);
		salvage(&r, st);
		rc = EXIT_FAILED;
	}
	if (r.have_plan) {
		memset(&rep, 0, sizeof(rep));
		rep.plan = &r.plan;
		rep.zero_pages = r.stats.zero_pages;
		rep.write_bytes = r.w ? r.wops->bytes(r.w) : 0;
		rep.dry_run = o.dry_run;
		if (st == CS_OK && (o.message_level & CS_ML_REPORT))
			cs_report_print(&rep, stderr);
		if (st == CS_OK && write_json(&o, &rep, &err) != CS_OK) {
			fprintf(stderr, "%s: %s\n", o.progname, err.msg);
			rc = EXIT_FAILED;
		}
	}
	if (r.w)
		r.wops->destroy(r.w);
	if (r.have_target)
		cs_target_deinit(&r.target);
	if (r.have_plan)
		cs_plan_fini(&r.plan);
	if (r.have_vc)
		cs_vmcore_close(&r.vc);
	/* the capture kernel's budget: --estimate predicts this number */
	msg(&o, CS_ML_DEBUG, "peak memory: %lu KiB resident at the end of the copy, %lu KiB the kernel's high-water mark\n",
	    r.stats.rss_kib, cs_rss_hiwater_kib());
	msg(&o, CS_ML_DEBUG, "peak memory (RSS): %lu KiB\n", cs_rss_peak_kib(r.stats.rss_kib));
	if (rc == EXIT_OK) {
		if (!o.dry_run && !o.flat_out)
			msg(&o, CS_ML_COMMON, "\nThe dumpfile is saved to %s.\n", o.out_path);
		msg(&o, CS_ML_COMMON, "\n%s Completed.\n", o.progname);
	}
	return rc;
}
