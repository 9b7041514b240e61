/* check.h - the assertion macros the C unit tests share.
 *
 * CHECK(cond, fmt, ...) prints "file:line: cond: message" and counts a
 * failure; a test's main returns failures != 0.  Included once per test
 * program (the counter is per program). */
#ifndef CS_TEST_CHECK_H
#define CS_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
			failures++;                                           \
		}                                                             \
	} while (0)
#define CHECK_I(got, want) \
	CHECK((int64_t)(got) == (int64_t)(want), "got %" PRId64 ", want %" PRId64, \
	      (int64_t)(got), (int64_t)(want))
#define CHECK_X(got, want) \
	CHECK((uint64_t)(got) == (uint64_t)(want), "got %#" PRIx64 ", want %#" PRIx64, \
	      (uint64_t)(got), (uint64_t)(want))
#define CHECK_S(got, want) \
	CHECK(strcmp((got), (want)) == 0, "got \"%s\", want \"%s\"", (got), (want))

#endif
