/*
 * admins.c - unit administrators provisioned from jxjyd.conf.
 *
 * The system administrator names each unit's administrators (ID number,
 * name, unit, SSH public keys) in the unit_admins list; the file is the
 * truth and the accounts table follows it at every start and SIGHUP.
 * Keys a person added to their own account (source 'user') are never
 * touched; only the rows marked source 'config' are replaced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admins.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "xmalloc.h"

/* Longest key line decoded (an RSA 16384-bit key is about 2.8 KB of base64). */
#define ADMINS_KEY_MAX	16384

/* What admins_sync did, for its log line. */
struct admins_counts {
	int	created, enabled, skipped, keys, disabled;
};

void
admins_key_free(struct admins_key *k)
{
	free(k->type);
	free(k->base64);
	free(k->comment);
	memset(k, 0, sizeof *k);
}

/*
 * Split line ("TYPE BASE64 [COMMENT]") into *k and compute the
 * fingerprint of its decoded blob.  Returns 0, or -1 (k left empty) when
 * the line holds no decodable key.
 */
static int
admins_key_parse(const char *line, struct admins_key *k)
{
	unsigned char digest[crypto_hash_sha256_BYTES], *blob = NULL;
	const char *p = line, *end;
	size_t tlen, dlen, blen;
	int rc = -1;

	memset(k, 0, sizeof *k);
	p += strspn(p, " \t");
	tlen = strcspn(p, " \t");
	k->type = xstrndup(p, tlen);
	p += tlen;
	p += strspn(p, " \t");
	dlen = strcspn(p, " \t");
	k->base64 = xstrndup(p, dlen);
	p += dlen;
	p += strspn(p, " \t");
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end > p)
		k->comment = xstrndup(p, (size_t)(end - p));

	if (tlen == 0 || dlen == 0 || dlen > ADMINS_KEY_MAX)
		goto out;
	blob = xmalloc(dlen);
	if (sodium_base642bin(blob, dlen, k->base64, dlen, NULL, &blen, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || *end != '\0' || blen == 0)
		goto out;
	crypto_hash_sha256(digest, blob, blen);
	memcpy(k->fingerprint, "SHA256:", 7);
	sodium_bin2base64(k->fingerprint + 7, sizeof k->fingerprint - 7, digest,
	    sizeof digest, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	rc = 0;
out:
	free(blob);
	if (rc != 0)
		admins_key_free(k);
	return rc;
}

int
admins_fingerprint(const char *key_line, char *out, size_t size)
{
	struct admins_key k;

	if (admins_key_parse(key_line, &k) != 0)
		return -1;
	snprintf(out, size, "%s", k.fingerprint);
	admins_key_free(&k);
	return 0;
}

/*
 * Insert a's keys as account_id's config-sourced ones, confirmed by the
 * file (admins_sync has removed every config-sourced key before).  The
 * file takes precedence over what people added themselves: another
 * account's copy of the key becomes unconfirmed (logged), since the file
 * says whose it is.  The same key named twice in the file is refused for
 * the second administrator and logged: a typo must not move a key between
 * people.  A key the administrator added as their own is confirmed.
 * Returns 0, or -1 when the database failed.
 */
static int
admins_sync_keys(struct db_conn *c, const struct config *cfg, const struct config_admin *a,
    const char *account_id, struct admins_counts *n)
{
	DB_STMT(admins_key_demote_stmt,
	    "UPDATE account_keys SET confirmed = false, confirmed_at = NULL"
	    " WHERE key_type = $2 AND key_base64 = $3 AND account_id <> $1"
	    " AND source = 'user' AND confirmed RETURNING account_id");
	DB_STMT(admins_key_insert_stmt,
	    "INSERT INTO account_keys (account_id, key_type, key_base64, fingerprint,"
	    " comment, source, confirmed, confirmed_at)"
	    " VALUES ($1, $2, $3, $4, $5, 'config', true, now())"
	    " ON CONFLICT DO NOTHING RETURNING id");
	DB_STMT(admins_key_own_stmt,
	    "UPDATE account_keys SET confirmed = true, confirmed_at = coalesce(confirmed_at, now())"
	    " WHERE account_id = $1 AND key_type = $2 AND key_base64 = $3 RETURNING id");
	DB_STMT(admins_key_owner_stmt,
	    "SELECT account_id FROM account_keys"
	    " WHERE key_type = $1 AND key_base64 = $2 AND confirmed");
	struct admins_key k;
	const char *params[5];
	PGresult *res;
	size_t i;

	params[0] = account_id;
	for (i = 0; i < a->n_keys; i++) {
		if (admins_key_parse(a->keys[i], &k) != 0) {
			log_error("%s:%d: unit_admins: key %zu of %s cannot be decoded; skipped",
			    cfg->path, a->line, i + 1, a->name);
			continue;
		}
		params[1] = k.type;
		params[2] = k.base64;
		params[3] = k.fingerprint;
		params[4] = k.comment;
		if ((res = db_exec(c, &admins_key_demote_stmt, 3, params)) == NULL) {
			admins_key_free(&k);
			return -1;
		}
		for (int j = 0; j < PQntuples(res); j++)
			log_warning("%s:%d: unit_admins: key %s of %s was confirmed by account %s; "
			    "the configuration takes precedence", cfg->path, a->line,
			    k.fingerprint, a->name, PQgetvalue(res, j, 0));
		PQclear(res);
		if ((res = db_exec(c, &admins_key_insert_stmt, 5, params)) == NULL) {
			admins_key_free(&k);
			return -1;
		}
		if (PQntuples(res) == 1) {
			n->keys++;
			PQclear(res);
			admins_key_free(&k);
			continue;
		}
		PQclear(res);
		if ((res = db_exec(c, &admins_key_owner_stmt, 2, params + 1)) == NULL) {
			admins_key_free(&k);
			return -1;
		}
		if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 0), account_id) == 0) {
			/* The account's own key: confirmed by the file all the same. */
			PQclear(res);
			if ((res = db_exec(c, &admins_key_own_stmt, 3, params)) == NULL) {
				admins_key_free(&k);
				return -1;
			}
			log_info("%s:%d: unit_admins: key %s of %s is already one of the "
			    "account's own keys", cfg->path, a->line, k.fingerprint, a->name);
		} else
			log_error("%s:%d: unit_admins: key %s of %s belongs to another "
			    "account (id %s); skipped", cfg->path, a->line, k.fingerprint,
			    a->name, PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "?");
		PQclear(res);
		admins_key_free(&k);
	}
	return 0;
}

/*
 * Create or update the account of one configured administrator, audit a
 * change of state or role, and sync its keys.  Returns 0 (also when the
 * entry was skipped for an unknown unit), -1 when the database failed.
 */
static int
admins_sync_one(struct db_conn *c, const struct config *cfg, const struct config_admin *a,
    struct admins_counts *n)
{
	DB_STMT(admins_unit_stmt, "SELECT 1 FROM units WHERE code = $1");
	/*
	 * old is the ID number's account: the active one, else the newest
	 * administrator's account (disabled); an application of the ID number
	 * (pending, rejected: anyone may have made it, schema 005) is never
	 * taken over.  It is read before the change (same snapshot), so the
	 * audit row can say what the account was; nothing changes when
	 * nothing differs, so a reload does not touch updated_at.
	 */
	DB_STMT(admins_upsert_stmt,
	    "WITH old AS (SELECT id, state, role FROM accounts WHERE id_number = $1"
	    "  AND (state = 'active' OR role = 'unit_admin')"
	    "  ORDER BY state = 'active' DESC, id DESC LIMIT 1),"
	    " upd AS ("
	    " UPDATE accounts a SET role = 'unit_admin', state = 'active', name = $2,"
	    "  unit_code = $3, updated_at = now()"
	    " FROM old WHERE a.id = old.id AND (a.role <> 'unit_admin' OR a.state <> 'active'"
	    "  OR a.name <> $2 OR a.unit_code <> $3)"
	    " RETURNING a.id),"
	    " ins AS ("
	    " INSERT INTO accounts (id_number, role, state, name, unit_code)"
	    " SELECT $1, 'unit_admin', 'active', $2, $3 WHERE NOT EXISTS (SELECT 1 FROM old)"
	    " RETURNING id)"
	    " SELECT COALESCE(ins.id, upd.id, old.id), old.state, old.role"
	    " FROM (SELECT 1) one LEFT JOIN old ON true LEFT JOIN upd ON true"
	    " LEFT JOIN ins ON true");
	DB_STMT(admins_audit_stmt,
	    "INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state,"
	    " reason) VALUES ($1, NULL, 'provision', $2, 'active', $3)");
	const char *params[3];
	char *account_id = NULL, *old_state = NULL, *why = NULL;
	PGresult *res;
	int rc = -1;

	params[0] = a->unit;
	if ((res = db_exec(c, &admins_unit_stmt, 1, params)) == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		log_error("%s:%d: unit_admins: %s: unit %s does not exist; entry skipped",
		    cfg->path, a->line, a->name, a->unit);
		n->skipped++;
		return 0;
	}
	PQclear(res);

	params[0] = a->id_number;
	params[1] = a->name;
	params[2] = a->unit;
	if ((res = db_exec(c, &admins_upsert_stmt, 3, params)) == NULL)
		return -1;
	account_id = xstrdup(PQgetvalue(res, 0, 0));
	if (PQgetisnull(res, 0, 1)) {
		n->created++;
	} else if (strcmp(PQgetvalue(res, 0, 1), "active") != 0 ||
	    strcmp(PQgetvalue(res, 0, 2), "unit_admin") != 0) {
		old_state = xstrdup(PQgetvalue(res, 0, 1));
		n->enabled++;
		if (strcmp(PQgetvalue(res, 0, 2), "unit_admin") != 0)
			log_warning("%s:%d: unit_admins: account %s (%s) was a staff "
			    "account; it is now its unit's administrator", cfg->path,
			    a->line, account_id, a->name);
	} else {
		PQclear(res);
		goto keys;	/* already an active administrator: nothing to audit */
	}
	PQclear(res);

	why = xasprintf("unit_admins in %s", cfg->path);
	params[0] = account_id;
	params[1] = old_state;
	params[2] = why;
	if ((res = db_exec(c, &admins_audit_stmt, 3, params)) == NULL)
		goto out;
	PQclear(res);
keys:
	rc = admins_sync_keys(c, cfg, a, account_id, n);
out:
	free(account_id);
	free(old_state);
	free(why);
	return rc;
}

/*
 * Disable the unit_admin accounts not in ids (a PostgreSQL array literal),
 * each with its audit row.  Returns 0 or -1.
 */
static int
admins_disable_others(struct db_conn *c, const char *ids, const char *why,
    struct admins_counts *n)
{
	DB_STMT(admins_disable_stmt,
	    "WITH gone AS (SELECT id, state FROM accounts"
	    "  WHERE role = 'unit_admin' AND state <> 'disabled'"
	    "  AND NOT (id_number::text = ANY ($1::text[])) FOR UPDATE),"
	    " upd AS (UPDATE accounts a SET state = 'disabled', updated_at = now()"
	    "  FROM gone WHERE a.id = gone.id RETURNING a.id, gone.state AS from_state),"
	    " audit AS (INSERT INTO account_audit (account_id, actor_id, action,"
	    "  from_state, to_state, reason)"
	    "  SELECT id, NULL, 'disable', from_state, 'disabled', $2 FROM upd)"
	    " SELECT id FROM upd");
	const char *params[2] = { ids, why };
	PGresult *res;

	if ((res = db_exec(c, &admins_disable_stmt, 2, params)) == NULL)
		return -1;
	n->disabled = PQntuples(res);
	for (int i = 0; i < PQntuples(res); i++)
		log_warning("unit_admins: account %s is no longer configured; disabled",
		    PQgetvalue(res, i, 0));
	PQclear(res);
	return 0;
}

int
admins_sync(struct db_conn *c, const struct config *cfg)
{
	struct admins_counts n = { 0 };
	char *ids, *why;
	size_t i, len;
	int rc = -1;

	/* "{ID,ID,...}": ID numbers are digits and X, nothing to quote. */
	ids = xmalloc(2 + cfg->n_admins * 19 + 1);
	len = 0;
	ids[len++] = '{';
	for (i = 0; i < cfg->n_admins; i++) {
		if (i > 0)
			ids[len++] = ',';
		memcpy(ids + len, cfg->admins[i].id_number, 18);
		len += 18;
	}
	ids[len++] = '}';
	ids[len] = '\0';
	why = xasprintf("not in unit_admins of %s", cfg->path);

	if (!db_begin(c))
		goto out;
	/* Two jxjyd starting together on one database take turns. */
	if (db_command(c, "SELECT pg_advisory_xact_lock(hashtext('jxjyd admins_sync'))") != 0)
		goto out;
	/*
	 * Config-sourced keys are re-created from the file; the transaction
	 * hides the gap.  Removing them all first lets a key move from one
	 * administrator to another, or from one removed from the file.
	 */
	if (db_command(c, "DELETE FROM account_keys WHERE source = 'config'") != 0)
		goto out;
	if (admins_disable_others(c, ids, why, &n) != 0)
		goto out;
	for (i = 0; i < cfg->n_admins; i++) {
		if (admins_sync_one(c, cfg, &cfg->admins[i], &n) != 0)
			goto out;
	}
	if (!db_commit(c))
		goto out;
	log_info("unit_admins: %zu configured: %d created, %d enabled, %d skipped, "
	    "%d keys, %d disabled", cfg->n_admins, n.created, n.enabled, n.skipped,
	    n.keys, n.disabled);
	rc = 0;
out:
	if (rc != 0) {
		log_error("unit_admins: cannot update the accounts: %s", db_error_text(c));
		db_rollback(c);
	}
	free(ids);
	free(why);
	return rc;
}

int
admins_active(struct db_conn *c, int64_t account_id, const char *unit_code,
    char **unit_name)
{
	DB_STMT(admins_active_stmt,
	    "SELECT u.name FROM accounts a JOIN units u ON u.code = a.unit_code"
	    " WHERE a.id = $1 AND a.unit_code = $2 AND a.role = 'unit_admin'"
	    " AND a.state = 'active'");
	char id[24];
	const char *params[2] = { id, unit_code };
	PGresult *r;
	int yes;

	snprintf(id, sizeof id, "%lld", (long long)account_id);
	if ((r = db_exec(c, &admins_active_stmt, 2, params)) == NULL)
		return -1;
	yes = PQntuples(r) == 1;
	if (yes && unit_name != NULL)
		*unit_name = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return yes;
}
