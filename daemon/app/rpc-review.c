/*
 * rpc-review.c - the unit administrator's review of registrations (注册审核).
 *
 * An administrator sees and decides only the applications of their own
 * unit: every statement carries the session's unit code, so another
 * unit's application is "not found" whether or not it exists.  A decision
 * is one guarded UPDATE (WHERE state = 'pending') with its audit row in the
 * same statement; when two administrators decide one application at the
 * same moment exactly one UPDATE matches, and the other is told who won.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "auth.h"
#include "base-report.h"
#include "db.h"
#include "decide.h"
#include "log.h"
#include "notify.h"
#include "rpc.h"
#include "xmalloc.h"

#define REVIEW_FILTER_MAX	50	/* characters */
#define REVIEW_RETRIES		3	/* re-reads of an application that moved */

/*
 * The other applications and accounts of the same ID number, as a JSON
 * array text (NULL when none), for the column list of a statement on
 * accounts a.  Only what an administrator needs to see a claim: the unit,
 * the state and when -- no other unit's personal data.  Rejected and
 * withdrawn applications block nothing and are left out.
 */
#define REVIEW_CONFLICTS \
	"(SELECT json_agg(json_build_object('unit', json_build_object('code', o.unit_code," \
	"  'name', ou.name), 'state', o.state, 'submitted_at', " DB_ISO_TIME("o.submitted_at") \
	"  ) ORDER BY o.submitted_at DESC, o.id DESC)::text" \
	" FROM accounts o JOIN units ou ON ou.code = o.unit_code" \
	" WHERE o.id_number = a.id_number AND o.id <> a.id" \
	" AND o.state IN ('pending', 'active', 'disabled'))"

/* The conflicts column (REVIEW_CONFLICTS) as a JSON array; [] when none. */
static json_t *
review_conflicts(const PGresult *res, int row, int col)
{
	json_t *list = NULL;

	if (!PQgetisnull(res, row, col))
		list = json_loads(PQgetvalue(res, row, col), 0, NULL);
	if (json_is_array(list))
		return list;
	json_decref(list);
	return json_array();
}

/*
 * review.registrations: a page of the unit's pending applications, newest
 * first.  The statements walk the partial index accounts_review_queue
 * (unit_code, submitted_at DESC, id DESC WHERE state = 'pending'); the
 * filter is checked on the rows the index yields.  One row more than asked
 * tells whether a next page exists.
 */
static int
review_registrations(struct rpc_call *call)
{
#define REVIEW_QUEUE_SELECT \
	"SELECT a.id, a.id_number, a.name, a.sex, a.birth_date, d.name," \
	" " DB_ISO_TIME("a.submitted_at") ", a.submitted_at::text, " REVIEW_CONFLICTS \
	" FROM accounts a LEFT JOIN departments d ON d.id = a.department_id" \
	" WHERE a.unit_code = $1 AND a.state = 'pending'" \
	" AND ($2::text IS NULL OR strpos(a.name, $2) > 0" \
	"  OR starts_with(a.id_number::text, upper($2)))"
	DB_STMT(review_queue_stmt, REVIEW_QUEUE_SELECT
	    " ORDER BY a.submitted_at DESC, a.id DESC LIMIT $3");
	DB_STMT(review_queue_after_stmt, REVIEW_QUEUE_SELECT
	    " AND (a.submitted_at, a.id) < ($4::timestamptz, $5::bigint)"
	    " ORDER BY a.submitted_at DESC, a.id DESC LIMIT $3");
	DB_STMT(review_queue_count_stmt,
	    "SELECT count(*) FROM accounts a WHERE a.unit_code = $1 AND a.state = 'pending'"
	    " AND ($2::text IS NULL OR strpos(a.name, $2) > 0"
	    "  OR starts_with(a.id_number::text, upper($2)))");
#undef REVIEW_QUEUE_SELECT
	struct db_conn *db = call->db;
	const char *params[5] = { call->session->unit_code, rpc_param_text(call, "filter"),
	    call->page.fetch, call->page.key[0], call->page.key[1] };
	PGresult *res;
	json_t *items, *next;
	int r, n;

	res = db_exec(db, call->page.after ? &review_queue_after_stmt : &review_queue_stmt,
	    call->page.after ? 5 : 3, params);
	if (res == NULL)
		return rpc_fail_page(call);
	n = rpc_page_rows(call, res);
	items = json_array();
	for (r = 0; r < n; r++) {
		/* The queue's WHERE: every row is pending. */
		json_array_append_new(items, json_pack("{s:o, s:s, s:s, s:o, s:o, s:o, s:s, s:o,"
		    " s:o}",
		    "account_id", rpc_column_integer(res, r, 0),
		    "id_number", PQgetvalue(res, r, 1),
		    "name", PQgetvalue(res, r, 2),
		    "sex", rpc_column_sex(res, r, 3),
		    "birth_date", rpc_column_text(res, r, 4),
		    "department", rpc_column_text(res, r, 5),
		    "submitted_at", PQgetvalue(res, r, 6),
		    "conflicts", review_conflicts(res, r, 8),
		    "actions", actions_for(ACTIONS_REGISTRATION, "pending", NULL)));
	}
	next = rpc_page_next(call, res, 7, 0);
	PQclear(res);

	if ((res = db_exec(db, &review_queue_count_stmt, 2, params)) == NULL) {
		json_decref(items);
		json_decref(next);
		return rpc_fail_internal(call, db_error_text(db));
	}
	call->result = json_pack("{s:o, s:o, s:I}", "items", items, "next", next,
	    "pending_total", (json_int_t)strtoll(PQgetvalue(res, 0, 0), NULL, 10));
	PQclear(res);
	return 0;
}

/* The audit history of account_id, oldest first, as a JSON array; NULL on failure. */
static json_t *
review_history(struct db_conn *db, const char *account_id)
{
	DB_STMT(review_history_stmt,
	    "SELECT au.action, au.from_state, au.to_state, au.reason,"
	    " " DB_ISO_TIME("au.at") ", x.name"
	    " FROM account_audit au LEFT JOIN accounts x ON x.id = au.actor_id"
	    " WHERE au.account_id = $1 ORDER BY au.at, au.id");
	const char *params[1] = { account_id };
	PGresult *res;
	json_t *history;

	if ((res = db_exec(db, &review_history_stmt, 1, params)) == NULL)
		return NULL;
	history = json_array();
	for (int r = 0; r < PQntuples(res); r++) {
		json_array_append_new(history, json_pack("{s:s, s:o, s:o, s:o, s:s, s:o}",
		    "action", PQgetvalue(res, r, 0),
		    "from_state", rpc_column_text(res, r, 1),
		    "to_state", rpc_column_text(res, r, 2),
		    "reason", rpc_column_text(res, r, 3),
		    "at", PQgetvalue(res, r, 4),
		    "actor", rpc_column_person(res, r, 5)));
	}
	PQclear(res);
	return history;
}

/*
 * review.registration: one application of the own unit with every field,
 * codes resolved to names, and its history.  Any other account is
 * not_found, the same answer as for an id that does not exist.
 */
static int
review_registration(struct rpc_call *call)
{
	DB_STMT(review_detail_stmt,
	    "SELECT a.id, a.id_number, a.name, a.sex, a.birth_date, a.phone, a.email,"
	    " a.unit_code, u.name, a.department_id, d.name, a.ethnicity, e.name,"
	    " a.native_place, a.school, a.major_code, m.name, a.title_id, t.series,"
	    " t.level, t.name, a.education_level, el.name, a.state, a.reject_reason,"
	    " " DB_ISO_TIME("a.submitted_at") ", " DB_ISO_TIME("a.decided_at") ", dec.name,"
	    " " DB_ISO_TIME("a.created_at") ", " REVIEW_CONFLICTS
	    " FROM accounts a JOIN units u ON u.code = a.unit_code"
	    " LEFT JOIN departments d ON d.id = a.department_id"
	    " LEFT JOIN ethnicities e ON e.code = a.ethnicity"
	    " LEFT JOIN majors m ON m.code = a.major_code"
	    " LEFT JOIN titles t ON t.id = a.title_id"
	    " LEFT JOIN education_levels el ON el.code = a.education_level"
	    " LEFT JOIN accounts dec ON dec.id = a.decided_by"
	    " WHERE a.id = $1 AND a.unit_code = $2 AND a.role = 'staff'");
	char id_text[24];
	PGresult *res;
	json_t *title, *history, *department;

	if ((res = rpc_unit_row(call, &review_detail_stmt, "account_id", NULL, id_text)) == NULL)
		return -1;
	if ((history = review_history(call->db, id_text)) == NULL) {
		PQclear(res);
		return rpc_fail_internal(call, db_error_text(call->db));
	}
	title = PQgetisnull(res, 0, 17) ? json_null() :
	    json_pack("{s:o, s:o, s:o, s:o}", "id", rpc_column_integer(res, 0, 17),
	    "series", rpc_column_text(res, 0, 18), "level", rpc_column_text(res, 0, 19),
	    "name", rpc_column_text(res, 0, 20));
	department = PQgetisnull(res, 0, 9) ? json_null() :
	    json_pack("{s:o, s:o}", "id", rpc_column_integer(res, 0, 9),
	    "name", rpc_column_text(res, 0, 10));
	call->result = json_pack("{s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
	    " s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:s, s:o, s:o, s:s, s:o, s:o, s:o}",
	    "account_id", rpc_column_integer(res, 0, 0),
	    "id_number", PQgetvalue(res, 0, 1),
	    "name", PQgetvalue(res, 0, 2),
	    "sex", rpc_column_sex(res, 0, 3),
	    "birth_date", rpc_column_text(res, 0, 4),
	    "phone", rpc_column_text(res, 0, 5),
	    "email", rpc_column_text(res, 0, 6),
	    "unit", rpc_column_coded(res, 0, 7, 8),
	    "department", department,
	    "ethnicity", rpc_column_coded(res, 0, 11, 12),
	    "native_place", rpc_column_text(res, 0, 13),
	    "school", rpc_column_text(res, 0, 14),
	    "major", rpc_column_coded(res, 0, 15, 16),
	    "title", title,
	    "education_level", rpc_column_coded(res, 0, 21, 22),
	    "state", PQgetvalue(res, 0, 23),
	    "reject_reason", rpc_column_text(res, 0, 24),
	    "submitted_at", PQgetvalue(res, 0, 25),
	    "decided_at", rpc_column_text(res, 0, 26),
	    "decided_by", rpc_column_person(res, 0, 27),
	    "created_at", PQgetvalue(res, 0, 28),
	    "history", history,
	    "conflicts", review_conflicts(res, 0, 29),
	    "actions", actions_for(ACTIONS_REGISTRATION, PQgetvalue(res, 0, 23), NULL));
	PQclear(res);
	return 0;
}

/* What approving one application came to. */
enum review_outcome {
	REVIEW_DONE, REVIEW_NOT_FOUND, REVIEW_ADMIN_ID, REVIEW_ERROR
};

/* Stored reasons (shown to the applicant, like an administrator's reason). */
#define REVIEW_SUPERSEDED	"另一份申请已通过"
#define REVIEW_CLAIMED		"同一身份证号的另一份注册申请已通过审核，此账号停用"

/* The claims an approval settles ($1 the ID number, $2 the account, $3 the actor). */
DB_STMT(review_disable_claimed_stmt,
    "WITH old AS ("
    " UPDATE accounts SET state = 'disabled', updated_at = now(), version = version + 1"
    " WHERE id_number = $1 AND state = 'active' AND role = 'staff' AND id <> $2"
    " RETURNING id),"
    " audit AS ("
    " INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state,"
    "  reason)"
    " SELECT id, $3, 'disable', 'active', 'disabled', $4 FROM old)"
    /* Other jxjyd on this database end their sessions of it (notify.h). */
    " SELECT id, pg_notify('" NOTIFY_CHANNEL "', 'end ' || id || ' ' || $5::text)"
    " FROM old");
DB_STMT(review_supersede_stmt,
    "WITH sup AS ("
    " UPDATE accounts SET state = 'rejected', reject_reason = $4, decided_at = now(),"
    "  decided_by = NULL, updated_at = now(), version = version + 1"
    " WHERE id_number = $1 AND state = 'pending' AND id <> $2"
    " RETURNING id),"
    " audit AS ("
    " INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state,"
    "  reason)"
    " SELECT id, $3, 'supersede', 'pending', 'rejected', $4 FROM sup)"
    " SELECT count(*) FROM sup");

/* What settling an approval did, for the log and the sessions to end. */
struct review_settled {
	int64_t	*ended;		/* accounts disabled */
	int	 n_ended;
	int	 superseded;	/* other applications rejected */
	int	 claimed;	/* rows of training bases' reports claimed */
};

/*
 * Inside the approval's transaction, under the ID number's lock: disable
 * the active staff accounts of id_number but the application's own, make
 * the application active, reject the other pending applications.  params
 * as review_approve_one's.  Returns REVIEW_DONE, REVIEW_NOT_FOUND or
 * REVIEW_ERROR; *out is filled (caller frees out->ended).
 */
static enum review_outcome
review_settle(struct db_conn *db, const char *const *params, const char *id_number,
    const struct config *cfg, struct review_settled *out)
{
	DB_STMT(review_activate_stmt,
	    "WITH upd AS ("
	    " UPDATE accounts SET state = 'active', decided_by = $3, decided_at = now(),"
	    "  reject_reason = NULL, updated_at = now(), version = version + 1"
	    " WHERE id = $1 AND unit_code = $2 AND role = 'staff' AND state = 'pending'"
	    " RETURNING id),"
	    " audit AS ("
	    " INSERT INTO account_audit (account_id, actor_id, action, from_state,"
	    "  to_state)"
	    " SELECT id, $3, 'approve', 'pending', 'active' FROM upd)"
	    " SELECT id FROM upd");
	const char *claimed[5] = { id_number, params[0], params[3], REVIEW_CLAIMED,
	    notify_instance() };
	const char *activate[3] = { params[0], params[1], params[3] };
	const char *supersede[4] = { id_number, params[0], params[3], REVIEW_SUPERSEDED };
	PGresult *res;
	bool found;

	if ((res = db_exec(db, &review_disable_claimed_stmt, 5, claimed)) == NULL)
		return REVIEW_ERROR;
	out->n_ended = PQntuples(res);
	out->ended = xcalloc(out->n_ended + 1, sizeof *out->ended);
	for (int i = 0; i < out->n_ended; i++)
		out->ended[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
	PQclear(res);
	if ((res = db_exec(db, &review_activate_stmt, 3, activate)) == NULL)
		return REVIEW_ERROR;
	found = PQntuples(res) == 1;	/* cannot fail: locked FOR UPDATE before */
	PQclear(res);
	if (!found)
		return REVIEW_NOT_FOUND;
	if ((res = db_exec(db, &review_supersede_stmt, 4, supersede)) == NULL)
		return REVIEW_ERROR;
	out->superseded = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	/* The person's rows in training bases' reports become their records. */
	if ((out->claimed = base_report_claim(db, params[0], cfg)) < 0)
		return REVIEW_ERROR;
	return REVIEW_DONE;
}

/*
 * Approve one application, settling its ID number's claims in the same
 * transaction, under the ID number's lock (auth_lock_id_number) so that two
 * approvals of one ID number take turns:
 *  - an active staff account of that ID number (anyone's, any unit: a
 *    claim the administrator has judged) is disabled, audited, and its
 *    sessions end on every jxjyd (the pg_notify of account.change_password);
 *  - the application becomes active;
 *  - every other pending application of the ID number is rejected with
 *    the reason REVIEW_SUPERSEDED, audited;
 *  - the unclaimed rows of training bases' reported classes with the ID
 *    number become the person's records when their name is the account's
 *    (base_report_claim; under the configuration in force).
 * An active unit administrator's account (jxjyd.conf) is never disabled
 * this way: REVIEW_ADMIN_ID.  params: $1 account id, $2 unit, $4 actor.
 * Returns REVIEW_DONE, REVIEW_NOT_FOUND when the application is not
 * pending in the unit (the caller reads why), REVIEW_ADMIN_ID or
 * REVIEW_ERROR.
 */
static enum review_outcome
review_approve_one(struct db_conn *db, const char *const *params, const struct config *cfg)
{
	DB_STMT(review_pending_stmt,
	    "SELECT id_number FROM accounts"
	    " WHERE id = $1 AND unit_code = $2 AND role = 'staff' AND state = 'pending'");
	DB_STMT(review_pending_lock_stmt,
	    "SELECT (SELECT count(*) FROM accounts o WHERE o.id_number = a.id_number"
	    "  AND o.state = 'active' AND o.role = 'unit_admin')"
	    " FROM accounts a"
	    " WHERE id = $1 AND unit_code = $2 AND role = 'staff' AND state = 'pending'"
	    " FOR UPDATE");
	struct review_settled settled = { NULL, 0, 0, 0 };
	enum review_outcome outcome = REVIEW_ERROR;
	char *id_number = NULL;
	PGresult *res;

	if ((res = db_exec(db, &review_pending_stmt, 2, params)) == NULL)
		return REVIEW_ERROR;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return REVIEW_NOT_FOUND;
	}
	id_number = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);

	if (!db_begin(db) || auth_lock_id_number(db, id_number) != 0)
		goto out;
	/* Read again under the lock: another approval may have settled it meanwhile. */
	if ((res = db_exec(db, &review_pending_lock_stmt, 2, params)) == NULL)
		goto out;
	if (PQntuples(res) != 1)
		outcome = REVIEW_NOT_FOUND;
	else if (strcmp(PQgetvalue(res, 0, 0), "0") != 0)
		outcome = REVIEW_ADMIN_ID;
	else
		outcome = review_settle(db, params, id_number, cfg, &settled);
	PQclear(res);
	if (outcome == REVIEW_DONE && !db_commit(db))
		outcome = REVIEW_ERROR;
	if (outcome != REVIEW_DONE)
		goto out;
	for (int i = 0; i < settled.n_ended; i++) {
		int n = sessions_end_account(settled.ended[i], NULL);

		log_info("review: account %lld disabled: the ID number's application %s "
		    "was approved; %d sessions ended", (long long)settled.ended[i], params[0], n);
	}
	if (settled.superseded > 0)
		log_info("review: %d other applications of account %s's ID number rejected",
		    settled.superseded, params[0]);
	if (settled.claimed > 0)
		log_info("review: account %s claimed %d rows of training bases' reports",
		    params[0], settled.claimed);
out:
	if (outcome != REVIEW_DONE)
		db_rollback(db);
	free(id_number);
	free(settled.ended);
	return outcome;
}

/*
 * Decide one application (decide_fn): the guarded UPDATE and its audit row
 * as one statement (so one transaction); an approval settles the ID
 * number's claims (review_approve_one).  When it matched nothing, read
 * why: not ours (or no such id), or decided already, and by whom -- the
 * deciding administrator, or for a withdrawal the last actor of its
 * history.  The loser of a race reads after the winner committed, since
 * its UPDATE waited for the winner's row lock.
 */
static enum decide_outcome
review_decide_one(const struct decision *d, long long account_id, json_t **item)
{
	DB_STMT(review_decide_stmt,
	    "WITH upd AS ("
	    " UPDATE accounts SET state = $3, decided_by = $4, decided_at = now(),"
	    "  reject_reason = $5, updated_at = now(), version = version + 1"
	    " WHERE id = $1 AND unit_code = $2 AND role = 'staff' AND state = 'pending'"
	    " RETURNING id),"
	    " audit AS ("
	    " INSERT INTO account_audit (account_id, actor_id, action, from_state,"
	    "  to_state, reason)"
	    " SELECT id, $4, $6, 'pending', $3, $5 FROM upd)"
	    " SELECT id FROM upd");
	DB_STMT(review_decided_stmt,
	    "SELECT a.state, COALESCE(dec.name, last.name),"
	    " " DB_ISO_TIME("COALESCE(a.decided_at, last.at)")
	    " FROM accounts a LEFT JOIN accounts dec ON dec.id = a.decided_by"
	    " LEFT JOIN LATERAL (SELECT x.name, au.at FROM account_audit au"
	    "  LEFT JOIN accounts x ON x.id = au.actor_id"
	    "  WHERE au.account_id = a.id ORDER BY au.at DESC, au.id DESC LIMIT 1) last"
	    "  ON true"
	    " WHERE a.id = $1 AND a.unit_code = $2 AND a.role = 'staff'");
	char id[24];
	const char *params[6] = { id, d->unit, d->to_state, d->actor, d->reason, d->action };
	PGresult *res;
	bool done;

	snprintf(id, sizeof id, "%lld", account_id);
	for (int attempt = 0; attempt < REVIEW_RETRIES; attempt++) {
		if (strcmp(d->to_state, "active") == 0) {
			enum review_outcome approved = review_approve_one(d->db, params, d->cfg);

			if (approved == REVIEW_ERROR)
				return DECIDE_ERROR;
			if (approved == REVIEW_ADMIN_ID) {
				*item = decide_missed(d, account_id, "id_number_admin");
				return DECIDE_NOT_DONE;
			}
			done = approved == REVIEW_DONE;
		} else {
			if ((res = db_exec(d->db, &review_decide_stmt, 6, params)) == NULL)
				return DECIDE_ERROR;
			done = PQntuples(res) == 1;
			PQclear(res);
		}
		if (done) {
			*item = decide_done(d, account_id);
			return DECIDE_DONE;
		}
		if ((res = db_exec(d->db, &review_decided_stmt, 2, params)) == NULL)
			return DECIDE_ERROR;
		if (PQntuples(res) == 0) {
			PQclear(res);
			*item = decide_missed(d, account_id, "not_found");
			return DECIDE_NOT_DONE;
		}
		if (strcmp(PQgetvalue(res, 0, 0), "pending") != 0) {
			*item = decide_decided_before(d, account_id, res, NULL);
			PQclear(res);
			return DECIDE_NOT_DONE;
		}
		/* Pending again (resubmitted in between): try once more. */
		PQclear(res);
	}
	*item = decide_missed(d, account_id, "already_decided");
	return DECIDE_NOT_DONE;
}

static const struct decide_kind review_kind = {
	DECIDE_PARAMS("account_ids", NULL),
	.key = "account_id", .approved = "active", .what = "applications",
	.decide = review_decide_one,
};

static const struct rpc_param registrations_params[] = {
	RPC_PAGE_PARAMS,
	{ "filter", T_STRING | T_NULL, false, 1, REVIEW_FILTER_MAX, "filter_invalid" },
	{ NULL, 0, false },
};

static const struct rpc_param registration_params[] = {
	{ "account_id", T_INTEGER, true },
	{ NULL, 0, false },
};

const struct rpc_method rpc_review_methods[] = {
	{ "review.registrations", registrations_params, ROLE_UNIT_ADMIN, false,
	    review_registrations, .db = RPC_DB_UNIT_ADMIN,
	    .page = { 50, RPC_CURSOR_TIME } },
	{ "review.registration", registration_params, ROLE_UNIT_ADMIN, false,
	    review_registration, .db = RPC_DB_UNIT_ADMIN },
	DECIDE_METHODS(review_kind, "review.approve_registrations",
	    "review.reject_registrations"),
	{ NULL, NULL, 0, false, NULL },
};
