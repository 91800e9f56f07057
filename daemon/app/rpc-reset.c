/*
 * rpc-reset.c - forgotten passwords: the unit administrator's reset.
 *
 *	review.reset_password	unit_admin	{account_id} -> {code, expires_at, ...}
 *
 * A person who forgot the password goes to their unit's administrator (本单位
 * 人员).  The administrator resets it and reads the one-time code it gives
 * aloud, by phone or in person: sixteen characters of an alphabet without
 * look-alikes (no 0/O, 1/I/L), shown in four groups of four, about 79 bits
 * of entropy.  The code is shown once, in the reply; the database keeps
 * only its Argon2id hash, in place of the password, so the old password
 * stops working at once.  It is good for security.reset_code_minutes.
 *
 * The same statement sets must_change_password, audits the reset and tells
 * every jxjyd to end the person's sessions (notify.h); this daemon ends its
 * own.  A login with the code succeeds as the role ROLE_PASSWORD_CHANGE:
 * the dispatcher then serves only what names that role (whoami, logout,
 * the password change, keys.list) until account.change_password clears
 * the flag.  SSH key logins of the account are refused meanwhile
 * (ssh-auth.c): the person decides at the change which keys stay.
 *
 * Only active staff of the administrator's own unit can be reset, never
 * another administrator: administrators come from jxjyd.conf, and their
 * way back in is the system administrator's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "messages.h"
#include "notify.h"
#include "passwords.h"
#include "reset.h"
#include "rpc.h"
#include "session.h"
#include "xmalloc.h"

/* Digits and capitals that cannot be mistaken for one another when read or typed. */
static const char reset_alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

#define RESET_CODE_CHARS	16
#define RESET_CODE_GROUP	4

/*
 * The code as hashed (RESET_CODE_CHARS capitals and digits) from text as a
 * person may type it: any case, groups apart or not.  NULL when text does
 * not have a code's shape.  Caller frees.
 */
static char *
reset_code_canonical(const char *text)
{
	char *out = xmalloc(RESET_CODE_CHARS + 1);
	size_t n = 0;

	for (const char *p = text; *p != '\0'; p++) {
		char c = *p;

		if (c == ' ' || c == '-' || c == '\t')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (n == RESET_CODE_CHARS || strchr(reset_alphabet, c) == NULL) {
			free(out);
			return NULL;
		}
		out[n++] = c;
	}
	if (n != RESET_CODE_CHARS) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	return out;
}

int
reset_login_begin(struct rpc_call *call, const char *id_number, const char *password,
    struct reset_login *rl)
{
	DB_STMT(reset_login_stmt,
	    "SELECT must_change_password, coalesce(reset_expires_at <= now(), false)"
	    " FROM accounts WHERE id_number = upper($1)::bpchar");
	const char *params[1] = { id_number };
	struct db_conn *db;
	PGresult *r;

	memset(rl, 0, sizeof *rl);
	if ((db = rpc_db(call)) == NULL)
		return -1;
	if ((r = db_exec(db, &reset_login_stmt, 1, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
		rl->must_change = true;
		rl->expired = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
		rl->code = reset_code_canonical(password);
	}
	PQclear(r);
	return 0;
}

void
reset_login_free(struct reset_login *rl)
{
	password_free(rl->code);
	memset(rl, 0, sizeof *rl);
}

/* A fresh code: canonical (hashed) in canonical, grouped (shown) in shown. */
static void
reset_code_new(char canonical[RESET_CODE_CHARS + 1],
    char shown[RESET_CODE_CHARS + RESET_CODE_CHARS / RESET_CODE_GROUP])
{
	size_t j = 0;

	for (size_t i = 0; i < RESET_CODE_CHARS; i++) {
		canonical[i] = reset_alphabet[randombytes_uniform(sizeof reset_alphabet - 1)];
		if (i > 0 && i % RESET_CODE_GROUP == 0)
			shown[j++] = '-';
		shown[j++] = canonical[i];
	}
	canonical[RESET_CODE_CHARS] = '\0';
	shown[j] = '\0';
}

/*
 * review.reset_password: the target is read first (no hash is spent on an
 * account that cannot be reset), hashed with no connection held, then
 * replaced by one statement guarded by everything that was checked.
 */
static int
review_reset_password(struct rpc_call *call)
{
	DB_STMT(reset_target_stmt,
	    "SELECT 1 FROM accounts WHERE id = $1 AND unit_code = $2 AND role = 'staff'"
	    " AND state = 'active'");
	DB_STMT(reset_stmt,
	    "WITH u AS ("
	    " UPDATE accounts SET password_hash = $3, must_change_password = true,"
	    "  reset_expires_at = now() + make_interval(mins => $4::int), updated_at = now()"
	    " WHERE id = $1 AND unit_code = $2 AND role = 'staff' AND state = 'active'"
	    " RETURNING id, state, reset_expires_at),"
	    " audit AS ("
	    " INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state,"
	    "  reason)"
	    " SELECT id, $5, 'password_reset', state, state,"
	    "  'one-time code valid until ' || " DB_ISO_TIME("reset_expires_at") " FROM u)"
	    " SELECT id, " DB_ISO_TIME("reset_expires_at") ","
	    /* Other jxjyd on this database end their sessions of the account (notify.h). */
	    " pg_notify('" NOTIFY_CHANNEL "', 'end ' || id || ' ' || $6::text) FROM u");
	struct session *s = call->session;
	struct db_conn *db;
	long long target = 0;
	char id[24], admin[24], minutes[16];
	char canonical[RESET_CODE_CHARS + 1];
	char shown[RESET_CODE_CHARS + RESET_CODE_CHARS / RESET_CODE_GROUP];
	char *hash = NULL;
	PGresult *r = NULL;
	int ended, n, rc = -1;

	rpc_param_int(call, "account_id", &target);
	snprintf(id, sizeof id, "%lld", target);
	snprintf(admin, sizeof admin, "%lld", (long long)s->account_id);
	snprintf(minutes, sizeof minutes, "%d", call->cfg->reset_code_minutes);
	db = call->db;	/* checked: RPC_DB_UNIT_ADMIN */
	const char *target_params[2] = { id, s->unit_code };
	if ((r = db_exec(db, &reset_target_stmt, 2, target_params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	n = PQntuples(r);
	PQclear(r);
	r = NULL;
	/* Another unit's account, an administrator, gone: all the same answer. */
	if (n != 1)
		return rpc_fail(call, RPC_NOT_FOUND, "not_found", "account_id",
		    message_get(s->lang, "reset_not_found"));

	/* Hashing follows: give the connection back meanwhile (see auth.c). */
	db_release(call->db);
	call->db = NULL;
	reset_code_new(canonical, shown);
	if ((hash = password_hash(canonical)) == NULL) {
		rc = rpc_fail_internal(call, "cannot hash the reset code");
		goto out;
	}
	if ((db = rpc_db(call)) == NULL)
		goto out;
	const char *params[6] = { id, s->unit_code, hash, minutes, admin, notify_instance() };
	/* No row: disabled or moved while the code was hashed. */
	if ((r = rpc_exec_one(call, db, &reset_stmt, 6, params)) == NULL)
		goto out;
	ended = sessions_end_account(target, NULL);
	/* Never the code: it is the person's password until they change it. */
	log_info("session %lu: administrator %s reset the password of account %s; "
	    "%d sessions ended", s->serial, admin, id, ended);
	call->result = json_pack("{s:I, s:s, s:s, s:i, s:i}",
	    "account_id", (json_int_t)target,
	    "code", shown,
	    "expires_at", PQgetvalue(r, 0, 1),
	    "valid_minutes", call->cfg->reset_code_minutes,
	    "ended_sessions", ended);
	rc = 0;
out:
	PQclear(r);
	sodium_memzero(canonical, sizeof canonical);
	sodium_memzero(shown, sizeof shown);
	password_free(hash);
	return rc;
}

static const struct rpc_param reset_params[] = {
	{ "account_id", T_INTEGER, true },
	{ NULL, 0, false },
};

const struct rpc_method rpc_reset_methods[] = {
	{ "review.reset_password", reset_params, ROLE_UNIT_ADMIN, false,
	    review_reset_password, .db = RPC_DB_UNIT_ADMIN },
	{ NULL, NULL, 0, false, NULL },
};
