/*
 * screen-base-class.c - a training base's class (班次): a new draft or a
 * change of one.
 *
 * 班次名称, the learning form (only those the base may report: class.forms),
 * the form's own fields as its definition says (text, longtext, integer,
 * decimal, date, daterange, choice), 开始日期, 结束日期, 计入年度 and the
 * hours (or credits) of each attendee.  保存 sends class.save; the daemon
 * names every mistake at once and each goes beside its field.  Esc asks
 * before what was typed is lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "base.h"
#include "format.h"
#include "keys.h"
#include "text.h"
#include "upload.h"
#include "xmalloc.h"

#define CLASS_WIDTH	40	/* columns of a text box */

enum {
	CLASS_NAME = 1,
	CLASS_FORM,
	CLASS_START,
	CLASS_END,
	CLASS_YEAR,
	CLASS_AMOUNT,
	CLASS_PATH,		/* the class document, a path on this computer */
	CLASS_SAVE,
	CLASS_BACK,
	CLASS_FIELD0 = 100,	/* field i of the form: CLASS_FIELD0 + 2i (+1: a range's end) */
};

struct class_form {
	struct app	*app;
	json_t		*forms;		/* class.forms' result */
	json_t		*definition;	/* the chosen form, a reference; NULL: none yet */
	json_int_t	 id, version;	/* the draft, 0 for a new one */
	char		**years;	/* the year options' text */
	size_t		  nyears;
	char		**labels;	/* labels made here (a range's ends); owned */
	size_t		  nlabels;
	struct ui_form	 form;
	char		*attachment;	/* "name (size)" of the one stored, NULL: none */
	char		*token;		/* attachment_token of the file uploaded */
	char		*token_path;	/* the path it was uploaded from */
	char		 message[512];
	bool		 message_error;
};

static const struct app_leave class_leave = {
	N_("Class"), N_("Leave without saving? Your changes will be lost."),
};

static char *
class_label(struct class_form *c, char *label)
{
	c->labels = xrealloc(c->labels, (c->nlabels + 1) * sizeof *c->labels);
	c->labels[c->nlabels++] = label;
	return label;
}

/* Under the document's path (or where it would be): the one stored, or what may be sent. */
static void
class_paint_attachment(struct class_form *c, int right)
{
	struct ui_field *path = ui_form_field(&c->form, CLASS_PATH);
	int row = path != NULL ? path->y + 1 : ui_form_field(&c->form, CLASS_BACK)->y - 1;
	int y = ui_form_screen_y(&c->form, row), x = c->form.label_x + c->form.label_width + 1;
	char *text;

	if (y < 0)
		return;
	if (c->token != NULL)
		text = xasprintf(_("Class document: %s (uploaded, kept when you save)"),
		    c->token_path);
	else if (c->attachment != NULL)
		text = xasprintf(_("Class document: %s"), c->attachment);
	else
		text = xstrdup(path != NULL ? _("Optional: the approval document or attendance "
		    "sheet (JPEG, PNG, PDF or ZIP).") : _("No class document: the jxjy client on "
		    "your computer sends one."));
	ui_put(y, x, right - x, text, UI_HINT, false);
	free(text);
}

static void
class_paint(void *arg)
{
	struct class_form *c = arg;
	struct ui_form *f = &c->form;
	struct app_frame fr = { 0 };
	struct ui_field *focused;

	app_form_frame(f, c->id != 0 ? _("Continuing Education · Edit a class") :
	    _("Continuing Education · New class"), _("Class"), &fr);
	ui_form_place_labels(f, fr.x0 + 3);
	for (size_t i = 0; i < f->n; i++) {
		struct ui_field *fd = &f->fields[i];

		if (fd->type == UI_FIELD_TEXT && fd->x + fd->width > fr.x0 + fr.w - 4)
			fd->width = fr.x0 + fr.w - 4 - fd->x;
	}
	app_place_buttons(f, ui_form_field(f, CLASS_BACK)->y, fr.x0 + 3, 3);
	ui_form_draw(f, true);
	class_paint_attachment(c, fr.x0 + fr.w - 3);
	app_form_scrolled(f, &fr);
	ui_message_line(c->message, c->message_error);
	focused = ui_form_field(f, ui_form_focus_id(f));
	app_status(c->app, focused != NULL && focused->type == UI_FIELD_PICK ?
	    _("Enter: open the choices  Tab: next  Esc: back  F10: quit") :
	    focused != NULL && focused->type == UI_FIELD_CHOICE ?
	    _("Left, Right: choose  Tab: next  Esc: back  F10: quit") :
	    _("Tab: next  Enter: choose  Esc: back  F10: quit"));
}

/* A text box of the form at row *row; returns it. */
static struct ui_field *
class_text(struct class_form *c, int id, const char *label, int width, size_t max,
    int *row)
{
	struct ui_field *fd = ui_form_add_text(&c->form, id, label, width, max, false);

	fd->y = (*row)++;
	return fd;
}

/* A box for a date (YYYY-MM-DD). */
static struct ui_field *
class_date(struct class_form *c, int id, const char *label, const char *value, int *row)
{
	struct ui_field *fd = class_text(c, id, label, 11, 10, row);

	fd->placeholder = "YYYY-MM-DD";
	ui_form_set(&c->form, id, value);
	return fd;
}

/* The boxes of the chosen form's own fields from *row, values from fields (may be NULL). */
static void
class_build_fields(struct class_form *c, json_t *fields, int *row)
{
	json_t *def;
	size_t i;

	json_array_foreach(json_object_get(c->definition, "fields"), i, def) {
		const char *type = app_json_str(def, "type"), *label = app_json_str(def, "label");
		json_t *value = json_object_get(fields, app_json_str(def, "key"));
		json_int_t max = json_integer_value(json_object_get(def, "max_length"));
		int id = CLASS_FIELD0 + 2 * (int)i;
		struct ui_field *fd;
		char *v;

		if (strcmp(type, "daterange") == 0) {
			class_date(c, id, class_label(c, xasprintf(_("%s (from)"), label)),
			    app_json_str(value, "from"), row)->required =
			    json_is_true(json_object_get(def, "required"));
			fd = class_date(c, id + 1, class_label(c, xasprintf(_("%s (to)"), label)),
			    app_json_str(value, "to"), row);
		} else if (strcmp(type, "choice") == 0) {
			fd = ui_form_add_pick(&c->form, id, label, CLASS_WIDTH);
			fd->placeholder = _("Enter: choose");
			fd->y = (*row)++;
		} else if (strcmp(type, "date") == 0) {
			fd = class_date(c, id, label, NULL, row);
		} else if (strcmp(type, "integer") == 0 || strcmp(type, "decimal") == 0) {
			fd = class_text(c, id, label, 12, 20, row);
		} else {
			fd = class_text(c, id, label, strcmp(type, "longtext") == 0 ? 60 :
			    CLASS_WIDTH, max > 0 ? (size_t)max : 200, row);
		}
		fd->required = json_is_true(json_object_get(def, "required"));
		if (strcmp(type, "daterange") != 0) {
			v = app_json_text(value);
			ui_form_set(&c->form, id, v);
			free(v);
		}
	}
}

/*
 * Build the form: the class's values from klass (class.get's result, or
 * NULL), then what the person had typed in kept (the same form's values
 * before its learning form changed, or NULL).
 */
static void
class_build(struct class_form *c, json_t *klass)
{
	struct ui_form *f = &c->form;
	struct ui_field *fd;
	json_int_t year = json_integer_value(json_object_get(klass, "year"));
	int row = 0, option = 0;
	size_t i;

	ui_form_free(f);
	ui_form_init(f);
	f->default_id = -1;
	fd = class_text(c, CLASS_NAME, _("Class name"), CLASS_WIDTH, 100, &row);
	fd->required = true;
	ui_form_set(f, CLASS_NAME, app_json_str(klass, "name"));
	fd = ui_form_add_pick(f, CLASS_FORM, _("Learning form"), CLASS_WIDTH);
	fd->y = row++;
	fd->required = true;
	fd->placeholder = _("Enter: choose");
	ui_form_set(f, CLASS_FORM, app_json_str(c->definition, "name"));
	class_build_fields(c, json_object_get(klass, "fields"), &row);
	row++;
	class_date(c, CLASS_START, _("Start date"), app_json_str(klass, "start_date"),
	    &row)->required = true;
	class_date(c, CLASS_END, _("End date"), app_json_str(klass, "end_date"),
	    &row)->required = true;
	for (i = 0; i < c->nyears; i++) {
		if (year != 0 && atoi(c->years[i]) == year)
			option = (int)i;
	}
	fd = ui_form_add_choice(f, CLASS_YEAR, _("Counts toward year"),
	    (const char *const *)c->years, c->nyears);
	fd->y = row++;
	fd->required = true;
	ui_form_set_option(f, CLASS_YEAR, c->nyears > 0 ? option : -1);
	fd = class_text(c, CLASS_AMOUNT, strcmp(app_json_str(c->definition, "counts"),
	    "credits") == 0 ? _("Credits per attendee") : _("Hours per attendee"), 11, 10, &row);
	fd->required = true;
	ui_form_set(f, CLASS_AMOUNT, app_json_str(klass, "amount"));
	row++;
	/* The served TUI cannot read the person's disk: no path there. */
	if (c->app->connect != NULL) {
		fd = class_text(c, CLASS_PATH, _("Class document"), 60, 1024, &row);
		fd->placeholder = _("a path on this computer, e.g. ~/scan.pdf");
		ui_form_set(f, CLASS_PATH, c->token_path);
	}
	row += 2;
	ui_form_add_button(f, CLASS_SAVE, _("Save"))->y = row;
	ui_form_add_button(f, CLASS_BACK, _("Back"))->y = row;
}

/* Everything typed, as a class (for class_build after the learning form changed). */
static json_t *
class_values(struct class_form *c)
{
	int option = ui_form_option(&c->form, CLASS_YEAR);

	return json_pack("{s:s, s:o, s:s, s:s, s:i, s:s}",
	    "name", ui_form_value(&c->form, CLASS_NAME), "fields",
	    app_form_field_values(&c->form, c->definition, CLASS_FIELD0),
	    "start_date", ui_form_value(&c->form, CLASS_START),
	    "end_date", ui_form_value(&c->form, CLASS_END),
	    "year", option >= 0 && (size_t)option < c->nyears ? atoi(c->years[option]) : 0,
	    "amount", ui_form_value(&c->form, CLASS_AMOUNT));
}

/* A menu of the texts of choices (strings, or objects' "name") near the focused field. */
static int
class_menu(struct class_form *c, const char *title, json_t *choices)
{
	size_t n = json_array_size(choices), i;
	const char **items = xcalloc(n + 1, sizeof *items);
	json_t *v;
	int chosen, y = ui_form_screen_y(&c->form, ui_form_field(&c->form,
	    ui_form_focus_id(&c->form))->y);

	json_array_foreach(choices, i, v)
		items[i] = json_is_string(v) ? json_string_value(v) : app_json_str(v, "name");
	chosen = n > 0 ? ui_menu(title, items, n, y > 0 ? y : 3, c->form.label_x +
	    c->form.label_width) : -1;
	free(items);
	return chosen;
}

/* The learning form chosen: the form is built for it, what was typed kept. */
static void
class_pick_form(struct class_form *c)
{
	json_t *forms = json_object_get(c->forms, "forms"), *chosen, *typed;
	int i;

	c->form.typed = 0;
	if (json_array_size(forms) == 0) {
		app_say(c->message, sizeof c->message, &c->message_error,
		    _("This base may report no learning form: ask the system administrator."),
		    true);
		return;
	}
	if ((i = class_menu(c, _("Learning form"), forms)) < 0)
		return;
	chosen = json_array_get(forms, (size_t)i);
	if (chosen == c->definition)
		return;
	typed = class_values(c);
	json_decref(c->definition);
	c->definition = json_incref(chosen);
	class_build(c, typed);
	json_decref(typed);
	/* The person's own choice: leaving now asks first. */
	ui_form_choose(&c->form, CLASS_FORM, app_json_str(c->definition, "name"));
	ui_form_focus(&c->form, CLASS_FORM);
}

/* A choice field of the learning form: one of its choices. */
static void
class_pick_choice(struct class_form *c, int id)
{
	json_t *def = json_array_get(json_object_get(c->definition, "fields"),
	    (size_t)(id - CLASS_FIELD0) / 2);
	int i;

	c->form.typed = 0;
	if ((i = class_menu(c, app_json_str(def, "label"), json_object_get(def, "choices"))) >= 0)
		ui_form_choose(&c->form, id, json_string_value(json_array_get(json_object_get(def,
		    "choices"), (size_t)i)));
}

/* The daemon refused: each problem beside its field, the rest on the message line. */
static void
class_refused(struct class_form *c, const struct rpc_error *err)
{
	json_t *fields = json_object_get(c->definition, "fields"), *def;
	size_t n = json_array_size(fields), k = 0, i;
	struct app_field *names = xcalloc(n + 8, sizeof *names);
	const struct rpc_problem *loose;

	json_array_foreach(fields, i, def) {
		names[k].name = xasprintf("fields.%s", app_json_str(def, "key"));
		names[k++].id = CLASS_FIELD0 + 2 * (int)i;
	}
	names[k++] = (struct app_field){ "name", CLASS_NAME };
	names[k++] = (struct app_field){ "form", CLASS_FORM };
	names[k++] = (struct app_field){ "start_date", CLASS_START };
	names[k++] = (struct app_field){ "end_date", CLASS_END };
	names[k++] = (struct app_field){ "year", CLASS_YEAR };
	names[k++] = (struct app_field){ "amount", CLASS_AMOUNT };
	names[k++] = (struct app_field){ "attachment_token", CLASS_PATH };
	loose = app_form_errors(&c->form, err, names);
	/* The person reads from the top: the first field marked has the focus. */
	for (i = 0; i < c->form.n; i++) {
		if (c->form.fields[i].error != NULL) {
			ui_form_focus(&c->form, c->form.fields[i].id);
			break;
		}
	}
	app_form_message(err, loose, c->message, sizeof c->message);
	c->message_error = true;
	for (i = 0; i < n; i++)
		free((char *)names[i].name);
	free(names);
}

/* A step of the upload, on the message line at once. */
static void
class_progress(void *arg, const char *text)
{
	struct class_form *c = arg;

	app_say(c->message, sizeof c->message, &c->message_error, text, false);
	ui_repaint();
}

/* The document's path typed and not uploaded yet: upload it.  false: said beside it. */
static bool
class_upload(struct class_form *c)
{
	const char *path = ui_form_value(&c->form, CLASS_PATH);
	struct upload_failure fail;
	json_t *fin;

	if (*path == '\0' || (c->token != NULL && strcmp(path, c->token_path) == 0))
		return true;
	if ((fin = upload_file(c->app, path, 0, 0, class_progress, c, &fail)) == NULL) {
		ui_form_set_error(&c->form, CLASS_PATH, fail.why);
		ui_form_focus(&c->form, CLASS_PATH);
		app_say(c->message, sizeof c->message, &c->message_error, fail.why, true);
		return false;
	}
	free(c->token);
	c->token = xstrdup(app_json_str(fin, "attachment_token"));
	free(c->token_path);
	c->token_path = xstrdup(path);
	json_decref(fin);
	app_say(c->message, sizeof c->message, &c->message_error, "", false);
	return true;
}

/* 保存: class.save (the document uploaded first).  Returns true when the daemon took it. */
static bool
class_save(struct class_form *c)
{
	struct rpc_error err;
	json_t *params, *result;

	ui_form_clear_errors(&c->form);
	if (!class_upload(c))
		return false;
	params = class_values(c);
	if (c->token != NULL)
		json_object_set_new(params, "attachment_token", json_string(c->token));
	json_object_set_new(params, "form", json_string(app_json_str(c->definition, "code")));
	if (json_integer_value(json_object_get(params, "year")) == 0)
		json_object_del(params, "year");
	if (c->id != 0) {
		json_object_set_new(params, "id", json_integer(c->id));
		json_object_set_new(params, "version", json_integer(c->version));
	}
	if ((result = app_call(c->app, "class.save", params, &err)) == NULL) {
		if (!c->app->restart)
			class_refused(c, &err);
		return false;
	}
	c->id = json_integer_value(json_object_get(result, "id"));
	c->version = json_integer_value(json_object_get(result, "version"));
	json_decref(result);
	ui_form_unchanged(&c->form);
	return true;
}

/* The form's loop: the class's id once saved and left, 0 when left unsaved, -1 to quit. */
static json_int_t
class_loop(struct class_form *c)
{
	struct ui_event ev;
	int id;

	for (;;) {
		switch (app_form_event(&ev, &class_leave, ui_form_edited(&c->form))) {
		case APP_FORM_QUIT:
			return -1;
		case APP_FORM_BACK:
			return 0;
		case APP_FORM_STAY:
			continue;
		case APP_FORM_EVENT:
			break;
		}
		if (c->app->restart)
			return -1;
		if (ui_form_key(&c->form, &ev, &id) != UI_FORM_ACTIVATED)
			continue;
		if (id == CLASS_BACK) {
			if (app_may_leave(&class_leave, ui_form_edited(&c->form)))
				return 0;
		} else if (id == CLASS_SAVE) {
			if (class_save(c))
				return c->id;
		} else if (id == CLASS_FORM) {
			class_pick_form(c);
		} else if (id >= CLASS_FIELD0) {
			class_pick_choice(c, id);
		}
		if (c->app->restart)
			return -1;
	}
}

json_int_t
base_class_edit(struct app *a, json_t *forms, json_t *klass)
{
	struct class_form c = { .app = a, .forms = forms };
	const struct ui_key_help *before = ui_help_get();
	json_t *y, *f;
	json_int_t result;
	size_t i;

	json_array_foreach(json_object_get(forms, "years"), i, y) {
		c.years = xrealloc(c.years, (c.nyears + 1) * sizeof *c.years);
		c.years[c.nyears++] = xasprintf("%lld", (long long)json_integer_value(y));
	}
	if (klass != NULL) {
		json_t *att = json_object_get(klass, "attachment");
		char sz[32];

		if (json_is_object(att))
			c.attachment = xasprintf(_("%s (%s)"), app_json_str(att, "name"),
			    format_size(json_integer_value(json_object_get(att, "size")), sz,
			    sizeof sz));
		c.id = json_integer_value(json_object_get(klass, "id"));
		c.version = json_integer_value(json_object_get(klass, "version"));
		json_array_foreach(json_object_get(forms, "forms"), i, f) {
			if (strcmp(app_json_str(f, "code"), app_json_str(json_object_get(klass,
			    "form"), "code")) == 0)
				c.definition = json_incref(f);
		}
	}
	class_build(&c, klass);
	ui_form_focus(&c.form, CLASS_NAME);
	ui_set_backdrop(class_paint, &c);
	ui_help_set(base_class_keys);
	result = class_loop(&c);
	ui_set_backdrop(NULL, NULL);
	ui_help_set(before);
	ui_form_free(&c.form);
	for (i = 0; i < c.nyears; i++)
		free(c.years[i]);
	free(c.years);
	for (i = 0; i < c.nlabels; i++)
		free(c.labels[i]);
	free(c.labels);
	json_decref(c.definition);
	free(c.attachment);
	free(c.token);
	free(c.token_path);
	return result;
}
