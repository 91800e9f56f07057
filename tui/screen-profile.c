/*
 * screen-profile.c - 用户资料管理: a staff member's own profile.
 *
 * Every field entered at registration is shown.  工作单位, 姓名, 身份证号
 * (and the sex and birth date the ID number determines) are drawn dimmed
 * beside the form, marked 不可修改, and are no fields of it: the focus never
 * reaches them, so nothing typed can change them.  The others are a form
 * with the registration's pickers (ref.*); 保存 sends the whole form with
 * the profile's version to profile.update, which decides everything: every
 * broken rule comes back naming its field, and each sentence goes beside
 * its field; every way out with unsaved changes asks first, and a
 * session's end keeps them for the person's next visit; a form read before
 * another save (in another session,
 * or before an administrator decided a title change) is refused as stale,
 * and the profile is read again.
 *
 * 专业技术职务 is not applied on save but waits for the unit administrator.
 * While a change waits, the field holds the title asked for (what the
 * server compares a save with), marked 待审核 with the title in force, and
 * 撤销变更 withdraws the request.
 *
 * 变更记录 is a list of its own, a page at a time (profile_history_run);
 * the unit administrator's read-only view of a staff member (screen-staff.c)
 * uses it too.  SSH 密钥 lists, adds and removes the person's SSH keys
 * (keys.*).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "app.h"
#include "format.h"
#include "keys.h"
#include "person-form.h"
#include "text.h"
#include "xmalloc.h"

enum profile_field {
	PROF_SAVE = PERSON_FIELDS_END,
	PROF_CANCEL_TITLE,
	PROF_HISTORY,
	PROF_KEYS,
	PROF_BACK,
};

/* Rows of the form (it scrolls on a small terminal): the fixed block, the form, buttons. */
#define PROF_ROW_FIXED		0
#define PROF_ROW_EDIT		7
#define PROF_ROW_PENDING	17	/* what the title change waiting for review is */
#define PROF_ROW_BUTTONS	18
#define PROF_PAGE		50	/* items per page of the long pickers and the history */

/* The fixed fields, in the order shown (rows PROF_ROW_FIXED + 1 ...). */
enum { FIXED_ID_NUMBER, FIXED_NAME, FIXED_SEX, FIXED_BIRTH_DATE, FIXED_UNIT, FIXED_COUNT };

struct profile {
	struct app	*app;
	struct ui_form	 form;
	json_t		*data;		/* profile.get's result, NULL before the first */
	json_int_t	 version;
	const char	*fixed_labels[FIXED_COUNT];
	char		*fixed_values[FIXED_COUNT];	/* owned */

	struct person_choices c;	/* c.unit: the person's, for the departments */

	json_int_t	 pending_id;	/* the title change waiting for review, 0: none */
	char		*pending_note;	/* "变更待审核，原为：…", owned, NULL when none */
	char		*loaded;	/* the form as read (profile_signature), owned */

	char		 message[512];
	bool		 message_error;
};

static void
profile_say(struct profile *p, const char *text, bool error)
{
	app_say(p->message, sizeof p->message, &p->message_error, text, error);
}

/* A title object as the picker shows it, "工程 · 工程师"; "" for null.  Caller frees. */
static char *
profile_title_label(json_t *title)
{
	if (!json_is_object(title))
		return xstrdup("");
	return format_title(app_json_str(title, "series"), app_json_str(title, "name"));
}

/*
 * Put the label column at x, as wide as the widest label of the form and
 * of the fixed rows (which are no fields), and the input boxes after it.
 */
static void
profile_place_labels(struct profile *p, int x)
{
	struct ui_form *f = &p->form;
	int w;

	ui_form_place_labels(f, x);
	w = f->label_width;
	for (int i = 0; i < FIXED_COUNT; i++) {
		if (text_width(p->fixed_labels[i]) > w)
			w = text_width(p->fixed_labels[i]);
	}
	if (w == f->label_width)
		return;
	for (size_t i = 0; i < f->n; i++) {
		if (f->fields[i].type != UI_FIELD_BUTTON)
			f->fields[i].x += w - f->label_width;
	}
	f->label_width = w;
}


static void
profile_paint(void *arg)
{
	struct profile *p = arg;
	struct ui_form *f = &p->form;
	struct ui_field *title = ui_form_field(f, PERSON_TITLE);
	struct app_frame fr = { 0 };
	int w, x0, fx, y, gap, mark_x = 0;

	app_form_frame(f, _("Continuing Education · Profile"), _("Profile"), &fr);
	w = fr.w;
	x0 = fr.x0;
	profile_place_labels(p, x0 + 5);
	fx = title->x;
	/* The buttons in a row; closer together when they would not fit. */
	gap = app_buttons_width(f, PROF_ROW_BUTTONS, 3) + 3 <= w - 7 ? 3 : 2;
	app_place_buttons(f, PROF_ROW_BUTTONS, x0 + 5, gap);
	ui_form_draw(f, true);	/* scrolls first: what is drawn here follows */

	if ((y = ui_form_screen_y(f, PROF_ROW_FIXED)) >= 0)
		ui_put(y, x0 + 2, w - 4, _("Fixed at registration"), UI_TITLE, false);
	/* The fixed values dimmed, and after the longest of them, in one column, the mark. */
	for (int i = 0; i < FIXED_COUNT; i++) {
		int vw = text_width(p->fixed_values[i] != NULL ? p->fixed_values[i] : "");

		if (fx + vw + 2 > mark_x)
			mark_x = fx + vw + 2;
	}
	for (int i = 0; i < FIXED_COUNT; i++) {
		if ((y = ui_form_screen_y(f, PROF_ROW_FIXED + 1 + i)) < 0)
			continue;
		ui_put(y, f->label_x, f->label_width, p->fixed_labels[i], UI_HINT, true);
		ui_put(y, fx, x0 + w - 2 - fx, p->fixed_values[i] != NULL ?
		    p->fixed_values[i] : "", UI_HINT, false);
		ui_put(y, mark_x, x0 + w - 1 - mark_x, _("(cannot be changed)"), UI_HINT, false);
	}
	if ((y = ui_form_screen_y(f, PROF_ROW_EDIT)) >= 0)
		ui_put(y, x0 + 2, w - 4, _("May be changed (* required)"), UI_TITLE, false);
	/*
	 * A title change waiting for review: marked beside the title (unless the
	 * server's word is there), and said in full on the row after the form.
	 */
	if (p->pending_note != NULL) {
		if (title->error == NULL && (y = ui_form_screen_y(f, title->y)) >= 0)
			ui_put(y, title->x + title->width + 3, x0 + w - 1 -
			    (title->x + title->width + 3), _("(waiting for review)"), UI_TITLE,
			    false);
		if ((y = ui_form_screen_y(f, PROF_ROW_PENDING)) >= 0)
			ui_put(y, x0 + 2, w - 3, p->pending_note, UI_TITLE, false);
	}
	app_form_scrolled(f, &fr);

	ui_message_line(p->message, p->message_error);
	app_status(p->app, NULL);
}

/* The form's values in one string, to tell whether anything was changed.  Caller frees. */
static char *
profile_signature(struct profile *p)
{
	struct ui_form *f = &p->form;

	return xasprintf("%s\x1f%s\x1f%lld\x1f%s\x1f%s\x1f%s\x1f%s\x1f%lld\x1f%s",
	    ui_form_value(f, PERSON_PHONE), ui_form_value(f, PERSON_EMAIL),
	    (long long)p->c.department_id, p->c.ethnicity, ui_form_value(f, PERSON_NATIVE_PLACE),
	    ui_form_value(f, PERSON_SCHOOL), p->c.major, (long long)p->c.title_id, p->c.education);
}

static bool
profile_touched(struct profile *p)
{
	char *now;
	bool touched;

	if (p->loaded == NULL)
		return false;
	now = profile_signature(p);
	touched = strcmp(now, p->loaded) != 0;
	free(now);
	return touched;
}

/* Copy the code of object o (key "code") into buf, "" for null. */
static void
profile_code(json_t *o, char *buf, size_t size)
{
	app_copy(buf, size, app_json_str(o, "code"));
}

/* Fill the fixed rows and the form from profile.get's result (p->data). */
static void
profile_fill(struct profile *p)
{
	struct ui_form *f = &p->form;
	json_t *d = p->data, *pending = json_object_get(d, "pending_title"), *o;
	char *label;

	for (int i = 0; i < FIXED_COUNT; i++)
		free(p->fixed_values[i]);
	p->fixed_values[FIXED_ID_NUMBER] = xstrdup(app_json_str(d, "id_number"));
	p->fixed_values[FIXED_NAME] = xstrdup(app_json_str(d, "name"));
	p->fixed_values[FIXED_SEX] = xstrdup(app_sex_name(app_json_str(d, "sex")));
	p->fixed_values[FIXED_BIRTH_DATE] = xstrdup(app_json_str(d, "birth_date"));
	o = json_object_get(d, "unit");
	p->fixed_values[FIXED_UNIT] = xstrdup(app_json_str(o, "name"));
	app_copy(p->c.unit, sizeof p->c.unit, app_json_str(o, "code"));

	ui_form_clear_errors(f);
	ui_form_set(f, PERSON_PHONE, app_json_str(d, "phone"));
	ui_form_set(f, PERSON_EMAIL, app_json_str(d, "email"));
	o = json_object_get(d, "department");
	p->c.department_id = json_integer_value(json_object_get(o, "id"));
	ui_form_set(f, PERSON_DEPARTMENT, app_json_str(o, "name"));
	o = json_object_get(d, "ethnicity");
	profile_code(o, p->c.ethnicity, sizeof p->c.ethnicity);
	ui_form_set(f, PERSON_ETHNICITY, app_json_str(o, "name"));
	ui_form_set(f, PERSON_NATIVE_PLACE, app_json_str(d, "native_place"));
	ui_form_set(f, PERSON_SCHOOL, app_json_str(d, "school"));
	o = json_object_get(d, "major");
	profile_code(o, p->c.major, sizeof p->c.major);
	ui_form_set(f, PERSON_MAJOR, app_json_str(o, "name"));
	o = json_object_get(d, "education_level");
	profile_code(o, p->c.education, sizeof p->c.education);
	ui_form_set(f, PERSON_EDUCATION, app_json_str(o, "name"));

	/*
	 * The title: the one asked for while a change waits (a save compares
	 * with it, so sending it again changes nothing), else the one in force.
	 */
	free(p->pending_note);
	p->pending_note = NULL;
	p->pending_id = 0;
	o = json_object_get(d, "title");
	if (json_is_object(pending)) {
		char *was = profile_title_label(o), when[32];

		p->pending_id = json_integer_value(json_object_get(pending, "id"));
		p->pending_note = xasprintf(_("Title change waiting for review; was: %s (asked %s)"),
		    *was != '\0' ? was : _("none"), app_format_time(app_json_str(pending,
		    "asked_at"), when, sizeof when));
		free(was);
		o = json_object_get(pending, "title");
	}
	p->c.title_id = json_integer_value(json_object_get(o, "id"));
	app_copy(p->c.title_series, sizeof p->c.title_series, app_json_str(o, "series"));
	label = profile_title_label(o);
	ui_form_set(f, PERSON_TITLE, label);
	free(label);
	ui_form_show(f, PROF_CANCEL_TITLE, p->pending_id != 0);

	p->version = json_integer_value(json_object_get(d, "version"));
	free(p->loaded);
	p->loaded = profile_signature(p);
}

/* Read the profile (again).  Returns 0, or -1 with the message said. */
static int
profile_load(struct profile *p)
{
	json_t *result = app_call_say(p->app, "profile.get", NULL, p->message,
	    sizeof p->message, &p->message_error);

	if (result == NULL)
		return -1;
	json_decref(p->data);
	p->data = result;
	profile_fill(p);
	return 0;
}

/* The server refused the save: say why, beside the fields it names. */
static void
profile_refused(struct profile *p, const struct rpc_error *err)
{
	const struct rpc_problem *loose;
	char text[512];

	profile_say(p, err->message, true);
	if (err->kind == RPC_ERR_REMOTE && strcmp(err->reason, "stale_version") == 0) {
		/* Another session (or an administrator) changed the profile: read it again. */
		ui_message(_("Save"), err->message);
		if (profile_load(p) == 0)
			profile_say(p, _("The profile was read again. Please make your change "
			    "again."), true);
		return;
	}
	/* Every problem beside its field at once, the first focused. */
	loose = person_form_errors(&p->form, err);
	app_form_message(err, loose, text, sizeof text);
	profile_say(p, text, true);
}

/*
 * 保存: send the whole form with the version read.  A field sent with its
 * current value is no change to the server, so what was not touched stays.
 */
static void
profile_save(struct profile *p)
{
	struct ui_form *f = &p->form;
	struct rpc_error err;
	json_t *params, *result;
	char *message;

	ui_form_clear_errors(f);
	profile_say(p, _("Saving..."), false);
	ui_repaint();

	/* A required pick emptied with Delete is sent empty: the server names it. */
	params = json_pack("{s:I}", "version", p->version);
	person_form_params(f, &p->c, params, true);
	if ((result = app_call(p->app, "profile.update", params, &err)) == NULL) {
		if (!p->app->restart)
			profile_refused(p, &err);
		return;
	}
	message = xstrdup(app_json_str(result, "message"));
	if (json_integer_value(json_object_get(result, "version")) == p->version) {
		/* Nothing was written; the form is as it was read. */
		profile_say(p, *message != '\0' ? message : _("Nothing was changed."), false);
	} else {
		/* The form and the status line say it before the dialog does, not after. */
		if (profile_load(p) == 0)
			profile_say(p, *message != '\0' ? message : _("Saved."), false);
		ui_message(_("Save"), *message != '\0' ? message : _("Saved."));
	}
	free(message);
	json_decref(result);
}

/* 撤销变更: withdraw the title change waiting for review, once confirmed. */
static void
profile_cancel_title(struct profile *p)
{
	struct rpc_error err;
	json_t *result;
	char *text;

	if (p->pending_id == 0)
		return;
	text = profile_touched(p) ?
	    xasprintf("%s\n%s", _("Withdraw the request to change the professional title?"),
	    _("Changes not saved yet will be lost.")) :
	    xstrdup(_("Withdraw the request to change the professional title?"));
	if (!ui_confirm_safe(_("Withdraw the change"), text)) {
		free(text);
		return;
	}
	free(text);
	result = app_call(p->app, "profile.cancel_title_change",
	    json_pack("{s:I}", "id", p->pending_id), &err);
	if (result == NULL) {
		if (p->app->restart)
			return;
		/* Decided (or withdrawn elsewhere) meanwhile: the server says so; read again. */
		ui_message(_("Withdraw the change"), err.message);
		profile_load(p);
		profile_say(p, err.message, true);
		return;
	}
	text = xstrdup(*app_json_str(result, "message") != '\0' ? app_json_str(result, "message") :
	    _("The request was withdrawn."));
	json_decref(result);
	if (profile_load(p) == 0)
		profile_say(p, text, false);
	free(text);
}

/* F5: read the profile again, losing what was typed (asked first). */
static void
profile_reload(struct profile *p)
{
	if (profile_touched(p) && !ui_confirm_safe(_("Reload"),
	    _("Read the profile again? Changes not saved yet will be lost.")))
		return;
	if (profile_load(p) == 0)
		profile_say(p, _("The profile was read again."), false);
}

/*
 * A record of the person changed (record.changed: a title change decided,
 * say): read the profile again and say what changed.  What the person has
 * typed and not saved is kept: then the status line only says to press F5.
 */
static void
profile_changed(struct profile *p)
{
	char *text;

	if (profile_touched(p)) {
		text = xasprintf(_("%s (F5: read the profile again)"), p->app->change_message);
		profile_say(p, text, false);
		free(text);
		return;
	}
	if (profile_load(p) == 0)
		profile_say(p, p->app->change_message, false);
}

/* The fields that may be changed, in the order shown. */
static const int profile_editable[] = {
	PERSON_PHONE, PERSON_EMAIL, PERSON_DEPARTMENT, PERSON_ETHNICITY, PERSON_NATIVE_PLACE,
	PERSON_SCHOOL, PERSON_MAJOR, PERSON_TITLE, PERSON_EDUCATION,
};

static void
profile_build(struct profile *p)
{
	struct ui_form *f = &p->form;
	int row = PROF_ROW_EDIT + 1;

	p->fixed_labels[FIXED_ID_NUMBER] = _("ID number");
	p->fixed_labels[FIXED_NAME] = _("Name");
	p->fixed_labels[FIXED_SEX] = _("Sex");
	p->fixed_labels[FIXED_BIRTH_DATE] = _("Date of birth");
	p->fixed_labels[FIXED_UNIT] = _("Work unit");

	ui_form_init(f);
	for (size_t i = 0; i < sizeof profile_editable / sizeof profile_editable[0]; i++)
		person_form_add(f, profile_editable[i], row++);
	ui_form_add_button(f, PROF_SAVE, _("Save"))->y = PROF_ROW_BUTTONS;
	ui_form_add_button(f, PROF_CANCEL_TITLE, _("Withdraw the change"))->y = PROF_ROW_BUTTONS;
	ui_form_add_button(f, PROF_HISTORY, _("History"))->y = PROF_ROW_BUTTONS;
	ui_form_add_button(f, PROF_KEYS, _("SSH keys"))->y = PROF_ROW_BUTTONS;
	ui_form_add_button(f, PROF_BACK, _("Back"))->y = PROF_ROW_BUTTONS;
	ui_form_show(f, PROF_CANCEL_TITLE, false);
}

static void
profile_free(struct profile *p)
{
	ui_form_free(&p->form);
	json_decref(p->data);
	for (int i = 0; i < FIXED_COUNT; i++)
		free(p->fixed_values[i]);
	free(p->pending_note);
	free(p->loaded);
}

/*
 * 变更记录: the history of a profile, newest first, a page at a time (PgDn
 * or moving past the last row reads the next).  Columns 时间, 项目, 原值,
 * 新值 and 状态 (with who decided and why); Enter shows one entry whole.
 */
struct profile_history {
	struct app	*app;
	json_int_t	 account_id;	/* 0: one's own (profile.history) */
	const char	*who;
	json_t		*items;		/* the entries read so far */
	char		*next;		/* the next page's cursor, NULL: none */
	size_t		 cur, top;
	int		 rows;		/* list rows at the last paint */
	char		 message[512];
	bool		 message_error;
};

/* Read the first page again (more: the next page, appended). */
static void
profile_history_load(struct profile_history *h, bool more)
{
	struct rpc_error err;
	json_t *params, *result, *page, *next;

	if (more && h->next == NULL)
		return;
	params = json_pack("{s:i}", "limit", PROF_PAGE);
	if (more)
		json_object_set_new(params, "after", json_string(h->next));
	if (h->account_id != 0) {
		json_object_set_new(params, "account_id", json_integer(h->account_id));
		result = app_call(h->app, "review.staff_profile", params, &err);
		page = json_object_get(result, "history");
	} else {
		result = app_call(h->app, "profile.history", params, &err);
		page = result;
	}
	if (result == NULL) {
		app_copy(h->message, sizeof h->message, err.message);
		h->message_error = true;
		return;
	}
	if (!more) {
		json_array_clear(h->items);
		h->cur = h->top = 0;
	}
	json_array_extend(h->items, json_object_get(page, "items"));
	free(h->next);
	next = json_object_get(page, "next");
	h->next = json_is_string(next) ? xstrdup(json_string_value(next)) : NULL;
	json_decref(result);
}

char *
profile_history_state(json_t *item)
{
	const char *state = app_json_str(item, "state"), *reason = app_json_str(item, "reason");
	const char *by = app_json_str(json_object_get(item, "decided_by"), "name");

	if (strcmp(app_json_str(item, "kind"), "reviewed") != 0)
		return xstrdup(_("Applied"));
	if (strcmp(state, "pending") == 0)
		return xstrdup(_("Waiting for review"));
	if (strcmp(state, "approved") == 0)
		return xasprintf("%s · %s", _("Approved"), by);
	if (strcmp(state, "rejected") == 0)
		return xasprintf("%s · %s · %s", _("Rejected"), by, reason);
	if (strcmp(state, "cancelled") == 0)
		return xstrdup(strcmp(reason, "replaced") == 0 ?
		    _("Cancelled (replaced by a newer request)") : _("Cancelled"));
	return xstrdup(state);
}

/* An entry's value as shown, "—" when empty. */
static const char *
profile_history_value(json_t *item, const char *key)
{
	const char *s = app_json_str(item, key);

	return *s != '\0' ? s : "—";
}

/*
 * A value in a column of the list: a title ("工程 · 工程师", or as older
 * versions stored it "工程 / 中级 / 工程师") by its name alone, which says
 * the level too; Enter shows it whole.  Caller frees.
 */
static char *
profile_history_cell(json_t *item, const char *key)
{
	const char *v = profile_history_value(item, key), *last;

	if (strcmp(app_json_str(item, "field"), "title") != 0)
		return xstrdup(v);
	if ((last = strstr(v, " · ")) != NULL)
		return xstrdup(last + strlen(" · "));
	if ((last = strrchr(v, '/')) != NULL && last[1] == ' ')
		return xstrdup(last + 2);
	return xstrdup(v);
}

char *
profile_history_line(json_t *item)
{
	char when[32], *state = profile_history_state(item), *line;

	line = xasprintf("%s  %s  %s → %s  %s",
	    app_format_time(app_json_str(item, "changed_at"), when, sizeof when),
	    app_json_str(item, "label"), profile_history_value(item, "old_value"),
	    profile_history_value(item, "new_value"), state);
	free(state);
	return line;
}

/* Columns of the list: time, field, old value, new value, state. */
struct profile_history_columns {
	int	 when, label, old, old_w, new, new_w, state, state_w;
};

static void
profile_history_columns(struct profile_history_columns *c)
{
	int when = text_width(_("Time")) > 16 ? text_width(_("Time")) : 16;
	int label = text_width(_("Item")) > 12 ? text_width(_("Item")) : 12;
	int rest;

	/* The headings whole in either language; the values share what is left. */
	c->when = 1;
	c->label = c->when + when + 1;
	c->old = c->label + label + 1;
	c->old_w = text_width(_("Old value"));
	c->new_w = text_width(_("New value"));
	c->state_w = text_width(_("State / decided by / reason"));
	rest = COLS - 1 - c->old - c->old_w - c->new_w - c->state_w - 2;
	if (rest > 0) {
		c->old_w += rest * 6 / 25;
		c->new_w += rest * 6 / 25;
	}
	c->new = c->old + c->old_w + 1;
	c->state = c->new + c->new_w + 1;
	c->state_w = COLS - 1 - c->state;
}


static void
profile_history_paint(void *arg)
{
	struct profile_history *h = arg;
	struct profile_history_columns c;
	size_t n = json_array_size(h->items);
	char *info;

	profile_history_columns(&c);
	h->rows = LINES - 6;
	ui_header(_("Continuing Education · Change history"));
	info = xasprintf(_("%s · change history"), h->who);
	ui_put(1, 1, COLS - 2, info, UI_TITLE, false);
	free(info);
	ui_put(2, c.when, c.label - c.when - 1, _("Time"), UI_TITLE, false);
	ui_put(2, c.label, c.old - c.label - 1, _("Item"), UI_TITLE, false);
	ui_put(2, c.old, c.old_w, _("Old value"), UI_TITLE, false);
	ui_put(2, c.new, c.new_w, _("New value"), UI_TITLE, false);
	ui_put(2, c.state, c.state_w, _("State / decided by / reason"), UI_TITLE, false);

	app_keep_in_view(h->cur, &h->top, &h->rows);
	for (int row = 0; row < h->rows && h->top + (size_t)row < n; row++) {
		size_t i = h->top + (size_t)row;
		json_t *it = json_array_get(h->items, i);
		enum ui_style st = i == h->cur ? UI_SELECTED : UI_NORMAL;
		char when[32], *state = profile_history_state(it), *old, *new;
		int y = 3 + row;

		if (st == UI_SELECTED)
			ui_fill(y, 0, COLS, st);
		ui_put(y, c.when, c.label - c.when - 1, app_format_time(app_json_str(it, "changed_at"), when,
		    sizeof when), st, false);
		ui_put(y, c.label, c.old - c.label - 1, app_json_str(it, "label"), st, false);
		old = profile_history_cell(it, "old_value");
		new = profile_history_cell(it, "new_value");
		ui_put(y, c.old, c.old_w, old, st, false);
		ui_put(y, c.new, c.new_w, new, st, false);
		ui_put(y, c.state, c.state_w, state, st, false);
		free(old);
		free(new);
		free(state);
	}
	app_list_foot(n, 3 + h->rows / 2, _("No changes yet."), xasprintf(_("%zu changes "
	    "shown%s"), n, h->next != NULL ? _("; PgDn loads more") : ""));
	ui_message_line(h->message, h->message_error);
	app_status(h->app, NULL);
}

/* Enter: the entry under the cursor, whole. */
static void
profile_history_detail(struct profile_history *h)
{
	const char *labels[] = { _("Time"), _("Item"), _("Old value"), _("New value"),
	    _("State"), _("Decided by"), _("Decided"), _("Reason") };
	json_t *it = json_array_get(h->items, h->cur);
	char *text = NULL, when[32];
	int w;

	if (it == NULL)
		return;
	w = app_label_width(labels, sizeof labels / sizeof labels[0]) + 2;
	app_append_row(&text, labels[0], w, app_format_time(app_json_str(it, "changed_at"), when,
	    sizeof when));
	app_append_row(&text, labels[1], w, app_json_str(it, "label"));
	app_append_row(&text, labels[2], w, profile_history_value(it, "old_value"));
	app_append_row(&text, labels[3], w, profile_history_value(it, "new_value"));
	if (strcmp(app_json_str(it, "kind"), "reviewed") == 0) {
		char *state = profile_history_state(it);

		app_append_row(&text, labels[4], w, state);
		free(state);
		if (*app_json_str(it, "decided_at") != '\0') {
			app_append_row(&text, labels[5], w,
			    app_json_str(json_object_get(it, "decided_by"), "name"));
			app_append_row(&text, labels[6], w, app_format_time(app_json_str(it,
			    "decided_at"), when, sizeof when));
		}
		if (*app_json_str(it, "reason") != '\0' &&
		    strcmp(app_json_str(it, "reason"), "replaced") != 0)
			app_append_row(&text, labels[7], w, app_json_str(it, "reason"));
	} else {
		app_append_row(&text, labels[4], w, _("Applied"));
	}
	ui_message(app_json_str(it, "label"), text);
	free(text);
}

/* app_paged_key's load_more: the next page; how many entries there are now. */
static size_t
profile_history_more(void *arg)
{
	struct profile_history *h = arg;

	profile_history_load(h, true);
	return json_array_size(h->items);
}

int
profile_history_run(struct app *a, const char *who, json_int_t account_id)
{
	struct profile_history h = { .app = a, .account_id = account_id, .who = who };
	struct ui_event ev;
	unsigned seen = a->changes;
	int rc = 0;

	h.items = json_array();
	ui_set_backdrop(profile_history_paint, &h);
	ui_help_set(profile_history_keys);
	profile_history_load(&h, false);
	for (;;) {
		if (app_changed(a, &seen)) {
			profile_history_load(&h, false);
			app_copy(h.message, sizeof h.message, a->change_message);
			h.message_error = false;
		}
		if (app_next_event(a, &ev)) {
			rc = -1;
			break;
		}
		if (app_paged_key(&ev, &h.cur, json_array_size(h.items), h.rows, h.next != NULL,
		    profile_history_more, &h)) {
			h.message[0] = '\0';
			continue;
		}
		if (app_back_key(&ev))
			break;
		if (ev.type != UI_EV_KEY)
			continue;
		h.message[0] = '\0';
		switch (ev.key) {
		case UI_KEY_ENTER:
			profile_history_detail(&h);
			break;
		case KEY_F(5):
			profile_history_load(&h, false);
			break;
		}
	}
	ui_set_backdrop(NULL, NULL);
	json_decref(h.items);
	free(h.next);
	return rc;
}

/*
 * SSH 密钥: the person's SSH public keys (keys.*).  A key registered here
 * logs its owner in without a password when the SSH user name is the ID
 * number.  a adds one (a line of a .pub file, pasted, then the current
 * password, which the server asks for), d removes the one under the
 * cursor once confirmed; keys from the server's configuration are listed
 * but only the system administrator removes them.  A key added here is the
 * person's once they have logged in with it (the server confirms it then):
 * until that first login it is marked as waiting for it.
 */
struct profile_keys {
	struct app	*app;
	json_t		*items;		/* keys.list's items, NULL before the first */
	size_t		 cur, top;
	int		 rows;
	char		 message[512];
	bool		 message_error;
};

static void
profile_keys_say(struct profile_keys *k, const char *text, bool error)
{
	app_say(k->message, sizeof k->message, &k->message_error, text, error);
}

static void
profile_keys_load(struct profile_keys *k)
{
	json_t *result = app_call_say(k->app, "keys.list", NULL, k->message,
	    sizeof k->message, &k->message_error);

	if (result == NULL)
		return;
	json_decref(k->items);
	k->items = json_incref(json_object_get(result, "items"));
	json_decref(result);
	if (k->cur >= json_array_size(k->items))
		k->cur = json_array_size(k->items) > 0 ? json_array_size(k->items) - 1 : 0;
}

/* The comment column: the key's comment, and where it comes from when not from here. */
static char *
profile_keys_comment(json_t *key)
{
	const char *comment = app_json_str(key, "comment");

	if (strcmp(app_json_str(key, "source"), "config") == 0)
		return xasprintf("%s%s%s", comment, *comment != '\0' ? " " : "",
		    _("(server configuration)"));
	if (!json_is_true(json_object_get(key, "confirmed")))
		return xasprintf("%s%s%s", comment, *comment != '\0' ? " " : "",
		    _("(takes effect at your first login with it)"));
	return xstrdup(comment);
}


static void
profile_keys_paint(void *arg)
{
	struct profile_keys *k = arg;
	size_t n = json_array_size(k->items), nlines;
	int type = 1, type_w = text_width(_("Type")), fp, fp_w = 51, comment, comment_w;
	char **lines;

	/* Headings whole: the comment's takes from the fingerprint, which is cut with "…". */
	for (size_t i = 0; i < n; i++) {
		const char *t = app_json_str(json_array_get(k->items, i), "type");

		if (text_width(t) > type_w)
			type_w = text_width(t);
	}
	fp = type + type_w + 1;
	comment = fp + fp_w + 1;
	comment_w = COLS - 1 - comment;
	if (comment_w < text_width(_("Comment"))) {
		fp_w -= text_width(_("Comment")) - comment_w;
		comment = fp + fp_w + 1;
		comment_w = COLS - 1 - comment;
	}
	k->rows = LINES - 8;
	ui_header(_("Continuing Education · SSH keys"));
	/* Two rows for the explanation: it is read whole at 80 columns. */
	nlines = ui_wrap(_("A key registered here logs you in without a password when "
	    "the SSH user name is your ID number."), COLS - 2, &lines);
	for (size_t i = 0; i < nlines && i < 2; i++)
		ui_put(1 + (int)i, 1, COLS - 2, lines[i], UI_HINT, false);
	ui_lines_free(lines, nlines);
	ui_put(3, type, type_w, _("Type"), UI_TITLE, false);
	ui_put(3, fp, fp_w, _("Fingerprint"), UI_TITLE, false);
	ui_put(3, comment, comment_w, _("Comment"), UI_TITLE, false);
	app_keep_in_view(k->cur, &k->top, &k->rows);
	for (int row = 0; row < k->rows && k->top + (size_t)row < n; row++) {
		size_t i = k->top + (size_t)row;
		json_t *key = json_array_get(k->items, i);
		enum ui_style st = i == k->cur ? UI_SELECTED : UI_NORMAL;
		char *c = profile_keys_comment(key);
		int y = 4 + row;

		if (st == UI_SELECTED)
			ui_fill(y, 0, COLS, st);
		ui_put(y, type, type_w, app_json_str(key, "type"), st, false);
		ui_put(y, fp, fp_w, app_json_str(key, "fingerprint"), st, false);
		ui_put(y, comment, comment_w, c, st, false);
		free(c);
	}
	if (n == 0 && k->items != NULL)
		ui_put_center(4 + k->rows / 2, 0, COLS, _("No SSH key is registered."), UI_HINT);
	ui_message_line(k->message, k->message_error);
	app_status(k->app, NULL);
}

/* a: paste a public key line and register it. */
static void
profile_keys_add(struct profile_keys *k)
{
	struct rpc_error err;
	json_t *result, *params;
	char *line, *password, *text;

	line = ui_prompt(_("Add an SSH key"), _("Paste one line of your public key file, e.g. "
	    "~/.ssh/id_ed25519.pub (ssh-ed25519 AAAA... comment). Never paste a private key."),
	    _("Public key"), 8192);
	if (line == NULL)
		return;
	/* A key is a way in: the server wants the current password for it. */
	password = ui_prompt_secret(_("Add an SSH key"), _("A key logs you in without a "
	    "password. To add one, type your current password."), _("Current password"), 128);
	if (password == NULL) {
		free(line);
		return;
	}
	params = json_pack("{s:s}", "key", line);
	if (*password != '\0')
		json_object_set_new(params, "password", json_string(password));
	memset(password, 0, strlen(password));
	free(password);
	result = app_call(k->app, "keys.add", params, &err);
	free(line);
	if (result == NULL) {
		profile_keys_say(k, err.message, true);
		return;
	}
	text = xasprintf(_("Key %s added. It takes effect at your first login with it."),
	    app_json_str(result, "fingerprint"));
	json_decref(result);
	profile_keys_load(k);
	k->cur = json_array_size(k->items) > 0 ? json_array_size(k->items) - 1 : 0;
	profile_keys_say(k, text, false);
	free(text);
}

/* d: remove the key under the cursor, once confirmed. */
static void
profile_keys_remove(struct profile_keys *k)
{
	json_t *key = json_array_get(k->items, k->cur), *result;
	struct rpc_error err;
	char *text;

	if (key == NULL)
		return;
	if (!json_is_true(json_object_get(key, "removable"))) {
		profile_keys_say(k, _("This key comes from the server's configuration; only the "
		    "system administrator can remove it."), true);
		return;
	}
	text = xasprintf(_("Remove the key %s? It will no longer log you in."),
	    app_json_str(key, "fingerprint"));
	if (!ui_confirm_safe(_("Remove SSH key"), text)) {
		free(text);
		return;
	}
	free(text);
	result = app_call(k->app, "keys.remove", json_pack("{s:I}", "id",
	    json_integer_value(json_object_get(key, "id"))), &err);
	if (result == NULL) {
		profile_keys_say(k, err.message, true);
		profile_keys_load(k);
		return;
	}
	json_decref(result);
	profile_keys_load(k);
	profile_keys_say(k, _("The key was removed."), false);
}

static void
profile_keys_detail(struct profile_keys *k)
{
	const char *labels[] = { _("Type"), _("Fingerprint"), _("Comment"), _("Added") };
	json_t *key = json_array_get(k->items, k->cur);
	char *text = NULL, *c, when[32];
	int w;

	if (key == NULL)
		return;
	w = app_label_width(labels, sizeof labels / sizeof labels[0]) + 2;
	c = profile_keys_comment(key);
	app_append_row(&text, labels[0], w, app_json_str(key, "type"));
	app_append_row(&text, labels[1], w, app_json_str(key, "fingerprint"));
	app_append_row(&text, labels[2], w, c);
	app_append_row(&text, labels[3], w, app_format_time(app_json_str(key, "created_at"),
	    when, sizeof when));
	ui_message(_("SSH keys"), text);
	free(c);
	free(text);
}

int
profile_keys_run(struct app *a)
{
	struct profile_keys k = { .app = a };
	struct ui_event ev;
	int rc = 0;

	ui_set_backdrop(profile_keys_paint, &k);
	ui_help_set(profile_ssh_keys);
	profile_keys_load(&k);
	for (;;) {
		if (app_next_event(a, &ev)) {
			rc = -1;
			break;
		}
		if (app_back_key(&ev))
			break;
		if (app_list_key(&ev, &k.cur, json_array_size(k.items), k.rows))
			continue;
		if (ev.type == UI_EV_CHAR) {
			if (ev.ch == 'a') {
				profile_keys_say(&k, "", false);
				profile_keys_add(&k);
			} else if (ev.ch == 'd') {
				profile_keys_say(&k, "", false);
				profile_keys_remove(&k);
			}
			continue;
		}
		if (ev.type != UI_EV_KEY)
			continue;
		if (ev.key == KEY_DC)
			profile_keys_remove(&k);
		else if (ev.key == UI_KEY_ENTER)
			profile_keys_detail(&k);
		else if (ev.key == KEY_F(5))
			profile_keys_load(&k);
	}
	ui_set_backdrop(NULL, NULL);
	json_decref(k.items);
	return rc;
}

/*
 * The changes a session's end interrupted (idle_timeout, a password
 * changed elsewhere), kept for the same person's next visit of the screen:
 * nothing typed is lost to a session ending.  set is false when none.
 */
static struct {
	bool		 set;
	char		 id_number[24];
	char		*values[PERSON_FIELDS_END];	/* by field id; owned */
	struct person_choices c;
} profile_kept;

#define PROFILE_NEDITABLE	(sizeof profile_editable / sizeof profile_editable[0])

static void
profile_keep(struct profile *p)
{
	app_copy(profile_kept.id_number, sizeof profile_kept.id_number,
	    p->fixed_values[FIXED_ID_NUMBER]);
	for (size_t i = 0; i < PROFILE_NEDITABLE; i++)
		profile_kept.values[profile_editable[i]] = xstrdup(ui_form_value(&p->form,
		    profile_editable[i]));
	profile_kept.c = p->c;
	profile_kept.set = true;
}

/* Put the kept changes back when the profile is the same person's; forget them. */
static void
profile_restore(struct profile *p)
{
	if (!profile_kept.set)
		return;
	if (strcmp(profile_kept.id_number, p->fixed_values[FIXED_ID_NUMBER]) == 0) {
		for (size_t i = 0; i < PROFILE_NEDITABLE; i++)
			ui_form_choose(&p->form, profile_editable[i],
			    profile_kept.values[profile_editable[i]]);
		p->c = profile_kept.c;
		if (profile_touched(p))
			profile_say(p, _("Your changes not saved when the session ended are back; "
			    "check them and save."), false);
	}
	for (int id = 0; id < PERSON_FIELDS_END; id++) {
		free(profile_kept.values[id]);
		profile_kept.values[id] = NULL;
	}
	profile_kept.set = false;
}

/* Asked before the form is left with changes unsaved. */
static const struct app_leave profile_leave = {
	N_("Profile"), N_("Leave without saving? Your changes will be lost.")
};

static bool
profile_may_leave(struct profile *p)
{
	return app_may_leave(&profile_leave, profile_touched(p));
}

enum screen_id
screen_profile_run(struct app *a)
{
	struct profile p = { .app = a };
	struct ui_event ev;
	enum screen_id next = SCREEN_HOME;
	enum ui_form_result res;
	enum app_form_step step;
	unsigned seen = a->changes;
	int id;

	profile_build(&p);
	ui_set_backdrop(profile_paint, &p);
	ui_help_set(profile_keys_help);
	if (profile_load(&p) != 0) {
		if (!a->restart)
			ui_message(_("Profile"), p.message);
		next = a->restart ? SCREEN_QUIT : SCREEN_HOME;
		goto out;
	}
	profile_restore(&p);
	for (;;) {
		if (app_changed(a, &seen))
			profile_changed(&p);
		step = app_form_event(&ev, &profile_leave, profile_touched(&p));
		if (step == APP_FORM_STAY)
			continue;
		if (step != APP_FORM_EVENT) {
			if (step == APP_FORM_QUIT)
				next = SCREEN_QUIT;
			break;
		}
		if (ev.type == UI_EV_KEY && ev.key == KEY_F(5)) {
			profile_reload(&p);
			continue;
		}
		res = ui_form_key(&p.form, &ev, &id);
		if (res == UI_FORM_CLEARED) {
			person_unchoose(&p.form, &p.c, id);
			continue;
		}
		if (res != UI_FORM_ACTIVATED)
			continue;
		switch (id) {
		case PROF_BACK:
			if (profile_may_leave(&p))
				goto out;
			break;
		case PROF_SAVE:
			profile_save(&p);
			break;
		case PROF_CANCEL_TITLE:
			profile_say(&p, "", false);
			profile_cancel_title(&p);
			break;
		case PROF_HISTORY:
			profile_say(&p, "", false);
			/* F10 there quits from here: asked first when changes are unsaved. */
			if (profile_history_run(a, app_json_str(p.data, "name"), 0) != 0 &&
			    (a->restart || profile_may_leave(&p))) {
				next = SCREEN_QUIT;
				goto out;
			}
			ui_set_backdrop(profile_paint, &p);
			ui_help_set(profile_keys_help);
			break;
		case PROF_KEYS:
			profile_say(&p, "", false);
			if (profile_keys_run(a) != 0 && (a->restart || profile_may_leave(&p))) {
				next = SCREEN_QUIT;
				goto out;
			}
			ui_set_backdrop(profile_paint, &p);
			ui_help_set(profile_keys_help);
			break;
		default:
			profile_say(&p, "", false);
			person_choose(a, &p.form, &p.c, id);
			break;
		}
		if (a->restart) {
			next = SCREEN_QUIT;
			break;
		}
	}
out:
	ui_set_backdrop(NULL, NULL);
	if (a->restart && p.data != NULL && profile_touched(&p))
		profile_keep(&p);
	profile_free(&p);
	return next;
}
