/*
 * bases.c - a continuing-education base's forms and the audit of its
 * classes (bases.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bases.h"
#include "config.h"
#include "db.h"
#include "xmalloc.h"

json_t *
bases_forms_of(const struct config *cfg, const char *kind, const char *forms_json)
{
	const struct config_base_kind *k;
	json_t *forms = json_loads(forms_json, 0, NULL);

	if (!json_is_array(forms)) {
		json_decref(forms);
		forms = json_array();
	}
	if (json_array_size(forms) == 0 && (k = config_base_kind(cfg, kind)) != NULL) {
		for (size_t i = 0; i < k->n_forms; i++)
			json_array_append_new(forms, json_string(k->forms[i]));
	}
	return forms;
}

json_t *
bases_forms(struct db_conn *db, const struct config *cfg, const char *base_code)
{
	DB_STMT(bases_forms_stmt,
	    "SELECT kind, array_to_json(forms)::text FROM bases WHERE code = $1");
	const char *params[1] = { base_code };
	json_t *forms;
	PGresult *res;

	if ((res = db_exec(db, &bases_forms_stmt, 1, params)) == NULL)
		return NULL;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return json_array();
	}
	forms = bases_forms_of(cfg, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	PQclear(res);
	return forms;
}

bool
bases_form_allowed(const json_t *forms, const char *code)
{
	size_t i;
	json_t *v;

	json_array_foreach(forms, i, v) {
		if (strcmp(json_string_value(v), code) == 0)
			return true;
	}
	return false;
}

int
bases_audit(struct db_conn *db, const char *class_id, long long actor_id, const char *action,
    json_t *detail)
{
	DB_STMT(bases_audit_stmt,
	    "INSERT INTO base_class_audit (class_id, actor_id, action, detail)"
	    " VALUES ($1, NULLIF($2, '0')::bigint, $3, $4::jsonb)");
	json_t *d = detail != NULL ? detail : json_object();
	char actor[24], *text = json_dumps(d, JSON_COMPACT);
	const char *params[4] = { class_id, actor, action, text };
	PGresult *res;

	if (text == NULL)
		abort();	/* only on allocation failure */
	json_decref(d);
	snprintf(actor, sizeof actor, "%lld", actor_id);
	res = db_exec(db, &bases_audit_stmt, 4, params);
	free(text);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}
