/*
 * rpc-profile.c - profile management (用户资料管理) and the unit
 * administrator's review of title changes (职务变更审核).
 *
 *	profile.get, profile.update			staff
 *	profile.cancel_title_change, profile.history	staff
 *	review.title_changes				unit_admin
 *	review.approve_title_changes			unit_admin
 *	review.reject_title_changes			unit_admin
 *	review.staff, review.staff_profile		unit_admin
 *
 * A staff member edits the fields entered at registration, except the
 * unit, the name and the ID number (and the sex and birth date, which the
 * ID number says): the server refuses those whatever the client sends.
 * Most fields are applied at once and recorded in profile_changes; a change
 * of the professional title (专业技术职务) is recorded as pending and applied
 * only when an administrator of the person's unit approves it.
 *
 * Every save names the profile version its form was read at, and is
 * applied by UPDATE ... WHERE version = $2, so a form read before another
 * session's save is refused instead of silently undoing that save.  Each
 * change of the account's profile (a save, a cancelled or decided title
 * change) moves the version on.
 *
 * Locking order: every writer first locks the account row (FOR UPDATE),
 * then touches the account's profile_changes rows.  A person's save, their
 * cancel and administrators' decisions on one account thus queue up in one
 * order: no deadlock, and of two administrators deciding one change at the
 * same moment exactly one finds it pending.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "db.h"
#include "format.h"
#include "decide.h"
#include "log.h"
#include "messages.h"
#include "rpc.h"
#include "text.h"
#include "validate-account.h"
#include "xmalloc.h"

#define PROFILE_FILTER_MAX	50	/* characters */

/*
 * A title as the history keeps it, "工程 · 工程师": format_title's form
 * (common/format.c), written in SQL for the old value a change statement
 * stores; test_profile.py checks that the two agree.
 */
#define PROFILE_TITLE_SHOWN(t)	t ".series || ' · ' || " t ".name"

/*
 * Every field of a profile with codes resolved, and its pending title
 * change if any.  At most one change is pending per account (a unique
 * index), so the join adds no rows.
 */
#define PROFILE_SELECT \
	"SELECT a.id, a.id_number, a.name, a.sex, a.birth_date, a.phone, a.email," \
	" a.unit_code, u.name, a.department_id, d.name, a.ethnicity, e.name," \
	" a.native_place, a.school, a.major_code, m.name, a.title_id, t.series," \
	" t.level, t.name, " PROFILE_TITLE_SHOWN("t") ", a.education_level, el.name," \
	" a.version, a.state, pc.id, " DB_ISO_TIME("pc.changed_at") ", pc.new_raw," \
	" pt.series, pt.level, pt.name" \
	" FROM accounts a JOIN units u ON u.code = a.unit_code" \
	" LEFT JOIN departments d ON d.id = a.department_id" \
	" LEFT JOIN ethnicities e ON e.code = a.ethnicity" \
	" LEFT JOIN majors m ON m.code = a.major_code" \
	" LEFT JOIN titles t ON t.id = a.title_id" \
	" LEFT JOIN education_levels el ON el.code = a.education_level" \
	" LEFT JOIN profile_changes pc ON pc.account_id = a.id AND pc.state = 'pending'" \
	" LEFT JOIN titles pt ON pt.id = pc.new_raw::integer"

/* Columns of PROFILE_SELECT. */
enum {
	COL_ID, COL_ID_NUMBER, COL_NAME, COL_SEX, COL_BIRTH_DATE, COL_PHONE, COL_EMAIL,
	COL_UNIT, COL_UNIT_NAME, COL_DEPARTMENT, COL_DEPARTMENT_NAME, COL_ETHNICITY,
	COL_ETHNICITY_NAME, COL_NATIVE_PLACE, COL_SCHOOL, COL_MAJOR, COL_MAJOR_NAME,
	COL_TITLE, COL_TITLE_SERIES, COL_TITLE_LEVEL, COL_TITLE_NAME, COL_TITLE_SHOWN,
	COL_EDUCATION, COL_EDUCATION_NAME, COL_VERSION, COL_STATE, COL_PENDING_ID,
	COL_PENDING_AT, COL_PENDING_TITLE, COL_PENDING_SERIES, COL_PENDING_LEVEL,
	COL_PENDING_NAME,
};

DB_STMT(profile_own_stmt, PROFILE_SELECT " WHERE a.id = $1");
DB_STMT(profile_own_lock_stmt, PROFILE_SELECT " WHERE a.id = $1 FOR UPDATE OF a");
DB_STMT(profile_staff_stmt, PROFILE_SELECT
    " WHERE a.id = $1 AND a.unit_code = $2 AND a.role = 'staff'");

/* The fields a person may change, in the order of the form. */
enum profile_field_id {
	PF_PHONE, PF_EMAIL, PF_DEPARTMENT, PF_ETHNICITY, PF_NATIVE_PLACE, PF_SCHOOL,
	PF_MAJOR, PF_TITLE, PF_EDUCATION, PF_COUNT
};

static const struct profile_field {
	const char	*field;		/* profile_changes.field; the word in "changed" */
	const char	*param;		/* profile.update's parameter (errors name it) */
	int		 raw_column;	/* the stored value in PROFILE_SELECT */
	int		 shown_column;	/* how it is shown */
	int		 ref;		/* the account_ref naming a new value, or -1 */
} profile_fields[PF_COUNT] = {
	{ "phone", "phone", COL_PHONE, COL_PHONE, -1 },
	{ "email", "email", COL_EMAIL, COL_EMAIL, -1 },
	{ "department", "department_id", COL_DEPARTMENT, COL_DEPARTMENT_NAME,
	    ACCOUNT_REF_DEPARTMENT },
	{ "ethnicity", "ethnicity", COL_ETHNICITY, COL_ETHNICITY_NAME, ACCOUNT_REF_ETHNICITY },
	{ "native_place", "native_place", COL_NATIVE_PLACE, COL_NATIVE_PLACE, -1 },
	{ "school", "school", COL_SCHOOL, COL_SCHOOL, -1 },
	{ "major", "major", COL_MAJOR, COL_MAJOR_NAME, ACCOUNT_REF_MAJOR },
	{ "title", "title_id", COL_TITLE, COL_TITLE_SHOWN, ACCOUNT_REF_TITLE },
	{ "education_level", "education_level", COL_EDUCATION, COL_EDUCATION_NAME,
	    ACCOUNT_REF_EDUCATION },
};

/*
 * Fields fixed at registration.  The sex and the birth date are written in
 * the ID number, so they are as fixed as it is.
 */
static const char *const profile_fixed[] = {
	"unit", "name", "id_number", "sex", "birth_date", NULL,
};

/* {id, series, level, name} of a title from four columns from id on, or JSON null. */
static json_t *
profile_title(const PGresult *res, int row, int id)
{
	if (PQgetisnull(res, row, id))
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:o}", "id", rpc_column_integer(res, row, id),
	    "series", rpc_column_text(res, row, id + 1), "level", rpc_column_text(res, row, id + 2),
	    "name", rpc_column_text(res, row, id + 3));
}

/* The profile object of a PROFILE_SELECT row (see docs: profile.get). */
static json_t *
profile_json(const PGresult *res)
{
	json_t *pending = json_null();

	if (!PQgetisnull(res, 0, COL_PENDING_ID))
		pending = json_pack("{s:o, s:o, s:s}",
		    "id", rpc_column_integer(res, 0, COL_PENDING_ID),
		    "title", profile_title(res, 0, COL_PENDING_TITLE),
		    "asked_at", PQgetvalue(res, 0, COL_PENDING_AT));
	return json_pack("{s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
	    " s:o, s:o, s:o, s:s, s:o}",
	    "account_id", rpc_column_integer(res, 0, COL_ID),
	    "id_number", PQgetvalue(res, 0, COL_ID_NUMBER),
	    "name", PQgetvalue(res, 0, COL_NAME),
	    "sex", rpc_column_sex(res, 0, COL_SEX),
	    "birth_date", rpc_column_text(res, 0, COL_BIRTH_DATE),
	    "phone", rpc_column_text(res, 0, COL_PHONE),
	    "email", rpc_column_text(res, 0, COL_EMAIL),
	    "unit", rpc_column_coded(res, 0, COL_UNIT, COL_UNIT_NAME),
	    "department", rpc_column_named(res, 0, COL_DEPARTMENT, COL_DEPARTMENT_NAME),
	    "ethnicity", rpc_column_coded(res, 0, COL_ETHNICITY, COL_ETHNICITY_NAME),
	    "native_place", rpc_column_text(res, 0, COL_NATIVE_PLACE),
	    "school", rpc_column_text(res, 0, COL_SCHOOL),
	    "major", rpc_column_coded(res, 0, COL_MAJOR, COL_MAJOR_NAME),
	    "title", profile_title(res, 0, COL_TITLE),
	    "education_level", rpc_column_coded(res, 0, COL_EDUCATION, COL_EDUCATION_NAME),
	    "state", PQgetvalue(res, 0, COL_STATE),
	    "pending_title", pending);
}

/* The session's account id as statement text. */
static void
profile_self_id(struct rpc_call *call, char id[24])
{
	snprintf(id, 24, "%lld", (long long)call->session->account_id);
}

/* Add member key to the error's data. */
static void
profile_error_data(struct rpc_call *call, const char *key, json_t *value)
{
	if (call->error_data == NULL)
		call->error_data = json_object();
	json_object_set_new(call->error_data, key, value);
}

/*
 * A page of the history of account_id, newest first: {items, next}, or
 * NULL after rpc_fail.  The page is the call's (call->page).
 */
static json_t *
profile_history_page(struct rpc_call *call, const char *account_id)
{
#define PROFILE_HISTORY_SELECT \
	"SELECT pc.id, pc.field, pc.old_value, pc.new_value, pc.old_raw, pc.new_raw," \
	" " DB_ISO_TIME("pc.changed_at") ", pc.kind, pc.state, pc.reason, dec.name," \
	" " DB_ISO_TIME("pc.decided_at") ", pc.changed_at::text" \
	" FROM profile_changes pc LEFT JOIN accounts dec ON dec.id = pc.decided_by" \
	" WHERE pc.account_id = $1"
	DB_STMT(profile_history_stmt, PROFILE_HISTORY_SELECT
	    " ORDER BY pc.changed_at DESC, pc.id DESC LIMIT $2");
	DB_STMT(profile_history_after_stmt, PROFILE_HISTORY_SELECT
	    " AND (pc.changed_at, pc.id) < ($3::timestamptz, $4::bigint)"
	    " ORDER BY pc.changed_at DESC, pc.id DESC LIMIT $2");
#undef PROFILE_HISTORY_SELECT
	enum lang lang = call->session->lang;
	const char *params[4] = { account_id, call->page.fetch, call->page.key[0],
	    call->page.key[1] };
	PGresult *res;
	json_t *items, *next;
	int n;

	res = db_exec(call->db, call->page.after ? &profile_history_after_stmt :
	    &profile_history_stmt, call->page.after ? 4 : 2, params);
	if (res == NULL) {
		rpc_fail_page(call);
		return NULL;
	}
	n = rpc_page_rows(call, res);
	items = json_array();
	for (int r = 0; r < n; r++) {
		json_array_append_new(items, json_pack("{s:o, s:s, s:s, s:o, s:o, s:o, s:o,"
		    " s:s, s:s, s:o, s:o, s:o, s:o}",
		    "id", rpc_column_integer(res, r, 0),
		    "field", PQgetvalue(res, r, 1),
		    "label", message_field(lang, PQgetvalue(res, r, 1)),
		    "old_value", rpc_column_text(res, r, 2),
		    "new_value", rpc_column_text(res, r, 3),
		    "old_raw", rpc_column_text(res, r, 4),
		    "new_raw", rpc_column_text(res, r, 5),
		    "changed_at", PQgetvalue(res, r, 6),
		    "kind", PQgetvalue(res, r, 7),
		    "state", rpc_column_text(res, r, 8),
		    "reason", rpc_column_text(res, r, 9),
		    "decided_by", rpc_column_person(res, r, 10),
		    "decided_at", rpc_column_text(res, r, 11)));
	}
	next = rpc_page_next(call, res, 12, 0);
	PQclear(res);
	return json_pack("{s:o, s:o}", "items", items, "next", next);
}

/*
 * The session's own profile row; with lock, locked FOR UPDATE (call in a
 * transaction).  Returns the result, or NULL after rpc_fail: an account
 * that is no longer active (disabled since login) is not permitted.
 */
static PGresult *
profile_own(struct rpc_call *call, struct db_conn *db, bool lock)
{
	char id[24];
	const char *params[1] = { id };
	PGresult *res;

	profile_self_id(call, id);
	res = db_exec(db, lock ? &profile_own_lock_stmt : &profile_own_stmt, 1, params);
	if (res == NULL) {
		rpc_fail_internal(call, db_error_text(db));
		return NULL;
	}
	if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, COL_STATE), "active") != 0) {
		PQclear(res);
		rpc_fail(call, RPC_NOT_PERMITTED, "not_permitted", NULL, NULL);
		return NULL;
	}
	return res;
}

/* profile.get: the own profile, which fields are fixed, and the version. */
static int
profile_get(struct rpc_call *call)
{
	PGresult *res;
	json_t *fixed;

	if ((res = profile_own(call, call->db, false)) == NULL)
		return -1;
	call->result = profile_json(res);
	fixed = json_array();
	for (size_t i = 0; profile_fixed[i] != NULL; i++)
		json_array_append_new(fixed, json_string(profile_fixed[i]));
	json_object_set_new(call->result, "fixed", fixed);
	json_object_set_new(call->result, "version", rpc_column_integer(res, 0, COL_VERSION));
	PQclear(res);
	return 0;
}

/* What a profile.update asks, read and checked field by field. */
struct profile_edit {
	bool		 sent[PF_COUNT];
	char		*raw[PF_COUNT];		/* the new value as stored; NULL clears */
	const char	*reason[PF_COUNT];	/* the rule it breaks, or NULL */
	struct account_refs refs;
};

static void
profile_edit_free(struct profile_edit *e)
{
	for (int i = 0; i < PF_COUNT; i++)
		free(e->raw[i]);
	account_refs_free(&e->refs);
}

/* An optional code: NULL when null or empty. Caller frees. */
static char *
profile_optional_code(const char *s)
{
	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

/* An optional text: trimmed, NULL when null or blank. Caller frees. */
static char *
profile_optional_text(const char *s)
{
	char *t = account_trim(s);

	if (t != NULL && *t == '\0') {
		free(t);
		t = NULL;
	}
	return t;
}

/*
 * Read the fields profile.update was sent into *e, and check what needs no
 * database.  The codes are checked by profile_edit_look_up.
 */
static void
profile_edit_read(struct rpc_call *call, struct profile_edit *e)
{
	long long number;
	json_t *v;

	for (int i = 0; i < PF_COUNT; i++)
		e->sent[i] = json_object_get(call->params, profile_fields[i].param) != NULL;

	if (e->sent[PF_PHONE]) {
		e->raw[PF_PHONE] = xstrdup(rpc_param_string(call, "phone"));
		e->reason[PF_PHONE] = *e->raw[PF_PHONE] == '\0' ? "required" :
		    account_check_phone(e->raw[PF_PHONE]);
	}
	if (e->sent[PF_EMAIL]) {
		e->raw[PF_EMAIL] = xstrdup(rpc_param_string(call, "email"));
		e->reason[PF_EMAIL] = *e->raw[PF_EMAIL] == '\0' ? "required" :
		    account_check_email(e->raw[PF_EMAIL]);
	}
	if (e->sent[PF_DEPARTMENT]) {
		rpc_param_int(call, "department_id", &number);
		e->raw[PF_DEPARTMENT] = xasprintf("%lld", number);
		e->refs.department_id = number;
		e->refs.has_department = true;
	}
	if (e->sent[PF_ETHNICITY]) {
		e->raw[PF_ETHNICITY] = xstrdup(rpc_param_string(call, "ethnicity"));
		if (*e->raw[PF_ETHNICITY] == '\0')
			e->reason[PF_ETHNICITY] = "required";
		else
			e->refs.ethnicity = e->raw[PF_ETHNICITY];
	}
	if (e->sent[PF_NATIVE_PLACE]) {
		e->raw[PF_NATIVE_PLACE] = profile_optional_text(
		    rpc_param_string(call, "native_place"));
		if (e->raw[PF_NATIVE_PLACE] != NULL)
			e->reason[PF_NATIVE_PLACE] = account_check_text(e->raw[PF_NATIVE_PLACE]);
	}
	if (e->sent[PF_SCHOOL]) {
		e->raw[PF_SCHOOL] = profile_optional_text(rpc_param_string(call, "school"));
		if (e->raw[PF_SCHOOL] != NULL)
			e->reason[PF_SCHOOL] = account_check_text(e->raw[PF_SCHOOL]);
	}
	if (e->sent[PF_MAJOR]) {
		e->raw[PF_MAJOR] = profile_optional_code(rpc_param_string(call, "major"));
		e->refs.major = e->raw[PF_MAJOR];
	}
	if (e->sent[PF_TITLE]) {
		v = json_object_get(call->params, "title_id");
		if (json_is_integer(v)) {
			number = json_integer_value(v);
			e->raw[PF_TITLE] = xasprintf("%lld", number);
			e->refs.title_id = number;
			e->refs.has_title = true;
		}
	}
	if (e->sent[PF_EDUCATION]) {
		e->raw[PF_EDUCATION] = profile_optional_code(
		    rpc_param_string(call, "education_level"));
		e->refs.education = e->raw[PF_EDUCATION];
	}
}

/*
 * Look up the codes of e in the unit's reference tables and note the ones
 * that are unknown.  Returns 0, or -1 when the database failed.
 */
static int
profile_edit_look_up(struct db_conn *db, struct profile_edit *e, const char *unit)
{
	e->refs.unit = unit;
	if (account_refs_look_up(db, &e->refs) != 0)
		return -1;
	for (int i = 0; i < PF_COUNT; i++) {
		int ref = profile_fields[i].ref;

		if (e->sent[i] && ref >= 0 && !e->refs.known[ref])
			e->reason[i] = account_ref_reason(ref);
	}
	return 0;
}

/* True when a and b (either may be NULL) are the same value. */
static bool
profile_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* A column's text, or NULL when it is NULL. */
static const char *
profile_value(const PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col);
}

/* How a new value of field i is shown in the history. */
static const char *
profile_edit_shown(const struct profile_edit *e, int i)
{
	int ref = profile_fields[i].ref;

	return ref >= 0 ? e->refs.name[ref] : e->raw[i];
}

/* The reply's sentence: the parts that happened, in the session's language. */
static char *
profile_update_message(enum lang lang, bool saved, bool submitted, bool cancelled)
{
	const char *parts[3];
	const char *sep = message_get(lang, "message_separator");
	size_t n = 0, len = 1;
	char *out;

	if (saved)
		parts[n++] = message_get(lang, "profile_saved");
	if (submitted)
		parts[n++] = message_get(lang, "title_submitted");
	if (cancelled)
		parts[n++] = message_get(lang, "title_change_cancelled");
	for (size_t i = 0; i < n; i++)
		len += strlen(parts[i]) + strlen(sep);
	out = xmalloc(len);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, sep);
		strcat(out, parts[i]);
	}
	return out;
}

/*
 * Apply the direct changes of e to the locked account row res (whose
 * version was checked), move the version on, and record one history row
 * per changed field.  changed[i] says which.  Returns the new version
 * (caller frees), or NULL when the database failed.
 */
static char *
profile_apply(struct db_conn *db, const PGresult *res, const struct profile_edit *e,
    const bool *changed)
{
	DB_STMT(profile_update_stmt,
	    "UPDATE accounts SET phone = $3, email = $4, department_id = $5::bigint,"
	    " ethnicity = $6, native_place = $7, school = $8, major_code = $9,"
	    " education_level = $10, version = version + 1, updated_at = now()"
	    " WHERE id = $1 AND version = $2::integer RETURNING version");
	DB_STMT(profile_record_stmt,
	    "INSERT INTO profile_changes (account_id, unit_code, field, old_value, new_value,"
	    " old_raw, new_raw, kind) VALUES ($1, $2, $3, $4, $5, $6, $7, 'direct')");
	static const int order[8] = { PF_PHONE, PF_EMAIL, PF_DEPARTMENT, PF_ETHNICITY,
	    PF_NATIVE_PLACE, PF_SCHOOL, PF_MAJOR, PF_EDUCATION };
	const char *params[10];
	PGresult *r;
	char *version;

	params[0] = PQgetvalue(res, 0, COL_ID);
	params[1] = PQgetvalue(res, 0, COL_VERSION);
	for (int k = 0; k < 8; k++) {
		int i = order[k];

		params[2 + k] = changed[i] ? e->raw[i] :
		    profile_value(res, profile_fields[i].raw_column);
	}
	if ((r = db_exec(db, &profile_update_stmt, 10, params)) == NULL)
		return NULL;
	if (PQntuples(r) != 1) {
		/* Cannot happen under the row lock; refuse rather than guess. */
		PQclear(r);
		return xstrdup("");
	}
	version = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);

	for (int i = 0; i < PF_COUNT; i++) {
		if (!changed[i] || i == PF_TITLE)
			continue;
		const char *row[7] = { PQgetvalue(res, 0, COL_ID), PQgetvalue(res, 0, COL_UNIT),
		    profile_fields[i].field,
		    profile_value(res, profile_fields[i].shown_column),
		    profile_edit_shown(e, i),
		    profile_value(res, profile_fields[i].raw_column), e->raw[i] };

		if ((r = db_exec(db, &profile_record_stmt, 7, row)) == NULL) {
			free(version);
			return NULL;
		}
		PQclear(r);
	}
	return version;
}

/*
 * The title part of a save: cancel the pending change (with reason
 * "replaced" when a new one follows, or none when the person went back to
 * the title they have), and ask for the new one.  Returns 0, or -1 when
 * the database failed.
 */
static int
profile_title_request(struct db_conn *db, const PGresult *res, const struct profile_edit *e,
    bool cancel, bool submit)
{
	DB_STMT(profile_title_cancel_stmt,
	    "UPDATE profile_changes SET state = 'cancelled', reason = $2, decided_by = $1,"
	    " decided_at = now() WHERE account_id = $1 AND state = 'pending'");
	DB_STMT(profile_title_ask_stmt,
	    "INSERT INTO profile_changes (account_id, unit_code, field, old_value, new_value,"
	    " old_raw, new_raw, kind, state)"
	    " VALUES ($1, $2, 'title', $3, $4, $5, $6, 'reviewed', 'pending')");
	const char *id = PQgetvalue(res, 0, COL_ID);
	PGresult *r;

	if (cancel) {
		const char *params[2] = { id, submit ? "replaced" : NULL };

		if ((r = db_exec(db, &profile_title_cancel_stmt, 2, params)) == NULL)
			return -1;
		PQclear(r);
	}
	if (submit) {
		const char *params[6] = { id, PQgetvalue(res, 0, COL_UNIT),
		    profile_value(res, COL_TITLE_SHOWN), profile_edit_shown(e, PF_TITLE),
		    profile_value(res, COL_TITLE), e->raw[PF_TITLE] };

		if ((r = db_exec(db, &profile_title_ask_stmt, 6, params)) == NULL)
			return -1;
		PQclear(r);
	}
	return 0;
}

/* What a save changes, decided against the locked profile row. */
struct profile_plan {
	bool	 changed[PF_COUNT];
	bool	 any_direct;	/* a field other than the title */
	bool	 submit;	/* a title change is asked for */
	bool	 cancel;	/* the pending title change is cancelled */
};

/*
 * Which fields of e differ from the profile row res.  The title a save is
 * compared with is the pending one when there is one (that is what the
 * form shows), else the applied one: sending the pending title again
 * changes nothing; sending the applied title while a change is pending
 * cancels that change; another title replaces it.
 */
static void
profile_plan(const struct profile_edit *e, const PGresult *res, struct profile_plan *plan)
{
	const char *current = profile_value(res, COL_TITLE);

	memset(plan, 0, sizeof *plan);
	for (int i = 0; i < PF_COUNT; i++) {
		if (i == PF_TITLE || !e->sent[i])
			continue;
		plan->changed[i] = !profile_same(e->raw[i],
		    profile_value(res, profile_fields[i].raw_column));
		plan->any_direct |= plan->changed[i];
	}
	if (!e->sent[PF_TITLE])
		return;
	if (PQgetisnull(res, 0, COL_PENDING_ID)) {
		plan->submit = !profile_same(e->raw[PF_TITLE], current);
	} else if (!profile_same(e->raw[PF_TITLE], profile_value(res, COL_PENDING_TITLE))) {
		plan->cancel = true;
		plan->submit = !profile_same(e->raw[PF_TITLE], current);
	}
	plan->changed[PF_TITLE] = plan->submit || plan->cancel;
}

/*
 * The checks of a save against the locked profile row res, in the order
 * of the replies after a fixed field: every broken rule in one reply, in
 * the order of the form; then a stale version.  Returns 0, or -1 after rpc_fail.
 */
static int
profile_update_check(struct rpc_call *call, struct profile_edit *e, const PGresult *res)
{
	long long version_sent = 0;

	if (profile_edit_look_up(call->db, e, PQgetvalue(res, 0, COL_UNIT)) != 0)
		return rpc_fail_internal(call, db_error_text(call->db));
	for (int i = 0; i < PF_COUNT; i++) {
		if (e->reason[i] != NULL && strcmp(e->reason[i], "required") == 0)
			rpc_problem_required(call, profile_fields[i].param);
		else if (e->reason[i] != NULL)
			rpc_problem(call, e->reason[i], profile_fields[i].param, NULL);
	}
	if (rpc_fail_problems(call, RPC_INVALID_INPUT) != 0)
		return -1;
	rpc_param_int(call, "version", &version_sent);
	if (strtoll(PQgetvalue(res, 0, COL_VERSION), NULL, 10) != version_sent)
		return rpc_fail(call, RPC_CONFLICT, "stale_version", NULL,
		    message_get(call->session->lang, "profile_stale_version"));
	return 0;
}

/*
 * Write what plan says, in the caller's transaction: the direct fields
 * with their history rows, then the title change, then commit.  Returns
 * the new version (caller frees), or NULL after rpc_fail.
 */
static char *
profile_update_write(struct rpc_call *call, const PGresult *res,
    const struct profile_edit *e, const struct profile_plan *plan)
{
	struct db_conn *db = call->db;
	char *version;

	if ((version = profile_apply(db, res, e, plan->changed)) == NULL) {
		rpc_fail_internal(call, db_error_text(db));
		return NULL;
	}
	if (*version == '\0') {
		rpc_fail(call, RPC_CONFLICT, "stale_version", NULL,
		    message_get(call->session->lang, "profile_stale_version"));
	} else if (plan->changed[PF_TITLE] &&
	    profile_title_request(db, res, e, plan->cancel, plan->submit) != 0) {
		rpc_fail_internal(call, db_error_text(db));
	} else if (!db_commit(db)) {
		rpc_fail_internal(call, db_error_text(db));
	} else {
		return version;
	}
	free(version);
	return NULL;
}

/* The reply to a save that wrote version, from the row res it was planned on. */
static json_t *
profile_update_result(struct rpc_call *call, const PGresult *res,
    const struct profile_plan *plan, const char *version)
{
	bool pending = !PQgetisnull(res, 0, COL_PENDING_ID);
	char *message;
	json_t *list, *result;

	list = json_array();
	for (int i = 0; i < PF_COUNT; i++) {
		if (plan->changed[i])
			json_array_append_new(list, json_string(profile_fields[i].field));
	}
	message = profile_update_message(call->session->lang, plan->any_direct,
	    plan->submit, plan->cancel && !plan->submit);
	result = json_pack("{s:I, s:o, s:b, s:s}",
	    "version", (json_int_t)strtoll(version, NULL, 10), "changed", list,
	    "title_pending", plan->submit || (!plan->cancel && pending), "message", message);
	free(message);
	return result;
}

/*
 * profile.update: see docs/protocol.md.  The order of the replies: a fixed
 * field; the first broken rule, in the order of the form; a stale version;
 * nothing changed.  Then, in one transaction under the account's row lock,
 * the direct fields are applied with their history rows and the title
 * change is asked for.
 */
static int
profile_update(struct rpc_call *call)
{
	struct profile_edit e = { 0 };
	struct profile_plan plan;
	struct db_conn *db = call->db;
	PGresult *res = NULL;
	char *version = NULL;
	int rc = -1;

	for (size_t i = 0; profile_fixed[i] != NULL; i++) {
		if (json_object_get(call->params, profile_fixed[i]) != NULL)
			rpc_problem(call, "field_fixed", profile_fixed[i], NULL);
	}
	if (rpc_fail_problems(call, RPC_INVALID_INPUT) != 0)
		return -1;
	profile_edit_read(call, &e);
	if (!db_begin(db)) {
		rpc_fail_internal(call, db_error_text(db));
		goto out;
	}
	if ((res = profile_own(call, db, true)) == NULL ||
	    profile_update_check(call, &e, res) != 0)
		goto out;
	profile_plan(&e, res, &plan);
	if (!plan.any_direct && !plan.changed[PF_TITLE]) {
		db_rollback(db);
		call->result = json_pack("{s:o, s:[], s:b, s:s}",
		    "version", rpc_column_integer(res, 0, COL_VERSION), "changed",
		    "title_pending", !PQgetisnull(res, 0, COL_PENDING_ID),
		    "message", message_get(call->session->lang, "profile_unchanged"));
		rc = 0;
		goto out;
	}
	if ((version = profile_update_write(call, res, &e, &plan)) == NULL)
		goto out;
	call->result = profile_update_result(call, res, &plan, version);
	log_info("session %lu: account %lld saved its profile (version %s)%s%s",
	    call->session->serial, (long long)call->session->account_id, version,
	    plan.submit ? ", title change asked" : "",
	    plan.cancel ? ", pending title change cancelled" : "");
	rc = 0;
out:
	if (rc != 0)
		db_rollback(db);
	PQclear(res);
	free(version);
	profile_edit_free(&e);
	return rc;
}

/*
 * profile.cancel_title_change: the person takes back their pending title
 * change (one guarded UPDATE ... WHERE state = 'pending').  One no longer
 * pending is a conflict that says what became of it.
 */
static int
profile_cancel_title_change(struct rpc_call *call)
{
	DB_STMT(profile_cancel_stmt,
	    "WITH pc AS ("
	    " UPDATE profile_changes SET state = 'cancelled', decided_by = $2,"
	    "  decided_at = now()"
	    " WHERE id = $1 AND account_id = $2 AND state = 'pending' RETURNING account_id)"
	    " UPDATE accounts a SET version = a.version + 1, updated_at = now() FROM pc"
	    " WHERE a.id = pc.account_id RETURNING a.version");
	DB_STMT(profile_change_state_stmt,
	    "SELECT pc.state, dec.name, " DB_ISO_TIME("pc.decided_at")
	    " FROM profile_changes pc LEFT JOIN accounts dec ON dec.id = pc.decided_by"
	    " WHERE pc.id = $1 AND pc.account_id = $2 AND pc.kind = 'reviewed'");
	struct db_conn *db = call->db;
	char id[24], self[24];
	const char *params[2] = { id, self };
	long long change_id = 0;
	PGresult *res = NULL;
	int rc = -1;

	rpc_param_int(call, "id", &change_id);
	snprintf(id, sizeof id, "%lld", change_id > 0 ? change_id : 0);
	profile_self_id(call, self);
	if (!db_begin(db))
		return rpc_fail_internal(call, db_error_text(db));
	if ((res = profile_own(call, db, true)) == NULL)
		goto out;
	PQclear(res);
	if ((res = db_exec(db, &profile_cancel_stmt, 2, params)) == NULL) {
		rpc_fail_internal(call, db_error_text(db));
		goto out;
	}
	if (PQntuples(res) == 1) {
		if (!db_commit(db)) {
			rpc_fail_internal(call, db_error_text(db));
			goto out;
		}
		call->result = json_pack("{s:I, s:s, s:I, s:s}", "id", (json_int_t)change_id,
		    "state", "cancelled",
		    "version", (json_int_t)strtoll(PQgetvalue(res, 0, 0), NULL, 10),
		    "message", message_get(call->session->lang, "title_change_cancelled"));
		log_info("session %lu: account %s cancelled title change %s",
		    call->session->serial, self, id);
		rc = 0;
		goto out;
	}
	PQclear(res);
	if ((res = db_exec(db, &profile_change_state_stmt, 2, params)) == NULL) {
		rpc_fail_internal(call, db_error_text(db));
		goto out;
	}
	if (PQntuples(res) != 1) {
		rpc_fail(call, RPC_NOT_FOUND, "not_found", "id",
		    message_get(call->session->lang, "title_change_not_found"));
		goto out;
	}
	rpc_fail(call, RPC_CONFLICT, "state_changed", NULL,
	    message_get(call->session->lang, "title_change_not_pending"));
	profile_error_data(call, "state", json_string(PQgetvalue(res, 0, 0)));
	profile_error_data(call, "decided_by", rpc_column_person(res, 0, 1));
	profile_error_data(call, "decided_at", rpc_column_text(res, 0, 2));
out:
	if (rc != 0)
		db_rollback(db);
	PQclear(res);
	return rc;
}

/* profile.history: the own history, newest first, keyset paged. */
static int
profile_history(struct rpc_call *call)
{
	PGresult *res;
	char id[24];

	if ((res = profile_own(call, call->db, false)) == NULL)
		return -1;
	PQclear(res);
	profile_self_id(call, id);
	if ((call->result = profile_history_page(call, id)) == NULL)
		return -1;
	return 0;
}

/*
 * A page of the administrator's unit: the rows of st (or after_st with a
 * cursor) with $1 unit, $2 filter, $3 rows, $4 $5 the cursor, then the
 * total by count_st ($1 $2).  row makes an item of
 * row r; key_col is the cursor's sort key.  Sets call->result to {items,
 * next, <total>}; returns 0 or -1 after rpc_fail.
 */
static int
profile_unit_page(struct rpc_call *call, struct db_stmt *st, struct db_stmt *after_st,
    struct db_stmt *count_st, json_t *(*row)(const PGresult *, int), int key_col,
    const char *total)
{
	struct db_conn *db = call->db;
	const char *params[5] = { call->session->unit_code, rpc_param_text(call, "filter"),
	    call->page.fetch, call->page.key[0], call->page.key[1] };
	PGresult *res;
	json_t *items, *next;
	int n;

	res = db_exec(db, call->page.after ? after_st : st, call->page.after ? 5 : 3, params);
	if (res == NULL)
		return rpc_fail_page(call);
	n = rpc_page_rows(call, res);
	items = json_array();
	for (int r = 0; r < n; r++)
		json_array_append_new(items, row(res, r));
	next = rpc_page_next(call, res, key_col, 0);
	PQclear(res);
	if ((res = db_exec(db, count_st, 2, params)) == NULL) {
		json_decref(items);
		json_decref(next);
		return rpc_fail_internal(call, db_error_text(db));
	}
	call->result = json_pack("{s:o, s:o, s:I}", "items", items, "next", next,
	    total, (json_int_t)strtoll(PQgetvalue(res, 0, 0), NULL, 10));
	PQclear(res);
	return 0;
}

/* An item of review.title_changes. */
static json_t *
profile_queue_row(const PGresult *res, int r)
{
	/* The queue's WHERE: every row is pending. */
	return json_pack("{s:o, s:o, s:s, s:s, s:o, s:o, s:o, s:s, s:o}",
	    "id", rpc_column_integer(res, r, 0),
	    "account_id", rpc_column_integer(res, r, 1),
	    "name", PQgetvalue(res, r, 2),
	    "id_number", PQgetvalue(res, r, 3),
	    "department", rpc_column_text(res, r, 4),
	    "old", rpc_column_named(res, r, 5, 6),
	    "new", rpc_column_named(res, r, 7, 8),
	    "asked_at", PQgetvalue(res, r, 9),
	    "actions", actions_for(ACTIONS_TITLE_CHANGE, "pending", NULL));
}

/*
 * review.title_changes: a page of the unit's pending title changes, newest
 * first, on the partial index profile_changes_queue; the filter is checked
 * on the rows the index yields.
 */
static int
profile_queue(struct rpc_call *call)
{
#define PROFILE_QUEUE_WHERE \
	" WHERE pc.unit_code = $1 AND pc.state = 'pending' AND pc.field = 'title'" \
	" AND ($2::text IS NULL OR strpos(a.name, $2) > 0" \
	"  OR starts_with(a.id_number::text, upper($2)))"
#define PROFILE_QUEUE_SELECT \
	"SELECT pc.id, pc.account_id, a.name, a.id_number, d.name, pc.old_raw," \
	" pc.old_value, pc.new_raw, pc.new_value, " DB_ISO_TIME("pc.changed_at") "," \
	" pc.changed_at::text" \
	" FROM profile_changes pc JOIN accounts a ON a.id = pc.account_id" \
	" LEFT JOIN departments d ON d.id = a.department_id" PROFILE_QUEUE_WHERE
	DB_STMT(profile_queue_stmt, PROFILE_QUEUE_SELECT
	    " ORDER BY pc.changed_at DESC, pc.id DESC LIMIT $3");
	DB_STMT(profile_queue_after_stmt, PROFILE_QUEUE_SELECT
	    " AND (pc.changed_at, pc.id) < ($4::timestamptz, $5::bigint)"
	    " ORDER BY pc.changed_at DESC, pc.id DESC LIMIT $3");
	DB_STMT(profile_queue_count_stmt,
	    "SELECT count(*) FROM profile_changes pc JOIN accounts a ON a.id = pc.account_id"
	    PROFILE_QUEUE_WHERE);
#undef PROFILE_QUEUE_SELECT
#undef PROFILE_QUEUE_WHERE

	return profile_unit_page(call, &profile_queue_stmt, &profile_queue_after_stmt,
	    &profile_queue_count_stmt, profile_queue_row, 10, "pending_total");
}

/*
 * Decide one title change of the unit (decide_fn) in its own transaction:
 * lock the person's account row (the order every writer keeps), then the
 * guarded UPDATE ... WHERE state = 'pending', which on approval also
 * applies the title; either decision moves the profile version on, so a
 * form showing the change as pending is stale.  When nothing matched, say
 * why: not of this unit (or no such id), or decided already and by whom.
 */
static enum decide_outcome
profile_decide_one(const struct decision *d, long long change_id, json_t **item)
{
	DB_STMT(profile_decide_lock_stmt,
	    "SELECT a.id FROM profile_changes pc JOIN accounts a ON a.id = pc.account_id"
	    " WHERE pc.id = $1 AND pc.unit_code = $2 AND pc.kind = 'reviewed'"
	    " FOR UPDATE OF a");
	DB_STMT(profile_decide_stmt,
	    "WITH pc AS ("
	    " UPDATE profile_changes SET state = $3, reason = $4, decided_by = $5,"
	    "  decided_at = now()"
	    " WHERE id = $1 AND unit_code = $2 AND state = 'pending' AND field = 'title'"
	    " RETURNING account_id, new_raw),"
	    " acc AS ("
	    " UPDATE accounts a SET title_id = CASE WHEN $3 = 'approved'"
	    "  THEN pc.new_raw::integer ELSE a.title_id END,"
	    "  version = a.version + 1, updated_at = now()"
	    " FROM pc WHERE a.id = pc.account_id RETURNING a.id)"
	    " SELECT account_id FROM pc");
	DB_STMT(profile_decided_stmt,
	    "SELECT pc.state, dec.name, " DB_ISO_TIME("pc.decided_at")
	    " FROM profile_changes pc LEFT JOIN accounts dec ON dec.id = pc.decided_by"
	    " WHERE pc.id = $1 AND pc.unit_code = $2");
	struct db_conn *db = d->db;
	char id[24];
	const char *params[5] = { id, d->unit, d->to_state, d->reason, d->actor };
	enum decide_outcome outcome = DECIDE_ERROR;
	PGresult *res = NULL;

	snprintf(id, sizeof id, "%lld", change_id);
	if (!db_begin(db))
		return DECIDE_ERROR;
	if ((res = db_exec(db, &profile_decide_lock_stmt, 2, params)) == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		*item = decide_missed(d, change_id, "not_found");
		outcome = DECIDE_NOT_DONE;
		goto out;
	}
	PQclear(res);
	if ((res = db_exec(db, &profile_decide_stmt, 5, params)) == NULL)
		goto out;
	if (PQntuples(res) == 1) {
		if (!db_commit(db))
			goto out;
		*item = decide_done(d, change_id);
		outcome = DECIDE_DONE;
		goto out;
	}
	PQclear(res);
	if ((res = db_exec(db, &profile_decided_stmt, 2, params)) == NULL)
		goto out;
	*item = PQntuples(res) == 1 ? decide_decided_before(d, change_id, res, NULL) :
	    decide_missed(d, change_id, "not_found");
	outcome = DECIDE_NOT_DONE;
out:
	PQclear(res);
	db_rollback(db);	/* nothing to undo unless it failed */
	return outcome;
}

/* A rejection's reason is shown to the person in their history. */
static const struct decide_kind profile_kind = {
	DECIDE_PARAMS("ids", "title_change_ids_invalid"),
	.key = "id", .approved = "approved", .what = "title changes",
	.trim = account_trim, .decide = profile_decide_one,
};

/* An item of review.staff. */
static json_t *
profile_staff_row(const PGresult *res, int r)
{
	char *title = PQgetisnull(res, r, 5) ? NULL : format_title(PQgetvalue(res, r, 5),
	    PQgetvalue(res, r, 7));
	json_t *row;

	/* The list's WHERE: every row is an active staff account. */
	row = json_pack("{s:o, s:s, s:s, s:o, s:o, s:s?, s:b, s:o}",
	    "account_id", rpc_column_integer(res, r, 0),
	    "id_number", PQgetvalue(res, r, 1),
	    "name", PQgetvalue(res, r, 2),
	    "sex", rpc_column_sex(res, r, 3),
	    "department", rpc_column_text(res, r, 4),
	    "title", title,
	    "title_pending", strcmp(PQgetvalue(res, r, 6), "t") == 0,
	    "actions", actions_for(ACTIONS_STAFF, "active", NULL));
	free(title);
	return row;
}

/*
 * review.staff: the unit's active staff by name, keyset paged on
 * (name, id) along the index accounts_by_unit.
 */
static int
profile_staff_list(struct rpc_call *call)
{
#define PROFILE_STAFF_WHERE \
	" WHERE a.unit_code = $1 AND a.state = 'active' AND a.role = 'staff'" \
	" AND ($2::text IS NULL OR strpos(a.name, $2) > 0" \
	"  OR starts_with(a.id_number::text, upper($2)))"
#define PROFILE_STAFF_SELECT \
	"SELECT a.id, a.id_number, a.name, a.sex, d.name, t.series," \
	" EXISTS (SELECT 1 FROM profile_changes pc" \
	"  WHERE pc.account_id = a.id AND pc.state = 'pending'), t.name" \
	" FROM accounts a LEFT JOIN departments d ON d.id = a.department_id" \
	" LEFT JOIN titles t ON t.id = a.title_id" PROFILE_STAFF_WHERE
	DB_STMT(profile_staff_list_stmt, PROFILE_STAFF_SELECT
	    " ORDER BY a.name COLLATE zh_pinyin, a.id LIMIT $3");
	DB_STMT(profile_staff_list_after_stmt, PROFILE_STAFF_SELECT
	    " AND (a.name COLLATE zh_pinyin, a.id) > ($4::text, $5::bigint)"
	    " ORDER BY a.name COLLATE zh_pinyin, a.id LIMIT $3");
	DB_STMT(profile_staff_count_stmt,
	    "SELECT count(*) FROM accounts a" PROFILE_STAFF_WHERE);
#undef PROFILE_STAFF_SELECT
#undef PROFILE_STAFF_WHERE

	return profile_unit_page(call, &profile_staff_list_stmt,
	    &profile_staff_list_after_stmt, &profile_staff_count_stmt, profile_staff_row, 2,
	    "total");
}

/*
 * review.staff_profile: a staff member of the own unit, read only: the
 * profile and a page of its history.  Any other account is not_found, the
 * same answer as for an id that does not exist.
 */
static int
profile_staff_get(struct rpc_call *call)
{
	char id_text[24];
	PGresult *res;
	json_t *profile, *history;

	if ((res = rpc_unit_row(call, &profile_staff_stmt, "account_id", NULL, id_text)) == NULL)
		return -1;
	profile = profile_json(res);
	json_object_set_new(profile, "actions",
	    actions_for(ACTIONS_STAFF, PQgetvalue(res, 0, COL_STATE), NULL));
	PQclear(res);
	if ((history = profile_history_page(call, id_text)) == NULL) {
		json_decref(profile);
		return -1;
	}
	call->result = json_pack("{s:o, s:o}", "profile", profile, "history", history);
	return 0;
}

/* Any JSON type: a fixed field is refused by its name, whatever its value. */
#define T_ANY	(T_STRING | T_INTEGER | T_BOOLEAN | T_OBJECT | T_ARRAY | T_NULL | T_NUMBER)

static const struct rpc_param update_params[] = {
	{ "version", T_INTEGER, true },
	{ "phone", T_STRING, false },
	{ "email", T_STRING, false },
	{ "department_id", T_INTEGER, false },
	{ "ethnicity", T_STRING, false },
	{ "native_place", T_STRING | T_NULL, false },
	{ "school", T_STRING | T_NULL, false },
	{ "major", T_STRING | T_NULL, false },
	{ "title_id", T_INTEGER | T_NULL, false },
	{ "education_level", T_STRING | T_NULL, false },
	{ "unit", T_ANY, false },
	{ "name", T_ANY, false },
	{ "id_number", T_ANY, false },
	{ "sex", T_ANY, false },
	{ "birth_date", T_ANY, false },
	{ NULL, 0, false },
};

static const struct rpc_param id_params[] = {
	{ "id", T_INTEGER, true },
	{ NULL, 0, false },
};

static const struct rpc_param page_params[] = {
	RPC_PAGE_PARAMS,
	{ NULL, 0, false },
};

static const struct rpc_param filter_page_params[] = {
	RPC_PAGE_PARAMS,
	{ "filter", T_STRING | T_NULL, false, 1, PROFILE_FILTER_MAX, "filter_invalid" },
	{ NULL, 0, false },
};

static const struct rpc_param staff_profile_params[] = {
	{ "account_id", T_INTEGER, true },
	RPC_PAGE_PARAMS,
	{ NULL, 0, false },
};

/* Newest first by a time, or by name: the pages' orders. */
#define PROFILE_BY_TIME	{ .limit = 50, .cursor = RPC_CURSOR_TIME }
#define PROFILE_BY_NAME	{ .limit = 50, .cursor = RPC_CURSOR_NAME }

const struct rpc_method rpc_profile_methods[] = {
	{ "profile.get", NULL, ROLE_STAFF, false, profile_get, .db = RPC_DB },
	{ "profile.update", update_params, ROLE_STAFF, false, profile_update, .db = RPC_DB },
	{ "profile.cancel_title_change", id_params, ROLE_STAFF, false,
	    profile_cancel_title_change, .db = RPC_DB },
	{ "profile.history", page_params, ROLE_STAFF, false, profile_history, .db = RPC_DB,
	    .page = PROFILE_BY_TIME },
	{ "review.title_changes", filter_page_params, ROLE_UNIT_ADMIN, false, profile_queue,
	    .db = RPC_DB_UNIT_ADMIN, .page = PROFILE_BY_TIME },
	DECIDE_METHODS(profile_kind, "review.approve_title_changes",
	    "review.reject_title_changes"),
	{ "review.staff", filter_page_params, ROLE_UNIT_ADMIN, false, profile_staff_list,
	    .db = RPC_DB_UNIT_ADMIN, .page = PROFILE_BY_NAME },
	{ "review.staff_profile", staff_profile_params, ROLE_UNIT_ADMIN, false,
	    profile_staff_get, .db = RPC_DB_UNIT_ADMIN, .page = PROFILE_BY_TIME },
	{ NULL, NULL, 0, false, NULL },
};
