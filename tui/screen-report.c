/*
 * screen-report.c - 完成情况统计: a unit administrator's completion report
 * for one year (completion.report): every active staff member of the unit
 * with 公需, 专业 and 合计 against the requirement, 达标 / 未达标, a page at
 * a time (keyset paging on the server's cursor).
 *
 * y chooses the year, s cycles the order and r reverses it, n shows only
 * those not met, d picks a department; the summary line (共 N 人，达标 X
 * 人) counts the whole report as the server says.  e exports the report
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

#include "app.h"
#include "text.h"
#include "xmalloc.h"

#define REPORT_PAGE	50
#define REPORT_SORTS	5
#define REPORT_PATH_MAX	1024

static const char *const report_sorts[REPORT_SORTS] = {
	"department", "name", "total", "public", "professional",
};

struct report_item {
	json_int_t	 account_id;
	char		*name;
	char		*id_number;
	char		*department;
	char		*public;
	char		*professional;
	char		*total;
	char		*met_label;
	bool		 met;
};

struct report {
	struct app	*app;
	int		 year;
	int		 sort;		/* index into report_sorts */
	bool		 desc;
	bool		 not_met_only;
	json_int_t	 department_id;	/* 0: every department */
	char		*department;	/* its name */
	struct report_item *items;
	size_t		 n, cap;
	char		*next;
	json_t		*summary;	/* the last page's summary */
	size_t		 cur, top;
	int		 rows;
	char		 message[512];
	bool		 message_error;
};

static void
report_say(struct report *r, const char *text, bool error)
{
	app_copy(r->message, sizeof r->message, text);
	r->message_error = error;
}

static const char *
report_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static const char *
report_sort_name(int sort)
{
	static const char *const names[REPORT_SORTS] = {
		N_("Dept."), N_("Name"), N_("Total"), N_("Public"), N_("Professional"),
	};

	return _(names[sort]);
}

/* The current year in China (UTC+8), whatever the client's time zone. */
static int
report_this_year(void)
{
	time_t now = time(NULL) + 8 * 3600;
	struct tm tm;

	gmtime_r(&now, &tm);
	return tm.tm_year + 1900;
}

static void
report_clear(struct report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->items[i].name);
		free(r->items[i].id_number);
		free(r->items[i].department);
		free(r->items[i].public);
		free(r->items[i].professional);
		free(r->items[i].total);
		free(r->items[i].met_label);
	}
	r->n = 0;
	free(r->next);
	r->next = NULL;
}

/* The filters and order every report call carries.  Returns a new object. */
static json_t *
report_params(struct report *r)
{
	json_t *params = json_pack("{s:i, s:s, s:b, s:b}", "year", r->year, "sort",
	    report_sorts[r->sort], "desc", r->desc, "not_met_only", r->not_met_only);

	if (r->department_id != 0)
		json_object_set_new(params, "department_id", json_integer(r->department_id));
	return params;
}

/* Read the report from the start (more: the next page, appended). */
static void
report_load(struct report *r, bool more)
{
	struct rpc_error err;
	json_t *params, *result, *item, *next;
	size_t i;

	if (more && r->next == NULL)
		return;
	params = report_params(r);
	json_object_set_new(params, "limit", json_integer(REPORT_PAGE));
	if (more)
		json_object_set_new(params, "after", json_string(r->next));
	if ((result = app_call(r->app, "completion.report", params, &err)) == NULL) {
		report_say(r, err.message, true);
		return;
	}
	if (!more) {
		report_clear(r);
		r->cur = r->top = 0;
	}
	json_array_foreach(json_object_get(result, "items"), i, item) {
		struct report_item *it;

		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 64;
			r->items = xrealloc(r->items, r->cap * sizeof *r->items);
		}
		it = &r->items[r->n++];
		it->account_id = json_integer_value(json_object_get(item, "account_id"));
		it->name = xstrdup(report_str(item, "name"));
		it->id_number = xstrdup(report_str(item, "id_number"));
		it->department = xstrdup(report_str(item, "department"));
		it->public = xstrdup(report_str(item, "public"));
		it->professional = xstrdup(report_str(item, "professional"));
		it->total = xstrdup(report_str(item, "total"));
		it->met_label = xstrdup(report_str(item, "met_label"));
		it->met = json_is_true(json_object_get(item, "met"));
	}
	free(r->next);
	next = json_object_get(result, "next");
	r->next = json_is_string(next) ? xstrdup(json_string_value(next)) : NULL;
	json_decref(r->summary);
	r->summary = json_incref(json_object_get(result, "summary"));
	if (r->cur >= r->n)
		r->cur = r->n > 0 ? r->n - 1 : 0;
	json_decref(result);
}

/* s right-aligned in cols columns at y, x. */
static void
report_put_right(int y, int x, int cols, const char *s, enum ui_style st)
{
	int w = text_width(s);

	ui_put(y, w < cols ? x + cols - w : x, cols, s, st, false);
}

static void
report_paint(void *arg)
{
	struct report *r = arg;
	json_t *req = json_object_get(r->summary, "requirement");
	int cn = 1, ci = cn + 12, cd = ci + 20, cs = COLS - 1 - 8, ct, cp2, cp1, cdw, y;
	char *info;

	ct = cs - 2 - 8;
	cp2 = ct - 2 - 8;
	cp1 = cp2 - 2 - 8;
	cdw = cp1 - 2 - cd;
	ui_header(_("Continuing Education · Completion report"));
	info = xasprintf(_("%s · Year (y): %d   Order (s/r): %s %s   Not met only (n): %s   "
	    "Department (d): %s"), app_me_unit_name(r->app), r->year, report_sort_name(r->sort),
	    r->desc ? "↓" : "↑", r->not_met_only ? _("yes") : _("no"),
	    r->department != NULL ? r->department : _("all"));
	ui_put(1, 1, COLS - 2, info, UI_HINT, false);
	free(info);
	if (json_is_object(r->summary)) {
		info = xasprintf(_("%lld staff: %lld met, %lld not met   Requirement: total %s, "
		    "professional %s, public %s"),
		    (long long)json_integer_value(json_object_get(r->summary, "staff")),
		    (long long)json_integer_value(json_object_get(r->summary, "met")),
		    (long long)json_integer_value(json_object_get(r->summary, "not_met")),
		    report_str(req, "total"), report_str(req, "professional"),
		    report_str(req, "public"));
		ui_put(2, 1, COLS - 2, info, UI_TITLE, false);
		free(info);
	}

	ui_put(3, cn, 10, _("Name"), UI_TITLE, false);
	ui_put(3, ci, 18, _("ID number"), UI_TITLE, false);
	ui_put(3, cd, cdw, _("Dept."), UI_TITLE, false);
	report_put_right(3, cp1, 8, _("Public"), UI_TITLE);
	report_put_right(3, cp2, 8, _("Professional"), UI_TITLE);
	report_put_right(3, ct, 8, _("Total"), UI_TITLE);
	ui_put(3, cs, 8, _("State"), UI_TITLE, false);
	r->rows = LINES - 7;
	if (r->rows < 1)
		r->rows = 1;
	if (r->cur < r->top)
		r->top = r->cur;
	if (r->cur >= r->top + (size_t)r->rows)
		r->top = r->cur - (size_t)r->rows + 1;
	for (int row = 0; row < r->rows && r->top + (size_t)row < r->n; row++) {
		size_t i = r->top + (size_t)row;
		struct report_item *it = &r->items[i];
		enum ui_style st = i == r->cur ? UI_SELECTED : UI_NORMAL;

		y = 4 + row;
		if (st == UI_SELECTED)
			ui_fill(y, 0, COLS, st);
		ui_put(y, cn, 10, it->name, st, false);
		ui_put(y, ci, 18, it->id_number, st, false);
		ui_put(y, cd, cdw, it->department, st, false);
		report_put_right(y, cp1, 8, it->public, st);
		report_put_right(y, cp2, 8, it->professional, st);
		report_put_right(y, ct, 8, it->total, st);
		ui_put(y, cs, 8, it->met_label, st == UI_NORMAL && !it->met ? UI_ERROR : st, false);
	}
	if (r->n == 0)
		ui_put_center(4 + r->rows / 2, 0, COLS, _("Nobody in this report."), UI_HINT);
	info = xasprintf(_("%zu shown%s"), r->n, r->next != NULL ? _("; PgDn loads more") : "");
	ui_put(LINES - 3, 1, COLS - 2, info, UI_HINT, false);
	free(info);
	ui_message_line(r->message, r->message_error);
	app_status(r->app, _("Enter: years  y: year  s/r: order  n: not met  d: department  "
	    "e: export CSV  Esc: back"));
}

static void
report_move(struct report *r, long step)
{
	if (step > 0 && r->cur + (size_t)step >= r->n && r->next != NULL)
		report_load(r, true);
	if (r->n == 0)
		return;
	if (step < 0)
		r->cur = (size_t)-step > r->cur ? 0 : r->cur - (size_t)-step;
	else
		r->cur = r->cur + (size_t)step >= r->n ? r->n - 1 : r->cur + (size_t)step;
}

/* y: ask for the year; the server says when it is out of range. */
static void
report_pick_year(struct report *r)
{
	char *text, *answer, *end;
	long year;

	text = xasprintf(_("The year of the report (now %d)."), r->year);
	answer = ui_prompt(_("Year"), text, _("Calendar year"), 4);
	free(text);
	if (answer == NULL)
		return;
	year = strtol(answer, &end, 10);
	if (*answer == '\0' || *end != '\0' || year < 1 || year > 9999) {
		report_say(r, _("A year is four digits, such as 2026."), true);
	} else {
		int before = r->year;

		r->year = (int)year;
		report_say(r, "", false);
		report_load(r, false);
		/* The server refused the year: keep showing the one before. */
		if (r->message_error)
			r->year = before;
	}
	free(answer);
}

static void
report_add_department(struct ui_picker *p, json_t *item)
{
	char id[32];

	snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(item, "id")));
	ui_picker_add(p, id, report_str(item, "name"), NULL);
}

/* The unit's departments (ref.departments), after "all departments". */
static int
report_fetch_departments(struct ui_picker *p, const char *filter, const char *after)
{
	struct report *r = p->arg;
	struct rpc_error err;
	json_t *result, *item;
	const char *unit = report_str(json_object_get(json_object_get(r->app->me, "account"),
	    "unit"), "code");
	size_t i;

	(void)filter;
	(void)after;
	if ((result = app_call(r->app, "ref.departments", json_pack("{s:s}", "unit", unit),
	    &err)) == NULL) {
		ui_picker_fail(p, err.message);
		return -1;
	}
	ui_picker_add(p, "0", _("All departments"), NULL);
	json_array_foreach(json_object_get(result, "items"), i, item)
		report_add_department(p, item);
	ui_picker_set_next(p, NULL);
	json_decref(result);
	return 0;
}

/* d: choose the department filter. */
static void
report_pick_department(struct report *r)
{
	struct ui_picker p;
	long chosen;

	ui_picker_init(&p, _("Department"), report_fetch_departments, r, false);
	chosen = ui_picker_run(&p, NULL);
	if (chosen >= 0) {
		r->department_id = strtoll(p.items[chosen].key, NULL, 10);
		free(r->department);
		r->department = r->department_id != 0 ? xstrdup(p.items[chosen].label) : NULL;
		report_load(r, false);
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

/* Enter: the person's years (completion.person) in a pager. */
static int
report_person(struct report *r)
{
	const char *heads[7] = {
		_("Calendar year"), _("Public"), _("Professional"), _("Total"), _("Required"),
		_("Pending review"), _("State"),
	};
	const int widths[7] = { 6, 8, 8, 8, 8, 8, 8 };
	struct rpc_error err;
	json_t *res, *acc, *y;
	char *text = NULL, *line, *cell, *joined, year[16];
	size_t i;
	int rc = 0;

	if (r->n == 0)
		return 0;
	res = app_call(r->app, "completion.person", json_pack("{s:I}", "account_id",
	    r->items[r->cur].account_id), &err);
	if (res == NULL) {
		report_say(r, err.message, true);
		return 0;
	}
	acc = json_object_get(res, "account");
	app_append_row(&text, _("Name"), 10, report_str(acc, "name"));
	app_append_row(&text, _("ID number"), 10, report_str(acc, "id_number"));
	app_append_row(&text, _("Dept."), 10, report_str(acc, "department"));
	line = xstrdup("\n");
	for (int c = 0; c < 7; c++) {
		cell = report_pad(heads[c], widths[c], c != 0 && c != 6);
		joined = xasprintf("%s%s  ", line, cell);
		free(cell);
		free(line);
		line = joined;
	}
	joined = xasprintf("%s%s\n", text, line);
	free(text);
	free(line);
	text = joined;
	json_array_foreach(json_object_get(res, "years"), i, y) {
		const char *vals[7];

		snprintf(year, sizeof year, "%lld",
		    (long long)json_integer_value(json_object_get(y, "year")));
		vals[0] = year;
		vals[1] = report_str(y, "public");
		vals[2] = report_str(y, "professional");
		vals[3] = report_str(y, "total");
		vals[4] = report_str(json_object_get(y, "requirement"), "total");
		vals[5] = report_str(y, "pending");
		vals[6] = report_str(y, "met_label");
		line = xstrdup("");
		for (int c = 0; c < 7; c++) {
			cell = report_pad(vals[c], widths[c], c != 0 && c != 6);
			joined = xasprintf("%s%s  ", line, cell);
			free(cell);
			free(line);
			line = joined;
		}
		joined = xasprintf("%s%s\n", text, line);
		free(text);
		free(line);
		text = joined;
	}
	if (ui_pager(report_str(acc, "name"), text, NULL, NULL) < 0)
		rc = -1;
	free(text);
	json_decref(res);
	return rc;
}

/* "~/x" as $HOME/x.  Caller frees. */
static char *
report_expand(const char *path)
{
	const char *home = getenv("HOME");

	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0') && home != NULL)
		return xasprintf("%s%s", home, path + 1);
	return xstrdup(path);
}

/* Write all of len bytes; false on an error. */
static bool
report_write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += w;
		len -= (size_t)w;
	}
	return true;
}

/*
 * e: the report with the current filters and order as CSV in a local file
 * the user names, piece by piece (completion.report_csv until next is
 * null).  A failed export leaves no partial file behind.  Over --fd there
 * is no local disk: says how to get the file with ssh instead.
 */
static void
report_export(struct report *r)
{
	struct rpc_error err;
	json_t *params, *res = NULL, *next;
	char *deflt, *text, *path = NULL, *full = NULL, *tmp, *after = NULL;
	long long rows = 0;
	const char *csv;
	struct stat st;
	int fd = -1;
	bool ok = false, created = false;

	deflt = xasprintf(_("completion-%d.csv"), r->year);
	if (r->app->connect == NULL) {
		text = xasprintf(_("This terminal is served by the server itself, so it cannot save "
		    "a file on your computer. On your own computer, run:\n\n  ssh -p PORT %s@HOST "
		    "report %d --csv > %s"), app_me_string(r->app, "id_number"), r->year, deflt);
		ui_message(_("Export"), text);
		free(text);
		free(deflt);
		return;
	}
	text = xasprintf(_("Save the %d report as CSV to a file on this computer (empty: %s in "
	    "the current directory)."), r->year, deflt);
	path = ui_prompt(_("Export"), text, _("File"), REPORT_PATH_MAX);
	free(text);
	if (path == NULL)
		goto out;
	full = report_expand(*path != '\0' ? path : deflt);
	if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
		tmp = xasprintf("%s/%s", full, deflt);
		free(full);
		full = tmp;
	}
	if (stat(full, &st) == 0) {
		text = xasprintf(_("%s exists. Replace it?"), full);
		if (!ui_confirm(_("Export"), text)) {
			free(text);
			goto out;
		}
		free(text);
	}
	if ((fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		text = xasprintf(_("cannot write %s: %s"), full, strerror(errno));
		ui_message(_("Export"), text);
		free(text);
		goto out;
	}
	created = true;
	for (;;) {
		params = report_params(r);
		if (after != NULL)
			json_object_set_new(params, "after", json_string(after));
		if ((res = app_call(r->app, "completion.report_csv", params, &err)) == NULL) {
			if (!r->app->restart)
				ui_message(_("Export"), err.message);
			goto out;
		}
		csv = report_str(res, "csv");
		if (!report_write_all(fd, csv, strlen(csv))) {
			text = xasprintf(_("cannot write %s: %s"), full, strerror(errno));
			ui_message(_("Export"), text);
			free(text);
			goto out;
		}
		rows += (long long)json_integer_value(json_object_get(res, "rows"));
		free(after);
		after = NULL;
		next = json_object_get(res, "next");
		if (json_is_string(next))
			after = xstrdup(json_string_value(next));
		json_decref(res);
		res = NULL;
		if (after == NULL)
			break;
	}
	if (close(fd) != 0) {
		fd = -1;
		text = xasprintf(_("cannot write %s: %s"), full, strerror(errno));
		ui_message(_("Export"), text);
		free(text);
		goto out;
	}
	fd = -1;
	ok = true;
	text = xasprintf(_("Saved %s (%lld rows)."), full, rows);
	report_say(r, text, false);
	ui_message(_("Export"), text);
	free(text);
out:
	if (fd >= 0)
		close(fd);
	/* open() created or emptied it: no half a report left behind. */
	if (!ok && created)
		unlink(full);
	json_decref(res);
	free(after);
	free(full);
	free(path);
	free(deflt);
}

enum screen_id
screen_report_run(struct app *a)
{
	struct report r = { .app = a, .year = report_this_year() };
	struct ui_event ev;
	enum screen_id next = SCREEN_HOME;
	long page;

	ui_set_backdrop(report_paint, &r);
	report_load(&r, false);
	for (;;) {
		ui_repaint();
		ui_next_event(&ev);
		if (ev.type == UI_EV_QUIT || ui_is_quit_key(&ev) || a->restart) {
			next = SCREEN_QUIT;
			break;
		}
		page = r.rows > 1 ? r.rows - 1 : 1;
		if (ev.type == UI_EV_CHAR) {
			switch (ev.ch) {
			case 'j':
				report_move(&r, 1);
				break;
			case 'k':
				report_move(&r, -1);
				break;
			case 'y':
				report_pick_year(&r);
				break;
			case 's':
				r.sort = (r.sort + 1) % REPORT_SORTS;
				report_say(&r, "", false);
				report_load(&r, false);
				break;
			case 'r':
			case 'S':
				r.desc = !r.desc;
				report_say(&r, "", false);
				report_load(&r, false);
				break;
			case 'n':
				r.not_met_only = !r.not_met_only;
				report_say(&r, "", false);
				report_load(&r, false);
				break;
			case 'd':
				report_say(&r, "", false);
				report_pick_department(&r);
				break;
			case 'e':
				report_say(&r, "", false);
				report_export(&r);
				break;
			case 'q':
				goto out;
			}
			if (a->restart) {
				next = SCREEN_QUIT;
				break;
			}
			continue;
		}
		if (ev.type != UI_EV_KEY)
			continue;
		switch (ev.key) {
		case UI_KEY_ESC:
			goto out;
		case KEY_DOWN:
			report_move(&r, 1);
			break;
		case KEY_UP:
			report_move(&r, -1);
			break;
		case KEY_NPAGE:
			report_move(&r, page);
			break;
		case KEY_PPAGE:
			report_move(&r, -page);
			break;
		case KEY_HOME:
			r.cur = 0;
			break;
		case KEY_END:
			r.cur = r.n > 0 ? r.n - 1 : 0;
			break;
		case KEY_F(5):
			report_say(&r, "", false);
			report_load(&r, false);
			break;
		case UI_KEY_ENTER:
			report_say(&r, "", false);
			if (report_person(&r) < 0) {
				next = SCREEN_QUIT;
				goto out;
			}
			break;
		}
		if (a->restart) {
			next = SCREEN_QUIT;
			break;
		}
	}
out:
	ui_set_backdrop(NULL, NULL);
	report_clear(&r);
	free(r.items);
	free(r.department);
	json_decref(r.summary);
	return next;
}
