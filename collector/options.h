/* options.h - the command line, parsed once into a const struct.
 *
 * Spellings follow makedumpfile's so distributions can switch: -c -l -p -z,
 * -d LEVEL[,LEVEL...], -E, -F, -R, -i, -L, -f, --num-threads N|=N,
 * --message-level N, --show-stats, --dry-run, ...
 */
#ifndef CS_OPTIONS_H
#define CS_OPTIONS_H

#include <stdint.h>

#include "compress/codec.h"
#include "lib/error.h"

#define CS_MAX_LEVELS 8

/* --message-level bits (makedumpfile's) */
#define CS_ML_PROGRESS	1
#define CS_ML_COMMON	2
#define CS_ML_ERROR	4
#define CS_ML_DEBUG	8
#define CS_ML_REPORT	16
#define CS_ML_DEFAULT	(CS_ML_PROGRESS | CS_ML_COMMON | CS_ML_ERROR)

enum cs_mode {
	CS_MODE_DUMP,		/* VMCORE DUMPFILE (or -F to stdout) */
	CS_MODE_HELP,
	CS_MODE_VERSION,
	CS_MODE_CHECK_PARAMS,
	CS_MODE_REARRANGE,	/* -R DUMPFILE < flattened stream */
	CS_MODE_DMESG,		/* --dump-dmesg VMCORE LOGFILE (or -F: stdout) */
	CS_MODE_MEM_USAGE,	/* --mem-usage VMCORE (normally /proc/kcore) */
	CS_MODE_ESTIMATE,	/* --estimate VMCORE: predicted dump sizes, time, memory */
	CS_MODE_SPLIT,		/* --split VMCORE DUMPFILE1 DUMPFILE2 [...] */
	CS_MODE_REASSEMBLE,	/* --reassemble SPLITFILE1 SPLITFILE2 [...] DUMPFILE */
};

struct cs_options {
	enum cs_mode mode;
	const char *progname;		/* basename of argv[0] */
	const char *in_path;		/* the first of in_paths */
	char *const *in_paths;		/* VMCORE, or every file of a --split set */
	unsigned int nin;
	char *const *split_paths;	/* --split: the DUMPFILEs */
	unsigned int nsplit;
	uint64_t splitblock_size;	/* --splitblock-size, bytes; 0 = default */
	const char *out_path;		/* NULL with -F or --dry-run */
	unsigned int levels[CS_MAX_LEVELS];
	unsigned int nlevels;		/* >= 1 */
	int level_given;		/* -d was on the command line */
	const struct cs_codec *codec;	/* NULL: pages stored raw */
	int codec_level;		/* --zstd-level etc., 0 = codec default */
	int elf_out;			/* -E: ELF64 core output */
	int flat_out;			/* -F */
	int force;			/* -f */
	int dry_run;			/* --dry-run */
	unsigned int message_level;
	unsigned int num_threads;	/* 0 = all online CPUs */
	uint64_t cyclic_buffer_kib;	/* --cyclic-buffer KB per bitmap, 0 = default */
	int non_mmap;			/* --non-mmap: read /proc/vmcore with pread */
	uint64_t limit;			/* -L bytes, 0 = none */
	const char *vmcoreinfo_path;	/* -i */
	const char *json_stats;		/* --json-stats FILE|- */
	int partial_dmesg;		/* --partial-dmesg: only since the last clear */
	const char *ssh_opts;		/* --ssh-opts: extra ssh words (ssh:// DUMPFILE) */
};

/* Parse argv into @o.  Errors are CS_INVALID with a message naming the
 * option ("-d 32: dump level must be 0..31"). */
enum cs_status cs_options_parse(struct cs_options *o, int argc, char **argv,
				struct cs_err *err);

/* Threads to compress on: --num-threads, or every online CPU when it is 0
 * or absent. */
unsigned int cs_options_threads(const struct cs_options *o);

/* Print --help (to @f). */
void cs_options_usage(const struct cs_options *o, void *f);

#endif
