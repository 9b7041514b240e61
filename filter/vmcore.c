/* vmcore.c - the dump-source dispatcher: probe the magic, pick the ops.
 *
 *   "\x7fELF"            ELF64 core              filter/source_elf.c
 *   "KDUMP   "/"DISKDUMP" kdump-compressed       filter/source_kdump.c
 *   "makedumpfile"       flattened stream of either: filter/source_flat.c
 *                        builds the offset map, then the format inside is
 *                        probed again and parsed through the map.
 *   several paths        the files of one --split set: filter/source_split.c
 *                        opens each as a kdump file and reads them as one.
 *
 * Also the helpers every source shares: the one pread path (plain or mapped)
 * and the ELF note walk (kdump files carry the same notes).
 */
#include "filter/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "filter/mapread.h"
#include "lib/io.h"

/* statfs f_type of procfs (the kernel's include/uapi/linux/magic.h) */
#define CS_PROC_MAGIC	0x9fa0

#define NOTE_ALIGN(x)	(((x) + 3) & ~(uint64_t)3)

enum cs_status cs_src_pread(const struct cs_vmcore *vc, void *buf, size_t len, uint64_t off,
			    struct cs_err *err)
{
	if (vc->flat)
		return cs_flat_map_pread(vc->flat, vc->fd, vc->path, buf, len, off, err);
	if (vc->map && cs_mapread_copy(vc->map, buf, len, off) == CS_OK)
		return CS_OK;
	return cs_pread_all(vc->fd, buf, len, off, vc->path, err);
}

enum cs_status cs_src_scan_notes(struct cs_vmcore *vc, uint64_t start, uint64_t size,
				 struct cs_err *err)
{
	const uint8_t *p = vc->notes;
	uint64_t off = start, end = start + size;

	while (off < end) {
		uint32_t namesz, descsz, type;
		uint64_t name_off, desc_off, next;

		if (end - off < 12) {
			/* trailing padding is harmless; anything else is not */
			for (uint64_t i = off; i < end; i++)
				if (p[i])
					return cs_fail(err, CS_CORRUPT,
						       "%s: corrupt ELF note at notes offset %#llx: %llu stray bytes",
						       vc->path, (unsigned long long)off,
						       (unsigned long long)(end - off));
			break;
		}
		namesz = cs_get_le32(p + off);
		descsz = cs_get_le32(p + off + 4);
		type = cs_get_le32(p + off + 8);
		name_off = off + 12;
		desc_off = name_off + NOTE_ALIGN((uint64_t)namesz);
		next = desc_off + NOTE_ALIGN((uint64_t)descsz);
		/* 64-bit arithmetic on 32-bit sizes cannot wrap; compare against end */
		if (desc_off > end || desc_off + descsz > end)
			return cs_fail(err, CS_CORRUPT,
				       "%s: corrupt ELF note at notes offset %#llx: name size %u + desc size %u exceed the note segment (%llu bytes left)",
				       vc->path, (unsigned long long)off, namesz, descsz,
				       (unsigned long long)(end - off));
		if (namesz == 5 && !memcmp(p + name_off, "CORE", 5) && type == 1 /* NT_PRSTATUS */)
			vc->nr_cpus++;
		if (namesz == 11 && !memcmp(p + name_off, "VMCOREINFO", 11) && !vc->vmcoreinfo) {
			size_t len = descsz;

			/* the kernel pads the text with NULs up to the note size */
			while (len && p[desc_off + len - 1] == '\0')
				len--;
			vc->vmcoreinfo = (const char *)p + desc_off;
			vc->vmcoreinfo_size = len;
			vc->vmcoreinfo_off = desc_off;
		}
		off = next > end ? end : next;
	}
	return CS_OK;
}

unsigned int cs_src_note_page_size(const struct cs_vmcore *vc)
{
	const char *s = vc->vmcoreinfo, *e = s + vc->vmcoreinfo_size;

	while (s && s < e) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(e - s);

		if (n > 9 && n < 20 && !memcmp(s, "PAGESIZE=", 9)) {
			char buf[16];
			unsigned long v;
			char *endp;

			memcpy(buf, s + 9, n - 9);
			buf[n - 9] = '\0';
			v = strtoul(buf, &endp, 10);
			if (*endp == '\0' && v >= 512 && v <= (1ul << 20) && !(v & (v - 1)))
				return (unsigned int)v;
		}
		s = nl ? nl + 1 : e;
	}
	return 4096;
}

/* Which parser for the first bytes of the (logical) file; NULL if none. */
static const struct cs_source_ops *probe(const uint8_t *m, size_t n)
{
	if (n >= 4 && !memcmp(m, "\177ELF", 4))
		return &cs_source_elf;
	if (n >= 8 && (!memcmp(m, "KDUMP   ", 8) || !memcmp(m, "DISKDUMP", 8)))
		return &cs_source_kdump;
	return NULL;
}

static size_t magic_len(const struct cs_vmcore *vc)
{
	if (vc->file_size == 0)		/* /proc/vmcore: trust the read */
		return 16;
	return vc->file_size < 16 ? (size_t)vc->file_size : 16;
}

enum cs_status cs_vmcore_open_member(const char *path, struct cs_vmcore *vc, struct cs_err *err)
{
	struct stat sb;
	uint8_t m[16];
	size_t n;
	struct cs_flat_map *map = NULL;
	enum cs_status st;

	memset(vc, 0, sizeof(*vc));
	vc->fd = -1;
	vc->path = strdup(path);
	if (!vc->path)
		return cs_fail_nomem(err);
	vc->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (vc->fd < 0) {
		st = cs_fail_errno(err, errno, "cannot open %s", path);
		goto fail;
	}
	if (fstat(vc->fd, &sb) == 0 && S_ISREG(sb.st_mode))
		vc->file_size = (uint64_t)sb.st_size;
	if (vc->file_size == 0 && S_ISREG(sb.st_mode) && strncmp(path, "/proc/", 6) != 0) {
		st = cs_fail(err, CS_CORRUPT, "%s: empty file", path);
		goto fail;
	}
	memset(m, 0, sizeof(m));
	n = magic_len(vc);
	st = cs_src_pread(vc, m, n, 0, err);
	if (st != CS_OK) {
		cs_err_prefix(err, "cannot read the file header");
		goto fail;
	}
	if (n >= 13 && !memcmp(m, "makedumpfile", 13)) {
		int cut;

		st = cs_flat_map_build(vc->fd, path, vc->file_size, &map, err);
		if (st != CS_OK)
			goto fail;
		vc->flat = map;
		vc->file_size = cs_flat_map_size(map, &cut);
		/* a stream without its terminator is like a dump cut short */
		vc->incomplete = cut;
		memset(m, 0, sizeof(m));
		n = magic_len(vc);
		st = cs_src_pread(vc, m, n, 0, err);
		if (st != CS_OK) {
			cs_err_prefix(err, "cannot read the flattened image header");
			goto fail;
		}
	}
	vc->ops = probe(m, n);
	if (!vc->ops) {
		st = cs_fail(err, CS_CORRUPT,
			     "%s: unknown dump format (not ELF, kdump-compressed or flattened)%s",
			     path, map ? " inside the flattened stream" : "");
		goto fail;
	}
	st = vc->ops->open(vc, err);
	if (st != CS_OK)
		goto fail;
	if (!vc->format)
		vc->format = map ? (vc->ops == &cs_source_elf ? "flattened ELF" : "flattened kdump")
				 : vc->ops->name;
	return CS_OK;
fail:
	cs_vmcore_close(vc);
	return st;
}

enum cs_status cs_vmcore_open(const char *path, struct cs_vmcore *vc, struct cs_err *err)
{
	enum cs_status st = cs_vmcore_open_member(path, vc, err);

	if (st != CS_OK || !vc->split)
		return st;
	st = cs_fail(err, CS_NOTSUPP,
		     "%s: one file of a --split set (pfns %#llx-%#llx of %#llx); give all the files of the set",
		     path, (unsigned long long)vc->split_start, (unsigned long long)vc->split_end,
		     (unsigned long long)vc->max_pfn);
	cs_vmcore_close(vc);
	return st;
}

enum cs_status cs_vmcore_open_set(char *const *paths, size_t n, struct cs_vmcore *vc,
				  struct cs_err *err)
{
	if (n == 1)
		return cs_vmcore_open(paths[0], vc, err);
	return cs_split_open(paths, n, vc, err);
}

void cs_vmcore_close(struct cs_vmcore *vc)
{
	if (!vc)
		return;
	if (vc->ops && vc->ops->close)
		vc->ops->close(vc);
	if (vc->fd >= 0)
		close(vc->fd);
	cs_flat_map_destroy((struct cs_flat_map *)vc->flat);
	cs_mapread_free(vc->map);
	free(vc->path);
	free(vc->seg);
	free(vc->notes);
	free(vc->eraseinfo);
	memset(vc, 0, sizeof(*vc));
	vc->fd = -1;
}

enum cs_status cs_vmcore_set_read_mode(struct cs_vmcore *vc, enum cs_read_mode mode,
				       struct cs_err *err)
{
	struct statfs sf;

	if (mode == CS_READ_PREAD || vc->map || vc->flat || vc->ops != &cs_source_elf ||
	    vc->fd < 0 || vc->file_size == 0)
		return CS_OK;
	if (mode == CS_READ_AUTO &&
	    (fstatfs(vc->fd, &sf) != 0 || (unsigned long)sf.f_type != CS_PROC_MAGIC))
		return CS_OK;
	return cs_mapread_new(vc->fd, vc->file_size, &vc->map, err);
}

enum cs_status cs_vmcore_read_phys(const struct cs_vmcore *vc, uint64_t paddr,
				   void *buf, size_t len, struct cs_err *err)
{
	return vc->ops->read_phys(vc, paddr, buf, len, err);
}

enum cs_status cs_vmcore_read_page(const struct cs_vmcore *vc, uint64_t pfn,
				   void *buf, struct cs_err *err)
{
	return vc->ops->read_page(vc, pfn, buf, err);
}

int cs_vmcore_pfn_present(const struct cs_vmcore *vc, uint64_t pfn)
{
	return vc->ops->pfn_present(vc, pfn);
}

int cs_vmcore_pfn_has_data(const struct cs_vmcore *vc, uint64_t pfn)
{
	return vc->ops->pfn_has_data(vc, pfn);
}

void cs_vmcore_bitmaps(const struct cs_vmcore *vc, uint8_t *present, uint8_t *data,
		       uint64_t start, uint64_t end)
{
	if (start < end)
		vc->ops->bitmaps(vc, present, data, start, end);
}
