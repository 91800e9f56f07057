/*
 * import.h - 'jxjyd import': reference data (regions, units, departments,
 * majors, titles, continuing-education bases) from the CSV files named in
 * the config's reference group, or one file named on the command line.
 *
 * Every line of every file is checked before anything is written; a file
 * with any mistake means nothing at all is imported.  Rows are upserted,
 * so importing the same files again changes nothing, and a row that has
 * vanished from its file is deactivated (active = false), never deleted:
 * accounts and records still point to it.
 */
#ifndef JXJYD_IMPORT_H
#define JXJYD_IMPORT_H

#include <stdbool.h>

struct config;
struct db_conn;

enum import_status {
	IMPORT_OK = 0,
	IMPORT_INVALID = 1,	/* a file is missing, unreadable or has mistakes */
	IMPORT_FAILED = 2,	/* the database failed; nothing was changed */
};

/*
 * Where import_run's lines go: each mistake ("FILE:LINE: what is wrong")
 * and failure with error true, the summary with error false.
 */
typedef void import_report_fn(bool error, const char *line);

/* True when cfg names at least one reference file. */
bool	import_configured(const struct config *cfg);

/*
 * Import the files cfg names, in one transaction on c (taken while another
 * import holds the lock).  With dry_run, check and count, then roll back.
 * Returns an enum import_status; every mistake has been reported.
 */
int	import_run(struct db_conn *c, const struct config *cfg, bool dry_run,
	    import_report_fn *report);

/*
 * Import one file of table ("regions", "units", "departments", "majors",
 * "titles" or "bases"; `jxjyd import bases FILE.csv`) as import_run would
 * if the config named only it, path relative to the working directory.
 * A file of bases checks its kinds and forms against cfg's base_kinds and
 * learning_forms.  An enum import_status.
 */
int	import_run_file(struct db_conn *c, const struct config *cfg, const char *table,
	    const char *path, bool dry_run, import_report_fn *report);

/*
 * Read and check CSV texts as import_run reads and checks files, against
 * a database holding nothing but the disciplines named (a NULL-terminated
 * list of codes, or NULL).  text[t], len[t] bytes, is the file of regions,
 * units, departments, majors, titles in this order; NULL when that table is
 * not imported.  Reports every mistake (under the table's name as the file
 * name); returns IMPORT_OK or IMPORT_INVALID.  For tests/fuzz/fuzz-import.c.
 */
int	import_check_texts(const char *const text[5], const size_t len[5],
	    const char *const *disciplines, import_report_fn *report);

#endif
