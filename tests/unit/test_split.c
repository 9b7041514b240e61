/* test_split.c - cs_split_ranges: contiguous ranges on block multiples that
 * tile [0, max_mapnr), each within one block's pages of total/N, empty and
 * skewed plans included; on plans of many 32 Ki-pfn blocks, exactly the
 * bounds of a plain pfn-by-pfn count (the block summaries only skip). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/split.h"

static int failures;

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", \
	__FILE__, __LINE__, #cond); failures++; } } while (0)

static uint64_t count(const uint8_t *keep, uint64_t s, uint64_t e)
{
	uint64_t n = 0;

	for (uint64_t p = s; p < e; p++)
		n += (uint64_t)cs_bit_test(keep, p);
	return n;
}

static void check(const char *what, const uint8_t *keep, uint64_t max, unsigned int n,
		  uint64_t block)
{
	struct cs_plan plan;
	struct cs_err err;
	uint64_t bound[9], total = count(keep, 0, max);

	if (cs_plan_from_bitmaps(&plan, max, keep, keep, &err) != CS_OK) {
		fprintf(stderr, "%s: %s\n", what, err.msg);
		failures++;
		return;
	}
	CHECK(plan.kept_pages == total);
	cs_split_ranges(&plan, n, block, bound);
	CHECK(bound[0] == 0 && bound[n] == max);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t k = count(keep, bound[i], bound[i + 1]);
		int64_t dev = (int64_t)(k * n) - (int64_t)total;

		CHECK(bound[i] <= bound[i + 1]);
		CHECK(i == 0 || bound[i] % block == 0 || bound[i] == max);
		if ((dev < 0 ? -dev : dev) > (int64_t)((block + 1) * n)) {
			fprintf(stderr, "%s: file %u of %u keeps %llu of %llu\n", what, i, n,
				(unsigned long long)k, (unsigned long long)total);
			failures++;
		}
	}
	cs_plan_fini(&plan);
}

/* the bounds as counted pfn by pfn (the algorithm before block summaries) */
static void reference(const uint8_t *keep, uint64_t max, unsigned int n, uint64_t block,
		      uint64_t *bound)
{
	uint64_t total = count(keep, 0, max), pfn = 0, acc = 0;

	bound[0] = 0;
	for (unsigned int i = 1; i < n; i++) {
		uint64_t target = (total * i + n / 2) / n;

		while (pfn < max && acc < target) {
			uint64_t end = max - pfn < block ? max : pfn + block;
			uint64_t k = count(keep, pfn, end);

			if (acc + k > target && acc + k - target > target - acc)
				break;
			acc += k;
			pfn = end;
		}
		bound[i] = pfn;
	}
	bound[n] = max;
}

static void check_same(const char *what, const uint8_t *keep, uint64_t max, unsigned int n,
		       uint64_t block)
{
	struct cs_plan plan;
	struct cs_err err;
	uint64_t got[9], want[9];

	if (cs_plan_from_bitmaps(&plan, max, keep, keep, &err) != CS_OK) {
		fprintf(stderr, "%s: %s\n", what, err.msg);
		failures++;
		return;
	}
	cs_split_ranges(&plan, n, block, got);
	reference(keep, max, n, block, want);
	for (unsigned int i = 0; i <= n; i++)
		if (got[i] != want[i]) {
			fprintf(stderr, "%s: n=%u block=%llu bound %u is %#llx, want %#llx\n", what,
				n, (unsigned long long)block, i, (unsigned long long)got[i],
				(unsigned long long)want[i]);
			failures++;
		}
	cs_plan_fini(&plan);
}

int main(void)
{
	uint64_t max = 4096 + 3, big = 7 * 32768 + 4321, seed = 88172645463325252ull;
	uint8_t keep[4096 / 8 + 1];
	uint8_t *bk = calloc(big / 8 + 1, 1);

	memset(keep, 0xff, sizeof(keep));
	keep[max / 8] &= (1u << (max & 7)) - 1;
	for (unsigned int n = 2; n <= 8; n++)
		check("all kept", keep, max, n, 64);
	/* everything in the last quarter */
	memset(keep, 0, sizeof(keep));
	for (uint64_t p = 3072; p < max; p++)
		cs_bit_set(keep, p);
	for (unsigned int n = 2; n <= 8; n++)
		check("skewed", keep, max, n, 16);
	/* nothing kept: all but the first file are empty, still a tiling */
	memset(keep, 0, sizeof(keep));
	check("empty", keep, max, 3, 64);
	/* one block bigger than memory */
	memset(keep, 0xff, sizeof(keep));
	keep[max / 8] &= (1u << (max & 7)) - 1;
	{
		struct cs_plan plan;
		struct cs_err err;
		uint64_t bound[4];

		CHECK(cs_plan_from_bitmaps(&plan, max, keep, keep, &err) == CS_OK);
		cs_split_ranges(&plan, 3, 1u << 20, bound);
		CHECK(bound[0] == 0 && bound[3] == max);
		cs_plan_fini(&plan);
	}
	/* many plan blocks: runs of kept pfns in some blocks, none in others */
	if (!bk)
		return 99;
	for (uint64_t p = 0; p < big; p++) {
		uint64_t b = p >> 15;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		if (b == 1 || b == 2 || b == 5)
			continue;
		if (b == 3 ? (seed & 1) : b == 4 ? (p & 4096) : (seed % 5 == 0))
			cs_bit_set(bk, p);
	}
	for (unsigned int n = 2; n <= 8; n++) {
		check("many blocks", bk, big, n, 256);
		check_same("many blocks", bk, big, n, 256);
		check_same("many blocks", bk, big, n, 1);
		check_same("many blocks", bk, big, n, 32768);
		check_same("many blocks", bk, big, n, 3000);	/* not a divisor */
		check_same("many blocks", bk, big, n, 65536);
	}
	free(bk);
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	return failures ? 1 : 0;
}
