/* source.h - dump source operations (private to filter/vmcore.c and the
 * filter/source_*.c files; everyone else uses filter/vmcore.h).
 *
 * A source's open() fills the public fields of struct cs_vmcore (notes,
 * VMCOREINFO, page size, max_pfn, machine) and its private state in
 * vc->priv.  All file access goes through cs_src_pread(), which reads the
 * plain file or, for a flattened stream, the rebuilt image through the
 * offset map; so the ELF and kdump parsers run unchanged on either.
 */
#ifndef CS_SOURCE_H
#define CS_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "filter/vmcore.h"
#include "lib/error.h"

struct cs_source_ops {
	const char *name;			/* "elf", "kdump" */
	enum cs_status (*open)(struct cs_vmcore *vc, struct cs_err *err);
	void (*close)(struct cs_vmcore *vc);	/* frees vc->priv and what open allocated */
	enum cs_status (*read_phys)(const struct cs_vmcore *vc, uint64_t paddr,
				    void *buf, size_t len, struct cs_err *err);
	enum cs_status (*read_page)(const struct cs_vmcore *vc, uint64_t pfn,
				    void *buf, struct cs_err *err);
	int (*pfn_present)(const struct cs_vmcore *vc, uint64_t pfn);
	int (*pfn_has_data)(const struct cs_vmcore *vc, uint64_t pfn);
	/* pfns [start, end), start a multiple of 8; bit (pfn - start) */
	void (*bitmaps)(const struct cs_vmcore *vc, uint8_t *present, uint8_t *data,
			uint64_t start, uint64_t end);
};

extern const struct cs_source_ops cs_source_elf, cs_source_kdump;

/* cs_vmcore_open() without the refusal of a lone --split file (the set
 * opener uses it for each member). */
enum cs_status cs_vmcore_open_member(const char *path, struct cs_vmcore *vc, struct cs_err *err);

/* The files of one --split set as one input (filter/source_split.c). */
enum cs_status cs_split_open(char *const *paths, size_t n, struct cs_vmcore *vc,
			     struct cs_err *err);

/* Read exactly @len bytes of the (logical) input at @off.  Past the end is
 * CS_CORRUPT "truncated"; inside a flattened image, bytes no record wrote
 * read as zeros (what -R would leave in a sparse file). */
enum cs_status cs_src_pread(const struct cs_vmcore *vc, void *buf, size_t len, uint64_t off,
			    struct cs_err *err);

/* Walk the ELF notes in vc->notes[start, start + size): count NT_PRSTATUS
 * notes into vc->nr_cpus, point vc->vmcoreinfo at the first VMCOREINFO. */
enum cs_status cs_src_scan_notes(struct cs_vmcore *vc, uint64_t start, uint64_t size,
				 struct cs_err *err);

/* PAGESIZE from the VMCOREINFO text, else 4096. */
unsigned int cs_src_note_page_size(const struct cs_vmcore *vc);

/* The flattened stream's offset map (filter/source_flat.c). */
enum cs_status cs_flat_map_build(int fd, const char *path, uint64_t file_size,
				 struct cs_flat_map **map, struct cs_err *err);
void cs_flat_map_destroy(struct cs_flat_map *map);
/* size of the rebuilt image; *@cut = the stream ended without a terminator */
uint64_t cs_flat_map_size(const struct cs_flat_map *map, int *cut);
enum cs_status cs_flat_map_pread(const struct cs_flat_map *map, int fd, const char *path,
				 void *buf, size_t len, uint64_t off, struct cs_err *err);

#endif
