/*
 * sessions.c - the registry of logged-in sessions (sessions.h).
 *
 * One list under one mutex: it changes at login and logout and is walked
 * only when an account's sessions are ended, never on the request path.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sessions.h"
#include "stats.h"
#include "xmalloc.h"

static struct {
	pthread_mutex_t		  lock;
	struct sessions_entry	**list;
	size_t			  n, cap;
} registry = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Take e off the list; registry.lock held. */
static void
sessions_remove(struct sessions_entry *e)
{
	if (!e->registered)
		return;
	for (size_t i = 0; i < registry.n; i++) {
		if (registry.list[i] == e) {
			registry.list[i] = registry.list[--registry.n];
			break;
		}
	}
	e->registered = false;
	e->n_changes = 0;
	atomic_store(&e->changed, false);
	if (!e->watching)
		stats_account_logout();
	e->watching = false;
}

/* Put e on the list as account_id's; registry.lock held, e not registered. */
static void
sessions_add(struct sessions_entry *e, int64_t account_id)
{
	e->account_id = account_id;
	clock_gettime(CLOCK_REALTIME, &e->login_time);
	if (registry.n == registry.cap) {
		registry.cap = registry.cap ? registry.cap * 2 : 64;
		registry.list = xrealloc(registry.list, registry.cap * sizeof *registry.list);
	}
	registry.list[registry.n++] = e;
	e->registered = true;
	e->n_changes = 0;
	atomic_store(&e->changed, false);
}

void
sessions_login(struct sessions_entry *e, int64_t account_id)
{
	pthread_mutex_lock(&registry.lock);
	sessions_remove(e);
	sessions_add(e, account_id);
	stats_account_login();
	pthread_mutex_unlock(&registry.lock);
}

void
sessions_watch(struct sessions_entry *e, int64_t account_id)
{
	pthread_mutex_lock(&registry.lock);
	if (!e->registered || e->watching) {
		sessions_remove(e);
		sessions_add(e, account_id);
		e->watching = true;
	}
	pthread_mutex_unlock(&registry.lock);
}

/* Keep c on e, one per record, at most SESSIONS_CHANGES_MAX; registry.lock held. */
static void
sessions_keep_change(struct sessions_entry *e, const struct sessions_change *c)
{
	size_t i;

	for (i = 0; i < e->n_changes; i++)
		if (e->changes[i].id == c->id && strcmp(e->changes[i].kind, c->kind) == 0)
			break;
	if (i == e->n_changes && e->n_changes == SESSIONS_CHANGES_MAX)
		i = 0;		/* full: the oldest goes */
	if (i < e->n_changes) {
		memmove(&e->changes[i], &e->changes[i + 1],
		    (e->n_changes - i - 1) * sizeof *e->changes);
		e->n_changes--;
	}
	e->changes[e->n_changes++] = *c;
	atomic_store(&e->changed, true);
}

int
sessions_record_changed(int64_t account_id, const struct sessions_change *c,
    unsigned long except)
{
	int n = 0;

	pthread_mutex_lock(&registry.lock);
	for (size_t i = 0; i < registry.n; i++) {
		struct sessions_entry *e = registry.list[i];
		uint64_t one = 1;

		if (e->account_id != account_id || (except != 0 && e->serial == except))
			continue;
		sessions_keep_change(e, c);
		if (e->wake_fd >= 0 && write(e->wake_fd, &one, sizeof one) < 0)
			log_debug("session %lu: wake: %s", e->serial, strerror(errno));
		n++;
	}
	pthread_mutex_unlock(&registry.lock);
	return n;
}

size_t
sessions_take_changes(struct sessions_entry *e, struct sessions_change *out)
{
	size_t n;

	pthread_mutex_lock(&registry.lock);
	n = e->n_changes;
	memcpy(out, e->changes, n * sizeof *out);
	e->n_changes = 0;
	atomic_store(&e->changed, false);
	pthread_mutex_unlock(&registry.lock);
	return n;
}

void
sessions_logout(struct sessions_entry *e)
{
	pthread_mutex_lock(&registry.lock);
	sessions_remove(e);
	e->account_id = 0;
	pthread_mutex_unlock(&registry.lock);
}

/* Seconds since the epoch of a wall-clock time. */
static double
sessions_seconds(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

/*
 * Mark the sessions of account_id other than except that logged in before
 * `before` (seconds since the epoch; HUGE_VAL: all); registry.lock held.
 */
static int
sessions_mark(int64_t account_id, const struct sessions_entry *except, double before)
{
	int n = 0;

	for (size_t i = 0; i < registry.n; i++) {
		struct sessions_entry *e = registry.list[i];

		if (e != except && e->account_id == account_id && !e->watching &&
		    sessions_seconds(&e->login_time) < before) {
			uint64_t one = 1;

			atomic_store(&e->revoked, true);
			/* Registered, so not yet freed: the thread unregisters first. */
			if (e->wake_fd >= 0 && write(e->wake_fd, &one, sizeof one) < 0)
				log_debug("session %lu: wake: %s", e->serial, strerror(errno));
			n++;
		}
	}
	return n;
}

int
sessions_end_account(int64_t account_id, struct sessions_entry *except)
{
	int n;

	pthread_mutex_lock(&registry.lock);
	n = sessions_mark(account_id, except, HUGE_VAL);
	/*
	 * The session that changed its own password has just proved the new
	 * one: for the reconciliation of notify.c it counts as logged in now,
	 * after the change.
	 */
	if (except != NULL && except->registered && except->account_id == account_id)
		clock_gettime(CLOCK_REALTIME, &except->login_time);
	pthread_mutex_unlock(&registry.lock);
	return n;
}

int
sessions_end_account_before(int64_t account_id, double before)
{
	int n;

	pthread_mutex_lock(&registry.lock);
	n = sessions_mark(account_id, NULL, before);
	pthread_mutex_unlock(&registry.lock);
	return n;
}

size_t
sessions_logged_in_accounts(int64_t **ids)
{
	size_t n = 0;

	pthread_mutex_lock(&registry.lock);
	*ids = xcalloc(registry.n + 1, sizeof **ids);
	for (size_t i = 0; i < registry.n; i++) {
		size_t j;

		if (registry.list[i]->watching)
			continue;
		for (j = 0; j < n && (*ids)[j] != registry.list[i]->account_id; j++)
			;
		if (j == n)
			(*ids)[n++] = registry.list[i]->account_id;
	}
	pthread_mutex_unlock(&registry.lock);
	return n;
}

int64_t
sessions_account_of(const struct sessions_entry *e)
{
	return e->registered ? e->account_id : 0;
}

size_t
sessions_registered(unsigned long **serials, int64_t **accounts)
{
	size_t n;

	pthread_mutex_lock(&registry.lock);
	n = registry.n;
	*serials = xcalloc(n + 1, sizeof **serials);
	*accounts = xcalloc(n + 1, sizeof **accounts);
	for (size_t i = 0; i < n; i++) {
		(*serials)[i] = registry.list[i]->serial;
		(*accounts)[i] = registry.list[i]->account_id;
	}
	pthread_mutex_unlock(&registry.lock);
	return n;
}

void
sessions_free(void)
{
	pthread_mutex_lock(&registry.lock);
	free(registry.list);
	registry.list = NULL;
	registry.n = registry.cap = 0;
	pthread_mutex_unlock(&registry.lock);
}
