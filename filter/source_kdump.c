/* source_kdump.c - kdump-compressed input ("KDUMP   ", old "DISKDUMP"):
 * makedumpfile's, QEMU's or our own output, to re-filter or re-compress it.
 *
 * Layout (doc/kdump-format.md): header (block 0, LP64, versions 1-6),
 * sub-header + copied ELF notes, the 1st bitmap (present RAM) and the 2nd
 * (pages with a descriptor), the descriptor table (24 bytes per set 2nd-bitmap
 * bit, in pfn order), page data.  Each page is decompressed by the codec its
 * descriptor's flags name (compress/codec.h), so mixed-codec files read too.
 *
 * Every header, bitmap and descriptor field is checked against the file size
 * before use.  A dump flagged incomplete (status 0x8, or a flattened stream
 * without its terminator) has descriptors with offset 0 (never written) and
 * maybe a short descriptor table or data area: those pages read as no data
 * and the run proceeds.
 *
 * Memory does not grow with the dumped machine (issue 6): the two bitmaps
 * are not held whole (32 MiB each at 1 TiB) but read on demand, in blocks of
 * 32 Ki pfns (4 KiB of each bitmap), into a cache of BM_SLOTS blocks.  Open
 * streams them once to build what is kept whole, all small: the rank table
 * (8 bytes per 4096 pfns), the present runs (vc->seg) and, for an incomplete
 * dump, one bit per block saying it has unwritten pages (their descriptors
 * are read again when the block is loaded).
 *
 * Thread safety: the rank table is immutable after open; the bitmap cache
 * is used under its own mutex (a block's bits are only looked at with it
 * held).  Page reads use pread and a decompression context taken from a
 * small pool under a mutex (one context per concurrent reader, created on
 * demand, reused).  read_phys, used for page tables and struct pages, goes
 * through a small direct-mapped page cache under the same mutex.
 *
 * A bitmap block that cannot be read after open (an I/O error: open read
 * the same bytes) reads as no pages, and every later page read fails with
 * that error, so the run cannot end well without the pages it missed.
 */
#include "config.h"

#include "filter/source.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "compress/codec.h"
#include "lib/io.h"

/* header (block 0) and sub-header offsets, LP64 */
#define H_SIG		0
#define H_VERSION	8
#define H_MACHINE	(12 + 4 * 65)
#define H_STATUS	424
#define H_BLOCK_SIZE	428
#define H_SUB_HDR_SIZE	432
#define H_BITMAP_BLOCKS	436
#define H_MAX_MAPNR	440
#define H_NR_CPUS	460
#define H_SIZE		464
#define S_DUMP_LEVEL	8
#define S_SPLIT		12
#define S_START_PFN	16
#define S_END_PFN	24
#define S_OFF_VMCOREINFO 32
#define S_SIZE_VMCOREINFO 40
#define S_OFF_NOTE	48
#define S_SIZE_NOTE	56
#define S_OFF_ERASEINFO	64
#define S_SIZE_ERASEINFO 72
#define S_START_PFN_64	80
#define S_END_PFN_64	88
#define S_MAX_MAPNR_64	96
#define S_SIZE		104
#define PD_SIZE		24

#define ST_INCOMPLETE	0x8
#define CODEC_FLAGS	(CS_DH_COMPRESSED_ZLIB | CS_DH_COMPRESSED_LZO | \
			 CS_DH_COMPRESSED_SNAPPY | CS_DH_COMPRESSED_ZSTD)

#define MAX_NOTES_SIZE	((uint64_t)64 << 20)
#define MAX_ERASEINFO	((uint64_t)64 << 20)
#define MAX_MAPNR_LIMIT	((uint64_t)1 << 40)	/* 4 PiB of 4 KiB pages */
#define RANK_SHIFT	12
#define BM_SHIFT	15			/* pfns per bitmap block: 32 Ki */
#define BM_BLOCK	((uint64_t)1 << BM_SHIFT)
#define BM_MASK		(BM_BLOCK - 1)
#define BM_BYTES	(BM_BLOCK / 8)		/* 4 KiB of each bitmap */
#define BM_SLOTS	16			/* blocks in the cache: 128 KiB (192 incomplete) */
#define OPEN_BLOCKS	16			/* open reads 64 KiB of each bitmap at a time */
#define CACHE_PAGES	64
#define NCODEC_SLOTS	6			/* log2 of the highest codec flag + 1 */

struct dslot {
	struct dslot *next;
	void *state[NCODEC_SLOTS];		/* by flag bit */
	uint8_t *in;				/* one block of stored bytes */
	uint8_t *page;				/* one decompressed page */
};

/* one cached block of the bitmaps: pfns [blk << BM_SHIFT, +BM_BLOCK) */
struct bmslot {
	uint64_t blk;				/* UINT64_MAX: empty */
	uint64_t used;				/* LRU clock */
	uint8_t *present;			/* 1st | 2nd bitmap */
	uint8_t *bm2;				/* 2nd (a split file: its own range only) */
	uint8_t *data;				/* bm2 minus unwritten pages: bm2 or dbuf */
	uint8_t *dbuf;				/* incomplete dumps only */
};

struct kd {
	unsigned int bs;
	uint64_t max_mapnr;
	uint64_t bm_off, bm2_off, bm_bytes;	/* the bitmaps in the file */
	uint64_t nblocks;			/* bitmap blocks */
	uint64_t *rank;				/* set bm2 bits before each 4096-pfn block */
	uint64_t desc_off, ndesc;
	uint8_t *trim;				/* incomplete: bit per block with unwritten pages */
	pthread_mutex_t bmlock;			/* the bitmap cache: */
	struct bmslot slot[BM_SLOTS];
	unsigned int nslots, hint;
	uint64_t clock;
	int bm_failed;				/* a block could not be read: */
	struct cs_err bm_err;			/* why (every later page read fails) */
	pthread_mutex_t lock;
	struct dslot *free;
	uint64_t cache_pfn[CACHE_PAGES];	/* UINT64_MAX: empty */
	uint8_t *cache;				/* CACHE_PAGES pages */
};

static int bit(const uint8_t *bm, uint64_t pfn)
{
	return bm[pfn >> 3] >> (pfn & 7) & 1;
}

static unsigned int flag_slot(uint32_t flag)
{
	return (unsigned int)__builtin_ctz(flag);
}

static void slot_destroy(struct dslot *s)
{
	if (!s)
		return;
	for (unsigned int i = 0; i < NCODEC_SLOTS; i++) {
		const struct cs_codec *c = cs_codec_by_flag(1u << i);

		if (s->state[i] && c)
			c->fini(s->state[i]);
	}
	free(s->in);
	free(s->page);
	free(s);
}

static struct dslot *slot_get(struct kd *kd)
{
	struct dslot *s;

	pthread_mutex_lock(&kd->lock);
	s = kd->free;
	if (s)
		kd->free = s->next;
	pthread_mutex_unlock(&kd->lock);
	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->in = malloc(kd->bs);
	s->page = malloc(kd->bs);
	if (!s->in || !s->page) {
		slot_destroy(s);
		return NULL;
	}
	return s;
}

static void slot_put(struct kd *kd, struct dslot *s)
{
	pthread_mutex_lock(&kd->lock);
	s->next = kd->free;
	kd->free = s;
	pthread_mutex_unlock(&kd->lock);
}

/* set 2nd-bitmap bits before @pfn (the descriptor index); @s holds its block */
static uint64_t rank_of(const struct kd *kd, const struct bmslot *s, uint64_t pfn)
{
	uint64_t n = kd->rank[pfn >> RANK_SHIFT];
	uint64_t p = (pfn & BM_MASK) >> RANK_SHIFT << RANK_SHIFT, end = pfn & BM_MASK;

	for (; p + 64 <= end; p += 64) {
		uint64_t v;

		memcpy(&v, s->bm2 + p / 8, 8);
		n += (uint64_t)__builtin_popcountll(v);
	}
	for (; p < end; p++)
		n += (uint64_t)bit(s->bm2, p);
	return n;
}

/* Clear pfns [lo, hi) of a block's bitmap (block-relative pfns). */
static void clear_bits(uint8_t *bm, uint64_t lo, uint64_t hi)
{
	for (; lo < hi && (lo & 7); lo++)
		bm[lo >> 3] &= (uint8_t)~(1u << (lo & 7));
	if (lo + 8 <= hi) {
		memset(bm + lo / 8, 0, (hi - lo) / 8);
		lo += (hi - lo) / 8 * 8;
	}
	for (; lo < hi; lo++)
		bm[lo >> 3] &= (uint8_t)~(1u << (lo & 7));
}

/* Block @b's bitmaps as read from the file (BM_BYTES each, zero past the
 * end): drop bits at or past max_mapnr and, in a split file, 2nd-bitmap bits
 * outside its range (its descriptors are those of its own range, whatever
 * its 2nd bitmap says elsewhere: doc/kdump-format.md, split dumps); then
 * @bm1 becomes present = 1st | 2nd. */
static void prep_block(const struct cs_vmcore *vc, const struct kd *kd, uint64_t b,
		       uint8_t *bm1, uint8_t *bm2)
{
	uint64_t base = b << BM_SHIFT, n = kd->max_mapnr - base;

	if (n < BM_BLOCK) {
		clear_bits(bm1, n, BM_BLOCK);
		clear_bits(bm2, n, BM_BLOCK);
	}
	if (vc->split) {
		if (vc->split_start > base)
			clear_bits(bm2, 0, vc->split_start - base < BM_BLOCK ?
					      vc->split_start - base : BM_BLOCK);
		if (vc->split_end < base + BM_BLOCK)
			clear_bits(bm2, vc->split_end > base ? vc->split_end - base : 0, BM_BLOCK);
	}
	for (uint64_t i = 0; i < BM_BYTES; i += 8) {
		uint64_t a, c;

		memcpy(&a, bm1 + i, 8);
		memcpy(&c, bm2 + i, 8);
		a |= c;
		memcpy(bm1 + i, &a, 8);
	}
}

/* Incomplete dump: clear from @data (block @b's 2nd bitmap) the pages whose
 * descriptor was never written (offset 0, bad size, data beyond the file) or
 * lies beyond the file; *@any = some were. */
static enum cs_status trim_block(const struct cs_vmcore *vc, const struct kd *kd, uint64_t b,
				 uint8_t *data, int *any, struct cs_err *err)
{
	uint8_t buf[PD_SIZE * 512];
	uint64_t base = b << BM_SHIFT;
	uint64_t idx = kd->rank[base >> RANK_SHIFT], left = 0, have = 0, at = 0;

	*any = 0;
	for (uint64_t i = 0; i < BM_BYTES; i += 8) {
		uint64_t v;

		memcpy(&v, data + i, 8);
		left += (uint64_t)__builtin_popcountll(v);
	}
	for (uint64_t p = 0; left; p++) {
		uint64_t doff, off;
		uint32_t size;
		const uint8_t *d;

		if (!(p & 63)) {
			uint64_t v;

			memcpy(&v, data + p / 8, 8);
			if (!v) {
				p += 63;
				continue;
			}
		}
		if (!bit(data, p))
			continue;
		if (at == have) {
			uint64_t avail;
			enum cs_status st;

			have = left > 512 ? 512 : left;
			doff = kd->desc_off + idx * PD_SIZE;
			avail = doff >= vc->file_size ? 0 : (vc->file_size - doff) / PD_SIZE;
			memset(buf, 0, sizeof(buf));
			if (avail) {
				st = cs_src_pread(vc, buf, (avail < have ? avail : have) * PD_SIZE,
						  doff, err);
				if (st)
					return cs_err_prefix(err, "cannot read page descriptors");
			}
			at = 0;
		}
		d = buf + at * PD_SIZE;
		at++;
		idx++;
		left--;
		off = cs_get_le64(d);
		size = cs_get_le32(d + 8);
		if (off == 0 || size == 0 || size > kd->bs || off > vc->file_size ||
		    size > vc->file_size - off) {
			data[p >> 3] &= (uint8_t)~(1u << (p & 7));
			*any = 1;
		}
	}
	return CS_OK;
}

/* Read both bitmaps of blocks [b, b + n) into @bm1 and @bm2 (n * BM_BYTES each). */
static enum cs_status read_blocks(const struct cs_vmcore *vc, const struct kd *kd, uint64_t b,
				  uint64_t n, uint8_t *bm1, uint8_t *bm2, struct cs_err *err)
{
	uint64_t first = b * BM_BYTES, len = n * BM_BYTES;
	enum cs_status st;

	if (len > kd->bm_bytes - first)
		len = kd->bm_bytes - first;
	memset(bm1 + len, 0, n * BM_BYTES - len);
	memset(bm2 + len, 0, n * BM_BYTES - len);
	st = cs_src_pread(vc, bm1, len, kd->bm_off + first, err);
	if (st == CS_OK)
		st = cs_src_pread(vc, bm2, len, kd->bm2_off + first, err);
	if (st)
		return cs_err_prefix(err, "cannot read the bitmaps");
	return CS_OK;
}

/* The cache slot holding block @b, loaded if need be; NULL (and bm_err set)
 * if it cannot be read.  Called with bmlock held; the slot's bits may only
 * be used until it is released. */
static const struct bmslot *bm_block(const struct cs_vmcore *vc, struct kd *kd, uint64_t b)
{
	struct bmslot *s = &kd->slot[kd->hint];
	unsigned int victim = 0;
	int any = 0;
	struct cs_err err;
	enum cs_status st;

	kd->clock++;
	if (s->blk == b) {
		s->used = kd->clock;
		return s;
	}
	for (unsigned int i = 0; i < kd->nslots; i++) {
		if (kd->slot[i].blk == b) {
			kd->hint = i;
			kd->slot[i].used = kd->clock;
			return &kd->slot[i];
		}
		if (kd->slot[i].used < kd->slot[victim].used)
			victim = i;
	}
	s = &kd->slot[victim];
	s->blk = UINT64_MAX;
	s->used = 0;
	st = read_blocks(vc, kd, b, 1, s->present, s->bm2, &err);
	if (st == CS_OK) {
		prep_block(vc, kd, b, s->present, s->bm2);
		s->data = s->bm2;
		if (kd->trim && bit(kd->trim, b)) {
			memcpy(s->dbuf, s->bm2, BM_BYTES);
			st = trim_block(vc, kd, b, s->dbuf, &any, &err);
			s->data = s->dbuf;
		}
	}
	if (st) {
		if (!kd->bm_failed) {
			kd->bm_err = err;
			kd->bm_failed = 1;
		}
		return NULL;
	}
	s->blk = b;
	s->used = kd->clock;
	kd->hint = victim;
	return s;
}

/* Read pfn's descriptor; CS_NODATA when it was never written. */
static enum cs_status get_desc(const struct cs_vmcore *vc, const struct kd *kd, uint64_t pfn,
			       uint64_t rank, uint64_t *off, uint32_t *size, uint32_t *flags,
			       uint64_t *doffp, struct cs_err *err)
{
	uint64_t doff = kd->desc_off + rank * PD_SIZE;
	uint8_t pd[PD_SIZE];
	enum cs_status st;

	*doffp = doff;
	if (doff + PD_SIZE > vc->file_size) {
		if (vc->incomplete)
			return cs_fail(err, CS_NODATA, "pfn %#llx was not written (incomplete dump)",
				       (unsigned long long)pfn);
		return cs_fail(err, CS_CORRUPT,
			       "%s: pfn %#llx: page descriptor at %#llx is beyond the end of the file (%#llx bytes)",
			       vc->path, (unsigned long long)pfn, (unsigned long long)doff,
			       (unsigned long long)vc->file_size);
	}
	st = cs_src_pread(vc, pd, sizeof(pd), doff, err);
	if (st)
		return cs_err_prefix(err, "cannot read the page descriptor of pfn %#llx",
				     (unsigned long long)pfn);
	*off = cs_get_le64(pd);
	*size = cs_get_le32(pd + 8);
	*flags = cs_get_le32(pd + 12);
	/* offset 0 is the header: a descriptor never written (crash: incomplete) */
	if (*off == 0)
		return cs_fail(err, CS_NODATA, "pfn %#llx was not written (incomplete dump)",
			       (unsigned long long)pfn);
	if (*size == 0 || *size > kd->bs)
		return cs_fail(err, CS_CORRUPT,
			       "%s: pfn %#llx: page descriptor at %#llx: bad size %u (block size %u)",
			       vc->path, (unsigned long long)pfn, (unsigned long long)doff, *size, kd->bs);
	if (*off > vc->file_size || *size > vc->file_size - *off) {
		if (vc->incomplete)
			return cs_fail(err, CS_NODATA, "pfn %#llx was not written (incomplete dump)",
				       (unsigned long long)pfn);
		return cs_fail(err, CS_CORRUPT,
			       "%s: pfn %#llx: page data at %#llx (%u bytes) is beyond the end of the file (%#llx bytes)",
			       vc->path, (unsigned long long)pfn, (unsigned long long)*off, *size,
			       (unsigned long long)vc->file_size);
	}
	if (*flags & ~CODEC_FLAGS || (*flags & (*flags - 1)))
		return cs_fail(err, CS_CORRUPT,
			       "%s: pfn %#llx: page descriptor at %#llx: unknown compression flags %#x",
			       vc->path, (unsigned long long)pfn, (unsigned long long)doff, *flags);
	if (!*flags && *size != kd->bs)
		return cs_fail(err, CS_CORRUPT,
			       "%s: pfn %#llx: page descriptor at %#llx: raw page of %u bytes (block size %u)",
			       vc->path, (unsigned long long)pfn, (unsigned long long)doff, *size, kd->bs);
	return CS_OK;
}

static enum cs_status kdump_read_page(const struct cs_vmcore *vc, uint64_t pfn, void *buf,
				      struct cs_err *err)
{
	struct kd *kd = vc->priv;
	uint64_t off = 0, doff;
	uint32_t size = 0, flags = 0;
	const struct cs_codec *c;
	const struct bmslot *b;
	struct dslot *s;
	void **state;
	uint64_t rank = 0;
	int has = 0, failed;
	enum cs_status st;

	if (pfn >= kd->max_mapnr)
		return cs_fail(err, CS_NODATA, "pfn %#llx is not in the dump",
			       (unsigned long long)pfn);
	pthread_mutex_lock(&kd->bmlock);
	b = bm_block(vc, kd, pfn >> BM_SHIFT);
	if (b) {
		has = bit(b->data, pfn & BM_MASK);
		if (has)
			rank = rank_of(kd, b, pfn);
	}
	failed = kd->bm_failed;
	if (failed)
		*err = kd->bm_err;
	pthread_mutex_unlock(&kd->bmlock);
	if (failed)
		return err->status;
	if (!has)
		return cs_fail(err, CS_NODATA, "pfn %#llx is not in the dump",
			       (unsigned long long)pfn);
	st = get_desc(vc, kd, pfn, rank, &off, &size, &flags, &doff, err);
	if (st)
		return st;
	if (!flags) {
		st = cs_src_pread(vc, buf, kd->bs, off, err);
		return st ? cs_err_prefix(err, "cannot read pfn %#llx", (unsigned long long)pfn) : st;
	}
	c = cs_codec_by_flag(flags);
	if (!c || !c->built)
		return cs_fail(err, CS_NOTSUPP, "%s: pfn %#llx is compressed with %s: not built with %s",
			       vc->path, (unsigned long long)pfn, c ? c->name : "?",
			       c ? c->name : "?");
	s = slot_get(kd);
	if (!s)
		return cs_fail_nomem(err);
	state = &s->state[flag_slot(flags)];
	st = CS_OK;
	if (!*state)
		st = c->init(state, 0, kd->bs, err);
	if (st == CS_OK) {
		st = cs_src_pread(vc, s->in, size, off, err);
		if (st)
			cs_err_prefix(err, "cannot read pfn %#llx", (unsigned long long)pfn);
	}
	if (st == CS_OK) {
		st = c->decompress(*state, s->in, size, buf, kd->bs, err);
		if (st) {
			st = CS_CORRUPT;
			err->status = st;
			cs_err_prefix(err, "%s: pfn %#llx: cannot decompress %u bytes of %s data at offset %#llx",
				      vc->path, (unsigned long long)pfn, size, c->name,
				      (unsigned long long)off);
		}
	}
	slot_put(kd, s);
	return st;
}

static enum cs_status kdump_read_phys(const struct cs_vmcore *vc, uint64_t paddr, void *buf,
				      size_t len, struct cs_err *err)
{
	struct kd *kd = vc->priv;
	uint8_t *p = buf;

	while (len) {
		uint64_t pfn = paddr / kd->bs, in = paddr % kd->bs;
		size_t n = kd->bs - in < len ? (size_t)(kd->bs - in) : len;
		unsigned int ci = (unsigned int)(pfn % CACHE_PAGES);
		int hit;

		pthread_mutex_lock(&kd->lock);
		hit = kd->cache_pfn[ci] == pfn;
		if (hit)
			memcpy(p, kd->cache + (size_t)ci * kd->bs + in, n);
		pthread_mutex_unlock(&kd->lock);
		if (!hit) {
			struct dslot *s = slot_get(kd);
			enum cs_status st;

			if (!s)
				return cs_fail_nomem(err);
			st = kdump_read_page(vc, pfn, s->page, err);
			if (st) {
				slot_put(kd, s);
				if (st == CS_NODATA)
					return cs_fail(err, CS_NODATA,
						       "physical address %#llx is not in the dump",
						       (unsigned long long)paddr);
				return st;
			}
			memcpy(p, s->page + in, n);
			pthread_mutex_lock(&kd->lock);
			memcpy(kd->cache + (size_t)ci * kd->bs, s->page, kd->bs);
			kd->cache_pfn[ci] = pfn;
			pthread_mutex_unlock(&kd->lock);
			slot_put(kd, s);
		}
		p += n;
		paddr += n;
		len -= n;
	}
	return CS_OK;
}

/* bit @pfn of one of a block's bitmaps (@which: 0 present, 1 data) */
static int cached_bit(const struct cs_vmcore *vc, uint64_t pfn, int which)
{
	struct kd *kd = vc->priv;
	const struct bmslot *s;
	int on = 0;

	if (pfn >= kd->max_mapnr)
		return 0;
	pthread_mutex_lock(&kd->bmlock);
	s = bm_block(vc, kd, pfn >> BM_SHIFT);
	if (s)
		on = bit(which ? s->data : s->present, pfn & BM_MASK);
	pthread_mutex_unlock(&kd->bmlock);
	return on;
}

static int kdump_pfn_present(const struct cs_vmcore *vc, uint64_t pfn)
{
	return cached_bit(vc, pfn, 0);
}

static int kdump_pfn_has_data(const struct cs_vmcore *vc, uint64_t pfn)
{
	return cached_bit(vc, pfn, 1);
}

/* ORs the bits into @present and @data (the caller zeroed them; a split set
 * ORs its members' ranges into one buffer: filter/source_split.c). */
static void kdump_bitmaps(const struct cs_vmcore *vc, uint8_t *present, uint8_t *data,
			  uint64_t start, uint64_t end)
{
	struct kd *kd = vc->priv;
	uint64_t n = end < kd->max_mapnr ? end : kd->max_mapnr;

	for (uint64_t pfn = start; pfn < n;) {
		uint64_t b = pfn >> BM_SHIFT, e = (b + 1) << BM_SHIFT, full;
		const struct bmslot *s;

		if (e > n)
			e = n;
		full = (e - pfn) / 8;
		pthread_mutex_lock(&kd->bmlock);
		s = bm_block(vc, kd, b);
		if (s) {
			const uint8_t *sp = s->present + (pfn & BM_MASK) / 8;
			const uint8_t *sd = s->data + (pfn & BM_MASK) / 8;
			uint8_t *op = present + (pfn - start) / 8, *od = data + (pfn - start) / 8;

			for (uint64_t i = 0; i < full; i++) {
				op[i] |= sp[i];
				od[i] |= sd[i];
			}
			for (uint64_t q = pfn + full * 8; q < e; q++) {
				uint64_t i = q - start;

				if (bit(s->present, q & BM_MASK))
					present[i >> 3] |= (uint8_t)(1u << (i & 7));
				if (bit(s->data, q & BM_MASK))
					data[i >> 3] |= (uint8_t)(1u << (i & 7));
			}
		}
		pthread_mutex_unlock(&kd->bmlock);
		pfn = e;
	}
}

static void kdump_close(struct cs_vmcore *vc)
{
	struct kd *kd = vc->priv;

	if (!kd)
		return;
	while (kd->free) {
		struct dslot *s = kd->free;

		kd->free = s->next;
		slot_destroy(s);
	}
	for (unsigned int i = 0; i < kd->nslots; i++) {
		free(kd->slot[i].present);
		free(kd->slot[i].bm2);
		free(kd->slot[i].dbuf);
	}
	free(kd->trim);
	free(kd->rank);
	free(kd->cache);
	pthread_mutex_destroy(&kd->bmlock);
	pthread_mutex_destroy(&kd->lock);
	free(kd);
	vc->priv = NULL;
}

/* The present pfns as segments (runs of the 1st bitmap), so that a writer
 * laying out ELF program headers from vc->seg (-E) works on a kdump input.
 * file_off is meaningless here: page data is only read through the ops.
 * Built while open streams the bitmaps: segs_feed() per block in pfn order,
 * then segs_end(). */
struct segs {
	size_t n, cap;
	uint64_t start;
	int in;
};

static enum cs_status seg_add(struct cs_vmcore *vc, struct segs *g, uint64_t end, unsigned int bs,
			      struct cs_err *err)
{
	struct cs_segment *sg;

	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 16;

		sg = realloc(vc->seg, cap * sizeof(*sg));
		if (!sg)
			return cs_fail_nomem(err);
		vc->seg = sg;
		g->cap = cap;
	}
	sg = &vc->seg[g->n++];
	memset(sg, 0, sizeof(*sg));
	sg->phys = g->start * bs;
	sg->mem_size = sg->file_size = (end - g->start) * bs;
	g->in = 0;
	return CS_OK;
}

/* @present: the block's bits for pfns [base, base + n) */
static enum cs_status segs_feed(struct cs_vmcore *vc, struct segs *g, const uint8_t *present,
				uint64_t base, uint64_t n, unsigned int bs, struct cs_err *err)
{
	for (uint64_t i = 0; i < n; i++) {
		int on;

		if (!(i & 63) && i + 64 <= n) {
			uint64_t a;

			memcpy(&a, present + i / 8, 8);
			if (a == (g->in ? UINT64_MAX : 0)) {
				i += 63;
				continue;
			}
		}
		on = bit(present, i);
		if (on && !g->in) {
			g->start = base + i;
			g->in = 1;
		} else if (!on && g->in) {
			enum cs_status st = seg_add(vc, g, base + i, bs, err);

			if (st)
				return st;
		}
	}
	return CS_OK;
}

static enum cs_status segs_end(struct cs_vmcore *vc, struct segs *g, uint64_t max_mapnr,
			       unsigned int bs, struct cs_err *err)
{
	if (g->in) {
		enum cs_status st = seg_add(vc, g, max_mapnr, bs, err);

		if (st)
			return st;
	}
	if (!vc->seg) {
		vc->seg = calloc(1, sizeof(*vc->seg));
		if (!vc->seg)
			return cs_fail_nomem(err);
	}
	vc->nseg = g->n;
	return CS_OK;
}

/* Read the bitmaps once, in order, for what is kept of them whole: the rank
 * table, the descriptor count, the present runs and (incomplete dumps) the
 * blocks with unwritten pages. */
static enum cs_status scan_bitmaps(struct cs_vmcore *vc, struct kd *kd, struct cs_err *err)
{
	uint8_t *bm1 = malloc(OPEN_BLOCKS * BM_BYTES), *bm2 = malloc(OPEN_BLOCKS * BM_BYTES);
	struct segs g = { 0, 0, 0, 0 };
	uint64_t n = 0;
	enum cs_status st = CS_OK;

	if (!bm1 || !bm2) {
		st = cs_fail_nomem(err);
		goto out;
	}
	for (uint64_t b0 = 0; b0 < kd->nblocks && st == CS_OK; b0 += OPEN_BLOCKS) {
		uint64_t nb = kd->nblocks - b0 < OPEN_BLOCKS ? kd->nblocks - b0 : OPEN_BLOCKS;

		st = read_blocks(vc, kd, b0, nb, bm1, bm2, err);
		for (uint64_t j = 0; j < nb && st == CS_OK; j++) {
			uint64_t b = b0 + j, base = b << BM_SHIFT;
			uint64_t np = kd->max_mapnr - base < BM_BLOCK ? kd->max_mapnr - base : BM_BLOCK;
			uint8_t *p1 = bm1 + j * BM_BYTES, *p2 = bm2 + j * BM_BYTES;
			int any;

			prep_block(vc, kd, b, p1, p2);
			for (uint64_t q = 0; q < np; q += 64) {
				uint64_t v;

				if (!(q & ((1u << RANK_SHIFT) - 1)))
					kd->rank[(base + q) >> RANK_SHIFT] = n;
				memcpy(&v, p2 + q / 8, 8);
				n += (uint64_t)__builtin_popcountll(v);
			}
			st = segs_feed(vc, &g, p1, base, np, kd->bs, err);
			if (st == CS_OK && kd->trim) {
				st = trim_block(vc, kd, b, p2, &any, err);
				if (any)
					kd->trim[b >> 3] |= (uint8_t)(1u << (b & 7));
			}
		}
	}
	kd->ndesc = n;
	if (st == CS_OK)
		st = segs_end(vc, &g, kd->max_mapnr, kd->bs, err);
out:
	free(bm1);
	free(bm2);
	return st;
}

/* Is [off, off + size) inside the file? */
static int in_file(const struct cs_vmcore *vc, uint64_t off, uint64_t size)
{
	return off <= vc->file_size && size <= vc->file_size - off;
}

/* notes (v4+) or, for v3, the bare VMCOREINFO text wrapped in a note so the
 * writer can copy notes verbatim */
static enum cs_status read_notes(struct cs_vmcore *vc, unsigned int version, const uint8_t *sh,
				 struct cs_err *err)
{
	uint64_t noff = 0, nsize = 0, voff = 0, vsize = 0;
	enum cs_status st;

	if (version >= 4) {
		noff = cs_get_le64(sh + S_OFF_NOTE);
		nsize = cs_get_le64(sh + S_SIZE_NOTE);
	}
	if (version >= 3) {
		voff = cs_get_le64(sh + S_OFF_VMCOREINFO);
		vsize = cs_get_le64(sh + S_SIZE_VMCOREINFO);
	}
	if (nsize > MAX_NOTES_SIZE || (nsize && !in_file(vc, noff, nsize)))
		return cs_fail(err, CS_CORRUPT,
			       "%s: ELF notes (offset %#llx, size %#llx) are beyond the end of the file (%#llx bytes)",
			       vc->path, (unsigned long long)noff, (unsigned long long)nsize,
			       (unsigned long long)vc->file_size);
	if (vsize > MAX_NOTES_SIZE || (vsize && !in_file(vc, voff, vsize)))
		return cs_fail(err, CS_CORRUPT,
			       "%s: VMCOREINFO (offset %#llx, size %#llx) is beyond the end of the file (%#llx bytes)",
			       vc->path, (unsigned long long)voff, (unsigned long long)vsize,
			       (unsigned long long)vc->file_size);
	vc->notes = malloc(nsize + 24 + vsize + 4);
	if (!vc->notes)
		return cs_fail_nomem(err);
	if (nsize) {
		st = cs_src_pread(vc, vc->notes, nsize, noff, err);
		if (st)
			return cs_err_prefix(err, "cannot read notes");
		vc->notes_size = nsize;
		st = cs_src_scan_notes(vc, 0, nsize, err);
		if (st)
			return st;
	}
	if (!vc->vmcoreinfo && vsize) {
		uint8_t *n = vc->notes + nsize;

		cs_put_le32(n, 11);
		cs_put_le32(n + 4, (uint32_t)vsize);
		cs_put_le32(n + 8, 0);
		memcpy(n + 12, "VMCOREINFO\0\0", 12);
		st = cs_src_pread(vc, n + 24, vsize, voff, err);
		if (st)
			return cs_err_prefix(err, "cannot read VMCOREINFO");
		memset(n + 24 + vsize, 0, (4 - vsize % 4) % 4);
		vc->notes_size = nsize + 24 + ((vsize + 3) & ~(uint64_t)3);
		st = cs_src_scan_notes(vc, nsize, vc->notes_size - nsize, err);
		if (st)
			return st;
	}
	return CS_OK;
}

static enum cs_status kdump_open(struct cs_vmcore *vc, struct cs_err *err)
{
	uint8_t h[H_SIZE], sh[S_SIZE];
	unsigned int version, bs, sub_blocks, bm_blocks;
	uint64_t max_mapnr, one_bm, bm_off, bm_bytes;
	struct kd *kd;
	enum cs_status st;
	char machine[66];

	if (vc->file_size && vc->file_size < H_SIZE)
		return cs_fail(err, CS_CORRUPT, "%s: kdump header cut short (%llu bytes)",
			       vc->path, (unsigned long long)vc->file_size);
	if (!vc->file_size)
		return cs_fail(err, CS_NOTSUPP, "%s: a kdump-compressed input must be a regular file",
			       vc->path);
	st = cs_src_pread(vc, h, sizeof(h), 0, err);
	if (st)
		return cs_err_prefix(err, "cannot read the kdump header");
	version = cs_get_le32(h + H_VERSION);
	bs = cs_get_le32(h + H_BLOCK_SIZE);
	sub_blocks = cs_get_le32(h + H_SUB_HDR_SIZE);
	bm_blocks = cs_get_le32(h + H_BITMAP_BLOCKS);
	vc->status = cs_get_le32(h + H_STATUS);
	if (vc->status & ST_INCOMPLETE)
		vc->incomplete = 1;
	if (version < 1 || version > 6)
		return cs_fail(err, CS_NOTSUPP, "%s: kdump header version %u (1-6 supported)",
			       vc->path, version);
	if (bs < 512 || bs > (1u << 20) || (bs & (bs - 1)))
		return cs_fail(err, CS_CORRUPT, "%s: bad kdump block size %u", vc->path, bs);
	if (sub_blocks < 1 || (uint64_t)sub_blocks * bs > vc->file_size - bs)
		return cs_fail(err, CS_CORRUPT,
			       "%s: kdump sub-header (%u blocks) extends beyond the end of the file (%#llx bytes)",
			       vc->path, sub_blocks, (unsigned long long)vc->file_size);
	st = cs_src_pread(vc, sh, sizeof(sh), bs, err);
	if (st)
		return cs_err_prefix(err, "cannot read the kdump sub-header");
	max_mapnr = version >= 6 ? cs_get_le64(sh + S_MAX_MAPNR_64) : cs_get_le32(h + H_MAX_MAPNR);
	if (max_mapnr == 0 || max_mapnr > MAX_MAPNR_LIMIT)
		return cs_fail(err, CS_CORRUPT, "%s: absurd max_mapnr %#llx", vc->path,
			       (unsigned long long)max_mapnr);
	bm_bytes = (max_mapnr + 7) / 8;
	one_bm = (bm_bytes + bs - 1) / bs;
	if (bm_blocks != 2 * one_bm)
		return cs_fail(err, CS_CORRUPT,
			       "%s: bitmap_blocks %u is not twice one bitmap of %llu blocks (max_mapnr %#llx)",
			       vc->path, bm_blocks, (unsigned long long)one_bm,
			       (unsigned long long)max_mapnr);
	bm_off = (uint64_t)(1 + sub_blocks) * bs;
	if (!in_file(vc, bm_off, (uint64_t)bm_blocks * bs))
		return cs_fail(err, CS_CORRUPT,
			       "%s: bitmaps (offset %#llx, %u blocks) extend beyond the end of the file (%#llx bytes)",
			       vc->path, (unsigned long long)bm_off, bm_blocks,
			       (unsigned long long)vc->file_size);
	if (version >= 2 && cs_get_le32(sh + S_SPLIT)) {
		/* one file of a --split set: only [start, end) is ours; the set
		 * is put together by filter/source_split.c */
		vc->split = 1;
		vc->split_start = cs_get_le64(sh + (version >= 6 ? S_START_PFN_64 : S_START_PFN));
		vc->split_end = cs_get_le64(sh + (version >= 6 ? S_END_PFN_64 : S_END_PFN));
		if (vc->split_start > vc->split_end || vc->split_end > max_mapnr)
			return cs_fail(err, CS_CORRUPT,
				       "%s: --split file range pfns %#llx-%#llx is outside max_mapnr %#llx",
				       vc->path, (unsigned long long)vc->split_start,
				       (unsigned long long)vc->split_end, (unsigned long long)max_mapnr);
	}
	vc->dump_level = cs_get_le32(sh + S_DUMP_LEVEL);
	if (vc->dump_level > 31)
		return cs_fail(err, CS_CORRUPT, "%s: bad dump level %u in the kdump sub-header",
			       vc->path, vc->dump_level);
	if ((vc->status & CODEC_FLAGS) && (vc->status & CODEC_FLAGS & ((vc->status & CODEC_FLAGS) - 1)))
		return cs_fail(err, CS_CORRUPT, "%s: kdump header status %#x names several codecs",
			       vc->path, vc->status);
	if (vc->status & CODEC_FLAGS) {
		const struct cs_codec *c = cs_codec_by_flag(vc->status & CODEC_FLAGS);

		if (c && !c->built)
			return cs_fail(err, CS_NOTSUPP, "%s: compressed with %s: not built with %s",
				       vc->path, c->name, c->name);
	}

	memcpy(machine, h + H_MACHINE, 65);
	machine[65] = '\0';
	if (strcmp(machine, "x86_64") == 0)
		vc->machine = 62;	/* EM_X86_64 */
	else if (strcmp(machine, "aarch64") == 0)
		vc->machine = 183;	/* EM_AARCH64 */
	vc->elf_class = 2;
	vc->page_size = bs;
	vc->max_pfn = max_mapnr;

	st = read_notes(vc, version, sh, err);
	if (st)
		return st;
	if (!vc->nr_cpus && (int32_t)cs_get_le32(h + H_NR_CPUS) > 0)
		vc->nr_cpus = cs_get_le32(h + H_NR_CPUS);

	if (version >= 5) {
		uint64_t eoff = cs_get_le64(sh + S_OFF_ERASEINFO);
		uint64_t esize = cs_get_le64(sh + S_SIZE_ERASEINFO);

		if (esize && (esize > MAX_ERASEINFO || !in_file(vc, eoff, esize) || eoff < bm_off)) {
			if (!vc->incomplete)
				return cs_fail(err, CS_CORRUPT,
					       "%s: eraseinfo (offset %#llx, size %#llx) is beyond the end of the file (%#llx bytes)",
					       vc->path, (unsigned long long)eoff,
					       (unsigned long long)esize,
					       (unsigned long long)vc->file_size);
		} else if (esize) {
			vc->eraseinfo = malloc(esize);
			if (!vc->eraseinfo)
				return cs_fail_nomem(err);
			st = cs_src_pread(vc, vc->eraseinfo, esize, eoff, err);
			if (st)
				return cs_err_prefix(err, "cannot read eraseinfo");
			vc->eraseinfo_size = esize;
		}
	}

	kd = calloc(1, sizeof(*kd));
	if (!kd)
		return cs_fail_nomem(err);
	pthread_mutex_init(&kd->lock, NULL);
	pthread_mutex_init(&kd->bmlock, NULL);
	vc->priv = kd;
	kd->bs = bs;
	kd->max_mapnr = max_mapnr;
	kd->bm_off = bm_off;
	kd->bm2_off = bm_off + one_bm * bs;
	kd->bm_bytes = bm_bytes;
	kd->nblocks = (max_mapnr + BM_MASK) >> BM_SHIFT;
	kd->desc_off = bm_off + (uint64_t)bm_blocks * bs;
	kd->rank = malloc(((max_mapnr >> RANK_SHIFT) + 1) * sizeof(*kd->rank));
	kd->cache = malloc((size_t)CACHE_PAGES * bs);
	if (!kd->rank || !kd->cache)
		return cs_fail_nomem(err);
	for (unsigned int i = 0; i < CACHE_PAGES; i++)
		kd->cache_pfn[i] = UINT64_MAX;
	kd->nslots = kd->nblocks < BM_SLOTS ? (unsigned int)kd->nblocks : BM_SLOTS;
	for (unsigned int i = 0; i < kd->nslots; i++) {
		struct bmslot *s = &kd->slot[i];

		s->blk = UINT64_MAX;
		s->present = malloc(BM_BYTES);
		s->bm2 = malloc(BM_BYTES);
		if (vc->incomplete)
			s->dbuf = malloc(BM_BYTES);
		if (!s->present || !s->bm2 || (vc->incomplete && !s->dbuf))
			return cs_fail_nomem(err);
	}
	if (vc->incomplete) {
		kd->trim = calloc((kd->nblocks + 7) / 8, 1);
		if (!kd->trim)
			return cs_fail_nomem(err);
	}
	st = scan_bitmaps(vc, kd, err);
	if (st)
		return st;
	if (!vc->incomplete && !in_file(vc, kd->desc_off, kd->ndesc * PD_SIZE))
		return cs_fail(err, CS_CORRUPT,
			       "%s: page descriptor table (offset %#llx, %llu entries) extends beyond the end of the file (%#llx bytes)",
			       vc->path, (unsigned long long)kd->desc_off,
			       (unsigned long long)kd->ndesc, (unsigned long long)vc->file_size);
	vc->format = vc->flat ? "flattened kdump" : "kdump";
	return CS_OK;
}

const struct cs_source_ops cs_source_kdump = {
	.name = "kdump",
	.open = kdump_open,
	.close = kdump_close,
	.read_phys = kdump_read_phys,
	.read_page = kdump_read_page,
	.pfn_present = kdump_pfn_present,
	.pfn_has_data = kdump_pfn_has_data,
	.bitmaps = kdump_bitmaps,
};
