/*
 * auth.c - ID number and password: lookup, lockout, per-source throttling.
 *
 * Two guards against guessing.  Per account: security.lockout_failures
 * wrong passwords in a row lock it for security.lockout_minutes, and while
 * it is locked the password is not even looked at, so guessing during the
 * lock learns nothing.  Per source address: more than
 * security.source_failures_per_minute failures in a sliding minute and
 * that address is refused for a while, whichever accounts it tries (a
 * spray of one password over many ID numbers never locks any of them).
 *
 * The lockout lives in the database, so every jxjyd serving it agrees; the
 * source table lives in memory, per process, which is enough to make
 * spraying slow.
 *
 * The Argon2id verification runs with no pooled database connection held:
 * a burst of logins waits for hashing slots, not on the pool, so the other
 * sessions' requests still find connections.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "passwords.h"
#include "session.h"
#include "xmalloc.h"

/* --- per-source throttling ----------------------------------------------- */

/*
 * A fixed table, hashed by address: each slot counts failures in the
 * current and the previous minute, and the sliding-minute estimate weighs
 * the previous one by how much of it still lies within the last sixty
 * seconds.  When the probed slots are all busy the stalest is reused, so
 * memory stays bounded whatever the number of addresses.
 */
#define SOURCE_SLOTS	4096
#define SOURCE_PROBES	8

struct source_slot {
	char	 address[48];
	long	 minute;	/* of 'current'; 0 = free */
	int	 current;
	int	 previous;
};

static struct {
	pthread_mutex_t		lock;
	struct source_slot	slots[SOURCE_SLOTS];
} sources = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Monotonic seconds; 'minute' counts from 1 so that 0 can mean free. */
static long
auth_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec + 120;
}

static unsigned
auth_source_hash(const char *s)
{
	unsigned h = 2166136261u;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Estimated failures within the last sixty seconds. Call locked. */
static int
auth_source_estimate(const struct source_slot *slot, long now)
{
	long minute = now / 60;
	double into = (double)(now % 60) / 60.0;

	if (slot->minute == minute)
		return (int)(slot->previous * (1.0 - into) + slot->current + 0.5);
	if (slot->minute == minute - 1)
		return (int)(slot->current * (1.0 - into) + 0.5);
	return 0;
}

/* The slot of address, or NULL when it has none (and create is false). Call locked. */
static struct source_slot *
auth_source_find(const char *address, long now, bool create)
{
	unsigned h = auth_source_hash(address);
	struct source_slot *victim = NULL;
	int victim_count = 0;

	for (int i = 0; i < SOURCE_PROBES; i++) {
		struct source_slot *slot = &sources.slots[(h + i) % SOURCE_SLOTS];
		int count;

		if (slot->minute != 0 && strcmp(slot->address, address) == 0)
			return slot;
		count = slot->minute == 0 ? -1 : auth_source_estimate(slot, now);
		if (victim == NULL || count < victim_count) {
			victim = slot;
			victim_count = count;
		}
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof *victim);
	snprintf(victim->address, sizeof victim->address, "%s", address);
	victim->minute = now / 60;
	return victim;
}

int
auth_source_failures(const char *source)
{
	long now = auth_now();
	struct source_slot *slot;
	int n = 0;

	pthread_mutex_lock(&sources.lock);
	slot = auth_source_find(source, now, false);
	if (slot != NULL)
		n = auth_source_estimate(slot, now);
	pthread_mutex_unlock(&sources.lock);
	return n;
}

bool
auth_source_allowed(const char *source)
{
	return auth_source_failures(source) < server_config()->source_failures_per_minute;
}

void
auth_source_failed(const char *source)
{
	long now = auth_now(), minute = now / 60;
	struct source_slot *slot;

	pthread_mutex_lock(&sources.lock);
	slot = auth_source_find(source, now, true);
	if (slot->minute == minute - 1) {
		slot->previous = slot->current;
		slot->current = 0;
	} else if (slot->minute != minute) {
		slot->previous = 0;
		slot->current = 0;
	}
	slot->minute = minute;
	slot->current++;
	pthread_mutex_unlock(&sources.lock);
}

/* --- the password check -------------------------------------------------- */

/* Minutes are rounded up, so "try again after 10:16" is never too early. */
#define AUTH_SQL_HHMM(col) \
	"to_char(date_trunc('minute', (" col ") AT TIME ZONE 'Asia/Shanghai' " \
	"+ interval '59.999999 seconds'), 'HH24:MI')"

DB_STMT(auth_select_account,
    "SELECT a.id, a.id_number, a.role, a.state, a.password_hash, a.unit_code, u.name,"
    " a.name, a.reject_reason, " AUTH_SQL_TIME("a.submitted_at") ", "
    AUTH_SQL_TIME("a.decided_at") ","
    " coalesce(a.locked_until > now(), false), " AUTH_SQL_TIME("a.locked_until") ", "
    AUTH_SQL_HHMM("a.locked_until") ","
    " a.failed_logins <> 0 OR a.locked_until IS NOT NULL"
    " FROM accounts a JOIN units u ON u.code = a.unit_code"
    " WHERE a.id_number = $1");

/*
 * One failure, counted in one UPDATE; the one that reaches the limit
 * starts the lock (and the count again from zero, so that after the lock
 * another full series is allowed) and is audited with it.  A locked
 * account is not counted: its password was not checked.
 */
DB_STMT(auth_count_failure,
    "WITH u AS ("
    " UPDATE accounts SET"
    "  failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,"
    "  locked_until = CASE WHEN failed_logins + 1 >= $2"
    "   THEN now() + make_interval(mins => $3::int) ELSE locked_until END"
    " WHERE id = $1 AND (locked_until IS NULL OR locked_until <= now())"
    " RETURNING id, state, locked_until, coalesce(locked_until > now(), false) AS locked),"
    " audit AS ("
    " INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state, reason)"
    " SELECT id, NULL, 'lockout', state, state, $2 || ' failed logins' FROM u WHERE locked"
    " RETURNING 1)"
    " SELECT locked, " AUTH_SQL_TIME("locked_until") ", " AUTH_SQL_HHMM("locked_until")
    " FROM u");

DB_STMT(auth_reset_failures,
    "UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = $1");

void
account_row_free(struct account_row *row)
{
	free(row->unit_code);
	free(row->unit_name);
	free(row->name);
	free(row->reject_reason);
	free(row->submitted_at);
	free(row->decided_at);
	memset(row, 0, sizeof *row);
}

/* A copy of a column, NULL for SQL NULL. */
static char *
auth_column(PGresult *r, int col)
{
	return PQgetisnull(r, 0, col) ? NULL : xstrdup(PQgetvalue(r, 0, col));
}

/* Give the pooled connection back while hashing; rpc_db takes one again. */
static void
auth_release_db(struct rpc_call *call)
{
	if (call->db != NULL) {
		db_release(call->db);
		call->db = NULL;
	}
}

/* Normalise an ID number into out[19]: upper-case X; false when it cannot be one. */
static bool
auth_normalise_id(const char *id_number, char out[19])
{
	size_t n = strlen(id_number);

	if (n != 18)
		return false;
	for (size_t i = 0; i < 18; i++) {
		char ch = id_number[i];

		if (i == 17 && (ch == 'x' || ch == 'X'))
			ch = 'X';
		else if (ch < '0' || ch > '9')
			return false;
		out[i] = ch;
	}
	out[18] = '\0';
	return true;
}

/* The "locked" error with data.locked_until. Returns -1. */
static int
auth_fail_locked(struct rpc_call *call, const char *until_iso, const char *until_hhmm)
{
	char *message = xasprintf(message_get(call->session->lang, "locked"), until_hhmm);

	rpc_fail(call, RPC_LOGIN_FAILED, "locked", NULL, message);
	free(message);
	json_decref(call->error_data);
	call->error_data = json_pack("{s:s}", "locked_until", until_iso);
	return -1;
}

/* Count a wrong password against the account; reply bad_credentials or locked. */
static int
auth_count(struct rpc_call *call, int64_t account_id)
{
	const struct config *cfg = server_config();
	struct db_conn *db;
	char id[24], limit[16], minutes[16];
	const char *params[3] = { id, limit, minutes };
	PGresult *r;
	int rc;

	if ((db = rpc_db(call)) == NULL)
		return -1;
	snprintf(id, sizeof id, "%lld", (long long)account_id);
	snprintf(limit, sizeof limit, "%d", cfg->lockout_failures);
	snprintf(minutes, sizeof minutes, "%d", cfg->lockout_minutes);
	if ((r = db_exec(db, &auth_count_failure, 3, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
		log_info("session %lu: account %lld locked for %d min after %d failed logins",
		    call->session->serial, (long long)account_id, cfg->lockout_minutes,
		    cfg->lockout_failures);
		rc = auth_fail_locked(call, PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
	} else {
		rc = rpc_fail(call, RPC_LOGIN_FAILED, "bad_credentials", NULL, NULL);
	}
	PQclear(r);
	return rc;
}

int
auth_password(struct rpc_call *call, const char *id_number, const char *password,
    struct account_row *row)
{
	const char *source = call->session->source;
	char normalised[19];
	const char *params[1] = { normalised };
	struct db_conn *db;
	PGresult *r = NULL;
	char *hash = NULL;
	bool needs_reset = false;
	int rc = -1;

	memset(row, 0, sizeof *row);
	if (!auth_source_allowed(source)) {
		log_info("session %lu: %s: too many failed logins from this address",
		    call->session->serial, source);
		return rpc_fail(call, RPC_RATE_LIMITED, "rate_limited", NULL, NULL);
	}
	if (!auth_normalise_id(id_number, normalised)) {
		/* Not even an ID number: the same answer, after the same work. */
		password_verify(NULL, password);
		auth_source_failed(source);
		return rpc_fail(call, RPC_LOGIN_FAILED, "bad_credentials", NULL, NULL);
	}

	if ((db = rpc_db(call)) == NULL)
		return -1;
	if ((r = db_exec(db, &auth_select_account, 1, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	if (PQntuples(r) == 0) {
		PQclear(r);
		r = NULL;
		auth_release_db(call);
		password_verify(NULL, password);
		auth_source_failed(source);
		rc = rpc_fail(call, RPC_LOGIN_FAILED, "bad_credentials", NULL, NULL);
		goto out;
	}

	row->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	snprintf(row->id_number, sizeof row->id_number, "%s", PQgetvalue(r, 0, 1));
	row->role = strcmp(PQgetvalue(r, 0, 2), "unit_admin") == 0 ? ROLE_UNIT_ADMIN : ROLE_STAFF;
	snprintf(row->state, sizeof row->state, "%s", PQgetvalue(r, 0, 3));
	hash = auth_column(r, 4);
	row->unit_code = auth_column(r, 5);
	row->unit_name = auth_column(r, 6);
	row->name = auth_column(r, 7);
	row->reject_reason = auth_column(r, 8);
	row->submitted_at = auth_column(r, 9);
	row->decided_at = auth_column(r, 10);
	needs_reset = strcmp(PQgetvalue(r, 0, 14), "t") == 0;

	if (strcmp(PQgetvalue(r, 0, 11), "t") == 0) {
		/* Locked: the password is not checked at all. */
		auth_source_failed(source);
		rc = auth_fail_locked(call, PQgetvalue(r, 0, 12), PQgetvalue(r, 0, 13));
		goto out;
	}
	PQclear(r);
	r = NULL;

	auth_release_db(call);
	if (!password_verify(hash, password)) {
		auth_source_failed(source);
		/* A key-only account has no password to guess: nothing to count. */
		if (hash == NULL)
			rc = rpc_fail(call, RPC_LOGIN_FAILED, "bad_credentials", NULL, NULL);
		else
			rc = auth_count(call, row->id);
		goto out;
	}

	if (needs_reset) {
		char id[24];
		const char *reset_params[1] = { id };

		if ((db = rpc_db(call)) == NULL)
			goto out;
		snprintf(id, sizeof id, "%lld", (long long)row->id);
		if ((r = db_exec(db, &auth_reset_failures, 1, reset_params)) == NULL) {
			rc = rpc_fail_internal(call, db_error_text(db));
			goto out;
		}
	}
	rc = 0;
out:
	if (r != NULL)
		PQclear(r);
	if (hash != NULL) {
		memset(hash, 0, strlen(hash));
		free(hash);
	}
	if (rc != 0)
		account_row_free(row);
	return rc;
}
