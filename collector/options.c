/* options.c - parse makedumpfile-style command lines (see options.h). */
#include "config.h"

#include "collector/options.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_NUM_THREADS = 256,
	OPT_MESSAGE_LEVEL,
	OPT_SHOW_STATS,
	OPT_DRY_RUN,
	OPT_CHECK_PARAMS,
	OPT_JSON_STATS,
	OPT_COMPRESSION_LEVEL,
	OPT_NON_MMAP,
	OPT_CYCLIC_BUFFER,
	OPT_VERSION,
	OPT_DUMP_DMESG,
	OPT_PARTIAL_DMESG,
	OPT_MEM_USAGE,
	OPT_ESTIMATE,
	OPT_SSH_OPTS,
	OPT_SPLIT,
	OPT_REASSEMBLE,
	OPT_SPLITBLOCK_SIZE,
};

static const struct option long_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "num-threads", required_argument, NULL, OPT_NUM_THREADS },
	{ "message-level", required_argument, NULL, OPT_MESSAGE_LEVEL },
	{ "show-stats", no_argument, NULL, OPT_SHOW_STATS },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "check-params", no_argument, NULL, OPT_CHECK_PARAMS },
	{ "json-stats", required_argument, NULL, OPT_JSON_STATS },
	{ "compression-level", required_argument, NULL, OPT_COMPRESSION_LEVEL },
	{ "non-mmap", no_argument, NULL, OPT_NON_MMAP },
	{ "cyclic-buffer", required_argument, NULL, OPT_CYCLIC_BUFFER },
	{ "dump-dmesg", no_argument, NULL, OPT_DUMP_DMESG },
	{ "partial-dmesg", no_argument, NULL, OPT_PARTIAL_DMESG },
	{ "mem-usage", no_argument, NULL, OPT_MEM_USAGE },
	{ "estimate", no_argument, NULL, OPT_ESTIMATE },
	{ "ssh-opts", required_argument, NULL, OPT_SSH_OPTS },
	{ "split", no_argument, NULL, OPT_SPLIT },
	{ "reassemble", no_argument, NULL, OPT_REASSEMBLE },
	{ "splitblock-size", required_argument, NULL, OPT_SPLITBLOCK_SIZE },
	{ NULL, 0, NULL, 0 },
};

/* Options makedumpfile has and coresift does not (yet): refused by name
 * rather than as "unrecognized", so the user knows it is a known gap. */
static const struct {
	const char *name;
	int has_arg;
} not_built[] = {
	{ "work-dir", 1 }, { "config", 1 },
	{ "eppic", 1 }, { "xen-syms", 1 }, { "xen-vmcoreinfo", 1 }, { "xen_phys_start", 1 },
	{ "vtop", 1 }, { "diskset", 1 }, { "extension", 1 },
};

static enum cs_status parse_u64(const char *s, uint64_t *out)
{
	char *end;
	uint64_t v;

	if (!s || !*s || *s == '-')
		return CS_INVALID;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		return CS_INVALID;
	*out = v;
	return CS_OK;
}

/* -L accepts bytes with an optional K/M/G/T suffix (powers of 1024) */
static enum cs_status parse_size(const char *s, uint64_t *out)
{
	char buf[64];
	size_t n = strlen(s);
	unsigned int shift = 0;

	if (n == 0 || n >= sizeof(buf))
		return CS_INVALID;
	memcpy(buf, s, n + 1);
	switch (buf[n - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	default: break;
	}
	if (shift)
		buf[n - 1] = '\0';
	if (parse_u64(buf, out) != CS_OK || *out > (UINT64_MAX >> shift))
		return CS_INVALID;
	*out <<= shift;
	return CS_OK;
}

static enum cs_status parse_levels(struct cs_options *o, const char *arg, struct cs_err *err)
{
	const char *p = arg;

	o->nlevels = 0;
	for (;;) {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || v < 0 || v > 31 || (*end && *end != ','))
			return cs_fail(err, CS_INVALID,
				       "-d %s: dump level must be a number from 0 to 31, or a comma-separated list of them",
				       arg);
		if (o->nlevels == CS_MAX_LEVELS)
			return cs_fail(err, CS_INVALID, "-d %s: at most %d dump levels", arg,
				       CS_MAX_LEVELS);
		o->levels[o->nlevels++] = (unsigned int)v;
		if (!*end)
			return CS_OK;
		p = end + 1;
	}
}

static enum cs_status set_codec(struct cs_options *o, char opt, struct cs_err *err)
{
	const struct cs_codec *c = cs_codec_by_option(opt);

	if (!c)
		return cs_fail(err, CS_INVALID, "-%c: unknown codec", opt);
	if (!c->built)
		return cs_fail(err, CS_NOTSUPP, "-%c: coresift was not built with %s", opt,
			       c->name);
	if (o->codec && o->codec != c)
		return cs_fail(err, CS_INVALID, "-%c and -%c: choose one compression codec",
			       o->codec->option, opt);
	o->codec = c;
	return CS_OK;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* getopt_long prints its own complaints; we want ours, through err */
static enum cs_status unknown_option(char **argv, int idx, struct cs_err *err)
{
	const char *arg = argv[idx - 1];

	if (arg && strncmp(arg, "--", 2) == 0) {
		size_t n = strcspn(arg + 2, "=");

		for (size_t i = 0; i < sizeof(not_built) / sizeof(not_built[0]); i++)
			if (strlen(not_built[i].name) == n &&
			    strncmp(not_built[i].name, arg + 2, n) == 0)
				return cs_fail(err, CS_NOTSUPP,
					       "--%s: not supported by this version of coresift",
					       not_built[i].name);
	}
	return cs_fail(err, CS_INVALID, "unrecognized option '%s' (see --help)",
		       arg ? arg : "?");
}

enum cs_status cs_options_parse(struct cs_options *o, int argc, char **argv,
				struct cs_err *err)
{
	enum cs_status st;
	uint64_t v;
	int c, npos;

	memset(o, 0, sizeof(*o));
	o->progname = argc > 0 ? base_name(argv[0]) : "coresift";
	o->mode = CS_MODE_DUMP;
	o->levels[0] = 0;
	o->nlevels = 1;
	o->message_level = CS_ML_DEFAULT;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+b:cDd:EFfhi:L:lpRvx:z", long_options, NULL)) != -1) {
		switch (c) {
		case 'c': case 'l': case 'p': case 'z':
			if ((st = set_codec(o, (char)c, err)) != CS_OK)
				return st;
			break;
		case 'd':
			if ((st = parse_levels(o, optarg, err)) != CS_OK)
				return st;
			o->level_given = 1;
			break;
		case 'E':
			o->elf_out = 1;
			break;
		case 'R':
			o->mode = CS_MODE_REARRANGE;
			break;
		case 'x':
			return cs_fail(err, CS_NOTSUPP,
				       "-x %s: coresift needs no vmlinux; it reads VMCOREINFO from the dump (or -i FILE)",
				       optarg);
		case 'F':
			o->flat_out = 1;
			break;
		case 'f':
			o->force = 1;
			break;
		case 'b':
			/* makedumpfile's write-cache order; our buffers are sized
			 * by the pipeline, so it is accepted and ignored */
			if (parse_u64(optarg, &v) != CS_OK || v > 20)
				return cs_fail(err, CS_INVALID, "-b %s: cache order must be 0..20", optarg);
			break;
		case 'D':
			o->message_level |= CS_ML_DEBUG;
			break;
		case 'i':
			o->vmcoreinfo_path = optarg;
			break;
		case 'L':
			if (parse_size(optarg, &o->limit) != CS_OK || o->limit == 0)
				return cs_fail(err, CS_INVALID,
					       "-L %s: size limit must be a positive number of bytes (K, M, G, T suffixes allowed)",
					       optarg);
			break;
		case 'h':
			o->mode = CS_MODE_HELP;
			return CS_OK;
		case 'v':
		case OPT_VERSION:
			o->mode = CS_MODE_VERSION;
			return CS_OK;
		case OPT_NUM_THREADS:
			if (parse_u64(optarg, &v) != CS_OK || v > 1024)
				return cs_fail(err, CS_INVALID,
					       "--num-threads %s: must be a number from 0 to 1024", optarg);
			o->num_threads = (unsigned int)v;
			break;
		case OPT_MESSAGE_LEVEL:
			if (parse_u64(optarg, &v) != CS_OK || v > 31)
				return cs_fail(err, CS_INVALID,
					       "--message-level %s: must be a number from 0 to 31", optarg);
			o->message_level = (unsigned int)v;
			break;
		case OPT_SHOW_STATS:
			o->message_level |= CS_ML_REPORT;
			break;
		case OPT_DRY_RUN:
			o->dry_run = 1;
			break;
		case OPT_CHECK_PARAMS:
			o->mode = CS_MODE_CHECK_PARAMS;
			break;
		case OPT_JSON_STATS:
			o->json_stats = optarg;
			break;
		case OPT_COMPRESSION_LEVEL:
			if (parse_u64(optarg, &v) != CS_OK || v < 1 || v > 22)
				return cs_fail(err, CS_INVALID,
					       "--compression-level %s: must be a number from 1 to 22", optarg);
			o->codec_level = (int)v;
			break;
		case OPT_DUMP_DMESG:
			o->mode = CS_MODE_DMESG;
			break;
		case OPT_PARTIAL_DMESG:
			o->partial_dmesg = 1;
			break;
		case OPT_MEM_USAGE:
			o->mode = CS_MODE_MEM_USAGE;
			break;
		case OPT_ESTIMATE:
			o->mode = CS_MODE_ESTIMATE;
			break;
		case OPT_SSH_OPTS:
			o->ssh_opts = optarg;
			break;
		case OPT_SPLIT:
			o->mode = CS_MODE_SPLIT;
			break;
		case OPT_REASSEMBLE:
			o->mode = CS_MODE_REASSEMBLE;
			break;
		case OPT_SPLITBLOCK_SIZE:
			/* KB, as makedumpfile's */
			if (parse_u64(optarg, &v) != CS_OK || v < 4 || v > (UINT64_MAX >> 10))
				return cs_fail(err, CS_INVALID,
					       "--splitblock-size %s: must be a number of KB, at least 4",
					       optarg);
			o->splitblock_size = v << 10;
			break;
		case OPT_CYCLIC_BUFFER:
			/* makedumpfile's meaning: KiB of bitmap per cycle
			 * (here: per bitmap, see filter/plan.h) */
			if (parse_u64(optarg, &v) != CS_OK || v < 1 || v > ((uint64_t)1 << 40))
				return cs_fail(err, CS_INVALID,
					       "--cyclic-buffer %s: must be a number of KB, at least 1",
					       optarg);
			o->cyclic_buffer_kib = v;
			break;
		case OPT_NON_MMAP:
			o->non_mmap = 1;
			break;
		case ':':
			return cs_fail(err, CS_INVALID, "option '%s' needs an argument",
				       argv[optind - 1]);
		default:
			return unknown_option(argv, optind, err);
		}
	}

	npos = argc - optind;
	if (o->splitblock_size && o->mode != CS_MODE_SPLIT)
		return cs_fail(err, CS_INVALID, "--splitblock-size goes with --split");
	if (o->mode == CS_MODE_SPLIT || o->mode == CS_MODE_REASSEMBLE) {
		const char *what = o->mode == CS_MODE_SPLIT ? "--split" : "--reassemble";

		if (o->flat_out || o->elf_out || o->dry_run)
			return cs_fail(err, CS_INVALID, "%s cannot be combined with %s", what,
				       o->flat_out ? "-F" : o->elf_out ? "-E" : "--dry-run");
		if (o->mode == CS_MODE_REASSEMBLE && (o->codec || o->level_given))
			return cs_fail(err, CS_INVALID,
				       "--reassemble keeps the set's dump level and compression: -d and -c/-l/-p/-z do not apply");
		if (npos < 3)
			return cs_fail(err, CS_INVALID, o->mode == CS_MODE_SPLIT
				       ? "--split needs VMCORE and at least two DUMPFILEs"
				       : "--reassemble needs at least two files of a --split set and DUMPFILE");
		if (o->ssh_opts)
			return cs_fail(err, CS_INVALID, "%s writes local files: --ssh-opts does not apply",
				       what);
		for (int i = o->mode == CS_MODE_SPLIT ? 1 : npos - 1; i < npos; i++) {
			if (strncmp(argv[optind + i], "ssh://", 6) == 0)
				return cs_fail(err, CS_INVALID, "%s writes local files, not %s", what,
					       argv[optind + i]);
			for (int j = 0; j < i; j++)
				if (strcmp(argv[optind + i], argv[optind + j]) == 0)
					return cs_fail(err, CS_INVALID, "%s: %s is given twice", what,
						       argv[optind + i]);
		}
		o->in_paths = argv + optind;
		o->in_path = argv[optind];
		if (o->mode == CS_MODE_SPLIT) {
			o->nin = 1;
			o->split_paths = argv + optind + 1;
			o->nsplit = (unsigned int)(npos - 1);
		} else {
			o->nin = (unsigned int)(npos - 1);
			o->out_path = argv[optind + npos - 1];
		}
		return CS_OK;
	}
	if (o->mode == CS_MODE_REARRANGE) {
		if (npos != 1)
			return cs_fail(err, CS_INVALID,
				       "-R reads the flattened stream on standard input: give only DUMPFILE");
		o->out_path = argv[optind];
		return CS_OK;
	}
	if (o->partial_dmesg && o->mode != CS_MODE_DMESG)
		return cs_fail(err, CS_INVALID, "--partial-dmesg goes with --dump-dmesg");
	if (o->mode == CS_MODE_DMESG) {
		if (o->dry_run)
			return cs_fail(err, CS_INVALID, "--dump-dmesg cannot be combined with --dry-run");
		if (npos < 1)
			return cs_fail(err, CS_INVALID, "missing VMCORE argument (see --help)");
		o->in_path = argv[optind];
		if (npos == 1 && !o->flat_out)
			return cs_fail(err, CS_INVALID,
				       "--dump-dmesg: missing LOGFILE argument (or -F for standard output)");
		/* several VMCOREs: the files of one --split set */
		o->in_paths = argv + optind;
		o->nin = (unsigned int)(o->flat_out ? npos : npos - 1);
		o->out_path = o->flat_out ? NULL : argv[optind + npos - 1];
		return CS_OK;
	}
	if (o->mode == CS_MODE_MEM_USAGE || o->mode == CS_MODE_ESTIMATE) {
		const char *what = o->mode == CS_MODE_MEM_USAGE ? "--mem-usage" : "--estimate";

		if (npos != 1)
			return cs_fail(err, CS_INVALID,
				       "%s reads one VMCORE (normally /proc/kcore) and writes nothing: give only VMCORE",
				       what);
		if (o->dry_run || o->flat_out || o->elf_out)
			return cs_fail(err, CS_INVALID, "%s cannot be combined with %s", what,
				       o->dry_run ? "--dry-run" : o->flat_out ? "-F" : "-E");
		o->in_path = argv[optind];
		return CS_OK;
	}
	if (o->mode == CS_MODE_CHECK_PARAMS && npos == 0)
		return cs_fail(err, CS_INVALID, "--check-params: give the same arguments as for a dump");
	if (npos < 1)
		return cs_fail(err, CS_INVALID, "missing VMCORE argument (see --help)");
	o->in_path = argv[optind];
	/* several VMCOREs before DUMPFILE: the files of one --split set, read
	 * as one input (crash takes a set the same way) */
	o->in_paths = argv + optind;
	o->nin = 1;
	if (o->flat_out) {
		o->nin = (unsigned int)npos;
	} else if (o->dry_run) {
		o->nin = (unsigned int)(npos > 2 ? npos - 1 : 1);
	} else {
		if (npos < 2)
			return cs_fail(err, CS_INVALID, "missing DUMPFILE argument (see --help)");
		o->nin = (unsigned int)(npos - 1);
		o->out_path = argv[optind + npos - 1];
		for (int i = 0; i < npos - 1; i++)
			if (strcmp(argv[optind + i], o->out_path) == 0)
				return cs_fail(err, CS_INVALID, "VMCORE and DUMPFILE are the same file: %s",
					       o->out_path);
	}
	if (o->ssh_opts && !(o->out_path && strncmp(o->out_path, "ssh://", 6) == 0))
		return cs_fail(err, CS_INVALID,
			       "--ssh-opts goes with a DUMPFILE ssh://[user@]host[:port]/path");
	/* ELF output stores pages raw, as makedumpfile's -E does */
	if (o->elf_out && o->codec)
		return cs_fail(err, CS_INVALID,
			       "-E and -%c: ELF output cannot be compressed; choose one of them",
			       o->codec->option);
	if (o->codec_level && !o->codec)
		return cs_fail(err, CS_INVALID, "--compression-level needs a codec (-c or -z)");
	if (o->codec_level && o->codec->option != 'c' && o->codec->option != 'z')
		return cs_fail(err, CS_INVALID, "--compression-level applies to -c (1-9) and -z (1-22) only");
	if (o->codec_level > 9 && o->codec->option == 'c')
		return cs_fail(err, CS_INVALID, "--compression-level %d: zlib levels are 1 to 9",
			       o->codec_level);
	return CS_OK;
}

void cs_options_usage(const struct cs_options *o, void *fp)
{
	FILE *f = fp;
	const char *p = o && o->progname ? o->progname : "coresift";

	fprintf(f,
"Usage: %s [OPTION]... VMCORE DUMPFILE\n"
"       %s [OPTION]... [--ssh-opts OPTS] VMCORE ssh://[USER@]HOST[:PORT]/PATH\n"
"       %s -F [OPTION]... VMCORE > DUMPFILE.flat\n"
"       %s --dry-run [OPTION]... VMCORE\n"
"       %s -R [-f] DUMPFILE < DUMPFILE.flat\n"
"       %s --split [OPTION]... VMCORE DUMPFILE1 DUMPFILE2 [DUMPFILE3...]\n"
"       %s --reassemble [-f] DUMPFILE1 DUMPFILE2 [DUMPFILE3...] DUMPFILE\n"
"       %s --dump-dmesg [--partial-dmesg] [-i VMCOREINFO] VMCORE LOGFILE\n"
"       %s --mem-usage [-i VMCOREINFO] /proc/kcore\n"
"       %s --estimate [-d LEVEL] [--json-stats FILE] /proc/kcore\n"
"\n"
"Write a kdump-compressed dump of VMCORE (normally /proc/vmcore in the capture\n"
"kernel) to DUMPFILE, leaving out the page classes the dump level names.\n"
"Pages are chosen from the kernel's struct page array using VMCOREINFO alone.\n"
"VMCORE may also be all the files of one --split set (VMCORE1 VMCORE2 ...),\n"
"read as one dump, for a dump, -F or --dump-dmesg.\n"
"\n"
"Compression (one of; default: pages stored uncompressed):\n"
"  -c                    zlib%s\n"
"  -l                    lzo%s\n"
"  -p                    snappy%s\n"
"  -z                    zstd%s\n"
"  --compression-level N codec level for -c (1-9) or -z (1-22); default 1\n"
"\n"
"Filtering:\n"
"  -d LEVEL[,LEVEL...]   dump level 0-31, the sum of the classes to leave out:\n"
"                          1 pages filled with zero\n"
"                          2 page cache without private data\n"
"                          4 page cache, including pages with private data\n"
"                          8 user process data (anonymous, THP, hugetlb)\n"
"                         16 free pages\n"
"                        hwpoisoned and offline pages are never read or dumped.\n"
"                        With a list, a dump that does not fit (full disk\n"
"                        or -L) is started again at the next level.\n"
"  -i VMCOREINFO         read VMCOREINFO from this text file instead of the dump\n"
"\n"
"Output:\n"
"  -E                    write an ELF64 core file (like /proc/vmcore) instead\n"
"                        of the kdump-compressed format; not with -c/-l/-p/-z\n"
"  -F                    write the flattened format to standard output\n"
"  -R                    rebuild DUMPFILE from a flattened stream on standard input\n"
"  -f                    overwrite an existing DUMPFILE\n"
"  --split               write N kdump files, each a contiguous pfn range with\n"
"                        about 1/N of the kept pages (crash reads them\n"
"                        together); not with -E or -F\n"
"  --splitblock-size KB  --split balances the files to within KB (default 1024)\n"
"  --reassemble          merge the files of a --split set into one DUMPFILE, the\n"
"                        same as a dump without --split\n"
"  --ssh-opts OPTS       with DUMPFILE ssh://[USER@]HOST[:PORT]/PATH: extra ssh\n"
"                        options, split on spaces (e.g. \"-i KEY -o BatchMode=yes\").\n"
"                        The flattened stream goes through ssh (CORESIFT_SSH\n"
"                        names another client); the remote runs coresift -R PATH,\n"
"                        or without coresift stores PATH.flat\n"
"  -L SIZE               stop writing at SIZE bytes (K/M/G/T suffixes); the dump\n"
"                        is kept and flagged incomplete\n"
"  --num-threads N       compress on N threads (default: all online CPUs;\n"
"                        --num-threads=N also accepted)\n"
"  --cyclic-buffer KB    hold the page bitmaps KB kilobytes at a time each\n"
"                        (8192 pfns per KB; default 2048: one window up to\n"
"                        64 GiB of RAM); larger machines are planned window\n"
"                        by window, same output, bounded memory\n"
"  --dry-run             classify and count pages, write nothing\n"
"  --check-params        check the command line and exit\n"
"\n"
"Kernel log:\n"
"  --dump-dmesg          write the crashed kernel's log (as makedumpfile does) to\n"
"                        LOGFILE, or with -F to standard output\n"
"  --partial-dmesg       only what was logged since the last \"dmesg -c\"\n"
"\n"
"Planning (first kernel, on /proc/kcore as root; an ELF or kdump file works too):\n"
"  --mem-usage           print makedumpfile's table of pages per class (zero,\n"
"                        cache, user, free, kernel data) of the running system;\n"
"                        the crash kernel's reservation is left out\n"
"  --estimate            predict, for dump levels 1, 31 and -d LEVEL and each\n"
"                        built codec, the dump size and time, coresift's peak\n"
"                        memory in the capture kernel and a crashkernel= size\n"
"                        (kernel image, the kdump initrd found under\n"
"                        /var/lib/kdump or /boot, coresift, page cache);\n"
"                        --json-stats FILE writes the same as JSON\n"
"\n"
"Messages:\n"
"  --message-level N     sum of: 1 progress, 2 common, 4 errors, 8 debug,\n"
"                        16 report (default 7)\n"
"  --show-stats          print the page report (same as adding 16)\n"
"  --json-stats FILE     write the page counts as JSON to FILE (- = stdout)\n"
"  -D                    debug messages (same as adding 8)\n"
"  -h, --help            this help\n"
"  -v, --version         version and the codecs built in\n"
"\n"
"  --non-mmap            read /proc/vmcore with pread, not through mmap windows\n"
"\n"
"Accepted for makedumpfile compatibility and ignored: -b ORDER.\n"
"\n"
"Exit status: 0 the dump is complete; 1 something failed (the message says\n"
"what, where and why). See coresift(8).\n",
		p, p, p, p, p, p, p, p, p, p,
		cs_codec_zlib.built ? "" : " (not built)",
		cs_codec_lzo.built ? "" : " (not built)",
		cs_codec_snappy.built ? "" : " (not built)",
		cs_codec_zstd.built ? "" : " (not built)");
}

unsigned int cs_options_threads(const struct cs_options *o)
{
	long n;

	if (o->num_threads)
		return o->num_threads;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned int)n : 1;
}
