/* thread.c - see thread.h */
#include "config.h"

#include "lib/thread.h"

#include <signal.h>

int cs_thread_start(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	sigset_t all, saved;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &saved);
	rc = pthread_create(tid, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	return rc;
}
