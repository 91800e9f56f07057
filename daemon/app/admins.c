/*
 * admins.c - unit, base and authority administrators provisioned from
 * jxjyd.conf.
 *
 * The system administrator names each unit's administrators (ID number,
 * name, unit, SSH public keys) in the unit_admins list, and each
 * continuing-education base's in base_admins (base instead of unit), and
 * the authority's in authority_admins (a region, its scope, instead); the
 * file is the truth and the accounts table follows it at every start and
 * SIGHUP, all lists in one transaction (a person moved from one list to
 * the other in one reload is disabled in one role and enabled in the other).
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

/* One list of administrators: unit_admins or base_admins. */
struct admins_kind {
	const char		*list;		/* its config key, for the log */
	const char		*role;		/* account_role */
	const char		*scope;		/* "unit" or "base", for the log */
	const struct config_admin *admins;
	size_t			 n;
};

/* Where an entry belongs: its unit, its base or its region. */
static const char *
admins_scope(const struct admins_kind *kind, const struct config_admin *a)
{
	if (strcmp(kind->role, "base_admin") == 0)
		return a->base;
	return strcmp(kind->role, "authority") == 0 ? a->scope : a->unit;
}

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
admins_sync_keys(struct db_conn *c, const struct config *cfg, const struct admins_kind *kind,
    const struct config_admin *a, const char *account_id, struct admins_counts *n)
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
			log_error("%s:%d: %s: key %zu of %s cannot be decoded; skipped",
			    cfg->path, a->line, kind->list, i + 1, a->name);
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
			log_warning("%s:%d: %s: key %s of %s was confirmed by account %s; "
			    "the configuration takes precedence", cfg->path, a->line,
			    kind->list, k.fingerprint, a->name, PQgetvalue(res, j, 0));
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
			log_info("%s:%d: %s: key %s of %s is already one of the "
			    "account's own keys", cfg->path, a->line, kind->list, k.fingerprint,
			    a->name);
		} else
			log_error("%s:%d: %s: key %s of %s belongs to another "
			    "account (id %s); skipped", cfg->path, a->line, kind->list,
			    k.fingerprint, a->name,
			    PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "?");
		PQclear(res);
		admins_key_free(&k);
	}
	return 0;
}

/*
 * Whether a's unit (or base) exists, and for a base administrator that
 * their ID number has no active account of another role: a staff
 * member's account keeps its unit and records, so it is not turned into
 * a base's, which has none (schema 012).  Returns 1 when the entry may be
 * synced, 0 when it was skipped (logged), -1 when the database failed.
 */
static int
admins_sync_allowed(struct db_conn *c, const struct config *cfg,
    const struct admins_kind *kind, const struct config_admin *a, struct admins_counts *n)
{
	DB_STMT(admins_unit_stmt, "SELECT 1 FROM units WHERE code = $1");
	DB_STMT(admins_base_stmt, "SELECT 1 FROM bases WHERE code = $1");
	/* The province (no parent) or one of its cities. */
	DB_STMT(admins_region_stmt, "SELECT 1 FROM regions r WHERE code = $1 AND active"
	    " AND (parent IS NULL OR EXISTS (SELECT 1 FROM regions p"
	    "  WHERE p.code = r.parent AND p.parent IS NULL))");
	DB_STMT(admins_other_role_stmt,
	    "SELECT role FROM accounts WHERE id_number = $1 AND state = 'active'"
	    " AND role <> $2::account_role");
	bool base = strcmp(kind->role, "base_admin") == 0;
	bool authority = strcmp(kind->role, "authority") == 0;
	const char *params[2] = { admins_scope(kind, a), NULL };
	PGresult *res;

	if ((res = db_exec(c, authority ? &admins_region_stmt : base ? &admins_base_stmt :
	    &admins_unit_stmt, 1, params)) == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		log_error("%s:%d: %s: %s: %s %s does not exist; entry skipped",
		    cfg->path, a->line, kind->list, a->name, kind->scope, params[0]);
		n->skipped++;
		return 0;
	}
	PQclear(res);
	if (!base && !authority)
		return 1;
	params[0] = a->id_number;
	params[1] = kind->role;
	if ((res = db_exec(c, &admins_other_role_stmt, 2, params)) == NULL)
		return -1;
	if (PQntuples(res) > 0) {
		log_error("%s:%d: %s: %s: the ID number has an active %s account; entry "
		    "skipped (disable that account first)", cfg->path, a->line, kind->list,
		    a->name, PQgetvalue(res, 0, 0));
		PQclear(res);
		n->skipped++;
		return 0;
	}
	PQclear(res);
	return 1;
}

/*
 * Create or update the account of one configured administrator, audit a
 * change of state or role, and sync its keys.  Returns 0 (also when the
 * entry was skipped for an unknown unit or base), -1 when the database failed.
 */
static int
admins_sync_one(struct db_conn *c, const struct config *cfg, const struct admins_kind *kind,
    const struct config_admin *a, struct admins_counts *n)
{
	/*
	 * old is the ID number's account: the active one, else the newest
	 * administrator's account of the role ($4, disabled); an application
	 * of the ID number (pending, rejected: anyone may have made it, schema
	 * 005) is never taken over.  It is read before the change (same
	 * snapshot), so the audit row can say what the account was; nothing
	 * changes when nothing differs, so a reload does not touch updated_at.
	 * $3 is the unit of a unit_admin, the base of a base_admin.
	 */
#define ADMINS_UNIT "CASE WHEN $4::account_role = 'unit_admin' THEN $3 END"
#define ADMINS_BASE "CASE WHEN $4::account_role = 'base_admin' THEN $3 END"
#define ADMINS_REGION "CASE WHEN $4::account_role = 'authority' THEN $3 END"
	DB_STMT(admins_upsert_stmt,
	    "WITH old AS (SELECT id, state, role FROM accounts WHERE id_number = $1"
	    "  AND (state = 'active' OR role = $4::account_role)"
	    "  ORDER BY state = 'active' DESC, id DESC LIMIT 1),"
	    " upd AS ("
	    " UPDATE accounts a SET role = $4::account_role, state = 'active', name = $2,"
	    "  unit_code = " ADMINS_UNIT ", base_code = " ADMINS_BASE ","
	    "  scope_region = " ADMINS_REGION ", updated_at = now()"
	    " FROM old WHERE a.id = old.id AND (a.role <> $4::account_role"
	    "  OR a.state <> 'active' OR a.name <> $2"
	    "  OR a.unit_code IS DISTINCT FROM " ADMINS_UNIT
	    "  OR a.base_code IS DISTINCT FROM " ADMINS_BASE
	    "  OR a.scope_region IS DISTINCT FROM " ADMINS_REGION ")"
	    " RETURNING a.id),"
	    " ins AS ("
	    " INSERT INTO accounts (id_number, role, state, name, unit_code, base_code,"
	    "  scope_region)"
	    " SELECT $1, $4::account_role, 'active', $2, " ADMINS_UNIT ", " ADMINS_BASE ","
	    "  " ADMINS_REGION
	    " WHERE NOT EXISTS (SELECT 1 FROM old)"
	    " RETURNING id)"
	    " SELECT COALESCE(ins.id, upd.id, old.id), old.state, old.role"
	    " FROM (SELECT 1) one LEFT JOIN old ON true LEFT JOIN upd ON true"
	    " LEFT JOIN ins ON true");
#undef ADMINS_UNIT
#undef ADMINS_BASE
#undef ADMINS_REGION
	DB_STMT(admins_audit_stmt,
	    "INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state,"
	    " reason) VALUES ($1, NULL, 'provision', $2, 'active', $3)");
	const char *params[4];
	char *account_id = NULL, *old_state = NULL, *why = NULL;
	PGresult *res;
	int rc = -1, allowed;

	if ((allowed = admins_sync_allowed(c, cfg, kind, a, n)) <= 0)
		return allowed;
	params[0] = a->id_number;
	params[1] = a->name;
	params[2] = admins_scope(kind, a);
	params[3] = kind->role;
	if ((res = db_exec(c, &admins_upsert_stmt, 4, params)) == NULL)
		return -1;
	account_id = xstrdup(PQgetvalue(res, 0, 0));
	if (PQgetisnull(res, 0, 1)) {
		n->created++;
	} else if (strcmp(PQgetvalue(res, 0, 1), "active") != 0 ||
	    strcmp(PQgetvalue(res, 0, 2), kind->role) != 0) {
		old_state = xstrdup(PQgetvalue(res, 0, 1));
		n->enabled++;
		if (strcmp(PQgetvalue(res, 0, 2), kind->role) != 0)
			log_warning("%s:%d: %s: account %s (%s) was a %s account; it is now "
			    "its %s's administrator", cfg->path, a->line, kind->list,
			    account_id, a->name, PQgetvalue(res, 0, 2), kind->scope);
	} else {
		PQclear(res);
		goto keys;	/* already an active administrator: nothing to audit */
	}
	PQclear(res);

	why = xasprintf("%s in %s", kind->list, cfg->path);
	params[0] = account_id;
	params[1] = old_state;
	params[2] = why;
	if ((res = db_exec(c, &admins_audit_stmt, 3, params)) == NULL)
		goto out;
	PQclear(res);
keys:
	rc = admins_sync_keys(c, cfg, kind, a, account_id, n);
out:
	free(account_id);
	free(old_state);
	free(why);
	return rc;
}

/*
 * Disable the accounts of kind's role not in ids (a PostgreSQL array
 * literal), each with its audit row.  Returns 0 or -1.
 */
static int
admins_disable_others(struct db_conn *c, const struct admins_kind *kind, const char *ids,
    const char *why, struct admins_counts *n)
{
	DB_STMT(admins_disable_stmt,
	    "WITH gone AS (SELECT id, state FROM accounts"
	    "  WHERE role = $3::account_role AND state <> 'disabled'"
	    "  AND NOT (id_number::text = ANY ($1::text[])) FOR UPDATE),"
	    " upd AS (UPDATE accounts a SET state = 'disabled', updated_at = now()"
	    "  FROM gone WHERE a.id = gone.id RETURNING a.id, gone.state AS from_state),"
	    " audit AS (INSERT INTO account_audit (account_id, actor_id, action,"
	    "  from_state, to_state, reason)"
	    "  SELECT id, NULL, 'disable', from_state, 'disabled', $2 FROM upd)"
	    " SELECT id FROM upd");
	const char *params[3] = { ids, why, kind->role };
	PGresult *res;

	if ((res = db_exec(c, &admins_disable_stmt, 3, params)) == NULL)
		return -1;
	n->disabled = PQntuples(res);
	for (int i = 0; i < PQntuples(res); i++)
		log_warning("%s: account %s is no longer configured; disabled", kind->list,
		    PQgetvalue(res, i, 0));
	PQclear(res);
	return 0;
}

/* "{ID,ID,...}" of kind's entries (caller frees): digits and X, nothing to quote. */
static char *
admins_id_array(const struct admins_kind *kind)
{
	char *ids = xmalloc(2 + kind->n * 19 + 1);
	size_t i, len = 0;

	ids[len++] = '{';
	for (i = 0; i < kind->n; i++) {
		if (i > 0)
			ids[len++] = ',';
		memcpy(ids + len, kind->admins[i].id_number, 18);
		len += 18;
	}
	ids[len++] = '}';
	ids[len] = '\0';
	return ids;
}

int
admins_sync(struct db_conn *c, const struct config *cfg)
{
	const struct admins_kind kinds[] = {
		{ "unit_admins", "unit_admin", "unit", cfg->admins, cfg->n_admins },
		{ "base_admins", "base_admin", "base", cfg->base_admins, cfg->n_base_admins },
		{ "authority_admins", "authority", "region", cfg->authority_admins,
		  cfg->n_authority_admins },
	};
	enum { NKINDS = sizeof kinds / sizeof kinds[0] };
	struct admins_counts n[NKINDS] = { 0 };
	char *ids[NKINDS] = { NULL }, *why[NKINDS] = { NULL };
	size_t i, k;
	int rc = -1;

	for (k = 0; k < NKINDS; k++) {
		ids[k] = admins_id_array(&kinds[k]);
		why[k] = xasprintf("not in %s of %s", kinds[k].list, cfg->path);
	}
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
	/* Every list's leavers first: a person may move from one list to the other. */
	for (k = 0; k < NKINDS; k++) {
		if (admins_disable_others(c, &kinds[k], ids[k], why[k], &n[k]) != 0)
			goto out;
	}
	for (k = 0; k < NKINDS; k++) {
		for (i = 0; i < kinds[k].n; i++) {
			if (admins_sync_one(c, cfg, &kinds[k], &kinds[k].admins[i], &n[k]) != 0)
				goto out;
		}
	}
	if (!db_commit(c))
		goto out;
	for (k = 0; k < NKINDS; k++)
		log_info("%s: %zu configured: %d created, %d enabled, %d skipped, "
		    "%d keys, %d disabled", kinds[k].list, kinds[k].n, n[k].created,
		    n[k].enabled, n[k].skipped, n[k].keys, n[k].disabled);
	rc = 0;
out:
	if (rc != 0) {
		log_error("unit_admins, base_admins, authority_admins: cannot update the "
		    "accounts: %s",
		    db_error_text(c));
		db_rollback(c);
	}
	for (k = 0; k < NKINDS; k++) {
		free(ids[k]);
		free(why[k]);
	}
	return rc;
}

/*
 * Run st ($1 account id, $2 unit or base code; one row with the name when
 * active): 1 yes (*name set when asked for), 0 no, -1 when the database failed.
 */
static int
admins_check_active(struct db_conn *c, struct db_stmt *st, int64_t account_id,
    const char *code, char **name)
{
	char id[24];
	const char *params[2] = { id, code };
	PGresult *r;
	int yes;

	snprintf(id, sizeof id, "%lld", (long long)account_id);
	if ((r = db_exec(c, st, 2, params)) == NULL)
		return -1;
	yes = PQntuples(r) == 1;
	if (yes && name != NULL)
		*name = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return yes;
}

int
admins_active(struct db_conn *c, int64_t account_id, const char *unit_code,
    char **unit_name)
{
	DB_STMT(admins_active_stmt,
	    "SELECT u.name FROM accounts a JOIN units u ON u.code = a.unit_code"
	    " WHERE a.id = $1 AND a.unit_code = $2 AND a.role = 'unit_admin'"
	    " AND a.state = 'active'");

	return admins_check_active(c, &admins_active_stmt, account_id, unit_code, unit_name);
}

int
admins_base_active(struct db_conn *c, int64_t account_id, const char *base_code,
    char **base_name)
{
	DB_STMT(admins_base_active_stmt,
	    "SELECT b.name FROM accounts a JOIN bases b ON b.code = a.base_code"
	    " WHERE a.id = $1 AND a.base_code = $2 AND a.role = 'base_admin'"
	    " AND a.state = 'active'");

	return admins_check_active(c, &admins_base_active_stmt, account_id, base_code,
	    base_name);
}

int
admins_authority_active(struct db_conn *c, int64_t account_id, const char *scope_region,
    char **scope_name)
{
	DB_STMT(admins_authority_active_stmt,
	    "SELECT r.name FROM accounts a JOIN regions r ON r.code = a.scope_region"
	    " WHERE a.id = $1 AND a.scope_region = $2 AND a.role = 'authority'"
	    " AND a.state = 'active'");

	return admins_check_active(c, &admins_authority_active_stmt, account_id, scope_region,
	    scope_name);
}
