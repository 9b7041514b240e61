/* flusher.c - see flusher.h */
#include "config.h"

#include "collector/flusher.h"

#include "lib/thread.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void cs_flusher_init(struct cs_flusher *f, int fd)
{
	memset(f, 0, sizeof(*f));
	f->fd = fd;
}

static void *flusher_main(void *arg)
{
	struct cs_flusher *f = arg;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		while (!f->requested && !f->quit)
			pthread_cond_wait(&f->cv, &f->lock);
		if (f->quit)
			break;
		f->requested = 0;
		pthread_mutex_unlock(&f->lock);
		if (fdatasync(f->fd) != 0) {
			int e = errno;

			pthread_mutex_lock(&f->lock);
			if (!f->error)
				f->error = e;
			continue;
		}
		pthread_mutex_lock(&f->lock);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

static int start(struct cs_flusher *f)
{
	if (pthread_mutex_init(&f->lock, NULL) != 0)
		return 0;
	if (pthread_cond_init(&f->cv, NULL) != 0) {
		pthread_mutex_destroy(&f->lock);
		return 0;
	}
	if (cs_thread_start(&f->tid, flusher_main, f) != 0) {
		pthread_cond_destroy(&f->cv);
		pthread_mutex_destroy(&f->lock);
		return 0;
	}
	f->running = 1;
	return 1;
}

void cs_flusher_request(struct cs_flusher *f)
{
	if (!f->running && !start(f))
		return;
	pthread_mutex_lock(&f->lock);
	f->requested = 1;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->lock);
}

enum cs_status cs_flusher_status(struct cs_flusher *f, const char *name, struct cs_err *err)
{
	int e;

	if (!f->running)
		return CS_OK;
	pthread_mutex_lock(&f->lock);
	e = f->error;
	pthread_mutex_unlock(&f->lock);
	if (!e)
		return CS_OK;
	if (!err)
		return CS_SYS;
	return cs_fail_errno(err, e, "cannot sync %s", name);
}

enum cs_status cs_flusher_stop(struct cs_flusher *f, const char *name, struct cs_err *err)
{
	enum cs_status st;

	if (!f->running)
		return CS_OK;
	pthread_mutex_lock(&f->lock);
	f->quit = 1;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->tid, NULL);
	st = cs_flusher_status(f, name, err);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->lock);
	f->running = 0;
	return st;
}
