/*
 * screen-authority-bases.c - 继续教育基地管理: the continuing-education
 * bases of the authority's scope (bases.list), by code, a page at a time,
 * each with its city, state (正常, 未认定, 已暂停, 不在基地名单), the classes
 * it reported and the records they made.
 *
 * v cycles the state shown; Enter shows a base in full (bases.get: its
 * forms, its kind's, and its history of decisions).  On a base, here or
 * in its detail: a 认定 (bases.accredit), x 暂停报送 with a reason
 * (bases.suspend), u 恢复报送 (bases.reinstate), f sets the learning forms
 * it may report (bases.set_forms; empty: its kind's).  Whether a change
 * is allowed is the daemon's to say; its refusal is shown.
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

/* The states bases.list filters by, and their names (msgids). */
static const struct { const char *word, *name; } abases_states[] = {
	{ "all", N_("all") },
	{ "active", N_("active") },
	{ "unaccredited", N_("not accredited") },
	{ "suspended", N_("suspended") },
	{ "delisted", N_("not listed") },
};
#define ABASES_STATES	(sizeof abases_states / sizeof abases_states[0])

struct abases {
	size_t		 state;		/* index into abases_states */
};

enum abases_column { AB_CODE, AB_NAME, AB_CITY, AB_STATE, AB_CLASSES, AB_RECORDS };

static const struct queue_column abases_columns[] = {
	[AB_CODE] = { N_("Code"), 6, 12, false },
	[AB_NAME] = { N_("Training base"), 8, 0, false },
	[AB_CITY] = { N_("City"), 4, 8, false },
	[AB_STATE] = { N_("State"), 4, 12, false },
	[AB_CLASSES] = { N_("Classes"), 4, 8, true },
	[AB_RECORDS] = { N_("Records"), 4, 9, true },
};

static void
abases_params(struct queue *q, json_t *params)
{
	struct abases *ab = q->arg;

	json_object_set_new(params, "state", json_string(abases_states[ab->state].word));
}

static void
abases_paint_head(struct queue *q)
{
	struct abases *ab = q->arg;
	char *info = xasprintf(_("%s · State (v): %s"),
	    app_json_str(authority_scope(q->app), "name"), _(abases_states[ab->state].name));

	ui_put(1, 1, COLS - 2, info, UI_HINT, false);
	free(info);
}

/* A base's forms, "a, b", or "(its kind's: a, b)".  Caller frees. */
static char *
abases_forms(json_t *base)
{
	json_t *f;
	size_t i;
	char *text = NULL;

	json_array_foreach(json_object_get(base, "forms"), i, f)
		app_appendf(&text, "%s%s", i > 0 ? ", " : "", json_string_value(f) != NULL ?
		    json_string_value(f) : "");
	if (text == NULL)
		text = xstrdup("");
	if (!json_is_true(json_object_get(base, "forms_own"))) {
		char *kind = xasprintf(_("(its kind's: %s)"), text);

		free(text);
		text = kind;
	}
	return text;
}

static char *
abases_cell(struct queue *q, json_t *item, size_t col, int width, enum ui_style *style)
{
	(void)q;
	(void)width;
	switch (col) {
	case AB_CODE:
		return xstrdup(app_json_str(item, "code"));
	case AB_NAME:
		return xstrdup(app_json_str(item, "name"));
	case AB_CITY:
		return xstrdup(app_json_str(json_object_get(item, "region"), "name"));
	case AB_STATE:
		if (!json_is_true(json_object_get(item, "can_report")) && *style == UI_NORMAL)
			*style = UI_ERROR;
		return xstrdup(app_json_str(item, "state_label"));
	case AB_CLASSES:
		return app_json_text(json_object_get(item, "classes_reported"));
	default:
		return app_json_text(json_object_get(item, "records"));
	}
}

/* "name（code）". */
static char *
abases_who(struct queue *q, json_t *item)
{
	(void)q;
	return app_coded(item);
}

/*
 * A change of base (code, name): method with params (taken, code added),
 * after asking for a reason (required or not).  What came of it is said.
 */
static void
abases_change(struct queue *q, json_t *base, const char *method, const char *title,
    const char *question, bool reason_required, json_t *params)
{
	struct rpc_error err;
	json_t *result;
	char *reason, *done, *who = app_coded(base);

	for (;;) {
		reason = ui_prompt(title, question, _("Reason"), 200);
		if (reason == NULL || !reason_required || reason[strspn(reason, " \t")] != '\0')
			break;
		free(reason);
		ui_message(title, _("A reason is required."));
	}
	if (reason == NULL) {
		json_decref(params);
		free(who);
		return;
	}
	json_object_set_new(params, "code", json_string(app_json_str(base, "code")));
	if (*reason != '\0')
		json_object_set_new(params, "reason", json_string(reason));
	free(reason);
	if ((result = app_call(q->app, method, params, &err)) == NULL) {
		if (!q->app->restart) {
			done = xasprintf(_("%s: %s"), who, err.message);
			queue_say(q, done, true);
			ui_message(title, done);
			free(done);
		}
		free(who);
		return;
	}
	done = xasprintf(_("%s: %s"), who, app_json_str(result, "state_label"));
	queue_say(q, done, false);
	free(done);
	free(who);
	json_decref(result);
	queue_reload(q);
}

/* f: the forms the base may report, typed as codes; empty: its kind's. */
static void
abases_set_forms(struct queue *q, json_t *base)
{
	json_t *forms = json_array();
	char *now = abases_forms(base), *text, *typed, *save, *tok;

	text = xasprintf(_("The learning form codes %s may report, separated by spaces or "
	    "commas; empty: its kind's. Now: %s"), app_json_str(base, "name"), now);
	typed = ui_prompt(_("Learning forms"), text, _("Form codes"), 500);
	free(text);
	free(now);
	if (typed == NULL) {
		json_decref(forms);
		return;
	}
	for (tok = strtok_r(typed, " ,，;", &save); tok != NULL; tok = strtok_r(NULL, " ,，;", &save))
		json_array_append_new(forms, json_string(tok));
	free(typed);
	abases_change(q, base, "bases.set_forms", _("Learning forms"),
	    _("Why (optional, kept in the base's history)?"), false,
	    json_pack("{s:o}", "forms", forms));
}

/* a, x, u or f on base (a record of bases.list or bases.get).  1: taken, 0: not a key of ours. */
static int
abases_act(struct queue *q, json_t *base, int key)
{
	char *question;
	const char *name = app_json_str(base, "name");

	switch (key) {
	case 'a':
		question = xasprintf(_("Accredit %s, so that it may report? Why (optional):"), name);
		abases_change(q, base, "bases.accredit", _("Accredit"), question, false,
		    json_object());
		break;
	case 'x':
		question = xasprintf(_("Suspend %s's reports? Its records reported stay. The "
		    "reason (required):"), name);
		abases_change(q, base, "bases.suspend", _("Suspend"), question, true,
		    json_object());
		break;
	case 'u':
		question = xasprintf(_("Let %s report again? Why (optional):"), name);
		abases_change(q, base, "bases.reinstate", _("Reinstate"), question, false,
		    json_object());
		break;
	case 'f':
		abases_set_forms(q, base);
		return 1;
	default:
		return 0;
	}
	free(question);
	return 1;
}

/* Enter: the base in full with its history; a, x, u, f act on it there. */
static int
abases_detail(struct queue *q, json_t *item)
{
	struct rpc_error err;
	json_t *base, *h, *kind_forms, *f;
	const char *labels[] = {
		_("Code"), _("Training base"), _("City"), _("Base kind"), _("State"),
		_("Learning forms"), _("Its kind's forms"), _("Classes"), _("Records"),
		_("Suspended for"),
	};
	int w = app_label_width(labels, sizeof labels / sizeof labels[0]) + 2, key;
	char *text = NULL, *s, when[32];
	size_t i;

	base = app_call(q->app, "bases.get", json_pack("{s:s}", "code",
	    app_json_str(item, "code")), &err);
	if (base == NULL) {
		queue_say(q, err.message, true);
		return q->app->restart ? -1 : 0;
	}
	app_append_row(&text, labels[0], w, app_json_str(base, "code"));
	app_append_row(&text, labels[1], w, app_json_str(base, "name"));
	app_append_row(&text, labels[2], w, app_json_str(json_object_get(base, "region"), "name"));
	app_append_row(&text, labels[3], w, app_json_str(base, "kind"));
	app_append_row(&text, labels[4], w, app_json_str(base, "state_label"));
	s = abases_forms(base);
	app_append_row(&text, labels[5], w, s);
	free(s);
	s = NULL;
	kind_forms = json_object_get(base, "kind_forms");
	json_array_foreach(kind_forms, i, f)
		app_appendf(&s, "%s%s", i > 0 ? ", " : "", json_string_value(f) != NULL ?
		    json_string_value(f) : "");
	app_append_row(&text, labels[6], w, s != NULL ? s : "");
	free(s);
	s = app_json_text(json_object_get(base, "classes_reported"));
	app_append_row(&text, labels[7], w, s);
	free(s);
	s = app_json_text(json_object_get(base, "records"));
	app_append_row(&text, labels[8], w, s);
	free(s);
	if (json_is_true(json_object_get(base, "suspended")))
		app_append_row(&text, labels[9], w, app_json_str(base, "suspend_reason"));
	if (json_array_size(json_object_get(base, "history")) > 0)
		app_appendf(&text, "\n%s\n", _("History:"));
	json_array_foreach(json_object_get(base, "history"), i, h) {
		app_appendf(&text, "%s  %s  %s", app_format_time(app_json_str(h, "at"), when,
		    sizeof when), app_json_str(h, "outcome"),
		    app_json_str(json_object_get(h, "actor"), "name"));
		if (*app_json_str(h, "reason") != '\0')
			app_appendf(&text, _(" (%s)"), app_json_str(h, "reason"));
		app_appendf(&text, "\n");
	}
	key = ui_pager(app_json_str(base, "name"), text, _("a: accredit  x: suspend  "
	    "u: reinstate  f: forms  Esc: close"), "axuf");
	free(text);
	if (key > 0) {
		ui_set_backdrop(queue_paint, q);
		abases_act(q, base, key);
	}
	json_decref(base);
	return key < 0 ? -1 : 0;
}

static int
abases_key(struct queue *q, const struct ui_event *ev)
{
	struct abases *ab = q->arg;
	json_t *item = queue_current(q);

	if (ev->type != UI_EV_CHAR)
		return 0;
	if (ev->ch == 'v') {
		queue_say(q, "", false);
		ab->state = (ab->state + 1) % ABASES_STATES;
		queue_refilter(q);
		return 1;
	}
	if (item == NULL || ev->ch > 0x7f || strchr("axuf", (int)ev->ch) == NULL)
		return 0;
	queue_say(q, "", false);
	json_incref(item);
	abases_act(q, item, (int)ev->ch);
	json_decref(item);
	return 1;
}

static const struct queue_ops abases_ops = {
	.header = N_("Continuing Education · Training bases"),
	.method = "bases.list",
	.id_key = "code",
	.columns = abases_columns,
	.ncolumns = sizeof abases_columns / sizeof abases_columns[0],
	.head_lines = 1,
	.empty = N_("No training base in your scope."),
	.hints = N_("Enter: details  a: accredit  x: suspend  u: reinstate  f: forms  "
	    "v: state  Esc: back"),
	.keys = authority_bases_keys,
	.params = abases_params,
	.paint_head = abases_paint_head,
	.cell = abases_cell,
	.detail = abases_detail,
	.who = abases_who,
	.key = abases_key,
};

enum screen_id
screen_authority_bases_run(struct app *a)
{
	struct abases ab = { 0 };

	return queue_run(&abases_ops, a, &ab);
}
