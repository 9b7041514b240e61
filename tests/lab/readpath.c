/* readpath.c - how fast can an ELF vmcore (/proc/vmcore) be read: pread in
 * chunks, or mmap windows copied out?  A measuring tool for the lab, not
 * part of coresift (doc/performance.md, "Input path in the capture kernel").
 *
 * Usage: readpath [ignored options...] VMCORE [ignored...]
 *   The first argument that names a readable ELF64 file is measured; every
 *   other argument is ignored, so the lab can run it in place of coresift
 *   (CORESIFT_BIN=readpath: tests/lab/guest-init.sh then runs it on
 *   /proc/vmcore in the capture kernel and keeps its output as coresift.log).
 *   Anything else (--version, /proc/kcore in the first kernel) exits 1.
 *
 * Every PT_LOAD's file bytes are read, up to READ_LIMIT in all, by each
 * method in turn, twice in alternation; printed: MB/s, user and system CPU.
 * The bytes go through one 4 MiB buffer (a capture kernel has little
 * memory); a sampled checksum of them must agree between methods, so a
 * method that reads wrong bytes is seen.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define READ_LIMIT (512ull << 20)	/* bytes read per method and pass */
#define MAX_LOADS 4096

struct load {
	uint64_t off, len;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu(int sys)
{
	struct rusage ru;
	struct timeval tv;

	getrusage(RUSAGE_SELF, &ru);
	tv = sys ? ru.ru_stime : ru.ru_utime;
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static int load_table(int fd, struct load *l, size_t *n)
{
	Elf64_Ehdr eh;
	uint64_t total = 0;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr))
		return -1;
	*n = 0;
	for (unsigned int i = 0; i < eh.e_phnum && *n < MAX_LOADS && total < READ_LIMIT; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			return -1;
		if (ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		l[*n].off = ph.p_offset;
		l[*n].len = ph.p_filesz;
		if (total + l[*n].len > READ_LIMIT)
			l[*n].len = READ_LIMIT - total;
		total += l[*n].len;
		(*n)++;
	}
	return 0;
}

/* a sampled checksum: one 8-byte word every 4 KiB */
static uint64_t sum(uint64_t s, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i + 8 <= len; i += 4096) {
		uint64_t v;

		memcpy(&v, b + i, 8);
		s = s * 31 + v;
	}
	return s;
}

/* pread in @chunk-byte pieces into @buf (the bytes of all loads in turn) */
static int by_pread(int fd, const struct load *l, size_t n, size_t chunk, uint8_t *buf,
		    uint64_t *s)
{
	for (size_t i = 0; i < n; i++)
		for (uint64_t d = 0; d < l[i].len; d += chunk) {
			size_t len = l[i].len - d < chunk ? (size_t)(l[i].len - d) : chunk;

			if (pread(fd, buf, len, (off_t)(l[i].off + d)) != (ssize_t)len)
				return -1;
			*s = sum(*s, buf, len);
		}
	return 0;
}

/* mmap windows of @win bytes (page-aligned file offsets), memcpy out, unmap */
static int by_mmap(int fd, const struct load *l, size_t n, size_t win, uint8_t *buf,
		   uint64_t *s)
{
	long ps = sysconf(_SC_PAGESIZE);

	for (size_t i = 0; i < n; i++)
		for (uint64_t d = 0; d < l[i].len;) {
			uint64_t at = l[i].off + d, base = at & ~(uint64_t)(ps - 1);
			size_t lead = (size_t)(at - base);
			size_t len = l[i].len - d < win - lead ? (size_t)(l[i].len - d) : win - lead;
			size_t maplen = (lead + len + (size_t)ps - 1) & ~(size_t)(ps - 1);
			void *m = mmap(NULL, maplen, PROT_READ, MAP_PRIVATE, fd, (off_t)base);

			if (m == MAP_FAILED)
				return -1;
			memcpy(buf, (uint8_t *)m + lead, len);
			munmap(m, maplen);
			*s = sum(*s, buf, len);
			d += len;
		}
	return 0;
}

int main(int argc, char **argv)
{
	static struct load l[MAX_LOADS];
	const char *names[] = { "pread 4KiB", "pread 128KiB", "pread 1MiB", "mmap 4MiB" };
	size_t n = 0, sizes[] = { 4096, 128 << 10, 1 << 20, 4 << 20 };
	uint64_t total = 0, sums[4] = { 0 };
	int fd = -1;
	uint8_t *buf;

	for (int i = 1; i < argc && fd < 0; i++) {
		if (argv[i][0] == '-')
			continue;
		fd = open(argv[i], O_RDONLY);
		if (fd >= 0 && load_table(fd, l, &n) != 0) {
			close(fd);
			fd = -1;
		}
		if (fd >= 0)
			printf("readpath: %s, %zu PT_LOADs measured, %ld CPUs online\n", argv[i], n,
			       sysconf(_SC_NPROCESSORS_ONLN));
	}
	if (fd < 0 || strstr(argv[argc - 1], "kcore")) {
		fprintf(stderr, "readpath: no ELF vmcore among the arguments\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		total += l[i].len;
	buf = malloc(4 << 20);
	if (!buf) {
		fprintf(stderr, "readpath: out of memory\n");
		return 1;
	}
	for (int pass = 0; pass < 2; pass++)
		for (int m = 0; m < 4; m++) {
			double t0 = now(), u0 = cpu(0), s0 = cpu(1), t;
			uint64_t s = 0;
			int rc = m < 3 ? by_pread(fd, l, n, sizes[m], buf, &s)
				       : by_mmap(fd, l, n, sizes[m], buf, &s);

			t = now() - t0;
			if (rc) {
				printf("readpath: %s failed: %m\n", names[m]);
				continue;
			}
			sums[m] = s;
			printf("readpath: pass %d %-12s %8.1f MB in %7.3f s = %7.1f MB/s  user %.3f sys %.3f\n",
			       pass, names[m], total / 1e6, t, total / 1e6 / t, cpu(0) - u0,
			       cpu(1) - s0);
			fflush(stdout);
		}
	for (int m = 1; m < 4; m++)
		if (sums[m] != sums[0])
			printf("readpath: %s read different bytes than %s\n", names[m], names[0]);
	free(buf);
	close(fd);
	return 0;
}
