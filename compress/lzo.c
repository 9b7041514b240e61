/* lzo.c - LZO1X-1 raw blocks (what crash/libkdumpfile read with
 * lzo1x_decompress_safe).  The work memory (LZO1X_1_MEM_COMPRESS, 128 KiB
 * on 64-bit, of which the 32 KiB dictionary of 16-bit offsets is all a page
 * touches) is allocated once per context; the level is ignored (LZO1X-1 has
 * none). */
#include "config.h"

#include "compress/codec.h"

#include <stdlib.h>

#if HAVE_LZO
#include <lzo/lzo1x.h>

struct lzo_state {
	void *wrkmem;
};

static size_t lzo_bound(size_t in_len)
{
	/* documented LZO1X worst case */
	return in_len + in_len / 16 + 64 + 3;
}

static enum cs_status lzo_init_ctx(void **ctx, int level, size_t page_size, struct cs_err *err)
{
	struct lzo_state *s;

	if (lzo_init() != LZO_E_OK)
		return cs_fail(err, CS_SYS, "cannot initialise lzo");
	s = malloc(sizeof(*s));
	if (!s)
		return cs_fail_nomem(err);
	s->wrkmem = malloc(LZO1X_1_MEM_COMPRESS);
	if (!s->wrkmem) {
		free(s);
		return cs_fail_nomem(err);
	}
	*ctx = s;
	return CS_OK;
}

static enum cs_status lzo_compress(void *ctx, const void *in, size_t in_len,
				   void *out, size_t *out_len, struct cs_err *err)
{
	struct lzo_state *s = ctx;
	lzo_uint n = 0;
	int rc;

	if (*out_len < lzo_bound(in_len))
		return cs_fail(err, CS_INVALID, "lzo: output buffer of %zu bytes is below the bound",
			       *out_len);
	rc = lzo1x_1_compress(in, in_len, out, &n, s->wrkmem);
	if (rc != LZO_E_OK)
		return cs_fail(err, CS_SYS, "lzo: compression failed: error %d", rc);
	*out_len = n;
	return CS_OK;
}

static enum cs_status lzo_decompress(void *ctx, const void *in, size_t in_len,
				     void *out, size_t out_len, struct cs_err *err)
{
	lzo_uint n = out_len;
	int rc;

	rc = lzo1x_decompress_safe(in, in_len, out, &n, NULL);
	if (rc != LZO_E_OK)
		return cs_fail(err, CS_CORRUPT, "lzo: bad compressed data (error %d)", rc);
	if (n != out_len)
		return cs_fail(err, CS_CORRUPT, "lzo: decompressed %zu bytes, want %zu",
			       (size_t)n, out_len);
	return CS_OK;
}

static void lzo_fini(void *ctx)
{
	struct lzo_state *s = ctx;

	if (!s)
		return;
	free(s->wrkmem);
	free(s);
}

const struct cs_codec cs_codec_lzo = {
	.name = "lzo", .option = 'l', .flag = CS_DH_COMPRESSED_LZO, .built = 1,
	.bound = lzo_bound, .init = lzo_init_ctx, .compress = lzo_compress,
	.decompress = lzo_decompress, .fini = lzo_fini,
};

#else /* !HAVE_LZO */

static size_t lzo_bound(size_t in_len)
{
	return in_len;
}

static enum cs_status lzo_init_ctx(void **ctx, int level, size_t page_size, struct cs_err *err)
{
	*ctx = NULL;
	return cs_fail(err, CS_NOTSUPP, "not built with lzo");
}

static enum cs_status lzo_compress(void *ctx, const void *in, size_t in_len,
				   void *out, size_t *out_len, struct cs_err *err)
{
	return cs_fail(err, CS_NOTSUPP, "not built with lzo");
}

static enum cs_status lzo_decompress(void *ctx, const void *in, size_t in_len,
				     void *out, size_t out_len, struct cs_err *err)
{
	return cs_fail(err, CS_NOTSUPP, "not built with lzo");
}

static void lzo_fini(void *ctx)
{
}

const struct cs_codec cs_codec_lzo = {
	.name = "lzo", .option = 'l', .flag = CS_DH_COMPRESSED_LZO, .built = 0,
	.bound = lzo_bound, .init = lzo_init_ctx, .compress = lzo_compress,
	.decompress = lzo_decompress, .fini = lzo_fini,
};

#endif
