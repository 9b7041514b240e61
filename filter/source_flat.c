/* source_flat.c - a flattened stream (-F output, QEMU's kdump-zlib/-lzo/
 * -snappy) read in place.
 *
 * The stream (doc/kdump-format.md, flattened format) is a 4096-byte header
 * then (offset, size, data) records in write order, big-endian framing,
 * ended by (-1, -1).  One scan of the framing collects the records; a sweep
 * over their boundaries then turns them into a sorted list of disjoint
 * extents of the rebuilt image, each pointing at stream bytes.  Where records
 * overlap the later one wins (a header rewritten at the end, eraseinfo
 * patched into the sub-header), as -R's pwrites in stream order would do.
 * Image bytes no record wrote read as zeros.  The map is immutable after the
 * build, so reads through it are thread-safe.
 *
 * A stream that ends without its terminator (a cut pipe) is mapped up to the
 * last complete record and reported as cut: the parser on top treats the
 * dump as incomplete.
 */
#include "filter/source.h"

#include <stdlib.h>
#include <string.h>

#include "lib/io.h"

#define FLAT_HEADER_SIZE	4096
#define FLAT_SIG		"makedumpfile"
#define MAX_RECORD		((uint64_t)1 << 40)

struct rec {
	uint64_t off, size, pos;	/* image offset, length, stream offset */
	uint64_t seq;			/* stream order: later wins */
};

struct extent {
	uint64_t off, size, pos;
};

struct cs_flat_map {
	size_t n;
	struct extent *ext;		/* sorted by off, disjoint */
	uint64_t size;			/* image size */
	int cut;
};

void cs_flat_map_destroy(struct cs_flat_map *map)
{
	if (!map)
		return;
	free(map->ext);
	free(map);
}

uint64_t cs_flat_map_size(const struct cs_flat_map *map, int *cut)
{
	*cut = map->cut;
	return map->size;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* max-heap of record indices by seq */
static void heap_push(size_t *h, size_t *n, const struct rec *r, size_t v)
{
	size_t i = (*n)++;

	while (i && r[h[(i - 1) / 2]].seq < r[v].seq) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = v;
}

static void heap_pop(size_t *h, size_t *n, const struct rec *r)
{
	size_t v = h[--(*n)], i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= *n)
			break;
		if (c + 1 < *n && r[h[c + 1]].seq > r[h[c]].seq)
			c++;
		if (r[h[c]].seq <= r[v].seq)
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = v;
}

/* later-wins resolution of @r[0..n) (sorted by off) into disjoint extents */
static enum cs_status resolve(struct cs_flat_map *m, struct rec *r, size_t n, struct cs_err *err)
{
	uint64_t *pt = malloc((2 * n + 1) * sizeof(*pt));
	size_t *heap = malloc((n + 1) * sizeof(*heap));
	size_t npt = 0, nheap = 0, next = 0;

	m->ext = malloc((2 * n + 1) * sizeof(*m->ext));
	if (!pt || !heap || !m->ext) {
		free(pt);
		free(heap);
		return cs_fail_nomem(err);
	}
	for (size_t i = 0; i < n; i++) {
		pt[npt++] = r[i].off;
		pt[npt++] = r[i].off + r[i].size;
	}
	qsort(pt, npt, sizeof(*pt), u64_cmp);
	for (size_t i = 0; i + 1 < npt; i++) {
		uint64_t a = pt[i], b = pt[i + 1];
		const struct rec *top;
		struct extent *last = m->n ? &m->ext[m->n - 1] : NULL;
		uint64_t pos;

		if (a == b)
			continue;
		while (next < n && r[next].off <= a)
			heap_push(heap, &nheap, r, next++);
		while (nheap && r[heap[0]].off + r[heap[0]].size <= a)
			heap_pop(heap, &nheap, r);
		if (!nheap)
			continue;
		top = &r[heap[0]];
		pos = top->pos + (a - top->off);
		if (last && last->off + last->size == a && last->pos + last->size == pos)
			last->size += b - a;
		else
			m->ext[m->n++] = (struct extent){ a, b - a, pos };
	}
	free(pt);
	free(heap);
	return CS_OK;
}

enum cs_status cs_flat_map_build(int fd, const char *path, uint64_t file_size,
				 struct cs_flat_map **mapp, struct cs_err *err)
{
	uint8_t hdr[32];
	struct cs_flat_map *m;
	struct rec *r = NULL;
	size_t n = 0, cap = 0;
	uint64_t pos = FLAT_HEADER_SIZE;
	enum cs_status st;

	*mapp = NULL;
	if (!file_size)
		return cs_fail(err, CS_NOTSUPP, "%s: a flattened stream must be a regular file (use -R to rebuild it)",
			       path);
	if (file_size < FLAT_HEADER_SIZE)
		return cs_fail(err, CS_CORRUPT, "%s: flattened stream header cut short (%llu bytes)",
			       path, (unsigned long long)file_size);
	st = cs_pread_all(fd, hdr, sizeof(hdr), 0, path, err);
	if (st)
		return st;
	if (cs_get_be64(hdr + 16) != 1 || cs_get_be64(hdr + 24) != 1)
		return cs_fail(err, CS_NOTSUPP, "%s: flattened stream type %llu version %llu (want 1, 1)",
			       path, (unsigned long long)cs_get_be64(hdr + 16),
			       (unsigned long long)cs_get_be64(hdr + 24));
	m = calloc(1, sizeof(*m));
	if (!m)
		return cs_fail_nomem(err);
	for (;;) {
		uint8_t rh[16];
		uint64_t off, size;

		if (file_size - pos < sizeof(rh)) {
			m->cut = 1;
			break;
		}
		st = cs_pread_all(fd, rh, sizeof(rh), pos, path, err);
		if (st)
			goto fail;
		off = cs_get_be64(rh);
		size = cs_get_be64(rh + 8);
		if (off == UINT64_MAX && size == UINT64_MAX)
			break;
		if ((int64_t)off < 0 || (int64_t)size <= 0 || size > MAX_RECORD) {
			st = cs_fail(err, CS_CORRUPT,
				     "%s: bad flattened record at offset %#llx: image offset %#llx, size %#llx",
				     path, (unsigned long long)pos, (unsigned long long)off,
				     (unsigned long long)size);
			goto fail;
		}
		if (size > file_size - pos - sizeof(rh)) {
			m->cut = 1;	/* the last record is incomplete: drop it */
			break;
		}
		if (n == cap) {
			struct rec *nr;

			cap = cap ? 2 * cap : 1024;
			nr = realloc(r, cap * sizeof(*r));
			if (!nr) {
				st = cs_fail_nomem(err);
				goto fail;
			}
			r = nr;
		}
		r[n] = (struct rec){ off, size, pos + sizeof(rh), n };
		if (off + size > m->size)
			m->size = off + size;
		n++;
		pos += sizeof(rh) + size;
	}
	if (!n) {
		st = cs_fail(err, CS_CORRUPT, "%s: flattened stream has no data records", path);
		goto fail;
	}
	qsort(r, n, sizeof(*r), rec_cmp);
	st = resolve(m, r, n, err);
	if (st)
		goto fail;
	free(r);
	*mapp = m;
	return CS_OK;
fail:
	free(r);
	cs_flat_map_destroy(m);
	return st;
}

enum cs_status cs_flat_map_pread(const struct cs_flat_map *m, int fd, const char *path,
				 void *buf, size_t len, uint64_t off, struct cs_err *err)
{
	uint8_t *p = buf;
	size_t lo = 0, hi = m->n;

	if (off > m->size || len > m->size - off)
		return cs_fail(err, CS_CORRUPT, "%s: truncated: %zu bytes at offset %#llx are beyond the end of the flattened image (%#llx bytes)",
			       path, len, (unsigned long long)off, (unsigned long long)m->size);
	/* first extent ending after @off */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->ext[mid].off + m->ext[mid].size <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (len) {
		const struct extent *e = lo < m->n ? &m->ext[lo] : NULL;
		size_t n;

		if (!e || e->off > off) {
			/* a gap: zeros up to the next extent */
			n = !e || e->off - off > len ? len : (size_t)(e->off - off);
			memset(p, 0, n);
		} else {
			uint64_t in = off - e->off;
			enum cs_status st;

			n = e->size - in > len ? len : (size_t)(e->size - in);
			st = cs_pread_all(fd, p, n, e->pos + in, path, err);
			if (st)
				return st;
			lo++;
		}
		p += n;
		off += n;
		len -= n;
	}
	return CS_OK;
}
