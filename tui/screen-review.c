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

#include "queue.h"
#include "text.h"
#include "xmalloc.h"

enum review_column { REVIEW_NAME, REVIEW_ID, REVIEW_SEX, REVIEW_DEPT, REVIEW_WHEN };

static const struct queue_column review_columns[] = {
	[REVIEW_NAME] = { N_("Name"), 6, 12, false },
	[REVIEW_ID] = { N_("ID number"), 18, 18, false },
	[REVIEW_SEX] = { N_("Sex"), 4, 6, false },
	[REVIEW_DEPT] = { N_("Department"), 8, 0, false },
	[REVIEW_WHEN] = { N_("Submitted"), 16, 16, false },
};

static const struct queue_decision review_decisions[] = {
	{ 'a', "approve", "review.approve_registrations", "account_ids", N_("Approve"),
	    N_("approved"), N_("%zu of %zu approved."), false, false },
	{ 'r', "reject", "review.reject_registrations", "account_ids", N_("Reject"),
	    N_("rejected"), N_("%zu of %zu rejected."), true, false },
};

static char *
review_cell(struct queue *q, json_t *item, size_t col, int width, enum ui_style *style)
{
	char when[32];

	(void)q;
	(void)width;
	(void)style;
	switch (col) {
	case REVIEW_NAME:
		return xstrdup(app_json_str(item, "name"));
	case REVIEW_ID:
		return xstrdup(app_json_str(item, "id_number"));
	case REVIEW_SEX:
		return xstrdup(app_sex_name(app_json_str(item, "sex")));
	case REVIEW_DEPT:
		return xstrdup(app_json_str(item, "department"));
	default:
		return xstrdup(app_format_time(app_json_str(item, "submitted_at"), when,
		    sizeof when));
	}
}

/* A claim on the ID number elsewhere: "!" before the box; Enter shows it. */
static const char *
review_mark(struct queue *q, json_t *item)
{
	(void)q;
	return json_array_size(json_object_get(item, "conflicts")) > 0 ? "!" : NULL;
}

static const char *
review_foot(struct queue *q)
{
	json_t *item;
	size_t i;

	json_array_foreach(q->items, i, item) {
		if (review_mark(q, item) != NULL)
			return _("; !: the ID number has another application");
	}
	return NULL;
}

static char *
review_question(struct queue *q, const struct queue_decision *d, json_t *one, size_t n)
{
	const char *name = app_json_str(one, "name"), *idn = app_json_str(one, "id_number");

	(void)q;
	if (d->key == 'a')
		return n == 1 ? xasprintf(_("Approve the registration of %s (%s)?"), name, idn) :
		    xasprintf(_("Approve the %zu selected registrations?"), n);
	return n == 1 ? xasprintf(_("Reject the registration of %s (%s)? The applicant "
	    "sees the reason when logging in."), name, idn) :
	    xasprintf(_("Reject the %zu selected registrations? The applicants see the "
	    "reason when logging in."), n);
}

static char *
review_explain(struct queue *q, json_t *r)
{
	(void)q;
	if (strcmp(app_json_str(r, "reason"), "id_number_admin") == 0)
		return xstrdup(_("the ID number is a unit administrator's (jxjyd.conf); only the "
		    "system administrator can change that"));
	return NULL;
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

/* review.registration as rows of text, then its history. */
static char *
review_detail_text(json_t *d)
{
	const char *labels[] = {
		_("State"), _("Submitted"), _("Decided"), _("Decided by"), _("Reason"),
	};
	char *text = NULL, *v, when[32];
	json_t *h;
	size_t i;
	int w = app_label_width(labels, sizeof labels / sizeof labels[0]);

	if (app_person_label_width() > w)
		w = app_person_label_width();
	w += 2;
	v = app_title_text(json_object_get(d, "title"));
	app_person_rows(&text, d, w, v);
	free(v);
	app_append_row(&text, labels[0], w, app_state_name(app_json_str(d, "state")));
	app_append_row(&text, labels[1], w,
	    app_format_time(app_json_str(d, "submitted_at"), when, sizeof when));
	if (*app_json_str(d, "decided_at") != '\0') {
		app_append_row(&text, labels[2], w,
		    app_format_time(app_json_str(d, "decided_at"), when, sizeof when));
		app_append_row(&text, labels[3], w,
		    app_json_str(json_object_get(d, "decided_by"), "name"));
	}
	if (*app_json_str(d, "reject_reason") != '\0')
		app_append_row(&text, labels[4], w, app_json_str(d, "reject_reason"));

	/*
	 * The claims on this ID number elsewhere: approving this application
	 * rejects the pending ones and disables an active account.
	 */
	if (json_array_size(json_object_get(d, "conflicts")) > 0) {
		app_appendf(&text, "\n%s\n", _("The same ID number elsewhere "
		    "(approving this one rejects those pending and disables an active account)"));
		json_array_foreach(json_object_get(d, "conflicts"), i, h)
			app_appendf(&text, "  %s  %s  %s\n",
			    app_json_str(json_object_get(h, "unit"), "name"),
			    app_state_name(app_json_str(h, "state")),
			    app_format_time(app_json_str(h, "submitted_at"), when, sizeof when));
	}
	app_appendf(&text, "\n%s\n", _("History"));
	json_array_foreach(json_object_get(d, "history"), i, h) {
		json_t *actor = json_object_get(h, "actor");
		const char *from = app_json_str(h, "from_state"), *to = app_json_str(h, "to_state");
		char *states = *to != '\0' ? xasprintf("%s → %s", *from != '\0' ?
		    app_state_name(from) : "—", app_state_name(to)) : xstrdup("");

		app_appendf(&text, "%s  %s  %s  %s%s%s\n",
		    app_format_time(app_json_str(h, "at"), when, sizeof when),
		    review_action_name(app_json_str(h, "action")), states,
		    json_is_object(actor) ? app_json_str(actor, "name") : "",
		    *app_json_str(h, "reason") != '\0' ? "  " : "", app_json_str(h, "reason"));
		free(states);
	}
	return text;
}

/* Enter: the application in full; a or r there decides it. */
static int
review_detail(struct queue *q, json_t *item)
{
	struct rpc_error err;
	json_t *result;
	char *text, *keys;
	int key;

	result = app_call(q->app, "review.registration", json_pack("{s:I}", "account_id",
	    json_integer_value(json_object_get(item, "account_id"))), &err);
	if (result == NULL) {
		queue_say(q, err.message, true);
		return q->app->restart ? -1 : 0;
	}
	text = review_detail_text(result);
	keys = queue_decision_keys(q, result);
	key = ui_pager(app_json_str(item, "name"), text, *keys != '\0' ?
	    _("a: approve  r: reject  Arrows: scroll  Esc: close") : NULL, keys);
	free(keys);
	free(text);
	json_decref(result);
	return key;
}

static const struct queue_ops review_ops = {
	.header = N_("Continuing Education · Registration review"),
	.method = "review.registrations",
	.id_key = "account_id",
	.columns = review_columns,
	.ncolumns = sizeof review_columns / sizeof review_columns[0],
	.head_lines = 1,
	.total = "pending_total",
	.count = N_("%s · %lld waiting for review"),
	.tagging = true,
	.filter = "filter",
	.empty = N_("No registration is waiting for review."),
	.empty_filtered = N_("No registration matches the filter."),
	.hints = N_("Space: select  Enter: details  a: approve  r: reject  /: filter  Esc: back"),
	.decisions = review_decisions,
	.ndecisions = sizeof review_decisions / sizeof review_decisions[0],
	.cell = review_cell,
	.mark = review_mark,
	.foot = review_foot,
	.detail = review_detail,
	.question = review_question,
	.explain = review_explain,
};

enum screen_id
screen_review_run(struct app *a)
{
	return queue_run(&review_ops, a, NULL);
}
