/* target.h - where bytes go: a file (written under a temporary name and
 * renamed when complete), stdout carrying the flattened format (-F), or the
 * same flattened stream into ssh for an ssh://[user@]host[:port]/path
 * DUMPFILE (collector/target_ssh.h).
 *
 * Writers call cs_target_pwrite() with absolute offsets of the final file.
 * On a file target that is a pwrite(); on a flattened target each call
 * becomes one (offset, size) record on the stream.
 */
#ifndef CS_TARGET_H
#define CS_TARGET_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "collector/flusher.h"
#include "lib/error.h"

enum cs_target_kind { CS_TARGET_FILE, CS_TARGET_FLAT, CS_TARGET_SSH };

struct cs_target {
	enum cs_target_kind kind;
	int fd;
	char *path;		/* final name ("-" / NULL for stdout) */
	char *tmp_path;		/* temporary name while writing (file only) */
	uint64_t limit;		/* -L: max bytes, 0 = none */
	uint64_t written;	/* payload bytes handed to the target */
	/* file only: a write, sync or close failed (EIO from a dead NFS
	 * server, ENOSPC found late...): what was written is kept */
	int io_failed;
	/* file only: bytes written since writeback was last started; every
	 * CS_WRITEBACK_CHUNK the kernel is asked to start writing them out, so
	 * the capture kernel's page cache holds little dirty data and the
	 * final fsync waits only for the tail */
	uint64_t unsynced;
	/* file only: bytes whose writeback was started since the flusher
	 * was last asked to sync; every CS_FLUSH_CHUNK it is asked again */
	uint64_t unflushed;
	struct cs_flusher flusher;
	int sync_writes;	/* O_DSYNC (NFS): nothing to start */
	int force;		/* -f: replace an existing final file */
	/* the run's stop flag (set by SIGINT/SIGTERM) or NULL: a write
	 * blocked on a pipe nobody reads ends when it is set */
	const volatile sig_atomic_t *stop;
	/* ssh only: the client (its stdin is fd), how messages name the
	 * target ("to ssh://host/path") and the host for messages */
	pid_t ssh_pid;
	int ssh_reaped, ssh_status;	/* ssh ended, its wait status */
	char *label;
	char *ssh_host;
};

/* Create @path (mode 0600, O_EXCL unless @force) under a temporary name
 * "<path>.incomplete" next to it.  @limit (-L) may be set in t->limit after
 * opening: it caps the size of the final file; a write past it writes what
 * fits and fails with CS_NOSPACE. */
enum cs_status cs_target_open_file(struct cs_target *t, const char *path, int force,
				   struct cs_err *err);
/* Flattened stream on @fd (normally 1); writes the 4096-byte flat header. */
enum cs_status cs_target_open_flat(struct cs_target *t, int fd, struct cs_err *err);

/* The flattened stream into the ssh client (@ssh_cmd or "ssh", with the
 * whitespace-separated @ssh_opts) for @url, ssh://[user@]host[:port]/path;
 * the remote side rebuilds the file (coresift -R) or keeps PATH.flat.
 * Commit writes the terminator and waits for ssh: a remote failure or an
 * ssh exit status other than 0 is an error naming the host and status. */
enum cs_status cs_target_open_ssh(struct cs_target *t, const char *url, const char *ssh_cmd,
				  const char *ssh_opts, int force, struct cs_err *err);

enum cs_status cs_target_pwrite(struct cs_target *t, const void *buf, size_t len,
				uint64_t off, struct cs_err *err);

/* Success: fsync + rename to the final name / write the flat terminator. */
enum cs_status cs_target_commit(struct cs_target *t, struct cs_err *err);
/* Failure: keep what was written (renamed to the final name when @keep_partial
 * is CS_KEEP_RENAMED, left under the temporary name when CS_KEEP_AS_TEMP, else
 * removed); never allocates.  A flattened stream just stops (no
 * terminator: readers see it is truncated); for ssh the pipe is closed and
 * the client waited for (SIGTERM after a bounded wait). */
enum { CS_KEEP_NONE, CS_KEEP_RENAMED, CS_KEEP_AS_TEMP };
void cs_target_abort(struct cs_target *t, int keep_partial);
/* Frees the names; a file target neither committed nor aborted is aborted
 * without keeping the partial file.  The flattened target's fd is the
 * caller's and stays open. */
void cs_target_deinit(struct cs_target *t);

#endif
