/* kernel.h - what we know about the crashed kernel: VMCOREINFO + architecture.
 *
 * struct cs_kernel ties a dump source to its VMCOREINFO and to the
 * architecture's address translation (an ops table so arm64 can follow).
 */
#ifndef CS_KERNEL_H
#define CS_KERNEL_H

#include <pthread.h>
#include <stdint.h>

#include "filter/vmcore.h"
#include "filter/vmcoreinfo.h"
#include "lib/error.h"

struct cs_kernel;

/* One leaf mapping of kernel virtual memory: [va, va + size) is physical
 * [pa, pa + size). */
struct cs_mapping {
	uint64_t va;
	uint64_t pa;
	uint64_t size;		/* x86_64: 4 KiB, 2 MiB or 1 GiB */
	unsigned int flags;	/* CS_MAP_*, effective over all table levels */
};
#define CS_MAP_WRITE	0x1u	/* writable (every level allows it) */
#define CS_MAP_EXEC	0x2u	/* executable (no level forbids it) */

/* What a page-table walk (cs_arch_ops.walk) shows its callback: a table
 * page before it is read, or a present leaf mapping. */
struct cs_walk_item {
	int leaf;		/* 1: @map is set; 0: @table is */
	int root;		/* the table is the root of the tree */
	int level;		/* of the table, or of the table holding the
				 * leaf entry; 0 = the last level */
	uint64_t table;		/* physical address of the table page */
	struct cs_mapping map;	/* clipped to the walked range */
};
/* CS_WALK_SKIP on a table: do not read it, visit nothing below it */
enum cs_walk_ret { CS_WALK_CONTINUE, CS_WALK_SKIP };
typedef enum cs_walk_ret cs_walk_fn(void *arg, const struct cs_walk_item *it);

/* Where an architecture keeps what an analyst needs first (used to order the
 * output, collector/order.c).  Ranges are inclusive: [lo, hi]. */
struct cs_arch_regions {
	uint64_t kernel_lo;		/* lowest kernel address */
	uint64_t image_lo, image_hi;	/* kernel image window */
	uint64_t modules_lo, modules_hi; /* module window */
	uint64_t percpu_lo, percpu_hi;	/* a window aliasing each CPU's own
					 * data (x86_64: cpu_entry_area) */
	uint64_t direct_map;		/* virtual address of physical 0 */
	uint64_t stack_size;		/* a kernel stack (THREAD_SIZE) */
	/* NT_PRSTATUS: pr_reg holds @prstatus_nregs 8-byte registers, the
	 * stack pointer at index @prstatus_sp */
	unsigned int prstatus_nregs, prstatus_sp;
};

struct cs_arch_ops {
	const char *name;		/* "x86_64": also utsname.machine */
	unsigned int elf_machine;	/* EM_X86_64 */
	/* derive translation state (page-table root, direct map base, vmemmap
	 * base, paging levels) from VMCOREINFO and memory */
	enum cs_status (*init)(struct cs_kernel *k, struct cs_err *err);
	/* The leaf mapping holding kernel virtual address @vaddr (m->va is
	 * aligned to m->size); CS_NODATA when unmapped. */
	enum cs_status (*translate)(const struct cs_kernel *k, uint64_t vaddr,
				    struct cs_mapping *m, struct cs_err *err);
	/* kernel virtual -> physical (translate, one address); CS_NODATA
	 * when unmapped */
	enum cs_status (*vtop)(const struct cs_kernel *k, uint64_t vaddr,
			       uint64_t *paddr, struct cs_err *err);
	/* Walk the page tables that map [lo, hi], depth first, ascending:
	 * @fn sees each table page before it is read and each present leaf.
	 * Unreadable tables and malformed entries are skipped: a walk is a
	 * best-effort survey, not a translation. */
	void (*walk)(const struct cs_kernel *k, uint64_t lo, uint64_t hi,
		     cs_walk_fn *fn, void *arg);
	/* Fill @r; -1 when the translation state does not allow it. */
	int (*regions)(const struct cs_kernel *k, struct cs_arch_regions *r);
};

/* Page-table pages already read, one per level, so that translating
 * neighbouring addresses (a mem_map walk, a stack) costs no I/O.  It
 * belongs to the translation, not to the caller: it is filled through a
 * const struct cs_kernel (the dump never changes, so it is never stale),
 * under a lock that is only tried, so concurrent readers stay correct
 * (one of them just reads uncached). */
#define CS_PT_CACHE_LEVELS	5
#define CS_PT_PAGE		4096u
struct cs_pt_cache {
	pthread_mutex_t lock;
	uint64_t tag[CS_PT_CACHE_LEVELS];	/* table address + 1; 0: empty */
	uint8_t page[CS_PT_CACHE_LEVELS][CS_PT_PAGE];
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
	struct cs_pt_cache pt_cache;	/* see cs_kernel_pt_entry */
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

/* Bytes of the dump's memory segments at or above 2^MAX_PHYSMEM_BITS, where
 * the kernel can have no memory: only a garbage program header puts a
 * segment there, and the page plan leaves it out (filter/memmap.c). */
uint64_t cs_kernel_bytes_beyond_physmem(const struct cs_kernel *k);

/* Read kernel virtual memory.  Physically contiguous runs of leaf mappings
 * are read at once; when a run cannot be read, it is read again page by
 * page, so the status, the message and the bytes filled before the first
 * failing page are exactly those of a page-by-page read. */
enum cs_status cs_kernel_read_virt(const struct cs_kernel *k, uint64_t vaddr,
				   void *buf, size_t len, struct cs_err *err);

/* For the arch's translation: the 8-byte entry @index of the page table at
 * physical @table, cached as level @level's table page.  A table page that
 * cannot be read whole is read entry by entry (status and message are those
 * of reading the 8 bytes). */
enum cs_status cs_kernel_pt_entry(const struct cs_kernel *k, unsigned int level,
				  uint64_t table, unsigned int index, uint64_t *entry,
				  struct cs_err *err);

#endif
