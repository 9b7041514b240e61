/* mapread.c - see mapread.h */
#include "config.h"

#include "filter/mapread.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct window {
	uint64_t base;		/* file offset, a multiple of CS_MAPREAD_WINDOW */
	size_t len;		/* mapped bytes; 0 = slot empty */
	uint8_t *addr;
	unsigned int refs;	/* readers copying out of it now */
	uint64_t used;		/* clock of the last use, for LRU eviction */
};

struct cs_mapread {
	int fd;
	uint64_t size;
	int off;		/* mapping failed once: pread from now on */
	uint64_t clock;
	pthread_mutex_t lock;
	struct window w[CS_MAPREAD_WINDOWS];
};

enum cs_status cs_mapread_new(int fd, uint64_t file_size, struct cs_mapread **out,
			      struct cs_err *err)
{
	struct cs_mapread *m = calloc(1, sizeof(*m));

	if (!m)
		return cs_fail_nomem(err);
	m->fd = fd;
	m->size = file_size;
	pthread_mutex_init(&m->lock, NULL);
	*out = m;
	return CS_OK;
}

void cs_mapread_free(struct cs_mapread *m)
{
	if (!m)
		return;
	for (unsigned int i = 0; i < CS_MAPREAD_WINDOWS; i++)
		if (m->w[i].len)
			munmap(m->w[i].addr, m->w[i].len);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* The window holding @base, mapped if needed, with a reference taken; NULL
 * when none can be had.  Called with the lock held. */
static struct window *get_window(struct cs_mapread *m, uint64_t base)
{
	struct window *victim = NULL;
	void *a;
	size_t len;

	for (unsigned int i = 0; i < CS_MAPREAD_WINDOWS; i++) {
		struct window *w = &m->w[i];

		if (w->len && w->base == base) {
			w->refs++;
			w->used = ++m->clock;
			return w;
		}
		if (!w->refs && (!victim || !w->len || (victim->len && w->used < victim->used)))
			victim = w;
	}
	if (!victim)
		return NULL;
	if (victim->len) {
		munmap(victim->addr, victim->len);
		victim->len = 0;
	}
	len = m->size - base < CS_MAPREAD_WINDOW ? (size_t)(m->size - base) : CS_MAPREAD_WINDOW;
	a = mmap(NULL, len, PROT_READ, MAP_PRIVATE, m->fd, (off_t)base);
	if (a == MAP_FAILED) {
		m->off = 1;
		return NULL;
	}
	victim->base = base;
	victim->len = len;
	victim->addr = a;
	victim->refs = 1;
	victim->used = ++m->clock;
	return victim;
}

enum cs_status cs_mapread_copy(struct cs_mapread *m, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	if (off > m->size || len > m->size - off)
		return CS_NOTSUPP;
	while (len) {
		uint64_t base = off / CS_MAPREAD_WINDOW * CS_MAPREAD_WINDOW;
		size_t in = (size_t)(off - base), n;
		struct window *w;

		pthread_mutex_lock(&m->lock);
		w = m->off ? NULL : get_window(m, base);
		pthread_mutex_unlock(&m->lock);
		if (!w)
			return CS_NOTSUPP;	/* the caller preads all: a prefix re-read is harmless */
		n = w->len - in < len ? w->len - in : len;
		memcpy(p, w->addr + in, n);
		pthread_mutex_lock(&m->lock);
		w->refs--;
		pthread_mutex_unlock(&m->lock);
		p += n;
		off += n;
		len -= n;
	}
	return CS_OK;
}
