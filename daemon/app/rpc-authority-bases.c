/*
 * rpc-authority-bases.c - the bases (继续教育基地) of an authority's scope:
 * what it sees of them and what it decides (issue 16).
 *
 *	bases.list	{state?, region?, limit, after}: by code
 *	bases.get	{code}: with its kind's forms and its history
 *	bases.accredit	{code, reason?}
 *	bases.suspend	{code, reason}
 *	bases.reinstate	{code, reason?}
 *	bases.set_forms	{code, forms, reason?}: learning form codes; [] its kind's
 *
 * Whether a base may report has three owners (schema/018-audit-search.sql):
 * the bases file lists it (active, jxjyd import bases), the authority
 * accredited it and has not suspended it.  rpc-base-report.c refuses a
 * report otherwise.  Every change here is one guarded statement that writes
 * its base_audit row (the base's state before and after) with it, on the
 * row locked first, so that two authorities deciding at once are told which
 * came first.  A base outside the scope is not_found, as one that does not
 * exist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bases.h"
#include "config.h"
#include "db.h"
#include "messages.h"
#include "rpc.h"
#include "session.h"
#include "xmalloc.h"

#define ABASES_LIMIT		50
#define ABASES_LIMIT_MAX	100
#define ABASES_FORMS_MAX	32	/* forms one base may be given */
#define ABASES_HISTORY		50	/* rows of bases.get's history */

/* SQL: the regions scope $n covers. */
#define ABASES_SCOPE(n) \
	"(ARRAY(SELECT code FROM regions WHERE code = " n " OR parent = " n "))"

/* The columns of a base as abases_item reads them (b the base, r its region). */
#define ABASES_COLUMNS \
	"b.code, b.name, b.region, r.name, b.kind, array_to_json(b.forms)::text," \
	" b.forms_decided, b.active, b.accredited, b.suspended_at IS NOT NULL," \
	" " DB_ISO_TIME("b.suspended_at") ", b.suspend_reason," \
	" (SELECT count(*) FROM base_classes c WHERE c.base_code = b.code" \
	"   AND c.state = 'reported')," \
	" (SELECT count(*) FROM base_classes c JOIN declarations d ON d.class_id = c.id" \
	"   WHERE c.base_code = b.code)"

/* SQL: what base_audit keeps of a base before and after a change. */
#define ABASES_STATE(b) \
	"jsonb_build_object('accredited', " b ".accredited, 'suspended', " b ".suspended_at" \
	" IS NOT NULL, 'suspend_reason', " b ".suspend_reason, 'forms', to_jsonb(" b ".forms)," \
	" 'forms_decided', " b ".forms_decided)"

/* The state words of a base, each a filter of bases.list. */
static const char *const abases_states[] = {
	"all", "active", "suspended", "unaccredited", "delisted",
};

static bool
abases_is(const PGresult *res, int r, int col)
{
	return strcmp(PQgetvalue(res, r, col), "t") == 0;
}

/* One base (ABASES_COLUMNS) as the methods give it. */
static json_t *
abases_item(const struct rpc_call *call, const PGresult *res, int r)
{
	bool listed = abases_is(res, r, 7), accredited = abases_is(res, r, 8);
	bool suspended = abases_is(res, r, 9);
	const char *state = !listed ? "delisted" : !accredited ? "unaccredited" :
	    suspended ? "suspended" : "active";
	json_t *forms = bases_forms_of(call->cfg, PQgetvalue(res, r, 4), PQgetvalue(res, r, 5));
	bool own = strcmp(PQgetvalue(res, r, 5), "[]") != 0;

	return json_pack("{s:s, s:s, s:o, s:s, s:o, s:b, s:b, s:b, s:b, s:b, s:o, s:o, s:b,"
	    " s:s, s:s, s:I, s:I}",
	    "code", PQgetvalue(res, r, 0),
	    "name", PQgetvalue(res, r, 1),
	    "region", rpc_column_coded(res, r, 2, 3),
	    "kind", PQgetvalue(res, r, 4),
	    "forms", forms,
	    "forms_own", own,
	    "forms_decided", abases_is(res, r, 6),
	    "listed", listed,
	    "accredited", accredited,
	    "suspended", suspended,
	    "suspended_at", rpc_column_text(res, r, 10),
	    "suspend_reason", rpc_column_text(res, r, 11),
	    "can_report", strcmp(state, "active") == 0,
	    "state", state,
	    "state_label", rpc_label(call, "base_state", state),
	    "classes_reported", (json_int_t)strtoll(PQgetvalue(res, r, 12), NULL, 10),
	    "records", (json_int_t)strtoll(PQgetvalue(res, r, 13), NULL, 10));
}

/* not_found naming the base's code. Returns -1. */
static int
abases_not_found(struct rpc_call *call)
{
	return rpc_fail_format(call, RPC_NOT_FOUND, "not_found", "code",
	    message_field(call->session->lang, "base_code"), NULL);
}

/*
 * The base code of the session's scope, read (lock: and locked FOR UPDATE
 * in the caller's transaction).  Returns the result with its one row
 * (ABASES_COLUMNS; caller clears), or NULL after rpc_fail: not_found
 * outside the scope or when there is none.
 */
static PGresult *
abases_row(struct rpc_call *call, const char *code, bool lock)
{
	DB_STMT(abases_row_stmt,
	    "SELECT " ABASES_COLUMNS " FROM bases b JOIN regions r ON r.code = b.region"
	    " WHERE b.code = $1 AND b.region = ANY " ABASES_SCOPE("$2"));
	DB_STMT(abases_lock_stmt,
	    "SELECT " ABASES_COLUMNS " FROM bases b JOIN regions r ON r.code = b.region"
	    " WHERE b.code = $1 AND b.region = ANY " ABASES_SCOPE("$2") " FOR UPDATE OF b");
	const char *params[2] = { code, call->session->scope_region };
	PGresult *res;

	if ((res = db_exec(call->db, lock ? &abases_lock_stmt : &abases_row_stmt, 2,
	    params)) == NULL) {
		rpc_fail_internal(call, db_error_text(call->db));
		return NULL;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		abases_not_found(call);
		return NULL;
	}
	return res;
}

/* bases.list: the scope's bases by code, filtered by state and region. */
static int
abases_list(struct rpc_call *call)
{
	DB_STMT(abases_region_stmt,
	    "SELECT 1 FROM regions WHERE code = $1 AND code = ANY " ABASES_SCOPE("$2"));
	DB_STMT(abases_list_stmt,
	    "SELECT " ABASES_COLUMNS " FROM bases b JOIN regions r ON r.code = b.region"
	    " WHERE b.region = ANY " ABASES_SCOPE("$1")
	    " AND ($2::text IS NULL OR b.region = $2::text)"
	    " AND CASE $3::text"
	    "  WHEN 'active' THEN b.active AND b.accredited AND b.suspended_at IS NULL"
	    "  WHEN 'suspended' THEN b.suspended_at IS NOT NULL"
	    "  WHEN 'unaccredited' THEN NOT b.accredited"
	    "  WHEN 'delisted' THEN NOT b.active ELSE true END"
	    " AND ($4::text IS NULL OR b.code > $4::text)"
	    " ORDER BY b.code LIMIT $5::int");
	const char *state = rpc_param_text(call, "state"), *region = rpc_param_text(call, "region");
	const char *params[5] = { call->session->scope_region, region, state,
	    call->page.after ? call->page.key[0] : NULL, call->page.fetch };
	const char *check[2] = { region, call->session->scope_region };
	bool known = state == NULL;
	PGresult *res;
	json_t *items;
	int n;

	for (size_t i = 0; !known && i < sizeof abases_states / sizeof abases_states[0]; i++)
		known = strcmp(state, abases_states[i]) == 0;
	if (!known)
		return rpc_fail(call, RPC_INVALID_PARAMS, "base_state_invalid", "state", NULL);
	if (region != NULL) {
		if ((res = db_exec(call->db, &abases_region_stmt, 2, check)) == NULL)
			return rpc_fail_internal(call, db_error_text(call->db));
		n = PQntuples(res);
		PQclear(res);
		if (n != 1)
			return rpc_fail_format(call, RPC_NOT_FOUND, "not_found", "region",
			    message_field(call->session->lang, "base_region"), NULL);
	}
	if ((res = db_exec(call->db, &abases_list_stmt, 5, params)) == NULL)
		return rpc_fail_page(call);
	items = json_array();
	n = rpc_page_rows(call, res);
	for (int r = 0; r < n; r++)
		json_array_append_new(items, abases_item(call, res, r));
	call->result = json_pack("{s:o, s:o}", "items", items,
	    "next", rpc_page_next(call, res, 0, 0));
	PQclear(res);
	return 0;
}

/* The base's base_audit rows, newest first, as a JSON array; NULL on failure. */
static json_t *
abases_history(struct rpc_call *call, const char *code)
{
	DB_STMT(abases_history_stmt,
	    "SELECT x.id, " DB_ISO_TIME("x.at") ", x.action, x.reason, x.actor_id, a.name,"
	    " a.role::text, x.before::text, x.after::text"
	    " FROM base_audit x LEFT JOIN accounts a ON a.id = x.actor_id"
	    " WHERE x.base_code = $1 ORDER BY x.at DESC, x.id DESC LIMIT $2::int");
	char limit[16];
	const char *params[2] = { code, limit };
	PGresult *res;
	json_t *history;

	snprintf(limit, sizeof limit, "%d", ABASES_HISTORY);
	if ((res = db_exec(call->db, &abases_history_stmt, 2, params)) == NULL)
		return NULL;
	history = json_array();
	for (int r = 0; r < PQntuples(res); r++) {
		char key[48];
		json_t *actor = PQgetisnull(res, r, 4) ? json_null() :
		    json_pack("{s:o, s:o, s:o}", "id", rpc_column_integer(res, r, 4),
		    "name", rpc_column_text(res, r, 5), "role", rpc_column_text(res, r, 6));
		json_t *before = json_loads(PQgetvalue(res, r, 7), 0, NULL);
		json_t *after = json_loads(PQgetvalue(res, r, 8), 0, NULL);

		snprintf(key, sizeof key, "audit_action.%s", PQgetvalue(res, r, 2));
		json_array_append_new(history, json_pack("{s:o, s:s, s:s, s:s, s:o, s:o, s:o,"
		    " s:o}",
		    "id", rpc_column_integer(res, r, 0),
		    "at", PQgetvalue(res, r, 1),
		    "action", PQgetvalue(res, r, 2),
		    "outcome", message_get(call->session->lang, key),
		    "reason", rpc_column_text(res, r, 3),
		    "actor", actor,
		    "before", before != NULL ? before : json_null(),
		    "after", after != NULL ? after : json_null()));
	}
	PQclear(res);
	return history;
}

/* bases.get: one base with its kind's forms and its history. */
static int
abases_get(struct rpc_call *call)
{
	const char *code = rpc_param_string(call, "code");
	const struct config_base_kind *kind;
	json_t *history, *kind_forms;
	PGresult *res;

	if ((res = abases_row(call, code, false)) == NULL)
		return -1;
	if ((history = abases_history(call, code)) == NULL) {
		PQclear(res);
		return rpc_fail_internal(call, db_error_text(call->db));
	}
	kind_forms = json_array();
	if ((kind = config_base_kind(call->cfg, PQgetvalue(res, 0, 4))) != NULL) {
		for (size_t i = 0; i < kind->n_forms; i++)
			json_array_append_new(kind_forms, json_string(kind->forms[i]));
	}
	call->result = abases_item(call, res, 0);
	json_object_set_new(call->result, "kind_forms", kind_forms);
	json_object_set_new(call->result, "history", history);
	PQclear(res);
	return 0;
}

/*
 * A change of a base, described for abases_change: its action word, the
 * guarded statement that makes it and audits it ($1 code, $2 actor, $3
 * reason, $4 its argument when it takes one), and the conflict it meets
 * when the base is already so (NULL: none), told from the locked row by
 * column col being "t" (or, with not, "f").
 */
struct abases_change {
	const char	*action;
	struct db_stmt	*stmt;
	int		 n_params;
	const char	*conflict;
	int		 col;
	bool		 not;
};

/* The statement of a change: update what, where guard; audit action. */
#define ABASES_CHANGE_SQL(what, guard, action) \
	"WITH old AS (SELECT " ABASES_STATE("b") " AS state FROM bases b WHERE b.code = $1)," \
	" up AS (UPDATE bases b SET " what " WHERE b.code = $1 AND " guard \
	"  RETURNING b.code, " ABASES_STATE("b") " AS state)" \
	" INSERT INTO base_audit (base_code, actor_id, action, reason, before, after)" \
	" SELECT up.code, $2::bigint, '" action "', $3::text, old.state, up.state FROM up, old" \
	" RETURNING id"

DB_STMT(abases_accredit_stmt,
    ABASES_CHANGE_SQL("accredited = true", "NOT b.accredited", "accredit"));
DB_STMT(abases_suspend_stmt,
    ABASES_CHANGE_SQL("suspended_at = now(), suspend_reason = $3::text",
    "b.suspended_at IS NULL", "suspend"));
DB_STMT(abases_reinstate_stmt,
    ABASES_CHANGE_SQL("suspended_at = NULL, suspend_reason = NULL",
    "b.suspended_at IS NOT NULL", "reinstate"));
DB_STMT(abases_set_forms_stmt,
    ABASES_CHANGE_SQL("forms = ARRAY(SELECT jsonb_array_elements_text($4::jsonb)),"
    " forms_decided = true", "true", "set_forms"));

static const struct abases_change abases_accredit_change = {
	"accredit", &abases_accredit_stmt, 3, "base_already_accredited", 8, false,
};
static const struct abases_change abases_suspend_change = {
	"suspend", &abases_suspend_stmt, 3, "base_already_suspended", 9, false,
};
static const struct abases_change abases_reinstate_change = {
	"reinstate", &abases_reinstate_stmt, 3, "base_not_suspended", 9, true,
};
static const struct abases_change abases_set_forms_change = {
	"set_forms", &abases_set_forms_stmt, 4, NULL, 0, false,
};

/*
 * Make change ch on the base "code" in one transaction: lock it (in scope),
 * refuse a change it already has (RPC_CONFLICT ch->conflict), make and
 * audit it, and reply with the base as it is now.  arg is $4 (or NULL).
 */
static int
abases_change(struct rpc_call *call, const struct abases_change *ch, const char *arg)
{
	const char *code = rpc_param_string(call, "code");
	char actor[24];
	const char *params[4] = { code, actor, rpc_param_text(call, "reason"), arg };
	PGresult *res;
	bool already;

	snprintf(actor, sizeof actor, "%lld", (long long)call->session->account_id);
	if (!db_begin(call->db))
		return rpc_fail_internal(call, db_error_text(call->db));
	if ((res = abases_row(call, code, true)) == NULL)
		goto fail;
	already = abases_is(res, 0, ch->col) != ch->not;
	PQclear(res);
	if (ch->conflict != NULL && already) {
		rpc_fail(call, RPC_CONFLICT, ch->conflict, "code", NULL);
		goto fail;
	}
	if ((res = rpc_exec_one(call, call->db, ch->stmt, ch->n_params, params)) == NULL)
		goto fail;
	PQclear(res);
	if ((res = abases_row(call, code, false)) == NULL)
		goto fail;
	if (!db_commit(call->db)) {
		PQclear(res);
		rpc_fail_internal(call, db_error_text(call->db));
		goto fail;
	}
	call->result = abases_item(call, res, 0);
	PQclear(res);
	return 0;
fail:
	db_rollback(call->db);
	return -1;
}

static int
abases_accredit(struct rpc_call *call)
{
	return abases_change(call, &abases_accredit_change, NULL);
}

static int
abases_suspend(struct rpc_call *call)
{
	if (rpc_param_text(call, "reason") == NULL) {
		rpc_problem_required(call, "reason");
		return rpc_fail_problems(call, RPC_INVALID_PARAMS);
	}
	return abases_change(call, &abases_suspend_change, NULL);
}

static int
abases_reinstate(struct rpc_call *call)
{
	return abases_change(call, &abases_reinstate_change, NULL);
}

/*
 * bases.set_forms: forms must be an array of learning form codes the config
 * has now (each once; the first unknown is named); [] means its kind's.
 */
static int
abases_set_forms(struct rpc_call *call)
{
	DB_STMT(abases_unknown_form_stmt,
	    "SELECT t.f FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS t(f, n)"
	    " WHERE NOT EXISTS (SELECT 1 FROM learning_forms lf WHERE lf.active"
	    "  AND lf.code = t.f) ORDER BY t.n LIMIT 1");
	json_t *given = json_object_get(call->params, "forms"), *forms = json_array(), *v;
	const char *params[1];
	char *text = NULL;
	PGresult *res;
	size_t i;
	int rc = -1;

	if (json_array_size(given) > ABASES_FORMS_MAX) {
		rpc_fail(call, RPC_INVALID_PARAMS, "base_forms_invalid", "forms", NULL);
		goto out;
	}
	json_array_foreach(given, i, v) {
		const char *code = json_string_value(v);
		bool dup = false;
		size_t j;
		json_t *w;

		if (code == NULL || *code == '\0' || strlen(code) > 32) {
			rpc_fail(call, RPC_INVALID_PARAMS, "base_forms_invalid", "forms", NULL);
			goto out;
		}
		json_array_foreach(forms, j, w)
			dup = dup || strcmp(json_string_value(w), code) == 0;
		if (!dup)
			json_array_append_new(forms, json_string(code));
	}
	text = json_dumps(forms, JSON_COMPACT);
	params[0] = text;
	if ((res = db_exec(call->db, &abases_unknown_form_stmt, 1, params)) == NULL) {
		rpc_fail_internal(call, db_error_text(call->db));
		goto out;
	}
	if (PQntuples(res) == 1) {
		char *message = xasprintf(message_get(call->session->lang, "base_form_unknown"),
		    PQgetvalue(res, 0, 0));

		rpc_fail(call, RPC_INVALID_PARAMS, "base_form_unknown", "forms", message);
		free(message);
		PQclear(res);
		goto out;
	}
	PQclear(res);
	rc = abases_change(call, &abases_set_forms_change, text);
out:
	free(text);
	json_decref(forms);
	return rc;
}

#define ABASES_REASON_PARAM \
	{ "reason", T_STRING | T_NULL, false, 1, 200, "reason_invalid", NULL }

static const struct rpc_param abases_list_params[] = {
	{ "limit", T_INTEGER, false, 1, ABASES_LIMIT_MAX, "limit_invalid", "limit_invalid_100" },
	{ "after", T_STRING | T_NULL, false, 0, 0, NULL, NULL },
	{ "state", T_STRING | T_NULL, false, 0, 0, NULL, NULL },
	{ "region", T_STRING | T_NULL, false, 0, 0, NULL, NULL },
	{ NULL },
};

static const struct rpc_param abases_get_params[] = {
	{ "code", T_STRING, true, 0, 0, NULL, NULL },
	{ NULL },
};

static const struct rpc_param abases_code_params[] = {
	{ "code", T_STRING, true, 0, 0, NULL, NULL },
	ABASES_REASON_PARAM,
	{ NULL },
};

static const struct rpc_param abases_suspend_params[] = {
	{ "code", T_STRING, true, 0, 0, NULL, NULL },
	{ "reason", T_STRING, true, 1, 200, "reason_invalid", NULL },
	{ NULL },
};

static const struct rpc_param abases_set_forms_params[] = {
	{ "code", T_STRING, true, 0, 0, NULL, NULL },
	{ "forms", T_ARRAY, true, 0, 0, NULL, NULL },
	ABASES_REASON_PARAM,
	{ NULL },
};

#define ABASES_METHOD(name, params, handler) \
	{ name, params, ROLE_AUTHORITY, false, handler, .db = RPC_DB_AUTHORITY }

const struct rpc_method rpc_authority_bases_methods[] = {
	{ "bases.list", abases_list_params, ROLE_AUTHORITY, false, abases_list,
	    .db = RPC_DB_AUTHORITY, .page = { ABASES_LIMIT, RPC_CURSOR_TEXT } },
	ABASES_METHOD("bases.get", abases_get_params, abases_get),
	ABASES_METHOD("bases.accredit", abases_code_params, abases_accredit),
	ABASES_METHOD("bases.suspend", abases_suspend_params, abases_suspend),
	ABASES_METHOD("bases.reinstate", abases_code_params, abases_reinstate),
	ABASES_METHOD("bases.set_forms", abases_set_forms_params, abases_set_forms),
	{ NULL, NULL, 0, false, NULL },
};
