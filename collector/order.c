/* order.c - see order.h.
 *
 * Only the policy lives here (which groups, in which order, the chunked
 * passes).  Where things are comes from the architecture: its regions
 * (kernel image, modules, per-cpu window, direct map, stack size, register
 * layout) and its page-table walk (filter/kernel.h).  What is found only
 * chooses an order: nothing here changes which pages are dumped, and any
 * failure just leaves a page to the top-down pass.
 */
#include "config.h"

#include "collector/order.h"

#include <elf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/io.h"
#include "lib/thread.h"

#define CHUNK_PFNS	1024u			/* top-down pass: 4 MiB steps */
#define PTR_SPAN	0x3000ull		/* a pointed-to object: task_struct ~10 KiB */
#define SCAN_PAGES	4u			/* pages read at once for a pointer scan */
#define SEEN_SLOTS	1024u			/* pointer scan: recent pfns, for repeats */
/* a group's ranges are sorted and merged in place whenever this many have
 * been collected, and the array grows only if that frees less than a
 * quarter of it: the pointer scans add thousands of single pages, mostly
 * next to each other (a 1 GiB guest's group of them filled 4,096 ranges,
 * 64 KiB, held for the whole dump) */
#define PENDING_COMPACT	1024u
/* offsetof(struct elf_prstatus, pr_reg): the same on every 64-bit Linux */
#define PRSTATUS_REGS	112

struct range {
	uint64_t start, end;	/* pfns [start, end) */
};

/* what a walk records: the table pages, or the leaf pages of one kind */
enum walk_what { WALK_TABLES, WALK_DATA, WALK_RODATA, WALK_TEXT };

struct cs_order {
	enum cs_order_kind kind;
	const struct cs_kernel *k;
	const struct cs_plan *plan;
	uint64_t page_size;

	struct range *list;	/* priority order, pairwise disjoint */
	size_t n, cap;
	struct range *sorted;	/* the same pfns, merged and sorted */
	size_t ns, scap;
	struct range *pending;	/* the group being collected */
	size_t np, pcap;
	uint64_t prio_pages;
	enum cs_status oom;	/* CS_NOMEM once an allocation failed */

	struct cs_arch_regions reg;	/* where the arch keeps things */
	uint8_t *tbl;		/* SCAN_PAGES pages: stack and pointer scans */
	uint64_t walk_budget;	/* table pages a walk may still read: a tree
				 * needs far fewer than 1/64 of RAM; this only
				 * stops a damaged (looping) one */
	enum walk_what what;	/* what the current walk records */

	/* groups 1-7 found on a thread of their own while the first pages are
	 * compressed (cs_order_create's @async): end_group() publishes each
	 * group under lk, and the iteration takes the ranges published so far */
	int async, joined;
	pthread_t builder;
	pthread_mutex_t lk;
	pthread_cond_t cv;
	size_t published;	/* list[0, published) is final */
	int built;		/* find_priorities() has returned */

	/* iteration */
	int phase;		/* 0 priority list, 1 the rest, 2 done */
	size_t ri;		/* the next list entry to hand out */
	uint64_t cur_end;	/* end of the current one (list may move) */
	uint64_t p, chunk;	/* pfn cursor; start of the current chunk */
	uint64_t lo_chunk, hi_chunk; /* next chunk from the bottom / top */
	int rest;		/* 0 top down, 1 bottom up, 2 both ends (used) */
	int turn;		/* both ends: next chunk from the top? */
};

/* next kept pfn in [pfn, limit), or limit (blocks without kept pfns are
 * skipped by their summary, filter/plan.h) */
static uint64_t next_kept(const struct cs_plan *plan, uint64_t pfn, uint64_t limit)
{
	if (limit > plan->max_mapnr)
		limit = plan->max_mapnr;
	return cs_plan_next_kept(plan, pfn, limit);
}

/* index of the first sorted range whose end is >= pfn */
static size_t sorted_find(const struct cs_order *o, uint64_t pfn)
{
	size_t lo = 0, hi = o->ns;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->sorted[mid].end < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int covered(const struct cs_order *o, uint64_t pfn)
{
	size_t i = sorted_find(o, pfn + 1);

	return i < o->ns && o->sorted[i].start <= pfn;
}

static int grow(struct range **a, size_t *cap, size_t need)
{
	struct range *n;
	size_t c = *cap ? *cap : 64;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	n = realloc(*a, c * sizeof(**a));
	if (!n)
		return -1;
	*a = n;
	*cap = c;
	return 0;
}

/* Heapsort by start: in place, so sorting a group allocates nothing (the
 * C library's qsort takes a buffer as large as the array). */
static void sift_down(struct range *a, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;
		struct range t;

		if (c >= n)
			return;
		if (c + 1 < n && a[c + 1].start > a[c].start)
			c++;
		if (a[root].start >= a[c].start)
			return;
		t = a[root];
		a[root] = a[c];
		a[c] = t;
		root = c;
	}
}

static void sort_ranges(struct range *a, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(a, i, n);
	while (n > 1) {
		struct range t = a[0];

		a[0] = a[--n];
		a[n] = t;
		sift_down(a, 0, n);
	}
}

/* sort the group's ranges and merge those that overlap or touch */
static void compact_pending(struct cs_order *o)
{
	size_t k = 0;

	if (!o->np)
		return;
	sort_ranges(o->pending, o->np);
	for (size_t x = 1; x < o->np; x++) {
		if (o->pending[x].start <= o->pending[k].end) {
			if (o->pending[x].end > o->pending[k].end)
				o->pending[k].end = o->pending[x].end;
		} else {
			o->pending[++k] = o->pending[x];
		}
	}
	o->np = k + 1;
}

static void append_piece(struct cs_order *o, uint64_t s, uint64_t e)
{
	if (grow(&o->list, &o->cap, o->n + 1)) {
		o->oom = CS_NOMEM;
		return;
	}
	o->list[o->n].start = s;
	o->list[o->n].end = e;
	o->n++;
	for (uint64_t p = next_kept(o->plan, s, e); p < e; p = next_kept(o->plan, p + 1, e))
		o->prio_pages++;
}

/* Collect pfns [s, e) for the current group (see end_group). */
static void add_range(struct cs_order *o, uint64_t s, uint64_t e)
{
	if (e > o->plan->max_mapnr)
		e = o->plan->max_mapnr;
	if (s >= e || o->oom)
		return;
	if (o->np && o->pending[o->np - 1].end == s) {
		o->pending[o->np - 1].end = e;	/* the common case: a run */
		return;
	}
	if (o->np == o->pcap) {
		size_t need = o->np + 1;

		/* full: merge in place, and double only if that freed less
		 * than a quarter (else it would be full again soon) */
		if (o->pcap >= PENDING_COMPACT) {
			compact_pending(o);
			need = o->np < o->pcap / 4 * 3 ? 0 : o->pcap + 1;
		}
		if (grow(&o->pending, &o->pcap, need)) {
			o->oom = CS_NOMEM;
			return;
		}
	}
	o->pending[o->np].start = s;
	o->pending[o->np].end = e;
	o->np++;
}

/* Close a group: its ranges, sorted and merged, minus what earlier groups
 * hold, are appended to the list; then the sorted set absorbs them.
 * O((n + k) log k) per group, not per range. */
static void end_group(struct cs_order *o)
{
	struct range *merged;
	size_t k, i = 0, j = 0, m = 0;

	pthread_mutex_lock(&o->lk);
	if (o->oom || !o->np)
		goto out;
	compact_pending(o);
	k = o->np;
	/* subtract the sorted set, in one sweep */
	for (size_t x = 0; x < k; x++) {
		uint64_t s = o->pending[x].start, e = o->pending[x].end;

		while (i < o->ns && o->sorted[i].end <= s)
			i++;
		for (size_t y = i; s < e; y++) {
			if (y >= o->ns || o->sorted[y].start >= e) {
				append_piece(o, s, e);
				break;
			}
			if (o->sorted[y].start > s)
				append_piece(o, s, o->sorted[y].start);
			if (o->sorted[y].end > s)
				s = o->sorted[y].end;
		}
	}
	/* merge the two sorted lists */
	merged = malloc((o->ns + k) * sizeof(*merged));
	if (!merged) {
		o->oom = CS_NOMEM;
		goto out;
	}
	i = 0;
	while (i < o->ns || j < k) {
		struct range r = j >= k || (i < o->ns && o->sorted[i].start <= o->pending[j].start)
				 ? o->sorted[i++] : o->pending[j++];

		if (m && r.start <= merged[m - 1].end) {
			if (r.end > merged[m - 1].end)
				merged[m - 1].end = r.end;
		} else {
			merged[m++] = r;
		}
	}
	free(o->sorted);
	o->sorted = merged;
	o->ns = m;
	o->scap = o->ns + k;
out:
	o->np = 0;
	o->published = o->n;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->lk);
}

/* The pages of kernel virtual range [va, va + len) that are mapped. */
static void add_virt(struct cs_order *o, uint64_t va, uint64_t len)
{
	uint64_t ps = o->page_size, end = va + len;
	struct cs_err ignored;

	if (end < va)
		end = UINT64_MAX;
	for (va &= ~(ps - 1); va < end;) {
		struct cs_mapping m;
		uint64_t pages = 1, next;

		if (o->k->arch->translate(o->k, va, &m, &ignored) == CS_OK) {
			/* the rest of the leaf, up to the page holding end - 1 */
			uint64_t pa = m.pa + (va - m.va);

			pages = (m.size - (va - m.va)) / ps;
			if (pages > (end - va - 1) / ps + 1)
				pages = (end - va - 1) / ps + 1;
			add_range(o, pa / ps, pa / ps + pages);
		}
		next = va + pages * ps;
		if (next <= va)
			break;
		va = next;
	}
}

/* A table page, before the walk reads it (see cs_arch_ops.walk). */
static enum cs_walk_ret walk_table(struct cs_order *o, const struct cs_walk_item *it)
{
	/* a table outside the plan is garbage; the root is always read */
	if (!it->root && it->table / o->page_size >= o->plan->max_mapnr)
		return CS_WALK_SKIP;
	if (!o->walk_budget || o->oom)
		return CS_WALK_SKIP;
	o->walk_budget--;
	if (o->what == WALK_TABLES)
		add_range(o, it->table / o->page_size, it->table / o->page_size + 1);
	return CS_WALK_CONTINUE;
}

static enum cs_walk_ret walk_visit(void *arg, const struct cs_walk_item *it)
{
	struct cs_order *o = arg;
	enum walk_what kind;

	if (!it->leaf)
		return walk_table(o, it);
	kind = it->map.flags & CS_MAP_EXEC ? WALK_TEXT :
	       it->map.flags & CS_MAP_WRITE ? WALK_DATA : WALK_RODATA;
	if (kind == o->what)
		add_range(o, it->map.pa / o->page_size,
			  (it->map.pa + it->map.size - 1) / o->page_size + 1);
	return CS_WALK_CONTINUE;
}

/* The kernel's page-table pages (WALK_TABLES) or its leaf pages of one kind
 * mapping [lo, hi]. */
static void walk_kernel(struct cs_order *o, uint64_t lo, uint64_t hi, enum walk_what what)
{
	o->walk_budget = o->plan->max_mapnr / 64 + 4096;
	o->what = what;
	o->k->arch->walk(o->k, lo, hi, walk_visit, o);
}

/* Each CPU's stack, what its registers point to, and what the stack words
 * point to (one level: the crashed task's task_struct is usually among them). */
static void add_cpu_states(struct cs_order *o)
{
	const struct cs_vmcore *vc = o->k->vc;
	const struct cs_arch_regions *reg = &o->reg;
	uint64_t low = reg->kernel_lo, stack = reg->stack_size;
	unsigned int nregs = reg->prstatus_nregs;
	size_t off = 0;

	while (vc->notes && off + 12 <= vc->notes_size) {
		uint32_t namesz = cs_get_le32(vc->notes + off);
		uint32_t descsz = cs_get_le32(vc->notes + off + 4);
		uint32_t type = cs_get_le32(vc->notes + off + 8);
		size_t desc = off + 12 + (((size_t)namesz + 3) & ~(size_t)3);
		size_t next = desc + (((size_t)descsz + 3) & ~(size_t)3);
		uint64_t rsp, sp;

		if (next > vc->notes_size || next <= off)
			break;
		off = next;
		if (type != NT_PRSTATUS || !nregs || reg->prstatus_sp >= nregs ||
		    descsz < PRSTATUS_REGS + (size_t)nregs * 8)
			continue;
		rsp = cs_get_le64(vc->notes + desc + PRSTATUS_REGS + (size_t)reg->prstatus_sp * 8);
		if (rsp < low)
			continue;
		add_virt(o, rsp & ~(stack - 1), stack);
		for (unsigned int r = 0; r < nregs; r++) {
			uint64_t v = cs_get_le64(vc->notes + desc + PRSTATUS_REGS + (size_t)r * 8);

			if (v >= low)
				add_virt(o, v, PTR_SPAN);
		}
		for (sp = rsp & ~(stack - 1); sp < (rsp | (stack - 1)); sp += o->page_size) {
			struct cs_err ignored;

			if (cs_kernel_read_virt(o->k, sp, o->tbl, o->page_size, &ignored) != CS_OK)
				continue;
			for (size_t w = 0; w < o->page_size; w += 8) {
				uint64_t v = cs_get_le64(o->tbl + w);

				if (v >= low && v <= reg->modules_hi)
					add_virt(o, v, PTR_SPAN);
			}
		}
	}
}

static int read_u64(const struct cs_kernel *k, uint64_t va, uint64_t *v)
{
	uint8_t raw[8];
	struct cs_err ignored;

	if (cs_kernel_read_virt(k, va, raw, 8, &ignored) != CS_OK)
		return -1;
	*v = cs_get_le64(raw);
	return 0;
}

/* The 5.10+ lockless printk ring: descriptors, infos and text data. */
static void add_printk_ring(struct cs_order *o)
{
	const struct cs_vmcoreinfo *vi = &o->k->vi;
	uint64_t rb, dr, tr, bits, descs, infos, data;

	if (!vi->have.sym_prb || !vi->have.off_prb_desc_ring || !vi->have.off_desc_ring_descs ||
	    !vi->have.off_desc_ring_infos || !vi->have.off_desc_ring_count_bits ||
	    !vi->have.size_prb_desc || !vi->have.size_printk_info ||
	    !vi->have.off_prb_text_data_ring || !vi->have.off_data_ring_size_bits ||
	    !vi->have.off_data_ring_data)
		return;
	if (read_u64(o->k, vi->sym_prb, &rb))
		return;
	add_virt(o, rb, 256);
	dr = rb + vi->off_prb_desc_ring;
	tr = rb + vi->off_prb_text_data_ring;
	if (!read_u64(o->k, dr + vi->off_desc_ring_count_bits, &bits) && (bits & 0xffffffff) < 32) {
		bits &= 0xffffffff;
		if (!read_u64(o->k, dr + vi->off_desc_ring_descs, &descs))
			add_virt(o, descs, (1ull << bits) * vi->size_prb_desc);
		if (!read_u64(o->k, dr + vi->off_desc_ring_infos, &infos))
			add_virt(o, infos, (1ull << bits) * vi->size_printk_info);
	}
	if (!read_u64(o->k, tr + vi->off_data_ring_size_bits, &bits) && (bits & 0xffffffff) < 40 &&
	    !read_u64(o->k, tr + vi->off_data_ring_data, &data))
		add_virt(o, data, 1ull << (bits & 0xffffffff));
}

/* Words of one page that point into the direct map: their pages.  @seen
 * drops repeats (most pointers of a page go to a few pages): the group
 * would merge them anyway, but sorting half a million of them is most of
 * the cost of finding the priorities. */
static void scan_pointers(struct cs_order *o, const uint8_t *page, uint64_t *seen)
{
	uint64_t base = o->reg.direct_map, ps = o->page_size;
	uint64_t top = base + o->plan->max_mapnr * ps;

	for (size_t w = 0; w < ps; w += 8) {
		uint64_t v = cs_get_le64(page + w), pfn, *slot;

		if (v < base || v >= top)
			continue;
		pfn = (v - base) / ps;
		slot = &seen[(pfn ^ (pfn >> 10)) & (SEEN_SLOTS - 1)];
		if (*slot == pfn + 1)
			continue;
		*slot = pfn + 1;
		add_range(o, pfn, pfn + 1);
	}
}

/* The direct-map pages that the pages of list[from, to) point to: for the
 * image's data that finds the per-cpu areas (__per_cpu_offset holds their
 * direct-map addresses on x86_64), the slab caches, the pid xarray roots...
 * Runs of kept pages are read SCAN_PAGES at a time; a run that cannot be
 * read is read page by page, skipping the pages that fail. */
static void add_pointed(struct cs_order *o, size_t from, size_t to)
{
	uint64_t ps = o->page_size, seen[SEEN_SLOTS];
	struct cs_err ignored;

	memset(seen, 0, sizeof(seen));
	for (size_t r = from; r < to && !o->oom; r++) {
		uint64_t end = o->list[r].end, p, q;

		for (p = next_kept(o->plan, o->list[r].start, end); p < end;
		     p = next_kept(o->plan, q, end)) {
			/* [p, q): kept, consecutive, at most SCAN_PAGES */
			for (q = p + 1; q < end && q - p < SCAN_PAGES && next_kept(o->plan, q, q + 1) == q;)
				q++;
			if (cs_vmcore_read_phys(o->k->vc, p * ps, o->tbl, (size_t)((q - p) * ps),
						&ignored) == CS_OK) {
				for (uint64_t i = 0; i < q - p; i++)
					scan_pointers(o, o->tbl + i * ps, seen);
				continue;
			}
			for (uint64_t i = p; i < q; i++)
				if (cs_vmcore_read_phys(o->k->vc, i * ps, o->tbl, ps, &ignored) == CS_OK)
					scan_pointers(o, o->tbl, seen);
		}
	}
}

static void find_priorities(struct cs_order *o)
{
	const struct cs_kernel *k = o->k;
	const struct cs_arch_regions *r = &o->reg;
	size_t data_end, lvl1;

	if (!k->arch || !k->arch->regions || !k->arch->walk || !k->arch->translate ||
	    k->arch->regions(k, &o->reg))
		return;
	/* crash reads text (and mostly rodata) from vmlinux: data first */
	walk_kernel(o, r->image_lo, r->image_hi, WALK_DATA);
	end_group(o);
	data_end = o->n;
	walk_kernel(o, r->kernel_lo, UINT64_MAX, WALK_TABLES);
	/* the cpu_entry_area aliases each CPU's GDT, TSS and exception stacks,
	 * which live in the per-cpu areas (crash reads the TSS's IST array) */
	walk_kernel(o, r->percpu_lo, r->percpu_hi, WALK_DATA);
	walk_kernel(o, r->percpu_lo, r->percpu_hi, WALK_RODATA);
	end_group(o);
	add_cpu_states(o);
	end_group(o);
	add_printk_ring(o);
	end_group(o);
	walk_kernel(o, r->modules_lo, r->modules_hi, WALK_DATA);
	end_group(o);
	/* two levels of reachability from the image's data, the stacks and
	 * the registers (a conservative mark phase, bounded to two levels) */
	lvl1 = o->n;
	add_pointed(o, 0, data_end);
	add_pointed(o, data_end, lvl1);
	end_group(o);
	add_pointed(o, lvl1, o->n);
	end_group(o);
	walk_kernel(o, r->image_lo, r->image_hi, WALK_RODATA);
	walk_kernel(o, r->modules_lo, r->modules_hi, WALK_RODATA);
	end_group(o);
	walk_kernel(o, r->image_lo, r->image_hi, WALK_TEXT);
	walk_kernel(o, r->modules_lo, r->modules_hi, WALK_TEXT);
	end_group(o);
	/* not needed while the dump is written */
	free(o->pending);
	o->pending = NULL;
	o->pcap = 0;
}

static void *build_main(void *arg)
{
	struct cs_order *o = arg;

	find_priorities(o);
	pthread_mutex_lock(&o->lk);
	o->built = 1;
	o->published = o->n;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->lk);
	return NULL;
}

static void join_builder(struct cs_order *o)
{
	if (o->async && !o->joined) {
		pthread_join(o->builder, NULL);
		o->joined = 1;
	}
}

/* Start handing out list[ri]: 0 when the list is done (all groups found). */
static int next_range(struct cs_order *o)
{
	int more;

	pthread_mutex_lock(&o->lk);
	while (o->ri >= o->published && !o->built)
		pthread_cond_wait(&o->cv, &o->lk);
	more = o->ri < o->published;
	if (more) {
		o->p = o->list[o->ri].start;
		o->cur_end = o->list[o->ri].end;
		o->ri++;
	}
	pthread_mutex_unlock(&o->lk);
	if (!more)
		join_builder(o);
	return more;
}

/* pick the next chunk of the top-down / bottom-up / both-ends pass */
static int next_chunk(struct cs_order *o)
{
	int top;

	if (o->lo_chunk > o->hi_chunk)
		return -1;
	top = o->rest == 0 || (o->rest == 2 && o->turn);
	o->turn = !o->turn;
	if (top) {
		o->chunk = o->hi_chunk;
		if (o->hi_chunk == 0)
			o->lo_chunk = CHUNK_PFNS;	/* done after this one */
		else
			o->hi_chunk -= CHUNK_PFNS;
	} else {
		o->chunk = o->lo_chunk;
		o->lo_chunk += CHUNK_PFNS;
	}
	o->p = o->chunk;
	return 0;
}

enum cs_status cs_order_create(struct cs_order **op, enum cs_order_kind kind,
			       const struct cs_kernel *k, const struct cs_plan *plan, int async,
			       struct cs_err *err)
{
	struct cs_order *o = calloc(1, sizeof(*o));

	*op = NULL;
	if (!o)
		return cs_fail_nomem(err);
	o->kind = kind;
	o->k = k;
	o->plan = plan;
	o->page_size = k->vc->page_size ? k->vc->page_size : 4096;
	pthread_mutex_init(&o->lk, NULL);
	pthread_cond_init(&o->cv, NULL);
	o->built = 1;
	if (kind == CS_ORDER_ANALYST && o->page_size == 4096) {
		o->tbl = malloc(SCAN_PAGES * o->page_size);
		if (!o->tbl) {
			cs_order_destroy(o);
			return cs_fail_nomem(err);
		}
		/* a plan that is one window is only read (filter/plan.h), so
		 * the builder may share it with the iteration */
		o->built = 0;
		if (async && cs_plan_read_only(plan)) {
			/* signals stay the main thread's (lib/thread.h) */
			o->async = cs_thread_start(&o->builder, build_main, o) == 0;
		}
		if (!o->async) {
			find_priorities(o);
			o->built = 1;
			if (o->oom) {
				cs_order_destroy(o);
				return cs_fail_nomem(err);
			}
		}
	}
	o->p = 0;
	if (kind == CS_ORDER_ANALYST) {
		/* measured on a 6.1 1 GiB dump cut at 50% and 80% (see
		 * tests/real/partial-6.1.test): top-down alone misses the
		 * early slab at the bottom, bottom-up the per-cpu areas and
		 * mem_map memblock put at the top; both ends work */
		o->rest = 2;
		o->turn = 1;
		o->lo_chunk = 0;
		o->hi_chunk = plan->max_mapnr ? (plan->max_mapnr - 1) / CHUNK_PFNS * CHUNK_PFNS : 0;
		o->phase = 0;	/* the first cs_order_next() takes list[0] */
	}
	*op = o;
	return CS_OK;
}

enum cs_status cs_order_status(struct cs_order *o, struct cs_err *err)
{
	join_builder(o);
	if (o->oom)
		return cs_fail(err, CS_NOMEM, "out of memory while ordering the pages");
	return CS_OK;
}

void cs_order_destroy(struct cs_order *o)
{
	if (!o)
		return;
	join_builder(o);
	pthread_mutex_destroy(&o->lk);
	pthread_cond_destroy(&o->cv);
	free(o->list);
	free(o->sorted);
	free(o->pending);
	free(o->tbl);
	free(o);
}

uint64_t cs_order_priority_pages(struct cs_order *o, size_t *nranges)
{
	join_builder(o);
	if (nranges)
		*nranges = o->n;
	return o->prio_pages;
}

uint64_t cs_order_next(struct cs_order *o)
{
	const struct cs_plan *plan = o->plan;

	if (o->kind == CS_ORDER_PFN) {
		uint64_t p = next_kept(plan, o->p, plan->max_mapnr);

		if (p >= plan->max_mapnr)
			return CS_ORDER_END;
		o->p = p + 1;
		return p;
	}
	while (o->phase == 0) {
		uint64_t p = next_kept(plan, o->p, o->cur_end);

		if (p < o->cur_end) {
			o->p = p + 1;
			return p;
		}
		if (!next_range(o))
			o->phase = next_chunk(o) ? 2 : 1;
	}
	while (o->phase == 1) {
		uint64_t end = o->chunk + CHUNK_PFNS;
		uint64_t p = next_kept(plan, o->p, end);

		if (p < end && p < plan->max_mapnr) {
			o->p = p + 1;
			if (o->n && covered(o, p))
				continue;
			return p;
		}
		if (next_chunk(o)) {
			o->phase = 2;
			break;
		}
	}
	return CS_ORDER_END;
}
