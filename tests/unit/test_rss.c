/* test_rss.c - lib/rss: the resident set counted from the page tables. */
#include "config.h"

#include <sys/mman.h>

#include "lib/rss.h"
#include "tests/unit/check.h"

#define TOUCH_KIB 8192ul
/* an --enable-asan build also keeps a shadow byte for every 8 bytes the
 * program maps, and ASan's own mmap() writes it */
#ifdef __SANITIZE_ADDRESS__
#define SHADOW_KIB (TOUCH_KIB / 8)
#else
#define SHADOW_KIB 0ul
#endif

int main(void)
{
	unsigned long before, touched, after;
	char *p;

	before = cs_rss_now_kib();
	CHECK(before > 0, "no Rss line in /proc/self/smaps_rollup");
	p = mmap(NULL, TOUCH_KIB * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "cannot map %lu KiB", TOUCH_KIB);
	if (p == MAP_FAILED)
		return 1;
	for (unsigned long i = 0; i < TOUCH_KIB * 1024; i += 4096)
		p[i] = 1;
	touched = cs_rss_now_kib();
	/* exact: every page touched counts at once (a few more for the
	 * stack and stdio are allowed) */
	CHECK(touched >= before + TOUCH_KIB && touched <= before + TOUCH_KIB + SHADOW_KIB + 256,
	      "%lu KiB before, %lu after touching %lu KiB", before, touched, TOUCH_KIB);
	munmap(p, TOUCH_KIB * 1024);
	after = cs_rss_now_kib();
	CHECK(after + TOUCH_KIB <= touched + SHADOW_KIB, "%lu KiB after unmapping, %lu before", after, touched);
	/* the kernel's high-water mark saw the 8 MiB; a larger sample wins */
	CHECK(cs_rss_peak_kib(0) >= TOUCH_KIB, "peak %lu KiB", cs_rss_peak_kib(0));
	CHECK_I(cs_rss_peak_kib(touched + 65536), touched + 65536);
	return failures != 0;
}
