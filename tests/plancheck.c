/* plancheck.c - build the page plan of a vmcore and check it against others.
 *
 *   plancheck [-d LEVEL] [--compare-kdump FILE] [--classes OUT] [--max-diff N]
 *             [--describe PFN[,PFN...]] [--check-windows KB] VMCORE
 *
 * Prints per-class counts in makedumpfile's report terms plus one
 * "class NAME count N excluded M" line per class.  --compare-kdump compares
 * our keep bitmap with the 2nd bitmap of a kdump-compressed file (e.g.
 * makedumpfile -d N of the same vmcore: there zero pages are still set in the
 * 2nd bitmap, so it matches our pre-zero-test keep bitmap) and prints every
 * differing pfn range with both sides' verdicts and our reading of the first
 * struct page.  --classes writes one letter per pfn (N not present, P
 * poisoned/offline, F free, U user, C cache, c private cache, K kept) from
 * plans at levels 0, 2, 4, 8 and 16.  --check-windows builds the plan again
 * with a bitmap buffer of KB (--cyclic-buffer) and checks that the windowed
 * plan is the one-window plan: counts, every present and kept bit (read
 * from the top down, so blocks are walked again out of order), the rank of
 * every kept pfn, and views.
 * Exit: 0 ok (or equal), 1 bitmaps differ, 2 error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "collector/kdump_format.h"
#include "filter/kernel.h"
#include "filter/plan.h"
#include "filter/vmcore.h"
#include "lib/io.h"

static const char *const class_name[CS_PC_COUNT] = {
	"kernel", "cache", "cache_private", "user", "free", "hwpoison", "offline",
	"unclassified", "tail",
};

/* mem_map of the section holding @pfn (x86_64 style SPARSEMEM_EXTREME), 0 if none */
static uint64_t section_map(const struct cs_kernel *k, uint64_t pfn)
{
	const struct cs_vmcoreinfo *vi = &k->vi;
	unsigned int page_shift = 12;
	uint64_t sec = pfn >> (vi->section_size_bits - page_shift);
	uint64_t per_root = vi->pagesize / vi->size_mem_section;
	uint8_t b[8];
	struct cs_err err;
	uint64_t root;

	if (cs_kernel_read_virt(k, vi->sym_mem_section + sec / per_root * 8, b, 8, &err))
		return 0;
	root = cs_get_le64(b);
	if (!root || cs_kernel_read_virt(k, root + sec % per_root * vi->size_mem_section +
					 vi->off_section_mem_map, b, 8, &err))
		return 0;
	return cs_get_le64(b) & ~0x3fULL;
}

static void describe(const struct cs_kernel *k, const struct cs_page_layout *l, uint64_t pfn)
{
	uint8_t pg[2][256];
	struct cs_err err;
	uint64_t map = section_map(k, pfn), n;
	enum cs_page_class c;

	if (!map || cs_kernel_read_virt(k, map + pfn * l->size, pg[0], l->size, &err)) {
		printf("    pfn 0x%" PRIx64 ": struct page unreadable\n", pfn);
		return;
	}
	int have_next = !cs_kernel_read_virt(k, map + (pfn + 1) * l->size, pg[1], l->size, &err);
	c = cs_page_classify(l, pg[0], have_next ? pg[1] : NULL, &n);
	printf("    pfn 0x%" PRIx64 ": flags=0x%" PRIx64 " ch=0x%" PRIx64 " mapping=0x%" PRIx64
	       " mapcount=%d private=0x%" PRIx64 " -> %s/%" PRIu64 "\n", pfn,
	       cs_get_le64(pg[0] + l->off_flags),
	       l->has_compound_head ? cs_get_le64(pg[0] + l->off_compound_head) : 0,
	       cs_get_le64(pg[0] + l->off_mapping), (int32_t)cs_get_le32(pg[0] + l->off_mapcount),
	       cs_get_le64(pg[0] + l->off_private), class_name[c], n);
}

static int load_kdump_bitmap(const char *path, uint64_t *max_mapnr, uint8_t **bm2,
			     struct cs_err *err)
{
	struct cs_kdump_header h;
	struct cs_kdump_sub_header sh;
	uint64_t bs, sub_blocks, bitmap_blocks, len;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return cs_fail_errno(err, errno, "cannot open %s", path);
	if (cs_pread_all(fd, &h, sizeof(h), 0, path, err))
		goto bad;
	if (memcmp(h.signature, CS_KDUMP_SIGNATURE, 8)) {
		cs_fail(err, CS_CORRUPT, "%s: not a kdump-compressed file", path);
		goto bad;
	}
	bs = cs_get_le32(h.block_size);
	sub_blocks = cs_get_le32(h.sub_hdr_size);
	bitmap_blocks = cs_get_le32(h.bitmap_blocks);
	if (cs_pread_all(fd, &sh, sizeof(sh), bs, path, err))
		goto bad;
	*max_mapnr = cs_get_le32(h.header_version) >= 6 ? cs_get_le64(sh.max_mapnr_64)
							: cs_get_le32(h.max_mapnr);
	len = bitmap_blocks / 2 * bs;
	*bm2 = malloc(len);
	if (!*bm2) {
		cs_fail_nomem(err);
		goto bad;
	}
	if (cs_pread_all(fd, *bm2, len, (1 + sub_blocks) * bs + len, path, err))
		goto bad;
	close(fd);
	return 0;
bad:
	close(fd);
	return -1;
}

static void report(const struct cs_plan *p)
{
	uint64_t excl = p->present_pages - p->kept_pages;

	printf("Original pages  : 0x%016" PRIx64 "\n", p->present_pages);
	printf("  Excluded pages   : 0x%016" PRIx64 "\n", excl);
	printf("    Non-private cache pages : 0x%016" PRIx64 "\n", p->excluded[CS_PC_CACHE]);
	printf("    Private cache pages     : 0x%016" PRIx64 "\n", p->excluded[CS_PC_CACHE_PRIVATE]);
	printf("    User process data pages : 0x%016" PRIx64 "\n", p->excluded[CS_PC_USER]);
	printf("    Free pages              : 0x%016" PRIx64 "\n", p->excluded[CS_PC_FREE]);
	printf("    Hwpoison pages          : 0x%016" PRIx64 "\n", p->excluded[CS_PC_HWPOISON]);
	printf("    Offline pages           : 0x%016" PRIx64 "\n", p->excluded[CS_PC_OFFLINE]);
	printf("  Remaining pages  : 0x%016" PRIx64 "\n", p->kept_pages);
	printf("max_mapnr %" PRIu64 "\n", p->max_mapnr);
	for (int c = 0; c < CS_PC_COUNT; c++)
		printf("class %s count %" PRIu64 " excluded %" PRIu64 "\n", class_name[c],
		       p->count[c], p->excluded[c]);
}

static int write_classes(const struct cs_kernel *k, const char *out, struct cs_err *err)
{
	static const unsigned int levels[] = { 0, 2, 4, 8, 16 };
	struct cs_plan p[5];
	FILE *f;
	int rc = 0;

	memset(p, 0, sizeof(p));
	for (int i = 0; i < 5; i++)
		if (cs_plan_build(&p[i], k, levels[i], err))
			return -1;
	f = fopen(out, "w");
	if (!f)
		return cs_fail_errno(err, errno, "cannot create %s", out), -1;
	for (uint64_t pfn = 0; pfn < p[0].max_mapnr; pfn++) {
		char ch = 'K';
		if (!cs_plan_present(&p[0], pfn))
			ch = 'N';
		else if (!cs_plan_kept(&p[0], pfn))
			ch = 'P';
		else if (!cs_plan_kept(&p[4], pfn))
			ch = 'F';
		else if (!cs_plan_kept(&p[3], pfn))
			ch = 'U';
		else if (!cs_plan_kept(&p[1], pfn))
			ch = 'C';
		else if (!cs_plan_kept(&p[2], pfn))
			ch = 'c';
		fputc(ch, f);
	}
	if (fclose(f))
		rc = -1;
	for (int i = 0; i < 5; i++)
		cs_plan_fini(&p[i]);
	return rc;
}

/* The plan with a @kib bitmap buffer must be @one, bit for bit. */
static int check_windows(const struct cs_kernel *k, const struct cs_plan *one, uint64_t kib,
			 struct cs_err *err)
{
	struct cs_plan w, v1, v2;
	uint64_t bad = 0, n = one->max_mapnr, lo = n / 3, hi = 2 * n / 3;

	if (cs_plan_build_sized(&w, k, one->dump_level, kib, err))
		return -1;
	printf("windows: %" PRIu64 " blocks of %" PRIu64 " pfns, %" PRIu64 " in the buffer, "
	       "plan memory %" PRIu64 " bytes (one window: %" PRIu64 ")\n", w.nblocks,
	       (uint64_t)1 << w.block_shift, w.window_blocks, cs_plan_memory(&w),
	       cs_plan_memory(one));
	if (w.present_pages != one->present_pages || w.kept_pages != one->kept_pages) {
		printf("windows: present %" PRIu64 "/%" PRIu64 " kept %" PRIu64 "/%" PRIu64 "\n",
		       w.present_pages, one->present_pages, w.kept_pages, one->kept_pages);
		bad++;
	}
	for (int c = 0; c < CS_PC_COUNT; c++)
		if (w.count[c] != one->count[c] || w.excluded[c] != one->excluded[c]) {
			printf("windows: class %s differs\n", class_name[c]);
			bad++;
		}
	/* top down: every block is loaded again, most of them walked again */
	for (uint64_t pfn = n; pfn-- > 0;) {
		if (cs_plan_present(&w, pfn) != cs_plan_present(one, pfn) ||
		    cs_plan_kept(&w, pfn) != cs_plan_kept(one, pfn)) {
			if (bad++ < 10)
				printf("windows: pfn 0x%" PRIx64 " differs\n", pfn);
		}
	}
	/* ranks (descriptor indexes) and next_kept, bottom up */
	for (uint64_t pfn = cs_plan_next_kept(&w, 0, n), i = 0; pfn < n;
	     pfn = cs_plan_next_kept(&w, pfn + 1, n), i++) {
		if (cs_plan_rank(&w, pfn) != i || cs_plan_rank(one, pfn) != i) {
			if (bad++ < 10)
				printf("windows: rank of pfn 0x%" PRIx64 " is not %" PRIu64 "\n", pfn, i);
		}
	}
	/* a --split style view of the middle third */
	cs_plan_view(&w, lo, hi, &v1);
	cs_plan_view(one, lo, hi, &v2);
	if (v1.kept_pages != v2.kept_pages ||
	    cs_plan_next_kept(&v1, 0, n) != cs_plan_next_kept(&v2, 0, n) ||
	    cs_plan_rank(&v1, hi - 1) != cs_plan_rank(&v2, hi - 1)) {
		printf("windows: views of [0x%" PRIx64 ", 0x%" PRIx64 ") differ\n", lo, hi);
		bad++;
	}
	{
		uint64_t carried, rewalked;

		cs_plan_walk_stats(&w, &carried, &rewalked);
		printf("windows: %" PRIu64 " blocks start inside an earlier block, %" PRIu64
		       " blocks walked again\n", carried, rewalked);
	}
	printf("windows: %" PRIu64 " differences, kept %" PRIu64 "\n", bad, w.kept_pages);
	cs_plan_fini(&w);
	return bad ? 1 : 0;
}

/* The plan walked on @nthreads threads must be @one, bit for bit. */
static int check_threads(const struct cs_kernel *k, const struct cs_plan *one, unsigned int nthreads,
			 struct cs_err *err)
{
	struct cs_plan t;
	uint64_t bad = 0, n = one->max_mapnr;
	unsigned int parts, redone;

	if (cs_plan_build_threads(&t, k, one->dump_level, 0, nthreads, err))
		return -1;
	cs_plan_thread_stats(&t, &parts, &redone);
	printf("threads: %u threads, %u parts, %u walked again\n", nthreads, parts, redone);
	if (t.present_pages != one->present_pages || t.kept_pages != one->kept_pages) {
		printf("threads: present %" PRIu64 "/%" PRIu64 " kept %" PRIu64 "/%" PRIu64 "\n",
		       t.present_pages, one->present_pages, t.kept_pages, one->kept_pages);
		bad++;
	}
	for (int c = 0; c < CS_PC_COUNT; c++)
		if (t.count[c] != one->count[c] || t.excluded[c] != one->excluded[c]) {
			printf("threads: class %s differs\n", class_name[c]);
			bad++;
		}
	for (uint64_t pfn = 0; pfn < n; pfn++)
		if (cs_plan_present(&t, pfn) != cs_plan_present(one, pfn) ||
		    cs_plan_kept(&t, pfn) != cs_plan_kept(one, pfn)) {
			if (bad++ < 10)
				printf("threads: pfn 0x%" PRIx64 " differs\n", pfn);
		}
	printf("threads: %" PRIu64 " differences\n", bad);
	cs_plan_fini(&t);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *vmcore = NULL, *kdump = NULL, *classes = NULL, *describe_pfn = NULL;
	unsigned int level = 31;
	uint64_t max_diff = 50, window_kib = 0;
	unsigned int check_nthreads = 0;
	struct cs_vmcore vc;
	struct cs_kernel k;
	struct cs_plan plan;
	struct cs_page_layout l;
	struct cs_err err;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-d") && i + 1 < argc)
			level = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--compare-kdump") && i + 1 < argc)
			kdump = argv[++i];
		else if (!strcmp(argv[i], "--classes") && i + 1 < argc)
			classes = argv[++i];
		else if (!strcmp(argv[i], "--describe") && i + 1 < argc)
			describe_pfn = argv[++i];
		else if (!strcmp(argv[i], "--max-diff") && i + 1 < argc)
			max_diff = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--check-windows") && i + 1 < argc)
			window_kib = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--check-threads") && i + 1 < argc)
			check_nthreads = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (argv[i][0] != '-' && !vmcore)
			vmcore = argv[i];
		else {
			fprintf(stderr, "usage: plancheck [-d N] [--compare-kdump FILE] "
				"[--classes OUT] [--max-diff N] [--check-windows KIB] [--check-threads N] VMCORE\n");
			return 2;
		}
	}
	if (!vmcore) {
		fprintf(stderr, "plancheck: no vmcore given\n");
		return 2;
	}
	if (cs_vmcore_open(vmcore, &vc, &err) || cs_kernel_init(&k, &vc, NULL, &err) ||
	    cs_page_layout_init(&l, &k.vi, &err) || cs_plan_build(&plan, &k, level, &err)) {
		fprintf(stderr, "plancheck: %s\n", err.msg);
		return 2;
	}
	printf("kernel %s dump level %u\n", k.vi.osrelease, level);
	/* cross-check: mem_section's decoded mem_map is the vmemmap base */
	if (!strcmp(k.arch->name, "x86_64")) {
		uint64_t first = 0;
		while (first < plan.max_mapnr && !cs_plan_present(&plan, first))
			first++;
		uint64_t map = section_map(&k, first);
		printf("memmap: mem_section mem_map 0x%" PRIx64 " vmemmap_base 0x%" PRIx64 " %s\n",
		       map, k.as.x86_64.vmemmap_base,
		       map == k.as.x86_64.vmemmap_base ? "match" : "MISMATCH");
	}
	report(&plan);
	/* --describe PFN[,PFN...]: our reading of those struct pages */
	for (const char *d = describe_pfn; d && *d;) {
		char *end;
		describe(&k, &l, strtoull(d, &end, 0));
		d = *end == ',' ? end + 1 : "";
	}

	if (window_kib) {
		int r = check_windows(&k, &plan, window_kib, &err);

		if (r < 0) {
			fprintf(stderr, "plancheck: %s\n", err.msg);
			return 2;
		}
		rc |= r;
	}
	if (check_nthreads) {
		int r = check_threads(&k, &plan, check_nthreads, &err);

		if (r < 0) {
			fprintf(stderr, "plancheck: %s\n", err.msg);
			return 2;
		}
		rc |= r;
	}
	if (classes && write_classes(&k, classes, &err)) {
		fprintf(stderr, "plancheck: %s\n", err.msg);
		return 2;
	}
	if (kdump) {
		uint64_t their_max = 0, ndiff = 0, nranges = 0, theirs_kept = 0;
		uint8_t *bm2 = NULL;

		if (load_kdump_bitmap(kdump, &their_max, &bm2, &err)) {
			fprintf(stderr, "plancheck: %s\n", err.msg);
			return 2;
		}
		if (their_max != plan.max_mapnr)
			printf("compare: max_mapnr differs: ours %" PRIu64 " theirs %" PRIu64 "\n",
			       plan.max_mapnr, their_max);
		uint64_t n = their_max > plan.max_mapnr ? their_max : plan.max_mapnr;
		for (uint64_t pfn = 0; pfn < n;) {
			int ours = cs_plan_kept(&plan, pfn);
			int theirs = pfn < their_max && cs_bit_test(bm2, pfn);
			uint64_t end = pfn + 1;

			theirs_kept += (uint64_t)theirs;
			if (ours == theirs) {
				pfn++;
				continue;
			}
			while (end < n && cs_plan_kept(&plan, end) == ours &&
			       (end < their_max && cs_bit_test(bm2, end)) == theirs) {
				theirs_kept += (uint64_t)theirs;
				end++;
			}
			ndiff += end - pfn;
			if (nranges++ < max_diff) {
				printf("diff 0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " pages): ours %s, theirs %s\n",
				       pfn, end - 1, end - pfn, ours ? "kept" : "excluded",
				       theirs ? "kept" : "excluded");
				describe(&k, &l, pfn);
			}
			pfn = end;
		}
		printf("compare: ours kept %" PRIu64 ", theirs kept %" PRIu64 ", %" PRIu64
		       " differing pfns in %" PRIu64 " ranges\n",
		       plan.kept_pages, theirs_kept, ndiff, nranges);
		free(bm2);
		rc |= ndiff ? 1 : 0;
	}
	cs_plan_fini(&plan);
	cs_vmcore_close(&vc);
	return rc;
}
