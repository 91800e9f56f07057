/*
 * rpc-session.c - the verification code, login and logout, the password,
 * and the applicant's own view of a registration.
 *
 *	captcha.new			guest
 *	session.login			guest
 *	session.logout, session.whoami	staff, unit_admin, base_admin
 *	account.change_password		staff, unit_admin, base_admin
 *	application.status		guest
 *	application.withdraw		guest
 *	debug.captcha_answer		any; only with debug_methods (tests)
 *
 * Everything about proving a password (the verification code, lookup,
 * throttling) is in auth.c; the rules a new password obeys in passwords.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "captcha.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "messages.h"
#include "notify.h"
#include "passwords.h"
#include "reset.h"
#include "rpc.h"
#include "session.h"
#include "xmalloc.h"

/* The home screen's functions of each role, in the order they are shown. */
static const char *const staff_functions[] = {
	"profile", "declare", "progress", "completion", NULL,
};
static const char *const unit_admin_functions[] = {
	"review_registrations", "review_titles", "staff", "review_declarations",
	"completion_report", NULL,
};
static const char *const base_admin_functions[] = {
	"base_classes", NULL,
};
static const char *const authority_functions[] = {
	"authority_stats", "authority_review", "authority_audit", "authority_bases",
	"authority_requirements", NULL,
};

DB_STMT(session_select_account,
    "SELECT a.id, a.id_number, a.name, a.role, a.unit_code, u.name, a.base_code, b.name,"
    " a.scope_region, r.name"
    " FROM accounts a LEFT JOIN units u ON u.code = a.unit_code"
    " LEFT JOIN bases b ON b.code = a.base_code"
    " LEFT JOIN regions r ON r.code = a.scope_region WHERE a.id = $1");

DB_STMT(session_select_password,
    "SELECT password_hash, phone, id_number FROM accounts WHERE id = $1 AND state = 'active'");

/*
 * Guarded by the hash that was verified: a concurrent change makes it match
 * nothing.  The same statement ends a reset (must_change_password) and
 * removes the person's own SSH keys but those in $5, each with its audit
 * row: whoever had a session could have added a key, and a key outlives
 * the password it came in with.
 */
DB_STMT(session_change_password,
    "WITH u AS ("
    " UPDATE accounts SET password_hash = $2, failed_logins = 0, locked_until = NULL,"
    "  must_change_password = false, reset_expires_at = NULL, updated_at = now()"
    " WHERE id = $1 AND state = 'active' AND password_hash IS NOT DISTINCT FROM $3"
    " RETURNING id, state, role),"
    " audit AS ("
    " INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state)"
    " SELECT id, id, 'password_change', state, state FROM u RETURNING 1),"
    " gone AS ("
    " DELETE FROM account_keys k USING u WHERE k.account_id = u.id AND k.source = 'user'"
    "  AND NOT (k.id = ANY ($5::bigint[]))"
    " RETURNING k.account_id, k.fingerprint),"
    " gone_audit AS ("
    " INSERT INTO account_audit (account_id, actor_id, action, reason)"
    " SELECT account_id, account_id, 'key_remove', fingerprint FROM gone)"
    /* Other jxjyd on this database end their sessions of the account (notify.h). */
    " SELECT id, role, (SELECT count(*) FROM gone),"
    " pg_notify('" NOTIFY_CHANNEL "', 'end ' || id || ' ' || $4::text) FROM u");

DB_STMT(session_withdraw,
    "WITH u AS ("
    " UPDATE accounts SET state = 'withdrawn', updated_at = now(), version = version + 1"
    " WHERE id = $1 AND state = 'pending'"
    " RETURNING id),"
    " audit AS ("
    " INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state)"
    " SELECT id, id, 'withdraw', 'pending', 'withdrawn' FROM u RETURNING 1)"
    " SELECT id FROM u");

DB_STMT(session_current_state,
    "SELECT state FROM accounts WHERE id = $1");

/*
 * An error on one of this file's input fields, phrased "label: sentence"
 * (or the sentence alone when it names the field itself), because the
 * fields tables do not hold these fields.  Returns -1.
 */
static int
session_fail_field(struct rpc_call *call, int code, const char *reason, const char *field,
    bool with_label)
{
	enum lang lang = call->session->lang;
	char key[64];
	char *message;

	if (with_label) {
		snprintf(key, sizeof key, "label.%s", field);
		message = xasprintf("%s: %s", message_get(lang, key), message_get(lang, reason));
	} else {
		message = xstrdup(message_get(lang, reason));
	}
	rpc_fail(call, code, reason, field, message);
	free(message);
	return -1;
}

/*
 * The ID number and the password of a login or an application's look-up,
 * both typed: each one left empty is a problem, all reported in one reply
 * before anything is counted against the ID number.  Returns 0, or -1
 * after rpc_fail_problems.
 */
static int
session_check_credentials(struct rpc_call *call)
{
	static const char *const fields[] = { "id_number", "password", NULL };

	for (size_t i = 0; fields[i] != NULL; i++) {
		const char *v = rpc_param_string(call, fields[i]);

		if (v == NULL || *v == '\0')
			rpc_problem_required(call, fields[i]);
	}
	return rpc_fail_problems(call, RPC_INVALID_INPUT);
}

/*
 * A problem on one of the password fields: as session_fail_field words it,
 * the sentence alone in the reply's message when it names the field itself.
 */
static void
session_problem(struct rpc_call *call, const char *reason, const char *field,
    bool with_label)
{
	rpc_problem(call, reason, field, NULL);
	if (!with_label)
		json_object_del(json_array_get(call->problems, rpc_problems(call) - 1), "label");
}

/* Add member key to the error's data. */
static void
session_error_data(struct rpc_call *call, const char *key, json_t *value)
{
	if (call->error_data == NULL)
		call->error_data = json_object();
	json_object_set_new(call->error_data, key, value);
}

/* Where an account belongs, as session_result names it. */
struct session_place {
	const char	*unit_code, *unit_name;	/* staff, unit administrators */
	const char	*base_code, *base_name;	/* a base's administrator */
	const char	*scope_region, *scope_name; /* an authority's */
};

/*
 * {account:{...}, functions:[...]}: the login and whoami result.  The
 * account names its unit, a base administrator's its base (schema 012),
 * an authority's its scope: {code, name, province: whether it is the whole
 * province}.
 */
static json_t *
session_result(struct session *s, int64_t id, const char *id_number, const char *name,
    enum role role, const struct session_place *at)
{
	const char *const *keys = role == ROLE_UNIT_ADMIN ? unit_admin_functions :
	    role == ROLE_BASE_ADMIN ? base_admin_functions :
	    role == ROLE_AUTHORITY ? authority_functions : staff_functions;
	json_t *functions = json_array(), *result, *account;
	char label[64];

	for (size_t i = 0; keys[i] != NULL; i++) {
		snprintf(label, sizeof label, "function.%s", keys[i]);
		json_array_append_new(functions, json_pack("{s:s, s:s}", "key", keys[i],
		    "label", message_get(s->lang, label)));
	}
	result = json_pack("{s:{s:I, s:s, s:s, s:s}, s:o, s:b}",
	    "account", "id", (json_int_t)id, "id_number", id_number, "name", name,
	    "role", auth_role_name(role), "functions", functions,
	    /* An administrator's reset: only the password change is served (rpc-reset.c). */
	    "must_change_password", s->role == ROLE_PASSWORD_CHANGE);
	account = json_object_get(result, "account");
	if (role == ROLE_BASE_ADMIN)
		json_object_set_new(account, "base", json_pack("{s:s, s:s}",
		    "code", at->base_code ? at->base_code : "",
		    "name", at->base_name ? at->base_name : ""));
	else if (role == ROLE_AUTHORITY)
		json_object_set_new(account, "scope", json_pack("{s:s, s:s, s:b}",
		    "code", at->scope_region ? at->scope_region : "",
		    "name", at->scope_name ? at->scope_name : "",
		    "province", at->scope_region != NULL && strlen(at->scope_region) == 6 &&
		    strcmp(at->scope_region + 2, "0000") == 0));
	else
		json_object_set_new(account, "unit", json_pack("{s:s, s:s}",
		    "code", at->unit_code ? at->unit_code : "",
		    "name", at->unit_name ? at->unit_name : ""));
	return result;
}

static int
captcha_new_method(struct rpc_call *call)
{
	struct session *s = call->session;

	call->result = captcha_new(&s->captcha, call->cfg->captcha_lifetime);
	json_object_set_new(call->result, "required",
	    json_boolean(auth_captcha_required(call->cfg, s, false)));
	return 0;
}

/*
 * The reset code was right but its time is over: the same failure as a
 * wrong password (the administrator resets again).  Frees row; returns -1.
 */
static int
session_login_expired(struct rpc_call *call, struct account_row *row)
{
	log_info("session %lu: account %lld: the reset code has expired", call->session->serial,
	    (long long)row->id);
	account_row_free(row);
	auth_source_failed(call->session->source);
	return rpc_fail(call, RPC_LOGIN_FAILED, "bad_credentials", NULL, NULL);
}

static int
session_login(struct rpc_call *call)
{
	struct session *s = call->session;
	struct account_row row;
	struct reset_login reset;
	char *message;
	int rc = -1;

	if (session_check_credentials(call) != 0)
		return -1;
	/* An administrator's reset code stands in for the password (reset.h). */
	if (reset_login_begin(call, rpc_param_string(call, "id_number"),
	    rpc_param_string(call, "password"), &reset) != 0)
		return -1;
	/* The code, the throttle and the password: auth.c. */
	if (auth_password(call, rpc_param_string(call, "id_number"), reset.code != NULL ?
	    reset.code : rpc_param_string(call, "password"), AUTH_LOGIN, &row) != 0 ||
	    (reset.expired && session_login_expired(call, &row) != 0)) {
		reset_login_free(&reset);
		return -1;
	}

	if (strcmp(row.state, "active") == 0) {
		auth_session_login(s, row.id, reset.must_change ? ROLE_PASSWORD_CHANGE :
		    row.role, row.unit_code, row.base_code, row.scope_region, row.id_number);
		s->login_failures = 0;
		log_info("session %lu: logged in as account %lld (%s)", s->serial,
		    (long long)row.id, auth_role_name(row.role));
		call->result = session_result(s, row.id, row.id_number, row.name, row.role,
		    &(struct session_place){ row.unit_code, row.unit_name, row.base_code,
		    row.base_name, row.scope_region, row.scope_name });
		rc = 0;
	} else if (strcmp(row.state, "pending") == 0) {
		rpc_fail(call, RPC_LOGIN_FAILED, "not_reviewed", NULL, NULL);
	} else if (strcmp(row.state, "rejected") == 0) {
		message = xasprintf(message_get(s->lang, "rejected"),
		    row.reject_reason ? row.reject_reason : "");
		rpc_fail(call, RPC_LOGIN_FAILED, "rejected", NULL, message);
		free(message);
		session_error_data(call, "reject_reason",
		    json_string(row.reject_reason ? row.reject_reason : ""));
	} else if (strcmp(row.state, "disabled") == 0) {
		rpc_fail(call, RPC_LOGIN_FAILED, "disabled", NULL, NULL);
	} else {
		/* Withdrawn: as if it did not exist, which is what withdrawing means. */
		rpc_fail(call, RPC_LOGIN_FAILED, "bad_credentials", NULL, NULL);
	}
	account_row_free(&row);
	reset_login_free(&reset);
	return rc;
}

static int
session_logout(struct rpc_call *call)
{
	struct session *s = call->session;

	log_info("session %lu: account %lld logged out", s->serial, (long long)s->account_id);
	auth_session_logout(s);
	call->result = json_object();
	return 0;
}

static int
session_whoami(struct rpc_call *call)
{
	struct session *s = call->session;
	struct db_conn *db;
	char id[24];
	const char *params[1] = { id };
	PGresult *r;

	if ((db = rpc_db(call)) == NULL)
		return -1;
	snprintf(id, sizeof id, "%lld", (long long)s->account_id);
	if ((r = db_exec(db, &session_select_account, 1, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	if (PQntuples(r) != 1) {
		PQclear(r);
		return rpc_fail_internal(call, "the session's account is gone");
	}
	call->result = session_result(s, s->account_id, PQgetvalue(r, 0, 1),
	    PQgetvalue(r, 0, 2), auth_role(PQgetvalue(r, 0, 3)),
	    &(struct session_place){ PQgetvalue(r, 0, 4), PQgetvalue(r, 0, 5),
	    PQgetvalue(r, 0, 6), PQgetvalue(r, 0, 7), PQgetvalue(r, 0, 8),
	    PQgetvalue(r, 0, 9) });
	PQclear(r);
	return 0;
}

/*
 * keep_keys (key ids, all integers) as a PostgreSQL array literal in
 * *out (caller frees); -1 after rpc_fail when an element is no id.
 */
static int
session_keep_keys(struct rpc_call *call, char **out)
{
	json_t *keep = json_object_get(call->params, "keep_keys"), *v;
	size_t i, len = 0, cap = 3;
	char *text;

	*out = NULL;
	json_array_foreach(keep, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0)
			return rpc_fail(call, RPC_INVALID_PARAMS, "param_type", "keep_keys", NULL);
		cap += 21;
	}
	text = xmalloc(cap);
	text[len++] = '{';
	json_array_foreach(keep, i, v)
		len += (size_t)snprintf(text + len, cap - len, "%s%lld", i > 0 ? "," : "",
		    (long long)json_integer_value(v));
	text[len++] = '}';
	text[len] = '\0';
	*out = text;
	return 0;
}

/*
 * The checks of a password change before its hashing, every field's problem
 * in one reply in the form's order: the old password given (unless there is
 * none or the change is forced), the new one typed alike twice and
 * acceptable; then, only when all that holds, the old one right.  Returns
 * 0, or -1 after rpc_fail.
 */
static int
session_check_change(struct rpc_call *call, const char *old_hash, const char *phone,
    const char *id_number, bool forced)
{
	const char *old_password = rpc_param_string(call, "old_password");
	const char *new_password = rpc_param_string(call, "new_password");
	const char *confirm = rpc_param_string(call, "new_password_confirm");
	const char *reason;
	int wrong;

	if (old_hash != NULL && !forced && (old_password == NULL || *old_password == '\0'))
		rpc_problem_required(call, "old_password");
	if (*new_password == '\0')
		rpc_problem_required(call, "new_password");
	else if ((reason = password_check(new_password, id_number, phone)) != NULL)
		session_problem(call, reason, "new_password", true);
	if (*confirm == '\0')
		rpc_problem_required(call, "new_password_confirm");
	else if (*new_password != '\0' && strcmp(new_password, confirm) != 0)
		session_problem(call, "password_mismatch", "new_password_confirm", false);
	if (rpc_fail_problems(call, RPC_INVALID_INPUT) != 0)
		return -1;
	if (old_hash == NULL || forced)
		return 0;
	/* A stolen session must not try old passwords at leisure: auth.c counts and slows. */
	if ((wrong = auth_verify_current(call, old_password)) <= 0)
		return wrong;
	return session_fail_field(call, RPC_INVALID_INPUT, "old_password_wrong", "old_password",
	    false);
}

static int
account_change_password(struct rpc_call *call)
{
	struct session *s = call->session;
	const char *new_password = rpc_param_string(call, "new_password");
	/* Forced after a reset: the session proved the code a moment ago, ask nothing old. */
	bool forced = s->role == ROLE_PASSWORD_CHANGE;
	char id[24];
	const char *params[5] = { id, NULL, NULL, NULL, NULL };
	char *old_hash = NULL, *phone = NULL, *id_number = NULL, *new_hash = NULL;
	char *keep = NULL;
	struct db_conn *db;
	PGresult *r = NULL;
	int ended, removed, rc = -1;

	snprintf(id, sizeof id, "%lld", (long long)s->account_id);
	if (session_keep_keys(call, &keep) != 0)
		return -1;
	if ((db = rpc_db(call)) == NULL)
		goto out;
	/* No row: disabled (or gone) since this session logged in. */
	if ((r = rpc_exec_one(call, db, &session_select_password, 1, params)) == NULL)
		goto out;
	if (!PQgetisnull(r, 0, 0))
		old_hash = xstrdup(PQgetvalue(r, 0, 0));
	if (!PQgetisnull(r, 0, 1))
		phone = xstrdup(PQgetvalue(r, 0, 1));
	id_number = xstrdup(PQgetvalue(r, 0, 2));
	PQclear(r);
	r = NULL;
	/* Hashing follows: give the connection back meanwhile (see auth.c). */
	db_release(call->db);
	call->db = NULL;

	if (session_check_change(call, old_hash, phone, id_number, forced) != 0)
		goto out;
	if ((new_hash = password_hash(new_password)) == NULL) {
		rc = rpc_fail_internal(call, "cannot hash the new password");
		goto out;
	}

	if ((db = rpc_db(call)) == NULL)
		goto out;
	params[1] = new_hash;
	params[2] = old_hash;
	params[3] = notify_instance();
	params[4] = keep;
	/* No row: changed or disabled by another session since we read it. */
	if ((r = rpc_exec_one(call, db, &session_change_password, 5, params)) == NULL)
		goto out;
	if (forced)	/* the reset is over: the account's own role again */
		s->role = auth_role(PQgetvalue(r, 0, 1));
	removed = atoi(PQgetvalue(r, 0, 2));
	ended = sessions_end_account(s->account_id, &s->registry);
	log_info("session %lu: account %lld changed its password; %d other sessions ended, "
	    "%d SSH keys removed", s->serial, (long long)s->account_id, ended, removed);
	call->result = json_pack("{s:i, s:i}", "ended_sessions", ended,
	    "removed_keys", removed);
	rc = 0;
out:
	if (r != NULL)
		PQclear(r);
	free(keep);
	password_free(old_hash);
	free(phone);
	free(id_number);
	password_free(new_hash);
	return rc;
}

static int
application_status(struct rpc_call *call)
{
	struct account_row row;

	if (session_check_credentials(call) != 0)
		return -1;
	if (auth_password(call, rpc_param_string(call, "id_number"),
	    rpc_param_string(call, "password"), AUTH_APPLICATION, &row) != 0)
		return -1;
	call->result = json_pack("{s:s, s:s, s:{s:s?, s:s?}, s:s}", "state", row.state,
	    "name", row.name, "unit", "code", row.unit_code, "name", row.unit_name,
	    "submitted_at", row.submitted_at);
	if (row.decided_at != NULL)
		json_object_set_new(call->result, "decided_at", json_string(row.decided_at));
	if (row.reject_reason != NULL && strcmp(row.state, "rejected") == 0)
		json_object_set_new(call->result, "reject_reason", json_string(row.reject_reason));
	/* From now on this guest hears record.changed for its application (sessions.h). */
	sessions_watch(&call->session->registry, row.id);
	account_row_free(&row);
	return 0;
}

static int
application_withdraw(struct rpc_call *call)
{
	struct account_row row;
	struct db_conn *db;
	char id[24];
	const char *params[1] = { id };
	PGresult *r = NULL;
	int rc = -1;

	if (session_check_credentials(call) != 0)
		return -1;
	if (auth_password(call, rpc_param_string(call, "id_number"),
	    rpc_param_string(call, "password"), AUTH_APPLICATION, &row) != 0)
		return -1;
	if ((db = rpc_db(call)) == NULL)
		goto out;
	snprintf(id, sizeof id, "%lld", (long long)row.id);
	if ((r = db_exec(db, &session_withdraw, 1, params)) == NULL) {
		rc = rpc_fail_internal(call, db_error_text(db));
		goto out;
	}
	if (PQntuples(r) == 1) {
		log_info("session %lu: account %lld withdrew its registration",
		    call->session->serial, (long long)row.id);
		call->result = json_pack("{s:s}", "state", "withdrawn");
		rc = 0;
		goto out;
	}
	/* Not pending (any more): say what it is now. */
	PQclear(r);
	if ((r = db_exec(db, &session_current_state, 1, params)) == NULL) {
		rc = rpc_fail_internal(call, db_error_text(db));
		goto out;
	}
	rc = rpc_fail(call, RPC_CONFLICT, "state_changed", NULL,
	    message_get(call->session->lang, "withdraw_not_pending"));
	session_error_data(call, "state",
	    json_string(PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : row.state));
out:
	if (r != NULL)
		PQclear(r);
	account_row_free(&row);
	return rc;
}

/*
 * Test only (debug_methods = true): the outstanding code, so that an
 * integration test can pass the captcha without reading the drawing.
 */
static int
debug_captcha_answer(struct rpc_call *call)
{
	const char *answer = captcha_debug_answer(call->session->captcha);

	if (answer == NULL)
		return rpc_fail(call, RPC_NOT_FOUND, "captcha_none", NULL, NULL);
	call->result = json_pack("{s:s}", "answer", answer);
	return 0;
}

/* The ID number and password (and captcha): session.login and application.*. */
static const struct rpc_param credentials_params[] = {
	{ "id_number", T_STRING, true },
	{ "password", T_STRING, true },
	{ "captcha", T_STRING, false },
	{ NULL, 0, false },
};

static const struct rpc_param change_password_params[] = {
	{ "old_password", T_STRING, false },
	{ "new_password", T_STRING, true },
	{ "new_password_confirm", T_STRING, true },
	{ "keep_keys", T_ARRAY, false },
	{ NULL, 0, false },
};

const struct rpc_method rpc_session_methods[] = {
	{ "captcha.new", NULL, ROLE_GUEST, false, captcha_new_method },
	{ "session.login", credentials_params, ROLE_GUEST, false, session_login },
	{ "session.logout", NULL, ROLE_ACCOUNT | ROLE_PASSWORD_CHANGE, false, session_logout },
	{ "session.whoami", NULL, ROLE_ACCOUNT | ROLE_PASSWORD_CHANGE, false, session_whoami },
	{ "account.change_password", change_password_params, ROLE_ACCOUNT | ROLE_PASSWORD_CHANGE,
	    false, account_change_password },
	{ "application.status", credentials_params, ROLE_GUEST, false, application_status },
	{ "application.withdraw", credentials_params, ROLE_GUEST, false, application_withdraw },
	{ "debug.captcha_answer", NULL, ROLE_ANY, true, debug_captcha_answer },
	{ NULL, NULL, 0, false, NULL },
};
