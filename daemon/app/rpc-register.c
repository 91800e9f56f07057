/*
 * rpc-register.c - account.register: a staff member applies for an account
 * (注册), or corrects and resubmits a rejected or withdrawn application.
 *
 * Every rule is decided here, whatever the client checked already.  Every
 * field is checked and the one reply lists every problem (data.errors), in
 * the order of the registration form, so that its message, reason word and
 * field name the first thing on the form a person got wrong.  An application is stored together with its
 * audit row by one statement, so neither exists without the other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "messages.h"
#include "passwords.h"
#include "rpc.h"
#include "session.h"
#include "text.h"
#include "validate-account.h"
#include "xmalloc.h"

/* One application, checked; the strings point into the params or are owned copies. */
struct registration {
	struct idnum_info id;
	const char	*password;
	const char	*phone;
	const char	*email;
	const char	*unit;
	long long	 department_id;
	bool		 has_department;	/* department_id was given */
	char		*name;		/* trimmed copy */
	int		 sex;		/* enum sex */
	char		 birth_date[11];	/* YYYY-MM-DD */
	const char	*ethnicity;
	char		*native_place;	/* trimmed copy, NULL when not given */
	char		*school;	/* trimmed copy, NULL when not given */
	const char	*major;		/* NULL when not given */
	long long	 title_id;
	bool		 has_title;	/* title_id was given */
	const char	*education;	/* NULL when not given */
};

static void
register_free(struct registration *r)
{
	free(r->name);
	free(r->native_place);
	free(r->school);
}

/* An optional string parameter: NULL when absent, null or blank. Caller frees. */
static char *
register_optional_text(struct rpc_call *call, const char *name)
{
	char *s = account_trim(rpc_param_string(call, name));

	if (s != NULL && *s == '\0') {
		free(s);
		s = NULL;
	}
	return s;
}

/* An optional code parameter: NULL when absent, null or empty. */
static const char *
register_optional_code(struct rpc_call *call, const char *name)
{
	const char *s = rpc_param_string(call, name);

	return s != NULL && *s != '\0' ? s : NULL;
}

/* A required text parameter: NULL (after noting "required") when absent or blank. */
static const char *
register_required(struct rpc_call *call, const char *name)
{
	const char *s = rpc_param_string(call, name);
	char *trimmed = account_trim(s);
	bool blank = trimmed == NULL || *trimmed == '\0';

	free(trimmed);
	if (blank) {
		rpc_problem_required(call, name);
		return NULL;
	}
	return s;
}

/* Read the application in call's params into *r, unchecked. */
static void
register_read(struct rpc_call *call, struct registration *r)
{
	r->password = rpc_param_string(call, "password");
	r->phone = rpc_param_string(call, "phone");
	r->email = rpc_param_string(call, "email");
	r->unit = register_optional_code(call, "unit");
	r->has_department = rpc_param_int(call, "department_id", &r->department_id);
	r->name = account_trim(rpc_param_string(call, "name"));
	r->ethnicity = register_optional_code(call, "ethnicity");
	r->native_place = register_optional_text(call, "native_place");
	r->school = register_optional_text(call, "school");
	r->major = register_optional_code(call, "major");
	r->has_title = rpc_param_int(call, "title_id", &r->title_id);
	r->education = register_optional_code(call, "education_level");
}

/*
 * The ID number, the password and the contact, noting every problem with
 * rpc_problem.  Returns whether the ID number is valid (r->id filled).
 */
static bool
register_check_login(struct rpc_call *call, struct registration *r)
{
	const char *id_number, *confirm, *reason;
	bool id_ok = false;

	if ((id_number = register_required(call, "id_number")) != NULL) {
		reason = account_idnum_reason(idnum_check(id_number, 0, &r->id));
		if (reason != NULL)
			rpc_problem(call, reason, "id_number", NULL);
		id_ok = reason == NULL;
	}
	/* The phone may still be malformed here; it is only searched for. */
	if (r->password == NULL || *r->password == '\0')
		rpc_problem_required(call, "password");
	else if ((reason = password_check(r->password, id_ok ? r->id.normalized : id_number,
	    r->phone)) != NULL)
		rpc_problem(call, reason, "password", NULL);
	if ((confirm = rpc_param_string(call, "password_confirm")) == NULL || *confirm == '\0')
		rpc_problem_required(call, "password_confirm");
	else if (r->password != NULL && *r->password != '\0' && strcmp(r->password, confirm) != 0)
		rpc_problem(call, "password_mismatch", "password_confirm", NULL);
	if (register_required(call, "phone") != NULL &&
	    (reason = account_check_phone(r->phone)) != NULL)
		rpc_problem(call, reason, "phone", NULL);
	if (register_required(call, "email") != NULL &&
	    (reason = account_check_email(r->email)) != NULL)
		rpc_problem(call, reason, "email", NULL);
	return id_ok;
}

/*
 * Name, sex and birth date, the last two as the ID number says when it is
 * valid (id_ok), noting every problem.
 */
static void
register_check_person(struct rpc_call *call, struct registration *r, bool id_ok)
{
	const char *sex = rpc_param_string(call, "sex");
	const char *birth;
	const char *reason;
	int y, m, d;

	if (r->name == NULL || *r->name == '\0')
		rpc_problem_required(call, "name");
	else if ((reason = account_check_name(r->name)) != NULL)
		rpc_problem(call, reason, "name", NULL);
	if (sex == NULL || *sex == '\0') {
		rpc_problem_required(call, "sex");
	} else if (strcmp(sex, "male") != 0 && strcmp(sex, "female") != 0) {
		rpc_problem(call, "sex_invalid", "sex", NULL);
	} else {
		r->sex = strcmp(sex, "male") == 0 ? SEX_MALE : SEX_FEMALE;
		if (id_ok && r->sex != (int)r->id.sex)
			rpc_problem(call, "sex_mismatch", "sex", NULL);
	}
	if ((birth = register_required(call, "birth_date")) == NULL)
		return;
	if (!date_valid(birth, &y, &m, &d))
		rpc_problem(call, "birth_date_invalid", "birth_date", NULL);
	else if (id_ok && (y != r->id.year || m != r->id.month || d != r->id.day))
		rpc_problem(call, "birth_date_mismatch", "birth_date", NULL);
	else
		snprintf(r->birth_date, sizeof r->birth_date, "%04d-%02d-%02d", y, m, d);
}

/* The rest of the form, in its order (refs looked up), noting every problem. */
static void
register_check_details(struct rpc_call *call, const struct registration *r,
    const struct account_refs *refs)
{
	const char *reason;

	if (r->ethnicity == NULL)
		rpc_problem_required(call, "ethnicity");
	else if (!refs->known[ACCOUNT_REF_ETHNICITY])
		rpc_problem(call, "ethnicity_unknown", "ethnicity", NULL);
	if (r->native_place != NULL && (reason = account_check_text(r->native_place)) != NULL)
		rpc_problem(call, reason, "native_place", NULL);
	if (r->school != NULL && (reason = account_check_text(r->school)) != NULL)
		rpc_problem(call, reason, "school", NULL);
	if (!refs->known[ACCOUNT_REF_MAJOR])
		rpc_problem(call, "major_unknown", "major", NULL);
	if (!refs->known[ACCOUNT_REF_TITLE])
		rpc_problem(call, "title_unknown", "title_id", NULL);
	if (!refs->known[ACCOUNT_REF_EDUCATION])
		rpc_problem(call, "education_unknown", "education_level", NULL);
}

/*
 * Read and check the application in call's params into *r.  Every field
 * is checked, so that one reply names every problem of the form, in the
 * form's order (the first is the reply's message, data.reason and
 * data.field).  Returns 0, or -1 after rpc_fail.  *r is to be freed with
 * register_free either way.  The rules themselves are validate-account.c's,
 * shared with profile edits.
 */
static int
register_check(struct rpc_call *call, struct registration *r)
{
	struct account_refs refs = { 0 };
	struct db_conn *db;
	bool id_ok;

	register_read(call, r);
	id_ok = register_check_login(call, r);
	refs.unit = r->unit;
	refs.department_id = r->department_id;
	refs.has_department = r->unit != NULL && r->has_department;
	refs.ethnicity = r->ethnicity;
	refs.major = r->major;
	refs.title_id = r->title_id;
	refs.has_title = r->has_title;
	refs.education = r->education;
	if ((db = rpc_db(call)) == NULL)
		return -1;
	if (account_refs_look_up(db, &refs) != 0)
		return rpc_fail_internal(call, db_error_text(db));
	if (r->unit == NULL)
		rpc_problem_required(call, "unit");
	else if (!refs.known[ACCOUNT_REF_UNIT])
		rpc_problem(call, "unit_unknown", "unit", NULL);
	if (!r->has_department)
		rpc_problem_required(call, "department_id");
	else if (refs.known[ACCOUNT_REF_UNIT] && r->unit != NULL &&
	    !refs.known[ACCOUNT_REF_DEPARTMENT])
		rpc_problem(call, "department_unknown", "department_id", NULL);
	register_check_person(call, r, id_ok);
	register_check_details(call, r, &refs);
	account_refs_free(&refs);
	return rpc_fail_problems(call, RPC_INVALID_INPUT);
}

/*
 * The parameters shared by the insert and the resubmission, from $2 on:
 * fills params[0..12] (buffers in num).
 */
static void
register_params(const struct registration *r, char num[3][24], const char **params)
{
	snprintf(num[0], 24, "%lld", r->department_id);
	snprintf(num[1], 24, "%d", r->sex);
	snprintf(num[2], 24, "%lld", r->title_id);
	params[0] = r->phone;
	params[1] = r->email;
	params[2] = r->unit;
	params[3] = num[0];
	params[4] = r->name;
	params[5] = num[1];
	params[6] = r->birth_date;
	params[7] = r->ethnicity;
	params[8] = r->native_place;
	params[9] = r->school;
	params[10] = r->major;
	params[11] = r->has_title ? num[2] : NULL;
	params[12] = r->education;
}

/*
 * Store a new application with its audit row, unless the ID number has
 * max_pending ($16) pending applications already; its id goes to id.
 * Returns 1 when stored, 0 when the limit was reached, -1 after rpc_fail.
 * Call in the transaction that holds register_lock.
 */
static int
register_insert(struct rpc_call *call, struct db_conn *db, const struct registration *r,
    const char *hash, const char *max_pending, char id[24])
{
	DB_STMT(register_insert_stmt,
	    "WITH ins AS ("
	    " INSERT INTO accounts (id_number, password_hash, phone, email, unit_code,"
	    "  department_id, name, sex, birth_date, ethnicity, native_place, school,"
	    "  major_code, title_id, education_level)"
	    " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15"
	    " WHERE (SELECT count(*) FROM accounts"
	    "  WHERE id_number = $1 AND state = 'pending') < $16::int"
	    " RETURNING id),"
	    " audit AS ("
	    " INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state)"
	    " SELECT id, id, 'register', NULL, 'pending' FROM ins)"
	    " SELECT id FROM ins");
	const char *params[16];
	char num[3][24];
	PGresult *res;
	int stored;

	params[0] = r->id.normalized;
	params[1] = hash;
	register_params(r, num, params + 2);
	params[15] = max_pending;
	if ((res = db_exec(db, &register_insert_stmt, 16, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	stored = PQntuples(res) == 1;
	if (stored)
		snprintf(id, 24, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return stored;
}

/*
 * Replace a rejected or withdrawn application by r, guarded by the state
 * and the password hash read before and by the limit of pending
 * applications ($18), with its audit row.  Returns 1 when done, 0 when the
 * account changed meanwhile or the limit was reached, -1 after rpc_fail.
 */
static int
register_resubmit(struct rpc_call *call, struct db_conn *db, const struct registration *r,
    const char *account_id, const char *state, const char *old_hash, const char *hash,
    const char *max_pending)
{
	DB_STMT(register_resubmit_stmt,
	    "WITH upd AS ("
	    " UPDATE accounts SET phone = $4, email = $5,"
	    "  unit_code = $6, department_id = $7, name = $8, sex = $9, birth_date = $10,"
	    "  ethnicity = $11, native_place = $12, school = $13, major_code = $14,"
	    "  title_id = $15, education_level = $16, password_hash = $17, state = 'pending',"
	    "  reject_reason = NULL, decided_by = NULL, decided_at = NULL,"
	    "  submitted_at = now(), updated_at = now(), version = version + 1"
	    " WHERE id = $1 AND state = $2 AND password_hash = $3"
	    "  AND (SELECT count(*) FROM accounts p"
	    "   WHERE p.id_number = accounts.id_number AND p.state = 'pending') < $18::int"
	    " RETURNING id),"
	    " audit AS ("
	    " INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state)"
	    " SELECT id, id, 'resubmit', $2, 'pending' FROM upd)"
	    " SELECT id FROM upd");
	const char *params[18];
	char num[3][24];
	PGresult *res;
	int done;

	params[0] = account_id;
	params[1] = state;
	params[2] = old_hash;
	register_params(r, num, params + 3);	/* $4..$16 */
	params[16] = hash;
	params[17] = max_pending;
	if ((res = db_exec(db, &register_resubmit_stmt, 18, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	done = PQntuples(res) == 1;
	PQclear(res);
	return done;
}

/* The applications of one ID number that its password may take over. */
struct register_previous {
	char	*account_id;
	char	*state;		/* rejected or withdrawn */
	char	*hash;
};

/*
 * Read the ID number's count of pending applications into *pending and
 * its newest rejected or withdrawn applications (at most limit) into
 * prev[] (*n of them).  Returns 0, or -1 after rpc_fail.
 */
static int
register_read_previous(struct rpc_call *call, struct db_conn *db, const char *id_number,
    const char *limit, struct register_previous *prev, int *n, int *pending)
{
	DB_STMT(register_previous_stmt,
	    "SELECT (SELECT count(*) FROM accounts WHERE id_number = $1 AND state = 'pending'),"
	    " p.id, p.state, p.password_hash"
	    " FROM (SELECT 1) one LEFT JOIN LATERAL ("
	    "  SELECT id, state, password_hash FROM accounts"
	    "  WHERE id_number = $1 AND state IN ('rejected', 'withdrawn')"
	    "  AND password_hash IS NOT NULL"
	    "  ORDER BY submitted_at DESC, id DESC LIMIT $2::int) p ON true");
	const char *params[2] = { id_number, limit };
	PGresult *res;

	*n = 0;
	if ((res = db_exec(db, &register_previous_stmt, 2, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	*pending = atoi(PQgetvalue(res, 0, 0));
	for (int i = 0; i < PQntuples(res) && !PQgetisnull(res, i, 1); i++) {
		prev[*n].account_id = xstrdup(PQgetvalue(res, i, 1));
		prev[*n].state = xstrdup(PQgetvalue(res, i, 2));
		prev[*n].hash = xstrdup(PQgetvalue(res, i, 3));
		(*n)++;
	}
	PQclear(res);
	return 0;
}

/* The "applications_limit" error, naming the limit. Returns -1. */
static int
register_fail_limit(struct rpc_call *call, int limit)
{
	char *message = xasprintf(message_get(call->session->lang, "applications_limit"),
	    limit);

	rpc_fail(call, RPC_INVALID_INPUT, "applications_limit", "id_number", message);
	free(message);
	return -1;
}

/*
 * account.register: see docs/protocol.md.  An ID number never blocks a
 * registration: whoever knows the password of one of its rejected or
 * withdrawn applications replaces that one (a correction), anyone else
 * adds an application of their own, which the unit administrators review
 * with the others in sight (rpc-review.c) -- also when the ID number has
 * an active account, since the one who registered it first may not be
 * its owner.  Only the number of pending applications per ID number is
 * bounded (security.max_pending_applications): the residual risk is that
 * strangers may fill that many places until the administrators decide.
 */
static int
register_account(struct rpc_call *call)
{
	const struct config *cfg = call->cfg;
	struct registration r = { 0 };
	struct register_previous prev[21] = { { 0 } };	/* config.c: limit <= 20 */
	struct db_conn *db;
	char *hash = NULL, new_id[24], limit[16];
	int rc = -1, stored, n_prev = 0, pending = 0, match = -1;

	if (register_check(call, &r) != 0)
		goto out;
	if ((db = rpc_db(call)) == NULL)
		goto out;
	snprintf(limit, sizeof limit, "%d", cfg->max_pending_applications);
	if (register_read_previous(call, db, r.id.normalized, limit, prev, &n_prev,
	    &pending) != 0)
		goto out;
	if (pending >= cfg->max_pending_applications) {
		register_fail_limit(call, cfg->max_pending_applications);
		goto out;
	}
	/* Hashing follows (tens of ms, queued): the pool gets the connection back meanwhile. */
	db_release(call->db);
	call->db = NULL;

	for (int i = 0; i < n_prev && match < 0; i++) {
		if (password_verify(prev[i].hash, r.password))
			match = i;
	}
	if ((hash = password_hash(r.password)) == NULL) {
		rpc_fail_internal(call, "cannot hash a password");
		goto out;
	}
	if ((db = rpc_db(call)) == NULL)
		goto out;
	/* Concurrent registrations of one ID number take turns, so the limit holds. */
	if (!db_begin(db) || auth_lock_id_number(db, r.id.normalized) != 0) {
		rpc_fail_internal(call, db_error_text(db));
		goto out;
	}
	if (match < 0)
		stored = register_insert(call, db, &r, hash, limit, new_id);
	else
		stored = register_resubmit(call, db, &r, prev[match].account_id,
		    prev[match].state, prev[match].hash, hash, limit);
	if (stored < 0)
		goto out;
	if (!db_commit(db)) {
		rpc_fail_internal(call, db_error_text(db));
		goto out;
	}
	if (stored == 0) {
		/* Others applied meanwhile (or this one changed): the limit is the reason. */
		register_fail_limit(call, cfg->max_pending_applications);
		goto out;
	}
	log_info("session %lu: account %s %s for unit %s", call->session->serial,
	    match < 0 ? new_id : prev[match].account_id,
	    match < 0 ? "registered" : "resubmitted", r.unit);
	call->result = json_pack("{s:s, s:s}", "state", "pending",
	    "message", message_get(call->session->lang, "registration_submitted"));
	rc = 0;
out:
	password_free(hash);
	for (int i = 0; i < n_prev; i++) {
		free(prev[i].account_id);
		free(prev[i].state);
		password_free(prev[i].hash);
	}
	register_free(&r);
	return rc;
}

/*
 * The form's fields are not required here: an empty or missing one is a
 * problem of the form, noted by register_check with all the others.
 */
static const struct rpc_param register_params_decl[] = {
	{ "id_number", T_STRING, false },
	{ "password", T_STRING, false },
	{ "password_confirm", T_STRING, false },
	{ "phone", T_STRING, false },
	{ "email", T_STRING, false },
	{ "unit", T_STRING, false },
	{ "department_id", T_INTEGER, false },
	{ "name", T_STRING, false },
	{ "sex", T_STRING, false },
	{ "birth_date", T_STRING, false },
	{ "ethnicity", T_STRING, false },
	{ "native_place", T_STRING | T_NULL, false },
	{ "school", T_STRING | T_NULL, false },
	{ "major", T_STRING | T_NULL, false },
	{ "title_id", T_INTEGER | T_NULL, false },
	{ "education_level", T_STRING | T_NULL, false },
	{ NULL, 0, false },
};

const struct rpc_method rpc_register_methods[] = {
	{ "account.register", register_params_decl, ROLE_GUEST, false, register_account },
	{ NULL, NULL, 0, false, NULL },
};
