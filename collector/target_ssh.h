/* target_ssh.h - DUMPFILE as ssh://[user@]host[:port]/path: the flattened
 * stream goes to the system's OpenSSH client on a pipe, and a remote shell
 * command stores it (see coresift(8), "SSH TARGETS").
 *
 * Nothing goes through a local shell: ssh is run with execvp() and an argv.
 * The remote command is one POSIX sh string in which the path appears only
 * inside single quotes.  The target itself (header, records, terminator) is
 * target.c's CS_TARGET_SSH kind; this file parses, spawns and waits.
 */
#ifndef CS_TARGET_SSH_H
#define CS_TARGET_SSH_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/error.h"

#define CS_SSH_PREFIX "ssh://"

struct cs_ssh_dest {
	char *user_host;	/* "[user@]host", as ssh takes it (no brackets) */
	char *host;		/* for messages */
	char *port;		/* NULL: ssh's default (ssh_config, 22) */
	char *path;		/* absolute remote path */
};

/* Does @s name an ssh destination (starts with "ssh://")? */
int cs_ssh_is_url(const char *s);

/* Split @url; CS_INVALID naming the URL when it is not
 * ssh://[user@]host[:port]/path (host in [] for IPv6 literals). */
enum cs_status cs_ssh_dest_parse(struct cs_ssh_dest *d, const char *url, struct cs_err *err);
void cs_ssh_dest_fini(struct cs_ssh_dest *d);

/* @s in single quotes for a POSIX shell (' becomes '\''); malloc'd, NULL
 * when out of memory. */
char *cs_ssh_quote(const char *s);

/* The remote command: "coresift -R PATH" when the remote has coresift,
 * else the stream is stored as PATH.flat (written as PATH.flat.incomplete,
 * renamed only when it ends with the terminator).  malloc'd or NULL. */
char *cs_ssh_remote_command(const char *path, int force);

/* Run @ssh_cmd (NULL: "ssh", found on PATH) with the whitespace-separated
 * @ssh_opts (may be NULL), -T, the port and the remote command; *@fd is the
 * write end of its stdin (close-on-exec), *@pid the child.  A program that
 * cannot be run is reported here. */
enum cs_status cs_ssh_spawn(const char *ssh_cmd, const char *ssh_opts,
			    const struct cs_ssh_dest *d, int force,
			    pid_t *pid, int *fd, struct cs_err *err);

/* Wait for ssh.  @timeout_ms 0 waits as long as it takes unless *@stop gets
 * set (then ssh is sent SIGTERM); otherwise SIGTERM after @timeout_ms and
 * SIGKILL a second later.  Returns the wait status, or -1.  No allocation. */
int cs_ssh_wait(pid_t pid, unsigned int timeout_ms, const volatile sig_atomic_t *stop);

/* "exited with status 255", "was killed by signal 9" into @buf. */
void cs_ssh_describe(int status, char *buf, size_t n);

#endif
