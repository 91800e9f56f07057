/*
 * screen-titles.c - 职务变更审核: a unit administrator's queue of the
 * unit's 专业技术职务 changes waiting for review, newest first, a page at a
 * time.
 *
 * As in 注册审核: j/k and the arrows move, Space selects (several), a
 * approves and r rejects (with a reason, which the person sees in the
 * change history) the selected ones or the one under the cursor, / filters
 * by a name or the start of an ID number, Enter shows the person's profile
 * and history.  The server decides each change on its own and says what
 * became of it: one decided meanwhile by another administrator, or
 * withdrawn or replaced by the person, comes back with who and when.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "app.h"
#include "text.h"
#include "xmalloc.h"

#define TITLES_PAGE		50
#define TITLES_FILTER		1

struct titles_item {
	json_int_t	 id;		/* the change */
	json_int_t	 account_id;
	char		*name;
	char		*id_number;
	char		*old_full;	/* as the server names it: "工程 / 中级 / 工程师" */
	char		*new_full;
	char		*asked;
	bool		 selected;
};

struct titles {
	struct app	*app;
	struct titles_item *items;
	size_t		 n, cap;
	char		*next;		/* cursor of the next page, NULL: none */
	json_int_t	 total;		/* pending_total */
	size_t		 cur, top;
	int		 rows;
	struct ui_form	 filter;
	bool		 filtering;	/* keys go to the filter line */
	char		 message[512];
	bool		 message_error;
};

static void
titles_say(struct titles *t, const char *text, bool error)
{
	app_copy(t->message, sizeof t->message, text);
	t->message_error = error;
}

static const char *
titles_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static void
titles_clear(struct titles *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->items[i].name);
		free(t->items[i].id_number);
		free(t->items[i].old_full);
		free(t->items[i].new_full);
		free(t->items[i].asked);
	}
	t->n = 0;
	free(t->next);
	t->next = NULL;
}

/* The name of a title {id, name} of the queue, "none" for null.  Caller frees. */
static char *
titles_name(json_t *title)
{
	if (!json_is_object(title))
		return xstrdup(_("none"));
	return xstrdup(titles_str(title, "name"));
}

/* Read the queue from the start (more: the next page, appended), with the filter typed. */
static void
titles_load(struct titles *t, bool more)
{
	const char *filter = ui_form_value(&t->filter, TITLES_FILTER);
	struct rpc_error err;
	json_t *params, *result, *item, *next;
	size_t i;

	if (more && t->next == NULL)
		return;
	params = json_pack("{s:i}", "limit", TITLES_PAGE);
	if (*filter != '\0')
		json_object_set_new(params, "filter", json_string(filter));
	if (more)
		json_object_set_new(params, "after", json_string(t->next));
	if ((result = app_call(t->app, "review.title_changes", params, &err)) == NULL) {
		titles_say(t, err.message, true);
		return;
	}
	if (!more) {
		titles_clear(t);
		t->cur = t->top = 0;
	}
	json_array_foreach(json_object_get(result, "items"), i, item) {
		struct titles_item *it;
		char when[32];

		if (t->n == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 64;
			t->items = xrealloc(t->items, t->cap * sizeof *t->items);
		}
		it = &t->items[t->n++];
		it->id = json_integer_value(json_object_get(item, "id"));
		it->account_id = json_integer_value(json_object_get(item, "account_id"));
		it->name = xstrdup(titles_str(item, "name"));
		it->id_number = xstrdup(titles_str(item, "id_number"));
		it->old_full = titles_name(json_object_get(item, "old"));
		it->new_full = titles_name(json_object_get(item, "new"));
		it->asked = xstrdup(app_format_time(titles_str(item, "asked_at"), when,
		    sizeof when));
		it->selected = false;
	}
	free(t->next);
	next = json_object_get(result, "next");
	t->next = json_is_string(next) ? xstrdup(json_string_value(next)) : NULL;
	t->total = json_integer_value(json_object_get(result, "pending_total"));
	if (t->cur >= t->n)
		t->cur = t->n > 0 ? t->n - 1 : 0;
	json_decref(result);
}

static size_t
titles_selected_count(struct titles *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += t->items[i].selected;
	return n;
}

/* Columns of the list, from x: mark, name, ID number, old title, new title, asked. */
struct titles_columns {
	int	 mark, name, id, old, new, title_w, when;
};

static void
titles_columns(struct titles_columns *c)
{
	c->mark = 1;
	c->name = c->mark + 4;
	c->id = c->name + 11;
	c->old = c->id + 19;
	c->when = COLS - 1 - 16;
	c->title_w = (c->when - 1 - c->old - 1) / 2;
	c->new = c->old + c->title_w + 1;
}

static void
titles_paint(void *arg)
{
	struct titles *t = arg;
	struct titles_columns c;
	struct ui_field *fd = ui_form_field(&t->filter, TITLES_FILTER);
	char *info;

	titles_columns(&c);
	t->rows = LINES - 6;
	ui_header(_("Continuing Education · Title change review"));
	info = xasprintf(_("%s · %lld waiting for review"), app_me_unit_name(t->app),
	    (long long)t->total);
	ui_put(1, 1, COLS - 40, info, UI_TITLE, false);
	free(info);

	ui_put(2, c.mark, 3, "", UI_TITLE, true);
	ui_put(2, c.name, 10, _("Name"), UI_TITLE, false);
	ui_put(2, c.id, 18, _("ID number"), UI_TITLE, false);
	ui_put(2, c.old, c.title_w, _("Old title"), UI_TITLE, false);
	ui_put(2, c.new, c.title_w, _("New title"), UI_TITLE, false);
	ui_put(2, c.when, 16, _("Asked"), UI_TITLE, false);

	if (t->cur < t->top)
		t->top = t->cur;
	if (t->cur >= t->top + (size_t)t->rows)
		t->top = t->cur - (size_t)t->rows + 1;
	for (int row = 0; row < t->rows && t->top + (size_t)row < t->n; row++) {
		size_t i = t->top + (size_t)row;
		struct titles_item *it = &t->items[i];
		enum ui_style st = i == t->cur && !t->filtering ? UI_SELECTED : UI_NORMAL;
		char *old = staff_title_short(it->old_full, c.title_w);
		char *new = staff_title_short(it->new_full, c.title_w);
		int y = 3 + row;

		if (st == UI_SELECTED)
			ui_fill(y, 0, COLS, st);
		ui_put(y, c.mark, 3, it->selected ? "[x]" : "[ ]", st, false);
		ui_put(y, c.name, 10, it->name, st, false);
		ui_put(y, c.id, 18, it->id_number, st, false);
		ui_put(y, c.old, c.title_w, old, st, false);
		ui_put(y, c.new, c.title_w, new, st, false);
		ui_put(y, c.when, 16, it->asked, st, false);
		free(old);
		free(new);
	}
	if (t->n == 0)
		ui_put_center(3 + t->rows / 2, 0, COLS, *ui_form_value(&t->filter,
		    TITLES_FILTER) != '\0' ? _("No title change matches the filter.") :
		    _("No title change is waiting for review."), UI_HINT);

	info = xasprintf(_("%zu shown, %zu selected%s"), t->n, titles_selected_count(t),
	    t->next != NULL ? _("; PgDn loads more") : "");
	ui_put(LINES - 3, 1, COLS - 2, info, UI_HINT, false);
	free(info);
	ui_message_line(t->message, t->message_error);
	app_status(t->app, t->filtering ? _("Type a name or ID number  Enter: done  Esc: clear") :
	    _("Space: select  Enter: details  a: approve  r: reject  /: filter  Esc: back"));

	/* The filter line last, so that its cursor shows while typing in it. */
	ui_form_place_labels(&t->filter, COLS - 38);
	fd->y = 1;
	fd->width = COLS - 2 - fd->x;
	ui_form_draw(&t->filter, t->filtering);
}

/* The ids to decide on: the selected ones, else the one under the cursor (or only). */
static json_t *
titles_targets(struct titles *t, const struct titles_item *only, size_t *n,
    const struct titles_item **one)
{
	json_t *ids = json_array();

	*one = only;
	if (only != NULL) {
		json_array_append_new(ids, json_integer(only->id));
	} else {
		for (size_t i = 0; i < t->n; i++) {
			if (t->items[i].selected) {
				json_array_append_new(ids, json_integer(t->items[i].id));
				*one = &t->items[i];
			}
		}
		if (json_array_size(ids) == 0 && t->n > 0) {
			json_array_append_new(ids, json_integer(t->items[t->cur].id));
			*one = &t->items[t->cur];
		}
	}
	*n = json_array_size(ids);
	return ids;
}

/* "张三（410105…）" for a change id, from the list; "#90" when it is not there. */
static char *
titles_who(struct titles *t, json_int_t id)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->items[i].id == id)
			return xasprintf("%s（%s）", t->items[i].name, t->items[i].id_number);
	}
	return xasprintf("#%lld", (long long)id);
}

/* What became of a change decided meanwhile: who, when, and how.  Caller frees. */
static char *
titles_already(json_t *r)
{
	const char *state = titles_str(r, "state");
	const char *by = titles_str(json_object_get(r, "decided_by"), "name");
	char when[32];

	app_format_time(titles_str(r, "decided_at"), when, sizeof when);
	if (strcmp(state, "cancelled") == 0)
		return xasprintf(_("cancelled by %s at %s"), by, when);
	return xasprintf(_("already decided by %s at %s (%s)"), by, when,
	    strcmp(state, "approved") == 0 ? _("Approved") :
	    strcmp(state, "rejected") == 0 ? _("Rejected") : state);
}

/* Show what became of each change decided; the list is read again after. */
static void
titles_report(struct titles *t, json_t *result, bool approve)
{
	json_t *r;
	size_t i, done = 0, n = 0;
	char *text = NULL, *who, *line, *joined, *summary, *what;

	json_array_foreach(json_object_get(result, "results"), i, r) {
		const char *reason = titles_str(r, "reason");

		who = titles_who(t, json_integer_value(json_object_get(r, "id")));
		if (json_is_true(json_object_get(r, "ok"))) {
			line = xasprintf(_("%s: %s"), who, approve ? _("approved") : _("rejected"));
			done++;
		} else if (strcmp(reason, "already_decided") == 0) {
			what = titles_already(r);
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
	summary = xasprintf(approve ? _("%zu of %zu title changes approved.") :
	    _("%zu of %zu title changes rejected."), done, n);
	titles_say(t, summary, done < n);
	if (n <= 8)
		ui_message(_("Review results"), text != NULL ? text : summary);
	else
		ui_pager(_("Review results"), text, NULL, NULL);
	free(summary);
	free(text);
}

/* Approve the selected changes (or the current one, or only), once confirmed. */
static void
titles_approve(struct titles *t, const struct titles_item *only)
{
	const struct titles_item *one;
	struct rpc_error err;
	json_t *ids, *result;
	size_t n;
	char *text;

	ids = titles_targets(t, only, &n, &one);
	if (n == 0) {
		json_decref(ids);
		return;
	}
	text = n == 1 ? xasprintf(_("Approve the title change of %s (%s) from %s to %s?"),
	    one->name, one->id_number, one->old_full, one->new_full) :
	    xasprintf(_("Approve the %zu selected title changes?"), n);
	if (!ui_confirm(_("Approve"), text)) {
		free(text);
		json_decref(ids);
		return;
	}
	free(text);
	result = app_call(t->app, "review.approve_title_changes", json_pack("{s:o}", "ids", ids),
	    &err);
	if (result == NULL) {
		titles_say(t, err.message, true);
		return;
	}
	titles_report(t, result, true);
	json_decref(result);
	titles_load(t, false);
}

/* Reject the selected changes (or the current one, or only) with a reason asked for. */
static void
titles_reject(struct titles *t, const struct titles_item *only)
{
	const struct titles_item *one;
	struct rpc_error err;
	json_t *ids, *result;
	size_t n;
	char *text, *reason;

	ids = titles_targets(t, only, &n, &one);
	if (n == 0) {
		json_decref(ids);
		return;
	}
	text = n == 1 ? xasprintf(_("Reject the title change of %s (%s) from %s to %s? The "
	    "reason is shown in the person's change history."), one->name, one->id_number,
	    one->old_full, one->new_full) :
	    xasprintf(_("Reject the %zu selected title changes? The reason is shown in each "
	    "person's change history."), n);
	reason = ui_prompt(_("Reject"), text, _("Reason"), 200);
	free(text);
	if (reason == NULL) {
		json_decref(ids);
		return;
	}
	result = app_call(t->app, "review.reject_title_changes",
	    json_pack("{s:o, s:s}", "ids", ids, "reason", reason), &err);
	free(reason);
	if (result == NULL) {
		titles_say(t, err.message, true);
		return;
	}
	titles_report(t, result, false);
	json_decref(result);
	titles_load(t, false);
}

/* Enter: the person's profile and history; a or r there decides this change. */
static void
titles_detail(struct titles *t, bool *quit)
{
	struct titles_item *it;
	char *who;
	int key;

	if (t->n == 0)
		return;
	it = &t->items[t->cur];
	who = xasprintf(_("%s: %s → %s"), it->name, it->old_full, it->new_full);
	key = staff_show(t->app, it->account_id, who,
	    _("a: approve  r: reject  h: whole history  Arrows: scroll  Esc: close"), "ar",
	    titles_paint, t);
	free(who);
	if (key < 0)
		*quit = true;
	else if (key == 'a')
		titles_approve(t, it);
	else if (key == 'r')
		titles_reject(t, it);
}

/* Move the cursor by step rows, reading the next page when it runs off the end. */
static void
titles_move(struct titles *t, long step)
{
	if (step > 0 && t->cur + (size_t)step >= t->n && t->next != NULL)
		titles_load(t, true);
	if (t->n == 0)
		return;
	if (step < 0)
		t->cur = (size_t)-step > t->cur ? 0 : t->cur - (size_t)-step;
	else
		t->cur = t->cur + (size_t)step >= t->n ? t->n - 1 : t->cur + (size_t)step;
}

/* A key while typing the filter; the list follows the filter as it changes. */
static void
titles_filter_key(struct titles *t, struct ui_event *ev)
{
	char *before;
	int id;

	if (ev->type == UI_EV_KEY && ev->key == UI_KEY_ESC) {
		t->filtering = false;
		if (*ui_form_value(&t->filter, TITLES_FILTER) != '\0') {
			ui_form_set(&t->filter, TITLES_FILTER, NULL);
			titles_load(t, false);
		}
		return;
	}
	if (ev->type == UI_EV_KEY && (ev->key == UI_KEY_ENTER || ev->key == UI_KEY_TAB ||
	    ev->key == KEY_DOWN || ev->key == KEY_UP)) {
		t->filtering = false;
		return;
	}
	before = xstrdup(ui_form_value(&t->filter, TITLES_FILTER));
	ui_form_key(&t->filter, ev, &id);
	if (strcmp(before, ui_form_value(&t->filter, TITLES_FILTER)) != 0)
		titles_load(t, false);
	free(before);
}

enum screen_id
screen_titles_run(struct app *a)
{
	struct titles t = { .app = a };
	struct ui_event ev;
	enum screen_id next = SCREEN_HOME;
	bool quit = false;
	long page;

	ui_form_init(&t.filter);
	ui_form_add_text(&t.filter, TITLES_FILTER, _("Filter (/)"), 20, 50, false);
	ui_set_backdrop(titles_paint, &t);
	titles_load(&t, false);
	for (;;) {
		ui_repaint();
		ui_next_event(&ev);
		if (ev.type == UI_EV_QUIT || ui_is_quit_key(&ev)) {
			next = SCREEN_QUIT;
			break;
		}
		if (t.filtering) {
			titles_filter_key(&t, &ev);
			continue;
		}
		page = t.rows > 1 ? t.rows - 1 : 1;
		if (ev.type == UI_EV_CHAR) {
			switch (ev.ch) {
			case 'j':
				titles_move(&t, 1);
				break;
			case 'k':
				titles_move(&t, -1);
				break;
			case ' ':
				if (t.n > 0) {
					t.items[t.cur].selected = !t.items[t.cur].selected;
					titles_move(&t, 1);
				}
				break;
			case 'a':
				titles_say(&t, "", false);
				titles_approve(&t, NULL);
				break;
			case 'r':
				titles_say(&t, "", false);
				titles_reject(&t, NULL);
				break;
			case '/':
				t.filtering = true;
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
			titles_move(&t, 1);
			break;
		case KEY_UP:
			titles_move(&t, -1);
			break;
		case KEY_NPAGE:
			titles_move(&t, page);
			break;
		case KEY_PPAGE:
			titles_move(&t, -page);
			break;
		case KEY_HOME:
			t.cur = 0;
			break;
		case KEY_END:
			t.cur = t.n > 0 ? t.n - 1 : 0;
			break;
		case UI_KEY_ENTER:
			titles_say(&t, "", false);
			titles_detail(&t, &quit);
			if (quit) {
				next = SCREEN_QUIT;
				goto out;
			}
			break;
		case KEY_F(5):
			titles_say(&t, "", false);
			titles_load(&t, false);
			break;
		}
	}
out:
	ui_set_backdrop(NULL, NULL);
	titles_clear(&t);
	free(t.items);
	ui_form_free(&t.filter);
	return next;
}
