/* kdump_writer.c - the kdump-compressed writer (doc/kdump-format.md).
 *
 * Everything before the page data is known when the writer is created: the
 * header, sub-header, notes and both bitmaps are written at once (block by
 * block when the plan holds them a window at a time, filter/plan.h), and the
 * descriptor table is reserved (one 24-byte descriptor per kept pfn of the
 * plan's view).  Page data is appended through a write cache in the order
 * the pages arrive; each page's descriptor slot is its rank in the plan
 * (kept pfns before it: a block summary plus a popcount inside the block),
 * so the data may arrive in any pfn order (the analyst order of
 * collector/order.h).  Descriptors are collected in a fixed window of
 * slots and written as runs of filled slots, always after the data they
 * point to, so a dump cut short (ENOSPC, -L) never has a descriptor naming
 * data that is not on disk: missing descriptors read as offset 0, which
 * readers treat as "not written".
 *
 * Nothing is allocated per page; mark_incomplete allocates nothing.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/kdump_format.h"
#include "collector/writer.h"
#include "compress/codec.h"
#include "lib/io.h"

#define DATA_CACHE_SIZE		CS_KDUMP_DATA_CACHE	/* write-cache for page data */
#define DESC_WINDOW		CS_KDUMP_DESC_WINDOW	/* descriptor slots buffered (48 KiB) */

#define CODEC_FLAGS (CS_DH_COMPRESSED_ZLIB | CS_DH_COMPRESSED_LZO | \
		     CS_DH_COMPRESSED_SNAPPY | CS_DH_COMPRESSED_ZSTD)

struct cs_writer {
	struct cs_target *t;
	const struct cs_vmcore *vc;	/* for the input's eraseinfo (borrowed) */
	unsigned int bs;		/* block size = page size */
	unsigned int dump_level;
	uint64_t max_mapnr;
	const struct cs_plan *plan;	/* kept pfns and their ranks (borrowed) */

	struct cs_kdump_header hdr;	/* kept for the incomplete flag */
	uint64_t ndesc;			/* descriptors reserved */
	uint64_t desc_off;		/* file offset of descriptor 0 */
	uint64_t data_start;		/* first data byte (the shared zero page) */
	uint64_t data_end;		/* next data byte to hand out */
	uint64_t data_on_disk;		/* data below this offset reached the target */
	int have_zero_page;

	uint8_t *cache;			/* data bytes for [cache_off, +cache_len) */
	size_t cache_len;
	uint64_t cache_off;

	struct cs_kdump_page_desc *win;	/* descriptors [win_start, +DESC_WINDOW) */
	uint64_t win_start;
	uint8_t win_filled[DESC_WINDOW / 8];
	unsigned int win_count;
	/* the last kept pfn given a descriptor and its index: the next pfn's
	 * index without a rank query (pages mostly come in runs) */
	uint64_t last_pfn, last_idx;
	int have_last;

	uint64_t pages_done;
	uint64_t bytes;
};

static enum cs_status put(struct cs_writer *w, const void *buf, size_t len, uint64_t off,
			  struct cs_err *err)
{
	enum cs_status st = cs_target_pwrite(w->t, buf, len, off, err);

	if (st == CS_OK)
		w->bytes += len;
	return st;
}

static enum cs_status flush_data(struct cs_writer *w, struct cs_err *err)
{
	enum cs_status st;

	if (!w->cache_len)
		return CS_OK;
	st = put(w, w->cache, w->cache_len, w->cache_off, err);
	if (st != CS_OK)
		return cs_err_prefix(err, "cannot write page data");
	w->cache_off += w->cache_len;
	w->cache_len = 0;
	w->data_on_disk = w->cache_off;
	return CS_OK;
}

/* After a failed flush: write the cache block by block so that every page
 * that fits before the limit / full disk still counts as on disk. */
static void salvage_data(struct cs_writer *w)
{
	struct cs_err ignored;
	size_t done = 0;

	while (done < w->cache_len) {
		size_t n = w->cache_len - done < w->bs ? w->cache_len - done : w->bs;

		if (put(w, w->cache + done, n, w->cache_off + done, &ignored) != CS_OK)
			break;
		done += n;
	}
	memmove(w->cache, w->cache + done, w->cache_len - done);
	w->cache_off += done;
	w->cache_len -= done;
	w->data_on_disk = w->cache_off;
}

static int slot_ready(const struct cs_writer *w, unsigned int i)
{
	const struct cs_kdump_page_desc *d = &w->win[i];

	if (!(w->win_filled[i / 8] >> (i % 8) & 1))
		return 0;
	/* only descriptors whose data is already on disk */
	return cs_get_le64(d->offset) + cs_get_le32(d->size) <= w->data_on_disk;
}

/* Write the filled slots of the window (in runs) after flushing the data
 * they point to; on failure, still write those whose data made it. */
static enum cs_status flush_descs(struct cs_writer *w, struct cs_err *err)
{
	enum cs_status st = flush_data(w, err), st2;
	unsigned int i = 0, j;

	while (i < DESC_WINDOW) {
		if (!slot_ready(w, i)) {
			i++;
			continue;
		}
		for (j = i + 1; j < DESC_WINDOW && slot_ready(w, j); j++)
			;
		st2 = put(w, &w->win[i], (size_t)(j - i) * sizeof(w->win[0]),
			  w->desc_off + (w->win_start + i) * sizeof(w->win[0]), err);
		if (st2 != CS_OK) {
			cs_err_prefix(err, "cannot write page descriptors");
			return st2;
		}
		i = j;
	}
	if (st != CS_OK)
		return st;
	memset(w->win_filled, 0, sizeof(w->win_filled));
	w->win_count = 0;
	return CS_OK;
}

static enum cs_status set_desc(struct cs_writer *w, uint64_t pfn, uint64_t off,
			       uint32_t size, uint32_t flags, struct cs_err *err)
{
	uint64_t idx;
	unsigned int slot;
	struct cs_kdump_page_desc *d;
	enum cs_status st;

	if (!cs_plan_kept(w->plan, pfn))
		return cs_fail(err, CS_INVALID,
			       "kdump writer: pfn %#llx is not in the 2nd bitmap",
			       (unsigned long long)pfn);
	if (w->have_last && pfn == w->last_pfn + 1)
		idx = w->last_idx + 1;	/* both kept: adjacent ranks */
	else
		idx = cs_plan_rank(w->plan, pfn);
	w->last_pfn = pfn;
	w->last_idx = idx;
	w->have_last = 1;
	if (idx < w->win_start || idx >= w->win_start + DESC_WINDOW) {
		st = flush_descs(w, err);
		if (st != CS_OK)
			return st;
		w->win_start = idx / DESC_WINDOW * DESC_WINDOW;
	}
	slot = (unsigned int)(idx - w->win_start);
	if (w->win_filled[slot / 8] >> (slot % 8) & 1)
		return cs_fail(err, CS_INVALID, "kdump writer: pfn %#llx written twice",
			       (unsigned long long)pfn);
	d = &w->win[slot];
	cs_put_le64(d->offset, off);
	cs_put_le32(d->size, size);
	cs_put_le32(d->flags, flags);
	cs_put_le64(d->page_flags, 0);
	w->win_filled[slot / 8] |= (uint8_t)(1u << (slot % 8));
	w->win_count++;
	w->pages_done++;
	return CS_OK;
}

/* append page data to the cache; *@off = its file offset */
static enum cs_status add_data(struct cs_writer *w, const void *data, size_t len,
			       uint64_t *off, struct cs_err *err)
{
	enum cs_status st;

	if (w->cache_len + len > DATA_CACHE_SIZE) {
		st = flush_data(w, err);
		if (st != CS_OK)
			return st;
	}
	memcpy(w->cache + w->cache_len, data, len);
	w->cache_len += len;
	*off = w->data_end;
	w->data_end += len;
	return CS_OK;
}

static enum cs_status kdump_page(struct cs_writer *w, uint64_t pfn, const void *data,
				 size_t len, uint32_t flags, struct cs_err *err)
{
	uint64_t off;
	enum cs_status st;

	if (len == 0 || len > w->bs || (flags == 0 && len != w->bs) ||
	    (flags & ~CODEC_FLAGS) || (flags & (flags - 1)))
		return cs_fail(err, CS_INVALID,
			       "kdump writer: pfn %#llx: bad page (%zu bytes, flags %#x)",
			       (unsigned long long)pfn, len, flags);
	if (!cs_plan_kept(w->plan, pfn))
		return cs_fail(err, CS_INVALID,
			       "kdump writer: pfn %#llx is not in the 2nd bitmap",
			       (unsigned long long)pfn);
	st = add_data(w, data, len, &off, err);
	if (st != CS_OK)
		return st;
	return set_desc(w, pfn, off, (uint32_t)len, flags, err);
}

static enum cs_status kdump_zero_page(struct cs_writer *w, uint64_t pfn, struct cs_err *err)
{
	if (!w->have_zero_page)
		return cs_fail(err, CS_INVALID,
			       "kdump writer: zero page for pfn %#llx at dump level %u (bit 1 not set)",
			       (unsigned long long)pfn, w->dump_level);
	return set_desc(w, pfn, w->data_start, w->bs, 0, err);
}

static enum cs_status write_header(struct cs_writer *w, struct cs_err *err)
{
	enum cs_status st = put(w, &w->hdr, sizeof(w->hdr), 0, err);

	if (st != CS_OK)
		return cs_err_prefix(err, "cannot write the dump header");
	return CS_OK;
}

/* Re-filtering carries the input's eraseinfo over (doc/kdump-format.md §7):
 * appended after the page data, then pointed to from the sub-header. */
static enum cs_status write_eraseinfo(struct cs_writer *w, struct cs_err *err)
{
	const struct cs_vmcore *vc = w->vc;
	uint8_t loc[16];
	enum cs_status st;

	if (!vc || !vc->eraseinfo_size)
		return CS_OK;
	st = put(w, vc->eraseinfo, vc->eraseinfo_size, w->data_end, err);
	if (st != CS_OK)
		return cs_err_prefix(err, "cannot write eraseinfo");
	cs_put_le64(loc, w->data_end);
	cs_put_le64(loc + 8, vc->eraseinfo_size);
	w->data_end += vc->eraseinfo_size;
	st = put(w, loc, sizeof(loc), w->bs + offsetof(struct cs_kdump_sub_header, offset_eraseinfo),
		 err);
	if (st != CS_OK)
		return cs_err_prefix(err, "cannot write the dump header");
	return CS_OK;
}

static enum cs_status kdump_finish(struct cs_writer *w, struct cs_err *err)
{
	enum cs_status st = flush_descs(w, err);

	if (st != CS_OK)
		return st;
	if (w->pages_done != w->ndesc)
		return cs_fail(err, CS_INVALID,
			       "kdump writer: only %llu of %llu kept pages were written",
			       (unsigned long long)w->pages_done, (unsigned long long)w->ndesc);
	return write_eraseinfo(w, err);
}

static enum cs_status kdump_mark_incomplete(struct cs_writer *w, struct cs_err *err)
{
	struct cs_err ignored;

	/* save what fits: data first, then the descriptors pointing at it */
	salvage_data(w);
	flush_descs(w, &ignored);
	cs_put_le32(w->hdr.status, cs_get_le32(w->hdr.status) | CS_DH_COMPRESSED_INCOMPLETE);
	return write_header(w, err);
}

static void kdump_destroy(struct cs_writer *w)
{
	if (!w)
		return;
	free(w->cache);
	free(w->win);
	free(w);
}

static uint64_t kdump_bytes(const struct cs_writer *w)
{
	return w->bytes;
}

/* utsname: from the crashed kernel's init_uts_ns when it can be read and
 * agrees with VMCOREINFO's OSRELEASE, else the minimum crash needs */
static void fill_utsname(struct cs_kdump_header *h, const struct cs_kernel *k)
{
	const struct cs_vmcoreinfo *vi = &k->vi;
	char uts[6 * CS_KDUMP_UTS_LEN];
	struct cs_err ignored;

	if (vi->have.sym_init_uts_ns) {
		uint64_t addr = vi->sym_init_uts_ns +
				(vi->have.off_uts_ns_name ? vi->off_uts_ns_name : 0);

		if (cs_kernel_read_virt(k, addr, uts, sizeof(uts), &ignored) == CS_OK) {
			for (int i = 0; i < 6; i++)
				uts[i * CS_KDUMP_UTS_LEN + CS_KDUMP_UTS_LEN - 1] = '\0';
			if (!vi->have.osrelease ||
			    strcmp(uts + 2 * CS_KDUMP_UTS_LEN, vi->osrelease) == 0) {
				memcpy(h->sysname, uts, sizeof(uts));
				return;
			}
		}
	}
	strcpy(h->sysname, "Linux");
	if (vi->have.osrelease)
		snprintf(h->release, sizeof(h->release), "%.64s", vi->osrelease);
	snprintf(h->machine, sizeof(h->machine), "%.64s", k->arch ? k->arch->name : "x86_64");
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/* write a bitmap of @nbytes meaningful bytes padded with zeros to @len
 * bytes; bits at or beyond max_mapnr are cleared */
static enum cs_status write_bitmap(struct cs_writer *w, const uint8_t *bm, uint64_t nbytes,
				   uint64_t len, uint64_t off, uint8_t *tail,
				   const char *what, struct cs_err *err)
{
	enum cs_status st;
	uint64_t tail_len = len - (nbytes - 1);

	/* the tail (last meaningful byte + padding) is shorter than a block */
	memset(tail, 0, w->bs);
	tail[0] = bm[nbytes - 1];
	if (w->max_mapnr & 7)
		tail[0] &= (uint8_t)((1u << (w->max_mapnr & 7)) - 1);
	st = put(w, bm, nbytes - 1, off, err);
	if (st == CS_OK)
		st = put(w, tail, tail_len, off + nbytes - 1, err);
	if (st != CS_OK)
		return cs_err_prefix(err, "cannot write the %s bitmap", what);
	return CS_OK;
}

/* The same from a plan that holds its bits a window at a time: block by
 * block through the (still unused) data cache, then the zero padding. */
static enum cs_status write_bitmap_blocks(struct cs_writer *w, enum cs_plan_bitmap which,
					  uint64_t len, uint64_t off, uint8_t *tail,
					  const char *what, struct cs_err *err)
{
	const struct cs_plan *p = w->plan;
	enum cs_status st = CS_OK;
	uint64_t done = 0;	/* bytes of the bitmap written */

	w->cache_len = 0;
	for (uint64_t b = 0; b < p->nblocks && st == CS_OK; b++) {
		uint64_t nbits, n;
		const uint8_t *bm = cs_plan_block_bits(p, b, which, &nbits);

		n = (nbits + 7) / 8;
		if (w->cache_len + n > DATA_CACHE_SIZE && w->cache_len) {
			st = put(w, w->cache, w->cache_len, off + done, err);
			done += w->cache_len;
			w->cache_len = 0;
		}
		if (st != CS_OK)
			break;
		if (n > DATA_CACHE_SIZE) {
			st = put(w, bm, n, off + done, err);
			done += n;
			continue;
		}
		memcpy(w->cache + w->cache_len, bm, n);
		if ((nbits & 7) && b + 1 == p->nblocks)
			w->cache[w->cache_len + n - 1] &= (uint8_t)((1u << (nbits & 7)) - 1);
		w->cache_len += n;
	}
	if (st == CS_OK && w->cache_len) {
		st = put(w, w->cache, w->cache_len, off + done, err);
		done += w->cache_len;
	}
	w->cache_len = 0;
	if (st == CS_OK && done < len) {
		memset(tail, 0, w->bs);
		while (st == CS_OK && done < len) {
			uint64_t n = len - done < w->bs ? len - done : w->bs;

			st = put(w, tail, n, off + done, err);
			done += n;
		}
	}
	if (st != CS_OK)
		return cs_err_prefix(err, "cannot write the %s bitmap", what);
	return CS_OK;
}

static enum cs_status kdump_create(struct cs_writer **wp, struct cs_target *t,
				   const struct cs_dump_info *info, struct cs_err *err)
{
	const struct cs_kernel *k = info->k;
	const struct cs_vmcore *vc = k->vc;
	const struct cs_plan *plan = info->plan;
	struct cs_writer *w;
	struct cs_kdump_header *h;
	struct cs_kdump_sub_header *sh;
	uint64_t bs = info->page_size, bm_bytes, bm_len, sub_blocks, nblocks, off;
	size_t notes_size = vc && vc->notes ? vc->notes_size : 0;
	uint8_t *blk = NULL;
	enum cs_status st;

	*wp = NULL;
	if (bs < 512 || bs > (1u << 20) || (bs & (bs - 1)))
		return cs_fail(err, CS_INVALID, "kdump writer: bad page size %llu",
			       (unsigned long long)bs);
	if (!plan->max_mapnr)
		return cs_fail(err, CS_INVALID, "kdump writer: empty page plan");
	if (info->codec_flag & ~CODEC_FLAGS)
		return cs_fail(err, CS_INVALID, "kdump writer: bad codec flag %#x",
			       info->codec_flag);
	w = calloc(1, sizeof(*w));
	if (!w)
		return cs_fail_nomem(err);
	w->t = t;
	w->vc = vc;
	w->bs = (unsigned int)bs;
	w->dump_level = info->dump_level;
	w->max_mapnr = plan->max_mapnr;
	w->plan = plan;
	w->cache = malloc(DATA_CACHE_SIZE);
	w->win = calloc(DESC_WINDOW, sizeof(*w->win));
	if (!w->cache || !w->win) {
		kdump_destroy(w);
		return cs_fail_nomem(err);
	}
	/* one descriptor per kept pfn of the view (a --split file: its range) */
	w->ndesc = plan->kept_pages;

	bm_bytes = div_up(plan->max_mapnr, 8);
	bm_len = div_up(bm_bytes, bs) * bs;
	sub_blocks = div_up(sizeof(*sh) + notes_size, bs);
	nblocks = 1 + sub_blocks + 2 * (bm_len / bs);
	if (sub_blocks > INT32_MAX || 2 * (bm_len / bs) > UINT32_MAX) {
		kdump_destroy(w);
		return cs_fail(err, CS_NOTSUPP, "kdump writer: notes or bitmaps too large");
	}
	w->desc_off = nblocks * bs;
	w->data_start = w->desc_off + w->ndesc * sizeof(struct cs_kdump_page_desc);
	w->data_end = w->cache_off = w->data_on_disk = w->data_start;

	h = &w->hdr;
	memcpy(h->signature, CS_KDUMP_SIGNATURE, 8);
	cs_put_le32(h->header_version, CS_KDUMP_HEADER_VERSION);
	fill_utsname(h, k);
	cs_put_le64(h->tv_sec, k->vi.have.crashtime ? k->vi.crashtime : 0);
	cs_put_le32(h->status, info->codec_flag);
	cs_put_le32(h->block_size, (uint32_t)bs);
	cs_put_le32(h->sub_hdr_size, (uint32_t)sub_blocks);
	cs_put_le32(h->bitmap_blocks, (uint32_t)(2 * (bm_len / bs)));
	cs_put_le32(h->max_mapnr, plan->max_mapnr > UINT32_MAX ? UINT32_MAX
							       : (uint32_t)plan->max_mapnr);
	cs_put_le32(h->nr_cpus, vc ? vc->nr_cpus : 0);

	/* block 0, then sub-header + notes, in one zeroed buffer */
	blk = calloc(1, (size_t)((1 + sub_blocks) * bs));
	if (!blk) {
		kdump_destroy(w);
		return cs_fail_nomem(err);
	}
	memcpy(blk, h, sizeof(*h));
	sh = (struct cs_kdump_sub_header *)(blk + bs);
	cs_put_le64(sh->phys_base, k->vi.have.phys_base ? (uint64_t)k->vi.phys_base : 0);
	cs_put_le32(sh->dump_level, info->dump_level);
	if (vc && vc->vmcoreinfo) {
		cs_put_le64(sh->offset_vmcoreinfo, bs + sizeof(*sh) + vc->vmcoreinfo_off);
		cs_put_le64(sh->size_vmcoreinfo, vc->vmcoreinfo_size);
	}
	if (notes_size) {
		cs_put_le64(sh->offset_note, bs + sizeof(*sh));
		cs_put_le64(sh->size_note, notes_size);
		memcpy(blk + bs + sizeof(*sh), vc->notes, notes_size);
	}
	cs_put_le64(sh->max_mapnr_64, plan->max_mapnr);
	if (info->split) {
		cs_put_le32(sh->split, 1);
		cs_put_le64(sh->start_pfn, info->split_start);
		cs_put_le64(sh->end_pfn, info->split_end);
		cs_put_le64(sh->start_pfn_64, info->split_start);
		cs_put_le64(sh->end_pfn_64, info->split_end);
	}
	st = put(w, blk, (size_t)((1 + sub_blocks) * bs), 0, err);
	if (st != CS_OK) {
		cs_err_prefix(err, "cannot write the dump header");
		goto fail;
	}
	/* both bitmaps of the whole dump, also in a --split file: makedumpfile's
	 * --reassemble and crash take the set's 2nd bitmap from the files */
	off = (1 + sub_blocks) * bs;
	if (cs_plan_whole_bitmap(plan, CS_PLAN_PRESENT) && cs_plan_whole_bitmap(plan, CS_PLAN_KEEP)) {
		st = write_bitmap(w, cs_plan_whole_bitmap(plan, CS_PLAN_PRESENT), bm_bytes, bm_len,
				  off, blk, "1st", err);
		if (st == CS_OK)
			st = write_bitmap(w, cs_plan_whole_bitmap(plan, CS_PLAN_KEEP), bm_bytes,
					  bm_len, off + bm_len, blk, "2nd", err);
	} else {
		st = write_bitmap_blocks(w, CS_PLAN_PRESENT, bm_len, off, blk, "1st", err);
		if (st == CS_OK)
			st = write_bitmap_blocks(w, CS_PLAN_KEEP, bm_len, off + bm_len, blk, "2nd",
						 err);
	}
	if (st != CS_OK)
		goto fail;
	free(blk);
	blk = NULL;

	/* the shared zero page opens the data area */
	if (info->dump_level & 1) {
		memset(w->cache, 0, bs);
		w->cache_len = bs;
		w->data_end += bs;
		w->have_zero_page = 1;
	}
	*wp = w;
	return CS_OK;
fail:
	free(blk);
	kdump_destroy(w);
	return st;
}

const struct cs_writer_ops cs_writer_kdump = {
	.name = "kdump",
	.create = kdump_create,
	.page = kdump_page,
	.zero_page = kdump_zero_page,
	.finish = kdump_finish,
	.mark_incomplete = kdump_mark_incomplete,
	.destroy = kdump_destroy,
	.bytes = kdump_bytes,
};
