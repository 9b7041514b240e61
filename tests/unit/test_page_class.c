/* test_page_class.c - the pure classifier, one kernel layout at a time.
 *
 * For each kernel (5.10 ... 7.1) the VMCOREINFO keys that matter are given
 * as text (facts: the 6.1 and 6.12 sets are the lab kernels' real notes,
 * /work/shared/reference/vmcoreinfo; the others follow the kernel commits
 * cited in filter/page_class.c), parsed with the real parser, and struct
 * page bytes are built for every class, including the traps.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "filter/page_class.h"
#include "filter/vmcoreinfo.h"
#include "lib/io.h"

static int failures, checks;

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: [%s] %s: ", __FILE__, __LINE__, cur, #cond); \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
			failures++;                                           \
		}                                                             \
	} while (0)

static const char *cur = "";

static const char *const class_name[] = {
	"kernel", "cache", "cache_private", "user", "free", "hwpoison", "offline",
	"unclassified", "tail",
};

/* ---- per-kernel VMCOREINFO (only what the classifier reads + required) */

#define COMMON \
	"PAGESIZE=4096\nSYMBOL(mem_section)=ffff888000100000\nLENGTH(mem_section)=2048\n" \
	"SIZE(mem_section)=16\nOFFSET(mem_section.section_mem_map)=0\n"                  \
	"NUMBER(SECTION_SIZE_BITS)=27\nNUMBER(MAX_PHYSMEM_BITS)=46\nSIZE(page)=64\n"      \
	"OFFSET(page.flags)=0\nOFFSET(page._refcount)=52\nOFFSET(page.mapping)=24\n"      \
	"OFFSET(page.lru)=8\nOFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"        \
	"LENGTH(zone.free_area)=11\n"
/* 4.16 .. 6.2: order/dtor bytes in the first tail page */
#define TAIL_BYTES "OFFSET(page.compound_dtor)=16\nOFFSET(page.compound_order)=17\n"
/* flag numbers of x86_64 kernels before the PG_head -> bit 6 reorder */
#define OLD_FLAGS \
	"NUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n" \
	"NUMBER(PG_swapbacked)=19\nNUMBER(PG_head_mask)=65536\n"
/* flag numbers after the reorder (6.12's real export) */
#define NEW_FLAGS \
	"NUMBER(PG_lru)=5\nNUMBER(PG_private)=14\nNUMBER(PG_swapcache)=10\n" \
	"NUMBER(PG_swapbacked)=17\nNUMBER(PG_head_mask)=64\nNUMBER(PG_hwpoison)=20\n"
#define TYPES_612 \
	"NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-184549376\n"    \
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-268435456\n"   \
	"NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-201326592\n" \
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-251658240\n"

enum hugetlb_era { H_DTOR, H_PG_HUGETLB, H_TYPE };

struct kfix {
	const char *name;
	const char *vmcoreinfo;
	enum hugetlb_era hugetlb;
	int order_in_flags_1;
	unsigned int dtor_off, order_off;	/* within the first tail */
	int lru, priv, swapcache, swapbacked, head, slab, hwpoison, hugetlb_bit;
	int32_t buddy, offline, slab_type, hugetlb_type, unaccepted;
	int top_byte;
	int have_slab_type, have_unaccepted;
};

static const struct kfix kernels[] = {
	{ "5.10", "OSRELEASE=5.10.0-30-amd64\n" COMMON TAIL_BYTES
	  "OFFSET(page.compound_head)=8\n" OLD_FLAGS
	  "NUMBER(PG_slab)=9\nNUMBER(PG_hwpoison)=23\nNUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	  "NUMBER(HUGETLB_PAGE_DTOR)=2\nNUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n",
	  H_DTOR, 0, 16, 17, 4, 13, 10, 19, 16, 9, 23, -1, -129, -257, 0, 0, 0, 0, 0, 0 },
	/* the lab's 6.1 note: no PG_hwpoison (CONFIG_MEMORY_FAILURE off) */
	{ "6.1", "OSRELEASE=6.1.0-56-cloud-amd64\n" COMMON TAIL_BYTES
	  "OFFSET(page.compound_head)=8\n" OLD_FLAGS
	  "NUMBER(PG_slab)=9\nNUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	  "NUMBER(HUGETLB_PAGE_DTOR)=2\nNUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n",
	  H_DTOR, 0, 16, 17, 4, 13, 10, 19, 16, 9, -1, -1, -129, -257, 0, 0, 0, 0, 0, 0 },
	/* 6.2: same keys as 6.1, but struct slab now aliases page.mapping */
	{ "6.2", "OSRELEASE=6.2.0\n" COMMON TAIL_BYTES
	  "OFFSET(page.compound_head)=8\n" OLD_FLAGS
	  "NUMBER(PG_slab)=9\nNUMBER(PG_hwpoison)=23\nNUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	  "NUMBER(HUGETLB_PAGE_DTOR)=2\nNUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n",
	  H_DTOR, 0, 16, 17, 4, 13, 10, 19, 16, 9, 23, -1, -129, -257, 0, 0, 0, 0, 0, 0 },
	/* 6.3-6.5: dtor/order exported as folio offsets (from the head) */
	{ "6.3", "OSRELEASE=6.3.0\n" COMMON
	  "OFFSET(folio._folio_dtor)=80\nOFFSET(folio._folio_order)=81\n"
	  "OFFSET(page.compound_head)=8\n" OLD_FLAGS
	  "NUMBER(PG_slab)=9\nNUMBER(PG_hwpoison)=23\nNUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	  "NUMBER(HUGETLB_PAGE_DTOR)=2\nNUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n",
	  H_DTOR, 0, 16, 17, 4, 13, 10, 19, 16, 9, 23, -1, -129, -257, 0, 0, 0, 0, 0, 0 },
	/* 6.6-6.8: order in _flags_1, PG_hugetlb in _flags_1 */
	{ "6.6", "OSRELEASE=6.6.0\n" COMMON "OFFSET(page.compound_head)=8\n"
	  "NUMBER(PG_lru)=5\nNUMBER(PG_private)=15\nNUMBER(PG_swapcache)=12\n"
	  "NUMBER(PG_swapbacked)=19\nNUMBER(PG_head_mask)=64\nNUMBER(PG_slab)=11\n"
	  "NUMBER(PG_hwpoison)=23\nNUMBER(PG_hugetlb)=8\n"
	  "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\nNUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n",
	  H_PG_HUGETLB, 1, 0, 0, 5, 15, 12, 19, 6, 11, 23, 8, -129, -257, 0, 0, 0, 0, 0, 0 },
	/* 6.9: hugetlb became a page type; PG_slab still a flag */
	{ "6.9", "OSRELEASE=6.9.0\n" COMMON "OFFSET(page.compound_head)=8\n"
	  "NUMBER(PG_lru)=5\nNUMBER(PG_private)=15\nNUMBER(PG_swapcache)=12\n"
	  "NUMBER(PG_swapbacked)=19\nNUMBER(PG_head_mask)=64\nNUMBER(PG_slab)=11\n"
	  "NUMBER(PG_hwpoison)=23\nNUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	  "NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-2049\nNUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n",
	  H_TYPE, 1, 0, 0, 5, 15, 12, 19, 6, 11, 23, -1, -129, -257, 0, -2049, 0, 0, 0, 0 },
	/* 6.10: slab became a page type (~0x1000) */
	{ "6.10", "OSRELEASE=6.10.0\n" COMMON "OFFSET(page.compound_head)=8\n"
	  "NUMBER(PG_lru)=5\nNUMBER(PG_private)=15\nNUMBER(PG_swapcache)=12\n"
	  "NUMBER(PG_swapbacked)=19\nNUMBER(PG_head_mask)=64\nNUMBER(PG_hwpoison)=22\n"
	  "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-4097\nNUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	  "NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-2049\nNUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n",
	  H_TYPE, 1, 0, 0, 5, 15, 12, 19, 6, -1, 22, -1, -129, -257, -4097, -2049, 0, 0, 1, 0 },
	/* 6.11: type bits moved to the top half, low 16 bits owner data */
	{ "6.11", "OSRELEASE=6.11.0\n" COMMON "OFFSET(page.compound_head)=8\n"
	  "NUMBER(PG_lru)=5\nNUMBER(PG_private)=15\nNUMBER(PG_swapcache)=12\n"
	  "NUMBER(PG_swapbacked)=19\nNUMBER(PG_head_mask)=64\nNUMBER(PG_hwpoison)=22\n"
	  "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-33554433\n"
	  "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-1073741825\n"
	  "NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-67108865\n"
	  "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-536870913\n",
	  H_TYPE, 1, 0, 0, 5, 15, 12, 19, 6, -1, 22, -1, -1073741825, -536870913, -33554433,
	  -67108865, 0, 0, 1, 0 },
	/* the lab's 6.12 note: page types are the top byte */
	{ "6.12", "OSRELEASE=6.12.117+deb12-cloud-amd64\n" COMMON
	  "OFFSET(page.compound_head)=8\n" NEW_FLAGS TYPES_612,
	  H_TYPE, 1, 0, 0, 5, 14, 10, 17, 6, -1, 20, -1, -268435456, -251658240, -184549376,
	  -201326592, 0, 1, 1, 0 },
	{ "6.16", "OSRELEASE=6.16.0\n" COMMON "OFFSET(page.compound_head)=8\n" NEW_FLAGS
	  TYPES_612 "NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)=-150994944\n",
	  H_TYPE, 1, 0, 0, 5, 14, 10, 17, 6, -1, 20, -1, -268435456, -251658240, -184549376,
	  -201326592, -150994944, 1, 1, 1 },
	/* 7.1: compound_head renamed compound_info (same slot) */
	{ "7.1", "OSRELEASE=7.1.0\n" COMMON "OFFSET(page.compound_info)=8\n" NEW_FLAGS
	  TYPES_612 "NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)=-150994944\n",
	  H_TYPE, 1, 0, 0, 5, 14, 10, 17, 6, -1, 20, -1, -268435456, -251658240, -184549376,
	  -201326592, -150994944, 1, 1, 1 },
};

/* ---- struct page builders (64-byte x86_64 layout) */

#define HEAD_ADDR 0xffffea0000040000ULL	/* some struct page address */
#define FILE_MAPPING 0xffff888012345678ULL	/* address_space *, bit 0 clear */
#define ANON_MAPPING 0xffff888012345001ULL	/* anon_vma * | PAGE_MAPPING_ANON */

struct pg {
	uint8_t b[64];
};

static struct pg mk(uint64_t flags, uint64_t mapping, int32_t mapcount, uint64_t private_)
{
	struct pg p;

	memset(&p, 0, sizeof(p));
	cs_put_le64(p.b + 0, flags);
	cs_put_le64(p.b + 24, mapping);
	cs_put_le32(p.b + 48, (uint32_t)mapcount);
	cs_put_le32(p.b + 52, 1);	/* _refcount */
	cs_put_le64(p.b + 40, private_);
	return p;
}

static uint64_t bit(int n)
{
	return n >= 0 ? 1ULL << n : 0;
}

/* First tail page of a compound page of @order; @hugetlb marks it hugetlb
 * the way kernel @k does (for the dtor and PG_hugetlb eras). */
static struct pg mk_tail1(const struct kfix *k, unsigned int order, int hugetlb)
{
	struct pg t = mk(0, 0, -1, 0);
	uint64_t f = 0;

	cs_put_le64(t.b + 8, HEAD_ADDR | 1);
	if (k->order_in_flags_1) {
		f = order;
		if (hugetlb && k->hugetlb == H_PG_HUGETLB)
			f |= bit(k->hugetlb_bit);
		cs_put_le64(t.b, f);
	} else {
		t.b[k->order_off] = (uint8_t)order;
		t.b[k->dtor_off] = hugetlb ? 2 : 1;	/* HUGETLB_PAGE_DTOR : COMPOUND_PAGE_DTOR */
	}
	return t;
}

static void expect(const struct cs_page_layout *l, const char *what, const struct pg *p,
		   const struct pg *next, enum cs_page_class want, uint64_t want_n)
{
	uint64_t n = 999;
	enum cs_page_class got = cs_page_classify(l, p->b, next ? next->b : NULL, &n);

	checks++;

	CHECK(got == want && n == want_n, "%s: got %s/%" PRIu64 ", want %s/%" PRIu64, what,
	      class_name[got], n, class_name[want], want_n);
}

static void test_kernel(const struct kfix *k)
{
	struct cs_vmcoreinfo vi;
	struct cs_page_layout l;
	struct cs_err err;
	struct pg p, t;
	int32_t normal = -1;

	cur = k->name;
	if (cs_vmcoreinfo_parse(k->vmcoreinfo, strlen(k->vmcoreinfo), &vi, &err) != CS_OK) {
		CHECK(0, "parse: %s", err.msg);
		return;
	}
	if (cs_page_layout_init(&l, &vi, &err) != CS_OK) {
		CHECK(0, "layout: %s", err.msg);
		return;
	}
	CHECK(l.order_in_flags_1 == k->order_in_flags_1, "order_in_flags_1 %d", l.order_in_flags_1);
	CHECK(l.page_type_in_top_byte == k->top_byte, "top byte %d", l.page_type_in_top_byte);
	CHECK(l.max_order == 10, "max_order %u", l.max_order);
	if (!k->order_in_flags_1)
		CHECK(l.off_compound_order == 17 && l.off_compound_dtor == 16 && l.have_dtor,
		      "tail offsets %u/%u", l.off_compound_dtor, l.off_compound_order);

	/* plain kernel page, reserved page */
	p = mk(0, 0, normal, 0);
	expect(&l, "kernel", &p, NULL, CS_PC_KERNEL, 1);
	/* free buddy blocks: order from private, sanity-checked */
	p = mk(0, 0, k->buddy, 3);
	expect(&l, "buddy order 3", &p, NULL, CS_PC_FREE, 8);
	p = mk(0, 0, k->buddy, 10);
	expect(&l, "buddy order 10", &p, NULL, CS_PC_FREE, 1024);
	p = mk(0, 0, k->buddy, 11);
	expect(&l, "buddy order 11 > MAX_ORDER", &p, NULL, CS_PC_UNCLASSIFIED, 1);
	p = mk(bit(k->lru), 0, k->buddy, 0);
	expect(&l, "buddy on an LRU", &p, NULL, CS_PC_UNCLASSIFIED, 1);
	/* page cache */
	p = mk(bit(k->lru), FILE_MAPPING, 0, 0);
	expect(&l, "file cache", &p, NULL, CS_PC_CACHE, 1);
	p = mk(bit(k->lru) | bit(k->priv), FILE_MAPPING, 0, 0xffff888000777000ULL);
	expect(&l, "private cache", &p, NULL, CS_PC_CACHE_PRIVATE, 1);
	p = mk(bit(k->swapcache) | bit(k->swapbacked), FILE_MAPPING, -1, 0x1234);
	expect(&l, "swap cache off LRU", &p, NULL, CS_PC_CACHE, 1);
	p = mk(bit(k->swapcache), FILE_MAPPING, -1, 0);
	expect(&l, "PG_owner_priv_1 without swapbacked", &p, NULL, CS_PC_KERNEL, 1);
	/* user */
	p = mk(bit(k->lru) | bit(k->swapbacked), ANON_MAPPING, 0, 0);
	expect(&l, "anon", &p, NULL, CS_PC_USER, 1);
	p = mk(bit(k->lru) | bit(k->swapbacked) | bit(k->swapcache), ANON_MAPPING, 2, 0x55);
	expect(&l, "anon in swap cache", &p, NULL, CS_PC_USER, 1);
	p = mk(bit(k->lru), 0xffff888012345003ULL, 0, 0);
	expect(&l, "KSM", &p, NULL, CS_PC_USER, 1);
	/* THP: the whole folio, order from the first tail */
	p = mk(bit(k->lru) | bit(k->head) | bit(k->swapbacked), ANON_MAPPING, 0, 0);
	t = mk_tail1(k, 9, 0);
	expect(&l, "anon THP", &p, &t, CS_PC_USER, 512);
	/* large page-cache folio: whole folio is cache */
	p = mk(bit(k->lru) | bit(k->head), FILE_MAPPING, 0, 0);
	t = mk_tail1(k, 4, 0);
	expect(&l, "large file folio", &p, &t, CS_PC_CACHE, 16);
	/* hugetlb head, per era; hugetlbfs pages have a file mapping */
	p = mk(bit(k->head), FILE_MAPPING, k->hugetlb == H_TYPE ? k->hugetlb_type : -1, 0);
	t = mk_tail1(k, 9, 1);
	expect(&l, "hugetlb 2M", &p, &t, CS_PC_USER, 512);
	t = mk_tail1(k, 18, 1);
	expect(&l, "hugetlb 1G", &p, &t, CS_PC_USER, 1ULL << 18);
	/* a compound kernel page (not hugetlb, not anon) stays kernel, whole */
	p = mk(bit(k->head), 0, -1, 0);
	t = mk_tail1(k, 2, 0);
	expect(&l, "compound kernel page", &p, &t, CS_PC_KERNEL, 4);
	/* 6.6+: a stale byte where the old dtor was must not mean hugetlb */
	if (k->order_in_flags_1) {
		t = mk_tail1(k, 2, 0);
		t.b[16] = 2;
		t.b[17] = 9;
		expect(&l, "stale dtor byte on 6.6+", &p, &t, CS_PC_KERNEL, 4);
	}
	/* traps: heads whose first tail is missing or nonsense */
	expect(&l, "head without first tail", &p, NULL, CS_PC_UNCLASSIFIED, 1);
	t = mk(0, 0, -1, 0);
	expect(&l, "head whose next is not a tail", &p, &t, CS_PC_UNCLASSIFIED, 1);
	t = mk_tail1(k, 0, 0);
	expect(&l, "head of order 0", &p, &t, CS_PC_UNCLASSIFIED, 1);
	t = mk_tail1(k, 40, 0);
	expect(&l, "head of order 40", &p, &t, CS_PC_UNCLASSIFIED, 1);
	/* tails */
	t = mk_tail1(k, 9, 0);
	expect(&l, "tail", &t, NULL, CS_PC_TAIL, 1);
	cs_put_le64(t.b, bit(k->head));
	expect(&l, "tail with PG_head", &t, NULL, CS_PC_UNCLASSIFIED, 1);
	/* slab: kernel even when the mapping slot has bit 0 set (6.2+) */
	if (k->slab >= 0)
		p = mk(bit(k->slab), 0xffff888000000001ULL, 0x12345, 0);
	else
		p = mk(0, 0xffff888000000001ULL, k->slab_type, 0);
	expect(&l, "slab with odd 'mapping'", &p, NULL, CS_PC_KERNEL, 1);
	if (k->slab >= 0) {
		p = mk(bit(k->slab) | bit(k->head), 0xffff888000000001ULL, 0x7fff0000, 0);
		t = mk_tail1(k, 3, 0);
		expect(&l, "compound slab", &p, &t, CS_PC_KERNEL, 8);
	}
	/* hwpoison (never read) and offline */
	if (k->hwpoison >= 0) {
		p = mk(bit(k->hwpoison) | bit(k->lru), ANON_MAPPING, 0, 0);
		expect(&l, "hwpoison anon", &p, NULL, CS_PC_HWPOISON, 1);
	}
	p = mk(0, 0, k->offline, 0);
	expect(&l, "offline", &p, NULL, CS_PC_OFFLINE, 1);
	/* other page types (page tables etc.) are kernel data */
	if (k->top_byte)
		p = mk(0, 0, (int32_t)0xf2000000u, 0);	/* PGTY_table */
	else if (k->buddy == -129)
		p = mk(0, 0, ~0x200, 0);		/* PG_table */
	else
		p = mk(0, 0, ~0x10000000, 0);
	expect(&l, "page table", &p, NULL, CS_PC_KERNEL, 1);
	/* garbage */
	p = mk(0, 0, -5, 0);
	expect(&l, "mapcount -5", &p, NULL, CS_PC_UNCLASSIFIED, 1);
	p = mk(0, ANON_MAPPING, 0x7ffffff0, 0);
	expect(&l, "mapcount 2^31-16", &p, NULL, CS_PC_UNCLASSIFIED, 1);
	p = mk(0, ANON_MAPPING, (int32_t)0x8123abcd, 0);
	expect(&l, "mapcount 0x8123abcd", &p, NULL, CS_PC_UNCLASSIFIED, 1);

	/* the page-type encodings must not be confused across 6.12 */
	if (k->top_byte) {
		p = mk(0, 0, (int32_t)0xf0000123u, 2);
		expect(&l, "6.12 buddy, low bits set", &p, NULL, CS_PC_FREE, 4);
		p = mk(0, 0, -129, 2);
		expect(&l, "6.1 buddy value on 6.12", &p, NULL, CS_PC_UNCLASSIFIED, 1);
		p = mk(0, ANON_MAPPING, (int32_t)0xf5000040u, 0);
		expect(&l, "6.12 slab with owner bits", &p, NULL, CS_PC_KERNEL, 1);
	} else {
		p = mk(0, 0, (int32_t)0xf0000000u, 2);
		expect(&l, "6.12 buddy value before 6.12", &p, NULL, CS_PC_UNCLASSIFIED, 1);
	}
	if (k->have_unaccepted) {
		p = mk(0, 0, k->unaccepted, 0);
		expect(&l, "unaccepted", &p, NULL, CS_PC_FREE, 1024);
	}
}

static void test_levels(void)
{
	static const struct {
		enum cs_page_class c;
		unsigned int level;
		int want;
	} t[] = {
		{ CS_PC_CACHE, 0, 0 },	{ CS_PC_CACHE, 2, 1 },	{ CS_PC_CACHE, 4, 1 },
		{ CS_PC_CACHE_PRIVATE, 2, 0 }, { CS_PC_CACHE_PRIVATE, 4, 1 },
		{ CS_PC_USER, 8, 1 },	{ CS_PC_USER, 23, 0 },	{ CS_PC_FREE, 16, 1 },
		{ CS_PC_FREE, 15, 0 },	{ CS_PC_HWPOISON, 0, 1 }, { CS_PC_OFFLINE, 0, 1 },
		{ CS_PC_KERNEL, 31, 0 }, { CS_PC_UNCLASSIFIED, 31, 0 }, { CS_PC_TAIL, 31, 0 },
	};

	cur = "levels";
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(cs_page_class_excluded(t[i].c, t[i].level) == t[i].want,
		      "%s at -d %u: want %d", class_name[t[i].c], t[i].level, t[i].want);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(kernels) / sizeof(kernels[0]); i++)
		test_kernel(&kernels[i]);
	test_levels();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("page_class: %zu kernel layouts, %d classifications OK\n",
	       sizeof(kernels) / sizeof(kernels[0]), checks);
	return 0;
}
