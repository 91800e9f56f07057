/*
 * rpc-base-report.c - a training base's report of a class (基地学时申报)
 * and its corrections:
 *
 *	class.report	{id, version}		one record per claimed good row
 *	class.withdraw	{id}			the whole report taken back
 *	roster.change	{row_id, amount}	a reported row's hours changed
 *	roster.withdraw	{class_id, row_ids}	reported rows taken back
 *
 * Each runs for a base administrator (the dispatcher checks them still
 * active: RPC_DB_BASE_ADMIN) on a class of their own base (another base's
 * class is not_found, as one that does not exist).
 *
 * Reporting is one transaction: the class reported (guarded by its state
 * and version), a record per good claimed row (source 'base', the
 * person's unit when reported, the class's form, year, fields, amount or
 * the row's own), their audit rows (action 'report'), the totals and the
 * class's audit.  Unclaimed rows stay unclaimed until the person's
 * registration is approved (base-report.c).  The records start pending
 * (base_reports.review = "unit": the people's unit administrators decide
 * them) or approved ("none").
 *
 * Corrections hold while no record of the class has been decided by an
 * administrator (decided_by): the whole report back (its records deleted,
 * each with an 'unreport' audit row and its hours off the totals, the
 * class withdrawn), or a row's hours changed ('change').  After a
 * decision only rows whose records are still undecided may be withdrawn.
 * Records approved on report under "none" are undecided in this sense: no
 * one has judged them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base-report.h"
#include "bases.h"
#include "config.h"
#include "db.h"
#include "forms.h"
#include "log.h"
#include "messages.h"
#include "rpc.h"
#include "session.h"
#include "xmalloc.h"

#define REPORT_BAD_ROWS_SHOWN	50	/* bad rows named in one refusal */
#define REPORT_AMOUNT_MAX	1000	/* hours or credits of one row, as a declaration */
#define REPORT_ROWS_MAX		500	/* rows of one roster.withdraw, as row_ids_invalid says */

/* The class being reported or corrected, read under its row lock. */
struct report_class {
	char		 id[24];
	char		 state[16];
	char		 version[16];
	char		 form_code[40];
	char		*form_name;	/* owned */
	char		 year[8];
	char		 credit_hours[32];
	bool		 end_future;
	bool		 base_active;	/* listed in the bases file and not suspended */
	bool		 base_accredited;	/* by the authority (schema 018) */
};

static void
report_class_free(struct report_class *c)
{
	free(c->form_name);
	c->form_name = NULL;
}

/* The label of a class's state, in the session's language. */
static const char *
report_state_label(const struct rpc_call *call, const char *state)
{
	return rpc_label(call, "class_state", state);
}

/* The caller's base and account id (the actor of every change). */
static void
report_scope(struct rpc_call *call, char base[40], char actor[24])
{
	snprintf(base, 40, "%s", call->session->base_code);
	snprintf(actor, 24, "%lld", (long long)call->session->account_id);
}

/*
 * Lock and read class id of base (inside the caller's transaction) into
 * *c.  Returns 0, or -1 after rpc_fail: not_found (naming field) when the
 * base has no such class (or deleted it, as class.delete leaves a draft).
 */
static int
report_class_lock(struct rpc_call *call, const char *id, const char *base,
    const char *field, struct report_class *c)
{
	DB_STMT(report_class_stmt,
	    "SELECT c.state, c.version, c.form_code, lf.definition->>'name', c.year,"
	    " lf.definition->>'credit_hours', c.end_date > current_date,"
	    " b.active AND b.suspended_at IS NULL, b.accredited"
	    " FROM base_classes c JOIN bases b ON b.code = c.base_code"
	    " JOIN learning_forms lf ON lf.id = c.form_id"
	    " WHERE c.id = $1 AND c.base_code = $2 AND c.state <> 'deleted' FOR UPDATE OF c");
	const char *params[2] = { id, base };
	PGresult *res;

	memset(c, 0, sizeof *c);
	if ((res = db_exec(call->db, &report_class_stmt, 2, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	if (PQntuples(res) != 1) {
		PQclear(res);
		return rpc_fail_format(call, RPC_NOT_FOUND, "not_found", field,
		    message_field(call->session->lang, "class_id"), NULL);
	}
	snprintf(c->id, sizeof c->id, "%s", id);
	snprintf(c->state, sizeof c->state, "%s", PQgetvalue(res, 0, 0));
	snprintf(c->version, sizeof c->version, "%s", PQgetvalue(res, 0, 1));
	snprintf(c->form_code, sizeof c->form_code, "%s", PQgetvalue(res, 0, 2));
	c->form_name = xstrdup(PQgetvalue(res, 0, 3));
	snprintf(c->year, sizeof c->year, "%s", PQgetvalue(res, 0, 4));
	snprintf(c->credit_hours, sizeof c->credit_hours, "%s", PQgetvalue(res, 0, 5));
	c->end_future = strcmp(PQgetvalue(res, 0, 6), "t") == 0;
	c->base_active = strcmp(PQgetvalue(res, 0, 7), "t") == 0;
	c->base_accredited = strcmp(PQgetvalue(res, 0, 8), "t") == 0;
	PQclear(res);
	return 0;
}

/* The class is in another state than the operation needs: RPC_CONFLICT. Returns -1. */
static int
report_class_conflict(struct rpc_call *call, const char *state)
{
	const char *label = report_state_label(call, state);
	char *message = xasprintf(message_get(call->session->lang, "report_class_state"), label);

	rpc_fail(call, RPC_CONFLICT, "state_changed", "id", message);
	free(message);
	call->error_data = json_pack("{s:s, s:s}", "state", state, "state_label", label);
	return -1;
}

/*
 * Whether an administrator has decided a record of class id: 1 yes, 0 no,
 * -1 after rpc_fail.
 */
static int
report_class_decided(struct rpc_call *call, const char *id)
{
	DB_STMT(report_decided_stmt,
	    "SELECT EXISTS (SELECT 1 FROM declarations"
	    " WHERE class_id = $1 AND decided_by IS NOT NULL)");
	const char *params[1] = { id };
	PGresult *res;
	int decided;

	if ((res = db_exec(call->db, &report_decided_stmt, 1, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	decided = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return decided;
}

/*
 * Commit the caller's transaction, whose last statement gave res: res, or
 * NULL with res freed and the call failed when the commit did not happen.
 */
static PGresult *
report_commit(struct rpc_call *call, PGresult *res)
{
	if (db_commit(call->db))
		return res;
	PQclear(res);
	rpc_fail_internal(call, db_error_text(call->db));
	return NULL;
}

/*
 * Begin the transaction of a change of class id (its parameter field) by
 * the caller: the class locked and read into *c, in state (else
 * state_changed).  Returns 0, or -1 after rpc_fail; either way the caller
 * ends the transaction (db_rollback on failure).
 */
static int
report_open(struct rpc_call *call, const char *id, const char *field, const char *state,
    struct report_class *c)
{
	char base[40], actor[24];

	report_scope(call, base, actor);
	if (!db_begin(call->db))
		return rpc_fail_internal(call, db_error_text(call->db));
	if (report_class_lock(call, id, base, field, c) != 0)
		return -1;
	if (strcmp(c->state, state) != 0)
		return report_class_conflict(call, c->state);
	return 0;
}

/*
 * No record of class id decided by an administrator: 0; else -1 after
 * rpc_fail (report_class_decided, naming field).
 */
static int
report_undecided(struct rpc_call *call, const char *id, const char *field)
{
	int decided = report_class_decided(call, id);

	if (decided > 0)
		rpc_fail(call, RPC_CONFLICT, "report_class_decided", field, NULL);
	return decided != 0 ? -1 : 0;
}

/* ---- class.report ---------------------------------------------------------------- */

/*
 * Note every bad row of class id (at most REPORT_BAD_ROWS_SHOWN named, each
 * with its line, name and problem) and an empty roster.  Returns 0 or -1
 * after rpc_fail (the database).
 */
static int
report_roster_problems(struct rpc_call *call, const char *id)
{
	DB_STMT(report_bad_rows_stmt,
	    "SELECT coalesce(line::text, ''), name, problem,"
	    " count(*) OVER (), (SELECT count(*) FROM base_roster g"
	    "  WHERE g.class_id = $1 AND NOT g.withdrawn AND g.problem IS NULL)"
	    " FROM base_roster WHERE class_id = $1 AND NOT withdrawn AND problem IS NOT NULL"
	    " ORDER BY line NULLS LAST, id LIMIT $2");
	DB_STMT(report_good_rows_stmt,
	    "SELECT count(*) FROM base_roster"
	    " WHERE class_id = $1 AND NOT withdrawn AND problem IS NULL");
	enum lang lang = call->session->lang;
	char limit[16];
	const char *params[2] = { id, limit };
	PGresult *res;
	long long good, bad = 0;

	snprintf(limit, sizeof limit, "%d", REPORT_BAD_ROWS_SHOWN);
	if ((res = db_exec(call->db, &report_bad_rows_stmt, 2, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	for (int r = 0; r < PQntuples(res); r++) {
		const char *line = PQgetvalue(res, r, 0);
		char *text = xasprintf(message_get(lang, "report_bad_row"),
		    *line != '\0' ? line : "-", PQgetvalue(res, r, 1),
		    message_get(lang, PQgetvalue(res, r, 2)));

		rpc_problem(call, "report_bad_row", "roster", text);
		free(text);
		bad = strtoll(PQgetvalue(res, r, 3), NULL, 10);
	}
	PQclear(res);
	if (bad > 0)
		call->error_data = json_pack("{s:I}", "bad_rows", (json_int_t)bad);
	if ((res = db_exec(call->db, &report_good_rows_stmt, 1, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	good = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (good == 0 && bad == 0)
		rpc_problem(call, "report_roster_empty", "roster", NULL);
	return 0;
}

/*
 * The unclaimed rows of draft class $1 of base $3 whose person has
 * registered since the roster was checked (an active staff account with
 * the row's ID number): claimed when the names agree, else marked $2 (a
 * bad row, which keeps the class from being reported until the base
 * corrects it).  Its own transaction, before the report's: the marks stay
 * for the base to see when the report is refused for them.
 */
DB_STMT(report_settle_stmt,
    "UPDATE base_roster r SET"
    " account_id = CASE WHEN btrim(a.name) = btrim(r.name) THEN a.id END,"
    " problem = CASE WHEN btrim(a.name) = btrim(r.name) THEN NULL ELSE $2 END"
    " FROM accounts a"
    " WHERE r.class_id = $1 AND r.account_id IS NULL AND r.problem IS NULL"
    " AND NOT r.withdrawn AND a.id_number = r.id_number AND a.role = 'staff'"
    " AND a.state = 'active'"
    " AND EXISTS (SELECT 1 FROM base_classes c WHERE c.id = $1 AND c.base_code = $3"
    "  AND c.state = 'draft')");

/*
 * Note what keeps class c of base from being reported now, as a person
 * reads it: the base suspended, the form not among those it may report
 * (bases_forms: its own, or its kind's; checked at class.save too, and
 * again here as the config or the base may have changed since), the class
 * not over yet, its year out of the declarations window, the roster's bad
 * rows or none.  Returns 0 or -1 after rpc_fail (the database).
 */
static int
report_check(struct rpc_call *call, const struct report_class *c, const char *base)
{
	int now = db_year_now(), first = now - call->cfg->decl_years_back;
	int year = atoi(c->year);
	char range[48];
	json_t *forms;

	if ((forms = bases_forms(call->db, call->cfg, base)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	if (!c->base_active)
		rpc_problem(call, "report_base_inactive", NULL, NULL);
	if (!c->base_accredited)
		rpc_problem(call, "report_base_unaccredited", NULL, NULL);
	if (!bases_form_allowed(forms, c->form_code))
		rpc_problem_format(call, "report_form_not_allowed", "form", NULL, c->form_name);
	json_decref(forms);
	if (c->end_future)
		rpc_problem(call, "report_end_future", "end_date", NULL);
	if (year < first || year > now) {
		snprintf(range, sizeof range, "%d %s %d", first,
		    message_get(call->session->lang, "and"), now);
		rpc_problem_format(call, "year_invalid", "year", NULL, range);
	}
	return report_roster_problems(call, c->id);
}

/*
 * The report itself ($1 class, $2 actor, $3 version, $4 credit_hours, $5
 * the records' state, $6 their review chain): see the head of this file.
 */
DB_STMT(report_stmt,
    "WITH cls AS ("
    " UPDATE base_classes SET state = 'reported', reported_by = $2, reported_at = now(),"
    "  updated_at = now(), version = version + 1"
    " WHERE id = $1 AND state = 'draft' AND version = $3"
    " RETURNING id, form_id, form_code, year, amount, fields, version),"
    /*
     * Each good claimed row with its record's id drawn beforehand, so that the row is
     * pointed at its record by its primary key (a join of the new records back to the
     * roster by person is quadratic when the planner cannot see how many there are).
     */
    " src AS MATERIALIZED (SELECT r.id AS row_id,"
    "  nextval('declarations_id_seq') AS declaration_id, a.id AS account_id, a.unit_code,"
    "  coalesce(r.amount, cls.amount) AS amount"
    "  FROM cls JOIN base_roster r ON r.class_id = cls.id JOIN accounts a ON a.id = r.account_id"
    "  WHERE r.problem IS NULL AND NOT r.withdrawn),"
    " ins AS (INSERT INTO declarations (id, account_id, unit_code, form_id, form_code, year,"
    "  amount, hours, category, fields, state, source, class_id, submitted_at, decided_at,"
    "  review_chain, review_step)"
    "  SELECT src.declaration_id, src.account_id, src.unit_code, cls.form_id, cls.form_code,"
    "  cls.year, src.amount, round(src.amount * $4::numeric, 2),"
    "  lf.definition->>'category', cls.fields, $5::declaration_state, 'base', cls.id, now(),"
    "  CASE WHEN $5::declaration_state = 'approved' THEN now() END,"
    "  $6::text[], ($6::text[])[1]"
    "  FROM src, cls JOIN learning_forms lf ON lf.id = cls.form_id"
    "  RETURNING id, account_id, year, form_code, category, hours, state),"
    " claimed AS (UPDATE base_roster r SET declaration_id = src.declaration_id FROM src"
    "  WHERE r.id = src.row_id),"
    " audit AS (INSERT INTO declaration_audit (declaration_id, account_id, actor_id,"
    "  action, from_state, to_state) SELECT id, account_id, $2, 'report', NULL, state"
    "  FROM ins),"
    BASE_TOTALS_ADD("ins") ","
    " unclaimed AS (SELECT count(*) AS n FROM base_roster u WHERE u.class_id = $1"
    "  AND u.account_id IS NULL AND u.problem IS NULL AND NOT u.withdrawn),"
    " class_audit AS (INSERT INTO base_class_audit (class_id, actor_id, action, detail)"
    "  SELECT cls.id, $2, 'report', jsonb_build_object('records', (SELECT count(*) FROM ins),"
    "  'unclaimed', unclaimed.n, 'state', $5::text) FROM cls, unclaimed)"
    " SELECT cls.version, (SELECT count(*) FROM ins), unclaimed.n FROM cls, unclaimed");

/*
 * class.report for the base administrator actor: the class of their base,
 * a draft at the version the base last saw, checked (every problem at
 * once), then reported in one transaction.  Reply {id, state, version,
 * records, unclaimed, record_state}.
 */
static int
report_class(struct rpc_call *call)
{
	const char *record_state = base_report_initial_state(call->cfg->base_review);
	struct report_class c = { .form_name = NULL };
	long long id = 0, version = 0;
	char base[40], actor[24], id_text[24], version_text[24];
	PGresult *res;
	int rc = -1;

	rpc_param_int(call, "id", &id);
	rpc_param_int(call, "version", &version);
	snprintf(id_text, sizeof id_text, "%lld", id);
	snprintf(version_text, sizeof version_text, "%lld", version);
	report_scope(call, base, actor);
	const char *settle[3] = { id_text, BASE_CLAIM_NAME_MISMATCH, base };
	if ((res = db_exec(call->db, &report_settle_stmt, 3, settle)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	PQclear(res);
	if (report_open(call, id_text, "id", "draft", &c) != 0)
		goto out;
	if (strcmp(c.version, version_text) != 0) {
		call->error_data = json_pack("{s:i}", "version", atoi(c.version));
		rpc_fail_format(call, RPC_CONFLICT, "stale_version", "version", NULL, NULL);
		goto out;
	}
	if (report_check(call, &c, base) != 0 || rpc_fail_problems(call, RPC_INVALID_INPUT) != 0)
		goto out;
	const char *params[6] = { id_text, actor, version_text, c.credit_hours, record_state,
	    base_report_chain(call->cfg, c.form_code) };
	if ((res = rpc_exec_one(call, call->db, &report_stmt, 6, params)) == NULL)
		goto out;
	if ((res = report_commit(call, res)) == NULL)
		goto out;
	call->result = json_pack("{s:I, s:s, s:o, s:o, s:o, s:s}", "id", (json_int_t)id,
	    "state", "reported", "version", rpc_column_integer(res, 0, 0),
	    "records", rpc_column_integer(res, 0, 1), "unclaimed", rpc_column_integer(res, 0, 2),
	    "record_state", record_state);
	log_info("session %lu: base %s reported class %s: %s records (%s), %s unclaimed",
	    call->session->serial, base, id_text, PQgetvalue(res, 0, 1), record_state,
	    PQgetvalue(res, 0, 2));
	PQclear(res);
	rc = 0;
out:
	if (rc != 0)
		db_rollback(call->db);
	report_class_free(&c);
	return rc;
}

/* ---- corrections ----------------------------------------------------------------- */

/*
 * Take back the undecided records of class $1 (all of them, or those of
 * the ids in $3 when it is not NULL), actor $2: each deleted with its
 * 'unreport' audit row (the history stays: it is no foreign key) and its
 * hours off the totals.  Returns the number taken back.  The roster rows
 * must no longer point at them (report_unlink_stmt first).
 */
DB_STMT(report_unlink_stmt,
    "UPDATE base_roster SET declaration_id = NULL"
    " WHERE class_id = $1 AND declaration_id IS NOT NULL"
    " AND ($2::bigint[] IS NULL OR id = ANY ($2::bigint[]))");
DB_STMT(report_unreport_stmt,
    "WITH del AS (DELETE FROM declarations"
    " WHERE class_id = $1 AND decided_by IS NULL"
    " AND ($3::bigint[] IS NULL OR id = ANY ($3::bigint[]))"
    " RETURNING id, account_id, year, form_code, hours, state),"
    " audit AS (INSERT INTO declaration_audit (declaration_id, account_id, actor_id,"
    "  action, from_state, to_state) SELECT id, account_id, $2, 'unreport', state, NULL"
    "  FROM del),"
    " totals AS (UPDATE declaration_totals t"
    "  SET pending_hours = t.pending_hours - x.pending,"
    "  approved_hours = t.approved_hours - x.approved"
    "  FROM (SELECT account_id, year, form_code,"
    "   sum(CASE WHEN state = 'pending' THEN hours ELSE 0 END) AS pending,"
    "   sum(CASE WHEN state = 'approved' THEN hours ELSE 0 END) AS approved"
    "   FROM del GROUP BY account_id, year, form_code) x"
    "  WHERE t.account_id = x.account_id AND t.year = x.year AND t.form_code = x.form_code)"
    " SELECT count(*) FROM del");

/*
 * Take back the undecided records of class (those of rows, an array
 * literal, or all when NULL; decls the same for the records), as actor.
 * Returns the number taken back, or -1 after rpc_fail.
 */
static long long
report_take_back(struct rpc_call *call, const char *class, const char *rows,
    const char *decls, const char *actor)
{
	const char *unlink[2] = { class, rows };
	const char *unreport[3] = { class, actor, decls };
	PGresult *res;
	long long n;

	if ((res = db_exec(call->db, &report_unlink_stmt, 2, unlink)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	PQclear(res);
	if ((res = db_exec(call->db, &report_unreport_stmt, 3, unreport)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return n;
}

/*
 * class.withdraw: the whole report of a reported class taken back, while
 * no record of it is decided.  Its records go (report_unreport_stmt), its
 * rows stay as they were, the class becomes withdrawn.  Reply {id, state,
 * version, records}.
 */
static int
report_withdraw_class(struct rpc_call *call)
{
	DB_STMT(report_withdrawn_stmt,
	    "WITH cls AS (UPDATE base_classes SET state = 'withdrawn', updated_at = now(),"
	    "  version = version + 1 WHERE id = $1 AND state = 'reported' RETURNING id, version),"
	    " class_audit AS (INSERT INTO base_class_audit (class_id, actor_id, action, detail)"
	    "  SELECT id, $2, 'withdraw', jsonb_build_object('records', $3::int) FROM cls)"
	    " SELECT version FROM cls");
	struct report_class c = { .form_name = NULL };
	long long id = 0;
	char base[40], actor[24], id_text[24], records[24];
	PGresult *res;
	long long taken;
	int rc = -1;

	rpc_param_int(call, "id", &id);
	snprintf(id_text, sizeof id_text, "%lld", id);
	report_scope(call, base, actor);
	if (report_open(call, id_text, "id", "reported", &c) != 0 ||
	    report_undecided(call, id_text, "id") != 0)
		goto out;
	if ((taken = report_take_back(call, id_text, NULL, NULL, actor)) < 0)
		goto out;
	snprintf(records, sizeof records, "%lld", taken);
	/* A record decided meanwhile was not deleted: the report stays whole. */
	if (report_undecided(call, id_text, "id") != 0)
		goto out;
	const char *params[3] = { id_text, actor, records };
	if ((res = rpc_exec_one(call, call->db, &report_withdrawn_stmt, 3, params)) == NULL)
		goto out;
	if ((res = report_commit(call, res)) == NULL)
		goto out;
	call->result = json_pack("{s:I, s:s, s:o, s:I}", "id", (json_int_t)id,
	    "state", "withdrawn", "version", rpc_column_integer(res, 0, 0),
	    "records", (json_int_t)taken);
	PQclear(res);
	log_info("session %lu: base %s withdrew class %s: %s records taken back",
	    call->session->serial, base, id_text, records);
	rc = 0;
out:
	if (rc != 0)
		db_rollback(call->db);
	report_class_free(&c);
	return rc;
}

/*
 * roster.change: the hours (or credits) of a row of a reported class,
 * while no record of the class is decided; its record too when it has one
 * (amount, hours, totals, an audit row 'change' whose reason says from
 * what to what).  Reply {row_id, amount, declaration_id}.
 */
static int
report_change_row(struct rpc_call *call)
{
	DB_STMT(report_row_class_stmt,
	    "SELECT r.class_id, trim_scale(coalesce(r.amount, c.amount))::text FROM base_roster r"
	    " JOIN base_classes c ON c.id = r.class_id"
	    " WHERE r.id = $1 AND c.base_code = $2 AND NOT r.withdrawn");
	DB_STMT(report_row_change_stmt,
	    "WITH changed AS (UPDATE base_roster SET amount = $2 WHERE id = $1 AND NOT withdrawn"
	    "  RETURNING id, class_id, declaration_id),"
	    " old AS (SELECT d.id, d.hours FROM declarations d"
	    "  JOIN changed ON d.id = changed.declaration_id"
	    "  WHERE d.decided_by IS NULL FOR UPDATE OF d),"
	    " upd AS (UPDATE declarations d SET amount = $2,"
	    "  hours = round($2::numeric * $3::numeric, 2), updated_at = now(),"
	    "  version = d.version + 1 FROM old WHERE d.id = old.id"
	    "  RETURNING d.id, d.account_id, d.year, d.form_code, d.state, d.hours,"
	    "  old.hours AS old_hours),"
	    " audit AS (INSERT INTO declaration_audit (declaration_id, account_id, actor_id,"
	    "  action, from_state, to_state, reason)"
	    "  SELECT id, account_id, $4, 'change', state, state, $5 FROM upd),"
	    " totals AS (UPDATE declaration_totals t"
	    "  SET pending_hours = t.pending_hours"
	    "   + CASE WHEN upd.state = 'pending' THEN upd.hours - upd.old_hours ELSE 0 END,"
	    "  approved_hours = t.approved_hours"
	    "   + CASE WHEN upd.state = 'approved' THEN upd.hours - upd.old_hours ELSE 0 END"
	    "  FROM upd WHERE t.account_id = upd.account_id AND t.year = upd.year"
	    "  AND t.form_code = upd.form_code),"
	    " class_audit AS (INSERT INTO base_class_audit (class_id, actor_id, action, detail)"
	    "  SELECT class_id, $4, 'change_row', jsonb_build_object('row_id', id, 'from',"
	    "  $6::numeric, 'to', $2::numeric) FROM changed)"
	    " SELECT changed.declaration_id FROM changed");
	struct report_class c = { .form_name = NULL };
	json_t *amount_param = json_object_get(call->params, "amount");
	long long row_id = 0;
	char base[40], actor[24], row_text[24], amount[32], max[16], old[32], *reason = NULL;
	PGresult *res;
	double value = 0;
	int rc = -1;

	rpc_param_int(call, "row_id", &row_id);
	snprintf(row_text, sizeof row_text, "%lld", row_id);
	if (forms_decimal(amount_param, 2, amount, sizeof amount))
		value = strtod(amount, NULL);
	if (value <= 0 || value > REPORT_AMOUNT_MAX) {
		snprintf(max, sizeof max, "%d", REPORT_AMOUNT_MAX);
		return rpc_fail_format(call, RPC_INVALID_INPUT, "amount_invalid", "amount", NULL,
		    max);
	}
	report_scope(call, base, actor);
	if (!db_begin(call->db))
		return rpc_fail_internal(call, db_error_text(call->db));
	const char *row_params[2] = { row_text, base };
	if ((res = db_exec(call->db, &report_row_class_stmt, 2, row_params)) == NULL) {
		rpc_fail_internal(call, db_error_text(call->db));
		goto out;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		rpc_fail_format(call, RPC_NOT_FOUND, "not_found", "row_id", NULL, NULL);
		goto out;
	}
	char class_id[24];
	snprintf(class_id, sizeof class_id, "%s", PQgetvalue(res, 0, 0));
	snprintf(old, sizeof old, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	if (report_class_lock(call, class_id, base, "row_id", &c) != 0)
		goto out;
	if (strcmp(c.state, "reported") != 0) {
		report_class_conflict(call, c.state);
		goto out;
	}
	if (report_undecided(call, class_id, "row_id") != 0)
		goto out;
	reason = xasprintf("%s → %s", old, amount);
	const char *params[6] = { row_text, amount, c.credit_hours, actor, reason, old };
	if ((res = rpc_exec_one(call, call->db, &report_row_change_stmt, 6, params)) == NULL)
		goto out;
	if ((res = report_commit(call, res)) == NULL)
		goto out;
	call->result = json_pack("{s:I, s:s, s:o}", "row_id", (json_int_t)row_id,
	    "amount", amount, "declaration_id", rpc_column_integer(res, 0, 0));
	PQclear(res);
	rc = 0;
out:
	if (rc != 0)
		db_rollback(call->db);
	free(reason);
	report_class_free(&c);
	return rc;
}

/* row_ids as a PostgreSQL array literal. Caller frees. */
static char *
report_id_array(const json_t *ids)
{
	size_t i, len = 3;
	json_t *v;
	char *out;

	len += json_array_size(ids) * 21;
	out = xmalloc(len);
	strcpy(out, "{");
	json_array_foreach(ids, i, v) {
		size_t at = strlen(out);

		snprintf(out + at, len - at, "%s%lld", i > 0 ? "," : "",
		    (long long)json_integer_value(v));
	}
	strcat(out, "}");
	return out;
}

/*
 * Note the rows of ids that cannot be withdrawn: not a live row of the
 * class, or whose record an administrator has decided.  Returns 0 or -1
 * after rpc_fail (the database).
 */
static int
report_withdraw_rows_check(struct rpc_call *call, const char *class_id, const char *ids)
{
	DB_STMT(report_rows_stmt,
	    "SELECT x.id, r.id IS NOT NULL, coalesce(d.decided_by IS NOT NULL, false),"
	    " d.state, r.name"
	    " FROM unnest($2::bigint[]) AS x(id)"
	    " LEFT JOIN base_roster r ON r.id = x.id AND r.class_id = $1 AND NOT r.withdrawn"
	    " LEFT JOIN declarations d ON d.id = r.declaration_id"
	    " ORDER BY x.id");
	const char *params[2] = { class_id, ids };
	enum lang lang = call->session->lang;
	PGresult *res;

	if ((res = db_exec(call->db, &report_rows_stmt, 2, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	for (int r = 0; r < PQntuples(res); r++) {
		char *text;

		if (strcmp(PQgetvalue(res, r, 1), "t") != 0) {
			text = xasprintf(message_get(lang, "report_row_unknown"),
			    PQgetvalue(res, r, 0));
			rpc_problem(call, "report_row_unknown", "row_ids", text);
			free(text);
		} else if (strcmp(PQgetvalue(res, r, 2), "t") == 0) {
			text = xasprintf(message_get(lang, "report_row_decided"),
			    PQgetvalue(res, r, 4), rpc_label(call, "state", PQgetvalue(res, r, 3)));
			rpc_problem(call, "report_row_decided", "row_ids", text);
			free(text);
		}
	}
	PQclear(res);
	return 0;
}

/*
 * roster.withdraw: rows of a reported class taken back, with their records
 * (report_unreport_stmt); a row whose record is decided cannot be, and
 * then none is (every such row named).  Reply {class_id, withdrawn,
 * records}.
 */
static int
report_withdraw_rows(struct rpc_call *call)
{
	DB_STMT(report_rows_withdraw_stmt,
	    "WITH taken AS (UPDATE base_roster SET withdrawn = true"
	    "  WHERE class_id = $1 AND id = ANY ($2::bigint[]) AND NOT withdrawn RETURNING id),"
	    " class_audit AS (INSERT INTO base_class_audit (class_id, actor_id, action, detail)"
	    "  SELECT $1, $3, 'withdraw_row', jsonb_build_object('row_ids',"
	    "  (SELECT jsonb_agg(id ORDER BY id) FROM taken), 'records', $4::int))"
	    " SELECT count(*) FROM taken");
	DB_STMT(report_rows_records_stmt,
	    "SELECT coalesce(array_agg(declaration_id), '{}')::text, count(declaration_id)"
	    " FROM base_roster"
	    " WHERE class_id = $1 AND id = ANY ($2::bigint[]) AND declaration_id IS NOT NULL");
	struct report_class c = { .form_name = NULL };
	json_t *row_ids = json_object_get(call->params, "row_ids");
	long long class_id = 0;
	char base[40], actor[24], class_text[24], *ids = NULL, *decls = NULL, records[24];
	PGresult *res;
	long long expected = 0, taken;
	int rc = -1;

	rpc_param_int(call, "class_id", &class_id);
	snprintf(class_text, sizeof class_text, "%lld", class_id);
	report_scope(call, base, actor);
	ids = report_id_array(row_ids);
	if (report_open(call, class_text, "class_id", "reported", &c) != 0)
		goto out;
	if (report_withdraw_rows_check(call, class_text, ids) != 0 ||
	    rpc_fail_problems(call, RPC_INVALID_INPUT) != 0)
		goto out;
	const char *find[2] = { class_text, ids };
	if ((res = db_exec(call->db, &report_rows_records_stmt, 2, find)) == NULL) {
		rpc_fail_internal(call, db_error_text(call->db));
		goto out;
	}
	decls = xstrdup(PQgetvalue(res, 0, 0));
	expected = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	if ((taken = report_take_back(call, class_text, ids, decls, actor)) < 0)
		goto out;
	snprintf(records, sizeof records, "%lld", taken);
	const char *params[4] = { class_text, ids, actor, records };
	if ((res = db_exec(call->db, &report_rows_withdraw_stmt, 4, params)) == NULL) {
		rpc_fail_internal(call, db_error_text(call->db));
		goto out;
	}
	/* A record decided meanwhile was not deleted: then none is. */
	if (taken != expected) {
		PQclear(res);
		rpc_fail(call, RPC_CONFLICT, "report_class_decided", "row_ids", NULL);
		goto out;
	}
	if ((res = report_commit(call, res)) == NULL)
		goto out;
	call->result = json_pack("{s:I, s:o, s:I}", "class_id", (json_int_t)class_id,
	    "withdrawn", rpc_column_integer(res, 0, 0),
	    "records", (json_int_t)taken);
	PQclear(res);
	rc = 0;
out:
	if (rc != 0)
		db_rollback(call->db);
	free(ids);
	free(decls);
	report_class_free(&c);
	return rc;
}

/* ---- the table ------------------------------------------------------------------- */

static const struct rpc_param report_params[] = {
	{ "id", T_INTEGER, true },
	{ "version", T_INTEGER, true },
	{ NULL, 0, false },
};

static const struct rpc_param withdraw_class_params[] = {
	{ "id", T_INTEGER, true },
	{ NULL, 0, false },
};

static const struct rpc_param change_row_params[] = {
	{ "row_id", T_INTEGER, true },
	{ "amount", T_NUMBER | T_STRING, true },
	{ NULL, 0, false },
};

static const struct rpc_param withdraw_rows_params[] = {
	{ "class_id", T_INTEGER, true },
	{ "row_ids", T_ARRAY, true, 1, REPORT_ROWS_MAX, "row_ids_invalid" },
	{ NULL, 0, false },
};

const struct rpc_method rpc_base_report_methods[] = {
	{ "class.report", report_params, ROLE_BASE_ADMIN, false, report_class,
	    .db = RPC_DB_BASE_ADMIN },
	{ "class.withdraw", withdraw_class_params, ROLE_BASE_ADMIN, false, report_withdraw_class,
	    .db = RPC_DB_BASE_ADMIN },
	{ "roster.change", change_row_params, ROLE_BASE_ADMIN, false, report_change_row,
	    .db = RPC_DB_BASE_ADMIN },
	{ "roster.withdraw", withdraw_rows_params, ROLE_BASE_ADMIN, false, report_withdraw_rows,
	    .db = RPC_DB_BASE_ADMIN },
	{ NULL, NULL, 0, false, NULL },
};
