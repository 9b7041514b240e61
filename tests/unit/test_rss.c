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

/* map, touch and unmap N KiB once, so that the libc code and stdio
 * buffers the measurement itself needs are resident before it starts */
static void warm_up(unsigned long kib)
{
	char *p = mmap(NULL, kib * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	for (unsigned long i = 0; i < kib * 1024; i += 4096)
		p[i] = 1;
	munmap(p, kib * 1024);
	(void)cs_rss_now_kib();
}

int main(void)
{
	unsigned long before, touched, after;
	char *p;

	warm_up(64);
	before = cs_rss_now_kib();
	CHECK(before > 0, "no Rss line in /proc/self/smaps_rollup");
	p = mmap(NULL, TOUCH_KIB * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "cannot map %lu KiB", TOUCH_KIB);
	if (p == MAP_FAILED)
		return 1;
	for (unsigned long i = 0; i < TOUCH_KIB * 1024; i += 4096)
		p[i] = 1;
	touched = cs_rss_now_kib();
	/* every page touched counts at once; the rest of the process may
	 * still fault in a few pages of its own (libc text comes in 64 KiB
	 * fault-around blocks, more or fewer depending on the page cache),
	 * so the growth is allowed 1 MiB over the 8 MiB, never under */
	CHECK(touched >= before + TOUCH_KIB && touched <= before + TOUCH_KIB + SHADOW_KIB + 1024,
	      "%lu KiB before, %lu after touching %lu KiB", before, touched, TOUCH_KIB);
	munmap(p, TOUCH_KIB * 1024);
	after = cs_rss_now_kib();
	/* and the 8 MiB leave at once: the drop is the mapping itself, to
	 * within a page or two of the process's own */
	CHECK(after + TOUCH_KIB <= touched + SHADOW_KIB + 16, "%lu KiB after unmapping, %lu before", after, touched);
	CHECK(after + TOUCH_KIB + SHADOW_KIB + 16 >= touched, "%lu KiB after unmapping, %lu before", after, touched);
	/* the kernel's high-water mark saw the 8 MiB; a larger sample wins */
	CHECK(cs_rss_peak_kib(0) >= TOUCH_KIB, "peak %lu KiB", cs_rss_peak_kib(0));
	CHECK_I(cs_rss_peak_kib(touched + 65536), touched + 65536);
	return failures != 0;
}
