/*
 * auth.c - ID number and password: lookup, throttling per ID number and
 * per source address.
 *
 * Nothing is ever locked: a lock is a weapon, since anyone who knows a
 * person's ID number could keep them out by failing on purpose (ASVS 4.0.3
 * V2.2.1).  Instead failures slow further attempts.
 *
 * Per ID number: failures are counted in login_throttle, keyed by the ID
 * number string whether or not any account has it, so that a known and an
 * unknown ID number behave alike, in replies and in work done.  From
 * security.throttle_after failures on, every attempt on that ID number
 * needs the verification code (unless security.captcha is off) and waits
 * 1, 2, 4 ... seconds, capped at security.throttle_max_delay, before its
 * answer -- right password or wrong.  The right password is never refused.
 * The count lives in the database, so every jxjyd serving it agrees, and
 * restarts once its last failure is security.throttle_window old.
 *
 * An attempt is counted before its password is checked and uncounted when
 * it turns out right, so that parallel attempts from many sessions each
 * see the ones before them and wait longer, rather than all reading the
 * same count.  Each attempt sleeps in its own session thread, with no
 * pooled connection held and no queue shared with anyone, so a flood on
 * one ID number does not put its owner behind the attacker.
 *
 * Per source address (in memory, per process): past
 * security.source_failures_per_minute failures in a sliding minute, every
 * attempt from that address needs the code and waits the same way.  It is
 * slowed, not refused, because one address may be a whole hospital behind
 * NAT, and refusing it would let one person there keep the others out.
 *
 * One ID number may carry several applications (a person's and a
 * stranger's claim, rpc-register.c) but at most one active account.  A
 * password is tried against the active account and the newest applications
 * in turn, newest first; how many is bounded by
 * security.max_pending_applications.
 *
 * The Argon2id verification runs with no pooled database connection held:
 * a burst of logins waits for hashing slots, not on the pool, so the other
 * sessions' requests still find connections.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "captcha.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "passwords.h"
#include "session.h"
#include "sessions.h"
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
auth_source_allowed(const struct config *cfg, const char *source)
{
	return auth_source_failures(source) < cfg->source_failures_per_minute;
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


/* --- throttling per ID number -------------------------------------------- */

/*
 * The ID number's live failure count ($2: the window in seconds) with the
 * candidates for its password, the active account first, then the newest
 * other applications ($3 of them).  An ID number nobody has still yields
 * one row (with NULL account columns): the same statement, the same round
 * trip, whatever the ID number.
 */
#define AUTH_ACCOUNT_COLUMNS \
	"a.id, a.id_number, a.role, a.state, a.password_hash, a.unit_code, u.name AS unit," \
	" a.name, a.reject_reason, " DB_ISO_TIME("a.submitted_at") " AS submitted, " \
	DB_ISO_TIME("a.decided_at") " AS decided, a.base_code, b.name AS base," \
	" a.submitted_at AS sort_at, a.scope_region, r.name AS scope"
/* A base's administrator belongs to a base, not to a unit (schema 012). */
#define AUTH_ACCOUNT_FROM \
	"accounts a LEFT JOIN units u ON u.code = a.unit_code" \
	" LEFT JOIN bases b ON b.code = a.base_code" \
	" LEFT JOIN regions r ON r.code = a.scope_region"
DB_STMT(auth_select_candidates,
    "SELECT coalesce(t.failures, 0), c.*"
    " FROM (SELECT 1) one"
    " LEFT JOIN login_throttle t ON t.id_number = $1"
    "  AND t.last_failure > now() - make_interval(secs => $2::int)"
    " LEFT JOIN LATERAL ("
    "  (SELECT 0 AS rank, " AUTH_ACCOUNT_COLUMNS
    "   FROM " AUTH_ACCOUNT_FROM
    "   WHERE a.id_number = $1 AND a.state = 'active')"
    "  UNION ALL"
    "  (SELECT 1, " AUTH_ACCOUNT_COLUMNS
    "   FROM " AUTH_ACCOUNT_FROM
    "   WHERE a.id_number = $1 AND a.state <> 'active'"
    "   ORDER BY a.submitted_at DESC, a.id DESC LIMIT $3)) c ON true"
    " ORDER BY c.rank, c.sort_at DESC, c.id DESC");

/*
 * Count one attempt on $1 as a failure, restarting the count when the
 * last one is older than the window ($2 s); returns the count.  Prunes a
 * bounded number of rows older than the window (never $1's own: one
 * statement may not change a row twice).
 */
DB_STMT(auth_count_attempt,
    "WITH prune AS ("
    " DELETE FROM login_throttle WHERE id_number IN ("
    "  SELECT id_number FROM login_throttle"
    "  WHERE last_failure < now() - make_interval(secs => $2::int) AND id_number <> $1"
    "  LIMIT 100))"
    " INSERT INTO login_throttle AS t (id_number, failures, last_failure)"
    " VALUES ($1, 1, now())"
    " ON CONFLICT (id_number) DO UPDATE SET"
    "  failures = CASE WHEN t.last_failure < now() - make_interval(secs => $2::int)"
    "   THEN 1 ELSE t.failures + 1 END,"
    "  last_failure = now()"
    " RETURNING failures");

/* The attempt was right after all: take it back. */
DB_STMT(auth_uncount_attempt,
    "UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE id_number = $1");

/* The active account's owner proved it: the series of failures ends. */
DB_STMT(auth_reset_attempts,
    "DELETE FROM login_throttle WHERE id_number = $1");

/* The session's own account (auth_verify_current), with the count. */
DB_STMT(auth_select_current,
    "SELECT coalesce(t.failures, 0), a.password_hash"
    " FROM accounts a LEFT JOIN login_throttle t ON t.id_number = a.id_number"
    "  AND t.last_failure > now() - make_interval(secs => $2::int)"
    " WHERE a.id = $1");

DB_STMT(auth_lock_stmt,
    "SELECT pg_advisory_xact_lock(hashtext('jxjy id_number ' || $1))");

int
auth_lock_id_number(struct db_conn *db, const char *id_number)
{
	const char *params[1] = { id_number };
	PGresult *r;

	if ((r = db_exec(db, &auth_lock_stmt, 1, params)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* One candidate account for a password, with its hash. */
struct auth_candidate {
	struct account_row row;
	char	*hash;		/* NULL: key only */
};

void
account_row_free(struct account_row *row)
{
	free(row->unit_code);
	free(row->unit_name);
	free(row->name);
	free(row->reject_reason);
	free(row->submitted_at);
	free(row->decided_at);
	free(row->base_code);
	free(row->base_name);
	free(row->scope_region);
	free(row->scope_name);
	memset(row, 0, sizeof *row);
}

/* A copy of a column, NULL for SQL NULL. */
static char *
auth_column(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : xstrdup(PQgetvalue(r, row, col));
}

/* Give the pooled connection back while waiting or hashing; rpc_db takes one again. */
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

/* 1, 2, 4 ... seconds for the failures past the threshold, capped; 0 below it. */
static int
auth_delay_for(const struct config *cfg, int failures, int threshold)
{
	int cap = cfg->throttle_max_delay, over = failures - threshold;

	if (over < 0)
		return 0;
	if (over > 16)
		over = 16;
	return (1 << over) < cap ? (1 << over) : cap;
}

/*
 * Whether an attempt is slowed: the ID number had throttle_after failures
 * (failures counts those before this attempt; -1 when no ID number is
 * involved), or its source address is past its limit.
 */
static bool
auth_throttled(const struct config *cfg, const struct session *s, int failures)
{
	return failures >= cfg->throttle_after ||
	    auth_source_failures(s->source) >= cfg->source_failures_per_minute;
}

bool
auth_captcha_required(const struct config *cfg, const struct session *s, bool throttled)
{
	switch (cfg->captcha) {
	case CAPTCHA_ALWAYS:
		return true;
	case CAPTCHA_AFTER_FAILURES:
		return throttled || s->login_failures > 0 || auth_source_failures(s->source) > 0;
	case CAPTCHA_OFF:
		break;
	}
	return false;
}

/* Add member key to the error's data. */
static void
auth_error_data(struct rpc_call *call, const char *key, json_t *value)
{
	if (call->error_data == NULL)
		call->error_data = json_object();
	json_object_set_new(call->error_data, key, value);
}

/*
 * The verification code step: when required, the call's "captcha"
 * parameter must match the session's code (consumed whatever happens);
 * when not, any outstanding code is dropped, so that none outlives an
 * attempt.  Returns 0, or -1 after rpc_fail ("bad_captcha").
 */
static int
auth_captcha(struct rpc_call *call, bool throttled)
{
	struct session *s = call->session;
	enum captcha_result result;

	if (!auth_captcha_required(call->cfg, s, throttled)) {
		captcha_free(s->captcha);
		s->captcha = NULL;
		return 0;
	}
	result = captcha_check(&s->captcha, rpc_param_string(call, "captcha"));
	if (result == CAPTCHA_OK)
		return 0;
	s->login_failures++;
	if (result == CAPTCHA_EXPIRED) {
		rpc_fail(call, RPC_LOGIN_FAILED, "bad_captcha", "captcha",
		    message_get(s->lang, "captcha_expired"));
		auth_error_data(call, "expired", json_true());
	} else {
		rpc_fail(call, RPC_LOGIN_FAILED, "bad_captcha", "captcha",
		    message_get(s->lang, "bad_captcha"));
	}
	auth_error_data(call, "captcha_required", json_true());
	return -1;
}

/*
 * Count the attempt on id_number (before its password is checked) and
 * wait the delay that the failures before it and the source address call
 * for, holding no pooled connection.  Returns 0, or -1 after rpc_fail.
 */
static int
auth_count_and_wait(struct rpc_call *call, const char *id_number)
{
	const struct config *cfg = call->cfg;
	struct db_conn *db;
	char window[16];
	const char *params[2] = { id_number, window };
	PGresult *r;
	int before, delay, source_delay;
	struct timespec ts;

	if ((db = rpc_db(call)) == NULL)
		return -1;
	snprintf(window, sizeof window, "%d", cfg->throttle_window);
	if ((r = db_exec(db, &auth_count_attempt, 2, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	before = atoi(PQgetvalue(r, 0, 0)) - 1;
	PQclear(r);
	auth_release_db(call);

	delay = auth_delay_for(cfg, before, cfg->throttle_after);
	source_delay = auth_delay_for(cfg, auth_source_failures(call->session->source),
	    cfg->source_failures_per_minute);
	if (source_delay > delay)
		delay = source_delay;
	if (delay > 0) {
		log_info("session %lu: throttled (%d failures on the ID number, %d from %s):"
		    " %d s delay", call->session->serial, before,
		    auth_source_failures(call->session->source), call->session->source, delay);
		ts.tv_sec = delay;
		ts.tv_nsec = 0;
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	return 0;
}

/*
 * The attempt was right: uncount it, or with reset end the ID number's
 * series of failures.  Returns 0, or -1 after rpc_fail.
 */
static int
auth_settle(struct rpc_call *call, const char *id_number, bool reset)
{
	struct db_conn *db;
	const char *params[1] = { id_number };
	PGresult *r;

	if ((db = rpc_db(call)) == NULL)
		return -1;
	r = db_exec(db, reset ? &auth_reset_attempts : &auth_uncount_attempt, 1, params);
	if (r == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	PQclear(r);
	return 0;
}

/* Read candidate row i of r (columns from 1 on) into c. */
static void
auth_candidate_read(PGresult *r, int i, struct auth_candidate *c)
{
	struct account_row *row = &c->row;

	row->id = strtoll(PQgetvalue(r, i, 2), NULL, 10);
	snprintf(row->id_number, sizeof row->id_number, "%s", PQgetvalue(r, i, 3));
	row->role = auth_role(PQgetvalue(r, i, 4));
	snprintf(row->state, sizeof row->state, "%s", PQgetvalue(r, i, 5));
	c->hash = auth_column(r, i, 6);
	row->unit_code = auth_column(r, i, 7);
	row->unit_name = auth_column(r, i, 8);
	row->name = auth_column(r, i, 9);
	row->reject_reason = auth_column(r, i, 10);
	row->submitted_at = auth_column(r, i, 11);
	row->decided_at = auth_column(r, i, 12);
	row->base_code = auth_column(r, i, 13);
	row->base_name = auth_column(r, i, 14);
	/* 15 is sort_at */
	row->scope_region = auth_column(r, i, 16);
	row->scope_name = auth_column(r, i, 17);
}

int
auth_password(struct rpc_call *call, const char *id_number, const char *password,
    enum auth_scope scope, struct account_row *row)
{
	const struct config *cfg = call->cfg;
	struct session *s = call->session;
	char normalised[19], window[16], limit[16];
	const char *params[3] = { normalised, window, limit };
	struct auth_candidate *cands = NULL;
	struct db_conn *db;
	PGresult *r;
	int n = 0, failures, match = -1, rc = -1;

	memset(row, 0, sizeof *row);
	if (!auth_normalise_id(id_number, normalised)) {
		/*
		 * Not even an ID number: nothing to count it against, but the
		 * same answer after the same hashing, slowed by the source.
		 */
		if (auth_captcha(call, auth_throttled(cfg, s, -1)) != 0)
			return -1;
		password_verify(NULL, password);
		auth_source_failed(s->source);
		s->login_failures++;
		return rpc_fail(call, RPC_LOGIN_FAILED, "bad_credentials", NULL, NULL);
	}

	if ((db = rpc_db(call)) == NULL)
		return -1;
	snprintf(window, sizeof window, "%d", cfg->throttle_window);
	snprintf(limit, sizeof limit, "%d", cfg->max_pending_applications + 1);
	if ((r = db_exec(db, &auth_select_candidates, 3, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	failures = atoi(PQgetvalue(r, 0, 0));
	if (!PQgetisnull(r, 0, 1)) {
		n = PQntuples(r);
		/* Login knows only the active account when there is one (rank 0 first). */
		if (scope == AUTH_LOGIN && strcmp(PQgetvalue(r, 0, 1), "0") == 0)
			n = 1;
		cands = xcalloc(n, sizeof *cands);
		for (int i = 0; i < n; i++)
			auth_candidate_read(r, i, &cands[i]);
	}
	PQclear(r);

	if (auth_captcha(call, auth_throttled(cfg, s, failures)) != 0)
		goto out;
	if (auth_count_and_wait(call, normalised) != 0)
		goto out;

	/*
	 * This session's last login matched and was cut off (a failover) after
	 * that: the same password against the same stored hash needs no second
	 * Argon2id (passwords.h, struct password_memo).
	 */
	for (int i = 0; i < n && match < 0; i++) {
		if (password_memo_holds(&s->login_memo, cands[i].hash, password)) {
			log_info("session %lu: the password this session proved before it was cut "
			    "off is taken again without hashing", s->serial);
			match = i;
		}
	}
	/* Newest first, until one matches; nobody's ID number costs one hash too. */
	if (n == 0)
		password_verify(NULL, password);
	for (int i = 0; i < n && match < 0; i++) {
		if (password_verify(cands[i].hash, password))
			match = i;
	}
	password_memo_forget(&s->login_memo);
	if (match < 0) {
		auth_source_failed(s->source);
		s->login_failures++;
		rc = rpc_fail(call, RPC_LOGIN_FAILED, "bad_credentials", NULL, NULL);
		if (auth_captcha_required(cfg, s, auth_throttled(cfg, s, failures + 1)))
			auth_error_data(call, "captcha_required", json_true());
		goto out;
	}
	/* Kept only while the settling below is cut off (forgotten on the next attempt). */
	password_memo_keep(&s->login_memo, cands[match].hash, password);
	if (auth_settle(call, normalised, strcmp(cands[match].row.state, "active") == 0) != 0)
		goto out;
	password_memo_forget(&s->login_memo);
	*row = cands[match].row;
	memset(&cands[match].row, 0, sizeof cands[match].row);
	rc = 0;
out:
	for (int i = 0; i < n; i++) {
		account_row_free(&cands[i].row);
		password_free(cands[i].hash);
	}
	free(cands);
	return rc;
}

int
auth_verify_current(struct rpc_call *call, const char *password)
{
	const struct config *cfg = call->cfg;
	struct session *s = call->session;
	char id[24], window[16];
	const char *params[2] = { id, window };
	struct db_conn *db;
	PGresult *r;
	char *hash = NULL;
	bool right;
	int rc = -1;

	if ((db = rpc_db(call)) == NULL)
		return -1;
	snprintf(id, sizeof id, "%lld", (long long)s->account_id);
	snprintf(window, sizeof window, "%d", cfg->throttle_window);
	if ((r = db_exec(db, &auth_select_current, 2, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	if (PQntuples(r) != 1) {
		PQclear(r);
		return rpc_fail_internal(call, "the session's account is gone");
	}
	hash = auth_column(r, 0, 1);
	PQclear(r);

	if (auth_count_and_wait(call, s->id_number) != 0)
		goto out;
	right = password != NULL && password_verify(hash, password);
	if (!right) {
		auth_source_failed(s->source);
		rc = 1;
		goto out;
	}
	if (auth_settle(call, s->id_number, true) != 0)
		goto out;
	rc = 0;
out:
	password_free(hash);
	return rc;
}

enum role
auth_role(const char *name)
{
	if (strcmp(name, "unit_admin") == 0)
		return ROLE_UNIT_ADMIN;
	if (strcmp(name, "base_admin") == 0)
		return ROLE_BASE_ADMIN;
	if (strcmp(name, "authority") == 0)
		return ROLE_AUTHORITY;
	return ROLE_STAFF;
}

const char *
auth_role_name(enum role role)
{
	switch (role) {
	case ROLE_UNIT_ADMIN:	return "unit_admin";
	case ROLE_BASE_ADMIN:	return "base_admin";
	case ROLE_AUTHORITY:	return "authority";
	case ROLE_STAFF:	return "staff";
	case ROLE_PASSWORD_CHANGE: return "password_change";
	default:		return "guest";
	}
}

void
auth_session_login(struct session *s, int64_t account_id, enum role role,
    const char *unit_code, const char *base_code, const char *scope_region,
    const char *id_number)
{
	free(s->unit_code);
	free(s->base_code);
	s->account_id = account_id;
	s->role = role;
	s->unit_code = xstrdup(unit_code ? unit_code : "");
	s->base_code = base_code != NULL && *base_code != '\0' ? xstrdup(base_code) : NULL;
	snprintf(s->scope_region, sizeof s->scope_region, "%s",
	    scope_region != NULL ? scope_region : "");
	snprintf(s->id_number, sizeof s->id_number, "%s", id_number ? id_number : "");
	s->key_login = false;
	sessions_login(&s->registry, account_id);
}

void
auth_session_logout(struct session *s)
{
	sessions_logout(&s->registry);
	free(s->unit_code);
	s->unit_code = NULL;
	free(s->base_code);
	s->base_code = NULL;
	s->scope_region[0] = '\0';
	s->id_number[0] = '\0';
	s->key_login = false;
	s->account_id = 0;
	s->role = ROLE_GUEST;
}
