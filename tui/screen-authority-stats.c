/*
 * screen-authority-stats.c - 继续教育完成情况统计: the authority's
 * completion statistics of a year (stats.completion), one level at a time:
 * the province by city, a city by unit, a unit by department, a department
 * by person.  A city's administrator starts at their city's units.
 *
 * Each level is a queue (tui/queue.c) of the server's rows with 应统计人数,
 * 达标, 未达标, 达标率, 人均学时, 公需, 专业 and 待审核, the level's summary
 * above them and a breadcrumb (河南省 › 郑州市 › 单位) saying where it is.
 * Enter opens the row's level below; Esc or Backspace comes back up with
 * the cursor where it was, the level read again.  ←/→ (or y) change the
 * year for every level, s cycles the order and r reverses it, f shows only
 * the rows whose met rate is below a percentage.  t draws the met rate of
 * the row (a city or unit) over the years as a bar chart (stats.trend), T
 * that of the level itself; e exports the level as CSV (stats.csv).
 *
 * The figures are the server's: counts as integers, hours as decimal text,
 * the rate as a number; the screen only lays them out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "authority.h"
#include "keys.h"
#include "queue.h"
#include "text.h"
#include "xmalloc.h"

/* The trend's bars are this many columns at 100 %, fewer only when a line would not fit. */
#define ASTATS_BAR_COLS	40

/* What every level of one run shares: the year and the rate filter. */
struct astats_view {
	int		 year;
	double		 below;		/* rows whose rate is below it; 0: every row */
	bool		 unicode;	/* block characters and "›"; else ASCII */
};

enum astats_by { ASTATS_CITY, ASTATS_UNIT, ASTATS_DEPARTMENT, ASTATS_PERSON };

/* The server's word for each level (stats.completion's `by`). */
static const char *const astats_by_words[] = {
	[ASTATS_CITY] = "city", [ASTATS_UNIT] = "unit", [ASTATS_DEPARTMENT] = "department",
	[ASTATS_PERSON] = "person",
};

/* One level: what it shows, where it came from, and its order. */
struct astats_level {
	struct astats_view *view;
	const struct astats_level *up;	/* the level it was opened from; NULL: the top */
	enum astats_by	 by;
	char		*code;		/* the city (by unit) or unit (by department, person) */
	json_int_t	 department_id;	/* by person: the department (0: none) */
	char		*name;		/* the place shown: 河南省, 郑州市, a unit, a department */
	int		 sort;		/* index into the level's orders */
	bool		 desc;
	json_t		*page;		/* the last page's result (summary, requirement) */
};

/* ---- columns ----------------------------------------------------------------------- */

enum astats_column { AS_NAME, AS_STAFF, AS_MET, AS_NOT_MET, AS_RATE, AS_AVG, AS_PUBLIC,
	AS_PROFESSIONAL, AS_PENDING };

/* The columns of a level of places; only the first heading differs. */
#define ASTATS_PLACE_COLUMNS(first) { \
	[AS_NAME] = { first, 8, 0, false }, \
	[AS_STAFF] = { N_("Staff"), 4, 9, true }, \
	[AS_MET] = { N_("Met"), 3, 9, true }, \
	[AS_NOT_MET] = { N_("Not met"), 3, 9, true }, \
	[AS_RATE] = { N_("Rate"), 5, 7, true }, \
	[AS_AVG] = { N_("Avg h"), 4, 7, true }, \
	[AS_PUBLIC] = { N_("Pub."), 4, 7, true }, \
	[AS_PROFESSIONAL] = { N_("Prof."), 4, 7, true }, \
	[AS_PENDING] = { N_("Pend."), 4, 9, true }, \
}

static const struct queue_column astats_city_columns[] = ASTATS_PLACE_COLUMNS(N_("City"));
static const struct queue_column astats_unit_columns[] = ASTATS_PLACE_COLUMNS(N_("Unit name"));
static const struct queue_column astats_dept_columns[] = ASTATS_PLACE_COLUMNS(N_("Dept."));

/* A row's field of each column. */
static const char *const astats_fields[] = {
	[AS_NAME] = "name", [AS_STAFF] = "staff", [AS_MET] = "met", [AS_NOT_MET] = "not_met",
	[AS_RATE] = "rate", [AS_AVG] = "avg_total", [AS_PUBLIC] = "avg_public",
	[AS_PROFESSIONAL] = "avg_professional", [AS_PENDING] = "pending",
};

/* The orders s cycles through (the server's words), the column each names. */
static const struct { const char *word; enum astats_column column; } astats_sorts[] = {
	{ "name", AS_NAME }, { "rate", AS_RATE }, { "staff", AS_STAFF }, { "met", AS_MET },
	{ "avg_total", AS_AVG }, { "pending", AS_PENDING },
};
#define ASTATS_SORTS	(int)(sizeof astats_sorts / sizeof astats_sorts[0])

enum astats_person_column { AP_NAME, AP_ID, AP_DEPT, AP_PUBLIC, AP_PROFESSIONAL, AP_TOTAL,
	AP_PENDING, AP_STATE };

static const struct queue_column astats_person_columns[] = {
	[AP_NAME] = { N_("Name"), 6, 10, false },
	[AP_ID] = { N_("ID number"), 18, 18, false },
	[AP_DEPT] = { N_("Dept."), 6, 0, false },
	[AP_PUBLIC] = { N_("Pub."), 4, 7, true },
	[AP_PROFESSIONAL] = { N_("Prof."), 4, 7, true },
	[AP_TOTAL] = { N_("Total"), 4, 7, true },
	[AP_PENDING] = { N_("Pend."), 4, 7, true },
	[AP_STATE] = { N_("State"), 4, 8, false },
};

static const char *const astats_person_fields[] = {
	[AP_NAME] = "name", [AP_ID] = "id_number", [AP_DEPT] = "department",
	[AP_PUBLIC] = "public", [AP_PROFESSIONAL] = "professional", [AP_TOTAL] = "total",
	[AP_PENDING] = "pending", [AP_STATE] = "met",
};

/* A person's orders: completion.report's. */
static const struct { const char *word; enum astats_person_column column; }
astats_person_sorts[] = {
	{ "department", AP_DEPT }, { "name", AP_NAME }, { "total", AP_TOTAL },
	{ "public", AP_PUBLIC }, { "professional", AP_PROFESSIONAL },
};
#define ASTATS_PERSON_SORTS (int)(sizeof astats_person_sorts / sizeof astats_person_sorts[0])

/* ---- a level ------------------------------------------------------------------------ */

/* The number of orders of the level, and the server's word and column of order i. */
static int
astats_nsorts(const struct astats_level *l)
{
	return l->by == ASTATS_PERSON ? ASTATS_PERSON_SORTS : ASTATS_SORTS;
}

static const char *
astats_sort_word(const struct astats_level *l)
{
	return l->by == ASTATS_PERSON ? astats_person_sorts[l->sort].word :
	    astats_sorts[l->sort].word;
}

static const char *
astats_sort_title(const struct astats_level *l)
{
	const struct queue_column *places = l->by == ASTATS_CITY ? astats_city_columns :
	    l->by == ASTATS_UNIT ? astats_unit_columns : astats_dept_columns;

	return l->by == ASTATS_PERSON ?
	    _(astats_person_columns[astats_person_sorts[l->sort].column].title) :
	    _(places[astats_sorts[l->sort].column].title);
}

/*
 * The level's place in stats.completion's params (and stats.csv's, and the
 * ssh command's): by, city, unit, department_id.  Into params.
 */
static void
astats_place_params(const struct astats_level *l, json_t *params)
{
	json_object_set_new(params, "by", json_string(astats_by_words[l->by]));
	if (l->by == ASTATS_UNIT && l->code != NULL)
		json_object_set_new(params, "city", json_string(l->code));
	if (l->by == ASTATS_DEPARTMENT || l->by == ASTATS_PERSON)
		json_object_set_new(params, "unit", json_string(l->code));
	if (l->by == ASTATS_PERSON)
		json_object_set_new(params, "department_id", json_integer(l->department_id));
}

/* Every parameter of the level but the page's: year, place, order, filter.  A new object. */
static json_t *
astats_params(const struct astats_level *l)
{
	json_t *params = json_pack("{s:i, s:s, s:b}", "year", l->view->year, "sort",
	    astats_sort_word(l), "desc", l->desc);

	astats_place_params(l, params);
	/* A person's rate is 0 or 1: below any percentage is not met (the server's reading). */
	if (l->view->below > 0)
		json_object_set_new(params, "below", json_real(l->view->below));
	return params;
}

static void
astats_page_params(struct queue *q, json_t *params)
{
	json_t *mine = astats_params(q->arg);

	json_object_update(params, mine);
	json_decref(mine);
}

static void
astats_loaded(struct queue *q, json_t *result, bool more)
{
	struct astats_level *l = q->arg;

	(void)more;
	json_decref(l->page);
	l->page = json_incref(result);
}

/* "河南省 › 郑州市 › 单位": the places from the top to level l.  Caller frees. */
static char *
astats_breadcrumb(const struct astats_level *l)
{
	const char *sep = l->view->unicode ? " › " : " > ";
	char *tail, *out;

	if (l->up == NULL)
		return text_sanitize(l->name, false);
	tail = text_sanitize(l->name, false);
	out = astats_breadcrumb(l->up);
	app_appendf(&out, "%s%s", sep, tail);
	free(tail);
	return out;
}

static void
astats_paint_head(struct queue *q)
{
	struct astats_level *l = q->arg;
	json_t *sum = json_object_get(l->page, "summary");
	json_t *req = json_object_get(l->page, "requirement");
	char *crumb = astats_breadcrumb(l), *year, *info, *fresh, rate[32], below[32];
	int yw;

	year = xasprintf(_("Year (←/→): %d"), l->view->year);
	yw = text_width(year);
	ui_put(1, COLS - 1 - yw, yw, year, UI_HINT, false);
	ui_put(1, 1, COLS - 4 - yw, crumb, UI_TITLE, false);
	free(year);
	free(crumb);
	if (json_is_object(sum)) {
		info = xasprintf(_("%lld counted: %lld met, %lld not met, met rate %s"),
		    (long long)json_integer_value(json_object_get(sum, "staff")),
		    (long long)json_integer_value(json_object_get(sum, "met")),
		    (long long)json_integer_value(json_object_get(sum, "not_met")),
		    authority_rate_text(json_object_get(sum, "rate"), rate, sizeof rate));
		/* Read from a replica: how fresh, at the line's end (app_freshness). */
		fresh = app_freshness(l->page);
		ui_put_tail(2, 1, COLS - 2, info, UI_TITLE, fresh, UI_HINT);
		free(fresh);
		free(info);
		info = xasprintf(_("Hours per person %s (public %s, professional %s), %s pending "
		    "review   Requirement: %s (professional %s, public %s)"),
		    app_json_str(sum, "avg_total"), app_json_str(sum, "avg_public"),
		    app_json_str(sum, "avg_professional"), app_json_str(sum, "pending"),
		    app_json_str(req, "total"), app_json_str(req, "professional"),
		    app_json_str(req, "public"));
		ui_put(3, 1, COLS - 2, info, UI_NORMAL, false);
		free(info);
	}
	if (l->view->below > 0)
		snprintf(below, sizeof below, "%g%%", l->view->below * 100);
	info = xasprintf(_("Order (s/r): %s %s   Met rate below (f): %s"), astats_sort_title(l),
	    l->desc ? "↓" : "↑", l->view->below > 0 ? below : _("all"));
	ui_put(4, 1, COLS - 2, info, UI_HINT, false);
	free(info);
}

static char *
astats_cell(struct queue *q, json_t *item, size_t col, int width, enum ui_style *style)
{
	struct astats_level *l = q->arg;
	char rate[32];

	(void)width;
	if (l->by == ASTATS_PERSON) {
		if (col != AP_STATE)
			return app_json_text(json_object_get(item, astats_person_fields[col]));
		if (*app_json_str(item, "met_label") != '\0')
			return xstrdup(app_json_str(item, "met_label"));
		if (json_is_true(json_object_get(item, "met")))
			return xstrdup(_("Met"));
		if (*style == UI_NORMAL)
			*style = UI_ERROR;
		return xstrdup(_("Not met"));
	}
	if (col == AS_RATE)
		return xstrdup(authority_rate_text(json_object_get(item, "rate"), rate,
		    sizeof rate));
	return app_json_text(json_object_get(item, astats_fields[col]));
}

/* "4101" or 17: a row's key as text (a code, or a department's or person's id).  Caller frees. */
static char *
astats_key(json_t *item)
{
	return app_json_text(json_object_get(item, "key"));
}

static int astats_run_level(struct app *a, struct astats_level *l);

/* Enter on a place: its level below, then this one read again.  -1: quit. */
static int
astats_open(struct queue *q, json_t *item)
{
	struct astats_level *l = q->arg;
	struct astats_level down = {
		.view = l->view, .up = l, .name = xstrdup(app_json_str(item, "name")),
	};
	char *key = astats_key(item);
	int rc;

	switch (l->by) {
	case ASTATS_CITY:
		down.by = ASTATS_UNIT;
		down.code = key;
		break;
	case ASTATS_UNIT:
		down.by = ASTATS_DEPARTMENT;
		down.code = key;
		break;
	default:
		down.by = ASTATS_PERSON;
		down.code = xstrdup(l->code);
		down.department_id = strtoll(key, NULL, 10);
		free(key);
		break;
	}
	rc = astats_run_level(q->app, &down);
	free(down.code);
	free(down.name);
	json_decref(down.page);
	if (rc == 0)
		queue_reload(q);
	return rc;
}

/* Enter on a person: their row in full. */
static int
astats_person(struct queue *q, json_t *item)
{
	char *text = NULL, *state;
	enum ui_style st = UI_NORMAL;
	int rc;

	app_append_row(&text, _("Name"), 12, app_json_str(item, "name"));
	app_append_row(&text, _("ID number"), 12, app_json_str(item, "id_number"));
	app_append_row(&text, _("Dept."), 12, app_json_str(item, "department"));
	app_append_row(&text, _("Public"), 12, app_json_str(item, "public"));
	app_append_row(&text, _("Professional"), 12, app_json_str(item, "professional"));
	app_append_row(&text, _("Total"), 12, app_json_str(item, "total"));
	app_append_row(&text, _("Pending review"), 12, app_json_str(item, "pending"));
	state = astats_cell(q, item, AP_STATE, 0, &st);
	app_append_row(&text, _("State"), 12, state);
	rc = ui_pager(app_json_str(item, "name"), text, NULL, NULL) < 0 ? -1 : 0;
	free(state);
	free(text);
	return rc;
}

/* Enter (the queue's "details"): the row's level below, or a person in full. */
static int
astats_detail(struct queue *q, json_t *item)
{
	struct astats_level *l = q->arg;

	return l->by == ASTATS_PERSON ? astats_person(q, item) : astats_open(q, item);
}

/* ---- the trend ------------------------------------------------------------------------ */

/*
 * A bar of rate (0 to 1) in cols columns at most, padded to cols: full
 * blocks and an eighth for the rest (▏▎▍▌▋▊▉), or '#' rounded in ASCII.
 * Caller frees.
 */
static char *
astats_bar(double rate, int cols, bool unicode)
{
	static const char *const eighths[] = { "", "▏", "▎", "▍", "▌", "▋", "▊", "▉" };
	char *bar = NULL;
	int used, n;

	if (!(rate >= 0))
		rate = 0;
	if (rate > 1)
		rate = 1;
	if (unicode) {
		n = (int)(rate * cols * 8 + 0.5);
		for (int i = 0; i < n / 8; i++)
			app_appendf(&bar, "█");
		app_appendf(&bar, "%s", eighths[n % 8]);
		used = n / 8 + (n % 8 != 0);
	} else {
		n = (int)(rate * cols + 0.5);
		for (int i = 0; i < n; i++)
			app_appendf(&bar, "#");
		used = n;
	}
	app_appendf(&bar, "%*s", cols - used, "");
	return bar;
}

/*
 * The chart: a line a year, "2025  ██████▍    62.5%  (45/72)", the bars
 * ASTATS_BAR_COLS at 100 % (narrower only when the counts would not fit in
 * cols).  Caller frees.
 */
static char *
astats_trend_text(json_t *rows, int cols, bool unicode)
{
	char *text = NULL, *bar, rate[32], **counts;
	size_t i, n = json_array_size(rows);
	int widest = 0, bar_cols;
	json_t *r;

	counts = xcalloc(n + 1, sizeof *counts);
	json_array_foreach(rows, i, r) {
		counts[i] = xasprintf("(%lld/%lld)",
		    (long long)json_integer_value(json_object_get(r, "met")),
		    (long long)json_integer_value(json_object_get(r, "staff")));
		if (text_width(counts[i]) > widest)
			widest = text_width(counts[i]);
	}
	/* "2025  " bar "  100.0%  " counts */
	bar_cols = cols - 6 - 10 - widest;
	if (bar_cols > ASTATS_BAR_COLS)
		bar_cols = ASTATS_BAR_COLS;
	if (bar_cols < 10)
		bar_cols = 10;
	app_appendf(&text, "%s\n\n", _("The met rate of each year: met / counted."));
	json_array_foreach(rows, i, r) {
		json_t *v = json_object_get(r, "rate");

		bar = astats_bar(json_is_number(v) ? json_number_value(v) : 0, bar_cols, unicode);
		app_appendf(&text, "%4lld  %s  %6s  %s\n",
		    (long long)json_integer_value(json_object_get(r, "year")), bar,
		    authority_rate_text(v, rate, sizeof rate), counts[i]);
		free(bar);
		free(counts[i]);
	}
	free(counts);
	if (n == 0)
		app_appendf(&text, "%s\n", _("No figures recorded yet."));
	return text;
}

/* The chart of stats.trend {level, code} titled with name. */
static void
astats_trend(struct queue *q, const char *level, const char *code, const char *name)
{
	struct astats_level *l = q->arg;
	struct rpc_error err;
	json_t *params = json_pack("{s:s}", "level", level), *result;
	char *text, *title;

	if (code != NULL)
		json_object_set_new(params, "code", json_string(code));
	if ((result = app_call(q->app, "stats.trend", params, &err)) == NULL) {
		if (!q->app->restart)
			queue_say(q, err.message, true);
		return;
	}
	/* The pager's box: 94 columns at most, three clear of each edge, 2 inside each side. */
	text = astats_trend_text(json_object_get(result, "rows"),
	    (COLS - 6 < 94 ? COLS - 6 : 94) - 4, l->view->unicode);
	title = xasprintf(_("Met rate over the years · %s"), name);
	ui_pager(title, text, NULL, NULL);
	free(title);
	free(text);
	json_decref(result);
}

/*
 * t: the row's trend (a city or a unit); below those, the unit's.  T: the
 * level's own: the province, the city, the unit.
 */
static void
astats_trend_key(struct queue *q, bool row)
{
	struct astats_level *l = q->arg;
	json_t *item = queue_current(q);
	const struct astats_level *u;
	char *key;

	if (row && item != NULL && (l->by == ASTATS_CITY || l->by == ASTATS_UNIT)) {
		key = astats_key(item);
		astats_trend(q, l->by == ASTATS_CITY ? "city" : "unit", key,
		    app_json_str(item, "name"));
		free(key);
		return;
	}
	switch (l->by) {
	case ASTATS_CITY:
		astats_trend(q, "province", NULL, l->name);
		break;
	case ASTATS_UNIT:
		astats_trend(q, "city", l->code, l->name);
		break;
	case ASTATS_DEPARTMENT:
		astats_trend(q, "unit", l->code, l->name);
		break;
	case ASTATS_PERSON:
		/* The unit's: departments have no trend of their own. */
		u = l->up != NULL ? l->up : l;
		astats_trend(q, "unit", l->code, u->name);
		break;
	}
}

/* ---- export ------------------------------------------------------------------------- */

/* The ssh command that prints the level as CSV, for the served TUI.  Caller frees. */
static char *
astats_ssh_command(struct queue *q, const char *file)
{
	struct astats_level *l = q->arg;
	/* Three lines joined by backslashes, each narrower than the pager at 80 columns. */
	char *cmd = xasprintf("ssh -p PORT %s@HOST \\\n    stats %d --by %s",
	    app_me_string(q->app, "id_number"), l->view->year, astats_by_words[l->by]);

	if (l->by == ASTATS_UNIT && l->code != NULL)
		app_appendf(&cmd, " --city %s", l->code);
	if (l->by == ASTATS_DEPARTMENT || l->by == ASTATS_PERSON)
		app_appendf(&cmd, " --unit %s", l->code);
	if (l->by == ASTATS_PERSON)
		app_appendf(&cmd, " --department %lld", (long long)l->department_id);
	app_appendf(&cmd, " --csv \\\n    > %s", file);
	return cmd;
}

/*
 * e: the level with its order and filter as CSV (stats.csv, piece by
 * piece) in a file on this computer; the served TUI, which has no disk of
 * the person's, says which ssh command prints it.
 */
static void
astats_export(struct queue *q)
{
	struct astats_level *l = q->arg;
	const char *code = l->by == ASTATS_CITY ? app_json_str(authority_scope(q->app), "code") :
	    l->code;
	char *deflt, *text, *cmd;

	deflt = l->by == ASTATS_PERSON ? xasprintf(_("completion-stats-%d-%s-%lld.csv"),
	    l->view->year, code, (long long)l->department_id) :
	    xasprintf(_("completion-stats-%d-%s.csv"), l->view->year, code);
	if (q->app->connect == NULL) {
		cmd = astats_ssh_command(q, deflt);
		text = xasprintf(_("This terminal is served by the server itself, so it cannot save "
		    "a file on your computer. On your own computer, run:\n\n  %s"), cmd);
		/* The pager's box is wider than a message's: the command's lines stay whole. */
		ui_pager(_("Export"), text, NULL, NULL);
		free(text);
		free(cmd);
	} else {
		text = xasprintf(_("Save this level of the %d statistics as CSV to a file on this "
		    "computer (empty: %s in the current directory)."), l->view->year, deflt);
		app_export_csv(q->app, "stats.csv", astats_params(l), text, deflt, q->message,
		    sizeof q->message, &q->message_error);
		free(text);
	}
	free(deflt);
}

/* ---- keys --------------------------------------------------------------------------- */

/* Show year instead; the server refusing it (out of range) keeps the one before. */
static void
astats_set_year(struct queue *q, int year)
{
	struct astats_level *l = q->arg;
	int before = l->view->year;

	queue_say(q, "", false);
	l->view->year = year;
	queue_refilter(q);
	/* The error stays on the message line: a reload that works says nothing. */
	if (q->message_error) {
		l->view->year = before;
		queue_reload(q);
	}
}

/* y: type the year. */
static void
astats_pick_year(struct queue *q)
{
	struct astats_level *l = q->arg;
	char *text, *answer, *end;
	long year;

	text = xasprintf(_("The year of the statistics (now %d)."), l->view->year);
	answer = ui_prompt(_("Calendar year"), text, _("Calendar year"), 4);
	free(text);
	if (answer == NULL)
		return;
	year = strtol(answer, &end, 10);
	if (*answer == '\0' || *end != '\0' || year < 1 || year > 9999)
		queue_say(q, _("A year is four digits, such as 2026."), true);
	else
		astats_set_year(q, (int)year);
	free(answer);
}

/* f: only the rows whose met rate is below a percentage; empty shows every row. */
static void
astats_pick_below(struct queue *q)
{
	struct astats_level *l = q->arg;
	char *answer, *end;
	double pct;

	answer = ui_prompt(_("Met rate below"), _("Show only the rows whose met rate is below "
	    "this percentage, such as 60. Empty: every row."), _("Percent"), 5);
	if (answer == NULL)
		return;
	errno = 0;
	pct = strtod(answer, &end);
	if (*answer == '\0') {
		l->view->below = 0;
		queue_refilter(q);
	} else if (*end != '\0' || errno != 0 || !(pct > 0 && pct <= 100)) {
		queue_say(q, _("A percentage is a number above 0, at most 100, such as 60."), true);
	} else {
		l->view->below = pct / 100;
		queue_refilter(q);
	}
	free(answer);
}

static int
astats_key_event(struct queue *q, const struct ui_event *ev)
{
	struct astats_level *l = q->arg;

	if (ev->type == UI_EV_KEY) {
		switch (ev->key) {
		case KEY_LEFT:
			astats_set_year(q, l->view->year - 1);
			return 1;
		case KEY_RIGHT:
			astats_set_year(q, l->view->year + 1);
			return 1;
		case KEY_BACKSPACE:
		case UI_KEY_BACKSPACE:
		case '\b':
			return QUEUE_KEY_LEAVE;
		}
		return 0;
	}
	if (ev->type != UI_EV_CHAR || ev->ch == 0 || ev->ch > 0x7f ||
	    strchr("ysrftTe", (int)ev->ch) == NULL)
		return 0;
	queue_say(q, "", false);
	switch (ev->ch) {
	case 'y':
		astats_pick_year(q);
		return 1;
	case 'f':
		astats_pick_below(q);
		return 1;
	case 't':
	case 'T':
		astats_trend_key(q, ev->ch == 't');
		return 1;
	case 'e':
		astats_export(q);
		return 1;
	case 's':
		l->sort = (l->sort + 1) % astats_nsorts(l);
		break;
	default:
		l->desc = !l->desc;
	}
	queue_refilter(q);
	return 1;
}

/* ---- the levels' descriptors --------------------------------------------------------- */

#define ASTATS_OPS(columns_) \
	.header = N_("Continuing Education · Completion statistics"), \
	.method = "stats.completion", \
	.items = "rows", \
	.id_key = "key", \
	.columns = columns_, \
	.ncolumns = sizeof columns_ / sizeof columns_[0], \
	.head_lines = 4, \
	.hints = N_("Enter: open  Esc: up  ←/→: year  s/r: order  f: rate below  t/T: trend  " \
	    "e: export CSV"), \
	.keys = authority_stats_keys, \
	.params = astats_page_params, \
	.loaded = astats_loaded, \
	.paint_head = astats_paint_head, \
	.cell = astats_cell, \
	.detail = astats_detail, \
	.key = astats_key_event

static const struct queue_ops astats_ops[] = {
	[ASTATS_CITY] = { ASTATS_OPS(astats_city_columns),
	    .empty = N_("No city has figures for this year.") },
	[ASTATS_UNIT] = { ASTATS_OPS(astats_unit_columns),
	    .empty = N_("No unit has figures for this year.") },
	[ASTATS_DEPARTMENT] = { ASTATS_OPS(astats_dept_columns),
	    .empty = N_("No department has figures for this year.") },
	[ASTATS_PERSON] = { ASTATS_OPS(astats_person_columns),
	    .empty = N_("Nobody is counted here this year.") },
};

/* Run level l until the person leaves it: 0, or -1 to quit. */
static int
astats_run_level(struct app *a, struct astats_level *l)
{
	return queue_run(&astats_ops[l->by], a, l) == SCREEN_QUIT ? -1 : 0;
}

int
authority_stats_run(struct app *a, int year, double below)
{
	json_t *scope = authority_scope(a);
	struct astats_view view = { .year = year, .below = below,
	    .unicode = authority_unicode() };
	struct astats_level top = { .view = &view, .name = xstrdup(app_json_str(scope, "name")) };
	int rc;

	/* A city's administrator starts at the city's units. */
	if (authority_is_province(a)) {
		top.by = ASTATS_CITY;
	} else {
		top.by = ASTATS_UNIT;
		top.code = xstrdup(app_json_str(scope, "code"));
	}
	rc = astats_run_level(a, &top);
	free(top.code);
	free(top.name);
	json_decref(top.page);
	return rc;
}

enum screen_id
screen_authority_stats_run(struct app *a)
{
	return authority_stats_run(a, authority_this_year(), 0) < 0 ? SCREEN_QUIT : SCREEN_HOME;
}
