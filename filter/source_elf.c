/* source_elf.c - ELF64 dump input: program headers, notes, physical reads.
 *
 * The ELF and program headers are decoded here by hand (fixed offsets,
 * little-endian helpers) rather than with libelf, so the same code reads a
 * plain file and an ELF image inside a flattened stream (cs_src_pread).
 * Program headers are found through e_phoff, which matters for QEMU's
 * dump-guest-memory files (program headers after the section headers), and
 * e_phnum == PN_XNUM is resolved through section header 0's sh_info.
 * Nothing but the headers and notes is read up front (/proc/vmcore can be
 * many GiB); memory is read with pread, so reads are thread-safe.
 *
 * Our own and makedumpfile's -E output describe excluded pages as
 * p_filesz < p_memsz: those pfns are present without data.
 *
 * /proc/kcore (the running kernel, for --mem-usage and --estimate) is an
 * ELF core too, but its PT_LOADs are kernel virtual ranges at file offsets
 * derived from the virtual address: the direct map of each System RAM range
 * (KCORE_RAM), the kernel text, vmalloc, modules and vmemmap.  Since 4.11
 * (commit 464920104bf7) the RAM and text ones carry their physical address
 * in p_paddr and the others p_paddr = -1; those are not physical memory and
 * are skipped, and the text segment lies inside a RAM one and is dropped as
 * a second view (below).  Older kernels give p_paddr = 0 everywhere, which
 * we refuse rather than guess the direct-map base.
 */
#include "filter/source.h"

#include <stdlib.h>
#include <string.h>

#include "lib/io.h"

/* Sanity bounds for garbage headers.  A real /proc/vmcore has one PT_LOAD per
 * RAM range (hundreds at most, QEMU up to ~65k with PN_XNUM) and a few KiB of
 * notes per CPU. */
#define MAX_PHNUM	(1u << 20)
#define MAX_NOTES_SIZE	((uint64_t)64 << 20)

#define ELFCLASS64_	2
#define ELFDATA2LSB_	1
#define ET_CORE_	4
#define PT_LOAD_	1
#define PT_NOTE_	4
#define PN_XNUM_	0xffff
#define EHDR_SIZE	64
#define PHDR_SIZE	56
#define SHDR_SIZE	64

struct phdr {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

static void get_phdr(const uint8_t *b, struct phdr *ph)
{
	ph->type = cs_get_le32(b);
	ph->offset = cs_get_le64(b + 8);
	ph->vaddr = cs_get_le64(b + 16);
	ph->paddr = cs_get_le64(b + 24);
	ph->filesz = cs_get_le64(b + 32);
	ph->memsz = cs_get_le64(b + 40);
}

static int seg_cmp(const void *a, const void *b)
{
	const struct cs_segment *x = a, *y = b;

	if (x->phys != y->phys)
		return x->phys < y->phys ? -1 : 1;
	/* larger first, so a contained duplicate sorts after its container */
	if (x->mem_size != y->mem_size)
		return x->mem_size > y->mem_size ? -1 : 1;
	return 0;
}

static enum cs_status read_phdrs(struct cs_vmcore *vc, uint8_t **tabp, size_t *phnump,
				 uint64_t *phoffp, struct cs_err *err)
{
	uint8_t eh[EHDR_SIZE];
	uint64_t phoff, shoff;
	unsigned int phentsize, e_phnum, type;
	size_t phnum;
	uint8_t *tab;
	enum cs_status st;

	if (vc->file_size && vc->file_size < EHDR_SIZE)
		return cs_fail(err, CS_CORRUPT, "%s: not an ELF file: ELF header cut short (%llu bytes)",
			       vc->path, (unsigned long long)vc->file_size);
	st = cs_src_pread(vc, eh, sizeof(eh), 0, err);
	if (st)
		return cs_err_prefix(err, "cannot read the ELF header");
	vc->elf_class = eh[4];
	vc->machine = cs_get_le16(eh + 18);
	if (vc->elf_class != ELFCLASS64_)
		return cs_fail(err, CS_NOTSUPP, "%s: only ELF64 dumps are supported (ELF class %u)",
			       vc->path, vc->elf_class);
	if (eh[5] != ELFDATA2LSB_)
		return cs_fail(err, CS_NOTSUPP, "%s: only little-endian dumps are supported",
			       vc->path);
	type = cs_get_le16(eh + 16);
	if (type != ET_CORE_)
		return cs_fail(err, CS_CORRUPT, "%s: not an ELF core file (e_type %u)", vc->path, type);
	phoff = cs_get_le64(eh + 32);
	shoff = cs_get_le64(eh + 40);
	phentsize = cs_get_le16(eh + 54);
	e_phnum = cs_get_le16(eh + 56);
	/* say "truncated" rather than whatever a short table would make of it */
	if (vc->file_size && e_phnum != PN_XNUM_ &&
	    phoff + (uint64_t)e_phnum * phentsize > vc->file_size)
		return cs_fail(err, CS_CORRUPT,
			       "%s: program header table (offset %#llx, %u entries) extends beyond the end of the file (%#llx bytes)",
			       vc->path, (unsigned long long)phoff, e_phnum,
			       (unsigned long long)vc->file_size);
	phnum = e_phnum;
	if (e_phnum == PN_XNUM_) {
		uint8_t sh[SHDR_SIZE];

		if (!shoff || (vc->file_size && shoff + SHDR_SIZE > vc->file_size))
			return cs_fail(err, CS_CORRUPT,
				       "%s: bad program header count: e_phnum is PN_XNUM but section header 0 (offset %#llx) is missing",
				       vc->path, (unsigned long long)shoff);
		st = cs_src_pread(vc, sh, sizeof(sh), shoff, err);
		if (st)
			return cs_err_prefix(err, "cannot read section header 0");
		phnum = cs_get_le32(sh + 44);	/* sh_info */
	}
	if (phnum == 0)
		return cs_fail(err, CS_CORRUPT, "%s: no program headers", vc->path);
	if (phnum > MAX_PHNUM ||
	    (vc->file_size && (uint64_t)phnum * PHDR_SIZE > vc->file_size))
		return cs_fail(err, CS_CORRUPT, "%s: absurd program header count %zu", vc->path, phnum);
	if (phentsize != PHDR_SIZE)
		return cs_fail(err, CS_CORRUPT, "%s: bad program header size %u (want %u)",
			       vc->path, phentsize, PHDR_SIZE);
	if (vc->file_size && phoff + (uint64_t)phnum * PHDR_SIZE > vc->file_size)
		return cs_fail(err, CS_CORRUPT,
			       "%s: program header table (offset %#llx, %zu entries) extends beyond the end of the file (%#llx bytes)",
			       vc->path, (unsigned long long)phoff, phnum,
			       (unsigned long long)vc->file_size);
	tab = malloc(phnum * PHDR_SIZE);
	if (!tab)
		return cs_fail_nomem(err);
	st = cs_src_pread(vc, tab, phnum * PHDR_SIZE, phoff, err);
	if (st) {
		free(tab);
		return cs_err_prefix(err, "cannot read the program headers");
	}
	*tabp = tab;
	*phnump = phnum;
	*phoffp = phoff;
	return CS_OK;
}

static enum cs_status read_headers(struct cs_vmcore *vc, const uint8_t *tab, size_t phnum,
				   uint64_t phoff, struct cs_err *err)
{
	size_t nload = 0;
	uint64_t notes_total = 0, tab_end = phoff + (uint64_t)phnum * PHDR_SIZE;
	enum cs_status st;

	/* first pass: sizes */
	for (size_t i = 0; i < phnum; i++) {
		struct phdr ph;

		get_phdr(tab + i * PHDR_SIZE, &ph);
		/* a garbage e_phnum makes the table run into the notes and the
		 * memory image; real writers never overlap them */
		if ((ph.type == PT_LOAD_ || ph.type == PT_NOTE_) && ph.filesz &&
		    ph.offset < tab_end && phoff < ph.offset + ph.filesz)
			return cs_fail(err, CS_CORRUPT,
				       "%s: program header table (offset %#llx, %zu entries) overlaps the data of segment %zu at offset %#llx",
				       vc->path, (unsigned long long)phoff, phnum, i,
				       (unsigned long long)ph.offset);
		if (ph.type == PT_LOAD_) {
			nload++;
		} else if (ph.type == PT_NOTE_) {
			if (ph.filesz > MAX_NOTES_SIZE || notes_total + ph.filesz > MAX_NOTES_SIZE)
				return cs_fail(err, CS_CORRUPT,
					       "%s: note segment %zu at offset %#llx: absurd size %#llx",
					       vc->path, i, (unsigned long long)ph.offset,
					       (unsigned long long)ph.filesz);
			notes_total += ph.filesz;
		}
	}
	if (nload == 0)
		return cs_fail(err, CS_CORRUPT, "%s: no PT_LOAD segments", vc->path);

	vc->seg = calloc(nload, sizeof(*vc->seg));
	vc->notes = malloc(notes_total ? notes_total : 1);
	if (!vc->seg || !vc->notes)
		return cs_fail_nomem(err);

	/* second pass: collect */
	for (size_t i = 0; i < phnum; i++) {
		struct phdr ph;

		get_phdr(tab + i * PHDR_SIZE, &ph);
		if (ph.type == PT_NOTE_) {
			uint64_t at = vc->notes_size;

			if (ph.offset + ph.filesz < ph.offset ||
			    (vc->file_size && ph.offset + ph.filesz > vc->file_size))
				return cs_fail(err, CS_CORRUPT,
					       "%s: note segment %zu (offset %#llx, size %#llx) is beyond the end of the file (%#llx bytes)",
					       vc->path, i, (unsigned long long)ph.offset,
					       (unsigned long long)ph.filesz,
					       (unsigned long long)vc->file_size);
			st = cs_src_pread(vc, vc->notes + at, ph.filesz, ph.offset, err);
			if (st)
				return cs_err_prefix(err, "cannot read notes");
			vc->notes_size += ph.filesz;
			st = cs_src_scan_notes(vc, at, ph.filesz, err);
			if (st)
				return st;
		} else if (ph.type == PT_LOAD_) {
			struct cs_segment *s;

			if (ph.memsz == 0)
				continue;
			/* /proc/kcore: a virtual-only range (vmalloc, modules,
			 * vmemmap), not physical memory */
			if (ph.paddr == UINT64_MAX)
				continue;
			if (ph.filesz > ph.memsz || ph.paddr + ph.memsz < ph.paddr ||
			    ph.offset + ph.filesz < ph.offset)
				return cs_fail(err, CS_CORRUPT,
					       "%s: bad PT_LOAD %zu: paddr %#llx memsz %#llx offset %#llx filesz %#llx",
					       vc->path, i, (unsigned long long)ph.paddr,
					       (unsigned long long)ph.memsz,
					       (unsigned long long)ph.offset,
					       (unsigned long long)ph.filesz);
			s = &vc->seg[vc->nseg++];
			s->phys = ph.paddr;
			s->virt = ph.vaddr;
			s->mem_size = ph.memsz;
			s->file_off = ph.offset;
			s->file_size = ph.filesz;
			/* A file cut short (disk full while saving a copy): only the
			 * bytes actually present are data, the rest is a hole.  Not
			 * knowable for /proc files reporting st_size 0. */
			if (vc->file_size && s->file_off + s->file_size > vc->file_size) {
				uint64_t have = s->file_off >= vc->file_size ? 0
						: vc->file_size - s->file_off;

				vc->truncated_bytes += s->file_size - have;
				s->file_size = have;
			}
		}
	}
	if (vc->nseg == 0)
		return cs_fail(err, CS_CORRUPT, "%s: no PT_LOAD segments", vc->path);

	if (vc->nseg > 1 && vc->seg[0].phys == 0 && vc->seg[1].phys == 0 &&
	    vc->seg[0].virt >> 63 && vc->seg[1].virt >> 63)
		return cs_fail(err, CS_NOTSUPP,
			       "%s: PT_LOADs carry kernel virtual addresses without physical ones (/proc/kcore of a kernel before 4.11?)",
			       vc->path);
	qsort(vc->seg, vc->nseg, sizeof(*vc->seg), seg_cmp);
	/* kexec-tools' elfcorehdr describes the kernel image twice: its own
	 * PT_LOAD (kernel-text virtual addresses) inside the RAM range that
	 * also holds it.  A segment wholly inside the previous one is such a
	 * second view and is dropped; a partial overlap has no sane meaning. */
	{
		size_t out = 0;

		for (size_t i = 0; i < vc->nseg; i++) {
			struct cs_segment *s = &vc->seg[i];

			if (out) {
				struct cs_segment *prev = &vc->seg[out - 1];
				uint64_t pend = prev->phys + prev->mem_size;

				if (s->phys < pend) {
					if (s->phys + s->mem_size <= pend)
						continue;
					return cs_fail(err, CS_CORRUPT,
						       "%s: overlapping PT_LOAD segments: [%#llx-%#llx) and [%#llx-%#llx)",
						       vc->path, (unsigned long long)prev->phys,
						       (unsigned long long)pend,
						       (unsigned long long)s->phys,
						       (unsigned long long)(s->phys + s->mem_size));
				}
			}
			vc->seg[out++] = *s;
		}
		vc->nseg = out;
	}
	vc->page_size = cs_src_note_page_size(vc);
	{
		const struct cs_segment *last = &vc->seg[vc->nseg - 1];
		uint64_t end = last->phys + last->mem_size;

		vc->max_pfn = end / vc->page_size + (end % vc->page_size != 0);
	}
	return CS_OK;
}

static enum cs_status elf_open(struct cs_vmcore *vc, struct cs_err *err)
{
	uint8_t *tab = NULL;
	size_t phnum = 0;
	uint64_t phoff = 0;
	enum cs_status st = read_phdrs(vc, &tab, &phnum, &phoff, err);

	if (st == CS_OK)
		st = read_headers(vc, tab, phnum, phoff, err);
	free(tab);
	return st;
}

/* Index of the last segment starting at or below @addr, or -1. */
static long seg_find(const struct cs_vmcore *vc, uint64_t addr)
{
	size_t lo = 0, hi = vc->nseg;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (vc->seg[mid].phys <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

static enum cs_status elf_read_phys(const struct cs_vmcore *vc, uint64_t paddr,
				    void *buf, size_t len, struct cs_err *err)
{
	uint8_t *p = buf;

	while (len) {
		long i = seg_find(vc, paddr);
		const struct cs_segment *s;
		uint64_t in, n;
		enum cs_status st;

		if (i < 0 || paddr - vc->seg[i].phys >= vc->seg[i].file_size)
			return cs_fail(err, CS_NODATA, "physical address %#llx is not in the dump",
				       (unsigned long long)paddr);
		s = &vc->seg[i];
		in = paddr - s->phys;
		n = s->file_size - in;
		if (n > len)
			n = len;
		st = cs_src_pread(vc, p, (size_t)n, s->file_off + in, err);
		if (st)
			return cs_err_prefix(err, "cannot read physical address %#llx",
					     (unsigned long long)paddr);
		p += n;
		paddr += n;
		len -= (size_t)n;
	}
	return CS_OK;
}

/* Does any segment overlap pfn's page with its first @data (1: file_size,
 * 0: mem_size) bytes? */
static int pfn_covered(const struct cs_vmcore *vc, uint64_t pfn, int data)
{
	uint64_t a = pfn * vc->page_size, b = a + vc->page_size;

	if (pfn >= vc->max_pfn)
		return 0;
	/* segments do not overlap: only the one holding @a and those starting
	 * inside the page can contribute */
	for (long i = seg_find(vc, b - 1); i >= 0; i--) {
		const struct cs_segment *s = &vc->seg[i];
		uint64_t size = data ? s->file_size : s->mem_size;

		if (s->phys + s->mem_size <= a)
			break;
		if (size && s->phys + size > a)
			return 1;
	}
	return 0;
}

static int elf_pfn_present(const struct cs_vmcore *vc, uint64_t pfn)
{
	return pfn_covered(vc, pfn, 0);
}

static int elf_pfn_has_data(const struct cs_vmcore *vc, uint64_t pfn)
{
	return pfn_covered(vc, pfn, 1);
}

/* set bits [first, last] of a bitmap whose bit 0 is pfn @base, clipped to
 * [base, max) */
static void set_range(uint8_t *bm, uint64_t base, uint64_t first, uint64_t last, uint64_t max)
{
	if (last >= max)
		last = max - 1;
	if (first < base)
		first = base;
	for (uint64_t pfn = first; pfn <= last; pfn++) {
		uint64_t i = pfn - base;

		if (!(i & 7) && pfn + 7 <= last) {
			bm[i >> 3] = 0xff;
			pfn += 7;
		} else {
			bm[i >> 3] |= (uint8_t)(1u << (i & 7));
		}
	}
}

static void elf_bitmaps(const struct cs_vmcore *vc, uint8_t *present, uint8_t *data,
			uint64_t start, uint64_t end)
{
	unsigned int shift = 0;

	while ((1u << shift) < vc->page_size)
		shift++;
	for (size_t i = 0; i < vc->nseg; i++) {
		const struct cs_segment *s = &vc->seg[i];
		uint64_t first = s->phys >> shift;

		if (first >= end || !s->mem_size || (s->phys + s->mem_size - 1) >> shift < start)
			continue;
		/* a page partly covered counts (pfn 0x9f on PC guests) */
		set_range(present, start, first, (s->phys + s->mem_size - 1) >> shift, end);
		if (s->file_size && (s->phys + s->file_size - 1) >> shift >= start)
			set_range(data, start, first, (s->phys + s->file_size - 1) >> shift, end);
	}
}

static enum cs_status elf_read_page(const struct cs_vmcore *vc, uint64_t pfn,
				    void *buf, struct cs_err *err)
{
	uint64_t a = pfn * vc->page_size, b = a + vc->page_size;
	int got = 0;

	memset(buf, 0, vc->page_size);
	if (pfn < vc->max_pfn) {
		for (long i = seg_find(vc, b - 1); i >= 0; i--) {
			const struct cs_segment *s = &vc->seg[i];
			uint64_t from, to;
			enum cs_status st;

			if (s->phys + s->mem_size <= a)
				break;
			from = s->phys > a ? s->phys : a;
			to = s->phys + s->file_size < b ? s->phys + s->file_size : b;
			if (from >= to)
				continue;
			st = cs_src_pread(vc, (uint8_t *)buf + (from - a), (size_t)(to - from),
					  s->file_off + (from - s->phys), err);
			if (st)
				return cs_err_prefix(err, "cannot read pfn %#llx",
						     (unsigned long long)pfn);
			got = 1;
		}
	}
	if (!got)
		return cs_fail(err, CS_NODATA, "pfn %#llx is not in the dump",
			       (unsigned long long)pfn);
	return CS_OK;
}

enum cs_status cs_vmcore_drop_range(struct cs_vmcore *vc, uint64_t start, uint64_t end,
				    struct cs_err *err)
{
	struct cs_segment *seg;
	size_t n = 0;

	if (vc->ops != &cs_source_elf || vc->flat)
		return cs_fail(err, CS_NOTSUPP, "%s: only a plain ELF input can leave out a physical range",
			       vc->path);
	if (start >= end)
		return CS_OK;
	/* at most one segment is split in two */
	seg = calloc(vc->nseg + 1, sizeof(*seg));
	if (!seg)
		return cs_fail_nomem(err);
	for (size_t i = 0; i < vc->nseg; i++) {
		struct cs_segment s = vc->seg[i];
		uint64_t s_end = s.phys + s.mem_size;

		if (s_end <= start || s.phys >= end) {
			seg[n++] = s;
			continue;
		}
		if (s.phys < start) {		/* the part below */
			struct cs_segment lo = s;

			lo.mem_size = start - s.phys;
			if (lo.file_size > lo.mem_size)
				lo.file_size = lo.mem_size;
			seg[n++] = lo;
		}
		if (s_end > end) {		/* the part above */
			struct cs_segment hi = s;
			uint64_t cut = end - s.phys;

			hi.phys = end;
			hi.virt = s.virt + cut;
			hi.mem_size = s_end - end;
			hi.file_off = s.file_off + cut;
			hi.file_size = s.file_size > cut ? s.file_size - cut : 0;
			seg[n++] = hi;
		}
	}
	if (n == 0) {
		free(seg);
		return cs_fail(err, CS_INVALID, "%s: leaving out [%#llx-%#llx) leaves no memory",
			       vc->path, (unsigned long long)start, (unsigned long long)end);
	}
	free(vc->seg);
	vc->seg = seg;
	vc->nseg = n;
	return CS_OK;
}

const struct cs_source_ops cs_source_elf = {
	.name = "elf",
	.open = elf_open,
	.close = NULL,		/* segments and notes are freed by vmcore.c */
	.read_phys = elf_read_phys,
	.read_page = elf_read_page,
	.pfn_present = elf_pfn_present,
	.pfn_has_data = elf_pfn_has_data,
	.bitmaps = elf_bitmaps,
};
