/*
 * screen-report.c - 完成情况统计: a unit administrator's completion report
 * for one year (completion.report): every active staff member of the unit
 * with 公需, 专业 and 合计 against the requirement, 达标 / 未达标, a page at
 * a time (keyset paging on the server's cursor).
 *
 * y chooses the year, s cycles the order and r reverses it, n shows only
 * those not met, d picks a department; the summary line (共 N 人，达标 X
 * 人) counts the whole report as the server says, and ends in 数据截至
 * HH:MM:SS（只读副本） when a replica served it (app_freshness).  e exports the report
 * with the same filters to a CSV file on this computer (completion.
 * report_csv, piece by piece, written as the bytes come: the server's
 * UTF-8 with its byte-order mark).  Enter shows the person's years
 * (completion.person).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "keys.h"
#include "queue.h"
#include "text.h"
#include "xmalloc.h"



/* The report's filters and order, and what the server counted. */
struct report {
	int		 year;
	int		 sort;		/* index into report_sorts */
	bool		 desc;
	bool		 not_met_only;
	json_int_t	 department_id;	/* 0: every department */
	char		*department;	/* its name */
	json_t		*summary;	/* the last page's summary */
	char		*fresh;		/* the last page's app_freshness, NULL: of now */
};

enum report_column { REPORT_NAME, REPORT_ID, REPORT_DEPT, REPORT_PUBLIC,
	REPORT_PROFESSIONAL, REPORT_TOTAL, REPORT_STATE };

static const struct queue_column report_columns[] = {
	[REPORT_NAME] = { N_("Name"), 6, 10, false },
	[REPORT_ID] = { N_("ID number"), 18, 18, false },
	[REPORT_DEPT] = { N_("Dept."), 8, 0, false },
	[REPORT_PUBLIC] = { N_("Public"), 6, 8, true },
	[REPORT_PROFESSIONAL] = { N_("Professional"), 6, 8, true },
	[REPORT_TOTAL] = { N_("Total"), 6, 8, true },
	[REPORT_STATE] = { N_("State"), 6, 8, false },
};

/* A record's field of each column, which is also the server's word for that order. */
static const char *const report_fields[] = {
	[REPORT_NAME] = "name", [REPORT_ID] = "id_number", [REPORT_DEPT] = "department",
	[REPORT_PUBLIC] = "public", [REPORT_PROFESSIONAL] = "professional",
	[REPORT_TOTAL] = "total", [REPORT_STATE] = "met_label",
};

/* The orders s cycles through, by column. */
static const enum report_column report_sorts[] = {
	REPORT_DEPT, REPORT_NAME, REPORT_TOTAL, REPORT_PUBLIC, REPORT_PROFESSIONAL,
};
#define REPORT_SORTS	(int)(sizeof report_sorts / sizeof report_sorts[0])


/* The current year in China (UTC+8), whatever the client's time zone. */
static int
report_this_year(void)
{
	time_t now = time(NULL) + 8 * 3600;
	struct tm tm;

	gmtime_r(&now, &tm);
	return tm.tm_year + 1900;
}

/* The filters and order every report call carries.  Returns a new object. */
static json_t *
report_params(struct report *r)
{
	json_t *params = json_pack("{s:i, s:s, s:b, s:b}", "year", r->year, "sort",
	    report_fields[report_sorts[r->sort]], "desc", r->desc, "not_met_only", r->not_met_only);

	if (r->department_id != 0)
		json_object_set_new(params, "department_id", json_integer(r->department_id));
	return params;
}

static void
report_page_params(struct queue *q, json_t *params)
{
	json_t *mine = report_params(q->arg);

	json_object_update(params, mine);
	json_decref(mine);
}

static void
report_loaded(struct queue *q, json_t *result, bool more)
{
	struct report *r = q->arg;

	(void)more;
	json_decref(r->summary);
	r->summary = json_incref(json_object_get(result, "summary"));
	free(r->fresh);
	r->fresh = app_freshness(result);
}

static void
report_paint_head(struct queue *q)
{
	struct report *r = q->arg;
	json_t *req = json_object_get(r->summary, "requirement");
	char *info;

	info = xasprintf(_("%s · Year (y): %d   Order (s/r): %s %s   Not met only (n): %s   "
	    "Department (d): %s"), app_me_unit_name(q->app), r->year, _(report_columns[report_sorts[r->sort]].title),
	    r->desc ? "↓" : "↑", r->not_met_only ? _("yes") : _("no"),
	    r->department != NULL ? r->department : _("all"));
	ui_put(1, 1, COLS - 2, info, UI_HINT, false);
	free(info);
	if (!json_is_object(r->summary))
		return;
	info = xasprintf(_("%lld staff: %lld met, %lld not met   Requirement: total %s, "
	    "professional %s, public %s"),
	    (long long)json_integer_value(json_object_get(r->summary, "staff")),
	    (long long)json_integer_value(json_object_get(r->summary, "met")),
	    (long long)json_integer_value(json_object_get(r->summary, "not_met")),
	    app_json_str(req, "total"), app_json_str(req, "professional"),
	    app_json_str(req, "public"));
	ui_put_tail(2, 1, COLS - 2, info, UI_TITLE, r->fresh, UI_HINT);
	free(info);
}

static char *
report_cell(struct queue *q, json_t *item, size_t col, int width, enum ui_style *style)
{

	(void)q;
	(void)width;
	if (col == REPORT_STATE && *style == UI_NORMAL &&
	    !json_is_true(json_object_get(item, "met")))
		*style = UI_ERROR;
	return xstrdup(app_json_str(item, report_fields[col]));
}

/* y: ask for the year; the server says when it is out of range. */
static void
report_pick_year(struct queue *q)
{
	struct report *r = q->arg;
	char *text, *answer, *end;
	long year;

	text = xasprintf(_("The year of the report (now %d)."), r->year);
	answer = ui_prompt(_("Year"), text, _("Calendar year"), 4);
	free(text);
	if (answer == NULL)
		return;
	year = strtol(answer, &end, 10);
	if (*answer == '\0' || *end != '\0' || year < 1 || year > 9999) {
		queue_say(q, _("A year is four digits, such as 2026."), true);
	} else {
		int before = r->year;

		r->year = (int)year;
		queue_refilter(q);
		/* The server refused the year: keep showing the one before. */
		if (q->message_error)
			r->year = before;
	}
	free(answer);
}

/* The unit's departments (ref.departments), after "all departments". */
static int
report_fetch_departments(struct ui_picker *p, const char *filter, const char *after)
{
	struct queue *q = p->arg;
	struct rpc_error err;
	json_t *result, *item;
	const char *unit = app_json_str(json_object_get(json_object_get(q->app->me, "account"),
	    "unit"), "code");
	size_t i;

	(void)filter;
	(void)after;
	if ((result = app_call(q->app, "ref.departments", json_pack("{s:s}", "unit", unit),
	    &err)) == NULL) {
		ui_picker_fail(p, err.message);
		return -1;
	}
	ui_picker_add(p, "0", _("All departments"), NULL);
	json_array_foreach(json_object_get(result, "items"), i, item) {
		char *id = xasprintf("%lld", (long long)json_integer_value(json_object_get(item,
		    "id")));

		ui_picker_add(p, id, app_json_str(item, "name"), NULL);
		free(id);
	}
	ui_picker_set_next(p, NULL);
	json_decref(result);
	return 0;
}

/* d: choose the department filter. */
static void
report_pick_department(struct queue *q)
{
	struct report *r = q->arg;
	struct ui_picker p;
	long chosen;

	ui_picker_init(&p, _("Department"), report_fetch_departments, q, false);
	chosen = ui_picker_run(&p, NULL);
	if (chosen >= 0) {
		r->department_id = strtoll(p.items[chosen].key, NULL, 10);
		free(r->department);
		r->department = r->department_id != 0 ? xstrdup(p.items[chosen].label) : NULL;
		queue_refilter(q);
	}
	ui_picker_free(&p);
}

/* "a" padded with spaces to cols columns (left: right-aligned).  Caller frees. */
static char *
report_pad(const char *s, int cols, bool left)
{
	char *clean = text_sanitize(s, false), *out;
	int pad = cols - text_width(clean);

	if (pad < 0)
		pad = 0;
	out = left ? xasprintf("%*s%s", pad, "", clean) : xasprintf("%s%*s", clean, pad, "");
	free(clean);
	return out;
}

#define REPORT_YEAR_CELLS	7

/* A line of the person's years: cells padded to widths, the numbers on the right. */
static void
report_person_line(char **text, const char *const *cells, const int *widths)
{
	for (int c = 0; c < REPORT_YEAR_CELLS; c++) {
		char *cell = report_pad(cells[c], widths[c], c != 0 && c != REPORT_YEAR_CELLS - 1);

		app_appendf(text, "%s  ", cell);
		free(cell);
	}
	app_appendf(text, "\n");
}

/* Enter: the person's years (completion.person) in a pager. */
static int
report_person(struct queue *q, json_t *item)
{
	const char *heads[REPORT_YEAR_CELLS] = {
		_("Calendar year"), _("Public"), _("Professional"), _("Total"), _("Required"),
		_("Pending review"), _("State"),
	};
	int widths[REPORT_YEAR_CELLS];
	struct rpc_error err;
	json_t *res, *acc, *y;
	char *text = NULL, year[16];
	size_t i;
	int rc = 0;

	res = app_call(q->app, "completion.person", json_pack("{s:I}", "account_id",
	    json_integer_value(json_object_get(item, "account_id"))), &err);
	if (res == NULL) {
		queue_say(q, err.message, true);
		return q->app->restart ? -1 : 0;
	}
	/* Each column as wide as its heading in the current language, 8 at least. */
	for (int c = 0; c < REPORT_YEAR_CELLS; c++)
		widths[c] = text_width(heads[c]) > 8 ? text_width(heads[c]) : 8;
	acc = json_object_get(res, "account");
	app_append_row(&text, _("Name"), 10, app_json_str(acc, "name"));
	app_append_row(&text, _("ID number"), 10, app_json_str(acc, "id_number"));
	app_append_row(&text, _("Dept."), 10, app_json_str(acc, "department"));
	app_appendf(&text, "\n");
	report_person_line(&text, heads, widths);
	json_array_foreach(json_object_get(res, "years"), i, y) {
		const char *vals[REPORT_YEAR_CELLS] = {
			year, app_json_str(y, "public"), app_json_str(y, "professional"),
			app_json_str(y, "total"),
			app_json_str(json_object_get(y, "requirement"), "total"),
			app_json_str(y, "pending"), app_json_str(y, "met_label"),
		};

		snprintf(year, sizeof year, "%lld",
		    (long long)json_integer_value(json_object_get(y, "year")));
		report_person_line(&text, vals, widths);
	}
	if (ui_pager(app_json_str(acc, "name"), text, NULL, NULL) < 0)
		rc = -1;
	free(text);
	json_decref(res);
	return rc;
}

/*
 * e: the report with the current filters and order as CSV in a local file
 * the user names, piece by piece (completion.report_csv until next is
 * null; app_export_csv).  Over --fd there is no local disk: says how to
 * get the file with ssh instead.
 */
static void
report_export(struct queue *q)
{
	struct report *r = q->arg;
	char *deflt, *text;

	deflt = xasprintf(_("completion-%d.csv"), r->year);
	if (q->app->connect == NULL) {
		text = xasprintf(_("This terminal is served by the server itself, so it cannot save "
		    "a file on your computer. On your own computer, run:\n\n  ssh -p PORT %s@HOST "
		    "report %d --csv > %s"), app_me_string(q->app, "id_number"), r->year, deflt);
		ui_message(_("Export"), text);
		free(text);
		free(deflt);
		return;
	}
	text = xasprintf(_("Save the %d report as CSV to a file on this computer (empty: %s in "
	    "the current directory)."), r->year, deflt);
	app_export_csv(q->app, "completion.report_csv", report_params(r), text, deflt, q->message,
	    sizeof q->message, &q->message_error);
	free(text);
	free(deflt);
}

/* Enter: the person's years. */
static int
report_detail(struct queue *q, json_t *item)
{
	return report_person(q, item);
}

/* The report's own keys: year, order, not met only, department, export. */
static int
report_key(struct queue *q, const struct ui_event *ev)
{
	struct report *r = q->arg;

	if (ev->type != UI_EV_CHAR || ev->ch == 0 || ev->ch > 0x7f ||
	    strchr("ysrSnde", (int)ev->ch) == NULL)
		return 0;
	queue_say(q, "", false);
	switch (ev->ch) {
	case 'y':
		report_pick_year(q);
		return 1;
	case 'd':
		report_pick_department(q);
		return 1;
	case 'e':
		report_export(q);
		return 1;
	case 's':
		r->sort = (r->sort + 1) % REPORT_SORTS;
		break;
	case 'n':
		r->not_met_only = !r->not_met_only;
		break;
	default:
		r->desc = !r->desc;
	}
	queue_refilter(q);
	return 1;
}

static const struct queue_ops report_ops = {
	.header = N_("Continuing Education · Completion report"),
	.method = "completion.report",
	.id_key = "account_id",
	.columns = report_columns,
	.ncolumns = sizeof report_columns / sizeof report_columns[0],
	.head_lines = 2,
	.empty = N_("Nobody in this report."),
	.hints = N_("Enter: years  y: year  s/r: order  n: not met  d: department  "
	    "e: export CSV  Esc: back"),
	.keys = report_keys,
	.params = report_page_params,
	.loaded = report_loaded,
	.paint_head = report_paint_head,
	.cell = report_cell,
	.detail = report_detail,
	.key = report_key,
};

enum screen_id
screen_report_run(struct app *a)
{
	struct report r = { .year = report_this_year() };
	enum screen_id next = queue_run(&report_ops, a, &r);

	free(r.department);
	free(r.fresh);
	json_decref(r.summary);
	return next;
}
