/* vmcoreinfo.h - the parsed VMCOREINFO note (keys listed in vmcoreinfo.def). */
#ifndef CS_VMCOREINFO_H
#define CS_VMCOREINFO_H

#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

#define CS_VI_STR_MAX 128

struct cs_vmcoreinfo {
#define VI_FIELD_STR(f) char f[CS_VI_STR_MAX];
#define VI_FIELD_HEX(f) uint64_t f;
#define VI_FIELD_DEC(f) uint64_t f;
#define VI_FIELD_NUM(f) int64_t f;
#define VI(field, kind, key, req) VI_FIELD_##kind(field)
#include "filter/vmcoreinfo.def"
#undef VI
	/* one "have" flag per key */
	struct {
#define VI(field, kind, key, req) unsigned int field : 1;
#include "filter/vmcoreinfo.def"
#undef VI
	} have;
};

/* Parse VMCOREINFO text (KEY=VALUE lines; unknown keys ignored; a known key
 * with a malformed value is CS_CORRUPT naming the key and line).  Missing
 * required keys are CS_CORRUPT listing every missing key. */
enum cs_status cs_vmcoreinfo_parse(const char *text, size_t len,
				   struct cs_vmcoreinfo *vi, struct cs_err *err);

/* Read a VMCOREINFO text file (-i FILE) and parse it. */
enum cs_status cs_vmcoreinfo_load_file(const char *path, struct cs_vmcoreinfo *vi,
				       struct cs_err *err);

#endif
