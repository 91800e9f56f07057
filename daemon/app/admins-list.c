/*
 * admins-list.c - 'jxjyd admins': the unit administrators of the config
 * beside what the database holds for them.
 *
 * The config is the truth and the running daemon brings the database in
 * line at start and on SIGHUP (admins.c); this listing shows both, so the
 * sysadmin sees at once an entry that did not take (its unit does not
 * exist, the daemon was not reloaded) and accounts the file no longer
 * names (disabled).  Names are printed last, so that the columns before
 * them line up whatever the width of the Chinese characters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admins-list.h"
#include "config.h"
#include "db.h"
#include "text.h"
#include "xmalloc.h"

DB_STMT(admins_list_one_stmt,
    "SELECT (SELECT active FROM units WHERE code = $2), a.role, a.state,"
    " (SELECT count(*) FROM account_keys k WHERE k.account_id = a.id"
    "  AND k.source = 'config'),"
    " a.unit_code"
    " FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT * FROM accounts"
    "  WHERE id_number = $1 AND (state = 'active' OR role = 'unit_admin')"
    "  ORDER BY state = 'active' DESC, id DESC LIMIT 1) a ON true");
DB_STMT(admins_list_others_stmt,
    "SELECT a.id_number, a.unit_code, a.state,"
    " (SELECT count(*) FROM account_keys k WHERE k.account_id = a.id), a.name"
    " FROM accounts a WHERE a.role = 'unit_admin'"
    " AND NOT (a.id_number::text = ANY ($1::text[]))"
    " ORDER BY a.unit_code, a.id_number");

static void
admins_list_row(FILE *out, const char *id, const char *unit, const char *state,
    const char *keys, const char *where, const char *name)
{
	char *clean_unit = text_sanitize(unit, false), *clean_name = text_sanitize(name, false);

	fprintf(out, "  %-18s  %-12s  %-22s  %-5s  %-5s  %s\n", id, clean_unit, state, keys,
	    where, clean_name);
	free(clean_unit);
	free(clean_name);
}

/* The state column of a configured administrator, from its row. */
static void
admins_list_state(PGresult *res, const struct config_admin *a, char *buf, size_t size)
{
	if (PQgetisnull(res, 0, 0))
		snprintf(buf, size, "unit does not exist");
	else if (PQgetisnull(res, 0, 1))
		snprintf(buf, size, "no account yet");
	else if (strcmp(PQgetvalue(res, 0, 1), "unit_admin") != 0)
		snprintf(buf, size, "staff, not synced");
	else if (strcmp(PQgetvalue(res, 0, 4), a->unit) != 0)
		snprintf(buf, size, "%s, other unit", PQgetvalue(res, 0, 2));
	else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		snprintf(buf, size, "%s, unit inactive", PQgetvalue(res, 0, 2));
	else
		snprintf(buf, size, "%s", PQgetvalue(res, 0, 2));
}

int
admins_list(struct db_conn *c, const struct config *cfg, FILE *out)
{
	char *ids, state[64], keys[32], where[16];
	const char *params[2];
	PGresult *res;
	size_t i, len = 0;
	int rc = -1;

	/* "{ID,ID,...}": ID numbers are digits and X, nothing to quote. */
	ids = xmalloc(2 + cfg->n_admins * 19 + 1);
	ids[len++] = '{';
	fprintf(out, "unit administrators named in %s: %zu\n", cfg->path, cfg->n_admins);
	if (cfg->n_admins > 0)
		admins_list_row(out, "ID NUMBER", "UNIT", "STATE", "KEYS", "LINE", "NAME");
	for (i = 0; i < cfg->n_admins; i++) {
		const struct config_admin *a = &cfg->admins[i];

		if (i > 0)
			ids[len++] = ',';
		memcpy(ids + len, a->id_number, 18);
		len += 18;
		params[0] = a->id_number;
		params[1] = a->unit;
		if ((res = db_exec(c, &admins_list_one_stmt, 2, params)) == NULL)
			goto out;
		admins_list_state(res, a, state, sizeof state);
		snprintf(keys, sizeof keys, "%s/%zu", PQgetisnull(res, 0, 3) ? "0" :
		    PQgetvalue(res, 0, 3), a->n_keys);
		snprintf(where, sizeof where, "%d", a->line);
		PQclear(res);
		admins_list_row(out, a->id_number, a->unit, state, keys, where, a->name);
	}
	ids[len++] = '}';
	ids[len] = '\0';

	params[0] = ids;
	if ((res = db_exec(c, &admins_list_others_stmt, 1, params)) == NULL)
		goto out;
	fprintf(out, "unit administrator accounts the file does not name: %d\n",
	    PQntuples(res));
	if (PQntuples(res) > 0)
		admins_list_row(out, "ID NUMBER", "UNIT", "STATE", "KEYS", "LINE", "NAME");
	for (int r = 0; r < PQntuples(res); r++)
		admins_list_row(out, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
		    PQgetvalue(res, r, 2), PQgetvalue(res, r, 3), "-", PQgetvalue(res, r, 4));
	PQclear(res);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "jxjyd: admins: database: %s\n", db_error_text(c));
	free(ids);
	return rc;
}
