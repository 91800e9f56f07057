/*
 * migrate.h - the numbered SQL files of schema/, applied in order, once.
 *
 * Each file NNN-name.sql is one migration, applied in its own transaction
 * and recorded in schema_migrations with the SHA-256 of its text.  A
 * changed file that was already applied, or a database that knows a
 * migration this binary lacks, stops everything: that is a deployment
 * mistake to fix by hand, never something to guess around.
 */
#ifndef JXJYD_MIGRATE_H
#define JXJYD_MIGRATE_H

#include <stdio.h>

struct db_conn;

enum migrate_status {
	MIGRATE_OK = 0,		/* nothing pending (check) or all applied (apply) */
	MIGRATE_PENDING,	/* check only: some files are not applied yet */
	MIGRATE_MISMATCH,	/* a checksum changed, or the database is ahead */
	MIGRATE_FAILED,		/* a file could not be read or applied */
};

/*
 * Compare schema_dir with the database; with apply, run what is pending.
 * Progress and problems are written to out (one line each, naming the
 * file).  Returns the status.
 */
enum migrate_status migrate_run(struct db_conn *c, const char *schema_dir, int apply,
	    FILE *out);

#endif
