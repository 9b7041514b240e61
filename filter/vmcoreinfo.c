/* vmcoreinfo.c - parse VMCOREINFO text into struct cs_vmcoreinfo.
 *
 * The list of keys, their kinds and whether they are required lives only in
 * vmcoreinfo.def; this file expands it into a key table.  Parsing is strict
 * per kind because a misparsed offset silently misclassifies every page:
 * better to stop with the key and line than to guess.
 */
#include "filter/vmcoreinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"

enum vi_kind { VK_STR, VK_HEX, VK_DEC, VK_NUM };

struct vi_key {
	const char *key;
	enum vi_kind kind;
	int required;
	size_t off;		/* of the value in struct cs_vmcoreinfo */
	unsigned int index;	/* bit in the "have" bookkeeping */
};

enum {
#define VI(field, kind, key, req) VI_IDX_##field,
#include "filter/vmcoreinfo.def"
#undef VI
	VI_NKEYS
};

static const struct vi_key vi_keys[] = {
#define VI(field, kind, key, req) \
	{ key, VK_##kind, req, offsetof(struct cs_vmcoreinfo, field), VI_IDX_##field },
#include "filter/vmcoreinfo.def"
#undef VI
};

static const char *const kind_want[] = {
	[VK_STR] = "text of at most 127 characters",
	[VK_HEX] = "hexadecimal address without 0x",
	[VK_DEC] = "unsigned decimal number",
	[VK_NUM] = "signed decimal or 0x-prefixed hexadecimal number",
};

/* The have flags are bit-fields, which offsetof cannot name: set them by
 * index through a generated switch. */
static void set_have(struct cs_vmcoreinfo *vi, unsigned int index)
{
	switch (index) {
#define VI(field, kind, key, req) case VI_IDX_##field: vi->have.field = 1; break;
#include "filter/vmcoreinfo.def"
#undef VI
	}
}

static int get_have(const struct cs_vmcoreinfo *vi, unsigned int index)
{
	switch (index) {
#define VI(field, kind, key, req) case VI_IDX_##field: return vi->have.field;
#include "filter/vmcoreinfo.def"
#undef VI
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_hex(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 16)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int d = hexval(s[i]);

		if (d < 0)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return 0;
}

static int parse_dec(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* NUMBER(): the kernel prints most with %ld, but some (6.12's
 * NUMBER(VMALLOC_START), via VMCOREINFO_NUMBER of an unsigned long on some
 * configs written as 0x%lx) as hex; a 0x value is taken as the 64-bit
 * pattern. */
static int parse_num(const char *s, size_t n, int64_t *out)
{
	uint64_t u;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (parse_hex(s + 2, n - 2, &u))
			return -1;
		*out = (int64_t)u;
		return 0;
	}
	if (n > 1 && s[0] == '-') {
		if (parse_dec(s + 1, n - 1, &u) || u > (uint64_t)INT64_MAX + 1)
			return -1;
		*out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
		return 0;
	}
	if (parse_dec(s, n, &u) || u > (uint64_t)INT64_MAX)
		return -1;
	*out = (int64_t)u;
	return 0;
}

static const struct vi_key *find_key(const char *s, size_t n)
{
	for (size_t i = 0; i < VI_NKEYS; i++)
		if (strlen(vi_keys[i].key) == n && !memcmp(vi_keys[i].key, s, n))
			return &vi_keys[i];
	return NULL;
}

static enum cs_status store(struct cs_vmcoreinfo *vi, const struct vi_key *k,
			    const char *val, size_t vlen)
{
	char *base = (char *)vi + k->off;

	switch (k->kind) {
	case VK_STR:
		if (vlen >= CS_VI_STR_MAX)
			return CS_CORRUPT;
		memcpy(base, val, vlen);
		base[vlen] = '\0';
		break;
	case VK_HEX:
		if (parse_hex(val, vlen, (uint64_t *)(void *)base))
			return CS_CORRUPT;
		break;
	case VK_DEC:
		if (parse_dec(val, vlen, (uint64_t *)(void *)base))
			return CS_CORRUPT;
		break;
	case VK_NUM:
		if (parse_num(val, vlen, (int64_t *)(void *)base))
			return CS_CORRUPT;
		break;
	}
	set_have(vi, k->index);
	return CS_OK;
}

enum cs_status cs_vmcoreinfo_parse(const char *text, size_t len,
				   struct cs_vmcoreinfo *vi, struct cs_err *err)
{
	const char *p = text, *end;
	unsigned int line = 0;
	char missing[CS_ERR_MSG_MAX];
	size_t mlen = 0;
	int nmissing = 0;

	memset(vi, 0, sizeof(*vi));
	/* the note's text may carry NUL padding: it ends at the first NUL */
	end = memchr(text, '\0', len);
	if (!end)
		end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *eq = memchr(p, '=', (size_t)(eol - p));
		const struct vi_key *k;

		line++;
		if (eq && (k = find_key(p, (size_t)(eq - p)))) {
			size_t vlen = (size_t)(eol - eq - 1);

			if (store(vi, k, eq + 1, vlen))
				return cs_fail(err, CS_CORRUPT,
					       "malformed VMCOREINFO value on line %u: %s=%.*s (expected %s)",
					       line, k->key, vlen > 64 ? 64 : (int)vlen, eq + 1,
					       kind_want[k->kind]);
		}
		p = eol + 1;
	}

	missing[0] = '\0';
	for (size_t i = 0; i < VI_NKEYS; i++) {
		if (!vi_keys[i].required || get_have(vi, vi_keys[i].index))
			continue;
		mlen += (size_t)snprintf(missing + mlen, sizeof(missing) - mlen, "%s%s",
					 nmissing ? ", " : "", vi_keys[i].key);
		if (mlen >= sizeof(missing))
			mlen = sizeof(missing) - 1;
		nmissing++;
	}
	if (nmissing)
		return cs_fail(err, CS_CORRUPT, "VMCOREINFO lacks required key%s: %s",
			       nmissing > 1 ? "s" : "", missing);
	return CS_OK;
}

/* Larger than any real VMCOREINFO (a few KiB; the kernel's buffer is one page) */
#define VI_FILE_MAX (1u << 20)

enum cs_status cs_vmcoreinfo_load_file(const char *path, struct cs_vmcoreinfo *vi,
				       struct cs_err *err)
{
	char *buf;
	size_t len = 0;
	int fd;
	enum cs_status st;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cs_fail_errno(err, errno, "cannot open VMCOREINFO file %s", path);
	buf = malloc(VI_FILE_MAX);
	if (!buf) {
		close(fd);
		return cs_fail_nomem(err);
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, VI_FILE_MAX - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st = cs_fail_errno(err, errno, "cannot read VMCOREINFO file %s", path);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == VI_FILE_MAX) {
			st = cs_fail(err, CS_CORRUPT,
				     "VMCOREINFO file %s: larger than %u bytes, not a VMCOREINFO",
				     path, VI_FILE_MAX);
			goto out;
		}
	}
	st = cs_vmcoreinfo_parse(buf, len, vi, err);
	if (st)
		cs_err_prefix(err, "%s", path);
out:
	free(buf);
	close(fd);
	return st;
}
