/*
 * rpc-keys.c - a person's own SSH public keys (用户资料管理 → SSH 密钥).
 *
 *	keys.list	staff, unit_admin, base_admin	own keys, the config's included
 *			(and during a forced password change, to choose which stay)
 *	keys.add	staff, unit_admin, base_admin	{key: "ssh-ed25519 AAAA... comment", password}
 *	keys.remove	staff, unit_admin, base_admin	{id}; only keys the person added
 *
 * A registered key logs its account in at the SSH level (ssh-auth.c,
 * session_auth_pubkey) when the SSH user name is the account's ID number:
 * no password, no verification code.  A key is a credential, so adding one
 * takes the current password, like changing the password does: a session
 * left open must not turn into a way in that outlives the password.
 *
 * Having a public key proves nothing: anyone may have copied it.  So a key
 * added here is unconfirmed until the first SSH login as this account with
 * a valid signature by it (ssh-auth.c), which proves the private half is the
 * person's.  One account at most has a key confirmed (a partial unique
 * index); an unconfirmed key blocks nobody, so registering somebody else's
 * public key first keeps them out of nothing.  A key confirmed by another
 * account is refused here (key_taken): it could never be confirmed.
 *
 * The line is checked the way the server will later read it: the type is
 * one libssh accepts, the base64 decodes to a blob whose own type string is
 * that type, and libssh can import the blob.  What is stored is libssh's
 * canonical base64 of it, the same text session_auth_pubkey compares.
 * Keys provisioned in unit_admins (source 'config') are confirmed by the
 * configuration and listed, but belong to the config file: admins.c
 * rewrites them at every reload, so removing one here would not last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/libssh.h>
#include <sodium.h>

#include "admins.h"
#include "auth.h"
#include "db.h"
#include "log.h"
#include "passwords.h"
#include "rpc.h"
#include "text.h"
#include "xmalloc.h"

/* A pasted line longer than this is no public key (RSA 16384 is ~2.8 KB). */
#define KEYS_LINE_MAX		8192
#define KEYS_COMMENT_MAX	100	/* characters */
#define KEYS_PER_ACCOUNT	20
#define KEYS_RSA_MIN_BITS	2048

/* Key types a person may register: what OpenSSH's ssh-keygen makes and libssh verifies. */
static const char *const keys_types[] = {
	"ssh-ed25519",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521",
	"ssh-rsa",
	"sk-ssh-ed25519@openssh.com",
	"sk-ecdsa-sha2-nistp256@openssh.com",
	NULL,
};

static bool
keys_type_known(const char *type)
{
	for (size_t i = 0; keys_types[i] != NULL; i++) {
		if (strcmp(keys_types[i], type) == 0)
			return true;
	}
	return false;
}

/* Read a big-endian uint32 string length at *p of blob[0..len); advances *p. */
static bool
keys_blob_string(const unsigned char *blob, size_t len, size_t *p, const unsigned char **s,
    size_t *slen)
{
	uint32_t n;

	if (len - *p < 4)
		return false;
	n = (uint32_t)blob[*p] << 24 | (uint32_t)blob[*p + 1] << 16 |
	    (uint32_t)blob[*p + 2] << 8 | blob[*p + 3];
	*p += 4;
	if (n > len - *p)
		return false;
	*s = blob + *p;
	*slen = n;
	*p += n;
	return true;
}

/* Bits of an ssh-rsa blob's modulus (string type, mpint e, mpint n); 0 when unreadable. */
static int
keys_rsa_bits(const unsigned char *blob, size_t len)
{
	const unsigned char *s;
	size_t p = 0, n;

	if (!keys_blob_string(blob, len, &p, &s, &n) ||	/* type */
	    !keys_blob_string(blob, len, &p, &s, &n) ||	/* e */
	    !keys_blob_string(blob, len, &p, &s, &n))	/* n */
		return 0;
	while (n > 0 && *s == 0) {	/* an mpint's sign byte */
		s++;
		n--;
	}
	if (n == 0)
		return 0;
	int bits = (int)(n - 1) * 8;
	for (unsigned char top = *s; top != 0; top >>= 1)
		bits++;
	return bits;
}

/*
 * Check the base64 key b64 of a line of the known type: it decodes, names
 * the same type inside (a line whose two types differ is a forgery or a
 * typo), libssh reads it as that type, and an RSA key is long enough.
 * Returns NULL with *canonical (libssh's base64 of it; free with
 * ssh_string_free_char), or the reason word.
 */
static const char *
keys_verify(const char *type, const char *b64, char **canonical)
{
	size_t tlen = strlen(type), dlen = strlen(b64), blen, btlen, bp = 0;
	unsigned char *blob = xmalloc(dlen + 1);
	const unsigned char *btype;
	const char *reason = "key_invalid";
	ssh_key key = NULL;

	*canonical = NULL;
	if (dlen == 0 || sodium_base642bin(blob, dlen, b64, dlen, NULL, &blen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || blen == 0)
		goto out;
	if (!keys_blob_string(blob, blen, &bp, &btype, &btlen))
		goto out;
	if (btlen != tlen || memcmp(btype, type, tlen) != 0) {
		reason = "key_type_mismatch";
		goto out;
	}
	if (ssh_pki_import_pubkey_base64(b64, ssh_key_type_from_name(type), &key) != SSH_OK ||
	    strcmp(ssh_key_type_to_char(ssh_key_type(key)), type) != 0)
		goto out;
	if (strcmp(type, "ssh-rsa") == 0 && keys_rsa_bits(blob, blen) < KEYS_RSA_MIN_BITS) {
		reason = "key_too_short";
		goto out;
	}
	if (ssh_pki_export_pubkey_base64(key, canonical) == SSH_OK)
		reason = NULL;
out:
	ssh_key_free(key);
	free(blob);
	return reason;
}

/*
 * Check line and split it into *k (its base64 libssh's canonical text of
 * the blob).  Returns NULL, or the reason word of what is wrong (k left
 * empty).
 */
static const char *
keys_parse(const char *line, struct admins_key *k)
{
	const char *p, *end, *reason = "key_invalid";
	char *type = NULL, *b64 = NULL, *canonical = NULL;
	size_t len, tlen, dlen;

	memset(k, 0, sizeof *k);
	len = strlen(line);
	if (len > KEYS_LINE_MAX)
		return "key_too_long";
	if (strstr(line, "PRIVATE KEY") != NULL)
		return "key_private";
	/* One line; blanks around it (a paste's newline) do not count. */
	p = line + strspn(line, " \t\r\n");
	end = line + len;
	while (end > p && strchr(" \t\r\n", end[-1]) != NULL)
		end--;
	if (memchr(p, '\n', (size_t)(end - p)) != NULL || memchr(p, '\r', (size_t)(end - p)))
		return "key_invalid";

	tlen = strcspn(p, " \t");
	if (p + tlen >= end)
		return "key_invalid";	/* a type without a key */
	type = xstrndup(p, tlen);
	p += tlen;
	p += strspn(p, " \t");
	dlen = strcspn(p, " \t\r\n");
	if (p + dlen > end)
		dlen = (size_t)(end - p);
	b64 = xstrndup(p, dlen);
	p += dlen;
	p += strspn(p, " \t");

	if (!keys_type_known(type)) {
		/* A certificate, DSA, or not a key at all. */
		reason = strncmp(type, "ssh-", 4) == 0 || strncmp(type, "ecdsa-", 6) == 0 ||
		    strncmp(type, "sk-", 3) == 0 ? "key_type_unsupported" : "key_invalid";
		goto out;
	}
	if ((reason = keys_verify(type, b64, &canonical)) != NULL)
		goto out;
	reason = "key_invalid";
	if (*p != '\0' && p < end) {
		char *comment = xstrndup(p, (size_t)(end - p));

		if (!text_clean(comment, false, 1, KEYS_COMMENT_MAX)) {
			free(comment);
			reason = "key_comment_invalid";
			goto out;
		}
		k->comment = comment;
	}
	k->type = type;
	k->base64 = xstrdup(canonical);
	type = NULL;
	{
		char *norm = xasprintf("%s %s", k->type, k->base64);
		int rc = admins_fingerprint(norm, k->fingerprint, sizeof k->fingerprint);

		free(norm);
		if (rc != 0) {
			admins_key_free(k);
			goto out;
		}
	}
	reason = NULL;
out:
	ssh_string_free_char(canonical);
	free(type);
	free(b64);
	return reason;
}

/* {id, type, fingerprint, comment, source, removable, created_at, confirmed} of a row. */
static json_t *
keys_item(const PGresult *r, int row)
{
	bool user = strcmp(PQgetvalue(r, row, 4), "user") == 0;

	return json_pack("{s:I, s:s, s:s, s:o, s:s, s:b, s:s, s:b}",
	    "id", (json_int_t)strtoll(PQgetvalue(r, row, 0), NULL, 10),
	    "type", PQgetvalue(r, row, 1),
	    "fingerprint", PQgetvalue(r, row, 2),
	    "comment", PQgetisnull(r, row, 3) ? json_null() :
		json_string(PQgetvalue(r, row, 3)),
	    "source", PQgetvalue(r, row, 4),
	    "removable", user,
	    "created_at", PQgetvalue(r, row, 5),
	    "confirmed", strcmp(PQgetvalue(r, row, 6), "t") == 0);
}

#define KEYS_COLUMNS "id, key_type, fingerprint, comment, source, " \
	DB_ISO_TIME("created_at") ", confirmed"

static int
keys_list(struct rpc_call *call)
{
	DB_STMT(keys_list_stmt, "SELECT " KEYS_COLUMNS " FROM account_keys"
	    " WHERE account_id = $1 ORDER BY source = 'user', created_at, id");
	struct db_conn *db;
	char id[24];
	const char *params[1] = { id };
	PGresult *r;
	json_t *items;

	if ((db = rpc_db(call)) == NULL)
		return -1;
	snprintf(id, sizeof id, "%lld", (long long)call->session->account_id);
	if ((r = db_exec(db, &keys_list_stmt, 1, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	items = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(items, keys_item(r, i));
	PQclear(r);
	call->result = json_pack("{s:o, s:i}", "items", items, "max", KEYS_PER_ACCOUNT);
	return 0;
}

/*
 * The current password of the session's account, checked as
 * account.change_password checks its old_password (auth_verify_current:
 * counted and slowed like a login on the account's ID number).  An account
 * without a password (an administrator provisioned with keys only) has
 * nothing to check.  The problems noted before (the key's) are replied
 * with an empty password's, before any password is checked.  Returns 0,
 * or -1 after rpc_fail.  The connection is given back while hashing.
 */
static int
keys_verify_password(struct rpc_call *call)
{
	DB_STMT(keys_password_stmt,
	    "SELECT password_hash FROM accounts WHERE id = $1 AND state = 'active'");
	struct session *s = call->session;
	const char *password = rpc_param_string(call, "password");
	struct db_conn *db;
	char id[24], *hash = NULL;
	const char *params[1] = { id };
	PGresult *r;
	int rc = -1;

	snprintf(id, sizeof id, "%lld", (long long)s->account_id);
	if ((db = rpc_db(call)) == NULL)
		return -1;
	if ((r = rpc_exec_one(call, db, &keys_password_stmt, 1, params)) == NULL)
		return -1;
	if (!PQgetisnull(r, 0, 0))
		hash = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	db_release(call->db);
	call->db = NULL;
	if (hash == NULL)
		return rpc_fail_problems(call, RPC_INVALID_INPUT);
	if (password == NULL || *password == '\0')
		rpc_problem_required(call, "password");
	if (rpc_fail_problems(call, RPC_INVALID_INPUT) != 0) {
		rc = -1;
	} else {
		/* Counted and slowed like a login on the account's ID number (auth.c). */
		rc = auth_verify_current(call, password);
		if (rc > 0)
			rc = rpc_fail(call, RPC_INVALID_INPUT, "password_wrong", "password", NULL);
	}
	password_free(hash);
	return rc;
}

/*
 * keys.add: one statement inserts the key, unconfirmed (unless the account
 * has it already or its maximum, or another account has it confirmed),
 * with its audit row; when it inserted nothing, a second look says which.
 */
static int
keys_add(struct rpc_call *call)
{
	DB_STMT(keys_insert_stmt,
	    "WITH k AS ("
	    " INSERT INTO account_keys (account_id, key_type, key_base64, fingerprint, comment,"
	    "  source)"
	    " SELECT $1, $2, $3, $4, $5, 'user'"
	    " WHERE (SELECT count(*) FROM account_keys WHERE account_id = $1) < $6"
	    " AND NOT EXISTS (SELECT 1 FROM account_keys WHERE key_type = $2"
	    "  AND key_base64 = $3 AND confirmed)"
	    " ON CONFLICT (account_id, key_type, key_base64) DO NOTHING"
	    " RETURNING " KEYS_COLUMNS "),"
	    " audit AS ("
	    " INSERT INTO account_audit (account_id, actor_id, action, reason)"
	    " SELECT $1, $1, 'key_add', fingerprint FROM k)"
	    " SELECT * FROM k");
	DB_STMT(keys_taken_stmt,
	    "SELECT bool_or(account_id = $3) FROM account_keys"
	    " WHERE key_type = $1 AND key_base64 = $2 AND (account_id = $3 OR confirmed)"
	    " HAVING count(*) > 0");
	struct session *s = call->session;
	struct admins_key k = { 0 };
	struct db_conn *db;
	const char *reason;
	char id[24], max[16];
	PGresult *r = NULL;
	int rc = -1;

	/* The key's problem and an empty password are said together (keys_verify_password). */
	if (*rpc_param_string(call, "key") == '\0')
		rpc_problem_required(call, "key");
	else if ((reason = keys_parse(rpc_param_string(call, "key"), &k)) != NULL)
		rpc_problem(call, reason, "key", NULL);
	if (keys_verify_password(call) != 0)
		goto out;
	if ((db = rpc_db(call)) == NULL)
		goto out;
	snprintf(id, sizeof id, "%lld", (long long)s->account_id);
	snprintf(max, sizeof max, "%d", KEYS_PER_ACCOUNT);
	const char *params[6] = { id, k.type, k.base64, k.fingerprint, k.comment, max };
	if ((r = db_exec(db, &keys_insert_stmt, 6, params)) == NULL) {
		rc = rpc_fail_internal(call, db_error_text(db));
		goto out;
	}
	if (PQntuples(r) == 1) {
		log_info("session %lu: account %s added SSH key %s", s->serial, id,
		    k.fingerprint);
		call->result = keys_item(r, 0);
		rc = 0;
		goto out;
	}
	PQclear(r);
	const char *taken_params[3] = { k.type, k.base64, id };
	if ((r = db_exec(db, &keys_taken_stmt, 3, taken_params)) == NULL) {
		rc = rpc_fail_internal(call, db_error_text(db));
		goto out;
	}
	if (PQntuples(r) == 1) {
		/*
		 * Registered already: to this account ("key_taken" too, with
		 * data.own so the screen can say so), or confirmed by another
		 * one, which is not revealed further.
		 */
		rc = rpc_fail(call, RPC_CONFLICT, "key_taken", "key", NULL);
		call->error_data = json_pack("{s:b}", "own",
		    strcmp(PQgetvalue(r, 0, 0), "t") == 0);
	} else {
		rc = rpc_fail(call, RPC_INVALID_INPUT, "keys_too_many", "key", NULL);
		call->error_data = json_pack("{s:i}", "max", KEYS_PER_ACCOUNT);
	}
out:
	PQclear(r);
	admins_key_free(&k);
	return rc;
}

static int
keys_remove(struct rpc_call *call)
{
	DB_STMT(keys_delete_stmt,
	    "WITH k AS ("
	    " DELETE FROM account_keys WHERE id = $2 AND account_id = $1 AND source = 'user'"
	    " RETURNING fingerprint),"
	    " audit AS ("
	    " INSERT INTO account_audit (account_id, actor_id, action, reason)"
	    " SELECT $1, $1, 'key_remove', fingerprint FROM k)"
	    " SELECT fingerprint FROM k");
	DB_STMT(keys_source_stmt,
	    "SELECT source FROM account_keys WHERE id = $2 AND account_id = $1");
	struct session *s = call->session;
	struct db_conn *db;
	long long key_id = 0;
	char id[24], kid[24];
	const char *params[2] = { id, kid };
	PGresult *r;

	rpc_param_int(call, "id", &key_id);
	if ((db = rpc_db(call)) == NULL)
		return -1;
	snprintf(id, sizeof id, "%lld", (long long)s->account_id);
	snprintf(kid, sizeof kid, "%lld", key_id);
	if ((r = db_exec(db, &keys_delete_stmt, 2, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	if (PQntuples(r) == 1) {
		log_info("session %lu: account %s removed SSH key %s", s->serial, id,
		    PQgetvalue(r, 0, 0));
		PQclear(r);
		call->result = json_pack("{s:I}", "removed", (json_int_t)key_id);
		return 0;
	}
	PQclear(r);
	if ((r = db_exec(db, &keys_source_stmt, 2, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	int n = PQntuples(r);
	PQclear(r);
	if (n == 1)
		return rpc_fail(call, RPC_NOT_PERMITTED, "key_from_config", NULL, NULL);
	/* Another account's key is "not found" too: its existence is not ours to know. */
	return rpc_fail(call, RPC_NOT_FOUND, "key_not_found", NULL, NULL);
}

static const struct rpc_param keys_add_params[] = {
	{ "key", T_STRING, true },
	{ "password", T_STRING, false },	/* required unless the account has none */
	{ NULL, 0, false },
};

static const struct rpc_param keys_remove_params[] = {
	{ "id", T_INTEGER, true },
	{ NULL, 0, false },
};

const struct rpc_method rpc_keys_methods[] = {
	{ "keys.list", NULL, ROLE_ACCOUNT | ROLE_PASSWORD_CHANGE, false, keys_list },
	{ "keys.add", keys_add_params, ROLE_ACCOUNT, false, keys_add },
	{ "keys.remove", keys_remove_params, ROLE_ACCOUNT, false, keys_remove },
	{ NULL, NULL, 0, false, NULL },
};
