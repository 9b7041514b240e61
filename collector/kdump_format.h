/* kdump_format.h - the on-disk structures of the kdump-compressed and
 * flattened formats, as coresift writes them (doc/kdump-format.md).
 *
 * Every field is a byte array filled with the explicit little-endian (or, for
 * the flattened framing, big-endian) helpers of lib/io.h, so the layout never
 * depends on the host compiler's alignment or long size.  The layout is the
 * LP64 one that makedumpfile produces on x86_64 and that crash and
 * libkdumpfile read.
 */
#ifndef CS_KDUMP_FORMAT_H
#define CS_KDUMP_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define CS_KDUMP_SIGNATURE	"KDUMP   "	/* 8 bytes, no NUL */
#define CS_KDUMP_HEADER_VERSION	6
#define CS_KDUMP_UTS_LEN	65		/* __NEW_UTS_LEN + 1 */

/* block 0 */
struct cs_kdump_header {
	char signature[8];			/*   0 */
	uint8_t header_version[4];		/*   8 */
	char sysname[CS_KDUMP_UTS_LEN];		/*  12 */
	char nodename[CS_KDUMP_UTS_LEN];	/*  77 */
	char release[CS_KDUMP_UTS_LEN];		/* 142 */
	char version[CS_KDUMP_UTS_LEN];		/* 207 */
	char machine[CS_KDUMP_UTS_LEN];		/* 272 */
	char domainname[CS_KDUMP_UTS_LEN];	/* 337 */
	uint8_t pad0[6];			/* 402: struct timeval alignment */
	uint8_t tv_sec[8];			/* 408 */
	uint8_t tv_usec[8];			/* 416 */
	uint8_t status[4];			/* 424: codec bit, 0x8 incomplete */
	uint8_t block_size[4];			/* 428: = page size */
	uint8_t sub_hdr_size[4];		/* 432: blocks of sub-header + notes */
	uint8_t bitmap_blocks[4];		/* 436: blocks of both bitmaps */
	uint8_t max_mapnr[4];			/* 440: truncated; see sub-header */
	uint8_t total_ram_blocks[4];		/* 444: unused, 0 */
	uint8_t device_blocks[4];		/* 448: unused, 0 */
	uint8_t written_blocks[4];		/* 452: unused, 0 */
	uint8_t current_cpu[4];			/* 456: unused, 0 */
	uint8_t nr_cpus[4];			/* 460 */
};
_Static_assert(sizeof(struct cs_kdump_header) == 464, "kdump header is 464 bytes");
_Static_assert(offsetof(struct cs_kdump_header, tv_sec) == 408, "timestamp at 408");
_Static_assert(offsetof(struct cs_kdump_header, status) == 424, "status at 424");
_Static_assert(offsetof(struct cs_kdump_header, nr_cpus) == 460, "nr_cpus at 460");

/* at offset block_size, followed directly by the copied ELF notes */
struct cs_kdump_sub_header {
	uint8_t phys_base[8];			/*   0 */
	uint8_t dump_level[4];			/*   8 */
	uint8_t split[4];			/*  12 */
	uint8_t start_pfn[8];			/*  16: obsolete 32-bit copy */
	uint8_t end_pfn[8];			/*  24 */
	uint8_t offset_vmcoreinfo[8];		/*  32: file offset of the text */
	uint8_t size_vmcoreinfo[8];		/*  40 */
	uint8_t offset_note[8];			/*  48 */
	uint8_t size_note[8];			/*  56 */
	uint8_t offset_eraseinfo[8];		/*  64 */
	uint8_t size_eraseinfo[8];		/*  72 */
	uint8_t start_pfn_64[8];		/*  80 */
	uint8_t end_pfn_64[8];			/*  88 */
	uint8_t max_mapnr_64[8];		/*  96 */
};
_Static_assert(sizeof(struct cs_kdump_sub_header) == 104, "kdump sub-header is 104 bytes");
_Static_assert(offsetof(struct cs_kdump_sub_header, offset_vmcoreinfo) == 32, "vmcoreinfo at 32");
_Static_assert(offsetof(struct cs_kdump_sub_header, max_mapnr_64) == 96, "max_mapnr_64 at 96");

/* one per set bit of the 2nd bitmap, in pfn order */
struct cs_kdump_page_desc {
	uint8_t offset[8];			/*  0: file offset of the data */
	uint8_t size[4];			/*  8: stored length (<= block) */
	uint8_t flags[4];			/* 12: 0 raw, or one codec bit */
	uint8_t page_flags[8];			/* 16: reserved, 0 */
};
_Static_assert(sizeof(struct cs_kdump_page_desc) == 24, "page descriptor is 24 bytes");

/* flattened stream (-F): a 4096-byte header, then (offset, size, data)
 * records with big-endian framing, then an (-1, -1) terminator */
#define CS_FLAT_SIGNATURE	"makedumpfile"	/* in a 16-byte NUL-padded field */
#define CS_FLAT_HEADER_SIZE	4096
#define CS_FLAT_TYPE		1
#define CS_FLAT_VERSION		1

struct cs_flat_header {
	char signature[16];
	uint8_t type[8];			/* BE */
	uint8_t version[8];			/* BE */
};
_Static_assert(sizeof(struct cs_flat_header) == 32, "flat header fields are 32 bytes");

struct cs_flat_record {
	uint8_t offset[8];			/* BE, -1 in the terminator */
	uint8_t size[8];			/* BE, > 0; -1 in the terminator */
};
_Static_assert(sizeof(struct cs_flat_record) == 16, "flat record header is 16 bytes");

#endif
