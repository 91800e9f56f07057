/*
 * roster.c - a class's roster: reading a CSV file in UTF-8 or GB18030,
 * checking its rows, storing them, and the roster.* methods (roster.h).
 *
 *	roster.list	{class_id, problems_only?, limit, after}	base_admin
 *	roster.add	{class_id, rows: [{id_number, name, amount?}]}
 *	roster.import	{class_id, data (base64 of the file) | inbox (a file's name), replace?}
 *	roster.remove	{class_id, row_ids}
 *	roster.update	{row_id, id_number?, name?, amount?}
 *
 * Only a draft's roster changes, and every change is one transaction with
 * the class row locked (two changes of one roster take turns), its audit
 * row, and the checks that need the whole roster (a duplicate, a name that
 * is not the registered person's) run again over it: a change of one row
 * may settle or make another's problem.  Those two are decided in SQL, the
 * others (ID number, name, hours, encoding) here, row by row.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bases.h"
#include "config.h"
#include "db.h"
#include "forms.h"
#include "inbox.h"
#include "log.h"
#include "roster.h"
#include "rpc.h"
#include "session.h"
#include "text.h"
#include "validate.h"
#include "xmalloc.h"

#define ROSTER_BATCH		1000	/* rows a statement inserts */
#define ROSTER_LINE_MAX		4096	/* bytes of one line of a file */
#define ROSTER_FIELDS_MAX	16	/* fields of a line read */
#define ROSTER_NAME_MAX		50	/* characters of a name */
#define ROSTER_ADD_MAX		500	/* rows of one roster.add, ids of one roster.remove */
#define ROSTER_LIST_LIMIT	100
#define ROSTER_ID_KEPT		40	/* bytes of a bad ID number kept */

/* ---- reading a file ------------------------------------------------------------- */

/* A file being read line by line, decoded to UTF-8 one line at a time. */
struct roster_reader {
	const unsigned char	*p, *end;
	const char		*encoding;
	iconv_t			 cd;	/* GB18030 to UTF-8; (iconv_t)-1 for UTF-8 */
	char			*buf;	/* the line decoded */
	int			 line;
};

/*
 * Which encoding data is in: a UTF-8 byte order mark, else UTF-8 when it
 * all is (GB18030 text is almost never valid UTF-8), else GB18030 (of which
 * GBK and GB2312 are parts).  Returns false when iconv lacks GB18030.
 */
static bool
roster_reader_open(struct roster_reader *r, const unsigned char *data, size_t size)
{
	memset(r, 0, sizeof *r);
	r->p = data;
	r->end = data + size;
	r->cd = (iconv_t)-1;
	if (size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		r->encoding = "UTF-8 BOM";
		r->p += 3;
	} else if (utf8_valid((const char *)data, size)) {
		r->encoding = "UTF-8";
	} else {
		r->encoding = "GB18030";
		if ((r->cd = iconv_open("UTF-8", "GB18030")) == (iconv_t)-1) {
			log_error("roster: iconv cannot convert GB18030: %s", strerror(errno));
			return false;
		}
	}
	r->buf = xmalloc(2 * ROSTER_LINE_MAX + 1);
	return true;
}

static void
roster_reader_close(struct roster_reader *r)
{
	if (r->cd != (iconv_t)-1)
		iconv_close(r->cd);
	free(r->buf);
	r->buf = NULL;
}

/*
 * The next line: false at the end.  Otherwise *text is the line decoded
 * (in r->buf, without its line end), or NULL with *problem saying why it
 * cannot be read ("roster_line_too_long", "roster_encoding").
 */
static bool
roster_reader_next(struct roster_reader *r, char **text, const char **problem)
{
	const unsigned char *s = r->p, *nl;
	size_t len, out_left;
	char *in, *out;

	if (r->p >= r->end)
		return false;
	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	len = (size_t)((nl != NULL ? nl : r->end) - s);
	r->p = nl != NULL ? nl + 1 : r->end;
	r->line++;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	*text = NULL;
	*problem = NULL;
	if (len > ROSTER_LINE_MAX) {
		*problem = "roster_line_too_long";
		return true;
	}
	if (memchr(s, '\0', len) != NULL) {
		*problem = "roster_encoding";
		return true;
	}
	if (r->cd == (iconv_t)-1) {
		memcpy(r->buf, s, len);
		r->buf[len] = '\0';
	} else {
		/* A GB18030 character is 1, 2 or 4 bytes; in UTF-8 at most twice as many. */
		in = (char *)s;
		out = r->buf;
		out_left = 2 * ROSTER_LINE_MAX;
		iconv(r->cd, NULL, NULL, NULL, NULL);
		if (iconv(r->cd, &in, &len, &out, &out_left) == (size_t)-1) {
			*problem = "roster_encoding";
			return true;
		}
		*out = '\0';
	}
	*text = r->buf;
	return true;
}

/* s without blanks around it (in place). */
static char *
roster_trim(char *s)
{
	char *end;

	s += strspn(s, " \t");
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

/*
 * Split line in place into at most max fields (RFC 4180 quoting, one line
 * a record); returns how many, or -1 when the quoting is broken.
 */
static int
roster_split(char *line, char **fields, int max)
{
	char *p = line, *w;
	int n = 0;

	for (;;) {
		if (n == max)
			return n;
		p += strspn(p, " \t");
		if (*p == '"') {
			fields[n++] = w = ++p;
			for (;; p++) {
				if (*p == '\0')
					return -1;
				if (*p == '"' && p[1] != '"')
					break;
				if (*p == '"')
					p++;
				*w++ = *p;
			}
			*w = '\0';
			p++;
			p += strspn(p, " \t");
			if (*p != ',' && *p != '\0')
				return -1;
		} else {
			fields[n++] = p;
			p += strcspn(p, ",");
		}
		if (*p == '\0')
			break;
		*p++ = '\0';
	}
	for (int i = 0; i < n; i++)
		fields[i] = roster_trim(fields[i]);
	return n;
}

/* Which column a header word names: 0 the ID number, 1 the name, 2 hours; -1 none. */
static int
roster_header_word(const char *word)
{
	static const char *const words[3][8] = {
		{ "身份证号", "身份证号码", "公民身份号码", "证件号码", "id_number", "id number",
		    "id", NULL },
		{ "姓名", "name", NULL },
		{ "学时", "学分", "学时(学分)", "学时（学分）", "hours", "credits", "amount", NULL },
	};

	for (int c = 0; c < 3; c++) {
		for (int i = 0; words[c][i] != NULL; i++) {
			if (strcasecmp(word, words[c][i]) == 0)
				return c;
		}
	}
	return -1;
}

/* ---- checking a row --------------------------------------------------------------- */

/* One row as checked, ready for the database. */
struct roster_row {
	int		 line;		/* 0: typed */
	char		 id_number[ROSTER_ID_KEPT + 1];
	char		 name[4 * ROSTER_NAME_MAX + 1];
	char		 amount[32];	/* "" for the class's */
	const char	*problem;	/* NULL: for the whole-roster checks */
};

/* s cut to at most size - 1 bytes at a character boundary, into out. */
static void
roster_cut(char *out, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = '\0';
}

/*
 * Check one row's values into *row; the first problem found is kept: the
 * ID number (GB 11643, stored normalised), the name, the hours (empty: the
 * class's).  Values are decoded UTF-8.
 */
static void
roster_check(const char *id, const char *name, const char *amount, struct roster_row *row)
{
	struct idnum_info info;
	char *clean, *half;
	json_t *v;
	double value = 0;

	row->problem = NULL;
	if (idnum_check(id, 0, &info) == IDNUM_OK)
		snprintf(row->id_number, sizeof row->id_number, "%s", info.normalized);
	else {
		clean = text_sanitize(id, false);
		roster_cut(row->id_number, sizeof row->id_number, clean);
		free(clean);
		row->problem = "roster_id_invalid";
	}
	clean = text_sanitize(name, false);
	roster_cut(row->name, sizeof row->name, clean);
	free(clean);
	if (row->problem == NULL && !text_clean(name, false, 1, ROSTER_NAME_MAX))
		row->problem = "roster_name_invalid";
	row->amount[0] = '\0';
	if (amount == NULL || *amount == '\0')
		return;
	half = forms_halfwidth(amount);
	v = json_string(roster_trim(half));
	if (v != NULL && forms_decimal(v, 2, row->amount, sizeof row->amount))
		value = strtod(row->amount, NULL);
	json_decref(v);
	free(half);
	if (value <= 0 || value > BASES_AMOUNT_MAX) {
		row->amount[0] = '\0';
		if (row->problem == NULL)
			row->problem = "roster_amount_invalid";
	}
}

/* A row as the insert statement reads it. */
static json_t *
roster_row_json(const struct roster_row *row)
{
	return json_pack("{s:o, s:s, s:s, s:o, s:o}",
	    "line", row->line > 0 ? json_integer(row->line) : json_null(),
	    "id_number", row->id_number, "name", row->name,
	    "amount", row->amount[0] != '\0' ? json_string(row->amount) : json_null(),
	    "problem", row->problem != NULL ? json_string(row->problem) : json_null());
}

/* ---- the database ----------------------------------------------------------------- */

/* A row checked here waits as roster_recheck for the checks of the whole roster. */
DB_STMT(roster_insert_stmt,
    "INSERT INTO base_roster (class_id, line, id_number, name, amount, problem)"
    " SELECT $1, (e.v->>'line')::int, e.v->>'id_number', e.v->>'name',"
    "  (e.v->>'amount')::numeric, coalesce(e.v->>'problem', 'roster_recheck')"
    " FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS e (v, n) ORDER BY e.n");

/*
 * A batch of a file that replaces the roster, checked as it goes in: each
 * row is written once, with the checks of the whole roster made against
 * the rows before it (in its batch, and in the batches already stored, by
 * base_roster_by_class_person) -- what the two statements below decide
 * for rows added otherwise.  A row whose ID number an earlier row has (bad
 * or not, but for a mistake of its own) is the duplicate.
 */
DB_STMT(roster_insert_checked_stmt,
    "INSERT INTO base_roster (class_id, line, id_number, name, amount, problem, account_id)"
    " SELECT $1, x.line, x.id_number, x.name, x.amount, x.problem,"
    "  CASE WHEN x.problem IS NULL THEN x.account_id END"
    " FROM (SELECT e.n, (e.v->>'line')::int AS line, e.v->>'id_number' AS id_number,"
    "  e.v->>'name' AS name, (e.v->>'amount')::numeric AS amount, a.id AS account_id,"
    "  CASE WHEN e.v->>'problem' IS NOT NULL THEN e.v->>'problem'"
    "   WHEN row_number() OVER (PARTITION BY e.v->>'id_number', e.v->>'problem' IS NULL"
    "     ORDER BY e.n) > 1"
    "    OR EXISTS (SELECT 1 FROM base_roster o WHERE o.class_id = $1"
    "     AND o.id_number = e.v->>'id_number' AND NOT o.withdrawn AND (o.problem IS NULL"
    "     OR o.problem IN ('roster_duplicate', 'roster_name_mismatch')))"
    "    THEN 'roster_duplicate'"
    "   WHEN a.id IS NOT NULL AND btrim(a.name) <> btrim(e.v->>'name')"
    "    THEN 'roster_name_mismatch'"
    "  END AS problem"
    "  FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS e (v, n)"
    "  LEFT JOIN accounts a ON e.v->>'problem' IS NULL"
    "   AND a.id_number = (e.v->>'id_number')::char(18)"
    "   AND a.state = 'active' AND a.role = 'staff') x"
    " ORDER BY x.n");

/*
 * The checks of the whole roster, in two steps so that the unique index of
 * one good row per ID number never sees two: every row they decide waits
 * again, then the first (by id) of each ID number is good unless its name
 * is not the registered person's, the others are duplicates.  A good row
 * names the active staff account of its ID number, or none (unclaimed).
 * accounts.id_number is char(18): compared as such, its index serves.
 */
DB_STMT(roster_recheck_reset_stmt,
    "UPDATE base_roster SET problem = 'roster_recheck', account_id = NULL"
    " WHERE class_id = $1 AND NOT withdrawn AND declaration_id IS NULL"
    " AND (problem IS NULL OR problem IN ('roster_duplicate', 'roster_name_mismatch'))");
DB_STMT(roster_recheck_stmt,
    "UPDATE base_roster r SET problem = x.problem,"
    " account_id = CASE WHEN x.problem IS NULL THEN x.account_id END"
    " FROM (SELECT r.id, a.id AS account_id,"
    "  CASE WHEN row_number() OVER (PARTITION BY r.id_number ORDER BY r.id) > 1"
    "   THEN 'roster_duplicate'"
    "   WHEN a.id IS NOT NULL AND btrim(a.name) <> btrim(r.name) THEN 'roster_name_mismatch'"
    "  END AS problem"
    "  FROM base_roster r LEFT JOIN accounts a ON a.id_number = r.id_number::char(18)"
    "   AND a.state = 'active' AND a.role = 'staff'"
    "  WHERE r.class_id = $1 AND r.problem = 'roster_recheck') x"
    " WHERE r.id = x.id");

/* Rows of the roster, bad rows and unclaimed rows. */
DB_STMT(roster_counts_stmt,
    "SELECT count(*), count(*) FILTER (WHERE problem IS NOT NULL),"
    " count(*) FILTER (WHERE problem IS NULL AND account_id IS NULL)"
    " FROM base_roster WHERE class_id = $1 AND NOT withdrawn");
DB_STMT(roster_problems_stmt,
    "SELECT id, line, id_number, name, problem FROM base_roster"
    " WHERE class_id = $1 AND NOT withdrawn AND problem IS NOT NULL"
    " ORDER BY line NULLS LAST, id LIMIT $2");

/* The class, locked: its state when it is the base's (and not deleted). */
DB_STMT(roster_lock_class_stmt,
    "SELECT state FROM base_classes WHERE id = $1 AND base_code = $2"
    " AND state <> 'deleted' FOR UPDATE");

void
roster_summary_free(struct roster_summary *sum)
{
	json_decref(sum->problems);
	sum->problems = NULL;
}

const char *
roster_status_reason(enum roster_status st)
{
	switch (st) {
	case ROSTER_OK:			return "ok";
	case ROSTER_NOT_FOUND:		return "not_found";
	case ROSTER_NOT_DRAFT:		return "state_changed";
	case ROSTER_TOO_LARGE:		return "roster_too_large";
	case ROSTER_TOO_MANY_ROWS:	return "roster_too_many_rows";
	case ROSTER_FAILED:		break;
	}
	return "internal_error";
}

/* The sentence of a row's problem in lang. Caller frees. */
static char *
roster_problem_message(enum lang lang, const char *reason)
{
	char max[16];

	snprintf(max, sizeof max, "%d", BASES_AMOUNT_MAX);
	return xasprintf(message_get(lang, reason), max);
}

/*
 * Begin a roster change: a transaction on db with class_id of base_code
 * locked.  Returns ROSTER_OK, or ROSTER_NOT_FOUND / ROSTER_NOT_DRAFT
 * (sum->state) / ROSTER_FAILED after rolling back.
 */
static enum roster_status
roster_begin(struct db_conn *db, const char *base_code, const char *class_id,
    struct roster_summary *sum)
{
	const char *params[2] = { class_id, base_code };
	PGresult *res;

	if (!db_begin(db))
		return ROSTER_FAILED;
	if ((res = db_exec(db, &roster_lock_class_stmt, 2, params)) == NULL) {
		db_rollback(db);
		return ROSTER_FAILED;
	}
	if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 0), "draft") != 0) {
		if (PQntuples(res) > 0)
			snprintf(sum->state, sizeof sum->state, "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		db_rollback(db);
		return sum->state[0] != '\0' ? ROSTER_NOT_DRAFT : ROSTER_NOT_FOUND;
	}
	PQclear(res);
	return ROSTER_OK;
}

/* Run a statement of $1 = class_id alone; false when it failed. */
static bool
roster_exec_class(struct db_conn *db, struct db_stmt *st, const char *class_id)
{
	const char *params[1] = { class_id };
	PGresult *res = db_exec(db, st, 1, params);

	PQclear(res);
	return res != NULL;
}

/*
 * End a roster change begun by roster_begin: the whole-roster checks
 * (unless checked: its rows went in checked), the bound on rows, the audit row (action "roster", detail taken), commit,
 * and the summary.  Rolls back on anything but ROSTER_OK.
 */
static enum roster_status
roster_finish(struct db_conn *db, const struct config *cfg, const char *class_id,
    long long actor_id, bool checked, json_t *detail, enum lang lang,
    struct roster_summary *sum)
{
	char limit[16];
	const char *params[2] = { class_id, limit };
	PGresult *res;

	if ((!checked && (!roster_exec_class(db, &roster_recheck_reset_stmt, class_id) ||
	    !roster_exec_class(db, &roster_recheck_stmt, class_id))) ||
	    (res = db_exec(db, &roster_counts_stmt, 1, params)) == NULL)
		goto failed;
	sum->rows = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	sum->bad = strtol(PQgetvalue(res, 0, 1), NULL, 10);
	sum->unclaimed = strtol(PQgetvalue(res, 0, 2), NULL, 10);
	PQclear(res);
	if (sum->rows > cfg->roster_max_rows) {
		json_decref(detail);
		db_rollback(db);
		return ROSTER_TOO_MANY_ROWS;
	}
	json_object_set_new(detail, "rows", json_integer(sum->rows));
	json_object_set_new(detail, "bad", json_integer(sum->bad));
	if (bases_audit(db, class_id, actor_id, "roster", detail) != 0)
		goto failed_audited;
	snprintf(limit, sizeof limit, "%d", ROSTER_PROBLEMS_MAX);
	if ((res = db_exec(db, &roster_problems_stmt, 2, params)) == NULL)
		goto failed_audited;
	sum->problems = json_array();
	for (int r = 0; r < PQntuples(res); r++) {
		char *message = roster_problem_message(lang, PQgetvalue(res, r, 4));

		json_array_append_new(sum->problems, json_pack("{s:I, s:o, s:s, s:s, s:s, s:s}",
		    "row_id", (json_int_t)strtoll(PQgetvalue(res, r, 0), NULL, 10),
		    "line", rpc_column_integer(res, r, 1), "id_number", PQgetvalue(res, r, 2),
		    "name", PQgetvalue(res, r, 3), "reason", PQgetvalue(res, r, 4),
		    "message", message));
		free(message);
	}
	PQclear(res);
	if (!db_commit(db))
		goto failed_audited;
	return ROSTER_OK;
failed:
	json_decref(detail);
failed_audited:
	log_error("roster of class %s: %s", class_id, db_error_text(db));
	db_rollback(db);
	roster_summary_free(sum);
	return ROSTER_FAILED;
}

/*
 * Insert batch (a JSON array, emptied) into class_id's roster, checked
 * (roster_insert_checked_stmt) or waiting for the whole-roster checks;
 * false when it failed.
 */
static bool
roster_flush(struct db_conn *db, const char *class_id, json_t *batch, bool checked)
{
	char *text;
	PGresult *res;

	if (json_array_size(batch) == 0)
		return true;
	if ((text = json_dumps(batch, JSON_COMPACT)) == NULL)
		abort();	/* only on allocation failure */
	const char *params[2] = { class_id, text };
	res = db_exec(db, checked ? &roster_insert_checked_stmt : &roster_insert_stmt, 2, params);
	free(text);
	json_array_clear(batch);
	PQclear(res);
	return res != NULL;
}

enum roster_status
roster_import(struct db_conn *db, const struct config *cfg, const char *base_code,
    const char *class_id, long long actor_id, const unsigned char *data, size_t size,
    bool replace, enum lang lang, struct roster_summary *sum)
{
	DB_STMT(roster_clear_stmt, "DELETE FROM base_roster WHERE class_id = $1");
	struct roster_reader rd;
	struct roster_row row;
	enum roster_status st;
	json_t *batch;
	char *text, *fields[ROSTER_FIELDS_MAX];
	const char *problem;
	int col[3] = { 0, 1, 2 }, n;
	bool first = true;

	memset(sum, 0, sizeof *sum);
	if (size > (size_t)cfg->roster_max_bytes)
		return ROSTER_TOO_LARGE;
	if (!roster_reader_open(&rd, data, size))
		return ROSTER_FAILED;
	sum->encoding = rd.encoding;
	if ((st = roster_begin(db, base_code, class_id, sum)) != ROSTER_OK) {
		roster_reader_close(&rd);
		return st;
	}
	if (replace && !roster_exec_class(db, &roster_clear_stmt, class_id))
		goto failed;
	batch = json_array();
	while (roster_reader_next(&rd, &text, &problem)) {
		memset(&row, 0, sizeof row);
		row.line = rd.line;
		n = text != NULL ? roster_split(text, fields, ROSTER_FIELDS_MAX) : 0;
		if (text != NULL && n == 1 && fields[0][0] == '\0')
			continue;	/* a blank line */
		/* A header row is optional (the first line only): its words say the columns' order. */
		if (first && n > 0) {
			int c[3] = { -1, -1, -1 }, w;

			for (int i = 0; i < n && i < 3 * 4; i++) {
				if ((w = roster_header_word(fields[i])) >= 0 && c[w] < 0)
					c[w] = i;
			}
			if (c[0] >= 0 || c[1] >= 0) {
				col[0] = c[0] >= 0 ? c[0] : 0;
				col[1] = c[1] >= 0 ? c[1] : 1;
				col[2] = c[2];
				first = false;
				continue;
			}
		}
		first = false;
		if (text == NULL)
			row.problem = problem;
		else if (n < 0 || n <= col[0] || n <= col[1]) {
			row.problem = "roster_columns";
			roster_cut(row.id_number, sizeof row.id_number, "");
		} else
			roster_check(fields[col[0]], fields[col[1]],
			    col[2] >= 0 && col[2] < n ? fields[col[2]] : NULL, &row);
		json_array_append_new(batch, roster_row_json(&row));
		sum->taken++;
		if (sum->taken > cfg->roster_max_rows) {
			json_decref(batch);
			roster_reader_close(&rd);
			db_rollback(db);
			return ROSTER_TOO_MANY_ROWS;
		}
		if (json_array_size(batch) >= ROSTER_BATCH &&
		    !roster_flush(db, class_id, batch, replace)) {
			json_decref(batch);
			goto failed;
		}
	}
	if (!roster_flush(db, class_id, batch, replace)) {
		json_decref(batch);
		goto failed;
	}
	json_decref(batch);
	roster_reader_close(&rd);
	/* A file that replaces the roster went in checked; added to one, it is checked again. */
	return roster_finish(db, cfg, class_id, actor_id, replace,
	    json_pack("{s:s, s:s, s:b, s:I}",
	    "op", "import", "encoding", sum->encoding, "replace", replace,
	    "taken", (json_int_t)sum->taken), lang, sum);
failed:
	log_error("roster of class %s: %s", class_id, db_error_text(db));
	roster_reader_close(&rd);
	db_rollback(db);
	return ROSTER_FAILED;
}

/* ---- the methods ------------------------------------------------------------------ */

/* The reply of a roster change. */
static json_t *
roster_summary_json(struct roster_summary *sum)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:O}", "taken", (json_int_t)sum->taken,
	    "rows", (json_int_t)sum->rows, "bad", (json_int_t)sum->bad,
	    "unclaimed", (json_int_t)sum->unclaimed, "problems", sum->problems);

	if (sum->encoding != NULL)
		json_object_set_new(o, "encoding", json_string(sum->encoding));
	json_object_set_new(o, "problems_more", json_boolean(sum->bad >
	    (long)json_array_size(sum->problems)));
	return o;
}

/* Reply to a roster change's status: 0 with the summary, or -1 after rpc_fail. */
static int
roster_reply(struct rpc_call *call, enum roster_status st, struct roster_summary *sum,
    const char *field)
{
	char arg[24], *message;
	int rc = -1;

	switch (st) {
	case ROSTER_OK:
		call->result = roster_summary_json(sum);
		rc = 0;
		break;
	case ROSTER_NOT_FOUND:
		rpc_fail_format(call, RPC_NOT_FOUND, "not_found", field, NULL, NULL);
		break;
	case ROSTER_NOT_DRAFT:
		message = xasprintf(message_get(call->session->lang, "class_not_draft"),
		    rpc_label(call, "class_state", sum->state));
		rpc_fail(call, RPC_CONFLICT, "state_changed", NULL, message);
		free(message);
		call->error_data = json_pack("{s:s}", "state", sum->state);
		break;
	case ROSTER_TOO_LARGE:
		snprintf(arg, sizeof arg, "%d", call->cfg->roster_max_bytes);
		rpc_fail_format(call, RPC_INVALID_PARAMS, "roster_too_large", "data", NULL, arg);
		break;
	case ROSTER_TOO_MANY_ROWS:
		snprintf(arg, sizeof arg, "%d", call->cfg->roster_max_rows);
		rpc_fail_format(call, RPC_INVALID_INPUT, "roster_too_many_rows", field, NULL,
		    arg);
		break;
	case ROSTER_FAILED:
		rpc_fail_internal(call, "the roster could not be changed");
		break;
	}
	roster_summary_free(sum);
	return rc;
}

/* Import data (size bytes, freed here) for roster.import, whose file came as field. */
static int
roster_import_data(struct rpc_call *call, const char *id, unsigned char *data, size_t size,
    const char *field)
{
	struct roster_summary sum = { 0 };
	enum roster_status st;
	char arg[24];

	if (size > (size_t)call->cfg->roster_max_bytes) {
		free(data);
		snprintf(arg, sizeof arg, "%d", call->cfg->roster_max_bytes);
		return rpc_fail_format(call, RPC_INVALID_PARAMS, "roster_too_large", field, NULL,
		    arg);
	}
	st = roster_import(call->db, call->cfg, call->session->base_code, id,
	    call->session->account_id, data, size, rpc_param_bool(call, "replace", false),
	    call->session->lang, &sum);
	free(data);
	if (st == ROSTER_OK)
		log_info("session %lu: class %s: roster imported (%s, from %s): %ld rows, %ld bad",
		    call->session->serial, id, sum.encoding, field, sum.taken, sum.bad);
	return roster_reply(call, st, &sum, "class_id");
}

/*
 * roster.import: the file replaces (replace) or extends the draft's roster;
 * the file comes in the request (data, base64) or from the session's inbox
 * (inbox, the name of a file sent there with scp/sftp; it leaves the inbox).
 */
static int
roster_import_method(struct rpc_call *call)
{
	const char *b64 = rpc_param_string(call, "data");
	const char *inbox = rpc_param_string(call, "inbox");
	size_t len, size;
	unsigned char *data;
	long long class_id = 0;
	char id[24], arg[24];

	rpc_param_int(call, "class_id", &class_id);
	snprintf(id, sizeof id, "%lld", class_id);
	if ((b64 == NULL) == (inbox == NULL))
		return rpc_fail_format(call, RPC_INVALID_PARAMS, "roster_source_invalid",
		    b64 == NULL ? "data" : "inbox", NULL, NULL);
	if (inbox != NULL) {
		char *file, *filename;

		if (inbox_take_for(call, inbox, "inbox", &file, &size, &filename) != 0)
			return -1;
		free(filename);
		return roster_import_data(call, id, (unsigned char *)file, size, "inbox");
	}
	len = strlen(b64);
	/* Bounded before decoding: base64 is 4 characters for 3 bytes. */
	if (len / 4 * 3 > (size_t)call->cfg->roster_max_bytes + 3) {
		snprintf(arg, sizeof arg, "%d", call->cfg->roster_max_bytes);
		return rpc_fail_format(call, RPC_INVALID_PARAMS, "roster_too_large", "data", NULL,
		    arg);
	}
	data = xmalloc(len / 4 * 3 + 3);
	if (sodium_base642bin(data, len / 4 * 3 + 3, b64, len, " \r\n", &size, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(data);
		return rpc_fail_format(call, RPC_INVALID_PARAMS, "roster_data_invalid", "data",
		    NULL, NULL);
	}
	return roster_import_data(call, id, data, size, "data");
}

/* A typed row's string member (NULL when absent; false when it is no string). */
static bool
roster_member(const json_t *o, const char *key, const char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return true;
	if (json_is_number(v) && strcmp(key, "amount") == 0)
		return true;	/* read by roster_amount_text */
	if (!json_is_string(v))
		return false;
	*out = json_string_value(v);
	return true;
}

/* A typed amount (a number or a string) as text into buf; "" when none. */
static const char *
roster_amount_text(const json_t *o, char *buf, size_t size)
{
	json_t *v = json_object_get(o, "amount");

	buf[0] = '\0';
	if (json_is_string(v))
		snprintf(buf, size, "%s", json_string_value(v));
	else if (json_is_number(v) && !forms_decimal(v, 2, buf, size))
		snprintf(buf, size, "-1");	/* no amount roster_check takes */
	return buf;
}

/* roster.add: rows typed or pasted, appended to the draft's roster. */
static int
roster_add(struct rpc_call *call)
{
	json_t *rows = json_object_get(call->params, "rows"), *o, *batch;
	struct roster_summary sum = { 0 };
	struct roster_row row;
	enum roster_status st;
	long long class_id = 0;
	const char *id_number, *name, *unused;
	char id[24], amount[32], arg[16];
	size_t i;

	if (json_array_size(rows) == 0 || json_array_size(rows) > ROSTER_ADD_MAX) {
		snprintf(arg, sizeof arg, "%d", ROSTER_ADD_MAX);
		return rpc_fail_format(call, RPC_INVALID_PARAMS, "roster_rows_invalid", "rows",
		    NULL, arg);
	}
	rpc_param_int(call, "class_id", &class_id);
	snprintf(id, sizeof id, "%lld", class_id);
	if ((st = roster_begin(call->db, call->session->base_code, id, &sum)) != ROSTER_OK)
		return roster_reply(call, st, &sum, "class_id");
	batch = json_array();
	json_array_foreach(rows, i, o) {
		memset(&row, 0, sizeof row);
		if (!json_is_object(o) || !roster_member(o, "id_number", &id_number) ||
		    !roster_member(o, "name", &name) || !roster_member(o, "amount", &unused)) {
			row.problem = "roster_columns";
		} else
			roster_check(id_number ? id_number : "", name ? name : "",
			    roster_amount_text(o, amount, sizeof amount), &row);
		json_array_append_new(batch, roster_row_json(&row));
		sum.taken++;
	}
	if (!roster_flush(call->db, id, batch, false)) {
		json_decref(batch);
		log_error("roster of class %s: %s", id, db_error_text(call->db));
		db_rollback(call->db);
		return roster_reply(call, ROSTER_FAILED, &sum, "class_id");
	}
	json_decref(batch);
	st = roster_finish(call->db, call->cfg, id, call->session->account_id, false,
	    json_pack("{s:s, s:I}", "op", "add", "taken", (json_int_t)sum.taken),
	    call->session->lang, &sum);
	return roster_reply(call, st, &sum, "class_id");
}

/* roster.remove: rows of the draft's roster, by id. */
static int
roster_remove(struct rpc_call *call)
{
	DB_STMT(roster_remove_stmt,
	    "DELETE FROM base_roster WHERE class_id = $1 AND id = ANY ($2::bigint[])"
	    " RETURNING id");
	struct roster_summary sum = { 0 };
	enum roster_status st;
	long long class_id = 0;
	char id[24], *ids;
	PGresult *res;
	int removed;

	rpc_param_int(call, "class_id", &class_id);
	snprintf(id, sizeof id, "%lld", class_id);
	/* The ids are integers (the dispatcher checked): JSON's array is PostgreSQL's too. */
	ids = json_dumps(json_object_get(call->params, "row_ids"), JSON_COMPACT);
	ids[0] = '{';
	ids[strlen(ids) - 1] = '}';
	if ((st = roster_begin(call->db, call->session->base_code, id, &sum)) != ROSTER_OK) {
		free(ids);
		return roster_reply(call, st, &sum, "class_id");
	}
	const char *params[2] = { id, ids };
	res = db_exec(call->db, &roster_remove_stmt, 2, params);
	free(ids);
	if (res == NULL) {
		db_rollback(call->db);
		return roster_reply(call, ROSTER_FAILED, &sum, "class_id");
	}
	removed = PQntuples(res);
	PQclear(res);
	st = roster_finish(call->db, call->cfg, id, call->session->account_id, false,
	    json_pack("{s:s, s:i}", "op", "remove", "removed", removed), call->session->lang,
	    &sum);
	if (roster_reply(call, st, &sum, "class_id") != 0)
		return -1;
	json_object_set_new(call->result, "removed", json_integer(removed));
	return 0;
}

/*
 * roster.update: one row of a draft's roster changed (the members given);
 * checked again, and the whole roster with it.
 */
static int
roster_update(struct rpc_call *call)
{
	DB_STMT(roster_row_stmt,
	    "SELECT r.class_id, r.id_number, r.name, coalesce(r.amount::text, '')"
	    " FROM base_roster r JOIN base_classes c ON c.id = r.class_id"
	    " WHERE r.id = $1 AND c.base_code = $2 AND c.state <> 'deleted'");
	DB_STMT(roster_update_stmt,
	    "UPDATE base_roster SET id_number = $2, name = $3, amount = $4::numeric,"
	    " problem = coalesce($5, 'roster_recheck'), account_id = NULL WHERE id = $1");
	struct roster_summary sum = { 0 };
	struct roster_row row;
	enum roster_status st;
	char rowid[24], class_id[24], amount[32];
	const char *id_number, *name, *unused;
	PGresult *res;

	if ((res = rpc_base_row(call, &roster_row_stmt, "row_id", NULL, rowid)) == NULL)
		return -1;
	snprintf(class_id, sizeof class_id, "%s", PQgetvalue(res, 0, 0));
	roster_member(call->params, "id_number", &id_number);
	roster_member(call->params, "name", &name);
	roster_member(call->params, "amount", &unused);
	memset(&row, 0, sizeof row);
	roster_check(id_number != NULL ? id_number : PQgetvalue(res, 0, 1),
	    name != NULL ? name : PQgetvalue(res, 0, 2),
	    json_object_get(call->params, "amount") != NULL ?
	    roster_amount_text(call->params, amount, sizeof amount) : PQgetvalue(res, 0, 3), &row);
	PQclear(res);
	if ((st = roster_begin(call->db, call->session->base_code, class_id, &sum)) != ROSTER_OK)
		return roster_reply(call, st, &sum, "row_id");
	const char *params[5] = { rowid, row.id_number, row.name,
	    row.amount[0] != '\0' ? row.amount : NULL, row.problem };
	if ((res = db_exec(call->db, &roster_update_stmt, 5, params)) == NULL) {
		db_rollback(call->db);
		return roster_reply(call, ROSTER_FAILED, &sum, "row_id");
	}
	PQclear(res);
	st = roster_finish(call->db, call->cfg, class_id, call->session->account_id, false,
	    json_pack("{s:s, s:s}", "op", "update", "row_id", rowid), call->session->lang, &sum);
	return roster_reply(call, st, &sum, "row_id");
}

/*
 * roster.list: the rows of one of the base's classes in the order they
 * came (by id), keyset paged; problems_only: the bad rows alone.  Each row
 * says its problem, whether it names a registered person (claimed) --
 * never that person's registered name --, and once reported its record's
 * state and a rejection's reason.
 */
static int
roster_list(struct rpc_call *call)
{
	DB_STMT(roster_class_stmt,
	    "SELECT id FROM base_classes WHERE id = $1 AND base_code = $2 AND state <> 'deleted'");
#define ROSTER_LIST_SELECT \
	"SELECT r.id, r.line, r.id_number, r.name, r.amount::text, r.problem," \
	" r.account_id IS NOT NULL, r.declaration_id, r.withdrawn, r.id::text," \
	" d.state, d.reject_reason" \
	" FROM base_roster r LEFT JOIN declarations d ON d.id = r.declaration_id" \
	" WHERE r.class_id = $1 AND (NOT $2::boolean OR r.problem IS NOT NULL)"
	DB_STMT(roster_list_stmt, ROSTER_LIST_SELECT " ORDER BY r.id LIMIT $3");
	DB_STMT(roster_list_after_stmt, ROSTER_LIST_SELECT
	    " AND r.id > $5::bigint AND $4::text IS NOT NULL ORDER BY r.id LIMIT $3");
#undef ROSTER_LIST_SELECT
	enum lang lang = call->session->lang;
	char class_id[24];
	PGresult *res;
	json_t *items;
	int n;

	if ((res = rpc_base_row(call, &roster_class_stmt, "class_id", NULL, class_id)) == NULL)
		return -1;
	PQclear(res);
	const char *params[5] = { class_id, rpc_param_bool(call, "problems_only", false) ?
	    "true" : "false", call->page.fetch, call->page.key[0], call->page.key[1] };
	res = db_exec(call->db, call->page.after ? &roster_list_after_stmt : &roster_list_stmt,
	    call->page.after ? 5 : 3, params);
	if (res == NULL)
		return rpc_fail_page(call);
	n = rpc_page_rows(call, res);
	items = json_array();
	for (int r = 0; r < n; r++) {
		json_t *problem = json_null(), *record = json_null();

		if (!PQgetisnull(res, r, 5)) {
			char *message = roster_problem_message(lang, PQgetvalue(res, r, 5));

			problem = json_pack("{s:s, s:s}", "reason", PQgetvalue(res, r, 5),
			    "message", message);
			free(message);
		}
		/* The record a reported row made: its state, and why it was rejected. */
		if (!PQgetisnull(res, r, 10))
			record = json_pack("{s:o, s:s, s:s, s:o}",
			    "id", rpc_column_integer(res, r, 7), "state", PQgetvalue(res, r, 10),
			    "state_label", rpc_label(call, "state", PQgetvalue(res, r, 10)),
			    "reject_reason", rpc_column_text(res, r, 11));
		json_array_append_new(items, json_pack("{s:I, s:o, s:s, s:s, s:o, s:o, s:b,"
		    " s:o, s:b, s:o}",
		    "id", (json_int_t)strtoll(PQgetvalue(res, r, 0), NULL, 10),
		    "line", rpc_column_integer(res, r, 1), "id_number", PQgetvalue(res, r, 2),
		    "name", PQgetvalue(res, r, 3), "amount", rpc_column_text(res, r, 4),
		    "problem", problem, "claimed", strcmp(PQgetvalue(res, r, 6), "t") == 0,
		    "declaration_id", rpc_column_integer(res, r, 7),
		    "withdrawn", strcmp(PQgetvalue(res, r, 8), "t") == 0, "record", record));
	}
	call->result = json_pack("{s:o, s:o}", "items", items,
	    "next", rpc_page_next(call, res, 9, 0));
	PQclear(res);
	return 0;
}

static const struct rpc_param roster_list_params[] = {
	RPC_PAGE_PARAMS,
	{ "class_id", T_INTEGER, true, 1, INT64_MAX, "id_invalid" },
	{ "problems_only", T_BOOLEAN, false },
	{ NULL, 0, false },
};

static const struct rpc_param roster_add_params[] = {
	{ "class_id", T_INTEGER, true, 1, INT64_MAX, "id_invalid" },
	{ "rows", T_ARRAY, true },
	{ NULL, 0, false },
};

static const struct rpc_param roster_import_params[] = {
	{ "class_id", T_INTEGER, true, 1, INT64_MAX, "id_invalid" },
	{ "data", T_STRING, false },
	{ "inbox", T_STRING, false },
	{ "replace", T_BOOLEAN, false },
	{ NULL, 0, false },
};

static const struct rpc_param roster_remove_params[] = {
	{ "class_id", T_INTEGER, true, 1, INT64_MAX, "id_invalid" },
	{ "row_ids", T_ARRAY, true, 1, ROSTER_ADD_MAX, "row_ids_invalid" },
	{ NULL, 0, false },
};

static const struct rpc_param roster_update_params[] = {
	{ "row_id", T_INTEGER, true, 1, INT64_MAX, "id_invalid" },
	{ "id_number", T_STRING, false },
	{ "name", T_STRING, false },
	{ "amount", T_NUMBER | T_STRING | T_NULL, false },
	{ NULL, 0, false },
};

const struct rpc_method rpc_roster_methods[] = {
	{ "roster.list", roster_list_params, ROLE_BASE_ADMIN, false, roster_list,
	    .db = RPC_DB_BASE_ADMIN, .page = { ROSTER_LIST_LIMIT, RPC_CURSOR_TEXT } },
	{ "roster.add", roster_add_params, ROLE_BASE_ADMIN, false, roster_add,
	    .db = RPC_DB_BASE_ADMIN },
	{ "roster.import", roster_import_params, ROLE_BASE_ADMIN, false, roster_import_method,
	    .db = RPC_DB_BASE_ADMIN },
	{ "roster.remove", roster_remove_params, ROLE_BASE_ADMIN, false, roster_remove,
	    .db = RPC_DB_BASE_ADMIN },
	{ "roster.update", roster_update_params, ROLE_BASE_ADMIN, false, roster_update,
	    .db = RPC_DB_BASE_ADMIN },
	{ NULL, NULL, 0, false, NULL },
};
