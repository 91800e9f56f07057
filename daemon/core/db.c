/*
 * db.c - the connection pool and named, lazily prepared statements.
 *
 * A pooled connection outlives many requests, and PostgreSQL may restart
 * under it.  The server then says goodbye (a FATAL message) and hangs up,
 * but libpq learns of that only when it next reads, so PQstatus still
 * says CONNECTION_OK and the next statement would fail.  Between
 * statements outside a transaction the server has nothing to say: a
 * socket with something to read then means the connection is gone.  So
 * before such a statement runs the socket is polled, and a gone
 * connection is replaced (db_renew).  A restart in the instant between
 * that check and the statement still breaks it; the statement is then
 * run again once on a new connection when that cannot do anything twice
 * (BEGIN, SET, a PREPARE: nothing of a transaction was done yet), and
 * otherwise fails with the connection marked broken, which callers turn
 * into "database_unavailable" (db_unavailable), never an internal error.
 *
 * A failover (docs/design.md "Failover") is the same seen from here, plus
 * a server that refuses writes as read-only (a demoted primary): its
 * connections are closed so that the next go through the balancer to the
 * primary of now.  New connections back off while none can be made.  What
 * each request did for good is kept per thread (db_request_retryable), so
 * that the dispatcher runs again only a request that committed nothing.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "xmalloc.h"

#define DB_MAX_STMTS	512

struct db_conn {
	PGconn		*pg;
	bool		 in_use;
	bool		 pooled;
	unsigned char	 prepared[DB_MAX_STMTS];	/* by stmt slot */
	char		 origin[DB_ORIGIN_MAX];	/* jxjy.origin as last set here */
	bool		 drop;		/* read-only server: close at release, reconnect */
	char		 sqlstate[6];
	char		 errtext[512];
};

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 freed;
	struct db_conn	*conns;
	int		 size;
	int		 busy;
	char		*conninfo;
	int		 statement_timeout;
	int		 backoff_ms;	/* after a failed connect: 0, else 100 ms doubling to DB_BACKOFF_MAX_MS */
	struct timespec	 next_connect;	/* CLOCK_MONOTONIC: no new connection before */
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER, .freed = PTHREAD_COND_INITIALIZER };

static atomic_int next_slot = 1;

/* The longest wait between two attempts to open a pooled connection. */
#define DB_BACKOFF_MAX_MS	2000

/*
 * What the request running on this thread has done that cannot be taken
 * back (db_request_start, db_request_retryable): a COMMIT or a statement
 * that may write outside a transaction answered with success (committed),
 * or sent with no answer because the connection broke (maybe committed).
 */
static _Thread_local struct {
	bool	committed;
	bool	unknown;
} thread_request;

/* db_set_origin's, for the connections this thread acquires. */
static _Thread_local char thread_origin[DB_ORIGIN_MAX];

void
db_set_origin(const char *origin)
{
	snprintf(thread_origin, sizeof thread_origin, "%s", origin != NULL ? origin : "");
}

/*
 * Give c the thread's origin (the setting jxjy.origin, which the triggers
 * of schema/008 put in their notices) unless it has it already: one round
 * trip only when another session used c last.  A failure is logged; the
 * notice then names no origin or a wrong one, which costs a notification
 * at most (the next acquire tries again).
 */
static void
db_apply_origin(struct db_conn *c)
{
	const char *params[1] = { thread_origin };
	PGresult *r;

	if (strcmp(c->origin, thread_origin) == 0)
		return;
	r = PQexecParams(c->pg, "SELECT set_config('jxjy.origin', $1, false)", 1, NULL,
	    params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		snprintf(c->origin, sizeof c->origin, "%s", thread_origin);
	else
		log_warning("database: cannot set jxjy.origin: %s", PQerrorMessage(c->pg));
	PQclear(r);
}

int
db_year_now(void)
{
	time_t t = time(NULL) + DB_TIME_ZONE_OFFSET;
	struct tm tm;

	gmtime_r(&t, &tm);
	return tm.tm_year + 1900;
}

void
db_pool_init(const char *conninfo, int size, int statement_timeout_ms)
{
	pool.conns = xcalloc(size, sizeof *pool.conns);
	pool.size = size;
	pool.conninfo = xstrdup(conninfo);
	pool.statement_timeout = statement_timeout_ms;
	for (int i = 0; i < size; i++)
		pool.conns[i].pooled = true;
}

void
db_pool_close(void)
{
	pthread_mutex_lock(&pool.lock);
	for (int i = 0; i < pool.size; i++) {
		if (pool.conns[i].pg != NULL)
			PQfinish(pool.conns[i].pg);
		pool.conns[i].pg = NULL;
	}
	free(pool.conns);
	pool.conns = NULL;
	free(pool.conninfo);
	pool.conninfo = NULL;
	pool.size = 0;
	pthread_mutex_unlock(&pool.lock);
}

static PGresult *db_check(struct db_conn *c, PGresult *r, const char *what);

static void
db_set_error(struct db_conn *c, const char *state, const char *text)
{
	snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state ? state : "");
	snprintf(c->errtext, sizeof c->errtext, "%s", text ? text : "");
	/* libpq messages end in a newline; the log adds its own. */
	size_t n = strlen(c->errtext);
	while (n > 0 && (c->errtext[n - 1] == '\n' || c->errtext[n - 1] == ' '))
		c->errtext[--n] = '\0';
}

/* Server notices (e.g. "already exists, skipping") are not for the console. */
static void
db_notice(void *arg, const char *message)
{
	log_debug("database: %s", message);
}

/* Run a setting on a connection being opened (no check for a gone one: it is new). */
static int
db_setting(struct db_conn *c, const char *sql)
{
	PGresult *r = db_check(c, PQexec(c->pg, sql), sql);

	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* Open c->pg; returns false (and logs) on failure. */
static bool
db_open(struct db_conn *c, const char *conninfo, int statement_timeout)
{
	char opts[64];

	c->pg = PQconnectdb(conninfo);
	if (PQstatus(c->pg) != CONNECTION_OK) {
		db_set_error(c, "08006", PQerrorMessage(c->pg));
		log_error("database: cannot connect: %s", c->errtext);
		PQfinish(c->pg);
		c->pg = NULL;
		return false;
	}
	PQsetNoticeProcessor(c->pg, db_notice, NULL);
	memset(c->prepared, 0, sizeof c->prepared);
	c->origin[0] = '\0';
	snprintf(opts, sizeof opts, "SET statement_timeout = %d", statement_timeout);
	if (db_setting(c, opts) != 0 ||
	    db_setting(c, "SET TIME ZONE '" DB_TIME_ZONE "'") != 0) {
		PQfinish(c->pg);
		c->pg = NULL;
		return false;
	}
	return true;
}

/*
 * Whether c's connection is gone: closed, broken, or (outside a
 * transaction, when the server has nothing to say) its socket readable,
 * which is the server's goodbye or its hanging up.  Inside a transaction
 * nothing is checked: replacing the connection would lose the transaction,
 * and its next statement fails anyway.
 */
static bool
db_gone(struct db_conn *c)
{
	struct pollfd pfd;
	int rc;

	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK)
		return true;
	if (PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		return false;
	if ((pfd.fd = PQsocket(c->pg)) < 0)
		return true;
	pfd.events = POLLIN;
	do {
		rc = poll(&pfd, 1, 0);
	} while (rc < 0 && errno == EINTR);
	return rc != 0;
}

/*
 * Open a pooled connection, but not sooner than the backoff after the
 * last failed attempt allows: while the database is away (a failover
 * takes seconds) the requests of every session would otherwise each
 * knock at once.  Waits at most DB_BACKOFF_MAX_MS; the wait doubles from
 * 100 ms with each failure and is forgotten at the first success.
 */
static bool
db_open_pooled(struct db_conn *c)
{
	struct timespec now, until;
	long long wait_ns;
	bool ok;

	pthread_mutex_lock(&pool.lock);
	until = pool.next_connect;
	pthread_mutex_unlock(&pool.lock);
	clock_gettime(CLOCK_MONOTONIC, &now);
	wait_ns = (long long)(until.tv_sec - now.tv_sec) * 1000000000LL +
	    (until.tv_nsec - now.tv_nsec);
	if (wait_ns > 0) {
		struct timespec d = { wait_ns / 1000000000LL, wait_ns % 1000000000LL };

		while (nanosleep(&d, &d) != 0 && errno == EINTR)
			;
	}
	ok = db_open(c, pool.conninfo, pool.statement_timeout);
	pthread_mutex_lock(&pool.lock);
	if (ok) {
		if (pool.backoff_ms > 0)
			log_warning("database: connected again");
		pool.backoff_ms = 0;
	} else {
		pool.backoff_ms = pool.backoff_ms == 0 ? 100 :
		    pool.backoff_ms * 2 > DB_BACKOFF_MAX_MS ? DB_BACKOFF_MAX_MS :
		    pool.backoff_ms * 2;
		clock_gettime(CLOCK_MONOTONIC, &pool.next_connect);
		pool.next_connect.tv_sec += pool.backoff_ms / 1000;
		pool.next_connect.tv_nsec += (long)(pool.backoff_ms % 1000) * 1000000;
		if (pool.next_connect.tv_nsec >= 1000000000) {
			pool.next_connect.tv_sec++;
			pool.next_connect.tv_nsec -= 1000000000;
		}
	}
	pthread_mutex_unlock(&pool.lock);
	return ok;
}

/*
 * Before a statement: replace a pooled connection that is gone.  Returns
 * false, with the error recorded (SQLSTATE 08006), when no new one can be
 * made.  Connections outside the pool (the listener, migrations) are left
 * to their owners.
 */
static bool
db_renew(struct db_conn *c)
{
	if (!c->pooled || !db_gone(c))
		return true;
	if (c->pg != NULL) {
		log_warning("database: a pooled connection was closed by the server "
		    "(restarted, or failed over?); connecting again");
		PQfinish(c->pg);
		c->pg = NULL;
	}
	return db_open_pooled(c);
}

/*
 * After a failed command that cannot have changed anything: true when
 * the failure was the connection breaking before any transaction was
 * open (was_idle) and a new connection could be made, so that the command
 * may be sent once more.
 */
static bool
db_retry(struct db_conn *c, bool was_idle)
{
	if (!c->pooled || !was_idle || c->pg == NULL || PQstatus(c->pg) == CONNECTION_OK)
		return false;
	log_warning("database: the connection broke (restarted?); trying once more "
	    "on a new one");
	return db_renew(c);
}

/* Whether c is a pooled connection outside any transaction (a command on it may be retried). */
static bool
db_idle(struct db_conn *c)
{
	return c->pooled && c->pg != NULL && PQtransactionStatus(c->pg) == PQTRANS_IDLE;
}

struct db_conn *
db_acquire(int wait_ms)
{
	struct timespec deadline, start;
	struct db_conn *c = NULL;
	int i;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += wait_ms / 1000;
	deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}

	pthread_mutex_lock(&pool.lock);
	while (pool.busy == pool.size) {
		if (pthread_cond_timedwait(&pool.freed, &pool.lock, &deadline) == ETIMEDOUT &&
		    pool.busy == pool.size) {
			pthread_mutex_unlock(&pool.lock);
			log_warning("database: no pooled connection free after %d ms", wait_ms);
			return NULL;
		}
	}
	/*
	 * Prefer a connection that is already open, and of those the one that
	 * has this thread's origin already (the one this session used last,
	 * while it is free): db_apply_origin then saves a round trip.
	 */
	for (i = 0; i < pool.size; i++) {
		if (!pool.conns[i].in_use && pool.conns[i].pg != NULL) {
			if (c == NULL)
				c = &pool.conns[i];
			if (strcmp(pool.conns[i].origin, thread_origin) == 0) {
				c = &pool.conns[i];
				break;
			}
		}
	}
	for (i = 0; c == NULL && i < pool.size; i++) {
		if (!pool.conns[i].in_use)
			c = &pool.conns[i];
	}
	c->in_use = true;
	pool.busy++;
	pthread_mutex_unlock(&pool.lock);

	/*
	 * Connecting happens outside the lock: it may take a while.  While the
	 * database is away (a failover takes seconds) keep trying, backing off
	 * (db_open_pooled), until the wait is over: a request then waits out a
	 * short outage instead of failing.
	 */
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!db_renew(c)) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >=
		    wait_ms) {
			db_release(c);
			return NULL;
		}
	}
	c->sqlstate[0] = c->errtext[0] = '\0';
	db_apply_origin(c);
	return c;
}

void
db_release(struct db_conn *c)
{
	if (c == NULL)
		return;
	if (c->pg != NULL) {
		/*
		 * Never hand on a connection inside a transaction, broken, or to a
		 * server that refused a write as read-only (a standby, a demoted
		 * primary): the next one is opened through the same conninfo,
		 * which a balancer routes to the primary of now.
		 */
		if (PQstatus(c->pg) != CONNECTION_OK || c->drop) {
			PQfinish(c->pg);
			c->pg = NULL;
		} else if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
			PGresult *r = PQexec(c->pg, "ROLLBACK");
			PQclear(r);
			if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
				PQfinish(c->pg);
				c->pg = NULL;
			}
		}
	}
	pthread_mutex_lock(&pool.lock);
	if (c->drop) {
		/* The others idle here were opened to the same read-only server. */
		for (int i = 0; i < pool.size; i++) {
			if (!pool.conns[i].in_use && pool.conns[i].pg != NULL) {
				PQfinish(pool.conns[i].pg);
				pool.conns[i].pg = NULL;
			}
		}
		c->drop = false;
	}
	c->in_use = false;
	pool.busy--;
	pthread_cond_signal(&pool.freed);
	pthread_mutex_unlock(&pool.lock);
}

/* Keep the result when it succeeded; otherwise record the error and clear it. */
static PGresult *
db_check(struct db_conn *c, PGresult *r, const char *what)
{
	ExecStatusType st = PQresultStatus(r);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		c->sqlstate[0] = c->errtext[0] = '\0';
		return r;
	}
	db_set_error(c, r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : "08006",
	    r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg));
	/* A broken connection may leave a result without SQLSTATE. */
	if (c->sqlstate[0] == '\0' && PQstatus(c->pg) != CONNECTION_OK)
		snprintf(c->sqlstate, sizeof c->sqlstate, "08006");
	if (db_read_only(c))
		c->drop = true;
	/* Constraint violations are expected outcomes callers turn into replies. */
	if (strncmp(c->sqlstate, "23", 2) == 0 || strcmp(c->sqlstate, "40001") == 0)
		log_debug("database: %s: %s (%s)", what, c->errtext, c->sqlstate);
	else
		log_error("database: %s: %s (%s)", what, c->errtext, c->sqlstate);
	PQclear(r);
	return NULL;
}

/* Whether the word p (len bytes) is one of words, in any case. */
static bool
db_word_in(const char *p, size_t len, const char *const *words)
{
	for (size_t i = 0; words[i] != NULL; i++) {
		if (strlen(words[i]) == len && strncasecmp(p, words[i], len) == 0)
			return true;
	}
	return false;
}

/* db.h; a word inside a quoted literal counts too, which costs a retry at most. */
bool
db_sql_may_write(const char *sql)
{
	static const char *const writes[] = { "insert", "update", "delete", "merge",
	    "copy", "truncate", "nextval", "setval", "pg_notify", NULL };
	/* What a statement that changes no data starts with. */
	static const char *const reads[] = { "select", "with", "begin", "start", "rollback",
	    "set", "show", NULL };
	const char *p = sql;
	bool first = true;

	while (*p != '\0') {
		size_t len;

		if (!(isalnum((unsigned char)*p) || *p == '_')) {
			p++;
			continue;
		}
		len = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		if (first && !db_word_in(p, len, reads))
			return true;
		first = false;
		if (db_word_in(p, len, writes))
			return true;
		p += len;
	}
	return first;	/* no word at all: not a read we know */
}

/*
 * Keep what the request on this thread has done for good (thread_request):
 * sql ran on c with r its checked result (NULL: it failed), and idle says
 * whether it was sent outside a transaction.  A COMMIT, or a statement
 * that may write outside a transaction, that succeeded has committed; one
 * that got no answer because the connection broke may have.  One that
 * the server answered with an error did not: PostgreSQL rolls it back.
 */
static void
db_note_sent(struct db_conn *c, const char *sql, bool idle, const PGresult *r)
{
	bool commit = strcasecmp(sql, "COMMIT") == 0 || strcasecmp(sql, "END") == 0;

	if (!commit && !(idle && db_sql_may_write(sql)))
		return;
	if (r != NULL)
		thread_request.committed = true;
	else if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK ||
	    strncmp(c->sqlstate, "08", 2) == 0)
		thread_request.unknown = true;
}

void
db_request_start(void)
{
	thread_request.committed = thread_request.unknown = false;
}

bool
db_request_retryable(void)
{
	return !thread_request.committed && !thread_request.unknown;
}

PGresult *
db_exec(struct db_conn *c, struct db_stmt *st, int n, const char *const *params)
{
	PGresult *r;
	bool idle;
	int slot = __atomic_load_n(&st->slot, __ATOMIC_ACQUIRE);
	char name[64];

	if (slot == 0) {
		int want = atomic_fetch_add(&next_slot, 1);
		int expected = 0;

		if (want >= DB_MAX_STMTS)
			fatal("database: more than %d statements declared", DB_MAX_STMTS);
		/* Two threads may race here; whichever slot lands is used by all. */
		if (!__atomic_compare_exchange_n(&st->slot, &expected, want, false,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			want = expected;
		slot = want;
	}
	if (!db_renew(c))
		return NULL;
	/* The slot makes the name unique (db.h); the variable makes it readable. */
	snprintf(name, sizeof name, "%d:%s", slot, st->name);
	if (!c->prepared[slot]) {
		idle = db_idle(c);
		r = db_check(c, PQprepare(c->pg, name, st->sql, 0, NULL), name);

		/* Preparing does nothing a second time could repeat. */
		if (r == NULL && db_retry(c, idle))
			r = db_check(c, PQprepare(c->pg, name, st->sql, 0, NULL), name);
		if (r == NULL)
			return NULL;
		PQclear(r);
		c->prepared[slot] = 1;
	}
	idle = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
	r = db_check(c, PQexecPrepared(c->pg, name, n, params, NULL, NULL, 0), name);
	db_note_sent(c, st->sql, idle, r);
	return r;
}

/* Commands that change nothing by themselves, so may be sent again after a broken connection. */
static bool
db_repeatable(const char *sql)
{
	return strcmp(sql, "BEGIN") == 0 || strncmp(sql, "SET ", 4) == 0;
}

PGresult *
db_exec_simple(struct db_conn *c, const char *sql)
{
	PGresult *r;
	bool idle;

	if (!db_renew(c))
		return NULL;
	idle = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
	r = db_check(c, PQexec(c->pg, sql), sql);
	if (r == NULL && db_repeatable(sql) && db_retry(c, idle && c->pooled))
		r = db_check(c, PQexec(c->pg, sql), sql);
	db_note_sent(c, sql, idle, r);
	return r;
}

int
db_command(struct db_conn *c, const char *sql)
{
	PGresult *r = db_exec_simple(c, sql);

	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

bool
db_begin(struct db_conn *c)
{
	return db_command(c, "BEGIN") == 0;
}

bool
db_commit(struct db_conn *c)
{
	return db_command(c, "COMMIT") == 0;
}

void
db_rollback(struct db_conn *c)
{
	if (c->pg != NULL && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		PQclear(PQexec(c->pg, "ROLLBACK"));
}

bool
db_unavailable(struct db_conn *c)
{
	return c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK ||
	    strncmp(c->sqlstate, "08", 2) == 0 || strncmp(c->sqlstate, "57P", 3) == 0 ||
	    db_read_only(c);
}

bool
db_read_only(struct db_conn *c)
{
	return strcmp(c->sqlstate, "25006") == 0;
}

const char *
db_error_sqlstate(struct db_conn *c)
{
	return c->sqlstate;
}

const char *
db_error_text(struct db_conn *c)
{
	return c->errtext;
}

PGconn *
db_pgconn(struct db_conn *c)
{
	return c->pg;
}

void
db_pool_stats(int *open, int *busy, int *size)
{
	int n = 0;

	pthread_mutex_lock(&pool.lock);
	for (int i = 0; i < pool.size; i++)
		n += pool.conns[i].pg != NULL;
	*open = n;
	*busy = pool.busy;
	*size = pool.size;
	pthread_mutex_unlock(&pool.lock);
}

struct db_conn *
db_connect_single(const char *conninfo, char *err, size_t errsize)
{
	struct db_conn *c = xcalloc(1, sizeof *c);

	if (!db_open(c, conninfo, 0)) {
		snprintf(err, errsize, "%s", c->errtext);
		free(c);
		return NULL;
	}
	return c;
}

void
db_disconnect_single(struct db_conn *c)
{
	if (c == NULL)
		return;
	if (c->pg != NULL)
		PQfinish(c->pg);
	free(c);
}
