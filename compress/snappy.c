/* snappy.c - raw snappy blocks (varint length prefix, not the framing
 * format), through the snappy-c API.  Snappy has no level and no context.
 *
 * The library is C++ inside: linking it pulls libstdc++ into every run, and
 * loading and initialising that costs about 1.4 MiB of resident memory even
 * in -l/-c/-z runs that never touch snappy (the capture kernel may have
 * 256 MiB or less for everything).  So unless configure links it
 * (CS_SNAPPY_DLOPEN 0, the static binary), libsnappy.so.1 is opened with
 * dlopen() the first time a snappy context is created (writing with -p, or
 * reading a kdump file with snappy pages), never before. */
#include "config.h"

#include "compress/codec.h"

#include <stdlib.h>

#if HAVE_SNAPPY
#include <snappy-c.h>

#if CS_SNAPPY_DLOPEN
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#ifndef SNAPPY_SONAME		/* a test may name another */
#define SNAPPY_SONAME	"libsnappy.so.1"
#endif

/* The library's entry points, resolved once per process.  This is the one
 * piece of process-wide state here: it is written once under pthread_once and
 * only read afterwards, so contexts created by any thread share it safely. */
static struct {
	__typeof__(snappy_compress) *compress;
	__typeof__(snappy_uncompress) *uncompress;
	__typeof__(snappy_uncompressed_length) *uncompressed_length;
	__typeof__(snappy_max_compressed_length) *max_compressed_length;
	char why[200];		/* empty: loaded */
} lib;
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void *sym(void *h, const char *name)
{
	void *p;

	if (lib.why[0])
		return NULL;
	dlerror();
	p = dlsym(h, name);
	if (!p) {
		const char *e = dlerror();

		snprintf(lib.why, sizeof(lib.why), "%s: no %s: %s", SNAPPY_SONAME, name,
			 e ? e : "null symbol");
	}
	return p;
}

static void lib_load(void)
{
	void *h = dlopen(SNAPPY_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		const char *e = dlerror();

		snprintf(lib.why, sizeof(lib.why), "%s", e ? e : SNAPPY_SONAME ": cannot load");
		return;
	}
	lib.compress = (__typeof__(lib.compress))sym(h, "snappy_compress");
	lib.uncompress = (__typeof__(lib.uncompress))sym(h, "snappy_uncompress");
	lib.uncompressed_length =
		(__typeof__(lib.uncompressed_length))sym(h, "snappy_uncompressed_length");
	lib.max_compressed_length =
		(__typeof__(lib.max_compressed_length))sym(h, "snappy_max_compressed_length");
	if (lib.why[0])
		dlclose(h);
	/* otherwise kept open for the life of the process */
}

static enum cs_status lib_get(struct cs_err *err)
{
	pthread_once(&lib_once, lib_load);
	if (lib.why[0])
		return cs_fail(err, CS_NOTSUPP, "snappy: cannot load the snappy library "
			       SNAPPY_SONAME " (install libsnappy1v5): %s", lib.why);
	return CS_OK;
}

#define SNAPPY(fn)	(lib.fn)
#else	/* linked in */
static enum cs_status lib_get(struct cs_err *err)
{
	return CS_OK;
}

#define SNAPPY(fn)	(snappy_##fn)
#endif

/* snappy's documented worst case (MaxCompressedLength): 32 + n + n / 6.
 * Computed here so asking for the bound never loads the library; init
 * checks that the library agrees. */
static size_t snappy_bound(size_t in_len)
{
	return 32 + in_len + in_len / 6;
}

static enum cs_status snappy_init(void **ctx, int level, size_t page_size, struct cs_err *err)
{
	enum cs_status st;

	*ctx = NULL;	/* snappy keeps no state between pages */
	st = lib_get(err);
	if (st != CS_OK)
		return st;
	if (SNAPPY(max_compressed_length)(page_size) > snappy_bound(page_size))
		return cs_fail(err, CS_NOTSUPP, "snappy: the library's worst case for %zu bytes "
			       "is %zu, more than the %zu expected", page_size,
			       SNAPPY(max_compressed_length)(page_size), snappy_bound(page_size));
	return CS_OK;
}

static enum cs_status snappy_compress_page(void *ctx, const void *in, size_t in_len,
					   void *out, size_t *out_len, struct cs_err *err)
{
	snappy_status rc = SNAPPY(compress)(in, in_len, out, out_len);

	if (rc != SNAPPY_OK)
		return cs_fail(err, CS_SYS, "snappy: compression failed: status %d", (int)rc);
	return CS_OK;
}

static enum cs_status snappy_decompress_page(void *ctx, const void *in, size_t in_len,
					     void *out, size_t out_len, struct cs_err *err)
{
	size_t n;
	snappy_status rc;

	rc = SNAPPY(uncompressed_length)(in, in_len, &n);
	if (rc != SNAPPY_OK)
		return cs_fail(err, CS_CORRUPT, "snappy: bad compressed data (no length)");
	if (n != out_len)
		return cs_fail(err, CS_CORRUPT, "snappy: decompressed length %zu, want %zu",
			       n, out_len);
	rc = SNAPPY(uncompress)(in, in_len, out, &n);
	if (rc != SNAPPY_OK)
		return cs_fail(err, CS_CORRUPT, "snappy: bad compressed data (status %d)", (int)rc);
	if (n != out_len)
		return cs_fail(err, CS_CORRUPT, "snappy: decompressed %zu bytes, want %zu",
			       n, out_len);
	return CS_OK;
}

static void snappy_fini(void *ctx)
{
}

const struct cs_codec cs_codec_snappy = {
	.name = "snappy", .option = 'p', .flag = CS_DH_COMPRESSED_SNAPPY, .built = 1,
	.bound = snappy_bound, .init = snappy_init, .compress = snappy_compress_page,
	.decompress = snappy_decompress_page, .fini = snappy_fini,
};

#else /* !HAVE_SNAPPY */

static size_t snappy_bound(size_t in_len)
{
	return in_len;
}

static enum cs_status snappy_init(void **ctx, int level, size_t page_size, struct cs_err *err)
{
	*ctx = NULL;
	return cs_fail(err, CS_NOTSUPP, "not built with snappy");
}

static enum cs_status snappy_compress_page(void *ctx, const void *in, size_t in_len,
					   void *out, size_t *out_len, struct cs_err *err)
{
	return cs_fail(err, CS_NOTSUPP, "not built with snappy");
}

static enum cs_status snappy_decompress_page(void *ctx, const void *in, size_t in_len,
					     void *out, size_t out_len, struct cs_err *err)
{
	return cs_fail(err, CS_NOTSUPP, "not built with snappy");
}

static void snappy_fini(void *ctx)
{
}

const struct cs_codec cs_codec_snappy = {
	.name = "snappy", .option = 'p', .flag = CS_DH_COMPRESSED_SNAPPY, .built = 0,
	.bound = snappy_bound, .init = snappy_init, .compress = snappy_compress_page,
	.decompress = snappy_decompress_page, .fini = snappy_fini,
};

#endif
