/* dmesg.c - extract the crashed kernel's log (see dmesg.h for the three eras).
 *
 * Everything is found through VMCOREINFO and read with cs_kernel_read_virt,
 * so any dump source the filter reads (ELF, kdump-compressed, flattened)
 * works.  Memory is read record by record, never a whole ring at once: a
 * kernel booted with log_buf_len=1G must not exhaust the capture kernel.
 *
 * Robustness rule: a problem confined to one record (bad lpos, text_len past
 * its block, unreadable text) skips or trims that record and the walk goes
 * on; a problem with the chain itself (wild index, cycle, an unreadable
 * descriptor array) ends the walk.
 * Either way the first problem is what the caller gets back, after all the
 * recoverable text has gone to the sink.
 */
#include "filter/dmesg.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/io.h"

/* one extraction */
struct dm {
	const struct cs_kernel *k;
	const struct cs_vmcoreinfo *vi;
	int partial;
	const struct cs_dmesg_sink *sink;
	struct cs_dmesg_stats *stats;
	struct cs_err *err;
	struct cs_err first;	/* first recoverable problem */
	char *out;		/* formatting buffer */
	size_t out_cap;
	uint8_t *text;		/* record text buffer */
	size_t text_cap;
};

/* ---- formatting -------------------------------------------------------- */

/* "[%5lu.%06lu] " of a u64 is at most 1 + 20 + 1 + 6 + 2 characters */
#define PREFIX_MAX 32

size_t cs_dmesg_record_bound(size_t text_len)
{
	/* a byte becomes at most "\n" + indent, or "\xffffffNN" (10) */
	return PREFIX_MAX + text_len * (1 + PREFIX_MAX) + 2;
}

size_t cs_dmesg_format_record(uint64_t ts_nsec, const uint8_t *text, size_t len, char *out)
{
	int indent = snprintf(out, PREFIX_MAX, "[%5" PRIu64 ".%06" PRIu64 "] ",
			      ts_nsec / 1000000000, ts_nsec % 1000000000 / 1000);
	char *p = out + indent;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = text[i];

		if (c == '\n') {
			/* continuation lines line up under the text */
			*p++ = '\n';
			memset(p, ' ', (size_t)indent);
			p += indent;
		} else if ((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\v' || c == '\f' ||
			   c == '\r') {
			/* isprint() || isspace() in the C locale */
			*p++ = (char)c;
		} else if (c < 0x80) {
			p += sprintf(p, "\\x%02x", c);
		} else {
			/* makedumpfile 1.7.2 formats a plain (signed on x86) char
			 * with %02x, so bytes >= 0x80 come out sign-extended,
			 * "\xffffffc3"; we write the same so outputs compare */
			p += sprintf(p, "\\xffffff%02x", c);
		}
	}
	*p++ = '\n';
	return (size_t)(p - out);
}

/* ---- helpers ------------------------------------------------------------ */

/* Remember the first recoverable problem; the walk continues. */
static void problem(struct dm *d, enum cs_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct dm *d, enum cs_status st, const char *fmt, ...)
{
	va_list ap;

	if (d->first.status != CS_OK)
		return;
	d->first.status = st;
	va_start(ap, fmt);
	vsnprintf(d->first.msg, sizeof(d->first.msg), fmt, ap);
	va_end(ap);
}

/* Keep a failed read (already in d->err) as the first problem. */
static void problem_err(struct dm *d)
{
	if (d->first.status == CS_OK)
		d->first = *d->err;
	cs_err_clear(d->err);
}

static enum cs_status rd(struct dm *d, uint64_t va, void *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static enum cs_status rd(struct dm *d, uint64_t va, void *buf, size_t len, const char *fmt, ...)
{
	enum cs_status st = cs_kernel_read_virt(d->k, va, buf, len, d->err);
	char what[160];
	va_list ap;

	if (st == CS_OK)
		return CS_OK;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return cs_err_prefix(d->err, "cannot read %s at %#" PRIx64, what, va);
}

static enum cs_status rd64(struct dm *d, uint64_t va, uint64_t *v, const char *what)
{
	uint8_t b[8];
	enum cs_status st = rd(d, va, b, 8, "%s", what);

	if (st == CS_OK)
		*v = cs_get_le64(b);
	return st;
}

static enum cs_status rd32(struct dm *d, uint64_t va, uint32_t *v, const char *what)
{
	uint8_t b[4];
	enum cs_status st = rd(d, va, b, 4, "%s", what);

	if (st == CS_OK)
		*v = cs_get_le32(b);
	return st;
}

static enum cs_status grow(struct dm *d, size_t text_len)
{
	size_t need = cs_dmesg_record_bound(text_len);

	if (d->out_cap < need) {
		char *p = realloc(d->out, need);

		if (!p)
			return cs_fail_nomem(d->err);
		d->out = p;
		d->out_cap = need;
	}
	if (d->text_cap < text_len + 1) {
		uint8_t *p = realloc(d->text, text_len + 1);

		if (!p)
			return cs_fail_nomem(d->err);
		d->text = p;
		d->text_cap = text_len + 1;
	}
	return CS_OK;
}

/* Read @len bytes of text at @va and write the formatted record.  An
 * unreadable text is a recoverable problem (the record is skipped). */
static enum cs_status emit(struct dm *d, uint64_t ts_nsec, uint64_t va, size_t len,
			   const char *what)
{
	enum cs_status st = grow(d, len);

	if (st)
		return st;
	if (rd(d, va, d->text, len, "%s text", what) != CS_OK) {
		if (d->err->status == CS_NOMEM)
			return CS_NOMEM;
		problem_err(d);
		d->stats->skipped++;
		return CS_OK;
	}
	len = cs_dmesg_format_record(ts_nsec, d->text, len, d->out);
	d->stats->records++;
	return d->sink->write(d->sink->ctx, d->out, len, d->err);
}

/* Name the first of @n keys missing from VMCOREINFO, or NULL. */
struct need {
	int have;
	const char *key;
};

static enum cs_status require(struct dm *d, const char *format, const struct need *n, size_t cnt)
{
	for (size_t i = 0; i < cnt; i++)
		if (!n[i].have)
			return cs_fail(d->err, CS_CORRUPT, "%s log: VMCOREINFO lacks %s",
				       format, n[i].key);
	return CS_OK;
}

#define NEED(field, key) { d->vi->have.field, key }

/* ---- 5.10+: lockless printk_ringbuffer --------------------------------- */

/* kernel/printk/printk_ringbuffer.h (5.10: "printk: add lockless
 * ringbuffer" and "printk: ringbuffer: change representation of states",
 * both merged for v5.10-rc1): the top two bits of a descriptor's state_var are
 * its state, the rest its id; ids count up modulo 2^62.  Only committed (1)
 * and finalized (2) records are complete. */
#define DESC_STATE_SHIFT 62
#define DESC_ID_MASK ((UINT64_C(1) << DESC_STATE_SHIFT) - 1)
#define DESC_COMMITTED 1
#define DESC_FINALIZED 2
/* a text block starts with the unsigned long id of its descriptor */
#define BLK_ID_SIZE 8
/* the kernel caps log_buf_len at 1 << 31 (LOG_BUF_LEN_MAX) */
#define RING_BITS_MAX 31

struct prb {
	uint64_t descs, infos, data;
	uint64_t count;		/* descriptors */
	uint64_t size;		/* data ring bytes */
	unsigned int size_bits;
	uint64_t clear_seq;
};

static enum cs_status prb_record(struct dm *d, const struct prb *r, uint64_t id)
{
	const struct cs_vmcoreinfo *vi = d->vi;
	uint64_t idx = id & (r->count - 1);
	uint64_t dva = r->descs + idx * vi->size_prb_desc;
	uint64_t iva = r->infos + idx * vi->size_printk_info;
	uint64_t sv, begin, next, seq, ts, off, blk, avail;
	uint8_t b2[2];
	uint16_t text_len;
	unsigned int state;
	char what[96];
	enum cs_status st;

	snprintf(what, sizeof(what), "printk descriptor %#" PRIx64, idx);
	st = rd64(d, dva + vi->off_prb_desc_state_var, &sv, what);
	if (!st)
		st = rd64(d, dva + vi->off_prb_desc_text_blk_lpos + vi->off_blk_lpos_begin,
			  &begin, what);
	if (!st)
		st = rd64(d, dva + vi->off_prb_desc_text_blk_lpos + vi->off_blk_lpos_next,
			  &next, what);
	if (st)
		return st;	/* the arrays are contiguous: the rest would fail too */
	state = (unsigned int)(sv >> DESC_STATE_SHIFT);
	/* an id mismatch is a slot already reused (or never used): skip */
	if ((sv & DESC_ID_MASK) != id || (state != DESC_COMMITTED && state != DESC_FINALIZED)) {
		d->stats->skipped++;
		return CS_OK;
	}
	/* data-less records (both lpos odd: FAILED_LPOS, and 6.x's
	 * EMPTY_LINE_LPOS) have no text; makedumpfile writes nothing for them */
	if ((begin & 1) && (next & 1)) {
		d->stats->skipped++;
		return CS_OK;
	}
	snprintf(what, sizeof(what), "printk_info %#" PRIx64, idx);
	st = rd64(d, iva + vi->off_printk_info_seq, &seq, what);
	if (!st)
		st = rd64(d, iva + vi->off_printk_info_ts_nsec, &ts, what);
	if (!st)
		st = rd(d, iva + vi->off_printk_info_text_len, b2, 2, "%s", what);
	if (st)
		return st;
	if (d->partial && seq < r->clear_seq) {
		d->stats->skipped++;
		return CS_OK;
	}
	text_len = cs_get_le16(b2);
	/* get_data(): a block lies in one wrap of the ring, or starts over at
	 * index 0 when it would not fit before the end */
	if (begin >> r->size_bits == next >> r->size_bits && begin < next) {
		off = begin & (r->size - 1);
		blk = next - begin;
	} else if ((begin >> r->size_bits) + 1 == next >> r->size_bits) {
		off = 0;
		blk = next & (r->size - 1);
	} else {
		problem(d, CS_CORRUPT, "printk record %" PRIu64 " (descriptor %#" PRIx64
			"): text block lpos %#" PRIx64 "-%#" PRIx64
			" does not fit the %" PRIu64 "-byte data ring",
			seq, idx, begin, next, r->size);
		d->stats->skipped++;
		return CS_OK;
	}
	if (blk < BLK_ID_SIZE || blk > r->size) {
		problem(d, CS_CORRUPT, "printk record %" PRIu64 " (descriptor %#" PRIx64
			"): text block of %" PRIu64 " bytes at lpos %#" PRIx64,
			seq, idx, blk, begin);
		d->stats->skipped++;
		return CS_OK;
	}
	avail = blk - BLK_ID_SIZE;
	if (text_len > avail) {
		/* the text we have is still worth printing */
		problem(d, CS_CORRUPT, "printk record %" PRIu64 " (descriptor %#" PRIx64
			"): text_len %u runs past its %" PRIu64 "-byte text block at lpos %#"
			PRIx64 "; trimmed", seq, idx, text_len, avail, begin);
	} else {
		avail = text_len;
	}
	snprintf(what, sizeof(what), "printk record %" PRIu64, seq);
	return emit(d, ts, r->data + off + BLK_ID_SIZE, (size_t)avail, what);
}

static enum cs_status extract_prb(struct dm *d)
{
	const struct cs_vmcoreinfo *vi = d->vi;
	const struct need n[] = {
		NEED(off_prb_desc_ring, "OFFSET(printk_ringbuffer.desc_ring)"),
		NEED(off_prb_text_data_ring, "OFFSET(printk_ringbuffer.text_data_ring)"),
		NEED(off_desc_ring_count_bits, "OFFSET(prb_desc_ring.count_bits)"),
		NEED(off_desc_ring_descs, "OFFSET(prb_desc_ring.descs)"),
		NEED(off_desc_ring_infos, "OFFSET(prb_desc_ring.infos)"),
		NEED(off_desc_ring_head_id, "OFFSET(prb_desc_ring.head_id)"),
		NEED(off_desc_ring_tail_id, "OFFSET(prb_desc_ring.tail_id)"),
		NEED(size_prb_desc, "SIZE(prb_desc)"),
		NEED(off_prb_desc_state_var, "OFFSET(prb_desc.state_var)"),
		NEED(off_prb_desc_text_blk_lpos, "OFFSET(prb_desc.text_blk_lpos)"),
		NEED(off_blk_lpos_begin, "OFFSET(prb_data_blk_lpos.begin)"),
		NEED(off_blk_lpos_next, "OFFSET(prb_data_blk_lpos.next)"),
		NEED(size_printk_info, "SIZE(printk_info)"),
		NEED(off_printk_info_seq, "OFFSET(printk_info.seq)"),
		NEED(off_printk_info_ts_nsec, "OFFSET(printk_info.ts_nsec)"),
		NEED(off_printk_info_text_len, "OFFSET(printk_info.text_len)"),
		NEED(off_data_ring_size_bits, "OFFSET(prb_data_ring.size_bits)"),
		NEED(off_data_ring_data, "OFFSET(prb_data_ring.data)"),
	};
	struct prb r;
	uint64_t prb, dr, tr, head, tail, span;
	uint32_t count_bits, size_bits;
	enum cs_status st;

	d->stats->format = "printk_ringbuffer";
	st = require(d, "printk_ringbuffer", n, sizeof(n) / sizeof(n[0]));
	if (st)
		return st;
	memset(&r, 0, sizeof(r));
	/* SYMBOL(prb) is the pointer variable, normally &printk_rb_static */
	st = rd64(d, vi->sym_prb, &prb, "the prb pointer");
	if (st)
		return st;
	dr = prb + vi->off_prb_desc_ring;
	tr = prb + vi->off_prb_text_data_ring;
	if ((st = rd32(d, dr + vi->off_desc_ring_count_bits, &count_bits, "printk_ringbuffer")) ||
	    (st = rd64(d, dr + vi->off_desc_ring_descs, &r.descs, "printk_ringbuffer")) ||
	    (st = rd64(d, dr + vi->off_desc_ring_infos, &r.infos, "printk_ringbuffer")) ||
	    (st = rd64(d, dr + vi->off_desc_ring_head_id, &head, "printk_ringbuffer")) ||
	    (st = rd64(d, dr + vi->off_desc_ring_tail_id, &tail, "printk_ringbuffer")) ||
	    (st = rd32(d, tr + vi->off_data_ring_size_bits, &size_bits, "printk_ringbuffer")) ||
	    (st = rd64(d, tr + vi->off_data_ring_data, &r.data, "printk_ringbuffer")))
		return st;
	if (size_bits > RING_BITS_MAX || size_bits < 4)
		return cs_fail(d->err, CS_CORRUPT, "printk_ringbuffer at %#" PRIx64
			       ": text_data_ring.size_bits %" PRIu32 " is absurd",
			       prb, size_bits);
	/* the kernel sizes the descriptor ring from the text ring (one
	 * descriptor per 2^PRB_AVGBITS = 32 bytes of text) */
	if (count_bits > size_bits)
		return cs_fail(d->err, CS_CORRUPT, "printk_ringbuffer at %#" PRIx64
			       ": desc_ring.count_bits %" PRIu32 " is absurd (text_data_ring.size_bits is %"
			       PRIu32 ")", prb, count_bits, size_bits);
	r.count = UINT64_C(1) << count_bits;
	r.size_bits = size_bits;
	r.size = UINT64_C(1) << size_bits;

	if (d->partial) {
		if (!vi->have.sym_clear_seq)
			return cs_fail(d->err, CS_NOTSUPP,
				       "--partial-dmesg: VMCOREINFO lacks SYMBOL(clear_seq)");
		if (vi->have.size_latched_seq) {
			/* 5.13+ ("printk: use seqcount_latch for
			 * clear_seq"): clear_seq is a latched_seq; the latch count's low bit picks the
			 * copy a reader uses */
			uint32_t latch;

			st = rd32(d, vi->sym_clear_seq, &latch, "clear_seq");
			if (!st)
				st = rd64(d, vi->sym_clear_seq + vi->off_latched_seq_val +
					  (latch & 1) * 8, &r.clear_seq, "clear_seq");
		} else {
			st = rd64(d, vi->sym_clear_seq, &r.clear_seq, "clear_seq");
		}
		if (st)
			return st;
	}

	/* tail..head inclusive; never more ids than descriptors */
	span = (head - tail) & DESC_ID_MASK;
	if (span >= r.count) {
		problem(d, CS_CORRUPT, "printk_ringbuffer at %#" PRIx64 ": tail_id %#" PRIx64
			" to head_id %#" PRIx64 " spans more than its %" PRIu64
			" descriptors; only the newest %" PRIu64 " are read",
			prb, tail, head, r.count, r.count);
		span = r.count - 1;
		tail = (head - span) & DESC_ID_MASK;
	}
	for (uint64_t i = 0; i <= span; i++) {
		st = prb_record(d, &r, (tail + i) & DESC_ID_MASK);
		if (st)
			return st;
	}
	return CS_OK;
}

/* ---- 3.5-5.9: struct printk_log records --------------------------------- */

/* kernel/printk/printk.c (3.5, commit 7ff9554bb578): records of
 * SIZE(printk_log) header + text + dict, laid end to end in log_buf from
 * log_first_idx to log_next_idx; a header with len 0 marks the end of the
 * buffer and the walk continues at index 0.  The struct was "log" until 3.11
 * (commit 62e32ac3505a). */
static enum cs_status extract_records(struct dm *d)
{
	const struct cs_vmcoreinfo *vi = d->vi;
	int old = !vi->have.size_printk_log;
	const char *name = old ? "log" : "printk_log";
	const struct need n[] = {
		NEED(sym_log_buf, "SYMBOL(log_buf)"),
		NEED(sym_log_buf_len, "SYMBOL(log_buf_len)"),
		NEED(sym_log_next_idx, "SYMBOL(log_next_idx)"),
		{ old ? vi->have.size_log : 1, "SIZE(printk_log) or SIZE(log)" },
		{ old ? vi->have.off_log_ts_nsec : vi->have.off_printk_log_ts_nsec,
		  old ? "OFFSET(log.ts_nsec)" : "OFFSET(printk_log.ts_nsec)" },
		{ old ? vi->have.off_log_len : vi->have.off_printk_log_len,
		  old ? "OFFSET(log.len)" : "OFFSET(printk_log.len)" },
		{ old ? vi->have.off_log_text_len : vi->have.off_printk_log_text_len,
		  old ? "OFFSET(log.text_len)" : "OFFSET(printk_log.text_len)" },
	};
	uint64_t hsize = old ? vi->size_log : vi->size_printk_log;
	uint64_t o_ts = old ? vi->off_log_ts_nsec : vi->off_printk_log_ts_nsec;
	uint64_t o_len = old ? vi->off_log_len : vi->off_printk_log_len;
	uint64_t o_tlen = old ? vi->off_log_text_len : vi->off_printk_log_text_len;
	uint64_t buf, iter_max;
	uint32_t len, first, next, clear = 0;
	int wrapped = 0, printing = 1, clear_live = 0;
	uint8_t hdr[256];
	enum cs_status st;

	d->stats->format = name;
	st = require(d, name, n, sizeof(n) / sizeof(n[0]));
	if (st)
		return st;
	if (hsize < 12 || hsize > sizeof(hdr) || o_ts + 8 > hsize || o_len + 2 > hsize ||
	    o_tlen + 2 > hsize)
		return cs_fail(d->err, CS_CORRUPT, "VMCOREINFO SIZE(%s)=%" PRIu64
			       " does not hold its ts_nsec/len/text_len offsets", name, hsize);
	if ((st = rd64(d, vi->sym_log_buf, &buf, "log_buf")) ||
	    (st = rd32(d, vi->sym_log_buf_len, &len, "log_buf_len")) ||
	    (st = rd32(d, vi->sym_log_first_idx, &first, "log_first_idx")) ||
	    (st = rd32(d, vi->sym_log_next_idx, &next, "log_next_idx")))
		return st;
	if (len < hsize || len > UINT32_C(1) << RING_BITS_MAX)
		return cs_fail(d->err, CS_CORRUPT, "log_buf_len %" PRIu32 " is absurd", len);
	if (first > len - hsize || next > len)
		return cs_fail(d->err, CS_CORRUPT, "log_buf at %#" PRIx64 ": log_first_idx %"
			       PRIu32 " or log_next_idx %" PRIu32 " is outside its %" PRIu32
			       " bytes", buf, first, next, len);
	if (d->partial) {
		if (!vi->have.sym_clear_idx)
			return cs_fail(d->err, CS_NOTSUPP,
				       "--partial-dmesg: VMCOREINFO lacks SYMBOL(clear_idx)");
		st = rd32(d, vi->sym_clear_idx, &clear, "clear_idx");
		if (st)
			return st;
		/* Without log_first_seq and clear_seq (not in VMCOREINFO) a
		 * stale clear_idx cannot always be told from a live one:
		 * clear_idx still points into the live records unless they
		 * were overwritten since the clear (then everything is new),
		 * and 0, its boot value, means "never cleared" (a clear made
		 * exactly when the ring had just wrapped to 0 prints more
		 * than needed, never less).  A clear_idx equal to
		 * log_next_idx means nothing was logged since. */
		if (clear == next)
			return CS_OK;
		if (clear == 0)
			clear_live = 0;
		else if (first <= next)
			clear_live = clear >= first && clear <= next;
		else
			clear_live = clear >= first || clear <= next;
		printing = !clear_live;
	}

	/* every record is at least a header long and the index wraps once */
	iter_max = len / hsize + 2;
	for (uint64_t it = 0, idx = first; idx != next; it++) {
		uint16_t rlen, tlen;

		if (it > iter_max) {
			problem(d, CS_CORRUPT, "log_buf at %#" PRIx64 ": more than %" PRIu64
				" records without reaching log_next_idx %" PRIu32,
				buf, iter_max, next);
			break;
		}
		if (clear_live && idx == clear)
			printing = 1;
		if (idx + hsize > len) {
			problem(d, CS_CORRUPT, "log_buf at %#" PRIx64 ": record index %" PRIu64
				" is outside its %" PRIu32 " bytes", buf, idx, len);
			break;
		}
		st = rd(d, buf + idx, hdr, hsize, "%s record header %" PRIu64, name, idx);
		if (st) {
			/* without the header the chain is lost */
			problem_err(d);
			break;
		}
		rlen = cs_get_le16(hdr + o_len);
		tlen = cs_get_le16(hdr + o_tlen);
		if (rlen == 0) {
			/* wrap marker: legal once, and only when the live
			 * records wrap (first > next) */
			if (wrapped || first <= next) {
				problem(d, CS_CORRUPT, "log_buf at %#" PRIx64
					": unexpected wrap marker at index %" PRIu64
					" (cycle: log_next_idx %" PRIu32 " never reached)",
					buf, idx, next);
				break;
			}
			wrapped = 1;
			idx = 0;
			continue;
		}
		if (rlen < hsize || idx + rlen > len) {
			problem(d, CS_CORRUPT, "log_buf at %#" PRIx64 ": record at index %" PRIu64
				" has length %u (header %" PRIu64 ", buffer %" PRIu32 " bytes)",
				buf, idx, rlen, hsize, len);
			break;
		}
		if (tlen > rlen - hsize) {
			problem(d, CS_CORRUPT, "log_buf at %#" PRIx64 ": record at index %" PRIu64
				": text_len %u runs past its %u-byte record; trimmed",
				buf, idx, tlen, rlen);
			tlen = (uint16_t)(rlen - hsize);
		}
		if (printing) {
			char what[64];

			snprintf(what, sizeof(what), "%s record %" PRIu64, name, idx);
			st = emit(d, cs_get_le64(hdr + o_ts), buf + idx + hsize, tlen, what);
			if (st)
				return st;
		} else {
			d->stats->skipped++;
		}
		idx += rlen;
		/* records only move forward to log_next_idx */
		if ((wrapped || first <= next) && idx > next) {
			problem(d, CS_CORRUPT, "log_buf at %#" PRIx64 ": record at index %" PRIu64
				" runs past log_next_idx %" PRIu32, buf, idx - rlen, next);
			break;
		}
	}
	if (clear_live && !printing)
		problem(d, CS_CORRUPT, "log_buf at %#" PRIx64 ": clear_idx %" PRIu32
			" is not at a record boundary", buf, clear);
	return CS_OK;
}

/* ---- <=3.4: character ring ------------------------------------------------ */

/* kernel/printk.c before 3.5: characters (with their "<N>" level prefixes)
 * in a power-of-two log_buf; log_end counts every character ever written,
 * logged_chars those since the last clear.  Written raw, as makedumpfile
 * does for this era. */
static enum cs_status extract_chars(struct dm *d)
{
	const struct cs_vmcoreinfo *vi = d->vi;
	const struct need n[] = {
		NEED(sym_log_buf, "SYMBOL(log_buf)"),
		NEED(sym_log_buf_len, "SYMBOL(log_buf_len)"),
		NEED(sym_logged_chars, "SYMBOL(logged_chars)"),
	};
	uint64_t buf, start, count;
	uint32_t len, end, logged;
	enum cs_status st;
	uint8_t chunk[4096];

	d->stats->format = "log_buf";
	st = require(d, "log_buf", n, sizeof(n) / sizeof(n[0]));
	if (st)
		return st;
	if ((st = rd64(d, vi->sym_log_buf, &buf, "log_buf")) ||
	    (st = rd32(d, vi->sym_log_buf_len, &len, "log_buf_len")) ||
	    (st = rd32(d, vi->sym_log_end, &end, "log_end")) ||
	    (st = rd32(d, vi->sym_logged_chars, &logged, "logged_chars")))
		return st;
	if (len == 0 || (len & (len - 1)) || len > UINT32_C(1) << RING_BITS_MAX)
		return cs_fail(d->err, CS_CORRUPT, "log_buf_len %" PRIu32
			       " is not a power of two", len);
	/* log_end is an unsigned counter; before the first wrap the text is
	 * log_buf[0, log_end) */
	count = end < len ? end : len;
	if (d->partial && logged < count)
		count = logged;
	start = (uint64_t)end - count;
	while (count) {
		uint64_t idx = start & (len - 1);
		size_t n1 = sizeof(chunk);

		if (n1 > count)
			n1 = (size_t)count;
		if (n1 > len - idx)
			n1 = (size_t)(len - idx);
		st = rd(d, buf + idx, chunk, n1, "log_buf index %" PRIu64, idx);
		if (st)
			return st;
		st = d->sink->write(d->sink->ctx, chunk, n1, d->err);
		if (st)
			return st;
		d->stats->records += n1;
		start += n1;
		count -= n1;
	}
	return CS_OK;
}

/* ---- the table ----------------------------------------------------------- */

struct dmesg_format {
	int (*detect)(const struct cs_vmcoreinfo *vi);
	enum cs_status (*extract)(struct dm *d);
};

static int is_prb(const struct cs_vmcoreinfo *vi) { return vi->have.sym_prb; }
static int is_records(const struct cs_vmcoreinfo *vi) { return vi->have.sym_log_first_idx; }
static int is_chars(const struct cs_vmcoreinfo *vi) { return vi->have.sym_log_end; }

/* newest first: a kernel exports the keys of exactly one era */
static const struct dmesg_format formats[] = {
	{ is_prb, extract_prb },
	{ is_records, extract_records },
	{ is_chars, extract_chars },
};

enum cs_status cs_dmesg_extract(const struct cs_kernel *k, int partial,
				const struct cs_dmesg_sink *sink,
				struct cs_dmesg_stats *stats, struct cs_err *err)
{
	struct dm d;
	enum cs_status st = CS_NOTSUPP;
	int found = 0;

	memset(stats, 0, sizeof(*stats));
	memset(&d, 0, sizeof(d));
	d.k = k;
	d.vi = &k->vi;
	d.partial = partial;
	d.sink = sink;
	d.stats = stats;
	d.err = err;
	cs_err_clear(&d.first);
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (!formats[i].detect(d.vi))
			continue;
		found = 1;
		st = formats[i].extract(&d);
		break;
	}
	free(d.out);
	free(d.text);
	if (!found)
		return cs_fail(err, CS_NOTSUPP, "VMCOREINFO locates no kernel log "
			       "(no SYMBOL(prb), SYMBOL(log_first_idx) or SYMBOL(log_end))");
	if (st == CS_OK && d.first.status != CS_OK) {
		*err = d.first;
		st = err->status;
	}
	return st;
}
