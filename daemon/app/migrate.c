/*
 * migrate.c - apply schema/NNN-*.sql in order, each once, each checked.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "db.h"
#include "migrate.h"
#include "xmalloc.h"

struct migration {
	int	 version;
	char	*name;		/* file name */
	char	*text;
	char	 checksum[65];	/* hex SHA-256 of text */
};

/* Read a whole file; NULL (errno set) on failure.  Caller frees. */
static char *
migrate_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			buf = xrealloc(buf, cap + 1);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static int
migrate_compare(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

/* The migrations in dir, sorted; -1 with a message on out on failure. */
static int
migrate_list(const char *dir, struct migration **list, size_t *count, FILE *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct migration *m = NULL;
	size_t n = 0;
	int rc = 0;

	*list = NULL;
	*count = 0;
	if (d == NULL) {
		fprintf(out, "%s: cannot open schema directory: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		unsigned char hash[crypto_hash_sha256_BYTES];
		char *path;

		if (len < 9 || !isdigit((unsigned char)e->d_name[0]) ||
		    !isdigit((unsigned char)e->d_name[1]) ||
		    !isdigit((unsigned char)e->d_name[2]) || e->d_name[3] != '-' ||
		    strcmp(e->d_name + len - 4, ".sql") != 0)
			continue;
		m = xrealloc(m, (n + 1) * sizeof *m);
		m[n].version = atoi(e->d_name);
		m[n].name = xstrdup(e->d_name);
		path = xasprintf("%s/%s", dir, e->d_name);
		m[n].text = migrate_read_file(path);
		if (m[n].text == NULL) {
			fprintf(out, "%s: cannot read: %s\n", path, strerror(errno));
			rc = -1;
			m[n].text = xstrdup("");
		}
		free(path);
		crypto_hash_sha256(hash, (unsigned char *)m[n].text, strlen(m[n].text));
		sodium_bin2hex(m[n].checksum, sizeof m[n].checksum, hash, sizeof hash);
		n++;
	}
	closedir(d);
	qsort(m, n, sizeof *m, migrate_compare);
	for (size_t i = 1; i < n; i++) {
		if (m[i].version == m[i - 1].version) {
			fprintf(out, "%s/%s: version %03d used twice (also %s)\n", dir,
			    m[i].name, m[i].version, m[i - 1].name);
			rc = -1;
		}
	}
	*list = m;
	*count = n;
	return rc;
}

static void
migrate_free(struct migration *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].name);
		free(m[i].text);
	}
	free(m);
}

/* The table of applied migrations, created on first use. */
#define MIGRATE_TABLE \
	"CREATE TABLE IF NOT EXISTS schema_migrations (" \
	" version integer PRIMARY KEY, name text NOT NULL," \
	" checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"

/*
 * Compare the migrations the database has applied (applied: version,
 * name, checksum) with the files: each must still be there, unchanged.
 * Returns MIGRATE_OK or MIGRATE_MISMATCH (each difference printed).
 */
static enum migrate_status
migrate_compare_applied(const PGresult *applied, const struct migration *files,
    size_t nfiles, const char *schema_dir, FILE *out)
{
	enum migrate_status status = MIGRATE_OK;

	for (int i = 0; i < PQntuples(applied); i++) {
		int version = atoi(PQgetvalue(applied, i, 0));
		const char *sum = PQgetvalue(applied, i, 2);
		size_t j;

		for (j = 0; j < nfiles && files[j].version != version; j++)
			;
		if (j == nfiles) {
			fprintf(out, "database has migration %03d (%s) that %s does not: "
			    "this jxjyd is older than the database\n", version,
			    PQgetvalue(applied, i, 1), schema_dir);
			status = MIGRATE_MISMATCH;
		} else if (strcmp(files[j].checksum, sum) != 0) {
			fprintf(out, "%s/%s: changed after it was applied (checksum %.12s…, "
			    "applied %.12s…); restore the original file\n", schema_dir,
			    files[j].name, files[j].checksum, sum);
			status = MIGRATE_MISMATCH;
		}
	}
	return status;
}

/* Whether the migration of version is among the applied ones. */
static bool
migrate_applied(const PGresult *applied, int version)
{
	for (int i = 0; i < PQntuples(applied); i++) {
		if (atoi(PQgetvalue(applied, i, 0)) == version)
			return true;
	}
	return false;
}

/* Apply one migration in a transaction of its own, and record it. Returns 0 or -1. */
static int
migrate_apply(struct db_conn *c, const struct migration *m, const char *schema_dir,
    FILE *out)
{
	DB_STMT(migrate_record, "INSERT INTO schema_migrations (version, name, checksum)"
	    " VALUES ($1, $2, $3)");
	char version[16];
	const char *params[3] = { version, m->name, m->checksum };
	PGresult *ins;

	snprintf(version, sizeof version, "%d", m->version);
	if (!db_begin(c) || db_command(c, m->text) != 0) {
		fprintf(out, "%s/%s: failed: %s\n", schema_dir, m->name, db_error_text(c));
		return -1;
	}
	if ((ins = db_exec(c, &migrate_record, 3, params)) == NULL) {
		fprintf(out, "%s/%s: cannot record: %s\n", schema_dir, m->name,
		    db_error_text(c));
		return -1;
	}
	PQclear(ins);
	if (!db_commit(c)) {
		fprintf(out, "%s/%s: commit failed: %s\n", schema_dir, m->name,
		    db_error_text(c));
		return -1;
	}
	fprintf(out, "applied %s\n", m->name);
	return 0;
}

enum migrate_status
migrate_run(struct db_conn *c, const char *schema_dir, int apply, FILE *out)
{
	struct migration *files = NULL;
	size_t nfiles = 0, applied_now = 0;
	PGresult *r = NULL;
	enum migrate_status status = MIGRATE_OK;
	bool locked = false;

	if (migrate_list(schema_dir, &files, &nfiles, out) != 0) {
		status = MIGRATE_FAILED;
		goto out;
	}
	/*
	 * A session advisory lock serialises migrators: two daemons migrating
	 * at once cannot both apply a file; the second waits, then sees it
	 * applied.  Each file then runs in a transaction of its own.
	 */
	if (db_command(c, "SELECT pg_advisory_lock(7472015)") != 0) {
		fprintf(out, "database: %s\n", db_error_text(c));
		status = MIGRATE_FAILED;
		goto out;
	}
	locked = true;
	if (db_command(c, MIGRATE_TABLE) != 0 ||
	    (r = db_exec_simple(c, "SELECT version, name, checksum FROM schema_migrations"
	    " ORDER BY version")) == NULL) {
		fprintf(out, "database: %s\n", db_error_text(c));
		status = MIGRATE_FAILED;
		goto out;
	}
	if ((status = migrate_compare_applied(r, files, nfiles, schema_dir, out)) != MIGRATE_OK)
		goto out;
	for (size_t j = 0; j < nfiles; j++) {
		if (migrate_applied(r, files[j].version))
			continue;
		if (!apply) {
			fprintf(out, "%s/%s: not applied\n", schema_dir, files[j].name);
			status = MIGRATE_PENDING;
		} else if (migrate_apply(c, &files[j], schema_dir, out) != 0) {
			status = MIGRATE_FAILED;
			goto out;
		} else {
			applied_now++;
		}
	}
	if (apply && applied_now == 0)
		fprintf(out, "schema is up to date (%zu migrations)\n", nfiles);
out:
	db_rollback(c);
	if (locked)
		db_command(c, "SELECT pg_advisory_unlock(7472015)");
	PQclear(r);
	migrate_free(files, nfiles);
	return status;
}
