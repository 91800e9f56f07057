/*
 * rpc-bases.c - a continuing-education base's classes (班次), for its
 * administrator (role base_admin; each method checks in the database that
 * they still are, RPC_DB_BASE_ADMIN).  Rosters: roster.c.
 *
 *	class.forms	the forms the base may report, with their fields, and the years
 *	class.list	{state?, limit, after}: the base's classes, newest first
 *	class.get	{id}
 *	class.save	{id?, version?, name, form, fields, start_date, end_date, year,
 *			 amount}: a new draft, or a change of one
 *	class.delete	{id, version?}: a draft
 *	class.attachment {id, offset?, length?}: a chunk of the class's attachment
 *
 * A class's attachment (its approval document, an attendance sheet) is
 * uploaded as a declaration's is (attachment.begin/chunk/finish, then its
 * token in class.save's attachment_token) and stored in the same write.
 *
 * A class of another base is "not_found", exactly as one that does not
 * exist.  A draft's every mistake is named at once (rpc_problem*).
 * Reporting, corrections after it and the records made are issue 15's
 * part 2 (class.report and the rest).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "attachments.h"
#include "bases.h"
#include "config.h"
#include "db.h"
#include "forms.h"
#include "log.h"
#include "messages.h"
#include "roster.h"
#include "rpc.h"
#include "session.h"
#include "validate.h"
#include "xmalloc.h"

#define CLASS_NAME_MAX	100	/* characters of a class's name */
#define CLASS_LIST_LIMIT 50

/*
 * The columns of a class as class_row reads them; $1 its id or the base's rows.
 * A class's records have its year (fixed once reported): they are looked for
 * in that year's partition only (schema 019).
 */
#define CLASS_COLUMNS \
	"c.id, c.name, c.form_code, f.definition->>'name', f.definition->>'name_en'," \
	" c.fields::text, c.start_date::text, c.end_date::text, c.year, c.amount::text," \
	" c.state, c.version, " DB_ISO_TIME("c.created_at") ", " DB_ISO_TIME("c.reported_at") "," \
	" (SELECT count(*) FROM base_roster r WHERE r.class_id = c.id AND NOT r.withdrawn)," \
	" (SELECT count(*) FROM base_roster r WHERE r.class_id = c.id AND NOT r.withdrawn" \
	"   AND r.problem IS NOT NULL)," \
	" (SELECT count(*) FROM base_roster r WHERE r.class_id = c.id AND NOT r.withdrawn" \
	"   AND r.problem IS NULL AND r.account_id IS NULL)," \
	" (SELECT a.name FROM base_class_attachments a WHERE a.class_id = c.id)," \
	" (SELECT a.size FROM base_class_attachments a WHERE a.class_id = c.id)," \
	" (SELECT count(*) FILTER (WHERE d.state = 'pending') || ' ' ||" \
	"   count(*) FILTER (WHERE d.state = 'approved') || ' ' ||" \
	"   count(*) FILTER (WHERE d.state = 'rejected')" \
	"   FROM declarations d WHERE d.class_id = c.id AND d.year = c.year)," \
	" c.created_at::text"
#define CLASS_NCOLUMNS	21	/* the last, created_at, is the page's cursor */
#define CLASS_FROM \
	" FROM base_classes c JOIN learning_forms f ON f.id = c.form_id"

/* A class's row as JSON, in the session's language. */
static json_t *
class_row(const struct rpc_call *call, const PGresult *res, int r)
{
	bool english = call->session->lang == LANG_EN;
	json_t *fields = json_loads(PQgetvalue(res, r, 5), 0, NULL), *attachment = json_null();
	const char *form_name = english && !PQgetisnull(res, r, 4) ?
	    PQgetvalue(res, r, 4) : PQgetvalue(res, r, 3);

	long long pending = 0, approved = 0, rejected = 0;

	sscanf(PQgetvalue(res, r, 19), "%lld %lld %lld", &pending, &approved, &rejected);
	if (!PQgetisnull(res, r, 17))
		attachment = json_pack("{s:s, s:I}", "name", PQgetvalue(res, r, 17),
		    "size", (json_int_t)strtoll(PQgetvalue(res, r, 18), NULL, 10));
	return json_pack("{s:I, s:s, s:{s:s, s:s}, s:o, s:s, s:s, s:i, s:s, s:s, s:s, s:i,"
	    " s:s, s:o, s:{s:I, s:I, s:I}, s:o, s:{s:I, s:I, s:I}}",
	    "id", (json_int_t)strtoll(PQgetvalue(res, r, 0), NULL, 10),
	    "name", PQgetvalue(res, r, 1),
	    "form", "code", PQgetvalue(res, r, 2), "name", form_name,
	    "fields", fields != NULL ? fields : json_object(),
	    "start_date", PQgetvalue(res, r, 6), "end_date", PQgetvalue(res, r, 7),
	    "year", atoi(PQgetvalue(res, r, 8)), "amount", PQgetvalue(res, r, 9),
	    "state", PQgetvalue(res, r, 10),
	    "state_label", rpc_label(call, "class_state", PQgetvalue(res, r, 10)),
	    "version", atoi(PQgetvalue(res, r, 11)),
	    "created_at", PQgetvalue(res, r, 12),
	    "reported_at", rpc_column_text(res, r, 13),
	    "roster", "rows", (json_int_t)strtoll(PQgetvalue(res, r, 14), NULL, 10),
	    "bad", (json_int_t)strtoll(PQgetvalue(res, r, 15), NULL, 10),
	    "unclaimed", (json_int_t)strtoll(PQgetvalue(res, r, 16), NULL, 10),
	    "attachment", attachment,
	    "records", "pending", (json_int_t)pending, "approved", (json_int_t)approved,
	    "rejected", (json_int_t)rejected);
}

/*
 * A class was not changed: say why -- not_found (none of the base's, or
 * deleted), state_changed (not a draft any more, with its state), or
 * stale_version (with the version now).  Returns -1.
 */
static int
class_explain(struct rpc_call *call, const char *id)
{
	DB_STMT(class_state_stmt,
	    "SELECT state, version FROM base_classes WHERE id = $1 AND base_code = $2"
	    " AND state <> 'deleted'");
	const char *params[2] = { id, call->session->base_code };
	PGresult *res;
	char *message;

	if ((res = db_exec(call->db, &class_state_stmt, 2, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	if (PQntuples(res) == 0) {
		PQclear(res);
		return rpc_fail_format(call, RPC_NOT_FOUND, "not_found", "id", NULL, NULL);
	}
	if (strcmp(PQgetvalue(res, 0, 0), "draft") != 0) {
		message = xasprintf(message_get(call->session->lang, "class_not_draft"),
		    rpc_label(call, "class_state", PQgetvalue(res, 0, 0)));
		rpc_fail(call, RPC_CONFLICT, "state_changed", NULL, message);
		free(message);
		call->error_data = json_pack("{s:s}", "state", PQgetvalue(res, 0, 0));
		PQclear(res);
		return -1;
	}
	call->error_data = json_pack("{s:i}", "version", atoi(PQgetvalue(res, 0, 1)));
	PQclear(res);
	return rpc_fail_format(call, RPC_CONFLICT, "stale_version", "version", NULL, NULL);
}

/* class.forms: what a new class may be, as forms.list says it for a person. */
static int
class_forms(struct rpc_call *call)
{
	const struct form_set *set;
	const struct form_entry *e;
	json_t *allowed, *forms, *years, *v;
	bool english = call->session->lang == LANG_EN;
	int now = db_year_now();
	size_t i;

	if ((set = forms_current(call->db, call->cfg)) == NULL ||
	    (allowed = bases_forms(call->db, call->cfg, call->session->base_code)) == NULL)
		return rpc_fail_internal(call, "cannot read the forms");
	forms = json_array();
	json_array_foreach(allowed, i, v) {
		if ((e = forms_find(set, json_string_value(v))) != NULL)
			json_array_append_new(forms, forms_localised(e->definition, english));
	}
	json_decref(allowed);
	years = json_array();
	for (int y = now; y >= now - call->cfg->decl_years_back; y--)
		json_array_append_new(years, json_integer(y));
	call->result = json_pack("{s:o, s:o, s:i, s:i}", "forms", forms, "years", years,
	    "current_year", now, "amount_max", BASES_AMOUNT_MAX);
	return 0;
}

/* The state filter of class.list: NULL for all; false after rpc_fail. */
static bool
class_state_filter(struct rpc_call *call, const char **state)
{
	static const char *const states[] = { "draft", "reported", "withdrawn", NULL };
	const char *s = rpc_param_string(call, "state");

	*state = NULL;
	if (s == NULL || strcmp(s, "all") == 0)
		return true;
	for (size_t i = 0; states[i] != NULL; i++) {
		if (strcmp(s, states[i]) == 0) {
			*state = states[i];
			return true;
		}
	}
	return rpc_fail(call, RPC_INVALID_PARAMS, "class_state_invalid", "state", NULL) == 0;
}

/*
 * class.list: the base's classes, newest first (created, then id), keyset
 * paged, each with its roster's counts; counts has the classes per state.
 */
static int
class_list(struct rpc_call *call)
{
#define CLASS_LIST_SELECT "SELECT " CLASS_COLUMNS CLASS_FROM \
	" WHERE c.base_code = $1 AND c.state <> 'deleted'" \
	" AND ($2::class_state IS NULL OR c.state = $2::class_state)"
	DB_STMT(class_list_stmt, CLASS_LIST_SELECT
	    " ORDER BY c.created_at DESC, c.id DESC LIMIT $3");
	DB_STMT(class_list_after_stmt, CLASS_LIST_SELECT
	    " AND (c.created_at, c.id) < ($4::timestamptz, $5::bigint)"
	    " ORDER BY c.created_at DESC, c.id DESC LIMIT $3");
	DB_STMT(class_counts_stmt,
	    "SELECT state, count(*) FROM base_classes WHERE base_code = $1"
	    " AND state <> 'deleted' GROUP BY state");
#undef CLASS_LIST_SELECT
	const char *state;
	PGresult *res;
	json_t *items, *next, *counts;
	long long all = 0;
	int n;

	if (!class_state_filter(call, &state))
		return -1;
	const char *params[5] = { call->session->base_code, state, call->page.fetch,
	    call->page.key[0], call->page.key[1] };
	res = db_exec(call->db, call->page.after ? &class_list_after_stmt : &class_list_stmt,
	    call->page.after ? 5 : 3, params);
	if (res == NULL)
		return rpc_fail_page(call);
	n = rpc_page_rows(call, res);
	items = json_array();
	for (int r = 0; r < n; r++)
		json_array_append_new(items, class_row(call, res, r));
	next = rpc_page_next(call, res, CLASS_NCOLUMNS - 1, 0);
	PQclear(res);
	if ((res = db_exec(call->db, &class_counts_stmt, 1, params)) == NULL) {
		json_decref(items);
		json_decref(next);
		return rpc_fail_internal(call, db_error_text(call->db));
	}
	counts = json_pack("{s:i, s:i, s:i}", "draft", 0, "reported", 0, "withdrawn", 0);
	for (int r = 0; r < PQntuples(res); r++) {
		long long c = strtoll(PQgetvalue(res, r, 1), NULL, 10);

		json_object_set_new(counts, PQgetvalue(res, r, 0), json_integer(c));
		all += c;
	}
	PQclear(res);
	json_object_set_new(counts, "all", json_integer(all));
	call->result = json_pack("{s:o, s:o, s:o}", "items", items, "next", next,
	    "counts", counts);
	return 0;
}

/* class.get: one of the base's classes, with its audit history. */
static int
class_get(struct rpc_call *call)
{
	DB_STMT(class_get_stmt, "SELECT " CLASS_COLUMNS CLASS_FROM
	    " WHERE c.id = $1 AND c.base_code = $2 AND c.state <> 'deleted'");
	DB_STMT(class_history_stmt,
	    "SELECT au.action, " DB_ISO_TIME("au.at") ", x.name FROM base_class_audit au"
	    " LEFT JOIN accounts x ON x.id = au.actor_id WHERE au.class_id = $1"
	    " ORDER BY au.at, au.id");
	char id[24];
	const char *params[1] = { id };
	PGresult *res;
	json_t *history;

	if ((res = rpc_base_row(call, &class_get_stmt, "id", NULL, id)) == NULL)
		return -1;
	call->result = class_row(call, res, 0);
	PQclear(res);
	if ((res = db_exec(call->db, &class_history_stmt, 1, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	history = json_array();
	for (int r = 0; r < PQntuples(res); r++)
		json_array_append_new(history, json_pack("{s:s, s:s, s:o}",
		    "action", PQgetvalue(res, r, 0), "at", PQgetvalue(res, r, 1),
		    "actor", rpc_column_person(res, r, 2)));
	PQclear(res);
	json_object_set_new(call->result, "history", history);
	return 0;
}

/* What class.save stores, checked. */
struct class_input {
	const struct form_entry *entry;
	char	 start[11], end[11], year[12], amount[32];
	char	*fields;	/* normalised JSON text; owned */
	bool	 has_upload;	/* attachment_token named a finished upload */
	struct upload_view upload;
	bool	 remove_attachment;
};

/* A date parameter into out (YYYY-MM-DD): false after noting its problem. */
static bool
class_date(struct rpc_call *call, const char *param, char out[11])
{
	const char *s = rpc_param_string(call, param);
	int y, m, d;

	if (s == NULL || *s == '\0') {
		rpc_problem_sentence(call, "field_required", "field_required_fill", param, NULL,
		    message_field(call->session->lang, param));
		return false;
	}
	if (!date_valid(s, &y, &m, &d) || y < 1990 || y > 2200) {
		rpc_problem_sentence(call, "field_date", "field_date", param, NULL, NULL);
		return false;
	}
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
	return true;
}

/*
 * Check class.save's content into *in, noting every problem (rpc_problem)
 * for the caller's rpc_fail_problems: name, form (one the base may
 * report), the form's fields as a declaration's are checked, the dates
 * (real, end not before start, not after today), year (in the
 * declarations' window) and amount (as a declaration's).  Returns -1 when
 * the database failed (after rpc_fail), else 0.
 */
static int
class_input_check(struct rpc_call *call, struct class_input *in)
{
	enum lang lang = call->session->lang;
	const char *name = rpc_param_text(call, "name"), *form = rpc_param_text(call, "form");
	json_t *fields = json_object_get(call->params, "fields");
	json_t *amount = json_object_get(call->params, "amount"), *allowed;
	const struct form_set *set;
	long long year = 0;
	int now = db_year_now(), first = now - call->cfg->decl_years_back;
	bool dates = true;
	char today[11], text[48];
	double value = 0;

	memset(in, 0, sizeof *in);
	if (name == NULL)
		rpc_problem_sentence(call, "field_required", "field_required_fill", "name",
		    message_field(lang, "class_name"), message_field(lang, "class_name"));
	if ((set = forms_current(call->db, call->cfg)) == NULL ||
	    (allowed = bases_forms(call->db, call->cfg, call->session->base_code)) == NULL)
		return rpc_fail_internal(call, "cannot read the forms");
	if (form == NULL)
		rpc_problem_sentence(call, "field_required", "field_required_choose", "form", NULL,
		    message_field(lang, "form"));
	else if (!bases_form_allowed(allowed, form) || (in->entry = forms_find(set, form)) == NULL)
		rpc_problem_sentence(call, "class_form_not_allowed", "class_form_not_allowed", "form",
		    NULL, NULL);
	json_decref(allowed);

	dates = class_date(call, "start_date", in->start);
	dates = class_date(call, "end_date", in->end) && dates;
	forms_today(today);
	if (dates && strcmp(in->end, in->start) < 0)
		rpc_problem_sentence(call, "field_range_order", "field_range_order", "end_date", NULL,
		    NULL);
	else if (dates && strcmp(in->end, today) > 0)
		rpc_problem_sentence(call, "field_future", "field_future", "end_date", NULL, today);

	if (!rpc_param_int(call, "year", &year) || year < first || year > now) {
		snprintf(text, sizeof text, "%d %s %d", first, message_get(lang, "and"), now);
		rpc_problem_sentence(call, "year_invalid", "year_invalid", "year",
		    message_field(lang, "year"), text);
	} else
		snprintf(in->year, sizeof in->year, "%d", (int)year);

	if (amount != NULL && forms_decimal(amount, 2, in->amount, sizeof in->amount))
		value = strtod(in->amount, NULL);
	if (value <= 0 || value > BASES_AMOUNT_MAX) {
		snprintf(text, sizeof text, "%d", BASES_AMOUNT_MAX);
		rpc_problem_sentence(call, "amount_invalid", "amount_invalid", "amount",
		    message_field(lang, "class_amount"), text);
	}

	in->remove_attachment = rpc_param_bool(call, "remove_attachment", false);
	if (rpc_param_string(call, "attachment_token") != NULL) {
		if (upload_ready(call->session, rpc_param_string(call, "attachment_token"),
		    &in->upload) == 0)
			in->has_upload = true;
		else
			rpc_problem_sentence(call, "attachment_token_invalid",
			    "attachment_token_invalid", "attachment_token", NULL, NULL);
	}
	if (in->entry == NULL)
		return 0;
	in->fields = rpc_form_fields(call, in->entry->definition, fields);
	return 0;
}

/*
 * Replace or remove class id's attachment as in says, inside the caller's
 * transaction.  Returns 0 or -1 (the error kept in db).
 */
static int
class_attachment_apply(struct db_conn *db, const char *id, const struct class_input *in)
{
	DB_STMT(class_attachment_delete_stmt,
	    "DELETE FROM base_class_attachments WHERE class_id = $1");
	DB_STMT(class_attachment_insert_stmt,
	    "INSERT INTO base_class_attachments (class_id, name, mime, size, sha256, data)"
	    " VALUES ($1, $2, $3, $4, $5, $6::bytea)");
	const struct upload_view *u = &in->upload;
	char size[24], *hex;
	PGresult *res;

	if (in->has_upload || in->remove_attachment) {
		if ((res = db_exec(db, &class_attachment_delete_stmt, 1, &id)) == NULL)
			return -1;
		PQclear(res);
	}
	if (!in->has_upload)
		return 0;
	/* bytea's hex input: "\x" and two digits a byte. */
	hex = xmalloc(u->size * 2 + 3);
	memcpy(hex, "\\x", 2);
	sodium_bin2hex(hex + 2, u->size * 2 + 1, u->data, u->size);
	snprintf(size, sizeof size, "%zu", u->size);
	const char *params[6] = { id, u->name, u->mime, size, u->sha256, hex };
	res = db_exec(db, &class_attachment_insert_stmt, 6, params);
	free(hex);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* class.save: a new draft ({id, version}), or a change of a draft (version must match). */
static int
class_save(struct rpc_call *call)
{
	DB_STMT(class_insert_stmt,
	    "INSERT INTO base_classes (base_code, name, form_id, form_code, fields,"
	    " start_date, end_date, year, amount, created_by)"
	    " VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10)"
	    " RETURNING id, version");
	DB_STMT(class_update_stmt,
	    "UPDATE base_classes SET name = $2, form_id = $3, form_code = $4, fields = $5::jsonb,"
	    " start_date = $6, end_date = $7, year = $8, amount = $9, updated_at = now(),"
	    " version = version + 1"
	    " WHERE id = $10 AND base_code = $1 AND state = 'draft' AND version = $11"
	    " RETURNING id, version");
	struct session *s = call->session;
	struct class_input in;
	long long id = 0, version = 0;
	char form_id[16], actor[24], idtext[24], vtext[16];
	PGresult *res = NULL;
	bool update = rpc_param_int(call, "id", &id);
	int rc = -1;

	if (update && !rpc_param_int(call, "version", &version))
		rpc_problem_required(call, "version");
	if (class_input_check(call, &in) != 0)
		return -1;
	if (rpc_problems(call) > 0) {
		free(in.fields);
		return rpc_fail_problems(call, RPC_INVALID_INPUT);
	}
	snprintf(form_id, sizeof form_id, "%d", in.entry->id);
	snprintf(actor, sizeof actor, "%lld", (long long)s->account_id);
	snprintf(idtext, sizeof idtext, "%lld", id);
	snprintf(vtext, sizeof vtext, "%lld", version);
	/* $10 is the creator of a new class, the class of a change ($11 its version). */
	const char *params[11] = { s->base_code, rpc_param_text(call, "name"), form_id,
	    in.entry->form->code, in.fields, in.start, in.end, in.year, in.amount,
	    update ? idtext : actor, vtext };

	if (!db_begin(call->db)) {
		rc = rpc_fail_internal(call, db_error_text(call->db));
		goto out;
	}
	if (update)
		res = db_exec(call->db, &class_update_stmt, 11, params);
	else
		res = db_exec(call->db, &class_insert_stmt, 10, params);
	if (res == NULL) {
		rc = rpc_fail_internal(call, db_error_text(call->db));
		goto out;
	}
	if (PQntuples(res) == 0) {
		rc = class_explain(call, idtext);
		goto out;
	}
	snprintf(idtext, sizeof idtext, "%s", PQgetvalue(res, 0, 0));
	version = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	if (class_attachment_apply(call->db, idtext, &in) != 0 ||
	    bases_audit(call->db, idtext, s->account_id, update ? "update" : "create",
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?}", "name", params[1], "form",
	    params[3], "start_date", in.start, "end_date", in.end, "year", in.year,
	    "amount", in.amount, "attachment", in.has_upload ? in.upload.name : NULL)) != 0 ||
	    !db_commit(call->db)) {
		rc = rpc_fail_internal(call, db_error_text(call->db));
		goto out;
	}
	if (in.has_upload)
		upload_consume(s);	/* stored: the session's copy is no longer needed */
	log_info("session %lu: class %s of base %s %s", s->serial, idtext, s->base_code,
	    update ? "changed" : "created");
	call->result = json_pack("{s:I, s:I}", "id", (json_int_t)strtoll(idtext, NULL, 10),
	    "version", (json_int_t)version);
	rc = 0;
out:
	PQclear(res);
	free(in.fields);
	return rc;
}

/* class.delete: a draft is gone from every list, its roster and attachment with it. */
static int
class_delete(struct rpc_call *call)
{
	DB_STMT(class_delete_stmt,
	    "UPDATE base_classes SET state = 'deleted', updated_at = now(),"
	    " version = version + 1"
	    " WHERE id = $1 AND base_code = $2 AND state = 'draft'"
	    " AND ($3::int IS NULL OR version = $3::int) RETURNING name");
	DB_STMT(class_delete_rows_stmt,
	    "WITH r AS (DELETE FROM base_roster WHERE class_id = $1),"
	    " a AS (DELETE FROM base_class_attachments WHERE class_id = $1)"
	    " SELECT 1");
	struct session *s = call->session;
	long long id = 0, version = 0;
	char idtext[24], vtext[16];
	PGresult *res;

	rpc_param_int(call, "id", &id);
	snprintf(idtext, sizeof idtext, "%lld", id);
	if (rpc_param_int(call, "version", &version))
		snprintf(vtext, sizeof vtext, "%lld", version);
	const char *params[3] = { idtext, s->base_code,
	    json_object_get(call->params, "version") != NULL ? vtext : NULL };

	if (!db_begin(call->db))
		return rpc_fail_internal(call, db_error_text(call->db));
	if ((res = db_exec(call->db, &class_delete_stmt, 3, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	if (PQntuples(res) == 0) {
		PQclear(res);
		return class_explain(call, idtext);
	}
	PQclear(res);
	if ((res = db_exec(call->db, &class_delete_rows_stmt, 1, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	PQclear(res);
	if (bases_audit(call->db, idtext, s->account_id, "delete", NULL) != 0 ||
	    !db_commit(call->db))
		return rpc_fail_internal(call, db_error_text(call->db));
	log_info("session %lu: class %s of base %s deleted", s->serial, idtext, s->base_code);
	call->result = json_pack("{s:s}", "state", "deleted");
	return 0;
}

/* class.attachment: a chunk of the class's attachment, base64, as attachment.get gives one. */
static int
class_attachment(struct rpc_call *call)
{
	DB_STMT(class_attachment_stmt,
	    "SELECT a.name, a.mime, a.size, a.sha256, substring(a.data FROM $3::int + 1 FOR $4::int)"
	    " FROM base_class_attachments a JOIN base_classes c ON c.id = a.class_id"
	    " WHERE a.class_id = $1 AND c.base_code = $2 AND c.state <> 'deleted'");
	long long id = 0, offset = 0, length = ATTACHMENT_CHUNK_MAX;
	char id_text[24], offset_text[24], length_text[24];
	PGresult *res;
	int rc;

	rpc_param_int(call, "id", &id);
	rpc_param_int(call, "offset", &offset);
	rpc_param_int(call, "length", &length);
	snprintf(id_text, sizeof id_text, "%lld", id);
	snprintf(offset_text, sizeof offset_text, "%lld", offset);
	snprintf(length_text, sizeof length_text, "%lld", length);
	const char *params[4] = { id_text, call->session->base_code, offset_text, length_text };
	if ((res = db_exec(call->db, &class_attachment_stmt, 4, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	if (PQntuples(res) != 1) {
		PQclear(res);
		return rpc_fail_format(call, RPC_NOT_FOUND, "not_found", "id", NULL, NULL);
	}
	rc = attachment_chunk_result(call, res, offset);
	PQclear(res);
	return rc;
}

static const struct rpc_param class_attachment_params[] = {
	{ "id", T_INTEGER, true, 1, INT64_MAX, "id_invalid" },
	{ "offset", T_INTEGER, false, 0, 0x7fffffffLL, "offset_invalid" },
	{ "length", T_INTEGER, false, 1, ATTACHMENT_CHUNK_MAX, "length_invalid" },
	{ NULL, 0, false },
};

static const struct rpc_param class_list_params[] = {
	RPC_PAGE_PARAMS,
	{ "state", T_STRING | T_NULL, false },
	{ NULL, 0, false },
};

static const struct rpc_param class_id_params[] = {
	{ "id", T_INTEGER, true, 1, INT64_MAX, "id_invalid" },
	{ "version", T_INTEGER, false },
	{ NULL, 0, false },
};

static const struct rpc_param class_save_params[] = {
	{ "id", T_INTEGER, false, 1, INT64_MAX, "id_invalid" },
	{ "version", T_INTEGER, false },
	{ "name", T_STRING, false, 1, CLASS_NAME_MAX, "class_name_invalid" },
	{ "form", T_STRING, false },
	{ "fields", T_OBJECT | T_NULL, false },
	{ "start_date", T_STRING, false },
	{ "end_date", T_STRING, false },
	{ "year", T_INTEGER, false },
	{ "amount", T_NUMBER | T_STRING, false },
	{ "attachment_token", T_STRING, false },
	{ "remove_attachment", T_BOOLEAN, false },
	{ NULL, 0, false },
};

const struct rpc_method rpc_bases_methods[] = {
	{ "class.forms", NULL, ROLE_BASE_ADMIN, false, class_forms, .db = RPC_DB_BASE_ADMIN },
	{ "class.list", class_list_params, ROLE_BASE_ADMIN, false, class_list,
	    .db = RPC_DB_BASE_ADMIN, .page = { CLASS_LIST_LIMIT, RPC_CURSOR_TIME } },
	{ "class.get", class_id_params, ROLE_BASE_ADMIN, false, class_get,
	    .db = RPC_DB_BASE_ADMIN },
	{ "class.save", class_save_params, ROLE_BASE_ADMIN, false, class_save,
	    .db = RPC_DB_BASE_ADMIN },
	{ "class.delete", class_id_params, ROLE_BASE_ADMIN, false, class_delete,
	    .db = RPC_DB_BASE_ADMIN },
	{ "class.attachment", class_attachment_params, ROLE_BASE_ADMIN, false,
	    class_attachment, .db = RPC_DB_BASE_ADMIN },
	{ NULL, NULL, 0, false, NULL },
};
