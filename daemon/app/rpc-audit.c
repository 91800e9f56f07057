/*
 * rpc-audit.c - the authority's audit search (审核记录查询, issue 16): every
 * decision and change recorded in its scope, in one newest-first list.
 *
 *	audit.search	{kind?, who?, unit?, base?, from?, to?, outcome?,
 *			 limit, after}
 *
 * Five audit tables feed it, one "kind" each: account_audit (registration),
 * profile_changes' reviewed rows (title), declaration_audit (declaration),
 * base_class_audit (base_report) and base_audit (base, rpc-authority-bases.c).
 * One statement reads them all: a branch per table, each its own index range
 * scan newest first (schema/018-audit-search.sql) cut at the page's rows, and
 * the branches merged on (at, kind, id).  The filters are parameters that are
 * NULL when not asked for; the statement runs with a custom plan
 * (plan_cache_mode = force_custom_plan, for its transaction only), so that
 * PostgreSQL folds every unused filter away and a branch whose kind was not
 * asked for away with it, and plans each call for the filters it has.
 *
 * Scope: a person's row belongs to their unit's region, a base's row to the
 * base's; the authority reads the regions its scope covers.  A unit or base
 * asked for outside the scope is not_found, as one that does not exist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "messages.h"
#include "rpc.h"
#include "session.h"
#include "text.h"
#include "validate.h"
#include "xmalloc.h"

#define AUDIT_LIMIT		50	/* rows of a page when "limit" is not given */
#define AUDIT_LIMIT_MAX		100
#define AUDIT_WHO_MAX		50	/* characters of "who" */
#define AUDIT_WHO_PEOPLE	1000	/* people a name prefix may match */
#define AUDIT_ID_MAX		"9223372036854775807"

/* The kinds in byte order, the order of the cursor's tie-break. */
static const char *const audit_kinds[] = {
	"base", "base_report", "declaration", "registration", "title",
};
#define AUDIT_KINDS	(sizeof audit_kinds / sizeof audit_kinds[0])

/* The action words, any kind's: what "outcome" may ask for. */
static const char *const audit_actions[] = {
	/* registration */
	"register", "resubmit", "withdraw", "approve", "reject", "supersede", "disable",
	/* title */
	"submit", "cancel",
	/* declaration */
	"create", "revise", "delete", "report", "claim", "change", "unreport",
	/* base_report */
	"update", "roster", "change_row", "withdraw_row",
	/* base */
	"accredit", "suspend", "reinstate", "set_forms",
};

/* SQL: the regions scope $1 covers (the region itself and, for the province, its cities). */
#define AUDIT_SCOPE \
	"(ARRAY(SELECT code FROM regions WHERE code = $1 OR parent = $1))"

/* SQL: the time window on column at ($6 from, $7 to, inclusive days). */
#define AUDIT_WINDOW(at) \
	" AND ($6::date IS NULL OR " at " >= $6::date)" \
	" AND ($7::date IS NULL OR " at " < $7::date + 1)"

/* SQL: after the cursor ($9 its time), with the branch's id bound $n. */
#define AUDIT_AFTER(at, id, bound) \
	" AND ($9::timestamptz IS NULL OR (" at ", " id ") < ($9::timestamptz, " bound "::bigint))"

/* SQL: a branch is read when its kind, or all, was asked for ($2). */
#define AUDIT_KIND(kind) "($2::text IS NULL OR $2::text = '" kind "')"

/*
 * SQL: the columns of a person's audit row x (account_id, actor_id, action,
 * at, from_state, to_state, reason) of kind, unit its subject's unit,
 * record its record's id and detail what else the row keeps.
 */
#define AUDIT_PERSON_COLUMNS(kind, unit, record, detail) \
	"'" kind "'::text AS kind, x.id, x.at, x.action, x.from_state::text AS from_state," \
	" x.to_state::text AS to_state, x.reason, x.actor_id, x.account_id AS subject_id," \
	" " unit " AS unit_code, NULL::text AS base_code, " record "::bigint AS record_id," \
	" " detail "::jsonb AS detail"

/* SQL: a person's audit row x passes the kind's own test, the window, outcome and cursor. */
#define AUDIT_ROW_FILTERS(where, bound) \
	" AND " where AUDIT_WINDOW("x.at") \
	" AND ($8::text IS NULL OR x.action = $8::text)" \
	AUDIT_AFTER("x.at", "x.id", bound)

#define AUDIT_NEWEST	" ORDER BY x.at DESC, x.id DESC LIMIT $15::int"

/* SQL: x's subject (a) is in scope (u its unit). */
#define AUDIT_PERSON_SCOPE \
	" JOIN accounts a ON a.id = x.account_id JOIN units u ON u.code = a.unit_code"

/*
 * SQL: a person kind's rows (table x, where its own test), in three ways of
 * which the parameters keep one, the others folding away in the custom
 * plan: (1) neither unit nor who: newest first through the time index,
 * checking the scope of each row; (2) a unit: each of its people's newest
 * through the account index; (3) who without a unit: each person's newest
 * as subject and as actor, through the account and actor indexes, the scope
 * checked inside so that a row out of scope never takes a row's place.
 * Each way reads at most the page's rows from each index range it opens.
 */
#define AUDIT_PERSON_BRANCH(kind, table, record, detail, where, bound) \
	" (SELECT " AUDIT_PERSON_COLUMNS(kind, "a.unit_code", record, detail) \
	"  FROM " table " x" AUDIT_PERSON_SCOPE \
	"  WHERE " AUDIT_KIND(kind) " AND $3::text IS NULL AND $4::text IS NULL" \
	"  AND $5::bigint[] IS NULL AND u.region = ANY " AUDIT_SCOPE \
	AUDIT_ROW_FILTERS(where, bound) AUDIT_NEWEST ")" \
	" UNION ALL" \
	" (SELECT " AUDIT_PERSON_COLUMNS(kind, "a.unit_code", record, detail) \
	"  FROM accounts a CROSS JOIN LATERAL (SELECT x.* FROM " table " x" \
	"   WHERE x.account_id = a.id" AUDIT_ROW_FILTERS(where, bound) \
	"   AND ($5::bigint[] IS NULL OR x.account_id = ANY ($5::bigint[])" \
	"    OR x.actor_id = ANY ($5::bigint[]))" AUDIT_NEWEST ") x" \
	"  WHERE " AUDIT_KIND(kind) " AND $3::text IS NOT NULL AND $4::text IS NULL" \
	"  AND a.unit_code = $3::text" AUDIT_NEWEST ")" \
	" UNION ALL" \
	" (SELECT " AUDIT_PERSON_COLUMNS(kind, "x.unit_code", record, detail) \
	"  FROM unnest($5::bigint[]) w (id) CROSS JOIN LATERAL (" \
	"   (SELECT x.*, a.unit_code FROM " table " x" AUDIT_PERSON_SCOPE \
	"    WHERE x.account_id = w.id AND u.region = ANY " AUDIT_SCOPE \
	AUDIT_ROW_FILTERS(where, bound) AUDIT_NEWEST ")" \
	"   UNION ALL" \
	"   (SELECT x.*, a.unit_code FROM " table " x" AUDIT_PERSON_SCOPE \
	"    WHERE x.actor_id = w.id AND NOT (x.account_id = ANY ($5::bigint[]))" \
	"    AND u.region = ANY " AUDIT_SCOPE \
	AUDIT_ROW_FILTERS(where, bound) AUDIT_NEWEST ")) x" \
	"  WHERE " AUDIT_KIND(kind) " AND $3::text IS NULL AND $4::text IS NULL" \
	"  AND $5::bigint[] IS NOT NULL" AUDIT_NEWEST ")"

/* SQL: a title change x as a row of the search (the action its state's). */
#define AUDIT_TITLE_ACTION \
	"CASE x.state WHEN 'pending' THEN 'submit' WHEN 'approved' THEN 'approve'" \
	" WHEN 'rejected' THEN 'reject' ELSE 'cancel' END"
#define AUDIT_TITLE_COLUMNS \
	"'title', x.id, coalesce(x.decided_at, x.changed_at), " AUDIT_TITLE_ACTION "," \
	" CASE WHEN x.state <> 'pending' THEN 'pending' END, x.state, x.reason," \
	" CASE WHEN x.state = 'pending' THEN x.account_id ELSE x.decided_by END," \
	" x.account_id, x.unit_code, NULL, x.id," \
	" jsonb_build_object('old', x.old_value, 'new', x.new_value)"

/* SQL: the filters of a title change x (u its unit) but who. */
#define AUDIT_TITLE_FILTERS \
	" AND " AUDIT_KIND("title") " AND $4::text IS NULL AND x.kind = 'reviewed'" \
	" AND u.region = ANY " AUDIT_SCOPE \
	" AND ($3::text IS NULL OR x.unit_code = $3::text)" \
	AUDIT_WINDOW("coalesce(x.decided_at, x.changed_at)") \
	" AND ($8::text IS NULL OR $8::text = " AUDIT_TITLE_ACTION ")" \
	AUDIT_AFTER("coalesce(x.decided_at, x.changed_at)", "x.id", "$14")

/* The registration decisions (the partial indexes of schema 018 name the same). */
#define AUDIT_REGISTRATION_ACTIONS \
	"('register', 'resubmit', 'withdraw', 'approve', 'reject', 'supersede', 'disable')"

/*
 * The search.  $1 scope, $2 kind, $3 unit, $4 base, $5 who (bigint[]),
 * $6 from, $7 to, $8 outcome, $9 the cursor's time, $10..$14 the cursor's
 * id bound for each kind in audit_kinds' order, $15 rows to fetch.
 */
DB_STMT(audit_search_stmt,
    "WITH hits AS ("
    /* registration: account_audit */
    AUDIT_PERSON_BRANCH("registration", "account_audit", "NULL", "NULL",
    "x.action IN " AUDIT_REGISTRATION_ACTIONS, "$13")
    /* title: profile_changes, a reviewed change at its last event */
    " UNION ALL"
    " (SELECT " AUDIT_TITLE_COLUMNS " FROM profile_changes x JOIN units u ON u.code = x.unit_code"
    "  WHERE $5::bigint[] IS NULL" AUDIT_TITLE_FILTERS
    "  ORDER BY coalesce(x.decided_at, x.changed_at) DESC, x.id DESC LIMIT $15::int)"
    /* who's title changes, as the person or as who decided them, found by index first */
    " UNION ALL"
    " (SELECT " AUDIT_TITLE_COLUMNS " FROM profile_changes x JOIN units u ON u.code = x.unit_code"
    "  WHERE $5::bigint[] IS NOT NULL AND x.id = ANY (ARRAY("
    "   SELECT id FROM profile_changes WHERE account_id = ANY ($5::bigint[])"
    "   UNION SELECT id FROM profile_changes WHERE decided_by = ANY ($5::bigint[])"
    "    AND kind = 'reviewed'))"
    AUDIT_TITLE_FILTERS
    "  ORDER BY coalesce(x.decided_at, x.changed_at) DESC, x.id DESC LIMIT $15::int)"
    /* declaration: declaration_audit */
    " UNION ALL"
    /* a decision's step of the review chain (schema 017) in its detail */
    AUDIT_PERSON_BRANCH("declaration", "declaration_audit", "x.declaration_id",
    "CASE WHEN x.step IS NOT NULL THEN jsonb_build_object('step', x.step) END", "true", "$12")
    /* base_report: base_class_audit */
    " UNION ALL"
    " (SELECT 'base_report', x.id, x.at, x.action, NULL, NULL, NULL, x.actor_id, NULL,"
    "  NULL, c.base_code, c.id, x.detail"
    "  FROM base_class_audit x JOIN base_classes c ON c.id = x.class_id"
    "  JOIN bases b ON b.code = c.base_code"
    "  WHERE " AUDIT_KIND("base_report") " AND $3::text IS NULL"
    "  AND b.region = ANY " AUDIT_SCOPE
    "  AND ($4::text IS NULL OR c.base_code = $4::text)"
    AUDIT_WINDOW("x.at")
    "  AND ($8::text IS NULL OR x.action = $8::text)"
    "  AND ($5::bigint[] IS NULL OR x.actor_id = ANY ($5::bigint[]))"
    AUDIT_AFTER("x.at", "x.id", "$11")
    "  ORDER BY x.at DESC, x.id DESC LIMIT $15::int)"
    /* base: base_audit */
    " UNION ALL"
    " (SELECT 'base', x.id, x.at, x.action, NULL, NULL, x.reason, x.actor_id, NULL,"
    "  NULL, x.base_code, NULL, jsonb_build_object('before', x.before, 'after', x.after)"
    "  FROM base_audit x JOIN bases b ON b.code = x.base_code"
    "  WHERE " AUDIT_KIND("base") " AND $3::text IS NULL"
    "  AND b.region = ANY " AUDIT_SCOPE
    "  AND ($4::text IS NULL OR x.base_code = $4::text)"
    AUDIT_WINDOW("x.at")
    "  AND ($8::text IS NULL OR x.action = $8::text)"
    "  AND ($5::bigint[] IS NULL OR x.actor_id = ANY ($5::bigint[]))"
    AUDIT_AFTER("x.at", "x.id", "$10")
    "  ORDER BY x.at DESC, x.id DESC LIMIT $15::int)),"
    " page AS (SELECT * FROM hits ORDER BY at DESC, kind COLLATE \"C\" DESC, id DESC"
    "  LIMIT $15::int)"
    " SELECT h.kind, h.id, " DB_ISO_TIME("h.at") ", h.at::text, h.action, h.from_state,"
    "  h.to_state, h.reason, h.actor_id, act.name, act.role::text, h.subject_id,"
    "  sub.name, sub.id_number, h.unit_code, un.name, h.base_code, b.name, h.record_id,"
    "  CASE h.kind"
    "   WHEN 'declaration' THEN (SELECT lf.definition->>'name' FROM declarations d"
    "    JOIN learning_forms lf ON lf.id = d.form_id WHERE d.id = h.record_id)"
    "   WHEN 'base_report' THEN (SELECT c.name FROM base_classes c WHERE c.id = h.record_id)"
    "   WHEN 'title' THEN h.detail->>'new' END,"
    "  h.detail::text"
    " FROM page h LEFT JOIN accounts act ON act.id = h.actor_id"
    " LEFT JOIN accounts sub ON sub.id = h.subject_id"
    " LEFT JOIN units un ON un.code = h.unit_code"
    " LEFT JOIN bases b ON b.code = h.base_code"
    " ORDER BY h.at DESC, h.kind COLLATE \"C\" DESC, h.id DESC");

/* Whether word is one of n words. */
static bool
audit_word_in(const char *word, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(words[i], word) == 0)
			return true;
	}
	return false;
}

/* Whether s has the shape of an ID number (17 digits and a digit or X): matched exactly. */
static bool
audit_id_number_shaped(const char *s)
{
	return strlen(s) == 18 && strspn(s, "0123456789") >= 17 &&
	    (s[17] == 'X' || s[17] == 'x' || (s[17] >= '0' && s[17] <= '9'));
}

/*
 * Whether code (a unit's, or a base's when base) lies in the session's
 * scope.  Returns 1 or 0, or -1 after rpc_fail (internal).
 */
static int
audit_in_scope(struct rpc_call *call, const char *code, bool base)
{
	DB_STMT(audit_unit_scope_stmt,
	    "SELECT 1 FROM units WHERE code = $1 AND region = ANY"
	    " (ARRAY(SELECT code FROM regions WHERE code = $2 OR parent = $2))");
	DB_STMT(audit_base_scope_stmt,
	    "SELECT 1 FROM bases WHERE code = $1 AND region = ANY"
	    " (ARRAY(SELECT code FROM regions WHERE code = $2 OR parent = $2))");
	const char *params[2] = { code, call->session->scope_region };
	PGresult *res;
	int found;

	res = db_exec(call->db, base ? &audit_base_scope_stmt : &audit_unit_scope_stmt, 2,
	    params);
	if (res == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	found = PQntuples(res) == 1;
	PQclear(res);
	return found;
}

/*
 * The people "who" names, in scope or of no unit (an authority, a base's
 * administrator), as a bigint[] literal in *ids (caller frees): an ID number
 * exactly, else a name prefix.  Returns 0 (*ids "{}" when nobody), or -1
 * after rpc_fail: internal, or audit_who_too_broad.
 */
static int
audit_who(struct rpc_call *call, const char *who, char **ids)
{
	DB_STMT(audit_who_id_stmt,
	    "SELECT coalesce(array_agg(a.id), '{}')::text, count(*) FROM accounts a"
	    " LEFT JOIN units u ON u.code = a.unit_code"
	    " WHERE a.id_number = upper($2) AND (a.unit_code IS NULL OR u.region = ANY " AUDIT_SCOPE ")");
	DB_STMT(audit_who_name_stmt,
	    "SELECT coalesce(array_agg(id), '{}')::text, count(*) FROM"
	    " (SELECT a.id FROM accounts a LEFT JOIN units u ON u.code = a.unit_code"
	    "  WHERE a.name LIKE $2 AND (a.unit_code IS NULL OR u.region = ANY " AUDIT_SCOPE ")"
	    "  LIMIT $3::int) m");
	bool exact = audit_id_number_shaped(who);
	size_t len = strlen(who);
	char *pattern = xmalloc(2 * len + 2), *p = pattern, more[16];
	const char *params[3] = { call->session->scope_region, exact ? who : pattern, more };
	PGresult *res;
	int rc = 0;

	/* LIKE's own characters in a name stand for themselves. */
	for (const char *s = who; *s != '\0'; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			*p++ = '\\';
		*p++ = *s;
	}
	*p++ = '%';
	*p = '\0';
	snprintf(more, sizeof more, "%d", AUDIT_WHO_PEOPLE + 1);
	res = db_exec(call->db, exact ? &audit_who_id_stmt : &audit_who_name_stmt,
	    exact ? 2 : 3, params);
	free(pattern);
	if (res == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	if (atoi(PQgetvalue(res, 0, 1)) > AUDIT_WHO_PEOPLE)
		rc = rpc_fail_format(call, RPC_INVALID_PARAMS, "audit_who_too_broad", "who",
		    message_field(call->session->lang, "audit.who"), NULL);
	else
		*ids = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

/* Note the problem reason with parameter name, labelled by the field "audit.<name>". */
static void
audit_problem(struct rpc_call *call, const char *reason, const char *name)
{
	char label[32];

	snprintf(label, sizeof label, "audit.%s", name);
	rpc_problem_sentence(call, reason, reason, name,
	    message_field(call->session->lang, label), NULL);
}

/*
 * A date parameter (name) as given, NULL when absent or empty; a date that
 * is none is noted as a problem.
 */
static const char *
audit_date(struct rpc_call *call, const char *name)
{
	const char *s = rpc_param_text(call, name);

	if (s == NULL)
		return NULL;
	if (!date_valid(s, NULL, NULL, NULL)) {
		audit_problem(call, "field_date", name);
		return NULL;
	}
	return s;
}

/* One row of the search as an item. */
static json_t *
audit_item(const struct rpc_call *call, const PGresult *res, int r)
{
	json_t *actor = json_null(), *subject = json_null(), *record = json_null();
	json_t *detail = json_null();
	char key[48];

	if (!PQgetisnull(res, r, 8))
		actor = json_pack("{s:o, s:o, s:o}", "id", rpc_column_integer(res, r, 8),
		    "name", rpc_column_text(res, r, 9), "role", rpc_column_text(res, r, 10));
	if (!PQgetisnull(res, r, 11))
		subject = json_pack("{s:o, s:o, s:o}", "id", rpc_column_integer(res, r, 11),
		    "name", rpc_column_text(res, r, 12), "id_number",
		    rpc_column_text(res, r, 13));
	if (!PQgetisnull(res, r, 18))
		record = json_pack("{s:o, s:o}", "id", rpc_column_integer(res, r, 18),
		    "name", rpc_column_text(res, r, 19));
	if (!PQgetisnull(res, r, 20) &&
	    (detail = json_loads(PQgetvalue(res, r, 20), 0, NULL)) == NULL)
		detail = json_null();
	snprintf(key, sizeof key, "audit_action.%s", PQgetvalue(res, r, 4));
	return json_pack("{s:s, s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
	    " s:o}",
	    "kind", PQgetvalue(res, r, 0),
	    "id", rpc_column_integer(res, r, 1),
	    "at", PQgetvalue(res, r, 2),
	    "action", PQgetvalue(res, r, 4),
	    "outcome", message_get(call->session->lang, key),
	    "from_state", rpc_column_text(res, r, 5),
	    "to_state", rpc_column_text(res, r, 6),
	    "reason", rpc_column_text(res, r, 7),
	    "actor", actor,
	    "subject", subject,
	    "unit", rpc_column_coded(res, r, 14, 15),
	    "base", rpc_column_coded(res, r, 16, 17),
	    "record", record,
	    "detail", detail);
}

/* The search itself, in the caller's transaction; fills call->result. */
static int
audit_run(struct rpc_call *call, const char *const *params)
{
	PGresult *res;
	json_t *items;
	int n;

	if ((res = db_exec(call->db, &audit_search_stmt, 15, params)) == NULL)
		return rpc_fail_page(call);
	items = json_array();
	n = rpc_page_rows(call, res);
	for (int r = 0; r < n; r++)
		json_array_append_new(items, audit_item(call, res, r));
	/* The cursor: the last row's time, kind and id (RPC_CURSOR_KIND_TIME). */
	call->result = json_pack("{s:o, s:o}", "items", items,
	    "next", rpc_page_next_columns(call, res, (const int[]){ 3, 0, 1 }, 3));
	PQclear(res);
	return 0;
}

/*
 * audit.search: check every filter (all mistakes at once), resolve the unit,
 * base and who in scope, then run the search with a custom plan, all in one
 * transaction that writes nothing.
 */
static int
audit_search(struct rpc_call *call)
{
	const char *kind = rpc_param_text(call, "kind"), *unit = rpc_param_text(call, "unit");
	const char *base = rpc_param_text(call, "base"), *who = rpc_param_text(call, "who");
	const char *outcome = rpc_param_text(call, "outcome"), *from, *to;
	const char *params[15] = { NULL };
	char *who_ids = NULL, *bound[AUDIT_KINDS] = { NULL };
	int rc = -1, found;

	if (kind != NULL && !audit_word_in(kind, audit_kinds, AUDIT_KINDS))
		audit_problem(call, "audit_kind_invalid", "kind");
	if (who != NULL && !text_clean(who, false, 1, AUDIT_WHO_MAX))
		audit_problem(call, "audit_who_invalid", "who");
	if (outcome != NULL && !audit_word_in(outcome, audit_actions,
	    sizeof audit_actions / sizeof audit_actions[0]))
		audit_problem(call, "audit_outcome_invalid", "outcome");
	from = audit_date(call, "from");
	to = audit_date(call, "to");
	if (from != NULL && to != NULL && strcmp(to, from) < 0)
		audit_problem(call, "field_range_order", "to");
	if (call->page.after && !audit_word_in(call->page.key[1], audit_kinds, AUDIT_KINDS))
		return rpc_fail(call, RPC_INVALID_PARAMS, "cursor_invalid", "after", NULL);
	if (rpc_fail_problems(call, RPC_INVALID_PARAMS) != 0)
		return -1;

	if (!db_begin(call->db) ||
	    db_command(call->db, "SET LOCAL plan_cache_mode = force_custom_plan") != 0) {
		rpc_fail_internal(call, db_error_text(call->db));
		goto out;
	}
	if (unit != NULL && (found = audit_in_scope(call, unit, false)) <= 0) {
		if (found == 0)
			rpc_fail_format(call, RPC_NOT_FOUND, "not_found", "unit",
			    message_field(call->session->lang, "audit.unit"), NULL);
		goto out;
	}
	if (base != NULL && (found = audit_in_scope(call, base, true)) <= 0) {
		if (found == 0)
			rpc_fail_format(call, RPC_NOT_FOUND, "not_found", "base",
			    message_field(call->session->lang, "audit.base"), NULL);
		goto out;
	}
	if (who != NULL && audit_who(call, who, &who_ids) != 0)
		goto out;

	params[0] = call->session->scope_region;
	params[1] = kind;
	params[2] = unit;
	params[3] = base;
	params[4] = who_ids;
	params[5] = from;
	params[6] = to;
	params[7] = outcome;
	if (call->page.after) {
		/* Rows of the cursor's time come in kind order, descending (see the file's head). */
		params[8] = call->page.key[0];
		for (size_t k = 0; k < AUDIT_KINDS; k++) {
			int c = strcmp(audit_kinds[k], call->page.key[1]);

			bound[k] = xstrdup(c < 0 ? AUDIT_ID_MAX : c > 0 ? "0" : call->page.key[2]);
			params[9 + k] = bound[k];
		}
	}
	params[14] = call->page.fetch;
	rc = audit_run(call, params);
out:
	/* It wrote nothing: ended without a COMMIT, a failover may run it again. */
	db_rollback(call->db);
	free(who_ids);
	for (size_t k = 0; k < AUDIT_KINDS; k++)
		free(bound[k]);
	return rc;
}

static const struct rpc_param audit_search_params[] = {
	{ "limit", T_INTEGER, false, 1, AUDIT_LIMIT_MAX, "limit_invalid", "limit_invalid_100" },
	{ "after", T_STRING | T_NULL, false, 0, 0, NULL, NULL },
	{ "kind", T_STRING | T_NULL, false, 0, 0, NULL, NULL },
	{ "who", T_STRING | T_NULL, false, 0, 0, NULL, NULL },
	{ "unit", T_STRING | T_NULL, false, 0, 0, NULL, NULL },
	{ "base", T_STRING | T_NULL, false, 0, 0, NULL, NULL },
	{ "from", T_STRING | T_NULL, false, 0, 0, NULL, NULL },
	{ "to", T_STRING | T_NULL, false, 0, 0, NULL, NULL },
	{ "outcome", T_STRING | T_NULL, false, 0, 0, NULL, NULL },
	{ NULL },
};

const struct rpc_method rpc_audit_methods[] = {
	{ "audit.search", audit_search_params, ROLE_AUTHORITY, false, audit_search,
	    .db = RPC_DB_AUTHORITY, .page = { AUDIT_LIMIT, RPC_CURSOR_KIND_TIME } },
	{ NULL, NULL, 0, false, NULL },
};
