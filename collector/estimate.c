/* estimate.c - --mem-usage and --estimate: plan a dump from the running system.
 *
 * Both read /proc/kcore in the first kernel (any ELF or kdump input works too,
 * which is how the synthetic tests drive them).  On /proc/kcore the crash
 * kernel's reservation ("Crash kernel" in /proc/iomem) is left out as a
 * memory hole, as makedumpfile does: the capture kernel's /proc/vmcore does
 * not contain it either.
 *
 * --mem-usage prints makedumpfile's table: the pages of each class at dump
 * level 31 (the same plan and zero test as a -d 31 --dry-run, so the numbers
 * equal that run's report), KERN_DATA = what remains.
 *
 * --estimate predicts a kdump-compressed dump at levels 1, 31 and -d LEVEL:
 *  - size: the parts before the page data are computed exactly as the kdump
 *    writer lays them out (header block, sub-header + notes, both bitmaps,
 *    24 bytes per kept page, the shared zero page at levels with bit 1); the
 *    page data from an evenly spaced sample of EST_SAMPLE kept pages, read
 *    and compressed with each built codec's real context (a page that does
 *    not shrink is stored raw, as the pipeline does), scaled to all kept
 *    pages;
 *  - time: the sample's measured read + compress time per page on this
 *    machine, scaled, on one CPU (a capture kernel normally runs with
 *    nr_cpus=1); writing to the target is not included;
 *  - peak memory of a coresift dump of this machine: see rss_model();
 *  - crashkernel=: see crashkernel_model().
 */
#include "config.h"

#include "collector/estimate.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "collector/kdump_format.h"
#include "collector/pipeline.h"
#include "collector/report.h"
#include "compress/codec.h"
#include "filter/kernel.h"
#include "filter/plan.h"
#include "filter/vmcore.h"
#include "lib/io.h"

#define EST_SAMPLE	4096u	/* kept pages sampled per level */
#define EST_NCODEC	5	/* none + the four codecs */
#define EST_NLEVEL	3
#define KIB		1024u
#define MIB		(1024u * 1024u)

/* What a dump has resident besides the buffers and contexts rss_model()
 * computes: the binary's and libraries' pages it runs (mapped by the capture
 * kernel from its initramfs, with fault-around), libc's and the threads'
 * stacks and state, the page order's small tables.  Fitted to 1-thread -d 31
 * dumps in the lab's capture kernels (tests/real/estimate.test,
 * crashkernel-4G.test, estimate-6.12.test) with THP off for the process
 * (collector/main.c) and libsnappy, with its libstdc++, loaded only for
 * snappy (compress/snappy.c).
 * Counted as a dump's "peak memory (RSS)" line counts it (lib/rss.h: the
 * page tables' exact count at the end of the copy, or the high-water mark
 * when larger).  2090 KiB since cc7b71f took ~80 KiB off the page order's
 * builder; the 40 capture-kernel dumps since (6.1 1 GiB and 4 GiB, 6.12
 * 1 GiB, lzo and zstd) were predicted from 5.5% under to 5.1% over.
 * Identical dumps still differ by up to ~300 KiB, part of it where ASLR puts
 * the libraries against fault-around's 64 KiB windows.  How the value was
 * fitted, and its earlier values: doc/memory.md.
 * This run's own resident size is no guide: it runs in the first kernel,
 * usually from a disk file system, and touches every codec. */
#define RSS_DUMP_BASE_KIB	2090u

/* Resident memory one codec context adds to a dump, in KiB: measured as the
 * peak RSS of 1-thread -d 31 dumps with the codec minus the uncompressed one
 * (1 GiB 6.1 guest vmcore, host and capture kernel).  A per-run measurement
 * (RSS before/after creating the context) proved noisier than the
 * differences it measures: first-touch code pages and malloc reuse. */
static unsigned long ctx_kib(const struct cs_codec *c)
{
	if (!c)
		return 0;
	if (strcmp(c->name, "zstd") == 0)
		return 512;
	if (strcmp(c->name, "lzo") == 0)
		return 128;
	if (strcmp(c->name, "snappy") == 0)
		return 96;
	return 64;	/* zlib */
}

/* Resident memory a codec's library adds once per run when it is loaded at
 * first use (compress/snappy.c dlopen()s libsnappy, which brings libstdc++):
 * coresift --version's peak RSS when snappy was linked in minus now, host
 * (Debian 12, libsnappy 1.1.9): 3340 - 1884 KiB, medians of 7. */
static unsigned long lib_kib(const struct cs_codec *c)
{
	if (c && strcmp(c->name, "snappy") == 0)
		return 1456;
	return 0;
}

/* crashkernel= model, see crashkernel_model() */
#define CK_IMAGE_DEFAULT_MIB	64u	/* kernel image when /proc/iomem hides it */
#define CK_KERNEL_ALLOC_MIB	16u	/* capture kernel's own allocations */
#define CK_INITRD_DEFAULT_MIB	32u	/* unpacked initramfs when none is found */
#define CK_INITRD_RATIO		4u	/* unpacked / file size when not gzip */
#define CK_IO_MIB		16u	/* page cache for writing the dump */
#define CK_MARGIN_PCT		20u

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/* Is @path the running kernel's /proc/kcore (after symlinks)? */
static int is_kcore(const char *path)
{
	char buf[PATH_MAX];

	return realpath(path, buf) && strcmp(buf, "/proc/kcore") == 0;
}

/* Leave out every "Crash kernel" range of /proc/iomem.  *@bytes = their size. */
static enum cs_status drop_crashkernel(struct cs_vmcore *vc, uint64_t *bytes, struct cs_err *err)
{
	FILE *f = fopen("/proc/iomem", "r");
	char line[256];
	enum cs_status st = CS_OK;

	*bytes = 0;
	if (!f)
		return cs_fail_errno(err, errno, "cannot open /proc/iomem");
	while (st == CS_OK && fgets(line, sizeof(line), f)) {
		unsigned long long a, b;
		char name[128];

		if (sscanf(line, " %llx-%llx : %127[^\n]", &a, &b, name) != 3 ||
		    strcmp(name, "Crash kernel") != 0)
			continue;
		if (b < a || (a == 0 && b == 0))	/* not root: addresses hidden */
			continue;
		st = cs_vmcore_drop_range(vc, a, (uint64_t)b + 1, err);
		*bytes += (uint64_t)b + 1 - a;
	}
	fclose(f);
	return st;
}

struct live {
	struct cs_vmcore vc;
	struct cs_kernel k;
	int have_vc;
	uint64_t crash_bytes;	/* crash kernel reservation left out */
	int kcore;
};

static enum cs_status live_open(struct live *l, const struct cs_options *o, struct cs_err *err)
{
	enum cs_status st;

	memset(l, 0, sizeof(*l));
	st = cs_vmcore_open(o->in_path, &l->vc, err);
	if (st != CS_OK)
		return st;
	l->have_vc = 1;
	l->kcore = is_kcore(o->in_path);
	if (l->kcore) {
		st = drop_crashkernel(&l->vc, &l->crash_bytes, err);
		if (st != CS_OK)
			return cs_err_prefix(err, "cannot leave out the crash kernel's memory");
	}
	st = cs_kernel_init(&l->k, &l->vc, o->vmcoreinfo_path, err);
	if (st != CS_OK)
		return cs_err_prefix(err, "%s", o->in_path);
	return CS_OK;
}

static void live_close(struct live *l)
{
	if (l->have_vc)
		cs_vmcore_close(&l->vc);
}

/* ---- --mem-usage ------------------------------------------------------- */

enum cs_status cs_mem_usage_main(const struct cs_options *o)
{
	struct live l;
	struct cs_plan plan;
	struct cs_pipeline_cfg pcfg;
	struct cs_pipeline_stats stats;
	struct cs_report rep;
	struct cs_report_counts c;
	struct cs_err err;
	enum cs_status st;
	int have_plan = 0;

	cs_err_clear(&err);
	st = live_open(&l, o, &err);
	if (st == CS_OK) {
		st = cs_plan_build(&plan, &l.k, CS_DL_MAX, &err);
		if (st != CS_OK)
			cs_err_prefix(&err, "cannot classify pages");
		else
			have_plan = 1;
	}
	if (st == CS_OK) {
		/* zero pages are found by reading, exactly as a -d 31 dry run */
		memset(&pcfg, 0, sizeof(pcfg));
		pcfg.k = &l.k;
		pcfg.plan = &plan;
		pcfg.nthreads = cs_options_threads(o);
		pcfg.dump_level = CS_DL_MAX;
		st = cs_pipeline_run(&pcfg, &stats, &err);
		if (st != CS_OK)
			cs_err_prefix(&err, "cannot look for zero pages");
	}
	if (st != CS_OK) {
		fprintf(stderr, "%s: %s\n", o->progname, err.msg);
		goto out;
	}
	memset(&rep, 0, sizeof(rep));
	rep.plan = &plan;
	rep.zero_pages = stats.zero_pages;
	rep.dry_run = 1;
	cs_report_counts(&rep, &c);
	/* makedumpfile's layout, tabs and padding included, so scripts that
	 * parse its table parse ours */
	printf("\n");
	printf("TYPE\t\tPAGES\t\t\tEXCLUDABLE\tDESCRIPTION\n");
	printf("----------------------------------------------------------------------\n");
	printf("ZERO\t\t%-16" PRIu64 "\tyes\t\tPages filled with zero\n", c.zero);
	printf("NON_PRI_CACHE\t%-16" PRIu64 "\tyes\t\tCache pages without private flag\n", c.cache);
	printf("PRI_CACHE\t%-16" PRIu64 "\tyes\t\tCache pages with private flag\n", c.cache_private);
	printf("USER\t\t%-16" PRIu64 "\tyes\t\tUser process pages\n", c.user);
	printf("FREE\t\t%-16" PRIu64 "\tyes\t\tFree pages\n", c.free_pages);
	printf("KERN_DATA\t%-16" PRIu64 "\tno\t\tDumpable kernel data \n", c.remaining);
	printf("\n");
	printf("page size:\t\t%-16u\n", l.vc.page_size);
	printf("Total pages on system:\t%-16" PRIu64 "\n", c.original);
	printf("Total size on system:\t%-16" PRIu64 " Byte\n", c.original * l.vc.page_size);
	fflush(stdout);
	if (o->message_level & CS_ML_DEBUG)
		fprintf(stderr, "hwpoison pages %" PRIu64 ", offline pages %" PRIu64
			", unclassified pages (kept) %" PRIu64 ", crash kernel memory left out: %" PRIu64
			" bytes\n", c.hwpoison, c.offline, c.unclassified, l.crash_bytes);
out:
	if (have_plan)
		cs_plan_fini(&plan);
	live_close(&l);
	return st;
}

/* ---- --estimate -------------------------------------------------------- */

struct est_codec {
	const struct cs_codec *codec;	/* NULL: pages stored raw */
	const char *name;
	struct cs_codec_ctx ctx;
	unsigned long ctx_kib;		/* resident memory a context adds (ctx_kib()) */
	unsigned long lib_kib;		/* and its library, once (lib_kib()) */
	int ready;
};

struct est_level {
	unsigned int level;
	uint64_t kept;			/* kept pages before the zero test */
	uint64_t header_bytes;		/* everything before the page data */
	uint64_t sampled, sample_zero, read_fail;
	double read_secs;
	uint64_t sample_bytes[EST_NCODEC];
	double sample_secs[EST_NCODEC];
	/* results */
	uint64_t zero_pages;
	uint64_t max_mapnr;
	uint64_t plan_bytes;		/* the built plan's memory (cs_plan_memory) */
	uint64_t bytes[EST_NCODEC];
	double secs[EST_NCODEC];
	unsigned long rss_kib[EST_NCODEC];
};

/* crashkernel= model, in KiB (crashkernel_model()) */
struct ck_model {
	uint64_t image_kib;		/* kernel image, _text.._end */
	int image_known;		/* from /proc/iomem (else the default) */
	uint64_t memmap_kib;		/* struct pages of the reservation */
	uint64_t kernel_kib;		/* the capture kernel's own allocations */
	uint64_t reserve_kib;		/* min_free_kbytes of the reservation */
	char initrd[PATH_MAX];		/* "": none found */
	uint64_t initrd_file_kib, initrd_unpacked_kib;
	int initrd_exact;		/* unpacked size from the gzip trailer */
	uint64_t coresift_kib;		/* largest predicted peak at level 31 */
	uint64_t io_kib;
	uint64_t need_kib;		/* the sum */
	unsigned long recommended_mib;	/* need + margin, rounded up to 16 MiB */
	uint64_t current;		/* /sys/kernel/kexec_crash_size */
};

struct est {
	const struct cs_options *o;
	struct live l;
	struct est_codec c[EST_NCODEC];
	unsigned int ncodec;
	struct est_level lv[EST_NLEVEL];
	unsigned int nlevel;
	unsigned int threads;		/* assumed in the capture kernel */
	uint8_t *page;
	struct ck_model ck;
};

/* kdump-compressed layout before the page data, as collector/kdump_writer.c
 * writes it (doc/kdump-format.md) */
static uint64_t header_bytes(const struct est *e, const struct cs_plan *p, unsigned int level)
{
	uint64_t bs = e->l.vc.page_size, bm_bytes = div_up(p->max_mapnr, 8);
	uint64_t bm_len = div_up(bm_bytes, bs) * bs;
	uint64_t sub = div_up(sizeof(struct cs_kdump_sub_header) + e->l.vc.notes_size, bs);

	return (1 + sub) * bs + 2 * bm_len +
	       p->kept_pages * sizeof(struct cs_kdump_page_desc) + (level & CS_DL_ZERO ? bs : 0);
}

/* Peak resident memory of a dump of this machine with codec @ci on
 * e->threads threads, in KiB: RSS_DUMP_BASE_KIB + the larger of the two
 * phases' buffers.  Walking mem_map: both bitmaps of max_pfn bits (at most
 * the default --cyclic-buffer each), 8 bytes of block summary per 32 Ki
 * pfns (filter/plan.h) and the mem_map batch.  Dumping: the plan this
 * machine's walk at @lv's level built (cs_plan_memory(): its present and
 * keep bits kept per block, filter/memmap.c compact()), the
 * kdump writer's data cache, descriptor window and header block, the
 * pipeline's slots (2 per thread + 1, 1 for one thread, each 16 pages: a
 * batch is read into its slot and compressed in place) and one measured
 * codec context per thread (ctx_kib()).  Plus a codec library loaded at
 * first use (lib_kib()). */
static unsigned long rss_model(const struct est *e, const struct est_level *lv, unsigned int ci)
{
	uint64_t bs = e->l.vc.page_size, n = e->threads;
	uint64_t bm = div_up(lv->max_mapnr, 8), nblocks, walk, run;

	if (bm > (uint64_t)CS_PLAN_DEFAULT_BUFFER_KIB * 1024)
		bm = (uint64_t)CS_PLAN_DEFAULT_BUFFER_KIB * 1024;
	bm = div_up(bm, 4096) * 4096;
	nblocks = (lv->max_mapnr >> CS_PLAN_BLOCK_SHIFT_MIN) + 1;
	/* while walking: both bitmaps, the per-block counts and the mem_map
	 * batch */
	walk = 2 * bm + nblocks * 8 + (CS_PLAN_MM_READ + 1) * (uint64_t)e->l.k.vi.size_page;
	/* while dumping: the plan as this machine's walk left it (its bits
	 * kept per block: a copy of each block with kept and left-out pages,
	 * so it follows how scattered the kept pages are, not the RAM size),
	 * the writer and the pipeline */
	run = lv->plan_bytes;
	run += CS_KDUMP_DATA_CACHE + CS_KDUMP_DESC_WINDOW * sizeof(struct cs_kdump_page_desc);
	run += (1 + div_up(sizeof(struct cs_kdump_sub_header) + e->l.vc.notes_size, bs)) * bs;
	run += CS_PIPELINE_SLOTS(n) * CS_PIPELINE_BATCH_PAGES * bs;
	run += n * e->c[ci].ctx_kib * KIB;
	return RSS_DUMP_BASE_KIB + (unsigned long)div_up(walk > run ? walk : run, KIB) +
	       e->c[ci].lib_kib;
}

static enum cs_status codecs_init(struct est *e, struct cs_err *err)
{
	static const uint8_t pattern[] = "coresift estimate: a page to compress once ";
	size_t bs = e->l.vc.page_size;

	e->c[0].codec = NULL;
	e->c[0].name = "none";
	e->ncodec = 1;
	for (const struct cs_codec *const *c = cs_codecs; *c && e->ncodec < EST_NCODEC; c++)
		if ((*c)->built) {
			e->c[e->ncodec].codec = *c;
			e->c[e->ncodec].name = (*c)->name;
			e->ncodec++;
		}
	for (unsigned int i = 0; i < e->ncodec; i++) {
		struct est_codec *ec = &e->c[i];
		const void *out;
		size_t len;
		uint32_t flags;
		uint64_t x = 0x9e3779b97f4a7c15ull;
		enum cs_status st;

		st = cs_codec_ctx_init(&ec->ctx, ec->codec, e->o->codec_level, bs, err);
		/* a text page and a random one: between them they touch the
		 * context's tables as a real dump does */
		for (int round = 0; round < 2 && st == CS_OK; round++) {
			for (size_t j = 0; j < bs; j++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				e->page[j] = round ? (uint8_t)x : pattern[j % (sizeof(pattern) - 1)];
			}
			st = cs_codec_page(&ec->ctx, e->page, &out, &len, &flags, err);
		}
		if (st == CS_NOTSUPP && ec->codec) {
			/* built but its library cannot be loaded here (snappy
			 * is opened at first use): estimate the others */
			fprintf(stderr, "%s: note: %s is left out of the estimate: %s\n",
				e->o->progname, ec->name, err->msg);
			cs_err_clear(err);
			if (ec->ctx.codec || ec->ctx.buf)
				cs_codec_ctx_deinit(&ec->ctx);
			memmove(ec, ec + 1, (e->ncodec - i - 1) * sizeof(*ec));
			e->ncodec--;
			i--;
			continue;
		}
		if (st != CS_OK)
			return cs_err_prefix(err, "cannot set up %s", ec->name);
		ec->ready = 1;
		ec->ctx_kib = ctx_kib(ec->codec);
		ec->lib_kib = lib_kib(ec->codec);
	}
	return CS_OK;
}

static void codecs_fini(struct est *e)
{
	for (unsigned int i = 0; i < e->ncodec; i++)
		if (e->c[i].ready)
			cs_codec_ctx_deinit(&e->c[i].ctx);
}

/* Read and compress an evenly spaced sample of the kept pages. */
static enum cs_status sample_level(struct est *e, const struct cs_plan *p, struct est_level *lv,
				   struct cs_err *err)
{
	uint64_t n = 0, kept = p->kept_pages, want = kept < EST_SAMPLE ? kept : EST_SAMPLE;
	size_t bs = e->l.vc.page_size;
	struct cs_err scratch;

	for (uint64_t pfn = cs_plan_next_kept(p, 0, p->max_mapnr); pfn < p->max_mapnr && want;
	     pfn = cs_plan_next_kept(p, pfn + 1, p->max_mapnr)) {
		double t0;
		int take;

		/* kept page number n is sampled when it starts a new 1/want of
		 * the kept pages */
		take = (n + 1) * want / kept != n * want / kept;
		n++;
		if (!take)
			continue;
		t0 = now_s();
		if (cs_vmcore_read_page(&e->l.vc, pfn, e->page, &scratch) != CS_OK) {
			lv->read_fail++;
			continue;
		}
		lv->read_secs += now_s() - t0;
		lv->sampled++;
		if ((lv->level & CS_DL_ZERO) && cs_page_is_zero(e->page, bs)) {
			lv->sample_zero++;
			continue;
		}
		for (unsigned int i = 0; i < e->ncodec; i++) {
			const void *out;
			size_t len;
			uint32_t flags;
			enum cs_status st;

			t0 = now_s();
			st = cs_codec_page(&e->c[i].ctx, e->page, &out, &len, &flags, err);
			lv->sample_secs[i] += now_s() - t0;
			if (st != CS_OK)
				return cs_err_prefix(err, "%s, pfn %#" PRIx64, e->c[i].name, pfn);
			lv->sample_bytes[i] += len;
		}
	}
	return CS_OK;
}

static enum cs_status estimate_level(struct est *e, struct est_level *lv, struct cs_err *err)
{
	struct cs_plan plan;
	enum cs_status st;

	st = cs_plan_build(&plan, &e->l.k, lv->level | e->l.vc.dump_level, err);
	if (st != CS_OK)
		return cs_err_prefix(err, "cannot choose pages for dump level %u", lv->level);
	lv->kept = plan.kept_pages;
	lv->max_mapnr = plan.max_mapnr;
	lv->plan_bytes = cs_plan_memory(&plan);
	lv->header_bytes = header_bytes(e, &plan, lv->level);
	st = sample_level(e, &plan, lv, err);
	if (st == CS_OK) {
		double scale = lv->sampled ? (double)lv->kept / (double)lv->sampled : 0;
		uint64_t nonzero;

		lv->zero_pages = (uint64_t)((double)lv->sample_zero * scale + 0.5);
		nonzero = lv->kept - lv->zero_pages;
		for (unsigned int i = 0; i < e->ncodec; i++) {
			uint64_t sampled_nz = lv->sampled - lv->sample_zero;

			lv->bytes[i] = lv->header_bytes +
				       (uint64_t)((double)lv->sample_bytes[i] * scale + 0.5);
			lv->secs[i] = lv->read_secs * scale +
				      (sampled_nz ? lv->sample_secs[i] / (double)sampled_nz * (double)nonzero : 0);
		}
	}
	cs_plan_fini(&plan);
	return st;
}

static uint64_t read_u64_file(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned long long v = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* The running kernel's image, "Kernel code" start to "Kernel bss" end in
 * /proc/iomem (what /proc/kcore's text segment spans); 0 if hidden. */
static uint64_t kernel_image_bytes(void)
{
	FILE *f = fopen("/proc/iomem", "r");
	char line[256];
	uint64_t lo = UINT64_MAX, hi = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b;
		char name[128];

		if (sscanf(line, " %llx-%llx : %127[^\n]", &a, &b, name) != 3 ||
		    strncmp(name, "Kernel ", 7) != 0 || b <= a)
			continue;
		if (a < lo)
			lo = a;
		if (b + 1 > hi)
			hi = b + 1;
	}
	fclose(f);
	return hi > lo ? hi - lo : 0;
}

/* The initrd a capture kernel of this release boots: the distributions' kdump
 * initrds first (Debian/Ubuntu kdump-tools, Fedora/RHEL kdumpctl, SUSE), then
 * the normal boot initrd, which kdump-tools loads when it has none of its
 * own.  Size on disk and unpacked: the gzip trailer's ISIZE for a gzip file,
 * else CK_INITRD_RATIO times the file. */
static void find_initrd(struct ck_model *m)
{
	static const char *const name[][2] = {	/* before and after the release */
		{ "/var/lib/kdump/initrd.img-", "" },
		{ "/boot/initramfs-", "kdump.img" },
		{ "/boot/initrd-", "-kdump" },
		{ "/boot/initrd.img-", "" },
		{ "/boot/initramfs-", ".img" },
		{ "/boot/initrd-", "" },
	};
	struct utsname u;

	m->initrd[0] = 0;
	m->initrd_file_kib = 0;
	m->initrd_unpacked_kib = (uint64_t)CK_INITRD_DEFAULT_MIB * KIB;
	m->initrd_exact = 0;
	if (uname(&u) != 0)
		return;
	for (size_t i = 0; i < sizeof(name) / sizeof(name[0]); i++) {
		uint8_t head[2], tail[4];
		long size;
		FILE *f;

		snprintf(m->initrd, sizeof(m->initrd), "%s%s%s", name[i][0], u.release, name[i][1]);
		f = fopen(m->initrd, "rb");
		if (!f)
			continue;
		if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) <= 0) {
			fclose(f);
			continue;
		}
		m->initrd_file_kib = div_up((uint64_t)size, KIB);
		m->initrd_unpacked_kib = CK_INITRD_RATIO * m->initrd_file_kib;
		rewind(f);
		if (size > 18 && fread(head, 1, 2, f) == 2 && head[0] == 0x1f && head[1] == 0x8b &&
		    fseek(f, size - 4, SEEK_SET) == 0 && fread(tail, 1, 4, f) == 4) {
			uint64_t isize = cs_get_le32(tail);

			if (isize >= (uint64_t)size) {
				m->initrd_unpacked_kib = div_up(isize, KIB);
				m->initrd_exact = 1;
			}
		}
		fclose(f);
		return;
	}
	m->initrd[0] = 0;
}

static uint64_t isqrt(uint64_t v)
{
	uint64_t r = 0;

	for (uint64_t b = (uint64_t)1 << 62; b; b >>= 2) {
		if (v >= r + b) {
			v -= r + b;
			r = (r >> 1) + b;
		} else {
			r >>= 1;
		}
	}
	return r;
}

/* crashkernel= for this machine.  The reservation holds, at the same time:
 *  - the kernel image (the running kernel's, _text.._end from /proc/iomem: a
 *    capture kernel is normally the same kernel; CK_IMAGE_DEFAULT_MIB when
 *    the addresses are hidden), loaded and decompressed there;
 *  - the struct pages of the reservation (SIZE(page) per page);
 *  - CK_KERNEL_ALLOC_MIB for what that kernel allocates for itself with
 *    nr_cpus=1: early page tables, per-cpu data, hash tables, slab, stacks
 *    (6.1 lab capture kernel at 256 MiB: 5.5 MiB of boot allocations beside
 *    its image and struct pages; the first kernel's unreclaimable slab,
 *    stacks, page tables and per-cpu data are 9-10 MiB with 2 CPUs);
 *  - the free-page reserve the page allocator keeps, min_free_kbytes =
 *    sqrt(16 x KiB of memory) as the kernel computes it;
 *  - the initrd file kexec loaded (freed once unpacked) and its unpacked
 *    contents (they stay: the root file system), see find_initrd();
 *  - coresift's largest predicted peak at level 31;
 *  - CK_IO_MIB of page cache for writing the dump;
 * plus CK_MARGIN_PCT, rounded up to 16 MiB. */
static void crashkernel_model(struct est *e)
{
	struct ck_model *m = &e->ck;
	uint64_t peak = 0, fixed, need, sp = e->l.k.vi.size_page ? e->l.k.vi.size_page : 64;
	uint64_t bs = e->l.vc.page_size;

	for (unsigned int l = 0; l < e->nlevel; l++)
		if (e->lv[l].level == CS_DL_MAX)
			for (unsigned int i = 0; i < e->ncodec; i++)
				if (e->lv[l].rss_kib[i] > peak)
					peak = e->lv[l].rss_kib[i];
	m->coresift_kib = peak;
	m->image_kib = div_up(kernel_image_bytes(), KIB);
	m->image_known = m->image_kib != 0;
	if (!m->image_known)
		m->image_kib = (uint64_t)CK_IMAGE_DEFAULT_MIB * KIB;
	find_initrd(m);
	m->kernel_kib = (uint64_t)CK_KERNEL_ALLOC_MIB * KIB;
	m->io_kib = (uint64_t)CK_IO_MIB * KIB;
	fixed = m->image_kib + m->kernel_kib + m->initrd_file_kib + m->initrd_unpacked_kib +
		m->coresift_kib + m->io_kib;
	/* struct pages and the reserve grow with the reservation: iterate */
	need = fixed;
	for (int i = 0; i < 8; i++) {
		m->memmap_kib = div_up(need * sp, bs);
		m->reserve_kib = isqrt(16 * need);
		need = fixed + m->memmap_kib + m->reserve_kib;
	}
	m->need_kib = need;
	m->recommended_mib = (unsigned long)div_up(div_up(need * (100 + CK_MARGIN_PCT), 100 * KIB), 16) * 16;
	m->current = read_u64_file("/sys/kernel/kexec_crash_size");
}

static unsigned long mib_up(uint64_t kib)
{
	return (unsigned long)div_up(kib, KIB);
}

static void print_table(const struct est *e, FILE *f)
{
	fprintf(f, "Estimate for %s: kernel %s, max pfn %#" PRIx64 ", %u-byte pages",
		e->o->in_path, e->l.k.vi.osrelease, e->l.vc.max_pfn, e->l.vc.page_size);
	if (e->l.kcore)
		fprintf(f, ", crash kernel memory left out: %" PRIu64 " bytes", e->l.crash_bytes);
	fprintf(f, "\n");
	fprintf(f, "sample: %u kept pages per level; time: read + compress on one CPU of this machine; peak RSS with %u thread%s\n\n",
		EST_SAMPLE, e->threads, e->threads == 1 ? "" : "s");
	fprintf(f, "LEVEL  CODEC   KEPT_PAGES  ZERO_PAGES  DUMP_BYTES        DUMP_MIB   TIME_S   PEAK_RSS_KIB\n");
	for (unsigned int l = 0; l < e->nlevel; l++) {
		const struct est_level *lv = &e->lv[l];

		for (unsigned int i = 0; i < e->ncodec; i++)
			fprintf(f, "%-6u %-7s %-11" PRIu64 " %-11" PRIu64 " %-17" PRIu64 " %-10.1f %-8.2f %lu\n",
				lv->level, e->c[i].name, lv->kept, lv->zero_pages, lv->bytes[i],
				(double)lv->bytes[i] / MIB, lv->secs[i], lv->rss_kib[i]);
	}
	fprintf(f, "\ncrashkernel=%luM recommended: %luM needed, plus %u%%\n", e->ck.recommended_mib,
		mib_up(e->ck.need_kib), CK_MARGIN_PCT);
	fprintf(f, "  kernel image %luM%s + its struct pages %luM + its allocations %luM"
		" + free-page reserve %luM\n", mib_up(e->ck.image_kib),
		e->ck.image_known ? "" : " (assumed)", mib_up(e->ck.memmap_kib),
		mib_up(e->ck.kernel_kib), mib_up(e->ck.reserve_kib));
	if (e->ck.initrd[0])
		fprintf(f, "  + initramfs %luM file + %luM unpacked%s (%s)\n", mib_up(e->ck.initrd_file_kib),
			mib_up(e->ck.initrd_unpacked_kib), e->ck.initrd_exact ? "" : " (estimated)",
			e->ck.initrd);
	else
		fprintf(f, "  + initramfs %luM unpacked (assumed: no kdump or boot initrd found)\n",
			mib_up(e->ck.initrd_unpacked_kib));
	fprintf(f, "  + coresift %luM + page cache for writing %luM", mib_up(e->ck.coresift_kib),
		mib_up(e->ck.io_kib));
	if (e->ck.current)
		fprintf(f, " (reserved now: %" PRIu64 "M)", e->ck.current / MIB);
	fprintf(f, "\n");
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void print_json(const struct est *e, FILE *f)
{
	fprintf(f, "{\"input\": \"%s\", \"kernel\": \"%s\", \"page_size\": %u, \"max_pfn\": %" PRIu64
		", \"crash_kernel_bytes_left_out\": %" PRIu64 ", \"sample_pages\": %u, \"threads\": %u"
		", \"base_rss_kib\": %u, \"levels\": [",
		e->l.kcore ? "/proc/kcore" : "file", e->l.k.vi.osrelease, e->l.vc.page_size,
		e->l.vc.max_pfn, e->l.crash_bytes, EST_SAMPLE, e->threads, RSS_DUMP_BASE_KIB);
	for (unsigned int l = 0; l < e->nlevel; l++) {
		const struct est_level *lv = &e->lv[l];

		fprintf(f, "%s{\"dump_level\": %u, \"kept_pages\": %" PRIu64 ", \"sampled_pages\": %" PRIu64
			", \"zero_pages\": %" PRIu64 ", \"header_bytes\": %" PRIu64 ", \"codecs\": [",
			l ? ", " : "", lv->level, lv->kept, lv->sampled, lv->zero_pages, lv->header_bytes);
		for (unsigned int i = 0; i < e->ncodec; i++)
			fprintf(f, "%s{\"codec\": \"%s\", \"dump_bytes\": %" PRIu64 ", \"seconds\": %.3f"
				", \"peak_rss_kib\": %lu}", i ? ", " : "", e->c[i].name, lv->bytes[i],
				lv->secs[i], lv->rss_kib[i]);
		fprintf(f, "]}");
	}
	fprintf(f, "], \"crashkernel\": {\"recommended_mib\": %lu, \"needed_kib\": %" PRIu64
		", \"margin_pct\": %u, \"image_kib\": %" PRIu64 ", \"image_known\": %s"
		", \"memmap_kib\": %" PRIu64 ", \"kernel_alloc_kib\": %" PRIu64
		", \"reserve_kib\": %" PRIu64 ", \"initrd\": ",
		e->ck.recommended_mib, e->ck.need_kib, CK_MARGIN_PCT, e->ck.image_kib,
		e->ck.image_known ? "true" : "false", e->ck.memmap_kib, e->ck.kernel_kib,
		e->ck.reserve_kib);
	if (e->ck.initrd[0])
		json_string(f, e->ck.initrd);
	else
		fprintf(f, "null");
	fprintf(f, ", \"initrd_file_kib\": %" PRIu64 ", \"initrd_unpacked_kib\": %" PRIu64
		", \"initrd_unpacked_exact\": %s, \"coresift_kib\": %" PRIu64 ", \"io_kib\": %" PRIu64
		", \"reserved_bytes\": %" PRIu64 "}}\n", e->ck.initrd_file_kib, e->ck.initrd_unpacked_kib,
		e->ck.initrd_exact ? "true" : "false", e->ck.coresift_kib, e->ck.io_kib, e->ck.current);
}

static enum cs_status write_json(const struct est *e, struct cs_err *err)
{
	const char *path = e->o->json_stats;
	FILE *f;

	if (!path)
		return CS_OK;
	if (strcmp(path, "-") == 0) {
		print_json(e, stdout);
		fflush(stdout);
		return CS_OK;
	}
	f = fopen(path, "w");
	if (!f)
		return cs_fail_errno(err, errno, "cannot create %s", path);
	print_json(e, f);
	if (fclose(f) != 0)
		return cs_fail_errno(err, errno, "cannot write %s", path);
	return CS_OK;
}

enum cs_status cs_estimate_main(const struct cs_options *o)
{
	struct est *e;
	struct cs_err err;
	enum cs_status st;
	unsigned int want[EST_NLEVEL] = { 1, CS_DL_MAX, 0 }, nwant = 2;

	cs_err_clear(&err);
	e = calloc(1, sizeof(*e));
	if (!e) {
		fprintf(stderr, "%s: out of memory\n", o->progname);
		return CS_NOMEM;
	}
	e->o = o;
	e->threads = o->num_threads ? o->num_threads : 1;
	if (o->level_given && o->levels[0] != 1 && o->levels[0] != CS_DL_MAX)
		want[nwant++] = o->levels[0];
	st = live_open(&e->l, o, &err);
	if (st == CS_OK) {
		e->page = aligned_alloc(64, e->l.vc.page_size);
		if (!e->page)
			st = cs_fail_nomem(&err);
	}
	if (st == CS_OK)
		st = codecs_init(e, &err);
	for (unsigned int i = 0; st == CS_OK && i < nwant; i++) {
		e->lv[i].level = want[i];
		e->nlevel++;
		st = estimate_level(e, &e->lv[i], &err);
	}
	for (unsigned int l = 0; st == CS_OK && l < e->nlevel; l++)
		for (unsigned int i = 0; i < e->ncodec; i++)
			e->lv[l].rss_kib[i] = rss_model(e, &e->lv[l], i);
	if (st == CS_OK) {
		crashkernel_model(e);
		if (!(o->json_stats && strcmp(o->json_stats, "-") == 0))
			print_table(e, stdout);
		fflush(stdout);
		st = write_json(e, &err);
	}
	if (st != CS_OK)
		fprintf(stderr, "%s: %s\n", o->progname, err.msg);
	codecs_fini(e);
	free(e->page);
	live_close(&e->l);
	free(e);
	return st;
}
