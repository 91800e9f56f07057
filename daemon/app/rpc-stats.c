/*
 * rpc-stats.c - the authority's completion statistics (继续教育完成情况统计)
 * and the yearly requirements it reads them against (年度学时要求).
 *
 *	stats.completion, stats.csv, stats.trend, requirements.list	authority
 *
 * The province, city, unit and department levels read only the maintained
 * figures of schema 016 (figures.h: completion_stats_now, with units,
 * regions and departments), never a declaration: a city of the province
 * is a few thousand rows however many records its staff have.  The person
 * level is completion.c's unit report, the statement the unit
 * administrator's 完成情况统计 runs, so an authority sees the very figures
 * the unit sees.  Both are sorted, filtered and keyset paged in the
 * database.
 *
 * Scope: every statement carries the session's scope_region (the province,
 * or one city), and a city, unit or department outside it is -32004
 * not_found, the same reply as for one that does not exist.  The
 * dispatcher has checked the account is still an active authority of that
 * scope (RPC_DB_AUTHORITY) before a handler runs.  They are heavy reads,
 * as completion.report is: from a replica when one is fresh enough
 * (.replica, rpc.h), the reply saying so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "completion.h"
#include "config.h"
#include "db.h"
#include "figures.h"
#include "forms.h"
#include "messages.h"
#include "rpc.h"
#include "rpc-completion.h"
#include "session.h"
#include "text.h"
#include "xmalloc.h"

#define STATS_LIMIT_DEFAULT	50
#define STATS_CSV_ROWS		2000	/* rows per piece of stats.csv */

/* The levels of the drill-down; the first three read the maintained figures. */
enum stats_level {
	STATS_BY_CITY,
	STATS_BY_UNIT,
	STATS_BY_DEPARTMENT,
	STATS_BY_PERSON,
};
#define STATS_NLEVELS	3	/* levels with statements of their own */

static const char *const stats_levels[] = { "city", "unit", "department", "person", NULL };

/* Orders of the city, unit and department levels; each ends in the row's key. */
enum stats_sort {
	STATS_SORT_NAME,
	STATS_SORT_STAFF,
	STATS_SORT_MET,
	STATS_SORT_RATE,
	STATS_SORT_AVG_TOTAL,
	STATS_SORT_PENDING,
};
#define STATS_NSORTS	6

static const char *const stats_sorts[] = {
	"name", "staff", "met", "rate", "avg_total", "pending", NULL
};

/* The index of name in a NULL-ended list, or -1. */
static int
stats_word(const char *const *list, const char *name)
{
	for (int i = 0; list[i] != NULL; i++) {
		if (strcmp(list[i], name) == 0)
			return i;
	}
	return -1;
}

/* ---- the statements ------------------------------------------------------------------ */

/*
 * A level's rows are the CTE lvl (key text, name, staff, met, pub, pro,
 * pending), summed from the figures' rows (FIGURES_ROWS, the rows of
 * completion_stats_now before its grouping) of year 0 (the staff
 * counts) and of the year asked for (the rest).  Parameters shared by
 * every level: $1 year, $2 scope (a region code), $3 below (a rate: only
 * rows with met < below × staff; NULL: all), $4 $5 the sort key and key
 * of the last row shown (NULL: from the start), $6 rows (NULL: all).
 * The unit and department levels add $7, the city or unit; the
 * department level $8, the name shown for staff of no department.
 */
#define STATS_SCOPE		"$2::bpchar"
#define STATS_SUMS \
	" sum(s.staff)::bigint AS staff, sum(s.met)::bigint AS met, sum(s.pub) AS pub," \
	" sum(s.pro) AS pro, sum(s.pending) AS pending"
#define STATS_FIGURES(f) \
	" COALESCE(" f ".staff, 0) AS staff, COALESCE(" f ".met, 0) AS met," \
	" COALESCE(" f ".pub, 0) AS pub, COALESCE(" f ".pro, 0) AS pro," \
	" COALESCE(" f ".pending, 0) AS pending"
#define STATS_OF_YEAR	"s.year IN (0, $1::smallint)"

/* The cities of the scope (the scope's own city, for a city's authority), and the
 * province itself when units belong to it directly (省直). */
#define STATS_LEVEL_CITY \
	"lvl AS (SELECT r.code::text AS key, r.name," STATS_FIGURES("f") \
	" FROM regions r LEFT JOIN (SELECT u.region," STATS_SUMS \
	"  FROM " FIGURES_ROWS(STATS_OF_YEAR) " s JOIN units u ON u.code = s.unit_code" \
	"  WHERE " RPC_SCOPE_COVERS("u.region", STATS_SCOPE) \
	"  GROUP BY u.region) f ON f.region = r.code" \
	" WHERE (r.parent = " STATS_SCOPE " OR r.code = " STATS_SCOPE \
	"  AND (r.parent IS NOT NULL OR f.region IS NOT NULL" \
	"  OR EXISTS (SELECT 1 FROM units x WHERE x.region = r.code)))" \
	"  AND (r.active OR f.region IS NOT NULL))"

/*
 * The units of the city $7 (NULL: every unit of the scope); a closed unit
 * only while it still has figures.  One city's units each probe the
 * figures' primary key (year, unit): a filter on the unit inside the
 * LATERAL reaches completion_stats_now's grouping, where a join would
 * aggregate every unit of the province first.  The whole scope is one
 * aggregate over the year.  Which branch runs is decided once ($7 IS
 * NULL is a one-time filter of the generic plan).
 */
#define STATS_LEVEL_UNIT \
	"lvl AS (SELECT u.code AS key, u.name," STATS_FIGURES("f") \
	" FROM units u CROSS JOIN LATERAL (SELECT" STATS_SUMS \
	"  FROM " FIGURES_ROWS(STATS_OF_YEAR " AND s.unit_code = u.code") " s) f" \
	" WHERE $7::bpchar IS NOT NULL AND u.region = $7::bpchar" \
	"  AND (u.active OR f.staff IS NOT NULL)" \
	" UNION ALL" \
	" SELECT u.code, u.name," STATS_FIGURES("f") \
	" FROM units u LEFT JOIN (SELECT s.unit_code," STATS_SUMS \
	"  FROM " FIGURES_ROWS(STATS_OF_YEAR) " s JOIN units w ON w.code = s.unit_code" \
	"  WHERE " RPC_SCOPE_COVERS("w.region", STATS_SCOPE) \
	"  GROUP BY s.unit_code) f ON f.unit_code = u.code" \
	" WHERE $7::bpchar IS NULL AND " RPC_SCOPE_COVERS("u.region", STATS_SCOPE) \
	"  AND (u.active OR f.unit_code IS NOT NULL))"

/* The departments of the unit $7 (key: the id, 0 for staff of none), when the
 * unit lies in the scope. */
#define STATS_LEVEL_DEPARTMENT \
	"lvl AS (SELECT COALESCE(d.id, f.department_id)::text AS key," \
	" COALESCE(d.name, $8::text) AS name," STATS_FIGURES("f") \
	" FROM (SELECT s.department_id," STATS_SUMS \
	"  FROM " FIGURES_ROWS(STATS_OF_YEAR " AND s.unit_code = $7::text") " s" \
	"  GROUP BY s.department_id) f" \
	" FULL JOIN (SELECT id, name, active FROM departments WHERE unit_code = $7::text) d" \
	"  ON d.id = f.department_id" \
	" WHERE (d.active OR f.department_id IS NOT NULL) AND EXISTS (SELECT 1 FROM units x" \
	"  WHERE x.code = $7::text AND " RPC_SCOPE_COVERS("x.region", STATS_SCOPE) "))"

/* What follows from a row's sums: the rate (4 decimals, NULL without staff), averages. */
#define STATS_DERIVED(t) \
	" CASE WHEN " t ".staff > 0 THEN round(" t ".met::numeric / " t ".staff, 4) END AS rate," \
	" CASE WHEN " t ".staff > 0 THEN round((" t ".pub + " t ".pro) / " t ".staff, 2)" \
	"  ELSE 0 END AS avg_total," \
	" CASE WHEN " t ".staff > 0 THEN round(" t ".pub / " t ".staff, 2) ELSE 0 END AS avg_pub," \
	" CASE WHEN " t ".staff > 0 THEN round(" t ".pro / " t ".staff, 2) ELSE 0 END AS avg_pro"

/* The level's figures as a whole (of every row, the filter aside): the summary. */
#define STATS_TOTAL \
	" total AS (SELECT COALESCE(sum(staff), 0)::bigint AS staff," \
	"  COALESCE(sum(met), 0)::bigint AS met, COALESCE(sum(pub), 0) AS pub," \
	"  COALESCE(sum(pro), 0) AS pro, COALESCE(sum(pending), 0) AS pending FROM lvl)"

/* Columns of a figures group: the summary's, then each row's after its key and name. */
#define STATS_FIGURE_COLUMNS(t) \
	t ".staff, " t ".met, trim_scale(" t ".pending)::text, trim_scale(" t ".rate)::text," \
	" trim_scale(" t ".avg_total)::text, trim_scale(" t ".avg_pub)::text," \
	" trim_scale(" t ".avg_pro)::text"

enum stats_column {
	STATS_COL_STAFF,	/* of a figures group (stats_figures_json) */
	STATS_COL_MET,
	STATS_COL_PENDING,
	STATS_COL_RATE,		/* NULL without staff */
	STATS_COL_AVG_TOTAL,
	STATS_COL_AVG_PUBLIC,
	STATS_COL_AVG_PROFESSIONAL,
	STATS_NFIGURES,
};
/* The summary is the group at 0; a row's key, name and group follow (NULL: no row). */
#define STATS_COL_KEY		STATS_NFIGURES
#define STATS_COL_NAME		(STATS_NFIGURES + 1)
#define STATS_COL_ROW		(STATS_NFIGURES + 2)
#define STATS_COL_SORT_KEY	(STATS_COL_ROW + STATS_NFIGURES)

/*
 * A page of a level in one order, with the summary: one row even when the
 * page is empty (its key NULL).  key is the sort expression over judged j,
 * keytype the type a cursor's key is read as, keytext the key as the
 * cursor keeps it; ties go by the row's key, bytewise.  Names compare by
 * pinyin (COLLATE zh_pinyin, schema 008).
 */
#define STATS_PAGE(level, key, keytype, keytext, dir, cmp) \
	"WITH " level "," STATS_TOTAL "," \
	" judged AS (SELECT l.*," STATS_DERIVED("l") " FROM lvl l)" \
	" SELECT " STATS_FIGURE_COLUMNS("d") ", p.key, p.name, " STATS_FIGURE_COLUMNS("p") "," \
	"  p.sort_key" \
	" FROM (SELECT t.*," STATS_DERIVED("t") " FROM total t) d" \
	" LEFT JOIN LATERAL (SELECT j.*, " keytext " AS sort_key FROM judged j" \
	"  WHERE ($3::numeric IS NULL OR j.met < $3::numeric * j.staff)" \
	"  AND ($4::text IS NULL OR (" key ", j.key COLLATE \"C\") " cmp \
	"   ($4::" keytype ", $5::text COLLATE \"C\"))" \
	"  ORDER BY " key " " dir ", j.key COLLATE \"C\" " dir " LIMIT $6::bigint) p ON true"

#define STATS_STMT(id, text) { .name = "stats_" id, .sql = text, .slot = 0 }
#define STATS_SORT_STMTS(level_id, level, sort_id, key, keytype, keytext) \
	{ STATS_STMT(level_id "_" sort_id "_asc", \
	      STATS_PAGE(level, key, keytype, keytext, "ASC", ">")), \
	  STATS_STMT(level_id "_" sort_id "_desc", \
	      STATS_PAGE(level, key, keytype, keytext, "DESC", "<")) }
#define STATS_LEVEL_STMTS(level_id, level) { \
	STATS_SORT_STMTS(level_id, level, "name", "j.name COLLATE zh_pinyin", "text", "j.name"), \
	STATS_SORT_STMTS(level_id, level, "staff", "j.staff", "bigint", "j.staff::text"), \
	STATS_SORT_STMTS(level_id, level, "met", "j.met", "bigint", "j.met::text"), \
	STATS_SORT_STMTS(level_id, level, "rate", "COALESCE(j.rate, -1)", "numeric", \
	    "COALESCE(j.rate, -1)::text"), \
	STATS_SORT_STMTS(level_id, level, "avg_total", "j.avg_total", "numeric", \
	    "j.avg_total::text"), \
	STATS_SORT_STMTS(level_id, level, "pending", "j.pending", "numeric", "j.pending::text") }

/* By enum stats_level, enum stats_sort, then ascending / descending. */
static struct db_stmt stats_level_stmts[STATS_NLEVELS][STATS_NSORTS][2] = {
	STATS_LEVEL_STMTS("city", STATS_LEVEL_CITY),
	STATS_LEVEL_STMTS("unit", STATS_LEVEL_UNIT),
	STATS_LEVEL_STMTS("department", STATS_LEVEL_DEPARTMENT),
};
/* The parameters each level's statements take. */
static const int stats_level_nparams[STATS_NLEVELS] = { 6, 7, 8 };

/*
 * The summary of the person level: the figures of the unit $2 (and the
 * department $3, 0 for none; NULL: all), the row its department level
 * shows.  $1 the year.
 */
DB_STMT(stats_person_summary_stmt,
    "WITH lvl AS (SELECT" STATS_SUMS " FROM " FIGURES_ROWS(STATS_OF_YEAR
    "  AND s.unit_code = $2::text AND ($3::bigint IS NULL OR s.department_id = $3::bigint)")
    " s),"
    STATS_TOTAL
    " SELECT " STATS_FIGURE_COLUMNS("d")
    " FROM (SELECT t.*," STATS_DERIVED("t") " FROM total t) d");

/*
 * Where a request reads, checked against the scope $1: the scope's name,
 * the city $2 (or the unit's; none given: a city's scope itself), the
 * unit $3, the department $4 of that unit.  A column is NULL when its
 * place is not in the scope or does not exist.
 */
DB_STMT(stats_place_stmt,
    "SELECT sr.name, c.code, c.name, u.code, u.name, d.id, d.name"
    " FROM regions sr"
    " LEFT JOIN units u ON u.code = $3::text AND " RPC_SCOPE_COVERS("u.region", "sr.code")
    " LEFT JOIN regions c ON c.code = COALESCE(u.region, $2::bpchar,"
    "  CASE WHEN sr.parent IS NOT NULL THEN sr.code END)"
    "  AND (c.code = sr.code OR c.parent = sr.code)"
    " LEFT JOIN departments d ON d.id = $4::bigint AND d.unit_code = u.code"
    " WHERE sr.code = $1::bpchar");

enum stats_place_column {
	STATS_PLACE_SCOPE_NAME,
	STATS_PLACE_CITY,
	STATS_PLACE_CITY_NAME,
	STATS_PLACE_UNIT,
	STATS_PLACE_UNIT_NAME,
	STATS_PLACE_DEPARTMENT,
	STATS_PLACE_DEPARTMENT_NAME,
};

/*
 * The met rate of each year, from the first with figures to $2, the
 * current year: staff are those counted now (figures.h), met those of
 * them who met that year's requirement.  where picks the units (s, u),
 * with $1 the scope, city or unit.
 */
#define STATS_TREND(where) \
	"WITH f AS (SELECT s.year, sum(s.staff)::bigint AS staff," \
	"  sum(s.people)::bigint AS people, sum(s.met)::bigint AS met" \
	"  FROM " FIGURES_ROWS("true") " s JOIN units u ON u.code = s.unit_code" \
	"  WHERE " where " GROUP BY s.year)," \
	" counted AS (SELECT COALESCE(sum(staff), 0)::bigint AS staff FROM f WHERE year = 0)," \
	" first AS (SELECT least(COALESCE(min(year) FILTER (WHERE year > 0 AND people > 0)," \
	"  $2::int), $2::int) AS year FROM f)" \
	" SELECT y, c.staff, COALESCE(f.met, 0)," \
	"  CASE WHEN c.staff > 0" \
	"   THEN trim_scale(round(COALESCE(f.met, 0)::numeric / c.staff, 4))::text END" \
	" FROM first CROSS JOIN generate_series(first.year, $2::int) y CROSS JOIN counted c" \
	" LEFT JOIN f ON f.year = y ORDER BY y"

/* By level: the province (the whole scope), a city, a unit. */
static struct db_stmt stats_trend_stmts[3] = {
	STATS_STMT("trend_province", STATS_TREND(RPC_SCOPE_COVERS("u.region", "$1::bpchar"))),
	STATS_STMT("trend_city", STATS_TREND("u.region = $1::bpchar")),
	STATS_STMT("trend_unit", STATS_TREND("s.unit_code = $1::text")),
};

/* ---- a request ------------------------------------------------------------------------ */

/* What stats.completion and stats.csv were asked. */
struct stats_query {
	enum stats_level by;
	int		 year;
	const char	*city;		/* given, or NULL */
	char		 city_code[7];	/* read by unit: the city, or "" for the whole scope */
	const char	*unit;
	long long	 department;	/* -1: none asked; 0: staff of no department */
	int		 sort;		/* enum stats_sort, or completion_sort for persons */
	bool		 desc;
	bool		 below_given;
	char		 below[32];	/* a rate, as text */
	const char	*after_key, *after_name, *after_id;	/* the cursor's, or NULL */
};

/* The cursor's first word: the level and the sort ("unit.rate"). */
static void
stats_cursor_order(const struct stats_query *q, char *out, size_t size)
{
	snprintf(out, size, "%s.%s", stats_levels[q->by], q->by == STATS_BY_PERSON ?
	    completion_sort_name((enum completion_sort)q->sort) : stats_sorts[q->sort]);
}

/*
 * The cursor the dispatcher decoded (RPC_CURSOR_ORDER) into q: it must be
 * of q's level and order.  Returns 0, or -1 after rpc_fail.  The values
 * only travel as statement parameters; a key the sort's type cannot read
 * is caught there (rpc_fail_page).
 */
static int
stats_cursor(struct rpc_call *call, struct stats_query *q)
{
	char *const *key = call->page.key;
	char order[48];

	if (!call->page.after)
		return 0;
	stats_cursor_order(q, order, sizeof order);
	if (strcmp(key[0], order) != 0 || strcmp(key[1], q->desc ? "desc" : "asc") != 0)
		return rpc_fail(call, RPC_INVALID_PARAMS, "cursor_invalid", "after", NULL);
	q->after_key = key[2];
	q->after_name = key[3];
	q->after_id = key[4];
	return 0;
}

/*
 * The parameters stats.completion and stats.csv share, into q, checked
 * before the database is touched (the places against the scope come
 * after: stats_place).  Returns 0, or -1 after rpc_fail.
 */
static int
stats_query_params(struct rpc_call *call, struct stats_query *q)
{
	const char *by = rpc_param_text(call, "by"), *sort = rpc_param_text(call, "sort");
	json_t *below = json_object_get(call->params, "below");
	long long department;
	int s = STATS_BY_CITY;

	memset(q, 0, sizeof *q);
	q->department = -1;
	if (!completion_year_param(call, &q->year))
		return -1;
	if (by != NULL && (s = stats_word(stats_levels, by)) < 0)
		return completion_fail(call, RPC_INVALID_PARAMS, "stats_by_invalid", "by", "stats.by",
		    NULL);
	q->by = (enum stats_level)s;
	q->city = rpc_param_text(call, "city");
	q->unit = rpc_param_text(call, "unit");
	if (rpc_param_int(call, "department_id", &department)) {
		if (department < 0)
			return completion_fail(call, RPC_NOT_FOUND, "not_found", "department_id",
			    "stats.department_id", NULL);
		q->department = department;
	}
	if ((q->by == STATS_BY_DEPARTMENT || q->by == STATS_BY_PERSON) && q->unit == NULL) {
		rpc_problem_required(call, "unit");
		return rpc_fail_problems(call, RPC_INVALID_PARAMS);
	}
	if (q->by == STATS_BY_PERSON) {
		q->sort = COMPLETION_SORT_DEPARTMENT;
		if (sort != NULL && (q->sort = completion_sort_parse(sort)) < 0)
			return completion_fail(call, RPC_INVALID_PARAMS, "sort_invalid", "sort", "sort",
			    NULL);
	} else if (sort != NULL && (q->sort = stats_word(stats_sorts, sort)) < 0)
		return completion_fail(call, RPC_INVALID_PARAMS, "stats_sort_invalid", "sort", "sort",
		    NULL);
	q->desc = rpc_param_bool(call, "desc", false);
	if (json_is_number(below)) {
		double v = json_number_value(below);

		if (!(v > 0 && v <= 1))
			return completion_fail(call, RPC_INVALID_PARAMS, "below_invalid", "below",
			    "stats.below", NULL);
		q->below_given = true;
		snprintf(q->below, sizeof q->below, "%.6f", v);
	}
	return stats_cursor(call, q);
}

/*
 * Check the places of q against the session's scope and describe them:
 * *scope {code, name} and *at {city?, unit?, department?} (caller frees
 * both).  A city's authority asking by unit without a city reads its
 * city.  Returns 0, or -1 after rpc_fail (not_found naming the parameter
 * of a place outside the scope or unknown).
 */
static int
stats_place(struct rpc_call *call, struct stats_query *q, json_t **scope, json_t **at)
{
	const char *region = call->session->scope_region;
	char department[24];
	const char *params[4] = { region, NULL, q->unit, NULL };
	PGresult *res;
	int rc = -1;

	*scope = *at = NULL;
	if (q->by == STATS_BY_UNIT)
		params[1] = q->city;
	if (q->by == STATS_BY_PERSON && q->department > 0) {
		snprintf(department, sizeof department, "%lld", q->department);
		params[3] = department;
	}
	if (q->by == STATS_BY_CITY || q->by == STATS_BY_UNIT)
		params[2] = NULL;
	if ((res = db_exec(call->db, &stats_place_stmt, 4, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	if (PQntuples(res) != 1) {
		rpc_fail_internal(call, "stats: the session's scope is not a region");
		goto out;
	}
	if (params[1] != NULL && PQgetisnull(res, 0, STATS_PLACE_CITY)) {
		completion_fail(call, RPC_NOT_FOUND, "not_found", "city", "stats.city", NULL);
		goto out;
	}
	if (params[2] != NULL && PQgetisnull(res, 0, STATS_PLACE_UNIT)) {
		completion_fail(call, RPC_NOT_FOUND, "not_found", "unit", "stats.unit", NULL);
		goto out;
	}
	if (params[3] != NULL && PQgetisnull(res, 0, STATS_PLACE_DEPARTMENT)) {
		completion_fail(call, RPC_NOT_FOUND, "not_found", "department_id",
		    "stats.department_id", NULL);
		goto out;
	}
	*scope = json_pack("{s:s, s:s}", "code", region,
	    "name", PQgetvalue(res, 0, STATS_PLACE_SCOPE_NAME));
	*at = json_object();
	if (q->by == STATS_BY_CITY) {
		rc = 0;
		goto out;
	}
	/* By unit without a city: a city's authority reads its city, the province all. */
	if (!PQgetisnull(res, 0, STATS_PLACE_CITY))
		snprintf(q->city_code, sizeof q->city_code, "%s",
		    PQgetvalue(res, 0, STATS_PLACE_CITY));
	if (!PQgetisnull(res, 0, STATS_PLACE_CITY))
		json_object_set_new(*at, "city", rpc_column_coded(res, 0, STATS_PLACE_CITY,
		    STATS_PLACE_CITY_NAME));
	if (!PQgetisnull(res, 0, STATS_PLACE_UNIT))
		json_object_set_new(*at, "unit", rpc_column_coded(res, 0, STATS_PLACE_UNIT,
		    STATS_PLACE_UNIT_NAME));
	if (q->department > 0 && params[3] != NULL)
		json_object_set_new(*at, "department", rpc_column_named(res, 0,
		    STATS_PLACE_DEPARTMENT, STATS_PLACE_DEPARTMENT_NAME));
	else if (q->department == 0 && q->by == STATS_BY_PERSON)
		json_object_set_new(*at, "department", json_pack("{s:i, s:s}", "id", 0,
		    "name", message_get(call->session->lang, "stats.no_department")));
	rc = 0;
out:
	PQclear(res);
	if (rc != 0) {
		json_decref(*scope);
		json_decref(*at);
		*scope = *at = NULL;
	}
	return rc;
}

/* A rate's text ("0.75") as a JSON number, or null (no staff). */
static json_t *
stats_rate_json(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? json_null() :
	    json_real(strtod(PQgetvalue(res, row, col), NULL));
}

/* The figures group at column first: {staff, met, not_met, rate, avg_*, pending}. */
static json_t *
stats_figures_json(const PGresult *res, int row, int first)
{
	long long staff = strtoll(PQgetvalue(res, row, first + STATS_COL_STAFF), NULL, 10);
	long long met = strtoll(PQgetvalue(res, row, first + STATS_COL_MET), NULL, 10);

	return json_pack("{s:I, s:I, s:I, s:o, s:s, s:s, s:s, s:s}",
	    "staff", (json_int_t)staff, "met", (json_int_t)met, "not_met",
	    (json_int_t)(staff - met), "rate", stats_rate_json(res, row, first + STATS_COL_RATE),
	    "avg_total", PQgetvalue(res, row, first + STATS_COL_AVG_TOTAL),
	    "avg_public", PQgetvalue(res, row, first + STATS_COL_AVG_PUBLIC),
	    "avg_professional", PQgetvalue(res, row, first + STATS_COL_AVG_PROFESSIONAL),
	    "pending", PQgetvalue(res, row, first + STATS_COL_PENDING));
}

/*
 * A page of the city, unit or department level of q, limit rows (0: all)
 * and one more, with the summary (row 0's figures group).  Returns the
 * result (caller clears), or NULL after rpc_fail.
 */
static PGresult *
stats_level_page(struct rpc_call *call, const struct stats_query *q, long long limit)
{
	char year[16], rows[24];
	const char *params[8] = {
		year, call->session->scope_region, q->below_given ? q->below : NULL,
		q->after_key, q->after_key != NULL ? q->after_name : NULL,
		limit > 0 ? rows : NULL, q->city_code[0] != '\0' ? q->city_code : NULL,
		message_get(call->session->lang, "stats.no_department"),
	};
	struct db_stmt *st = &stats_level_stmts[q->by][q->sort][q->desc ? 1 : 0];
	PGresult *res;

	snprintf(year, sizeof year, "%d", q->year);
	snprintf(rows, sizeof rows, "%lld", limit + 1);
	if (q->by == STATS_BY_DEPARTMENT)
		params[6] = q->unit;
	if ((res = db_exec(call->db, st, stats_level_nparams[q->by], params)) == NULL)
		rpc_fail_page(call);
	return res;
}

/* The rows of a level's page (an empty page is one row without a key). */
static int
stats_level_rows(const PGresult *res)
{
	int n = PQntuples(res);

	return n == 1 && PQgetisnull(res, 0, STATS_COL_KEY) ? 0 : n;
}

/*
 * The "next" after a page's last row: [level.sort, dir, its sort key, its
 * tie-break (a level's key, a person's name), its id ("0" in a level)].
 */
static json_t *
stats_next(const struct stats_query *q, const char *sort_key, const char *tie, const char *id)
{
	char order[48], *cursor;
	const char *keys[5];
	json_t *next;

	stats_cursor_order(q, order, sizeof order);
	keys[0] = order;
	keys[1] = q->desc ? "desc" : "asc";
	keys[2] = sort_key;
	keys[3] = tie;
	keys[4] = id;
	cursor = rpc_cursor_encode(keys, 5);
	next = json_string(cursor);
	free(cursor);
	return next;
}

/* A row of a level: its key (a department's id as an integer), name and figures. */
static json_t *
stats_level_row_json(const struct stats_query *q, const PGresult *res, int r)
{
	json_t *row = stats_figures_json(res, r, STATS_COL_ROW);
	const char *key = PQgetvalue(res, r, STATS_COL_KEY);

	json_object_set_new(row, "key", q->by == STATS_BY_DEPARTMENT ?
	    json_integer(strtoll(key, NULL, 10)) : json_string(key));
	json_object_set_new(row, "name", json_string(PQgetvalue(res, r, STATS_COL_NAME)));
	return row;
}

/*
 * The person level: completion.c's unit report of q's unit (and
 * department), and the summary of the same people from the maintained
 * figures, in one snapshot.  Staff of no department (department 0) are
 * picked from the whole report, which has no such filter: *pick lists the
 * rows to show (at most limit + 1; limit 0: all), their number returned.
 * Returns the number, or -1 after rpc_fail; *rep and *summary to free.
 */
static int
stats_person_page(struct rpc_call *call, const struct stats_query *q, long long limit,
    struct completion_report *rep, PGresult **summary, int **pick)
{
	struct completion_query cq = {
		.unit_code = q->unit, .year = q->year,
		.department_id = q->department > 0 ? q->department : 0,
		.not_met_only = q->below_given, .sort = (enum completion_sort)q->sort,
		.desc = q->desc, .after_key = q->after_key, .after_name = q->after_name,
		.after_id = q->after_id,
		.limit = q->department == 0 || limit == 0 ? 0 : limit + 1,
	};
	char year[16], department[24];
	const char *params[3] = { year, q->unit, q->department >= 0 ? department : NULL };
	struct db_conn *db = call->db;
	int n = 0, want;

	memset(rep, 0, sizeof *rep);
	*summary = NULL;
	*pick = NULL;
	snprintf(year, sizeof year, "%d", q->year);
	snprintf(department, sizeof department, "%lld", q->department);
	if (db_command(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") != 0)
		return rpc_fail_internal(call, db_error_text(db));
	if (completion_unit(db, call->cfg, &cq, rep) != 0) {
		rpc_fail_page(call);
		db_rollback(db);
		return -1;
	}
	if ((*summary = db_exec(db, &stats_person_summary_stmt, 3, params)) == NULL ||
	    !db_commit(db)) {
		rpc_fail_internal(call, db_error_text(db));
		db_rollback(db);
		return -1;
	}
	want = limit > 0 ? (int)limit + 1 : PQntuples(rep->rows);
	*pick = xcalloc((size_t)PQntuples(rep->rows) + 1, sizeof **pick);
	for (int r = 0; r < PQntuples(rep->rows) && n < want; r++) {
		if (q->department != 0 || PQgetisnull(rep->rows, r, COMPLETION_COL_DEPARTMENT))
			(*pick)[n++] = r;
	}
	return n;
}

/* A person's row, as completion.report gives it to the unit's administrator. */
static json_t *
stats_person_row_json(const PGresult *rows, int r)
{
	return json_pack("{s:I, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:b}",
	    "key", (json_int_t)strtoll(PQgetvalue(rows, r, COMPLETION_COL_ACCOUNT), NULL, 10),
	    "name", PQgetvalue(rows, r, COMPLETION_COL_NAME),
	    "id_number", PQgetvalue(rows, r, COMPLETION_COL_ID_NUMBER),
	    "department", rpc_column_text(rows, r, COMPLETION_COL_DEPARTMENT),
	    "public", PQgetvalue(rows, r, COMPLETION_COL_PUBLIC),
	    "professional", PQgetvalue(rows, r, COMPLETION_COL_PROFESSIONAL),
	    "total", PQgetvalue(rows, r, COMPLETION_COL_TOTAL),
	    "pending", PQgetvalue(rows, r, COMPLETION_COL_PENDING),
	    "met", strcmp(PQgetvalue(rows, r, COMPLETION_COL_MET), "t") == 0);
}

/* A page of any level, as stats_page_read leaves it for the caller to shape. */
struct stats_page {
	PGresult	*level;		/* a city, unit or department page */
	struct completion_report rep;	/* a person page */
	PGresult	*person_summary;
	int		*pick;		/* the report's rows shown, in order */
	int		 rows;		/* shown */
	json_t		*summary;
	json_t		*next;
};

static void
stats_page_free(struct stats_page *p)
{
	PQclear(p->level);
	completion_report_free(&p->rep);
	PQclear(p->person_summary);
	free(p->pick);
	json_decref(p->summary);
	json_decref(p->next);
	memset(p, 0, sizeof *p);
}

/*
 * One page of q, whatever its level, into *p (free with stats_page_free):
 * the level statement's rows (level) or the unit report's (rep, pick),
 * at most call->page.limit of them shown, the summary and the next
 * cursor.  Returns 0, or -1 after rpc_fail.
 */
static int
stats_page_read(struct rpc_call *call, const struct stats_query *q, struct stats_page *p)
{
	long long limit = call->page.limit;
	int n;

	memset(p, 0, sizeof *p);
	if (q->by == STATS_BY_PERSON) {
		if ((n = stats_person_page(call, q, limit, &p->rep, &p->person_summary,
		    &p->pick)) < 0)
			return -1;
		p->rows = n > limit ? (int)limit : n;
		p->summary = stats_figures_json(p->person_summary, 0, 0);
		if (n > limit) {
			int last = p->pick[limit - 1];

			p->next = stats_next(q, PQgetvalue(p->rep.rows, last, COMPLETION_COL_SORT_KEY),
			    PQgetvalue(p->rep.rows, last, COMPLETION_COL_NAME),
			    PQgetvalue(p->rep.rows, last, COMPLETION_COL_ACCOUNT));
		} else
			p->next = json_null();
		return 0;
	}
	if ((p->level = stats_level_page(call, q, limit)) == NULL)
		return -1;
	n = stats_level_rows(p->level);
	p->rows = n > limit ? (int)limit : n;
	p->summary = stats_figures_json(p->level, 0, 0);
	p->next = n > limit ? stats_next(q, PQgetvalue(p->level, (int)limit - 1,
	    STATS_COL_SORT_KEY), PQgetvalue(p->level, (int)limit - 1, STATS_COL_KEY), "0") :
	    json_null();
	return 0;
}

/* Everything stats.completion and stats.csv do before their page. */
static int
stats_begin(struct rpc_call *call, struct stats_query *q, json_t **scope, json_t **at)
{
	if (stats_query_params(call, q) != 0 || stats_place(call, q, scope, at) != 0)
		return -1;
	return completion_forms_synced(call, call->db) ? 0 : -1;
}

/*
 * stats.completion: a page of one level of the drill-down (the cities of
 * the scope, a city's units, a unit's departments, a department's
 * people), sorted and filtered, with the summary of the whole level.
 */
static int
stats_completion(struct rpc_call *call)
{
	struct stats_query q;
	struct stats_page p = { 0 };
	json_t *scope = NULL, *at = NULL, *rows;
	int rc = -1;

	if (stats_begin(call, &q, &scope, &at) != 0 || stats_page_read(call, &q, &p) != 0)
		goto out;
	rows = json_array();
	for (int r = 0; r < p.rows; r++)
		json_array_append_new(rows, q.by == STATS_BY_PERSON ?
		    stats_person_row_json(p.rep.rows, p.pick[r]) :
		    stats_level_row_json(&q, p.level, r));
	call->result = json_pack("{s:i, s:s, s:o, s:O, s:O, s:O, s:o, s:O}",
	    "year", q.year, "by", stats_levels[q.by],
	    "requirement", completion_requirement_json(config_requirement_for(call->cfg,
	    q.year)), "scope", scope, "at", at,
	    "summary", p.summary, "rows", rows, "next", p.next);
	rc = 0;
out:
	json_decref(scope);
	json_decref(at);
	stats_page_free(&p);
	return rc;
}

/* ---- CSV -------------------------------------------------------------------------------- */

/* The heading row of a level's CSV, in the session's language. */
static void
stats_csv_headings(struct text_buf *t, enum stats_level by, enum lang lang)
{
	static const char *const keys[][2] = {
		{ "csv.stats.city_code", "csv.stats.city" },
		{ "csv.stats.unit_code", "csv.stats.unit" },
		{ "csv.stats.department_id", "csv.department" },
	};
	static const char *const figures[] = {
		"csv.stats.staff", "csv.stats.met", "csv.stats.not_met", "csv.stats.rate",
		"csv.stats.avg_total", "csv.stats.avg_public", "csv.stats.avg_professional",
		"csv.pending", NULL
	};

	if (by == STATS_BY_PERSON) {
		completion_csv_headings(t, lang);
		return;
	}
	completion_csv_field(t, message_get(lang, keys[by][0]), false, true);
	completion_csv_field(t, message_get(lang, keys[by][1]), false, false);
	for (int i = 0; figures[i] != NULL; i++)
		completion_csv_field(t, message_get(lang, figures[i]), false, false);
	text_buf_add(t, "\r\n", 2);
}

/* A level's row as a CSV line. */
static void
stats_csv_level_row(struct text_buf *t, const PGresult *res, int r)
{
	static const int figures[] = {
		STATS_COL_STAFF, STATS_COL_MET, -1, STATS_COL_RATE, STATS_COL_AVG_TOTAL,
		STATS_COL_AVG_PUBLIC, STATS_COL_AVG_PROFESSIONAL, STATS_COL_PENDING,
	};
	char not_met[24];

	completion_csv_field(t, PQgetvalue(res, r, STATS_COL_KEY), true, true);
	completion_csv_field(t, PQgetvalue(res, r, STATS_COL_NAME), true, false);
	snprintf(not_met, sizeof not_met, "%lld",
	    strtoll(PQgetvalue(res, r, STATS_COL_ROW + STATS_COL_STAFF), NULL, 10) -
	    strtoll(PQgetvalue(res, r, STATS_COL_ROW + STATS_COL_MET), NULL, 10));
	for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++)
		completion_csv_field(t, figures[i] < 0 ? not_met :
		    PQgetvalue(res, r, STATS_COL_ROW + figures[i]), false, false);
	text_buf_add(t, "\r\n", 2);
}

/*
 * stats.csv: a level as CSV for Excel and LibreOffice, in pieces of at
 * most STATS_CSV_ROWS rows, exactly as completion.report_csv: UTF-8, a
 * heading row and CRLF line ends; the first piece (no "after") starts
 * with the byte-order mark (unless bom is false) and the headings; the
 * client appends each piece's "csv" and asks again with "after" = "next"
 * until "next" is null.  The pieces are keyset pages, so a change
 * meanwhile never repeats or splits a row.
 */
static int
stats_csv(struct rpc_call *call)
{
	enum lang lang = call->session->lang;
	struct stats_query q;
	struct stats_page p = { 0 };
	struct text_buf csv = { NULL, 0, 0 };
	json_t *scope = NULL, *at = NULL;
	int rc = -1;

	if (stats_begin(call, &q, &scope, &at) != 0 || stats_page_read(call, &q, &p) != 0)
		goto out;
	text_buf_add(&csv, "", 0);
	if (q.after_key == NULL) {
		if (rpc_param_bool(call, "bom", true))
			text_buf_add(&csv, "\xef\xbb\xbf", 3);
		stats_csv_headings(&csv, q.by, lang);
	}
	for (int r = 0; r < p.rows; r++) {
		if (q.by == STATS_BY_PERSON)
			completion_csv_row(&csv, p.rep.rows, p.pick[r], lang);
		else
			stats_csv_level_row(&csv, p.level, r);
	}
	call->result = json_pack("{s:s, s:i, s:O, s:O}", "csv", csv.data, "rows", p.rows,
	    "next", p.next, "summary", p.summary);
	rc = 0;
out:
	free(csv.data);
	json_decref(scope);
	json_decref(at);
	stats_page_free(&p);
	return rc;
}

/* ---- the trend ------------------------------------------------------------------------- */

static const char *const stats_trend_levels[] = { "province", "city", "unit", NULL };

/*
 * stats.trend: the met rate of the scope (province), a city or a unit for
 * every year from the first with figures to the current one.
 */
static int
stats_trend(struct rpc_call *call)
{
	const char *level = rpc_param_text(call, "level"), *code = rpc_param_text(call, "code");
	struct stats_query q = { .department = -1 };
	char now[16];
	const char *params[2] = { call->session->scope_region, now };
	json_t *scope = NULL, *at = NULL, *rows;
	PGresult *res;
	int l = level != NULL ? stats_word(stats_trend_levels, level) : -1;

	if (l < 0)
		return completion_fail(call, RPC_INVALID_PARAMS, "stats_level_invalid", "level",
		    "stats.level", NULL);
	if (l > 0 && code == NULL) {
		rpc_problem_required(call, "code");
		return rpc_fail_problems(call, RPC_INVALID_PARAMS);
	}
	/* The place checked as stats.completion checks a city's units or a unit's people. */
	q.by = l == 1 ? STATS_BY_UNIT : STATS_BY_PERSON;
	if (l == 1)
		q.city = code;
	else if (l == 2)
		q.unit = code;
	if (l > 0 && stats_place(call, &q, &scope, &at) != 0) {
		if (call->error_field != NULL && strcmp(call->error_field, "code") != 0) {
			free(call->error_field);
			call->error_field = xstrdup("code");
		}
		return -1;
	}
	json_decref(scope);
	json_decref(at);
	if (l > 0)
		params[0] = code;
	snprintf(now, sizeof now, "%d", db_year_now());
	if ((res = db_exec(call->db, &stats_trend_stmts[l], 2, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(call->db));
	rows = json_array();
	for (int r = 0; r < PQntuples(res); r++)
		json_array_append_new(rows, json_pack("{s:i, s:I, s:I, s:o}",
		    "year", atoi(PQgetvalue(res, r, 0)),
		    "staff", (json_int_t)strtoll(PQgetvalue(res, r, 1), NULL, 10),
		    "met", (json_int_t)strtoll(PQgetvalue(res, r, 2), NULL, 10),
		    "rate", stats_rate_json(res, r, 3)));
	PQclear(res);
	call->result = json_pack("{s:s, s:o}", "level", stats_trend_levels[l], "rows", rows);
	return 0;
}

/* ---- the requirements ------------------------------------------------------------------ */

/*
 * requirements.list: the requirement in force for each year, from the
 * config's first entry (none: the current year alone, under the default)
 * to the current year, as config_requirement_for resolves it.
 */
static int
stats_requirements(struct rpc_call *call)
{
	const struct config *cfg = call->cfg;
	int now = db_year_now(), first = now;
	json_t *years = json_array(), *req;

	for (size_t i = 0; i < cfg->n_requirements; i++) {
		if (cfg->requirements[i].year < first)
			first = cfg->requirements[i].year;
	}
	for (int y = first; y <= now; y++) {
		req = completion_requirement_json(config_requirement_for(cfg, y));
		json_object_set_new(req, "year", json_integer(y));
		json_array_append_new(years, req);
	}
	call->result = json_pack("{s:i, s:o}", "current_year", now, "years", years);
	return 0;
}

/* ---- the table ------------------------------------------------------------------------- */

/* The parameters stats.completion and stats.csv share. */
#define STATS_QUERY_PARAMS \
	{ "year", T_INTEGER, true, 0, 0, NULL, NULL }, \
	{ "by", T_STRING | T_NULL, false, 0, 0, NULL, NULL }, \
	{ "city", T_STRING | T_NULL, false, 0, 0, NULL, NULL }, \
	{ "unit", T_STRING | T_NULL, false, 0, 0, NULL, NULL }, \
	{ "department_id", T_INTEGER | T_NULL, false, 0, 0, NULL, NULL }, \
	{ "sort", T_STRING | T_NULL, false, 0, 0, NULL, NULL }, \
	{ "desc", T_BOOLEAN | T_NULL, false, 0, 0, NULL, NULL }, \
	{ "below", T_NUMBER | T_NULL, false, 0, 0, NULL, NULL }

static const struct rpc_param completion_params[] = {
	RPC_PAGE_PARAMS,
	STATS_QUERY_PARAMS,
	{ NULL, 0, false, 0, 0, NULL, NULL },
};

/* The CSV's pieces are of STATS_CSV_ROWS rows: no limit. */
static const struct rpc_param csv_params[] = {
	{ "after", T_STRING | T_NULL, false, 0, 0, NULL, NULL },
	{ "bom", T_BOOLEAN | T_NULL, false, 0, 0, NULL, NULL },
	STATS_QUERY_PARAMS,
	{ NULL, 0, false, 0, 0, NULL, NULL },
};

static const struct rpc_param trend_params[] = {
	{ "level", T_STRING, true, 0, 0, NULL, NULL },
	{ "code", T_STRING | T_NULL, false, 0, 0, NULL, NULL },
	{ NULL, 0, false, 0, 0, NULL, NULL },
};

const struct rpc_method rpc_stats_methods[] = {
	{ "stats.completion", completion_params, ROLE_AUTHORITY, false, stats_completion,
	    .db = RPC_DB_AUTHORITY, .page = { STATS_LIMIT_DEFAULT, RPC_CURSOR_ORDER },
	    .replica = true },
	{ "stats.csv", csv_params, ROLE_AUTHORITY, false, stats_csv,
	    .db = RPC_DB_AUTHORITY, .page = { STATS_CSV_ROWS, RPC_CURSOR_ORDER },
	    .replica = true },
	{ "stats.trend", trend_params, ROLE_AUTHORITY, false, stats_trend,
	    .db = RPC_DB_AUTHORITY, .replica = true },
	{ "requirements.list", NULL, ROLE_AUTHORITY, false, stats_requirements,
	    .db = RPC_DB_AUTHORITY },
	{ NULL, NULL, 0, false, NULL },
};
