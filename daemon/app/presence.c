/*
 * presence.c - the sessions that could hear a record.changed, as the
 * database knows them (presence.h, schema/020-notify-when-heard.sql).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "notify.h"
#include "presence.h"
#include "session.h"
#include "sessions.h"
#include "xmalloc.h"

#define PRESENCE_WAIT_MS	2000	/* for a connection, after a login's request */
#define PRESENCE_SYNC_TICKS	60	/* ticks (about seconds) between two full syncs */
/* Ended sessions kept to be deleted while the database is away; past it, a full sync. */
#define PRESENCE_GONE_MAX	65536

/*
 * The presence clock: each row written says when (made), so that a full
 * sync deletes only rows written before it looked at the sessions, never
 * the row of a login that came after.
 */
static atomic_llong presence_clock;

static struct {
	pthread_mutex_t	 lock;
	unsigned long	*serials;	/* sessions ended with a row */
	size_t		 n, cap;
	bool		 resync;	/* some are lost (too many): sync in full */
} gone = { .lock = PTHREAD_MUTEX_INITIALIZER };

DB_STMT(presence_enter_stmt,
    "INSERT INTO session_presence (instance, serial, account_id, made)"
    " VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (instance, serial) DO UPDATE SET account_id = EXCLUDED.account_id,"
    "  made = EXCLUDED.made, seen_at = now()");
DB_STMT(presence_leave_stmt,
    "DELETE FROM session_presence WHERE instance = $1 AND serial = ANY($2::bigint[])");
/*
 * This jxjyd's rows as its sessions are ($2 serials, $3 accounts): the
 * ones written before $4 of sessions no longer here deleted, the others
 * written or refreshed; and the rows of a jxjyd not seen for five minutes
 * (killed, or cut off from the database that long) deleted.
 */
DB_STMT(presence_sync_stmt,
    "WITH mine AS (SELECT * FROM unnest($2::bigint[], $3::bigint[]) AS m (serial, account_id)),"
    " gone AS (DELETE FROM session_presence p WHERE p.instance = $1 AND p.made < $4"
    "  AND p.serial <> ALL ($2::bigint[])),"
    " stale AS (DELETE FROM session_presence p WHERE p.instance <> $1"
    "  AND p.seen_at < now() - interval '5 minutes')"
    " INSERT INTO session_presence (instance, serial, account_id, made)"
    " SELECT $1, serial, account_id, $4 FROM mine"
    " ON CONFLICT (instance, serial) DO UPDATE SET account_id = EXCLUDED.account_id,"
    "  seen_at = now()");

/* One statement on db; false (logged) when it failed. */
static bool
presence_exec(struct db_conn *db, struct db_stmt *st, int n, const char *const *params)
{
	PGresult *r = db_exec(db, st, n, params);

	if (r == NULL) {
		log_warning("presence: %s: %s (a change of a record may not be told to "
		    "its person's sessions until it is written)", st->name, db_error_text(db));
		return false;
	}
	PQclear(r);
	return true;
}

void
presence_settle(struct rpc_call *call)
{
	struct session *s = call->session;
	int64_t want = sessions_account_of(&s->registry);
	struct db_conn *db = call->db, *own = NULL;
	char serial[24], account[24], made[24], array[32];
	bool ok;

	if (want == s->presence_account)
		return;
	if (db == NULL || db_from_replica(db)) {
		if ((db = own = db_acquire(PRESENCE_WAIT_MS)) == NULL) {
			log_warning("presence: session %lu: no database connection; its row is "
			    "written at its next request", s->serial);
			return;
		}
	}
	snprintf(serial, sizeof serial, "%lu", s->serial);
	if (want != 0) {
		snprintf(account, sizeof account, "%lld", (long long)want);
		snprintf(made, sizeof made, "%lld", (long long)atomic_fetch_add(&presence_clock, 1) + 1);
		ok = presence_exec(db, &presence_enter_stmt, 4,
		    (const char *const[]){ notify_instance(), serial, account, made });
	} else {
		snprintf(array, sizeof array, "{%lu}", s->serial);
		ok = presence_exec(db, &presence_leave_stmt, 2,
		    (const char *const[]){ notify_instance(), array });
	}
	if (ok)
		s->presence_account = want;
	if (own != NULL)
		db_release(own);
}

void
presence_forget(struct session *s)
{
	if (s->presence_account == 0)
		return;
	pthread_mutex_lock(&gone.lock);
	if (gone.n == PRESENCE_GONE_MAX) {
		gone.n = 0;
		gone.resync = true;
	}
	if (gone.n == gone.cap) {
		gone.cap = gone.cap ? gone.cap * 2 : 64;
		gone.serials = xrealloc(gone.serials, gone.cap * sizeof *gone.serials);
	}
	gone.serials[gone.n++] = s->serial;
	pthread_mutex_unlock(&gone.lock);
	s->presence_account = 0;
}

/* "{1,2,3}" of n numbers (ull: serials, ll: accounts). */
static char *
presence_array(const unsigned long *u, const int64_t *l, size_t n)
{
	char *out = xmalloc(n * 21 + 3), *p = out;

	*p++ = '{';
	for (size_t i = 0; i < n; i++)
		p += u != NULL ? sprintf(p, "%s%lu", i > 0 ? "," : "", u[i]) :
		    sprintf(p, "%s%lld", i > 0 ? "," : "", (long long)l[i]);
	*p++ = '}';
	*p = '\0';
	return out;
}

/* Delete the rows of the sessions that ended since the last tick. */
static void
presence_delete_gone(struct db_conn *db)
{
	unsigned long *serials;
	size_t n;
	char *array;
	bool ok;

	pthread_mutex_lock(&gone.lock);
	serials = gone.serials;
	n = gone.n;
	gone.serials = NULL;
	gone.n = gone.cap = 0;
	pthread_mutex_unlock(&gone.lock);
	if (n == 0) {
		free(serials);
		return;
	}
	array = presence_array(serials, NULL, n);
	ok = presence_exec(db, &presence_leave_stmt, 2,
	    (const char *const[]){ notify_instance(), array });
	free(array);
	free(serials);
	if (!ok) {
		pthread_mutex_lock(&gone.lock);
		gone.resync = true;	/* the full sync deletes them */
		pthread_mutex_unlock(&gone.lock);
	}
}

/* This jxjyd's rows as its sessions are now; false when it failed (logged). */
static bool
presence_sync(struct db_conn *db)
{
	unsigned long *serials;
	int64_t *accounts;
	char made[24], *a, *b;
	size_t n;
	bool ok;

	/* The clock first: a row written after this has made >= it and stays. */
	snprintf(made, sizeof made, "%lld", (long long)atomic_fetch_add(&presence_clock, 1) + 1);
	n = sessions_registered(&serials, &accounts);
	a = presence_array(serials, NULL, n);
	b = presence_array(NULL, accounts, n);
	ok = presence_exec(db, &presence_sync_stmt, 4,
	    (const char *const[]){ notify_instance(), a, b, made });
	free(a);
	free(b);
	free(serials);
	free(accounts);
	return ok;
}

void
presence_tick(struct db_conn *db)
{
	static int ticks;
	bool resync;

	presence_delete_gone(db);
	pthread_mutex_lock(&gone.lock);
	resync = gone.resync;
	gone.resync = false;
	pthread_mutex_unlock(&gone.lock);
	/* The first tick too: rows of a jxjyd killed before this one started go. */
	if (resync || ticks++ % PRESENCE_SYNC_TICKS == 0) {
		if (!presence_sync(db)) {
			pthread_mutex_lock(&gone.lock);
			gone.resync = true;
			pthread_mutex_unlock(&gone.lock);
		}
	}
}
