/*
 * rpc-reference.c - the pickers of the registration form and of profiles:
 * regions, units, departments, majors, ethnicities, titles, education
 * levels.  Open to every role, since a guest fills in the form.
 *
 * The two long lists (units, majors) are keyset paged: a page ends with an
 * opaque cursor naming the last row's sort key, and the next page starts
 * strictly after it, so paging costs the same at any depth and rows added
 * meanwhile neither repeat nor vanish.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "db.h"
#include "rpc.h"
#include "text.h"
#include "xmalloc.h"

#define REFERENCE_LIMIT_DEFAULT	50
#define REFERENCE_LIMIT_MAX	200
#define REFERENCE_FILTER_MAX	50	/* characters */
#define REFERENCE_CURSOR_MAX	512	/* bytes of an encoded cursor */

/* The "limit" parameter, or the default; -1 after rpc_fail when out of range. */
static int
reference_limit(struct rpc_call *call)
{
	long long limit = REFERENCE_LIMIT_DEFAULT;

	if (rpc_param_int(call, "limit", &limit) &&
	    (limit < 1 || limit > REFERENCE_LIMIT_MAX))
		return rpc_fail(call, RPC_INVALID_PARAMS, "limit_invalid", "limit", NULL);
	return (int)limit;
}

/*
 * The "filter" parameter: NULL when absent or empty, else the text.
 * Sets *bad after rpc_fail when it is not clean text of a sensible length.
 */
static const char *
reference_filter(struct rpc_call *call, bool *bad)
{
	const char *f = rpc_param_string(call, "filter");

	*bad = false;
	if (f == NULL || *f == '\0')
		return NULL;
	if (!text_clean(f, false, 1, REFERENCE_FILTER_MAX)) {
		*bad = true;
		rpc_fail(call, RPC_INVALID_PARAMS, "filter_invalid", "filter", NULL);
	}
	return f;
}

/*
 * Run st and turn its rows into {items:[...]}: column i becomes member
 * names[i]; a name starting with '#' is an integer.  Returns 0 or -1 after
 * rpc_fail.
 */
static int
reference_list(struct rpc_call *call, struct db_stmt *st, int n, const char *const *params,
    const char *const *names)
{
	struct db_conn *db;
	PGresult *res;
	json_t *items;

	if ((db = rpc_db(call)) == NULL)
		return -1;
	if ((res = db_exec(db, st, n, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	items = json_array();
	for (int r = 0; r < PQntuples(res); r++) {
		json_t *item = json_object();

		for (int c = 0; names[c] != NULL; c++) {
			const char *v = PQgetvalue(res, r, c);

			if (names[c][0] == '#')
				json_object_set_new(item, names[c] + 1,
				    json_integer(strtoll(v, NULL, 10)));
			else
				json_object_set_new(item, names[c], json_string(v));
		}
		json_array_append_new(items, item);
	}
	PQclear(res);
	call->result = json_pack("{s:o}", "items", items);
	return 0;
}

/*
 * Add "next" to a paged result: the cursor after the last item when the
 * page is full (one more row was fetched to know), else null.  Drops the
 * extra row.  key_a/key_b name the members that make the sort key.
 */
static void
reference_page_next(json_t *result, int limit, const char *key_a, const char *key_b)
{
	json_t *items = json_object_get(result, "items");
	json_t *next = json_null();

	if ((int)json_array_size(items) > limit) {
		json_t *last;

		json_array_remove(items, (size_t)limit);
		last = json_array_get(items, (size_t)limit - 1);
		char *cursor = rpc_cursor_encode(
		    json_string_value(json_object_get(last, key_a)),
		    json_string_value(json_object_get(last, key_b)));
		next = json_string(cursor);
		free(cursor);
	}
	json_object_set_new(result, "next", next);
}

static int
reference_regions(struct rpc_call *call)
{
	DB_STMT(ref_regions_top_stmt,
	    "SELECT code, name FROM regions WHERE active AND parent IN"
	    " (SELECT code FROM regions WHERE parent IS NULL) ORDER BY code");
	DB_STMT(ref_regions_stmt,
	    "SELECT code, name FROM regions WHERE active AND parent = $1 ORDER BY code");
	static const char *const names[] = { "code", "name", NULL };
	const char *parent = rpc_param_string(call, "parent");

	if (parent != NULL)
		return reference_list(call, &ref_regions_stmt, 1,
		    (const char *[]){ parent }, names);
	return reference_list(call, &ref_regions_top_stmt, 0, NULL, names);
}

static int
reference_units(struct rpc_call *call)
{
	DB_STMT(ref_units_stmt,
	    "SELECT code, name FROM units WHERE region = $1 AND active"
	    " AND ($2::text IS NULL OR strpos(name, $2) > 0"
	    "  OR starts_with(lower(code), lower($2)))"
	    " ORDER BY name, code LIMIT $3");
	DB_STMT(ref_units_after_stmt,
	    "SELECT code, name FROM units WHERE region = $1 AND active"
	    " AND ($2::text IS NULL OR strpos(name, $2) > 0"
	    "  OR starts_with(lower(code), lower($2)))"
	    " AND (name, code) > ($4, $5)"
	    " ORDER BY name, code LIMIT $3");
	static const char *const names[] = { "code", "name", NULL };
	const char *region = rpc_param_string(call, "region"), *filter;
	char *after_name = NULL, *after_code = NULL, limit_text[24];
	int limit, have_after, rc;
	bool bad;

	if ((limit = reference_limit(call)) < 0)
		return -1;
	filter = reference_filter(call, &bad);
	if (bad)
		return -1;
	if ((have_after = rpc_cursor_decode(call, &after_name, &after_code)) < 0)
		return -1;
	snprintf(limit_text, sizeof limit_text, "%d", limit + 1);
	const char *params[5] = { region, filter, limit_text, after_name, after_code };
	rc = reference_list(call, have_after ? &ref_units_after_stmt : &ref_units_stmt,
	    have_after ? 5 : 3, params, names);
	if (rc == 0)
		reference_page_next(call->result, limit, "name", "code");
	free(after_name);
	free(after_code);
	return rc;
}

static int
reference_departments(struct rpc_call *call)
{
	DB_STMT(ref_departments_stmt,
	    "SELECT id, name FROM departments WHERE unit_code = $1 AND active"
	    " ORDER BY name, id");
	static const char *const names[] = { "#id", "name", NULL };
	const char *params[1] = { rpc_param_string(call, "unit") };

	return reference_list(call, &ref_departments_stmt, 1, params, names);
}

static int
reference_majors(struct rpc_call *call)
{
	/* discipline: the name of the discipline category (学科门类). */
	DB_STMT(ref_majors_stmt,
	    "SELECT m.code, m.name, d.name FROM majors m"
	    " JOIN disciplines d ON d.code = m.discipline WHERE m.active"
	    " AND ($1::text IS NULL OR strpos(m.name, $1) > 0"
	    "  OR starts_with(m.code, upper($1)))"
	    " ORDER BY m.code LIMIT $2");
	DB_STMT(ref_majors_after_stmt,
	    "SELECT m.code, m.name, d.name FROM majors m"
	    " JOIN disciplines d ON d.code = m.discipline WHERE m.active"
	    " AND ($1::text IS NULL OR strpos(m.name, $1) > 0"
	    "  OR starts_with(m.code, upper($1)))"
	    " AND m.code > $3 ORDER BY m.code LIMIT $2");
	static const char *const names[] = { "code", "name", "discipline", NULL };
	const char *filter;
	char *after_code = NULL, *unused = NULL, limit_text[24];
	int limit, have_after, rc;
	bool bad;

	if ((limit = reference_limit(call)) < 0)
		return -1;
	filter = reference_filter(call, &bad);
	if (bad)
		return -1;
	if ((have_after = rpc_cursor_decode(call, &after_code, &unused)) < 0)
		return -1;
	snprintf(limit_text, sizeof limit_text, "%d", limit + 1);
	const char *params[3] = { filter, limit_text, after_code };
	rc = reference_list(call, have_after ? &ref_majors_after_stmt : &ref_majors_stmt,
	    have_after ? 3 : 2, params, names);
	if (rc == 0)
		reference_page_next(call->result, limit, "code", "code");
	free(after_code);
	free(unused);
	return rc;
}

static int
reference_ethnicities(struct rpc_call *call)
{
	DB_STMT(ref_ethnicities_stmt, "SELECT code, name FROM ethnicities ORDER BY code");
	static const char *const names[] = { "code", "name", NULL };

	return reference_list(call, &ref_ethnicities_stmt, 0, NULL, names);
}

static int
reference_titles(struct rpc_call *call)
{
	DB_STMT(ref_titles_stmt,
	    "SELECT t.id, t.series, t.level, t.name FROM titles t"
	    " JOIN title_series s ON s.name = t.series"
	    " WHERE t.active AND ($1::text IS NULL OR t.series = $1)"
	    " ORDER BY s.sort, t.level_rank, t.name");
	static const char *const names[] = { "#id", "series", "level", "name", NULL };
	const char *params[1] = { rpc_param_string(call, "series") };

	return reference_list(call, &ref_titles_stmt, 1, params, names);
}

/* ref.title_series: {items:[name...]}, a list of plain strings. */
static int
reference_title_series(struct rpc_call *call)
{
	DB_STMT(ref_title_series_stmt, "SELECT name FROM title_series ORDER BY sort");
	struct db_conn *db;
	PGresult *res;
	json_t *items;

	if ((db = rpc_db(call)) == NULL)
		return -1;
	if ((res = db_exec(db, &ref_title_series_stmt, 0, NULL)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	items = json_array();
	for (int r = 0; r < PQntuples(res); r++)
		json_array_append_new(items, json_string(PQgetvalue(res, r, 0)));
	PQclear(res);
	call->result = json_pack("{s:o}", "items", items);
	return 0;
}

static int
reference_education_levels(struct rpc_call *call)
{
	DB_STMT(ref_education_stmt, "SELECT code, name FROM education_levels ORDER BY sort");
	static const char *const names[] = { "code", "name", NULL };

	return reference_list(call, &ref_education_stmt, 0, NULL, names);
}

static const struct rpc_param regions_params[] = {
	{ "parent", T_STRING | T_NULL, false },
	{ NULL, 0, false },
};

static const struct rpc_param units_params[] = {
	{ "region", T_STRING, true },
	{ "filter", T_STRING | T_NULL, false },
	{ "after", T_STRING | T_NULL, false },
	{ "limit", T_INTEGER, false },
	{ NULL, 0, false },
};

static const struct rpc_param departments_params[] = {
	{ "unit", T_STRING, true },
	{ NULL, 0, false },
};

static const struct rpc_param majors_params[] = {
	{ "filter", T_STRING | T_NULL, false },
	{ "after", T_STRING | T_NULL, false },
	{ "limit", T_INTEGER, false },
	{ NULL, 0, false },
};

static const struct rpc_param titles_params[] = {
	{ "series", T_STRING | T_NULL, false },
	{ NULL, 0, false },
};

const struct rpc_method rpc_reference_methods[] = {
	{ "ref.regions", regions_params, ROLE_ANY, false, reference_regions },
	{ "ref.units", units_params, ROLE_ANY, false, reference_units },
	{ "ref.departments", departments_params, ROLE_ANY, false, reference_departments },
	{ "ref.majors", majors_params, ROLE_ANY, false, reference_majors },
	{ "ref.ethnicities", NULL, ROLE_ANY, false, reference_ethnicities },
	{ "ref.titles", titles_params, ROLE_ANY, false, reference_titles },
	{ "ref.title_series", NULL, ROLE_ANY, false, reference_title_series },
	{ "ref.education_levels", NULL, ROLE_ANY, false, reference_education_levels },
	{ NULL, NULL, 0, false, NULL },
};
