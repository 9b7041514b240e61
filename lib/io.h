/* io.h - the one I/O module: transfers that loop on short counts and EINTR. */
#ifndef CS_IO_H
#define CS_IO_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

/* Read exactly @len bytes at @off. A short file is CS_CORRUPT ("truncated"),
 * naming @what (usually the path) and the offset. */
enum cs_status cs_pread_all(int fd, void *buf, size_t len, uint64_t off,
			    const char *what, struct cs_err *err);

/* Read up to @len bytes from a stream (pipe, socket, file position),
 * looping on short reads and EINTR; *@got < @len only at end of input. */
enum cs_status cs_read_full(int fd, void *buf, size_t len, size_t *got,
			    const char *what, struct cs_err *err);

/* Write exactly @len bytes at @off (pwrite) or, with off == CS_IO_APPEND,
 * at the current position (write; pipes and sockets). */
#define CS_IO_APPEND UINT64_MAX
enum cs_status cs_write_all(int fd, const void *buf, size_t len, uint64_t off,
			    const char *what, struct cs_err *err);
/* The same, but once *@stop is set (checked before each write and after an
 * EINTR) it ends with CS_INTERRUPTED: a signal handler that sets the flag
 * (installed without SA_RESTART) ends a write blocked on a pipe or socket
 * nobody reads.  Nothing more is written after that. */
enum cs_status cs_write_all_stop(int fd, const void *buf, size_t len, uint64_t off,
				 const volatile sig_atomic_t *stop, const char *what,
				 struct cs_err *err);

/* Little-endian field helpers for on-disk structures. */
static inline void cs_put_le16(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}
static inline void cs_put_le32(void *p, uint32_t v)
{
	uint8_t *b = p;
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}
static inline void cs_put_le64(void *p, uint64_t v)
{
	uint8_t *b = p;
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}
static inline void cs_put_be64(void *p, uint64_t v)
{
	uint8_t *b = p;
	for (int i = 0; i < 8; i++)
		b[7 - i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t cs_get_le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}
static inline uint32_t cs_get_le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static inline uint64_t cs_get_le64(const void *p)
{
	const uint8_t *b = p;
	return (uint64_t)cs_get_le32(b) | (uint64_t)cs_get_le32(b + 4) << 32;
}
static inline uint64_t cs_get_be64(const void *p)
{
	const uint8_t *b = p;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

#endif
