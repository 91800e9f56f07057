/*
 * db.h - the bounded pool of PostgreSQL connections, and named statements.
 *
 * jxjyd is the only process that talks to the database.  However many SSH
 * sessions are open, at most database.pool_size connections exist; a
 * session that needs one waits for it (bounded) on a condition variable.
 *
 * Statements are declared where they are used, with DB_STMT, and are
 * prepared on a connection the first time that connection runs them.
 * Parameters always travel separately from the SQL text.  The name a
 * statement is prepared under is made from its slot, a number given once
 * per declaration and process ("12:review_queue_stmt"), so two
 * declarations never share one, whatever their variables are called.
 *
 * A pooled connection the server has closed (PostgreSQL restarted) is
 * noticed and replaced before a statement runs on it (db.c).
 *
 * With database.replica_conninfo set, a second pool leads to a streaming
 * replica, for heavy reads that may be a little stale (db_acquire_read).
 */
#ifndef JXJYD_DB_H
#define JXJYD_DB_H

#include <stdbool.h>
#include <libpq-fe.h>

struct db_conn;

struct db_stmt {
	const char	*name;		/* the variable, for logs */
	const char	*sql;
	int		 slot;		/* assigned on first use; 0 = not yet */
};

#define DB_STMT(var, text) \
	static struct db_stmt var = { .name = #var, .sql = (text), .slot = 0 }

/*
 * The time zone every connection runs in (db.c sets it when it connects),
 * where the system is used.  Dates and "today" in SQL are this zone's.
 */
#define DB_TIME_ZONE	"Asia/Shanghai"
#define DB_TIME_ZONE_OFFSET	(8 * 3600)	/* its seconds east of UTC (no summer time) */

/* The current year in DB_TIME_ZONE. */
int	db_year_now(void);

/*
 * A timestamptz column as ISO 8601 with its offset, in DB_TIME_ZONE
 * ("2026-03-01T09:30:00+08:00"), for SELECT lists: how every timestamp
 * leaves the daemon.
 */
#define DB_ISO_TIME(col)	"to_char(" col ", 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM')"

/* Create the pool (no connection is opened yet). */
void	db_pool_init(const char *conninfo, int size, int statement_timeout_ms);

/*
 * Create the replica's pool (database.replica_conninfo, size connections at
 * most, the primary's statement timeout: call after db_pool_init).  An
 * empty conninfo makes none, and db_acquire_read then always answers the
 * primary.
 */
void	db_replica_init(const char *conninfo, int size);

/* Close every idle connection and free both pools; call with none acquired. */
void	db_pool_close(void);

/*
 * Take a connection, opening it if needed; waits at most wait_ms for one
 * to be free, and about as long again for the database to answer (trying
 * again, backing off, while it is away: a failover).  Returns NULL when
 * none came free in time or the database could not be reached (logged).
 * Give it back with db_release.
 */
struct db_conn *db_acquire(int wait_ms);

/* Give a connection back; a broken one is closed and reopened later. */
void	db_release(struct db_conn *c);

/*
 * For a read that may be up to max_lag_ms old (heavy reports; never what a
 * person just wrote and reads back): primary is a connection to the primary
 * the caller holds (acquired with db_acquire).  Returns a connection to the
 * replica, with primary released, when a replica is configured, reachable,
 * in recovery, and known to have replayed every commit the primary had
 * made max_lag_ms ago (db.c: measured in the primary's WAL, checked at most
 * every second per connection); otherwise primary itself, unchanged.
 * Never fails because of the replica: one that fails rests as the pool's
 * connects do (100 ms doubling to 2 s) while the primary serves.  While
 * every replica connection is busy, primary is given back during the wait
 * for one (up to wait_ms) and a primary connection taken again if none
 * came: NULL (logged) only when that found none (database unavailable).
 * Read only on what it returns: a replica refuses writes.
 */
struct db_conn *db_acquire_read(struct db_conn *primary, int wait_ms, int max_lag_ms);

/*
 * What `jxjyd status` says of the replica (control.c): where conninfo leads
 * (host, port and dbname only: never a password), how it was when a heavy
 * read last checked it, its connections, and where the heavy reads went
 * since start (db_acquire_read's answers: a read that the replica then
 * failed and the primary ran again counts on both sides).
 */
enum db_replica_state {
	DB_REPLICA_UNCHECKED,		/* no heavy read has asked it yet */
	DB_REPLICA_FRESH,		/* within the bound at its last check */
	DB_REPLICA_LAGGING,		/* behind the bound (or not known fresh) */
	DB_REPLICA_UNREACHABLE,		/* failing: resting, the primary serves */
	DB_REPLICA_PROMOTED,		/* not in recovery at its last check */
};

struct db_replica_status {
	bool		 configured;
	char		 host[128], port[16], dbname[64];
	enum db_replica_state state;
	long long	 stale_ms;	/* at the last check: -1 when not known fresh */
	long long	 checked_ago_ms;	/* since the last check (or failure) */
	long long	 since;		/* UNREACHABLE, PROMOTED: since when (Unix time) */
	int		 open, busy, size;
	unsigned long long reads_replica, reads_primary;
};

void	db_replica_status(int max_lag_ms, struct db_replica_status *st);

/* A Unix time as ISO 8601 in DB_TIME_ZONE ("2026-12-01T09:30:00+08:00"). */
void	db_iso_time(long long t, char out[32]);

/* Whether a replica pool exists (database.replica_conninfo is set). */
bool	db_replica_configured(void);

/* Whether c leads to the replica (db_acquire_read gave it). */
bool	db_from_replica(struct db_conn *c);

/*
 * How fresh what c shows is, for the person to be told: as_of, ISO 8601
 * in DB_TIME_ZONE ("2026-12-01T09:30:00+08:00"), a moment before which
 * every commit is in it (now for the primary), and stale_ms, how far
 * behind it was at most when the read began (db_acquire_read checked it
 * against the bound then; 0 for the primary).
 */
void	db_read_freshness(struct db_conn *c, char as_of[32], long long *stale_ms);

/*
 * Run a named statement with text parameters (NULL = SQL NULL).  Returns
 * the result when it succeeded (PGRES_COMMAND_OK or PGRES_TUPLES_OK),
 * otherwise NULL with the error kept for db_error_sqlstate/db_error_text.
 * The caller clears the result.
 */
PGresult *db_exec(struct db_conn *c, struct db_stmt *st, int n,
	    const char *const *params);

/* Plain SQL without parameters (BEGIN, COMMIT, migrations). Same contract. */
PGresult *db_exec_simple(struct db_conn *c, const char *sql);

/* db_exec_simple for commands whose result is not needed; returns 0 or -1. */
int	db_command(struct db_conn *c, const char *sql);

/*
 * What the connections this thread acquires from now on say made their
 * changes: the setting jxjy.origin, "INSTANCE.SERIAL" of the session
 * whose request runs (rpc.c), "" for none.  The triggers of schema/008 put
 * it in their notices, so that record.changed skips the session that made
 * the change (it knows).  At most DB_ORIGIN_MAX - 1 bytes.
 */
#define DB_ORIGIN_MAX	48
void	db_set_origin(const char *origin);

bool	db_begin(struct db_conn *c);
bool	db_commit(struct db_conn *c);
void	db_rollback(struct db_conn *c);

/*
 * Whether the last failure on c was the database being out of reach: no
 * connection could be made, the connection broke, the server is shutting
 * down or starting (SQLSTATE classes 08 and 57P), or it refused a write as
 * read-only (db_read_only), or, on a replica's connection, it cancelled
 * the read for a conflict with what it replays (40001, 40P01: the replica
 * then rests and the read runs again on the primary).  A request then
 * gets "database_unavailable"
 * (try again), not an internal error; the dispatcher may run it once more
 * (db_request_retryable).
 */
bool	db_unavailable(struct db_conn *c);

/*
 * Whether the last failure on c was SQLSTATE 25006: the server is a
 * standby, a demoted primary, or read-only by default_transaction_read_only.
 * Such a connection is closed when released, so that the next one goes
 * through conninfo (a balancer) to the primary of now.
 */
bool	db_read_only(struct db_conn *c);

/*
 * A request's record of what it did for good, for the rule "retry only
 * what committed nothing" (docs/design.md "Failover"), kept per thread
 * over every connection the thread uses.  db_request_start forgets it
 * (the dispatcher calls it before each request); db_request_retryable says
 * whether nothing of the request can have been committed since: no COMMIT
 * and no statement that may write outside a transaction
 * (db_sql_may_write) was answered with success or went unanswered on a
 * broken connection.
 */
void	db_request_start(void);
bool	db_request_retryable(void);

/*
 * Whether sql may change something by itself when it runs outside a
 * transaction: anything but a SELECT or WITH (or BEGIN, START, ROLLBACK,
 * SET, SHOW, which change no data) free of the words that write --
 * INSERT, UPDATE (also of FOR UPDATE), DELETE, MERGE, COPY, TRUNCATE, and
 * the functions nextval, setval and pg_notify -- may.
 * Words, not substrings: a column updated_at is not UPDATE.
 */
bool	db_sql_may_write(const char *sql);

/* SQLSTATE and message of the last failed call on c ("" when none). */
const char *db_error_sqlstate(struct db_conn *c);
const char *db_error_text(struct db_conn *c);

/* The raw libpq connection, for the migration runner. */
PGconn	*db_pgconn(struct db_conn *c);

/* Connections open now / in use now / configured bound. */
void	db_pool_stats(int *open, int *busy, int *size);

/* Open one connection outside the pool (migrate, checks); NULL on failure. */
struct db_conn *db_connect_single(const char *conninfo, char *err, size_t errsize);
void	db_disconnect_single(struct db_conn *c);

#endif
