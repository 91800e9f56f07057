/*
 * test-db-rules.c - which statements the failover rule takes for reads
 * (db_sql_may_write, daemon/core/db.c): a request whose only statements
 * outside a transaction were reads may be run again after a broken
 * connection, so a write taken for a read would be written twice.
 */
#include <stdbool.h>
#include <stdio.h>

#include "check.h"
#include "db.h"

static const struct {
	const char	*sql;
	bool		 writes;
	const char	*why;
} cases[] = {
	{ "SELECT id, name FROM units WHERE code = $1", false, "a plain SELECT" },
	{ "  select updated_at, inserted_by FROM t", false,
	    "words are whole: updated_at is not UPDATE, and case does not matter" },
	{ "WITH d AS (SELECT 1) SELECT * FROM d", false, "WITH ... SELECT" },
	{ "SELECT pg_advisory_xact_lock(hashtext('x'))", false, "a lock is no write" },
	{ "INSERT INTO t VALUES ($1)", true, "INSERT" },
	{ "UPDATE t SET a = 1", true, "UPDATE" },
	{ "delete from t", true, "delete, in lower case" },
	{ "WITH u AS (UPDATE t SET a = 1 RETURNING id) SELECT id FROM u", true,
	    "a SELECT over a CTE that updates" },
	{ "SELECT id FROM t FOR UPDATE", true, "FOR UPDATE, conservatively" },
	{ "SELECT nextval('s')", true, "nextval" },
	{ "SELECT id, pg_notify('c', 'end ' || id) FROM u", true, "pg_notify" },
	{ "COMMIT", true, "COMMIT" },
	{ "BEGIN", false, "BEGIN writes nothing: a request that opened a transaction may "
	    "still be run again" },
	{ "SET statement_timeout = 5", false, "a setting is no data" },
	{ "ROLLBACK", false, "ROLLBACK" },
	{ "VACUUM t", true, "anything else" },
	{ "", true, "no word at all" },
	{ "-- SELECT\nDELETE FROM t", true, "a comment's words count" },
};

int
main(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK(db_sql_may_write(cases[i].sql) == cases[i].writes, "%s", cases[i].why);
	return check_done();
}
