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
 * the table is also the help text.
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

#include "admins.h"
#include "completion.h"
#include "config.h"
#include "db.h"
#include "exec.h"
#include "forms.h"
#include "log.h"
#include "messages.h"
#include "session.h"
#include "text.h"
#include "xmalloc.h"

#define EXEC_DB_WAIT_MS		5000
#define EXEC_ARGS_MAX		8
#define EXEC_COMMAND_MAX	256	/* bytes of a command line */

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
	COL_SEX,	/* "1" / "0" → 男 / 女 */
	COL_BOOL,	/* "t" / "f" → 是 / 否 */
};

struct column {
	const char	*heading;	/* message key ("col.name") */
	enum column_kind kind;
	int		 sql;		/* result column for text output */
	int		 sql_csv;	/* ... for CSV (-1: the same), e.g. a fuller time */
};

struct exec_ctx {
	struct session	*s;
	const struct config *cfg;	/* in force when the command came */
	struct db_conn	*db;
	struct text_buf	 out;
	bool		 csv, bom;
	char		*unit_name;	/* of the administrator's unit */
	const char	*args[EXEC_ARGS_MAX];	/* after the command (and its subcommand) */
	int		 nargs;
};

/* The text of one cell as printed (localised, sanitised). Caller frees. */
static char *
cell_text(struct exec_ctx *x, const PGresult *r, int row, const struct column *c)
{
	int col = x->csv && c->sql_csv >= 0 ? c->sql_csv : c->sql;
	const char *v;

	if (PQgetisnull(r, row, col))
		return xstrdup("");
	v = PQgetvalue(r, row, col);
	switch (c->kind) {
	case COL_SEX:
		return xstrdup(message_get(x->s->lang, strcmp(v, "1") == 0 ? "exec.male" :
		    "exec.female"));
	case COL_BOOL:
		return xstrdup(message_get(x->s->lang, strcmp(v, "t") == 0 ? "exec.yes" :
		    "exec.no"));
	case COL_NUMBER:
	case COL_TEXT:
		break;
	}
	return text_sanitize(v, false);
}

/* One CSV field, RFC 4180; a text a spreadsheet would run as a formula gets a leading '. */
static void
csv_field(struct text_buf *b, const char *v, enum column_kind kind)
{
	text_buf_csv(b, v, kind == COL_TEXT && strchr("=+-@\t", v[0]) != NULL && v[0] != '\0');
}

/*
 * Print r as a table of cols: CSV, or text columns padded to the widest
 * cell (in terminal columns) and separated by two blanks.  Returns the
 * number of rows.
 */
static int
table_print(struct exec_ctx *x, const PGresult *r, const struct column *cols, int ncols)
{
	int rows = PQntuples(r);
	char **cells = xcalloc((size_t)(rows + 1) * ncols, sizeof *cells);
	int *width = xcalloc((size_t)ncols, sizeof *width);
	struct text_buf *b = &x->out;

	for (int c = 0; c < ncols; c++)
		cells[c] = xstrdup(message_get(x->s->lang, cols[c].heading));
	for (int i = 0; i < rows; i++) {
		for (int c = 0; c < ncols; c++)
			cells[(i + 1) * ncols + c] = cell_text(x, r, i, &cols[c]);
	}
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

/* The "共 N 条" line after a text table (none in CSV). */
static void
table_total(struct exec_ctx *x, int rows)
{
	if (x->csv)
		return;
	text_buf_printf(&x->out, message_get(x->s->lang, "exec.total"), rows);
	text_buf_add(&x->out, "\n", 1);
}

static int
exec_failed(struct exec_ctx *x)
{
	log_error("session %lu: exec: %s", x->s->serial, db_error_text(x->db));
	text_buf_printf(&x->out, "%s\n", message_get(x->s->lang, "exec.failed"));
	return 1;
}

static int
exec_not_available(struct exec_ctx *x)
{
	text_buf_printf(&x->out, "%s\n", message_get(x->s->lang, "exec.not_available"));
	return 1;
}

/*
 * Whether table (schema 003/004, written by other issues) exists in this
 * database: 0 when it does, otherwise what the command returns, after
 * saying why (the database failed, or the data is not there yet).
 */
static int
exec_need_table(struct exec_ctx *x, const char *table)
{
	DB_STMT(exec_regclass_stmt, "SELECT to_regclass($1) IS NOT NULL");
	const char *params[1] = { table };
	PGresult *r = db_exec(x->db, &exec_regclass_stmt, 1, params);
	bool have;

	if (r == NULL)
		return exec_failed(x);
	have = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return have ? 0 : exec_not_available(x);
}

/* Run a statement with the unit as $1 (and more), print its table. */
static int
exec_table(struct exec_ctx *x, struct db_stmt *st, int n, const char *const *params,
    const struct column *cols, int ncols)
{
	PGresult *r = db_exec(x->db, st, n, params);
	int rows;

	if (r == NULL)
		return exec_failed(x);
	rows = table_print(x, r, cols, ncols);
	PQclear(r);
	table_total(x, rows);
	return 0;
}

#define SHORT_TIME(col) \
	"to_char((" col ") AT TIME ZONE '" DB_TIME_ZONE "', 'YYYY-MM-DD HH24:MI')"

/* --- the commands ---------------------------------------------------------- */

static int exec_help(struct exec_ctx *x);

static int
exec_whoami(struct exec_ctx *x)
{
	DB_STMT(exec_whoami_stmt,
	    "SELECT a.id, a.id_number, a.name, a.unit_code, u.name"
	    " FROM accounts a JOIN units u ON u.code = a.unit_code WHERE a.id = $1");
	static const struct column cols[] = {
		{ "col.account", COL_NUMBER, 0, -1 },
		{ "col.id_number", COL_TEXT, 1, -1 },
		{ "col.name", COL_TEXT, 2, -1 },
		{ "col.unit_code", COL_TEXT, 3, -1 },
		{ "col.unit", COL_TEXT, 4, -1 },
	};
	char id[24];
	const char *params[1] = { id };
	PGresult *r;

	snprintf(id, sizeof id, "%lld", (long long)x->s->account_id);
	if ((r = db_exec(x->db, &exec_whoami_stmt, 1, params)) == NULL)
		return exec_failed(x);
	table_print(x, r, cols, 5);
	PQclear(r);
	if (!x->csv)
		text_buf_printf(&x->out, "%s: %s, %s\n", message_get(x->s->lang, "col.role"),
		    message_get(x->s->lang, "exec.role.unit_admin"),
		    message_get(x->s->lang, "login.key"));
	return 0;
}

/* queue: registrations waiting for the administrator, newest first (as review.registrations). */
static int
exec_queue(struct exec_ctx *x)
{
	DB_STMT(exec_queue_stmt,
	    "SELECT " SHORT_TIME("a.submitted_at") ", " DB_ISO_TIME("a.submitted_at") ","
	    " a.id_number, a.name, a.sex, d.name"
	    " FROM accounts a LEFT JOIN departments d ON d.id = a.department_id"
	    " WHERE a.unit_code = $1 AND a.state = 'pending'"
	    " ORDER BY a.submitted_at DESC, a.id DESC");
	static const struct column cols[] = {
		{ "col.submitted_at", COL_TEXT, 0, 1 },
		{ "col.id_number", COL_TEXT, 2, -1 },
		{ "col.name", COL_TEXT, 3, -1 },
		{ "col.sex", COL_SEX, 4, -1 },
		{ "col.department", COL_TEXT, 5, -1 },
	};
	const char *params[1] = { x->s->unit_code };

	return exec_table(x, &exec_queue_stmt, 1, params, cols, 5);
}

/* queue titles: title changes waiting for review (schema 004). */
static int
exec_queue_titles(struct exec_ctx *x)
{
	DB_STMT(exec_queue_titles_stmt,
	    "SELECT " SHORT_TIME("p.changed_at") ", " DB_ISO_TIME("p.changed_at") ","
	    " a.id_number, a.name, p.old_value, p.new_value"
	    " FROM profile_changes p JOIN accounts a ON a.id = p.account_id"
	    " WHERE p.unit_code = $1 AND p.state = 'pending' AND p.field = 'title'"
	    " ORDER BY p.changed_at DESC, p.id DESC");
	static const struct column cols[] = {
		{ "col.submitted_at", COL_TEXT, 0, 1 },
		{ "col.id_number", COL_TEXT, 2, -1 },
		{ "col.name", COL_TEXT, 3, -1 },
		{ "col.old_title", COL_TEXT, 4, -1 },
		{ "col.new_title", COL_TEXT, 5, -1 },
	};
	const char *params[1] = { x->s->unit_code };
	int rc;

	if ((rc = exec_need_table(x, "profile_changes")) != 0)
		return rc;
	return exec_table(x, &exec_queue_titles_stmt, 1, params, cols, 5);
}

/* queue declarations: declarations of hours waiting for review (schema 003). */
static int
exec_queue_declarations(struct exec_ctx *x)
{
	DB_STMT(exec_queue_decl_stmt,
	    "SELECT " SHORT_TIME("d.submitted_at") ", " DB_ISO_TIME("d.submitted_at") ","
	    " a.id_number, a.name, COALESCE(f.definition->>'name', d.form_code), d.year,"
	    " trim_scale(d.amount)::text, trim_scale(d.hours)::text"
	    " FROM declarations d JOIN accounts a ON a.id = d.account_id"
	    " LEFT JOIN learning_forms f ON f.id = d.form_id"
	    " WHERE d.unit_code = $1 AND d.state = 'pending'"
	    " ORDER BY d.submitted_at DESC, d.id DESC");
	static const struct column cols[] = {
		{ "col.submitted_at", COL_TEXT, 0, 1 },
		{ "col.id_number", COL_TEXT, 2, -1 },
		{ "col.name", COL_TEXT, 3, -1 },
		{ "col.form", COL_TEXT, 4, -1 },
		{ "col.year", COL_NUMBER, 5, -1 },
		{ "col.amount", COL_NUMBER, 6, -1 },
		{ "col.hours", COL_NUMBER, 7, -1 },
	};
	const char *params[1] = { x->s->unit_code };
	int rc;

	if ((rc = exec_need_table(x, "declarations")) != 0)
		return rc;
	return exec_table(x, &exec_queue_decl_stmt, 1, params, cols, 7);
}

/* staff: the unit's active staff, by department and name. */
static int
exec_staff(struct exec_ctx *x)
{
	DB_STMT(exec_staff_stmt,
	    "SELECT a.id_number, a.name, a.sex, d.name,"
	    " CASE WHEN t.id IS NULL THEN NULL ELSE t.series || ' / ' || t.name END,"
	    " a.phone, a.email"
	    " FROM accounts a LEFT JOIN departments d ON d.id = a.department_id"
	    " LEFT JOIN titles t ON t.id = a.title_id"
	    " WHERE a.unit_code = $1 AND a.state = 'active' AND a.role = 'staff'"
	    " ORDER BY d.name NULLS LAST, a.name, a.id_number");
	static const struct column cols[] = {
		{ "col.id_number", COL_TEXT, 0, -1 },
		{ "col.name", COL_TEXT, 1, -1 },
		{ "col.sex", COL_SEX, 2, -1 },
		{ "col.department", COL_TEXT, 3, -1 },
		{ "col.title", COL_TEXT, 4, -1 },
		{ "col.phone", COL_TEXT, 5, -1 },
		{ "col.email", COL_TEXT, 6, -1 },
	};
	const char *params[1] = { x->s->unit_code };

	return exec_table(x, &exec_staff_stmt, 1, params, cols, 7);
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
		{ "col.id_number", COL_TEXT, COMPLETION_COL_ID_NUMBER, -1 },
		{ "col.name", COL_TEXT, COMPLETION_COL_NAME, -1 },
		{ "col.department", COL_TEXT, COMPLETION_COL_DEPARTMENT, -1 },
		{ "col.public_hours", COL_NUMBER, COMPLETION_COL_PUBLIC, -1 },
		{ "col.professional_hours", COL_NUMBER, COMPLETION_COL_PROFESSIONAL, -1 },
		{ "col.total_hours", COL_NUMBER, COMPLETION_COL_TOTAL, -1 },
		{ "col.required_hours", COL_NUMBER, COMPLETION_COL_REQUIRED, -1 },
		{ "col.pending_hours", COL_NUMBER, COMPLETION_COL_PENDING, -1 },
		{ "col.complete", COL_BOOL, COMPLETION_COL_MET, -1 },
	};
	struct completion_query q = {
		.unit_code = x->s->unit_code, .sort = COMPLETION_SORT_DEPARTMENT,
	};
	struct completion_report rep;
	const struct config_requirement *req;
	char total[32], pro[32], pub[32];
	const char *y = x->nargs > 0 ? x->args[0] : NULL;
	int rc;

	if (y == NULL || strlen(y) != 4 || strspn(y, "0123456789") != 4 ||
	    atoi(y) < 1990 || atoi(y) > 2200) {
		text_buf_printf(&x->out, "%s\n", message_get(x->s->lang, "exec.bad_year"));
		return 1;
	}
	if ((rc = exec_need_table(x, "declaration_totals")) != 0)
		return rc;
	/* The caps of the forms the config has now (a reload may not be synced yet). */
	if (forms_current(x->db, x->cfg) == NULL)
		return exec_failed(x);
	q.year = atoi(y);
	if (completion_unit(x->db, x->cfg, &q, &rep) != 0)
		return exec_failed(x);
	table_print(x, rep.rows, cols, sizeof cols / sizeof cols[0]);
	req = rep.requirement;
	completion_format(req->total, total, sizeof total);
	completion_format(req->professional, pro, sizeof pro);
	completion_format(req->public, pub, sizeof pub);
	if (!x->csv) {
		if (x->s->lang == LANG_EN)
			text_buf_printf(&x->out, "%s, %d: %lld people, %lld complete (required: %s hours, "
			    "at least %s professional and %s public)\n", x->unit_name, q.year,
			    rep.staff, rep.met, total, pro, pub);
		else
			text_buf_printf(&x->out, "%s %d 年度：共 %lld 人，已完成 %lld 人（要求：合计不少于 %s "
			    "学时，其中专业科目不少于 %s、公需科目不少于 %s）\n", x->unit_name,
			    q.year, rep.staff, rep.met, total, pro, pub);
	}
	completion_report_free(&rep);
	return 0;
}

/* The commands, as the help lists them. */
static const struct exec_command {
	const char	*name;
	const char	*sub;		/* a second word, or NULL */
	const char	*usage;
	const char	*help;		/* message key */
	int		 min_args, max_args;
	int		(*run)(struct exec_ctx *);
} exec_commands[] = {
	{ "help", NULL, "help", "exec.help", 0, 0, exec_help },
	{ "whoami", NULL, "whoami", "exec.whoami", 0, 0, exec_whoami },
	{ "queue", NULL, "queue [--csv]", "exec.queue", 0, 0, exec_queue },
	{ "queue", "titles", "queue titles [--csv]", "exec.queue_titles", 0, 0,
	    exec_queue_titles },
	{ "queue", "declarations", "queue declarations [--csv]", "exec.queue_declarations",
	    0, 0, exec_queue_declarations },
	{ "staff", NULL, "staff [--csv]", "exec.staff", 0, 0, exec_staff },
	{ "report", NULL, "report YEAR [--csv]", "exec.report", 1, 1, exec_report },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL },
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

int
exec_run(struct session *s, const char *command, char **out)
{
	struct exec_ctx x = { .s = s, .cfg = config_current() };
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
	for (int i = c->sub != NULL ? 2 : 1; i < n; i++)
		x.args[x.nargs++] = words[i];
	if (x.nargs < c->min_args || x.nargs > c->max_args)
		goto refuse;
	if (s->auth_unavailable) {
		/* The key could not be checked (session.h): not "need_admin", try later. */
		text_buf_printf(&x.out, "%s\n", message_get(s->lang, "auth_unavailable"));
		goto out;
	}
	if (s->role != ROLE_UNIT_ADMIN || !s->key_login || s->unit_code == NULL)
		goto need_admin;
	if ((x.db = db_acquire(EXEC_DB_WAIT_MS)) == NULL) {
		text_buf_printf(&x.out, "%s\n", message_get(s->lang, "database_unavailable"));
		goto out;
	}
	/* Still an active administrator (a reload may have disabled it): admins.c. */
	if (admins_active(x.db, s->account_id, s->unit_code, &x.unit_name) != 1)
		goto need_admin;
	log_info("session %lu: exec %s%s (account %lld)", s->serial, c->usage,
	    x.csv ? " as CSV" : "", (long long)s->account_id);
	rc = c->run(&x);
	goto out;

need_admin:
	text_buf_printf(&x.out, "%s\n", message_get(s->lang, "exec.need_admin"));
	exec_usage(&x);
	rc = 1;
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
	free(x.unit_name);
	db_release(x.db);
	free(line);
	*out = x.out.data != NULL ? x.out.data : xstrdup("");
	return rc;
}
