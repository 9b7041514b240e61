/* kernel.c - tie a dump to its VMCOREINFO and its architecture's translation.
 *
 * Messages here do not repeat the dump's path: the caller (main) prefixes it. */
#include "filter/kernel.h"

#include <inttypes.h>
#include <string.h>

#include "lib/io.h"

/* one per architecture file */
extern const struct cs_arch_ops cs_arch_x86_64;

static const struct cs_arch_ops *const arch_table[] = {
	&cs_arch_x86_64,
};

const struct cs_arch_ops *cs_arch_find(unsigned int elf_machine)
{
	for (size_t i = 0; i < sizeof(arch_table) / sizeof(arch_table[0]); i++)
		if (arch_table[i]->elf_machine == elf_machine)
			return arch_table[i];
	return NULL;
}

enum cs_status cs_kernel_init(struct cs_kernel *k, const struct cs_vmcore *vc,
			      const char *vmcoreinfo_path, struct cs_err *err)
{
	enum cs_status st;

	memset(k, 0, sizeof(*k));
	k->vc = vc;
	pthread_mutex_init(&k->pt_cache.lock, NULL);
	if (vmcoreinfo_path) {
		st = cs_vmcoreinfo_load_file(vmcoreinfo_path, &k->vi, err);
		if (st)
			return st;
	} else {
		if (!vc->vmcoreinfo)
			return cs_fail(err, CS_CORRUPT, "no VMCOREINFO note (give one with -i FILE)");
		st = cs_vmcoreinfo_parse(vc->vmcoreinfo, vc->vmcoreinfo_size, &k->vi, err);
		if (st)
			return cs_err_prefix(err, "VMCOREINFO note");
	}
	if (k->vi.pagesize != vc->page_size)
		return cs_fail(err, CS_CORRUPT, "VMCOREINFO PAGESIZE=%" PRIu64
			       " does not match the dump's page size %u",
			       k->vi.pagesize, vc->page_size);
	k->arch = cs_arch_find(vc->machine);
	if (!k->arch)
		return cs_fail(err, CS_NOTSUPP, "ELF machine %u is not a supported architecture",
			       vc->machine);
	st = k->arch->init(k, err);
	if (st)
		return cs_err_prefix(err, "%s", k->arch->name);
	return CS_OK;
}

enum cs_status cs_kernel_pt_entry(const struct cs_kernel *k, unsigned int level,
				  uint64_t table, unsigned int index, uint64_t *entry,
				  struct cs_err *err)
{
	/* the cache is the translation's own state (see kernel.h): k itself
	 * is never a const object */
	struct cs_pt_cache *c = (struct cs_pt_cache *)&k->pt_cache;
	uint64_t slot = table + (uint64_t)index * 8;
	uint8_t raw[8];
	enum cs_status st;

	if (level < CS_PT_CACHE_LEVELS && index < CS_PT_PAGE / 8 && !(table & (CS_PT_PAGE - 1)) &&
	    pthread_mutex_trylock(&c->lock) == 0) {
		int hit = c->tag[level] == table + 1;
		struct cs_err ignored;

		if (!hit && cs_vmcore_read_phys(k->vc, table, c->page[level], CS_PT_PAGE,
						&ignored) == CS_OK) {
			c->tag[level] = table + 1;
			hit = 1;
		} else if (!hit) {
			c->tag[level] = 0;
		}
		if (hit)
			*entry = cs_get_le64(c->page[level] + (size_t)index * 8);
		pthread_mutex_unlock(&c->lock);
		if (hit)
			return CS_OK;
	}
	st = cs_vmcore_read_phys(k->vc, slot, raw, 8, err);
	if (st)
		return st;
	*entry = cs_get_le64(raw);
	return CS_OK;
}

/* The old way, kept for failures: one translation and one read per page. */
static enum cs_status read_by_page(const struct cs_kernel *k, uint64_t vaddr, uint8_t *p,
				   size_t len, struct cs_err *err)
{
	uint64_t ps = k->vc->page_size;

	while (len) {
		uint64_t pa, n = ps - (vaddr & (ps - 1));
		enum cs_status st;

		if (n > len)
			n = len;
		st = k->arch->vtop(k, vaddr, &pa, err);
		if (!st)
			st = cs_vmcore_read_phys(k->vc, pa, p, (size_t)n, err);
		if (st)
			return st;
		p += n;
		vaddr += n;
		len -= (size_t)n;
	}
	return CS_OK;
}

enum cs_status cs_kernel_read_virt(const struct cs_kernel *k, uint64_t vaddr,
				   void *buf, size_t len, struct cs_err *err)
{
	uint8_t *p = buf;

	while (len) {
		struct cs_mapping m;
		uint64_t pa, run;
		enum cs_status st;
		struct cs_err ignored;

		st = k->arch->translate(k, vaddr, &m, err);
		if (st)
			return st;
		/* [vaddr, vaddr + run) is physical [pa, pa + run) */
		pa = m.pa + (vaddr - m.va);
		run = m.size - (vaddr - m.va);
		while (run < len && vaddr + run > vaddr &&
		       k->arch->translate(k, vaddr + run, &m, &ignored) == CS_OK &&
		       m.va == vaddr + run && m.pa == pa + run)
			run += m.size;
		if (run > len)
			run = len;
		st = cs_vmcore_read_phys(k->vc, pa, p, (size_t)run, err);
		if (st)
			st = read_by_page(k, vaddr, p, (size_t)run, err);
		if (st)
			return st;
		p += run;
		vaddr += run;
		len -= (size_t)run;
	}
	return CS_OK;
}

enum cs_status cs_kernel_open(char *const *paths, size_t n,
			      const char *vmcoreinfo_path, struct cs_vmcore *vc,
			      struct cs_kernel *k, struct cs_err *err)
{
	enum cs_status st = cs_vmcore_open_set(paths, n, vc, err);

	if (st != CS_OK)
		return st;
	st = cs_kernel_init(k, vc, vmcoreinfo_path, err);
	if (st != CS_OK) {
		uint64_t lost = vc->truncated_bytes;

		cs_vmcore_close(vc);
		/* what the kernel needs may be in the part a cut-short file
		 * lost: say so, or "not in the dump" reads like a bad kernel */
		if (lost)
			return cs_err_prefix(err, "%s (cut short: %llu bytes of its memory are not in the file)",
					     paths[0], (unsigned long long)lost);
		return cs_err_prefix(err, "%s", paths[0]);
	}
	return CS_OK;
}

uint64_t cs_kernel_bytes_beyond_physmem(const struct cs_kernel *k)
{
	uint64_t limit, n = 0;

	if (k->vi.max_physmem_bits <= 0 || k->vi.max_physmem_bits >= 64)
		return 0;
	limit = (uint64_t)1 << k->vi.max_physmem_bits;
	for (size_t i = 0; i < k->vc->nseg; i++) {
		const struct cs_segment *s = &k->vc->seg[i];

		if (s->phys >= limit)
			n += s->mem_size;
		else if (s->mem_size > limit - s->phys)
			n += s->mem_size - (limit - s->phys);
	}
	return n;
}
