/* kernel.h - what we know about the crashed kernel: VMCOREINFO + architecture.
 *
 * struct cs_kernel ties a dump source to its VMCOREINFO and to the
 * architecture's address translation (an ops table so arm64 can follow).
 */
#ifndef CS_KERNEL_H
#define CS_KERNEL_H

#include <stdint.h>

#include "filter/vmcore.h"
#include "filter/vmcoreinfo.h"
#include "lib/error.h"

struct cs_kernel;

struct cs_arch_ops {
	const char *name;		/* "x86_64": also utsname.machine */
	unsigned int elf_machine;	/* EM_X86_64 */
	/* derive translation state (page-table root, direct map base, vmemmap
	 * base, paging levels) from VMCOREINFO and memory */
	enum cs_status (*init)(struct cs_kernel *k, struct cs_err *err);
	/* kernel virtual -> physical; CS_NODATA when unmapped */
	enum cs_status (*vtop)(const struct cs_kernel *k, uint64_t vaddr,
			       uint64_t *paddr, struct cs_err *err);
};

/* x86_64 translation state (filled by the x86_64 ops' init) */
struct cs_x86_64_state {
	uint64_t pgd_paddr;		/* physical address of init_top_pgt */
	uint64_t page_offset;		/* direct map base (page_offset_base) */
	uint64_t vmemmap_base;
	uint64_t phys_base;
	uint64_t kaslr_offset;
	int levels;			/* 4 or 5 */
};

struct cs_kernel {
	const struct cs_vmcore *vc;
	struct cs_vmcoreinfo vi;
	const struct cs_arch_ops *arch;
	union {
		struct cs_x86_64_state x86_64;
	} as;
};

/* Find the ops for an ELF e_machine; NULL if unsupported. */
const struct cs_arch_ops *cs_arch_find(unsigned int elf_machine);

/* Parse VMCOREINFO (from the dump, or @vmcoreinfo_text when non-NULL, the -i
 * option), pick the arch and run its init. */
enum cs_status cs_kernel_init(struct cs_kernel *k, const struct cs_vmcore *vc,
			      const char *vmcoreinfo_path, struct cs_err *err);

/* Open the dump (@n files: one dump, or all the files of a --split set),
 * then cs_kernel_init.  On failure nothing is left open and the message
 * names @paths[0]. */
enum cs_status cs_kernel_open(char *const *paths, size_t n,
			      const char *vmcoreinfo_path, struct cs_vmcore *vc,
			      struct cs_kernel *k, struct cs_err *err);

/* Read kernel virtual memory through the arch's vtop (page by page). */
enum cs_status cs_kernel_read_virt(const struct cs_kernel *k, uint64_t vaddr,
				   void *buf, size_t len, struct cs_err *err);

#endif
