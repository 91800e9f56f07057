/*
 * screen-staff.c - 本单位人员: a unit administrator's list of the unit's
 * staff, by name, a page at a time, with a filter (/: a name or the start
 * of an ID number).  Enter shows one person's profile and change history,
 * read only (review.staff_profile); h there opens the whole history.
 * r resets the person's forgotten password (review.reset_password) once
 * confirmed, "No" focused: the one-time code it gives is shown this once.
 *
 * Which accounts an administrator may see is the server's business: it
 * lists the own unit's active staff only, and answers not_found for any
 * other account.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "app.h"
#include "text.h"
#include "xmalloc.h"

#define STAFF_PAGE		50
#define STAFF_FILTER		1
#define STAFF_HISTORY_SHOWN	20	/* entries in the view; h shows them all */

struct staff_item {
	json_int_t	 id;
	char		*id_number;
	char		*name;
	char		*sex;
	char		*department;
	char		*title;		/* "series / level / name", "" for none */
	bool		 title_pending;
};

struct staff {
	struct app	*app;
	struct staff_item *items;
	size_t		 n, cap;
	char		*next;		/* cursor of the next page, NULL: none */
	json_int_t	 total;
	size_t		 cur, top;
	int		 rows;
	struct ui_form	 filter;
	bool		 filtering;	/* keys go to the filter line */
	char		 message[512];
	bool		 message_error;
};

static const char *
staff_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

char *
staff_title_short(const char *full, int cols)
{
	const char *first, *second;
	char *s;

	if (full == NULL || *full == '\0')
		return xstrdup("");
	/* "series / level / name": the name and the level are what tells titles apart. */
	if ((first = strstr(full, " / ")) == NULL ||
	    (second = strstr(first + 3, " / ")) == NULL)
		return xstrdup(full);
	s = xasprintf("%s（%.*s）", second + 3, (int)(second - (first + 3)), first + 3);
	if (text_width(s) > cols) {
		free(s);
		s = xstrdup(second + 3);	/* the name alone mostly says the level too */
	}
	return s;
}

/* A title object of profile.get: "工程 · 工程师（中级）", "" for null.  Caller frees. */
static char *
staff_title_text(json_t *title)
{
	if (!json_is_object(title))
		return xstrdup("");
	return xasprintf("%s · %s（%s）", staff_str(title, "series"), staff_str(title, "name"),
	    staff_str(title, "level"));
}

/* "name（code）" of {code, name}, or "" for null.  Caller frees. */
static char *
staff_coded(json_t *o)
{
	const char *code = staff_str(o, "code");

	if (!json_is_object(o))
		return xstrdup("");
	if (*code != '\0')
		return xasprintf("%s（%s）", staff_str(o, "name"), code);
	return xstrdup(staff_str(o, "name"));
}

/* review.staff_profile's result as text: the profile, then the latest changes. */
static char *
staff_profile_text(json_t *result)
{
	const char *labels[] = {
		_("ID number"), _("Name"), _("Sex"), _("Date of birth"), _("Work unit"),
		_("Department"), _("Mobile phone"), _("E-mail"), _("Ethnicity"),
		_("Native place"), _("Graduated from"), _("Major"), _("Professional title"),
		_("Education"),
	};
	json_t *d = json_object_get(result, "profile"), *history, *pending, *item;
	char *text = NULL, *v, *pend, when[32];
	size_t i;
	int w = 0;

	for (i = 0; i < sizeof labels / sizeof labels[0]; i++) {
		if (text_width(labels[i]) > w)
			w = text_width(labels[i]);
	}
	w += 2;
	app_append_row(&text, labels[0], w, staff_str(d, "id_number"));
	app_append_row(&text, labels[1], w, staff_str(d, "name"));
	app_append_row(&text, labels[2], w, app_sex_name(staff_str(d, "sex")));
	app_append_row(&text, labels[3], w, staff_str(d, "birth_date"));
	app_append_row(&text, labels[4], w, staff_str(json_object_get(d, "unit"), "name"));
	app_append_row(&text, labels[5], w, staff_str(json_object_get(d, "department"), "name"));
	app_append_row(&text, labels[6], w, staff_str(d, "phone"));
	app_append_row(&text, labels[7], w, staff_str(d, "email"));
	app_append_row(&text, labels[8], w, staff_str(json_object_get(d, "ethnicity"), "name"));
	app_append_row(&text, labels[9], w, staff_str(d, "native_place"));
	app_append_row(&text, labels[10], w, staff_str(d, "school"));
	v = staff_coded(json_object_get(d, "major"));
	app_append_row(&text, labels[11], w, v);
	free(v);
	v = staff_title_text(json_object_get(d, "title"));
	pending = json_object_get(d, "pending_title");
	if (json_is_object(pending)) {
		char *asked = staff_title_text(json_object_get(pending, "title"));

		pend = xasprintf(_("%s (asked to change to %s on %s, waiting for review)"), v,
		    *asked != '\0' ? asked : _("none"),
		    app_format_time(staff_str(pending, "asked_at"), when, sizeof when));
		free(asked);
		free(v);
		v = pend;
	}
	app_append_row(&text, labels[12], w, v);
	free(v);
	app_append_row(&text, labels[13], w,
	    staff_str(json_object_get(d, "education_level"), "name"));

	history = json_object_get(result, "history");
	v = xasprintf("%s\n%s\n", text, _("History"));
	free(text);
	text = v;
	json_array_foreach(json_object_get(history, "items"), i, item) {
		char *line = profile_history_line(item);

		v = xasprintf("%s%s\n", text, line);
		free(text);
		free(line);
		text = v;
	}
	if (json_array_size(json_object_get(history, "items")) == 0) {
		v = xasprintf("%s%s\n", text, _("No changes yet."));
		free(text);
		text = v;
	}
	if (json_is_string(json_object_get(history, "next"))) {
		v = xasprintf("%s%s\n", text, _("(older changes: press h for the whole history)"));
		free(text);
		text = v;
	}
	return text;
}

int
staff_show(struct app *a, json_int_t account_id, const char *who, const char *hints,
    const char *keys, void (*paint)(void *), void *arg)
{
	struct rpc_error err;
	json_t *result;
	char *text, *all_keys;
	int key;

	all_keys = xasprintf("h%s", keys != NULL ? keys : "");
	for (;;) {
		result = app_call(a, "review.staff_profile", json_pack("{s:I, s:i}",
		    "account_id", account_id, "limit", STAFF_HISTORY_SHOWN), &err);
		if (result == NULL) {
			if (!a->restart)
				ui_message(who, err.message);
			key = a->restart ? -1 : 0;
			break;
		}
		text = staff_profile_text(result);
		json_decref(result);
		key = ui_pager(who, text, hints != NULL ? hints :
		    _("h: whole history  Arrows: scroll  Esc: close"), all_keys);
		free(text);
		if (key != 'h')
			break;
		key = profile_history_run(a, who, account_id);
		ui_set_backdrop(paint, arg);
		if (key != 0)
			break;
	}
	free(all_keys);
	return key;
}

static void
staff_say(struct staff *s, const char *text, bool error)
{
	app_copy(s->message, sizeof s->message, text);
	s->message_error = error;
}

static void
staff_clear(struct staff *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->items[i].id_number);
		free(s->items[i].name);
		free(s->items[i].sex);
		free(s->items[i].department);
		free(s->items[i].title);
	}
	s->n = 0;
	free(s->next);
	s->next = NULL;
}

/* Read the list from the start (more: the next page, appended), with the filter typed. */
static void
staff_load(struct staff *s, bool more)
{
	const char *filter = ui_form_value(&s->filter, STAFF_FILTER);
	struct rpc_error err;
	json_t *params, *result, *item, *next;
	size_t i;

	if (more && s->next == NULL)
		return;
	params = json_pack("{s:i}", "limit", STAFF_PAGE);
	if (*filter != '\0')
		json_object_set_new(params, "filter", json_string(filter));
	if (more)
		json_object_set_new(params, "after", json_string(s->next));
	if ((result = app_call(s->app, "review.staff", params, &err)) == NULL) {
		staff_say(s, err.message, true);
		return;
	}
	if (!more) {
		staff_clear(s);
		s->cur = s->top = 0;
	}
	json_array_foreach(json_object_get(result, "items"), i, item) {
		struct staff_item *it;

		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 64;
			s->items = xrealloc(s->items, s->cap * sizeof *s->items);
		}
		it = &s->items[s->n++];
		it->id = json_integer_value(json_object_get(item, "account_id"));
		it->id_number = xstrdup(staff_str(item, "id_number"));
		it->name = xstrdup(staff_str(item, "name"));
		it->sex = xstrdup(app_sex_name(staff_str(item, "sex")));
		it->department = xstrdup(staff_str(item, "department"));
		it->title = xstrdup(staff_str(item, "title"));
		it->title_pending = json_is_true(json_object_get(item, "title_pending"));
	}
	free(s->next);
	next = json_object_get(result, "next");
	s->next = json_is_string(next) ? xstrdup(json_string_value(next)) : NULL;
	s->total = json_integer_value(json_object_get(result, "total"));
	if (s->cur >= s->n)
		s->cur = s->n > 0 ? s->n - 1 : 0;
	json_decref(result);
}

/* Columns of the list: name, ID number, sex, department, title. */
struct staff_columns {
	int	 name, id, sex, dept, dept_w, title, title_w;
};

static void
staff_columns(struct staff_columns *c)
{
	c->name = 1;
	c->id = c->name + 13;
	c->sex = c->id + 19;
	c->dept = c->sex + 5;
	c->dept_w = 16;
	c->title = c->dept + c->dept_w + 1;
	c->title_w = COLS - 1 - c->title;
}

static void
staff_paint(void *arg)
{
	struct staff *s = arg;
	struct staff_columns c;
	struct ui_field *fd = ui_form_field(&s->filter, STAFF_FILTER);
	char *info;

	staff_columns(&c);
	s->rows = LINES - 6;
	ui_header(_("Continuing Education · Staff of the unit"));
	info = xasprintf(_("%s · %lld people"), app_me_unit_name(s->app), (long long)s->total);
	ui_put(1, 1, COLS - 40, info, UI_TITLE, false);
	free(info);

	ui_put(2, c.name, 12, _("Name"), UI_TITLE, false);
	ui_put(2, c.id, 18, _("ID number"), UI_TITLE, false);
	ui_put(2, c.sex, 4, _("Sex"), UI_TITLE, false);
	ui_put(2, c.dept, c.dept_w, _("Department"), UI_TITLE, false);
	ui_put(2, c.title, c.title_w, _("Professional title"), UI_TITLE, false);

	if (s->cur < s->top)
		s->top = s->cur;
	if (s->cur >= s->top + (size_t)s->rows)
		s->top = s->cur - (size_t)s->rows + 1;
	for (int row = 0; row < s->rows && s->top + (size_t)row < s->n; row++) {
		size_t i = s->top + (size_t)row;
		struct staff_item *it = &s->items[i];
		enum ui_style st = i == s->cur && !s->filtering ? UI_SELECTED : UI_NORMAL;
		const char *mark = it->title_pending ? _("(change waiting for review)") : "";
		char *title = staff_title_short(it->title, c.title_w - text_width(mark)), *cell;
		int y = 3 + row;

		if (st == UI_SELECTED)
			ui_fill(y, 0, COLS, st);
		ui_put(y, c.name, 12, it->name, st, false);
		ui_put(y, c.id, 18, it->id_number, st, false);
		ui_put(y, c.sex, 4, it->sex, st, false);
		ui_put(y, c.dept, c.dept_w, it->department, st, false);
		cell = xasprintf("%s%s", title, mark);
		ui_put(y, c.title, c.title_w, cell, st, false);
		free(cell);
		free(title);
	}
	if (s->n == 0)
		ui_put_center(3 + s->rows / 2, 0, COLS, *ui_form_value(&s->filter,
		    STAFF_FILTER) != '\0' ? _("Nobody matches the filter.") :
		    _("The unit has no staff yet."), UI_HINT);

	info = xasprintf(_("%zu shown%s"), s->n, s->next != NULL ? _("; PgDn loads more") : "");
	ui_put(LINES - 3, 1, COLS - 2, info, UI_HINT, false);
	free(info);
	ui_message_line(s->message, s->message_error);
	app_status(s->app, s->filtering ? _("Type a name or ID number  Enter: done  Esc: clear") :
	    _("Enter: profile and history  r: reset password  /: filter  F5: reload  Esc: back"));

	/* The filter line last, so that its cursor shows while typing in it. */
	ui_form_place_labels(&s->filter, COLS - 38);
	fd->y = 1;
	fd->width = COLS - 2 - fd->x;
	ui_form_draw(&s->filter, s->filtering);
}

/*
 * r: reset the password of the person under the cursor, once confirmed,
 * and show the one-time code (the server keeps only its hash).
 */
static void
staff_reset_password(struct staff *s)
{
	struct staff_item *it;
	struct rpc_error err;
	json_t *result;
	char *text, when[32];

	staff_say(s, "", false);
	if (s->n == 0)
		return;
	it = &s->items[s->cur];
	text = xasprintf(_("Reset the password of %s (%s)? The current password stops working "
	    "at once and every session of the account ends. You will get a one-time code "
	    "for them to log in with and set a new password."), it->name, it->id_number);
	if (!ui_confirm_safe(_("Reset password"), text)) {
		free(text);
		return;
	}
	free(text);
	result = app_call(s->app, "review.reset_password", json_pack("{s:I}", "account_id",
	    it->id), &err);
	if (result == NULL) {
		if (!s->app->restart)
			staff_say(s, err.message, true);
		return;
	}
	text = xasprintf(_("One-time code for %s:\n\n    %s\n\nValid until %s. It is shown "
	    "only this once: give it to the person yourself, in person or by phone. They log "
	    "in with it as their password and must then set a new one."), it->name,
	    staff_str(result, "code"), app_format_time(staff_str(result, "expires_at"), when,
	    sizeof when));
	json_decref(result);
	ui_message(_("Reset password"), text);
	/* The code leaves memory with the dialog. */
	memset(text, 0, strlen(text));
	free(text);
	staff_say(s, _("The password was reset."), false);
}

/* Move the cursor by step rows, reading the next page when it runs off the end. */
static void
staff_move(struct staff *s, long step)
{
	if (step > 0 && s->cur + (size_t)step >= s->n && s->next != NULL)
		staff_load(s, true);
	if (s->n == 0)
		return;
	if (step < 0)
		s->cur = (size_t)-step > s->cur ? 0 : s->cur - (size_t)-step;
	else
		s->cur = s->cur + (size_t)step >= s->n ? s->n - 1 : s->cur + (size_t)step;
}

/* A key while typing the filter; the list follows the filter as it changes. */
static void
staff_filter_key(struct staff *s, struct ui_event *ev)
{
	char *before;
	int id;

	if (ev->type == UI_EV_KEY && ev->key == UI_KEY_ESC) {
		s->filtering = false;
		if (*ui_form_value(&s->filter, STAFF_FILTER) != '\0') {
			ui_form_set(&s->filter, STAFF_FILTER, NULL);
			staff_load(s, false);
		}
		return;
	}
	if (ev->type == UI_EV_KEY && (ev->key == UI_KEY_ENTER || ev->key == UI_KEY_TAB ||
	    ev->key == KEY_DOWN || ev->key == KEY_UP)) {
		s->filtering = false;
		return;
	}
	before = xstrdup(ui_form_value(&s->filter, STAFF_FILTER));
	ui_form_key(&s->filter, ev, &id);
	if (strcmp(before, ui_form_value(&s->filter, STAFF_FILTER)) != 0)
		staff_load(s, false);
	free(before);
}

enum screen_id
screen_staff_run(struct app *a)
{
	struct staff s = { .app = a };
	struct ui_event ev;
	enum screen_id next = SCREEN_HOME;
	long page;

	ui_form_init(&s.filter);
	ui_form_add_text(&s.filter, STAFF_FILTER, _("Filter (/)"), 20, 50, false);
	ui_set_backdrop(staff_paint, &s);
	staff_load(&s, false);
	for (;;) {
		ui_repaint();
		ui_next_event(&ev);
		if (ev.type == UI_EV_QUIT || ui_is_quit_key(&ev)) {
			next = SCREEN_QUIT;
			break;
		}
		if (s.filtering) {
			staff_filter_key(&s, &ev);
			continue;
		}
		page = s.rows > 1 ? s.rows - 1 : 1;
		if (ev.type == UI_EV_CHAR) {
			if (ev.ch == 'j')
				staff_move(&s, 1);
			else if (ev.ch == 'k')
				staff_move(&s, -1);
			else if (ev.ch == '/')
				s.filtering = true;
			else if (ev.ch == 'r')
				staff_reset_password(&s);
			else if (ev.ch == 'q')
				break;
			continue;
		}
		if (ev.type != UI_EV_KEY)
			continue;
		if (ev.key == UI_KEY_ESC)
			break;
		switch (ev.key) {
		case KEY_DOWN:
			staff_move(&s, 1);
			break;
		case KEY_UP:
			staff_move(&s, -1);
			break;
		case KEY_NPAGE:
			staff_move(&s, page);
			break;
		case KEY_PPAGE:
			staff_move(&s, -page);
			break;
		case KEY_HOME:
			s.cur = 0;
			break;
		case KEY_END:
			s.cur = s.n > 0 ? s.n - 1 : 0;
			break;
		case UI_KEY_ENTER:
			staff_say(&s, "", false);
			if (s.n > 0 && staff_show(a, s.items[s.cur].id, s.items[s.cur].name, NULL,
			    NULL, staff_paint, &s) < 0) {
				next = SCREEN_QUIT;
				goto out;
			}
			break;
		case KEY_F(5):
			staff_say(&s, "", false);
			staff_load(&s, false);
			break;
		}
	}
out:
	ui_set_backdrop(NULL, NULL);
	staff_clear(&s);
	free(s.items);
	ui_form_free(&s.filter);
	return next;
}
