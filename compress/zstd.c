/* zstd.c - one zstd frame per page (content size recorded), level 1 by
 * default.  A compression and a decompression context are created once per
 * codec context and reused for every page. */
#include "config.h"

#include "compress/codec.h"

#include <stdlib.h>

#if HAVE_ZSTD
#include <zstd.h>

struct zstd_state {
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	int level;
};

static size_t zstd_bound(size_t in_len)
{
	return ZSTD_compressBound(in_len);
}

static void zstd_fini(void *ctx);

static enum cs_status zstd_init(void **ctx, int level, size_t page_size, struct cs_err *err)
{
	struct zstd_state *s;

	if (level == 0)
		level = 1;
	if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
		return cs_fail(err, CS_INVALID, "zstd level %d out of range (%d-%d)",
			       level, ZSTD_minCLevel(), ZSTD_maxCLevel());
	s = calloc(1, sizeof(*s));
	if (!s)
		return cs_fail_nomem(err);
	s->level = level;
	s->cctx = ZSTD_createCCtx();
	s->dctx = ZSTD_createDCtx();
	if (!s->cctx || !s->dctx) {
		zstd_fini(s);
		return cs_fail_nomem(err);
	}
	*ctx = s;
	return CS_OK;
}

static enum cs_status zstd_compress(void *ctx, const void *in, size_t in_len,
				    void *out, size_t *out_len, struct cs_err *err)
{
	struct zstd_state *s = ctx;
	size_t n = ZSTD_compressCCtx(s->cctx, out, *out_len, in, in_len, s->level);

	if (ZSTD_isError(n))
		return cs_fail(err, CS_SYS, "zstd: compression failed: %s", ZSTD_getErrorName(n));
	*out_len = n;
	return CS_OK;
}

static enum cs_status zstd_decompress(void *ctx, const void *in, size_t in_len,
				      void *out, size_t out_len, struct cs_err *err)
{
	struct zstd_state *s = ctx;
	unsigned long long want = ZSTD_getFrameContentSize(in, in_len);
	size_t n;

	if (want == ZSTD_CONTENTSIZE_ERROR)
		return cs_fail(err, CS_CORRUPT, "zstd: bad compressed data (not a zstd frame)");
	if (want != ZSTD_CONTENTSIZE_UNKNOWN && want != out_len)
		return cs_fail(err, CS_CORRUPT, "zstd: decompressed length %llu, want %zu",
			       want, out_len);
	n = ZSTD_decompressDCtx(s->dctx, out, out_len, in, in_len);
	if (ZSTD_isError(n))
		return cs_fail(err, CS_CORRUPT, "zstd: bad compressed data (%s)",
			       ZSTD_getErrorName(n));
	if (n != out_len)
		return cs_fail(err, CS_CORRUPT, "zstd: decompressed %zu bytes, want %zu",
			       n, out_len);
	return CS_OK;
}

static void zstd_fini(void *ctx)
{
	struct zstd_state *s = ctx;

	if (!s)
		return;
	ZSTD_freeCCtx(s->cctx);
	ZSTD_freeDCtx(s->dctx);
	free(s);
}

const struct cs_codec cs_codec_zstd = {
	.name = "zstd", .option = 'z', .flag = CS_DH_COMPRESSED_ZSTD, .built = 1,
	.bound = zstd_bound, .init = zstd_init, .compress = zstd_compress,
	.decompress = zstd_decompress, .fini = zstd_fini,
};

#else /* !HAVE_ZSTD */

static size_t zstd_bound(size_t in_len)
{
	return in_len;
}

static enum cs_status zstd_init(void **ctx, int level, size_t page_size, struct cs_err *err)
{
	*ctx = NULL;
	return cs_fail(err, CS_NOTSUPP, "not built with zstd");
}

static enum cs_status zstd_compress(void *ctx, const void *in, size_t in_len,
				    void *out, size_t *out_len, struct cs_err *err)
{
	return cs_fail(err, CS_NOTSUPP, "not built with zstd");
}

static enum cs_status zstd_decompress(void *ctx, const void *in, size_t in_len,
				      void *out, size_t out_len, struct cs_err *err)
{
	return cs_fail(err, CS_NOTSUPP, "not built with zstd");
}

static void zstd_fini(void *ctx)
{
}

const struct cs_codec cs_codec_zstd = {
	.name = "zstd", .option = 'z', .flag = CS_DH_COMPRESSED_ZSTD, .built = 0,
	.bound = zstd_bound, .init = zstd_init, .compress = zstd_compress,
	.decompress = zstd_decompress, .fini = zstd_fini,
};

#endif
