/*
 * rpc-completion.c - the annual completion of a staff member (年度完成情况)
 * and the unit administrator's completion report (完成情况统计).
 *
 *	completion.mine, completion.year		staff
 *	completion.report, completion.report_csv,
 *	    completion.person				unit_admin
 *
 * Every figure comes from completion.c, which `report YEAR` (exec.c)
 * shares; these handlers only read parameters and shape replies.  An
 * administrator reads the own unit only: every statement carries the
 * session's unit, so a person of another unit is "not found", the same
 * reply as for an id that does not exist.  Hours are decimal text
 * ("12.5"), as in declaration.*.  The unit's report and its CSV are heavy
 * reads that may come from a replica (.replica, rpc.h); a person's own
 * years never do: they show what the person just submitted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "completion.h"
#include "rpc-completion.h"
#include "config.h"
#include "db.h"
#include "forms.h"
#include "log.h"
#include "messages.h"
#include "rpc.h"
#include "session.h"
#include "text.h"
#include "xmalloc.h"

#define COMPLETION_YEAR_MIN	1990	/* what a declaration's year may be */
#define COMPLETION_YEAR_MAX	2200
#define COMPLETION_LIMIT_DEFAULT 50
#define COMPLETION_CSV_ROWS	2000	/* rows per piece of completion.report_csv */
#define COMPLETION_RECORDS_MAX	1000	/* records of completion.year */

/* ---- replies --------------------------------------------------------------------- */

int
completion_fail(struct rpc_call *call, int code, const char *reason, const char *field,
    const char *label_key, const char *arg)
{
	return rpc_fail_format(call, code, reason, field,
	    message_field(call->session->lang, label_key), arg);
}

bool
completion_year_param(struct rpc_call *call, int *year)
{
	long long y = 0;
	char range[48];

	rpc_param_int(call, "year", &y);
	if (y >= COMPLETION_YEAR_MIN && y <= COMPLETION_YEAR_MAX) {
		*year = (int)y;
		return true;
	}
	snprintf(range, sizeof range, "%d %s %d", COMPLETION_YEAR_MIN,
	    message_get(call->session->lang, "and"), COMPLETION_YEAR_MAX);
	completion_fail(call, RPC_INVALID_INPUT, "year_invalid", "year", "completion.year",
	    range);
	call->error_data = json_pack("{s:i, s:i}", "min", COMPLETION_YEAR_MIN,
	    "max", COMPLETION_YEAR_MAX);
	return false;
}

json_t *
completion_requirement_json(const struct config_requirement *req)
{
	struct completion_figures r;

	completion_format_requirement(req, &r);
	return json_pack("{s:s, s:s, s:s}", "total", r.total, "professional", r.professional,
	    "public", r.public_hours);
}

static const char *
completion_met_label(enum lang lang, bool met)
{
	return message_get(lang, met ? "completion.met" : "completion.not_met");
}

/* One year of a person, as completion.mine lists it. */
static json_t *
completion_year_json(const struct completion_year *y, enum lang lang)
{
	/* Cut, not rounded, to 4 places: 1 means met in total, never almost. */
	double progress = (double)(long long)(y->progress * 1e4) / 1e4;

	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:o, s:b, s:s, s:f}",
	    "year", y->year, "public", y->public_hours, "professional", y->professional,
	    "total", y->total, "pending", y->pending,
	    "requirement", completion_requirement_json(y->requirement),
	    "met", y->met, "met_label", completion_met_label(lang, y->met),
	    "progress", progress);
}

static bool
completion_bool(const PGresult *res, int row, int col)
{
	return strcmp(PQgetvalue(res, row, col), "t") == 0;
}

bool
completion_forms_synced(struct rpc_call *call, struct db_conn *db)
{
	if (forms_current(db, call->cfg) != NULL)
		return true;
	rpc_fail_internal(call, "learning forms could not be synchronised");
	return false;
}

/* ---- a person's years -------------------------------------------------------------- */

/* {"current_year", "years"} of account_id; -1 after rpc_fail. */
static int
completion_years(struct rpc_call *call, struct db_conn *db, const char *account_id,
    json_t **result)
{
	struct completion_year *years;
	int now = db_year_now(), n;
	json_t *list;

	if ((n = completion_person(db, call->cfg, account_id, now, &years)) < 0)
		return rpc_fail_internal(call, db_error_text(db));
	list = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(list, completion_year_json(&years[i], call->session->lang));
	free(years);
	*result = json_pack("{s:i, s:o}", "current_year", now, "years", list);
	return 0;
}

/* completion.mine: the staff member's own years, newest first. */
static int
completion_mine(struct rpc_call *call)
{
	struct db_conn *db = call->db;
	char account[24];

	if (!completion_forms_synced(call, db))
		return -1;
	snprintf(account, sizeof account, "%lld", (long long)call->session->account_id);
	return completion_years(call, db, account, &call->result);
}

/*
 * completion.year: the forms and records behind one of the staff member's
 * years, with the year's figures, all read in one snapshot.
 */
static int
completion_year_method(struct rpc_call *call)
{
	enum lang lang = call->session->lang;
	struct completion_year *years = NULL, *y = NULL;
	struct db_conn *db = call->db;
	PGresult *forms = NULL, *records = NULL;
	const struct form_set *set;
	json_t *form_list, *items;
	char account[24];
	int year, n, rc = -1;

	if (!completion_year_param(call, &year) || !completion_forms_synced(call, db))
		return -1;
	snprintf(account, sizeof account, "%lld", (long long)call->session->account_id);
	if (db_command(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") != 0 ||
	    (n = completion_person(db, call->cfg, account, year, &years)) < 0 ||
	    completion_detail(db, account, year, COMPLETION_RECORDS_MAX + 1, &forms,
	    &records) != 0 || !db_commit(db)) {
		rpc_fail_internal(call, db_error_text(db));
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (years[i].year == year)
			y = &years[i];
	}
	if (y == NULL) {
		rpc_fail_internal(call, "completion: the year asked for is missing");
		goto out;
	}

	/* A form's name in the session's language (the config's English in English). */
	set = forms_current(db, call->cfg);
	form_list = json_array();
	for (int r = 0; r < PQntuples(forms); r++) {
		const char *category = PQgetvalue(forms, r, COMPLETION_FORM_CATEGORY);

		json_array_append_new(form_list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s,"
		    " s:o, s:b, s:s}",
		    "code", PQgetvalue(forms, r, COMPLETION_FORM_CODE),
		    "name", forms_name(set, PQgetvalue(forms, r, COMPLETION_FORM_CODE),
		    lang == LANG_EN, PQgetvalue(forms, r, COMPLETION_FORM_NAME)),
		    "category", category,
		    "category_label", rpc_label(call, "category", category),
		    "approved", PQgetvalue(forms, r, COMPLETION_FORM_APPROVED),
		    "counted", PQgetvalue(forms, r, COMPLETION_FORM_COUNTED),
		    "cap", rpc_column_text(forms, r, COMPLETION_FORM_CAP),
		    "capped", completion_bool(forms, r, COMPLETION_FORM_CAPPED),
		    "pending", PQgetvalue(forms, r, COMPLETION_FORM_PENDING)));
	}
	items = json_array();
	for (int r = 0; r < PQntuples(records) && r < COMPLETION_RECORDS_MAX; r++) {
		const char *category = PQgetvalue(records, r, COMPLETION_RECORD_CATEGORY);
		const char *state = PQgetvalue(records, r, COMPLETION_RECORD_STATE);
		json_array_append_new(items, json_pack("{s:I, s:{s:s, s:o}, s:o, s:s, s:s,"
		    " s:s, s:s, s:s, s:o, s:o, s:b}",
		    "id", (json_int_t)strtoll(PQgetvalue(records, r, COMPLETION_RECORD_ID),
		    NULL, 10),
		    "form", "code", PQgetvalue(records, r, COMPLETION_RECORD_FORM_CODE),
		    "name", PQgetisnull(records, r, COMPLETION_RECORD_FORM_NAME) ? json_null() :
		    json_string(forms_name(set, PQgetvalue(records, r, COMPLETION_RECORD_FORM_CODE),
		    lang == LANG_EN, PQgetvalue(records, r, COMPLETION_RECORD_FORM_NAME))),
		    "title", rpc_column_text(records, r, COMPLETION_RECORD_TITLE),
		    "category", category,
		    "category_label", rpc_label(call, "category", category),
		    "hours", PQgetvalue(records, r, COMPLETION_RECORD_HOURS),
		    "state", state,
		    "state_label", rpc_label(call, "state", state),
		    "approved_at", rpc_column_text(records, r, COMPLETION_RECORD_DECIDED_AT),
		    "submitted_at", rpc_column_text(records, r, COMPLETION_RECORD_SUBMITTED_AT),
		    "capped", completion_bool(records, r, COMPLETION_RECORD_CAPPED)));
	}
	call->result = json_pack("{s:i, s:o, s:o, s:o, s:b}", "year", year,
	    "summary", completion_year_json(y, lang), "forms", form_list, "items", items,
	    "truncated", PQntuples(records) > COMPLETION_RECORDS_MAX);
	rc = 0;
out:
	free(years);
	PQclear(forms);
	PQclear(records);
	return rc;
}

/*
 * completion.person: one staff member of the administrator's unit (active
 * or disabled), with their years as completion.mine gives them.
 */
static int
completion_person_method(struct rpc_call *call)
{
	DB_STMT(completion_staff_stmt,
	    "SELECT a.id, a.name, a.id_number, d.name"
	    " FROM accounts a LEFT JOIN departments d ON d.id = a.department_id"
	    " WHERE a.id = $1 AND a.unit_code = $2 AND a.role = 'staff'"
	    " AND a.state IN ('active', 'disabled')");
	char id_text[24];
	PGresult *res;
	json_t *account, *result;

	if ((res = rpc_unit_row(call, &completion_staff_stmt, "account_id",
	    message_field(call->session->lang, "completion.account_id"), id_text)) == NULL)
		return -1;
	account = json_pack("{s:o, s:s, s:s, s:o}", "account_id", rpc_column_integer(res, 0, 0),
	    "name", PQgetvalue(res, 0, 1), "id_number", PQgetvalue(res, 0, 2),
	    "department", rpc_column_text(res, 0, 3));
	PQclear(res);
	if (completion_years(call, call->db, id_text, &result) != 0) {
		json_decref(account);
		return -1;
	}
	json_object_set_new(result, "account", account);
	call->result = result;
	return 0;
}

/* ---- the unit's report --------------------------------------------------------------- */

/* The order of q as a cursor has it: its sort and "asc" or "desc". */
static void
completion_order(const struct completion_query *q, const char *order[2])
{
	order[0] = completion_sort_name(q->sort);
	order[1] = q->desc ? "desc" : "asc";
}

/*
 * The cursor the dispatcher decoded (RPC_CURSOR_ORDER) into q: it must be
 * of q's order, so a cursor is refused by a request in another order.
 * Returns 0, or -1 after rpc_fail (cursor_invalid).  The values only
 * travel as statement parameters; a key the sort's type cannot read is
 * caught there.
 */
static int
completion_cursor(struct rpc_call *call, struct completion_query *q)
{
	char *const *key = call->page.key;
	const char *order[2];

	if (!call->page.after)
		return 0;
	completion_order(q, order);
	if (strcmp(key[0], order[0]) != 0 || strcmp(key[1], order[1]) != 0)
		return rpc_fail(call, RPC_INVALID_PARAMS, "cursor_invalid", "after", NULL);
	q->after_key = key[2];
	q->after_name = key[3];
	q->after_id = key[4];
	return 0;
}

/*
 * The parameters the report and its CSV share, into q (year, filters,
 * order, cursor), checked before the database is touched.  Returns 0, or
 * -1 after rpc_fail.
 */
static int
completion_query_params(struct rpc_call *call, struct completion_query *q)
{
	const char *sort = rpc_param_string(call, "sort");
	long long department = 0;
	int s = COMPLETION_SORT_DEPARTMENT;

	memset(q, 0, sizeof *q);
	q->unit_code = call->session->unit_code;
	if (!completion_year_param(call, &q->year))
		return -1;
	if (sort != NULL && *sort != '\0' && (s = completion_sort_parse(sort)) < 0)
		return completion_fail(call, RPC_INVALID_PARAMS, "sort_invalid", "sort", "sort",
		    NULL);
	q->sort = (enum completion_sort)s;
	q->desc = rpc_param_bool(call, "desc", false);
	q->not_met_only = rpc_param_bool(call, "not_met_only", false);
	if (rpc_param_int(call, "department_id", &department) && department <= 0)
		return completion_fail(call, RPC_INVALID_INPUT, "department_unknown",
		    "department_id", "department_id", NULL);
	q->department_id = department;
	q->limit = call->page.limit + 1;	/* one more tells whether a next page exists */
	return completion_cursor(call, q);
}

/*
 * Run the report of q for an administrator: the department filter must
 * name one of the own unit's departments.  Returns 0 with *rep filled,
 * or -1 after rpc_fail.
 */
static int
completion_run(struct rpc_call *call, struct db_conn *db, const struct completion_query *q,
    struct completion_report *rep)
{
	DB_STMT(completion_department_stmt,
	    "SELECT 1 FROM departments WHERE id = $1 AND unit_code = $2");
	char department[24];
	const char *params[2] = { department, q->unit_code };
	PGresult *res;
	bool ok;

	if (q->department_id > 0) {
		snprintf(department, sizeof department, "%lld", q->department_id);
		if ((res = db_exec(db, &completion_department_stmt, 2, params)) == NULL)
			return rpc_fail_internal(call, db_error_text(db));
		ok = PQntuples(res) == 1;
		PQclear(res);
		if (!ok)
			return completion_fail(call, RPC_INVALID_INPUT, "department_unknown",
			    "department_id", "department_id", NULL);
	}
	if (completion_unit(db, call->cfg, q, rep) == 0)
		return 0;
	return rpc_fail_page(call);
}

/* {staff, met, not_met, requirement} of a report. */
static json_t *
completion_summary_json(const struct completion_report *rep)
{
	return json_pack("{s:I, s:I, s:I, s:o}", "staff", (json_int_t)rep->staff,
	    "met", (json_int_t)rep->met, "not_met", (json_int_t)(rep->staff - rep->met),
	    "requirement", completion_requirement_json(rep->requirement));
}

/*
 * The "next" of a page of rep read with limit + 1 rows: the cursor after
 * its last row, [sort, "asc"|"desc", key, name, id], or JSON null.
 */
static json_t *
completion_next(const struct completion_query *q, const struct completion_report *rep,
    long long limit)
{
	const char *keys[5];
	char *cursor;
	json_t *next;

	if (PQntuples(rep->rows) <= limit)
		return json_null();
	completion_order(q, keys);
	keys[2] = PQgetvalue(rep->rows, (int)limit - 1, COMPLETION_COL_SORT_KEY);
	keys[3] = PQgetvalue(rep->rows, (int)limit - 1, COMPLETION_COL_NAME);
	keys[4] = PQgetvalue(rep->rows, (int)limit - 1, COMPLETION_COL_ACCOUNT);
	cursor = rpc_cursor_encode(keys, 5);
	next = json_string(cursor);
	free(cursor);
	return next;
}

/*
 * completion.report: a page of the unit's active staff with their hours
 * of the year, sorted and filtered, and the summary of the whole report.
 */
static int
completion_report_method(struct rpc_call *call)
{
	enum lang lang = call->session->lang;
	struct completion_query q;
	struct completion_report rep = { 0 };
	json_t *items;
	PGresult *rows;
	int n, rc = -1;

	if (completion_query_params(call, &q) != 0 ||
	    completion_run(call, call->db, &q, &rep) != 0)
		goto out;

	rows = rep.rows;
	n = rpc_page_rows(call, rows);
	items = json_array();
	for (int r = 0; r < n; r++) {
		bool met = completion_bool(rows, r, COMPLETION_COL_MET);

		json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:o, s:s, s:s, s:s,"
		    " s:s, s:b, s:s}",
		    "account_id", (json_int_t)strtoll(PQgetvalue(rows, r, COMPLETION_COL_ACCOUNT),
		    NULL, 10),
		    "name", PQgetvalue(rows, r, COMPLETION_COL_NAME),
		    "id_number", PQgetvalue(rows, r, COMPLETION_COL_ID_NUMBER),
		    "department", rpc_column_text(rows, r, COMPLETION_COL_DEPARTMENT),
		    "public", PQgetvalue(rows, r, COMPLETION_COL_PUBLIC),
		    "professional", PQgetvalue(rows, r, COMPLETION_COL_PROFESSIONAL),
		    "total", PQgetvalue(rows, r, COMPLETION_COL_TOTAL),
		    "pending", PQgetvalue(rows, r, COMPLETION_COL_PENDING),
		    "met", met, "met_label", completion_met_label(lang, met)));
	}
	call->result = json_pack("{s:i, s:s, s:b, s:o, s:o, s:o}", "year", q.year,
	    "sort", completion_sort_name(q.sort), "desc", q.desc, "items", items,
	    "next", completion_next(&q, &rep, call->page.limit),
	    "summary", completion_summary_json(&rep));
	rc = 0;
out:
	completion_report_free(&rep);
	return rc;
}

void
completion_csv_field(struct text_buf *t, const char *v, bool text, bool first)
{
	if (!first)
		text_buf_add(t, ",", 1);
	text_buf_csv(t, v, text && v[0] != '\0' && strchr("=+-@\t\r", v[0]) != NULL);
}

void
completion_csv_headings(struct text_buf *t, enum lang lang)
{
	static const char *const headings[] = {
		"csv.name", "csv.id_number", "csv.department", "csv.public", "csv.professional",
		"csv.total", "csv.pending", "csv.required", "csv.met", NULL
	};

	for (int i = 0; headings[i] != NULL; i++)
		completion_csv_field(t, message_get(lang, headings[i]), false, i == 0);
	text_buf_add(t, "\r\n", 2);
}

void
completion_csv_row(struct text_buf *t, const PGresult *rows, int r, enum lang lang)
{
	static const int columns[] = {
		COMPLETION_COL_NAME, COMPLETION_COL_ID_NUMBER, COMPLETION_COL_DEPARTMENT,
		COMPLETION_COL_PUBLIC, COMPLETION_COL_PROFESSIONAL, COMPLETION_COL_TOTAL,
		COMPLETION_COL_PENDING, COMPLETION_COL_REQUIRED,
	};

	for (size_t c = 0; c < sizeof columns / sizeof columns[0]; c++) {
		int col = columns[c];
		bool text = col == COMPLETION_COL_NAME || col == COMPLETION_COL_DEPARTMENT;

		completion_csv_field(t, PQgetisnull(rows, r, col) ? "" : PQgetvalue(rows, r, col),
		    text, c == 0);
	}
	completion_csv_field(t, completion_met_label(lang,
	    completion_bool(rows, r, COMPLETION_COL_MET)), false, false);
	text_buf_add(t, "\r\n", 2);
}

/*
 * completion.report_csv: the whole filtered report as CSV for Excel and
 * LibreOffice: UTF-8 with a byte-order mark, a heading row, CRLF line
 * ends.  Sent in pieces of at most COMPLETION_CSV_ROWS rows, so that no
 * reply grows with the unit: the first piece (no "after") starts with the
 * BOM and the heading row; the client appends each piece's "csv" and asks
 * again with "after" = "next" until "next" is null.  The pieces are keyset
 * pages of the report, so a change meanwhile never repeats or splits a row.
 */
static int
completion_report_csv(struct rpc_call *call)
{
	enum lang lang = call->session->lang;
	struct completion_query q;
	struct completion_report rep = { 0 };
	struct text_buf csv = { NULL, 0, 0 };
	PGresult *rows;
	int shown, rc = -1;

	if (completion_query_params(call, &q) != 0 ||
	    completion_run(call, call->db, &q, &rep) != 0)
		goto out;

	text_buf_add(&csv, "", 0);
	if (q.after_key == NULL) {
		text_buf_add(&csv, "\xef\xbb\xbf", 3);
		completion_csv_headings(&csv, lang);
	}
	rows = rep.rows;
	shown = rpc_page_rows(call, rows);
	for (int r = 0; r < shown; r++)
		completion_csv_row(&csv, rows, r, lang);
	call->result = json_pack("{s:s, s:i, s:o, s:o}", "csv", csv.data, "rows", shown,
	    "next", completion_next(&q, &rep, call->page.limit),
	    "summary", completion_summary_json(&rep));
	rc = 0;
out:
	free(csv.data);
	completion_report_free(&rep);
	return rc;
}

/* ---- the table --------------------------------------------------------------------- */

static const struct rpc_param year_params[] = {
	{ "year", T_INTEGER, true },
	{ NULL, 0, false },
};

/* The parameters the report and its CSV share. */
#define COMPLETION_QUERY_PARAMS \
	{ "year", T_INTEGER, true }, \
	{ "not_met_only", T_BOOLEAN | T_NULL, false }, \
	{ "department_id", T_INTEGER | T_NULL, false }, \
	{ "sort", T_STRING | T_NULL, false }, \
	{ "desc", T_BOOLEAN | T_NULL, false }

static const struct rpc_param report_params[] = {
	RPC_PAGE_PARAMS,
	COMPLETION_QUERY_PARAMS,
	{ NULL, 0, false },
};

/* The CSV's pieces are of COMPLETION_CSV_ROWS rows: no limit. */
static const struct rpc_param report_csv_params[] = {
	{ "after", T_STRING | T_NULL, false },
	COMPLETION_QUERY_PARAMS,
	{ NULL, 0, false },
};

static const struct rpc_param person_params[] = {
	{ "account_id", T_INTEGER, true },
	{ NULL, 0, false },
};

const struct rpc_method rpc_completion_methods[] = {
	{ "completion.mine", NULL, ROLE_STAFF, false, completion_mine, .db = RPC_DB },
	{ "completion.year", year_params, ROLE_STAFF, false, completion_year_method,
	    .db = RPC_DB },
	{ "completion.report", report_params, ROLE_UNIT_ADMIN, false,
	    completion_report_method, .db = RPC_DB_UNIT_ADMIN,
	    .page = { COMPLETION_LIMIT_DEFAULT, RPC_CURSOR_ORDER }, .replica = true },
	{ "completion.report_csv", report_csv_params, ROLE_UNIT_ADMIN, false,
	    completion_report_csv, .db = RPC_DB_UNIT_ADMIN,
	    .page = { COMPLETION_CSV_ROWS, RPC_CURSOR_ORDER }, .replica = true },
	{ "completion.person", person_params, ROLE_UNIT_ADMIN, false,
	    completion_person_method, .db = RPC_DB_UNIT_ADMIN },
	{ NULL, NULL, 0, false, NULL },
};
