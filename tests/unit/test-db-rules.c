/*
 * test-db-rules.c - which statements the failover rule takes for reads
 * (db_sql_may_write, daemon/core/db.c): a request whose only statements
 * outside a transaction were reads may be run again after a broken
 * connection, so a write taken for a read would be written twice.
 */
#include <stdio.h>

#include "check.h"
#include "db.h"

static void
test_reads(void)
{
	CHECK(!db_sql_may_write("SELECT id, name FROM units WHERE code = $1"), "a plain SELECT");
	CHECK(!db_sql_may_write("  select updated_at, inserted_by FROM t"),
	    "words are whole: updated_at is not UPDATE, and case does not matter");
	CHECK(!db_sql_may_write("WITH d AS (SELECT 1) SELECT * FROM d"), "WITH ... SELECT");
	CHECK(!db_sql_may_write("SELECT pg_advisory_xact_lock(hashtext('x'))"),
	    "a lock is no write");
}

static void
test_writes(void)
{
	CHECK(db_sql_may_write("INSERT INTO t VALUES ($1)"), "INSERT");
	CHECK(db_sql_may_write("UPDATE t SET a = 1"), "UPDATE");
	CHECK(db_sql_may_write("delete from t"), "delete, in lower case");
	CHECK(db_sql_may_write("WITH u AS (UPDATE t SET a = 1 RETURNING id) SELECT id FROM u"),
	    "a SELECT over a CTE that updates");
	CHECK(db_sql_may_write("SELECT id FROM t FOR UPDATE"), "FOR UPDATE, conservatively");
	CHECK(db_sql_may_write("SELECT nextval('s')"), "nextval");
	CHECK(db_sql_may_write("SELECT id, pg_notify('c', 'end ' || id) FROM u"), "pg_notify");
	CHECK(db_sql_may_write("COMMIT"), "COMMIT");
	CHECK(db_sql_may_write("SET statement_timeout = 5"), "anything not a SELECT or WITH");
	CHECK(db_sql_may_write(""), "no word at all");
	CHECK(db_sql_may_write("-- SELECT\nDELETE FROM t"), "a comment's words count");
}

int
main(void)
{
	test_reads();
	test_writes();
	return check_done();
}
