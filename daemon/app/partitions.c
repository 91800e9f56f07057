/*
 * partitions.c - keep the partitions of the years a record may be declared
 * in (partitions.h, schema/019-partition-by-year.sql).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "partitions.h"

/* How often the tick looks at the year (seconds). */
#define PARTITIONS_CHECK_SECONDS	60
/* How long making a partition waits for the table's lock before it tries later. */
#define PARTITIONS_LOCK_TIMEOUT		"1s"

/*
 * The window's years with no partition yet, ascending, into years (at most
 * max); -1 on a database error, 0 also on a database without schema 019.
 */
static int
partitions_missing(struct db_conn *db, int first, int last, int *years, int max)
{
	DB_STMT(partitions_missing_stmt,
	    "SELECT y FROM generate_series($1::int, $2::int) y"
	    " WHERE to_regprocedure('declarations_add_year(integer)') IS NOT NULL"
	    " AND NOT declarations_partition_attached('declarations', y) ORDER BY y");
	char a[16], b[16];
	const char *params[2] = { a, b };
	PGresult *res;
	int n = 0;

	snprintf(a, sizeof a, "%d", first);
	snprintf(b, sizeof b, "%d", last);
	if ((res = db_exec(db, &partitions_missing_stmt, 2, params)) == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res) && n < max; i++)
		years[n++] = atoi(PQgetvalue(res, i, 0));
	PQclear(res);
	return n;
}

/* Make year's partitions in a transaction of their own. Returns 0 or -1 (logged). */
static int
partitions_add(struct db_conn *db, int year)
{
	DB_STMT(partitions_add_stmt, "SELECT declarations_add_year($1::int)");
	char y[16];
	const char *params[1] = { y };
	PGresult *res = NULL;

	snprintf(y, sizeof y, "%d", year);
	if (!db_begin(db) ||
	    db_command(db, "SET LOCAL lock_timeout = '" PARTITIONS_LOCK_TIMEOUT "'") != 0 ||
	    (res = db_exec(db, &partitions_add_stmt, 1, params)) == NULL) {
		log_warning("partitions: cannot make year %d's (trying again within a minute): %s",
		    year, db_error_text(db));
		db_rollback(db);
		return -1;
	}
	if (!PQgetisnull(res, 0, 0))
		log_info("partitions: made declarations_%d and attachments_%d (%s records moved "
		    "from the default partition)", year, year, PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!db_commit(db)) {
		log_warning("partitions: cannot make year %d's: %s", year, db_error_text(db));
		return -1;
	}
	return 0;
}

int
partitions_keep(struct db_conn *db, const struct config *cfg)
{
	int now = db_year_now(), first = now - cfg->decl_years_back, last = now + 1;
	int years[16], n, made = 0;
	bool failed = false;

	if ((n = partitions_missing(db, first, last, years, 16)) < 0) {
		log_warning("partitions: cannot list the years' partitions: %s",
		    db_error_text(db));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (partitions_add(db, years[i]) == 0)
			made++;
		else
			failed = true;
	}
	/* A lock timeout may only mean that another daemon was making them: look again. */
	if (failed && partitions_missing(db, first, last, years, 16) == 0) {
		log_info("partitions: the years' partitions are there (another daemon made them)");
		failed = false;
	}
	return failed ? -1 : made;
}

void
partitions_tick(struct db_conn *db, const struct config *cfg)
{
	/* The listening thread's alone. */
	static time_t checked;
	static int kept_year;
	static bool failing;
	time_t t = time(NULL);
	int now;

	if (t - checked < PARTITIONS_CHECK_SECONDS && t >= checked)
		return;
	checked = t;
	now = db_year_now();
	if (now == kept_year && !failing)
		return;
	failing = partitions_keep(db, cfg) < 0;
	if (!failing)
		kept_year = now;
}
