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

#include "queue.h"
#include "text.h"
#include "xmalloc.h"

enum titles_column { TITLES_NAME, TITLES_ID, TITLES_OLD, TITLES_NEW, TITLES_WHEN };

static const struct queue_column titles_columns[] = {
	[TITLES_NAME] = { N_("Name"), 6, 10, false },
	[TITLES_ID] = { N_("ID number"), 18, 18, false },
	[TITLES_OLD] = { N_("Old title"), 12, 24, false },
	[TITLES_NEW] = { N_("New title"), 12, 0, false },
	[TITLES_WHEN] = { N_("Asked"), 16, 16, false },
};

static const struct queue_decision titles_decisions[] = {
	{ 'a', "approve", "review.approve_title_changes", "ids", N_("Approve"),
	    N_("approved"), N_("%zu of %zu title changes approved."), false, false },
	{ 'r', "reject", "review.reject_title_changes", "ids", N_("Reject"),
	    N_("rejected"), N_("%zu of %zu title changes rejected."), true, false },
};

/* The name of a title {id, name} of the queue ("工程 / 中级 / 工程师"), "none" for null. */
static const char *
titles_name(json_t *title)
{
	return json_is_object(title) ? app_json_str(title, "name") : _("none");
}

static char *
titles_cell(struct queue *q, json_t *item, size_t col, int width, enum ui_style *style)
{
	char when[32];

	(void)q;
	(void)style;
	switch (col) {
	case TITLES_NAME:
		return xstrdup(app_json_str(item, "name"));
	case TITLES_ID:
		return xstrdup(app_json_str(item, "id_number"));
	case TITLES_OLD:
		return staff_title_short(titles_name(json_object_get(item, "old")), width);
	case TITLES_NEW:
		return staff_title_short(titles_name(json_object_get(item, "new")), width);
	default:
		return xstrdup(app_format_time(app_json_str(item, "asked_at"), when,
		    sizeof when));
	}
}

static char *
titles_question(struct queue *q, const struct queue_decision *d, json_t *one, size_t n)
{
	const char *name = app_json_str(one, "name"), *idn = app_json_str(one, "id_number");
	const char *old = titles_name(json_object_get(one, "old"));
	const char *new = titles_name(json_object_get(one, "new"));

	(void)q;
	if (d->key == 'a')
		return n == 1 ? xasprintf(_("Approve the title change of %s (%s) from %s to %s?"),
		    name, idn, old, new) :
		    xasprintf(_("Approve the %zu selected title changes?"), n);
	return n == 1 ? xasprintf(_("Reject the title change of %s (%s) from %s to %s? The "
	    "reason is shown in the person's change history."), name, idn, old, new) :
	    xasprintf(_("Reject the %zu selected title changes? The reason is shown in each "
	    "person's change history."), n);
}

/* A change decided meanwhile, or cancelled by the person: who, when, and how. */
static char *
titles_explain(struct queue *q, json_t *r)
{
	const char *state = app_json_str(r, "state");
	char when[32];

	(void)q;
	if (strcmp(app_json_str(r, "reason"), "already_decided") != 0)
		return NULL;
	if (strcmp(state, "cancelled") == 0)
		return xasprintf(_("cancelled by %s at %s"),
		    app_json_str(json_object_get(r, "decided_by"), "name"),
		    app_format_time(app_json_str(r, "decided_at"), when, sizeof when));
	return queue_explain(r, strcmp(state, "approved") == 0 ? _("Approved") :
	    strcmp(state, "rejected") == 0 ? _("Rejected") : state);
}

/* Enter: the person's profile and history; a or r there decides this change. */
static int
titles_detail(struct queue *q, json_t *item)
{
	char *who, *keys;
	int key;

	who = xasprintf(_("%s: %s → %s"), app_json_str(item, "name"),
	    titles_name(json_object_get(item, "old")), titles_name(json_object_get(item, "new")));
	keys = queue_decision_keys(q, item);
	key = staff_show(q->app, json_integer_value(json_object_get(item, "account_id")), who,
	    *keys != '\0' ? _("a: approve  r: reject  h: whole history  Arrows: scroll  "
	    "Esc: close") : NULL, keys, queue_paint, q);
	free(keys);
	free(who);
	return key;
}

static const struct queue_ops titles_ops = {
	.header = N_("Continuing Education · Title change review"),
	.method = "review.title_changes",
	.id_key = "id",
	.columns = titles_columns,
	.ncolumns = sizeof titles_columns / sizeof titles_columns[0],
	.head_lines = 1,
	.total = "pending_total",
	.count = N_("%s · %lld waiting for review"),
	.tagging = true,
	.filter = "filter",
	.empty = N_("No title change is waiting for review."),
	.empty_filtered = N_("No title change matches the filter."),
	.hints = N_("Space: select  Enter: details  a: approve  r: reject  /: filter  Esc: back"),
	.decisions = titles_decisions,
	.ndecisions = sizeof titles_decisions / sizeof titles_decisions[0],
	.cell = titles_cell,
	.detail = titles_detail,
	.question = titles_question,
	.explain = titles_explain,
};

enum screen_id
screen_titles_run(struct app *a)
{
	return queue_run(&titles_ops, a, NULL);
}
