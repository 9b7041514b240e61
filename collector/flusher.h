/* flusher.h - make a file's data durable while it is still being written.
 *
 * A dump file is fsync()ed before it gets its final name (target.h).  On a
 * disk with a volatile write cache that fsync makes the device persist the
 * whole dump at once, after all the work is done: on the lab host's virtio
 * disk the cache flush of a 1.5 GB dump took 0.7 s of a 2.4 s run
 * (doc/performance.md).  A flusher is one thread that fdatasync()s the file
 * each time it is asked, while the dump goes on, so the final fsync finds
 * little left.  Asking while a sync runs asks for one more after it, never
 * a queue.
 *
 * fdatasync() reports a write error to one caller only: a failure the
 * flusher saw is kept, and cs_flusher_status() returns it to the writer,
 * since the final fsync would not see it again.
 */
#ifndef CS_FLUSHER_H
#define CS_FLUSHER_H

#include <pthread.h>

#include "lib/error.h"

struct cs_flusher {
	int fd;
	int running;		/* the thread was started */
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	int requested, quit;	/* under lock */
	int error;		/* first errno fdatasync returned, under lock */
};

void cs_flusher_init(struct cs_flusher *f, int fd);
/* Ask for an fdatasync of the file; the first request starts the thread
 * (lib/thread.h: it takes no signal).  A thread that
 * cannot start is no failure: the final fsync then does all of it. */
void cs_flusher_request(struct cs_flusher *f);
/* CS_OK, or the first fdatasync failure, as "cannot sync @name: ..." */
enum cs_status cs_flusher_status(struct cs_flusher *f, const char *name, struct cs_err *err);
/* Wait for a running fdatasync and end the thread; then the same as
 * cs_flusher_status().  @err may be NULL. */
enum cs_status cs_flusher_stop(struct cs_flusher *f, const char *name, struct cs_err *err);

#endif
