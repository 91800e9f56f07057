/*
 * screen-decl-review.c - 学时审核: a unit administrator's queue of
 * declarations waiting for review, newest submission first, a page at a
 * time (keyset paging on the server's cursor).
 *
 * As in 注册审核: j/k and the arrows move, Space selects (several), Enter
 * shows one in full (g downloads its attachment), a approves and r rejects
 * (a reason is required) the selected ones or the one under the cursor.
 * Filters: y the year, f the learning form, / a name or the start of an ID
 * number.  Each decision comes back per declaration; one that another
 * administrator decided meanwhile (or that its owner withdrew) is reported
 * with who and when.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "app.h"
#include "text.h"
#include "xmalloc.h"

#define DREVIEW_PAGE		50
#define DREVIEW_FILTER		1

struct dreview_item {
	json_int_t	 id;
	char		*name;
	char		*id_number;
	char		*form;
	char		*year;
	char		*amount;
	char		*submitted;
	bool		 selected;
};

struct dreview {
	struct app	*app;
	json_t		*catalog;	/* forms.list: forms and years to filter by */
	struct dreview_item *items;
	size_t		 n, cap;
	char		*next;
	json_int_t	 total;
	size_t		 cur, top;
	int		 rows;
	int		 year;		/* filter, 0: every year */
	char		*form_code;	/* filter, NULL: every form */
	char		*form_name;
	struct ui_form	 filter;
	bool		 filtering;
	char		 message[512];
	bool		 message_error;
};

static void
dreview_say(struct dreview *rv, const char *text, bool error)
{
	app_copy(rv->message, sizeof rv->message, text);
	rv->message_error = error;
}

static const char *
dreview_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static void
dreview_clear(struct dreview *rv)
{
	for (size_t i = 0; i < rv->n; i++) {
		free(rv->items[i].name);
		free(rv->items[i].id_number);
		free(rv->items[i].form);
		free(rv->items[i].year);
		free(rv->items[i].amount);
		free(rv->items[i].submitted);
	}
	rv->n = 0;
	free(rv->next);
	rv->next = NULL;
}

/* Read the queue from the start (more: the next page, appended) with the filters. */
static void
dreview_load(struct dreview *rv, bool more)
{
	const char *person = ui_form_value(&rv->filter, DREVIEW_FILTER);
	struct rpc_error err;
	json_t *params, *result, *item, *next;
	size_t i;

	if (more && rv->next == NULL)
		return;
	params = json_pack("{s:i}", "limit", DREVIEW_PAGE);
	if (*person != '\0')
		json_object_set_new(params, "person", json_string(person));
	if (rv->year != 0)
		json_object_set_new(params, "year", json_integer(rv->year));
	if (rv->form_code != NULL)
		json_object_set_new(params, "form", json_string(rv->form_code));
	if (more)
		json_object_set_new(params, "after", json_string(rv->next));
	if ((result = app_call(rv->app, "review.declarations", params, &err)) == NULL) {
		dreview_say(rv, err.message, true);
		return;
	}
	if (!more) {
		dreview_clear(rv);
		rv->cur = rv->top = 0;
		rv->total = json_integer_value(json_object_get(result, "pending_total"));
	}
	json_array_foreach(json_object_get(result, "items"), i, item) {
		struct dreview_item *it;
		json_t *person_o = json_object_get(item, "person");
		char when[32];

		if (rv->n == rv->cap) {
			rv->cap = rv->cap ? rv->cap * 2 : 64;
			rv->items = xrealloc(rv->items, rv->cap * sizeof *rv->items);
		}
		it = &rv->items[rv->n++];
		it->id = json_integer_value(json_object_get(item, "id"));
		it->name = xstrdup(dreview_str(person_o, "name"));
		it->id_number = xstrdup(dreview_str(person_o, "id_number"));
		it->form = xstrdup(dreview_str(json_object_get(item, "form"), "name"));
		it->year = xasprintf("%lld",
		    (long long)json_integer_value(json_object_get(item, "year")));
		/* Hours, which is what the year's requirement counts. */
		it->amount = strcmp(dreview_str(item, "counts"), "credits") == 0 ?
		    xasprintf("%s（%s %s）", dreview_str(item, "hours"), dreview_str(item, "amount"),
		    _("credits")) : xstrdup(dreview_str(item, "hours"));
		it->submitted = xstrdup(app_format_time(dreview_str(item, "submitted_at"), when,
		    sizeof when));
		it->selected = false;
	}
	free(rv->next);
	next = json_object_get(result, "next");
	rv->next = json_is_string(next) ? xstrdup(json_string_value(next)) : NULL;
	if (rv->cur >= rv->n)
		rv->cur = rv->n > 0 ? rv->n - 1 : 0;
	json_decref(result);
}

static size_t
dreview_selected_count(struct dreview *rv)
{
	size_t n = 0;

	for (size_t i = 0; i < rv->n; i++)
		n += rv->items[i].selected;
	return n;
}

static void
dreview_paint(void *arg)
{
	struct dreview *rv = arg;
	struct ui_field *fd = ui_form_field(&rv->filter, DREVIEW_FILTER);
	int cm = 1, cn = 5, ci = cn + 11, cf = ci + 19, cw, cy, ca, cs = COLS - 1 - 16, y;
	char *info, year[16];

	ca = cs - 15;
	cy = ca - 9;
	cw = cy - 1 - cf;
	rv->rows = LINES - 7;
	ui_header(_("Continuing Education · Review declarations"));
	info = xasprintf(_("%s · %lld declarations waiting for review"), app_me_unit_name(rv->app),
	    (long long)rv->total);
	ui_put(1, 1, COLS - 40, info, UI_TITLE, false);
	free(info);
	snprintf(year, sizeof year, "%d", rv->year);
	info = xasprintf(_("Year (y): %s   Learning form (f): %s"), rv->year != 0 ? year :
	    _("all"), rv->form_name != NULL ? rv->form_name : _("all"));
	ui_put(2, 1, COLS - 2, info, UI_HINT, false);
	free(info);

	ui_put(3, cn, 10, _("Name"), UI_TITLE, false);
	ui_put(3, ci, 18, _("ID number"), UI_TITLE, false);
	ui_put(3, cf, cw, _("Learning form"), UI_TITLE, false);
	ui_put(3, cy, 8, _("Year"), UI_TITLE, false);
	ui_put(3, ca, 14, _("Hours"), UI_TITLE, false);
	ui_put(3, cs, 16, _("Submitted"), UI_TITLE, false);
	if (rv->cur < rv->top)
		rv->top = rv->cur;
	if (rv->cur >= rv->top + (size_t)rv->rows)
		rv->top = rv->cur - (size_t)rv->rows + 1;
	for (int row = 0; row < rv->rows && rv->top + (size_t)row < rv->n; row++) {
		size_t i = rv->top + (size_t)row;
		struct dreview_item *it = &rv->items[i];
		enum ui_style st = i == rv->cur && !rv->filtering ? UI_SELECTED : UI_NORMAL;

		y = 4 + row;
		if (st == UI_SELECTED)
			ui_fill(y, 0, COLS, st);
		ui_put(y, cm, 3, it->selected ? "[x]" : "[ ]", st, false);
		ui_put(y, cn, 10, it->name, st, false);
		ui_put(y, ci, 18, it->id_number, st, false);
		ui_put(y, cf, cw, it->form, st, false);
		ui_put(y, cy, 8, it->year, st, false);
		ui_put(y, ca, 14, it->amount, st, false);
		ui_put(y, cs, 16, it->submitted, st, false);
	}
	if (rv->n == 0)
		ui_put_center(4 + rv->rows / 2, 0, COLS, _("No declaration is waiting for review."),
		    UI_HINT);
	info = xasprintf(_("%zu shown, %zu selected%s"), rv->n, dreview_selected_count(rv),
	    rv->next != NULL ? _("; PgDn loads more") : "");
	ui_put(LINES - 3, 1, COLS - 2, info, UI_HINT, false);
	free(info);
	ui_message_line(rv->message, rv->message_error);
	app_status(rv->app, rv->filtering ? _("Type a name or ID number  Enter: done  Esc: clear") :
	    _("Space: select  Enter: details  a: approve  r: reject  y/f//: filter  Esc: back"));

	ui_form_place_labels(&rv->filter, COLS - 38);
	fd->y = 1;
	fd->width = COLS - 2 - fd->x;
	ui_form_draw(&rv->filter, rv->filtering);
}

/* The ids to decide on: the selected ones, else the one under the cursor. */
static json_t *
dreview_targets(struct dreview *rv, const struct dreview_item *only, size_t *n,
    const struct dreview_item **one)
{
	json_t *ids = json_array();

	*one = only;
	if (only != NULL) {
		json_array_append_new(ids, json_integer(only->id));
		*n = 1;
		return ids;
	}
	for (size_t i = 0; i < rv->n; i++) {
		if (rv->items[i].selected) {
			json_array_append_new(ids, json_integer(rv->items[i].id));
			*one = &rv->items[i];
		}
	}
	if (json_array_size(ids) == 0 && rv->n > 0) {
		json_array_append_new(ids, json_integer(rv->items[rv->cur].id));
		*one = &rv->items[rv->cur];
	}
	*n = json_array_size(ids);
	return ids;
}

/* "张三 · 培训班 · 2026" of a declaration id, from the list. */
static char *
dreview_who(struct dreview *rv, json_int_t id)
{
	for (size_t i = 0; i < rv->n; i++) {
		if (rv->items[i].id == id)
			return xasprintf("%s · %s · %s", rv->items[i].name, rv->items[i].form,
			    rv->items[i].year);
	}
	return xasprintf("#%lld", (long long)id);
}

/* What became of each declaration decided. */
static void
dreview_report(struct dreview *rv, json_t *result, bool approve)
{
	json_t *r;
	size_t i, done = 0, n = 0;
	char *text = NULL, *who, *line, *joined, *summary, when[32];

	json_array_foreach(json_object_get(result, "results"), i, r) {
		const char *reason = dreview_str(r, "reason");

		who = dreview_who(rv, json_integer_value(json_object_get(r, "id")));
		if (json_is_true(json_object_get(r, "ok"))) {
			line = xasprintf(_("%s: %s"), who, approve ? _("approved") : _("rejected"));
			done++;
		} else if (strcmp(reason, "already_decided") == 0) {
			char *what = xasprintf(_("already decided by %s at %s (%s)"),
			    dreview_str(json_object_get(r, "decided_by"), "name"),
			    app_format_time(dreview_str(r, "decided_at"), when, sizeof when),
			    dreview_str(r, "state_label"));

			line = xasprintf(_("%s: %s"), who, what);
			free(what);
		} else if (strcmp(reason, "state_changed") == 0) {
			char *what = xasprintf(_("no longer waiting for review (%s)"),
			    dreview_str(r, "state_label"));

			line = xasprintf(_("%s: %s"), who, what);
			free(what);
		} else {
			line = xasprintf(_("%s: %s"), who, _("not found in your unit's queue"));
		}
		n++;
		free(who);
		joined = xasprintf("%s%s%s", text != NULL ? text : "", text != NULL ? "\n" : "",
		    line);
		free(text);
		free(line);
		text = joined;
	}
	summary = xasprintf(approve ? _("%zu of %zu approved.") : _("%zu of %zu rejected."),
	    done, n);
	dreview_say(rv, summary, done < n);
	if (n <= 8)
		ui_message(_("Review results"), text != NULL ? text : summary);
	else
		ui_pager(_("Review results"), text, NULL, NULL);
	free(summary);
	free(text);
}

static void
dreview_approve(struct dreview *rv, const struct dreview_item *only)
{
	const struct dreview_item *one;
	struct rpc_error err;
	json_t *ids, *result;
	size_t n;
	char *text;

	ids = dreview_targets(rv, only, &n, &one);
	if (n == 0) {
		json_decref(ids);
		return;
	}
	text = n == 1 ? xasprintf(_("Approve the declaration of %s (%s, %s)?"), one->name,
	    one->form, one->year) : xasprintf(_("Approve the %zu selected declarations?"), n);
	if (!ui_confirm(_("Approve"), text)) {
		free(text);
		json_decref(ids);
		return;
	}
	free(text);
	result = app_call(rv->app, "review.approve_declarations", json_pack("{s:o}", "ids", ids),
	    &err);
	if (result == NULL) {
		dreview_say(rv, err.message, true);
		return;
	}
	dreview_report(rv, result, true);
	json_decref(result);
	dreview_load(rv, false);
}

static void
dreview_reject(struct dreview *rv, const struct dreview_item *only)
{
	const struct dreview_item *one;
	struct rpc_error err;
	json_t *ids, *result;
	size_t n;
	char *text, *reason;

	ids = dreview_targets(rv, only, &n, &one);
	if (n == 0) {
		json_decref(ids);
		return;
	}
	text = n == 1 ? xasprintf(_("Reject the declaration of %s (%s, %s)? The person sees "
	    "the reason in the progress list."), one->name, one->form, one->year) :
	    xasprintf(_("Reject the %zu selected declarations? The people see the reason in "
	    "the progress list."), n);
	for (;;) {
		reason = ui_prompt(_("Reject"), text, _("Reason"), 200);
		if (reason == NULL || reason[strspn(reason, " \t")] != '\0')
			break;
		free(reason);
		ui_message(_("Reject"), _("A reason is required."));
	}
	free(text);
	if (reason == NULL) {
		json_decref(ids);
		return;
	}
	result = app_call(rv->app, "review.reject_declarations",
	    json_pack("{s:o, s:s}", "ids", ids, "reason", reason), &err);
	free(reason);
	if (result == NULL) {
		dreview_say(rv, err.message, true);
		return;
	}
	dreview_report(rv, result, false);
	json_decref(result);
	dreview_load(rv, false);
}

/* Enter: the declaration under the cursor in full; a, r or g there. */
static void
dreview_detail(struct dreview *rv)
{
	struct dreview_item *it;
	struct rpc_error err;
	json_t *result;
	char *text;
	bool pending, att;
	int key;

	if (rv->n == 0)
		return;
	it = &rv->items[rv->cur];
	result = app_call(rv->app, "review.declaration", json_pack("{s:I}", "id", it->id), &err);
	if (result == NULL) {
		dreview_say(rv, err.message, true);
		return;
	}
	text = progress_detail_text(result);
	pending = strcmp(dreview_str(result, "state"), "pending") == 0;
	att = json_is_object(json_object_get(result, "attachment"));
	for (;;) {
		key = ui_pager(it->name, text, pending ? (att ? _("a: approve  r: reject  "
		    "g: download the attachment  Esc: close") : _("a: approve  r: reject  Esc: close")) :
		    att ? _("g: download the attachment  Esc: close") : NULL,
		    pending ? "arg" : "g");
		if (key != 'g' || !att)
			break;
		declare_download(rv->app, json_object_get(result, "attachment"));
	}
	free(text);
	json_decref(result);
	if (key == 'a')
		dreview_approve(rv, it);
	else if (key == 'r')
		dreview_reject(rv, it);
}

static void
dreview_move(struct dreview *rv, long step)
{
	if (step > 0 && rv->cur + (size_t)step >= rv->n && rv->next != NULL)
		dreview_load(rv, true);
	if (rv->n == 0)
		return;
	if (step < 0)
		rv->cur = (size_t)-step > rv->cur ? 0 : rv->cur - (size_t)-step;
	else
		rv->cur = rv->cur + (size_t)step >= rv->n ? rv->n - 1 : rv->cur + (size_t)step;
}

/* y: choose the year filter from the years the server offers. */
static void
dreview_pick_year(struct dreview *rv)
{
	json_t *years = json_object_get(rv->catalog, "years"), *y;
	size_t n = json_array_size(years) + 1, i;
	const char **items = xcalloc(n, sizeof *items);
	char **texts = xcalloc(n, sizeof *texts);
	int chosen;

	items[0] = _("All years");
	json_array_foreach(years, i, y) {
		texts[i + 1] = xasprintf("%lld", (long long)json_integer_value(y));
		items[i + 1] = texts[i + 1];
	}
	chosen = ui_menu(_("Year"), items, n, 3, 2);
	if (chosen >= 0) {
		rv->year = chosen == 0 ? 0 : atoi(items[chosen]);
		dreview_load(rv, false);
	}
	for (i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(items);
}

/* f: choose the learning form filter. */
static void
dreview_pick_form(struct dreview *rv)
{
	json_t *forms = json_object_get(rv->catalog, "forms"), *f;
	size_t n = json_array_size(forms) + 1, i;
	const char **items = xcalloc(n, sizeof *items);
	int chosen;

	items[0] = _("All learning forms");
	json_array_foreach(forms, i, f)
		items[i + 1] = dreview_str(f, "name");
	chosen = ui_menu(_("Learning form"), items, n, 3, 20);
	if (chosen >= 0) {
		free(rv->form_code);
		free(rv->form_name);
		rv->form_code = rv->form_name = NULL;
		if (chosen > 0) {
			f = json_array_get(forms, (size_t)chosen - 1);
			rv->form_code = xstrdup(dreview_str(f, "code"));
			rv->form_name = xstrdup(dreview_str(f, "name"));
		}
		dreview_load(rv, false);
	}
	free(items);
}

static void
dreview_filter_key(struct dreview *rv, struct ui_event *ev)
{
	char *before;
	int id;

	if (ev->type == UI_EV_KEY && ev->key == UI_KEY_ESC) {
		rv->filtering = false;
		if (*ui_form_value(&rv->filter, DREVIEW_FILTER) != '\0') {
			ui_form_set(&rv->filter, DREVIEW_FILTER, NULL);
			dreview_load(rv, false);
		}
		return;
	}
	if (ev->type == UI_EV_KEY && (ev->key == UI_KEY_ENTER || ev->key == UI_KEY_TAB ||
	    ev->key == KEY_DOWN || ev->key == KEY_UP)) {
		rv->filtering = false;
		return;
	}
	before = xstrdup(ui_form_value(&rv->filter, DREVIEW_FILTER));
	ui_form_key(&rv->filter, ev, &id);
	if (strcmp(before, ui_form_value(&rv->filter, DREVIEW_FILTER)) != 0)
		dreview_load(rv, false);
	free(before);
}

enum screen_id
screen_decl_review_run(struct app *a)
{
	struct dreview rv = { .app = a };
	struct rpc_error err;
	struct ui_event ev;
	enum screen_id next = SCREEN_HOME;
	long page;

	ui_form_init(&rv.filter);
	ui_form_add_text(&rv.filter, DREVIEW_FILTER, _("Filter (/)"), 20, 50, false);
	ui_set_backdrop(dreview_paint, &rv);
	if ((rv.catalog = app_call(a, "forms.list", NULL, &err)) == NULL)
		dreview_say(&rv, err.message, true);
	dreview_load(&rv, false);
	for (;;) {
		ui_repaint();
		ui_next_event(&ev);
		if (ev.type == UI_EV_QUIT || ui_is_quit_key(&ev) || a->restart) {
			next = SCREEN_QUIT;
			break;
		}
		if (rv.filtering) {
			dreview_filter_key(&rv, &ev);
			continue;
		}
		page = rv.rows > 1 ? rv.rows - 1 : 1;
		if (ev.type == UI_EV_CHAR) {
			switch (ev.ch) {
			case 'j':
				dreview_move(&rv, 1);
				break;
			case 'k':
				dreview_move(&rv, -1);
				break;
			case ' ':
				if (rv.n > 0) {
					rv.items[rv.cur].selected = !rv.items[rv.cur].selected;
					dreview_move(&rv, 1);
				}
				break;
			case 'a':
				dreview_say(&rv, "", false);
				dreview_approve(&rv, NULL);
				break;
			case 'r':
				dreview_say(&rv, "", false);
				dreview_reject(&rv, NULL);
				break;
			case 'y':
				dreview_pick_year(&rv);
				break;
			case 'f':
				dreview_pick_form(&rv);
				break;
			case '/':
				rv.filtering = true;
				break;
			case 'q':
				goto out;
			}
			continue;
		}
		if (ev.type != UI_EV_KEY)
			continue;
		switch (ev.key) {
		case UI_KEY_ESC:
			goto out;
		case KEY_DOWN:
			dreview_move(&rv, 1);
			break;
		case KEY_UP:
			dreview_move(&rv, -1);
			break;
		case KEY_NPAGE:
			dreview_move(&rv, page);
			break;
		case KEY_PPAGE:
			dreview_move(&rv, -page);
			break;
		case KEY_HOME:
			rv.cur = 0;
			break;
		case KEY_END:
			rv.cur = rv.n > 0 ? rv.n - 1 : 0;
			break;
		case UI_KEY_ENTER:
			dreview_say(&rv, "", false);
			dreview_detail(&rv);
			break;
		case KEY_F(5):
			dreview_say(&rv, "", false);
			dreview_load(&rv, false);
			break;
		}
	}
out:
	ui_set_backdrop(NULL, NULL);
	dreview_clear(&rv);
	free(rv.items);
	free(rv.form_code);
	free(rv.form_name);
	json_decref(rv.catalog);
	ui_form_free(&rv.filter);
	return next;
}
