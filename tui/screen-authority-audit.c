/*
 * screen-authority-audit.c - 审核记录查询: every decision and change in the
 * authority's scope (audit.search), found with a filter form -- 类别, a
 * person's name or ID number, a unit, a date range, the outcome -- and
 * listed newest first, a page at a time (the queue widget), Enter showing
 * one row in full.
 *
 * 查询 sends the form; every problem the server finds is shown beside its
 * field at once, and what was typed stays.  Esc in the list comes back to
 * the form as it was; Esc in the form goes home.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "authority.h"
#include "keys.h"
#include "queue.h"
#include "text.h"
#include "xmalloc.h"

enum audit_field {
	AUDIT_KIND = 1,
	AUDIT_WHO,
	AUDIT_UNIT,
	AUDIT_FROM,
	AUDIT_TO,
	AUDIT_OUTCOME,
	AUDIT_SEARCH,
	AUDIT_CLEAR,
	AUDIT_BACK,
};

#define AUDIT_ROW_BUTTONS	8	/* the form's row of buttons (rows of the form: 1-6 fields) */

/* A word of the server's and its name here (msgid). */
struct audit_word {
	const char	*word;
	const char	*name;
};

/* audit.search's kinds; NULL: all. */
static const struct audit_word audit_kinds[] = {
	{ NULL, N_("All kinds") },
	{ "registration", N_("Registrations") },
	{ "title", N_("Title changes") },
	{ "declaration", N_("Declarations") },
	{ "base_report", N_("Base classes") },
	{ "base", N_("Bases") },
};
#define AUDIT_KINDS	(sizeof audit_kinds / sizeof audit_kinds[0])

/* The outcomes most asked for (the action words of docs/protocol.md's audit.search). */
static const struct audit_word audit_outcomes[] = {
	{ NULL, N_("All outcomes") },
	{ "approve", N_("Approved") },
	{ "reject", N_("Rejected") },
	{ "submit", N_("Submitted for review") },
	{ "withdraw", N_("Withdrawn") },
	{ "register", N_("Registered") },
	{ "report", N_("Reported") },
	{ "accredit", N_("Accredited") },
	{ "suspend", N_("Suspended") },
	{ "reinstate", N_("Reinstated") },
	{ "set_forms", N_("Forms set") },
};
#define AUDIT_OUTCOMES	(sizeof audit_outcomes / sizeof audit_outcomes[0])

struct audit {
	struct app	*app;
	struct ui_form	 form;
	size_t		 kind, outcome;	/* indices into audit_kinds, audit_outcomes */
	char		*unit_code;	/* NULL: every unit */
	char		*unit_name;
	char		 message[512];
	bool		 message_error;
};

/* The server's names of the fields, and ours. */
static const struct app_field audit_fields[] = {
	{ "kind", AUDIT_KIND },
	{ "who", AUDIT_WHO },
	{ "unit", AUDIT_UNIT },
	{ "from", AUDIT_FROM },
	{ "to", AUDIT_TO },
	{ "outcome", AUDIT_OUTCOME },
	{ NULL, 0 },
};

/* ---- the form -------------------------------------------------------------------- */

static void
audit_paint(void *arg)
{
	struct audit *au = arg;
	struct app_frame fr = { .top = 1, .h = LINES - 3, .w = COLS >= 100 ? 96 : COLS - 2 };
	int hint;

	app_form_frame(&au->form, _("Continuing Education · Audit search"), _("Search the "
	    "decisions of your scope"), &fr);
	ui_form_place_labels(&au->form, fr.x0 + 3);
	app_place_buttons(&au->form, AUDIT_ROW_BUTTONS, fr.x0 + 3, 3);
	ui_form_draw(&au->form, true);
	if ((hint = ui_form_screen_y(&au->form, AUDIT_ROW_BUTTONS + 2)) >= 0)
		ui_put(hint, fr.x0 + 3, fr.w - 6, _("A name finds the people whose name starts "
		    "with it; an ID number, that person. Dates are YYYY-MM-DD, both included."),
		    UI_HINT, false);
	ui_message_line(au->message, au->message_error);
	app_status(au->app, _("Tab: next field  Enter: choose, search  Delete: clear a choice  "
	    "Esc: back"));
}

/* A menu of words at the field's place; the index chosen, or -1. */
static int
audit_menu(struct audit *au, int id, const struct audit_word *words, size_t n)
{
	struct ui_field *fd = ui_form_field(&au->form, id);
	const char **items = xcalloc(n, sizeof *items);
	int chosen;

	for (size_t i = 0; i < n; i++)
		items[i] = _(words[i].name);
	chosen = ui_menu(fd->label, items, n, fd->y, fd->x);
	free(items);
	return chosen;
}

/* Enter on a pick field: its menu, or the unit picker. */
static void
audit_choose(struct audit *au, int id)
{
	char *code, *name;
	int chosen;

	switch (id) {
	case AUDIT_KIND:
		if ((chosen = audit_menu(au, id, audit_kinds, AUDIT_KINDS)) >= 0) {
			au->kind = (size_t)chosen;
			ui_form_choose(&au->form, id, _(audit_kinds[chosen].name));
		}
		break;
	case AUDIT_OUTCOME:
		if ((chosen = audit_menu(au, id, audit_outcomes, AUDIT_OUTCOMES)) >= 0) {
			au->outcome = (size_t)chosen;
			ui_form_choose(&au->form, id, _(audit_outcomes[chosen].name));
		}
		break;
	case AUDIT_UNIT:
		if (authority_pick_unit(au->app, &code, &name)) {
			free(au->unit_code);
			free(au->unit_name);
			au->unit_code = code;
			au->unit_name = name;
			ui_form_choose(&au->form, id, name);
		}
		break;
	}
}

/* Delete on a pick field, or 清空 for all: back to "all". */
static void
audit_unchoose(struct audit *au, int id)
{
	if (id == AUDIT_KIND || id == 0) {
		au->kind = 0;
		ui_form_set(&au->form, AUDIT_KIND, _(audit_kinds[0].name));
	}
	if (id == AUDIT_OUTCOME || id == 0) {
		au->outcome = 0;
		ui_form_set(&au->form, AUDIT_OUTCOME, _(audit_outcomes[0].name));
	}
	if (id == AUDIT_UNIT || id == 0) {
		free(au->unit_code);
		free(au->unit_name);
		au->unit_code = au->unit_name = NULL;
		ui_form_set(&au->form, AUDIT_UNIT, _("All units"));
	}
	if (id == 0) {
		ui_form_set(&au->form, AUDIT_WHO, NULL);
		ui_form_set(&au->form, AUDIT_FROM, NULL);
		ui_form_set(&au->form, AUDIT_TO, NULL);
		ui_form_clear_errors(&au->form);
	}
}

/* The form's filters as audit.search's params (the empty ones left out).  A new object. */
static json_t *
audit_params(struct audit *au)
{
	json_t *params = json_object();
	static const struct { int id; const char *name; } texts[] = {
		{ AUDIT_WHO, "who" }, { AUDIT_FROM, "from" }, { AUDIT_TO, "to" },
	};

	if (audit_kinds[au->kind].word != NULL)
		json_object_set_new(params, "kind", json_string(audit_kinds[au->kind].word));
	if (audit_outcomes[au->outcome].word != NULL)
		json_object_set_new(params, "outcome",
		    json_string(audit_outcomes[au->outcome].word));
	if (au->unit_code != NULL)
		json_object_set_new(params, "unit", json_string(au->unit_code));
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		const char *v = ui_form_value(&au->form, texts[i].id);

		if (*v != '\0')
			json_object_set_new(params, texts[i].name, json_string(v));
	}
	return params;
}

/* ---- the list -------------------------------------------------------------------- */

enum audit_column { AC_AT, AC_KIND, AC_OUTCOME, AC_SUBJECT, AC_ACTOR, AC_UNIT };

static const struct queue_column audit_columns[] = {
	[AC_AT] = { N_("Time"), 16, 16, false },
	[AC_KIND] = { N_("Record kind"), 4, 8, false },
	[AC_OUTCOME] = { N_("Outcome"), 4, 10, false },
	[AC_SUBJECT] = { N_("About"), 8, 0, false },
	[AC_ACTOR] = { N_("By"), 4, 10, false },
	[AC_UNIT] = { N_("Unit or base"), 8, 16, false },
};

/* The name of a kind, or the word itself. */
static const char *
audit_kind_name(const char *word)
{
	for (size_t i = 1; i < AUDIT_KINDS; i++) {
		if (strcmp(word, audit_kinds[i].word) == 0)
			return _(audit_kinds[i].name);
	}
	return word;
}

/* Who or what a row is about: the person, else the record or the base. */
static const char *
audit_subject(json_t *item)
{
	const char *s = app_json_str(json_object_get(item, "subject"), "name");

	if (*s == '\0')
		s = app_json_str(json_object_get(item, "record"), "name");
	if (*s == '\0')
		s = app_json_str(json_object_get(item, "base"), "name");
	return s;
}

static char *
audit_cell(struct queue *q, json_t *item, size_t col, int width, enum ui_style *style)
{
	const char *place;
	char when[32];

	(void)q;
	(void)width;
	switch (col) {
	case AC_AT:
		return xstrdup(app_format_time(app_json_str(item, "at"), when, sizeof when));
	case AC_KIND:
		return xstrdup(audit_kind_name(app_json_str(item, "kind")));
	case AC_OUTCOME:
		if (strcmp(app_json_str(item, "action"), "reject") == 0 && *style == UI_NORMAL)
			*style = UI_ERROR;
		return xstrdup(app_json_str(item, "outcome"));
	case AC_SUBJECT:
		return xstrdup(audit_subject(item));
	case AC_ACTOR:
		return xstrdup(json_is_object(json_object_get(item, "actor")) ?
		    app_json_str(json_object_get(item, "actor"), "name") : _("the system"));
	default:
		place = app_json_str(json_object_get(item, "unit"), "name");
		return xstrdup(*place != '\0' ? place :
		    app_json_str(json_object_get(item, "base"), "name"));
	}
}

static void
audit_page_params(struct queue *q, json_t *params)
{
	json_t *mine = audit_params(q->arg);

	json_object_update(params, mine);
	json_decref(mine);
}

/* Line 1: the filters the list shows. */
static void
audit_paint_head(struct queue *q)
{
	struct audit *au = q->arg;
	const char *who = ui_form_value(&au->form, AUDIT_WHO);
	const char *from = ui_form_value(&au->form, AUDIT_FROM);
	const char *to = ui_form_value(&au->form, AUDIT_TO);
	char *info;

	info = xasprintf(_("%s · %s · %s · %s · %s to %s · %s   (Esc: change the search)"),
	    app_json_str(authority_scope(q->app), "name"), _(audit_kinds[au->kind].name),
	    *who != '\0' ? who : _("anyone"),
	    au->unit_name != NULL ? au->unit_name : _("All units"),
	    *from != '\0' ? from : "…", *to != '\0' ? to : "…",
	    _(audit_outcomes[au->outcome].name));
	ui_put(1, 1, COLS - 2, info, UI_HINT, false);
	free(info);
}

/* A state's words (a declaration's, else an account's), "" for null. */
static const char *
audit_state(json_t *item, const char *key)
{
	static const struct audit_word states[] = {
		{ "draft", N_("To be submitted") }, { "approved", N_("Approved") },
	};
	const char *s = app_json_str(item, key);

	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
		if (strcmp(s, states[i].word) == 0)
			return _(states[i].name);
	}
	return *s != '\0' ? app_state_name(s) : "";
}

/* Enter: the row in full. */
static int
audit_detail(struct queue *q, json_t *item)
{
	json_t *subject = json_object_get(item, "subject"), *detail, *record;
	const char *labels[] = {
		_("Time"), _("Record kind"), _("Outcome"), _("State"), _("Reason"), _("By"),
		_("About"), _("ID number"), _("Unit name"), _("Training base"), _("Record"),
		_("Details"),
	};
	int w = app_label_width(labels, sizeof labels / sizeof labels[0]) + 2;
	char *text = NULL, *s, when[32];
	int rc;

	app_append_row(&text, labels[0], w, app_format_time(app_json_str(item, "at"), when,
	    sizeof when));
	app_append_row(&text, labels[1], w, audit_kind_name(app_json_str(item, "kind")));
	s = xasprintf("%s (%s)", app_json_str(item, "outcome"), app_json_str(item, "action"));
	app_append_row(&text, labels[2], w, s);
	free(s);
	if (*app_json_str(item, "from_state") != '\0' || *app_json_str(item, "to_state") != '\0') {
		s = xasprintf("%s → %s", audit_state(item, "from_state"),
		    audit_state(item, "to_state"));
		app_append_row(&text, labels[3], w, s);
		free(s);
	}
	if (*app_json_str(item, "reason") != '\0')
		app_append_row(&text, labels[4], w, app_json_str(item, "reason"));
	s = json_is_object(json_object_get(item, "actor")) ? xasprintf("%s (%s)",
	    app_json_str(json_object_get(item, "actor"), "name"),
	    app_json_str(json_object_get(item, "actor"), "role")) : xstrdup(_("the system"));
	app_append_row(&text, labels[5], w, s);
	free(s);
	if (json_is_object(subject)) {
		app_append_row(&text, labels[6], w, app_json_str(subject, "name"));
		app_append_row(&text, labels[7], w, app_json_str(subject, "id_number"));
	}
	if (json_is_object(json_object_get(item, "unit"))) {
		s = app_coded(json_object_get(item, "unit"));
		app_append_row(&text, labels[8], w, s);
		free(s);
	}
	if (json_is_object(json_object_get(item, "base"))) {
		s = app_coded(json_object_get(item, "base"));
		app_append_row(&text, labels[9], w, s);
		free(s);
	}
	if (json_is_object(record = json_object_get(item, "record"))) {
		s = xasprintf("%s (#%lld)", app_json_str(record, "name"),
		    (long long)json_integer_value(json_object_get(record, "id")));
		app_append_row(&text, labels[10], w, s);
		free(s);
	}
	if ((detail = json_object_get(item, "detail")) != NULL && !json_is_null(detail)) {
		s = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
		app_append_row(&text, labels[11], w, s != NULL ? s : "");
		free(s);
	}
	rc = ui_pager(_("Audit record"), text, NULL, NULL) < 0 ? -1 : 0;
	free(text);
	return rc;
}

static int
audit_key(struct queue *q, const struct ui_event *ev)
{
	(void)q;
	if (ev->type == UI_EV_KEY && (ev->key == KEY_BACKSPACE || ev->key == UI_KEY_BACKSPACE))
		return QUEUE_KEY_LEAVE;
	return 0;
}

static const struct queue_ops audit_ops = {
	.header = N_("Continuing Education · Audit search"),
	.method = "audit.search",
	.id_key = "id",
	.columns = audit_columns,
	.ncolumns = sizeof audit_columns / sizeof audit_columns[0],
	.head_lines = 1,
	.empty = N_("Nothing recorded matches the search."),
	.hints = N_("Enter: details  PgDn: more  Esc: change the search"),
	.params = audit_page_params,
	.paint_head = audit_paint_head,
	.cell = audit_cell,
	.detail = audit_detail,
	.key = audit_key,
};

/*
 * 查询: the form's search, tried for one row first, so that every problem
 * shows beside its field with the form as typed; then the list.  Returns
 * -1 to quit, else 0.
 */
static int
audit_search(struct audit *au)
{
	struct rpc_error err;
	json_t *params = audit_params(au), *result;
	const struct rpc_problem *loose;
	enum screen_id next;
	char text[512];

	app_say(au->message, sizeof au->message, &au->message_error, "", false);
	json_object_set_new(params, "limit", json_integer(1));
	if ((result = app_call(au->app, "audit.search", params, &err)) == NULL) {
		if (au->app->restart)
			return -1;
		loose = app_form_errors(&au->form, &err, audit_fields);
		app_form_message(&err, loose, text, sizeof text);
		app_say(au->message, sizeof au->message, &au->message_error, text, true);
		return 0;
	}
	json_decref(result);
	ui_form_clear_errors(&au->form);
	next = queue_run(&audit_ops, au->app, au);
	ui_set_backdrop(audit_paint, au);
	ui_help_set(authority_audit_keys);
	return next == SCREEN_QUIT ? -1 : 0;
}

enum screen_id
screen_authority_audit_run(struct app *a)
{
	struct audit au = { .app = a };
	struct ui_field *fd;
	struct ui_event ev;
	enum screen_id next = SCREEN_HOME;
	enum ui_form_result res;
	int id;

	ui_form_init(&au.form);
	ui_form_add_pick(&au.form, AUDIT_KIND, _("Record kind"), 24)->y = 1;
	ui_form_add_text(&au.form, AUDIT_WHO, _("Name or ID number"), 24, 50, false)->y = 2;
	ui_form_add_pick(&au.form, AUDIT_UNIT, _("Unit name"), 40)->y = 3;
	fd = ui_form_add_text(&au.form, AUDIT_FROM, _("From (date)"), 11, 10, false);
	fd->y = 4;
	fd->placeholder = "YYYY-MM-DD";
	fd = ui_form_add_text(&au.form, AUDIT_TO, _("To (date)"), 11, 10, false);
	fd->y = 5;
	fd->placeholder = "YYYY-MM-DD";
	ui_form_add_pick(&au.form, AUDIT_OUTCOME, _("Outcome"), 24)->y = 6;
	ui_form_add_button(&au.form, AUDIT_SEARCH, _("Search"))->y = AUDIT_ROW_BUTTONS;
	ui_form_add_button(&au.form, AUDIT_CLEAR, _("Clear"))->y = AUDIT_ROW_BUTTONS;
	ui_form_add_button(&au.form, AUDIT_BACK, _("Back"))->y = AUDIT_ROW_BUTTONS;
	au.form.default_id = AUDIT_SEARCH;
	audit_unchoose(&au, 0);
	ui_set_backdrop(audit_paint, &au);
	ui_help_set(authority_audit_keys);
	for (;;) {
		if (app_next_event(a, &ev)) {
			next = SCREEN_QUIT;
			break;
		}
		if (ev.type == UI_EV_KEY && ev.key == UI_KEY_ESC)
			break;
		res = ui_form_key(&au.form, &ev, &id);
		if (res == UI_FORM_CLEARED) {
			audit_unchoose(&au, id);
			continue;
		}
		if (res != UI_FORM_ACTIVATED)
			continue;
		if (id == AUDIT_BACK)
			break;
		if (id == AUDIT_CLEAR)
			audit_unchoose(&au, 0);
		else if (id == AUDIT_SEARCH && audit_search(&au) < 0) {
			next = SCREEN_QUIT;
			break;
		} else
			audit_choose(&au, id);
	}
	ui_set_backdrop(NULL, NULL);
	ui_form_free(&au.form);
	free(au.unit_code);
	free(au.unit_name);
	return next;
}
