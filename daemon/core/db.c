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

struct db_pool;

struct db_conn {
	PGconn		*pg;
	bool		 in_use;
	struct db_pool	*pool;		/* NULL: outside any pool (db_connect_single) */
	unsigned char	 prepared[DB_MAX_STMTS];	/* by stmt slot */
	char		 origin[DB_ORIGIN_MAX];	/* jxjy.origin as last set here */
	bool		 drop;		/* read-only server: close at release, reconnect */
	bool		 renewed;	/* db_acquire just checked it: the first statement
					 * need not again (a poll(2) a request less) */
	char		 sqlstate[6];
	char		 errtext[512];
	/* A replica's (db_acquire_read), CLOCK_MONOTONIC; zero while not known. */
	struct timespec	 checked;	/* its last check */
	struct timespec	 fresh;		/* it had replayed every commit the primary had
					 * made by then */
	long long	 read_stale_ms;	/* how far behind it was when handed out */
};

/*
 * A bounded pool of connections to one server (through one conninfo): the
 * primary's, and the replica's when database.replica_conninfo is set.
 */
struct db_pool {
	const char	*what;		/* "primary" or "replica", for logs */
	bool		 wait_out;	/* a connect during a backoff waits it out (the
					 * primary's); else it fails at once (the replica's:
					 * the primary serves meanwhile) */
	pthread_mutex_t	 lock;
	pthread_cond_t	 freed;
	struct db_conn	*conns;
	int		 size;		/* 0: no such pool */
	int		 busy;
	char		*conninfo;
	int		 statement_timeout;
	int		 backoff_ms;	/* after a failed connect: 0, else 100 ms doubling to DB_BACKOFF_MAX_MS */
	struct timespec	 next_connect;	/* CLOCK_MONOTONIC: no new connection before */
};

static struct db_pool pool = { .what = "primary", .wait_out = true,
    .lock = PTHREAD_MUTEX_INITIALIZER, .freed = PTHREAD_COND_INITIALIZER };
static struct db_pool replica = { .what = "replica", .wait_out = false,
    .lock = PTHREAD_MUTEX_INITIALIZER, .freed = PTHREAD_COND_INITIALIZER };

/*
 * What the heavy reads last found the replica to be, and where they went,
 * for `jxjyd status` (db_replica_status).  Guarded by replica.lock.
 */
static struct {
	enum db_replica_state state;
	long long	 stale_ms;	/* as db_stale_ms said at the last judgement */
	struct timespec	 at;		/* CLOCK_MONOTONIC of the last judgement */
	time_t		 since;		/* when it became unreachable or promoted */
	unsigned long long reads_replica, reads_primary;
} replica_seen = { .state = DB_REPLICA_UNCHECKED };

static atomic_int next_slot = 1;

/* A replica's connect_timeout (seconds) unless its conninfo says otherwise. */
#define DB_REPLICA_CONNECT_TIMEOUT	"2"

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

static void
db_pool_setup(struct db_pool *p, const char *conninfo, int size, int statement_timeout_ms)
{
	p->conns = xcalloc(size, sizeof *p->conns);
	p->size = size;
	p->conninfo = xstrdup(conninfo);
	p->statement_timeout = statement_timeout_ms;
	for (int i = 0; i < size; i++)
		p->conns[i].pool = p;
}

void
db_pool_init(const char *conninfo, int size, int statement_timeout_ms)
{
	db_pool_setup(&pool, conninfo, size, statement_timeout_ms);
}

void
db_replica_init(const char *conninfo, int size)
{
	if (conninfo == NULL || conninfo[0] == '\0' || size <= 0)
		return;
	db_pool_setup(&replica, conninfo, size, pool.statement_timeout);
}

static void
db_pool_teardown(struct db_pool *p)
{
	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < p->size; i++) {
		if (p->conns[i].pg != NULL)
			PQfinish(p->conns[i].pg);
		p->conns[i].pg = NULL;
	}
	free(p->conns);
	p->conns = NULL;
	free(p->conninfo);
	p->conninfo = NULL;
	p->size = 0;
	pthread_mutex_unlock(&p->lock);
}

void
db_pool_close(void)
{
	db_pool_teardown(&replica);
	db_pool_teardown(&pool);
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

	if (c->pool == &replica) {
		/*
		 * A replica out of reach must not hold a request up for long: the
		 * primary serves it meanwhile.  A connect_timeout of conninfo's own
		 * comes later, so it wins.
		 */
		static const char *const keys[] = { "connect_timeout", "dbname", NULL };
		const char *values[] = { DB_REPLICA_CONNECT_TIMEOUT, conninfo, NULL };

		c->pg = PQconnectdbParams(keys, values, 1);
	} else {
		c->pg = PQconnectdb(conninfo);
	}
	if (PQstatus(c->pg) != CONNECTION_OK) {
		db_set_error(c, "08006", PQerrorMessage(c->pg));
		log_error("database: cannot connect%s: %s", c->pool == &replica ? " to the replica" :
		    "", c->errtext);
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

/* Whether t (CLOCK_MONOTONIC) has come. */
static bool
db_time_reached(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* Milliseconds from a to b (CLOCK_MONOTONIC). */
static long long
db_ms_between(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

/*
 * A connection to p's server failed: no new one before the backoff,
 * which doubles from 100 ms to DB_BACKOFF_MAX_MS.  Called with p->lock.
 */
static void
db_pool_backoff(struct db_pool *p)
{
	p->backoff_ms = p->backoff_ms == 0 ? 100 :
	    p->backoff_ms * 2 > DB_BACKOFF_MAX_MS ? DB_BACKOFF_MAX_MS : p->backoff_ms * 2;
	clock_gettime(CLOCK_MONOTONIC, &p->next_connect);
	p->next_connect.tv_sec += p->backoff_ms / 1000;
	p->next_connect.tv_nsec += (long)(p->backoff_ms % 1000) * 1000000;
	if (p->next_connect.tv_nsec >= 1000000000) {
		p->next_connect.tv_sec++;
		p->next_connect.tv_nsec -= 1000000000;
	}
}

/*
 * Open a pooled connection, but not sooner than the backoff after the
 * last failed attempt allows: while the database is away (a failover
 * takes seconds) the requests of every session would otherwise each
 * knock at once.  The primary's pool waits at most DB_BACKOFF_MAX_MS; the
 * replica's fails at once (its reader falls back to the primary).  The
 * wait doubles from 100 ms with each failure and is forgotten at the
 * first success.
 */
static bool
db_open_pooled(struct db_conn *c)
{
	struct db_pool *p = c->pool;
	struct timespec now, until;
	long long wait_ns;
	bool ok;

	pthread_mutex_lock(&p->lock);
	until = p->next_connect;
	pthread_mutex_unlock(&p->lock);
	clock_gettime(CLOCK_MONOTONIC, &now);
	wait_ns = (long long)(until.tv_sec - now.tv_sec) * 1000000000LL +
	    (until.tv_nsec - now.tv_nsec);
	if (wait_ns > 0 && !p->wait_out) {
		db_set_error(c, "08006", "resting after a failure");
		return false;
	}
	if (wait_ns > 0) {
		struct timespec d = { wait_ns / 1000000000LL, wait_ns % 1000000000LL };

		while (nanosleep(&d, &d) != 0 && errno == EINTR)
			;
	}
	ok = db_open(c, p->conninfo, p->statement_timeout);
	pthread_mutex_lock(&p->lock);
	if (ok) {
		if (p->backoff_ms > 0)
			log_warning("database: connected again (%s)", p->what);
		p->backoff_ms = 0;
	} else {
		db_pool_backoff(p);
	}
	pthread_mutex_unlock(&p->lock);
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
	if (c->renewed) {
		c->renewed = false;
		/* Unless what db_acquire sent since (the origin) found it broken. */
		if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK)
			return true;
	}
	if (c->pool == NULL || !db_gone(c))
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
	if (c->pool == NULL || !was_idle || c->pg == NULL || PQstatus(c->pg) == CONNECTION_OK)
		return false;
	log_warning("database: the connection broke (restarted?); trying once more "
	    "on a new one");
	return db_renew(c);
}

/* Whether c is a pooled connection outside any transaction (a command on it may be retried). */
static bool
db_idle(struct db_conn *c)
{
	return c->pool != NULL && c->pg != NULL && PQtransactionStatus(c->pg) == PQTRANS_IDLE;
}

/*
 * Take a free slot of p, waiting at most wait_ms for one, preferring an
 * open connection, and of those the one that has this thread's origin
 * already (the one this session used last, while it is free):
 * db_apply_origin then saves a round trip.  NULL when none came free.
 */
static struct db_conn *
db_pool_take(struct db_pool *p, int wait_ms)
{
	struct timespec deadline;
	struct db_conn *c = NULL;
	int i;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += wait_ms / 1000;
	deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}

	pthread_mutex_lock(&p->lock);
	while (p->busy == p->size) {
		if (pthread_cond_timedwait(&p->freed, &p->lock, &deadline) == ETIMEDOUT &&
		    p->busy == p->size) {
			pthread_mutex_unlock(&p->lock);
			if (wait_ms > 0)
				log_warning("database: no pooled connection (%s) free after %d ms",
				    p->what, wait_ms);
			return NULL;
		}
	}
	for (i = 0; i < p->size; i++) {
		if (!p->conns[i].in_use && p->conns[i].pg != NULL) {
			if (c == NULL)
				c = &p->conns[i];
			if (strcmp(p->conns[i].origin, thread_origin) == 0) {
				c = &p->conns[i];
				break;
			}
		}
	}
	for (i = 0; c == NULL && i < p->size; i++) {
		if (!p->conns[i].in_use)
			c = &p->conns[i];
	}
	c->in_use = true;
	p->busy++;
	pthread_mutex_unlock(&p->lock);
	return c;
}

struct db_conn *
db_acquire(int wait_ms)
{
	struct timespec start;
	struct db_conn *c;

	if ((c = db_pool_take(&pool, wait_ms)) == NULL)
		return NULL;
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
		if (db_ms_between(&start, &now) >= wait_ms) {
			db_release(c);
			return NULL;
		}
	}
	c->sqlstate[0] = c->errtext[0] = '\0';
	db_apply_origin(c);
	c->renewed = true;
	return c;
}

void
db_release(struct db_conn *c)
{
	struct db_pool *p;
	bool rest;

	if (c == NULL)
		return;
	c->renewed = false;	/* the next db_acquire checks it again */
	p = c->pool;
	/* A replica that failed under a statement (not a connect, which backs off itself). */
	rest = p == &replica && c->pg != NULL && c->sqlstate[0] != '\0' && db_unavailable(c);
	if (c->pg != NULL) {
		/*
		 * Never hand on a connection inside a transaction, broken, or to a
		 * server that refused a write as read-only (a standby, a demoted
		 * primary) or is a replica no more (promoted): the next one is
		 * opened through the same conninfo, which a balancer routes to the
		 * primary (or a replica) of now.
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
	if (c->pg == NULL)
		c->checked = c->fresh = (struct timespec){ 0, 0 };
	pthread_mutex_lock(&p->lock);
	if (c->drop) {
		/* The others idle here were opened to the same server. */
		for (int i = 0; i < p->size; i++) {
			if (!p->conns[i].in_use && p->conns[i].pg != NULL) {
				PQfinish(p->conns[i].pg);
				p->conns[i].pg = NULL;
				p->conns[i].checked = p->conns[i].fresh = (struct timespec){ 0, 0 };
			}
		}
		c->drop = false;
	}
	if (rest) {
		log_warning("database: the replica failed (%s); reads go to the primary for a "
		    "while", c->sqlstate);
		db_pool_backoff(p);
		if (replica_seen.state != DB_REPLICA_UNREACHABLE)
			replica_seen.since = time(NULL);
		replica_seen.state = DB_REPLICA_UNREACHABLE;
		clock_gettime(CLOCK_MONOTONIC, &replica_seen.at);
	}
	c->in_use = false;
	p->busy--;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
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
	if (r == NULL && db_repeatable(sql) && db_retry(c, idle && c->pool != NULL))
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
	    db_read_only(c) || (c->pool == &replica && (strcmp(c->sqlstate, "40001") == 0 ||
	    strcmp(c->sqlstate, "40P01") == 0));
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

/* ---- reads from a replica ------------------------------------------------------------ */

/*
 * How fresh a replica is, measured in the primary's WAL (docs/design.md
 * "Reads from a replica").  At most every DB_REPLICA_CHECK_MS a request
 * that may read from the replica samples the primary's WAL insert position
 * L at time T: every transaction committed before T has its commit record
 * before L.  A replica whose replay position has reached L has replayed
 * all of them, so what it shows is at most now - T old, whichever machine
 * it is and whatever its clock says.  The samples are kept in a ring; a
 * replica connection is checked (its replay position, and that it is in
 * recovery at all) at most every DB_REPLICA_CHECK_MS too, and is fresh as
 * of the newest sample its replay has reached.  Each connection has its
 * own: behind a balancer two connections may lead to two standbys.
 *
 * Measured against the primary rather than on the replica alone
 * (now() - pg_last_xact_replay_timestamp(), or "received = replayed"):
 * that grows on an idle primary without any lag, and a standby whose WAL
 * stream stalled (a network cut, for up to wal_receiver_timeout) would
 * believe itself caught up.  The primary's position costs one cheap
 * statement a second on a connection the request holds anyway.
 */
#define DB_REPLICA_CHECK_MS	1000
#define DB_WAL_SAMPLES		16	/* the ring: 16 s at one a second */

static struct {
	pthread_mutex_t	 lock;
	struct {
		struct timespec	 at;	/* CLOCK_MONOTONIC, taken before L was asked */
		unsigned long long lsn;
	} ring[DB_WAL_SAMPLES];
	int		 n;		/* samples kept */
	int		 next;		/* where the next goes */
	bool		 sampling;	/* a thread is asking the primary */
} wal = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Keep what a heavy read found the replica to be (stale: db_stale_ms's, when FRESH or LAGGING). */
static void
db_replica_saw(enum db_replica_state state, long long stale_ms)
{
	pthread_mutex_lock(&replica.lock);
	if ((state == DB_REPLICA_UNREACHABLE || state == DB_REPLICA_PROMOTED) &&
	    replica_seen.state != state)
		replica_seen.since = time(NULL);
	replica_seen.state = state;
	replica_seen.stale_ms = stale_ms;
	clock_gettime(CLOCK_MONOTONIC, &replica_seen.at);
	pthread_mutex_unlock(&replica.lock);
}

/* Count where a heavy read went (c: what db_acquire_read answers) and return c. */
static struct db_conn *
db_read_counted(struct db_conn *c)
{
	if (c == NULL)
		return NULL;
	pthread_mutex_lock(&replica.lock);
	if (c->pool == &replica)
		replica_seen.reads_replica++;
	else
		replica_seen.reads_primary++;
	pthread_mutex_unlock(&replica.lock);
	return c;
}

/* "16/B374D848" (pg_lsn as text) into *lsn; false when it is not one. */
static bool
db_lsn_parse(const char *text, unsigned long long *lsn)
{
	unsigned int hi, lo;
	char end;

	if (sscanf(text, "%X/%X%c", &hi, &lo, &end) != 2)
		return false;
	*lsn = (unsigned long long)hi << 32 | lo;
	return true;
}

/*
 * Sample the primary's WAL position on primary when the newest sample is
 * DB_REPLICA_CHECK_MS old (one thread at a time; the others go on with
 * the samples there are).  A failure is logged and costs the sample only.
 */
static void
db_wal_sample(struct db_conn *primary)
{
	DB_STMT(db_wal_position_stmt, "SELECT pg_current_wal_insert_lsn()::text");
	struct timespec at, newest;
	unsigned long long lsn;
	PGresult *r;
	bool due;

	clock_gettime(CLOCK_MONOTONIC, &at);
	pthread_mutex_lock(&wal.lock);
	newest = wal.ring[(wal.next + DB_WAL_SAMPLES - 1) % DB_WAL_SAMPLES].at;
	due = !wal.sampling && (wal.n == 0 ||
	    db_ms_between(&newest, &at) >= DB_REPLICA_CHECK_MS);
	if (due)
		wal.sampling = true;
	pthread_mutex_unlock(&wal.lock);
	if (!due)
		return;
	r = db_exec(primary, &db_wal_position_stmt, 0, NULL);
	pthread_mutex_lock(&wal.lock);
	if (r != NULL && PQntuples(r) == 1 && db_lsn_parse(PQgetvalue(r, 0, 0), &lsn)) {
		log_debug("database: the primary's WAL is at %s", PQgetvalue(r, 0, 0));
		wal.ring[wal.next].at = at;
		wal.ring[wal.next].lsn = lsn;
		wal.next = (wal.next + 1) % DB_WAL_SAMPLES;
		if (wal.n < DB_WAL_SAMPLES)
			wal.n++;
	}
	wal.sampling = false;
	pthread_mutex_unlock(&wal.lock);
	PQclear(r);
}

/*
 * Check the replica connection c when its last check is DB_REPLICA_CHECK_MS
 * old: it must still be in recovery (a promoted one is closed at release,
 * so the next goes through the balancer to a replica of now), and it is
 * fresh as of the newest sample its replay position has reached.  Returns
 * false when c cannot serve (error kept in c, or not a replica).
 */
static bool
db_replica_check(struct db_conn *c)
{
	DB_STMT(db_replica_position_stmt,
	    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text");
	struct timespec now;
	unsigned long long replayed;
	PGresult *r;
	bool in_recovery;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (c->checked.tv_sec != 0 && db_ms_between(&c->checked, &now) < DB_REPLICA_CHECK_MS)
		return true;
	if ((r = db_exec(c, &db_replica_position_stmt, 0, NULL)) == NULL)
		return false;
	in_recovery = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	if (!in_recovery) {
		log_warning("database: replica_conninfo leads to a server that is not in "
		    "recovery (promoted?); reading from the primary");
		c->drop = true;
		PQclear(r);
		return false;
	}
	c->checked = now;
	if (!PQgetisnull(r, 0, 1) && db_lsn_parse(PQgetvalue(r, 0, 1), &replayed)) {
		int i;

		pthread_mutex_lock(&wal.lock);
		for (i = 0; i < wal.n; i++) {
			int k = (wal.next + DB_WAL_SAMPLES - 1 - i) % DB_WAL_SAMPLES;	/* newest first */

			if (wal.ring[k].lsn <= replayed) {
				if (db_ms_between(&c->fresh, &wal.ring[k].at) > 0 || c->fresh.tv_sec == 0)
					c->fresh = wal.ring[k].at;
				break;
			}
		}
		log_debug("database: the replica has replayed %s: fresh as of %lld ms ago "
		    "(sample %d of %d back)", PQgetvalue(r, 0, 1), c->fresh.tv_sec == 0 ? -1LL :
		    db_ms_between(&c->fresh, &now), i, wal.n);
		pthread_mutex_unlock(&wal.lock);
	}
	PQclear(r);
	return true;
}

/* How old what c shows may be, in ms: 0 for the primary, -1 for a replica not yet known fresh. */
static long long
db_stale_ms(struct db_conn *c)
{
	struct timespec now;

	if (c->pool != &replica)
		return 0;
	if (c->fresh.tv_sec == 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return db_ms_between(&c->fresh, &now);
}

bool
db_replica_configured(void)
{
	return replica.size > 0;
}

struct db_conn *
db_acquire_read(struct db_conn *primary, int wait_ms, int max_lag_ms)
{
	struct db_conn *c;
	long long stale;
	bool resting;

	if (replica.size == 0 || primary == NULL)
		return primary;
	pthread_mutex_lock(&replica.lock);
	resting = !db_time_reached(&replica.next_connect);
	pthread_mutex_unlock(&replica.lock);
	if (resting)
		return db_read_counted(primary);
	db_wal_sample(primary);
	if ((c = db_pool_take(&replica, 0)) == NULL) {
		/*
		 * Every replica connection is busy with a heavy read: wait for one
		 * without holding the primary's, which the other requests need,
		 * and take one of those again if none came in time.
		 */
		db_release(primary);
		primary = NULL;
		if ((c = db_pool_take(&replica, wait_ms)) == NULL)
			return db_read_counted(db_acquire(wait_ms));
	}
	c->sqlstate[0] = c->errtext[0] = '\0';
	if (!db_renew(c) || !db_replica_check(c)) {
		db_replica_saw(c->drop && c->sqlstate[0] == '\0' ? DB_REPLICA_PROMOTED :
		    DB_REPLICA_UNREACHABLE, -1);
		db_release(c);
		return db_read_counted(primary != NULL ? primary : db_acquire(wait_ms));
	}
	stale = db_stale_ms(c);
	db_replica_saw(stale >= 0 && stale <= max_lag_ms ? DB_REPLICA_FRESH :
	    DB_REPLICA_LAGGING, stale);
	if (stale < 0 || stale > max_lag_ms) {
		log_debug("database: the replica is %s; reading from the primary",
		    stale < 0 ? "not known to be fresh" : "behind the bound");
		db_release(c);
		return db_read_counted(primary != NULL ? primary : db_acquire(wait_ms));
	}
	c->read_stale_ms = stale;
	db_release(primary);
	return db_read_counted(c);
}

/* The host, port and dbname of conninfo (never its password); "" for what it leaves out. */
static void
db_conninfo_place(const char *conninfo, struct db_replica_status *st)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);

	st->host[0] = st->port[0] = st->dbname[0] = '\0';
	for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (strcmp(o->keyword, "host") == 0 ||
		    (strcmp(o->keyword, "hostaddr") == 0 && st->host[0] == '\0'))
			snprintf(st->host, sizeof st->host, "%s", o->val);
		else if (strcmp(o->keyword, "port") == 0)
			snprintf(st->port, sizeof st->port, "%s", o->val);
		else if (strcmp(o->keyword, "dbname") == 0)
			snprintf(st->dbname, sizeof st->dbname, "%s", o->val);
	}
	PQconninfoFree(opts);
}

void
db_replica_status(int max_lag_ms, struct db_replica_status *st)
{
	struct timespec now;

	memset(st, 0, sizeof *st);
	pthread_mutex_lock(&replica.lock);
	if ((st->configured = replica.size > 0)) {
		db_conninfo_place(replica.conninfo, st);
		for (int i = 0; i < replica.size; i++)
			st->open += replica.conns[i].pg != NULL;
		st->busy = replica.busy;
		st->size = replica.size;
	}
	st->state = replica_seen.state;
	st->stale_ms = replica_seen.stale_ms;
	st->since = replica_seen.since;
	st->reads_replica = replica_seen.reads_replica;
	st->reads_primary = replica_seen.reads_primary;
	clock_gettime(CLOCK_MONOTONIC, &now);
	st->checked_ago_ms = replica_seen.at.tv_sec != 0 ? db_ms_between(&replica_seen.at, &now) : -1;
	/* Judged against the bound of now (a reload may have changed it). */
	if (st->state == DB_REPLICA_FRESH || st->state == DB_REPLICA_LAGGING)
		st->state = st->stale_ms >= 0 && st->stale_ms <= max_lag_ms ? DB_REPLICA_FRESH :
		    DB_REPLICA_LAGGING;
	pthread_mutex_unlock(&replica.lock);
}

bool
db_from_replica(struct db_conn *c)
{
	return c != NULL && c->pool == &replica;
}

void
db_iso_time(long long unix_time, char out[32])
{
	time_t t = (time_t)unix_time + DB_TIME_ZONE_OFFSET;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d%+03d:%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    DB_TIME_ZONE_OFFSET / 3600, DB_TIME_ZONE_OFFSET % 3600 / 60);
}

void
db_read_freshness(struct db_conn *c, char as_of[32], long long *stale_ms)
{
	struct timespec now;
	long long behind = db_stale_ms(c);	/* the fresh moment, from now */

	if (behind < 0)
		behind = 0;	/* db_acquire_read hands out no such connection */
	/* Rounded down: every commit before as_of is in what c shows. */
	clock_gettime(CLOCK_REALTIME, &now);
	db_iso_time(now.tv_sec - (time_t)((behind + 999) / 1000), as_of);
	*stale_ms = c->pool == &replica ? c->read_stale_ms : 0;
}
