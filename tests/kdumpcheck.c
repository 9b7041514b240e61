/* kdumpcheck - an independent reader for kdump-compressed output.
 *
 * Deliberately shares nothing with collector/kdump_writer.c: the layout is
 * re-derived here from doc/kdump-format.md (offsets as constants), and pages
 * are decompressed with the libraries directly, not compress/.  Only lib/ and
 * (for --compare) filter/vmcore.h are used.
 *
 *   kdumpcheck [-v] [--compare VMCORE | --compare-raw IMAGE]
 *              [--excluded PFN[-PFN]]... [--kept PFN[-PFN]]... DUMP
 *
 * DUMP may be a kdump-compressed file or a flattened stream (-F output; it
 * is rearranged into a temporary file first, checking the framing).
 * Prints "kept=N zero=N raw=N compressed=N codec=NAME level=N incomplete=0|1"
 * (plus " missing=N" for an incomplete dump, " split=START-END" for one file
 * of a --split set).  A split file's 2nd bitmap may be the whole dump's (as
 * makedumpfile and coresift write it) but only pfns in [START, END) have
 * descriptors and data: bits outside the range are ignored, so a page of
 * another file's range cannot be counted or read here.  --excluded: these pfns must be
 * in the 1st bitmap and not in the 2nd (present but filtered out); --kept:
 * these pfns must be in both.  Ranges are inclusive.
 * Exit: 0 all good, 1 invalid dump or data mismatch (message names the pfn
 * and file offset), 2 usage or I/O error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if HAVE_ZLIB
#include <zlib.h>
#endif
#if HAVE_LZO
#include <lzo/lzo1x.h>
#endif
#if HAVE_SNAPPY
#include <snappy-c.h>
#endif
#if HAVE_ZSTD
#include <zstd.h>
#endif

#include "filter/vmcore.h"
#include "lib/io.h"

/* header (block 0), LP64 layout */
#define H_SIG		0
#define H_VERSION	8
#define H_UTS		12	/* 6 x 65 bytes */
#define H_TV_SEC	408
#define H_STATUS	424
#define H_BLOCK_SIZE	428
#define H_SUB_HDR_SIZE	432
#define H_BITMAP_BLOCKS	436
#define H_MAX_MAPNR	440
#define H_NR_CPUS	460
#define H_SIZE		464
/* sub-header at block_size */
#define S_PHYS_BASE	0
#define S_DUMP_LEVEL	8
#define S_SPLIT		12
#define S_OFF_VMCI	32
#define S_SIZE_VMCI	40
#define S_OFF_NOTE	48
#define S_SIZE_NOTE	56
#define S_OFF_ERASE	64
#define S_SIZE_ERASE	72
#define S_START_PFN	16
#define S_END_PFN	24
#define S_START_PFN64	80
#define S_END_PFN64	88
#define S_MAX_MAPNR64	96
#define S_SIZE		104
#define PD_SIZE		24

#define ST_ZLIB 0x1
#define ST_LZO 0x2
#define ST_SNAPPY 0x4
#define ST_INCOMPLETE 0x8
#define ST_VMEMMAP 0x10
#define ST_ZSTD 0x20
#define ST_CODECS (ST_ZLIB | ST_LZO | ST_SNAPPY | ST_ZSTD)

struct check {
	int fd;
	const char *path;
	uint64_t file_size;
	int verbose;
	uint8_t hdr[H_SIZE];
	uint32_t bs, status, level;
	uint64_t max_mapnr;
	uint8_t *bm1, *bm2;
	uint64_t bm_len;
	char tmp[64];		/* rearranged flattened stream */
#if HAVE_ZSTD
	ZSTD_DCtx *zd;
#endif
};

static void die(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int rc, const char *fmt, ...)
{
	va_list ap;

	fputs("kdumpcheck: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(rc);
}

#define BAD(...) die(1, __VA_ARGS__)

static void rd(struct check *c, void *buf, size_t len, uint64_t off, const char *what)
{
	struct cs_err err;

	if (off > c->file_size || len > c->file_size - off)
		BAD("%s at offset %#llx (+%zu) is beyond the end of the file (%llu bytes)", what,
		    (unsigned long long)off, len, (unsigned long long)c->file_size);
	if (cs_pread_all(c->fd, buf, len, off, c->path, &err) != CS_OK)
		die(2, "%s: %s", what, err.msg);
}

/* flattened stream -> temporary plain file, validating the framing */
static void unflatten(struct check *c)
{
	uint8_t rec[16];
	uint8_t *buf = malloc(1 << 20);
	uint64_t pos = 4096, nrec = 0;
	int out;
	struct cs_err err;
	struct stat sb;

	if (!buf)
		die(2, "out of memory");
	snprintf(c->tmp, sizeof(c->tmp), "%s/kdumpcheck.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (strlen(c->tmp) >= sizeof(c->tmp) - 1)
		die(2, "TMPDIR too long");
	out = mkstemp(c->tmp);
	if (out < 0)
		die(2, "cannot create %s: %s", c->tmp, strerror(errno));
	unlink(c->tmp);	/* anonymous: gone however we exit */
	{
		uint8_t h[32];
		rd(c, h, 32, 0, "flattened header");
		if (cs_get_be64(h + 16) != 1 || cs_get_be64(h + 24) != 1)
			BAD("flattened header: type %llu version %llu, want 1 and 1",
			    (unsigned long long)cs_get_be64(h + 16),
			    (unsigned long long)cs_get_be64(h + 24));
		for (int i = 12; i < 32 - 16; i++)
			if (h[i])
				BAD("flattened header: signature not NUL-padded");
	}
	for (;;) {
		uint64_t off, size;

		if (pos + 16 > c->file_size)
			BAD("flattened stream: no terminator (truncated after %llu records at %#llx)",
			    (unsigned long long)nrec, (unsigned long long)pos);
		rd(c, rec, 16, pos, "flattened record");
		off = cs_get_be64(rec);
		size = cs_get_be64(rec + 8);
		if (off == UINT64_MAX && size == UINT64_MAX) {
			pos += 16;
			break;
		}
		if ((int64_t)off < 0 || (int64_t)size <= 0)
			BAD("flattened record %llu at %#llx: bad offset %#llx / size %lld",
			    (unsigned long long)nrec, (unsigned long long)pos,
			    (unsigned long long)off, (long long)size);
		pos += 16;
		for (uint64_t done = 0; done < size;) {
			size_t n = size - done > (1 << 20) ? (1 << 20) : (size_t)(size - done);
			rd(c, buf, n, pos + done, "flattened record data");
			if (cs_write_all(out, buf, n, off + done, c->tmp, &err) != CS_OK)
				die(2, "%s", err.msg);
			done += n;
		}
		pos += size;
		nrec++;
	}
	if (pos != c->file_size)
		BAD("flattened stream: %llu bytes after the terminator",
		    (unsigned long long)(c->file_size - pos));
	free(buf);
	close(c->fd);
	c->fd = out;
	if (fstat(out, &sb) != 0)
		die(2, "cannot stat %s: %s", c->tmp, strerror(errno));
	c->file_size = (uint64_t)sb.st_size;
	if (c->verbose)
		fprintf(stderr, "flattened: %llu records\n", (unsigned long long)nrec);
}

static const char *codec_name(uint32_t flag)
{
	switch (flag) {
	case 0: return "none";
	case ST_ZLIB: return "zlib";
	case ST_LZO: return "lzo";
	case ST_SNAPPY: return "snappy";
	case ST_ZSTD: return "zstd";
	}
	return "?";
}

/* decompress into @out (bs bytes); returns NULL or a reason */
static const char *decompress(struct check *c, uint32_t flag, const uint8_t *in, size_t len,
			      uint8_t *out)
{
	size_t bs = c->bs;

	switch (flag) {
#if HAVE_ZLIB
	case ST_ZLIB: {
		uLongf n = bs;
		if (uncompress(out, &n, in, len) != Z_OK)
			return "zlib data does not decompress";
		return n == bs ? NULL : "zlib data decompresses to the wrong length";
	}
#endif
#if HAVE_LZO
	case ST_LZO: {
		lzo_uint n = bs;
		if (lzo1x_decompress_safe(in, len, out, &n, NULL) != LZO_E_OK)
			return "lzo data does not decompress";
		return n == bs ? NULL : "lzo data decompresses to the wrong length";
	}
#endif
#if HAVE_SNAPPY
	case ST_SNAPPY: {
		size_t n;
		if (snappy_uncompressed_length((const char *)in, len, &n) != SNAPPY_OK || n != bs)
			return "snappy data has the wrong length";
		if (snappy_uncompress((const char *)in, len, (char *)out, &n) != SNAPPY_OK)
			return "snappy data does not decompress";
		return n == bs ? NULL : "snappy data decompresses to the wrong length";
	}
#endif
#if HAVE_ZSTD
	case ST_ZSTD: {
		size_t n = ZSTD_decompressDCtx(c->zd, out, bs, in, len);
		if (ZSTD_isError(n))
			return "zstd data does not decompress";
		return n == bs ? NULL : "zstd data decompresses to the wrong length";
	}
#endif
	}
	die(2, "cannot check %s pages: not built with %s", codec_name(flag), codec_name(flag));
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

static void check_notes(struct check *c, const uint8_t *notes, uint64_t size, uint32_t nr_cpus,
			uint64_t vmci_rel, uint64_t vmci_size)
{
	uint64_t pos = 0, prstatus = 0;
	int vmci_found = 0;

	while (pos + 12 <= size) {
		uint32_t namesz = cs_get_le32(notes + pos), descsz = cs_get_le32(notes + pos + 4);
		uint32_t type = cs_get_le32(notes + pos + 8);
		uint64_t name = pos + 12, desc = name + div_up(namesz, 4) * 4;
		uint64_t next = desc + div_up(descsz, 4) * 4;

		if (namesz == 0 && descsz == 0 && type == 0)
			break;	/* zero padding at the end of a PT_NOTE */
		if (next > size)
			BAD("ELF note at notes+%#llx runs past the copied notes",
			    (unsigned long long)pos);
		if (type == 1 && namesz == 5 && memcmp(notes + name, "CORE", 5) == 0)
			prstatus++;
		if (namesz == 11 && memcmp(notes + name, "VMCOREINFO", 11) == 0) {
			if (desc != vmci_rel || descsz != vmci_size)
				BAD("sub-header VMCOREINFO (notes+%#llx, %llu bytes) is not the note's (notes+%#llx, %u bytes)",
				    (unsigned long long)vmci_rel, (unsigned long long)vmci_size,
				    (unsigned long long)desc, descsz);
			vmci_found = 1;
		}
		pos = next;
	}
	if (vmci_size && !vmci_found)
		BAD("no VMCOREINFO note in the copied notes");
	if (prstatus != nr_cpus)
		BAD("header nr_cpus %u, but the notes hold %llu NT_PRSTATUS notes", nr_cpus,
		    (unsigned long long)prstatus);
}

#define MAX_EXPECT 64

struct expect {
	uint64_t first, last;
	int kept;
};

static void parse_range(const char *arg, struct expect *e)
{
	char *end;

	e->first = strtoull(arg, &end, 0);
	e->last = e->first;
	if (*end == '-')
		e->last = strtoull(end + 1, &end, 0);
	if (*end || e->last < e->first)
		die(2, "bad pfn range '%s'", arg);
}

int main(int argc, char **argv)
{
	struct expect ex[MAX_EXPECT];
	size_t nex = 0;
	static const char usage[] =
		"usage: kdumpcheck [-v] [--compare VMCORE | --compare-raw IMAGE] "
		"[--excluded PFN[-PFN]]... [--kept PFN[-PFN]]... DUMP";
	struct check c;
	const char *cmp_vmcore = NULL, *cmp_raw = NULL, *path = NULL;
	struct cs_vmcore vc;
	int raw_fd = -1;
	struct stat sb;
	uint8_t sub[S_SIZE], *notes = NULL, *page, *data, *want;
	uint64_t sub_blocks, bm_blocks, size_note, off_note, ndesc = 0, desc_off, data_start;
	uint64_t nzero = 0, nraw = 0, ncomp = 0, nmissing = 0;
	uint32_t codec;
	uint64_t erase_off, erase_size, data_end = 0;
	uint64_t split = 0, split_start = 0, split_end = 0;
	struct cs_err err;

	memset(&c, 0, sizeof(c));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			c.verbose = 1;

		else if (strcmp(argv[i], "--compare") == 0 && i + 1 < argc)
			cmp_vmcore = argv[++i];
		else if (strcmp(argv[i], "--compare-raw") == 0 && i + 1 < argc)
			cmp_raw = argv[++i];
		else if ((strcmp(argv[i], "--excluded") == 0 || strcmp(argv[i], "--kept") == 0) &&
			 i + 1 < argc && nex < MAX_EXPECT) {
			ex[nex].kept = argv[i][2] == 'k';
			parse_range(argv[++i], &ex[nex++]);
		}
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else
			die(2, "%s", usage);
	}
	if (!path)
		die(2, "%s", usage);
	c.path = path;
	c.fd = open(path, O_RDONLY);
	if (c.fd < 0 || fstat(c.fd, &sb) != 0)
		die(2, "cannot open %s: %s", path, strerror(errno));
	c.file_size = (uint64_t)sb.st_size;
#if HAVE_ZSTD
	c.zd = ZSTD_createDCtx();
#endif

	/* the header */
	rd(&c, c.hdr, H_SIZE, 0, "header");
	if (memcmp(c.hdr, "makedumpfile\0\0\0\0", 16) == 0) {
		unflatten(&c);
		rd(&c, c.hdr, H_SIZE, 0, "header");
	}
	if (memcmp(c.hdr + H_SIG, "KDUMP   ", 8) != 0)
		BAD("%s: not a kdump-compressed file (signature)", path);
	if (cs_get_le32(c.hdr + H_VERSION) != 6)
		BAD("header_version %u, want 6", cs_get_le32(c.hdr + H_VERSION));
	c.bs = cs_get_le32(c.hdr + H_BLOCK_SIZE);
	if (c.bs < 512 || c.bs > (1u << 20) || (c.bs & (c.bs - 1)))
		BAD("block_size %u is not a page size", c.bs);
	c.status = cs_get_le32(c.hdr + H_STATUS);
	if (c.status & ~(ST_CODECS | ST_INCOMPLETE | ST_VMEMMAP))
		BAD("status %#x has unknown bits", c.status);
	codec = c.status & ST_CODECS;
	if (codec & (codec - 1))
		BAD("status %#x names more than one codec", c.status);
	for (int i = 0; i < 6; i++)
		if (c.hdr[H_UTS + 65 * i + 64] != 0)
			BAD("utsname field %d is not NUL-terminated", i);
	if (!c.hdr[H_UTS] || !c.hdr[H_UTS + 65 * 4])
		BAD("utsname sysname/machine is empty");
	for (int i = H_UTS + 390; i < H_TV_SEC; i++)
		if (c.hdr[i])
			BAD("header padding at %d is not zero", i);
	for (int i = 444; i < 460; i++)
		if (c.hdr[i])
			BAD("unused header field at %d is not zero", i);
	{
		uint8_t rest[4096];
		uint64_t left = c.bs - H_SIZE;
		for (uint64_t o = H_SIZE; left;) {
			size_t n = left > sizeof(rest) ? sizeof(rest) : (size_t)left;
			rd(&c, rest, n, o, "header block");
			for (size_t i = 0; i < n; i++)
				if (rest[i])
					BAD("header block byte %#llx is not zero",
					    (unsigned long long)(o + i));
			o += n;
			left -= n;
		}
	}

	/* the sub-header and notes */
	rd(&c, sub, S_SIZE, c.bs, "sub-header");
	c.level = cs_get_le32(sub + S_DUMP_LEVEL);
	if (c.level > 31)
		BAD("dump_level %u out of range", c.level);
	split = cs_get_le32(sub + S_SPLIT);
	if (split > 1)
		BAD("split is %llu, want 0 or 1", (unsigned long long)split);
	split_start = cs_get_le64(sub + S_START_PFN64);
	split_end = cs_get_le64(sub + S_END_PFN64);
	if (cs_get_le64(sub + S_START_PFN) != split_start || cs_get_le64(sub + S_END_PFN) != split_end)
		BAD("start_pfn/end_pfn %#llx-%#llx disagree with start_pfn_64/end_pfn_64 %#llx-%#llx",
		    (unsigned long long)cs_get_le64(sub + S_START_PFN),
		    (unsigned long long)cs_get_le64(sub + S_END_PFN),
		    (unsigned long long)split_start, (unsigned long long)split_end);
	if (!split && (split_start || split_end))
		BAD("not a split file, but start/end pfn are %#llx-%#llx",
		    (unsigned long long)split_start, (unsigned long long)split_end);
	erase_off = cs_get_le64(sub + S_OFF_ERASE);
	erase_size = cs_get_le64(sub + S_SIZE_ERASE);
	if (!erase_off != !erase_size)
		BAD("eraseinfo offset %#llx with size %llu", (unsigned long long)erase_off,
		    (unsigned long long)erase_size);
	if (erase_size && (erase_off > c.file_size || erase_size > c.file_size - erase_off))
		BAD("eraseinfo %#llx+%llu is beyond the end of the file",
		    (unsigned long long)erase_off, (unsigned long long)erase_size);
	c.max_mapnr = cs_get_le64(sub + S_MAX_MAPNR64);
	if (!c.max_mapnr)
		BAD("max_mapnr_64 is 0");
	if (cs_get_le32(c.hdr + H_MAX_MAPNR) !=
	    (c.max_mapnr > UINT32_MAX ? UINT32_MAX : (uint32_t)c.max_mapnr))
		BAD("header max_mapnr %u disagrees with sub-header max_mapnr_64 %llu",
		    cs_get_le32(c.hdr + H_MAX_MAPNR), (unsigned long long)c.max_mapnr);
	size_note = cs_get_le64(sub + S_SIZE_NOTE);
	off_note = cs_get_le64(sub + S_OFF_NOTE);
	sub_blocks = cs_get_le32(c.hdr + H_SUB_HDR_SIZE);
	if (sub_blocks != div_up(S_SIZE + size_note, c.bs))
		BAD("sub_hdr_size %llu blocks, want %llu for %llu bytes of notes",
		    (unsigned long long)sub_blocks,
		    (unsigned long long)div_up(S_SIZE + size_note, c.bs),
		    (unsigned long long)size_note);
	if (size_note) {
		uint64_t vo = cs_get_le64(sub + S_OFF_VMCI), vs = cs_get_le64(sub + S_SIZE_VMCI);
		uint8_t *vmci;

		if (off_note != (uint64_t)c.bs + S_SIZE)
			BAD("offset_note %#llx, want %#llx", (unsigned long long)off_note,
			    (unsigned long long)c.bs + S_SIZE);
		notes = malloc(size_note);
		if (!notes)
			die(2, "out of memory");
		rd(&c, notes, size_note, off_note, "ELF notes");
		if (vs) {
			if (vo < off_note || vo + vs > off_note + size_note)
				BAD("VMCOREINFO (%#llx, %llu bytes) is outside the notes",
				    (unsigned long long)vo, (unsigned long long)vs);
			vmci = notes + (vo - off_note);
			if (vs < 10 || memcmp(vmci, "OSRELEASE=", 10) != 0)
				BAD("VMCOREINFO at %#llx does not start with OSRELEASE=",
				    (unsigned long long)vo);
		}
		check_notes(&c, notes, size_note, cs_get_le32(c.hdr + H_NR_CPUS),
			    vs ? vo - off_note : 0, vs);
	}

	/* the bitmaps */
	bm_blocks = cs_get_le32(c.hdr + H_BITMAP_BLOCKS);
	c.bm_len = div_up(div_up(c.max_mapnr, 8), c.bs) * c.bs;
	if (bm_blocks * c.bs != 2 * c.bm_len)
		BAD("bitmap_blocks %llu, want %llu (two bitmaps of %llu pfns)",
		    (unsigned long long)bm_blocks, (unsigned long long)(2 * c.bm_len / c.bs),
		    (unsigned long long)c.max_mapnr);
	c.bm1 = malloc(c.bm_len);
	c.bm2 = malloc(c.bm_len);
	page = malloc(c.bs);
	data = malloc(c.bs);
	want = malloc(c.bs);
	if (!c.bm1 || !c.bm2 || !page || !data || !want)
		die(2, "out of memory");
	rd(&c, c.bm1, c.bm_len, (1 + sub_blocks) * c.bs, "1st bitmap");
	rd(&c, c.bm2, c.bm_len, (1 + sub_blocks) * c.bs + c.bm_len, "2nd bitmap");
	for (uint64_t pfn = c.max_mapnr; pfn < c.bm_len * 8; pfn++)
		if ((c.bm1[pfn / 8] | c.bm2[pfn / 8]) >> (pfn % 8) & 1)
			BAD("bitmap bit set for pfn 0x%llx beyond max_mapnr %#llx",
			    (unsigned long long)pfn, (unsigned long long)c.max_mapnr);
	if (split) {
		if (split_start > split_end || split_end > c.max_mapnr)
			BAD("split range %#llx-%#llx is outside max_mapnr %#llx",
			    (unsigned long long)split_start, (unsigned long long)split_end,
			    (unsigned long long)c.max_mapnr);
		for (uint64_t pfn = 0; pfn < c.max_mapnr; pfn++) {
			if (pfn == split_start)
				pfn = split_end;
			if (pfn >= c.max_mapnr || !(c.bm2[pfn / 8] >> (pfn % 8) & 1))
				continue;
			c.bm2[pfn / 8] &= (uint8_t)~(1u << (pfn % 8));
		}
	}
	for (uint64_t i = 0; i < c.bm_len; i++) {
		if (c.bm2[i] & ~c.bm1[i])
			BAD("pfn 0x%llx is in the 2nd bitmap but not in the 1st",
			    (unsigned long long)(i * 8 + (uint64_t)__builtin_ctz(c.bm2[i] & ~c.bm1[i])));
		ndesc += (uint64_t)__builtin_popcount(c.bm2[i]);
	}

	for (size_t i = 0; i < nex; i++) {
		for (uint64_t pfn = ex[i].first; pfn <= ex[i].last; pfn++) {
			int b1 = pfn < c.max_mapnr && (c.bm1[pfn / 8] >> (pfn % 8) & 1);
			int b2 = pfn < c.max_mapnr && (c.bm2[pfn / 8] >> (pfn % 8) & 1);

			if (!b1)
				BAD("pfn 0x%llx: not in the 1st bitmap (expected present)",
				    (unsigned long long)pfn);
			if (b2 != ex[i].kept)
				BAD("pfn 0x%llx: %s the 2nd bitmap (expected %s)",
				    (unsigned long long)pfn, b2 ? "in" : "not in",
				    ex[i].kept ? "kept" : "excluded");
		}
	}

	/* optional comparison source */
	if (cmp_vmcore && cs_vmcore_open(cmp_vmcore, &vc, &err) != CS_OK)
		die(2, "%s", err.msg);
	if (cmp_raw) {
		raw_fd = open(cmp_raw, O_RDONLY);
		if (raw_fd < 0)
			die(2, "cannot open %s: %s", cmp_raw, strerror(errno));
	}
	if (cmp_vmcore) {
		if (vc.page_size != c.bs)
			BAD("%s has page size %u, the dump %u", cmp_vmcore, vc.page_size, c.bs);
		/* a pfn the dump calls present must be in the vmcore; the converse
		 * is not required (makedumpfile leaves partly covered pages such as
		 * pfn 0x9f out of the 1st bitmap) */
		for (uint64_t pfn = 0; pfn < c.max_mapnr; pfn++) {
			if ((c.bm1[pfn / 8] >> (pfn % 8) & 1) && !cs_vmcore_pfn_present(&vc, pfn))
				BAD("pfn 0x%llx: 1st bitmap says present, %s has no data for it",
				    (unsigned long long)pfn, cmp_vmcore);
		}
	}

	/* descriptors and page data */
	desc_off = (1 + sub_blocks + bm_blocks) * c.bs;
	data_start = desc_off + ndesc * PD_SIZE;
	{
		uint64_t idx = 0;
		uint8_t pd[PD_SIZE * 256];
		size_t have = 0, at = 0;

		for (uint64_t pfn = 0; pfn < c.max_mapnr; pfn++) {
			uint64_t off, doff;
			uint32_t size, flags;
			const uint8_t *d;
			const char *why;
			int is_zero_page;

			if (!(c.bm2[pfn / 8] >> (pfn % 8) & 1))
				continue;
			if (at == have) {
				uint64_t left = ndesc - idx;
				have = left > 256 ? 256 : (size_t)left;
				doff = desc_off + idx * PD_SIZE;
				if (doff + have * PD_SIZE > c.file_size) {
					/* an incomplete dump may end inside the descriptors */
					if (!(c.status & ST_INCOMPLETE))
						BAD("descriptors for pfn 0x%llx on are beyond the end of the file",
						    (unsigned long long)pfn);
					memset(pd, 0, sizeof(pd));
					if (doff < c.file_size)
						rd(&c, pd, c.file_size - doff, doff, "page descriptors");
				} else {
					rd(&c, pd, have * PD_SIZE, doff, "page descriptors");
				}
				at = 0;
			}
			d = pd + at * PD_SIZE;
			doff = desc_off + idx * PD_SIZE;
			at++;
			idx++;
			off = cs_get_le64(d);
			size = cs_get_le32(d + 8);
			flags = cs_get_le32(d + 12);
			if (off == 0 && size == 0 && flags == 0 && cs_get_le64(d + 16) == 0) {
				if (!(c.status & ST_INCOMPLETE))
					BAD("pfn 0x%llx: descriptor at %#llx is empty in a complete dump",
					    (unsigned long long)pfn, (unsigned long long)doff);
				nmissing++;
				continue;
			}
			if (cs_get_le64(d + 16))
				BAD("pfn 0x%llx: descriptor at %#llx has page_flags set",
				    (unsigned long long)pfn, (unsigned long long)doff);
			if (off < data_start || off + size > c.file_size || size == 0 || size > c.bs)
				BAD("pfn 0x%llx: descriptor at %#llx: data %#llx+%u outside the data area [%#llx, %#llx)",
				    (unsigned long long)pfn, (unsigned long long)doff,
				    (unsigned long long)off, size, (unsigned long long)data_start,
				    (unsigned long long)c.file_size);
			if (flags && flags != codec)
				BAD("pfn 0x%llx: descriptor at %#llx: flags %#x, header codec %#x",
				    (unsigned long long)pfn, (unsigned long long)doff, flags, codec);
			if (!flags && size != c.bs)
				BAD("pfn 0x%llx: raw page of %u bytes at %#llx", (unsigned long long)pfn,
				    size, (unsigned long long)off);
			if (off + size > data_end)
				data_end = off + size;
			rd(&c, data, size, off, "page data");
			if (flags) {
				why = decompress(&c, flags, data, size, page);
				if (why)
					BAD("pfn 0x%llx: data at %#llx (%u bytes): %s",
					    (unsigned long long)pfn, (unsigned long long)off, size, why);
				if (size >= c.bs)
					BAD("pfn 0x%llx: compressed page at %#llx is not smaller than a page",
					    (unsigned long long)pfn, (unsigned long long)off);
				ncomp++;
			} else {
				memcpy(page, data, c.bs);
				is_zero_page = off == data_start && (c.level & 1);
				if (is_zero_page) {
					for (uint32_t i = 0; i < c.bs; i++)
						if (page[i])
							BAD("shared zero page at %#llx is not zero",
							    (unsigned long long)off);
					nzero++;
				} else {
					nraw++;
				}
			}
			if (cmp_vmcore || cmp_raw) {
				if (cmp_vmcore) {
					if (cs_vmcore_read_page(&vc, pfn, want, &err) != CS_OK)
						BAD("pfn 0x%llx: kept in the dump but %s", (unsigned long long)pfn,
						    err.msg);
				} else if (cs_pread_all(raw_fd, want, c.bs, pfn * c.bs, cmp_raw,
							&err) != CS_OK) {
					BAD("pfn 0x%llx: %s", (unsigned long long)pfn, err.msg);
				}
				if (memcmp(want, page, c.bs) != 0) {
					uint32_t i = 0;
					while (want[i] == page[i])
						i++;
					BAD("pfn 0x%llx: byte 0x%x differs (dump %#04x at data offset 0x%llx%s, memory %#04x)",
					    (unsigned long long)pfn, i, page[i], (unsigned long long)off,
					    flags ? " compressed" : "", want[i]);
				}
			}
		}
	}
	/* eraseinfo (re-filtered dumps) follows all page data */
	if (erase_size && erase_off < data_end)
		BAD("eraseinfo at %#llx overlaps page data ending at %#llx",
		    (unsigned long long)erase_off, (unsigned long long)data_end);
	printf("kept=%llu zero=%llu raw=%llu compressed=%llu codec=%s level=%u incomplete=%d",
	       (unsigned long long)ndesc, (unsigned long long)nzero, (unsigned long long)nraw,
	       (unsigned long long)ncomp, codec_name(codec), c.level,
	       c.status & ST_INCOMPLETE ? 1 : 0);
	if (c.status & ST_INCOMPLETE)
		printf(" missing=%llu", (unsigned long long)nmissing);
	if (split)
		printf(" split=%#llx-%#llx", (unsigned long long)split_start,
		       (unsigned long long)split_end);
	putchar('\n');
	if (c.verbose)
		printf("sysname=%s release=%s machine=%s max_mapnr=%llu nr_cpus=%u eraseinfo=%llu\n",
		       (char *)c.hdr + H_UTS, (char *)c.hdr + H_UTS + 130,
		       (char *)c.hdr + H_UTS + 260, (unsigned long long)c.max_mapnr,
		       cs_get_le32(c.hdr + H_NR_CPUS), (unsigned long long)erase_size);
	if (cmp_vmcore)
		cs_vmcore_close(&vc);
	if (raw_fd >= 0)
		close(raw_fd);
#if HAVE_ZSTD
	ZSTD_freeDCtx(c.zd);
#endif
	free(notes);
	free(c.bm1);
	free(c.bm2);
	free(page);
	free(data);
	free(want);
	close(c.fd);
	return 0;
}
