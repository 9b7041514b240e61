/* test_target_ssh.c - ssh:// parsing, shell quoting and the remote command
 * (pure parts of collector/target_ssh.c; tests/ssh.test runs the rest). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "collector/target_ssh.h"

static int failures;

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", \
	__FILE__, __LINE__, #cond); failures++; } } while (0)
#define CHECK_STR(got, want) do { const char *g_ = (got); if (!g_ || strcmp(g_, (want)) != 0) { \
	fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
		g_ ? g_ : "(null)", (want)); failures++; } } while (0)

static void parse_ok(const char *url, const char *uh, const char *host, const char *port,
		     const char *path)
{
	struct cs_ssh_dest d;
	struct cs_err e;

	cs_err_clear(&e);
	if (cs_ssh_dest_parse(&d, url, &e) != CS_OK) {
		fprintf(stderr, "%s: %s\n", url, e.msg);
		failures++;
		return;
	}
	CHECK_STR(d.user_host, uh);
	CHECK_STR(d.host, host);
	if (port)
		CHECK_STR(d.port, port);
	else
		CHECK(d.port == NULL);
	CHECK_STR(d.path, path);
	cs_ssh_dest_fini(&d);
}

static void parse_bad(const char *url, const char *want)
{
	struct cs_ssh_dest d;
	struct cs_err e;

	cs_err_clear(&e);
	CHECK(cs_ssh_dest_parse(&d, url, &e) == CS_INVALID);
	if (!strstr(e.msg, want)) {
		fprintf(stderr, "%s: message \"%s\" lacks \"%s\"\n", url, e.msg, want);
		failures++;
	}
}

/* run @cmd through sh with "echo" standing in for the remote tools: the
 * words the shell sees are the proof of the quoting */
static void quote_roundtrip(const char *s)
{
	char *q = cs_ssh_quote(s), cmd[4096], out[4096];
	FILE *p;
	size_t n;

	CHECK(q != NULL);
	if (!q)
		return;
	snprintf(cmd, sizeof(cmd), "printf '%%s' %s", q);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	if (p) {
		n = fread(out, 1, sizeof(out) - 1, p);
		out[n] = '\0';
		CHECK(WEXITSTATUS(pclose(p)) == 0);
		CHECK_STR(out, s);
	}
	free(q);
}

int main(void)
{
	char *s;

	CHECK(cs_ssh_is_url("ssh://h/p"));
	CHECK(!cs_ssh_is_url("/var/crash/ssh://x"));
	CHECK(!cs_ssh_is_url(NULL));

	parse_ok("ssh://host/var/crash/vmcore", "host", "host", NULL, "/var/crash/vmcore");
	parse_ok("ssh://root@host:2222/v", "root@host", "host", "2222", "/v");
	parse_ok("ssh://u@[::1]:22/a b", "u@::1", "::1", "22", "/a b");
	parse_ok("ssh://[fe80::1]/x", "fe80::1", "fe80::1", NULL, "/x");
	parse_bad("ssh://host", "ssh://[user@]host[:port]/path");
	parse_bad("ssh:///path", "ssh://[user@]host[:port]/path");
	parse_bad("ssh://host:/p", "empty port");
	parse_bad("ssh://host:22x/p", "port must be a number");
	parse_bad("ssh://-oProxyCommand=x/p", "invalid host");
	parse_bad("ssh://-x@h/p", "invalid host");
	parse_bad("ssh://host/", "must name a file");
	parse_bad("ssh://host/dir/", "must name a file");
	parse_bad("ssh://[::1/p", "unclosed [");

	s = cs_ssh_quote("it's");
	CHECK_STR(s, "'it'\\''s'");
	free(s);
	quote_roundtrip("/var/crash/a b");
	quote_roundtrip("/x/$(touch /nonexistent/pwned)");
	quote_roundtrip("/x/`id`; rm -rf /nonexistent \"q\" \\ 'it's' ''");

	s = cs_ssh_remote_command("/v/it's", 0);
	CHECK(s != NULL);
	if (s) {
		CHECK(strstr(s, "exec coresift -R --message-level 4 '/v/it'\\''s'; fi;") != NULL);
		CHECK(strstr(s, "[ -e '/v/it'\\''s'.flat ]") != NULL ||
		      strstr(s, "[ -e '/v/it'\\''s.flat' ]") != NULL);
		CHECK(strstr(s, "cat > '/v/it'\\''s.flat.incomplete' ||") != NULL);
	}
	free(s);
	s = cs_ssh_remote_command("/v/d", 1);
	CHECK(s != NULL);
	if (s) {
		CHECK(strstr(s, "exec coresift -R -f --message-level 4 '/v/d'") != NULL);
		CHECK(strstr(s, "[ -e") == NULL);
	}
	free(s);
	return failures ? 1 : 0;
}
