/*
 * completion.c - the annual completion (年度完成情况): what a person's
 * approved hours of a year come to, for the completion.* methods
 * (rpc-completion.c), the `report YEAR` command (exec.c) and certificates.
 *
 * A person's sums and met of a year are read from person_year, which the
 * triggers of schema 016 keep from declaration_totals in the transaction
 * of every change (figures.h): the one computation the unit report, a
 * person's years and the authority's statistics all read, so they agree by
 * construction.  A year's detail (its forms and records) is summed from
 * declaration_totals with the same pieces of SQL schema 016's
 * completion_person_year_figures uses:
 *   COMPLETION_FORMS	each form's current cap and category (completion_form_terms);
 *   COMPLETION_PER_FORM	a totals row with its hours as counted (capped).
 * The unit report is one statement over the unit's active staff (an index
 * on accounts, then one probe of person_year's primary key per person),
 * sorted and keyset paged in the database; its summary comes from the same
 * rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "completion.h"
#include "config.h"
#include "db.h"
#include "forms.h"
#include "xmalloc.h"

/*
 * Each learning form's name, cap (NULL: none) and category as its current
 * definition has them (the active row, or for a form the config no longer
 * offers, its last version), as schema 016 keeps them.
 */
#define COMPLETION_FORMS \
	"completion_forms AS (SELECT code, name, category, cap FROM completion_form_terms)"

/* The totals rows matching where, each with its approved hours as counted. */
#define COMPLETION_PER_FORM(where) \
	"SELECT t.account_id, t.year, t.form_code, f.name," \
	" COALESCE(f.category, t.category) AS category, t.approved_hours, t.pending_hours," \
	" f.cap, CASE WHEN f.cap IS NULL THEN t.approved_hours" \
	"  ELSE least(t.approved_hours, f.cap) END AS counted" \
	" FROM declaration_totals t LEFT JOIN completion_forms f ON f.code = t.form_code" \
	" WHERE " where

/*
 * The unit's active staff with their hours of the year and whether they
 * meet the requirement, from person_year (no row: 0 hours, not met -- the
 * requirement's total is never 0).  $1 unit, $2 year, $3 department id or
 * NULL.  person_year is probed by its primary key for each person (the
 * LIMIT keeps the subquery from being pulled up into a join, which a
 * generic plan would hash over the whole year's rows: 1,000,000 of them
 * at a province's size), and the summary is computed once (MATERIALIZED:
 * a generic plan that expected one person counted the unit again for each
 * row, 40 s for a unit of 10,000; tests/bench/bench-authority).
 */
#define COMPLETION_UNIT_WITH \
	"WITH judged AS (SELECT a.id, a.name, a.id_number, dp.name AS department," \
	"  COALESCE(py.pub, 0) AS pub, COALESCE(py.pro, 0) AS pro," \
	"  COALESCE(py.pub + py.pro, 0) AS total, COALESCE(py.pending, 0) AS pending," \
	"  COALESCE(py.met, false) AS met" \
	"  FROM accounts a LEFT JOIN departments dp ON dp.id = a.department_id" \
	"  LEFT JOIN LATERAL (SELECT p.pub, p.pro, p.pending, p.met FROM person_year p" \
	"   WHERE p.account_id = a.id AND p.year = $2::smallint LIMIT 1) py ON true" \
	"  WHERE a.unit_code = $1 AND a.state = 'active' AND a.role = 'staff'" \
	"  AND ($3::bigint IS NULL OR a.department_id = $3::bigint))"

/*
 * A page of the report in one order: $4 the requirement's total (shown in
 * every row), $5 not met only, $6 $7 $8 the sort key, name and id of the
 * last row shown (NULL: from the start), $9 the rows (NULL: all).  key is the sort expression over judged j, keytype the
 * type a cursor's key is read as, keytext the key as the cursor keeps it.
 * Names and departments compare by pinyin (COLLATE zh_pinyin, schema
 * 008), so an order never depends on the server's locale.
 */
#define COMPLETION_UNIT_PAGE(key, keytype, keytext, dir, cmp) \
	COMPLETION_UNIT_WITH "," \
	" summary AS MATERIALIZED (SELECT count(*) AS staff," \
	"  count(*) FILTER (WHERE met) AS met FROM judged)" \
	" SELECT j.id, j.name, j.id_number, j.department, trim_scale(j.pub)::text," \
	"  trim_scale(j.pro)::text, trim_scale(j.total)::text, trim_scale(j.pending)::text," \
	"  j.met, trim_scale($4::numeric)::text, " keytext ", s.staff, s.met" \
	" FROM judged j CROSS JOIN summary s" \
	" WHERE (NOT $5::boolean OR NOT j.met)" \
	"  AND ($6::text IS NULL OR (" key ", j.name COLLATE zh_pinyin, j.id) " cmp \
	"   ($6::" keytype ", $7::text COLLATE zh_pinyin, $8::bigint))" \
	" ORDER BY " key " " dir ", j.name COLLATE zh_pinyin " dir ", j.id " dir \
	" LIMIT $9::bigint"

/* The department, none after every name: "0" + name, or "1". */
#define COMPLETION_KEY_DEPARTMENT \
	"(CASE WHEN j.department IS NULL THEN '1' ELSE '0' || j.department END) COLLATE zh_pinyin"
#define COMPLETION_KEY_NAME	"j.name COLLATE zh_pinyin"

#define COMPLETION_STMT(id, text) { .name = "completion_unit_" id, .sql = text, .slot = 0 }
#define COMPLETION_SORT_STMTS(id, key, keytype, keytext) \
	{ COMPLETION_STMT(id "_asc", COMPLETION_UNIT_PAGE(key, keytype, keytext, "ASC", ">")), \
	  COMPLETION_STMT(id "_desc", COMPLETION_UNIT_PAGE(key, keytype, keytext, "DESC", "<")) }

/* By enum completion_sort, then ascending / descending. */
static struct db_stmt completion_unit_stmts[COMPLETION_NSORTS][2] = {
	COMPLETION_SORT_STMTS("department", COMPLETION_KEY_DEPARTMENT, "text",
	    COMPLETION_KEY_DEPARTMENT),
	COMPLETION_SORT_STMTS("name", COMPLETION_KEY_NAME, "text", "j.name"),
	COMPLETION_SORT_STMTS("total", "j.total", "numeric", "trim_scale(j.total)::text"),
	COMPLETION_SORT_STMTS("public", "j.pub", "numeric", "trim_scale(j.pub)::text"),
	COMPLETION_SORT_STMTS("professional", "j.pro", "numeric", "trim_scale(j.pro)::text"),
};

/* The counts alone, when no row matched ($1..$3 as above). */
DB_STMT(completion_unit_count_stmt,
    COMPLETION_UNIT_WITH
    " SELECT count(*), count(*) FILTER (WHERE met) FROM judged");

static const char *const completion_sorts[] = {
	"department", "name", "total", "public", "professional", NULL
};

const char *
completion_sort_name(enum completion_sort sort)
{
	if ((unsigned)sort >= COMPLETION_NSORTS)
		return "department";
	return completion_sorts[sort];
}

int
completion_sort_parse(const char *name)
{
	for (int i = 0; completion_sorts[i] != NULL; i++) {
		if (strcmp(completion_sorts[i], name) == 0)
			return i;
	}
	return -1;
}

void
completion_format(double hours, char *out, size_t size)
{
	forms_format_number(hours, out, size);	/* as the config's figures are written */
}

void
completion_format_requirement(const struct config_requirement *req,
    struct completion_figures *out)
{
	completion_format(req->total, out->total, sizeof out->total);
	completion_format(req->professional, out->professional, sizeof out->professional);
	completion_format(req->public, out->public_hours, sizeof out->public_hours);
}

/*
 * Decimal text ("12", "-3.5", "0.0001") as ten-thousandths into *out.
 * Returns false when s is not such a number (more than 4 decimals, or
 * more than 14 integer digits).
 */
static bool
completion_parse(const char *s, long long *out)
{
	long long v = 0;
	int decimals = -1, digits = 0;
	bool negative = *s == '-';

	if (negative)
		s++;
	for (; *s != '\0'; s++) {
		if (*s == '.' && decimals < 0) {
			decimals = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || ++digits > 18 || decimals == 4)
			return false;
		v = v * 10 + (*s - '0');
		if (decimals >= 0)
			decimals++;
	}
	if (digits == 0)
		return false;
	for (decimals = decimals < 0 ? 0 : decimals; decimals < 4; decimals++)
		v *= 10;
	*out = negative ? -v : v;
	return true;
}

/* A requirement's figure (at most 4 decimals) as ten-thousandths. */
static long long
completion_units(double hours)
{
	return (long long)(hours * 1e4 + (hours < 0 ? -0.5 : 0.5));
}

bool
completion_met(const char *public_hours, const char *professional, const char *total,
    const struct config_requirement *req)
{
	long long pub, pro, all;

	if (!completion_parse(public_hours, &pub) || !completion_parse(professional, &pro) ||
	    !completion_parse(total, &all))
		return false;
	return all >= completion_units(req->total) &&
	    pro >= completion_units(req->professional) && pub >= completion_units(req->public);
}

void
completion_report_free(struct completion_report *r)
{
	PQclear(r->rows);
	memset(r, 0, sizeof *r);
}

int
completion_unit(struct db_conn *db, const struct config *cfg,
    const struct completion_query *q, struct completion_report *out)
{
	char year[16], department[24], limit[24];
	const struct config_requirement *req = config_requirement_for(cfg, q->year);
	struct completion_figures r;
	const char *params[9] = {
		q->unit_code, year, q->department_id > 0 ? department : NULL, r.total,
		q->not_met_only ? "true" : "false",
		q->after_key, q->after_key != NULL ? q->after_name : NULL,
		q->after_key != NULL ? q->after_id : NULL, q->limit > 0 ? limit : NULL,
	};
	struct db_stmt *st;
	PGresult *res;

	memset(out, 0, sizeof *out);
	snprintf(year, sizeof year, "%d", q->year);
	snprintf(department, sizeof department, "%lld", q->department_id);
	snprintf(limit, sizeof limit, "%lld", q->limit);
	completion_format_requirement(req, &r);

	st = &completion_unit_stmts[(unsigned)q->sort < COMPLETION_NSORTS ? q->sort : 0]
	    [q->desc ? 1 : 0];
	if ((res = db_exec(db, st, 9, params)) == NULL)
		return -1;
	out->requirement = req;
	out->rows = res;
	if (PQntuples(res) > 0) {
		out->staff = strtoll(PQgetvalue(res, 0, COMPLETION_NCOLUMNS), NULL, 10);
		out->met = strtoll(PQgetvalue(res, 0, COMPLETION_NCOLUMNS + 1), NULL, 10);
		return 0;
	}
	/* No row matched (no staff, everyone met, past the end): count apart. */
	if ((res = db_exec(db, &completion_unit_count_stmt, 3, params)) == NULL) {
		completion_report_free(out);
		return -1;
	}
	out->staff = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	out->met = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	return 0;
}

int
completion_person(struct db_conn *db, const struct config *cfg, const char *account_id,
    int this_year, struct completion_year **out)
{
	/* The years with totals are those with a person_year row, and this_year. */
	DB_STMT(completion_person_stmt,
	    "SELECT y.year, trim_scale(COALESCE(p.pub, 0))::text,"
	    "  trim_scale(COALESCE(p.pro, 0))::text,"
	    "  trim_scale(COALESCE(p.pub + p.pro, 0))::text,"
	    "  trim_scale(COALESCE(p.pending, 0))::text, COALESCE(p.met, false)"
	    " FROM (SELECT year FROM person_year WHERE account_id = $1::bigint"
	    "  UNION SELECT $2::smallint) y"
	    " LEFT JOIN person_year p ON p.account_id = $1::bigint AND p.year = y.year"
	    " ORDER BY y.year DESC");
	char year[16];
	const char *params[2] = { account_id, year };
	struct completion_year *years, *y;
	PGresult *res;
	int n;

	*out = NULL;
	snprintf(year, sizeof year, "%d", this_year);
	if ((res = db_exec(db, &completion_person_stmt, 2, params)) == NULL)
		return -1;
	n = PQntuples(res);
	years = xcalloc((size_t)n + 1, sizeof *years);
	for (int r = 0; r < n; r++) {
		y = &years[r];
		y->year = atoi(PQgetvalue(res, r, 0));
		snprintf(y->public_hours, sizeof y->public_hours, "%s", PQgetvalue(res, r, 1));
		snprintf(y->professional, sizeof y->professional, "%s", PQgetvalue(res, r, 2));
		snprintf(y->total, sizeof y->total, "%s", PQgetvalue(res, r, 3));
		snprintf(y->pending, sizeof y->pending, "%s", PQgetvalue(res, r, 4));
		y->requirement = config_requirement_for(cfg, y->year);
		y->met = strcmp(PQgetvalue(res, r, 5), "t") == 0;
		y->progress = strtod(y->total, NULL) / y->requirement->total;
		if (y->progress > 1)
			y->progress = 1;
	}
	PQclear(res);
	*out = years;
	return n;
}

int
completion_detail(struct db_conn *db, const char *account_id, int year, long long limit,
    PGresult **forms, PGresult **records)
{
	DB_STMT(completion_forms_stmt,
	    "WITH " COMPLETION_FORMS
	    " SELECT form_code, COALESCE(name, form_code), category,"
	    "  trim_scale(approved_hours)::text, trim_scale(counted)::text,"
	    "  trim_scale(cap)::text, trim_scale(pending_hours)::text, approved_hours > counted"
	    " FROM (" COMPLETION_PER_FORM("t.account_id = $1::bigint AND t.year = $2::smallint")
	    "  ) per_form"
	    " WHERE approved_hours > 0 OR pending_hours > 0"
	    " ORDER BY category <> 'public', form_code");
	DB_STMT(completion_records_stmt,
	    "WITH " COMPLETION_FORMS ","
	    " capped AS (SELECT form_code FROM ("
	    COMPLETION_PER_FORM("t.account_id = $1::bigint AND t.year = $2::smallint")
	    "  ) per_form WHERE approved_hours > counted)"
	    " SELECT d.id, d.form_code, lf.definition->>'name', COALESCE(cf.category, d.category),"
	    "  trim_scale(d.hours)::text, d.state,"
	    "  d.fields ->> (lf.definition #>> '{fields,0,key}'),"
	    "  " DB_ISO_TIME("d.decided_at") ", " DB_ISO_TIME("d.submitted_at") ","
	    "  d.state = 'approved' AND d.form_code IN (SELECT form_code FROM capped)"
	    " FROM declarations d JOIN learning_forms lf ON lf.id = d.form_id"
	    " LEFT JOIN completion_forms cf ON cf.code = d.form_code"
	    " WHERE d.account_id = $1::bigint AND d.year = $2::smallint"
	    "  AND d.state IN ('approved', 'pending')"
	    " ORDER BY d.state = 'pending', COALESCE(d.decided_at, d.submitted_at) DESC, d.id DESC"
	    " LIMIT $3::bigint");
	char year_text[16], limit_text[24];
	const char *params[3] = { account_id, year_text, limit_text };

	*forms = *records = NULL;
	snprintf(year_text, sizeof year_text, "%d", year);
	snprintf(limit_text, sizeof limit_text, "%lld", limit);
	if ((*forms = db_exec(db, &completion_forms_stmt, 2, params)) == NULL ||
	    (*records = db_exec(db, &completion_records_stmt, 3, params)) == NULL) {
		PQclear(*forms);
		*forms = NULL;
		return -1;
	}
	return 0;
}
