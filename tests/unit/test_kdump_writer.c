/* test_kdump_writer.c - the kdump writer and the file/flattened targets on
 * hand-made plans: exact header fields, page data read back through the
 * descriptors (all codecs), pages written in any order, -L -> CS_NOSPACE and
 * the incomplete flag, the flattened record framing, mode 0600 and no
 * overwrite without force.  Layout rules: doc/kdump-format.md. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collector/target.h"
#include "collector/writer.h"
#include "compress/codec.h"
#include "lib/io.h"
#include "tests/unit/check.h"

#define PAGE 4096u
#define NPFN 100u		/* not a multiple of 8: bitmap tail masking */
#define UTS_SYM 0xffffffff82000000ull

/* Test seam: until (and unless) filter/kernel.c is linked for other reasons,
 * the writer's utsname read comes here.  Returns an init_uts_ns whose release
 * is "6.1.0-test" at UTS_SYM, and a mismatching one at UTS_SYM + 0x1000. */
__attribute__((weak)) enum cs_status cs_kernel_read_virt(const struct cs_kernel *k,
							 uint64_t vaddr, void *buf,
							 size_t len, struct cs_err *err)
{
	char *u = buf;

	if ((vaddr != UTS_SYM && vaddr != UTS_SYM + 0x1000) || len != 390)
		return cs_fail(err, CS_NODATA, "no memory at %#llx", (unsigned long long)vaddr);
	memset(u, 0, len);
	strcpy(u, "Linux");
	strcpy(u + 65, "testhost");
	strcpy(u + 130, vaddr == UTS_SYM ? "6.1.0-test" : "9.9.9-other");
	strcpy(u + 195, "#1 SMP");
	strcpy(u + 260, "x86_64");
	strcpy(u + 325, "(none)");
	return CS_OK;
}

struct fixture {
	struct cs_vmcore vc;
	struct cs_kernel k;
	struct cs_plan plan;
	uint8_t notes[1024];
	uint8_t present[(NPFN + 7) / 8 + 3];	/* + garbage bits past NPFN */
	uint8_t keep[(NPFN + 7) / 8 + 3];
	uint8_t mem[NPFN][PAGE];
};

static size_t add_note(uint8_t *p, const char *name, uint32_t type, const void *desc,
		       uint32_t descsz)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	size_t n = 12;

	cs_put_le32(p, namesz);
	cs_put_le32(p + 4, descsz);
	cs_put_le32(p + 8, type);
	memcpy(p + n, name, namesz);
	n += (namesz + 3) / 4 * 4;
	memcpy(p + n, desc, descsz);
	return n + (descsz + 3) / 4 * 4;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int is_zero(const uint8_t *p)
{
	for (unsigned int i = 0; i < PAGE; i++)
		if (p[i])
			return 0;
	return 1;
}

/* pfns 10..19 are a hole; 30..39 excluded; 50..59 zero pages; 60..69
 * random; the rest text-like */
static void fixture_init(struct fixture *f)
{
	static const char vmci[] = "OSRELEASE=6.1.0-test\nPAGESIZE=4096\n";
	uint8_t prstatus[336] = { 0 };
	size_t n = 0;
	uint64_t seed = 42;

	memset(f, 0, sizeof(*f));
	n += add_note(f->notes + n, "CORE", 1, prstatus, sizeof(prstatus));
	n += add_note(f->notes + n, "CORE", 1, prstatus, sizeof(prstatus));
	f->vc.vmcoreinfo_off = n + 12 + 12;	/* "VMCOREINFO\0" pads to 12 */
	n += add_note(f->notes + n, "VMCOREINFO", 0, vmci, sizeof(vmci) - 1);
	CHECK(n <= sizeof(f->notes), "notes fit");
	f->vc.notes = f->notes;
	f->vc.notes_size = n;
	f->vc.vmcoreinfo = (const char *)f->notes + f->vc.vmcoreinfo_off;
	f->vc.vmcoreinfo_size = sizeof(vmci) - 1;
	f->vc.nr_cpus = 2;
	f->vc.page_size = PAGE;
	f->vc.max_pfn = NPFN;
	f->vc.fd = -1;

	f->k.vc = &f->vc;
	strcpy(f->k.vi.osrelease, "6.1.0-test");
	f->k.vi.have.osrelease = 1;
	f->k.vi.crashtime = 1795318372;
	f->k.vi.have.crashtime = 1;
	f->k.vi.phys_base = -155189248;
	f->k.vi.have.phys_base = 1;

	memset(f->present + sizeof(f->present) - 3, 0xff, 3);
	memset(f->keep + sizeof(f->keep) - 3, 0xff, 3);
	f->present[NPFN / 8] = 0xff;	/* bits past NPFN must not reach the file */
	f->keep[NPFN / 8] = 0xff;
	for (unsigned int pfn = 0; pfn < NPFN; pfn++) {
		if (pfn >= 10 && pfn < 20) {
			cs_bit_clear(f->present, pfn);
			cs_bit_clear(f->keep, pfn);
			continue;
		}
		cs_bit_set(f->present, pfn);
		if (pfn >= 30 && pfn < 40)
			cs_bit_clear(f->keep, pfn);
		else
			cs_bit_set(f->keep, pfn);
		if (pfn >= 50 && pfn < 60)
			continue;
		if (pfn >= 60 && pfn < 70)
			for (unsigned int i = 0; i < PAGE; i++)
				f->mem[pfn][i] = (uint8_t)(xorshift(&seed) >> 17);
		else
			for (unsigned int i = 0; i < PAGE; i++)
				f->mem[pfn][i] = (uint8_t)("pfn data "[i % 9] + (i / 512) + pfn);
	}
	{
		struct cs_err err;

		CHECK(cs_plan_from_bitmaps(&f->plan, NPFN, f->present, f->keep, &err) == CS_OK,
		      "plan from bitmaps");
	}
	f->plan.dump_level = 31;
	CHECK(f->plan.kept_pages == NPFN - 10 - 10, "kept pages %llu",
	      (unsigned long long)f->plan.kept_pages);
}

/* write every kept pfn; @reverse: in decreasing pfn order */
static enum cs_status write_dump(struct fixture *f, struct cs_target *t,
				 const struct cs_codec *codec, unsigned int level, int reverse,
				 struct cs_writer **wp, struct cs_err *err)
{
	struct cs_dump_info info = {
		.k = &f->k, .plan = &f->plan, .dump_level = level,
		.codec_flag = codec ? codec->flag : 0, .page_size = PAGE,
	};
	struct cs_codec_ctx cc;
	enum cs_status st;

	*wp = NULL;
	st = cs_codec_ctx_init(&cc, codec, 0, PAGE, err);
	if (st != CS_OK)
		return st;
	st = cs_writer_kdump.create(wp, t, &info, err);
	for (unsigned int i = 0; st == CS_OK && i < NPFN; i++) {
		unsigned int pfn = reverse ? NPFN - 1 - i : i;
		const void *out;
		size_t len;
		uint32_t flags;

		if (!cs_bit_test(f->keep, pfn))
			continue;
		if ((level & 1) && is_zero(f->mem[pfn])) {
			st = cs_writer_kdump.zero_page(*wp, pfn, err);
			continue;
		}
		st = cs_codec_page(&cc, f->mem[pfn], &out, &len, &flags, err);
		if (st == CS_OK)
			st = cs_writer_kdump.page(*wp, pfn, out, len, flags, err);
	}
	if (st == CS_OK)
		st = cs_writer_kdump.finish(*wp, err);
	cs_codec_ctx_deinit(&cc);
	return st;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);
	struct cs_err err;

	if (fd < 0 || fstat(fd, &sb) != 0)
		return NULL;
	buf = malloc((size_t)sb.st_size + 1);
	if (buf && cs_pread_all(fd, buf, (size_t)sb.st_size, 0, path, &err) != CS_OK) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

/* Read a dump image back by the format rules; returns the number of pages
 * whose data matched; *missing counts empty descriptors. */
static unsigned int verify(struct fixture *f, const uint8_t *d, size_t len,
			   const struct cs_codec *codec, unsigned int level, int incomplete,
			   const char *what, unsigned int *missing)
{
	unsigned int good = 0, idx = 0;
	uint64_t desc_off, data_start, nkeep = 0;
	uint32_t want_status = (codec ? codec->flag : 0) | (incomplete ? 0x8 : 0);
	size_t notes_size = f->vc.notes_size;
	void *state = NULL;
	struct cs_err err;
	uint8_t page[PAGE];

	*missing = 0;
	CHECK(len >= 4 * PAGE, "%s: file of %zu bytes is too short", what, len);
	if (len < 4 * PAGE)
		return 0;
	CHECK(memcmp(d, "KDUMP   ", 8) == 0, "%s: signature", what);
	CHECK(cs_get_le32(d + 8) == 6, "%s: header_version %u", what, cs_get_le32(d + 8));
	CHECK(strcmp((const char *)d + 12, "Linux") == 0, "%s: sysname '%s'", what,
	      (const char *)d + 12);
	CHECK(strcmp((const char *)d + 12 + 130, "6.1.0-test") == 0, "%s: release '%s'", what,
	      (const char *)d + 142);
	CHECK(strcmp((const char *)d + 12 + 260, "x86_64") == 0, "%s: machine '%s'", what,
	      (const char *)d + 272);
	CHECK(cs_get_le64(d + 408) == 1795318372 && cs_get_le64(d + 416) == 0,
	      "%s: timestamp %llu", what, (unsigned long long)cs_get_le64(d + 408));
	CHECK(cs_get_le32(d + 424) == want_status, "%s: status %#x, want %#x", what,
	      cs_get_le32(d + 424), want_status);
	CHECK(cs_get_le32(d + 428) == PAGE, "%s: block_size", what);
	CHECK(cs_get_le32(d + 432) == 1, "%s: sub_hdr_size %u", what, cs_get_le32(d + 432));
	CHECK(cs_get_le32(d + 436) == 2, "%s: bitmap_blocks %u", what, cs_get_le32(d + 436));
	CHECK(cs_get_le32(d + 440) == NPFN, "%s: max_mapnr", what);
	CHECK(cs_get_le32(d + 460) == 2, "%s: nr_cpus %u", what, cs_get_le32(d + 460));
	/* sub-header */
	CHECK(cs_get_le64(d + PAGE) == (uint64_t)-155189248, "%s: phys_base", what);
	CHECK(cs_get_le32(d + PAGE + 8) == level, "%s: dump_level", what);
	CHECK(cs_get_le64(d + PAGE + 32) == PAGE + 104 + f->vc.vmcoreinfo_off,
	      "%s: offset_vmcoreinfo %#llx", what, (unsigned long long)cs_get_le64(d + PAGE + 32));
	CHECK(memcmp(d + cs_get_le64(d + PAGE + 32), "OSRELEASE=6.1.0-test\n", 21) == 0,
	      "%s: offset_vmcoreinfo does not point at the text", what);
	CHECK(cs_get_le64(d + PAGE + 40) == f->vc.vmcoreinfo_size, "%s: size_vmcoreinfo", what);
	CHECK(cs_get_le64(d + PAGE + 48) == PAGE + 104, "%s: offset_note", what);
	CHECK(cs_get_le64(d + PAGE + 56) == notes_size, "%s: size_note", what);
	CHECK(cs_get_le64(d + PAGE + 96) == NPFN, "%s: max_mapnr_64", what);
	CHECK(memcmp(d + PAGE + 104, f->notes, notes_size) == 0, "%s: notes copy", what);
	/* bitmaps: exactly the plan's bits below NPFN, zero after */
	for (unsigned int i = 0; i < PAGE; i++) {
		uint8_t m = i < NPFN / 8 ? 0xff : i == NPFN / 8 ? (1u << (NPFN % 8)) - 1 : 0;
		CHECK(d[2 * PAGE + i] == (f->present[i < sizeof(f->present) ? i : 0] & m),
		      "%s: 1st bitmap byte %u = %#x", what, i, d[2 * PAGE + i]);
		CHECK(d[3 * PAGE + i] == (f->keep[i < sizeof(f->keep) ? i : 0] & m),
		      "%s: 2nd bitmap byte %u = %#x", what, i, d[3 * PAGE + i]);
		if (failures > 20)
			return 0;
	}
	for (unsigned int pfn = 0; pfn < NPFN; pfn++)
		nkeep += (uint64_t)cs_bit_test(f->keep, pfn);
	desc_off = 4 * PAGE;
	data_start = desc_off + nkeep * 24;
	if (codec)
		CHECK(codec->init(&state, 0, PAGE, &err) == CS_OK, "%s: codec init", what);
	for (unsigned int pfn = 0; pfn < NPFN; pfn++) {
		const uint8_t *pd;
		uint64_t off;
		uint32_t size, flags;

		if (!cs_bit_test(f->keep, pfn))
			continue;
		pd = d + desc_off + 24 * idx++;
		if (pd + 24 > d + len) {
			(*missing)++;
			continue;
		}
		off = cs_get_le64(pd);
		size = cs_get_le32(pd + 8);
		flags = cs_get_le32(pd + 12);
		if (off == 0) {
			CHECK(incomplete, "%s: pfn %u has no descriptor", what, pfn);
			(*missing)++;
			continue;
		}
		CHECK(cs_get_le64(pd + 16) == 0, "%s: pfn %u page_flags", what, pfn);
		CHECK(off >= data_start && off + size <= len, "%s: pfn %u data %#llx+%u", what, pfn,
		      (unsigned long long)off, size);
		if (off < data_start || off + size > len)
			continue;
		if ((level & 1) && is_zero(f->mem[pfn]))
			CHECK(off == data_start && size == PAGE && flags == 0,
			      "%s: zero pfn %u not on the shared zero page", what, pfn);
		if (flags == 0) {
			CHECK(size == PAGE, "%s: raw pfn %u of %u bytes", what, pfn, size);
			memcpy(page, d + off, PAGE);
		} else {
			CHECK(codec && flags == codec->flag, "%s: pfn %u flags %#x", what, pfn, flags);
			if (!codec || codec->decompress(state, d + off, size, page, PAGE, &err) != CS_OK) {
				CHECK(0, "%s: pfn %u does not decompress", what, pfn);
				continue;
			}
		}
		CHECK(memcmp(page, f->mem[pfn], PAGE) == 0, "%s: pfn %u data differs", what, pfn);
		good++;
	}
	if (codec)
		codec->fini(state);
	return good;
}

static char dir[64];

static void test_codec_file(struct fixture *f, const struct cs_codec *codec, int reverse)
{
	char path[128], what[64];
	struct cs_target t;
	struct cs_writer *w = NULL;
	struct cs_err err;
	enum cs_status st;
	struct stat sb;
	uint8_t *d;
	size_t len;
	unsigned int good, missing;

	snprintf(what, sizeof(what), "%s%s", codec ? codec->name : "raw",
		 reverse ? " reverse" : "");
	snprintf(path, sizeof(path), "%s/dump-%s%s", dir, codec ? codec->name : "raw",
		 reverse ? "-rev" : "");
	cs_err_clear(&err);
	st = cs_target_open_file(&t, path, 0, &err);
	CHECK(st == CS_OK, "%s: open: %s", what, err.msg);
	if (st != CS_OK)
		return;
	st = write_dump(f, &t, codec, 31, reverse, &w, &err);
	CHECK(st == CS_OK, "%s: write: %s", what, err.msg);
	CHECK(access(path, F_OK) != 0, "%s: final name exists before commit", what);
	if (st == CS_OK)
		st = cs_target_commit(&t, &err);
	CHECK(st == CS_OK, "%s: commit: %s", what, err.msg);
	CHECK(cs_writer_kdump.bytes(w) == t.written, "%s: bytes %llu, target %llu", what,
	      (unsigned long long)cs_writer_kdump.bytes(w), (unsigned long long)t.written);
	cs_writer_kdump.destroy(w);
	cs_target_deinit(&t);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "%s: mode %o", what,
	      (unsigned)sb.st_mode & 0777);
	CHECK(access(t.tmp_path ? t.tmp_path : "/nonexistent", F_OK) != 0, "%s: tmp left", what);
	d = slurp(path, &len);
	CHECK(d != NULL, "%s: read back", what);
	if (!d)
		return;
	good = verify(f, d, len, codec, 31, 0, what, &missing);
	CHECK(good == NPFN - 20 && missing == 0, "%s: %u pages good, %u missing", what, good,
	      missing);
	/* the zero page is the first data and every other page follows it */
	free(d);
}

/* -L: stop with CS_NOSPACE, mark incomplete, keep the partial file */
static void test_limit(struct fixture *f)
{
	char path[128];
	struct cs_target t;
	struct cs_writer *w;
	struct cs_err err, e2;
	enum cs_status st;
	uint8_t *d;
	size_t len;
	unsigned int good, missing;
	char want[256];

	snprintf(path, sizeof(path), "%s/limited", dir);
	CHECK(cs_target_open_file(&t, path, 0, &err) == CS_OK, "limit: open: %s", err.msg);
	/* header+sub+bitmaps 4 pages, 80 descriptors, zero page, then ~20 raw pages */
	t.limit = 4 * PAGE + 80 * 24 + 21 * PAGE + 100;
	st = write_dump(f, &t, NULL, 31, 0, &w, &err);
	CHECK(st == CS_NOSPACE, "limit: status %s (%s)", cs_status_name(st), err.msg);
	snprintf(want, sizeof(want),
		 "cannot write page data: cannot write %s.incomplete at offset %#llx: size limit of %llu bytes (-L) reached",
		 path, (unsigned long long)t.limit, (unsigned long long)t.limit);
	CHECK(strcmp(err.msg, want) == 0, "limit: message '%s', want '%s'", err.msg, want);
	cs_err_clear(&e2);
	CHECK(w && cs_writer_kdump.mark_incomplete(w, &e2) == CS_OK, "limit: mark: %s", e2.msg);
	cs_target_abort(&t, 1);
	cs_writer_kdump.destroy(w);
	cs_target_deinit(&t);
	d = slurp(path, &len);
	CHECK(d != NULL, "limit: partial file kept under the final name");
	if (!d)
		return;
	CHECK(len == t.limit, "limit: file size %zu, want the limit %llu", len,
	      (unsigned long long)t.limit);
	good = verify(f, d, len, NULL, 31, 1, "limit", &missing);
	/* the zero page and pfns 0-9, 20-29 fit below the limit; zero pfns
	 * 50-59 share the zero page, so 40-49 and 60-99 are missing */
	CHECK(good == 30 && missing == 50, "limit: %u good + %u missing, want 30 + 50", good,
	      missing);
	free(d);
}

/* the flattened stream rearranges to exactly the file output */
static void test_flat(struct fixture *f, const struct cs_codec *codec)
{
	char path[128], ref[128];
	struct cs_target t;
	struct cs_writer *w;
	struct cs_err err;
	enum cs_status st;
	uint8_t *s, *d, *img;
	size_t slen, dlen, pos = 4096, nrec = 0, img_len = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/flat-%s", dir, codec->name);
	snprintf(ref, sizeof(ref), "%s/dump-%s", dir, codec->name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0, "flat: create %s", path);
	if (fd < 0)
		return;
	st = cs_target_open_flat(&t, fd, &err);
	CHECK(st == CS_OK, "flat: open: %s", err.msg);
	st = write_dump(f, &t, codec, 31, 0, &w, &err);
	CHECK(st == CS_OK, "flat: write: %s", err.msg);
	CHECK(cs_target_commit(&t, &err) == CS_OK, "flat: commit: %s", err.msg);
	cs_writer_kdump.destroy(w);
	cs_target_deinit(&t);
	CHECK(fcntl(fd, F_GETFD) != -1, "flat: the caller's fd must stay open");
	close(fd);
	s = slurp(path, &slen);
	d = slurp(ref, &dlen);
	if (!s || !d) {
		CHECK(0, "flat: read back");
		return;
	}
	CHECK(memcmp(s, "makedumpfile\0\0\0\0", 16) == 0, "flat: signature");
	CHECK(cs_get_be64(s + 16) == 1 && cs_get_be64(s + 24) == 1, "flat: type/version");
	for (size_t i = 32; i < 4096; i++)
		if (s[i]) {
			CHECK(0, "flat: header byte %zu not zero", i);
			break;
		}
	img = calloc(1, dlen + PAGE);
	while (pos + 16 <= slen) {
		uint64_t off = cs_get_be64(s + pos), size = cs_get_be64(s + pos + 8);

		pos += 16;
		if (off == UINT64_MAX && size == UINT64_MAX)
			break;
		CHECK(size > 0 && size <= slen - pos && off + size <= dlen,
		      "flat: record %zu (%#llx, %llu)", nrec, (unsigned long long)off,
		      (unsigned long long)size);
		if (!(size > 0 && size <= slen - pos && off + size <= dlen))
			break;
		memcpy(img + off, s + pos, size);
		if (off + size > img_len)
			img_len = off + size;
		pos += size;
		nrec++;
	}
	CHECK(pos == slen && cs_get_be64(s + slen - 8) == UINT64_MAX,
	      "flat: terminator must end the stream (pos %zu of %zu)", pos, slen);
	CHECK(img_len == dlen && memcmp(img, d, dlen) == 0,
	      "flat: rearranged stream (%zu bytes) differs from the file (%zu bytes)", img_len,
	      dlen);
	CHECK(nrec >= 5, "flat: only %zu records", nrec);
	free(img);
	free(s);
	free(d);
}

static void test_target_rules(struct fixture *f)
{
	char path[128], want[1024];
	struct cs_target t;
	struct cs_err err;
	enum cs_status st;
	struct stat sb;
	int fd;

	/* no overwrite without force */
	snprintf(path, sizeof(path), "%s/exists", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0 && write(fd, "old", 3) == 3, "create %s", path);
	close(fd);
	st = cs_target_open_file(&t, path, 0, &err);
	snprintf(want, sizeof(want), "%s already exists (use -f to overwrite it)", path);
	CHECK(st == CS_INVALID && strcmp(err.msg, want) == 0, "no force: %s '%s'",
	      cs_status_name(st), err.msg);
	cs_target_deinit(&t);
	/* with force: replaced on commit, mode 0600 */
	st = cs_target_open_file(&t, path, 1, &err);
	CHECK(st == CS_OK, "force open: %s", err.msg);
	CHECK(cs_target_pwrite(&t, "new!", 4, 0, &err) == CS_OK, "force write: %s", err.msg);
	CHECK(cs_target_commit(&t, &err) == CS_OK, "force commit: %s", err.msg);
	cs_target_deinit(&t);
	CHECK(stat(path, &sb) == 0 && sb.st_size == 4 && (sb.st_mode & 0777) == 0600,
	      "forced file: size %lld mode %o", (long long)sb.st_size, (unsigned)sb.st_mode & 0777);

	/* a stale temporary file blocks a run without force */
	snprintf(path, sizeof(path), "%s/stale", dir);
	snprintf(want, sizeof(want), "%s.incomplete", path);
	fd = open(want, O_WRONLY | O_CREAT, 0600);
	close(fd);
	st = cs_target_open_file(&t, path, 0, &err);
	snprintf(want, sizeof(want),
		 "cannot create %s.incomplete: File exists (left by an earlier run? use -f)", path);
	CHECK(st == CS_INVALID && strcmp(err.msg, want) == 0, "stale tmp: '%s'", err.msg);
	cs_target_deinit(&t);

	/* the final name appearing during the run is not overwritten */
	snprintf(path, sizeof(path), "%s/race", dir);
	CHECK(cs_target_open_file(&t, path, 0, &err) == CS_OK, "race open: %s", err.msg);
	CHECK(cs_target_pwrite(&t, "dump", 4, 0, &err) == CS_OK, "race write");
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	close(fd);
	st = cs_target_commit(&t, &err);
	snprintf(want, sizeof(want),
		 "cannot rename %s.incomplete to %s: %s already exists (use -f); the dump is kept as %s.incomplete",
		 path, path, path, path);
	CHECK(st == CS_INVALID && strcmp(err.msg, want) == 0, "race: '%s'", err.msg);
	snprintf(want, sizeof(want), "%s.incomplete", path);
	CHECK(stat(path, &sb) == 0 && sb.st_size == 0, "race: existing file untouched");
	CHECK(stat(want, &sb) == 0 && sb.st_size == 4, "race: dump kept under tmp name");
	cs_target_deinit(&t);

	/* abort without keeping removes everything */
	snprintf(path, sizeof(path), "%s/aborted", dir);
	CHECK(cs_target_open_file(&t, path, 0, &err) == CS_OK, "abort open");
	CHECK(cs_target_pwrite(&t, "x", 1, 4096, &err) == CS_OK, "abort write");
	cs_target_abort(&t, 0);
	snprintf(want, sizeof(want), "%s.incomplete", path);
	CHECK(access(path, F_OK) != 0 && access(want, F_OK) != 0, "abort left files");
	cs_target_deinit(&t);

	/* zero-length writes make no flattened record */
	snprintf(path, sizeof(path), "%s/flat-empty", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(cs_target_open_flat(&t, fd, &err) == CS_OK, "flat open");
	CHECK(cs_target_pwrite(&t, "", 0, 123, &err) == CS_OK, "flat empty write");
	CHECK(cs_target_commit(&t, &err) == CS_OK, "flat commit");
	CHECK(fstat(fd, &sb) == 0 && sb.st_size == 4096 + 16, "flat: %lld bytes, want 4112",
	      (long long)sb.st_size);
	close(fd);
	cs_target_deinit(&t);

	/* writer API misuse */
	{
		struct cs_writer *w;
		struct cs_dump_info info = { .k = &f->k, .plan = &f->plan, .dump_level = 0,
					     .page_size = PAGE };

		snprintf(path, sizeof(path), "%s/misuse", dir);
		CHECK(cs_target_open_file(&t, path, 0, &err) == CS_OK, "misuse open");
		CHECK(cs_writer_kdump.create(&w, &t, &info, &err) == CS_OK, "misuse create: %s",
		      err.msg);
		st = cs_writer_kdump.zero_page(w, 50, &err);
		CHECK(st == CS_INVALID && strcmp(err.msg,
			"kdump writer: zero page for pfn 0x32 at dump level 0 (bit 1 not set)") == 0,
		      "zero page at level 0: '%s'", err.msg);
		st = cs_writer_kdump.page(w, 35, f->mem[35], PAGE, 0, &err);
		CHECK(st == CS_INVALID && strcmp(err.msg,
			"kdump writer: pfn 0x23 is not in the 2nd bitmap") == 0,
		      "excluded pfn: '%s'", err.msg);
		st = cs_writer_kdump.page(w, 0, f->mem[0], 100, 0, &err);
		CHECK(st == CS_INVALID, "raw page of 100 bytes accepted");
		CHECK(cs_writer_kdump.page(w, 0, f->mem[0], PAGE, 0, &err) == CS_OK, "pfn 0");
		st = cs_writer_kdump.page(w, 0, f->mem[0], PAGE, 0, &err);
		CHECK(st == CS_INVALID && strcmp(err.msg, "kdump writer: pfn 0 written twice") == 0,
		      "twice: '%s'", err.msg);
		st = cs_writer_kdump.finish(w, &err);
		CHECK(st == CS_INVALID && strcmp(err.msg,
			"kdump writer: only 1 of 80 kept pages were written") == 0,
		      "finish early: '%s'", err.msg);
		cs_writer_kdump.destroy(w);
		cs_writer_kdump.destroy(NULL);
		cs_target_abort(&t, 0);
		cs_target_deinit(&t);
	}
}

/* utsname comes from init_uts_ns when readable and consistent */
static void test_utsname(struct fixture *f)
{
	static const struct {
		uint64_t sym;
		int have;
		const char *nodename;
	} cases[] = {
		{ UTS_SYM, 1, "testhost" },	/* read from memory */
		{ UTS_SYM + 0x1000, 1, "" },	/* release disagrees: fallback */
		{ UTS_SYM + 0x2000, 1, "" },	/* unreadable: fallback */
		{ 0, 0, "" },			/* symbol unknown: fallback */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[128];
		struct cs_target t;
		struct cs_writer *w;
		struct cs_err err;
		uint8_t *hdr;
		size_t len = 0;
		struct cs_dump_info info = { .k = &f->k, .plan = &f->plan, .dump_level = 31,
					     .page_size = PAGE };

		f->k.vi.sym_init_uts_ns = cases[i].sym;
		f->k.vi.have.sym_init_uts_ns = (unsigned)cases[i].have & 1;
		snprintf(path, sizeof(path), "%s/uts%zu", dir, i);
		CHECK(cs_target_open_file(&t, path, 0, &err) == CS_OK, "uts open");
		CHECK(cs_writer_kdump.create(&w, &t, &info, &err) == CS_OK, "uts create: %s",
		      err.msg);
		hdr = slurp(t.tmp_path, &len);
		CHECK(hdr && len >= 464, "uts case %zu: read %s", i, t.tmp_path);
		if (!hdr || len < 464)
			continue;
		CHECK(strcmp((char *)hdr + 12 + 65, cases[i].nodename) == 0,
		      "uts case %zu: nodename '%s', want '%s'", i, (char *)hdr + 77,
		      cases[i].nodename);
		CHECK(strcmp((char *)hdr + 12 + 130, "6.1.0-test") == 0 &&
		      strcmp((char *)hdr + 12, "Linux") == 0 &&
		      strcmp((char *)hdr + 12 + 260, "x86_64") == 0, "uts case %zu: fields", i);
		free(hdr);
		cs_writer_kdump.destroy(w);
		cs_target_abort(&t, 0);
		cs_target_deinit(&t);
	}
	f->k.vi.have.sym_init_uts_ns = 0;
}

/* the independent reader (tests/kdumpcheck) must agree, byte for byte
 * against the memory image */
static void run_kdumpcheck(const char *file, const char *want_line, int want_rc)
{
	const char *top = getenv("top_builddir");
	char cmd[600], line[300] = "";
	FILE *p;
	int rc;

	if (!top) {
		printf("note: top_builddir not set, kdumpcheck cross-check of %s not run\n", file);
		return;
	}
	snprintf(cmd, sizeof(cmd), "'%s/tests/kdumpcheck' --compare-raw '%s/memory' '%s/%s' 2>&1",
		 top, dir, dir, file);
	p = popen(cmd, "r");
	CHECK(p != NULL, "popen %s", cmd);
	if (!p)
		return;
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	{
		char rest[300];	/* drain, so the child never dies of SIGPIPE */
		while (fgets(rest, sizeof(rest), p))
			fputs(rest, stderr);
	}
	rc = pclose(p);
	CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == want_rc, "kdumpcheck %s: exit %d, want %d (%s)",
	      file, WEXITSTATUS(rc), want_rc, line);
	CHECK(strcmp(line, want_line) == 0, "kdumpcheck %s: '%s', want '%s'", file, line,
	      want_line);
}

/* kdumpcheck names the pfn and offset of a damaged page */
static void test_corrupt(void)
{
	char path[128];
	uint8_t b = 0x71;
	int fd;

	snprintf(path, sizeof(path), "%s/dump-raw", dir);
	fd = open(path, O_WRONLY);
	/* data starts at 4 pages + 80 descriptors; the zero page comes first */
	CHECK(fd >= 0 && pwrite(fd, &b, 1, 4 * PAGE + 80 * 24 + PAGE) == 1, "damage %s", path);
	close(fd);
	run_kdumpcheck("dump-raw",
		       "kdumpcheck: pfn 0x0: byte 0x0 differs (dump 0x71 at data offset 0x5780, memory 0x70)",
		       1);
}

static void write_image(struct fixture *f)
{
	char path[128];
	struct cs_err err;
	int fd;

	snprintf(path, sizeof(path), "%s/memory", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0 && cs_write_all(fd, f->mem, sizeof(f->mem), 0, path, &err) == CS_OK,
	      "write %s", path);
	close(fd);
}

int main(void)
{
	struct fixture *f = malloc(sizeof(*f));
	const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char cmd[200];

	snprintf(dir, sizeof(dir), "%s/test_kdump_writer.XXXXXX", tmpdir);
	if (!f || !mkdtemp(dir)) {
		fprintf(stderr, "ERROR: cannot create %s: %s\n", dir, strerror(errno));
		return 99;
	}
	umask(022);
	fixture_init(f);
	test_codec_file(f, NULL, 0);
	test_codec_file(f, NULL, 1);
	for (size_t i = 0; cs_codecs[i]; i++) {
		if (!cs_codecs[i]->built) {
			printf("SKIP: %s dumps (not built with %s)\n", cs_codecs[i]->name,
			       cs_codecs[i]->name);
			continue;
		}
		test_codec_file(f, cs_codecs[i], 0);
		test_codec_file(f, cs_codecs[i], 1);
		test_flat(f, cs_codecs[i]);
	}
	test_limit(f);
	write_image(f);
	run_kdumpcheck("dump-raw", "kept=80 zero=10 raw=70 compressed=0 codec=none level=31 incomplete=0", 0);
	run_kdumpcheck("dump-raw-rev", "kept=80 zero=10 raw=70 compressed=0 codec=none level=31 incomplete=0", 0);
	for (size_t i = 0; cs_codecs[i]; i++) {
		char file[64], want[200];

		if (!cs_codecs[i]->built)
			continue;
		snprintf(want, sizeof(want),
			 "kept=80 zero=10 raw=10 compressed=60 codec=%s level=31 incomplete=0",
			 cs_codecs[i]->name);
		snprintf(file, sizeof(file), "dump-%s", cs_codecs[i]->name);
		run_kdumpcheck(file, want, 0);
		snprintf(file, sizeof(file), "flat-%s", cs_codecs[i]->name);
		run_kdumpcheck(file, want, 0);
	}
	run_kdumpcheck("limited",
		       "kept=80 zero=10 raw=20 compressed=0 codec=none level=31 incomplete=1 missing=50", 0);
	test_corrupt();
	test_target_rules(f);
	test_utsname(f);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (!failures && system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", dir);
	cs_plan_fini(&f->plan);
	free(f);
	if (failures) {
		fprintf(stderr, "%d check(s) failed (files kept in %s)\n", failures, dir);
		return 1;
	}
	printf("ok\n");
	return 0;
}
