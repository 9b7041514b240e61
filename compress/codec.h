/* codec.h - page compressors as a table of operations.
 *
 * One file per codec (compress/zlib.c, lzo.c, snappy.c, zstd.c) exports a
 * const struct cs_codec.  A codec whose library was not found by configure
 * still exports its struct with built = 0, so the pipeline never needs
 * #ifdefs and can say "not built with lzo".
 *
 * Each worker thread owns its own context (cs_codec_ctx): created once,
 * buffers sized up front, nothing allocated per page.
 */
#ifndef CS_CODEC_H
#define CS_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

/* kdump page_desc flags / header status bits */
#define CS_DH_COMPRESSED_ZLIB		0x1
#define CS_DH_COMPRESSED_LZO		0x2
#define CS_DH_COMPRESSED_SNAPPY		0x4
#define CS_DH_COMPRESSED_INCOMPLETE	0x8
#define CS_DH_EXCLUDED_VMEMMAP		0x10
#define CS_DH_COMPRESSED_ZSTD		0x20

struct cs_codec {
	const char *name;	/* "zlib", "lzo", "snappy", "zstd" */
	char option;		/* 'c', 'l', 'p', 'z' */
	uint32_t flag;		/* CS_DH_COMPRESSED_* */
	int built;		/* 0: library not found at configure time */
	/* worst-case output size for @in_len input bytes */
	size_t (*bound)(size_t in_len);
	/* create a private context; @level: codec level, 0 = default */
	enum cs_status (*init)(void **ctx, int level, size_t page_size, struct cs_err *err);
	/* compress @in_len bytes; *@out_len = bytes written (<= bound) */
	enum cs_status (*compress)(void *ctx, const void *in, size_t in_len,
				   void *out, size_t *out_len, struct cs_err *err);
	/* decompress exactly @out_len bytes (a page); CS_CORRUPT otherwise */
	enum cs_status (*decompress)(void *ctx, const void *in, size_t in_len,
				     void *out, size_t out_len, struct cs_err *err);
	void (*fini)(void *ctx);
};

extern const struct cs_codec cs_codec_zlib, cs_codec_lzo, cs_codec_snappy, cs_codec_zstd;

/* NULL-terminated table of all codecs (built or not). */
extern const struct cs_codec *const cs_codecs[];

const struct cs_codec *cs_codec_by_option(char option);
const struct cs_codec *cs_codec_by_flag(uint32_t flag);
const struct cs_codec *cs_codec_by_name(const char *name);

/* A per-thread compression context: codec state + output buffer. */
struct cs_codec_ctx {
	const struct cs_codec *codec;	/* NULL: store raw */
	void *state;
	uint8_t *buf;			/* bound(page_size) bytes */
	size_t page_size;
};

enum cs_status cs_codec_ctx_init(struct cs_codec_ctx *c, const struct cs_codec *codec,
				 int level, size_t page_size, struct cs_err *err);
void cs_codec_ctx_deinit(struct cs_codec_ctx *c);

/* Compress one page.  Sets *@out, *@out_len and *@flags to either the compressed
 * bytes in c->buf with the codec's flag, or the input page itself with flags 0
 * when compression does not make it strictly smaller (or there is no codec). */
enum cs_status cs_codec_page(struct cs_codec_ctx *c, const void *page,
			     const void **out, size_t *out_len, uint32_t *flags,
			     struct cs_err *err);

#endif
