/* kernel.c - tie a dump to its VMCOREINFO and its architecture's translation.
 *
 * Messages here do not repeat the dump's path: the caller (main) prefixes it. */
#include "filter/kernel.h"

#include <inttypes.h>
#include <string.h>

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

enum cs_status cs_kernel_read_virt(const struct cs_kernel *k, uint64_t vaddr,
				   void *buf, size_t len, struct cs_err *err)
{
	uint8_t *p = buf;
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

enum cs_status cs_kernel_open(char *const *paths, size_t n,
			      const char *vmcoreinfo_path, struct cs_vmcore *vc,
			      struct cs_kernel *k, struct cs_err *err)
{
	enum cs_status st = cs_vmcore_open_set(paths, n, vc, err);

	if (st != CS_OK)
		return st;
	st = cs_kernel_init(k, vc, vmcoreinfo_path, err);
	if (st != CS_OK) {
		cs_vmcore_close(vc);
		return cs_err_prefix(err, "%s", paths[0]);
	}
	return CS_OK;
}
