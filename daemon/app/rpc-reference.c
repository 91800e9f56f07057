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

#include "db.h"
#include "rpc.h"
#include "xmalloc.h"

#define REFERENCE_FILTER_MAX	50	/* characters */

/*
 * Run st and turn its rows into {items:[...]}: column i becomes member
 * names[i]; a name starting with '#' is an integer.  Returns 0 or -1 after
 * rpc_fail.
 */
static int
reference_list(struct rpc_call *call, struct db_stmt *st, int n, const char *const *params,
    const char *const *names)
{
	PGresult *res;
	json_t *items;

	if ((res = db_exec(call->db, st, n, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
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
reference_page_next(struct rpc_call *call, const char *key_a, const char *key_b)
{
	json_t *items = json_object_get(call->result, "items");
	size_t limit = (size_t)call->page.limit;
	json_t *next = json_null();

	if (json_array_size(items) > limit) {
		json_t *last;
		const char *keys[2];

		json_array_remove(items, limit);
		last = json_array_get(items, limit - 1);
		keys[0] = json_string_value(json_object_get(last, key_a));
		keys[1] = json_string_value(json_object_get(last, key_b));
		char *cursor = rpc_cursor_encode(keys, 2);
		next = json_string(cursor);
		free(cursor);
	}
	json_object_set_new(call->result, "next", next);
}

/*
 * A page of st (or after_st with a cursor) with params: $1 .. $n-1 the
 * method's own, then the rows and the cursor's strings (as many as
 * the statement takes); the cursor is made of key_a and key_b.
 */
static int
reference_page(struct rpc_call *call, struct db_stmt *st, struct db_stmt *after_st,
    const char **params, int n, int n_after, const char *const *names,
    const char *key_a, const char *key_b)
{
	int rc;

	params[n - 1] = call->page.fetch;
	params[n] = call->page.key[0];
	params[n + 1] = call->page.key[1];
	rc = reference_list(call, call->page.after ? after_st : st,
	    call->page.after ? n_after : n, params, names);
	if (rc == 0)
		reference_page_next(call, key_a, key_b);
	return rc;
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
	    " ORDER BY name COLLATE zh_pinyin, code LIMIT $3");
	DB_STMT(ref_units_after_stmt,
	    "SELECT code, name FROM units WHERE region = $1 AND active"
	    " AND ($2::text IS NULL OR strpos(name, $2) > 0"
	    "  OR starts_with(lower(code), lower($2)))"
	    " AND (name COLLATE zh_pinyin, code) > ($4, $5)"
	    " ORDER BY name COLLATE zh_pinyin, code LIMIT $3");
	static const char *const names[] = { "code", "name", NULL };
	const char *params[5] = { rpc_param_string(call, "region"),
	    rpc_param_text(call, "filter") };

	return reference_page(call, &ref_units_stmt, &ref_units_after_stmt, params, 3, 5,
	    names, "name", "code");
}

static int
reference_departments(struct rpc_call *call)
{
	DB_STMT(ref_departments_stmt,
	    "SELECT id, name FROM departments WHERE unit_code = $1 AND active"
	    " ORDER BY name COLLATE zh_pinyin, id");
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
	const char *params[4] = { rpc_param_text(call, "filter") };

	return reference_page(call, &ref_majors_stmt, &ref_majors_after_stmt, params, 2, 3,
	    names, "code", "code");
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
	    " ORDER BY s.sort, t.level_rank, t.name COLLATE zh_pinyin");
	static const char *const names[] = { "#id", "series", "level", "name", NULL };
	const char *params[1] = { rpc_param_string(call, "series") };

	return reference_list(call, &ref_titles_stmt, 1, params, names);
}

/* ref.title_series: {items:[name...]}, a list of plain strings. */
static int
reference_title_series(struct rpc_call *call)
{
	DB_STMT(ref_title_series_stmt, "SELECT name FROM title_series ORDER BY sort");
	PGresult *res;
	json_t *items;

	if ((res = db_exec(call->db, &ref_title_series_stmt, 0, NULL)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
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

/* A paged list with a filter (clean text). */
#define REFERENCE_FILTER_PAGE_PARAMS \
	RPC_PAGE_PARAMS, \
	{ "filter", T_STRING | T_NULL, false, 1, REFERENCE_FILTER_MAX, "filter_invalid" }

static const struct rpc_param units_params[] = {
	{ "region", T_STRING, true },
	REFERENCE_FILTER_PAGE_PARAMS,
	{ NULL, 0, false },
};

static const struct rpc_param departments_params[] = {
	{ "unit", T_STRING, true },
	{ NULL, 0, false },
};

static const struct rpc_param majors_params[] = {
	REFERENCE_FILTER_PAGE_PARAMS,
	{ NULL, 0, false },
};

static const struct rpc_param titles_params[] = {
	{ "series", T_STRING | T_NULL, false },
	{ NULL, 0, false },
};

/* The long lists: 50 rows a page, after the last one's two texts. */
#define REFERENCE_PAGE	.page = { 50, RPC_CURSOR_TEXT }

const struct rpc_method rpc_reference_methods[] = {
	{ "ref.regions", regions_params, ROLE_ANY, false, reference_regions, .db = RPC_DB },
	{ "ref.units", units_params, ROLE_ANY, false, reference_units, .db = RPC_DB,
	    REFERENCE_PAGE },
	{ "ref.departments", departments_params, ROLE_ANY, false, reference_departments,
	    .db = RPC_DB },
	{ "ref.majors", majors_params, ROLE_ANY, false, reference_majors, .db = RPC_DB,
	    REFERENCE_PAGE },
	{ "ref.ethnicities", NULL, ROLE_ANY, false, reference_ethnicities, .db = RPC_DB },
	{ "ref.titles", titles_params, ROLE_ANY, false, reference_titles, .db = RPC_DB },
	{ "ref.title_series", NULL, ROLE_ANY, false, reference_title_series, .db = RPC_DB },
	{ "ref.education_levels", NULL, ROLE_ANY, false, reference_education_levels,
	    .db = RPC_DB },
	{ NULL, NULL, 0, false, NULL },
};
