/*
 * rpc.c - the dispatcher: every check that is not a method's own logic.
 *
 * Order of checks, as in Redis' processCommand: the line is UTF-8 and JSON,
 * it is a JSON-RPC 2.0 request, the method exists (and is enabled), the
 * session's role may call it, every parameter is known, present when
 * required, of its type and within its bounds, and a paged method's cursor
 * is one of ours.  Then the database access the method declares is
 * provided (rpc_provide), and only then does the handler run.  A client's
 * mistake is an error reply; the session always lives on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "admins.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "forms.h"
#include "log.h"
#include "messages.h"
#include "notify.h"
#include "presence.h"
#include "rpc.h"
#include "stats.h"
#include "text.h"
#include "xmalloc.h"

/* Wait this long for a pooled database connection before giving up. */
#define RPC_DB_WAIT_MS	5000

/*
 * Before running again a request a read-only server refused: the time a
 * balancer takes to stop sending connections to a demoted primary (HAProxy
 * checking every 500 ms, down after two failures; docs/operations.md).
 */
#define RPC_READ_ONLY_PAUSE_MS	1000

static const struct rpc_method *const rpc_groups[] = {
	rpc_system_methods,
	rpc_session_methods,
	rpc_reference_methods,
	rpc_register_methods,
	rpc_review_methods,
	rpc_profile_methods,
	rpc_declarations_methods,
	rpc_authority_review_methods,
	rpc_attachments_methods,
	rpc_keys_methods,
	rpc_inbox_methods,
	rpc_download_methods,
	rpc_completion_methods,
	rpc_reset_methods,
	rpc_certificates_methods,
	rpc_base_report_methods,
	rpc_bases_methods,
	rpc_roster_methods,
	rpc_stats_methods,
	rpc_audit_methods,
	rpc_authority_bases_methods,
	NULL,
};

static const struct rpc_method *
rpc_find(const char *name)
{
	for (size_t g = 0; rpc_groups[g] != NULL; g++) {
		for (const struct rpc_method *m = rpc_groups[g]; m->name != NULL; m++) {
			if (strcmp(m->name, name) == 0)
				return m;
		}
	}
	return NULL;
}

int
rpc_fail(struct rpc_call *call, int code, const char *reason, const char *field,
    const char *message)
{
	call->error_code = code;
	call->error_reason = reason;
	free(call->error_field);
	call->error_field = field ? xstrdup(field) : NULL;
	free(call->error_message);
	call->error_message = message ? xstrdup(message) : NULL;
	return -1;
}

int
rpc_fail_format(struct rpc_call *call, int code, const char *reason, const char *field,
    const char *label, const char *arg)
{
	enum lang lang = call->session->lang;
	char *sentence, *message;

	sentence = arg != NULL ? xasprintf(message_get(lang, reason), arg) :
	    xstrdup(message_get(lang, reason));
	if (label == NULL && field != NULL)
		label = message_field(lang, field);
	message = label != NULL ? xasprintf("%s: %s", label, sentence) : xstrdup(sentence);
	rpc_fail(call, code, reason, field, message);
	free(sentence);
	free(message);
	return -1;
}

void
rpc_problem(struct rpc_call *call, const char *reason, const char *field,
    const char *message)
{
	enum lang lang = call->session->lang;
	json_t *p;

	if (call->problems == NULL)
		call->problems = json_array();
	p = json_pack("{s:s, s:s}", "reason", reason,
	    "message", message != NULL ? message : message_get(lang, reason));
	if (field != NULL) {
		json_object_set_new(p, "field", json_string(field));
		json_object_set_new(p, "label", json_string(message_field(lang, field)));
	}
	json_array_append_new(call->problems, p);
}

void
rpc_problem_format(struct rpc_call *call, const char *reason, const char *field,
    const char *label, const char *arg)
{
	char *sentence = xasprintf(message_get(call->session->lang, reason), arg);
	json_t *last;

	rpc_problem(call, reason, field, sentence);
	free(sentence);
	last = json_array_get(call->problems, json_array_size(call->problems) - 1);
	if (label != NULL)
		json_object_set_new(last, "label", json_string(label));
}

void
rpc_problem_sentence(struct rpc_call *call, const char *reason, const char *sentence,
    const char *field, const char *label, const char *arg)
{
	char *text = xasprintf(message_get(call->session->lang, sentence), arg);

	rpc_problem(call, reason, field, text);
	free(text);
	if (label != NULL)
		json_object_set_new(json_array_get(call->problems, rpc_problems(call) - 1),
		    "label", json_string(label));
}

char *
rpc_form_fields(struct rpc_call *call, const json_t *definition, json_t *fields)
{
	enum lang lang = call->session->lang;
	struct form_problems problems;
	json_t *empty = NULL, *checked;
	char *text = NULL;

	if (fields == NULL || json_is_null(fields))
		fields = empty = json_object();
	checked = forms_check_fields(definition, fields, lang == LANG_EN, &problems);
	json_decref(empty);
	for (size_t i = 0; i < problems.n; i++) {
		const struct form_problem *p = &problems.v[i];

		rpc_problem_sentence(call, p->reason, p->sentence, p->field,
		    p->label != NULL ? p->label : message_field(lang, "fields"), p->arg);
	}
	form_problems_free(&problems);
	if (checked != NULL) {
		text = json_dumps(checked, JSON_COMPACT);
		json_decref(checked);
		if (text == NULL)
			abort();	/* only on allocation failure */
	}
	return text;
}

void
rpc_problem_required(struct rpc_call *call, const char *field)
{
	enum lang lang = call->session->lang;
	char *key = xasprintf("required.%s", field);
	const char *sentence = message_get(lang, key);

	/* message_get answers an unknown key with the key itself. */
	rpc_problem(call, "required", field,
	    sentence != key ? sentence : message_get(lang, "required"));
	free(key);
}

size_t
rpc_problems(const struct rpc_call *call)
{
	return json_array_size(call->problems);
}

int
rpc_fail_problems(struct rpc_call *call, int code)
{
	json_t *first = json_array_get(call->problems, 0);
	const char *field, *label;
	char *message;

	if (first == NULL)
		return 0;
	field = json_string_value(json_object_get(first, "field"));
	label = json_string_value(json_object_get(first, "label"));
	message = label != NULL ?
	    xasprintf("%s: %s", label, json_string_value(json_object_get(first, "message"))) :
	    xstrdup(json_string_value(json_object_get(first, "message")));
	/* The reason's text lives in call->problems until rpc_request_free. */
	rpc_fail(call, code, json_string_value(json_object_get(first, "reason")), field,
	    message);
	free(message);
	if (call->error_data == NULL)
		call->error_data = json_object();
	json_object_set(call->error_data, "errors", call->problems);
	return -1;
}

int
rpc_fail_internal(struct rpc_call *call, const char *what)
{
	/* The database went away under the request: not our fault, try again. */
	if (call->db != NULL && db_unavailable(call->db)) {
		log_warning("session %lu: %s: database unavailable: %s", call->session->serial,
		    call->method ? call->method->name : "?", what);
		return rpc_fail(call, RPC_UNAVAILABLE, "database_unavailable", NULL, NULL);
	}
	log_error("session %lu: %s: %s", call->session->serial,
	    call->method ? call->method->name : "?", what);
	return rpc_fail(call, RPC_INTERNAL_ERROR, "internal_error", NULL, NULL);
}

PGresult *
rpc_exec_one(struct rpc_call *call, struct db_conn *db, struct db_stmt *st, int n,
    const char *const *params)
{
	PGresult *r;

	if ((r = db_exec(db, st, n, params)) == NULL) {
		rpc_fail_internal(call, db_error_text(db));
		return NULL;
	}
	if (PQntuples(r) != 1) {
		PQclear(r);
		rpc_fail(call, RPC_CONFLICT, "state_changed", NULL, NULL);
		return NULL;
	}
	return r;
}

struct db_conn *
rpc_db(struct rpc_call *call)
{
	if (call->db == NULL) {
		call->db = db_acquire(RPC_DB_WAIT_MS);
		if (call->db == NULL)
			rpc_fail(call, RPC_UNAVAILABLE, "database_unavailable", NULL, NULL);
	}
	return call->db;
}

/*
 * Check in the database that the session's account is still an active
 * administrator of its unit, on call->db.  Returns 0, or -1 after rpc_fail
 * ("not_permitted").  rpc_admin_answer turns admins_active's answer into that.
 */
static int
rpc_admin_answer(struct rpc_call *call, int active)
{
	switch (active) {
	case 1:
		return 0;
	case 0:
		return rpc_fail(call, RPC_NOT_PERMITTED, "not_permitted", NULL, NULL);
	default:
		return rpc_fail_internal(call, db_error_text(call->db));
	}
}

static int
rpc_admin_check(struct rpc_call *call)
{
	struct session *s = call->session;

	return rpc_admin_answer(call, admins_active(call->db, s->account_id, s->unit_code,
	    NULL));
}

/*
 * The same for a base administrator and their base (admins_base_active).
 * Returns 0, or -1 after rpc_fail ("not_permitted").
 */
static int
rpc_base_admin_check(struct rpc_call *call)
{
	struct session *s = call->session;

	if (s->role != ROLE_BASE_ADMIN || s->base_code == NULL)
		return rpc_fail(call, RPC_NOT_PERMITTED, "not_permitted", NULL, NULL);
	return rpc_admin_answer(call, admins_base_active(call->db, s->account_id,
	    s->base_code, NULL));
}

/*
 * The same for an authority administrator and their scope
 * (admins_authority_active).  Returns 0, or -1 after rpc_fail.
 */
static int
rpc_authority_check(struct rpc_call *call)
{
	struct session *s = call->session;

	if (s->role != ROLE_AUTHORITY || s->scope_region[0] == '\0')
		return rpc_fail(call, RPC_NOT_PERMITTED, "not_permitted", NULL, NULL);
	return rpc_admin_answer(call, admins_authority_active(call->db, s->account_id,
	    s->scope_region, NULL));
}

bool
rpc_read_switch(struct db_conn **db, const struct config *cfg)
{
	if (!db_replica_configured())
		return true;
	if (forms_current(*db, cfg) == NULL)
		return false;
	*db = db_acquire_read(*db, RPC_DB_WAIT_MS, cfg->db_replica_max_lag_ms);
	return *db != NULL;
}

/*
 * A heavy read (method->replica), its access checked on the primary (so a
 * disabled administrator is refused at once, not a replica's lag later):
 * call->db becomes the replica's when it is fresh enough.  Returns 0, or
 * -1 after rpc_fail.
 */
static int
rpc_provide_replica(struct rpc_call *call)
{
	if (rpc_read_switch(&call->db, call->cfg))
		return 0;
	if (call->db == NULL)
		return rpc_fail(call, RPC_UNAVAILABLE, "database_unavailable", NULL, NULL);
	return rpc_fail_internal(call, "learning forms could not be synchronised");
}

/*
 * A heavy read's reply says where it was read and how stale it may be
 * (docs/protocol.md "Reads from a replica"): "source" "primary" or
 * "replica", "as_of" (every change saved before it is in the reply) and
 * "stale_ms_max".  The log's line of the request names a replica.
 */
static void
rpc_state_freshness(struct rpc_call *call)
{
	char as_of[32];
	long long stale;

	if (!call->method->replica || !json_is_object(call->result) || call->db == NULL)
		return;
	db_read_freshness(call->db, as_of, &stale);
	json_object_set_new(call->result, "source",
	    json_string(db_from_replica(call->db) ? "replica" : "primary"));
	json_object_set_new(call->result, "as_of", json_string(as_of));
	json_object_set_new(call->result, "stale_ms_max", json_integer(stale));
}

/* Provide the database access call->method declares (enum rpc_access). */
static int
rpc_provide(struct rpc_call *call)
{
	bool admin = call->session->role == ROLE_UNIT_ADMIN;

	switch (call->method->db) {
	case RPC_DB_NONE:
		return 0;
	case RPC_DB:
	case RPC_DB_BASE_ADMIN:
	case RPC_DB_AUTHORITY:
		break;
	case RPC_DB_UNIT_ADMIN:
		if (admin && call->session->unit_code == NULL)
			return rpc_fail(call, RPC_NOT_PERMITTED, "not_permitted", NULL, NULL);
		break;
	}
	if (rpc_db(call) == NULL)
		return -1;
	if (call->method->db == RPC_DB_UNIT_ADMIN && admin && rpc_admin_check(call) != 0)
		return -1;
	if (call->method->db == RPC_DB_BASE_ADMIN && rpc_base_admin_check(call) != 0)
		return -1;
	if (call->method->db == RPC_DB_AUTHORITY && rpc_authority_check(call) != 0)
		return -1;
	return call->method->replica ? rpc_provide_replica(call) : 0;
}

/* rpc_unit_row and rpc_base_row: st with $1 the parameter, $2 scope (the unit or base). */
static PGresult *
rpc_scope_row(struct rpc_call *call, struct db_stmt *st, const char *param,
    const char *label, char id[24], const char *scope)
{
	const char *params[2] = { id, scope };
	long long value = 0;
	PGresult *res;

	rpc_param_int(call, param, &value);
	snprintf(id, 24, "%lld", value);
	if ((res = db_exec(call->db, st, 2, params)) == NULL) {
		rpc_fail_internal(call, db_error_text(call->db));
		return NULL;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		rpc_fail_format(call, RPC_NOT_FOUND, "not_found", param, label, NULL);
		return NULL;
	}
	return res;
}

PGresult *
rpc_unit_row(struct rpc_call *call, struct db_stmt *st, const char *param,
    const char *label, char id[24])
{
	return rpc_scope_row(call, st, param, label, id, call->session->unit_code);
}

PGresult *
rpc_base_row(struct rpc_call *call, struct db_stmt *st, const char *param,
    const char *label, char id[24])
{
	return rpc_scope_row(call, st, param, label, id, call->session->base_code);
}

const char *
rpc_param_string(struct rpc_call *call, const char *name)
{
	json_t *v = json_object_get(call->params, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *
rpc_param_text(struct rpc_call *call, const char *name)
{
	const char *s = rpc_param_string(call, name);

	return s != NULL && *s != '\0' ? s : NULL;
}

bool
rpc_param_int(struct rpc_call *call, const char *name, long long *out)
{
	json_t *v = json_object_get(call->params, name);

	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return true;
}

bool
rpc_param_bool(struct rpc_call *call, const char *name, bool dflt)
{
	json_t *v = json_object_get(call->params, name);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* Bytes of an encoded cursor: an order's may carry a long name and key. */
#define RPC_CURSOR_MAX		512
#define RPC_CURSOR_ORDER_MAX	2048

char *
rpc_cursor_encode(const char *const *keys, size_t n)
{
	json_t *key = json_array();
	char *text, *out;
	size_t len, size;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(key, json_string(keys[i]));
	text = json_dumps(key, JSON_COMPACT);
	len = strlen(text);
	size = sodium_base64_encoded_len(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	out = xmalloc(size);
	sodium_bin2base64(out, size, (const unsigned char *)text, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	free(text);
	json_decref(key);
	return out;
}

/* True when s is 1 to 18 ASCII digits (a bigint id). */
static bool
rpc_id_text(const char *s)
{
	size_t len = strlen(s);

	return len >= 1 && len <= 18 && strspn(s, "0123456789") == len;
}

/*
 * True when s looks like PostgreSQL's text of a timestamptz
 * ("2026-03-01 09:30:00.123456+08"); the cast decides the rest.
 */
static bool
rpc_timestamp_plausible(const char *s)
{
	size_t len = strlen(s);

	if (len < 19 || len > 40 || strspn(s, "0123456789-:. +") != len)
		return false;
	return s[4] == '-' && s[7] == '-' && s[10] == ' ' && s[13] == ':' && s[16] == ':';
}

/* Whether the strings of a decoded cursor (n of them) are of kind. */
static bool
rpc_cursor_plausible(enum rpc_cursor kind, char *const *key, size_t n)
{
	switch (kind) {
	case RPC_CURSOR_NONE:
		return false;
	case RPC_CURSOR_TEXT:
		return n == 2;
	case RPC_CURSOR_TIME:
		return n == 2 && rpc_timestamp_plausible(key[0]) && rpc_id_text(key[1]);
	case RPC_CURSOR_NAME:
		return n == 2 && strlen(key[0]) <= 200 && rpc_id_text(key[1]);
	case RPC_CURSOR_ORDER:
		return n == 5 && rpc_id_text(key[4]);
	case RPC_CURSOR_KIND_TIME:
		return n == 3 && rpc_timestamp_plausible(key[0]) && key[1][0] != '\0' &&
		    strlen(key[1]) <= 32 &&
		    strspn(key[1], "abcdefghijklmnopqrstuvwxyz_") == strlen(key[1]) &&
		    rpc_id_text(key[2]);
	}
	return false;
}

/*
 * Decode the "after" parameter into call->page (kind says what it must
 * hold).  Returns 0 (also when there is none), or -1 after rpc_fail
 * ("cursor_invalid").
 */
static int
rpc_cursor_decode(struct rpc_call *call, enum rpc_cursor kind)
{
	const char *s = rpc_param_string(call, "after");
	size_t max = kind == RPC_CURSOR_ORDER ? RPC_CURSOR_ORDER_MAX : RPC_CURSOR_MAX;
	unsigned char buf[RPC_CURSOR_ORDER_MAX];
	json_t *key = NULL, *v;
	size_t len, blen, i, n = 0;

	if (s == NULL || *s == '\0')
		return 0;
	len = strlen(s);
	if (len > max ||
	    sodium_base642bin(buf, max, s, len, NULL, &blen, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		goto bad;
	key = json_loadb((const char *)buf, blen, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_array(key) || (n = json_array_size(key)) > RPC_CURSOR_KEYS)
		goto bad;
	json_array_foreach(key, i, v) {
		if (!json_is_string(v))
			goto bad;
		call->page.key[i] = xstrdup(json_string_value(v));
	}
	if (!rpc_cursor_plausible(kind, call->page.key, n))
		goto bad;
	json_decref(key);
	call->page.after = true;
	return 0;
bad:
	json_decref(key);
	for (i = 0; i < RPC_CURSOR_KEYS; i++) {
		free(call->page.key[i]);
		call->page.key[i] = NULL;
	}
	return rpc_fail(call, RPC_INVALID_PARAMS, "cursor_invalid", "after", NULL);
}

/* A paged method's page: the limit (bounds checked with the parameters) and cursor. */
static int
rpc_page_decode(struct rpc_call *call)
{
	struct rpc_page *page = &call->page;

	page->limit = call->method->page.limit;
	rpc_param_int(call, "limit", &page->limit);
	snprintf(page->fetch, sizeof page->fetch, "%lld", page->limit + 1);
	return rpc_cursor_decode(call, call->method->page.cursor);
}

int
rpc_page_rows(const struct rpc_call *call, const PGresult *res)
{
	int n = PQntuples(res);

	return n < call->page.limit ? n : (int)call->page.limit;
}

json_t *
rpc_page_next_columns(const struct rpc_call *call, const PGresult *res, const int *cols,
    size_t n)
{
	int last = (int)call->page.limit - 1;
	const char *keys[RPC_CURSOR_KEYS];
	char *cursor;
	json_t *next;

	if (PQntuples(res) <= call->page.limit || n > RPC_CURSOR_KEYS)
		return json_null();
	for (size_t i = 0; i < n; i++)
		keys[i] = PQgetvalue(res, last, cols[i]);
	cursor = rpc_cursor_encode(keys, n);
	next = json_string(cursor);
	free(cursor);
	return next;
}

json_t *
rpc_page_next(const struct rpc_call *call, const PGresult *res, int key_col, int id_col)
{
	return rpc_page_next_columns(call, res, (const int[]){ key_col, id_col }, 2);
}

int
rpc_fail_page(struct rpc_call *call)
{
	if (call->page.after && strncmp(db_error_sqlstate(call->db), "22", 2) == 0)
		return rpc_fail(call, RPC_INVALID_PARAMS, "cursor_invalid", "after", NULL);
	return rpc_fail_internal(call, db_error_text(call->db));
}

const char *
rpc_label(const struct rpc_call *call, const char *kind, const char *word)
{
	char key[64];

	snprintf(key, sizeof key, "%s.%s", kind, word);
	return message_get(call->session->lang, key);
}

json_t *
rpc_column_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? json_null() : json_string(PQgetvalue(res, row, col));
}

json_t *
rpc_column_integer(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? json_null() :
	    json_integer(strtoll(PQgetvalue(res, row, col), NULL, 10));
}

json_t *
rpc_column_sex(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? json_null() :
	    json_string(strcmp(PQgetvalue(res, row, col), "1") == 0 ? "male" : "female");
}

json_t *
rpc_column_person(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? json_null() :
	    json_pack("{s:s}", "name", PQgetvalue(res, row, col));
}

json_t *
rpc_column_coded(const PGresult *res, int row, int code, int name)
{
	return PQgetisnull(res, row, code) ? json_null() :
	    json_pack("{s:s, s:o}", "code", PQgetvalue(res, row, code),
	    "name", rpc_column_text(res, row, name));
}

json_t *
rpc_column_named(const PGresult *res, int row, int id, int name)
{
	return PQgetisnull(res, row, id) ? json_null() :
	    json_pack("{s:o, s:o}", "id", rpc_column_integer(res, row, id),
	    "name", rpc_column_text(res, row, name));
}

static unsigned
rpc_type_of(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:	return T_STRING;
	case JSON_INTEGER:	return T_INTEGER | T_NUMBER;
	case JSON_REAL:		return T_NUMBER;
	case JSON_TRUE:
	case JSON_FALSE:	return T_BOOLEAN;
	case JSON_OBJECT:	return T_OBJECT;
	case JSON_ARRAY:	return T_ARRAY;
	case JSON_NULL:		return T_NULL;
	}
	return 0;
}

/* Whether value is within p's bounds (struct rpc_param). */
static bool
rpc_param_within(const struct rpc_param *p, json_t *value)
{
	const char *text;
	json_t *v;
	size_t i;

	switch (json_typeof(value)) {
	case JSON_INTEGER:
		return json_integer_value(value) >= p->min && json_integer_value(value) <= p->max;
	case JSON_STRING:
		text = json_string_value(value);
		return *text == '\0' || text_clean(text, false, (size_t)p->min, (size_t)p->max);
	case JSON_ARRAY:
		if ((long long)json_array_size(value) < p->min ||
		    (long long)json_array_size(value) > p->max)
			return false;
		json_array_foreach(value, i, v) {
			if (!json_is_integer(v) || json_integer_value(v) <= 0)
				return false;
		}
		return true;
	default:
		return true;	/* null: none given */
	}
}

/*
 * Check call->params against the method's declaration, noting every
 * problem (unknown, of the wrong type, required and missing, out of
 * bounds) so that one reply names them all.
 */
#define RPC_PROBLEMS_UNKNOWN_MAX	16	/* unknown or mistyped parameters named */

static int
rpc_check_params(struct rpc_call *call)
{
	const struct rpc_param *p;
	const char *key;
	json_t *value;

	json_object_foreach(call->params, key, value) {
		/*
		 * Unknown parameters are the sender's to multiply: a line of
		 * thousands would make a reply many times its size.  The first
		 * few are named; a form has fewer mistakes than that.
		 */
		if (rpc_problems(call) == RPC_PROBLEMS_UNKNOWN_MAX)
			break;
		for (p = call->method->params; p != NULL && p->name != NULL; p++) {
			if (strcmp(p->name, key) == 0)
				break;
		}
		if (p == NULL || p->name == NULL)
			rpc_problem(call, "param_unknown", key, NULL);
		else if ((rpc_type_of(value) & p->types) == 0)
			rpc_problem(call, "param_type", key, NULL);
	}
	for (p = call->method->params; p != NULL && p->name != NULL; p++) {
		if (p->required && json_object_get(call->params, p->name) == NULL)
			rpc_problem_required(call, p->name);
	}
	for (p = call->method->params; p != NULL && p->name != NULL; p++) {
		value = json_object_get(call->params, p->name);
		if (p->invalid == NULL || value == NULL || (rpc_type_of(value) & p->types) == 0 ||
		    rpc_param_within(p, value))
			continue;
		if (p->message == NULL) {
			rpc_problem(call, p->invalid, p->name, NULL);
			continue;
		}
		/* A sentence of its own names the field: no label before it. */
		rpc_problem(call, p->invalid, p->name, message_get(call->session->lang, p->message));
		json_object_del(json_array_get(call->problems, rpc_problems(call) - 1), "label");
	}
	return rpc_fail_problems(call, RPC_INVALID_PARAMS);
}

/* The error object of a failed call, in the session's language. */
static json_t *
rpc_error_object(struct rpc_call *call)
{
	enum lang lang = call->session->lang;
	const char *reason = call->error_reason ? call->error_reason : "internal_error";
	json_t *data = call->error_data ? call->error_data : json_object();
	char *message;

	call->error_data = NULL;
	json_object_set_new(data, "reason", json_string(reason));
	if (call->error_message != NULL) {
		message = xstrdup(call->error_message);
	} else if (call->error_field != NULL) {
		message = xasprintf("%s: %s", message_field(lang, call->error_field),
		    message_get(lang, reason));
	} else {
		message = xstrdup(message_get(lang, reason));
	}
	if (call->error_field != NULL)
		json_object_set_new(data, "field", json_string(call->error_field));
	json_t *e = json_pack("{s:i, s:s, s:o}", "code", call->error_code,
	    "message", message, "data", data);
	free(message);
	return e;
}

/*
 * The digits that write v so that it reads back as the same double: the
 * fewest, as a person (or JavaScript) would write it.  jansson's default
 * of 17 would echo an id of 0.1 as 0.10000000000000001.
 */
static int
rpc_real_digits(double v)
{
	char buf[32];
	int digits;

	for (digits = 1; digits < 17; digits++) {
		snprintf(buf, sizeof buf, "%.*g", digits, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return digits;
}

/*
 * The reply line {"jsonrpc":"2.0","id":ID,"<member>":value}; takes value.
 * The id is written on its own so that a fractional one comes back as it
 * was sent, whatever reals value holds.
 */
static char *
rpc_reply_line(json_t *id, const char *member, json_t *value)
{
	size_t id_flags = JSON_COMPACT | JSON_ENCODE_ANY;
	json_t *body = json_pack("{s:o}", member, value);
	char *id_text, *body_text, *line;

	if (json_is_real(id))
		id_flags |= JSON_REAL_PRECISION(rpc_real_digits(json_real_value(id)));
	id_text = json_dumps(id, id_flags);
	body_text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (id_text == NULL || body_text == NULL)
		abort();	/* only on allocation failure */
	/* body_text is {"member":...}: splice the head in after its '{'. */
	line = xasprintf("{\"jsonrpc\":\"2.0\",\"id\":%s,%s", id_text, body_text + 1);
	free(id_text);
	free(body_text);
	return line;
}

char *
rpc_reply_too_long(struct session *s)
{
	struct rpc_call call = { .session = s, .error_code = RPC_TOO_LARGE,
	    .error_reason = "line_too_long" };

	return rpc_reply_line(json_null(), "error", rpc_error_object(&call));
}

/* JSON-RPC 2.0: an id is a string, a number or null (absent: a notification). */
static bool
rpc_id_valid(json_t *id)
{
	return id == NULL || json_is_string(id) || json_is_number(id) || json_is_null(id);
}

/*
 * Record an error found before a call could be formed (the line is no
 * request): answered with the request's id when it had a valid one, else
 * with null, and never a notification.  Returns -1.
 */
static int
rpc_check_early(struct rpc_request *req, struct rpc_call *call, int code,
    const char *reason)
{
	if (req->id == NULL)
		req->id = json_null();
	req->method = NULL;
	return rpc_fail(call, code, reason, NULL, NULL);
}

int
rpc_check_line(struct session *s, const char *line, size_t len, struct rpc_request *req,
    struct rpc_call *call)
{
	json_error_t jerr;
	json_t *params;

	*call = (struct rpc_call){ .session = s, .cfg = config_current() };
	*req = (struct rpc_request){ NULL, NULL, NULL };
	if (!utf8_valid(line, len))
		return rpc_check_early(req, call, RPC_PARSE_ERROR, "invalid_utf8");
	req->json = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (req->json == NULL)
		return rpc_check_early(req, call, RPC_PARSE_ERROR,
		    json_error_code(&jerr) == json_error_numeric_overflow ?
		    "number_too_large" : "parse_error");
	if (!json_is_object(req->json)) {
		/* Batches are not supported: one request per line is the protocol. */
		return rpc_check_early(req, call, RPC_INVALID_REQUEST, "invalid_request");
	}
	req->id = json_object_get(req->json, "id");
	if (!rpc_id_valid(req->id)) {
		/* Not a notification: the spec answers it with id null. */
		req->id = NULL;
		return rpc_check_early(req, call, RPC_INVALID_REQUEST, "invalid_id");
	}
	req->method = json_object_get(req->json, "method");
	params = json_object_get(req->json, "params");
	if (!json_is_string(json_object_get(req->json, "jsonrpc")) ||
	    strcmp(json_string_value(json_object_get(req->json, "jsonrpc")), "2.0") != 0 ||
	    !json_is_string(req->method) ||
	    (params != NULL && !json_is_object(params)))
		return rpc_check_early(req, call, RPC_INVALID_REQUEST, "invalid_request");

	call->method = rpc_find(json_string_value(req->method));
	if (s->auth_unavailable) {
		/* Not a guest by default: the SSH login could not be decided (session.h). */
		return rpc_fail(call, RPC_UNAVAILABLE, "auth_unavailable", NULL, NULL);
	}
	if (call->method == NULL || (call->method->debug && !call->cfg->debug_methods)) {
		call->method = NULL;
		return rpc_fail(call, RPC_METHOD_NOT_FOUND, "method_not_found", NULL, NULL);
	}
	if ((call->method->roles & s->role) == 0)
		return rpc_fail(call, RPC_NOT_PERMITTED,
		    s->role == ROLE_GUEST ? "login_required" :
		    s->role == ROLE_PASSWORD_CHANGE ? "password_change_required" :
		    "not_permitted", NULL, NULL);
	call->params = params ? json_incref(params) : json_object();
	if (rpc_check_params(call) != 0)
		return -1;
	return call->method->page.cursor != RPC_CURSOR_NONE ? rpc_page_decode(call) : 0;
}

char *
rpc_reply(struct rpc_request *req, struct rpc_call *call, int rc)
{
	json_t *result = call->result;

	call->result = NULL;
	if (req->id == NULL) {
		/* A notification: no reply, whatever happened. */
		json_decref(result);
		return NULL;
	}
	if (rc == 0)
		return rpc_reply_line(req->id, "result", result ? result : json_object());
	json_decref(result);
	return rpc_reply_line(req->id, "error", rpc_error_object(call));
}

void
rpc_request_free(struct rpc_request *req, struct rpc_call *call)
{
	json_decref(call->result);
	json_decref(call->error_data);
	json_decref(call->problems);
	json_decref(call->params);
	free(call->error_field);
	free(call->error_message);
	json_decref(req->json);
	for (size_t i = 0; i < RPC_CURSOR_KEYS; i++) {
		free(call->page.key[i]);
		call->page.key[i] = NULL;
	}
	*req = (struct rpc_request){ NULL, NULL, NULL };
	call->result = call->error_data = call->params = call->problems = NULL;
	call->error_field = call->error_message = NULL;
	call->page.after = false;
}

static double
rpc_elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The database access the method declares, then its handler. */
static int
rpc_run(struct rpc_call *call)
{
	int rc = rpc_provide(call);

	if (rc == 0 && (rc = call->method->handler(call)) == 0)
		rpc_state_freshness(call);
	return rc;
}

/* Whether call failed because the database was away (or read-only) under it. */
static bool
rpc_failed_unavailable(const struct rpc_call *call)
{
	const char *reason = call->error_reason;

	if (reason == NULL)
		return false;
	if (strcmp(reason, "database_unavailable") == 0)
		return true;
	/* A handler that called the database's failure internal. */
	return strcmp(reason, "internal_error") == 0 && call->db != NULL &&
	    db_unavailable(call->db);
}

/* Forget a failed attempt: its connection (rolled back) and its outcome. */
static void
rpc_call_forget(struct rpc_call *call)
{
	if (call->db != NULL) {
		db_rollback(call->db);
		db_release(call->db);
		call->db = NULL;
	}
	json_decref(call->result);
	json_decref(call->error_data);
	json_decref(call->problems);
	free(call->error_field);
	free(call->error_message);
	call->result = call->error_data = call->problems = NULL;
	call->error_field = call->error_message = NULL;
	call->error_reason = NULL;
	call->error_code = 0;
}

void
rpc_read_only_pause(void)
{
	struct timespec pause = { RPC_READ_ONLY_PAUSE_MS / 1000,
	    (RPC_READ_ONLY_PAUSE_MS % 1000) * 1000000L };

	while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
		;
}

/*
 * Run a checked request, and run it once more when the database went away
 * (or turned read-only: a failover) under it and nothing of it can have
 * been committed (db_request_retryable): a read, or a write whose
 * connection broke before its COMMIT was sent.  The rule is decided here,
 * once, for every method (docs/design.md "Failover"); a handler knows
 * nothing of it.  A request that fails so and cannot be run again gets
 * "service_interrupted" (what it did may have been saved: look before
 * doing it again), never a silent loss and never a second record; one run
 * twice that still finds the database away gets "database_read_only" or
 * "database_unavailable" (nothing was done: try again).  A request a
 * read-only server refused waits RPC_READ_ONLY_PAUSE_MS before it runs
 * again, for the balancer to notice the server is no longer the primary.
 */
static int
rpc_run_retrying(struct rpc_call *call)
{
	bool read_only;
	int rc;

	db_request_start();
	if ((rc = rpc_run(call)) == 0 || !rpc_failed_unavailable(call))
		return rc;
	/* No connection at all: db_acquire waited out its time already. */
	if (call->db != NULL && db_request_retryable()) {
		log_warning("session %lu: %s: the database went away under a request that "
		    "committed nothing; running it once more", call->session->serial,
		    call->method->name);
		read_only = db_read_only(call->db);
		rpc_call_forget(call);
		if (read_only)
			rpc_read_only_pause();
		if ((rc = rpc_run(call)) == 0 || !rpc_failed_unavailable(call))
			return rc;
	}
	read_only = call->db != NULL && db_read_only(call->db);
	rpc_call_forget(call);
	if (!db_request_retryable()) {
		log_warning("session %lu: %s: the database went away after the request "
		    "committed, or while it did: answered service_interrupted",
		    call->session->serial, call->method->name);
		return rpc_fail(call, RPC_UNAVAILABLE, "service_interrupted", NULL, NULL);
	}
	return rpc_fail(call, RPC_UNAVAILABLE,
	    read_only ? "database_read_only" : "database_unavailable", NULL, NULL);
}

char *
rpc_handle_line(struct session *s, const char *line, size_t len)
{
	struct rpc_call call;
	struct rpc_request req;
	struct timespec t0;
	json_t *method;
	char *out, origin[DB_ORIGIN_MAX];
	bool replica;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* What this request changes is this session's doing: record.changed skips it. */
	snprintf(origin, sizeof origin, "%s.%lu", notify_instance(), s->serial);
	db_set_origin(origin);
	rc = rpc_check_line(s, line, len, &req, &call);
	if (rc == 0)
		rc = rpc_run_retrying(&call);
	replica = db_from_replica(call.db);
	if (call.db != NULL)
		db_rollback(call.db);	/* a handler that forgot to finish */
	/* Logged in, out, or watching now: its row before the reply (presence.h). */
	presence_settle(&call);
	if (call.db != NULL)
		db_release(call.db);
	db_set_origin(NULL);
	if ((method = req.method) == NULL)
		goto reply;	/* no request: nothing to log */

	double ms = rpc_elapsed_ms(&t0);
	int slow = call.cfg->log_slow_request;	/* 0: never warn */
	if (slow > 0 && ms >= slow)
		log_warning("session %lu: slow request: %s took %.1f ms%s", s->serial,
		    json_string_value(method), ms, replica ? " from the replica" : "");
	else if (log_enabled(LOG_LEVEL_INFO))
		log_info("session %lu: %s role=%s unit=%s account=%lld %s%s%s %.2f ms",
		    s->serial, json_string_value(method), auth_role_name(s->role),
		    s->base_code ? s->base_code : s->scope_region[0] != '\0' ? s->scope_region :
		    s->unit_code ? s->unit_code : "-",
		    (long long)s->account_id, rc == 0 ? "ok" : "error ",
		    rc == 0 ? "" : (call.error_reason ? call.error_reason : "?"),
		    replica ? " from the replica" : "", ms);
	stats_request(ms, rc == 0, slow > 0 && ms >= slow);
reply:
	out = rpc_reply(&req, &call, rc);
	rpc_request_free(&req, &call);
	return out;
}
