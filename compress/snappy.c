/* snappy.c - raw snappy blocks (varint length prefix, not the framing
 * format), through the snappy-c API.  Snappy has no level and no context;
 * the library is C++ inside (configure links -lstdc++). */
#include "config.h"

#include "compress/codec.h"

#include <stdlib.h>

#if HAVE_SNAPPY
#include <snappy-c.h>

static size_t snappy_bound(size_t in_len)
{
	return snappy_max_compressed_length(in_len);
}

static enum cs_status snappy_init(void **ctx, int level, size_t page_size, struct cs_err *err)
{
	*ctx = NULL;	/* snappy keeps no state between pages */
	return CS_OK;
}

static enum cs_status snappy_compress_page(void *ctx, const void *in, size_t in_len,
					   void *out, size_t *out_len, struct cs_err *err)
{
	snappy_status rc = snappy_compress(in, in_len, out, out_len);

	if (rc != SNAPPY_OK)
		return cs_fail(err, CS_SYS, "snappy: compression failed: status %d", (int)rc);
	return CS_OK;
}

static enum cs_status snappy_decompress_page(void *ctx, const void *in, size_t in_len,
					     void *out, size_t out_len, struct cs_err *err)
{
	size_t n;
	snappy_status rc;

	rc = snappy_uncompressed_length(in, in_len, &n);
	if (rc != SNAPPY_OK)
		return cs_fail(err, CS_CORRUPT, "snappy: bad compressed data (no length)");
	if (n != out_len)
		return cs_fail(err, CS_CORRUPT, "snappy: decompressed length %zu, want %zu",
			       n, out_len);
	rc = snappy_uncompress(in, in_len, out, &n);
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
