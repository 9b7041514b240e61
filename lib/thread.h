/* thread.h - start a helper thread that never takes a signal.
 *
 * The run's SIGINT/SIGTERM/SIGHUP handler only sets a flag
 * (collector/main.c); it must interrupt the main thread, so that a write it
 * is blocked in returns EINTR (cs_write_all_stop, lib/io.h).  Helper
 * threads (the compression workers, the analyst order's builder, the
 * flusher) are therefore started with every signal blocked, a mask they
 * keep; the caller's own mask is unchanged.
 */
#ifndef CS_THREAD_H
#define CS_THREAD_H

#include <pthread.h>

/* pthread_create()'s result: 0, or an error number */
int cs_thread_start(pthread_t *tid, void *(*fn)(void *), void *arg);

#endif
