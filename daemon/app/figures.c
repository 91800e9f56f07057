/*
 * figures.c - the requirements synced into the database, and the fold of
 * the completion deltas (figures.h; the figures themselves are kept by the
 * triggers of schema/016-completion-stats.sql).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "completion.h"
#include "config.h"
#include "db.h"
#include "figures.h"
#include "log.h"
#include "xmalloc.h"

/* The years a declaration may have (schema 003's CHECK), each given its requirement. */
#define FIGURES_YEAR_FIRST	1990
#define FIGURES_YEAR_LAST	2200
#define FIGURES_YEARS		(FIGURES_YEAR_LAST - FIGURES_YEAR_FIRST + 1)
/* How long a fold waits for a lock before it gives up until the next. */
#define FIGURES_FOLD_LOCK_TIMEOUT	"1s"

/*
 * Whether the database has schema 016's functions: 1, 0 (a database not
 * migrated that far, as some tests and an upgrade in progress have), or -1
 * on a database error.
 */
static int
figures_present(struct db_conn *db)
{
	DB_STMT(figures_present_stmt,
	    "SELECT to_regprocedure('completion_stats_fold()') IS NOT NULL");
	PGresult *res;
	int present;

	if ((res = db_exec(db, &figures_present_stmt, 0, NULL)) == NULL)
		return -1;
	present = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return present;
}

/* Append "," (after the first) and s to the array literal at *p. */
static void
figures_append(char **p, int i, const char *s)
{
	*p += sprintf(*p, "%s%s", i > 0 ? "," : "", s);
}

long long
figures_sync_requirements(struct db_conn *db, const struct config *cfg)
{
	DB_STMT(figures_requirements_stmt,
	    "SELECT completion_requirements_sync($1::smallint[], $2::numeric[],"
	    " $3::numeric[], $4::numeric[])");
	/* "{" + FIGURES_YEARS figures of at most 31 characters and a comma + "}". */
	size_t size = FIGURES_YEARS * 32 + 3;
	char *arrays[4], *p[4], year[16];
	struct completion_figures r;
	PGresult *res;
	long long changed = -1;
	int present;

	if ((present = figures_present(db)) <= 0) {
		if (present == 0)
			log_warning("requirements: the database has no completion figures yet "
			    "(schema 016); not synced");
		return present;
	}
	for (int k = 0; k < 4; k++) {
		arrays[k] = p[k] = xmalloc(size);
		*p[k]++ = '{';
	}
	for (int i = 0; i < FIGURES_YEARS; i++) {
		snprintf(year, sizeof year, "%d", FIGURES_YEAR_FIRST + i);
		completion_format_requirement(config_requirement_for(cfg, FIGURES_YEAR_FIRST + i),
		    &r);
		figures_append(&p[0], i, year);
		figures_append(&p[1], i, r.total);
		figures_append(&p[2], i, r.professional);
		figures_append(&p[3], i, r.public_hours);
	}
	for (int k = 0; k < 4; k++)
		strcpy(p[k], "}");

	/* One statement: its own transaction, the recompute in it. */
	if ((res = db_exec(db, &figures_requirements_stmt, 4,
	    (const char *const *)arrays)) == NULL) {
		log_error("requirements: cannot store them in the database: %s",
		    db_error_text(db));
		goto out;
	}
	if (PQgetisnull(res, 0, 0))
		changed = 0;
	else {
		changed = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		log_info("requirements: changed; met recomputed, %lld person-years changed",
		    changed);
	}
	PQclear(res);
out:
	for (int k = 0; k < 4; k++)
		free(arrays[k]);
	return changed;
}

long long
figures_fold(struct db_conn *db)
{
	static bool present;	/* the listening thread's alone */
	PGresult *res;
	long long n;
	int now;

	/* Until the schema is there, only look for it (a migration may come any time). */
	if (!present) {
		if ((now = figures_present(db)) <= 0)
			return now;
		present = true;
	}
	/*
	 * One round trip.  The lock timeout keeps the listening thread, which
	 * folds, from waiting behind a rebuild's locks instead of hearing notices.
	 */
	if ((res = db_exec_simple(db, "SET lock_timeout = '" FIGURES_FOLD_LOCK_TIMEOUT "';"
	    " SELECT completion_stats_fold()")) == NULL)
		return -1;
	n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return n;
}
