/* target.c - file and flattened-stream targets (see target.h and
 * doc/kdump-format.md, "Flattened stream").
 *
 * A file is written as "<path>.incomplete" (O_EXCL, mode 0600) and renamed to
 * <path> only once it is complete and fsync()ed, so a crash of the capture
 * kernel never leaves a plausible-looking but truncated dump under the final
 * name.  Without -f neither name may already exist.  While it is written,
 * writeback is started every 8 MiB and the file fdatasync()ed every 64 MiB
 * by a second thread (collector/flusher.h), so that fsync finds little left.
 *
 * On NFS the file is written with O_DSYNC: there a write() only
 * fills the client's page cache and the server's "no space" or a lost
 * server surfaces later, at writeback, after the writers have already
 * counted those bytes as on disk and pointed descriptors at them; a dump cut
 * short then claims pages it does not hold (crash fails on it).  Synchronous
 * writes make every failure land on the write that caused it.  The file is
 * also write-only there: a write that covers part of a page not in the
 * client's cache then needs no READ of that page from the server (Linux
 * reads it first only when the file is open for reading); Debian 12's
 * nfs-ganesha 4.3 answers those reads from a 6.12 client over NFSv4.2 in a
 * way that client turns into EIO (tests/lab/README.md, "Dumping onto NFS").
 *
 * An ssh target is a flattened stream whose fd is ours: the pipe into the
 * ssh client that target_ssh.c started.
 */
#include "config.h"

#include "collector/target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "collector/kdump_format.h"
#include "collector/target_ssh.h"
#include "lib/io.h"

#define TMP_SUFFIX ".incomplete"
#define CS_WRITEBACK_CHUNK (8u << 20)	/* bytes between writeback starts */
/* bytes between the flusher's fdatasyncs (collector/flusher.h): on the
 * real 4 GiB lab vmcore, -d 1 -l (1.5 GB) took 2.05 s with the final fsync
 * alone, 1.66 s with a sync every 64 MiB, 1.78 s every 256 MiB (medians of
 * 15 alternating runs; doc/performance.md) */
#define CS_FLUSH_CHUNK (64u << 20)

/* statfs f_type of NFS (the kernel's include/uapi/linux/magic.h), where
 * write errors arrive after write() returned; tests/real/nfs.test.  Other
 * network filesystems (SMB) defer errors the same way but are untested. */
#define CS_NFS_MAGIC	0x6969

static int deferred_write_errors(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) != 0)
		return 0;
	return sf.f_type == CS_NFS_MAGIC;
}

static void target_clear(struct cs_target *t, enum cs_target_kind kind)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->fd = -1;
	t->ssh_pid = -1;
	cs_flusher_init(&t->flusher, -1);
}

enum cs_status cs_target_open_file(struct cs_target *t, const char *path, int force,
				   struct cs_err *err)
{
	struct stat sb;
	size_t n = strlen(path);
	int flags = O_RDWR | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);

	target_clear(t, CS_TARGET_FILE);
	t->force = force;
	if (!force && lstat(path, &sb) == 0)
		return cs_fail(err, CS_INVALID, "%s already exists (use -f to overwrite it)", path);
	t->path = strdup(path);
	t->tmp_path = malloc(n + sizeof(TMP_SUFFIX));
	if (!t->path || !t->tmp_path) {
		cs_target_deinit(t);
		return cs_fail_nomem(err);
	}
	memcpy(t->tmp_path, path, n);
	memcpy(t->tmp_path + n, TMP_SUFFIX, sizeof(TMP_SUFFIX));
	t->fd = open(t->tmp_path, flags, 0600);
	if (t->fd < 0) {
		int e = errno;

		if (e == EEXIST)
			cs_fail(err, CS_INVALID,
				"cannot create %s: File exists (left by an earlier run? use -f)",
				t->tmp_path);
		else
			cs_fail_errno(err, e, "cannot create %s", t->tmp_path);
		free(t->path);
		free(t->tmp_path);
		t->path = t->tmp_path = NULL;
		return err->status;
	}
	/* reopen the file we created (O_DSYNC cannot be set with fcntl) */
	if (deferred_write_errors(t->fd)) {
		int fd = open(t->tmp_path, O_WRONLY | O_CLOEXEC | O_DSYNC);

		if (fd < 0) {
			cs_fail_errno(err, errno, "cannot reopen %s for synchronous writes",
				      t->tmp_path);
			cs_target_abort(t, 0);
			cs_target_deinit(t);
			return err->status;
		}
		close(t->fd);
		t->fd = fd;
		t->sync_writes = 1;
	}
	cs_flusher_init(&t->flusher, t->fd);
	/* O_TRUNC on an existing file keeps its mode: make it private again */
	if (force && fchmod(t->fd, 0600) != 0) {
		cs_fail_errno(err, errno, "cannot set the mode of %s", t->tmp_path);
		cs_target_abort(t, 0);
		cs_target_deinit(t);
		return err->status;
	}
	return CS_OK;
}

static const char *target_name(const struct cs_target *t)
{
	switch (t->kind) {
	case CS_TARGET_FILE:
		return t->tmp_path;
	case CS_TARGET_SSH:
		return t->label;
	case CS_TARGET_FLAT:
		break;
	}
	return "standard output";
}

static enum cs_status write_flat_header(struct cs_target *t, struct cs_err *err)
{
	uint8_t hdr[CS_FLAT_HEADER_SIZE];
	struct cs_flat_header *h = (struct cs_flat_header *)hdr;
	enum cs_status st;

	memset(hdr, 0, sizeof(hdr));
	memcpy(h->signature, CS_FLAT_SIGNATURE, sizeof(CS_FLAT_SIGNATURE) - 1);
	cs_put_be64(h->type, CS_FLAT_TYPE);
	cs_put_be64(h->version, CS_FLAT_VERSION);
	st = cs_write_all(t->fd, hdr, sizeof(hdr), CS_IO_APPEND, target_name(t), err);
	if (st != CS_OK)
		return cs_err_prefix(err, "cannot write the flattened header");
	return CS_OK;
}

enum cs_status cs_target_open_flat(struct cs_target *t, int fd, struct cs_err *err)
{
	target_clear(t, CS_TARGET_FLAT);
	t->fd = fd;
	return write_flat_header(t, err);
}

/* Add how ssh ended to a failure: "...: Broken pipe; ssh to HOST exited
 * with status 255".  Waits (bounded) for the client; no allocation. */
static void ssh_reap(struct cs_target *t, unsigned int timeout_ms, struct cs_err *err)
{
	char how[64];
	size_t n;

	if (t->ssh_pid > 0) {
		/* bounded, not cut short by the stop flag: after EOF the
		 * remote side needs a moment to keep what it has */
		t->ssh_status = cs_ssh_wait(t->ssh_pid, timeout_ms, NULL);
		t->ssh_pid = -1;
		t->ssh_reaped = 1;
	}
	/* every later failed write says it too (writers try to save what
	 * they can, and the last message is the one printed) */
	if (!err || !t->ssh_reaped)
		return;
	cs_ssh_describe(t->ssh_status, how, sizeof(how));
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, "; ssh to %s %s", t->ssh_host, how);
}

enum cs_status cs_target_open_ssh(struct cs_target *t, const char *url, const char *ssh_cmd,
				  const char *ssh_opts, int force, struct cs_err *err)
{
	struct cs_ssh_dest d;
	enum cs_status st;

	target_clear(t, CS_TARGET_SSH);
	t->force = force;
	st = cs_ssh_dest_parse(&d, url, err);
	if (st != CS_OK)
		return st;
	t->path = strdup(url);
	t->ssh_host = strdup(d.host);
	t->label = malloc(strlen(url) + sizeof("to "));
	if (!t->path || !t->ssh_host || !t->label) {
		cs_ssh_dest_fini(&d);
		cs_target_deinit(t);
		return cs_fail_nomem(err);
	}
	strcpy(t->label, "to ");
	strcat(t->label, url);
	st = cs_ssh_spawn(ssh_cmd, ssh_opts, &d, force, &t->ssh_pid, &t->fd, err);
	cs_ssh_dest_fini(&d);
	if (st == CS_OK) {
		st = write_flat_header(t, err);
		if (st != CS_OK)
			ssh_reap(t, 5000, err);
	}
	if (st != CS_OK) {
		cs_target_abort(t, 0);
		cs_target_deinit(t);
		cs_err_prefix(err, "%s", url);
	}
	return st;
}

/* Every CS_WRITEBACK_CHUNK bytes, ask the kernel to start writing the dirty
 * pages out (not to wait for them): the disk works while we compress, the
 * final fsync has only the last chunk left, and the capture kernel's small
 * memory is not filled with dirty page cache.  A failure here is only
 * advice lost; fsync reports real write errors at commit.  Every
 * CS_FLUSH_CHUNK the flusher is asked to make what was written durable,
 * and a write error it met ends the dump here, not at commit. */
static enum cs_status start_writeback(struct cs_target *t, size_t n, struct cs_err *err)
{
	t->unsynced += n;
	if (t->sync_writes || t->unsynced < CS_WRITEBACK_CHUNK)
		return CS_OK;
	t->unflushed += t->unsynced;
	t->unsynced = 0;
	(void)sync_file_range(t->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (t->unflushed >= CS_FLUSH_CHUNK) {
		t->unflushed = 0;
		cs_flusher_request(&t->flusher);
	}
	return cs_flusher_status(&t->flusher, t->tmp_path, err);
}

enum cs_status cs_target_pwrite(struct cs_target *t, const void *buf, size_t len,
				uint64_t off, struct cs_err *err)
{
	size_t fits = len;
	enum cs_status st;

	if (len == 0)
		return CS_OK;	/* a zero-length flattened record is invalid */
	if (t->fd < 0)
		return cs_fail(err, CS_INVALID, "%s: write after the target was closed",
			       target_name(t));
	if (t->limit) {
		if (off >= t->limit)
			fits = 0;
		else if (len > t->limit - off)
			fits = (size_t)(t->limit - off);
	}
	if (fits) {
		if (t->kind == CS_TARGET_FILE) {
			st = cs_write_all_stop(t->fd, buf, fits, off, t->stop, t->tmp_path, err);
			if (st == CS_OK)
				st = start_writeback(t, fits, err);
			if (st == CS_SYS || st == CS_NOSPACE)
				t->io_failed = 1;
		} else {
			struct cs_flat_record r;

			cs_put_be64(r.offset, off);
			cs_put_be64(r.size, fits);
			st = cs_write_all_stop(t->fd, &r, sizeof(r), CS_IO_APPEND, t->stop,
					       target_name(t), err);
			if (st == CS_OK)
				st = cs_write_all_stop(t->fd, buf, fits, CS_IO_APPEND, t->stop,
						       target_name(t), err);
		}
		if (st != CS_OK) {
			/* the pipe broke: say how ssh ended (it is ending) */
			if (t->kind == CS_TARGET_SSH && st != CS_INTERRUPTED)
				ssh_reap(t, 5000, err);
			return st;
		}
		t->written += fits;
	}
	if (fits < len)
		return cs_fail(err, CS_NOSPACE,
			       "cannot write %s at offset %#llx: size limit of %llu bytes (-L) reached",
			       target_name(t), (unsigned long long)(off + fits),
			       (unsigned long long)t->limit);
	return CS_OK;
}

/* make the rename itself durable; failure to open the directory is not fatal
 * (some filesystems refuse O_RDONLY on directories), a failed fsync is */
static enum cs_status sync_parent(const char *path, struct cs_err *err)
{
	char *dir = strdup(path), *slash;
	int fd;
	enum cs_status st = CS_OK;

	if (!dir)
		return cs_fail_nomem(err);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) != 0 && errno != EINVAL)
			st = cs_fail_errno(err, errno, "cannot sync directory %s", dir);
		close(fd);
	}
	free(dir);
	return st;
}

/* rename without replacing an existing file unless forced; no allocation */
static int move_into_place(const struct cs_target *t)
{
	if (t->force)
		return rename(t->tmp_path, t->path);
	/* link() fails with EEXIST atomically if the final name appeared meanwhile */
	if (link(t->tmp_path, t->path) == 0)
		return unlink(t->tmp_path);
	if (errno == EEXIST)
		return -1;
	/* filesystems without hard links (vfat): check, then rename */
	if (access(t->path, F_OK) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(t->tmp_path, t->path);
}

enum cs_status cs_target_commit(struct cs_target *t, struct cs_err *err)
{
	if (t->fd < 0)
		return cs_fail(err, CS_INVALID, "%s: commit after the target was closed",
			       target_name(t));
	if (t->kind != CS_TARGET_FILE) {
		static const uint8_t term[16] = {
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		};
		enum cs_status st = cs_write_all(t->fd, term, sizeof(term), CS_IO_APPEND,
						 target_name(t), err);
		int status;
		char how[64];

		if (st != CS_OK) {
			if (t->kind == CS_TARGET_SSH)
				ssh_reap(t, 5000, err);
			return cs_err_prefix(err, "cannot end the flattened stream");
		}
		if (t->kind == CS_TARGET_FLAT) {
			t->fd = -1;	/* the caller's fd: not ours to close */
			return CS_OK;
		}
		/* EOF tells the remote side the stream is whole; its exit
		 * status (through ssh's) says whether it stored it */
		close(t->fd);
		t->fd = -1;
		status = cs_ssh_wait(t->ssh_pid, 0, t->stop);
		t->ssh_pid = -1;
		if (status == 0)
			return CS_OK;
		cs_ssh_describe(status, how, sizeof(how));
		return cs_fail(err, CS_SYS, "cannot write %s: ssh to %s %s", t->label,
			       t->ssh_host, how);
	}
	if (cs_flusher_stop(&t->flusher, t->tmp_path, err) != CS_OK) {
		t->io_failed = 1;
		return err->status;
	}
	if (fsync(t->fd) != 0) {
		t->io_failed = 1;
		return cs_fail_errno(err, errno, "cannot sync %s", t->tmp_path);
	}
	if (close(t->fd) != 0) {
		/* the file stays (temporary name): its data may be whole */
		t->fd = -1;
		t->io_failed = 1;
		return cs_fail_errno(err, errno, "cannot close %s", t->tmp_path);
	}
	t->fd = -1;
	if (move_into_place(t) != 0) {
		int e = errno;

		if (e == EEXIST)
			return cs_fail(err, CS_INVALID,
				       "cannot rename %s to %s: %s already exists (use -f); the dump is kept as %s",
				       t->tmp_path, t->path, t->path, t->tmp_path);
		return cs_fail_errno(err, e, "cannot rename %s to %s", t->tmp_path, t->path);
	}
	return sync_parent(t->path, err);
}

void cs_target_abort(struct cs_target *t, int keep_partial)
{
	if (t->kind == CS_TARGET_FLAT) {
		t->fd = -1;
		return;
	}
	if (t->kind == CS_TARGET_SSH) {
		/* EOF without the terminator: the remote side keeps the
		 * stream as incomplete; a client that hangs is ended */
		if (t->fd >= 0)
			close(t->fd);
		t->fd = -1;
		ssh_reap(t, 10000, NULL);
		return;
	}
	if (t->fd < 0)
		return;
	(void)cs_flusher_stop(&t->flusher, t->tmp_path, NULL);
	if (keep_partial)
		fsync(t->fd);
	close(t->fd);
	t->fd = -1;
	if (!t->tmp_path)
		return;
	if (keep_partial == CS_KEEP_NONE)
		unlink(t->tmp_path);
	else if (keep_partial == CS_KEEP_RENAMED)
		(void)move_into_place(t);	/* if that fails it stays as tmp_path */
}

void cs_target_deinit(struct cs_target *t)
{
	if ((t->kind == CS_TARGET_FILE && t->fd >= 0) ||
	    (t->kind == CS_TARGET_SSH && (t->fd >= 0 || t->ssh_pid > 0)))
		cs_target_abort(t, 0);
	free(t->path);
	free(t->tmp_path);
	free(t->label);
	free(t->ssh_host);
	t->path = t->tmp_path = t->label = t->ssh_host = NULL;
	t->fd = -1;
}
