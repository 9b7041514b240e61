/* source_split.c - the files of one --split set read as one dump.
 *
 * Each file of a set (ours or makedumpfile's) is a complete kdump-compressed
 * file whose sub-header says split=1 and names its pfn range [start, end);
 * its 1st bitmap covers all of memory, its descriptors and data only its
 * range (doc/kdump-format.md, split dumps).  Every file is opened with the
 * ordinary kdump source (which ignores 2nd-bitmap bits outside the range),
 * the set is checked (same dump, ranges that tile [0, max_mapnr) exactly),
 * and each pfn is read from the file whose range holds it.
 *
 * Thread safety is the members': this layer only reads immutable tables.
 */
#include "config.h"

#include "filter/source.h"

#include <stdlib.h>
#include <string.h>

struct split {
	size_t n;
	struct cs_vmcore *m;		/* sorted by split_start */
};

/* the member holding @pfn, or NULL */
static const struct cs_vmcore *owner(const struct split *sp, uint64_t pfn)
{
	size_t lo = 0, hi = sp->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pfn < sp->m[mid].split_start)
			hi = mid;
		else if (pfn >= sp->m[mid].split_end)
			lo = mid + 1;
		else
			return &sp->m[mid];
	}
	return NULL;
}

static enum cs_status split_read_page(const struct cs_vmcore *vc, uint64_t pfn, void *buf,
				      struct cs_err *err)
{
	const struct cs_vmcore *m = owner(vc->priv, pfn);

	if (!m)
		return cs_fail(err, CS_NODATA, "pfn %#llx is not in the dump",
			       (unsigned long long)pfn);
	return cs_vmcore_read_page(m, pfn, buf, err);
}

static enum cs_status split_read_phys(const struct cs_vmcore *vc, uint64_t paddr, void *buf,
				      size_t len, struct cs_err *err)
{
	uint8_t *p = buf;

	while (len) {
		uint64_t pfn = paddr / vc->page_size;
		const struct cs_vmcore *m = owner(vc->priv, pfn);
		uint64_t room;
		size_t n;
		enum cs_status st;

		if (!m)
			return cs_fail(err, CS_NODATA, "physical address %#llx is not in the dump",
				       (unsigned long long)paddr);
		/* as much as the member holds in one call */
		room = m->split_end * vc->page_size - paddr;
		n = room < len ? (size_t)room : len;
		st = cs_vmcore_read_phys(m, paddr, p, n, err);
		if (st != CS_OK)
			return st;
		p += n;
		paddr += n;
		len -= n;
	}
	return CS_OK;
}

static int split_pfn_present(const struct cs_vmcore *vc, uint64_t pfn)
{
	/* every member carries the whole 1st bitmap (check_set: the same
	 * present runs); asking the owner keeps each member's bitmap cache to
	 * its own range */
	const struct cs_vmcore *m = owner(vc->priv, pfn);

	return m && cs_vmcore_pfn_present(m, pfn);
}

static int split_pfn_has_data(const struct cs_vmcore *vc, uint64_t pfn)
{
	const struct cs_vmcore *m = owner(vc->priv, pfn);

	return m && cs_vmcore_pfn_has_data(m, pfn);
}

/* Each member fills the part of [start, end) in its own range (from the
 * byte holding its first pfn: the kdump source ORs its bits in, and a
 * member's data bits outside its range are zero), straight into the
 * caller's buffers: nothing is copied, and no member reads bitmap blocks
 * outside its range. */
static void split_bitmaps(const struct cs_vmcore *vc, uint8_t *present, uint8_t *data,
			  uint64_t start, uint64_t end)
{
	const struct split *sp = vc->priv;

	for (size_t i = 0; i < sp->n; i++) {
		const struct cs_vmcore *m = &sp->m[i];
		uint64_t a = m->split_start & ~(uint64_t)7, b = m->split_end;

		if (a < start)
			a = start;
		if (b > end)
			b = end;
		if (a < b)
			cs_vmcore_bitmaps(m, present + (a - start) / 8, data + (a - start) / 8, a, b);
	}
}

static void split_close(struct cs_vmcore *vc)
{
	struct split *sp = vc->priv;

	if (!sp)
		return;
	for (size_t i = 0; i < sp->n; i++)
		cs_vmcore_close(&sp->m[i]);
	free(sp->m);
	free(sp);
	vc->priv = NULL;
}

static const struct cs_source_ops cs_source_split = {
	.name = "kdump split set",
	.close = split_close,
	.read_phys = split_read_phys,
	.read_page = split_read_page,
	.pfn_present = split_pfn_present,
	.pfn_has_data = split_pfn_has_data,
	.bitmaps = split_bitmaps,
};

static int by_start(const void *a, const void *b)
{
	const struct cs_vmcore *x = a, *y = b;

	if (x->split_start != y->split_start)
		return x->split_start < y->split_start ? -1 : 1;
	return x->split_end < y->split_end ? -1 : x->split_end > y->split_end;
}

/* Do @a and @b come from the same dump?  NULL if so, else what differs. */
static const char *differs(const struct cs_vmcore *a, const struct cs_vmcore *b)
{
	if (a->max_pfn != b->max_pfn)
		return "max_mapnr";
	if (a->page_size != b->page_size)
		return "block size";
	if (a->dump_level != b->dump_level)
		return "dump level";
	if ((a->status & ~8u) != (b->status & ~8u))
		return "compression";
	if (a->notes_size != b->notes_size || memcmp(a->notes, b->notes, a->notes_size))
		return "ELF notes and VMCOREINFO";
	if (a->nseg != b->nseg || memcmp(a->seg, b->seg, a->nseg * sizeof(*a->seg)))
		return "1st bitmap";
	return NULL;
}

static enum cs_status check_set(struct cs_vmcore *vc, struct split *sp, struct cs_err *err)
{
	for (size_t i = 0; i < sp->n; i++) {
		const struct cs_vmcore *m = &sp->m[i];
		const char *what = i ? differs(&sp->m[0], m) : NULL;

		if (!m->split)
			return cs_fail(err, CS_INVALID,
				       "%s is not a file of a --split set: only the files of one set can be read together",
				       m->path);
		if (what)
			return cs_fail(err, CS_INVALID,
				       "%s and %s are not files of the same --split set (%s differs)",
				       sp->m[0].path, m->path, what);
	}
	qsort(sp->m, sp->n, sizeof(*sp->m), by_start);
	for (size_t i = 0; i <= sp->n; i++) {
		uint64_t want = i ? sp->m[i - 1].split_end : 0;
		uint64_t have = i < sp->n ? sp->m[i].split_start : vc->max_pfn;

		if (have > want)
			return cs_fail(err, CS_INVALID,
				       "the --split set is incomplete: no file holds pfns %#llx-%#llx",
				       (unsigned long long)want, (unsigned long long)have);
		if (have < want)
			return cs_fail(err, CS_INVALID,
				       "%s and %s overlap (pfns %#llx-%#llx): not one --split set",
				       sp->m[i - 1].path, sp->m[i].path, (unsigned long long)have,
				       (unsigned long long)want);
	}
	return CS_OK;
}

enum cs_status cs_split_open(char *const *paths, size_t n, struct cs_vmcore *vc,
			     struct cs_err *err)
{
	struct split *sp;
	const struct cs_vmcore *m0;
	enum cs_status st;

	memset(vc, 0, sizeof(*vc));
	vc->fd = -1;
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return cs_fail_nomem(err);
	vc->priv = sp;
	vc->ops = &cs_source_split;
	sp->m = calloc(n, sizeof(*sp->m));
	if (!sp->m) {
		st = cs_fail_nomem(err);
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		st = cs_vmcore_open_member(paths[i], &sp->m[i], err);
		if (st != CS_OK)
			goto fail;
		sp->n++;
	}
	vc->max_pfn = sp->m[0].max_pfn;
	st = check_set(vc, sp, err);
	if (st != CS_OK)
		goto fail;

	m0 = &sp->m[0];
	vc->path = strdup(m0->path);
	vc->notes = malloc(m0->notes_size ? m0->notes_size : 1);
	vc->seg = calloc(m0->nseg ? m0->nseg : 1, sizeof(*vc->seg));
	if (!vc->path || !vc->notes || !vc->seg) {
		st = cs_fail_nomem(err);
		goto fail;
	}
	memcpy(vc->notes, m0->notes, m0->notes_size);
	vc->notes_size = m0->notes_size;
	if (m0->vmcoreinfo) {
		vc->vmcoreinfo = (const char *)vc->notes + (m0->vmcoreinfo - (const char *)m0->notes);
		vc->vmcoreinfo_size = m0->vmcoreinfo_size;
		vc->vmcoreinfo_off = m0->vmcoreinfo_off;
	}
	memcpy(vc->seg, m0->seg, m0->nseg * sizeof(*vc->seg));
	vc->nseg = m0->nseg;
	if (m0->eraseinfo_size) {
		vc->eraseinfo = malloc(m0->eraseinfo_size);
		if (!vc->eraseinfo) {
			st = cs_fail_nomem(err);
			goto fail;
		}
		memcpy(vc->eraseinfo, m0->eraseinfo, m0->eraseinfo_size);
		vc->eraseinfo_size = m0->eraseinfo_size;
	}
	vc->format = "kdump split set";
	vc->elf_class = m0->elf_class;
	vc->machine = m0->machine;
	vc->nr_cpus = m0->nr_cpus;
	vc->page_size = m0->page_size;
	vc->dump_level = m0->dump_level;
	vc->status = m0->status;
	for (size_t i = 0; i < sp->n; i++) {
		vc->file_size += sp->m[i].file_size;
		if (sp->m[i].incomplete) {
			vc->incomplete = 1;
			vc->status |= 8;
		}
	}
	return CS_OK;
fail:
	cs_vmcore_close(vc);
	return st;
}
