/*
 * rpc-register.c - account.register: a staff member applies for an account
 * (注册), or corrects and resubmits a rejected or withdrawn application.
 *
 * Every rule is decided here, whatever the client checked already.  The
 * rules run in the order of the registration form so that the one reply a
 * person gets (a reason word and the field at fault) names the first thing
 * on the form they got wrong.  An application is stored together with its
 * audit row by one statement, so neither exists without the other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "db.h"
#include "log.h"
#include "passwords.h"
#include "rpc.h"
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

/*
 * Read and check the application in call's params into *r, in the order of
 * the form.  Returns 0, or -1 after rpc_fail naming the first broken rule.
 * *r is to be freed with register_free either way.  The rules themselves
 * are validate-account.c's, shared with profile edits.
 */
static int
register_check(struct rpc_call *call, struct registration *r)
{
	const char *id_number = rpc_param_string(call, "id_number");
	const char *confirm = rpc_param_string(call, "password_confirm");
	const char *sex = rpc_param_string(call, "sex");
	const char *birth = rpc_param_string(call, "birth_date");
	const char *reason;
	struct account_refs refs = { 0 };
	struct db_conn *db;
	int y, m, d, rc = -1;

	r->password = rpc_param_string(call, "password");
	r->phone = rpc_param_string(call, "phone");
	r->email = rpc_param_string(call, "email");
	r->unit = rpc_param_string(call, "unit");
	rpc_param_int(call, "department_id", &r->department_id);
	r->name = account_trim(rpc_param_string(call, "name"));
	r->ethnicity = rpc_param_string(call, "ethnicity");
	r->native_place = register_optional_text(call, "native_place");
	r->school = register_optional_text(call, "school");
	r->major = register_optional_code(call, "major");
	r->has_title = rpc_param_int(call, "title_id", &r->title_id);
	r->education = register_optional_code(call, "education_level");

	if ((reason = account_idnum_reason(idnum_check(id_number, 0, &r->id))) != NULL)
		return rpc_fail(call, RPC_INVALID_INPUT, reason, "id_number", NULL);
	/* The phone may still be malformed here; it is only searched for. */
	if ((reason = password_check(r->password, r->id.normalized, r->phone)) != NULL)
		return rpc_fail(call, RPC_INVALID_INPUT, reason, "password", NULL);
	if (strcmp(r->password, confirm) != 0)
		return rpc_fail(call, RPC_INVALID_INPUT, "password_mismatch",
		    "password_confirm", NULL);
	if ((reason = account_check_phone(r->phone)) != NULL)
		return rpc_fail(call, RPC_INVALID_INPUT, reason, "phone", NULL);
	if ((reason = account_check_email(r->email)) != NULL)
		return rpc_fail(call, RPC_INVALID_INPUT, reason, "email", NULL);

	refs.unit = r->unit;
	refs.department_id = r->department_id;
	refs.has_department = true;
	refs.ethnicity = r->ethnicity;
	refs.major = r->major;
	refs.title_id = r->title_id;
	refs.has_title = r->has_title;
	refs.education = r->education;
	if ((db = rpc_db(call)) == NULL)
		return -1;
	if (account_refs_look_up(db, &refs) != 0)
		return rpc_fail_internal(call, db_error_text(db));
	if (!refs.known[ACCOUNT_REF_UNIT]) {
		rpc_fail(call, RPC_INVALID_INPUT, "unit_unknown", "unit", NULL);
		goto out;
	}
	if (!refs.known[ACCOUNT_REF_DEPARTMENT]) {
		rpc_fail(call, RPC_INVALID_INPUT, "department_unknown", "department_id", NULL);
		goto out;
	}

	if ((reason = account_check_name(r->name)) != NULL) {
		rpc_fail(call, RPC_INVALID_INPUT, reason, "name", NULL);
		goto out;
	}
	if (strcmp(sex, "male") != 0 && strcmp(sex, "female") != 0) {
		rpc_fail(call, RPC_INVALID_INPUT, "sex_invalid", "sex", NULL);
		goto out;
	}
	r->sex = strcmp(sex, "male") == 0 ? SEX_MALE : SEX_FEMALE;
	if (r->sex != (int)r->id.sex) {
		rpc_fail(call, RPC_INVALID_INPUT, "sex_mismatch", "sex", NULL);
		goto out;
	}
	if (!date_valid(birth, &y, &m, &d)) {
		rpc_fail(call, RPC_INVALID_INPUT, "birth_date_invalid", "birth_date", NULL);
		goto out;
	}
	if (y != r->id.year || m != r->id.month || d != r->id.day) {
		rpc_fail(call, RPC_INVALID_INPUT, "birth_date_mismatch", "birth_date", NULL);
		goto out;
	}
	snprintf(r->birth_date, sizeof r->birth_date, "%04d-%02d-%02d", y, m, d);
	if (!refs.known[ACCOUNT_REF_ETHNICITY]) {
		rpc_fail(call, RPC_INVALID_INPUT, "ethnicity_unknown", "ethnicity", NULL);
		goto out;
	}
	if (r->native_place != NULL &&
	    (reason = account_check_text(r->native_place)) != NULL) {
		rpc_fail(call, RPC_INVALID_INPUT, reason, "native_place", NULL);
		goto out;
	}
	if (r->school != NULL && (reason = account_check_text(r->school)) != NULL) {
		rpc_fail(call, RPC_INVALID_INPUT, reason, "school", NULL);
		goto out;
	}
	if (!refs.known[ACCOUNT_REF_MAJOR]) {
		rpc_fail(call, RPC_INVALID_INPUT, "major_unknown", "major", NULL);
		goto out;
	}
	if (!refs.known[ACCOUNT_REF_TITLE]) {
		rpc_fail(call, RPC_INVALID_INPUT, "title_unknown", "title_id", NULL);
		goto out;
	}
	if (!refs.known[ACCOUNT_REF_EDUCATION]) {
		rpc_fail(call, RPC_INVALID_INPUT, "education_unknown", "education_level", NULL);
		goto out;
	}
	rc = 0;
out:
	account_refs_free(&refs);
	return rc;
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
 * Store a new application with its audit row; its id goes to id.  Returns
 * 1 when stored, 0 when the ID number was taken meanwhile (a concurrent
 * registration won), -1 after rpc_fail.
 */
static int
register_insert(struct rpc_call *call, struct db_conn *db, const struct registration *r,
    const char *hash, char id[24])
{
	DB_STMT(register_insert_stmt,
	    "WITH ins AS ("
	    " INSERT INTO accounts (id_number, password_hash, phone, email, unit_code,"
	    "  department_id, name, sex, birth_date, ethnicity, native_place, school,"
	    "  major_code, title_id, education_level)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
	    " ON CONFLICT (id_number) DO NOTHING RETURNING id),"
	    " audit AS ("
	    " INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state)"
	    " SELECT id, id, 'register', NULL, 'pending' FROM ins)"
	    " SELECT id FROM ins");
	const char *params[15];
	char num[3][24];
	PGresult *res;
	int stored;

	params[0] = r->id.normalized;
	params[1] = hash;
	register_params(r, num, params + 2);
	if ((res = db_exec(db, &register_insert_stmt, 15, params)) == NULL) {
		if (strcmp(db_error_sqlstate(db), "23505") == 0)
			return 0;
		return rpc_fail_internal(call, db_error_text(db));
	}
	stored = PQntuples(res) == 1;
	if (stored)
		snprintf(id, 24, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return stored;
}

/*
 * Replace a rejected or withdrawn application by r, guarded by the state
 * and the password hash read before, with its audit row.  Returns 1 when
 * done, 0 when the account changed meanwhile, -1 after rpc_fail.
 */
static int
register_resubmit(struct rpc_call *call, struct db_conn *db, const struct registration *r,
    const char *account_id, const char *state, const char *old_hash, const char *hash)
{
	DB_STMT(register_resubmit_stmt,
	    "WITH upd AS ("
	    " UPDATE accounts SET phone = $4, email = $5,"
	    "  unit_code = $6, department_id = $7, name = $8, sex = $9, birth_date = $10,"
	    "  ethnicity = $11, native_place = $12, school = $13, major_code = $14,"
	    "  title_id = $15, education_level = $16, password_hash = $17, state = 'pending',"
	    "  reject_reason = NULL, decided_by = NULL, decided_at = NULL,"
	    "  submitted_at = now(), updated_at = now(), version = version + 1"
	    " WHERE id = $1 AND state = $2 AND password_hash = $3 RETURNING id),"
	    " audit AS ("
	    " INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state)"
	    " SELECT id, id, 'resubmit', $2, 'pending' FROM upd)"
	    " SELECT id FROM upd");
	const char *params[17];
	char num[3][24];
	PGresult *res;
	int done;

	params[0] = account_id;
	params[1] = state;
	params[2] = old_hash;
	register_params(r, num, params + 3);	/* $4..$16 */
	params[16] = hash;
	if ((res = db_exec(db, &register_resubmit_stmt, 17, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	done = PQntuples(res) == 1;
	PQclear(res);
	return done;
}

/*
 * account.register: see docs/protocol.md.  An ID number that has an
 * account is refused, except that a rejected or withdrawn application may
 * be replaced by whoever knows its password; a wrong password is counted
 * against the source address like a failed login, since the answer would
 * otherwise let anyone try passwords without limit.
 */
static int
register_account(struct rpc_call *call)
{
	DB_STMT(register_existing_stmt,
	    "SELECT id, state, password_hash FROM accounts WHERE id_number = $1");
	struct registration r = { 0 };
	struct db_conn *db;
	const char *params[1];
	PGresult *res;
	char *hash = NULL, *account_id = NULL, *state = NULL, *old_hash = NULL, new_id[24];
	int rc = -1, stored;

	if (register_check(call, &r) != 0)
		goto out;
	if ((db = rpc_db(call)) == NULL)
		goto out;

	params[0] = r.id.normalized;
	if ((res = db_exec(db, &register_existing_stmt, 1, params)) == NULL) {
		rpc_fail_internal(call, db_error_text(db));
		goto out;
	}
	if (PQntuples(res) == 1) {
		account_id = xstrdup(PQgetvalue(res, 0, 0));
		state = xstrdup(PQgetvalue(res, 0, 1));
		if (!PQgetisnull(res, 0, 2))
			old_hash = xstrdup(PQgetvalue(res, 0, 2));
	}
	PQclear(res);
	/* Hashing follows (tens of ms, queued): the pool gets the connection back meanwhile. */
	db_release(call->db);
	call->db = NULL;

	if (state != NULL && ((strcmp(state, "rejected") != 0 &&
	    strcmp(state, "withdrawn") != 0) || old_hash == NULL)) {
		rpc_fail(call, RPC_INVALID_INPUT, "id_number_taken", "id_number", NULL);
		goto out;
	}
	if (state != NULL) {
		if (!auth_source_allowed(call->session->source)) {
			rpc_fail(call, RPC_RATE_LIMITED, "rate_limited", NULL, NULL);
			goto out;
		}
		if (!password_verify(old_hash, r.password)) {
			auth_source_failed(call->session->source);
			rpc_fail(call, RPC_INVALID_INPUT, "id_number_taken", "id_number", NULL);
			goto out;
		}
	}
	if ((hash = password_hash(r.password)) == NULL) {
		rpc_fail_internal(call, "cannot hash a password");
		goto out;
	}
	if ((db = rpc_db(call)) == NULL)
		goto out;
	if (state == NULL)
		stored = register_insert(call, db, &r, hash, new_id);
	else
		stored = register_resubmit(call, db, &r, account_id, state, old_hash, hash);
	if (stored < 0)
		goto out;
	if (stored == 0) {
		rpc_fail(call, RPC_INVALID_INPUT, "id_number_taken", "id_number", NULL);
		goto out;
	}
	log_info("session %lu: account %s %s for unit %s", call->session->serial,
	    state == NULL ? new_id : account_id,
	    state == NULL ? "registered" : "resubmitted", r.unit);
	call->result = json_pack("{s:s, s:s}", "state", "pending",
	    "message", message_get(call->session->lang, "registration_submitted"));
	rc = 0;
out:
	free(hash);
	free(account_id);
	free(state);
	free(old_hash);
	register_free(&r);
	return rc;
}

static const struct rpc_param register_params_decl[] = {
	{ "id_number", T_STRING, true },
	{ "password", T_STRING, true },
	{ "password_confirm", T_STRING, true },
	{ "phone", T_STRING, true },
	{ "email", T_STRING, true },
	{ "unit", T_STRING, true },
	{ "department_id", T_INTEGER, true },
	{ "name", T_STRING, true },
	{ "sex", T_STRING, true },
	{ "birth_date", T_STRING, true },
	{ "ethnicity", T_STRING, true },
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
