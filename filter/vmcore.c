/* vmcore.c - ELF64 dump input: program headers, notes, physical reads.
 *
 * Headers come from libelf opened with ELF_C_READ on the fd, so nothing but
 * the ELF and program headers is read up front (/proc/vmcore can be many
 * GiB).  gelf_getphdr() follows e_phoff, which matters for QEMU's
 * dump-guest-memory files (program headers after the section headers), and
 * elf_getphdrnum() resolves PN_XNUM.  Memory itself is read with pread() on
 * the shared fd, so reads are thread-safe.
 */
#include "filter/vmcore.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/io.h"

/* Sanity bounds for garbage headers.  A real /proc/vmcore has one PT_LOAD per
 * RAM range (hundreds at most, QEMU up to ~65k with PN_XNUM) and a few KiB of
 * notes per CPU. */
#define MAX_PHNUM	(1u << 20)
#define MAX_NOTES_SIZE	((uint64_t)64 << 20)

#define NOTE_ALIGN(x)	(((x) + 3) & ~(uint64_t)3)

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

/* Walk one PT_NOTE segment's notes: count CPUs, find VMCOREINFO. */
static enum cs_status scan_notes(struct cs_vmcore *vc, uint64_t start, uint64_t size,
				 struct cs_err *err)
{
	const uint8_t *p = vc->notes;
	uint64_t off = start, end = start + size;

	while (off < end) {
		uint32_t namesz, descsz, type;
		uint64_t name_off, desc_off, next;

		if (end - off < 12) {
			/* trailing padding is harmless; anything else is not */
			for (uint64_t i = off; i < end; i++)
				if (p[i])
					return cs_fail(err, CS_CORRUPT,
						       "%s: corrupt ELF note at notes offset %#llx: %llu stray bytes",
						       vc->path, (unsigned long long)off,
						       (unsigned long long)(end - off));
			break;
		}
		namesz = cs_get_le32(p + off);
		descsz = cs_get_le32(p + off + 4);
		type = cs_get_le32(p + off + 8);
		name_off = off + 12;
		desc_off = name_off + NOTE_ALIGN((uint64_t)namesz);
		next = desc_off + NOTE_ALIGN((uint64_t)descsz);
		/* 64-bit arithmetic on 32-bit sizes cannot wrap; compare against end */
		if (desc_off > end || desc_off + descsz > end)
			return cs_fail(err, CS_CORRUPT,
				       "%s: corrupt ELF note at notes offset %#llx: name size %u + desc size %u exceed the note segment (%llu bytes left)",
				       vc->path, (unsigned long long)off, namesz, descsz,
				       (unsigned long long)(end - off));
		if (namesz == 5 && !memcmp(p + name_off, "CORE", 5) && type == 1 /* NT_PRSTATUS */)
			vc->nr_cpus++;
		if (namesz == 11 && !memcmp(p + name_off, "VMCOREINFO", 11) && !vc->vmcoreinfo) {
			size_t len = descsz;

			/* the kernel pads the text with NULs up to the note size */
			while (len && p[desc_off + len - 1] == '\0')
				len--;
			vc->vmcoreinfo = (const char *)p + desc_off;
			vc->vmcoreinfo_size = len;
			vc->vmcoreinfo_off = desc_off;
		}
		off = next > end ? end : next;
	}
	return CS_OK;
}

/* PAGESIZE is the one VMCOREINFO key this layer needs (read_page). */
static unsigned int note_page_size(const struct cs_vmcore *vc)
{
	const char *s = vc->vmcoreinfo, *e = s + vc->vmcoreinfo_size;

	while (s && s < e) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(e - s);

		if (n > 9 && n < 20 && !memcmp(s, "PAGESIZE=", 9)) {
			char buf[16];
			unsigned long v;
			char *endp;

			memcpy(buf, s + 9, n - 9);
			buf[n - 9] = '\0';
			v = strtoul(buf, &endp, 10);
			if (*endp == '\0' && v >= 512 && v <= (1ul << 20) && !(v & (v - 1)))
				return (unsigned int)v;
		}
		s = nl ? nl + 1 : e;
	}
	return 4096;
}

static enum cs_status read_headers(struct cs_vmcore *vc, Elf *elf, struct cs_err *err)
{
	GElf_Ehdr eh;
	size_t phnum, nload = 0;
	uint64_t notes_total = 0;
	enum cs_status st;

	if (elf_kind(elf) != ELF_K_ELF)
		return cs_fail(err, CS_CORRUPT, "%s: not an ELF file", vc->path);
	if (!gelf_getehdr(elf, &eh))
		return cs_fail(err, CS_CORRUPT, "%s: bad ELF header: %s", vc->path, elf_errmsg(-1));
	vc->elf_class = eh.e_ident[EI_CLASS];
	vc->machine = eh.e_machine;
	if (vc->elf_class != ELFCLASS64)
		return cs_fail(err, CS_NOTSUPP, "%s: only ELF64 dumps are supported (ELF class %u)",
			       vc->path, vc->elf_class);
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return cs_fail(err, CS_NOTSUPP, "%s: only little-endian dumps are supported",
			       vc->path);
	if (eh.e_type != ET_CORE)
		return cs_fail(err, CS_CORRUPT, "%s: not an ELF core file (e_type %u)",
			       vc->path, (unsigned int)eh.e_type);
	/* say "truncated" rather than whatever libelf makes of a short table */
	if (vc->file_size && eh.e_phnum != PN_XNUM &&
	    eh.e_phoff + (uint64_t)eh.e_phnum * eh.e_phentsize > vc->file_size)
		return cs_fail(err, CS_CORRUPT,
			       "%s: program header table (offset %#llx, %u entries) extends beyond the end of the file (%#llx bytes)",
			       vc->path, (unsigned long long)eh.e_phoff, (unsigned int)eh.e_phnum,
			       (unsigned long long)vc->file_size);
	if (elf_getphdrnum(elf, &phnum) != 0)
		return cs_fail(err, CS_CORRUPT, "%s: bad program header count: %s",
			       vc->path, elf_errmsg(-1));
	if (phnum == 0)
		return cs_fail(err, CS_CORRUPT, "%s: no program headers", vc->path);
	if (phnum > MAX_PHNUM ||
	    (vc->file_size && (uint64_t)phnum * sizeof(Elf64_Phdr) > vc->file_size))
		return cs_fail(err, CS_CORRUPT, "%s: absurd program header count %zu", vc->path, phnum);

	/* first pass: sizes */
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		uint64_t tab_end = eh.e_phoff + (uint64_t)phnum * sizeof(Elf64_Phdr);

		if (!gelf_getphdr(elf, (int)i, &ph))
			return cs_fail(err, CS_CORRUPT, "%s: cannot read program header %zu: %s",
				       vc->path, i, elf_errmsg(-1));
		/* a garbage e_phnum makes the table run into the notes and the
		 * memory image; real writers never overlap them */
		if ((ph.p_type == PT_LOAD || ph.p_type == PT_NOTE) && ph.p_filesz &&
		    ph.p_offset < tab_end && eh.e_phoff < ph.p_offset + ph.p_filesz)
			return cs_fail(err, CS_CORRUPT,
				       "%s: program header table (offset %#llx, %zu entries) overlaps the data of segment %zu at offset %#llx",
				       vc->path, (unsigned long long)eh.e_phoff, phnum, i,
				       (unsigned long long)ph.p_offset);
		if (ph.p_type == PT_LOAD) {
			nload++;
		} else if (ph.p_type == PT_NOTE) {
			if (ph.p_filesz > MAX_NOTES_SIZE || notes_total + ph.p_filesz > MAX_NOTES_SIZE)
				return cs_fail(err, CS_CORRUPT,
					       "%s: note segment %zu at offset %#llx: absurd size %#llx",
					       vc->path, i, (unsigned long long)ph.p_offset,
					       (unsigned long long)ph.p_filesz);
			notes_total += ph.p_filesz;
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
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			return cs_fail(err, CS_CORRUPT, "%s: cannot read program header %zu: %s",
				       vc->path, i, elf_errmsg(-1));
		if (ph.p_type == PT_NOTE) {
			uint64_t at = vc->notes_size;

			if (ph.p_offset + ph.p_filesz < ph.p_offset ||
			    (vc->file_size && ph.p_offset + ph.p_filesz > vc->file_size))
				return cs_fail(err, CS_CORRUPT,
					       "%s: note segment %zu (offset %#llx, size %#llx) is beyond the end of the file (%#llx bytes)",
					       vc->path, i, (unsigned long long)ph.p_offset,
					       (unsigned long long)ph.p_filesz,
					       (unsigned long long)vc->file_size);
			st = cs_pread_all(vc->fd, vc->notes + at, ph.p_filesz, ph.p_offset,
					  vc->path, err);
			if (st)
				return cs_err_prefix(err, "cannot read notes");
			vc->notes_size += ph.p_filesz;
			st = scan_notes(vc, at, ph.p_filesz, err);
			if (st)
				return st;
		} else if (ph.p_type == PT_LOAD) {
			struct cs_segment *s;

			if (ph.p_memsz == 0)
				continue;
			if (ph.p_filesz > ph.p_memsz ||
			    ph.p_paddr + ph.p_memsz < ph.p_paddr ||
			    ph.p_offset + ph.p_filesz < ph.p_offset)
				return cs_fail(err, CS_CORRUPT,
					       "%s: bad PT_LOAD %zu: paddr %#llx memsz %#llx offset %#llx filesz %#llx",
					       vc->path, i, (unsigned long long)ph.p_paddr,
					       (unsigned long long)ph.p_memsz,
					       (unsigned long long)ph.p_offset,
					       (unsigned long long)ph.p_filesz);
			s = &vc->seg[vc->nseg++];
			s->phys = ph.p_paddr;
			s->virt = ph.p_vaddr;
			s->mem_size = ph.p_memsz;
			s->file_off = ph.p_offset;
			s->file_size = ph.p_filesz;
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
	vc->page_size = note_page_size(vc);
	{
		const struct cs_segment *last = &vc->seg[vc->nseg - 1];
		uint64_t end = last->phys + last->mem_size;

		vc->max_pfn = end / vc->page_size + (end % vc->page_size != 0);
	}
	return CS_OK;
}

enum cs_status cs_vmcore_open(const char *path, struct cs_vmcore *vc, struct cs_err *err)
{
	struct stat sb;
	Elf *elf;
	enum cs_status st;

	memset(vc, 0, sizeof(*vc));
	vc->fd = -1;
	vc->path = strdup(path);
	if (!vc->path)
		return cs_fail_nomem(err);
	vc->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (vc->fd < 0) {
		st = cs_fail_errno(err, errno, "cannot open %s", path);
		cs_vmcore_close(vc);
		return st;
	}
	if (fstat(vc->fd, &sb) == 0 && S_ISREG(sb.st_mode))
		vc->file_size = (uint64_t)sb.st_size;
	if (vc->file_size == 0 && S_ISREG(sb.st_mode) && strncmp(path, "/proc/", 6) != 0) {
		cs_vmcore_close(vc);
		return cs_fail(err, CS_CORRUPT, "%s: empty file", path);
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(vc->fd, ELF_C_READ, NULL);
	if (!elf) {
		st = cs_fail(err, CS_CORRUPT, "%s: not an ELF file: %s", path, elf_errmsg(-1));
		cs_vmcore_close(vc);
		return st;
	}
	st = read_headers(vc, elf, err);
	elf_end(elf);
	if (st)
		cs_vmcore_close(vc);
	return st;
}

void cs_vmcore_close(struct cs_vmcore *vc)
{
	if (!vc)
		return;
	if (vc->fd >= 0)
		close(vc->fd);
	free(vc->path);
	free(vc->seg);
	free(vc->notes);
	memset(vc, 0, sizeof(*vc));
	vc->fd = -1;
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

enum cs_status cs_vmcore_read_phys(const struct cs_vmcore *vc, uint64_t paddr,
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
		st = cs_pread_all(vc->fd, p, (size_t)n, s->file_off + in, vc->path, err);
		if (st)
			return cs_err_prefix(err, "cannot read physical address %#llx",
					     (unsigned long long)paddr);
		p += n;
		paddr += n;
		len -= (size_t)n;
	}
	return CS_OK;
}

int cs_vmcore_pfn_present(const struct cs_vmcore *vc, uint64_t pfn)
{
	uint64_t a = pfn * vc->page_size, b = a + vc->page_size;

	if (pfn >= vc->max_pfn)
		return 0;
	/* segments do not overlap: only the one holding @a and those starting
	 * inside the page can contribute */
	for (long i = seg_find(vc, b - 1); i >= 0; i--) {
		const struct cs_segment *s = &vc->seg[i];

		if (s->phys + s->mem_size <= a)
			break;
		if (s->file_size && s->phys + s->file_size > a)
			return 1;
	}
	return 0;
}

enum cs_status cs_vmcore_read_page(const struct cs_vmcore *vc, uint64_t pfn,
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
			st = cs_pread_all(vc->fd, (uint8_t *)buf + (from - a), (size_t)(to - from),
					  s->file_off + (from - s->phys), vc->path, err);
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
