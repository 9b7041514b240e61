/* test_x86_64.c - the input layer and x86_64 translation on generated vmcores.
 *
 *   test_x86_64 VMCORE FACTS   check VMCORE against the generator's FACTS file
 *   test_x86_64 --open VMCORE  open + kernel init + read init_uts_ns; print
 *                              "<status name>: <message>" or "ok <release>"
 *   test_x86_64 --vmcoreinfo VMCORE  print the VMCOREINFO note's text
 *   test_x86_64                generate tests/synth/{basic-6.12,l5-6.1,qemu-5.10}.txt
 *                              with tests/mkvmcore.py and check each
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter/kernel.h"
#include "lib/io.h"
#include "tests/unit/check.h"

struct facts {
	char text[8192];
};

static const char *fact(const struct facts *f, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = f->text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, n) && p[n] == '=')
			return p + n + 1;
	fprintf(stderr, "facts: no %s\n", key);
	exit(99);
}

static uint64_t factx(const struct facts *f, const char *key)
{
	return strtoull(fact(f, key), NULL, 0);
}

static int open_only(const char *path)
{
	struct cs_vmcore vc;
	struct cs_kernel k;
	struct cs_err err;
	char uts[65 * 3];
	enum cs_status st;

	cs_err_clear(&err);
	st = cs_vmcore_open(path, &vc, &err);
	if (!st) {
		st = cs_kernel_init(&k, &vc, NULL, &err);
		if (!st)
			st = cs_kernel_read_virt(&k, k.vi.sym_init_uts_ns + k.vi.off_uts_ns_name,
						 uts, sizeof(uts), &err);
		if (!st)
			printf("ok %.65s truncated=%" PRIu64 "\n", uts + 130, vc.truncated_bytes);
		cs_vmcore_close(&vc);
	}
	if (st)
		printf("%s: %s\n", cs_status_name(st), err.msg);
	return 0;
}

static void check(const char *path, const char *facts_path)
{
	struct cs_vmcore vc;
	struct cs_kernel k;
	struct cs_err err;
	struct facts f;
	FILE *fp;
	size_t n;
	enum cs_status st;
	char uts[65 * 6], want[256], release[64];
	uint8_t buf[64];
	uint64_t pa, kphys, va;
	const struct cs_x86_64_state *x = &k.as.x86_64;
	int levels;

	fp = fopen(facts_path, "r");
	if (!fp) {
		perror(facts_path);
		exit(99);
	}
	n = fread(f.text, 1, sizeof(f.text) - 1, fp);
	f.text[n] = '\0';
	fclose(fp);

	cs_err_clear(&err);
	st = cs_vmcore_open(path, &vc, &err);
	CHECK(st == CS_OK, "%s", err.msg);
	if (st)
		return;
	CHECK_X(vc.nseg, factx(&f, "nr_segments"));
	CHECK_X(vc.nr_cpus, factx(&f, "nr_cpus"));
	CHECK_X(vc.max_pfn, factx(&f, "max_pfn"));
	CHECK_X(vc.page_size, 4096);
	CHECK(vc.vmcoreinfo && !strncmp(vc.vmcoreinfo, "OSRELEASE=", 10), "VMCOREINFO note found");

	st = cs_kernel_init(&k, &vc, NULL, &err);
	CHECK(st == CS_OK, "%s", err.msg);
	if (st)
		goto out;
	CHECK_S(k.arch->name, "x86_64");
	CHECK_X(x->kaslr_offset, factx(&f, "kaslr"));
	CHECK_X(x->phys_base, factx(&f, "phys_base"));
	CHECK_X(x->pgd_paddr, factx(&f, "pgd_paddr"));
	CHECK_X(x->page_offset, factx(&f, "page_offset"));
	CHECK_X(x->vmemmap_base, factx(&f, "vmemmap"));
	levels = (int)factx(&f, "levels");
	CHECK_X(x->levels, levels);

	/* init_uts_ns through the 4K-mapped kernel image */
	st = cs_kernel_read_virt(&k, factx(&f, "init_uts_ns"), uts, sizeof(uts), &err);
	CHECK(st == CS_OK, "%s", err.msg);
	snprintf(release, sizeof(release), "%.*s.0-synth", (int)strcspn(fact(&f, "style"), "\n"),
		 fact(&f, "style"));
	CHECK_S(uts, "Linux");
	CHECK_S(uts + 130, release);
	CHECK_S(uts + 260, "x86_64");

	/* kernel text, and the image's second 2M through a large PMD */
	kphys = x->pgd_paddr - 0x1000;
	st = cs_kernel_read_virt(&k, factx(&f, "stext"), buf, 4, &err);
	CHECK(st == CS_OK && !memcmp(buf, "\x0f\x0b\xcc\x90", 4), "text bytes: %s", err.msg);
	st = k.arch->vtop(&k, factx(&f, "stext") + 0x200123, &pa, &err);
	CHECK(st == CS_OK, "%s", err.msg);
	CHECK_X(pa, kphys + 0x200123);

	/* direct map: the page-table root, and an address in a 1G/2M mapping */
	st = k.arch->vtop(&k, x->page_offset + x->pgd_paddr + 8, &pa, &err);
	CHECK(st == CS_OK, "%s", err.msg);
	CHECK_X(pa, x->pgd_paddr + 8);
	st = k.arch->vtop(&k, x->page_offset + 0x9f123, &pa, &err);
	CHECK(st == CS_OK, "%s", err.msg);
	CHECK_X(pa, 0x9f123);

	/* vmemmap: struct page of pfn 0x3000 lives in section 0's backing chunk */
	{
		uint64_t backing = strtoull(strchr(fact(&f, "vmemmap_backing"), ':') + 1, NULL, 0);

		st = k.arch->vtop(&k, x->vmemmap_base + 0x3000 * 64, &pa, &err);
		CHECK(st == CS_OK, "%s", err.msg);
		CHECK_X(pa, backing + 0x3000 * 64);
	}

	/* an unmapped and a non-canonical address: exact messages */
	va = levels == 5 ? 0xff60000000000000ull : 0xffffc90000000000ull;
	st = k.arch->vtop(&k, va, &pa, &err);
	CHECK(st == CS_NODATA, "status %d", (int)st);
	snprintf(want, sizeof(want),
		 "virtual address %#" PRIx64 " is not mapped (%s entry 0 at physical %#" PRIx64 " not present)",
		 va, levels == 5 ? "P4D/PML5" : "PGD",
		 x->pgd_paddr + ((va >> (levels == 5 ? 48 : 39)) & 511) * 8);
	CHECK_S(err.msg, want);
	va = levels == 5 ? 0x0100000000000000ull : 0x0000800000000000ull;
	st = cs_kernel_read_virt(&k, va, buf, 8, &err);
	CHECK(st == CS_NODATA, "status %d", (int)st);
	snprintf(want, sizeof(want), "virtual address %#" PRIx64 " is not canonical for %d-level paging",
		 va, levels);
	CHECK_S(err.msg, want);

	/* physical reads: the partly covered pfn 0x9f and the hole above 640K */
	st = cs_vmcore_read_page(&vc, 0x9f, uts, &err);
	CHECK(st == CS_OK, "%s", err.msg);
	CHECK(cs_vmcore_pfn_present(&vc, 0x9f) && !cs_vmcore_pfn_present(&vc, 0xa0),
	      "pfn 0x9f present, 0xa0 absent");
	st = cs_vmcore_read_phys(&vc, 0xa0000, buf, 8, &err);
	CHECK(st == CS_NODATA, "status %d", (int)st);
	CHECK_S(err.msg, "physical address 0xa0000 is not in the dump");
out:
	cs_vmcore_close(&vc);
}

static void generate_and_check(const char *name)
{
	const char *top = getenv("top_srcdir");
	char dir[] = "/tmp/cs-x86-XXXXXX", cmd[8192], core[64], facts[64];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(99);
	}
	snprintf(core, sizeof(core), "%s/vmcore", dir);
	snprintf(facts, sizeof(facts), "%s/facts", dir);
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/mkvmcore.py' '%s/tests/synth/%s.txt' %s -m %s",
		 top ? top : ".", top ? top : ".", name, core, facts);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot run: %s\n", cmd);
		exit(99);
	}
	check(core, facts);
	unlink(core);
	unlink(facts);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--open"))
		return open_only(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--vmcoreinfo")) {
		struct cs_vmcore vc;
		struct cs_err err;

		if (cs_vmcore_open(argv[2], &vc, &err)) {
			fprintf(stderr, "%s\n", err.msg);
			return 99;
		}
		if (vc.vmcoreinfo)
			fwrite(vc.vmcoreinfo, 1, vc.vmcoreinfo_size, stdout);
		cs_vmcore_close(&vc);
		return 0;
	}
	if (argc == 3) {
		check(argv[1], argv[2]);
	} else {
		generate_and_check("basic-6.12");
		generate_and_check("l5-6.1");
		generate_and_check("qemu-5.10");
	}
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("test_x86_64: all checks passed\n");
	return 0;
}
