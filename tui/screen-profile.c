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
#include "text.h"
#include "xmalloc.h"

enum profile_field {
	PROF_PHONE = 1,
	PROF_EMAIL,
	PROF_DEPARTMENT,
	PROF_ETHNICITY,
	PROF_NATIVE_PLACE,
	PROF_SCHOOL,
	PROF_MAJOR,
	PROF_TITLE,
	PROF_EDUCATION,
	PROF_SAVE,
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
#define PROF_FIELD_WIDTH	30
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

	/* What the pickers chose: codes and ids, "" or 0 for none. */
	json_int_t	 department_id;
	char		 ethnicity[16];
	char		 major[16];
	json_int_t	 title_id;
	char		 education[16];
	char		 title_series[64];	/* the series picked before the title */

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

#define profile_str app_json_str

/* A title object as the picker shows it, "工程 · 工程师"; "" for null.  Caller frees. */
static char *
profile_title_label(json_t *title)
{
	if (!json_is_object(title))
		return xstrdup("");
	return format_title(profile_str(title, "series"), profile_str(title, "name"));
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

static const struct ui_key_help profile_keys_help[] = {
	{ N_("Tab"), N_("next field"), true },
	{ N_("Down, Up; Shift-Tab"), N_("next, previous field"), false },
	{ N_("Enter"), N_("choose"), true },
	{ N_("F4, Space, typing"), N_("open the list of a choice field"), false },
	{ N_("Delete"), N_("clear a chosen field"), false },
	{ N_("F5"), N_("reload"), true },
	{ N_("Esc"), N_("back (asks first)"), true },
	{ N_("F10"), N_("quit"), true },
	{ 0 }
};

static void
profile_paint(void *arg)
{
	struct profile *p = arg;
	struct ui_form *f = &p->form;
	struct ui_field *title = ui_form_field(f, PROF_TITLE);
	int w = COLS >= 100 ? 96 : COLS - 2, x0 = (COLS - w) / 2, top = 1, h = LINES - 3;
	int fx, y, bx, gap, buttons = 0, mark_x = 0;

	ui_header(_("Continuing Education · Profile"));
	ui_box(top, x0, h, w, _("Profile"), UI_FRAME);
	ui_form_set_box(f, top, x0, h, w);
	profile_place_labels(p, x0 + 5);
	fx = title->x;
	/* The buttons in a row; closer together when they would not fit. */
	for (size_t i = 0; i < f->n; i++) {
		if (f->fields[i].type == UI_FIELD_BUTTON && !f->fields[i].hidden)
			buttons += f->fields[i].width + 3;
	}
	gap = x0 + 5 + buttons <= x0 + w - 2 ? 3 : 2;
	bx = x0 + 5;
	for (size_t i = 0; i < f->n; i++) {
		if (f->fields[i].type != UI_FIELD_BUTTON || f->fields[i].hidden)
			continue;
		f->fields[i].x = bx;
		bx += f->fields[i].width + gap;
	}
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
	if (f->view_top > 0)
		ui_put(top, x0 + w - 16, 14, _("(more above)"), UI_HINT, false);
	if (ui_form_last_row(f) >= f->view_top + f->view_h)
		ui_put(top + h - 1, x0 + w - 16, 14, _("(more below)"), UI_HINT, false);

	ui_message_line(p->message, p->message_error);
	app_status(p->app, NULL);
}

/* The form's values in one string, to tell whether anything was changed.  Caller frees. */
static char *
profile_signature(struct profile *p)
{
	struct ui_form *f = &p->form;

	return xasprintf("%s\x1f%s\x1f%lld\x1f%s\x1f%s\x1f%s\x1f%s\x1f%lld\x1f%s",
	    ui_form_value(f, PROF_PHONE), ui_form_value(f, PROF_EMAIL),
	    (long long)p->department_id, p->ethnicity, ui_form_value(f, PROF_NATIVE_PLACE),
	    ui_form_value(f, PROF_SCHOOL), p->major, (long long)p->title_id, p->education);
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
	app_copy(buf, size, profile_str(o, "code"));
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
	p->fixed_values[FIXED_ID_NUMBER] = xstrdup(profile_str(d, "id_number"));
	p->fixed_values[FIXED_NAME] = xstrdup(profile_str(d, "name"));
	p->fixed_values[FIXED_SEX] = xstrdup(app_sex_name(profile_str(d, "sex")));
	p->fixed_values[FIXED_BIRTH_DATE] = xstrdup(profile_str(d, "birth_date"));
	o = json_object_get(d, "unit");
	p->fixed_values[FIXED_UNIT] = xstrdup(profile_str(o, "name"));

	ui_form_clear_errors(f);
	ui_form_set(f, PROF_PHONE, profile_str(d, "phone"));
	ui_form_set(f, PROF_EMAIL, profile_str(d, "email"));
	o = json_object_get(d, "department");
	p->department_id = json_integer_value(json_object_get(o, "id"));
	ui_form_set(f, PROF_DEPARTMENT, profile_str(o, "name"));
	o = json_object_get(d, "ethnicity");
	profile_code(o, p->ethnicity, sizeof p->ethnicity);
	ui_form_set(f, PROF_ETHNICITY, profile_str(o, "name"));
	ui_form_set(f, PROF_NATIVE_PLACE, profile_str(d, "native_place"));
	ui_form_set(f, PROF_SCHOOL, profile_str(d, "school"));
	o = json_object_get(d, "major");
	profile_code(o, p->major, sizeof p->major);
	ui_form_set(f, PROF_MAJOR, profile_str(o, "name"));
	o = json_object_get(d, "education_level");
	profile_code(o, p->education, sizeof p->education);
	ui_form_set(f, PROF_EDUCATION, profile_str(o, "name"));

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
		    *was != '\0' ? was : _("none"), app_format_time(profile_str(pending,
		    "asked_at"), when, sizeof when));
		free(was);
		o = json_object_get(pending, "title");
	}
	p->title_id = json_integer_value(json_object_get(o, "id"));
	app_copy(p->title_series, sizeof p->title_series, profile_str(o, "series"));
	label = profile_title_label(o);
	ui_form_set(f, PROF_TITLE, label);
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
	struct rpc_error err;
	json_t *result;

	if ((result = app_call(p->app, "profile.get", NULL, &err)) == NULL) {
		profile_say(p, err.message, true);
		return -1;
	}
	json_decref(p->data);
	p->data = result;
	profile_fill(p);
	return 0;
}

/* Pickers: each fetches its list from a ref.* method. */

/* Call method and add its items with add; 0, or -1 (the picker says why). */
static int
profile_fetch(struct ui_picker *pk, const char *method, json_t *params,
    void (*add)(struct ui_picker *, json_t *))
{
	struct profile *p = pk->arg;
	struct rpc_error err;
	json_t *result, *item, *next;
	size_t i;

	if ((result = app_call(p->app, method, params, &err)) == NULL) {
		ui_picker_fail(pk, err.message);
		return -1;
	}
	json_array_foreach(json_object_get(result, "items"), i, item)
		add(pk, item);
	next = json_object_get(result, "next");
	ui_picker_set_next(pk, json_is_string(next) ? json_string_value(next) : NULL);
	json_decref(result);
	return 0;
}

static void
profile_add_named(struct ui_picker *pk, json_t *item)
{
	ui_picker_add(pk, profile_str(item, "code"), profile_str(item, "name"), NULL);
}

static void
profile_add_department(struct ui_picker *pk, json_t *item)
{
	char id[32];

	snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(item,
	    "id")));
	ui_picker_add(pk, id, profile_str(item, "name"), NULL);
}

static void
profile_add_major(struct ui_picker *pk, json_t *item)
{
	char *detail = xasprintf("%s %s", profile_str(item, "code"),
	    profile_str(item, "discipline"));

	ui_picker_add(pk, profile_str(item, "code"), profile_str(item, "name"), detail);
	free(detail);
}

static void
profile_add_title(struct ui_picker *pk, json_t *item)
{
	char id[32], *label = profile_title_label(item);

	snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(item,
	    "id")));
	ui_picker_add(pk, id, label, profile_str(item, "level"));
	free(label);
}

static int
profile_fetch_departments(struct ui_picker *pk, const char *filter, const char *after)
{
	struct profile *p = pk->arg;

	return profile_fetch(pk, "ref.departments", json_pack("{s:s}", "unit",
	    profile_str(json_object_get(p->data, "unit"), "code")), profile_add_department);
}

static int
profile_fetch_ethnicities(struct ui_picker *pk, const char *filter, const char *after)
{
	return profile_fetch(pk, "ref.ethnicities", NULL, profile_add_named);
}

static int
profile_fetch_majors(struct ui_picker *pk, const char *filter, const char *after)
{
	json_t *params = json_pack("{s:i}", "limit", PROF_PAGE);

	if (filter != NULL && *filter != '\0')
		json_object_set_new(params, "filter", json_string(filter));
	if (after != NULL)
		json_object_set_new(params, "after", json_string(after));
	return profile_fetch(pk, "ref.majors", params, profile_add_major);
}

/* ref.title_series: a list of names, each its own key. */
static int
profile_fetch_series(struct ui_picker *pk, const char *filter, const char *after)
{
	struct profile *p = pk->arg;
	struct rpc_error err;
	json_t *result, *item;
	size_t i;

	if ((result = app_call(p->app, "ref.title_series", NULL, &err)) == NULL) {
		ui_picker_fail(pk, err.message);
		return -1;
	}
	json_array_foreach(json_object_get(result, "items"), i, item) {
		if (json_is_string(item))
			ui_picker_add(pk, json_string_value(item), json_string_value(item), NULL);
	}
	json_decref(result);
	return 0;
}

static int
profile_fetch_titles(struct ui_picker *pk, const char *filter, const char *after)
{
	struct profile *p = pk->arg;

	return profile_fetch(pk, "ref.titles", json_pack("{s:s}", "series", p->title_series),
	    profile_add_title);
}

static int
profile_fetch_education(struct ui_picker *pk, const char *filter, const char *after)
{
	return profile_fetch(pk, "ref.education_levels", NULL, profile_add_named);
}

/*
 * Run a picker titled by field id's label; on a choice copy its key into
 * key (size bytes) and show its label in the field.  Returns true when
 * something was chosen.
 */
static bool
profile_pick(struct profile *p, int id,
    int (*fetch)(struct ui_picker *, const char *, const char *), bool server_filter,
    char *key, size_t size)
{
	struct ui_field *fd = ui_form_field(&p->form, id);
	struct ui_picker pk;
	char initial[8] = "";
	long chosen;

	if (p->form.typed != 0) {
		/* The character typed on the field starts the filter. */
		wchar_t wc[2] = { (wchar_t)p->form.typed, 0 };

		if (wcstombs(initial, wc, sizeof initial) == (size_t)-1)
			initial[0] = '\0';
		p->form.typed = 0;
	}
	ui_picker_init(&pk, fd->label, fetch, p, server_filter);
	chosen = ui_picker_run(&pk, initial);
	if (chosen >= 0) {
		app_copy(key, size, pk.items[chosen].key);
		ui_form_choose(&p->form, id, pk.items[chosen].label);
	}
	ui_picker_free(&pk);
	return chosen >= 0;
}

/* Open the picker of a pick field. */
static void
profile_choose(struct profile *p, int id)
{
	char key[64], series[64];

	switch (id) {
	case PROF_DEPARTMENT:
		if (profile_pick(p, id, profile_fetch_departments, false, key, sizeof key))
			p->department_id = strtoll(key, NULL, 10);
		break;
	case PROF_ETHNICITY:
		profile_pick(p, id, profile_fetch_ethnicities, false, p->ethnicity,
		    sizeof p->ethnicity);
		break;
	case PROF_MAJOR:
		profile_pick(p, id, profile_fetch_majors, true, p->major, sizeof p->major);
		break;
	case PROF_TITLE: {
		/* The series first, then a title of that series; Esc on either keeps the old. */
		char *shown = xstrdup(ui_form_value(&p->form, id));

		app_copy(series, sizeof series, p->title_series);
		if (profile_pick(p, id, profile_fetch_series, false, p->title_series,
		    sizeof p->title_series) &&
		    profile_pick(p, id, profile_fetch_titles, false, key, sizeof key)) {
			p->title_id = strtoll(key, NULL, 10);
		} else {
			app_copy(p->title_series, sizeof p->title_series, series);
			ui_form_set(&p->form, id, shown);
		}
		free(shown);
		break;
	}
	case PROF_EDUCATION:
		profile_pick(p, id, profile_fetch_education, false, p->education,
		    sizeof p->education);
		break;
	}
}

/* Delete on a pick field: nothing chosen any more (the server says if that may be). */
static void
profile_unchoose(struct profile *p, int id)
{
	switch (id) {
	case PROF_DEPARTMENT:
		p->department_id = 0;
		break;
	case PROF_ETHNICITY:
		p->ethnicity[0] = '\0';
		break;
	case PROF_MAJOR:
		p->major[0] = '\0';
		break;
	case PROF_TITLE:
		p->title_id = 0;
		break;
	case PROF_EDUCATION:
		p->education[0] = '\0';
		break;
	}
}

/* The server's names of the fields, and ours. */
static const struct app_field profile_fields[] = {
	{ "phone", PROF_PHONE },
	{ "email", PROF_EMAIL },
	{ "department_id", PROF_DEPARTMENT },
	{ "ethnicity", PROF_ETHNICITY },
	{ "native_place", PROF_NATIVE_PLACE },
	{ "school", PROF_SCHOOL },
	{ "major", PROF_MAJOR },
	{ "title_id", PROF_TITLE },
	{ "education_level", PROF_EDUCATION },
	{ NULL, 0 },
};

/* An optional code: the code, or null to clear it. */
static json_t *
profile_optional(const char *code)
{
	return *code != '\0' ? json_string(code) : json_null();
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
	loose = app_form_errors(&p->form, err, profile_fields);
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
	params = json_pack("{s:I, s:s, s:s, s:I, s:s, s:s, s:s, s:o, s:o, s:o}",
	    "version", p->version,
	    "phone", ui_form_value(f, PROF_PHONE),
	    "email", ui_form_value(f, PROF_EMAIL),
	    "department_id", p->department_id,
	    "ethnicity", p->ethnicity,
	    "native_place", ui_form_value(f, PROF_NATIVE_PLACE),
	    "school", ui_form_value(f, PROF_SCHOOL),
	    "major", profile_optional(p->major),
	    "title_id", p->title_id > 0 ? json_integer(p->title_id) : json_null(),
	    "education_level", profile_optional(p->education));
	if ((result = app_call(p->app, "profile.update", params, &err)) == NULL) {
		if (!p->app->restart)
			profile_refused(p, &err);
		return;
	}
	message = xstrdup(profile_str(result, "message"));
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
	text = xstrdup(*profile_str(result, "message") != '\0' ? profile_str(result, "message") :
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

static void
profile_build(struct profile *p)
{
	struct ui_form *f = &p->form;
	struct ui_field *fd;
	int row = PROF_ROW_EDIT + 1;

	p->fixed_labels[FIXED_ID_NUMBER] = _("ID number");
	p->fixed_labels[FIXED_NAME] = _("Name");
	p->fixed_labels[FIXED_SEX] = _("Sex");
	p->fixed_labels[FIXED_BIRTH_DATE] = _("Date of birth");
	p->fixed_labels[FIXED_UNIT] = _("Work unit");

	ui_form_init(f);
	fd = ui_form_add_text(f, PROF_PHONE, _("Mobile phone"), PROF_FIELD_WIDTH, 11, false);
	fd->required = true;
	fd->y = row++;
	fd = ui_form_add_text(f, PROF_EMAIL, _("E-mail"), PROF_FIELD_WIDTH, 254, false);
	fd->required = true;
	fd->y = row++;
	fd = ui_form_add_pick(f, PROF_DEPARTMENT, _("Department"), PROF_FIELD_WIDTH);
	fd->required = true;
	fd->y = row++;
	fd = ui_form_add_pick(f, PROF_ETHNICITY, _("Ethnicity"), PROF_FIELD_WIDTH);
	fd->required = true;
	fd->y = row++;
	fd = ui_form_add_text(f, PROF_NATIVE_PLACE, _("Native place"), PROF_FIELD_WIDTH, 100,
	    false);
	fd->y = row++;
	fd = ui_form_add_text(f, PROF_SCHOOL, _("Graduated from"), PROF_FIELD_WIDTH, 100, false);
	fd->y = row++;
	fd = ui_form_add_pick(f, PROF_MAJOR, _("Major"), PROF_FIELD_WIDTH);
	fd->y = row++;
	fd = ui_form_add_pick(f, PROF_TITLE, _("Professional title"), PROF_FIELD_WIDTH);
	fd->y = row++;
	fd = ui_form_add_pick(f, PROF_EDUCATION, _("Education"), PROF_FIELD_WIDTH);
	fd->y = row++;
	for (size_t i = 0; i < f->n; i++) {
		if (f->fields[i].type == UI_FIELD_PICK)
			f->fields[i].placeholder = _("Enter: choose");
	}
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
	const char *state = profile_str(item, "state"), *reason = profile_str(item, "reason");
	const char *by = profile_str(json_object_get(item, "decided_by"), "name");

	if (strcmp(profile_str(item, "kind"), "reviewed") != 0)
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
	const char *s = profile_str(item, key);

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

	if (strcmp(profile_str(item, "field"), "title") != 0)
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
	    app_format_time(profile_str(item, "changed_at"), when, sizeof when),
	    profile_str(item, "label"), profile_history_value(item, "old_value"),
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

static const struct ui_key_help profile_history_keys[] = {
	{ N_("Up/Down"), N_("move"), true },
	{ N_("Enter"), N_("details"), true },
	{ N_("F5"), N_("reload"), true },
	{ N_("PgUp/PgDn, Home/End"), N_("move faster"), false },
	{ N_("Esc"), N_("back"), true },
	{ 0 }
};

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
		ui_put(y, c.when, c.label - c.when - 1, app_format_time(profile_str(it, "changed_at"), when,
		    sizeof when), st, false);
		ui_put(y, c.label, c.old - c.label - 1, profile_str(it, "label"), st, false);
		old = profile_history_cell(it, "old_value");
		new = profile_history_cell(it, "new_value");
		ui_put(y, c.old, c.old_w, old, st, false);
		ui_put(y, c.new, c.new_w, new, st, false);
		ui_put(y, c.state, c.state_w, state, st, false);
		free(old);
		free(new);
		free(state);
	}
	if (n == 0)
		ui_put_center(3 + h->rows / 2, 0, COLS, _("No changes yet."), UI_HINT);
	info = xasprintf(_("%zu changes shown%s"), n, h->next != NULL ? _("; PgDn loads more") :
	    "");
	ui_put(LINES - 3, 1, COLS - 2, info, UI_HINT, false);
	free(info);
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
	app_append_row(&text, labels[0], w, app_format_time(profile_str(it, "changed_at"), when,
	    sizeof when));
	app_append_row(&text, labels[1], w, profile_str(it, "label"));
	app_append_row(&text, labels[2], w, profile_history_value(it, "old_value"));
	app_append_row(&text, labels[3], w, profile_history_value(it, "new_value"));
	if (strcmp(profile_str(it, "kind"), "reviewed") == 0) {
		char *state = profile_history_state(it);

		app_append_row(&text, labels[4], w, state);
		free(state);
		if (*profile_str(it, "decided_at") != '\0') {
			app_append_row(&text, labels[5], w,
			    profile_str(json_object_get(it, "decided_by"), "name"));
			app_append_row(&text, labels[6], w, app_format_time(profile_str(it,
			    "decided_at"), when, sizeof when));
		}
		if (*profile_str(it, "reason") != '\0' &&
		    strcmp(profile_str(it, "reason"), "replaced") != 0)
			app_append_row(&text, labels[7], w, profile_str(it, "reason"));
	} else {
		app_append_row(&text, labels[4], w, _("Applied"));
	}
	ui_message(profile_str(it, "label"), text);
	free(text);
}

/* Move the cursor by step rows, reading the next page when it runs off the end. */
static void
profile_history_move(struct profile_history *h, long step)
{
	size_t n = json_array_size(h->items);

	if (step > 0 && h->cur + (size_t)step >= n && h->next != NULL) {
		profile_history_load(h, true);
		n = json_array_size(h->items);
	}
	if (n == 0)
		return;
	if (step < 0)
		h->cur = (size_t)-step > h->cur ? 0 : h->cur - (size_t)-step;
	else
		h->cur = h->cur + (size_t)step >= n ? n - 1 : h->cur + (size_t)step;
}

int
profile_history_run(struct app *a, const char *who, json_int_t account_id)
{
	struct profile_history h = { .app = a, .account_id = account_id, .who = who };
	struct ui_event ev;
	unsigned seen = a->changes;
	long page;
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
		page = h.rows > 1 ? h.rows - 1 : 1;
		if (ev.type == UI_EV_CHAR) {
			if (ev.ch == 'j')
				profile_history_move(&h, 1);
			else if (ev.ch == 'k')
				profile_history_move(&h, -1);
			else if (ev.ch == 'q')
				break;
			continue;
		}
		if (ev.type != UI_EV_KEY)
			continue;
		if (ev.key == UI_KEY_ESC)
			break;
		h.message[0] = '\0';
		switch (ev.key) {
		case KEY_DOWN:
			profile_history_move(&h, 1);
			break;
		case KEY_UP:
			profile_history_move(&h, -1);
			break;
		case KEY_NPAGE:
			profile_history_move(&h, page);
			break;
		case KEY_PPAGE:
			profile_history_move(&h, -page);
			break;
		case KEY_HOME:
			h.cur = 0;
			break;
		case KEY_END:
			h.cur = json_array_size(h.items) > 0 ? json_array_size(h.items) - 1 : 0;
			break;
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
	struct rpc_error err;
	json_t *result;

	if ((result = app_call(k->app, "keys.list", NULL, &err)) == NULL) {
		profile_keys_say(k, err.message, true);
		return;
	}
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
	const char *comment = profile_str(key, "comment");

	if (strcmp(profile_str(key, "source"), "config") == 0)
		return xasprintf("%s%s%s", comment, *comment != '\0' ? " " : "",
		    _("(server configuration)"));
	if (!json_is_true(json_object_get(key, "confirmed")))
		return xasprintf("%s%s%s", comment, *comment != '\0' ? " " : "",
		    _("(takes effect at your first login with it)"));
	return xstrdup(comment);
}

static const struct ui_key_help profile_ssh_keys[] = {
	{ N_("a"), N_("add a key"), true },
	{ N_("d, Delete"), N_("remove the key"), true },
	{ N_("Enter"), N_("details"), true },
	{ N_("Up/Down"), N_("choose"), false },
	{ N_("F5"), N_("reload"), false },
	{ N_("Esc"), N_("back"), true },
	{ 0 }
};

static void
profile_keys_paint(void *arg)
{
	struct profile_keys *k = arg;
	size_t n = json_array_size(k->items), nlines;
	int type = 1, type_w = text_width(_("Type")), fp, fp_w = 51, comment, comment_w;
	char **lines;

	/* Headings whole: the comment's takes from the fingerprint, which is cut with "…". */
	for (size_t i = 0; i < n; i++) {
		const char *t = profile_str(json_array_get(k->items, i), "type");

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
		ui_put(y, type, type_w, profile_str(key, "type"), st, false);
		ui_put(y, fp, fp_w, profile_str(key, "fingerprint"), st, false);
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
	    profile_str(result, "fingerprint"));
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
	    profile_str(key, "fingerprint"));
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
	app_append_row(&text, labels[0], w, profile_str(key, "type"));
	app_append_row(&text, labels[1], w, profile_str(key, "fingerprint"));
	app_append_row(&text, labels[2], w, c);
	app_append_row(&text, labels[3], w, app_format_time(profile_str(key, "created_at"),
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
	size_t n;
	int rc = 0;

	ui_set_backdrop(profile_keys_paint, &k);
	ui_help_set(profile_ssh_keys);
	profile_keys_load(&k);
	for (;;) {
		if (app_next_event(a, &ev)) {
			rc = -1;
			break;
		}
		n = json_array_size(k.items);
		if (ev.type == UI_EV_CHAR) {
			if (ev.ch == 'a') {
				profile_keys_say(&k, "", false);
				profile_keys_add(&k);
			} else if (ev.ch == 'd') {
				profile_keys_say(&k, "", false);
				profile_keys_remove(&k);
			} else if (ev.ch == 'j' && k.cur + 1 < n) {
				k.cur++;
			} else if (ev.ch == 'k' && k.cur > 0) {
				k.cur--;
			} else if (ev.ch == 'q') {
				break;
			}
			continue;
		}
		if (ev.type != UI_EV_KEY)
			continue;
		if (ev.key == UI_KEY_ESC)
			break;
		if (ev.key == KEY_DOWN && k.cur + 1 < n)
			k.cur++;
		else if (ev.key == KEY_UP && k.cur > 0)
			k.cur--;
		else if (ev.key == KEY_DC)
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
	char		*values[PROF_EDUCATION + 1];	/* by field id; owned */
	json_int_t	 department_id, title_id;
	char		 ethnicity[16], major[16], education[16], title_series[64];
} profile_kept;

static void
profile_keep(struct profile *p)
{
	app_copy(profile_kept.id_number, sizeof profile_kept.id_number,
	    p->fixed_values[FIXED_ID_NUMBER]);
	for (int id = PROF_PHONE; id <= PROF_EDUCATION; id++)
		profile_kept.values[id] = xstrdup(ui_form_value(&p->form, id));
	profile_kept.department_id = p->department_id;
	profile_kept.title_id = p->title_id;
	app_copy(profile_kept.ethnicity, sizeof profile_kept.ethnicity, p->ethnicity);
	app_copy(profile_kept.major, sizeof profile_kept.major, p->major);
	app_copy(profile_kept.education, sizeof profile_kept.education, p->education);
	app_copy(profile_kept.title_series, sizeof profile_kept.title_series, p->title_series);
	profile_kept.set = true;
}

/* Put the kept changes back when the profile is the same person's; forget them. */
static void
profile_restore(struct profile *p)
{
	if (!profile_kept.set)
		return;
	if (strcmp(profile_kept.id_number, p->fixed_values[FIXED_ID_NUMBER]) == 0) {
		for (int id = PROF_PHONE; id <= PROF_EDUCATION; id++)
			ui_form_choose(&p->form, id, profile_kept.values[id]);
		p->department_id = profile_kept.department_id;
		p->title_id = profile_kept.title_id;
		app_copy(p->ethnicity, sizeof p->ethnicity, profile_kept.ethnicity);
		app_copy(p->major, sizeof p->major, profile_kept.major);
		app_copy(p->education, sizeof p->education, profile_kept.education);
		app_copy(p->title_series, sizeof p->title_series, profile_kept.title_series);
		if (profile_touched(p))
			profile_say(p, _("Your changes not saved when the session ended are back; "
			    "check them and save."), false);
	}
	for (int id = PROF_PHONE; id <= PROF_EDUCATION; id++) {
		free(profile_kept.values[id]);
		profile_kept.values[id] = NULL;
	}
	profile_kept.set = false;
}

/* May the form be left?  Asks first, the safe answer focused, when changes are unsaved. */
static bool
profile_may_leave(struct profile *p)
{
	return !profile_touched(p) || ui_confirm_safe(_("Profile"),
	    _("Leave without saving? Your changes will be lost."));
}

enum screen_id
screen_profile_run(struct app *a)
{
	struct profile p = { .app = a };
	struct ui_event ev;
	enum screen_id next = SCREEN_HOME;
	enum ui_form_result res;
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
		ui_repaint();
		ui_next_event(&ev);
		if (ev.type == UI_EV_QUIT) {
			next = SCREEN_QUIT;
			break;
		}
		if (ui_is_quit_key(&ev)) {
			if (!profile_may_leave(&p))
				continue;
			next = SCREEN_QUIT;
			break;
		}
		if (ev.type == UI_EV_KEY && ev.key == UI_KEY_ESC) {
			if (profile_may_leave(&p))
				break;
			continue;
		}
		if (ev.type == UI_EV_KEY && ev.key == KEY_F(5)) {
			profile_reload(&p);
			continue;
		}
		res = ui_form_key(&p.form, &ev, &id);
		if (res == UI_FORM_CLEARED) {
			profile_unchoose(&p, id);
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
			if (profile_history_run(a, profile_str(p.data, "name"), 0) != 0 &&
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
			profile_choose(&p, id);
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
