/* split.c - --split and --reassemble (see split.h, doc/kdump-format.md).
 *
 * --split: the VMCORE is opened and the page plan built once; its kept
 * pfns are cut into N contiguous pfn ranges with similar kept counts
 * (cs_split_ranges, from the plan's block summaries), and the N files are
 * written one after another, each through the ordinary parallel pipeline
 * (all CPUs compress for one file at a time) with a view of the plan
 * restricted to that range (no copy of any bitmap).
 * makedumpfile forks one single-threaded writer per file instead; here the
 * pipeline's workers already keep every CPU busy on one file, so running
 * the files in turn costs no CPU time, needs one set of buffers instead of
 * N, and keeps one writer per target.  Each file is a complete kdump file
 * (split=1, start_pfn_64/end_pfn_64, both bitmaps of the whole dump as
 * makedumpfile 1.7.2 writes them -- its --reassemble takes the 2nd bitmap
 * from the files -- and descriptors and data for its range only), under a temporary name and
 * renamed when done; -L applies to each file.  A file cut short (ENOSPC,
 * -L, a signal) is kept, flagged incomplete, and the run stops there.
 *
 * --reassemble: the set is opened as one input (filter/source_split.c) and
 * dumped again at the set's own dump level and codec, in the same page
 * order as an ordinary dump, keeping every page the set has.  Compression
 * is deterministic, so the result is byte for byte the non-split dump of
 * the same VMCORE, level and codec (tests/split.test checks it).
 */
#include "config.h"

#include "collector/split.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/pipeline.h"
#include "collector/target.h"
#include "collector/writer.h"
#include "compress/codec.h"
#include "filter/kernel.h"
#include "filter/vmcore.h"

#define DEFAULT_SPLITBLOCK	(1u << 20)	/* bytes: balance to within 1 MiB */
#define CODEC_FLAGS (CS_DH_COMPRESSED_ZLIB | CS_DH_COMPRESSED_LZO | \
		     CS_DH_COMPRESSED_SNAPPY | CS_DH_COMPRESSED_ZSTD)

/* kept pfns in [s, e) */
static uint64_t kept_in(const struct cs_plan *plan, uint64_t s, uint64_t e)
{
	return cs_plan_rank(plan, e) - cs_plan_rank(plan, s);
}

void cs_split_ranges(const struct cs_plan *plan, unsigned int n, uint64_t block_pfns,
		     uint64_t *bound)
{
	uint64_t max = plan->max_mapnr, total = kept_in(plan, 0, max);
	uint64_t pfn = 0, acc = 0, pblock = (uint64_t)1 << plan->block_shift;

	if (!block_pfns)
		block_pfns = 1;
	bound[0] = 0;
	for (unsigned int i = 1; i < n; i++) {
		uint64_t target = (total * i + n / 2) / n;

		/* walk blocks until the boundary passes the target, then take
		 * whichever of the two block edges is nearer */
		while (pfn < max && acc < target) {
			uint64_t end = max - pfn < block_pfns ? max : pfn + block_pfns;
			uint64_t k, pend = (pfn | (pblock - 1)) + 1;

			/* the rest of a plan block that stays below the target
			 * cannot hold the boundary: skip it by its summary, so
			 * only the blocks holding boundaries are looked into */
			if (pblock % block_pfns == 0 && pend <= max &&
			    acc + kept_in(plan, pfn, pend) < target) {
				acc += kept_in(plan, pfn, pend);
				pfn = pend;
				continue;
			}
			k = kept_in(plan, pfn, end);
			if (acc + k > target && acc + k - target > target - acc)
				break;
			acc += k;
			pfn = end;
		}
		bound[i] = pfn;
	}
	bound[n] = max;
}

struct srun {
	const struct cs_options *o;
	volatile sig_atomic_t *stop;
	struct cs_vmcore vc;
	struct cs_kernel k;
	struct cs_plan plan;
	int have_vc, have_plan;
};

static enum cs_status open_input(struct srun *r, struct cs_err *err)
{
	const struct cs_options *o = r->o;
	enum cs_status st = cs_kernel_open(o->in_paths, o->nin, o->vmcoreinfo_path,
					   &r->vc, &r->k, err);

	if (st == CS_OK)
		r->have_vc = 1;
	return st;
}

struct one_file {
	const char *path;
	const struct cs_plan *plan;	/* a view of this file's pfns */
	unsigned int level;
	const struct cs_codec *codec;
	int split;
	uint64_t start, end;
	int kept_incomplete;		/* out: a partial file was kept */
	uint64_t bytes;			/* out */
};

/* Write one kdump file; after ENOSPC/-L/a signal the partial file is kept
 * and flagged incomplete, after anything else it is removed. */
static enum cs_status write_file(struct srun *r, struct one_file *f, struct cs_err *err)
{
	const struct cs_options *o = r->o;
	struct cs_target t;
	struct cs_writer *w = NULL;
	struct cs_dump_info info;
	struct cs_pipeline_cfg pcfg;
	struct cs_pipeline_stats stats;
	enum cs_status st;

	st = cs_target_open_file(&t, f->path, o->force, err);
	if (st != CS_OK)
		return st;
	t.limit = o->limit;
	memset(&info, 0, sizeof(info));
	info.k = &r->k;
	info.plan = f->plan;
	info.dump_level = f->level;
	info.codec_flag = f->codec ? f->codec->flag : 0;
	info.page_size = r->vc.page_size;
	info.split = f->split;
	info.split_start = f->start;
	info.split_end = f->end;
	st = cs_writer_kdump.create(&w, &t, &info, err);
	if (st == CS_OK) {
		memset(&pcfg, 0, sizeof(pcfg));
		pcfg.k = &r->k;
		pcfg.plan = f->plan;
		pcfg.codec = f->codec;
		pcfg.codec_level = o->codec_level;
		pcfg.wops = &cs_writer_kdump;
		pcfg.w = w;
		pcfg.nthreads = cs_options_threads(o);
		pcfg.dump_level = f->level;
		pcfg.progress = !!(o->message_level & CS_ML_PROGRESS);
		pcfg.stop = r->stop;
		pcfg.order = CS_ORDER_ANALYST;
		st = cs_pipeline_run(&pcfg, &stats, err);
	}
	if (st == CS_OK)
		st = cs_writer_kdump.finish(w, err);
	if (st == CS_OK)
		st = cs_target_commit(&t, err);
	if (st != CS_OK) {
		int keep = w && (st == CS_NOSPACE || st == CS_INTERRUPTED);
		struct cs_err e2;

		cs_err_clear(&e2);
		if (keep && cs_writer_kdump.mark_incomplete(w, &e2) != CS_OK)
			keep = 0;
		cs_target_abort(&t, keep);
		f->kept_incomplete = keep;
	}
	f->bytes = w ? cs_writer_kdump.bytes(w) : 0;
	cs_writer_kdump.destroy(w);
	cs_target_deinit(&t);
	return st;
}

static void finish_run(struct srun *r)
{
	if (r->have_plan)
		cs_plan_fini(&r->plan);
	if (r->have_vc)
		cs_vmcore_close(&r->vc);
}

enum cs_status cs_split_main(const struct cs_options *o, volatile sig_atomic_t *stop)
{
	struct srun r;
	struct cs_err err;
	struct cs_plan sub;
	uint64_t *bound = NULL, block;
	unsigned int level, n = o->nsplit, done = 0;
	enum cs_status st;
	struct one_file f;

	memset(&r, 0, sizeof(r));
	memset(&f, 0, sizeof(f));
	r.o = o;
	r.stop = stop;
	cs_err_clear(&err);
	st = open_input(&r, &err);
	if (st != CS_OK)
		goto out;
	level = o->levels[0] | r.vc.dump_level;
	st = cs_plan_build_sized(&r.plan, &r.k, level, o->cyclic_buffer_kib, &err);
	if (st != CS_OK) {
		cs_err_prefix(&err, "cannot choose pages");
		goto out;
	}
	r.have_plan = 1;
	bound = calloc(n + 1, sizeof(*bound));
	if (!bound) {
		st = cs_fail_nomem(&err);
		goto out;
	}
	block = (o->splitblock_size ? o->splitblock_size : DEFAULT_SPLITBLOCK) / r.vc.page_size;
	cs_split_ranges(&r.plan, n, block, bound);

	for (done = 0; done < n; done++) {
		uint64_t s = bound[done], e = bound[done + 1];

		/* this file's share of the plan */
		cs_plan_view(&r.plan, s, e, &sub);
		memset(&f, 0, sizeof(f));
		f.path = o->split_paths[done];
		f.plan = &sub;
		f.level = level;
		f.codec = o->codec;
		f.split = 1;
		f.start = s;
		f.end = e;
		if (o->message_level & CS_ML_DEBUG)
			fprintf(stderr, "%s: pfns %#llx-%#llx, %llu kept pages\n", f.path,
				(unsigned long long)s, (unsigned long long)e,
				(unsigned long long)sub.kept_pages);
		st = write_file(&r, &f, &err);
		if (st != CS_OK) {
			cs_err_prefix(&err, "%s", f.path);
			break;
		}
	}
out:
	if (st != CS_OK) {
		fprintf(stderr, "%s: %s\n", o->progname, err.msg);
		if (f.kept_incomplete)
			fprintf(stderr, "%s: the incomplete dump is kept in %s; it may still be analyzable.\n",
				o->progname, f.path);
		if (r.have_plan && done + 1 < n)
			fprintf(stderr, "%s: %s and the files after it were not written\n",
				o->progname, o->split_paths[done + 1]);
	} else if (o->message_level & CS_ML_COMMON) {
		fprintf(stderr, "\nThe dumpfiles are saved to");
		for (unsigned int i = 0; i < n; i++)
			fprintf(stderr, " %s%s", o->split_paths[i], i + 1 < n ? "," : ".\n");
		fprintf(stderr, "\n%s Completed.\n", o->progname);
	}
	free(bound);
	finish_run(&r);
	return st;
}

enum cs_status cs_reassemble_main(const struct cs_options *o, volatile sig_atomic_t *stop)
{
	struct srun r;
	struct cs_err err;
	struct one_file f;
	enum cs_status st;

	memset(&r, 0, sizeof(r));
	memset(&f, 0, sizeof(f));
	r.o = o;
	r.stop = stop;
	cs_err_clear(&err);
	st = open_input(&r, &err);
	if (st == CS_OK && !r.vc.split && o->nin == 1)
		st = cs_fail(&err, CS_INVALID, "%s is not a file of a --split set", o->in_path);
	/* level 0: every page the set has is kept, nothing is classified
	 * away; the set's level goes into the header and (bit 1) shares the
	 * zero page, as in the dump the set was cut from */
	if (st == CS_OK) {
		st = cs_plan_build_sized(&r.plan, &r.k, 0, o->cyclic_buffer_kib, &err);
		if (st != CS_OK)
			cs_err_prefix(&err, "cannot choose pages");
		else
			r.have_plan = 1;
	}
	if (st == CS_OK) {
		r.plan.dump_level = r.vc.dump_level;
		f.path = o->out_path;
		f.plan = &r.plan;
		f.level = r.vc.dump_level;
		f.codec = (r.vc.status & CODEC_FLAGS) ? cs_codec_by_flag(r.vc.status & CODEC_FLAGS)
						     : NULL;
		st = write_file(&r, &f, &err);
	}
	if (st != CS_OK) {
		fprintf(stderr, "%s: %s\n", o->progname, err.msg);
		if (f.kept_incomplete)
			fprintf(stderr, "%s: the incomplete dump is kept in %s; it may still be analyzable.\n",
				o->progname, f.path);
	} else if (o->message_level & CS_ML_COMMON) {
		fprintf(stderr, "\nThe dumpfile is saved to %s.\n\n%s Completed.\n", o->out_path,
			o->progname);
	}
	finish_run(&r);
	return st;
}
