/*
 * rpc-declarations.c - declarations of hours and credits (学时学分申报),
 * the person's progress list (申报进度查询) and the unit administrator's
 * review of them (学时审核).
 *
 *	forms.list		decl_forms_list		staff, unit_admin
 *	declaration.save, .submit, .withdraw,
 *	    .delete, .revise, .list, .get	decl_*	staff
 *	attachment.get		decl_attachment_get	staff, unit_admin
 *	review.declarations	decl_queue		unit_admin
 *	review.declaration	decl_review_get		unit_admin
 *	review.approve_declarations,
 *	    review.reject_declarations	decl_approve, decl_reject (decide.c)
 *
 * States: draft (待提交) → pending (待审核) → approved (审核通过) or
 * rejected (审核不通过); pending → draft (撤销); rejected → draft (revise);
 * a draft may be deleted.  Nothing else changes a state.  Every transition
 * is one statement guarded by the state it leaves (and the owner, or the
 * administrator's unit), which writes the audit row and keeps
 * declaration_totals in step in the same statement; so of two racing
 * transitions exactly one matches, and the other is told what the record
 * has become.  An attachment goes in with the write that names it, inside
 * that write's transaction.
 *
 * A declaration is checked against the definition of its learning form
 * (forms.c): a new one against the form the config has now, a stored one
 * against the version it was made with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "actions.h"
#include "attachments.h"
#include "config.h"
#include "db.h"
#include "decide.h"
#include "forms.h"
#include "log.h"
#include "messages.h"
#include "rpc.h"
#include "session.h"
#include "text.h"
#include "xmalloc.h"

#define DECL_AMOUNT_MAX		1000	/* hours or credits in one declaration */
#define DECL_LIST_LIMIT		20	/* default page of the person's list */
#define DECL_QUEUE_LIMIT	50	/* default page of the review queue */
#define DECL_PERSON_MAX		50	/* characters of the person filter */
#define DECL_PERSON_IDS_MAX	500	/* people a person filter may name (else scan) */
#define DECL_COUNT_MAX		10000	/* pending_total counts no further */
#define DECL_YEAR_MIN		1990	/* what the schema allows */
#define DECL_YEAR_MAX		2200
/*
 * The year filter of the queues: $2, or NULL for any year.  Written as a
 * range, not "$2 IS NULL OR d.year = $2", so that a year reads only its
 * own partition of declarations (schema 019), also when the statement runs
 * as a generic plan (pruned at execution: an OR with IS NULL never prunes).
 */
#define DECL_YEAR_IS_2 \
	" d.year BETWEEN coalesce($2::smallint, 1990) AND coalesce($2::smallint, 2200)"

/* ---- replies --------------------------------------------------------------------- */

/* The label of a state ("pending" → 待审核) in the session's language. */

/* A parameter the request must have and lacks: refused at once, in people's words. */
static int
decl_required(struct rpc_call *call, const char *field)
{
	rpc_problem_required(call, field);
	return rpc_fail_problems(call, RPC_INVALID_PARAMS);
}
static const char *
decl_state_label(enum lang lang, const char *state)
{
	char key[32];

	snprintf(key, sizeof key, "state.%s", state);
	return message_get(lang, key);
}

/* The record is in another state than the operation needs: RPC_CONFLICT. Returns -1. */
static int
decl_conflict(struct rpc_call *call, const char *state)
{
	enum lang lang = call->session->lang;
	const char *label = decl_state_label(lang, state);
	char *message = xasprintf(message_get(lang, "declaration_state_changed"), label);

	rpc_fail(call, RPC_CONFLICT, "state_changed", NULL, message);
	free(message);
	call->error_data = json_pack("{s:s, s:s}", "state", state, "state_label", label);
	return -1;
}

/* A jsonb column parsed, or JSON null. */
static json_t *
decl_json(const PGresult *res, int row, int col)
{
	json_t *v;

	if (PQgetisnull(res, row, col))
		return json_null();
	v = json_loads(PQgetvalue(res, row, col), JSON_DECODE_ANY, NULL);
	return v != NULL ? v : json_null();
}

static bool
decl_bool(const PGresult *res, int row, int col)
{
	return strcmp(PQgetvalue(res, row, col), "t") == 0;
}

/* ---- connections and forms ------------------------------------------------------- */

/* The forms in force, synced on first use. NULL after rpc_fail. */
static const struct form_set *
decl_forms(struct rpc_call *call, struct db_conn *db)
{
	const struct form_set *set = forms_current(db, call->cfg);

	if (set == NULL)
		rpc_fail_internal(call, "learning forms could not be synchronised");
	return set;
}

/* ---- forms.list ------------------------------------------------------------------ */

/* A REVIEW_CHAIN_* literal ("{unit,authority}") as a JSON array of its steps. */
static json_t *
decl_chain_steps(const char *chain)
{
	json_t *steps = json_array();
	const char *p = chain + strspn(chain, "{");

	while (*p != '\0' && *p != '}') {
		size_t n = strcspn(p, ",}");

		json_array_append_new(steps, json_stringn(p, n));
		p += n + (p[n] == ',');
	}
	return steps;
}

/* forms.list: the forms on offer with their fields, the years open, the state labels. */
static int
decl_forms_list(struct rpc_call *call)
{
	static const char *const states[] = {
		"all", "draft", "pending", "approved", "rejected", NULL
	};
	const struct config *cfg = call->cfg;
	enum lang lang = call->session->lang;
	const struct form_set *set;
	json_t *forms, *years, *labels, *f;
	int now = db_year_now();

	if ((set = decl_forms(call, call->db)) == NULL)
		return -1;
	forms = json_array();
	for (size_t i = 0; i < set->n; i++) {
		/* In English the form's name, labels and choices are the config's English ones. */
		f = forms_localised(set->entries[i].definition, lang == LANG_EN);
		json_object_set_new(f, "category_label", json_string(rpc_label(call, "category",
		    json_string_value(json_object_get(f, "category")))));
		json_object_set_new(f, "counts_label", json_string(rpc_label(call, "counts",
		    json_string_value(json_object_get(f, "counts")))));
		json_object_set_new(f, "version", json_integer(set->entries[i].version));
		/* Its review chain as submitting now would take it (not part of the definition). */
		json_object_set_new(f, "review", decl_chain_steps(set->entries[i].form->review));
		json_array_append_new(forms, f);
	}
	years = json_array();
	for (int y = now; y >= now - cfg->decl_years_back; y--)
		json_array_append_new(years, json_integer(y));
	labels = json_array();
	for (size_t i = 0; states[i] != NULL; i++)
		json_array_append_new(labels, json_pack("{s:s, s:s}", "key", states[i],
		    "label", decl_state_label(lang, states[i])));
	call->result = json_pack("{s:o, s:o, s:i, s:i, s:i, s:o}", "forms", forms,
	    "years", years, "current_year", now, "max_attachment", cfg->decl_max_attachment,
	    "chunk_size", ATTACHMENT_CHUNK_MAX, "states", labels);
	return 0;
}

/* ---- what a person sends --------------------------------------------------------- */

/* The content of a declaration.save or declaration.submit, checked. */
struct decl_input {
	const struct form_entry *entry;	/* the form as the config has it now */
	char		 year[8];
	char		 amount[32];
	char		*fields;	/* normalised values, JSON text; owned */
	bool		 has_upload;	/* attachment_token named a finished upload */
	struct upload_view upload;
	bool		 remove_attachment;
};

static void
decl_input_free(struct decl_input *in)
{
	free(in->fields);
	in->fields = NULL;
}

/*
 * The year parameter within the configured window: true, or false with the
 * problem noted (rpc_problem; data.min and data.max give the window).
 */
static bool
decl_year_ok(struct rpc_call *call, long long year)
{
	int now = db_year_now(), first = now - call->cfg->decl_years_back;
	char range[48];

	if (year >= first && year <= now)
		return true;
	snprintf(range, sizeof range, "%d %s %d", first,
	    message_get(call->session->lang, "and"), now);
	rpc_problem_sentence(call, "year_invalid", "year_invalid", "year", NULL, range);
	if (call->error_data == NULL)
		call->error_data = json_pack("{s:i, s:i}", "min", first, "max", now);
	return false;
}

/*
 * The attachment parameters: attachment_token names this session's
 * finished upload; remove_attachment drops the stored one.  A mistake is
 * noted (rpc_problem) for the caller's rpc_fail_problems.
 */
static void
decl_input_attachment(struct rpc_call *call, const json_t *definition, struct decl_input *in)
{
	const char *token = rpc_param_string(call, "attachment_token");
	const char *rule = json_string_value(json_object_get(definition, "attachment"));
	enum lang lang = call->session->lang;

	in->remove_attachment = rpc_param_bool(call, "remove_attachment", false);
	if (token == NULL)
		return;
	if (upload_ready(call->session, token, &in->upload) != 0) {
		rpc_problem_sentence(call, "attachment_token_invalid", "attachment_token_invalid",
		    "attachment_token", message_field(lang, "attachment_token"), NULL);
		return;
	}
	if (rule != NULL && strcmp(rule, "none") == 0) {
		rpc_problem_sentence(call, "attachment_not_allowed", "attachment_not_allowed",
		    "attachment_token", message_field(lang, "attachment_token"), NULL);
		return;
	}
	in->has_upload = true;
}

/* The amount as a person may write it ("８", " 8 "): JSON text made plain. Caller owns. */
static json_t *
decl_amount_plain(const json_t *amount)
{
	char *half, *start, *end;
	json_t *plain;

	if (!json_is_string(amount))
		return json_incref((json_t *)amount);
	half = forms_halfwidth(json_string_value(amount));
	start = half + strspn(half, " \t");
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	plain = json_string(start);
	free(half);
	return plain;
}

/*
 * Check the content parameters (form, year, amount, fields, attachment)
 * into *in.  Returns -1 after rpc_fail when the request cannot be read at
 * all (no form, an unknown one, no year or amount); else 0, with every
 * mistake of a person noted (rpc_problem: year, amount, the fields in the
 * form's order, the attachment) for the caller's rpc_fail_problems, which
 * may add its own first.
 */
static int
decl_input_parse(struct rpc_call *call, const struct form_set *set, struct decl_input *in)
{
	const char *form = rpc_param_string(call, "form");
	json_t *fields = json_object_get(call->params, "fields");
	json_t *amount = json_object_get(call->params, "amount"), *plain;
	long long year = 0;
	char max[16];
	double value;

	memset(in, 0, sizeof *in);
	if (form == NULL)
		rpc_problem_required(call, "form");
	if (!rpc_param_int(call, "year", &year))
		rpc_problem_required(call, "year");
	if (amount == NULL)
		rpc_problem_required(call, "amount");
	if (rpc_problems(call) > 0)
		return rpc_fail_problems(call, RPC_INVALID_PARAMS);
	if ((in->entry = forms_find(set, form)) == NULL)
		return rpc_fail_format(call, RPC_INVALID_INPUT, "form_unknown", "form", NULL, NULL);
	if (decl_year_ok(call, year))
		snprintf(in->year, sizeof in->year, "%lld", year);
	value = 0;
	plain = decl_amount_plain(amount);
	if (json_is_string(plain) && *json_string_value(plain) == '\0') {
		/* Named as the form counts it: 请填写学时, 请填写学分. */
		const char *what = rpc_label(call, "counts",
		    json_string_value(json_object_get(in->entry->definition, "counts")));

		rpc_problem_sentence(call, "field_required", "field_required_fill", "amount", what, what);
	} else {
		if (forms_decimal(plain, 2, in->amount, sizeof in->amount))
			value = strtod(in->amount, NULL);
		if (value <= 0 || value > DECL_AMOUNT_MAX) {
			snprintf(max, sizeof max, "%d", DECL_AMOUNT_MAX);
			rpc_problem_sentence(call, "amount_invalid", "amount_invalid", "amount", NULL, max);
		}
	}
	json_decref(plain);
	in->fields = rpc_form_fields(call, in->entry->definition, fields);
	decl_input_attachment(call, in->entry->definition, in);
	return 0;
}

/* Whether definition requires an attachment. */
static bool
decl_attachment_required(const json_t *definition)
{
	const char *rule = json_string_value(json_object_get(definition, "attachment"));

	return rule != NULL && strcmp(rule, "required") == 0;
}

/* ---- storing --------------------------------------------------------------------- */

/*
 * Replace or remove the attachment of declaration id as in says, inside
 * the caller's transaction.  Returns 0 or -1 (the error kept in db).
 */
static int
decl_attachment_apply(struct db_conn *db, const char *id, const struct decl_input *in)
{
	DB_STMT(decl_attachment_delete_stmt, "DELETE FROM attachments WHERE declaration_id = $1");
	/* The attachment goes to its declaration's year's partition (schema 019). */
	DB_STMT(decl_attachment_insert_stmt,
	    "INSERT INTO attachments (declaration_id, year, name, mime, size, sha256, data)"
	    " SELECT d.id, d.year, $2, $3, $4, $5, $6::bytea FROM declarations d"
	    " WHERE d.id = $1");
	char size[24], *hex;
	PGresult *res;

	if (in->has_upload || in->remove_attachment) {
		const char *params[1] = { id };

		if ((res = db_exec(db, &decl_attachment_delete_stmt, 1, params)) == NULL)
			return -1;
		PQclear(res);
	}
	if (!in->has_upload)
		return 0;
	/* bytea's hex input: "\x" and two digits a byte. */
	hex = xmalloc(in->upload.size * 2 + 3);
	hex[0] = '\\';
	hex[1] = 'x';
	sodium_bin2hex(hex + 2, in->upload.size * 2 + 1, in->upload.data, in->upload.size);
	snprintf(size, sizeof size, "%zu", in->upload.size);
	const char *params[6] = { id, in->upload.name, in->upload.mime, size,
	    in->upload.sha256, hex };
	res = db_exec(db, &decl_attachment_insert_stmt, 6, params);
	free(hex);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* The state and version of the caller's own declaration (for explaining a miss). */
DB_STMT(decl_own_state_stmt,
    "SELECT state, version, source FROM declarations WHERE id = $1 AND account_id = $2");

/*
 * A guarded statement on the caller's declaration id matched nothing: say
 * why -- not_found, base_record (reported by a training base: not the
 * person's to change), state_changed (with the state now), or
 * stale_version.  Returns -1.
 */
static int
decl_explain(struct rpc_call *call, struct db_conn *db, const char *id, const char *account,
    const char *expected_state)
{
	const char *params[2] = { id, account };
	PGresult *res;

	if ((res = db_exec(db, &decl_own_state_stmt, 2, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	if (PQntuples(res) == 0) {
		PQclear(res);
		return rpc_fail_format(call, RPC_NOT_FOUND, "not_found", "id", NULL, NULL);
	}
	if (strcmp(PQgetvalue(res, 0, 2), "person") != 0) {
		PQclear(res);
		return rpc_fail_format(call, RPC_NOT_PERMITTED, "base_record", "id", NULL, NULL);
	}
	if (strcmp(PQgetvalue(res, 0, 0), expected_state) != 0) {
		char state[16];

		snprintf(state, sizeof state, "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		return decl_conflict(call, state);
	}
	call->error_data = json_pack("{s:i}", "version", atoi(PQgetvalue(res, 0, 1)));
	PQclear(res);
	return rpc_fail_format(call, RPC_CONFLICT, "stale_version", "version", NULL, NULL);
}

/* What a draft the person wants to change or submit holds now. */
struct decl_draft {
	char		 state[16];
	char		 version[16];
	char		 form_code[40];
	char		 year[8];
	json_t		*definition;	/* of its own form version; owned */
	bool		 has_attachment;
};

/*
 * Read the caller's declaration id for a change: it must exist (else
 * not_found) and be a draft (else state_changed).  Returns 0 or -1 after
 * rpc_fail.
 */
static int
decl_draft_read(struct rpc_call *call, struct db_conn *db, const char *id,
    const char *account, struct decl_draft *d)
{
	DB_STMT(decl_draft_stmt,
	    "SELECT d.state, d.version, d.form_code, d.year, f.definition::text,"
	    " EXISTS (SELECT 1 FROM attachments a"
	    "  WHERE a.declaration_id = d.id AND a.year = d.year), d.source"
	    " FROM declarations d JOIN learning_forms f ON f.id = d.form_id"
	    " WHERE d.id = $1 AND d.account_id = $2");
	const char *params[2] = { id, account };
	PGresult *res;

	memset(d, 0, sizeof *d);
	if ((res = db_exec(db, &decl_draft_stmt, 2, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	if (PQntuples(res) == 0) {
		PQclear(res);
		return rpc_fail_format(call, RPC_NOT_FOUND, "not_found", "id", NULL, NULL);
	}
	snprintf(d->state, sizeof d->state, "%s", PQgetvalue(res, 0, 0));
	snprintf(d->version, sizeof d->version, "%s", PQgetvalue(res, 0, 1));
	snprintf(d->form_code, sizeof d->form_code, "%s", PQgetvalue(res, 0, 2));
	snprintf(d->year, sizeof d->year, "%s", PQgetvalue(res, 0, 3));
	d->definition = json_loads(PQgetvalue(res, 0, 4), 0, NULL);
	d->has_attachment = decl_bool(res, 0, 5);
	bool base = strcmp(PQgetvalue(res, 0, 6), "person") != 0;
	PQclear(res);
	if (base) {
		json_decref(d->definition);
		d->definition = NULL;
		return rpc_fail_format(call, RPC_NOT_PERMITTED, "base_record", "id", NULL, NULL);
	}
	if (d->definition == NULL) {
		return rpc_fail_internal(call, "a learning form definition is not JSON");
	}
	if (strcmp(d->state, "draft") != 0) {
		json_decref(d->definition);
		d->definition = NULL;
		return decl_conflict(call, d->state);
	}
	return 0;
}

/*
 * The statements that write a declaration.  Each is one statement, so one
 * transaction even outside BEGIN: the row, its audit row and its totals.
 * $1.. of the content: account, unit, form_id, form_code, year, amount,
 * credit_hours, category, fields.
 */
/*
 * The audit row of the person's own transition of the rows of src (a CTE
 * returning id, account_id): action, from and to as SQL literals.
 */
#define DECL_AUDIT_OWN(action, from, to, src) \
	" audit AS (INSERT INTO declaration_audit (declaration_id, account_id, actor_id," \
	"  action, from_state, to_state) SELECT id, account_id, account_id, '" action "'," \
	"  " from ", " to " FROM " src ")"

#define DECL_TOTALS_ADD_PENDING(from) \
	" totals AS (INSERT INTO declaration_totals" \
	"  (account_id, year, form_code, category, pending_hours)" \
	"  SELECT account_id, year, form_code, category, hours FROM " from \
	"  ON CONFLICT (account_id, year, form_code) DO UPDATE SET" \
	"  pending_hours = declaration_totals.pending_hours + EXCLUDED.pending_hours," \
	"  category = EXCLUDED.category)"

/*
 * The end of a statement that submits the rows of src (from the state
 * from): they return what the audit row and the pending total need, and
 * the statement returns the write's result row.
 */
#define DECL_SUBMITTED(from, src) \
	" RETURNING id, account_id, year, form_code, category, hours, version, submitted_at)," \
	DECL_AUDIT_OWN("submit", from, "'pending'", src) "," \
	DECL_TOTALS_ADD_PENDING(src) \
	" SELECT id, version, 'pending', " DB_ISO_TIME("submitted_at") " FROM " src

DB_STMT(decl_create_stmt,
    "WITH ins AS ("
    " INSERT INTO declarations (account_id, unit_code, form_id, form_code, year, amount,"
    "  hours, category, fields)"
    " VALUES ($1, $2, $3, $4, $5, $6, round($6::numeric * $7::numeric, 2), $8, $9::jsonb)"
    " RETURNING id, account_id, version),"
    DECL_AUDIT_OWN("create", "NULL", "'draft'", "ins")
    " SELECT id, version, 'draft', NULL FROM ins");

/*
 * Submitting takes the form's review chain as the config has it now ($10,
 * $12 or $4: REVIEW_CHAIN_*), and starts at its first step (schema 017).
 */
DB_STMT(decl_create_submit_stmt,
    "WITH ins AS ("
    " INSERT INTO declarations (account_id, unit_code, form_id, form_code, year, amount,"
    "  hours, category, fields, state, submitted_at, review_chain, review_step)"
    " VALUES ($1, $2, $3, $4, $5, $6, round($6::numeric * $7::numeric, 2), $8, $9::jsonb,"
    "  'pending', now(), $10::text[], ($10::text[])[1])"
    DECL_SUBMITTED("NULL", "ins"));

/* $10 id, $11 version: the draft as the person last saw it. */
DB_STMT(decl_edit_stmt,
    "UPDATE declarations SET unit_code = $2, form_id = $3, form_code = $4, year = $5,"
    " amount = $6, hours = round($6::numeric * $7::numeric, 2), category = $8,"
    " fields = $9::jsonb, updated_at = now(), version = version + 1"
    " WHERE id = $10 AND account_id = $1 AND state = 'draft'"
    "  AND source = 'person' AND version = $11"
    " RETURNING id, version, 'draft', NULL");

DB_STMT(decl_edit_submit_stmt,
    "WITH upd AS ("
    " UPDATE declarations SET unit_code = $2, form_id = $3, form_code = $4, year = $5,"
    "  amount = $6, hours = round($6::numeric * $7::numeric, 2), category = $8,"
    "  fields = $9::jsonb, state = 'pending', submitted_at = now(), updated_at = now(),"
    "  version = version + 1, review_chain = $12::text[], review_step = ($12::text[])[1]"
    " WHERE id = $10 AND account_id = $1 AND state = 'draft'"
    "  AND source = 'person' AND version = $11"
    DECL_SUBMITTED("'draft'", "upd"));

/* Submit a draft as it is: $1 id, $2 account, $3 version, $4 the chain. */
DB_STMT(decl_submit_stmt,
    "WITH upd AS ("
    " UPDATE declarations SET state = 'pending', submitted_at = now(), updated_at = now(),"
    "  version = version + 1, review_chain = $4::text[], review_step = ($4::text[])[1]"
    " WHERE id = $1 AND account_id = $2 AND state = 'draft' AND source = 'person'"
    "  AND version = $3"
    DECL_SUBMITTED("'draft'", "upd"));

/*
 * Run one of the write statements, inside a transaction with the
 * attachment's statements when there are any.  id_out gets the
 * declaration's id (for a new one, known only after the insert).  Returns
 * the result row (caller clears), or NULL: after rpc_fail for a database
 * error, or with *missed set when the guarded statement matched nothing
 * (nothing was written).
 */
static PGresult *
decl_write(struct rpc_call *call, struct db_conn *db, struct db_stmt *st, int n,
    const char *const *params, const struct decl_input *in, char id_out[24], bool *missed)
{
	bool tx = in->has_upload || in->remove_attachment;
	PGresult *res;

	*missed = false;
	if (tx && !db_begin(db)) {
		rpc_fail_internal(call, db_error_text(db));
		return NULL;
	}
	if ((res = db_exec(db, st, n, params)) == NULL) {
		rpc_fail_internal(call, db_error_text(db));
		goto fail;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		res = NULL;
		*missed = true;
		goto fail;
	}
	snprintf(id_out, 24, "%s", PQgetvalue(res, 0, 0));
	if (tx && (decl_attachment_apply(db, id_out, in) != 0 || !db_commit(db))) {
		rpc_fail_internal(call, db_error_text(db));
		PQclear(res);
		res = NULL;
		goto fail;
	}
	if (in->has_upload)
		upload_consume(call->session);
	return res;
fail:
	if (tx)
		db_rollback(db);
	return NULL;
}

/* {id, state, version, submitted_at?} from a write statement's row. */
static json_t *
decl_write_result(const PGresult *res)
{
	json_t *r = json_pack("{s:o, s:s, s:o}", "id", rpc_column_integer(res, 0, 0),
	    "state", PQgetvalue(res, 0, 2), "version", rpc_column_integer(res, 0, 1));

	if (!PQgetisnull(res, 0, 3))
		json_object_set_new(r, "submitted_at", json_string(PQgetvalue(res, 0, 3)));
	return r;
}

/*
 * declaration.save and declaration.submit with content: create a draft (or
 * a pending declaration), or change the caller's draft id (optimistic:
 * version must be the one the person edited).
 */
static int
decl_store(struct rpc_call *call, bool submit)
{
	struct session *s = call->session;
	const struct form_set *set;
	struct decl_input in;
	struct decl_draft draft = { .definition = NULL };
	struct db_conn *db = call->db;
	struct db_stmt *st;
	PGresult *res;
	long long id = 0, version = 0;
	bool has_id = rpc_param_int(call, "id", &id), missed;
	char account[24], form_id[16], id_text[24], version_text[24];
	int rc = -1;

	memset(&in, 0, sizeof in);
	if (has_id && !rpc_param_int(call, "version", &version))
		return decl_required(call, "version");
	if ((set = decl_forms(call, db)) == NULL)
		return -1;
	snprintf(account, sizeof account, "%lld", (long long)s->account_id);
	snprintf(id_text, sizeof id_text, "%lld", id);
	snprintf(version_text, sizeof version_text, "%lld", version);
	/* The state first: a pending record cannot be edited, whatever the edit. */
	if (has_id && decl_draft_read(call, db, id_text, account, &draft) != 0)
		goto out;
	if (has_id && strcmp(draft.version, version_text) != 0) {
		call->error_data = json_pack("{s:i}", "version", atoi(draft.version));
		rpc_fail_format(call, RPC_CONFLICT, "stale_version", "version", NULL, NULL);
		goto out;
	}
	if (decl_input_parse(call, set, &in) != 0)
		goto out;
	if (submit && decl_attachment_required(in.entry->definition) && !in.has_upload &&
	    !(has_id && draft.has_attachment && !in.remove_attachment) &&
	    rpc_param_string(call, "attachment_token") == NULL)
		rpc_problem_sentence(call, "attachment_required", "attachment_required",
		    "attachment_token", message_field(s->lang, "attachment_token"), NULL);
	/* Every mistake of the form in one reply. */
	if (rpc_fail_problems(call, RPC_INVALID_INPUT) != 0)
		goto out;

	snprintf(form_id, sizeof form_id, "%d", in.entry->id);
	/* $10 of a new record submitted, $12 of an edited one: the chain. */
	const char *params[12] = { account, s->unit_code, form_id, in.entry->form->code,
	    in.year, in.amount,
	    json_string_value(json_object_get(in.entry->definition, "credit_hours")),
	    json_string_value(json_object_get(in.entry->definition, "category")),
	    in.fields, has_id ? id_text : in.entry->form->review, version_text,
	    in.entry->form->review };
	int n_params = 9;

	if (has_id) {
		st = submit ? &decl_edit_submit_stmt : &decl_edit_stmt;
		n_params = submit ? 12 : 11;
	} else if (submit) {
		st = &decl_create_submit_stmt;
		n_params = 10;
	} else
		st = &decl_create_stmt;
	res = decl_write(call, db, st, n_params, params, &in, id_text, &missed);
	if (res == NULL) {
		if (missed)
			decl_explain(call, db, id_text, account, "draft");
		goto out;
	}
	call->result = decl_write_result(res);
	PQclear(res);
	/* Debug only: the dispatcher logs every request, the audit table every change. */
	log_debug("session %lu: declaration %s %s (%s, %s %s)", s->serial, id_text,
	    submit ? "submitted" : has_id ? "saved" : "created", in.entry->form->code,
	    in.year, in.amount);
	rc = 0;
out:
	json_decref(draft.definition);
	decl_input_free(&in);
	return rc;
}

static int
decl_save(struct rpc_call *call)
{
	return decl_store(call, false);
}

/*
 * declaration.submit: with content, as save but to pending; with only id
 * (and optionally version, an attachment), the caller's draft as it is,
 * checked again against its own form version: the form still offered, the
 * year still open, the attachment there if the form requires one.
 */
static int
decl_submit(struct rpc_call *call)
{
	struct session *s = call->session;
	const struct form_set *set;
	struct decl_input in;
	struct decl_draft draft;
	struct db_conn *db = call->db;
	PGresult *res;
	long long id = 0, version = 0;
	char account[24], id_text[24], version_text[24];
	bool missed;
	int rc = -1;

	if (json_object_get(call->params, "form") != NULL)
		return decl_store(call, true);
	if (!rpc_param_int(call, "id", &id))
		return decl_required(call, "id");
	if (json_object_get(call->params, "year") != NULL ||
	    json_object_get(call->params, "amount") != NULL ||
	    json_object_get(call->params, "fields") != NULL)
		return decl_required(call, "form");
	if ((set = decl_forms(call, db)) == NULL)
		return -1;
	snprintf(account, sizeof account, "%lld", (long long)s->account_id);
	snprintf(id_text, sizeof id_text, "%lld", id);
	if (decl_draft_read(call, db, id_text, account, &draft) != 0)
		return -1;
	memset(&in, 0, sizeof in);
	if (rpc_param_int(call, "version", &version)) {
		snprintf(version_text, sizeof version_text, "%lld", version);
		if (strcmp(version_text, draft.version) != 0) {
			call->error_data = json_pack("{s:i}", "version", atoi(draft.version));
			rpc_fail_format(call, RPC_CONFLICT, "stale_version", "version", NULL, NULL);
			goto out;
		}
	}
	if (forms_find(set, draft.form_code) == NULL) {
		rpc_fail_format(call, RPC_INVALID_INPUT, "form_retired", "form", NULL, NULL);
		goto out;
	}
	decl_year_ok(call, strtoll(draft.year, NULL, 10));
	decl_input_attachment(call, draft.definition, &in);
	if (decl_attachment_required(draft.definition) && !in.has_upload &&
	    !(draft.has_attachment && !in.remove_attachment) &&
	    rpc_param_string(call, "attachment_token") == NULL)
		rpc_problem_sentence(call, "attachment_required", "attachment_required",
		    "attachment_token", message_field(s->lang, "attachment_token"), NULL);
	if (rpc_fail_problems(call, RPC_INVALID_INPUT) != 0)
		goto out;
	const struct form_entry *entry = forms_find(set, draft.form_code);
	const char *params[4] = { id_text, account, draft.version, entry->form->review };
	if ((res = decl_write(call, db, &decl_submit_stmt, 4, params, &in, id_text,
	    &missed)) == NULL) {
		if (missed)
			decl_explain(call, db, id_text, account, "draft");
		goto out;
	}
	call->result = decl_write_result(res);
	PQclear(res);
	log_debug("session %lu: declaration %s submitted", s->serial, id_text);
	rc = 0;
out:
	json_decref(draft.definition);
	return rc;
}

/* ---- the other transitions of the person ----------------------------------------- */

/*
 * pending → draft (撤销), rejected → draft (revise), draft → gone (delete):
 * $1 id, $2 account.  Each its audit row; withdraw also takes its hours off
 * the pending total.  A revised record forgets its rejection (the audit
 * row of the reject keeps it).
 */
DB_STMT(decl_withdraw_stmt,
    "WITH upd AS ("
    " UPDATE declarations SET state = 'draft', decided_by = NULL, decided_at = NULL,"
    "  updated_at = now(), version = version + 1"
    " WHERE id = $1 AND account_id = $2 AND state = 'pending' AND source = 'person'"
    " RETURNING id, account_id, year, form_code, hours, version),"
    DECL_AUDIT_OWN("withdraw", "'pending'", "'draft'", "upd") ","
    " totals AS (UPDATE declaration_totals t SET pending_hours = t.pending_hours - upd.hours"
    "  FROM upd WHERE t.account_id = upd.account_id AND t.year = upd.year"
    "  AND t.form_code = upd.form_code)"
    " SELECT id, version FROM upd");

DB_STMT(decl_revise_stmt,
    "WITH upd AS ("
    " UPDATE declarations SET state = 'draft', reject_reason = NULL, decided_by = NULL,"
    "  decided_at = NULL, updated_at = now(), version = version + 1"
    " WHERE id = $1 AND account_id = $2 AND state = 'rejected' AND source = 'person'"
    " RETURNING id, account_id, version),"
    DECL_AUDIT_OWN("revise", "'rejected'", "'draft'", "upd")
    " SELECT id, version FROM upd");

DB_STMT(decl_delete_stmt,
    "WITH del AS ("
    " DELETE FROM declarations"
    " WHERE id = $1 AND account_id = $2 AND state = 'draft' AND source = 'person'"
    " RETURNING id, account_id, 0 AS version),"
    DECL_AUDIT_OWN("delete", "'draft'", "NULL", "del")
    " SELECT id, version FROM del");

/* Run one of the statements above on the caller's declaration id. */
static int
decl_transition(struct rpc_call *call, struct db_stmt *st, const char *from,
    const char *to, const char *verb)
{
	struct session *s = call->session;
	struct db_conn *db = call->db;
	long long id = 0;
	char account[24], id_text[24];
	const char *params[2] = { id_text, account };
	PGresult *res;

	rpc_param_int(call, "id", &id);
	snprintf(account, sizeof account, "%lld", (long long)s->account_id);
	snprintf(id_text, sizeof id_text, "%lld", id);
	if ((res = db_exec(db, st, 2, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	if (PQntuples(res) != 1) {
		PQclear(res);
		return decl_explain(call, db, id_text, account, from);
	}
	if (to != NULL)
		call->result = json_pack("{s:I, s:s, s:o}", "id", (json_int_t)id, "state", to,
		    "version", rpc_column_integer(res, 0, 1));
	else
		call->result = json_pack("{s:I, s:b}", "id", (json_int_t)id, "deleted", 1);
	PQclear(res);
	log_debug("session %lu: declaration %s %s", s->serial, id_text, verb);
	return 0;
}

static int
decl_withdraw(struct rpc_call *call)
{
	return decl_transition(call, &decl_withdraw_stmt, "pending", "draft", "withdrawn");
}

static int
decl_revise(struct rpc_call *call)
{
	return decl_transition(call, &decl_revise_stmt, "rejected", "draft", "revised");
}

static int
decl_delete(struct rpc_call *call)
{
	return decl_transition(call, &decl_delete_stmt, "draft", NULL, "deleted");
}

/* ---- reading --------------------------------------------------------------------- */

/*
 * A base record's base and class as one JSON column ({base, class}), NULL
 * for the person's own: a subquery, so that the statements that read rows
 * need no join of their own.
 */
#define DECL_BASE_COLUMN \
	"(SELECT json_build_object('base', json_build_object('code', b.code, 'name', b.name)," \
	" 'class', json_build_object('id', c.id, 'name', c.name, 'start_date', c.start_date," \
	" 'end_date', c.end_date))::text" \
	" FROM base_classes c JOIN bases b ON b.code = c.base_code WHERE c.id = d.class_id)"

/*
 * Add the base and class of a base record from column col (DECL_BASE_COLUMN)
 * to item: base {code, name}, class {id, name, start_date, end_date}; JSON
 * null for the person's own records.
 */
static void
decl_base_members(json_t *item, const PGresult *res, int r, int col)
{
	json_t *v = decl_json(res, r, col);

	json_object_set(item, "base", json_is_object(v) ? json_object_get(v, "base") : json_null());
	json_object_set(item, "class", json_is_object(v) ? json_object_get(v, "class") :
	    json_null());
	json_decref(v);
}

/*
 * A record's review (schema 017) as three columns: its chain (a JSON array),
 * its step, and the decisions of its current round of review -- those since
 * it was last submitted -- as a JSON array of {step, action, reason, at,
 * actor}, oldest first (NULL when none).  Oldest by id, not by at: at is
 * its transaction's start, and a decision that waited for the record's lock
 * behind another started before the one it followed; the ids are drawn
 * after the lock, in the order the decisions happened.  Decisions older than the chain
 * have no step: they were the unit's.  decl_review_members reads them.
 */
#define DECL_REVIEW_COLUMNS \
	"array_to_json(d.review_chain)::text, d.review_step," \
	" (SELECT json_agg(json_build_object('step', coalesce(au.step, 'unit')," \
	"  'action', au.action, 'reason', au.reason, 'at', " DB_ISO_TIME("au.at") "," \
	"  'actor', x.name) ORDER BY au.id)::text" \
	"  FROM declaration_audit au LEFT JOIN accounts x ON x.id = au.actor_id" \
	"  WHERE au.declaration_id = d.id AND au.action IN ('approve', 'reject')" \
	"  AND au.at >= d.submitted_at)"

/*
 * Add a record's review to item from the three columns at col
 * (DECL_REVIEW_COLUMNS) and its state: review_step and its label while it
 * is pending (else null), and steps, an entry per step of its chain with
 * that step's decision in this round (approved, rejected, pending: deciding
 * now, null: not reached); [] for a draft.
 */
static void
decl_review_members(json_t *item, const PGresult *res, int r, int col, const char *state,
    enum lang lang)
{
	json_t *chain = decl_json(res, r, col), *decisions = decl_json(res, r, col + 2);
	json_t *steps = json_array(), *v, *d, *last;
	const char *step = PQgetvalue(res, r, col + 1), *name, *decision;
	bool pending = strcmp(state, "pending") == 0;
	char key[40];
	size_t i, j;

	if (strcmp(state, "draft") != 0 && json_is_array(chain)) {
		json_array_foreach(chain, i, v) {
			name = json_string_value(v);
			last = NULL;
			if (name == NULL)
				continue;
			if (json_is_array(decisions)) {
				json_array_foreach(decisions, j, d) {
					const char *ds = json_string_value(json_object_get(d, "step"));

					if (ds != NULL && strcmp(ds, name) == 0)
						last = d;
				}
			}
			if (last != NULL)
				decision = strcmp(json_string_value(json_object_get(last, "action")),
				    "approve") == 0 ? "approved" : "rejected";
			else
				decision = pending && strcmp(name, step) == 0 ? "pending" : NULL;
			snprintf(key, sizeof key, "review_step.%s", name);
			json_t *actor = last != NULL ? json_object_get(last, "actor") : NULL;
			json_array_append_new(steps, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o}",
			    "step", name, "label", message_get(lang, key),
			    "decision", decision != NULL ? json_string(decision) : json_null(),
			    "decision_label", decision != NULL ?
			    json_string(decl_state_label(lang, decision)) : json_null(),
			    "decided_by", json_is_string(actor) ?
			    json_pack("{s:O}", "name", actor) : json_null(),
			    "decided_at", last != NULL ?
			    json_incref(json_object_get(last, "at")) : json_null(),
			    "reason", last != NULL && json_is_string(json_object_get(last, "reason")) ?
			    json_incref(json_object_get(last, "reason")) : json_null()));
		}
	}
	snprintf(key, sizeof key, "review_step.%s", step);
	json_object_set_new(item, "review_step", pending ? json_string(step) : json_null());
	json_object_set_new(item, "review_step_label", pending ?
	    json_string(message_get(lang, key)) : json_null());
	json_object_set_new(item, "steps", steps);
	json_decref(chain);
	json_decref(decisions);
}

/* The columns of a list row; the person's list and the queue share them. */
#define DECL_ROW_COLUMNS \
	"d.id, d.form_code, f.definition->>'name', f.definition->>'counts', d.year," \
	" trim_scale(d.amount)::text, trim_scale(d.hours)::text, d.state, d.source," \
	" d.fields ->> (f.definition #>> '{fields,0,key}'), d.reject_reason," \
	" EXISTS (SELECT 1 FROM attachments x" \
	"  WHERE x.declaration_id = d.id AND x.year = d.year), d.version," \
	" " DB_ISO_TIME("d.created_at") ", " DB_ISO_TIME("d.submitted_at") "," \
	" " DB_ISO_TIME("d.decided_at") ", f.definition->>'name_en', " DECL_BASE_COLUMN "," \
	" " DECL_REVIEW_COLUMNS
#define DECL_ROW_NCOLUMNS	21

/* One list row (DECL_ROW_COLUMNS from column 0) as JSON, with kind's actions. */
static json_t *
decl_row(const PGresult *res, int r, enum lang lang, enum actions_kind kind)
{
	json_t *item = json_pack("{s:o, s:{s:s, s:o}, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:o,"
	    " s:b, s:o, s:s, s:o, s:o, s:o}",
	    "id", rpc_column_integer(res, r, 0),
	    "form", "code", PQgetvalue(res, r, 1), "name",
	    /* The form's name in the session's language (an old definition may lack it). */
	    rpc_column_text(res, r, lang == LANG_EN && !PQgetisnull(res, r, 16) ? 16 : 2),
	    "counts", PQgetvalue(res, r, 3),
	    "year", rpc_column_integer(res, r, 4),
	    "amount", PQgetvalue(res, r, 5),
	    "hours", PQgetvalue(res, r, 6),
	    "state", PQgetvalue(res, r, 7),
	    "state_label", decl_state_label(lang, PQgetvalue(res, r, 7)),
	    "source", PQgetvalue(res, r, 8),
	    "title", rpc_column_text(res, r, 9),
	    "reject_reason", rpc_column_text(res, r, 10),
	    "has_attachment", decl_bool(res, r, 11),
	    "version", rpc_column_integer(res, r, 12),
	    "created_at", PQgetvalue(res, r, 13),
	    "submitted_at", rpc_column_text(res, r, 14),
	    "decided_at", rpc_column_text(res, r, 15),
	    "actions", actions_for(kind, PQgetvalue(res, r, 7), PQgetvalue(res, r, 8)));

	decl_base_members(item, res, r, 17);
	decl_review_members(item, res, r, 18, PQgetvalue(res, r, 7), lang);
	return item;
}

/* The state filter of declaration.list: NULL for all; false after rpc_fail. */
static bool
decl_state_filter(struct rpc_call *call, const char **state)
{
	static const char *const states[] = { "draft", "pending", "approved", "rejected", NULL };
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
	rpc_fail(call, RPC_INVALID_PARAMS, "state_invalid", "state", NULL);
	return false;
}

/*
 * declaration.list: the caller's records, newest first by the time a list
 * shows (submitted, or created for what never was), then by id; keyset
 * paged on declarations_by_person_shown; with the number in each state
 * for the tabs.
 */
static int
decl_list(struct rpc_call *call)
{
#define DECL_SHOWN_AT	"COALESCE(d.submitted_at, d.created_at)"
#define DECL_LIST_SELECT \
	"SELECT " DECL_ROW_COLUMNS ", " DECL_SHOWN_AT "::text" \
	" FROM declarations d JOIN learning_forms f ON f.id = d.form_id" \
	" WHERE d.account_id = $1" \
	" AND ($2::declaration_state IS NULL OR d.state = $2::declaration_state)"
	DB_STMT(decl_list_stmt, DECL_LIST_SELECT
	    " ORDER BY " DECL_SHOWN_AT " DESC, d.id DESC LIMIT $3");
	DB_STMT(decl_list_after_stmt, DECL_LIST_SELECT
	    " AND (" DECL_SHOWN_AT ", d.id) < ($4::timestamptz, $5::bigint)"
	    " ORDER BY " DECL_SHOWN_AT " DESC, d.id DESC LIMIT $3");
	DB_STMT(decl_counts_stmt,
	    "SELECT state, count(*) FROM declarations WHERE account_id = $1 GROUP BY state");
#undef DECL_LIST_SELECT
#undef DECL_SHOWN_AT
	enum lang lang = call->session->lang;
	struct db_conn *db = call->db;
	const char *state;
	char account[24];
	PGresult *res;
	json_t *items, *next, *counts;
	int n;
	long long all = 0;

	if (!decl_state_filter(call, &state))
		return -1;
	snprintf(account, sizeof account, "%lld", (long long)call->session->account_id);
	const char *params[5] = { account, state, call->page.fetch, call->page.key[0],
	    call->page.key[1] };
	res = db_exec(db, call->page.after ? &decl_list_after_stmt : &decl_list_stmt,
	    call->page.after ? 5 : 3, params);
	if (res == NULL)
		return rpc_fail_page(call);
	n = rpc_page_rows(call, res);
	items = json_array();
	for (int r = 0; r < n; r++)
		json_array_append_new(items, decl_row(res, r, lang, ACTIONS_DECLARATION_OWN));
	next = rpc_page_next(call, res, DECL_ROW_NCOLUMNS, 0);
	PQclear(res);
	if ((res = db_exec(db, &decl_counts_stmt, 1, params)) == NULL) {
		json_decref(items);
		json_decref(next);
		return rpc_fail_internal(call, db_error_text(db));
	}
	counts = json_pack("{s:i, s:i, s:i, s:i}", "draft", 0, "pending", 0, "approved", 0,
	    "rejected", 0);
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

/* The audit history of declaration id, oldest first (by id: see
 * DECL_REVIEW_COLUMNS); NULL on failure. */
static json_t *
decl_history(struct db_conn *db, const char *id, enum lang lang)
{
	DB_STMT(decl_history_stmt,
	    "SELECT au.action, au.from_state, au.to_state, au.reason,"
	    " " DB_ISO_TIME("au.at") ", x.name, CASE WHEN au.action IN ('approve', 'reject')"
	    "  THEN coalesce(au.step, 'unit') END"
	    " FROM declaration_audit au LEFT JOIN accounts x ON x.id = au.actor_id"
	    " WHERE au.declaration_id = $1 ORDER BY au.id");
	const char *params[1] = { id };
	PGresult *res;
	json_t *history;

	if ((res = db_exec(db, &decl_history_stmt, 1, params)) == NULL)
		return NULL;
	history = json_array();
	for (int r = 0; r < PQntuples(res); r++) {
		json_t *item = json_pack("{s:s, s:o, s:o, s:o, s:s, s:o, s:o}",
		    "action", PQgetvalue(res, r, 0),
		    "from_state", rpc_column_text(res, r, 1),
		    "to_state", rpc_column_text(res, r, 2),
		    "reason", rpc_column_text(res, r, 3),
		    "at", PQgetvalue(res, r, 4),
		    "actor", rpc_column_person(res, r, 5),
		    "step", rpc_column_text(res, r, 6));

		if (!PQgetisnull(res, r, 2))
			json_object_set_new(item, "to_label",
			    json_string(decl_state_label(lang, PQgetvalue(res, r, 2))));
		json_array_append_new(history, item);
	}
	PQclear(res);
	return history;
}

/* Everything about one declaration; the person's and the administrator's views. */
#define DECL_DETAIL_SELECT \
	"SELECT d.id, d.state, d.source, d.version, d.form_code, f.version," \
	" f.definition::text, d.category, d.year, trim_scale(d.amount)::text," \
	" trim_scale(d.hours)::text, d.fields::text, d.reject_reason," \
	" " DB_ISO_TIME("d.submitted_at") ", " DB_ISO_TIME("d.decided_at") ", dec.name," \
	" " DB_ISO_TIME("d.created_at") ", " DB_ISO_TIME("d.updated_at") "," \
	" a.id, a.name, a.mime, a.size, a.sha256, " DB_ISO_TIME("a.created_at") "," \
	" p.id, p.id_number, p.name, dp.name, d.unit_code, u.name, " DECL_BASE_COLUMN "," \
	" " DECL_REVIEW_COLUMNS \
	" FROM declarations d JOIN learning_forms f ON f.id = d.form_id" \
	" JOIN accounts p ON p.id = d.account_id" \
	" JOIN units u ON u.code = d.unit_code" \
	" LEFT JOIN departments dp ON dp.id = p.department_id" \
	" LEFT JOIN accounts dec ON dec.id = d.decided_by" \
	" LEFT JOIN attachments a ON a.declaration_id = d.id AND a.year = d.year"

/*
 * The detail reply of a DECL_DETAIL_SELECT row.  step names the reviewer's
 * step ("unit", "authority"), who also sees who declared and may approve or
 * reject the record while it is pending at that step; NULL for the owner.
 */
static json_t *
decl_detail(const PGresult *res, enum lang lang, const char *step)
{
	bool with_person = step != NULL;
	const char *state = PQgetvalue(res, 0, 1);
	bool elsewhere = with_person && strcmp(state, "pending") == 0 &&
	    strcmp(PQgetvalue(res, 0, 32), step) != 0;
	json_t *stored = decl_json(res, 0, 6), *attachment, *r, *values = decl_json(res, 0, 11);
	json_t *definition = forms_localised(stored, lang == LANG_EN), *fields;
	const char *name = NULL, *counts = NULL;

	/* The person reads the record in the session's language, choices too. */
	fields = forms_localised_values(stored, values, lang == LANG_EN);
	json_decref(values);
	json_decref(stored);

	if (json_is_object(definition)) {
		name = json_string_value(json_object_get(definition, "name"));
		counts = json_string_value(json_object_get(definition, "counts"));
	}
	attachment = PQgetisnull(res, 0, 18) ? json_null() :
	    json_pack("{s:o, s:s, s:s, s:o, s:s, s:s}",
	    "id", rpc_column_integer(res, 0, 18), "name", PQgetvalue(res, 0, 19),
	    "mime", PQgetvalue(res, 0, 20), "size", rpc_column_integer(res, 0, 21),
	    "sha256", PQgetvalue(res, 0, 22), "created_at", PQgetvalue(res, 0, 23));
	r = json_pack("{s:o, s:s, s:s, s:s, s:o, s:{s:s, s:s?, s:o, s:o}, s:s, s:s?, s:o,"
	    " s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:o}",
	    "id", rpc_column_integer(res, 0, 0),
	    "state", PQgetvalue(res, 0, 1),
	    "state_label", decl_state_label(lang, PQgetvalue(res, 0, 1)),
	    "source", PQgetvalue(res, 0, 2),
	    "version", rpc_column_integer(res, 0, 3),
	    "form", "code", PQgetvalue(res, 0, 4), "name", name,
	    "version", rpc_column_integer(res, 0, 5), "definition", definition,
	    "category", PQgetvalue(res, 0, 7),
	    "counts", counts,
	    "year", rpc_column_integer(res, 0, 8),
	    "amount", PQgetvalue(res, 0, 9),
	    "hours", PQgetvalue(res, 0, 10),
	    "fields", fields,
	    "reject_reason", rpc_column_text(res, 0, 12),
	    "submitted_at", rpc_column_text(res, 0, 13),
	    "decided_at", rpc_column_text(res, 0, 14),
	    "decided_by", rpc_column_person(res, 0, 15),
	    "created_at", PQgetvalue(res, 0, 16),
	    "updated_at", PQgetvalue(res, 0, 17),
	    "attachment", attachment);
	decl_base_members(r, res, 0, 30);
	decl_review_members(r, res, 0, 31, state, lang);
	/* Pending at another step than the reviewer's: not theirs to decide (now). */
	json_object_set_new(r, "actions", elsewhere ? json_array() :
	    actions_for(with_person ? ACTIONS_DECLARATION_REVIEW : ACTIONS_DECLARATION_OWN,
	    state, PQgetvalue(res, 0, 2)));
	if (with_person)
		json_object_set_new(r, "person", json_pack("{s:o, s:s, s:s, s:o, s:{s:s, s:s}}",
		    "account_id", rpc_column_integer(res, 0, 24),
		    "id_number", PQgetvalue(res, 0, 25),
		    "name", PQgetvalue(res, 0, 26),
		    "department", rpc_column_text(res, 0, 27),
		    "unit", "code", PQgetvalue(res, 0, 28), "name", PQgetvalue(res, 0, 29)));
	return r;
}

/* Reply with the detail of declaration id read by st with params; not_found when none. */
static int
decl_show(struct rpc_call *call, struct db_conn *db, struct db_stmt *st,
    const char *const *params, const char *step)
{
	PGresult *res;
	json_t *history;

	if ((res = db_exec(db, st, 2, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	if (PQntuples(res) != 1) {
		PQclear(res);
		return rpc_fail_format(call, RPC_NOT_FOUND, "not_found", "id", NULL, NULL);
	}
	if ((history = decl_history(db, params[0], call->session->lang)) == NULL) {
		PQclear(res);
		return rpc_fail_internal(call, db_error_text(db));
	}
	call->result = decl_detail(res, call->session->lang, step);
	json_object_set_new(call->result, "history", history);
	PQclear(res);
	return 0;
}

/* declaration.get: one of the caller's records with everything. */
static int
decl_get(struct rpc_call *call)
{
	DB_STMT(decl_get_stmt, DECL_DETAIL_SELECT " WHERE d.id = $1 AND d.account_id = $2");
	long long id = 0;
	char id_text[24], account[24];
	const char *params[2] = { id_text, account };

	rpc_param_int(call, "id", &id);
	snprintf(id_text, sizeof id_text, "%lld", id);
	snprintf(account, sizeof account, "%lld", (long long)call->session->account_id);
	return decl_show(call, call->db, &decl_get_stmt, params, NULL);
}

/*
 * Add to class (a base record's, as decl_detail gives it) its attachment
 * {name, mime, size, sha256}, or JSON null.  Returns 0 or -1 after rpc_fail.
 */
static int
decl_class_attachment_meta(struct rpc_call *call, json_t *class)
{
	DB_STMT(decl_class_attachment_stmt,
	    "SELECT name, mime, size, sha256 FROM base_class_attachments WHERE class_id = $1");
	char id[24];
	const char *params[1] = { id };
	PGresult *res;

	snprintf(id, sizeof id, "%lld",
	    (long long)json_integer_value(json_object_get(class, "id")));
	if ((res = db_exec(call->db, &decl_class_attachment_stmt, 1, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	json_object_set_new(class, "attachment", PQntuples(res) == 0 ? json_null() :
	    json_pack("{s:s, s:s, s:o, s:s}", "name", PQgetvalue(res, 0, 0),
	    "mime", PQgetvalue(res, 0, 1), "size", rpc_column_integer(res, 0, 2),
	    "sha256", PQgetvalue(res, 0, 3)));
	PQclear(res);
	return 0;
}

/*
 * review.declaration: a declaration of the administrator's unit that has
 * been submitted.  A draft, or another unit's record, is not_found.  A
 * base's record also names its class's attachment.
 */
static int
decl_review_get(struct rpc_call *call)
{
	DB_STMT(decl_review_stmt, DECL_DETAIL_SELECT
	    " WHERE d.id = $1 AND d.unit_code = $2 AND d.state <> 'draft'");
	long long id = 0;
	char id_text[24];
	const char *params[2] = { id_text, call->session->unit_code };

	json_t *class;

	rpc_param_int(call, "id", &id);
	snprintf(id_text, sizeof id_text, "%lld", id);
	if (decl_show(call, call->db, &decl_review_stmt, params, "unit") != 0)
		return -1;
	/* A base's record: the class's document too, for the decision (review.class_attachment). */
	if (json_is_object(class = json_object_get(call->result, "class")))
		return decl_class_attachment_meta(call, class);
	return 0;
}

/* The bounds of a slice (attachment.get, review.class_attachment). */
struct decl_slice {
	long long	 offset, length;
	char		 offset_text[24], length_text[24];
};

static void
decl_slice_params(struct rpc_call *call, struct decl_slice *sl)
{
	sl->offset = 0;
	sl->length = ATTACHMENT_CHUNK_MAX;
	rpc_param_int(call, "offset", &sl->offset);
	rpc_param_int(call, "length", &sl->length);
	snprintf(sl->offset_text, sizeof sl->offset_text, "%lld", sl->offset);
	snprintf(sl->length_text, sizeof sl->length_text, "%lld", sl->length);
}

/*
 * Reply with the slice sl of a stored file: res's one row (name, mime,
 * size, sha256, the slice's bytes), or not_found naming field when it has
 * none; the reply names the file as {key: id}.  Clears res.
 */
static int
decl_slice_reply(struct rpc_call *call, PGresult *res, const struct decl_slice *sl,
    const char *key, long long id, const char *field)
{
	long long size;
	unsigned char *bytes;
	size_t nbytes = 0, b64len;
	char *b64;

	if (PQntuples(res) != 1) {
		PQclear(res);
		return rpc_fail(call, RPC_NOT_FOUND, "not_found", field, NULL);
	}
	size = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	if (sl->offset > size) {
		PQclear(res);
		return rpc_fail(call, RPC_INVALID_PARAMS, "offset_invalid", "offset", NULL);
	}
	bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 4), &nbytes);
	if (bytes == NULL) {
		PQclear(res);
		return rpc_fail_internal(call, "cannot decode an attachment's bytes");
	}
	b64len = sodium_base64_encoded_len(nbytes, sodium_base64_VARIANT_ORIGINAL);
	b64 = xmalloc(b64len);
	sodium_bin2base64(b64, b64len, bytes, nbytes, sodium_base64_VARIANT_ORIGINAL);
	call->result = json_pack("{s:I, s:s, s:s, s:I, s:s, s:I, s:I, s:s, s:b}",
	    key, (json_int_t)id, "name", PQgetvalue(res, 0, 0),
	    "mime", PQgetvalue(res, 0, 1), "size", (json_int_t)size,
	    "sha256", PQgetvalue(res, 0, 3), "offset", (json_int_t)sl->offset,
	    "length", (json_int_t)nbytes, "data", b64,
	    "eof", sl->offset + (long long)nbytes >= size);
	PQfreemem(bytes);
	free(b64);
	PQclear(res);
	return 0;
}

/*
 * attachment.get: a slice of an attachment in base64: the owner's, or for
 * an administrator one of a submitted declaration of their unit.
 */
static int
decl_attachment_get(struct rpc_call *call)
{
#define ATTACHMENT_SELECT \
	"SELECT a.name, a.mime, a.size, a.sha256, substring(a.data FROM $2::int + 1 FOR $3::int)" \
	" FROM attachments a" \
	" JOIN declarations d ON d.id = a.declaration_id AND d.year = a.year WHERE a.id = $1"
	DB_STMT(attachment_own_stmt, ATTACHMENT_SELECT " AND d.account_id = $4");
	DB_STMT(attachment_unit_stmt, ATTACHMENT_SELECT
	    " AND d.unit_code = $4 AND d.state <> 'draft'");
#undef ATTACHMENT_SELECT
	struct session *s = call->session;
	struct decl_slice sl;
	long long id = 0;
	char id_text[24], account[24];
	PGresult *res;
	bool admin = s->role == ROLE_UNIT_ADMIN;

	rpc_param_int(call, "attachment_id", &id);
	decl_slice_params(call, &sl);
	snprintf(id_text, sizeof id_text, "%lld", id);
	snprintf(account, sizeof account, "%lld", (long long)s->account_id);
	const char *params[4] = { id_text, sl.offset_text, sl.length_text,
	    admin ? s->unit_code : account };
	if ((res = db_exec(call->db, admin ? &attachment_unit_stmt : &attachment_own_stmt, 4,
	    params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	return decl_slice_reply(call, res, &sl, "attachment_id", id, "attachment_id");
}

/*
 * review.class_attachment: a slice of the attachment of a base's class
 * (its approval document, an attendance sheet), for an administrator of a
 * unit that has records of the class to decide or decided.
 */
static int
decl_class_attachment_get(struct rpc_call *call)
{
	DB_STMT(class_attachment_stmt,
	    "SELECT x.name, x.mime, x.size, x.sha256,"
	    " substring(x.data FROM $2::int + 1 FOR $3::int)"
	    " FROM base_class_attachments x WHERE x.class_id = $1"
	    " AND EXISTS (SELECT 1 FROM declarations d WHERE d.class_id = x.class_id"
	    "  AND d.unit_code = $4)");
	struct decl_slice sl;
	long long id = 0;
	char id_text[24];
	PGresult *res;

	rpc_param_int(call, "class_id", &id);
	decl_slice_params(call, &sl);
	snprintf(id_text, sizeof id_text, "%lld", id);
	const char *params[4] = { id_text, sl.offset_text, sl.length_text,
	    call->session->unit_code };
	if ((res = db_exec(call->db, &class_attachment_stmt, 4, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	return decl_slice_reply(call, res, &sl, "class_id", id, "class_id");
}

/* ---- the unit administrator's queue ---------------------------------------------- */

/*
 * The people of the administrator's unit whom the person filter names (a
 * name substring or an ID-number prefix), as a PostgreSQL array literal
 * into *ids (caller frees), from the unit's accounts (accounts_by_unit).
 * Returns 1, or 0 when more than DECL_PERSON_IDS_MAX match -- a filter that
 * broad is better checked on the queue's rows -- or -1 after rpc_fail.
 */
static int
decl_person_ids(struct rpc_call *call, struct db_conn *db, const char *person, char **ids)
{
	DB_STMT(decl_person_ids_stmt,
	    "SELECT id FROM accounts WHERE unit_code = $1"
	    " AND (strpos(name, $2) > 0 OR starts_with(id_number::text, upper($2)))"
	    " LIMIT $3");
	char limit[16];
	const char *params[3] = { call->session->unit_code, person, limit };
	PGresult *res;
	size_t len = 3, n;
	char *out;

	*ids = NULL;
	snprintf(limit, sizeof limit, "%d", DECL_PERSON_IDS_MAX + 1);
	if ((res = db_exec(db, &decl_person_ids_stmt, 3, params)) == NULL) {
		rpc_fail_internal(call, db_error_text(db));
		return -1;
	}
	n = (size_t)PQntuples(res);
	if (n > DECL_PERSON_IDS_MAX) {
		PQclear(res);
		return 0;
	}
	for (size_t r = 0; r < n; r++)
		len += strlen(PQgetvalue(res, (int)r, 0)) + 1;
	out = xmalloc(len);
	strcpy(out, "{");
	for (size_t r = 0; r < n; r++) {
		if (r > 0)
			strcat(out, ",");
		strcat(out, PQgetvalue(res, (int)r, 0));
	}
	strcat(out, "}");
	PQclear(res);
	*ids = out;
	return 1;
}

/*
 * The statements of review.declarations.  Three ways to the rows, by what
 * the filters leave: the queue index declarations_review_queue (the year
 * checked on the rows it yields); with a form, declarations_queue_by_form;
 * with a person, the few people it names first, then their records
 * (declarations_by_person).  $1 unit, $2 year or NULL, $3 form or NULL, $4
 * person (a filter text, or with the people first their ids), $5 rows, $6
 * $7 the cursor.
 */
#define QUEUE_SELECT \
	"SELECT " DECL_ROW_COLUMNS ", d.submitted_at::text, d.account_id, a.name, a.id_number" \
	" FROM declarations d JOIN learning_forms f ON f.id = d.form_id" \
	" JOIN accounts a ON a.id = d.account_id" \
	" WHERE d.unit_code = $1 AND d.state = 'pending' AND d.review_step = 'unit'" \
	" AND" DECL_YEAR_IS_2
#define QUEUE_PERSON \
	" AND ($4::text IS NULL OR strpos(a.name, $4) > 0" \
	"  OR starts_with(a.id_number::text, upper($4)))"
#define QUEUE_FORM	" AND d.form_code = $3"
#define QUEUE_NO_FORM	" AND $3::text IS NULL"
#define QUEUE_AFTER	" AND (d.submitted_at, d.id) < ($6::timestamptz, $7::bigint)"
#define QUEUE_ORDER	" ORDER BY d.submitted_at DESC, d.id DESC LIMIT $5"
DB_STMT(decl_queue_stmt, QUEUE_SELECT QUEUE_PERSON QUEUE_NO_FORM QUEUE_ORDER);
DB_STMT(decl_queue_after_stmt, QUEUE_SELECT QUEUE_PERSON QUEUE_NO_FORM QUEUE_AFTER
    QUEUE_ORDER);
DB_STMT(decl_queue_form_stmt, QUEUE_SELECT QUEUE_PERSON QUEUE_FORM QUEUE_ORDER);
DB_STMT(decl_queue_form_after_stmt, QUEUE_SELECT QUEUE_PERSON QUEUE_FORM QUEUE_AFTER
    QUEUE_ORDER);
/*
 * $4 is the people's ids.  Their records come first, by their index (a
 * materialised CTE: left to itself the planner would AND in the whole
 * unit's queue); they are few, so the rest are plain filters.
 */
DB_STMT(decl_queue_people_stmt,
    "WITH d AS MATERIALIZED (SELECT * FROM declarations d"
    " WHERE account_id = ANY ($4::bigint[]) AND" DECL_YEAR_IS_2 ")"
    " SELECT " DECL_ROW_COLUMNS ", d.submitted_at::text, d.account_id, a.name,"
    " a.id_number"
    " FROM d JOIN learning_forms f ON f.id = d.form_id"
    " JOIN accounts a ON a.id = d.account_id"
    " WHERE d.unit_code = $1 AND d.state = 'pending' AND d.review_step = 'unit'"
    " AND" DECL_YEAR_IS_2
    " AND ($3::text IS NULL OR d.form_code = $3)"
    " AND ($6::timestamptz IS NULL OR (d.submitted_at, d.id) < ($6::timestamptz, $7::bigint))"
    QUEUE_ORDER);
#undef QUEUE_SELECT
#undef QUEUE_PERSON
#undef QUEUE_FORM
#undef QUEUE_NO_FORM
#undef QUEUE_AFTER
#undef QUEUE_ORDER

/*
 * Counts ($5: at most this many): each reads only an index (year and
 * form_code are included in them), except with a person filter too broad
 * to look up first.
 */
#define COUNT_SELECT \
	"SELECT count(*) FROM (SELECT 1 FROM declarations d" \
	" WHERE d.unit_code = $1 AND d.state = 'pending' AND d.review_step = 'unit'" \
	" AND" DECL_YEAR_IS_2
DB_STMT(decl_queue_count_stmt, COUNT_SELECT
    " AND $3::text IS NULL AND $4::text IS NULL LIMIT $5) c");
DB_STMT(decl_queue_form_count_stmt, COUNT_SELECT
    " AND d.form_code = $3 AND $4::text IS NULL LIMIT $5) c");
DB_STMT(decl_queue_person_count_stmt, COUNT_SELECT
    " AND ($3::text IS NULL OR d.form_code = $3)"
    " AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = d.account_id"
    "  AND (strpos(a.name, $4) > 0 OR starts_with(a.id_number::text, upper($4))))"
    " LIMIT $5) c");
#undef COUNT_SELECT
DB_STMT(decl_queue_people_count_stmt,
    "WITH d AS MATERIALIZED (SELECT unit_code, state, review_step, year, form_code"
    " FROM declarations d WHERE account_id = ANY ($4::bigint[]) AND" DECL_YEAR_IS_2 ")"
    " SELECT count(*) FROM (SELECT 1 FROM d"
    " WHERE d.unit_code = $1 AND d.state = 'pending' AND d.review_step = 'unit'"
    " AND" DECL_YEAR_IS_2
    " AND ($3::text IS NULL OR d.form_code = $3) LIMIT $5) c");

/*
 * One class's records ($8; a base's report): by declarations_by_class,
 * the other filters checked on its rows.  $4 is the person filter's text.
 */
DB_STMT(decl_queue_class_stmt,
    "SELECT " DECL_ROW_COLUMNS ", d.submitted_at::text, d.account_id, a.name, a.id_number"
    " FROM declarations d JOIN learning_forms f ON f.id = d.form_id"
    " JOIN accounts a ON a.id = d.account_id"
    " WHERE d.class_id = $8::bigint AND d.unit_code = $1 AND d.state = 'pending'"
    " AND d.review_step = 'unit'"
    " AND" DECL_YEAR_IS_2
    " AND ($3::text IS NULL OR d.form_code = $3)"
    " AND ($4::text IS NULL OR strpos(a.name, $4) > 0"
    "  OR starts_with(a.id_number::text, upper($4)))"
    " AND ($6::timestamptz IS NULL OR (d.submitted_at, d.id) < ($6::timestamptz, $7::bigint))"
    " ORDER BY d.submitted_at DESC, d.id DESC LIMIT $5");
/* Its count: $1 to $5 as the others', $6 the class. */
DB_STMT(decl_queue_class_count_stmt,
    "SELECT count(*) FROM (SELECT 1 FROM declarations d JOIN accounts a ON a.id = d.account_id"
    " WHERE d.class_id = $6::bigint AND d.unit_code = $1 AND d.state = 'pending'"
    " AND d.review_step = 'unit'"
    " AND" DECL_YEAR_IS_2
    " AND ($3::text IS NULL OR d.form_code = $3)"
    " AND ($4::text IS NULL OR strpos(a.name, $4) > 0"
    "  OR starts_with(a.id_number::text, upper($4)))"
    " LIMIT $5) c");

/* What review.declarations asks for. */
struct decl_queue {
	char		 class_id[24];	/* "" for any */
	char		 year[8];	/* "" for any */
	const char	*form;		/* NULL for any */
	const char	*person;	/* a filter text, or NULL */
	char		*people;	/* the people it names as an array literal, or NULL */
};

/*
 * The filters of review.declarations into *q (the person filter's text is
 * checked by the dispatcher; the people it names are looked up later).
 * Returns 0 or -1 after rpc_fail.
 */
static int
decl_queue_filters(struct rpc_call *call, struct decl_queue *q)
{
	long long year, class_id;
	char range[32];

	memset(q, 0, sizeof *q);
	if (rpc_param_int(call, "year", &year)) {
		if (year < DECL_YEAR_MIN || year > DECL_YEAR_MAX) {
			snprintf(range, sizeof range, "%d %s %d", DECL_YEAR_MIN,
			    message_get(call->session->lang, "and"), DECL_YEAR_MAX);
			return rpc_fail_format(call, RPC_INVALID_PARAMS, "year_invalid", "year", NULL,
			    range);
		}
		snprintf(q->year, sizeof q->year, "%lld", year);
	}
	q->form = rpc_param_text(call, "form");
	if (q->form != NULL && (strlen(q->form) > 32 ||
	    strspn(q->form, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(q->form)))
		return rpc_fail(call, RPC_INVALID_PARAMS, "form_filter_invalid", "form", NULL);
	q->person = rpc_param_text(call, "person");
	if (rpc_param_int(call, "class_id", &class_id))
		snprintf(q->class_id, sizeof q->class_id, "%lld", class_id);
	return 0;
}

/* A page of the queue q as {items, next}; NULL after rpc_fail. */
static json_t *
decl_queue_page(struct rpc_call *call, const struct decl_queue *q, const char *const *params)
{
	enum lang lang = call->session->lang;
	bool after = call->page.after;
	struct db_stmt *st;
	PGresult *res;
	json_t *items, *item;
	int n, c = DECL_ROW_NCOLUMNS;

	int n_params = q->people != NULL || after ? 7 : 5;

	if (q->class_id[0] != '\0') {
		st = &decl_queue_class_stmt;
		n_params = 8;
	} else if (q->people != NULL)
		st = &decl_queue_people_stmt;
	else if (q->form != NULL)
		st = after ? &decl_queue_form_after_stmt : &decl_queue_form_stmt;
	else
		st = after ? &decl_queue_after_stmt : &decl_queue_stmt;
	if ((res = db_exec(call->db, st, n_params, params)) == NULL) {
		rpc_fail_page(call);
		return NULL;
	}
	n = rpc_page_rows(call, res);
	items = json_array();
	for (int r = 0; r < n; r++) {
		item = decl_row(res, r, lang, ACTIONS_DECLARATION_REVIEW);
		json_object_set_new(item, "person", json_pack("{s:o, s:s, s:s}",
		    "account_id", rpc_column_integer(res, r, c + 1), "name", PQgetvalue(res, r, c + 2),
		    "id_number", PQgetvalue(res, r, c + 3)));
		json_array_append_new(items, item);
	}
	item = json_pack("{s:o, s:o}", "items", items, "next", rpc_page_next(call, res, c, 0));
	PQclear(res);
	return item;
}

/*
 * Add the number of the queue's matches to page, up to DECL_COUNT_MAX:
 * beyond that the exact number is of no use to anyone and costs a scan of
 * the queue.  Returns 0 or -1 after rpc_fail.
 */
static int
decl_queue_count(struct rpc_call *call, const struct decl_queue *q, const char **params,
    json_t *page)
{
	char count_limit[16];
	struct db_stmt *st;
	PGresult *res;
	long long total;

	snprintf(count_limit, sizeof count_limit, "%d", DECL_COUNT_MAX + 1);
	params[4] = count_limit;
	if (q->class_id[0] != '\0') {
		const char *class_params[6] = { params[0], params[1], params[2], params[3],
		    count_limit, q->class_id };

		res = db_exec(call->db, &decl_queue_class_count_stmt, 6, class_params);
		goto counted;
	}
	if (q->people != NULL)
		st = &decl_queue_people_count_stmt;
	else if (q->person != NULL)
		st = &decl_queue_person_count_stmt;
	else if (q->form != NULL)
		st = &decl_queue_form_count_stmt;
	else
		st = &decl_queue_count_stmt;
	res = db_exec(call->db, st, 5, params);
counted:
	if (res == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	total = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	json_object_set_new(page, "pending_total",
	    json_integer(total > DECL_COUNT_MAX ? DECL_COUNT_MAX : total));
	json_object_set_new(page, "pending_total_capped", json_boolean(total > DECL_COUNT_MAX));
	return 0;
}

/*
 * review.declarations: the unit's pending declarations, newest submission
 * first, keyset paged; the first page also counts the matches.
 */
static int
decl_queue(struct rpc_call *call)
{
	struct decl_queue q;
	json_t *page = NULL;
	int rc = -1;

	if (decl_queue_filters(call, &q) != 0)
		return -1;
	/* A class's records are few: the person filter is checked on them. */
	if (q.person != NULL && q.class_id[0] == '\0' &&
	    decl_person_ids(call, call->db, q.person, &q.people) < 0)
		goto out;
	const char *params[8] = { call->session->unit_code, q.year[0] ? q.year : NULL,
	    q.form, q.people != NULL ? q.people : q.person, call->page.fetch,
	    call->page.key[0], call->page.key[1], q.class_id };
	if ((page = decl_queue_page(call, &q, params)) == NULL)
		goto out;
	if (!call->page.after && decl_queue_count(call, &q, params, page) != 0)
		goto out;
	call->result = page;
	page = NULL;
	rc = 0;
out:
	json_decref(page);
	free(q.people);
	return rc;
}

/*
 * The statements deciding one declaration at one step of its review chain
 * (schema 017), for a reviewer whose records scope gives ($2: the unit's
 * code, or the authority's region): $1 id, $3 the state a decision at the
 * last step leaves, $4 actor, $5 reason, $6 action, $7 the reviewer's step.
 * One UPDATE guarded by the state and the step the decision expects, with
 * its audit row and the totals: an approval at a step that is not the last
 * moves the record on (still pending, its hours still pending); any other
 * decision ends it.  decided_by and decided_at name the last decision so
 * far, so a base takes back or changes only what no step has decided.
 */
#define DECL_DECIDE(scope) \
	"WITH upd AS (" \
	" UPDATE declarations d SET state = CASE WHEN $6 = 'approve' AND" \
	"  d.review_chain[array_position(d.review_chain, d.review_step) + 1] IS NOT NULL" \
	"  THEN 'pending' ELSE $3::declaration_state END," \
	"  review_step = CASE WHEN $6 = 'approve' THEN coalesce(" \
	"  d.review_chain[array_position(d.review_chain, d.review_step) + 1], d.review_step)" \
	"  ELSE d.review_step END," \
	"  decided_by = $4, decided_at = now(), reject_reason = $5, updated_at = now()," \
	"  version = d.version + 1" \
	" WHERE d.id = $1 AND " scope " AND d.state = 'pending' AND d.review_step = $7" \
	" RETURNING d.id, d.account_id, d.year, d.form_code, d.hours, d.state)," \
	" audit AS (INSERT INTO declaration_audit (declaration_id, account_id, actor_id," \
	"  action, from_state, to_state, reason, step)" \
	"  SELECT id, account_id, $4, $6, 'pending', state, $5, $7 FROM upd)," \
	" totals AS (UPDATE declaration_totals t" \
	"  SET pending_hours = t.pending_hours - upd.hours," \
	"  approved_hours = t.approved_hours" \
	"   + CASE WHEN upd.state = 'approved' THEN upd.hours ELSE 0 END" \
	"  FROM upd WHERE upd.state <> 'pending' AND t.account_id = upd.account_id" \
	"  AND t.year = upd.year AND t.form_code = upd.form_code)" \
	" SELECT id FROM upd"
/* The scopes: a unit's records, and an authority's (its region's units'). */
#define DECL_SCOPE_UNIT		"d.unit_code = $2"
#define DECL_SCOPE_AUTHORITY \
	"EXISTS (SELECT 1 FROM units su WHERE su.code = d.unit_code" \
	" AND " RPC_SCOPE_COVERS("su.region", "$2") ")"
/*
 * What a record the decision missed is now, as far as the reviewer may see
 * it: the unit sees its unit's records; the authority those of its scope
 * that reached its step.  $1 id, $2 the scope.
 */
#define DECL_DECIDED(scope) \
	"SELECT d.state, dec.name, " DB_ISO_TIME("d.decided_at") ", d.review_step" \
	" FROM declarations d LEFT JOIN accounts dec ON dec.id = d.decided_by" \
	" WHERE d.id = $1 AND " scope

DB_STMT(decl_decide_unit_stmt, DECL_DECIDE(DECL_SCOPE_UNIT));
#define DECL_DECIDE_RETRIES	3	/* decisions of a record that came to the step meanwhile */
DB_STMT(decl_decide_authority_stmt, DECL_DECIDE(DECL_SCOPE_AUTHORITY));
DB_STMT(decl_decided_unit_stmt, DECL_DECIDED(DECL_SCOPE_UNIT));
DB_STMT(decl_decided_authority_stmt, DECL_DECIDED(DECL_SCOPE_AUTHORITY)
    " AND d.review_step = 'authority'");

/*
 * Decide one declaration (decide_fn) at the reviewer's step: the unit's, or
 * for an authority (d->scope) the authority's.  When the statement matched
 * nothing, read why: not visible (another unit's or scope's, no such id, a
 * draft, or never at the authority's step: not_found), decided already --
 * at this step or, for the unit, moved on to the authority's (state
 * pending, review_step says where) -- and by whom, or back to draft
 * (withdrawn).  The loser of a race reads after the winner committed, since
 * its UPDATE waited for the winner's row lock.
 */
static enum decide_outcome
decl_decide_one(const struct decision *d, long long id, json_t **item)
{
	bool authority = d->scope != NULL;
	char id_text[24];
	const char *step = authority ? "authority" : "unit";
	const char *params[7] = { id_text, authority ? d->scope : d->unit, d->to_state,
	    d->actor, d->reason, d->action, step };
	const char *state;
	PGresult *res;
	bool done;

	snprintf(id_text, sizeof id_text, "%lld", id);
	for (int attempt = 0; attempt < DECL_DECIDE_RETRIES; attempt++) {
		if ((res = db_exec(d->db, authority ? &decl_decide_authority_stmt :
		    &decl_decide_unit_stmt, 7, params)) == NULL)
			return DECIDE_ERROR;
		done = PQntuples(res) == 1;
		PQclear(res);
		if (done) {
			*item = decide_done(d, id);
			return DECIDE_DONE;
		}
		if ((res = db_exec(d->db, authority ? &decl_decided_authority_stmt :
		    &decl_decided_unit_stmt, 2, params)) == NULL)
			return DECIDE_ERROR;
		if (PQntuples(res) == 0) {
			PQclear(res);
			*item = decide_missed(d, id, "not_found");
			return DECIDE_NOT_DONE;
		}
		state = PQgetvalue(res, 0, 0);
		if (strcmp(state, "pending") == 0 && strcmp(PQgetvalue(res, 0, 3), step) == 0) {
			/*
			 * Pending at this step after all: it came to it (the unit
			 * moved it on, the person submitted it again) between the
			 * UPDATE's snapshot and this read.  Decide it again.
			 */
			PQclear(res);
			continue;
		}
		if (strcmp(state, "draft") == 0) {
			*item = decide_missed(d, id, "state_changed");
			json_object_set_new(*item, "state", json_string(state));
			json_object_set_new(*item, "state_label",
			    json_string(decl_state_label(d->lang, state)));
		} else {
			/* Decided, or (the unit) approved and moved on to the next step. */
			*item = decide_decided_before(d, id, res, decl_state_label(d->lang, state));
			json_object_set_new(*item, "review_step",
			    json_string(PQgetvalue(res, 0, 3)));
		}
		PQclear(res);
		return DECIDE_NOT_DONE;
	}
	*item = decide_missed(d, id, "already_decided");
	return DECIDE_NOT_DONE;
}

/* A rejection's reason is shown to the person in the progress list. */
static const struct decide_kind decl_kind = {
	DECIDE_PARAMS("ids", NULL),
	.key = "id", .approved = "approved", .what = "declarations",
	.decide = decl_decide_one,
};

#define DECL_CLASS_MAX	5000	/* records of one class decided in one call */

/*
 * review.decide_class and authority.decide_class: every record of a base's
 * class pending at the caller's step in its scope (the unit's, or the
 * authority's region) approved, or rejected with the reason, each as
 * review.approve_declarations decides it (its own transaction; one decided
 * meanwhile is named in the results).  Reply {class_id, results, more}:
 * more when the class had more than DECL_CLASS_MAX (call again).
 */
static int
decl_decide_class(struct rpc_call *call)
{
#define CLASS_PENDING(scope, step) \
	"SELECT d.id FROM declarations d WHERE d.class_id = $1 AND " scope \
	" AND d.state = 'pending' AND d.review_step = '" step "' ORDER BY d.id LIMIT $3"
	DB_STMT(decl_class_pending_stmt, CLASS_PENDING(DECL_SCOPE_UNIT, "unit"));
	DB_STMT(decl_class_pending_authority_stmt,
	    CLASS_PENDING(DECL_SCOPE_AUTHORITY, "authority"));
#undef CLASS_PENDING
	struct session *s = call->session;
	bool authority = s->role == ROLE_AUTHORITY;
	const char *decision = rpc_param_string(call, "decision");
	long long class_id = 0;
	char class_text[24], limit[16];
	const char *params[3] = { class_text, authority ? s->scope_region : s->unit_code, limit };
	PGresult *res;
	json_t *ids;
	bool approve, more;
	int n, rc;

	if (strcmp(decision, "approve") == 0)
		approve = true;
	else if (strcmp(decision, "reject") == 0)
		approve = false;
	else
		return rpc_fail(call, RPC_INVALID_PARAMS, "class_review_invalid", "decision", NULL);
	if (!approve && rpc_param_string(call, "reason") == NULL)
		return rpc_fail(call, RPC_INVALID_INPUT, "reason_required", "reason", NULL);
	rpc_param_int(call, "class_id", &class_id);
	snprintf(class_text, sizeof class_text, "%lld", class_id);
	snprintf(limit, sizeof limit, "%d", DECL_CLASS_MAX + 1);
	if ((res = db_exec(call->db, authority ? &decl_class_pending_authority_stmt :
	    &decl_class_pending_stmt, 3, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	if ((n = PQntuples(res)) == 0) {
		PQclear(res);
		return rpc_fail(call, RPC_NOT_FOUND, "class_nothing_pending", "class_id",
		    authority ? message_get(s->lang, "class_nothing_pending_scope") : NULL);
	}
	more = n > DECL_CLASS_MAX;
	ids = json_array();
	for (int r = 0; r < n && r < DECL_CLASS_MAX; r++)
		json_array_append_new(ids, json_integer(strtoll(PQgetvalue(res, r, 0), NULL, 10)));
	PQclear(res);
	rc = decide_records(call, &decl_kind, ids, approve);
	json_decref(ids);
	if (rc == 0) {
		json_object_set_new(call->result, "class_id", json_integer(class_id));
		json_object_set_new(call->result, "more", json_boolean(more));
	}
	return rc;
}

/* ---- the authority's queue (issue 16) -------------------------------------------- */

/*
 * authority.declarations: the records pending at the authority's step of
 * their chain whose unit lies in its scope, newest submission first, by
 * declarations_authority_queue (or, with a unit, ..._by_unit); the scope
 * and the other filters are checked on the rows they yield.  $1 scope, $2
 * year, $3 form, $4 person (a filter text), $5 rows, $6 $7 the cursor, $8
 * unit, $9 class.
 */
DB_STMT(authority_queue_stmt,
    "SELECT " DECL_ROW_COLUMNS ", d.submitted_at::text, d.account_id, a.name, a.id_number,"
    " u.code, u.name"
    " FROM declarations d JOIN learning_forms f ON f.id = d.form_id"
    " JOIN accounts a ON a.id = d.account_id JOIN units u ON u.code = d.unit_code"
    " WHERE d.state = 'pending' AND d.review_step = 'authority'"
    " AND " RPC_SCOPE_COVERS("u.region", "$1")
    " AND" DECL_YEAR_IS_2
    " AND ($3::text IS NULL OR d.form_code = $3)"
    " AND ($4::text IS NULL OR strpos(a.name, $4) > 0"
    "  OR starts_with(a.id_number::text, upper($4)))"
    " AND ($8::text IS NULL OR d.unit_code = $8)"
    " AND ($9::bigint IS NULL OR d.class_id = $9::bigint)"
    " AND ($6::timestamptz IS NULL OR (d.submitted_at, d.id) < ($6::timestamptz, $7::bigint))"
    " ORDER BY d.submitted_at DESC, d.id DESC LIMIT $5");
/*
 * Its count: $1 to $5 as the queue's, $6 unit, $7 class.  Driven from the
 * scope's units, each counted from declarations_authority_queue_by_unit,
 * and the person read only when the filter names one: counting the scope's
 * records through the queue's index instead checked every pending record of
 * the province against its unit and account (郑州's 4,022 of 17,607 at the
 * authority's step: 138,773 buffers, 155 ms; this way 5,368, 6 ms).
 */
DB_STMT(authority_queue_count_stmt,
    "SELECT count(*) FROM (SELECT 1 FROM units u CROSS JOIN LATERAL"
    " (SELECT 1 FROM declarations d WHERE d.unit_code = u.code"
    "  AND d.state = 'pending' AND d.review_step = 'authority'"
    "  AND" DECL_YEAR_IS_2
    "  AND ($3::text IS NULL OR d.form_code = $3)"
    "  AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM accounts a WHERE a.id = d.account_id"
    "   AND (strpos(a.name, $4) > 0 OR starts_with(a.id_number::text, upper($4)))))"
    "  AND ($7::bigint IS NULL OR d.class_id = $7::bigint)) x"
    " WHERE " RPC_SCOPE_COVERS("u.region", "$1")
    " AND ($6::text IS NULL OR u.code = $6)"
    " LIMIT $5) c");

static int
authority_queue(struct rpc_call *call)
{
	struct decl_queue q;
	const char *unit = rpc_param_text(call, "unit");
	char count_limit[16];
	json_t *items, *item;
	PGresult *res;
	long long total;
	int n, c = DECL_ROW_NCOLUMNS;

	if (decl_queue_filters(call, &q) != 0)
		return -1;
	if (unit != NULL && (strlen(unit) > 32 ||
	    strspn(unit, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") !=
	    strlen(unit)))
		return rpc_fail(call, RPC_INVALID_PARAMS, "unit_filter_invalid", "unit", NULL);
	const char *params[9] = { call->session->scope_region, q.year[0] ? q.year : NULL,
	    q.form, q.person, call->page.fetch, call->page.key[0], call->page.key[1], unit,
	    q.class_id[0] ? q.class_id : NULL };
	if ((res = db_exec(call->db, &authority_queue_stmt, 9, params)) == NULL)
		return rpc_fail_page(call);
	n = rpc_page_rows(call, res);
	items = json_array();
	for (int r = 0; r < n; r++) {
		item = decl_row(res, r, call->session->lang, ACTIONS_DECLARATION_REVIEW);
		json_object_set_new(item, "person", json_pack("{s:o, s:s, s:s}",
		    "account_id", rpc_column_integer(res, r, c + 1), "name", PQgetvalue(res, r, c + 2),
		    "id_number", PQgetvalue(res, r, c + 3)));
		json_object_set_new(item, "unit", rpc_column_coded(res, r, c + 4, c + 5));
		json_array_append_new(items, item);
	}
	call->result = json_pack("{s:o, s:o}", "items", items, "next",
	    rpc_page_next(call, res, c, 0));
	PQclear(res);
	if (call->page.after)
		return 0;
	snprintf(count_limit, sizeof count_limit, "%d", DECL_COUNT_MAX + 1);
	const char *counting[7] = { params[0], params[1], params[2], params[3], count_limit,
	    unit, params[8] };
	if ((res = db_exec(call->db, &authority_queue_count_stmt, 7, counting)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	total = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	json_object_set_new(call->result, "pending_total",
	    json_integer(total > DECL_COUNT_MAX ? DECL_COUNT_MAX : total));
	json_object_set_new(call->result, "pending_total_capped",
	    json_boolean(total > DECL_COUNT_MAX));
	return 0;
}

/*
 * What the authority may read: a record of its scope that reached its step
 * (pending there, or decided there), not a draft.  $1 the record, $2 the
 * scope; d and u are the record and its unit.
 */
#define AUTHORITY_SEES \
	" d.state <> 'draft' AND d.review_step = 'authority'" \
	" AND " RPC_SCOPE_COVERS("u.region", "$2")

/* authority.declaration: as review.declaration, for a record the authority sees. */
static int
authority_declaration(struct rpc_call *call)
{
	DB_STMT(authority_detail_stmt, DECL_DETAIL_SELECT " WHERE d.id = $1 AND" AUTHORITY_SEES);
	long long id = 0;
	char id_text[24];
	const char *params[2] = { id_text, call->session->scope_region };
	json_t *class;

	rpc_param_int(call, "id", &id);
	snprintf(id_text, sizeof id_text, "%lld", id);
	if (decl_show(call, call->db, &authority_detail_stmt, params, "authority") != 0)
		return -1;
	if (json_is_object(class = json_object_get(call->result, "class")))
		return decl_class_attachment_meta(call, class);
	return 0;
}

/*
 * A slice of the file st finds ($1 the id in param, $2 the scope, $3 $4
 * the slice): the reply of authority.attachment and .class_attachment.
 */
static int
authority_slice(struct rpc_call *call, struct db_stmt *st, const char *param)
{
	struct decl_slice sl;
	long long id = 0;
	char id_text[24];
	PGresult *res;

	rpc_param_int(call, param, &id);
	decl_slice_params(call, &sl);
	snprintf(id_text, sizeof id_text, "%lld", id);
	const char *params[4] = { id_text, call->session->scope_region, sl.offset_text,
	    sl.length_text };
	if ((res = db_exec(call->db, st, 4, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	return decl_slice_reply(call, res, &sl, param, id, param);
}

/* authority.attachment: as attachment.get, of a record authority.declaration shows. */
static int
authority_attachment(struct rpc_call *call)
{
	DB_STMT(authority_attachment_stmt,
	    "SELECT a.name, a.mime, a.size, a.sha256,"
	    " substring(a.data FROM $3::int + 1 FOR $4::int)"
	    " FROM attachments a"
	    " JOIN declarations d ON d.id = a.declaration_id AND d.year = a.year"
	    " JOIN units u ON u.code = d.unit_code WHERE a.id = $1 AND" AUTHORITY_SEES);

	return authority_slice(call, &authority_attachment_stmt, "attachment_id");
}

/*
 * authority.class_attachment: as review.class_attachment, of a base class
 * that has a record the authority sees.
 */
static int
authority_class_attachment(struct rpc_call *call)
{
	DB_STMT(authority_class_attachment_stmt,
	    "SELECT x.name, x.mime, x.size, x.sha256,"
	    " substring(x.data FROM $3::int + 1 FOR $4::int)"
	    " FROM base_class_attachments x WHERE x.class_id = $1"
	    " AND EXISTS (SELECT 1 FROM declarations d JOIN units u ON u.code = d.unit_code"
	    "  WHERE d.class_id = x.class_id AND" AUTHORITY_SEES ")");

	return authority_slice(call, &authority_class_attachment_stmt, "class_id");
}
#undef AUTHORITY_SEES

/* ---- the table ------------------------------------------------------------------- */

static const struct rpc_param content_params[] = {
	{ "id", T_INTEGER, false },
	{ "version", T_INTEGER, false },
	{ "form", T_STRING, false },
	{ "year", T_INTEGER, false },
	{ "amount", T_NUMBER | T_STRING, false },
	{ "fields", T_OBJECT | T_NULL, false },
	{ "attachment_token", T_STRING, false },
	{ "remove_attachment", T_BOOLEAN, false },
	{ NULL, 0, false },
};

static const struct rpc_param id_params[] = {
	{ "id", T_INTEGER, true },
	{ NULL, 0, false },
};

static const struct rpc_param list_params[] = {
	RPC_PAGE_PARAMS,
	{ "state", T_STRING | T_NULL, false },
	{ NULL, 0, false },
};

static const struct rpc_param attachment_get_params[] = {
	{ "attachment_id", T_INTEGER, true },
	{ "offset", T_INTEGER, false, 0, 0x7fffffffLL, "offset_invalid" },
	{ "length", T_INTEGER, false, 1, ATTACHMENT_CHUNK_MAX, "length_invalid" },
	{ NULL, 0, false },
};

static const struct rpc_param queue_params[] = {
	RPC_PAGE_PARAMS,
	{ "year", T_INTEGER | T_NULL, false },
	{ "form", T_STRING | T_NULL, false },
	{ "person", T_STRING | T_NULL, false, 1, DECL_PERSON_MAX, "filter_invalid" },
	{ "class_id", T_INTEGER | T_NULL, false },
	{ NULL, 0, false },
};

static const struct rpc_param class_attachment_params[] = {
	{ "class_id", T_INTEGER, true },
	{ "offset", T_INTEGER, false, 0, 0x7fffffffLL, "offset_invalid" },
	{ "length", T_INTEGER, false, 1, ATTACHMENT_CHUNK_MAX, "length_invalid" },
	{ NULL, 0, false },
};

static const struct rpc_param authority_queue_params[] = {
	RPC_PAGE_PARAMS,
	{ "year", T_INTEGER | T_NULL, false },
	{ "form", T_STRING | T_NULL, false },
	{ "unit", T_STRING | T_NULL, false },
	{ "person", T_STRING | T_NULL, false, 1, DECL_PERSON_MAX, "filter_invalid" },
	{ "class_id", T_INTEGER | T_NULL, false },
	{ NULL, 0, false },
};

static const struct rpc_param decide_class_params[] = {
	{ "class_id", T_INTEGER, true },
	{ "decision", T_STRING, true },
	{ "reason", T_STRING, false },
	{ NULL, 0, false },
};

const struct rpc_method rpc_declarations_methods[] = {
	{ "forms.list", NULL, ROLE_USER, false, decl_forms_list, .db = RPC_DB },
	{ "declaration.save", content_params, ROLE_STAFF, false, decl_save, .db = RPC_DB },
	{ "declaration.submit", content_params, ROLE_STAFF, false, decl_submit, .db = RPC_DB },
	{ "declaration.withdraw", id_params, ROLE_STAFF, false, decl_withdraw, .db = RPC_DB },
	{ "declaration.delete", id_params, ROLE_STAFF, false, decl_delete, .db = RPC_DB },
	{ "declaration.revise", id_params, ROLE_STAFF, false, decl_revise, .db = RPC_DB },
	{ "declaration.list", list_params, ROLE_STAFF, false, decl_list, .db = RPC_DB,
	    .page = { DECL_LIST_LIMIT, RPC_CURSOR_TIME } },
	{ "declaration.get", id_params, ROLE_STAFF, false, decl_get, .db = RPC_DB },
	{ "attachment.get", attachment_get_params, ROLE_USER, false, decl_attachment_get,
	    .db = RPC_DB_UNIT_ADMIN },
	{ "review.declarations", queue_params, ROLE_UNIT_ADMIN, false, decl_queue,
	    .db = RPC_DB_UNIT_ADMIN, .page = { DECL_QUEUE_LIMIT, RPC_CURSOR_TIME } },
	{ "review.declaration", id_params, ROLE_UNIT_ADMIN, false, decl_review_get,
	    .db = RPC_DB_UNIT_ADMIN },
	DECIDE_METHODS(decl_kind, "review.approve_declarations",
	    "review.reject_declarations"),
	{ "review.decide_class", decide_class_params, ROLE_UNIT_ADMIN, false, decl_decide_class,
	    .db = RPC_DB_UNIT_ADMIN },
	{ "review.class_attachment", class_attachment_params, ROLE_UNIT_ADMIN, false,
	    decl_class_attachment_get, .db = RPC_DB_UNIT_ADMIN },
	{ NULL, NULL, 0, false, NULL },
};

/* The authority's review (role authority; its scope checked at every call). */
const struct rpc_method rpc_authority_review_methods[] = {
	{ "authority.declarations", authority_queue_params, ROLE_AUTHORITY, false,
	    authority_queue, .db = RPC_DB_AUTHORITY,
	    .page = { DECL_QUEUE_LIMIT, RPC_CURSOR_TIME } },
	{ "authority.declaration", id_params, ROLE_AUTHORITY, false, authority_declaration,
	    .db = RPC_DB_AUTHORITY },
	{ "authority.attachment", attachment_get_params, ROLE_AUTHORITY, false,
	    authority_attachment, .db = RPC_DB_AUTHORITY },
	{ "authority.class_attachment", class_attachment_params, ROLE_AUTHORITY, false,
	    authority_class_attachment, .db = RPC_DB_AUTHORITY },
	DECIDE_AUTHORITY_METHODS(decl_kind, "authority.approve_declarations",
	    "authority.reject_declarations"),
	{ "authority.decide_class", decide_class_params, ROLE_AUTHORITY, false,
	    decl_decide_class, .db = RPC_DB_AUTHORITY },
	{ NULL, NULL, 0, false, NULL },
};
