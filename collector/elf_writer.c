/* elf_writer.c - ELF64 core output (-E), the layout /proc/vmcore has.
 *
 *   ELF header (64 bytes, offset 0)
 *   program headers at offset 64: one PT_NOTE, then the PT_LOADs
 *   [section header 0, only with more than 65534 program headers]
 *   the notes of the input, verbatim
 *   page data, from a page-aligned offset, one segment after another
 *
 * Program headers must be on disk before the first page, so the PT_LOADs are
 * derived from the page plan alone (its kept pfns, the 2nd bitmap before the
 * zero test), found run by run with cs_plan_next_kept so that blocks
 * without kept pfns cost nothing (filter/plan.h).  Each input segment is cut into output segments that tile its
 * physical range: a run of CUT_PAGES or more pfns that are not kept ends a
 * segment's file data (p_filesz) and the next kept pfn starts a new segment;
 * the run itself stays in the earlier segment's memory range (its own
 * PT_LOAD on disk, see below), so readers see it as zeros, as in
 * makedumpfile's ELF output.  Shorter runs of excluded
 * pages, and zero pages at dump level bit 1 (only known while copying), lie
 * inside p_filesz and are simply not written: a sparse hole in a file, no
 * record in a flattened stream, zeros either way once read back.
 *
 * On disk each output segment is one or two PT_LOADs: its file data with
 * p_memsz == p_filesz, then, when it has an excluded tail, a data-less
 * PT_LOAD for the tail (p_filesz 0, p_offset = end of all file data).
 * makedumpfile 1.7.2's mmap reader takes [p_offset, p_offset + p_memsz) as
 * a segment's bytes in the file (offset_to_pt_load_end bounds its mmap
 * window with it, its page cache maps the whole window linearly to physical
 * addresses): with a tail inside p_memsz, a window reached into the next
 * segment's data, two cache entries shared one mapping, and the first
 * eviction munmapped it under the other -- a segfault about one run in
 * two, wrong page contents in the others.  With the tails split off, no
 * PT_LOAD's [p_offset, p_offset + p_memsz) holds another segment's bytes
 * (tests/elf-layout.py checks it).  Readers still see the tails as zeros.
 *
 * Program headers always sit at offset 64 (makedumpfile as a reader assumes
 * it).  More than 65534 of them: e_phnum = PN_XNUM and section header 0
 * carries the real count in sh_info (the gABI extension QEMU and libelf use).
 *
 * An input without program headers (a kdump-compressed file) is cut the
 * same way, taking each run of present pfns as one input segment.
 *
 * /proc/vmcore also describes the kernel image a second time, at its
 * kernel-text virtual addresses; drgn needs that view to read the page
 * tables of an ELF dump.  The dump source drops it, so it is rebuilt: the
 * image starts at SYMBOL(_stext) (2 MiB aligned) and ends where the page
 * tables stop mapping it linearly (TEXT_GAP of unmapped addresses ends the
 * scan, so the init pages freed inside the image do not).  Its PT_LOADs come
 * first and point at the same file bytes as the RAM segments that hold the
 * image: no page is stored twice.
 *
 * Incomplete output (ENOSPC, -L, a signal): e_flags bit 0x1 is set in the
 * ELF header, which is rewritten; makedumpfile uses the same bit.
 *
 * Nothing is allocated per page; mark_incomplete allocates nothing.
 */
#include "config.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "collector/writer.h"
#include "lib/io.h"

#define CUT_PAGES	256		/* excluded pfns that end a segment */
#define CACHE_SIZE	(256u * 1024)	/* write cache for page data */
#define ELF_INCOMPLETE	0x1		/* e_flags bit: dump was cut short */
#define TEXT_ALIGN	(2u << 20)	/* the kernel image is mapped from a 2M boundary */
#define TEXT_GAP	(32u << 20)	/* unmapped bytes that end the image scan */
#define TEXT_MAX	(1ull << 30)	/* x86_64 KERNEL_IMAGE_SIZE with KASLR */

_Static_assert(sizeof(Elf64_Ehdr) == 64, "Elf64_Ehdr");
_Static_assert(sizeof(Elf64_Phdr) == 56, "Elf64_Phdr");
_Static_assert(sizeof(Elf64_Shdr) == 64, "Elf64_Shdr");

/* one output PT_LOAD; file data [off, off + filesz) holds physical
 * [phys, phys + filesz) */
struct oseg {
	uint64_t phys, virt, memsz, filesz, off;
};

struct cs_writer {
	struct cs_target *t;
	unsigned int ps;
	struct oseg *seg;		/* RAM view, sorted by phys: pages go here */
	size_t nseg;
	struct oseg *tseg;		/* kernel-text view: same file bytes */
	size_t ntseg;
	size_t cursor;			/* segment of the last page written */
	uint64_t file_end;		/* end of the last segment's file data */
	uint64_t written_end;		/* highest byte handed to the target */
	Elf64_Ehdr ehdr;		/* kept for the incomplete flag */

	uint8_t *cache;			/* bytes for [cache_off, +cache_len) */
	size_t cache_len;
	uint64_t cache_off;
	uint64_t bytes;
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static void put_load(Elf64_Phdr *ph, uint64_t off, uint64_t virt, uint64_t phys,
		     uint64_t filesz, uint64_t memsz)
{
	memset(ph, 0, sizeof(*ph));
	cs_put_le32(&ph->p_type, PT_LOAD);
	cs_put_le32(&ph->p_flags, PF_R | PF_W | PF_X);
	cs_put_le64(&ph->p_offset, off);
	cs_put_le64(&ph->p_vaddr, virt);
	cs_put_le64(&ph->p_paddr, phys);
	cs_put_le64(&ph->p_filesz, filesz);
	cs_put_le64(&ph->p_memsz, memsz);
}

/* The PT_LOADs of output segment @s (see the top of the file): its file data,
 * then its excluded tail at @tail_off, which is past all file data.  With
 * @ph NULL only counts them.  Returns 1 or 2. */
static size_t load_phdrs(const struct oseg *s, uint64_t tail_off, Elf64_Phdr *ph)
{
	size_t n = 0;

	if (s->filesz) {
		if (ph)
			put_load(&ph[n], s->off, s->virt, s->phys, s->filesz, s->filesz);
		n++;
	}
	if (s->memsz > s->filesz || !s->filesz) {
		if (ph)
			put_load(&ph[n], tail_off, s->virt ? s->virt + s->filesz : 0,
				 s->phys + s->filesz, 0, s->memsz - s->filesz);
		n++;
	}
	return n;
}

static enum cs_status put(struct cs_writer *w, const void *buf, size_t len, uint64_t off,
			  struct cs_err *err)
{
	enum cs_status st = cs_target_pwrite(w->t, buf, len, off, err);

	if (st == CS_OK) {
		w->bytes += len;
		if (off + len > w->written_end)
			w->written_end = off + len;
	}
	return st;
}

static enum cs_status flush_cache(struct cs_writer *w, struct cs_err *err)
{
	enum cs_status st;

	if (!w->cache_len)
		return CS_OK;
	st = put(w, w->cache, w->cache_len, w->cache_off, err);
	if (st != CS_OK)
		return cs_err_prefix(err, "cannot write page data");
	w->cache_len = 0;
	return CS_OK;
}

/* queue @len bytes for file offset @off, merging with the cache when they
 * continue it */
static enum cs_status queue(struct cs_writer *w, const void *buf, size_t len, uint64_t off,
			    struct cs_err *err)
{
	enum cs_status st;

	if (w->cache_len && (off != w->cache_off + w->cache_len ||
			     w->cache_len + len > CACHE_SIZE)) {
		st = flush_cache(w, err);
		if (st != CS_OK)
			return st;
	}
	if (!w->cache_len)
		w->cache_off = off;
	memcpy(w->cache + w->cache_len, buf, len);
	w->cache_len += len;
	return CS_OK;
}

/* first segment whose file data ends above @addr */
static size_t find_seg(const struct cs_writer *w, uint64_t addr)
{
	size_t lo = 0, hi = w->nseg;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct oseg *s = &w->seg[mid];

		if (s->phys + s->filesz <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static enum cs_status elf_page(struct cs_writer *w, uint64_t pfn, const void *data,
			       size_t len, uint32_t flags, struct cs_err *err)
{
	uint64_t a = pfn * w->ps, b = a + w->ps;
	size_t i = w->cursor;
	int hit = 0;
	enum cs_status st;

	if (flags || len != w->ps)
		return cs_fail(err, CS_INVALID,
			       "ELF writer: pfn %#llx: pages must be raw (%zu bytes, flags %#x)",
			       (unsigned long long)pfn, len, flags);
	/* pages come in increasing pfn order: move forward from the last one */
	if (i >= w->nseg || w->seg[i].phys > a)
		i = find_seg(w, a);
	while (i < w->nseg && w->seg[i].phys + w->seg[i].filesz <= a)
		i++;
	w->cursor = i;
	/* a page may straddle two input segments: write each covered part */
	for (; i < w->nseg && w->seg[i].phys < b; i++) {
		const struct oseg *s = &w->seg[i];
		uint64_t from = a > s->phys ? a : s->phys;
		uint64_t to = b < s->phys + s->filesz ? b : s->phys + s->filesz;

		if (from >= to)
			continue;
		st = queue(w, (const uint8_t *)data + (from - a), (size_t)(to - from),
			   s->off + (from - s->phys), err);
		if (st != CS_OK)
			return st;
		hit = 1;
	}
	if (!hit)
		return cs_fail(err, CS_INVALID,
			       "ELF writer: pfn %#llx is in no segment's file data",
			       (unsigned long long)pfn);
	return CS_OK;
}

static enum cs_status elf_zero_page(struct cs_writer *w, uint64_t pfn, struct cs_err *err)
{
	/* inside p_filesz and never written: a hole that reads as zeros */
	(void)w;
	(void)pfn;
	(void)err;
	return CS_OK;
}

static enum cs_status elf_finish(struct cs_writer *w, struct cs_err *err)
{
	static const uint8_t zero;
	enum cs_status st = flush_cache(w, err);

	if (st != CS_OK)
		return st;
	/* zero or excluded pages at the very end: give the file its full size */
	if (w->written_end < w->file_end) {
		st = put(w, &zero, 1, w->file_end - 1, err);
		if (st != CS_OK)
			return cs_err_prefix(err, "cannot write page data");
	}
	return CS_OK;
}

static enum cs_status elf_mark_incomplete(struct cs_writer *w, struct cs_err *err)
{
	struct cs_err ignored;
	enum cs_status st;
	size_t done = 0;

	/* save the cached pages that still fit, page by page */
	while (done < w->cache_len) {
		size_t n = w->cache_len - done < w->ps ? w->cache_len - done : w->ps;

		if (put(w, w->cache + done, n, w->cache_off + done, &ignored) != CS_OK)
			break;
		done += n;
	}
	w->cache_len = 0;
	w->ehdr.e_flags |= ELF_INCOMPLETE;
	st = put(w, &w->ehdr, sizeof(w->ehdr), 0, err);
	if (st != CS_OK)
		return cs_err_prefix(err, "cannot mark the ELF dump incomplete");
	return CS_OK;
}

static void elf_destroy(struct cs_writer *w)
{
	if (!w)
		return;
	free(w->seg);
	free(w->tseg);
	free(w->cache);
	free(w);
}

static uint64_t elf_bytes(const struct cs_writer *w)
{
	return w->bytes;
}

/* Cut input segment @in into output segments (see the top of the file).
 * With @out NULL only counts them.  Returns the number of segments. */
static size_t cut_segment(const struct cs_segment *in, const struct cs_plan *plan,
			  unsigned int ps, uint64_t virt_base, struct oseg *out)
{
	uint64_t end = in->phys + in->mem_size, fend = in->phys + in->file_size;
	uint64_t start = in->phys;	/* current segment's start */
	uint64_t data_end = start;	/* end of its last kept page */
	size_t n = 0;

	if (in->file_size) {
		uint64_t first = in->phys / ps, last = (fend - 1) / ps;
		uint64_t after = first;	/* first pfn after the last kept one */

		for (uint64_t pfn = cs_plan_next_kept(plan, first, last + 1); pfn <= last;
		     pfn = cs_plan_next_kept(plan, pfn + 1, last + 1)) {
			uint64_t pa = pfn * ps > in->phys ? pfn * ps : in->phys;

			/* pfn - after pfns were not kept since then */
			if (pfn - after >= CUT_PAGES) {
				if (out) {
					out[n].phys = start;
					out[n].memsz = pa - start;
					out[n].filesz = data_end - start;
					out[n].virt = virt_base + (start - in->phys);
				}
				n++;
				start = data_end = pa;
			}
			after = pfn + 1;
			data_end = (pfn + 1) * ps < fend ? (pfn + 1) * ps : fend;
		}
	}
	if (out) {
		out[n].phys = start;
		out[n].memsz = end - start;
		out[n].filesz = data_end - start;
		out[n].virt = virt_base + (start - in->phys);
	}
	return n + 1;
}

/* the virtual address of an input segment's start: its own when it has one
 * (/proc/vmcore gives RAM its direct-map address), else the direct map */
static uint64_t seg_virt(const struct cs_segment *in, const struct cs_kernel *k)
{
	if (in->virt && in->virt != UINT64_MAX)
		return in->virt;
	if (k->arch && strcmp(k->arch->name, "x86_64") == 0 && k->as.x86_64.page_offset)
		return k->as.x86_64.page_offset + in->phys;
	return 0;
}

/* The kernel image as the page tables map it at its text addresses:
 * *@virt maps physical [*@start, *@end).  0 when there is nothing to map
 * (not x86_64, no _stext, or the translation fails). */
static int kernel_text(const struct cs_kernel *k, uint64_t *virt, uint64_t *start,
		       uint64_t *end, unsigned int ps)
{
	struct cs_err ignored;
	uint64_t v0, p0, v, pa, last_end = 0;

	if (!k->arch || strcmp(k->arch->name, "x86_64") != 0 || !k->vi.have.sym_stext)
		return 0;
	v0 = k->vi.sym_stext & ~(uint64_t)(TEXT_ALIGN - 1);
	if (k->arch->vtop(k, v0, &p0, &ignored) != CS_OK)
		return 0;
	for (v = v0; v - v0 < TEXT_MAX; v += ps) {
		if (k->arch->vtop(k, v, &pa, &ignored) == CS_OK && pa == p0 + (v - v0)) {
			last_end = v + ps;
			continue;
		}
		if (v - (last_end ? last_end : v0) >= TEXT_GAP)
			break;
	}
	*virt = v0;
	*start = p0;
	*end = p0 + (last_end - v0);
	return last_end > v0;
}

/* The kernel-text view: one segment per RAM segment piece inside
 * [start, end), sharing its file data.  With @out NULL only counts. */
static size_t text_view(const struct cs_writer *w, uint64_t virt, uint64_t start,
			uint64_t end, struct oseg *out)
{
	size_t n = 0;

	for (size_t i = 0; i < w->nseg; i++) {
		const struct oseg *s = &w->seg[i];
		uint64_t a = s->phys > start ? s->phys : start;
		uint64_t b = s->phys + s->memsz < end ? s->phys + s->memsz : end;
		uint64_t fend = s->phys + s->filesz < b ? s->phys + s->filesz : b;

		if (a >= b)
			continue;
		if (out) {
			out[n].phys = a;
			out[n].virt = virt + (a - start);
			out[n].memsz = b - a;
			out[n].filesz = fend > a ? fend - a : 0;
			out[n].off = s->off + (a - s->phys);
		}
		n++;
	}
	return n;
}

/* Inputs without program headers (kdump-compressed, flattened kdump): one
 * pseudo segment per run of present pfns, as RAM ranges.  With @out NULL
 * only counts them. */
static size_t present_runs(const struct cs_plan *plan, unsigned int ps, struct cs_segment *out)
{
	size_t n = 0;
	uint64_t pfn = 0;

	while (pfn < plan->max_mapnr) {
		uint64_t start;

		if (!cs_plan_present(plan, pfn)) {
			pfn++;
			continue;
		}
		for (start = pfn; pfn < plan->max_mapnr && cs_plan_present(plan, pfn); pfn++)
			;
		if (out) {
			memset(&out[n], 0, sizeof(out[n]));
			out[n].phys = start * ps;
			out[n].mem_size = out[n].file_size = (pfn - start) * ps;
		}
		n++;
	}
	return n;
}

static enum cs_status elf_create(struct cs_writer **wp, struct cs_target *t,
				 const struct cs_dump_info *info, struct cs_err *err)
{
	const struct cs_kernel *k = info->k;
	const struct cs_vmcore *vc = k->vc;
	const struct cs_plan *plan = info->plan;
	size_t notes_size = vc->notes ? vc->notes_size : 0;
	uint64_t ps = info->page_size, phnum, hdr_len, notes_off, off;
	struct cs_writer *w;
	uint8_t *hdr = NULL;
	const struct cs_segment *in;
	struct cs_segment *runs = NULL;
	size_t nin;
	uint64_t tvirt = 0, tstart = 0, tend = 0;
	Elf64_Phdr ph;
	enum cs_status st;

	*wp = NULL;
	if (ps < 512 || ps > (1u << 20) || (ps & (ps - 1)))
		return cs_fail(err, CS_INVALID, "ELF writer: bad page size %llu",
			       (unsigned long long)ps);
	if (info->codec_flag)
		return cs_fail(err, CS_INVALID, "ELF writer: pages cannot be compressed");
	if (vc->elf_class != ELFCLASS64)
		return cs_fail(err, CS_NOTSUPP, "ELF writer: only ELF64 output is supported");
	w = calloc(1, sizeof(*w));
	if (!w)
		return cs_fail_nomem(err);
	w->t = t;
	w->ps = (unsigned int)ps;

	in = vc->seg;
	nin = vc->nseg;
	if (!nin) {
		nin = present_runs(plan, w->ps, NULL);
		in = runs = calloc(nin ? nin : 1, sizeof(*runs));
		if (!runs) {
			elf_destroy(w);
			return cs_fail_nomem(err);
		}
		present_runs(plan, w->ps, runs);
	}
	for (size_t i = 0; i < nin; i++)
		w->nseg += cut_segment(&in[i], plan, w->ps, 0, NULL);
	w->seg = calloc(w->nseg ? w->nseg : 1, sizeof(*w->seg));
	w->cache = malloc(CACHE_SIZE);
	if (!w->seg || !w->cache) {
		free(runs);
		elf_destroy(w);
		return cs_fail_nomem(err);
	}
	for (size_t i = 0, n = 0; i < nin; i++)
		n += cut_segment(&in[i], plan, w->ps, seg_virt(&in[i], k), w->seg + n);
	free(runs);
	if (kernel_text(k, &tvirt, &tstart, &tend, w->ps)) {
		w->ntseg = text_view(w, tvirt, tstart, tend, NULL);
		w->tseg = calloc(w->ntseg ? w->ntseg : 1, sizeof(*w->tseg));
		if (!w->tseg) {
			elf_destroy(w);
			return cs_fail_nomem(err);
		}
		/* sizes now, for the program header count; offsets after layout */
		text_view(w, tvirt, tstart, tend, w->tseg);
	}
	phnum = 1;
	for (size_t i = 0; i < w->ntseg + w->nseg; i++)
		phnum += load_phdrs(i < w->ntseg ? &w->tseg[i] : &w->seg[i - w->ntseg], 0, NULL);

	if (phnum > UINT32_MAX) {
		elf_destroy(w);
		return cs_fail(err, CS_NOTSUPP, "ELF writer: %llu program headers are too many",
			       (unsigned long long)phnum);
	}
	hdr_len = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
	if (phnum >= PN_XNUM)
		hdr_len += sizeof(Elf64_Shdr);
	notes_off = hdr_len;
	off = align_up(notes_off + notes_size, ps);
	/* file data: each segment's offset is congruent to its address modulo
	 * the page size, so whole pages stay block-aligned (and sparse) */
	for (size_t i = 0; i < w->nseg; i++) {
		struct oseg *s = &w->seg[i];

		s->off = align_up(off, ps) + s->phys % ps;
		if (s->filesz)
			off = s->off + s->filesz;
	}
	w->file_end = off;
	if (w->ntseg)
		text_view(w, tvirt, tstart, tend, w->tseg);

	/* ELF header */
	memcpy(w->ehdr.e_ident, ELFMAG, SELFMAG);
	w->ehdr.e_ident[EI_CLASS] = ELFCLASS64;
	w->ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
	w->ehdr.e_ident[EI_VERSION] = EV_CURRENT;
	w->ehdr.e_ident[EI_OSABI] = ELFOSABI_NONE;
	cs_put_le16(&w->ehdr.e_type, ET_CORE);
	cs_put_le16(&w->ehdr.e_machine, (uint16_t)vc->machine);
	cs_put_le32(&w->ehdr.e_version, EV_CURRENT);
	cs_put_le64(&w->ehdr.e_phoff, sizeof(Elf64_Ehdr));
	cs_put_le16(&w->ehdr.e_ehsize, sizeof(Elf64_Ehdr));
	cs_put_le16(&w->ehdr.e_phentsize, sizeof(Elf64_Phdr));
	cs_put_le16(&w->ehdr.e_phnum, phnum >= PN_XNUM ? PN_XNUM : (uint16_t)phnum);
	if (phnum >= PN_XNUM) {
		cs_put_le64(&w->ehdr.e_shoff, sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr));
		cs_put_le16(&w->ehdr.e_shentsize, sizeof(Elf64_Shdr));
		cs_put_le16(&w->ehdr.e_shnum, 1);
	}

	hdr = calloc(1, (size_t)(notes_off + notes_size));
	if (!hdr) {
		elf_destroy(w);
		return cs_fail_nomem(err);
	}
	memcpy(hdr, &w->ehdr, sizeof(w->ehdr));
	memset(&ph, 0, sizeof(ph));
	cs_put_le32(&ph.p_type, PT_NOTE);
	cs_put_le64(&ph.p_offset, notes_off);
	cs_put_le64(&ph.p_filesz, notes_size);
	cs_put_le64(&ph.p_memsz, notes_size);
	memcpy(hdr + sizeof(Elf64_Ehdr), &ph, sizeof(ph));
	for (size_t i = 0, n = 1; i < w->ntseg + w->nseg; i++) {
		const struct oseg *s = i < w->ntseg ? &w->tseg[i] : &w->seg[i - w->ntseg];
		Elf64_Phdr two[2];
		size_t m = load_phdrs(s, w->file_end, two);

		memcpy(hdr + sizeof(Elf64_Ehdr) + n * sizeof(Elf64_Phdr), two, m * sizeof(two[0]));
		n += m;
	}
	if (phnum >= PN_XNUM) {
		Elf64_Shdr sh;

		memset(&sh, 0, sizeof(sh));
		cs_put_le32(&sh.sh_info, (uint32_t)phnum);
		memcpy(hdr + sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr), &sh, sizeof(sh));
	}
	if (notes_size)
		memcpy(hdr + notes_off, vc->notes, notes_size);
	st = put(w, hdr, (size_t)(notes_off + notes_size), 0, err);
	free(hdr);
	if (st != CS_OK) {
		cs_err_prefix(err, "cannot write the ELF headers");
		elf_destroy(w);
		return st;
	}
	*wp = w;
	return CS_OK;
}

const struct cs_writer_ops cs_writer_elf = {
	.name = "elf",
	.create = elf_create,
	.page = elf_page,
	.zero_page = elf_zero_page,
	.finish = elf_finish,
	.mark_incomplete = elf_mark_incomplete,
	.destroy = elf_destroy,
	.bytes = elf_bytes,
};
