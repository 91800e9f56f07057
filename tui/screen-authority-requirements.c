/*
 * screen-authority-requirements.c - 年度学时要求: the yearly requirement in
 * force for each year (requirements.list: 合计, 专业, 公需), the current
 * year first.  The sysadmins set them in the config; the authority reads
 * them here.  Enter on a year opens its statistics with only the places
 * short of it (a met rate below 100 %): the cities with units short, then
 * in a city those units (screen-authority-stats.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "authority.h"
#include "keys.h"
#include "text.h"
#include "xmalloc.h"

#define AREQ_NCOLS	4
#define AREQ_GAP	3

struct areq {
	struct app	*app;
	json_t		*list;		/* requirements.list's result, or NULL */
	size_t		 cur, top;
	int		 rows;
	char		 message[512];
	bool		 message_error;
};

/* The years, the newest first (requirements.list gives them oldest first). */
static json_t *
areq_year(struct areq *r, size_t i)
{
	json_t *years = json_object_get(r->list, "years");
	size_t n = json_array_size(years);

	return i < n ? json_array_get(years, n - 1 - i) : NULL;
}

static void
areq_load(struct areq *r)
{
	json_t *result = app_call_say(r->app, "requirements.list", NULL, r->message,
	    sizeof r->message, &r->message_error);

	if (result == NULL)
		return;
	json_decref(r->list);
	r->list = result;
}

static void
areq_paint(void *arg)
{
	struct areq *r = arg;
	const char *titles[AREQ_NCOLS] = { _("Calendar year"), _("Total"), _("Professional"),
		_("Public") };
	json_t *years = json_object_get(r->list, "years"), *y;
	json_int_t now = json_integer_value(json_object_get(r->list, "current_year"));
	size_t n = json_array_size(years);
	int x[AREQ_NCOLS], w, head = 3;
	char year[32];

	ui_header(_("Continuing Education · Yearly requirements"));
	ui_put(1, 1, COLS - 2, _("The hours each person must have approved in a year, as the "
	    "system's administrators set them. Enter: the year's cities and units short of it."),
	    UI_HINT, false);
	x[0] = 2;
	for (int c = 0; c < AREQ_NCOLS; c++) {
		w = text_width(titles[c]) > 8 ? text_width(titles[c]) : 8;
		if (c > 0)
			x[c] = x[c - 1] + (c == 1 ? 16 : 8) + AREQ_GAP;
		ui_put(head, x[c], w, titles[c], UI_TITLE, false);
	}
	r->rows = LINES - head - 4;
	app_keep_in_view(r->cur, &r->top, &r->rows);
	for (int row = 0; row < r->rows && r->top + (size_t)row < n; row++) {
		size_t i = r->top + (size_t)row;
		enum ui_style st = i == r->cur ? UI_SELECTED : UI_NORMAL;
		int yy = head + 1 + row;

		y = areq_year(r, i);
		if (st == UI_SELECTED)
			ui_fill(yy, 0, COLS, st);
		if (json_integer_value(json_object_get(y, "year")) == now)
			snprintf(year, sizeof year, _("%lld (this year)"),
			    (long long)json_integer_value(json_object_get(y, "year")));
		else
			snprintf(year, sizeof year, "%lld",
			    (long long)json_integer_value(json_object_get(y, "year")));
		ui_put(yy, x[0], 16, year, st, false);
		ui_put(yy, x[1], 8, app_json_str(y, "total"), st, false);
		ui_put(yy, x[2], 8, app_json_str(y, "professional"), st, false);
		ui_put(yy, x[3], 8, app_json_str(y, "public"), st, false);
	}
	app_list_foot(n, head + 1 + r->rows / 2, _("No requirement is set."),
	    xasprintf(_("%zu years"), n));
	ui_message_line(r->message, r->message_error);
	app_status(r->app, NULL);
}

enum screen_id
screen_authority_requirements_run(struct app *a)
{
	struct areq r = { .app = a };
	struct ui_event ev;
	enum screen_id next = SCREEN_HOME;
	const struct ui_key_help *before = ui_help_get();
	json_t *y;

	ui_set_backdrop(areq_paint, &r);
	ui_help_set(authority_requirements_keys);
	areq_load(&r);
	for (;;) {
		if (app_next_event(a, &ev)) {
			next = SCREEN_QUIT;
			break;
		}
		if (app_back_key(&ev))
			break;
		if (app_list_key(&ev, &r.cur, json_array_size(json_object_get(r.list, "years")),
		    r.rows))
			continue;
		if (ev.type == UI_EV_KEY && ev.key == KEY_F(5)) {
			areq_load(&r);
			continue;
		}
		if (ev.type != UI_EV_KEY || ev.key != UI_KEY_ENTER || (y = areq_year(&r, r.cur)) ==
		    NULL)
			continue;
		/* The places short of the year's requirement: met rate below 100 %. */
		if (authority_stats_run(a, (int)json_integer_value(json_object_get(y, "year")),
		    1.0) < 0) {
			next = SCREEN_QUIT;
			break;
		}
		ui_set_backdrop(areq_paint, &r);
		ui_help_set(authority_requirements_keys);
		areq_load(&r);
	}
	ui_set_backdrop(NULL, NULL);
	ui_help_set(before);
	json_decref(r.list);
	return next;
}
