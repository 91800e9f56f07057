/*
 * admission.c - where each connection is counted, and whether a limit
 * lets it in (admission.h).  One mutex: taken per connection and at its
 * authentication, never per request.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admission.h"
#include "config.h"
#include "log.h"
#include "stats.h"
#include "xmalloc.h"

/*
 * Connections, counted three ways: all of them per source address (what
 * sessions.max_per_source bounds, so one address cannot hold every thread);
 * those not yet past SSH authentication (sessions.max_startups, sshd's
 * MaxStartups); and authenticated sessions (sessions.max), so that silent
 * or slow connections can never keep people out of sessions.max.
 */
static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 gone;
	int		 connections;	/* every thread, whatever its state */
	int		 startups;	/* not yet authenticated */
	int		 total;		/* authenticated sessions */
	struct source_count {
		char	 address[48];
		int	 count;
	}		*sources;
	size_t		 n_sources, cap_sources;
	unsigned long	 serial;
	/*
	 * Threads that have finished their session, to be joined by the main
	 * thread.  Joining (rather than detaching) means that when the server
	 * stops, every thread has really gone, thread-local state of the
	 * libraries included, before the process exits.
	 */
	pthread_t	*finished;
	size_t		 n_finished, cap_finished;
} counts = { .lock = PTHREAD_MUTEX_INITIALIZER, .gone = PTHREAD_COND_INITIALIZER };

/* Written by a finishing session thread so that the main thread joins it. */
static int reap_pipe[2] = { -1, -1 };

/*
 * sshd's MaxStartups: whether a new connection is dropped when n others
 * are not yet authenticated.  Below start none is; from start on, each is
 * dropped with a probability rising from rate % to 100 % at full.
 */
static bool
admission_dropped(const struct config *cfg, int n)
{
	int p;

	if (n >= cfg->startups_full)
		return true;
	if (n < cfg->startups_begin)
		return false;
	p = (100 - cfg->startups_rate) * (n - cfg->startups_begin) /
	    (cfg->startups_full - cfg->startups_begin) + cfg->startups_rate;
	return (int)arc4random_uniform(100) < p;
}

bool
admission_startup(const char *address, unsigned long *serial, const char **why)
{
	const struct config *cfg = config_current();
	struct source_count *sc = NULL;
	bool ok = false;

	pthread_mutex_lock(&counts.lock);
	for (size_t i = 0; i < counts.n_sources; i++) {
		if (strcmp(counts.sources[i].address, address) == 0) {
			sc = &counts.sources[i];
			break;
		}
	}
	if (sc != NULL && sc->count >= cfg->max_sessions_per_source) {
		*why = "too many sessions from this address";
	} else if (admission_dropped(cfg, counts.startups)) {
		*why = "too many sessions not yet authenticated (sessions.max_startups)";
		stats_startup_dropped();
	} else {
		if (sc == NULL) {
			if (counts.n_sources == counts.cap_sources) {
				counts.cap_sources = counts.cap_sources ? counts.cap_sources * 2 : 16;
				counts.sources = xrealloc(counts.sources,
				    counts.cap_sources * sizeof *counts.sources);
			}
			sc = &counts.sources[counts.n_sources++];
			snprintf(sc->address, sizeof sc->address, "%s", address);
			sc->count = 0;
		}
		sc->count++;
		counts.connections++;
		counts.startups++;
		stats_startup_opened();
		*serial = ++counts.serial;
		ok = true;
	}
	pthread_mutex_unlock(&counts.lock);
	return ok;
}

bool
admission_session(bool guest, const char **why)
{
	const struct config *cfg = config_current();
	bool ok = false;

	pthread_mutex_lock(&counts.lock);
	counts.startups--;
	stats_startup_closed();
	if (counts.total >= cfg->max_sessions) {
		*why = "too many sessions";
	} else if (guest && counts.total - stats_logged_in() >= cfg->max_guests) {
		*why = "too many guest sessions (sessions.max_guests)";
	} else {
		counts.total++;
		stats_session_opened();
		ok = true;
	}
	if (!ok)
		stats_session_refused();
	pthread_mutex_unlock(&counts.lock);
	return ok;
}

void
admission_release(const char *address, enum session_admission adm, bool thread)
{
	pthread_mutex_lock(&counts.lock);
	if (thread) {
		if (counts.n_finished == counts.cap_finished) {
			counts.cap_finished = counts.cap_finished ? counts.cap_finished * 2 : 64;
			counts.finished = xrealloc(counts.finished,
			    counts.cap_finished * sizeof *counts.finished);
		}
		counts.finished[counts.n_finished++] = pthread_self();
		if (write(reap_pipe[1], "r", 1) < 0) {
			/* Full: the main thread has wake-ups enough pending. */
		}
	}
	for (size_t i = 0; i < counts.n_sources; i++) {
		if (strcmp(counts.sources[i].address, address) == 0) {
			if (--counts.sources[i].count == 0)
				counts.sources[i] = counts.sources[--counts.n_sources];
			break;
		}
	}
	if (adm == ADMISSION_STARTUP) {
		counts.startups--;
		stats_startup_closed();
	} else if (adm == ADMISSION_SESSION) {
		counts.total--;
		stats_session_closed();
	}
	counts.connections--;
	pthread_cond_broadcast(&counts.gone);
	pthread_mutex_unlock(&counts.lock);
}

void
admission_reap(void)
{
	char buf[256];
	pthread_t *done;
	size_t n;

	while (read(reap_pipe[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&counts.lock);
	done = counts.finished;
	n = counts.n_finished;
	counts.finished = NULL;
	counts.n_finished = counts.cap_finished = 0;
	pthread_mutex_unlock(&counts.lock);
	for (size_t i = 0; i < n; i++)
		pthread_join(done[i], NULL);
	free(done);
}

void
admission_init(void)
{
	if (pipe2(reap_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		fatal("cannot set up signals: %s", strerror(errno));
}

int
admission_reap_fd(void)
{
	return reap_pipe[0];
}

int
admission_drain(int seconds)
{
	struct timespec deadline;
	int left;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += seconds;
	pthread_mutex_lock(&counts.lock);
	while (counts.connections > 0) {
		if (pthread_cond_timedwait(&counts.gone, &counts.lock, &deadline) != 0)
			break;
	}
	left = counts.connections;
	pthread_mutex_unlock(&counts.lock);
	return left;
}

void
admission_free(void)
{
	close(reap_pipe[0]);
	close(reap_pipe[1]);
	reap_pipe[0] = reap_pipe[1] = -1;
	free(counts.sources);
	counts.sources = NULL;
	counts.n_sources = counts.cap_sources = 0;
}
