/* test_error.c - the error convention and the I/O module. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/io.h"

static int failures;

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", \
	__FILE__, __LINE__, #cond); failures++; } } while (0)
#define CHECK_STR(got, want) do { if (strcmp((got), (want)) != 0) { fprintf(stderr, \
	"%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, (got), (want)); failures++; } } while (0)

int main(void)
{
	struct cs_err e;
	char path[] = "/tmp/cs-test-error.XXXXXX";
	uint8_t buf[16], b8[8];
	int fd;

	cs_err_clear(&e);
	CHECK(cs_fail(&e, CS_CORRUPT, "bad %s at %#x", "thing", 0x40) == CS_CORRUPT);
	CHECK_STR(e.msg, "bad thing at 0x40");
	CHECK(cs_err_prefix(&e, "cannot open %s", "/x") == CS_CORRUPT);
	CHECK_STR(e.msg, "cannot open /x: bad thing at 0x40");

	CHECK(cs_fail_errno(&e, ENOENT, "cannot open %s", "/nope") == CS_SYS);
	CHECK_STR(e.msg, "cannot open /nope: No such file or directory");
	CHECK(cs_fail_errno(&e, ENOSPC, "w") == CS_NOSPACE);
	CHECK_STR(e.msg, "w: No space left on device");
	CHECK(cs_fail_errno(&e, EDQUOT, "w") == CS_NOSPACE);
	CHECK(cs_fail_errno(&e, ENOMEM, "m") == CS_NOMEM);
	CHECK(cs_fail_errno(&e, EINTR, "i") == CS_INTERRUPTED);
	CHECK(cs_fail_nomem(&e) == CS_NOMEM);
	CHECK_STR(e.msg, "out of memory");

	/* a message longer than the buffer is cut, never overflows */
	{
		char big[3000];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		cs_fail(&e, CS_INVALID, "%s", big);
		CHECK(strlen(e.msg) == CS_ERR_MSG_MAX - 1);
		cs_err_prefix(&e, "ctx");
		CHECK(strncmp(e.msg, "ctx: aaa", 8) == 0);
		CHECK(strlen(e.msg) == CS_ERR_MSG_MAX - 1);
	}

	/* I/O: exact reads, a short file is "truncated" with path and offset */
	fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(cs_write_all(fd, "0123456789", 10, 0, path, &e) == CS_OK);
	CHECK(cs_write_all(fd, "AB", 2, 4, path, &e) == CS_OK);
	CHECK(cs_pread_all(fd, buf, 10, 0, path, &e) == CS_OK);
	CHECK(memcmp(buf, "0123AB6789", 10) == 0);
	CHECK(cs_pread_all(fd, buf, 8, 6, "dumpfile", &e) == CS_CORRUPT);
	CHECK_STR(e.msg, "dumpfile: truncated: no data at offset 0xa");
	close(fd);
	CHECK(cs_pread_all(fd, buf, 1, 0, "closed", &e) == CS_SYS);
	CHECK_STR(e.msg, "cannot read closed at offset 0: Bad file descriptor");
	unlink(path);

	/* endian helpers */
	cs_put_le32(b8, 0x11223344);
	CHECK(b8[0] == 0x44 && b8[3] == 0x11);
	CHECK(cs_get_le32(b8) == 0x11223344);
	cs_put_le64(b8, 0x0102030405060708ull);
	CHECK(b8[0] == 8 && b8[7] == 1 && cs_get_le64(b8) == 0x0102030405060708ull);
	cs_put_be64(b8, 0x0102030405060708ull);
	CHECK(b8[0] == 1 && b8[7] == 8 && cs_get_be64(b8) == 0x0102030405060708ull);
	cs_put_le16(b8, 0xabcd);
	CHECK(cs_get_le16(b8) == 0xabcd);

	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
