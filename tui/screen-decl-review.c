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
 *
 * Records a training base reported are marked [基地] before their form;
 * on one, c offers its class: approve or reject every pending record of
 * the class in the unit at once (review.decide_class), or show only that
 * class (c again on any row shows every class).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "decl-review.h"
#include "keys.h"
#include "text.h"
#include "xmalloc.h"

static const struct queue_column dreview_columns[] = {
	[DREVIEW_NAME] = { N_("Name"), 6, 10, false },
	[DREVIEW_ID] = { N_("ID number"), 18, 18, false },
	[DREVIEW_FORM] = { N_("Learning form"), 8, 0, false },
	[DREVIEW_YEAR] = { N_("Year"), 4, 8, false },
	[DREVIEW_HOURS] = { N_("Hours"), 6, 14, false },
	[DREVIEW_WHEN] = { N_("Submitted"), 16, 16, false },
};

static const struct queue_decision dreview_decisions[] = {
	{ 'a', "approve", "review.approve_declarations", "ids", N_("Approve"),
	    N_("approved"), N_("%zu of %zu approved."), false, false },
	{ 'r', "reject", "review.reject_declarations", "ids", N_("Reject"),
	    N_("rejected"), N_("%zu of %zu rejected."), true, true },
};


void
dreview_params(struct queue *q, json_t *params)
{
	struct dreview *dr = q->arg;

	if (dr->year != 0)
		json_object_set_new(params, "year", json_integer(dr->year));
	if (dr->form_code != NULL)
		json_object_set_new(params, "form", json_string(dr->form_code));
	if (dr->class_id != 0)
		json_object_set_new(params, "class_id", json_integer(dr->class_id));
}

/* Whether item was reported by a training base. */
static bool
dreview_is_base(json_t *item)
{
	return strcmp(app_json_str(item, "source"), "base") == 0;
}

void
dreview_paint_head(struct queue *q)
{
	struct dreview *dr = q->arg;
	char *info, year[16];

	snprintf(year, sizeof year, "%d", dr->year);
	info = xasprintf(_("Year (y): %s   Learning form (f): %s   Class (c): %s"),
	    dr->year != 0 ? year : _("all"), dr->form_name != NULL ? dr->form_name : _("all"),
	    dr->class_name != NULL ? dr->class_name : _("all"));
	ui_put(2, 1, COLS - 2, info, UI_HINT, false);
	free(info);
	if (dr->catalog == NULL && dr->catalog_error[0] != '\0')
		ui_message_line(dr->catalog_error, true);
}

char *
dreview_cell(struct queue *q, json_t *item, size_t col, int width, enum ui_style *style)
{
	json_t *person = json_object_get(item, "person");
	char when[32];

	(void)q;
	(void)width;
	(void)style;
	switch (col) {
	case DREVIEW_NAME:
		return xstrdup(app_json_str(person, "name"));
	case DREVIEW_ID:
		return xstrdup(app_json_str(person, "id_number"));
	case DREVIEW_FORM:
		if (dreview_is_base(item))
			return xasprintf(_("[base] %s"), app_json_str(json_object_get(item, "form"),
			    "name"));
		return xstrdup(app_json_str(json_object_get(item, "form"), "name"));
	case DREVIEW_YEAR:
		return xasprintf("%lld", (long long)json_integer_value(json_object_get(item,
		    "year")));
	case DREVIEW_HOURS:
		/* Hours, which is what the year's requirement counts. */
		if (strcmp(app_json_str(item, "counts"), "credits") == 0)
			return xasprintf(_("%s (%s %s)"), app_json_str(item, "hours"),
			    app_json_str(item, "amount"), _("credits"));
		return xstrdup(app_json_str(item, "hours"));
	default:
		return xstrdup(app_format_time(app_json_str(item, "submitted_at"), when,
		    sizeof when));
	}
}

/* "张三 · 培训班 · 2026". */
char *
dreview_who(struct queue *q, json_t *item)
{
	(void)q;
	return xasprintf("%s · %s · %lld", app_json_str(json_object_get(item, "person"), "name"),
	    app_json_str(json_object_get(item, "form"), "name"),
	    (long long)json_integer_value(json_object_get(item, "year")));
}

char *
dreview_question(struct queue *q, const struct queue_decision *d, json_t *one, size_t n)
{
	const char *name = app_json_str(json_object_get(one, "person"), "name");
	const char *form = app_json_str(json_object_get(one, "form"), "name");
	char year[16];

	(void)q;
	snprintf(year, sizeof year, "%lld", (long long)json_integer_value(json_object_get(one,
	    "year")));
	if (d->key == 'a')
		return n == 1 ? xasprintf(_("Approve the declaration of %s (%s, %s)?"), name,
		    form, year) : xasprintf(_("Approve the %zu selected declarations?"), n);
	return n == 1 ? xasprintf(_("Reject the declaration of %s (%s, %s)? The person sees "
	    "the reason in the progress list."), name, form, year) :
	    xasprintf(_("Reject the %zu selected declarations? The people see the reason in "
	    "the progress list."), n);
}

/* Enter: the declaration in full; a, r or g there. */
int
dreview_detail(struct queue *q, json_t *item)
{
	struct dreview *dr = q->arg;
	struct rpc_error err;
	json_t *result, *own, *class_doc;
	char *text, *keys, *all;
	bool decide, att;
	int key;

	result = app_call(q->app, dr->api->detail, json_pack("{s:I}", "id",
	    json_integer_value(json_object_get(item, "id"))), &err);
	if (result == NULL) {
		queue_say(q, err.message, true);
		return q->app->restart ? -1 : 0;
	}
	text = progress_detail_text(result);
	keys = queue_decision_keys(q, result);
	decide = *keys != '\0';
	/* g: the record's attachment, or for a base's record its class's document. */
	own = json_object_get(result, "attachment");
	class_doc = json_object_get(json_object_get(result, "class"), "attachment");
	att = json_is_object(own) || json_is_object(class_doc);
	all = xasprintf("%sg", keys);
	for (;;) {
		key = ui_pager(app_json_str(json_object_get(item, "person"), "name"), text,
		    decide ? (att ? _("a: approve  r: reject  g: download the attachment  "
		    "Esc: close") : _("a: approve  r: reject  Esc: close")) :
		    att ? _("g: download the attachment  Esc: close") : NULL, all);
		if (key != 'g' || !att)
			break;
		if (json_is_object(own))
			declare_download_from(q->app, own, dr->api->attachment,
			    json_pack("{s:O}", "attachment_id", json_object_get(own, "id")));
		else
			declare_download_from(q->app, class_doc, dr->api->class_attachment,
			    json_pack("{s:O}", "class_id",
			    json_object_get(json_object_get(result, "class"), "id")));
	}
	free(all);
	free(keys);
	free(text);
	json_decref(result);
	return key == 'g' ? 0 : key;
}

/*
 * A menu of "all" and the catalogue's choices (years, or forms by name) at
 * column x.  Returns the index of the choice, -1 for all, -2 for Esc.
 */
static long
dreview_menu(const char *title, const char *all, json_t *choices, int x)
{
	size_t n = json_array_size(choices) + 1, i;
	const char **items = xcalloc(n, sizeof *items);
	char **texts = xcalloc(n, sizeof *texts);
	json_t *c;
	int chosen;

	items[0] = all;
	json_array_foreach(choices, i, c) {
		texts[i + 1] = json_is_integer(c) ? xasprintf("%lld",
		    (long long)json_integer_value(c)) : xstrdup(app_json_str(c, "name"));
		items[i + 1] = texts[i + 1];
	}
	chosen = ui_menu(title, items, n, 3, x);
	for (i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(items);
	return chosen < 0 ? -2 : chosen - 1;
}

/* y without the catalogue: type the year (empty: every year). */
static void
dreview_type_year(struct queue *q)
{
	struct dreview *dr = q->arg;
	char *answer = ui_prompt(_("Year"), _("The year of the records to show (empty: every "
	    "year)."), _("Calendar year"), 4), *end;
	long year;

	if (answer == NULL)
		return;
	year = strtol(answer, &end, 10);
	if (*answer != '\0' && (*end != '\0' || year < 1 || year > 9999)) {
		queue_say(q, _("A year is four digits, such as 2026."), true);
	} else {
		dr->year = *answer == '\0' ? 0 : (int)year;
		queue_refilter(q);
	}
	free(answer);
}

/* y: choose the year filter from the years the server offers. */
static void
dreview_pick_year(struct queue *q)
{
	struct dreview *dr = q->arg;
	json_t *years = json_object_get(dr->catalog, "years");
	long chosen;

	if (dr->catalog == NULL) {
		dreview_type_year(q);
		return;
	}
	chosen = dreview_menu(_("Year"), _("All years"), years, 2);

	if (chosen == -2)
		return;
	dr->year = chosen < 0 ? 0 : (int)json_integer_value(json_array_get(years,
	    (size_t)chosen));
	queue_refilter(q);
}

/* f: choose the learning form filter. */
static void
dreview_pick_form(struct queue *q)
{
	struct dreview *dr = q->arg;
	json_t *forms = json_object_get(dr->catalog, "forms"), *f;
	long chosen;

	if (dr->catalog == NULL) {
		queue_say(q, _("The learning forms could not be read: no form to choose."), true);
		return;
	}
	chosen = dreview_menu(_("Learning form"), _("All learning forms"), forms, 20);
	if (chosen == -2)
		return;
	free(dr->form_code);
	free(dr->form_name);
	dr->form_code = dr->form_name = NULL;
	if (chosen >= 0) {
		f = json_array_get(forms, (size_t)chosen);
		dr->form_code = xstrdup(app_json_str(f, "code"));
		dr->form_name = xstrdup(app_json_str(f, "name"));
	}
	queue_refilter(q);
}

/* Show only the records of class (id, name), or every class (id 0). */
static void
dreview_filter_class(struct queue *q, json_int_t id, const char *name)
{
	struct dreview *dr = q->arg;

	free(dr->class_name);
	dr->class_name = name != NULL ? xstrdup(name) : NULL;
	dr->class_id = id;
	queue_refilter(q);
}

/*
 * Decide every pending record of the queue in class (id, name) as d says
 * (review.decide_class, authority.decide_class), asked first: how many,
 * and for a rejection the reason the people and the base will read.
 */
static void
dreview_decide_class(struct queue *q, const struct queue_decision *d, json_int_t id,
    const char *name)
{
	struct dreview *dr = q->arg;
	struct rpc_error err;
	json_t *result;
	long long n;
	char *question;

	if ((result = app_call(q->app, q->ops->method, json_pack("{s:I, s:i}",
	    "class_id", id, "limit", 1), &err)) == NULL) {
		queue_say(q, err.message, true);
		return;
	}
	n = (long long)json_integer_value(json_object_get(result, "pending_total"));
	json_decref(result);
	/* The api's msgids are formats ("Approve all %lld pending records of ..."). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	question = xasprintf(_(d->key == 'a' ? dr->api->approve_class : dr->api->reject_class),
	    n, name);
#pragma GCC diagnostic pop
	queue_confirm_decision(q, d, dr->api->decide_class, json_pack("{s:I, s:s}",
	    "class_id", id, "decision", d->action), question);
	free(question);
}

/*
 * c: the class of the record under the cursor, when a base reported it:
 * decide it whole, or show only it; with a class shown, c shows every one.
 */
static void
dreview_class(struct queue *q)
{
	struct dreview *dr = q->arg;
	json_t *item = queue_current(q), *class = json_object_get(item, "class");
	const char *items[3];
	json_int_t id;
	char *name;
	int chosen;

	if (dr->class_id != 0) {
		dreview_filter_class(q, 0, NULL);
		return;
	}
	if (item == NULL || !dreview_is_base(item) || !json_is_object(class)) {
		queue_say(q, _("c works on a record reported by a training base."), true);
		return;
	}
	id = json_integer_value(json_object_get(class, "id"));
	name = xasprintf("%s (%s)", app_json_str(class, "name"),
	    app_json_str(json_object_get(item, "base"), "name"));
	items[0] = _("Approve every pending record of this class");
	items[1] = _("Reject every pending record of this class");
	items[2] = _("Show only this class");
	chosen = ui_menu(name, items, 3, 3, 2);
	if (chosen == 0 || chosen == 1)
		dreview_decide_class(q, &q->ops->decisions[chosen], id, name);
	else if (chosen == 2)
		dreview_filter_class(q, id, name);
	free(name);
}

/* y, f and c: the year, learning form and class filters; c also decides a class. */
int
dreview_key(struct queue *q, const struct ui_event *ev)
{
	if (ev->type == UI_EV_CHAR && ev->ch == 'y')
		dreview_pick_year(q);
	else if (ev->type == UI_EV_CHAR && ev->ch == 'f')
		dreview_pick_form(q);
	else if (ev->type == UI_EV_CHAR && ev->ch == 'c')
		dreview_class(q);
	else
		return 0;
	return 1;
}

static const struct queue_ops dreview_ops = {
	.header = N_("Continuing Education · Review declarations"),
	.method = "review.declarations",
	.id_key = "id",
	.columns = dreview_columns,
	.ncolumns = sizeof dreview_columns / sizeof dreview_columns[0],
	.head_lines = 2,
	.total = "pending_total",
	.count = N_("%s · %lld declarations waiting for review"),
	.tagging = true,
	.filter = "person",
	.empty = N_("No declaration is waiting for review."),
	.hints = N_("Space: select  Enter: details  a: approve  r: reject  c: class  "
	    "y/f//: filter  Esc: back"),
	.keys = dreview_keys,
	.decisions = dreview_decisions,
	.ndecisions = sizeof dreview_decisions / sizeof dreview_decisions[0],
	.params = dreview_params,
	.paint_head = dreview_paint_head,
	.cell = dreview_cell,
	.detail = dreview_detail,
	.who = dreview_who,
	.question = dreview_question,
	.key = dreview_key,
};

static const struct dreview_api dreview_unit_api = {
	.detail = "review.declaration",
	.attachment = "attachment.get",
	.class_attachment = "review.class_attachment",
	.decide_class = "review.decide_class",
	.approve_class = N_("Approve all %lld pending records of the class %s in your unit?"),
	.reject_class = N_("Reject all %lld pending records of the class %s in your unit? The "
	    "people and the base see the reason."),
	.catalog = true,
};

enum screen_id
dreview_run(struct app *a, const struct queue_ops *ops, const struct dreview_api *api,
    void *extra)
{
	struct dreview dr = { .api = api, .extra = extra };
	struct rpc_error err;
	enum screen_id next;

	/* Without the catalogue the queue still serves: y asks for the year, f has no forms. */
	if (api->catalog && (dr.catalog = app_call(a, "forms.list", NULL, &err)) == NULL)
		app_copy(dr.catalog_error, sizeof dr.catalog_error, err.message);
	next = a->restart ? SCREEN_QUIT : queue_run(ops, a, &dr);
	free(dr.form_code);
	free(dr.form_name);
	free(dr.class_name);
	json_decref(dr.catalog);
	return next;
}

enum screen_id
screen_decl_review_run(struct app *a)
{
	return dreview_run(a, &dreview_ops, &dreview_unit_api, NULL);
}
