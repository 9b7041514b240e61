/* eio-shim.c - LD_PRELOAD library for tests/eio.test: makes pwrite() to one
 * file fail with EIO, as a dead NFS server or a failing disk does; and for
 * tests/mmap-fallback.test: makes mmap() of one file fail with ENODEV, as
 * on a kernel whose /proc/vmcore cannot be mapped.
 *
 *   CS_EIO_PATH   a substring of the file's path (/proc/self/fd/N)
 *   CS_EIO_AFTER  bytes that are written normally first; after the first
 *                 failure every write to the file fails (a dead target)
 *   CS_EIO_ONCE   when non-empty, only the first write past that point fails
 *                 (a transient error: the header can still be rewritten)
 *   CS_MMAP_FAIL_PATH   a substring of the path of the file whose mappings fail
 *   CS_MMAP_FAIL_AFTER  mappings of it that succeed first (default 0)
 * Each refused mapping prints "eio-shim: mmap refused" on stderr.
 * And for tests/flush.test, fdatasync() of one file:
 *   CS_SYNC_PATH   a substring of the file's path: each fdatasync of it
 *                  prints "eio-shim: fdatasync" on stderr
 *   CS_SYNC_FAIL   when non-empty, those calls fail with EIO (without
 *                  syncing), as on a disk that lost the writes
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);

static atomic_ullong written;
static atomic_int failed;

static int fd_matches(int fd, const char *want)
{
	char link[64], path[4096];
	ssize_t n;

	if (!want || !*want)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return 0;
	path[n] = '\0';
	return strstr(path, want) != NULL;
}

static int target_fd(int fd)
{
	return fd_matches(fd, getenv("CS_EIO_PATH"));
}

static ssize_t shim(pwrite_fn real, int fd, const void *buf, size_t len, off_t off)
{
	const char *after = getenv("CS_EIO_AFTER"), *once = getenv("CS_EIO_ONCE");

	if (after && target_fd(fd)) {
		unsigned long long limit = strtoull(after, NULL, 0);

		int dead = atomic_load(&failed) && !(once && *once);

		if (dead || (atomic_load(&written) + len > limit &&
			     !(once && *once && atomic_load(&failed)))) {
			atomic_store(&failed, 1);
			errno = EIO;
			return -1;
		}
		atomic_fetch_add(&written, len);
	}
	return real(fd, buf, len, off);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return shim((pwrite_fn)dlsym(RTLD_NEXT, "pwrite"), fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	return shim((pwrite_fn)dlsym(RTLD_NEXT, "pwrite64"), fd, buf, len, off);
}

typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);

static atomic_int mapped;

static void *mmap_shim(mmap_fn real, void *addr, size_t len, int prot, int flags, int fd,
		       off_t off)
{
	const char *after = getenv("CS_MMAP_FAIL_AFTER");

	if (fd >= 0 && fd_matches(fd, getenv("CS_MMAP_FAIL_PATH")) &&
	    atomic_fetch_add(&mapped, 1) >= (after ? atoi(after) : 0)) {
		static const char msg[] = "eio-shim: mmap refused\n";

		(void)!write(2, msg, sizeof(msg) - 1);
		errno = ENODEV;
		return MAP_FAILED;
	}
	return real(addr, len, prot, flags, fd, off);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap_shim((mmap_fn)dlsym(RTLD_NEXT, "mmap"), addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap_shim((mmap_fn)dlsym(RTLD_NEXT, "mmap64"), addr, len, prot, flags, fd, off);
}

typedef int (*fdatasync_fn)(int);

int fdatasync(int fd)
{
	const char *fail = getenv("CS_SYNC_FAIL");

	if (fd_matches(fd, getenv("CS_SYNC_PATH"))) {
		static const char msg[] = "eio-shim: fdatasync\n";

		(void)!write(2, msg, sizeof(msg) - 1);
		if (fail && *fail) {
			errno = EIO;
			return -1;
		}
	}
	return ((fdatasync_fn)dlsym(RTLD_NEXT, "fdatasync"))(fd);
}
