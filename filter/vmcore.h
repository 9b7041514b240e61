/* vmcore.h - an opened dump source: the physical memory image plus its notes.
 *
 * One interface over every input format (filter/source.h has the ops table):
 *  - ELF64 cores (/proc/vmcore, a saved copy, QEMU dump-guest-memory output,
 *    makedumpfile/coresift -E output): filter/source_elf.c;
 *  - kdump-compressed files ("KDUMP   ", old "DISKDUMP"), makedumpfile's,
 *    QEMU's or ours: filter/source_kdump.c;
 *  - either of them as a flattened stream (-F, "makedumpfile" signature),
 *    read in place through an offset map: filter/source_flat.c.
 * cs_vmcore_open() probes the magic and picks the ops.
 *
 * A pfn has two properties: it is *present* (RAM in the input: kdump 1st
 * bitmap, ELF inside a PT_LOAD's memsz) and it *has data* (kdump 2nd bitmap
 * with a written descriptor, ELF inside filesz).  A page the input excluded is
 * present without data: reading it gives CS_NODATA, and the plan never keeps
 * it (nothing is invented when re-filtering).
 *
 * Reading is thread-safe: sources only use pread() on a shared fd, immutable
 * tables, and per-call (pooled) decompression state.
 */
#ifndef CS_VMCORE_H
#define CS_VMCORE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

/* One PT_LOAD of an ELF input: physical range [phys, phys + mem_size); the
 * first file_size bytes are in the file at file_off, the rest (file_size <
 * mem_size) is a hole that reads as "no data". */
struct cs_segment {
	uint64_t phys;
	uint64_t virt;
	uint64_t mem_size;
	uint64_t file_off;
	uint64_t file_size;
};

struct cs_source_ops;
struct cs_flat_map;
struct cs_mapread;

struct cs_vmcore {
	int fd;
	char *path;
	uint64_t file_size;	/* st_size (flattened: size of the rebuilt image);
				 * 0 for /proc/vmcore-like files that lie */
	const struct cs_source_ops *ops;
	void *priv;		/* the source's own state */
	const struct cs_flat_map *flat;	/* non-NULL: reads go through the map */
	struct cs_mapread *map;	/* non-NULL: file reads through mmap windows */
	const char *format;	/* "elf", "kdump", "flattened kdump", ... */
	unsigned int elf_class;	/* ELFCLASS64 */
	unsigned int machine;	/* EM_X86_64 */
	size_t nseg;		/* ELF: the PT_LOADs; kdump: runs of present pfns */
	struct cs_segment *seg;	/* sorted by phys; file_off only means something for ELF */
	uint8_t *notes;		/* all ELF notes, concatenated verbatim */
	size_t notes_size;
	unsigned int nr_cpus;	/* NT_PRSTATUS notes */
	const char *vmcoreinfo;	/* points into notes; NOT NUL-terminated */
	size_t vmcoreinfo_size;
	uint64_t vmcoreinfo_off; /* offset of the VMCOREINFO desc within notes */
	uint64_t max_pfn;	/* highest present pfn + 1 */
	unsigned int page_size;	/* from VMCOREINFO PAGESIZE (kdump: block_size), else 4096 */
	uint64_t truncated_bytes; /* PT_LOAD data past EOF (file cut short): read as holes */
	/* what an earlier filtering run left (kdump inputs; 0/NULL for ELF) */
	unsigned int dump_level; /* the input's -d level: a re-filter ORs it in */
	uint32_t status;	/* kdump header status bits (codec, 0x8 incomplete) */
	int incomplete;		/* pages after a cut read as no data */
	uint8_t *eraseinfo;	/* the input's eraseinfo text, carried over */
	size_t eraseinfo_size;
	/* one file of a --split set: it holds pfns [split_start, split_end) */
	int split;
	uint64_t split_start, split_end;
};

/* Open @path, probe its format, read its headers and notes.  On failure @vc
 * is left closed. */
enum cs_status cs_vmcore_open(const char *path, struct cs_vmcore *vc, struct cs_err *err);
void cs_vmcore_close(struct cs_vmcore *vc);

/* How file bytes are read (filter/mapread.h has the measurement):
 * CS_READ_AUTO maps /proc/vmcore (a procfs file) and preads anything else;
 * CS_READ_PREAD is --non-mmap; CS_READ_MMAP maps any plain ELF file (tests).
 * Only a plain ELF input (not flattened, not kdump) is ever mapped; a
 * mapping that fails falls back to pread. */
enum cs_read_mode { CS_READ_AUTO, CS_READ_PREAD, CS_READ_MMAP };
enum cs_status cs_vmcore_set_read_mode(struct cs_vmcore *vc, enum cs_read_mode mode,
				       struct cs_err *err);

/* Open @n inputs as one: @n == 1 is cs_vmcore_open(); more must be all the
 * files of one --split set (any order), read as one dump through
 * filter/source_split.c.  A lone file of a split set is refused. */
enum cs_status cs_vmcore_open_set(char *const *paths, size_t n, struct cs_vmcore *vc,
				  struct cs_err *err);

/* Read @len bytes of physical memory at @paddr.  Ranges that cross page or
 * segment boundaries are fine as long as every byte has data; a byte without
 * data gives CS_NODATA ("physical address 0x... is not in the dump"). */
enum cs_status cs_vmcore_read_phys(const struct cs_vmcore *vc, uint64_t paddr,
				   void *buf, size_t len, struct cs_err *err);

/* Does pfn @pfn have data (at least one byte: a page only partly covered,
 * like pfn 0x9f on PC guests, counts; read_page zero-fills the rest)? */
int cs_vmcore_pfn_has_data(const struct cs_vmcore *vc, uint64_t pfn);

/* Is pfn @pfn RAM in the input (with or without data)? */
int cs_vmcore_pfn_present(const struct cs_vmcore *vc, uint64_t pfn);

/* Fill the two bitmaps for pfns [@start, @end) (@start a multiple of 8; pfn
 * p is byte (p - start)/8, bit p%8; both zeroed by the caller): @present as
 * cs_vmcore_pfn_present, @data as cs_vmcore_pfn_has_data.  Done per range,
 * not per pfn, so that the page plan can fill one window at a time. */
void cs_vmcore_bitmaps(const struct cs_vmcore *vc, uint8_t *present, uint8_t *data,
		       uint64_t start, uint64_t end);

/* Leave physical range [@start, @end) out of an ELF input, as a memory hole
 * (the crash kernel's reservation when reading /proc/kcore).  Segments are
 * cut; max_pfn is kept.  Other inputs: CS_NOTSUPP. */
enum cs_status cs_vmcore_drop_range(struct cs_vmcore *vc, uint64_t start, uint64_t end,
				    struct cs_err *err);

/* Read one page; bytes of the page outside any segment read as zero, but at
 * least one byte must have data (else CS_NODATA).  A page that fails to
 * decompress is CS_CORRUPT naming the pfn and the file offset. */
enum cs_status cs_vmcore_read_page(const struct cs_vmcore *vc, uint64_t pfn,
				   void *buf, struct cs_err *err);

#endif
