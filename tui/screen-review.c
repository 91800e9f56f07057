/*
 * screen-review.c - 注册审核: a unit administrator's queue of registrations
 * waiting for review, newest first, a page at a time.
 *
 * j/k and the arrows move, Space selects (several), Enter shows one in
 * full with its history, a approves and r rejects (with a reason) the
 * selected ones or the one under the cursor, / filters by a name or the
 * start of an ID number.  Who may decide what is the server's business:
 * each decision comes back per application, and one another administrator
 * decided meanwhile is reported with who did it and when.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "app.h"
#include "text.h"
#include "xmalloc.h"

#define REVIEW_PAGE		50
#define REVIEW_FILTER		1

struct review_item {
	json_int_t	 id;
	char		*id_number;
	char		*name;
	char		*sex;
	char		*department;
	char		*submitted;
	size_t		 conflicts;	/* other applications or accounts of the ID number */
	bool		 selected;
};

struct review {
	struct app	*app;
	struct review_item *items;
	size_t		 n, cap;
	char		*next;		/* cursor of the next page, NULL: none */
	json_int_t	 total;		/* pending_total */
	size_t		 cur, top;
	int		 rows;		/* list rows at the last paint */
	struct ui_form	 filter;
	bool		 filtering;	/* keys go to the filter line */
	char		 message[512];
	bool		 message_error;
};

static void
review_say(struct review *rv, const char *text, bool error)
{
	app_copy(rv->message, sizeof rv->message, text);
	rv->message_error = error;
}

static const char *
review_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static void
review_clear(struct review *rv)
{
	for (size_t i = 0; i < rv->n; i++) {
		free(rv->items[i].id_number);
		free(rv->items[i].name);
		free(rv->items[i].sex);
		free(rv->items[i].department);
		free(rv->items[i].submitted);
	}
	rv->n = 0;
	free(rv->next);
	rv->next = NULL;
}

/*
 * Read the queue from the start (more: the next page, appended), with the
 * filter as it is typed.
 */
static void
review_load(struct review *rv, bool more)
{
	const char *filter = ui_form_value(&rv->filter, REVIEW_FILTER);
	struct rpc_error err;
	json_t *params, *result, *item, *next;
	size_t i;

	if (more && rv->next == NULL)
		return;
	params = json_pack("{s:i}", "limit", REVIEW_PAGE);
	if (*filter != '\0')
		json_object_set_new(params, "filter", json_string(filter));
	if (more)
		json_object_set_new(params, "after", json_string(rv->next));
	if ((result = app_call(rv->app, "review.registrations", params, &err)) == NULL) {
		review_say(rv, err.message, true);
		return;
	}
	if (!more) {
		review_clear(rv);
		rv->cur = rv->top = 0;
	}
	json_array_foreach(json_object_get(result, "items"), i, item) {
		struct review_item *it;
		char when[32];

		if (rv->n == rv->cap) {
			rv->cap = rv->cap ? rv->cap * 2 : 64;
			rv->items = xrealloc(rv->items, rv->cap * sizeof *rv->items);
		}
		it = &rv->items[rv->n++];
		it->id = json_integer_value(json_object_get(item, "account_id"));
		it->id_number = xstrdup(review_str(item, "id_number"));
		it->name = xstrdup(review_str(item, "name"));
		it->sex = xstrdup(app_sex_name(review_str(item, "sex")));
		it->department = xstrdup(review_str(item, "department"));
		it->conflicts = json_array_size(json_object_get(item, "conflicts"));
		it->submitted = xstrdup(app_format_time(review_str(item, "submitted_at"), when,
		    sizeof when));
		it->selected = false;
	}
	free(rv->next);
	next = json_object_get(result, "next");
	rv->next = json_is_string(next) ? xstrdup(json_string_value(next)) : NULL;
	rv->total = json_integer_value(json_object_get(result, "pending_total"));
	if (rv->cur >= rv->n)
		rv->cur = rv->n > 0 ? rv->n - 1 : 0;
	json_decref(result);
}

static size_t
review_selected_count(struct review *rv)
{
	size_t n = 0;

	for (size_t i = 0; i < rv->n; i++)
		n += rv->items[i].selected;
	return n;
}

/* Columns of the list, from x: mark, name, ID number, sex, department, submitted. */
struct review_columns {
	int	 mark, name, id, sex, dept, dept_w, when;
};

static void
review_columns(struct review_columns *c)
{
	c->mark = 1;
	c->name = c->mark + 4;
	c->id = c->name + 13;
	c->sex = c->id + 19;
	c->dept = c->sex + 5;
	c->when = COLS - 1 - 16;
	c->dept_w = c->when - 1 - c->dept;
}

/* Whether any loaded application's ID number has another application or account. */
static bool
review_conflicted(const struct review *rv)
{
	for (size_t i = 0; i < rv->n; i++) {
		if (rv->items[i].conflicts > 0)
			return true;
	}
	return false;
}

static void
review_paint(void *arg)
{
	struct review *rv = arg;
	struct review_columns c;
	struct ui_field *fd = ui_form_field(&rv->filter, REVIEW_FILTER);
	char *info;
	int y;

	review_columns(&c);
	rv->rows = LINES - 6;
	ui_header(_("Continuing Education · Registration review"));
	info = xasprintf(_("%s · %lld waiting for review"), app_me_unit_name(rv->app),
	    (long long)rv->total);
	ui_put(1, 1, COLS - 40, info, UI_TITLE, false);
	free(info);

	ui_put(2, c.mark, 3, "", UI_TITLE, true);
	ui_put(2, c.name, 12, _("Name"), UI_TITLE, false);
	ui_put(2, c.id, 18, _("ID number"), UI_TITLE, false);
	ui_put(2, c.sex, 4, _("Sex"), UI_TITLE, false);
	ui_put(2, c.dept, c.dept_w, _("Department"), UI_TITLE, false);
	ui_put(2, c.when, 16, _("Submitted"), UI_TITLE, false);

	if (rv->cur < rv->top)
		rv->top = rv->cur;
	if (rv->cur >= rv->top + (size_t)rv->rows)
		rv->top = rv->cur - (size_t)rv->rows + 1;
	for (int row = 0; row < rv->rows && rv->top + (size_t)row < rv->n; row++) {
		size_t i = rv->top + (size_t)row;
		struct review_item *it = &rv->items[i];
		enum ui_style st = i == rv->cur && !rv->filtering ? UI_SELECTED : UI_NORMAL;

		y = 3 + row;
		if (st == UI_SELECTED)
			ui_fill(y, 0, COLS, st);
		/* A claim on the ID number elsewhere: "!" before the box; Enter shows it. */
		if (it->conflicts > 0)
			ui_put(y, 0, 1, "!", UI_ERROR, false);
		ui_put(y, c.mark, 3, it->selected ? "[x]" : "[ ]", st, false);
		ui_put(y, c.name, 12, it->name, st, false);
		ui_put(y, c.id, 18, it->id_number, st, false);
		ui_put(y, c.sex, 4, it->sex, st, false);
		ui_put(y, c.dept, c.dept_w, it->department, st, false);
		ui_put(y, c.when, 16, it->submitted, st, false);
	}
	if (rv->n == 0)
		ui_put_center(3 + rv->rows / 2, 0, COLS, *ui_form_value(&rv->filter,
		    REVIEW_FILTER) != '\0' ? _("No registration matches the filter.") :
		    _("No registration is waiting for review."), UI_HINT);

	info = xasprintf(_("%zu shown, %zu selected%s%s"), rv->n, review_selected_count(rv),
	    rv->next != NULL ? _("; PgDn loads more") : "",
	    review_conflicted(rv) ? _("; !: the ID number has another application") : "");
	ui_put(LINES - 3, 1, COLS - 2, info, UI_HINT, false);
	free(info);
	ui_message_line(rv->message, rv->message_error);
	app_status(rv->app, rv->filtering ? _("Type a name or ID number  Enter: done  Esc: clear") :
	    _("Space: select  Enter: details  a: approve  r: reject  /: filter  Esc: back"));

	/* The filter line last, so that its cursor shows while typing in it. */
	ui_form_place_labels(&rv->filter, COLS - 38);
	fd->y = 1;
	fd->width = COLS - 2 - fd->x;
	ui_form_draw(&rv->filter, rv->filtering);
}

/* The ids to decide on: the selected ones, else the one under the cursor. */
static json_t *
review_targets(struct review *rv, size_t *n, const struct review_item **one)
{
	json_t *ids = json_array();

	*one = NULL;
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

/* "张三（410105…）" for an account id, from the list; "#42" when it is not there. */
static char *
review_who(struct review *rv, json_int_t id)
{
	for (size_t i = 0; i < rv->n; i++) {
		if (rv->items[i].id == id)
			return xasprintf("%s（%s）", rv->items[i].name, rv->items[i].id_number);
	}
	return xasprintf("#%lld", (long long)id);
}

/* Show what became of each application decided; the list is read again after. */
static void
review_report(struct review *rv, json_t *result, bool approve)
{
	json_t *r;
	size_t i, done = 0, n = 0;
	char *text = NULL, *who, *line, *joined, *summary, when[32];

	json_array_foreach(json_object_get(result, "results"), i, r) {
		json_int_t id = json_integer_value(json_object_get(r, "account_id"));
		const char *reason = review_str(r, "reason");

		who = review_who(rv, id);
		if (json_is_true(json_object_get(r, "ok"))) {
			line = xasprintf(_("%s: %s"), who, approve ? _("approved") : _("rejected"));
			done++;
		} else if (strcmp(reason, "already_decided") == 0) {
			char *what = xasprintf(_("already decided by %s at %s (%s)"),
			    review_str(json_object_get(r, "decided_by"), "name"),
			    app_format_time(review_str(r, "decided_at"), when, sizeof when),
			    app_state_name(review_str(r, "state")));

			line = xasprintf(_("%s: %s"), who, what);
			free(what);
		} else if (strcmp(reason, "id_number_admin") == 0) {
			line = xasprintf(_("%s: %s"), who, _("the ID number is a unit "
			    "administrator's (jxjyd.conf); only the system administrator can "
			    "change that"));
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
	review_say(rv, summary, done < n);
	if (n <= 8)
		ui_message(_("Review results"), text != NULL ? text : summary);
	else
		ui_pager(_("Review results"), text, NULL, NULL);
	free(summary);
	free(text);
}

/* Approve the selected applications (or the current one), once confirmed. */
static void
review_approve(struct review *rv, const struct review_item *only)
{
	const struct review_item *one;
	struct rpc_error err;
	json_t *ids, *result;
	size_t n;
	char *text;

	if (only != NULL) {
		ids = json_pack("[I]", only->id);
		n = 1;
		one = only;
	} else {
		ids = review_targets(rv, &n, &one);
	}
	if (n == 0) {
		json_decref(ids);
		return;
	}
	text = n == 1 ? xasprintf(_("Approve the registration of %s (%s)?"), one->name,
	    one->id_number) : xasprintf(_("Approve the %zu selected registrations?"), n);
	if (!ui_confirm(_("Approve"), text)) {
		free(text);
		json_decref(ids);
		return;
	}
	free(text);
	result = app_call(rv->app, "review.approve_registrations",
	    json_pack("{s:o}", "account_ids", ids), &err);
	if (result == NULL) {
		review_say(rv, err.message, true);
		return;
	}
	review_report(rv, result, true);
	json_decref(result);
	review_load(rv, false);
}

/* Reject the selected applications (or the current one) with a reason asked for. */
static void
review_reject(struct review *rv, const struct review_item *only)
{
	const struct review_item *one;
	struct rpc_error err;
	json_t *ids, *result;
	size_t n;
	char *text, *reason;

	if (only != NULL) {
		ids = json_pack("[I]", only->id);
		n = 1;
		one = only;
	} else {
		ids = review_targets(rv, &n, &one);
	}
	if (n == 0) {
		json_decref(ids);
		return;
	}
	text = n == 1 ? xasprintf(_("Reject the registration of %s (%s)? The applicant "
	    "sees the reason when logging in."), one->name, one->id_number) :
	    xasprintf(_("Reject the %zu selected registrations? The applicants see the "
	    "reason when logging in."), n);
	reason = ui_prompt(_("Reject"), text, _("Reason"), 200);
	free(text);
	if (reason == NULL) {
		json_decref(ids);
		return;
	}
	result = app_call(rv->app, "review.reject_registrations",
	    json_pack("{s:o, s:s}", "account_ids", ids, "reason", reason), &err);
	free(reason);
	if (result == NULL) {
		review_say(rv, err.message, true);
		return;
	}
	review_report(rv, result, false);
	json_decref(result);
	review_load(rv, false);
}

/* The name of a history entry's action. */
static const char *
review_action_name(const char *action)
{
	static const struct {
		const char	*action;
		const char	*name;
	} names[] = {
		{ "register", N_("registered") },
		{ "resubmit", N_("registered again") },
		{ "withdraw", N_("withdrawn") },
		{ "approve", N_("approved") },
		{ "reject", N_("rejected") },
		{ "lockout", N_("locked after failed logins") },	/* before schema 005 */
		{ "supersede", N_("rejected: another application was approved") },
		{ "password_change", N_("password changed") },
		{ "provision", N_("provisioned") },
		{ "disable", N_("disabled") },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(action, names[i].action) == 0)
			return _(names[i].name);
	}
	return action;
}

/* "name (code)" of an object {code|id, name}, or "" for null. */
static char *
review_named(json_t *o)
{
	const char *code = review_str(o, "code");

	if (!json_is_object(o))
		return xstrdup("");
	if (*code != '\0')
		return xasprintf("%s（%s）", review_str(o, "name"), code);
	return xstrdup(review_str(o, "name"));
}

/* review.registration as rows of text, then its history. */
static char *
review_detail_text(json_t *d)
{
	const char *labels[] = {
		_("ID number"), _("Name"), _("Sex"), _("Date of birth"), _("Mobile phone"),
		_("E-mail"), _("Employer"), _("Department"), _("Ethnicity"), _("Native place"),
		_("Graduated from"), _("Major"), _("Professional title"), _("Education"),
		_("State"), _("Submitted"), _("Decided"), _("Decided by"), _("Reason"),
	};
	char *text = NULL, *v, when[32];
	json_t *h, *title;
	size_t i;
	int w = 0;

	for (i = 0; i < sizeof labels / sizeof labels[0]; i++) {
		if (text_width(labels[i]) > w)
			w = text_width(labels[i]);
	}
	w += 2;
	app_append_row(&text, labels[0], w, review_str(d, "id_number"));
	app_append_row(&text, labels[1], w, review_str(d, "name"));
	app_append_row(&text, labels[2], w, app_sex_name(review_str(d, "sex")));
	app_append_row(&text, labels[3], w, review_str(d, "birth_date"));
	app_append_row(&text, labels[4], w, review_str(d, "phone"));
	app_append_row(&text, labels[5], w, review_str(d, "email"));
	v = review_named(json_object_get(d, "unit"));
	app_append_row(&text, labels[6], w, v);
	free(v);
	app_append_row(&text, labels[7], w, review_str(json_object_get(d, "department"), "name"));
	app_append_row(&text, labels[8], w, review_str(json_object_get(d, "ethnicity"), "name"));
	app_append_row(&text, labels[9], w, review_str(d, "native_place"));
	app_append_row(&text, labels[10], w, review_str(d, "school"));
	v = review_named(json_object_get(d, "major"));
	app_append_row(&text, labels[11], w, v);
	free(v);
	title = json_object_get(d, "title");
	v = json_is_object(title) ? xasprintf("%s · %s（%s）", review_str(title, "series"),
	    review_str(title, "name"), review_str(title, "level")) : xstrdup("");
	app_append_row(&text, labels[12], w, v);
	free(v);
	app_append_row(&text, labels[13], w,
	    review_str(json_object_get(d, "education_level"), "name"));
	app_append_row(&text, labels[14], w, app_state_name(review_str(d, "state")));
	app_append_row(&text, labels[15], w,
	    app_format_time(review_str(d, "submitted_at"), when, sizeof when));
	if (*review_str(d, "decided_at") != '\0') {
		app_append_row(&text, labels[16], w,
		    app_format_time(review_str(d, "decided_at"), when, sizeof when));
		app_append_row(&text, labels[17], w,
		    review_str(json_object_get(d, "decided_by"), "name"));
	}
	if (*review_str(d, "reject_reason") != '\0')
		app_append_row(&text, labels[18], w, review_str(d, "reject_reason"));

	/*
	 * The claims on this ID number elsewhere: approving this application
	 * rejects the pending ones and disables an active account.
	 */
	if (json_array_size(json_object_get(d, "conflicts")) > 0) {
		v = xasprintf("%s\n%s\n", text, _("The same ID number elsewhere "
		    "(approving this one rejects those pending and disables an active account)"));
		free(text);
		text = v;
		json_array_foreach(json_object_get(d, "conflicts"), i, h) {
			v = xasprintf("%s  %s  %s  %s\n", text,
			    review_str(json_object_get(h, "unit"), "name"),
			    app_state_name(review_str(h, "state")),
			    app_format_time(review_str(h, "submitted_at"), when, sizeof when));
			free(text);
			text = v;
		}
	}
	v = xasprintf("%s\n%s\n", text, _("History"));
	free(text);
	text = v;
	json_array_foreach(json_object_get(d, "history"), i, h) {
		json_t *actor = json_object_get(h, "actor");
		const char *from = review_str(h, "from_state"), *to = review_str(h, "to_state");
		char *row, *states = *to != '\0' ? xasprintf("%s → %s", *from != '\0' ?
		    app_state_name(from) : "—", app_state_name(to)) : xstrdup("");

		row = xasprintf("%s  %s  %s  %s%s%s\n",
		    app_format_time(review_str(h, "at"), when, sizeof when),
		    review_action_name(review_str(h, "action")), states,
		    json_is_object(actor) ? review_str(actor, "name") : "",
		    *review_str(h, "reason") != '\0' ? "  " : "", review_str(h, "reason"));
		v = xasprintf("%s%s", text, row);
		free(text);
		free(row);
		free(states);
		text = v;
	}
	return text;
}

/* Enter: the application under the cursor in full; a or r there decides it. */
static void
review_detail(struct review *rv)
{
	struct review_item *it;
	struct rpc_error err;
	json_t *result;
	char *text;
	int key;

	if (rv->n == 0)
		return;
	it = &rv->items[rv->cur];
	result = app_call(rv->app, "review.registration", json_pack("{s:I}", "account_id",
	    it->id), &err);
	if (result == NULL) {
		review_say(rv, err.message, true);
		return;
	}
	text = review_detail_text(result);
	key = ui_pager(it->name, text, strcmp(review_str(result, "state"), "pending") == 0 ?
	    _("a: approve  r: reject  Arrows: scroll  Esc: close") : NULL,
	    strcmp(review_str(result, "state"), "pending") == 0 ? "ar" : "");
	free(text);
	json_decref(result);
	if (key == 'a')
		review_approve(rv, it);
	else if (key == 'r')
		review_reject(rv, it);
}

/* Move the cursor by step rows, reading the next page when it runs off the end. */
static void
review_move(struct review *rv, long step)
{
	if (step > 0 && rv->cur + (size_t)step >= rv->n && rv->next != NULL)
		review_load(rv, true);
	if (rv->n == 0)
		return;
	if (step < 0)
		rv->cur = (size_t)-step > rv->cur ? 0 : rv->cur - (size_t)-step;
	else
		rv->cur = rv->cur + (size_t)step >= rv->n ? rv->n - 1 : rv->cur + (size_t)step;
}

/* A key while typing the filter; the list follows the filter as it changes. */
static void
review_filter_key(struct review *rv, struct ui_event *ev)
{
	char *before;
	int id;

	if (ev->type == UI_EV_KEY && ev->key == UI_KEY_ESC) {
		rv->filtering = false;
		if (*ui_form_value(&rv->filter, REVIEW_FILTER) != '\0') {
			ui_form_set(&rv->filter, REVIEW_FILTER, NULL);
			review_load(rv, false);
		}
		return;
	}
	if (ev->type == UI_EV_KEY && (ev->key == UI_KEY_ENTER || ev->key == UI_KEY_TAB ||
	    ev->key == KEY_DOWN || ev->key == KEY_UP)) {
		rv->filtering = false;
		return;
	}
	before = xstrdup(ui_form_value(&rv->filter, REVIEW_FILTER));
	ui_form_key(&rv->filter, ev, &id);
	if (strcmp(before, ui_form_value(&rv->filter, REVIEW_FILTER)) != 0)
		review_load(rv, false);
	free(before);
}

enum screen_id
screen_review_run(struct app *a)
{
	struct review rv = { .app = a };
	struct ui_event ev;
	enum screen_id next = SCREEN_HOME;
	long page;

	ui_form_init(&rv.filter);
	ui_form_add_text(&rv.filter, REVIEW_FILTER, _("Filter (/)"), 20, 50, false);
	ui_set_backdrop(review_paint, &rv);
	review_load(&rv, false);
	for (;;) {
		ui_repaint();
		ui_next_event(&ev);
		if (ev.type == UI_EV_QUIT || ui_is_quit_key(&ev)) {
			next = SCREEN_QUIT;
			break;
		}
		if (rv.filtering) {
			review_filter_key(&rv, &ev);
			continue;
		}
		page = rv.rows > 1 ? rv.rows - 1 : 1;
		if (ev.type == UI_EV_CHAR) {
			switch (ev.ch) {
			case 'j':
				review_move(&rv, 1);
				break;
			case 'k':
				review_move(&rv, -1);
				break;
			case ' ':
				if (rv.n > 0) {
					rv.items[rv.cur].selected = !rv.items[rv.cur].selected;
					review_move(&rv, 1);
				}
				break;
			case 'a':
				review_say(&rv, "", false);
				review_approve(&rv, NULL);
				break;
			case 'r':
				review_say(&rv, "", false);
				review_reject(&rv, NULL);
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
			review_move(&rv, 1);
			break;
		case KEY_UP:
			review_move(&rv, -1);
			break;
		case KEY_NPAGE:
			review_move(&rv, page);
			break;
		case KEY_PPAGE:
			review_move(&rv, -page);
			break;
		case KEY_HOME:
			rv.cur = 0;
			break;
		case KEY_END:
			rv.cur = rv.n > 0 ? rv.n - 1 : 0;
			break;
		case UI_KEY_ENTER:
			review_say(&rv, "", false);
			review_detail(&rv);
			break;
		case KEY_F(5):
			review_say(&rv, "", false);
			review_load(&rv, false);
			break;
		}
	}
out:
	ui_set_backdrop(NULL, NULL);
	review_clear(&rv);
	free(rv.items);
	ui_form_free(&rv.filter);
	return next;
}
