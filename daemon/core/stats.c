/*
 * stats.c - counters for 'jxjyd status'.
 *
 * Plain atomic counters, except the per-second ring that gives requests
 * per second over the last minute: it takes a mutex, held for a few
 * instructions, because a bucket must be reset and counted as one step
 * when a new second begins.  A request already costs a database round
 * trip, so an uncontended lock is noise.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "stats.h"

#define STATS_WINDOW	60	/* seconds the rate is averaged over */

static atomic_int_fast64_t sessions_open, sessions_logged_in;
static atomic_int_fast64_t startups, startups_dropped, sessions_refused, sessions_stalled;
static atomic_int_fast64_t requests, request_errors, requests_slow;
static atomic_int_fast64_t hashes_waiting, hashes_running;
static atomic_int_fast64_t started_at;

/* Requests and their total duration per second, keyed by the second they ended in. */
static struct {
	pthread_mutex_t	 lock;
	struct {
		int64_t	 second;
		int64_t	 count;
		double	 ms;
	}		 bucket[STATS_WINDOW];
} ring = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int64_t
stats_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

void
stats_start(void)
{
	atomic_store(&started_at, stats_now());
}

void
stats_session_opened(void)
{
	atomic_fetch_add(&sessions_open, 1);
}

void
stats_session_closed(void)
{
	atomic_fetch_sub(&sessions_open, 1);
}

void
stats_startup_opened(void)
{
	atomic_fetch_add(&startups, 1);
}

void
stats_startup_closed(void)
{
	atomic_fetch_sub(&startups, 1);
}

void
stats_startup_dropped(void)
{
	atomic_fetch_add(&startups_dropped, 1);
}

void
stats_session_refused(void)
{
	atomic_fetch_add(&sessions_refused, 1);
}

void
stats_session_stalled(void)
{
	atomic_fetch_add(&sessions_stalled, 1);
}

int64_t
stats_logged_in(void)
{
	return atomic_load(&sessions_logged_in);
}

void
stats_account_login(void)
{
	atomic_fetch_add(&sessions_logged_in, 1);
}

void
stats_account_logout(void)
{
	atomic_fetch_sub(&sessions_logged_in, 1);
}

void
stats_request(double ms, bool ok, bool slow)
{
	int64_t now = stats_now();
	int i = (int)(now % STATS_WINDOW);

	atomic_fetch_add(&requests, 1);
	if (!ok)
		atomic_fetch_add(&request_errors, 1);
	if (slow)
		atomic_fetch_add(&requests_slow, 1);
	pthread_mutex_lock(&ring.lock);
	if (ring.bucket[i].second != now) {
		ring.bucket[i].second = now;
		ring.bucket[i].count = 0;
		ring.bucket[i].ms = 0;
	}
	ring.bucket[i].count++;
	ring.bucket[i].ms += ms;
	pthread_mutex_unlock(&ring.lock);
}

void
stats_hash_queued(void)
{
	atomic_fetch_add(&hashes_waiting, 1);
}

void
stats_hash_started(void)
{
	atomic_fetch_sub(&hashes_waiting, 1);
	atomic_fetch_add(&hashes_running, 1);
}

void
stats_hash_finished(void)
{
	atomic_fetch_sub(&hashes_running, 1);
}

/*
 * Fill *out.  The last minute is the current second and the 59 before it.
 */
void
stats_read(struct stats_snapshot *out)
{
	int64_t now = stats_now();

	memset(out, 0, sizeof *out);
	out->sessions_open = atomic_load(&sessions_open);
	out->sessions_logged_in = atomic_load(&sessions_logged_in);
	out->startups = atomic_load(&startups);
	out->startups_dropped = atomic_load(&startups_dropped);
	out->sessions_refused = atomic_load(&sessions_refused);
	out->sessions_stalled = atomic_load(&sessions_stalled);
	out->requests = atomic_load(&requests);
	out->request_errors = atomic_load(&request_errors);
	out->requests_slow = atomic_load(&requests_slow);
	out->hashes_waiting = atomic_load(&hashes_waiting);
	out->hashes_running = atomic_load(&hashes_running);
	out->uptime = now - atomic_load(&started_at);
	pthread_mutex_lock(&ring.lock);
	for (int i = 0; i < STATS_WINDOW; i++) {
		int64_t age = now - ring.bucket[i].second;

		if (age >= 0 && age < STATS_WINDOW) {
			out->requests_last_minute += ring.bucket[i].count;
			out->ms_last_minute += ring.bucket[i].ms;
		}
	}
	pthread_mutex_unlock(&ring.lock);
}
