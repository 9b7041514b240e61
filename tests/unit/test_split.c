/* test_split.c - cs_split_ranges: contiguous ranges on block multiples that
 * tile [0, max_mapnr), each within one block's pages of total/N, empty and
 * skewed plans included. */
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

static void check(const char *what, const struct cs_plan *plan, unsigned int n, uint64_t block)
{
	uint64_t bound[9], total = count(plan->keep, 0, plan->max_mapnr);

	cs_split_ranges(plan, n, block, bound);
	CHECK(bound[0] == 0 && bound[n] == plan->max_mapnr);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t k = count(plan->keep, bound[i], bound[i + 1]);
		int64_t dev = (int64_t)(k * n) - (int64_t)total;

		CHECK(bound[i] <= bound[i + 1]);
		CHECK(i == 0 || bound[i] % block == 0 || bound[i] == plan->max_mapnr);
		if ((dev < 0 ? -dev : dev) > (int64_t)((block + 1) * n)) {
			fprintf(stderr, "%s: file %u of %u keeps %llu of %llu\n", what, i, n,
				(unsigned long long)k, (unsigned long long)total);
			failures++;
		}
	}
}

int main(void)
{
	struct cs_plan plan;
	uint8_t keep[4096 / 8 + 1];

	memset(&plan, 0, sizeof(plan));
	plan.keep = keep;
	plan.max_mapnr = 4096 + 3;
	memset(keep, 0xff, sizeof(keep));
	for (unsigned int n = 2; n <= 8; n++)
		check("all kept", &plan, n, 64);
	/* everything in the last quarter */
	memset(keep, 0, sizeof(keep));
	for (uint64_t p = 3072; p < plan.max_mapnr; p++)
		cs_bit_set(keep, p);
	for (unsigned int n = 2; n <= 8; n++)
		check("skewed", &plan, n, 16);
	/* nothing kept: all but the first file are empty, still a tiling */
	memset(keep, 0, sizeof(keep));
	check("empty", &plan, 3, 64);
	/* one block bigger than memory */
	memset(keep, 0xff, sizeof(keep));
	{
		uint64_t bound[4];

		cs_split_ranges(&plan, 3, 1u << 20, bound);
		CHECK(bound[0] == 0 && bound[3] == plan.max_mapnr);
	}
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	return failures ? 1 : 0;
}
