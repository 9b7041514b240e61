/* test_x86_64.c - the input layer and x86_64 translation on generated vmcores.
 *
 *   test_x86_64 VMCORE FACTS   check VMCORE against the generator's FACTS file
 *   test_x86_64 --open VMCORE  open + kernel init + read init_uts_ns; print
 *                              "<status name>: <message>" or "ok <release>"
 *   test_x86_64 --vmcoreinfo VMCORE  print the VMCOREINFO note's text
 *   test_x86_64                generate tests/synth/{basic-6.12,l5-6.1,qemu-5.10}.txt
 *                              with tests/mkvmcore.py and check each, then
 *                              tests/synth/xlat.txt for the translation
 *                              checks (leaves, runs, holes; see xlat())
 *
 * Linked with -Wl,--wrap=cs_vmcore_read_phys: every physical read the
 * library makes is counted, so the checks can say how many reads a
 * translation or a virtual read costs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter/kernel.h"
#include "lib/io.h"
#include "tests/unit/check.h"

/* physical reads made through cs_vmcore_read_phys (see the top) */
static unsigned long phys_reads;

enum cs_status __real_cs_vmcore_read_phys(const struct cs_vmcore *vc, uint64_t paddr,
					  void *buf, size_t len, struct cs_err *err);
enum cs_status __wrap_cs_vmcore_read_phys(const struct cs_vmcore *vc, uint64_t paddr,
					  void *buf, size_t len, struct cs_err *err);
enum cs_status __wrap_cs_vmcore_read_phys(const struct cs_vmcore *vc, uint64_t paddr,
					  void *buf, size_t len, struct cs_err *err)
{
	phys_reads++;
	return __real_cs_vmcore_read_phys(vc, paddr, buf, len, err);
}

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
	uint8_t buf[64], page[4096];
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
	CHECK(vc.page_size == sizeof(page), "page size %zu", (size_t)vc.page_size);
	st = cs_vmcore_read_page(&vc, 0x9f, page, &err);
	CHECK(st == CS_OK, "%s", err.msg);
	CHECK(cs_vmcore_pfn_present(&vc, 0x9f) && !cs_vmcore_pfn_present(&vc, 0xa0),
	      "pfn 0x9f present, 0xa0 absent");
	st = cs_vmcore_read_phys(&vc, 0xa0000, buf, 8, &err);
	CHECK(st == CS_NODATA, "status %d", (int)st);
	CHECK_S(err.msg, "physical address 0xa0000 is not in the dump");
out:
	cs_vmcore_close(&vc);
}

/* What cs_kernel_read_virt did before runs were coalesced: one translation
 * and one physical read per page.  The new one must give the same status,
 * message and bytes. */
static enum cs_status read_by_page(const struct cs_kernel *k, uint64_t va, uint8_t *p, size_t len,
				   struct cs_err *err)
{
	while (len) {
		uint64_t pa, n = 4096 - (va & 4095);
		enum cs_status st;

		if (n > len)
			n = len;
		st = k->arch->vtop(k, va, &pa, err);
		if (!st)
			st = cs_vmcore_read_phys(k->vc, pa, p, (size_t)n, err);
		if (st)
			return st;
		p += n;
		va += n;
		len -= (size_t)n;
	}
	return CS_OK;
}

/* cs_kernel_read_virt of [va, va + len) against read_by_page; returns the
 * status, and in *reads the number of physical reads it made once the
 * tables that map @va are cached */
static enum cs_status same_as_by_page(const struct cs_kernel *k, uint64_t va, size_t len,
				      unsigned long *reads, const char *what)
{
	static uint8_t got[1 << 20], want[1 << 20];
	struct cs_err e1, e2;
	enum cs_status s1, s2;
	unsigned long before;

	memset(got, 0xa5, len);
	memset(want, 0xa5, len);
	cs_err_clear(&e1);
	cs_err_clear(&e2);
	/* the tables for @va into the cache: what is counted is the data */
	{
		struct cs_mapping m;

		k->arch->translate(k, va, &m, &e1);
	}
	before = phys_reads;
	s1 = cs_kernel_read_virt(k, va, got, len, &e1);
	if (reads)
		*reads = phys_reads - before;
	s2 = read_by_page(k, va, want, len, &e2);
	CHECK(s1 == s2, "%s: status %d, page by page %d", what, (int)s1, (int)s2);
	if (s1 && s2)
		CHECK(!strcmp(e1.msg, e2.msg), "%s: message \"%s\", page by page \"%s\"", what,
		      e1.msg, e2.msg);
	CHECK(!memcmp(got, want, len), "%s: bytes differ from a page-by-page read", what);
	return s1;
}

struct walk_log {
	int tables, roots, leaves;
	uint64_t bytes[3];		/* mapped bytes seen in 4K, 2M, 1G leaves */
	uint64_t first_va, first_pa, first_size;
	unsigned int first_flags;
	uint64_t skip_table;		/* answer CS_WALK_SKIP for this table */
};

static enum cs_walk_ret log_walk(void *arg, const struct cs_walk_item *it)
{
	struct walk_log *l = arg;

	if (!it->leaf) {
		l->tables++;
		l->roots += it->root;
		return it->table == l->skip_table ? CS_WALK_SKIP : CS_WALK_CONTINUE;
	}
	if (!l->leaves++) {
		l->first_va = it->map.va;
		l->first_pa = it->map.pa;
		l->first_size = it->map.size;
		l->first_flags = it->map.flags;
	}
	l->bytes[it->level < 3 ? it->level : 2] += it->map.size;
	return CS_WALK_CONTINUE;
}

/* tests/synth/xlat.txt: leaf sizes, runs of leaves read at once, holes,
 * tables partly or not at all in the dump, the walk and the regions. */
static void xlat(const char *path, const char *facts_path)
{
	struct cs_vmcore vc;
	struct cs_kernel k;
	struct cs_err err;
	struct cs_mapping m;
	struct cs_arch_regions r;
	struct walk_log wl;
	struct facts f;
	FILE *fp;
	size_t n;
	unsigned long reads;
	uint64_t stext, kphys, vmemmap, po, pa;
	uint8_t buf[64];
	enum cs_status st;

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
	if (!st)
		st = cs_kernel_init(&k, &vc, NULL, &err);
	CHECK(st == CS_OK, "%s", err.msg);
	if (st)
		exit(1);
	stext = factx(&f, "stext");
	vmemmap = factx(&f, "vmemmap");
	po = factx(&f, "page_offset");
	kphys = k.as.x86_64.pgd_paddr - 0x1000;
	CHECK_X(stext, 0xffffffffa9400000ull);	/* the addresses xlat.txt names */
	CHECK_X(vmemmap, 0xfffff3c1c0000000ull);
	CHECK_X(kphys, 16ull << 20);

	/* leaf sizes and starts: 4K image page, 2M image page, 4K/2M/1G direct
	 * map, 2M vmemmap; entries 0x63 are writable and executable */
	st = k.arch->translate(&k, stext + 0x3123, &m, &err);
	CHECK(st == CS_OK, "%s", err.msg);
	CHECK_X(m.va, stext + 0x3000);
	CHECK_X(m.pa, kphys + 0x3000);
	CHECK_X(m.size, 0x1000);
	CHECK_X(m.flags, CS_MAP_WRITE | CS_MAP_EXEC);
	st = k.arch->translate(&k, stext + 0x200123, &m, &err);
	CHECK(st == CS_OK && m.va == stext + 0x200000 && m.pa == kphys + 0x200000 &&
	      m.size == 0x200000, "image 2M leaf: %s %#" PRIx64 " %#" PRIx64 " %#" PRIx64,
	      err.msg, m.va, m.pa, m.size);
	st = k.arch->translate(&k, po + 0x100123, &m, &err);
	CHECK(st == CS_OK && m.va == po + 0x100000 && m.pa == 0x100000 && m.size == 0x1000,
	      "direct map 4K leaf");
	st = k.arch->translate(&k, po + 0x3fe12345, &m, &err);
	CHECK(st == CS_OK && m.va == po + 0x3fe00000 && m.pa == 0x3fe00000 && m.size == 0x200000,
	      "direct map 2M leaf");
	st = k.arch->translate(&k, po + 0x7fffffff, &m, &err);
	CHECK(st == CS_OK && m.va == po + 0x40000000 && m.pa == 0x40000000 &&
	      m.size == 0x40000000, "direct map 1G leaf: %#" PRIx64 " %#" PRIx64, m.va, m.size);
	st = k.arch->translate(&k, vmemmap + 0x8000 * 64 + 64, &m, &err);
	CHECK(st == CS_OK && m.va == vmemmap + 0x200000 && m.pa == 0x7fc00000 && m.size == 0x200000,
	      "vmemmap 2M leaf of section 1");
	st = k.arch->vtop(&k, vmemmap + 0x8000 * 64 + 64, &pa, &err);
	CHECK(st == CS_OK && pa == 0x7fc00040, "vtop = translate + offset");

	/* reads: same status, message and bytes as page by page */
	same_as_by_page(&k, stext + 0x3000, 0x2000, &reads, "two 4K leaves");
	CHECK_I(reads, 1);	/* physically contiguous: one read */
	st = same_as_by_page(&k, stext + 0x4800, 0x2000, NULL, "hole at stext+0x5000");
	CHECK(st == CS_NODATA, "hole: status %d", (int)st);
	same_as_by_page(&k, stext + 0x6ff0, 0x20, &reads, "a page mapped out of line");
	CHECK_I(reads, 2);	/* not contiguous: two runs */
	st = same_as_by_page(&k, stext + 0x7800, 0x1000, &reads, "a run with a physical hole");
	CHECK(st == CS_NODATA, "status %d", (int)st);
	CHECK(reads > 1, "the run is read again page by page");
	same_as_by_page(&k, stext + 0x1ff800, 0x1000, &reads, "a 4K leaf into a 2M leaf");
	CHECK_I(reads, 1);
	same_as_by_page(&k, po + 0x3ffff000, 0x2000, &reads, "a 2M leaf into a 1G leaf");
	CHECK_I(reads, 1);
	same_as_by_page(&k, vmemmap + 0x7ff0 * 64, 0x20 * 64, &reads,
			"struct pages across a section (2M leaf) boundary");
	CHECK_I(reads, 2);	/* the sections' backings are not adjacent */
	same_as_by_page(&k, vmemmap + 0x10000 * 64, 0x100000, &reads, "1 MiB of struct pages");
	CHECK_I(reads, 1);	/* the tables are cached: the read alone */
	st = same_as_by_page(&k, vmemmap + 20 * 0x200000 - 64, 128, NULL,
			     "into a PTE table partly in the dump");
	CHECK(st == CS_NODATA, "status %d", (int)st);
	st = same_as_by_page(&k, vmemmap + 20 * 0x200000 + 0x1a0 * 4096, 8, NULL,
			     "the part of a PTE table not in the dump");
	CHECK(st == CS_NODATA, "status %d", (int)st);
	st = k.arch->translate(&k, vmemmap + 20 * 0x200000 + 0x1a0 * 4096, &m, &err);
	CHECK_S(err.msg, "cannot translate virtual address 0xfffff3c1c29a0000: PTE table at "
		"physical 0x9f000: physical address 0x9fd00 is not in the dump");
	st = same_as_by_page(&k, vmemmap + 21 * 0x200000, 8, NULL, "a PTE table not in the dump");
	CHECK(st == CS_NODATA, "status %d", (int)st);
	st = same_as_by_page(&k, 0xfffffffffffff000ull, 0x1000, NULL, "the last page");
	CHECK(st == CS_NODATA, "status %d", (int)st);
	same_as_by_page(&k, 0x0000800000000000ull - 8, 16, NULL, "non-canonical");

	/* translating near what was translated costs no reads */
	st = k.arch->translate(&k, vmemmap + 0x20000 * 64, &m, &err);
	reads = phys_reads;
	st = k.arch->translate(&k, vmemmap + 0x21000 * 64, &m, &err);
	CHECK(st == CS_OK && phys_reads == reads, "cached walk: %lu reads", phys_reads - reads);
	st = cs_kernel_read_virt(&k, factx(&f, "init_uts_ns"), buf, 8, &err);
	CHECK(st == CS_OK && !memcmp(buf, "Linux", 6), "%s", err.msg);

	/* the walk: the image window is 512 4K leaves (two of them moved,
	 * one missing) and one 2M leaf; clipped at both ends */
	memset(&wl, 0, sizeof(wl));
	k.arch->walk(&k, stext, stext + 0x400000 - 1, log_walk, &wl);
	CHECK_I(wl.roots, 1);
	CHECK_I(wl.tables, 4);		/* PGD, PUD, PMD, PTE */
	CHECK_I(wl.leaves, 511 + 1);
	CHECK_X(wl.bytes[0], 511 * 4096);
	CHECK_X(wl.bytes[1], 0x200000);
	CHECK(wl.first_va == stext && wl.first_pa == kphys && wl.first_size == 4096 &&
	      wl.first_flags == (CS_MAP_WRITE | CS_MAP_EXEC), "first leaf");
	memset(&wl, 0, sizeof(wl));
	k.arch->walk(&k, stext + 0x1ff800, stext + 0x200fff, log_walk, &wl);
	CHECK_I(wl.leaves, 2);
	CHECK(wl.first_va == stext + 0x1ff800 && wl.first_pa == kphys + 0x1ff800 &&
	      wl.first_size == 0x800, "clipped first leaf");
	CHECK_X(wl.bytes[1], 0x1000);
	memset(&wl, 0, sizeof(wl));
	k.arch->walk(&k, po + 0x3fe00000, po + 0x7fffffff, log_walk, &wl);
	CHECK(wl.leaves == 2 && wl.bytes[1] == 0x200000 && wl.bytes[2] == 0x40000000,
	      "direct map: %d leaves", wl.leaves);
	/* a skipped table is not read and nothing under it is seen */
	memset(&wl, 0, sizeof(wl));
	wl.skip_table = k.as.x86_64.pgd_paddr;
	k.arch->walk(&k, stext, stext + 0x400000 - 1, log_walk, &wl);
	CHECK(wl.tables == 1 && wl.leaves == 0, "skipped root: %d tables %d leaves", wl.tables,
	      wl.leaves);
	/* tables not (or partly) in the dump are skipped quietly */
	memset(&wl, 0, sizeof(wl));
	k.arch->walk(&k, vmemmap + 19 * 0x200000, vmemmap + 22 * 0x200000 - 1, log_walk, &wl);
	CHECK(wl.leaves == 0 && wl.tables == 3 + 2, "vmemmap 19-21: %d tables %d leaves",
	      wl.tables, wl.leaves);

	CHECK(k.arch->regions(&k, &r) == 0, "regions");
	CHECK_X(r.kernel_lo, 0xffff800000000000ull);
	CHECK_X(r.image_lo, 0xffffffff80000000ull);
	CHECK_X(r.image_hi + 1, r.modules_lo);
	CHECK_X(r.modules_hi, 0xfffffffffeffffffull);
	CHECK_X(r.percpu_lo, 0xfffffe0000000000ull);
	CHECK_X(r.direct_map, po);
	CHECK_X(r.stack_size, 0x4000);
	CHECK(r.prstatus_nregs == 27 && r.prstatus_sp == 19, "user_regs_struct: rsp is 19 of 27");
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
	if (!strcmp(name, "xlat"))
		xlat(core, facts);
	else
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
		generate_and_check("xlat");
	}
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("test_x86_64: all checks passed\n");
	return 0;
}
