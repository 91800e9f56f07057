/*
 * figures.h - the maintained completion figures (issue 16, "Scale"): what
 * the authority's statistics read instead of scanning records.
 *
 * Kept by schema/016-completion-stats.sql, in the transaction of every
 * change to declaration_totals (a trigger), of every account that changes
 * unit, department, state or role (a trigger), of a learning form whose cap
 * or category changes (a trigger at the commit of the forms' sync), and of
 * the requirements' sync below:
 *
 *   person_year (account_id, year, pub, pro, pending, met)
 *	one row per person and year with declaration_totals rows: the counted
 *	公需 and 专业 hours (each form's approved hours capped at its yearly_cap),
 *	the pending hours, and whether the requirement of that year is met.
 *	The single source: completion.c's unit report, a person's years and
 *	the `report` command read it, and every aggregate is summed from it.
 *
 *   completion_stats_now (view)
 *	unit_code text, department_id bigint (0: none), year smallint,
 *	staff bigint, people bigint, met bigint, pub numeric, pro numeric,
 *	pending numeric -- the figures of every unit and department as of the
 *	reader's snapshot (exact: the folded totals plus the deltas not yet
 *	folded).  Staff are counted per unit and department, not per year,
 *	so they are in the rows of year 0 (whose other figures are 0); the
 *	rows of a real year have staff 0 and the figures of the active staff
 *	of that unit and department now: people (those with a person_year
 *	row), met, and the sums.  Staff without a row count as not met with
 *	0 hours.  One year of every unit and department:
 *
 *	    SELECT unit_code, department_id, staff, people, met, pub, pro, pending
 *	    FROM completion_stats_year($1::smallint)
 *
 *	(the view's rows of years 0 and $1 summed per unit and department; a
 *	unit's city is units.region).  Not met = staff - met; the rate and the
 *	average hours ((pub + pro) / staff) follow.
 *
 * Both names are stable: the statistics methods are written against them.
 */
#ifndef JXJYD_FIGURES_H
#define JXJYD_FIGURES_H

struct config;
struct db_conn;

/* The view and the function of one year, as named in the schema. */
#define FIGURES_VIEW		"completion_stats_now"
#define FIGURES_YEAR_FUNCTION	"completion_stats_year"

/*
 * The view's rows before its grouping, for a reader that sums them again
 * at once (a city, the province): the folded rows and the deltas not yet
 * folded of the years in "where" (over s: year, unit_code, department_id,
 * staff, people, met, pub, pro, pending).  Summing these straight to the
 * 18 cities skips a hash of every unit's and department's rows that
 * spills to disk at a province's size (tests/bench/bench-authority:
 * 41-45 ms instead of 258-543 ms).
 */
#define FIGURES_ROWS(where) \
	"(SELECT s.year, s.unit_code, s.department_id, s.staff, s.people, s.met, s.pub," \
	"  s.pro, s.pending FROM completion_stats s WHERE " where \
	" UNION ALL" \
	" SELECT s.year, s.unit_code, s.department_id, s.staff, s.people, s.met, s.pub," \
	"  s.pro, s.pending FROM completion_stats_delta s WHERE " where ")"

/*
 * Store the requirement in force for each year (config_requirement_for)
 * in completion_requirements and, when any year's changed, recompute met
 * of that year's person_year rows and the aggregates, all in one
 * transaction (idempotent: a second daemon with the same config changes
 * nothing).  Returns the number of person-years whose met changed (0 when
 * nothing did, or the database lacks schema 016: logged), or -1 on a
 * database error (logged).
 */
long long figures_sync_requirements(struct db_conn *db, const struct config *cfg);

/*
 * Move the deltas the triggers appended into completion_stats, in one
 * transaction; a fold already running elsewhere makes this one return 0 at
 * once.  Returns the number of deltas folded (0 too while the database
 * lacks schema 016), or -1 on a database error (kept in db).  Called by
 * one thread only (it remembers that the schema is there).  Readers never need it for exact figures, only to keep
 * the deltas they add few.
 */
long long figures_fold(struct db_conn *db);

#endif
