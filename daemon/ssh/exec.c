/*
 * exec.c - `ssh -p 2222 ID-NUMBER@host COMMAND`: read-only commands for
 * unit administrators that print plain text or CSV, so that everyday tasks
 * (who is waiting for review, who has not completed the year) need neither
 * the TUI nor JSON.
 *
 * Only a session that an SSH key logged in as an active unit administrator
 * may run them (ssh-auth.c, ssh_auth_pubkey); anything else gets the list
 * of commands and exit status 1.  Every command reads the administrator's
 * own unit only.  Commands are descriptors in one table, as tmux's are;
 * the table is also the help text.  The queues are the very RPC methods of
 * the TUI's review screens, run through the dispatcher on this session, so
 * both list the same rows by the same statements.
 *
 * Output: plain text lines ending in '\n' (an exec channel has no pty, so
 * no '\r'), columns aligned by terminal width (CJK characters count two),
 * every value sanitised (a name cannot carry an escape sequence to the
 * reader's terminal).  With --csv: RFC 4180, UTF-8, a header row, '\n'
 * line ends, a UTF-8 byte-order mark only with --bom (for Excel).  Text
 * cells that begin with = + - @ get a leading ' in CSV, so a spreadsheet
 * never runs a name as a formula.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <jansson.h>

#include "admins.h"
#include "auth.h"
#include "certificate-pdf.h"
#include "certificates.h"
#include "completion.h"
#include "config.h"
#include "db.h"
#include "exec.h"
#include "format.h"
#include "forms.h"
#include "log.h"
#include "messages.h"
#include "roster.h"
#include "rpc.h"
#include "session.h"
#include "text.h"
#include "xmalloc.h"

#define EXEC_DB_WAIT_MS		5000
#define EXEC_ARGS_MAX		31	/* certificates: YEAR and 30 ID numbers */
#define EXEC_COMMAND_MAX	1024	/* bytes of a command line */
#define EXEC_STREAM_CHUNK	65536	/* bytes a streaming command gathers before it sends */

static void
buf_spaces(struct text_buf *b, int n)
{
	while (n-- > 0)
		text_buf_add(b, " ", 1);
}

/* --- tables ---------------------------------------------------------------- */

enum column_kind {
	COL_TEXT,	/* as it is */
	COL_NUMBER,	/* right-aligned in text, never quoted */
	COL_SEX,	/* "1" / "0" (a row), "male" / "female" (an item) → 男 / 女 */
	COL_BOOL,	/* "t" / "f" → 是 / 否 */
	COL_TIME,	/* ISO 8601: format_time in text, whole in CSV */
	COL_TITLE,	/* a title's series, its name in column sql_more: format_title */
	COL_MESSAGE,	/* a word with a sentence in the catalogue (a roster row's problem) */
};

/* A column of a statement's rows (sql) or of an RPC method's items (member). */
struct column {
	const char	*heading;	/* message key ("col.name") */
	enum column_kind kind;
	int		 sql;		/* result column */
	int		 sql_more;	/* COL_TITLE: the title's name */
	const char	*member;	/* "name", "person.name" */
	const char	*or_member;	/* when member is null */
};

struct exec_ctx {
	struct session	*s;
	const struct config *cfg;	/* in force when the command came */
	struct db_conn	*db;
	struct text_buf	 out;
	bool		 csv, bom;
	char		*unit_name;	/* of the administrator's unit (or base) */
	const unsigned char *input;	/* standard input (exec_reads_input), or NULL */
	size_t		 input_len;
	bool		 input_over;	/* more came than bases.roster_max_bytes */
	const char	*args[EXEC_ARGS_MAX];	/* after the command (and its subcommand) */
	int		 nargs;
	const struct exec_stream *stream;	/* exec.h; NULL: all output into out */
	bool		 streamed;		/* some output went through stream */
	struct text_buf	 err;		/* for the standard error (exec_stream's write_err) */
};

/* The cell of value v (NULL: none) as printed (localised, sanitised). Caller frees. */
static char *
cell_text(struct exec_ctx *x, const char *v, const struct column *c)
{
	if (v == NULL)
		return xstrdup("");
	switch (c->kind) {
	case COL_SEX:	/* a row's 1 / 0, an item's word (rpc_column_sex) */
		return xstrdup(message_get(x->s->lang, strcmp(v, "1") == 0 ||
		    strcmp(v, "male") == 0 ? "exec.male" : "exec.female"));
	case COL_BOOL:
		return xstrdup(message_get(x->s->lang, strcmp(v, "t") == 0 ? "exec.yes" :
		    "exec.no"));
	case COL_TIME:
		if (!x->csv) {
			/* "2026-03-01T10:00:00+08:00" → "2026-03-01 10:00", today "今天 10:00" */
			char t[64];

			return xstrdup(format_time(v, message_get(x->s->lang, "exec.today"), 0, t,
			    sizeof t));
		}
		break;
	case COL_MESSAGE:
		return text_sanitize(message_get(x->s->lang, v), false);
	case COL_TITLE:	/* done by exec_table, which has both columns */
	case COL_NUMBER:
	case COL_TEXT:
		break;
	}
	return text_sanitize(v, false);
}

/* The title cell of row i: series (column sql) and name (sql_more), sanitised. */
static char *
exec_title(const PGresult *r, int i, const struct column *c)
{
	char *title, *clean;

	if (PQgetisnull(r, i, c->sql) && PQgetisnull(r, i, c->sql_more))
		return xstrdup("");
	title = format_title(PQgetvalue(r, i, c->sql), PQgetvalue(r, i, c->sql_more));
	clean = text_sanitize(title, false);
	free(title);
	return clean;
}

/* The headings of a table of rows, and room for its cells. */
static char **
table_cells(struct exec_ctx *x, int rows, const struct column *cols, int ncols)
{
	char **cells = xcalloc((size_t)(rows + 1) * ncols, sizeof *cells);

	for (int c = 0; c < ncols; c++)
		cells[c] = xstrdup(message_get(x->s->lang, cols[c].heading));
	return cells;
}

/* A statement's rows as cells. */
static char **
table_of_result(struct exec_ctx *x, const PGresult *r, const struct column *cols, int ncols)
{
	char **cells = table_cells(x, PQntuples(r), cols, ncols);

	for (int i = 0; i < PQntuples(r); i++) {
		for (int c = 0; c < ncols; c++)
			cells[(i + 1) * ncols + c] = cols[c].kind == COL_TITLE ?
			    exec_title(r, i, &cols[c]) : cell_text(x, PQgetisnull(r, i,
			    cols[c].sql) ? NULL : PQgetvalue(r, i, cols[c].sql), &cols[c]);
	}
	return cells;
}

/* The member at path ("person.name") of an item as text, or NULL for none. */
static const char *
item_value(json_t *item, const char *path, char *num, size_t size)
{
	const char *dot;
	char key[32];

	while ((dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
		item = json_object_get(item, key);
		path = dot + 1;
	}
	item = json_object_get(item, path);
	if (json_is_integer(item)) {
		snprintf(num, size, "%" JSON_INTEGER_FORMAT, json_integer_value(item));
		return num;
	}
	return json_string_value(item);	/* NULL unless a string */
}

/* An RPC method's items as cells. */
static char **
table_of_items(struct exec_ctx *x, json_t *items, const struct column *cols, int ncols)
{
	char **cells = table_cells(x, (int)json_array_size(items), cols, ncols);
	json_t *item;
	char num[32];
	const char *v;

	for (size_t i = 0; i < json_array_size(items); i++) {
		item = json_array_get(items, i);
		for (int c = 0; c < ncols; c++) {
			v = item_value(item, cols[c].member, num, sizeof num);
			if (v == NULL && cols[c].or_member != NULL)
				v = item_value(item, cols[c].or_member, num, sizeof num);
			cells[(i + 1) * ncols + c] = cell_text(x, v, &cols[c]);
		}
	}
	return cells;
}

/* One CSV field, RFC 4180; a text a spreadsheet would run as a formula gets a leading '. */
static void
csv_field(struct text_buf *b, const char *v, enum column_kind kind)
{
	text_buf_csv(b, v, kind == COL_TEXT && strchr("=+-@\t", v[0]) != NULL && v[0] != '\0');
}

/*
 * Print the cells of rows of cols (table_cells), and free them: CSV, or
 * text columns padded to the widest cell (in terminal columns) and
 * separated by two blanks.  Returns the number of rows.
 */
static int
table_print(struct exec_ctx *x, char **cells, int rows, const struct column *cols, int ncols)
{
	int *width = xcalloc((size_t)ncols, sizeof *width);
	struct text_buf *b = &x->out;

	if (x->csv) {
		if (x->bom)
			text_buf_puts(b, "\xef\xbb\xbf");
		for (int i = 0; i <= rows; i++) {
			for (int c = 0; c < ncols; c++) {
				if (c > 0)
					text_buf_add(b, ",", 1);
				csv_field(b, cells[i * ncols + c], i == 0 ? COL_NUMBER : cols[c].kind);
			}
			text_buf_add(b, "\n", 1);
		}
		goto out;
	}
	for (int i = 0; i <= rows; i++) {
		for (int c = 0; c < ncols; c++) {
			int w = text_width(cells[i * ncols + c]);

			if (w > width[c])
				width[c] = w;
		}
	}
	for (int i = 0; i <= rows; i++) {
		for (int c = 0; c < ncols; c++) {
			const char *v = cells[i * ncols + c];
			int pad = width[c] - text_width(v);
			bool right = cols[c].kind == COL_NUMBER && i > 0;

			if (c > 0)
				buf_spaces(b, 2);
			if (right)
				buf_spaces(b, pad);
			text_buf_puts(b, v);
			if (!right && c < ncols - 1)
				buf_spaces(b, pad);
		}
		text_buf_add(b, "\n", 1);
	}
out:
	for (int i = 0; i < (rows + 1) * ncols; i++)
		free(cells[i]);
	free(cells);
	free(width);
	return rows;
}

/* The count line after a text table, saying what it counts ("共 N 条申报"; none in CSV). */
static void
table_total(struct exec_ctx *x, const char *total, int rows)
{
	if (x->csv)
		return;
	text_buf_printf(&x->out, message_get(x->s->lang, total), rows);
	text_buf_add(&x->out, "\n", 1);
}

/* Whether table (schema 003/004, written by other issues) exists in this database. */
static int
exec_table_exists(struct exec_ctx *x, const char *table)
{
	DB_STMT(exec_regclass_stmt, "SELECT to_regclass($1) IS NOT NULL");
	const char *params[1] = { table };
	PGresult *r = db_exec(x->db, &exec_regclass_stmt, 1, params);
	int rc;

	if (r == NULL)
		return -1;
	rc = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return rc;
}

/* Print the sentence of message key as the whole answer; returns 1 (failure). */
static int
exec_say(struct exec_ctx *x, const char *key)
{
	text_buf_printf(&x->out, "%s\n", message_get(x->s->lang, key));
	return 1;
}

static int
exec_failed(struct exec_ctx *x)
{
	log_error("session %lu: exec: %s", x->s->serial, db_error_text(x->db));
	return exec_say(x, "exec.failed");
}

/* Print a statement's rows as a table; returns their number. */
static int
exec_print_result(struct exec_ctx *x, const PGresult *r, const struct column *cols, int ncols)
{
	return table_print(x, table_of_result(x, r, cols, ncols), PQntuples(r), cols, ncols);
}

/* Run a statement with the unit as $1 (and more), print its table. */
static int
exec_table(struct exec_ctx *x, struct db_stmt *st, int n, const char *const *params,
    const struct column *cols, int ncols, const char *total)
{
	PGresult *r = db_exec(x->db, st, n, params);

	if (r == NULL)
		return exec_failed(x);
	table_total(x, total, exec_print_result(x, r, cols, ncols));
	PQclear(r);
	return 0;
}

/*
 * Every item of the administrator's paged RPC method: the dispatcher runs
 * it on this session, whose identity is the key-logged-in administrator,
 * page after page until "next" is null.  Returns the items (caller
 * frees), or NULL after logging why.
 */
static json_t *
exec_rpc_items(struct exec_ctx *x, const char *method)
{
	json_t *items = json_array(), *after = json_null(), *reply, *result;
	char *line, *text;

	/* The dispatcher takes its own connection: a pool of one would wait for ours. */
	db_release(x->db);
	x->db = NULL;
	for (;;) {
		reply = json_pack("{s:s, s:i, s:s, s:{s:i, s:o}}", "jsonrpc", "2.0", "id", 1,
		    "method", method, "params", "limit", RPC_LIMIT_MAX, "after", after);
		line = json_dumps(reply, JSON_COMPACT);
		json_decref(reply);
		text = rpc_handle_line(x->s, line, strlen(line));
		free(line);
		reply = json_loads(text, 0, NULL);
		result = json_object_get(reply, "result");
		if (json_array_extend(items, json_object_get(result, "items")) != 0) {
			log_error("session %lu: exec: %s: %s", x->s->serial, method, text);
			json_decref(items);
			items = NULL;
		}
		free(text);
		after = json_incref(json_object_get(result, "next"));
		json_decref(reply);
		if (items == NULL || !json_is_string(after)) {
			json_decref(after);
			return items;
		}
	}
}

/*
 * Print the items of an RPC method as a table, when table (of a later
 * schema; NULL: none needed) exists in the database.
 */
static int
exec_rpc_table(struct exec_ctx *x, const char *table, const char *method,
    const struct column *cols, int ncols, const char *total)
{
	int have = table != NULL ? exec_table_exists(x, table) : 1;
	json_t *items;

	if (have < 0)
		return exec_failed(x);
	if (have == 0)
		return exec_say(x, "exec.not_available");
	if ((items = exec_rpc_items(x, method)) == NULL)
		return exec_say(x, "exec.failed");
	table_total(x, total, table_print(x, table_of_items(x, items, cols, ncols),
	    (int)json_array_size(items), cols, ncols));
	json_decref(items);
	return 0;
}

/* --- the commands ---------------------------------------------------------- */

static int exec_help(struct exec_ctx *x);

static int
exec_whoami(struct exec_ctx *x)
{
	/* People know themselves by their ID number: the internal account id is not shown. */
	DB_STMT(exec_whoami_stmt,
	    "SELECT a.id_number, a.name, a.unit_code, u.name"
	    " FROM accounts a JOIN units u ON u.code = a.unit_code WHERE a.id = $1");
	static const struct column cols[] = {
		{ "col.id_number", COL_TEXT, .sql = 0 },
		{ "col.name", COL_TEXT, .sql = 1 },
		{ "col.unit_code", COL_TEXT, .sql = 2 },
		{ "col.unit", COL_TEXT, .sql = 3 },
	};
	char id[24];
	const char *params[1] = { id };
	PGresult *r;

	snprintf(id, sizeof id, "%lld", (long long)x->s->account_id);
	if ((r = db_exec(x->db, &exec_whoami_stmt, 1, params)) == NULL)
		return exec_failed(x);
	exec_print_result(x, r, cols, 4);
	PQclear(r);
	if (!x->csv)
		text_buf_printf(&x->out, "%s: %s, %s\n", message_get(x->s->lang, "col.role"),
		    message_get(x->s->lang, "exec.role.unit_admin"),
		    message_get(x->s->lang, "login.key"));
	return 0;
}

/* queue: registrations waiting for the administrator, newest first. */
static int
exec_queue(struct exec_ctx *x)
{
	static const struct column cols[] = {
		{ "col.submitted_at", COL_TIME, .member = "submitted_at" },
		{ "col.id_number", COL_TEXT, .member = "id_number" },
		{ "col.name", COL_TEXT, .member = "name" },
		{ "col.sex", COL_SEX, .member = "sex" },
		{ "col.department", COL_TEXT, .member = "department" },
	};

	return exec_rpc_table(x, NULL, "review.registrations", cols, 5,
	    "exec.total.registrations");
}

/* queue titles: title changes waiting for review (schema 004). */
static int
exec_queue_titles(struct exec_ctx *x)
{
	static const struct column cols[] = {
		{ "col.submitted_at", COL_TIME, .member = "asked_at" },
		{ "col.id_number", COL_TEXT, .member = "id_number" },
		{ "col.name", COL_TEXT, .member = "name" },
		{ "col.old_title", COL_TEXT, .member = "old.name" },
		{ "col.new_title", COL_TEXT, .member = "new.name" },
	};

	return exec_rpc_table(x, "profile_changes", "review.title_changes", cols, 5,
	    "exec.total.title_changes");
}

/* queue declarations: declarations of hours waiting for review (schema 003). */
static int
exec_queue_declarations(struct exec_ctx *x)
{
	static const struct column cols[] = {
		{ "col.submitted_at", COL_TIME, .member = "submitted_at" },
		{ "col.id_number", COL_TEXT, .member = "person.id_number" },
		{ "col.name", COL_TEXT, .member = "person.name" },
		{ "col.form", COL_TEXT, .member = "form.name", .or_member = "form.code" },
		{ "col.year", COL_NUMBER, .member = "year" },
		{ "col.amount", COL_NUMBER, .member = "amount" },
		{ "col.hours", COL_NUMBER, .member = "hours" },
	};

	return exec_rpc_table(x, "declarations", "review.declarations", cols, 7,
	    "exec.total.declarations");
}

/* staff: the unit's active staff, by department and name. */
static int
exec_staff(struct exec_ctx *x)
{
	DB_STMT(exec_staff_stmt,
	    "SELECT a.id_number, a.name, a.sex, d.name,"
	    " t.series, a.phone, a.email, t.name"
	    " FROM accounts a LEFT JOIN departments d ON d.id = a.department_id"
	    " LEFT JOIN titles t ON t.id = a.title_id"
	    " WHERE a.unit_code = $1 AND a.state = 'active' AND a.role = 'staff'"
	    " ORDER BY d.name COLLATE zh_pinyin NULLS LAST, a.name COLLATE zh_pinyin, a.id_number");
	static const struct column cols[] = {
		{ "col.id_number", COL_TEXT, .sql = 0 },
		{ "col.name", COL_TEXT, .sql = 1 },
		{ "col.sex", COL_SEX, .sql = 2 },
		{ "col.department", COL_TEXT, .sql = 3 },
		{ "col.title", COL_TITLE, .sql = 4, .sql_more = 7 },
		{ "col.phone", COL_TEXT, .sql = 5 },
		{ "col.email", COL_TEXT, .sql = 6 },
	};
	const char *params[1] = { x->s->unit_code };

	return exec_table(x, &exec_staff_stmt, 1, params, cols, 7, "exec.total.staff");
}

/*
 * Where a heavy read came from, when that was a replica: a line saying
 * as of when it is and how far behind it may be (not in CSV).
 */
static void
exec_state_freshness(struct exec_ctx *x)
{
	char as_of[32], seconds[32];
	long long stale;

	if (!db_from_replica(x->db))
		return;
	db_read_freshness(x->db, as_of, &stale);
	snprintf(seconds, sizeof seconds, "%lld.%lld", stale / 1000, stale % 1000 / 100);
	text_buf_printf(&x->out, message_get(x->s->lang, "exec.as_of"), as_of, seconds);
	text_buf_add(&x->out, "\n", 1);
}

/*
 * report YEAR: each active staff member's approved hours of the year, 公需
 * and 专业, each learning form capped at its yearly_cap, against the year's
 * requirement (config requirements): the unit report of completion.c,
 * which completion.report shares, by department and name.
 */
static int
exec_report(struct exec_ctx *x)
{
	static const struct column cols[] = {
		{ "col.id_number", COL_TEXT, .sql = COMPLETION_COL_ID_NUMBER },
		{ "col.name", COL_TEXT, .sql = COMPLETION_COL_NAME },
		{ "col.department", COL_TEXT, .sql = COMPLETION_COL_DEPARTMENT },
		{ "col.public_hours", COL_NUMBER, .sql = COMPLETION_COL_PUBLIC },
		{ "col.professional_hours", COL_NUMBER, .sql = COMPLETION_COL_PROFESSIONAL },
		{ "col.total_hours", COL_NUMBER, .sql = COMPLETION_COL_TOTAL },
		{ "col.required_hours", COL_NUMBER, .sql = COMPLETION_COL_REQUIRED },
		{ "col.pending_hours", COL_NUMBER, .sql = COMPLETION_COL_PENDING },
		{ "col.complete", COL_BOOL, .sql = COMPLETION_COL_MET },
	};
	struct completion_query q = {
		.unit_code = x->s->unit_code, .sort = COMPLETION_SORT_DEPARTMENT,
	};
	struct completion_report rep;
	const struct config_requirement *req;
	struct completion_figures fig;
	const char *y = x->nargs > 0 ? x->args[0] : NULL;
	int have;

	if (y == NULL || strlen(y) != 4 || strspn(y, "0123456789") != 4 ||
	    atoi(y) < 1990 || atoi(y) > 2200) {
		return exec_say(x, "exec.bad_year");
	}
	if ((have = exec_table_exists(x, "person_year")) < 0)
		return exec_failed(x);
	if (have == 0)
		return exec_say(x, "exec.not_available");
	/* The caps of the forms the config has now (a reload may not be synced yet). */
	if (forms_current(x->db, x->cfg) == NULL)
		return exec_failed(x);
	q.year = atoi(y);
	if (completion_unit(x->db, x->cfg, &q, &rep) != 0)
		return exec_failed(x);
	exec_print_result(x, rep.rows, cols, sizeof cols / sizeof cols[0]);
	req = rep.requirement;
	completion_format_requirement(req, &fig);
	if (!x->csv) {
		if (x->s->lang == LANG_EN)
			text_buf_printf(&x->out, "%s, %d: %lld people, %lld complete (required: %s hours, "
			    "at least %s professional and %s public)\n", x->unit_name, q.year,
			    rep.staff, rep.met, fig.total, fig.professional, fig.public_hours);
		else
			text_buf_printf(&x->out, "%s %d 年度：共 %lld 人，已完成 %lld 人（要求：合计不少于 %s "
			    "学时，其中专业科目不少于 %s、公需科目不少于 %s）\n", x->unit_name,
			    q.year, rep.staff, rep.met, fig.total, fig.professional,
			    fig.public_hours);
		exec_state_freshness(x);
	}
	completion_report_free(&rep);
	return 0;
}

/* A figure of the facts (decimal text, or a number) as text: "96", "12.5". */
static void
verify_number(const json_t *v, char *out, size_t size)
{
	if (json_is_string(v))
		snprintf(out, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(out, size, "%.10g", json_real_value(v));
	else
		snprintf(out, size, "-");
}

/* "label: value" of a string member of obj, sanitised. */
static void
verify_line(struct exec_ctx *x, const char *label_key, const json_t *obj, const char *member)
{
	const char *v = json_string_value(json_object_get(obj, member));
	char *clean = text_sanitize(v != NULL && *v != '\0' ? v :
	    message_get(x->s->lang, "exec.no_rows"), false);

	text_buf_printf(&x->out, "%s%s\n", message_get(x->s->lang, label_key), clean);
	free(clean);
}

/* One year of the facts: the requirement, the approved hours, by form, met or not. */
static void
verify_year(struct exec_ctx *x, const json_t *y)
{
	enum lang lang = x->s->lang;
	const json_t *req = json_object_get(y, "required"), *got = json_object_get(y, "approved");
	char rt[32], rp[32], ru[32], at[32], ap[32], au[32], amount[32];
	const json_t *f;
	size_t i;

	verify_number(json_object_get(req, "total"), rt, sizeof rt);
	verify_number(json_object_get(req, "professional"), rp, sizeof rp);
	verify_number(json_object_get(req, "public"), ru, sizeof ru);
	verify_number(json_object_get(got, "total"), at, sizeof at);
	verify_number(json_object_get(got, "professional"), ap, sizeof ap);
	verify_number(json_object_get(got, "public"), au, sizeof au);
	text_buf_printf(&x->out, message_get(lang, "verify.year"),
	    (int)json_integer_value(json_object_get(y, "year")), rt, rp, ru, at, ap, au,
	    message_get(lang, json_is_true(json_object_get(y, "met")) ? "completion.met" :
	    "completion.not_met"));
	text_buf_add(&x->out, "\n", 1);
	json_array_foreach(json_object_get(y, "by_form"), i, f) {
		char *form = text_sanitize(json_string_value(json_object_get(f, "form")) ?
		    json_string_value(json_object_get(f, "form")) : "", false);

		verify_number(json_object_get(f, "amount"), amount, sizeof amount);
		text_buf_printf(&x->out, "    %s  ", form);
		text_buf_printf(&x->out, message_get(lang, "verify.hours"), amount);
		text_buf_add(&x->out, "\n", 1);
		free(form);
	}
}

/*
 * verify CODE: what the certificate of a code states and whether it still
 * holds, for anyone (no account).  Guessing codes counts as failures of the
 * address (auth.c), which is refused past security.source_failures_per_minute.
 * Exit status 0 valid, 2 no longer valid (or its signature does not check),
 * 1 unknown code.
 */
static int
exec_verify(struct exec_ctx *x)
{
	enum lang lang = x->s->lang;
	struct certificate_check check;
	char code[CERTIFICATE_CODE_SIZE], amount[32];
	const json_t *facts, *person, *v;
	size_t i;
	int rc;

	if (!certificates_code_normalise(x->args[0], code)) {
		auth_source_failed(x->s->source);
		return exec_say(x, "verify.unknown");
	}
	if (certificates_verify(x->db, x->cfg, code, &check) != 0)
		return exec_failed(x);
	if (check.state == CERTIFICATE_UNKNOWN) {
		auth_source_failed(x->s->source);
		certificate_check_free(&check);
		return exec_say(x, "verify.unknown");
	}
	facts = check.cert.facts;
	person = json_object_get(facts, "person");
	text_buf_printf(&x->out, "%s%s\n", message_get(lang, "verify.code"), code);
	text_buf_printf(&x->out, "%s%s\n", message_get(lang, "verify.state"),
	    message_get(lang, check.state == CERTIFICATE_VALID ? "verify.valid" :
	    check.state == CERTIFICATE_NO_LONGER_VALID ? "verify.no_longer_valid" :
	    "verify.bad_signature"));
	verify_line(x, "verify.issuer", facts, "issuer");
	verify_line(x, "verify.issued_at", facts, "issued_at");
	verify_line(x, "verify.name", person, "name");
	verify_line(x, "verify.id_number", person, "id_number");
	verify_line(x, "verify.unit", person, "unit");
	verify_line(x, "verify.title", person, "title");
	json_array_foreach(json_object_get(facts, "years"), i, v)
		verify_year(x, v);
	text_buf_printf(&x->out, message_get(lang, "verify.records"),
	    (int)json_array_size(json_object_get(facts, "records")));
	text_buf_add(&x->out, "\n", 1);
	json_array_foreach(json_object_get(facts, "records"), i, v) {
		const char *parts[4] = { "name", "form", "dates", "source" };
		char *clean[4];

		for (int k = 0; k < 4; k++) {
			const char *s = json_string_value(json_object_get(v, parts[k]));

			clean[k] = text_sanitize(s != NULL ? s : "", false);
		}
		verify_number(json_object_get(v, "amount"), amount, sizeof amount);
		text_buf_printf(&x->out, "  %d  %s  %s  ",
		    (int)json_integer_value(json_object_get(v, "year")), clean[0], clean[1]);
		if (*clean[2] != '\0')
			text_buf_printf(&x->out, "%s  ", clean[2]);
		text_buf_printf(&x->out, message_get(lang, "verify.hours"), amount);
		text_buf_printf(&x->out, "  %s\n", clean[3]);
		for (int k = 0; k < 4; k++)
			free(clean[k]);
	}
	rc = check.state == CERTIFICATE_VALID ? 0 : 2;
	certificate_check_free(&check);
	return rc;
}

/*
 * Making PDFs is the one long stretch of CPU a session asks for: run it
 * below the other sessions (nice 10, this thread only), so that their
 * replies do not wait behind it.  An exec session ends with its command,
 * so the thread never needs its priority back (which an unprivileged
 * process could not take back anyway).
 */
static void
exec_background(void)
{
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
}

/*
 * certificate YEAR: the logged-in person's own 学时证明 of a year, the PDF
 * on standard output (`ssh ID@host certificate 2025 > 2025.pdf`).  The PDF
 * carries the signed facts, its key id and signature (certificate-pdf.h's
 * payload: "FACTS.KEYID.SIGNATURE", split from the right) for the offline
 * check.
 */
static int
exec_certificate(struct exec_ctx *x)
{
	struct certificate cert = { .facts = NULL };
	const char *y = x->args[0];
	char *facts = NULL, *payload = NULL, *pdf = NULL, *verify_at;
	size_t len = 0;
	int rc;

	if (strlen(y) != 4 || strspn(y, "0123456789") != 4)
		return exec_say(x, "exec.bad_year");
	exec_background();
	rc = certificates_issue(x->db, x->cfg, x->s->account_id, atoi(y), atoi(y),
	    x->s->account_id, &cert);
	if (rc == CERTIFICATES_YEARS_NOT_RECORDED)
		return exec_say(x, "certificate_years_not_recorded");
	if (rc != 0)
		return rc > 0 ? exec_say(x, "exec.failed") : exec_failed(x);
	facts = certificates_payload(cert.facts);
	payload = xasprintf("%s.%s.%s", facts, cert.key_id, cert.signature);
	verify_at = certificates_verify_at(x->cfg);
	rc = certificate_pdf(cert.facts, payload, verify_at, &pdf, &len);
	free(verify_at);
	if (rc == 0) {
		text_buf_add(&x->out, pdf, len);
		log_info("session %lu: certificate %s issued as PDF (%zu bytes)", x->s->serial,
		    cert.code, len);
	} else {
		log_error("session %lu: certificate %s: the PDF could not be made", x->s->serial,
		    cert.code);
		exec_say(x, "exec.failed");
	}
	free(pdf);
	free(payload);
	free(facts);
	certificate_free(&cert);
	return rc == 0 ? 0 : 1;
}


/*
 * The bytes of a streaming command: gathered in x->out, sent on through
 * x->stream in chunks (so that a command that sends nothing before it
 * fails can still say why, in place of its output).
 */
static int
exec_stream_write(void *arg, const char *data, size_t len)
{
	struct exec_ctx *x = arg;

	text_buf_add(&x->out, data, len);
	if (x->stream == NULL || x->out.len < EXEC_STREAM_CHUNK)
		return 0;
	x->streamed = true;
	/*
	 * Sending may wait for the reader (sessions.stall_timeout): not with
	 * one of the pool's connections (certificates_unit_pdf takes one again).
	 */
	db_release(x->db);
	x->db = NULL;
	if (x->stream->write(x->stream->arg, x->out.data, x->out.len) != 0)
		return -1;
	x->out.len = 0;
	return 0;
}

/* "2025" or "2023-2025" (at most CERTIFICATE_YEARS_MAX years) into from, to. */
static bool
exec_years(const char *arg, int *from, int *to)
{
	size_t n = strlen(arg);

	if ((n != 4 && n != 9) || strspn(arg, "0123456789") != 4 ||
	    (n == 9 && (arg[4] != '-' || strspn(arg + 5, "0123456789") != 4)))
		return false;
	*from = atoi(arg);
	*to = n == 9 ? atoi(arg + 5) : *from;
	return *from >= 1990 && *to <= 2200 && *from <= *to &&
	    *to - *from < CERTIFICATE_YEARS_MAX;
}

/*
 * certificates YEAR[-YEAR] [--department NAME] [ID-NUMBER...]: the
 * certificates of the unit's staff, one PDF with each person from a page
 * of their own, on standard output as it is made (the daemon holds one
 * person at a time: certificate-pdf.h's stream).  Every active staff
 * member of the unit (of the department), or the people named, who must
 * all be the unit's: one who is not is refused by the ID number given,
 * the same whether it exists elsewhere or not.  People without records in
 * the years are left out (the log counts them).
 */
static int
exec_certificates(struct exec_ctx *x)
{
	const char *ids[EXEC_ARGS_MAX];
	struct certificates_unit_query q = { .unit_code = x->s->unit_code };
	struct certificates_unit_done done;
	struct certificate_pdf_stream *st;
	int64_t *accounts = NULL;
	size_t *strangers = NULL, n_strangers = 0;
	char *verify_at;
	int from, to, rc;
	long n;

	if (!exec_years(x->args[0], &from, &to))
		return exec_say(x, "exec.bad_years");
	for (int i = 1; i < x->nargs; i++) {
		if (strcmp(x->args[i], "--department") == 0 && i + 1 < x->nargs &&
		    q.department_name == NULL)
			q.department_name = x->args[++i];
		else if (strncmp(x->args[i], "--", 2) == 0)
			return exec_say(x, "exec.certificates_usage");
		else
			ids[q.n_id_numbers++] = x->args[i];
	}
	if (q.department_name != NULL && q.n_id_numbers > 0)
		return exec_say(x, "exec.certificates_usage");
	q.id_numbers = ids;
	n = certificates_unit_people(x->db, &q, &accounts, &strangers, &n_strangers);
	if (n == CERTIFICATES_UNIT_STRANGERS) {
		struct text_buf list = { 0 };

		for (size_t i = 0; i < n_strangers; i++) {
			char *clean = text_sanitize(ids[strangers[i]], false);

			text_buf_printf(&list, "%s%s", i > 0 ? ", " : "", clean);
			free(clean);
		}
		text_buf_printf(&x->out, message_get(x->s->lang, "certificate_not_of_unit"),
		    list.data);
		text_buf_puts(&x->out, "\n");
		free(list.data);
		free(strangers);
		return 1;
	}
	if (n == CERTIFICATES_UNIT_NO_DEPARTMENT)
		return exec_say(x, "certificate_no_department");
	if (n < 0)
		return exec_failed(x);
	if (n == 0) {
		free(accounts);
		return exec_say(x, "certificate_nobody");
	}
	verify_at = certificates_verify_at(x->cfg);
	exec_background();
	st = certificate_pdf_stream_begin(verify_at, exec_stream_write, x);
	rc = certificates_unit_pdf(&x->db, x->cfg, accounts, (size_t)n, from, to,
	    x->s->account_id, st, &done);
	if (certificate_pdf_stream_end(st) != 0 && rc == 0)
		rc = done.people == 0 ? 0 : -2;
	free(verify_at);
	free(accounts);
	log_info("session %lu: certificates %d-%d of %ld people: %zu in the PDF, %zu without "
	    "records in the years%s", x->s->serial, from, to, n, done.people, done.skipped,
	    rc == -2 ? ", the reader went away" : rc == -1 ? ", failed" : "");
	if (rc == 0 && done.people == 0 && !x->streamed) {
		x->out.len = 0;
		return exec_say(x, "certificate_years_not_recorded");
	}
	if (rc == -1 && !x->streamed) {
		x->out.len = 0;
		return exec_failed(x);
	}
	if (rc != 0)
		return 1;	/* a PDF cut short: the status says so */
	if (x->stream != NULL && x->out.len > 0) {
		x->streamed = true;
		if (x->stream->write(x->stream->arg, x->out.data, x->out.len) != 0)
			rc = 1;
		x->out.len = 0;
	}
	return rc;
}


/* --- the authority's statistics (issue 16) -------------------------------- */

/*
 * Run method with params (which it takes) through the dispatcher on this
 * session, as exec_rpc_items does.  Returns the reply's result (caller
 * frees), or NULL with the error's sentence on the standard error.
 */
static json_t *
exec_rpc_result(struct exec_ctx *x, const char *method, json_t *params)
{
	json_t *request, *reply, *result, *error;
	char *line, *text;

	db_release(x->db);
	x->db = NULL;
	request = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1,
	    "method", method, "params", params);
	line = json_dumps(request, JSON_COMPACT);
	json_decref(request);
	text = rpc_handle_line(x->s, line, strlen(line));
	free(line);
	reply = json_loads(text, 0, NULL);
	result = json_incref(json_object_get(reply, "result"));
	if (result == NULL) {
		error = json_object_get(json_object_get(reply, "error"), "message");
		if (json_is_string(error)) {
			char *clean = text_sanitize(json_string_value(error), false);

			text_buf_printf(&x->err, "%s\n", clean);
			free(clean);
		} else {
			log_error("session %lu: exec: %s: %s", x->s->serial, method, text);
			text_buf_printf(&x->err, "%s\n", message_get(x->s->lang, "exec.failed"));
		}
	}
	free(text);
	json_decref(reply);
	return result;
}

/*
 * The parameters of `stats YEAR [--by LEVEL] [--city CODE] [--unit CODE]
 * [--department ID]` as stats.completion takes them, or NULL after saying
 * what is wrong on the standard error.  The values are the daemon's to
 * check (the method refuses what is not in the scope).
 */
static json_t *
exec_stats_params(struct exec_ctx *x)
{
	static const char *const options[][2] = {
		{ "--by", "by" }, { "--city", "city" }, { "--unit", "unit" },
		{ "--department", "department_id" },
	};
	const char *y = x->args[0];
	json_t *params;
	size_t o;

	if (strlen(y) != 4 || strspn(y, "0123456789") != 4 || atoi(y) < 1990 || atoi(y) > 2200) {
		text_buf_printf(&x->err, "%s\n", message_get(x->s->lang, "exec.bad_year"));
		return NULL;
	}
	params = json_pack("{s:i}", "year", atoi(y));
	for (int i = 1; i < x->nargs; i += 2) {
		for (o = 0; o < sizeof options / sizeof options[0]; o++) {
			if (strcmp(x->args[i], options[o][0]) == 0)
				break;
		}
		if (o == sizeof options / sizeof options[0] || i + 1 == x->nargs) {
			text_buf_printf(&x->err, "%s\n", message_get(x->s->lang, "exec.stats.option"));
			json_decref(params);
			return NULL;
		}
		if (strcmp(options[o][1], "department_id") == 0) {
			char *end;
			long long id = strtoll(x->args[i + 1], &end, 10);

			/* Not a number: an id no department has, so that the daemon says so. */
			json_object_set_new(params, options[o][1], json_integer(*end != '\0' ||
			    x->args[i + 1][0] == '\0' ? -1 : id));
		} else
			json_object_set_new(params, options[o][1], json_string(x->args[i + 1]));
	}
	return params;
}

/* The rate of a row (a number, or null) as a percentage, "75.12%", in place. */
static void
exec_stats_rate(json_t *row)
{
	json_t *rate = json_object_get(row, "rate");
	char text[32] = "";

	if (json_is_number(rate))
		snprintf(text, sizeof text, "%.2f%%", json_number_value(rate) * 100);
	json_object_set_new(row, "rate", json_string(text));
}

/*
 * stats YEAR [--by city|unit|department|person] [--city CODE] [--unit CODE]
 * [--department ID] [--csv]: a level of the authority's statistics, the
 * very stats.completion (or, with --csv, stats.csv) of the TUI, run
 * through the dispatcher on this session, page after page.
 */
static int
exec_stats(struct exec_ctx *x)
{
	static const struct column levels[] = {
		{ "col.key", COL_TEXT, .member = "key" },
		{ "col.place", COL_TEXT, .member = "name" },
		{ "col.staff", COL_NUMBER, .member = "staff" },
		{ "col.met", COL_NUMBER, .member = "met" },
		{ "col.not_met", COL_NUMBER, .member = "not_met" },
		{ "col.rate", COL_NUMBER, .member = "rate" },
		{ "col.avg_total", COL_NUMBER, .member = "avg_total" },
		{ "col.avg_public", COL_NUMBER, .member = "avg_public" },
		{ "col.avg_professional", COL_NUMBER, .member = "avg_professional" },
		{ "col.pending_hours", COL_NUMBER, .member = "pending" },
	};
	static const struct column persons[] = {
		{ "col.id_number", COL_TEXT, .member = "id_number" },
		{ "col.name", COL_TEXT, .member = "name" },
		{ "col.department", COL_TEXT, .member = "department" },
		{ "col.public_hours", COL_NUMBER, .member = "public" },
		{ "col.professional_hours", COL_NUMBER, .member = "professional" },
		{ "col.total_hours", COL_NUMBER, .member = "total" },
		{ "col.pending_hours", COL_NUMBER, .member = "pending" },
		{ "col.complete", COL_BOOL, .member = "met" },
	};
	json_t *params = exec_stats_params(x), *rows, *page, *row, *at, *place, *after = NULL;
	const struct column *cols;
	const char *by, *name;
	bool person;
	size_t i, ncols;
	int rc = 1;

	if (params == NULL)
		return 1;
	if (x->csv) {
		/* stats.csv's pieces as they come: its CSV is the TUI's export. */
		json_object_set_new(params, "bom", json_boolean(x->bom));
		do {
			json_t *p = json_deep_copy(params);

			if (after != NULL)
				json_object_set_new(p, "after", after);
			if ((page = exec_rpc_result(x, "stats.csv", p)) == NULL)
				goto out;
			text_buf_puts(&x->out, json_string_value(json_object_get(page, "csv")));
			after = json_incref(json_object_get(page, "next"));
			json_decref(page);
			if (!json_is_string(after)) {
				json_decref(after);
				after = NULL;
			}
		} while (after != NULL);
		rc = 0;
		goto out;
	}

	rows = json_array();
	json_object_set_new(params, "limit", json_integer(RPC_LIMIT_MAX));
	for (page = NULL;;) {
		json_t *p = json_deep_copy(params);

		if (after != NULL)
			json_object_set_new(p, "after", after);
		json_decref(page);
		if ((page = exec_rpc_result(x, "stats.completion", p)) == NULL) {
			json_decref(rows);
			goto out;
		}
		json_array_extend(rows, json_object_get(page, "rows"));
		after = json_incref(json_object_get(page, "next"));
		if (!json_is_string(after))
			break;
	}
	json_decref(after);
	after = NULL;
	by = json_string_value(json_object_get(page, "by"));
	person = by != NULL && strcmp(by, "person") == 0;
	json_array_foreach(rows, i, row) {
		if (person)
			json_object_set_new(row, "met", json_string(json_is_true(json_object_get(row,
			    "met")) ? "t" : "f"));
		else
			exec_stats_rate(row);
	}
	cols = person ? persons : levels;
	ncols = person ? sizeof persons / sizeof persons[0] : sizeof levels / sizeof levels[0];
	table_print(x, table_of_items(x, rows, cols, (int)ncols), (int)json_array_size(rows),
	    cols, (int)ncols);
	json_decref(rows);

	/* The summary of the deepest place read: "郑州市 2025 年度：应统计 …". */
	at = json_object_get(page, "at");
	place = json_object_get(json_object_get(page, "scope"), "name");
	name = json_string_value(place);
	if ((place = json_object_get(json_object_get(at, "city"), "name")) != NULL)
		name = json_string_value(place);
	if ((place = json_object_get(json_object_get(at, "unit"), "name")) != NULL)
		name = json_string_value(place);
	if ((place = json_object_get(json_object_get(at, "department"), "name")) != NULL)
		name = json_string_value(place);
	{
		json_t *sum = json_object_get(page, "summary");
		json_t *req = json_object_get(page, "requirement");
		char *clean = text_sanitize(name != NULL ? name : "", false);

		exec_stats_rate(sum);
		text_buf_printf(&x->out, message_get(x->s->lang, "exec.stats.summary"), clean,
		    (int)json_integer_value(json_object_get(page, "year")),
		    (long long)json_integer_value(json_object_get(sum, "staff")),
		    (long long)json_integer_value(json_object_get(sum, "met")),
		    (long long)json_integer_value(json_object_get(sum, "not_met")),
		    json_string_value(json_object_get(sum, "rate")),
		    json_string_value(json_object_get(req, "total")),
		    json_string_value(json_object_get(req, "professional")),
		    json_string_value(json_object_get(req, "public")));
		text_buf_add(&x->out, "\n", 1);
		free(clean);
	}
	json_decref(page);
	rc = 0;
out:
	json_decref(params);
	return rc;
}


/* The commands, as the help lists them. */
/* --- a continuing-education base's commands (issue 15) -------------------- */

/* classes: the base's classes, newest first, with their roster's counts. */
static int
exec_classes(struct exec_ctx *x)
{
	DB_STMT(exec_classes_stmt,
	    "SELECT c.id, c.name, c.form_code, c.start_date::text, c.end_date::text, c.year,"
	    " c.amount::text, 'class_state.' || c.state,"
	    " count(r.id), count(r.id) FILTER (WHERE r.problem IS NOT NULL),"
	    " count(r.id) FILTER (WHERE r.problem IS NULL AND r.account_id IS NULL)"
	    " FROM base_classes c LEFT JOIN base_roster r ON r.class_id = c.id AND NOT r.withdrawn"
	    " WHERE c.base_code = $1 AND c.state <> 'deleted'"
	    " GROUP BY c.id ORDER BY c.created_at DESC, c.id DESC");
	static const struct column cols[] = {
		{ "col.class_id", COL_NUMBER, .sql = 0 },
		{ "col.class", COL_TEXT, .sql = 1 },
		{ "col.form", COL_TEXT, .sql = 2 },
		{ "col.start_date", COL_TEXT, .sql = 3 },
		{ "col.end_date", COL_TEXT, .sql = 4 },
		{ "col.year", COL_NUMBER, .sql = 5 },
		{ "col.hours", COL_NUMBER, .sql = 6 },
		{ "col.state", COL_MESSAGE, .sql = 7 },
		{ "col.rows", COL_NUMBER, .sql = 8 },
		{ "col.bad", COL_NUMBER, .sql = 9 },
		{ "col.unclaimed", COL_NUMBER, .sql = 10 },
	};
	const char *params[1] = { x->s->base_code };
	PGresult *r;

	if ((r = db_exec(x->db, &exec_classes_stmt, 1, params)) == NULL)
		return exec_failed(x);
	table_total(x, "exec.total.classes", exec_print_result(x, r, cols, 11));
	PQclear(r);
	return 0;
}

/* The class of the argument, when it is the base's: its id text into id; else 0. */
static int
exec_base_class(struct exec_ctx *x, char id[24])
{
	DB_STMT(exec_class_stmt,
	    "SELECT id FROM base_classes WHERE id = $1::bigint AND base_code = $2"
	    " AND state <> 'deleted'");
	const char *params[2] = { id, x->s->base_code };
	char *end;
	long long n = strtoll(x->args[0], &end, 10);
	PGresult *r;
	int found;

	snprintf(id, 24, "%lld", n);
	if (*end != '\0' || n <= 0)
		return 0;
	if ((r = db_exec(x->db, &exec_class_stmt, 2, params)) == NULL)
		return -1;
	found = PQntuples(r) == 1;
	PQclear(r);
	return found;
}

/* roster CLASS --csv: the class's roster in the order it came. */
static int
exec_roster_print(struct exec_ctx *x, const char *id)
{
	DB_STMT(exec_roster_stmt,
	    "SELECT line, id_number, name, amount::text, problem,"
	    " CASE WHEN problem IS NULL THEN account_id IS NOT NULL END"
	    " FROM base_roster WHERE class_id = $1 AND NOT withdrawn ORDER BY id");
	static const struct column cols[] = {
		{ "col.line", COL_NUMBER, .sql = 0 },
		{ "col.id_number", COL_TEXT, .sql = 1 },
		{ "col.name", COL_TEXT, .sql = 2 },
		{ "col.hours", COL_NUMBER, .sql = 3 },
		{ "col.problem", COL_MESSAGE, .sql = 4 },
		{ "col.claimed", COL_BOOL, .sql = 5 },
	};
	const char *params[1] = { id };
	PGresult *r;

	if ((r = db_exec(x->db, &exec_roster_stmt, 1, params)) == NULL)
		return exec_failed(x);
	table_total(x, "exec.total.roster", exec_print_result(x, r, cols, 6));
	PQclear(r);
	return 0;
}

/*
 * roster CLASS < FILE: the file replaces the draft's roster, as
 * roster.import {replace: true} does; prints the encoding read, the rows
 * taken and every bad row.  Exit status 1 when any row is bad.
 */
static int
exec_roster_import(struct exec_ctx *x, const char *id)
{
	struct roster_summary sum;
	enum roster_status st;
	enum lang lang = x->s->lang;
	size_t i;
	json_t *p;

	st = x->input_over ? ROSTER_TOO_LARGE : roster_import(x->db, x->cfg, x->s->base_code,
	    id, x->s->account_id, x->input, x->input_len, true, lang, &sum);
	if (st != ROSTER_OK) {
		char arg[24];

		snprintf(arg, sizeof arg, "%d", st == ROSTER_TOO_LARGE ? x->cfg->roster_max_bytes :
		    x->cfg->roster_max_rows);
		text_buf_printf(&x->out, message_get(lang, st == ROSTER_NOT_DRAFT ?
		    "exec.roster_not_draft" : roster_status_reason(st)), arg);
		text_buf_add(&x->out, "\n", 1);
		return 1;
	}
	text_buf_printf(&x->out, message_get(lang, "exec.roster_read"), sum.encoding, sum.taken,
	    sum.rows, sum.bad, sum.unclaimed);
	text_buf_add(&x->out, "\n", 1);
	json_array_foreach(sum.problems, i, p) {
		char *id_number = text_sanitize(json_string_value(json_object_get(p, "id_number")),
		    false);
		char *name = text_sanitize(json_string_value(json_object_get(p, "name")), false);
		char *message = text_sanitize(json_string_value(json_object_get(p, "message")),
		    false);
		json_t *line = json_object_get(p, "line");

		text_buf_printf(&x->out, message_get(lang, "exec.roster_line"),
		    json_is_integer(line) ? (long long)json_integer_value(line) : 0LL, id_number,
		    name, message);
		text_buf_add(&x->out, "\n", 1);
		free(id_number);
		free(name);
		free(message);
	}
	if (sum.bad > (long)json_array_size(sum.problems)) {
		text_buf_printf(&x->out, message_get(lang, "exec.roster_more"),
		    sum.bad - (long)json_array_size(sum.problems));
		text_buf_add(&x->out, "\n", 1);
	}
	roster_summary_free(&sum);
	return sum.bad > 0 ? 1 : 0;
}

/* roster CLASS [--csv]: print it (--csv), or replace it with the standard input. */
static int
exec_roster(struct exec_ctx *x)
{
	char id[24];

	switch (exec_base_class(x, id)) {
	case -1:
		return exec_failed(x);
	case 0:
		return exec_say(x, "exec.no_class");
	}
	if (x->input == NULL && !x->input_over && x->csv)
		return exec_roster_print(x, id);
	return exec_roster_import(x, id);
}

bool
exec_reads_input(const char *command)
{
	char *line = xstrdup(command), *save = NULL, *w;
	int n = 0;
	bool roster = false, csv = false;

	for (w = strtok_r(line, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		if (strcmp(w, "--csv") == 0 || strcmp(w, "--bom") == 0)
			csv = true;
		else if (n++ == 0)
			roster = strcmp(w, "roster") == 0;
	}
	free(line);
	return roster && n == 2 && !csv;
}

static const struct exec_command {
	const char	*name;
	const char	*sub;		/* a second word, or NULL */
	const char	*usage;
	const char	*help;		/* message key */
	int		 min_args, max_args;
	int		(*run)(struct exec_ctx *);
	bool		 guest;		/* anyone may run it, no account needed */
	bool		 person;	/* any account logged in by key runs it for itself */
	bool		 base;		/* a base administrator logged in by key, for their base */
	bool		 authority;	/* an authority's administrator logged in by key, for
				 * their scope */
	bool		 replica;	/* a heavy read: from the replica when fresh enough
					 * (rpc_read_switch), after the checks */
} exec_commands[] = {
	{ "help", NULL, "help", "exec.help", 0, 0, exec_help },
	{ "whoami", NULL, "whoami", "exec.whoami", 0, 0, exec_whoami },
	{ "queue", NULL, "queue [--csv]", "exec.queue", 0, 0, exec_queue },
	{ "queue", "titles", "queue titles [--csv]", "exec.queue_titles", 0, 0,
	    exec_queue_titles },
	{ "queue", "declarations", "queue declarations [--csv]", "exec.queue_declarations",
	    0, 0, exec_queue_declarations },
	{ "staff", NULL, "staff [--csv]", "exec.staff", 0, 0, exec_staff },
	{ "report", NULL, "report YEAR [--csv]", "exec.report", 1, 1, exec_report,
	    .replica = true },
	{ "verify", NULL, "verify CODE", "exec.verify", 1, 1, exec_verify, .guest = true },
	{ "certificate", NULL, "certificate YEAR", "exec.certificate", 1, 1, exec_certificate,
	    .person = true },
	{ "certificates", NULL, "certificates YEAR[-YEAR] [--department NAME] [ID...]",
	    "exec.certificates", 1, EXEC_ARGS_MAX, exec_certificates },
	{ "classes", NULL, "classes [--csv]", "exec.classes", 0, 0, exec_classes, .base = true },
	{ "roster", NULL, "roster CLASS [--csv] [< FILE.csv]", "exec.roster", 1, 1, exec_roster,
	    .base = true },
	{ "stats", NULL, "stats YEAR [--by LEVEL] [...] [--csv]", "exec.stats", 1, 9, exec_stats,
	    .authority = true },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL, false, false, false, false, false },
};

static void
exec_usage(struct exec_ctx *x)
{
	enum lang lang = x->s->lang;
	int width = 0;

	text_buf_printf(&x->out, "%s\n", message_get(lang, "exec.usage"));
	for (const struct exec_command *c = exec_commands; c->name != NULL; c++) {
		if ((int)strlen(c->usage) > width)
			width = (int)strlen(c->usage);
	}
	for (const struct exec_command *c = exec_commands; c->name != NULL; c++)
		text_buf_printf(&x->out, "  %-*s  %s\n", width, c->usage, message_get(lang, c->help));
	text_buf_printf(&x->out, "%s\n", message_get(lang, "exec.options"));
}

static int
exec_help(struct exec_ctx *x)
{
	exec_usage(x);
	return 0;
}

/* Say who may run the command (message key who), with the usage; returns 1. */
static int
exec_refused(struct exec_ctx *x, const char *who)
{
	text_buf_printf(&x->out, "%s\n", message_get(x->s->lang, who));
	exec_usage(x);
	return 1;
}

/* Take x->db; false after saying the database is unavailable (db_acquire waited already). */
static bool
exec_acquire(struct exec_ctx *x)
{
	if ((x->db = db_acquire(EXEC_DB_WAIT_MS)) != NULL)
		return true;
	text_buf_printf(&x->out, "%s\n", message_get(x->s->lang, "database_unavailable"));
	return false;
}

/* Whether the key-logged-in administrator is still active in its scope (admins.c): 1, 0, -1. */
static int
exec_authority_active(struct exec_ctx *x)
{
	return admins_authority_active(x->db, x->s->account_id, x->s->scope_region,
	    &x->unit_name);
}

static int
exec_base_active(struct exec_ctx *x)
{
	return admins_base_active(x->db, x->s->account_id, x->s->base_code, &x->unit_name);
}

static int
exec_unit_active(struct exec_ctx *x)
{
	return admins_active(x->db, x->s->account_id, x->s->unit_code, &x->unit_name);
}

/*
 * An administrator's command: refused (message key refused, with the
 * usage) unless the session's key logged in the right kind of
 * administrator (may) who is still active (a reload may have disabled
 * it); then x->db is the connection it checked on.  Returns 0 to go on,
 * else the command's exit status.
 */
static int
exec_admin(struct exec_ctx *x, bool may, const char *refused, int (*active)(struct exec_ctx *))
{
	if (!may || !x->s->key_login)
		return exec_refused(x, refused);
	if (!exec_acquire(x))
		return 1;
	return active(x) == 1 ? 0 : exec_refused(x, refused);
}

/*
 * One attempt at command c for x's session: a connection, the check that
 * the session may still run it (a reload may have disabled its account),
 * the replica for a heavy read, then the command.  Returns its exit status;
 * what it printed is in x.
 */
static int
exec_attempt(struct exec_ctx *x, const struct exec_command *c)
{
	struct session *s = x->s;
	int rc;

	if (c->guest) {
		if (!exec_acquire(x))
			return 1;
		log_info("session %lu: exec %s from %s", s->serial, c->usage, s->peer);
		return c->run(x);
	}
	if (s->auth_unavailable) {
		/* The key could not be checked (session.h): not "need_admin", try later. */
		text_buf_printf(&x->out, "%s\n", message_get(s->lang, "auth_unavailable"));
		return 1;
	}
	if (c->person && s->key_login && s->account_id > 0 &&
	    (s->role == ROLE_STAFF || s->role == ROLE_UNIT_ADMIN)) {
		if (!exec_acquire(x))
			return 1;
		log_info("session %lu: exec %s (account %lld)", s->serial, c->usage,
		    (long long)s->account_id);
		return c->run(x);
	}
	if (c->authority)
		rc = exec_admin(x, s->role == ROLE_AUTHORITY && s->scope_region[0] != '\0',
		    "exec.need_authority", exec_authority_active);
	else if (c->base)
		rc = exec_admin(x, s->role == ROLE_BASE_ADMIN && s->base_code != NULL,
		    "exec.need_base_admin", exec_base_active);
	else
		rc = exec_admin(x, s->role == ROLE_UNIT_ADMIN && s->unit_code != NULL,
		    "exec.need_admin", exec_unit_active);
	if (rc != 0)
		return rc;
	if (c->replica && !rpc_read_switch(&x->db, x->cfg)) {
		if (x->db == NULL) {
			text_buf_printf(&x->out, "%s\n", message_get(s->lang, "database_unavailable"));
			return 1;
		}
		return exec_failed(x);
	}
	log_info("session %lu: exec %s%s (account %lld)%s", s->serial, c->usage,
	    x->csv ? " as CSV" : "", (long long)s->account_id,
	    db_from_replica(x->db) ? " from the replica" : "");
	return c->run(x);
}

/*
 * Whether the attempt in x failed because the database went away (or
 * turned read-only, or a replica failed) under it: its connection says so.
 * A connection that could not be had at all was waited for already.
 */
static bool
exec_cut_off(struct exec_ctx *x)
{
	return x->db != NULL && db_unavailable(x->db);
}

/* Forget a failed attempt: its connection, what it printed, its unit's name. */
static void
exec_forget(struct exec_ctx *x)
{
	db_release(x->db);	/* rolls back what it left open */
	x->db = NULL;
	x->out.len = x->err.len = 0;
	free(x->unit_name);
	x->unit_name = NULL;
}

/*
 * Run command c by the rule of RPC requests (rpc_run_retrying,
 * docs/design.md "Failover"): cut off by the database going away (a
 * failover, a replica failing), it runs once more on a new connection when
 * nothing of it can have been committed (db_request_retryable: a read, a
 * roster import cut off before its COMMIT) and nothing of its output has
 * gone to the client yet; otherwise what it printed is replaced by the
 * clear "service_interrupted" (it may have been saved: look first) or
 * "database_unavailable" (nothing was done: try again).  A command that
 * a read-only server refused waits RPC_READ_ONLY_PAUSE_MS first, as a
 * request does.
 */
static int
exec_run_retrying(struct exec_ctx *x, const struct exec_command *c)
{
	struct text_buf *say;
	bool read_only;
	int rc;

	db_request_start();
	if ((rc = exec_attempt(x, c)) == 0 || !exec_cut_off(x))
		return rc;
	if (db_request_retryable() && !x->streamed) {
		log_warning("session %lu: exec %s: the database went away under a command that "
		    "committed nothing; running it once more", x->s->serial, c->usage);
		read_only = db_read_only(x->db);
		exec_forget(x);
		if (read_only)
			rpc_read_only_pause();
		if ((rc = exec_attempt(x, c)) == 0 || !exec_cut_off(x))
			return rc;
	}
	read_only = db_read_only(x->db);
	exec_forget(x);
	say = x->streamed ? &x->err : &x->out;
	if (!db_request_retryable()) {
		log_warning("session %lu: exec %s: the database went away after the command "
		    "committed, or while it did: answered service_interrupted", x->s->serial,
		    c->usage);
		text_buf_printf(say, "%s\n", message_get(x->s->lang, "service_interrupted"));
	} else {
		text_buf_printf(say, "%s\n", message_get(x->s->lang,
		    read_only ? "database_read_only" : "database_unavailable"));
	}
	return 1;
}

int
exec_run(struct session *s, const char *command, const struct exec_stream *stream,
    char **out, size_t *len)
{
	return exec_run_input(s, command, stream, NULL, 0, false, out, len);
}

int
exec_run_input(struct session *s, const char *command, const struct exec_stream *stream,
    const char *input, size_t input_len, bool input_over, char **out, size_t *len)
{
	struct exec_ctx x = { .s = s, .cfg = config_current(), .stream = stream,
	    .input = (const unsigned char *)input, .input_len = input_len,
	    .input_over = input_over };
	const struct exec_command *c = NULL;
	const char *words[EXEC_ARGS_MAX + 2];
	char *line = NULL, *save = NULL, *w;
	int n = 0, rc = 1;

	if (strlen(command) > EXEC_COMMAND_MAX || !utf8_valid(command, strlen(command)))
		goto refuse;
	line = xstrdup(command);
	for (w = strtok_r(line, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		if (strcmp(w, "--csv") == 0)
			x.csv = true;
		else if (strcmp(w, "--bom") == 0)
			x.bom = x.csv = true;
		else if (n < EXEC_ARGS_MAX + 2)
			words[n++] = w;
		else
			goto refuse;
	}
	if (n == 0)
		goto refuse;
	/* The longest match: "queue titles" before "queue". */
	for (const struct exec_command *e = exec_commands; e->name != NULL; e++) {
		if (strcmp(e->name, words[0]) != 0)
			continue;
		if (e->sub != NULL && n > 1 && strcmp(e->sub, words[1]) == 0) {
			c = e;
			break;
		}
		if (e->sub == NULL && c == NULL)
			c = e;
	}
	if (c == NULL)
		goto refuse;
	for (int i = c->sub != NULL ? 2 : 1; i < n; i++) {
		if (x.nargs == EXEC_ARGS_MAX)	/* a command without a second word */
			goto refuse;
		x.args[x.nargs++] = words[i];
	}
	if (x.nargs < c->min_args || x.nargs > c->max_args)
		goto refuse;
	if (c->guest && !auth_source_allowed(x.cfg, s->source)) {
		/* No account: throttled per address, as guessing passwords is (auth.c). */
		text_buf_printf(&x.out, "%s\n", message_get(s->lang, "rate_limited"));
		goto out;
	}
	rc = exec_run_retrying(&x, c);
	goto out;

refuse:
	{
		char *shown = text_fit(command, 60);
		char *clean = text_sanitize(shown, false);

		text_buf_printf(&x.out, "%s: %s\n", message_get(s->lang, "exec.unknown"), clean);
		free(shown);
		free(clean);
	}
	exec_usage(&x);
	rc = 1;
out:
	if (x.err.len > 0) {
		/* What went wrong, on the standard error when the channel has one. */
		if (stream != NULL && stream->write_err != NULL)
			stream->write_err(stream->arg, x.err.data, x.err.len);
		else
			text_buf_add(&x.out, x.err.data, x.err.len);
	}
	free(x.err.data);
	free(x.unit_name);
	db_release(x.db);
	free(line);
	*len = x.out.len;
	*out = x.out.data != NULL ? x.out.data : xstrdup("");
	return rc;
}
