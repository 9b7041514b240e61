/* test_vmcoreinfo.c - VMCOREINFO parsing: the two lab kernels' real notes,
 * strict value kinds, the missing-key list, and -i FILE loading. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter/vmcoreinfo.h"
#include "tests/unit/check.h"

static void data_path(char *buf, size_t n, const char *name)
{
	const char *top = getenv("top_srcdir");

	snprintf(buf, n, "%s/tests/data/vmcoreinfo/%s", top ? top : ".", name);
}

static void test_61(void)
{
	struct cs_vmcoreinfo vi;
	struct cs_err err = { 0 };
	char path[4096];
	enum cs_status st;

	data_path(path, sizeof(path), "6.1.0-56-cloud-amd64.txt");
	st = cs_vmcoreinfo_load_file(path, &vi, &err);
	CHECK(st == CS_OK, "load %s: %s", path, err.msg);
	if (st)
		return;
	CHECK_S(vi.osrelease, "6.1.0-56-cloud-amd64");
	CHECK_I(vi.pagesize, 4096);
	CHECK_I(vi.phys_base, -155189248);
	CHECK_X(vi.kerneloffset, 0x2e000000);
	CHECK_X(vi.sym_init_top_pgt, 0xffffffffb0a10000);
	CHECK_X(vi.sym_swapper_pg_dir, 0xffffffffb0a10000);
	CHECK_X(vi.sym_mem_section, 0xffff8a9b7ffd6000);
	CHECK_I(vi.section_size_bits, 27);
	CHECK_I(vi.max_physmem_bits, 46);
	CHECK_I(vi.page_buddy_mapcount, -129);
	CHECK_I(vi.pgtable_l5_enabled, 0);
	CHECK(vi.have.pg_slab && vi.have.off_page_compound_dtor && vi.have.hugetlb_page_dtor,
	      "6.1 has PG_slab, compound_dtor and HUGETLB_PAGE_DTOR");
	CHECK(!vi.have.sym_vmemmap && !vi.have.vmalloc_start && !vi.have.page_slab_mapcount,
	      "6.1 exports no vmemmap, VMALLOC_START or PAGE_SLAB_MAPCOUNT_VALUE");
	CHECK(!vi.have.pg_hwpoison, "this 6.1 build exports no PG_hwpoison");
}

static void test_612(void)
{
	struct cs_vmcoreinfo vi;
	struct cs_err err = { 0 };
	char path[4096];
	enum cs_status st;

	data_path(path, sizeof(path), "6.12.117+deb12-cloud-amd64.txt");
	st = cs_vmcoreinfo_load_file(path, &vi, &err);
	CHECK(st == CS_OK, "load %s: %s", path, err.msg);
	if (st)
		return;
	CHECK_S(vi.osrelease, "6.12.117+deb12-cloud-amd64");
	CHECK_I(vi.page_buddy_mapcount, -268435456);
	CHECK_I(vi.page_slab_mapcount, -184549376);
	CHECK_I(vi.page_hugetlb_mapcount, -201326592);
	CHECK_I(vi.page_offline_mapcount, -251658240);
	CHECK_X(vi.vmalloc_start, 0xffffd2e300000000);
	CHECK_X(vi.sym_vmemmap, 0xfffff3c1c0000000);
	CHECK_I(vi.phys_base, 119537664);
	CHECK_X(vi.kerneloffset, 0x28400000);
	CHECK_I(vi.crashtime, 1795318895);
	CHECK_I(vi.kernel_image_size, 1073741824);
	CHECK_I(vi.off_page_compound_head, 8);
	CHECK_I(vi.off_page_mapcount, 48);
	CHECK_I(vi.len_zone_free_area, 11);
	CHECK_I(vi.pg_head_mask, 64);
	CHECK_I(vi.pg_hwpoison, 20);
	CHECK(!vi.have.pg_slab && !vi.have.off_page_compound_dtor,
	      "6.12 has neither PG_slab nor compound_dtor");
}

static const char minimal[] =
	"OSRELEASE=7.1.0\n"
	"PAGESIZE=4096\n"
	"SYMBOL(mem_section)=ffff888000001000\n"
	"SIZE(mem_section)=16\n"
	"OFFSET(mem_section.section_mem_map)=0\n"
	"NUMBER(SECTION_SIZE_BITS)=27\n"
	"NUMBER(MAX_PHYSMEM_BITS)=46\n"
	"SIZE(page)=64\n"
	"OFFSET(page.flags)=0\n"
	"OFFSET(page.mapping)=24\n"
	"OFFSET(page._mapcount)=48\n"
	"OFFSET(page.private)=40\n"
	"NUMBER(PG_lru)=5\n"
	"NUMBER(PG_private)=14\n"
	"NUMBER(PG_swapcache)=10\n";

/* Parse @minimal with @extra appended; return status, message in @err. */
static enum cs_status parse_with(const char *extra, struct cs_vmcoreinfo *vi, struct cs_err *err)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s%s", minimal, extra);
	cs_err_clear(err);
	return cs_vmcoreinfo_parse(buf, strlen(buf), vi, err);
}

static void expect_fail(const char *extra, const char *msg)
{
	struct cs_vmcoreinfo vi;
	struct cs_err err;
	enum cs_status st = parse_with(extra, &vi, &err);

	CHECK(st == CS_CORRUPT, "status %d for \"%s\"", (int)st, extra);
	CHECK_S(err.msg, msg);
}

static void test_kinds(void)
{
	struct cs_vmcoreinfo vi;
	struct cs_err err;
	enum cs_status st;

	st = parse_with("NUMBER(phys_base)=-9223372036854775808\n"
			"KERNELOFFSET=0\n"
			"NUMBER(VMALLOC_START)=0xFFFFC90000000000\n"
			"SOMETHING_NEW=whatever\n"
			"not a key line\n"
			"\n"
			"OFFSET(page.compound_info)=8\n",
			&vi, &err);
	CHECK(st == CS_OK, "%s", err.msg);
	CHECK_I(vi.phys_base, INT64_MIN);
	CHECK(vi.have.kerneloffset && vi.kerneloffset == 0, "KERNELOFFSET=0 is present");
	CHECK_X(vi.vmalloc_start, 0xffffc90000000000);
	CHECK(vi.have.off_page_compound_info && !vi.have.off_page_compound_head,
	      "compound_info without compound_head");
	CHECK_S(vi.osrelease, "7.1.0");

	/* line numbers count from 1; minimal has 15 lines */
	expect_fail("NUMBER(phys_base)=12ab\n",
		    "malformed VMCOREINFO value on line 16: NUMBER(phys_base)=12ab "
		    "(expected signed decimal or 0x-prefixed hexadecimal number)");
	expect_fail("NUMBER(phys_base)=\n",
		    "malformed VMCOREINFO value on line 16: NUMBER(phys_base)= "
		    "(expected signed decimal or 0x-prefixed hexadecimal number)");
	expect_fail("\nKERNELOFFSET=0x2e000000\n",
		    "malformed VMCOREINFO value on line 17: KERNELOFFSET=0x2e000000 "
		    "(expected hexadecimal address without 0x)");
	expect_fail("SYMBOL(init_top_pgt)=1ffffffffb0a10000\n",
		    "malformed VMCOREINFO value on line 16: SYMBOL(init_top_pgt)=1ffffffffb0a10000 "
		    "(expected hexadecimal address without 0x)");
	expect_fail("OFFSET(page.lru)=-8\n",
		    "malformed VMCOREINFO value on line 16: OFFSET(page.lru)=-8 "
		    "(expected unsigned decimal number)");
	expect_fail("CRASHTIME=99999999999999999999\n",
		    "malformed VMCOREINFO value on line 16: CRASHTIME=99999999999999999999 "
		    "(expected unsigned decimal number)");
	expect_fail("NUMBER(sme_mask)=9223372036854775808\n",
		    "malformed VMCOREINFO value on line 16: NUMBER(sme_mask)=9223372036854775808 "
		    "(expected signed decimal or 0x-prefixed hexadecimal number)");
	expect_fail("OSRELEASE=" "0123456789012345678901234567890123456789"
		    "0123456789012345678901234567890123456789"
		    "01234567890123456789012345678901234567890123456789\n",
		    "malformed VMCOREINFO value on line 16: OSRELEASE="
		    "0123456789012345678901234567890123456789012345678901234567890123"
		    " (expected text of at most 127 characters)");
}

static void test_missing(void)
{
	struct cs_vmcoreinfo vi;
	struct cs_err err;
	static const char t[] = "OSRELEASE=6.1\nPAGESIZE=4096\nSIZE(page)=64\n"
				"NUMBER(PG_lru)=5\nNUMBER(PG_private)=14\nNUMBER(PG_swapcache)=10\n"
				"OFFSET(page.flags)=0\nOFFSET(page.mapping)=24\n"
				"OFFSET(page.private)=40\nNUMBER(MAX_PHYSMEM_BITS)=46\n";
	enum cs_status st;

	cs_err_clear(&err);
	st = cs_vmcoreinfo_parse(t, sizeof(t) - 1, &vi, &err);
	CHECK(st == CS_CORRUPT, "status %d", (int)st);
	CHECK_S(err.msg, "VMCOREINFO lacks required keys: SYMBOL(mem_section), SIZE(mem_section), "
		"OFFSET(mem_section.section_mem_map), NUMBER(SECTION_SIZE_BITS), "
		"OFFSET(page._mapcount)");

	/* text ends at the first NUL (note padding): the keys after it are not seen */
	{
		char buf[2048];
		size_t n = (size_t)snprintf(buf, sizeof(buf), "%s", minimal);

		buf[n - 2] = '\0'; /* cuts the last line to "NUMBER(PG_swapcache)=1" */
		memcpy(buf + n - 1, "\n", 1);
		cs_err_clear(&err);
		st = cs_vmcoreinfo_parse(buf, n, &vi, &err);
		CHECK(st == CS_OK, "%s", err.msg);
		CHECK_I(vi.pg_swapcache, 1);
		n = (size_t)snprintf(buf, sizeof(buf), "OSRELEASE=x\n%c%s", 0, minimal);
		cs_err_clear(&err);
		st = cs_vmcoreinfo_parse(buf, n, &vi, &err);
		CHECK(st == CS_CORRUPT && strncmp(err.msg, "VMCOREINFO lacks required keys: PAGESIZE, ", 42) == 0,
		      "got %d \"%s\"", (int)st, err.msg);
	}
	/* an empty note */
	cs_err_clear(&err);
	st = cs_vmcoreinfo_parse("", 0, &vi, &err);
	CHECK(st == CS_CORRUPT && strncmp(err.msg, "VMCOREINFO lacks required keys: OSRELEASE, PAGESIZE, ", 53) == 0,
	      "got %d \"%s\"", (int)st, err.msg);
}

static void test_file_errors(void)
{
	struct cs_vmcoreinfo vi;
	struct cs_err err;
	enum cs_status st;
	char path[] = "/tmp/cs-vi-XXXXXX";
	FILE *f;
	int fd;

	cs_err_clear(&err);
	st = cs_vmcoreinfo_load_file("/nonexistent/vmcoreinfo", &vi, &err);
	CHECK(st == CS_SYS, "status %d", (int)st);
	CHECK_S(err.msg, "cannot open VMCOREINFO file /nonexistent/vmcoreinfo: No such file or directory");

	fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp");
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	fprintf(f, "%sNUMBER(pgtable_l5_enabled)=yes\n", minimal);
	fclose(f);
	cs_err_clear(&err);
	st = cs_vmcoreinfo_load_file(path, &vi, &err);
	CHECK(st == CS_CORRUPT, "status %d", (int)st);
	{
		char want[256];

		snprintf(want, sizeof(want),
			 "%s: malformed VMCOREINFO value on line 16: NUMBER(pgtable_l5_enabled)=yes "
			 "(expected signed decimal or 0x-prefixed hexadecimal number)", path);
		CHECK_S(err.msg, want);
	}
	unlink(path);
}

int main(void)
{
	test_61();
	test_612();
	test_kinds();
	test_missing();
	test_file_errors();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("test_vmcoreinfo: all checks passed\n");
	return 0;
}
