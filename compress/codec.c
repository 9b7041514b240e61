/* codec.c - the codec table, lookups and the per-thread page compressor.
 *
 * The kdump format rule (doc/kdump-format.md, "Page data"): a page is stored
 * compressed only when that makes it strictly smaller than a page; otherwise
 * it is stored raw with flags 0.
 */
#include "config.h"

#include "compress/codec.h"

#include <stdlib.h>
#include <string.h>

const struct cs_codec *const cs_codecs[] = {
	&cs_codec_zlib, &cs_codec_lzo, &cs_codec_snappy, &cs_codec_zstd, NULL,
};

const struct cs_codec *cs_codec_by_option(char option)
{
	for (size_t i = 0; cs_codecs[i]; i++)
		if (cs_codecs[i]->option == option)
			return cs_codecs[i];
	return NULL;
}

const struct cs_codec *cs_codec_by_flag(uint32_t flag)
{
	for (size_t i = 0; cs_codecs[i]; i++)
		if (cs_codecs[i]->flag == flag)
			return cs_codecs[i];
	return NULL;
}

const struct cs_codec *cs_codec_by_name(const char *name)
{
	for (size_t i = 0; cs_codecs[i]; i++)
		if (strcmp(cs_codecs[i]->name, name) == 0)
			return cs_codecs[i];
	return NULL;
}

enum cs_status cs_codec_ctx_init(struct cs_codec_ctx *c, const struct cs_codec *codec,
				 int level, size_t page_size, struct cs_err *err)
{
	enum cs_status st;

	memset(c, 0, sizeof(*c));
	c->page_size = page_size;
	if (!codec)
		return CS_OK;
	if (!codec->built)
		return cs_fail(err, CS_NOTSUPP, "not built with %s", codec->name);
	c->buf = malloc(codec->bound(page_size));
	if (!c->buf)
		return cs_fail_nomem(err);
	st = codec->init(&c->state, level, page_size, err);
	if (st != CS_OK) {
		free(c->buf);
		c->buf = NULL;
		return st;
	}
	c->codec = codec;
	return CS_OK;
}

void cs_codec_ctx_deinit(struct cs_codec_ctx *c)
{
	if (c->codec)
		c->codec->fini(c->state);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

enum cs_status cs_codec_page(struct cs_codec_ctx *c, const void *page,
			     const void **out, size_t *out_len, uint32_t *flags,
			     struct cs_err *err)
{
	size_t len;
	enum cs_status st;

	*out = page;
	*out_len = c->page_size;
	*flags = 0;
	if (!c->codec)
		return CS_OK;
	len = c->codec->bound(c->page_size);
	st = c->codec->compress(c->state, page, c->page_size, c->buf, &len, err);
	if (st != CS_OK)
		return st;
	if (len < c->page_size) {
		*out = c->buf;
		*out_len = len;
		*flags = c->codec->flag;
	}
	return CS_OK;
}
