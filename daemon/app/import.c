/*
 * import.c - reference data from CSV files: regions, units, departments,
 * majors, titles and continuing-education bases (jxjyd import, jxjyd
 * import bases FILE.csv, and reference.import_at_start).
 *
 * The files are the system administrator's truth, as unit_admins in the
 * config is for administrators.  The import runs in three steps, all in
 * one transaction under an advisory lock (two daemons starting together
 * on one database take turns):
 *
 *   1. read what the database holds now (codes, unit names, disciplines);
 *   2. read and check every line of every file, reporting each mistake as
 *      "FILE:LINE: what is wrong" -- all of them, not the first;
 *   3. only when no file had a mistake: upsert each table from its file in
 *      one statement, then deactivate the rows the file no longer lists.
 *
 * Rows are never deleted: accounts and declarations point to units,
 * departments, majors and titles, and history must keep its meaning.  An
 * upsert changes a row only when something differs, so a second import
 * of the same files reports every row unchanged.
 *
 * The rows travel to PostgreSQL as one jsonb parameter per table
 * (jsonb_to_recordset): parameterised, one round trip however many rows,
 * and foreign keys are checked at the end of the statement, so a region
 * may come before its parent in the file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "import.h"
#include "text.h"
#include "xmalloc.h"

#define IMPORT_LINE_MAX		4096	/* bytes in one line */
#define IMPORT_NAME_MAX		100	/* characters in a name */
#define IMPORT_QUOTE_MAX	40	/* bytes of a value echoed in a message */

enum import_table {
	IMPORT_REGIONS,
	IMPORT_UNITS,
	IMPORT_DEPARTMENTS,
	IMPORT_MAJORS,
	IMPORT_TITLES,
	IMPORT_BASES,		/* code,name,region,kind,forms (issue 15) */
	IMPORT_NTABLES
};
/* The tables of import_check_texts (import.h): all but the bases. */
#define IMPORT_REFERENCE_TABLES	5

/* Learning forms a bases file may name for one base. */
#define IMPORT_BASE_FORMS_MAX	32

/* A mistake found in a file, kept until all are found so they print in line order. */
struct import_message {
	int	 line;		/* 0: about the whole file */
	size_t	 seq;		/* order found, among equal lines */
	char	*text;		/* "FILE:LINE: what" */
};

/* One data line of a file: its number and its fields (owned). */
struct import_row {
	int	  line;
	char	**field;
};

struct import_file {
	const char	 *table;	/* the table it fills, for messages */
	const char	 *key;		/* its config key */
	const char	 *columns[5];	/* the header it must have */
	size_t		  n_columns;
	char		 *path;		/* resolved; NULL when not configured */
	struct import_row *rows;
	size_t		  n_rows;
	int		  errors;
	struct import_message *messages;
	json_t		 *keys;		/* key of each valid row -> its line */
};

/* What one table's import did. */
struct import_counts {
	long	inserted, updated, deactivated;
};

struct import {
	const struct config	*cfg;
	import_report_fn	*report;
	struct import_file	 files[IMPORT_NTABLES];
	int			 errors;
	/* The database before the import: code -> active (regions, units), ... */
	json_t			*db_regions;
	json_t			*db_units;
	json_t			*db_unit_names;	/* name -> code */
	json_t			*db_disciplines;
	json_t			*db_bases;	/* code -> active */
	json_t			*db_base_names;	/* name -> code */
};

/* The levels of a title and their rank (1 highest), as titles.level_rank. */
static const char *const import_levels[] = {
	"正高级", "副高级", "中级", "助理级", "员级", NULL
};

static void __attribute__((format(printf, 2, 3)))
import_say(struct import *im, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	im->report(false, line);
	free(line);
}

/* Record "PATH:LINE: message" (or "PATH: message" for line 0) as a mistake in f. */
static void __attribute__((format(printf, 4, 5)))
import_error(struct import *im, struct import_file *f, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg, *full;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (line > 0)
		full = xasprintf("%s:%d: %s", f->path, line, msg);
	else
		full = xasprintf("%s: %s", f->path, msg);
	free(msg);
	f->messages = xrealloc(f->messages, (f->errors + 1) * sizeof *f->messages);
	f->messages[f->errors] = (struct import_message){ line, (size_t)f->errors, full };
	f->errors++;
	im->errors++;
}

static int
import_message_order(const void *a, const void *b)
{
	const struct import_message *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Report f's mistakes, in the order of its lines. */
static void
import_flush_errors(struct import *im, struct import_file *f)
{
	if (f->errors == 0)
		return;
	qsort(f->messages, (size_t)f->errors, sizeof *f->messages, import_message_order);
	for (int i = 0; i < f->errors; i++)
		im->report(true, f->messages[i].text);
}

/*
 * value quoted for a message, into buf: safe for a terminal (control
 * characters and invalid bytes replaced) and cut after IMPORT_QUOTE_MAX
 * bytes at a character boundary.
 */
static const char *
import_quote(const char *value, char *buf, size_t size)
{
	char *clean = text_sanitize(value, false);
	size_t len = strlen(clean), cut = len;

	if (cut > IMPORT_QUOTE_MAX) {
		cut = IMPORT_QUOTE_MAX;
		while (cut > 0 && ((unsigned char)clean[cut] & 0xc0) == 0x80)
			cut--;
	}
	snprintf(buf, size, "\"%.*s%s\"", (int)cut, clean, cut < len ? "..." : "");
	free(clean);
	return buf;
}

static void
import_row_free(struct import_row *row, size_t n_columns)
{
	for (size_t i = 0; i < n_columns; i++)
		free(row->field[i]);
	free(row->field);
}

/* path as the config names it, relative to the config file's directory. */
static char *
import_resolve(const struct config *cfg, const char *path)
{
	const char *slash = strrchr(cfg->path, '/');

	if (path[0] == '/' || slash == NULL)
		return xstrdup(path);
	return xasprintf("%.*s/%s", (int)(slash - cfg->path), cfg->path, path);
}

bool
import_configured(const struct config *cfg)
{
	const char *paths[] = { cfg->ref_regions, cfg->ref_units, cfg->ref_departments,
	    cfg->ref_majors, cfg->ref_titles, cfg->ref_bases };

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		if (paths[i] != NULL && paths[i][0] != '\0')
			return true;
	}
	return false;
}

/*
 * Split one line (RFC 4180: fields separated by commas, optionally in
 * double quotes with "" for a quote inside) into a new array of new
 * strings.  Unquoted fields lose surrounding blanks.  Returns the number
 * of fields, or -1 after reporting a malformed line.
 */
static int
import_split(struct import *im, struct import_file *f, int line, const char *p,
    char ***out)
{
	char **fields = NULL, *buf;
	size_t n = 0, len;
	const char *start, *end;

	buf = xmalloc(strlen(p) + 1);
	for (;;) {
		len = 0;
		p += strspn(p, " \t");
		if (*p == '"') {
			for (p++;; p++) {
				if (*p == '\0') {
					import_error(im, f, line, "field %zu: a quoted field has "
					    "no closing quote (a field cannot span lines)", n + 1);
					goto fail;
				}
				if (*p == '"') {
					if (p[1] != '"')
						break;
					p++;
				}
				buf[len++] = *p;
			}
			p++;
			p += strspn(p, " \t");
			if (*p != ',' && *p != '\0') {
				import_error(im, f, line, "field %zu: text after the closing "
				    "quote", n + 1);
				goto fail;
			}
		} else {
			start = p;
			p += strcspn(p, ",\"");
			if (*p == '"') {
				import_error(im, f, line, "field %zu: a quote inside an unquoted "
				    "field (quote the whole field and double the quote)", n + 1);
				goto fail;
			}
			end = p;
			while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			memcpy(buf, start, (size_t)(end - start));
			len = (size_t)(end - start);
		}
		fields = xrealloc(fields, (n + 1) * sizeof *fields);
		fields[n++] = xstrndup(buf, len);
		if (*p == '\0')
			break;
		p++;	/* the comma */
	}
	free(buf);
	*out = fields;
	return (int)n;
fail:
	free(buf);
	for (size_t i = 0; i < n; i++)
		free(fields[i]);
	free(fields);
	return -1;
}

static bool
import_blank(const char *p)
{
	return p[strspn(p, " \t")] == '\0';
}

/* Does the header row name f's columns, in order (ASCII case ignored)? */
static bool
import_header_ok(const struct import_file *f, char **fields, int n)
{
	if ((size_t)n != f->n_columns)
		return false;
	for (size_t i = 0; i < f->n_columns; i++) {
		if (strcasecmp(fields[i], f->columns[i]) != 0)
			return false;
	}
	return true;
}

static void
import_header_text(const struct import_file *f, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < f->n_columns; i++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", i ? "," : "",
		    f->columns[i]);
}

/*
 * Read fp (f->path) into f->rows: every line that is well-formed CSV with the
 * right number of fields; the others are reported.  A missing or wrong
 * header stops reading the file (its columns cannot be trusted).
 */
static void
import_read_stream(struct import *im, struct import_file *f, FILE *fp)
{
	char *line = NULL, **fields, header[64];
	size_t cap = 0, len;
	ssize_t got;
	bool have_header = false;
	int lineno = 0, n;

	import_header_text(f, header, sizeof header);
	while ((got = getline(&line, &cap, fp)) != -1) {
		char *p = line;

		lineno++;
		len = (size_t)got;
		if (len > 0 && p[len - 1] == '\n')
			p[--len] = '\0';
		if (len > 0 && p[len - 1] == '\r')
			p[--len] = '\0';
		/* Spreadsheets write a byte order mark before UTF-8. */
		if (lineno == 1 && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
			p += 3;
			len -= 3;
		}
		if (len > IMPORT_LINE_MAX) {
			import_error(im, f, lineno, "line is longer than %d bytes",
			    IMPORT_LINE_MAX);
			continue;
		}
		if (memchr(p, '\0', len) != NULL || !utf8_valid(p, len)) {
			import_error(im, f, lineno, "not valid UTF-8 text (save the file "
			    "as UTF-8, not GBK)");
			continue;
		}
		if (import_blank(p))
			continue;
		if ((n = import_split(im, f, lineno, p, &fields)) < 0)
			continue;
		if (!have_header) {
			have_header = true;
			if (!import_header_ok(f, fields, n)) {
				char q[128];

				import_error(im, f, lineno, "the first line must be the header "
				    "\"%s\", got %s", header, import_quote(p, q, sizeof q));
				struct import_row bad = { .field = fields };
				import_row_free(&bad, (size_t)n);
				break;
			}
			struct import_row hdr = { .field = fields };
			import_row_free(&hdr, (size_t)n);
			continue;
		}
		if ((size_t)n != f->n_columns) {
			import_error(im, f, lineno, "expected %zu fields (%s), got %d",
			    f->n_columns, header, n);
			struct import_row bad = { .field = fields };
			import_row_free(&bad, (size_t)n);
			continue;
		}
		f->rows = xrealloc(f->rows, (f->n_rows + 1) * sizeof *f->rows);
		f->rows[f->n_rows].line = lineno;
		f->rows[f->n_rows].field = fields;
		f->n_rows++;
	}
	if (ferror(fp))
		import_error(im, f, 0, "cannot read: %s", strerror(errno));
	else if (!have_header)
		import_error(im, f, 0, "empty: the first line must be the header \"%s\"",
		    header);
	free(line);
}

static void
import_read(struct import *im, struct import_file *f)
{
	FILE *fp;

	if ((fp = fopen(f->path, "r")) == NULL) {
		import_error(im, f, 0, "cannot read: %s", strerror(errno));
		return;
	}
	import_read_stream(im, f, fp);
	fclose(fp);
}

/* --- checking the fields ----------------------------------------------- */

/* A name: 1..max characters, no control characters.  Reports when not. */
static bool
import_check_text(struct import *im, struct import_file *f, int line, const char *column,
    const char *value, size_t max)
{
	char q[128];

	if (value[0] == '\0') {
		import_error(im, f, line, "%s: must not be empty", column);
		return false;
	}
	if (!text_clean(value, false, 1, (size_t)-1)) {
		import_error(im, f, line, "%s: contains a control character: %s", column,
		    import_quote(value, q, sizeof q));
		return false;
	}
	if (utf8_length(value) > max) {
		import_error(im, f, line, "%s: longer than %zu characters: %s", column, max,
		    import_quote(value, q, sizeof q));
		return false;
	}
	return true;
}

/* n ASCII digits exactly. */
static bool
import_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return s[n] == '\0';
}

static bool
import_check_region_code(struct import *im, struct import_file *f, int line,
    const char *column, const char *value)
{
	char q[128];

	if (import_digits(value, 6))
		return true;
	import_error(im, f, line, "%s: a region code is 6 digits (GB/T 2260), got %s",
	    column, import_quote(value, q, sizeof q));
	return false;
}

static bool
import_check_unit_code(struct import *im, struct import_file *f, int line,
    const char *column, const char *value)
{
	size_t n = strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789");
	char q[128];

	if (n >= 1 && n <= 32 && value[n] == '\0')
		return true;
	import_error(im, f, line, "%s: a unit code is 1 to 32 letters and digits, got %s",
	    column, import_quote(value, q, sizeof q));
	return false;
}

/* Remember key (of a row at line) in f->keys; report a repeat. */
static bool
import_key_once(struct import *im, struct import_file *f, int line, const char *what,
    const char *key, const char *shown)
{
	json_t *seen = json_object_get(f->keys, key);
	char q[128];

	if (seen != NULL) {
		import_error(im, f, line, "%s %s repeats line %d", what,
		    import_quote(shown, q, sizeof q), (int)json_integer_value(seen));
		return false;
	}
	json_object_set_new(f->keys, key, json_integer(line));
	return true;
}

/*
 * May a row refer to code of table (regions or units)?  When that table's
 * file is part of this import it must list the code (whatever it does not
 * list is about to be deactivated); otherwise the database must hold the
 * code, active.  Reports and returns false when not.
 */
static bool
import_check_ref(struct import *im, struct import_file *f, int line, const char *column,
    enum import_table table, const char *code)
{
	struct import_file *target = &im->files[table];
	json_t *db = table == IMPORT_REGIONS ? im->db_regions : im->db_units;
	const char *noun = table == IMPORT_REGIONS ? "region" : "unit";
	json_t *active;

	if (target->path != NULL) {
		if (json_object_get(target->keys, code) != NULL)
			return true;
		const char *base = strrchr(target->path, '/');

		import_error(im, f, line, "%s: %s %s is not in %s", column, noun, code,
		    base != NULL ? base + 1 : target->path);
		return false;
	}
	if ((active = json_object_get(db, code)) == NULL) {
		import_error(im, f, line, "%s: %s %s does not exist (it is neither in the "
		    "database nor imported here)", column, noun, code);
		return false;
	}
	if (!json_is_true(active)) {
		import_error(im, f, line, "%s: %s %s is inactive", column, noun, code);
		return false;
	}
	return true;
}

/* regions: code,name,parent.  First pass: the fields and repeats. */
static void
import_check_regions(struct import *im)
{
	struct import_file *f = &im->files[IMPORT_REGIONS];
	json_t *parents = json_object();

	for (size_t i = 0; i < f->n_rows; i++) {
		struct import_row *r = &f->rows[i];
		const char *code = r->field[0], *parent = r->field[2];
		bool ok;

		ok = import_check_region_code(im, f, r->line, "code", code);
		if (ok)
			ok = import_key_once(im, f, r->line, "code", code, code);
		import_check_text(im, f, r->line, "name", r->field[1], IMPORT_NAME_MAX);
		if (parent[0] != '\0' && import_check_region_code(im, f, r->line, "parent",
		    parent)) {
			if (strcmp(parent, code) == 0)
				import_error(im, f, r->line, "parent: a region cannot be its "
				    "own parent");
			else if (ok)
				json_object_set_new(parents, code, json_string(parent));
		}
	}
	/* Second pass: parents exist, and no chain of parents loops. */
	for (size_t i = 0; i < f->n_rows; i++) {
		struct import_row *r = &f->rows[i];
		const char *code = r->field[0], *cur;
		json_t *next;
		size_t steps;

		if ((next = json_object_get(parents, code)) == NULL)
			continue;
		if (!import_check_ref(im, f, r->line, "parent", IMPORT_REGIONS,
		    json_string_value(next)))
			continue;
		cur = json_string_value(next);
		for (steps = 0; steps <= f->n_rows; steps++) {
			if (strcmp(cur, code) == 0) {
				import_error(im, f, r->line, "parent: the chain of parents "
				    "leads back to %s", code);
				break;
			}
			if ((next = json_object_get(parents, cur)) == NULL)
				break;
			cur = json_string_value(next);
		}
	}
	json_decref(parents);
}

/*
 * The first three columns of units and bases: code, name, region.  Codes
 * are checked and remembered first, so that a name can be told from one
 * the database gives a row this file no longer lists.  Names are unique
 * (names maps them to their line), deactivated rows' names included
 * (db_names: name -> code in the database); noun is "unit" or "base".
 */
static void
import_check_coded_rows(struct import *im, struct import_file *f, json_t *db_names,
    const char *noun)
{
	json_t *names = json_object();

	for (size_t i = 0; i < f->n_rows; i++) {
		struct import_row *r = &f->rows[i];

		if (import_check_unit_code(im, f, r->line, "code", r->field[0]))
			import_key_once(im, f, r->line, "code", r->field[0], r->field[0]);
	}
	for (size_t i = 0; i < f->n_rows; i++) {
		struct import_row *r = &f->rows[i];
		const char *code = r->field[0], *name = r->field[1], *owner;
		json_t *seen;
		char q[128];

		if (import_check_text(im, f, r->line, "name", name, IMPORT_NAME_MAX)) {
			if ((seen = json_object_get(names, name)) != NULL) {
				import_error(im, f, r->line, "name: %s repeats line %d",
				    import_quote(name, q, sizeof q),
				    (int)json_integer_value(seen));
			} else {
				json_object_set_new(names, name, json_integer(r->line));
				seen = json_object_get(db_names, name);
				owner = seen != NULL ? json_string_value(seen) : NULL;
				if (owner != NULL && strcmp(owner, code) != 0 &&
				    json_object_get(f->keys, owner) == NULL)
					import_error(im, f, r->line, "name: %s is the name of %s "
					    "%s in the database, which this file no longer lists "
					    "(%s names stay taken)",
					    import_quote(name, q, sizeof q), noun, owner, noun);
			}
		}
		if (import_check_region_code(im, f, r->line, "region", r->field[2]))
			import_check_ref(im, f, r->line, "region", IMPORT_REGIONS, r->field[2]);
	}
	json_decref(names);
}

/* units: code,name,region. */
static void
import_check_units(struct import *im)
{
	import_check_coded_rows(im, &im->files[IMPORT_UNITS], im->db_unit_names, "unit");
}

/*
 * The forms field of a base: ";"-separated learning form codes of the
 * config, none twice, at most IMPORT_BASE_FORMS_MAX.  Returns how many.
 */
static int
import_check_base_forms(struct import *im, struct import_file *f, int line,
    const char *value)
{
	char *copy = xstrdup(value), *save = NULL, *code, q[128];
	const char *seen[IMPORT_BASE_FORMS_MAX];
	int n = 0, i;
	size_t k;

	for (code = strtok_r(copy, ";", &save); code != NULL;
	    code = strtok_r(NULL, ";", &save)) {
		code += strspn(code, " \t");
		code[strcspn(code, " \t")] = '\0';
		if (*code == '\0')
			continue;
		for (k = 0; k < im->cfg->n_forms && strcmp(im->cfg->forms[k].code, code) != 0; k++)
			;
		for (i = 0; i < n && strcmp(seen[i], code) != 0; i++)
			;
		if (k == im->cfg->n_forms)
			import_error(im, f, line, "forms: %s is not a learning form of %s "
			    "(learning_forms)", import_quote(code, q, sizeof q), im->cfg->path);
		else if (i < n)
			import_error(im, f, line, "forms: %s is listed twice",
			    import_quote(code, q, sizeof q));
		else if (n == IMPORT_BASE_FORMS_MAX) {
			import_error(im, f, line, "forms: more than %d forms",
			    IMPORT_BASE_FORMS_MAX);
			break;
		} else
			seen[n++] = im->cfg->forms[k].code;
	}
	free(copy);
	return n;
}

/*
 * bases: code,name,region,kind,forms.  kind names a base kind of the
 * config (base_kinds) or is empty; forms, when empty, are the kind's.
 */
static void
import_check_bases(struct import *im)
{
	struct import_file *f = &im->files[IMPORT_BASES];

	import_check_coded_rows(im, f, im->db_base_names, "base");
	for (size_t i = 0; i < f->n_rows; i++) {
		struct import_row *r = &f->rows[i];
		const char *kind = r->field[3];
		char q[128];
		int forms = import_check_base_forms(im, f, r->line, r->field[4]);

		if (kind[0] != '\0' && config_base_kind(im->cfg, kind) == NULL)
			import_error(im, f, r->line, "kind: %s is not a base kind of %s "
			    "(base_kinds)", import_quote(kind, q, sizeof q), im->cfg->path);
		else if (kind[0] == '\0' && forms == 0 && r->field[4][strspn(r->field[4],
		    " \t;")] == '\0')
			import_error(im, f, r->line, "forms: empty, and no kind to take the "
			    "forms from (name the forms, or a kind of base_kinds)");
	}
}

/*
 * A department or title must come once: its key is two fields joined by a
 * byte no field holds, shown as the two with a space.
 */
static void
import_pair_once(struct import *im, struct import_file *f, int line, const char *what,
    const char *a, const char *b)
{
	char *key = xasprintf("%s\x1f%s", a, b);
	char *shown = xasprintf("%s %s", a, b);

	import_key_once(im, f, line, what, key, shown);
	free(key);
	free(shown);
}

/* departments: unit,name. */
static void
import_check_departments(struct import *im)
{
	struct import_file *f = &im->files[IMPORT_DEPARTMENTS];

	for (size_t i = 0; i < f->n_rows; i++) {
		struct import_row *r = &f->rows[i];
		bool unit_ok, name_ok;

		unit_ok = import_check_unit_code(im, f, r->line, "unit", r->field[0]) &&
		    import_check_ref(im, f, r->line, "unit", IMPORT_UNITS, r->field[0]);
		name_ok = import_check_text(im, f, r->line, "name", r->field[1],
		    IMPORT_NAME_MAX);
		if (unit_ok && name_ok)
			import_pair_once(im, f, r->line, "department", r->field[0], r->field[1]);
	}
}

/* majors: code,name,discipline. */
static void
import_check_majors(struct import *im)
{
	struct import_file *f = &im->files[IMPORT_MAJORS];

	for (size_t i = 0; i < f->n_rows; i++) {
		struct import_row *r = &f->rows[i];
		const char *code = r->field[0], *disc = r->field[2];
		const char *suffix = code + (strlen(code) >= 6 ? 6 : strlen(code));
		bool code_ok, disc_ok;
		char q[128];

		code_ok = strlen(code) >= 6 && strspn(code, "0123456789") == 6 &&
		    (*suffix == '\0' ||
		    strcmp(suffix, "T") == 0 || strcmp(suffix, "K") == 0 ||
		    strcmp(suffix, "TK") == 0);
		if (!code_ok)
			import_error(im, f, r->line, "code: a major code is 6 digits, then "
			    "optionally T, K or TK, got %s", import_quote(code, q, sizeof q));
		else
			import_key_once(im, f, r->line, "code", code, code);
		import_check_text(im, f, r->line, "name", r->field[1], IMPORT_NAME_MAX);
		disc_ok = import_digits(disc, 2);
		if (!disc_ok)
			import_error(im, f, r->line, "discipline: a discipline code is 2 "
			    "digits, got %s", import_quote(disc, q, sizeof q));
		else if (json_object_get(im->db_disciplines, disc) == NULL) {
			import_error(im, f, r->line, "discipline: %s is no discipline of the "
			    "catalogue (see the disciplines table)", disc);
			disc_ok = false;
		}
		if (code_ok && disc_ok && strncmp(code, disc, 2) != 0)
			import_error(im, f, r->line, "code: %s does not start with its "
			    "discipline %s", code, disc);
	}
}

/* titles: series,level,title. */
static void
import_check_titles(struct import *im)
{
	struct import_file *f = &im->files[IMPORT_TITLES];

	for (size_t i = 0; i < f->n_rows; i++) {
		struct import_row *r = &f->rows[i];
		bool series_ok, title_ok;
		size_t l;
		char q[128];

		series_ok = import_check_text(im, f, r->line, "series", r->field[0], 50);
		for (l = 0; import_levels[l] != NULL; l++) {
			if (strcmp(r->field[1], import_levels[l]) == 0)
				break;
		}
		if (import_levels[l] == NULL)
			import_error(im, f, r->line, "level: must be one of 正高级, 副高级, "
			    "中级, 助理级, 员级, got %s", import_quote(r->field[1], q, sizeof q));
		title_ok = import_check_text(im, f, r->line, "title", r->field[2],
		    IMPORT_NAME_MAX);
		if (series_ok && title_ok)
			import_pair_once(im, f, r->line, "title", r->field[0], r->field[2]);
	}
}

/* --- the database -------------------------------------------------------- */

DB_STMT(import_lock_stmt, "SELECT pg_advisory_xact_lock(hashtext('jxjyd import'))");
DB_STMT(import_db_regions_stmt, "SELECT code, active FROM regions");
DB_STMT(import_db_units_stmt, "SELECT code, name, active FROM units");
DB_STMT(import_db_disciplines_stmt, "SELECT code FROM disciplines");
DB_STMT(import_db_bases_stmt, "SELECT code, name, active FROM bases");

/* Run a statement whose first column is a code; fill map (code -> column 'value'). */
static int
import_load_map(struct db_conn *c, struct db_stmt *st, json_t *map, int value,
    json_t *by_name)
{
	PGresult *res = db_exec(c, st, 0, NULL);

	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *code = PQgetvalue(res, i, 0);
		json_t *v = value < 0 ? json_true() :
		    json_boolean(strcmp(PQgetvalue(res, i, value), "t") == 0);

		json_object_set_new(map, code, v);
		if (by_name != NULL)
			json_object_set_new(by_name, PQgetvalue(res, i, 1), json_string(code));
	}
	PQclear(res);
	return 0;
}

/*
 * Run an upsert statement with rows (a JSON array) as its parameter; the
 * statement returns (inserted, updated).  Then the deactivation statement,
 * which returns one row per deactivated row.  Returns 0 or -1.
 */
static int
import_apply(struct db_conn *c, struct db_stmt *upsert, struct db_stmt *deactivate,
    json_t *rows, struct import_counts *n)
{
	char *text = json_dumps(rows, JSON_COMPACT);
	const char *params[1] = { text };
	PGresult *res;
	int rc = -1;

	if (text == NULL)
		abort();	/* only on allocation failure */
	if ((res = db_exec(c, upsert, 1, params)) == NULL)
		goto out;
	n->inserted = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	n->updated = strtol(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	if ((res = db_exec(c, deactivate, 1, params)) == NULL)
		goto out;
	n->deactivated = PQntuples(res);
	PQclear(res);
	rc = 0;
out:
	free(text);
	return rc;
}

/*
 * The upserts: each changes a row only when a column differs, and returns
 * how many rows it inserted and updated (xmax is 0 on a row this statement
 * inserted).  The deactivations touch only rows still active.
 */
DB_STMT(import_regions_upsert,
    "WITH src AS (SELECT * FROM jsonb_to_recordset($1::jsonb)"
    "  AS s (code text, name text, parent text)),"
    " up AS (INSERT INTO regions AS r (code, name, parent, active)"
    "  SELECT code, name, NULLIF(parent, ''), true FROM src"
    "  ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, parent = EXCLUDED.parent,"
    "   active = true"
    "  WHERE (r.name, r.parent, r.active) IS DISTINCT FROM"
    "   (EXCLUDED.name, EXCLUDED.parent, true)"
    "  RETURNING (xmax = 0) AS inserted)"
    " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)"
    " FROM up");
DB_STMT(import_regions_deactivate,
    "UPDATE regions SET active = false WHERE active AND code::text NOT IN"
    " (SELECT s->>'code' FROM jsonb_array_elements($1::jsonb) s) RETURNING code");

DB_STMT(import_units_upsert,
    "WITH src AS (SELECT * FROM jsonb_to_recordset($1::jsonb)"
    "  AS s (code text, name text, region text)),"
    " up AS (INSERT INTO units AS u (code, name, region, active)"
    "  SELECT code, name, region, true FROM src"
    "  ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, region = EXCLUDED.region,"
    "   active = true"
    "  WHERE (u.name, u.region, u.active) IS DISTINCT FROM"
    "   (EXCLUDED.name, EXCLUDED.region, true)"
    "  RETURNING (xmax = 0) AS inserted)"
    " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)"
    " FROM up");
DB_STMT(import_units_deactivate,
    "UPDATE units SET active = false WHERE active AND code NOT IN"
    " (SELECT s->>'code' FROM jsonb_array_elements($1::jsonb) s) RETURNING code");

DB_STMT(import_departments_upsert,
    "WITH src AS (SELECT * FROM jsonb_to_recordset($1::jsonb)"
    "  AS s (unit text, name text)),"
    " up AS (INSERT INTO departments AS d (unit_code, name, active)"
    "  SELECT unit, name, true FROM src"
    "  ON CONFLICT (unit_code, name) DO UPDATE SET active = true WHERE NOT d.active"
    "  RETURNING (xmax = 0) AS inserted)"
    " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)"
    " FROM up");
DB_STMT(import_departments_deactivate,
    "UPDATE departments d SET active = false WHERE active AND NOT EXISTS"
    " (SELECT 1 FROM jsonb_array_elements($1::jsonb) s"
    "  WHERE s->>'unit' = d.unit_code AND s->>'name' = d.name) RETURNING id");

DB_STMT(import_majors_upsert,
    "WITH src AS (SELECT * FROM jsonb_to_recordset($1::jsonb)"
    "  AS s (code text, name text, discipline text)),"
    " up AS (INSERT INTO majors AS m (code, name, discipline, active)"
    "  SELECT code, name, discipline, true FROM src"
    "  ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,"
    "   discipline = EXCLUDED.discipline, active = true"
    "  WHERE (m.name, m.discipline, m.active) IS DISTINCT FROM"
    "   (EXCLUDED.name, EXCLUDED.discipline, true)"
    "  RETURNING (xmax = 0) AS inserted)"
    " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)"
    " FROM up");
DB_STMT(import_majors_deactivate,
    "UPDATE majors SET active = false WHERE active AND code NOT IN"
    " (SELECT s->>'code' FROM jsonb_array_elements($1::jsonb) s) RETURNING code");

/* A series the file names first gets the next display position. */
DB_STMT(import_series_insert,
    "WITH src AS (SELECT s.series, min(s.n) AS first"
    "  FROM jsonb_to_recordset($1::jsonb) AS s (series text, n int)"
    "  WHERE NOT EXISTS (SELECT 1 FROM title_series t WHERE t.name = s.series)"
    "  GROUP BY s.series)"
    " INSERT INTO title_series (name, sort)"
    " SELECT series, (SELECT coalesce(max(sort), 0) FROM title_series)"
    "  + row_number() OVER (ORDER BY first) FROM src");
DB_STMT(import_titles_upsert,
    "WITH src AS (SELECT * FROM jsonb_to_recordset($1::jsonb)"
    "  AS s (series text, level text, title text, rank smallint)),"
    " up AS (INSERT INTO titles AS t (series, level, name, level_rank, active)"
    "  SELECT series, level, title, rank, true FROM src"
    "  ON CONFLICT (series, name) DO UPDATE SET level = EXCLUDED.level,"
    "   level_rank = EXCLUDED.level_rank, active = true"
    "  WHERE (t.level, t.level_rank, t.active) IS DISTINCT FROM"
    "   (EXCLUDED.level, EXCLUDED.level_rank, true)"
    "  RETURNING (xmax = 0) AS inserted)"
    " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)"
    " FROM up");
DB_STMT(import_titles_deactivate,
    "UPDATE titles t SET active = false WHERE active AND NOT EXISTS"
    " (SELECT 1 FROM jsonb_array_elements($1::jsonb) s"
    "  WHERE s->>'series' = t.series AND s->>'title' = t.name) RETURNING id");

/*
 * Bases: forms as an array (jsonb_to_recordset makes it text[]).  A base new
 * to the database waits for the authority's accreditation; the authority's
 * decisions on a base already there (accredited, a suspension, forms once it
 * set them: forms_decided) are never changed by the file (schema 018).
 */
DB_STMT(import_bases_upsert,
    "WITH src AS (SELECT * FROM jsonb_to_recordset($1::jsonb)"
    "  AS s (code text, name text, region text, kind text, forms text[])),"
    " up AS (INSERT INTO bases AS b (code, name, region, kind, forms, active, accredited)"
    "  SELECT code, name, region, kind, forms, true, false FROM src"
    "  ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, region = EXCLUDED.region,"
    "   kind = EXCLUDED.kind,"
    "   forms = CASE WHEN b.forms_decided THEN b.forms ELSE EXCLUDED.forms END,"
    "   active = true"
    "  WHERE (b.name, b.region, b.kind, b.forms, b.active) IS DISTINCT FROM"
    "   (EXCLUDED.name, EXCLUDED.region, EXCLUDED.kind,"
    "    CASE WHEN b.forms_decided THEN b.forms ELSE EXCLUDED.forms END, true)"
    "  RETURNING (xmax = 0) AS inserted)"
    " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)"
    " FROM up");
DB_STMT(import_bases_deactivate,
    "UPDATE bases SET active = false WHERE active AND code NOT IN"
    " (SELECT s->>'code' FROM jsonb_array_elements($1::jsonb) s) RETURNING code");

/* Bases carry their forms as a list of codes. */
static json_t *
import_bases_json(const struct import_file *f)
{
	json_t *rows = json_array();

	for (size_t i = 0; i < f->n_rows; i++) {
		const struct import_row *r = &f->rows[i];
		char *copy = xstrdup(r->field[4]), *save = NULL, *code;
		json_t *forms = json_array();

		for (code = strtok_r(copy, ";", &save); code != NULL;
		    code = strtok_r(NULL, ";", &save)) {
			code += strspn(code, " \t");
			code[strcspn(code, " \t")] = '\0';
			if (*code != '\0')
				json_array_append_new(forms, json_string(code));
		}
		free(copy);
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:o}",
		    "code", r->field[0], "name", r->field[1], "region", r->field[2],
		    "kind", r->field[3], "forms", forms));
	}
	return rows;
}

/* f's rows as a JSON array of objects named by names (one per column). */
static json_t *
import_rows_json(const struct import_file *f, const char *const *names)
{
	json_t *rows = json_array();

	for (size_t i = 0; i < f->n_rows; i++) {
		json_t *o = json_object();

		for (size_t k = 0; k < f->n_columns; k++)
			json_object_set_new(o, names[k], json_string(f->rows[i].field[k]));
		json_array_append_new(rows, o);
	}
	return rows;
}

/* Titles carry their rank, and the line order for new series. */
static json_t *
import_titles_json(const struct import_file *f)
{
	json_t *rows = json_array();

	for (size_t i = 0; i < f->n_rows; i++) {
		const struct import_row *r = &f->rows[i];
		size_t l;

		for (l = 0; import_levels[l] != NULL; l++) {
			if (strcmp(r->field[1], import_levels[l]) == 0)
				break;
		}
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:i, s:i}",
		    "series", r->field[0], "level", r->field[1], "title", r->field[2],
		    "rank", (int)l + 1, "n", (int)i));
	}
	return rows;
}

/* Write every configured table; report what changed.  Returns 0 or -1. */
static int
import_write(struct import *im, struct db_conn *c)
{
	static const char *const region_names[] = { "code", "name", "parent" };
	static const char *const unit_names[] = { "code", "name", "region" };
	static const char *const department_names[] = { "unit", "name" };
	static const char *const major_names[] = { "code", "name", "discipline" };
	static struct {
		struct db_stmt		*upsert, *deactivate;
		const char *const	*names;
	} steps[IMPORT_NTABLES] = {
		[IMPORT_REGIONS] = { &import_regions_upsert, &import_regions_deactivate,
		    region_names },
		[IMPORT_UNITS] = { &import_units_upsert, &import_units_deactivate,
		    unit_names },
		[IMPORT_DEPARTMENTS] = { &import_departments_upsert,
		    &import_departments_deactivate, department_names },
		[IMPORT_MAJORS] = { &import_majors_upsert, &import_majors_deactivate,
		    major_names },
		[IMPORT_TITLES] = { &import_titles_upsert, &import_titles_deactivate,
		    NULL },
		[IMPORT_BASES] = { &import_bases_upsert, &import_bases_deactivate, NULL },
	};

	for (int t = 0; t < IMPORT_NTABLES; t++) {
		struct import_file *f = &im->files[t];
		struct import_counts n = { 0 };
		json_t *rows;
		int rc = 0;

		if (f->path == NULL)
			continue;
		if (t == IMPORT_TITLES) {
			rows = import_titles_json(f);
			char *text = json_dumps(rows, JSON_COMPACT);
			const char *params[1] = { text };
			PGresult *res = db_exec(c, &import_series_insert, 1, params);

			if (res == NULL)
				rc = -1;
			PQclear(res);
			free(text);
		} else if (t == IMPORT_BASES)
			rows = import_bases_json(f);
		else
			rows = import_rows_json(f, steps[t].names);
		if (rc == 0)
			rc = import_apply(c, steps[t].upsert, steps[t].deactivate, rows, &n);
		json_decref(rows);
		if (rc != 0)
			return -1;
		import_say(im, "%s: %s: %zu rows: %ld inserted, %ld updated, %ld unchanged, "
		    "%ld deactivated", f->table, f->path, f->n_rows, n.inserted, n.updated,
		    (long)f->n_rows - n.inserted - n.updated, n.deactivated);
	}
	return 0;
}

static void
import_free(struct import *im)
{
	for (int t = 0; t < IMPORT_NTABLES; t++) {
		struct import_file *f = &im->files[t];

		for (size_t i = 0; i < f->n_rows; i++)
			import_row_free(&f->rows[i], f->n_columns);
		free(f->rows);
		for (int i = 0; i < f->errors; i++)
			free(f->messages[i].text);
		free(f->messages);
		free(f->path);
		json_decref(f->keys);
	}
	json_decref(im->db_regions);
	json_decref(im->db_units);
	json_decref(im->db_unit_names);
	json_decref(im->db_disciplines);
	json_decref(im->db_bases);
	json_decref(im->db_base_names);
}

/* A file's table, its config key and header (designated: clang warns otherwise). */
#define IMPORT_FILE(name, n, ...) { .table = name, .key = "reference." name, \
	.columns = { __VA_ARGS__ }, .n_columns = n }

/* An import of nothing yet, reporting to report. */
static void
import_init(struct import *im, const struct config *cfg, import_report_fn *report)
{
	*im = (struct import){
		.cfg = cfg,
		.report = report,
		.files = {
			[IMPORT_REGIONS] = IMPORT_FILE("regions", 3, "code", "name", "parent"),
			[IMPORT_UNITS] = IMPORT_FILE("units", 3, "code", "name", "region"),
			[IMPORT_DEPARTMENTS] = IMPORT_FILE("departments", 2, "unit", "name"),
			[IMPORT_MAJORS] = IMPORT_FILE("majors", 3, "code", "name", "discipline"),
			[IMPORT_TITLES] = IMPORT_FILE("titles", 3, "series", "level", "title"),
			[IMPORT_BASES] = IMPORT_FILE("bases", 5, "code", "name", "region", "kind",
			    "forms"),
		},
	};
	for (int t = 0; t < IMPORT_NTABLES; t++)
		im->files[t].keys = json_object();
	im->db_regions = json_object();
	im->db_units = json_object();
	im->db_unit_names = json_object();
	im->db_disciplines = json_object();
	im->db_bases = json_object();
	im->db_base_names = json_object();
}

/* Check the rows read, reporting to each file's mistakes; 0 when there is none. */
static int
import_check_all(struct import *im)
{
	/* In this order, so that a reference finds the keys of the file it names. */
	if (im->files[IMPORT_REGIONS].path != NULL)
		import_check_regions(im);
	if (im->files[IMPORT_UNITS].path != NULL)
		import_check_units(im);
	if (im->files[IMPORT_DEPARTMENTS].path != NULL)
		import_check_departments(im);
	if (im->files[IMPORT_MAJORS].path != NULL)
		import_check_majors(im);
	if (im->files[IMPORT_TITLES].path != NULL)
		import_check_titles(im);
	if (im->files[IMPORT_BASES].path != NULL)
		import_check_bases(im);
	return im->errors > 0 ? -1 : 0;
}

int
import_check_texts(const char *const text[5], const size_t len[5],
    const char *const *disciplines, import_report_fn *report)
{
	struct import im;
	int t;

	_Static_assert(IMPORT_REFERENCE_TABLES == 5, "import.h names five tables");
	import_init(&im, NULL, report);
	for (t = 0; disciplines != NULL && disciplines[t] != NULL; t++)
		json_object_set_new(im.db_disciplines, disciplines[t], json_true());
	for (t = 0; t < IMPORT_REFERENCE_TABLES; t++) {
		FILE *fp;

		if (text[t] == NULL)
			continue;
		im.files[t].path = xstrdup(im.files[t].table);
		if ((fp = fmemopen((void *)text[t], len[t], "r")) == NULL)
			abort();	/* only on allocation failure */
		import_read_stream(&im, &im.files[t], fp);
		fclose(fp);
	}
	import_check_all(&im);
	for (t = 0; t < IMPORT_NTABLES; t++)
		import_flush_errors(&im, &im.files[t]);
	t = im.errors > 0 ? IMPORT_INVALID : IMPORT_OK;
	import_free(&im);
	return t;
}

/* Report one line as an error (report's first argument) and free it. */
static void
import_report_error(struct import *im, char *line)
{
	im->report(true, line);
	free(line);
}

/*
 * In c's transaction, take the import lock and read what the files are
 * checked against: the regions, units and disciplines the database has.
 * Returns 0 or -1 (the error kept in c).
 */
static int
import_load_db(struct import *im, struct db_conn *c)
{
	PGresult *res;

	if ((res = db_exec(c, &import_lock_stmt, 0, NULL)) == NULL)
		return -1;
	PQclear(res);
	if (import_load_map(c, &import_db_regions_stmt, im->db_regions, 1, NULL) != 0 ||
	    import_load_map(c, &import_db_units_stmt, im->db_units, 2,
	    im->db_unit_names) != 0 ||
	    import_load_map(c, &import_db_disciplines_stmt, im->db_disciplines, -1,
	    NULL) != 0 ||
	    import_load_map(c, &import_db_bases_stmt, im->db_bases, 2,
	    im->db_base_names) != 0)
		return -1;
	return 0;
}

/* Read and check every configured file; IMPORT_OK, or IMPORT_INVALID when reported. */
static int
import_read_all(struct import *im)
{
	int t, bad_files = 0;

	for (t = 0; t < IMPORT_NTABLES; t++) {
		if (im->files[t].path != NULL)
			import_read(im, &im->files[t]);
	}
	if (import_check_all(im) == 0)
		return IMPORT_OK;
	for (t = 0; t < IMPORT_NTABLES; t++) {
		import_flush_errors(im, &im->files[t]);
		bad_files += im->files[t].errors > 0;
	}
	import_report_error(im, xasprintf("import: %d mistake%s in %d file%s; nothing was "
	    "imported", im->errors, im->errors == 1 ? "" : "s", bad_files,
	    bad_files == 1 ? "" : "s"));
	return IMPORT_INVALID;
}

/*
 * Import the files of paths (indexed by enum import_table; NULL or "":
 * not imported) in one transaction on c.  An enum import_status.
 */
static int
import_run_paths(struct db_conn *c, const struct config *cfg,
    const char *const paths[IMPORT_NTABLES], bool dry_run, import_report_fn *report)
{
	struct import im;
	int rc;

	import_init(&im, cfg, report);
	for (int t = 0; t < IMPORT_NTABLES; t++) {
		if (paths[t] != NULL && paths[t][0] != '\0')
			im.files[t].path = import_resolve(cfg, paths[t]);
	}
	if (!db_begin(c) || import_load_db(&im, c) != 0)
		goto failed;
	if ((rc = import_read_all(&im)) != IMPORT_OK) {
		db_rollback(c);
		goto out;
	}
	if (import_write(&im, c) != 0)
		goto failed;
	if (dry_run) {
		db_rollback(c);
		import_say(&im, "import: dry run: the files are valid; nothing was changed");
	} else {
		if (!db_commit(c))
			goto failed;
		import_say(&im, "import: done");
	}
	goto out;
failed:
	import_report_error(&im, xasprintf("import: database: %s; nothing was imported",
	    db_error_text(c)));
	db_rollback(c);
	rc = IMPORT_FAILED;
out:
	import_free(&im);
	return rc;
}

int
import_run(struct db_conn *c, const struct config *cfg, bool dry_run,
    import_report_fn *report)
{
	const char *paths[IMPORT_NTABLES] = { cfg->ref_regions, cfg->ref_units,
	    cfg->ref_departments, cfg->ref_majors, cfg->ref_titles, cfg->ref_bases };

	if (!import_configured(cfg)) {
		char *line = xasprintf("import: %s names no reference file (reference.regions, "
		    ".units, .departments, .majors, .titles, .bases)", cfg->path);

		report(true, line);
		free(line);
		return IMPORT_INVALID;
	}
	return import_run_paths(c, cfg, paths, dry_run, report);
}

int
import_run_file(struct db_conn *c, const struct config *cfg, const char *table,
    const char *path, bool dry_run, import_report_fn *report)
{
	static const char *const tables[IMPORT_NTABLES] = {
		"regions", "units", "departments", "majors", "titles", "bases"
	};
	const char *paths[IMPORT_NTABLES] = { NULL };
	char *line, cwd[4096];
	int rc;

	for (int t = 0; t < IMPORT_NTABLES; t++) {
		if (strcmp(tables[t], table) != 0)
			continue;
		/* Named on the command line: relative to where it was typed. */
		if (path[0] != '/' && getcwd(cwd, sizeof cwd) != NULL)
			line = xasprintf("%s/%s", cwd, path);
		else
			line = xstrdup(path);
		paths[t] = line;
		rc = import_run_paths(c, cfg, paths, dry_run, report);
		free(line);
		return rc;
	}
	line = xasprintf("import: no table %s (regions, units, departments, majors, titles, "
	    "bases)", table);
	report(true, line);
	free(line);
	return IMPORT_INVALID;
}
