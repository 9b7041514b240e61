/* order.h - the order in which kept pages are written.
 *
 * A dump cut short (full disk, -L, a signal, a dropped ssh link) keeps the
 * pages written first.  makedumpfile writes in pfn order, and with KASLR the
 * pages an analyst needs first (kernel image, page tables, the crashed CPUs'
 * stacks, the log buffer, the per-cpu areas that memblock places at the top of
 * memory) are often near the end, so crash cannot open its partial dumps.
 *
 * CS_ORDER_ANALYST hands out, in this order:
 *   1. the kernel image's writable data (leaf pages of the arch's image
 *      window, by their effective permissions),
 *   2. the kernel's page-table pages (walked from the root over the kernel
 *      half) and the pages of the arch's per-cpu window (x86_64: the
 *      cpu_entry_area),
 *   3. each CPU's stack around the NT_PRSTATUS stack pointer, the pages its
 *      registers point to, and the pages the stack words point to (one level),
 *   4. the printk ring buffer (SYMBOL(prb): descriptors, infos, text),
 *   5. module data,
 *   6. the direct-map pages that groups 1-5 point to, and what those point
 *      to (two levels),
 *   7. read-only data, then text, of the image and the modules (crash reads
 *      those from vmlinux when it has to),
 *   8. every other kept pfn in 4 MiB chunks taken from both ends of memory
 *      in turn, the top first (ascending inside a chunk, so reads and
 *      descriptor runs stay sequential).
 * Where things are comes from the architecture (cs_arch_ops.regions and
 * .walk, filter/kernel.h); the policy is here.  Groups 1-7 are a small
 * sorted list of pfn ranges; group 8 skips them by looking the pfn up in
 * that list, so no "written" bitmap is needed.  What cannot be found (an
 * architecture without regions, an unreadable table) is simply not
 * prioritised.  Every kept pfn is handed out exactly once.
 *
 * CS_ORDER_PFN is plain increasing pfn order (ELF output, whose file layout
 * is by address, and dry runs).
 */
#ifndef CS_ORDER_H
#define CS_ORDER_H

#include <stddef.h>
#include <stdint.h>

#include "filter/kernel.h"
#include "filter/plan.h"
#include "lib/error.h"

enum cs_order_kind { CS_ORDER_PFN, CS_ORDER_ANALYST };

#define CS_ORDER_END UINT64_MAX

struct cs_order;

/* With @async, groups 1-7 are looked for on a thread of their own (when the
 * plan is one window, which is then only read) while the caller already
 * takes the pages of the groups found so far; the order is the same. */
enum cs_status cs_order_create(struct cs_order **op, enum cs_order_kind kind,
			       const struct cs_kernel *k, const struct cs_plan *plan, int async,
			       struct cs_err *err);
/* CS_NOMEM when looking for the groups ran out of memory (the pages were
 * then not all handed out exactly once: the dump must fail). */
enum cs_status cs_order_status(struct cs_order *o, struct cs_err *err);
void cs_order_destroy(struct cs_order *o);	/* NULL is a no-op */

/* The next kept pfn to write, or CS_ORDER_END. */
uint64_t cs_order_next(struct cs_order *o);

/* Kept pages in the priority groups 1-7, and the number of ranges. */
uint64_t cs_order_priority_pages(struct cs_order *o, size_t *nranges);

#endif
