/* zlib.c - deflate level 1 (default), one complete zlib stream per page.
 *
 * One z_stream per context, reset per page (deflateReset), because
 * deflateInit allocates ~256 KiB each time and compress2() would do that for
 * every page.  Readers (crash, libkdumpfile) call uncompress() on the bytes.
 */
#include "config.h"

#include "compress/codec.h"

#include <stdlib.h>

#if HAVE_ZLIB
#include <zlib.h>

struct zlib_state {
	z_stream def;
	z_stream inf;
	int inf_ready;
};

static size_t zlib_bound(size_t in_len)
{
	return compressBound((uLong)in_len);
}

static enum cs_status zlib_init(void **ctx, int level, size_t page_size, struct cs_err *err)
{
	struct zlib_state *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return cs_fail_nomem(err);
	if (level == 0)
		level = 1;
	if (level < 1 || level > 9) {
		free(s);
		return cs_fail(err, CS_INVALID, "zlib level %d out of range (1-9)", level);
	}
	rc = deflateInit(&s->def, level);
	if (rc != Z_OK) {
		free(s);
		if (rc == Z_MEM_ERROR)
			return cs_fail_nomem(err);
		return cs_fail(err, CS_SYS, "cannot initialise zlib: error %d", rc);
	}
	rc = inflateInit(&s->inf);
	if (rc != Z_OK) {
		deflateEnd(&s->def);
		free(s);
		if (rc == Z_MEM_ERROR)
			return cs_fail_nomem(err);
		return cs_fail(err, CS_SYS, "cannot initialise zlib: error %d", rc);
	}
	s->inf_ready = 1;
	*ctx = s;
	return CS_OK;
}

static enum cs_status zlib_compress(void *ctx, const void *in, size_t in_len,
				    void *out, size_t *out_len, struct cs_err *err)
{
	struct zlib_state *s = ctx;
	int rc;

	if (deflateReset(&s->def) != Z_OK)
		return cs_fail(err, CS_SYS, "zlib: deflateReset failed");
	s->def.next_in = (Bytef *)(uintptr_t)in;
	s->def.avail_in = (uInt)in_len;
	s->def.next_out = out;
	s->def.avail_out = (uInt)*out_len;
	rc = deflate(&s->def, Z_FINISH);
	if (rc != Z_STREAM_END)
		return cs_fail(err, CS_SYS, "zlib: deflate failed: error %d", rc);
	*out_len = *out_len - s->def.avail_out;
	return CS_OK;
}

static enum cs_status zlib_decompress(void *ctx, const void *in, size_t in_len,
				      void *out, size_t out_len, struct cs_err *err)
{
	struct zlib_state *s = ctx;
	int rc;

	if (inflateReset(&s->inf) != Z_OK)
		return cs_fail(err, CS_SYS, "zlib: inflateReset failed");
	s->inf.next_in = (Bytef *)(uintptr_t)in;
	s->inf.avail_in = (uInt)in_len;
	s->inf.next_out = out;
	s->inf.avail_out = (uInt)out_len;
	rc = inflate(&s->inf, Z_FINISH);
	if (rc != Z_STREAM_END)
		return cs_fail(err, CS_CORRUPT, "zlib: bad compressed data (%s)",
			       rc == Z_BUF_ERROR ? "output longer than a page or input truncated"
						 : s->inf.msg ? s->inf.msg : "inflate error");
	if (s->inf.avail_out != 0)
		return cs_fail(err, CS_CORRUPT, "zlib: decompressed %zu bytes, want %zu",
			       out_len - s->inf.avail_out, out_len);
	if (s->inf.avail_in != 0)
		return cs_fail(err, CS_CORRUPT, "zlib: %u trailing bytes after the stream",
			       s->inf.avail_in);
	return CS_OK;
}

static void zlib_fini(void *ctx)
{
	struct zlib_state *s = ctx;

	if (!s)
		return;
	deflateEnd(&s->def);
	if (s->inf_ready)
		inflateEnd(&s->inf);
	free(s);
}

const struct cs_codec cs_codec_zlib = {
	.name = "zlib", .option = 'c', .flag = CS_DH_COMPRESSED_ZLIB, .built = 1,
	.bound = zlib_bound, .init = zlib_init, .compress = zlib_compress,
	.decompress = zlib_decompress, .fini = zlib_fini,
};

#else /* !HAVE_ZLIB */

static size_t zlib_bound(size_t in_len)
{
	return in_len;
}

static enum cs_status zlib_init(void **ctx, int level, size_t page_size, struct cs_err *err)
{
	*ctx = NULL;
	return cs_fail(err, CS_NOTSUPP, "not built with zlib");
}

static enum cs_status zlib_compress(void *ctx, const void *in, size_t in_len,
				    void *out, size_t *out_len, struct cs_err *err)
{
	return cs_fail(err, CS_NOTSUPP, "not built with zlib");
}

static enum cs_status zlib_decompress(void *ctx, const void *in, size_t in_len,
				      void *out, size_t out_len, struct cs_err *err)
{
	return cs_fail(err, CS_NOTSUPP, "not built with zlib");
}

static void zlib_fini(void *ctx)
{
}

const struct cs_codec cs_codec_zlib = {
	.name = "zlib", .option = 'c', .flag = CS_DH_COMPRESSED_ZLIB, .built = 0,
	.bound = zlib_bound, .init = zlib_init, .compress = zlib_compress,
	.decompress = zlib_decompress, .fini = zlib_fini,
};

#endif
