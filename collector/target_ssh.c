/* target_ssh.c - see target_ssh.h. */
#include "config.h"

#include "collector/target_ssh.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SSH_ARGS 64

int cs_ssh_is_url(const char *s)
{
	return s && strncmp(s, CS_SSH_PREFIX, sizeof(CS_SSH_PREFIX) - 1) == 0;
}

void cs_ssh_dest_fini(struct cs_ssh_dest *d)
{
	free(d->user_host);
	free(d->host);
	free(d->port);
	free(d->path);
	memset(d, 0, sizeof(*d));
}

static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

enum cs_status cs_ssh_dest_parse(struct cs_ssh_dest *d, const char *url, struct cs_err *err)
{
	const char *auth = url + sizeof(CS_SSH_PREFIX) - 1;
	const char *slash, *at, *h, *hend, *colon = NULL;
	size_t ulen;

	memset(d, 0, sizeof(*d));
	if (!cs_ssh_is_url(url))
		return cs_fail(err, CS_INVALID, "%s: not an ssh:// destination", url);
	slash = strchr(auth, '/');
	if (!slash || slash == auth)
		return cs_fail(err, CS_INVALID,
			       "%s: an ssh destination is ssh://[user@]host[:port]/path", url);
	at = memchr(auth, '@', (size_t)(slash - auth));
	h = at ? at + 1 : auth;
	ulen = at ? (size_t)(at - auth + 1) : 0;
	if (*h == '[') {	/* [IPv6 literal] */
		hend = memchr(h, ']', (size_t)(slash - h));
		if (!hend)
			return cs_fail(err, CS_INVALID, "%s: unclosed [ in the host", url);
		h++;
		if (hend[1] == ':')
			colon = hend + 1;
		else if (hend + 1 != slash)
			return cs_fail(err, CS_INVALID, "%s: unexpected text after ]", url);
	} else {
		colon = memchr(h, ':', (size_t)(slash - h));
		hend = colon ? colon : slash;
	}
	if (hend == h || *h == '-' || (at && *auth == '-'))
		return cs_fail(err, CS_INVALID, "%s: missing or invalid host", url);
	if (colon) {
		const char *p;

		if (colon + 1 == slash)
			return cs_fail(err, CS_INVALID, "%s: empty port", url);
		for (p = colon + 1; p < slash; p++)
			if (*p < '0' || *p > '9')
				return cs_fail(err, CS_INVALID, "%s: the port must be a number", url);
	}
	if (slash[1] == '\0' || slash[strlen(slash) - 1] == '/')
		return cs_fail(err, CS_INVALID, "%s: the remote path must name a file", url);
	d->host = dup_n(h, (size_t)(hend - h));
	d->user_host = malloc(ulen + (size_t)(hend - h) + 1);
	d->port = colon ? dup_n(colon + 1, (size_t)(slash - colon - 1)) : NULL;
	d->path = strdup(slash);
	if (!d->host || !d->user_host || (colon && !d->port) || !d->path) {
		cs_ssh_dest_fini(d);
		return cs_fail_nomem(err);
	}
	memcpy(d->user_host, auth, ulen);
	memcpy(d->user_host + ulen, h, (size_t)(hend - h));
	d->user_host[ulen + (size_t)(hend - h)] = '\0';
	return CS_OK;
}

char *cs_ssh_quote(const char *s)
{
	size_t n = 3;
	char *q, *p;

	for (const char *c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	q = malloc(n);
	if (!q)
		return NULL;
	p = q;
	*p++ = '\'';
	for (const char *c = s; *c; c++) {
		if (*c == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = *c;
		}
	}
	*p++ = '\'';
	*p = '\0';
	return q;
}

/* The remote side, in POSIX sh.  Every path is a single-quoted word; the
 * messages glue quoted and double-quoted pieces so no path text is ever
 * seen by the shell unquoted.  The .flat fallback checks the last 16 bytes
 * for the end marker before renaming: a stream cut by a dropped connection
 * or a stopped collector stays under the .incomplete name. */
#define REMOTE_FMT \
	"if command -v coresift >/dev/null 2>&1; then " \
	"exec coresift -R%s --message-level 4 %s; fi; " \
	"%s" \
	"cat > %s || exit 1; " \
	"t=$(tail -c 16 %s | od -An -tx1 | tr -d ' \\n'); " \
	"if [ \"$t\" = ffffffffffffffffffffffffffffffff ]; then exec mv -f %s %s; fi; " \
	"echo \"coresift: the flattened stream has no end marker: kept as \"%s >&2; exit 1"
#define REMOTE_EXISTS_FMT \
	"if [ -e %s ]; then echo %s\" already exists, use -f to overwrite it\" >&2; exit 1; fi; "

char *cs_ssh_remote_command(const char *path, int force)
{
	size_t n = strlen(path);
	char *flat = malloc(n + sizeof(".flat.incomplete"));
	char *qp = NULL, *qf = NULL, *qi = NULL, *exists = NULL, *cmd = NULL;
	int len;

	if (!flat)
		return NULL;
	memcpy(flat, path, n);
	memcpy(flat + n, ".flat.incomplete", sizeof(".flat.incomplete"));
	qi = cs_ssh_quote(flat);
	flat[n + sizeof(".flat") - 1] = '\0';
	qf = cs_ssh_quote(flat);
	qp = cs_ssh_quote(path);
	if (!qi || !qf || !qp)
		goto out;
	if (force) {
		exists = strdup("");
	} else {
		len = snprintf(NULL, 0, REMOTE_EXISTS_FMT, qf, qf);
		exists = len < 0 ? NULL : malloc((size_t)len + 1);
		if (exists)
			snprintf(exists, (size_t)len + 1, REMOTE_EXISTS_FMT, qf, qf);
	}
	if (!exists)
		goto out;
	len = snprintf(NULL, 0, REMOTE_FMT, force ? " -f" : "", qp, exists, qi, qi, qi, qf, qi);
	if (len < 0)
		goto out;
	cmd = malloc((size_t)len + 1);
	if (cmd)
		snprintf(cmd, (size_t)len + 1, REMOTE_FMT, force ? " -f" : "", qp, exists, qi, qi,
			 qi, qf, qi);
out:
	free(flat);
	free(qp);
	free(qf);
	free(qi);
	free(exists);
	return cmd;
}

enum cs_status cs_ssh_spawn(const char *ssh_cmd, const char *ssh_opts,
			    const struct cs_ssh_dest *d, int force,
			    pid_t *pid, int *fd, struct cs_err *err)
{
	char *argv[MAX_SSH_ARGS + 8];
	char *opts = NULL, *remote, *save = NULL;
	int argc = 0, data[2], status[2], child_errno = 0;
	ssize_t got;
	pid_t p;

	*pid = -1;
	*fd = -1;
	if (!ssh_cmd || !*ssh_cmd)
		ssh_cmd = "ssh";
	remote = cs_ssh_remote_command(d->path, force);
	if (ssh_opts && !(opts = strdup(ssh_opts))) {
		free(remote);
		return cs_fail_nomem(err);
	}
	if (!remote) {
		free(opts);
		return cs_fail_nomem(err);
	}
	argv[argc++] = (char *)ssh_cmd;
	if (d->port) {
		argv[argc++] = (char *)"-p";
		argv[argc++] = d->port;
	}
	for (char *w = opts ? strtok_r(opts, " \t\n", &save) : NULL; w;
	     w = strtok_r(NULL, " \t\n", &save)) {
		if (argc == MAX_SSH_ARGS) {
			free(opts);
			free(remote);
			return cs_fail(err, CS_INVALID, "--ssh-opts: more than %d words",
				       MAX_SSH_ARGS - 3);
		}
		argv[argc++] = w;
	}
	/* no pseudo-terminal: it would mangle binary data */
	argv[argc++] = (char *)"-T";
	argv[argc++] = (char *)"--";
	argv[argc++] = d->user_host;
	argv[argc++] = remote;
	argv[argc] = NULL;

	if (pipe2(data, O_CLOEXEC) != 0) {
		cs_fail_errno(err, errno, "cannot create a pipe to %s", ssh_cmd);
		goto fail_nopipe;
	}
	/* exec failures come back through this pipe (closed by a good exec) */
	if (pipe2(status, O_CLOEXEC) != 0) {
		cs_fail_errno(err, errno, "cannot create a pipe to %s", ssh_cmd);
		goto fail_status;
	}
	p = fork();
	if (p < 0) {
		cs_fail_errno(err, errno, "cannot start %s", ssh_cmd);
		goto fail_fork;
	}
	if (p == 0) {
		int e;

		/* the collector ignores SIGPIPE and catches the stop signals:
		 * ssh must get the defaults back (ignored ones survive exec) */
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		/* stdin: the stream; stdout: our stderr, never our stdout */
		if (dup2(data[0], STDIN_FILENO) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
			e = errno;
		} else {
			execvp(ssh_cmd, argv);
			e = errno;
		}
		if (write(status[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(data[0]);
	close(status[1]);
	do
		got = read(status[0], &child_errno, sizeof(child_errno));
	while (got < 0 && errno == EINTR);
	close(status[0]);
	free(opts);
	free(remote);
	if (got > 0) {
		close(data[1]);
		waitpid(p, NULL, 0);
		return cs_fail_errno(err, child_errno, "cannot run %s", ssh_cmd);
	}
	*pid = p;
	*fd = data[1];
	return CS_OK;

fail_fork:
	close(status[0]);
	close(status[1]);
fail_status:
	close(data[0]);
	close(data[1]);
fail_nopipe:
	free(opts);
	free(remote);
	return err->status;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int cs_ssh_wait(pid_t pid, unsigned int timeout_ms, const volatile sig_atomic_t *stop)
{
	int status, termed = 0;
	unsigned long waited = 0;

	if (pid <= 0)
		return -1;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (!termed && ((stop && *stop) || (timeout_ms && waited >= timeout_ms))) {
			kill(pid, SIGTERM);
			termed = 1;
			waited = 0;
			timeout_ms = 1000;	/* then SIGKILL */
		} else if (termed && waited >= timeout_ms) {
			kill(pid, SIGKILL);
			waited = 0;
		}
		sleep_ms(10);
		waited += 10;
	}
}

void cs_ssh_describe(int status, char *buf, size_t n)
{
	if (status == -1)
		snprintf(buf, n, "could not be waited for");
	else if (WIFEXITED(status))
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "was killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, n, "ended with wait status %#x", (unsigned int)status);
}
