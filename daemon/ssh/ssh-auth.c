/*
 * ssh-auth.c - SSH-level authentication: the libssh callbacks that decide
 * who a connection is before any channel opens, with their own SQL.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "auth.h"
#include "db.h"
#include "log.h"
#include "connection.h"
#include "ssh-auth.h"
#include "xmalloc.h"

/*
 * SSH-level authentication.  Most people have no key: they get in at once
 * ("none") and prove who they are inside the application (ID number,
 * password, verification code).  A user name that is the ID number of an
 * active account with registered keys is asked for a key instead; if none
 * of the client's keys is registered, keyboard-interactive with no prompt
 * lets it in as a guest, so nobody ever sees "Permission denied".
 *
 * A key logs in only the account that has it and only when no other
 * account has it confirmed; the first valid signature by an unconfirmed
 * key confirms it (rpc-keys.c).  An account whose password an
 * administrator reset is asked for no key until the new password is set
 * (rpc-reset.c).  When the database cannot answer for an ID number, the
 * session is let in but marked auth_unavailable (session.h), so that every
 * request says "try again later" rather than serving a guest where a key
 * would have logged someone in.
 */
DB_STMT(auth_has_keys, "SELECT 1 FROM accounts a JOIN account_keys k ON k.account_id = a.id"
    " WHERE a.id_number = $1 AND a.state = 'active' AND NOT a.must_change_password"
    " LIMIT 1");
DB_STMT(auth_key_account, "SELECT a.id, a.role, a.unit_code, k.id, k.confirmed, a.base_code,"
    " a.scope_region"
    " FROM accounts a JOIN account_keys k ON k.account_id = a.id"
    " WHERE a.id_number = $1 AND a.state = 'active' AND NOT a.must_change_password"
    " AND k.key_type = $2 AND k.key_base64 = $3"
    " AND (k.confirmed OR NOT EXISTS (SELECT 1 FROM account_keys o"
    "  WHERE o.key_type = $2 AND o.key_base64 = $3 AND o.confirmed))");
/* The partial unique index refuses a second confirmation racing this one. */
DB_STMT(auth_key_confirm, "WITH k AS ("
    " UPDATE account_keys SET confirmed = true, confirmed_at = now()"
    " WHERE id = $1 AND NOT confirmed RETURNING account_id, fingerprint),"
    " audit AS (INSERT INTO account_audit (account_id, actor_id, action, reason)"
    " SELECT account_id, account_id, 'key_confirm', fingerprint FROM k)"
    " SELECT fingerprint FROM k");

/* The user name as an ID number (upper-case X), or "" when it is none. */
static void
session_user_id_number(const char *user, char out[19])
{
	size_t n = user ? strlen(user) : 0;

	out[0] = '\0';
	if (n != 18)
		return;
	for (size_t i = 0; i < 18; i++) {
		char c = user[i];

		if (c == 'x' && i == 17)
			c = 'X';
		if (!((c >= '0' && c <= '9') || (c == 'X' && i == 17))) {
			out[0] = '\0';
			return;
		}
		out[i] = c;
	}
	out[18] = '\0';
}

static void
session_auth_guest(struct connection *s, const char *user)
{
	free(s->session.ssh_user);
	s->session.ssh_user = xstrdup(user ? user : "");
	s->authenticated = true;
}

/* In, but every request answers "auth_unavailable" (id is an ID number: digits). */
static void
session_auth_unavailable(struct connection *s, const char *id)
{
	log_warning("session %lu: cannot check the SSH login of %s: the database is "
	    "unavailable; every request is refused", s->session.serial, id);
	session_auth_guest(s, id);
	s->session.auth_unavailable = true;
}

static int
session_auth_none(ssh_session ssh, const char *user, void *userdata)
{
	struct connection *s = userdata;
	char id[19];
	bool has_keys = false;

	session_user_id_number(user, id);
	if (id[0] != '\0') {
		struct db_conn *db = db_acquire(5000);
		const char *params[1] = { id };
		PGresult *r = NULL;

		if (db != NULL && (r = db_exec(db, &auth_has_keys, 1, params)) != NULL) {
			has_keys = PQntuples(r) > 0;
			PQclear(r);
		}
		db_release(db);
		if (r == NULL) {
			session_auth_unavailable(s, id);
			return SSH_AUTH_SUCCESS;
		}
	}
	if (has_keys) {
		ssh_set_auth_methods(ssh, SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_INTERACTIVE);
		return SSH_AUTH_DENIED;
	}
	session_auth_guest(s, user);
	return SSH_AUTH_SUCCESS;
}

static int
session_auth_password(ssh_session ssh, const char *user, const char *password,
    void *userdata)
{
	/* A client that insists on a password gets in as a guest; it is not checked. */
	session_auth_guest(userdata, user);
	return SSH_AUTH_SUCCESS;
}

static int
session_auth_pubkey(ssh_session ssh, const char *user, struct ssh_key_struct *key,
    char signature_state, void *userdata)
{
	struct connection *s = userdata;
	struct db_conn *db;
	char id[19], *b64 = NULL;
	const char *type;
	PGresult *r = NULL;
	int rc = SSH_AUTH_DENIED;

	session_user_id_number(user, id);
	if (id[0] == '\0' || (signature_state != SSH_PUBLICKEY_STATE_NONE &&
	    signature_state != SSH_PUBLICKEY_STATE_VALID))
		return SSH_AUTH_DENIED;
	type = ssh_key_type_to_char(ssh_key_type(key));
	if (type == NULL || ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK)
		return SSH_AUTH_DENIED;
	const char *params[3] = { id, type, b64 };
	if ((db = db_acquire(5000)) == NULL ||
	    (r = db_exec(db, &auth_key_account, 3, params)) == NULL) {
		/*
		 * Undecided: let a probe go on to its signature; a signed
		 * attempt gets in, marked, rather than as a silent guest.  A
		 * probe is marked too, so that a client that then falls back
		 * to keyboard-interactive is no silent guest either.
		 */
		if (signature_state == SSH_PUBLICKEY_STATE_VALID)
			session_auth_unavailable(s, id);
		else
			s->session.auth_unavailable = true;
		rc = SSH_AUTH_SUCCESS;
		goto out;
	}
	if (PQntuples(r) == 0)
		goto out;
	rc = SSH_AUTH_SUCCESS;
	if (signature_state == SSH_PUBLICKEY_STATE_VALID) {
		enum role role = auth_role(PQgetvalue(r, 0, 1));
		char *account = xstrdup(PQgetvalue(r, 0, 0));
		char *unit = xstrdup(PQgetvalue(r, 0, 2));
		char *base = xstrdup(PQgetvalue(r, 0, 5));	/* "" when NULL */
		char *region = xstrdup(PQgetvalue(r, 0, 6));	/* likewise */
		bool login = true;

		/* The signature proved the private half: the key is this account's now. */
		if (strcmp(PQgetvalue(r, 0, 4), "t") != 0) {
			const char *confirm_params[1] = { PQgetvalue(r, 0, 3) };
			PGresult *c = db_exec(db, &auth_key_confirm, 1, confirm_params);

			if (c != NULL && PQntuples(c) == 1) {
				log_info("session %lu: account %s confirmed SSH key %s",
				    s->session.serial, account, PQgetvalue(c, 0, 0));
			} else if (c == NULL && strcmp(db_error_sqlstate(db), "23505") == 0) {
				/* Another account confirmed it a moment ago. */
				log_info("session %lu: account %s: SSH key confirmed by another "
				    "account", s->session.serial, account);
				login = false;
				rc = SSH_AUTH_DENIED;
			} else if (c == NULL) {
				session_auth_unavailable(s, id);
				login = false;
			}
			PQclear(c);
		}
		if (login) {
			s->session.auth_unavailable = false;	/* a probe's doubt is settled */
			session_auth_guest(s, user);
			auth_session_login(&s->session, strtoll(account, NULL, 10), role, unit,
			    base, region, id);
			s->session.key_login = true;
			log_info("session %lu: account %s logged in by SSH key", s->session.serial,
			    account);
		}
		free(account);
		free(unit);
		free(base);
		free(region);
	}
out:
	PQclear(r);
	db_release(db);
	ssh_string_free_char(b64);
	return rc;
}

/*
 * libssh 0.10 has no server callback for keyboard-interactive: it arrives
 * as a message.  Ask no question, and let the answer (none) in as a guest.
 */
static int
session_message(ssh_session ssh, ssh_message msg, void *userdata)
{
	struct connection *s = userdata;

	if (ssh_message_type(msg) != SSH_REQUEST_AUTH ||
	    ssh_message_subtype(msg) != SSH_AUTH_METHOD_INTERACTIVE)
		return 1;	/* libssh's default reply */
	if (!ssh_message_auth_kbdint_is_response(msg)) {
		ssh_message_auth_interactive_request(msg, "", "", 0, NULL, NULL);
		return 0;
	}
	session_auth_guest(s, ssh_message_auth_user(msg));
	ssh_message_auth_reply_success(msg, 0);
	return 0;
}

void
ssh_auth_callbacks(struct ssh_server_callbacks_struct *cb)
{
	cb->auth_none_function = session_auth_none;
	cb->auth_password_function = session_auth_password;
	cb->auth_pubkey_function = session_auth_pubkey;
}

void
ssh_auth_accept(struct connection *s)
{
	ssh_set_message_callback(s->ssh, session_message, s);
	ssh_set_auth_methods(s->ssh, SSH_AUTH_METHOD_NONE | SSH_AUTH_METHOD_PUBLICKEY |
	    SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_INTERACTIVE);
}
