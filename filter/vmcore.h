/* vmcore.h - an opened dump source: the physical memory image plus its notes.
 *
 * Today: ELF64 cores (/proc/vmcore, a saved copy, QEMU dump-guest-memory
 * output; program headers found through e_phoff).  Later: kdump-compressed,
 * flattened and split inputs behind the same interface (struct cs_source_ops).
 *
 * Reading is thread-safe: cs_vmcore_read_phys() only uses pread() on a shared
 * fd and the immutable segment table.
 */
#ifndef CS_VMCORE_H
#define CS_VMCORE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

/* One PT_LOAD: physical range [phys, phys + mem_size); the first file_size
 * bytes are in the file at file_off, the rest (file_size < mem_size) is a
 * hole that reads as "no data". */
struct cs_segment {
	uint64_t phys;
	uint64_t virt;
	uint64_t mem_size;
	uint64_t file_off;
	uint64_t file_size;
};

struct cs_vmcore {
	int fd;
	char *path;
	uint64_t file_size;	/* st_size; 0 for /proc/vmcore-like files that lie */
	unsigned int elf_class;	/* ELFCLASS64 */
	unsigned int machine;	/* EM_X86_64 */
	size_t nseg;
	struct cs_segment *seg;	/* sorted by phys */
	uint8_t *notes;		/* all PT_NOTE segments, concatenated verbatim */
	size_t notes_size;
	unsigned int nr_cpus;	/* NT_PRSTATUS notes */
	const char *vmcoreinfo;	/* points into notes; NOT NUL-terminated */
	size_t vmcoreinfo_size;
	uint64_t vmcoreinfo_off; /* offset of the VMCOREINFO desc within notes */
	uint64_t max_pfn;	/* highest pfn with a segment + 1 */
	unsigned int page_size;	/* from VMCOREINFO PAGESIZE, else 4096 */
	uint64_t truncated_bytes; /* PT_LOAD data past EOF (file cut short): read as holes */
};

/* Open @path and read its headers and notes. On failure @vc is left closed. */
enum cs_status cs_vmcore_open(const char *path, struct cs_vmcore *vc, struct cs_err *err);
void cs_vmcore_close(struct cs_vmcore *vc);

/* Read @len bytes of physical memory at @paddr.  Ranges that cross segment
 * boundaries are fine as long as every byte has file data; a byte in a hole or
 * outside every segment gives CS_NODATA ("physical address 0x... is not in the
 * dump"). */
enum cs_status cs_vmcore_read_phys(const struct cs_vmcore *vc, uint64_t paddr,
				   void *buf, size_t len, struct cs_err *err);

/* Does pfn @pfn have file data for its whole page?  (1st bitmap semantics;
 * a page only partly covered, like pfn 0x9f on PC guests, counts as present:
 * the covered bytes are read and the rest is zero-filled by read_page.) */
int cs_vmcore_pfn_present(const struct cs_vmcore *vc, uint64_t pfn);

/* Read one page; bytes of the page outside any segment read as zero, but at
 * least one byte must be present (else CS_NODATA). */
enum cs_status cs_vmcore_read_page(const struct cs_vmcore *vc, uint64_t pfn,
				   void *buf, struct cs_err *err);

#endif
