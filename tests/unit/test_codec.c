/* test_codec.c - every built codec round-trips pages exactly, falls back to
 * raw for incompressible pages and reports corrupt input as CS_CORRUPT.
 * A codec that was not built must say "not built with NAME"; its round-trip
 * cases are reported as skipped and the other codecs still run. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/codec.h"
#include "tests/unit/check.h"

#define PAGE 4096

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(xorshift(&seed) >> 24);
}

static void fill_text(uint8_t *p, size_t n)
{
	static const char words[] =
		"Kernel panic - not syncing: sysrq triggered crash\n"
		"CPU: 1 PID: 1234 Comm: bash Tainted: G E 6.1.0-56-cloud-amd64\n";
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)words[i % (sizeof(words) - 1)];
}

/* compress @page through cs_codec_page, check the raw/compressed decision,
 * decompress and compare */
static void roundtrip(struct cs_codec_ctx *c, const char *what, const uint8_t *page,
		      int expect_compressed)
{
	const struct cs_codec *codec = c->codec;
	const void *out;
	size_t out_len;
	uint32_t flags;
	uint8_t back[PAGE];
	struct cs_err err;
	enum cs_status st;

	cs_err_clear(&err);
	st = cs_codec_page(c, page, &out, &out_len, &flags, &err);
	CHECK(st == CS_OK, "%s %s: cs_codec_page: %s", codec->name, what, err.msg);
	if (st != CS_OK)
		return;
	if (!expect_compressed) {
		CHECK(flags == 0, "%s %s: flags %#x, want raw", codec->name, what, flags);
		CHECK(out == page && out_len == PAGE, "%s %s: raw page must be the input itself",
		      codec->name, what);
		return;
	}
	CHECK(flags == codec->flag, "%s %s: flags %#x, want %#x", codec->name, what, flags,
	      codec->flag);
	CHECK(out_len < PAGE, "%s %s: %zu bytes is not smaller than a page", codec->name,
	      what, out_len);
	CHECK(out_len <= codec->bound(PAGE), "%s %s: beyond bound", codec->name, what);
	memset(back, 0x5a, sizeof(back));
	st = codec->decompress(c->state, out, out_len, back, PAGE, &err);
	CHECK(st == CS_OK, "%s %s: decompress: %s", codec->name, what, err.msg);
	CHECK(memcmp(back, page, PAGE) == 0, "%s %s: round trip differs", codec->name, what);
}

static void expect_corrupt(struct cs_codec_ctx *c, const char *what, const void *in,
			   size_t in_len, size_t out_len)
{
	uint8_t back[2 * PAGE];
	struct cs_err err;
	enum cs_status st;

	cs_err_clear(&err);
	st = c->codec->decompress(c->state, in, in_len, back, out_len, &err);
	CHECK(st == CS_CORRUPT, "%s %s: status %s (%s), want corrupt input", c->codec->name,
	      what, cs_status_name(st), err.msg);
	CHECK(strncmp(err.msg, c->codec->name, strlen(c->codec->name)) == 0,
	      "%s %s: message '%s' does not name the codec", c->codec->name, what, err.msg);
}

static void test_codec(const struct cs_codec *codec, int level)
{
	struct cs_codec_ctx c;
	struct cs_err err;
	enum cs_status st;
	uint8_t *page = malloc(PAGE), *cbuf = malloc(codec->bound(PAGE) + PAGE);
	const void *out;
	size_t out_len, n;
	uint32_t flags;
	uint8_t one = 0x42, back1[2];

	cs_err_clear(&err);
	st = cs_codec_ctx_init(&c, codec, level, PAGE, &err);
	CHECK(st == CS_OK, "%s: init: %s", codec->name, err.msg);
	if (st != CS_OK)
		goto out;

	memset(page, 0, PAGE);
	roundtrip(&c, "zero page", page, 1);
	fill_text(page, PAGE);
	roundtrip(&c, "text page", page, 1);
	memset(page, 0xab, PAGE);
	roundtrip(&c, "one-byte-value page", page, 1);
	memset(page, 0, PAGE);
	page[PAGE / 2] = 1;
	roundtrip(&c, "single set byte", page, 1);
	fill_random(page, PAGE, 0x1234567);
	roundtrip(&c, "random page", page, 0);

	/* a one-byte input through the raw codec API */
	n = codec->bound(1);
	st = codec->compress(c.state, &one, 1, cbuf, &n, &err);
	CHECK(st == CS_OK, "%s one byte: compress: %s", codec->name, err.msg);
	if (st == CS_OK) {
		back1[0] = 0;
		st = codec->decompress(c.state, cbuf, n, back1, 1, &err);
		CHECK(st == CS_OK && back1[0] == one, "%s one byte: got %#x (%s)", codec->name,
		      back1[0], err.msg);
	}

	/* corrupt inputs; build a valid compressed text page first */
	fill_text(page, PAGE);
	st = cs_codec_page(&c, page, &out, &out_len, &flags, &err);
	CHECK(st == CS_OK && flags == codec->flag, "%s: text page did not compress", codec->name);
	if (st == CS_OK && flags) {
		memcpy(cbuf, out, out_len);
		expect_corrupt(&c, "truncated input", cbuf, out_len / 2, PAGE);
		expect_corrupt(&c, "page size too small", cbuf, out_len, PAGE - 1);
		expect_corrupt(&c, "page size too large", cbuf, out_len, PAGE + 1);
		fill_random(cbuf, 64, 99);
		cbuf[0] = 0xff;	/* not a zlib header, zstd magic, or small varint */
		cbuf[1] = 0xff;
		cbuf[2] = 0xff;
		cbuf[3] = 0xff;
		expect_corrupt(&c, "garbage input", cbuf, 64, PAGE);
	}

	/* levels: codec-specific range checks */
	if (codec == &cs_codec_zstd || codec == &cs_codec_zlib) {
		struct cs_codec_ctx bad;
		st = cs_codec_ctx_init(&bad, codec, 1000, PAGE, &err);
		CHECK(st == CS_INVALID, "%s level 1000: status %s", codec->name,
		      cs_status_name(st));
		CHECK(strstr(err.msg, "level 1000 out of range") != NULL, "%s: message '%s'",
		      codec->name, err.msg);
		if (st == CS_OK)
			cs_codec_ctx_deinit(&bad);
	}
	cs_codec_ctx_deinit(&c);
out:
	free(page);
	free(cbuf);
}

int main(void)
{
	int built = 0;
	struct cs_err err;
	struct cs_codec_ctx c;

	/* the table and lookups */
	CHECK(cs_codec_by_option('c') == &cs_codec_zlib, "option c");
	CHECK(cs_codec_by_option('l') == &cs_codec_lzo, "option l");
	CHECK(cs_codec_by_option('p') == &cs_codec_snappy, "option p");
	CHECK(cs_codec_by_option('z') == &cs_codec_zstd, "option z");
	CHECK(cs_codec_by_option('x') == NULL, "option x");
	CHECK(cs_codec_by_flag(0x20) == &cs_codec_zstd, "flag 0x20");
	CHECK(cs_codec_by_flag(0x8) == NULL, "flag 0x8 is not a codec");
	CHECK(cs_codec_by_name("snappy") == &cs_codec_snappy, "name snappy");
	CHECK(cs_codec_by_name("gzip") == NULL, "name gzip");

	/* no codec: everything is raw */
	{
		uint8_t page[PAGE] = { 0 };
		const void *out;
		size_t len;
		uint32_t flags = 99;
		CHECK(cs_codec_ctx_init(&c, NULL, 0, PAGE, &err) == CS_OK, "raw ctx");
		CHECK(cs_codec_page(&c, page, &out, &len, &flags, &err) == CS_OK, "raw page");
		CHECK(out == page && len == PAGE && flags == 0, "raw ctx stores raw");
		cs_codec_ctx_deinit(&c);
	}

	for (size_t i = 0; cs_codecs[i]; i++) {
		const struct cs_codec *codec = cs_codecs[i];
		char want[64];

		if (!codec->built) {
			snprintf(want, sizeof(want), "not built with %s", codec->name);
			cs_err_clear(&err);
			CHECK(cs_codec_ctx_init(&c, codec, 0, PAGE, &err) == CS_NOTSUPP,
			      "%s: init of a codec not built", codec->name);
			CHECK(strcmp(err.msg, want) == 0, "%s: message '%s', want '%s'",
			      codec->name, err.msg, want);
			printf("SKIP: %s round trips (not built with %s)\n", codec->name,
			       codec->name);
			continue;
		}
		built++;
		test_codec(codec, 0);
		if (codec == &cs_codec_zstd || codec == &cs_codec_zlib)
			test_codec(codec, 9);
		printf("%s: %s\n", failures ? "FAIL" : "ok", codec->name);
	}
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	if (!built) {
		printf("SKIP: no codec was built\n");
		return 77;
	}
	return 0;
}
