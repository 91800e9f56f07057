/*
 * admins-list.c - 'jxjyd admins': the unit and base administrators of the
 * config beside what the database holds for them.
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

/*
 * One configured entry ($1 its ID number, $2 its unit or base): whether
 * the unit (base) is active (NULL: none), and the ID number's account as
 * admins_sync finds it -- role, state, config keys in force, unit (base).
 */
#define ADMINS_LIST_ONE(scope_table, scope_column, role) \
    "SELECT (SELECT active FROM " scope_table " WHERE code = $2), a.role, a.state," \
    " (SELECT count(*) FROM account_keys k WHERE k.account_id = a.id" \
    "  AND k.source = 'config')," \
    " a." scope_column \
    " FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT * FROM accounts" \
    "  WHERE id_number = $1 AND (state = 'active' OR role = '" role "')" \
    "  ORDER BY state = 'active' DESC, id DESC LIMIT 1) a ON true"
/* The accounts of the role that the file does not name ($1 its ID numbers). */
#define ADMINS_LIST_OTHERS(scope_column, role) \
    "SELECT a.id_number, a." scope_column ", a.state," \
    " (SELECT count(*) FROM account_keys k WHERE k.account_id = a.id), a.name" \
    " FROM accounts a WHERE a.role = '" role "'" \
    " AND NOT (a.id_number::text = ANY ($1::text[]))" \
    " ORDER BY a." scope_column ", a.id_number"
DB_STMT(admins_list_one_stmt, ADMINS_LIST_ONE("units", "unit_code", "unit_admin"));
DB_STMT(admins_list_others_stmt, ADMINS_LIST_OTHERS("unit_code", "unit_admin"));
DB_STMT(admins_list_base_one_stmt, ADMINS_LIST_ONE("bases", "base_code", "base_admin"));
DB_STMT(admins_list_base_others_stmt, ADMINS_LIST_OTHERS("base_code", "base_admin"));

/* One list of the config: unit_admins or base_admins. */
struct admins_list_kind {
	const char		*title;		/* "unit administrators" */
	const char		*scope;		/* "unit" or "base" */
	const char		*role;
	struct db_stmt		*one, *others;
	const struct config_admin *admins;
	size_t			 n;
};

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

/* The state column of a configured administrator (its unit or base where), from its row. */
static void
admins_list_state(PGresult *res, const struct admins_list_kind *k, const char *where,
    char *buf, size_t size)
{
	if (PQgetisnull(res, 0, 0))
		snprintf(buf, size, "%s does not exist", k->scope);
	else if (PQgetisnull(res, 0, 1))
		snprintf(buf, size, "no account yet");
	else if (strcmp(PQgetvalue(res, 0, 1), k->role) != 0)
		snprintf(buf, size, "%s, not synced", PQgetvalue(res, 0, 1));
	else if (strcmp(PQgetvalue(res, 0, 4), where) != 0)
		snprintf(buf, size, "%s, other %s", PQgetvalue(res, 0, 2), k->scope);
	else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		snprintf(buf, size, "%s, %s inactive", PQgetvalue(res, 0, 2), k->scope);
	else
		snprintf(buf, size, "%s", PQgetvalue(res, 0, 2));
}

/* Print one kind's list, as admins_list says.  Returns 0, or -1 when the database failed. */
static int
admins_list_kind(struct db_conn *c, const struct config *cfg, const struct admins_list_kind *k,
    FILE *out)
{
	char *ids, state[64], keys[32], where[16];
	const char *params[2], *heading = strcmp(k->scope, "unit") == 0 ? "UNIT" : "BASE";
	PGresult *res;
	size_t i, len = 0;
	int rc = -1;

	/* "{ID,ID,...}": ID numbers are digits and X, nothing to quote. */
	ids = xmalloc(2 + k->n * 19 + 1);
	ids[len++] = '{';
	fprintf(out, "%s named in %s: %zu\n", k->title, cfg->path, k->n);
	if (k->n > 0)
		admins_list_row(out, "ID NUMBER", heading, "STATE", "KEYS", "LINE", "NAME");
	for (i = 0; i < k->n; i++) {
		const struct config_admin *a = &k->admins[i];
		const char *scope = a->unit != NULL ? a->unit : a->base;

		if (i > 0)
			ids[len++] = ',';
		memcpy(ids + len, a->id_number, 18);
		len += 18;
		params[0] = a->id_number;
		params[1] = scope;
		if ((res = db_exec(c, k->one, 2, params)) == NULL)
			goto out;
		admins_list_state(res, k, scope, state, sizeof state);
		snprintf(keys, sizeof keys, "%s/%zu", PQgetisnull(res, 0, 3) ? "0" :
		    PQgetvalue(res, 0, 3), a->n_keys);
		snprintf(where, sizeof where, "%d", a->line);
		PQclear(res);
		admins_list_row(out, a->id_number, scope, state, keys, where, a->name);
	}
	ids[len++] = '}';
	ids[len] = '\0';

	params[0] = ids;
	if ((res = db_exec(c, k->others, 1, params)) == NULL)
		goto out;
	fprintf(out, "%s accounts the file does not name: %d\n",
	    strcmp(k->scope, "unit") == 0 ? "unit administrator" : "base administrator",
	    PQntuples(res));
	if (PQntuples(res) > 0)
		admins_list_row(out, "ID NUMBER", heading, "STATE", "KEYS", "LINE", "NAME");
	for (int r = 0; r < PQntuples(res); r++)
		admins_list_row(out, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
		    PQgetvalue(res, r, 2), PQgetvalue(res, r, 3), "-", PQgetvalue(res, r, 4));
	PQclear(res);
	rc = 0;
out:
	free(ids);
	return rc;
}

int
admins_list(struct db_conn *c, const struct config *cfg, FILE *out)
{
	const struct admins_list_kind kinds[] = {
		{ "unit administrators", "unit", "unit_admin", &admins_list_one_stmt,
		    &admins_list_others_stmt, cfg->admins, cfg->n_admins },
		{ "base administrators", "base", "base_admin", &admins_list_base_one_stmt,
		    &admins_list_base_others_stmt, cfg->base_admins, cfg->n_base_admins },
	};

	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		if (admins_list_kind(c, cfg, &kinds[k], out) != 0) {
			fprintf(stderr, "jxjyd: admins: database: %s\n", db_error_text(c));
			return -1;
		}
	}
	return 0;
}
