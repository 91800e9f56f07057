/*
 * screen-authority-review.c - 审核: the authority's queue of declarations
 * at its step of the review chain (authority.declarations), newest
 * submission first, a page at a time; the records a unit approved that
 * go on to the authority, and base reports under base_reports.review =
 * "authority" (docs/protocol.md, "Review by the authority").
 *
 * The queue is the unit administrator's 学时审核 (decl-review.h) on the
 * authority's methods: Space selects, Enter shows a record in full (g
 * downloads its attachment, authority.attachment), a approves, r rejects
 * with a reason, c decides a base's class whole (authority.decide_class);
 * y, f and / filter by year, form and person, u by a unit of the scope.
 * Every record names its unit, which the unit's own queue need not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "authority.h"
#include "decl-review.h"
#include "keys.h"
#include "text.h"
#include "xmalloc.h"

/* The authority's own filter, beside the unit queue's. */
struct areview {
	char		*unit_code;	/* NULL: every unit of the scope */
	char		*unit_name;
	json_int_t	 total;		/* pending_total, which only the first page says */
};

enum areview_column { AREVIEW_NAME, AREVIEW_UNIT, AREVIEW_FORM, AREVIEW_YEAR,
	AREVIEW_HOURS, AREVIEW_WHEN };

/* The ID number gives way to the unit: 80 columns hold six. */
static const struct queue_column areview_columns[] = {
	[AREVIEW_NAME] = { N_("Name"), 6, 10, false },
	[AREVIEW_UNIT] = { N_("Unit name"), 8, 16, false },
	[AREVIEW_FORM] = { N_("Learning form"), 8, 0, false },
	[AREVIEW_YEAR] = { N_("Year"), 4, 8, false },
	[AREVIEW_HOURS] = { N_("Hours"), 6, 14, false },
	[AREVIEW_WHEN] = { N_("Submitted"), 16, 16, false },
};

/* The shared column each of ours shows (the unit is ours alone). */
static const enum dreview_column areview_shared[] = {
	[AREVIEW_NAME] = DREVIEW_NAME, [AREVIEW_FORM] = DREVIEW_FORM,
	[AREVIEW_YEAR] = DREVIEW_YEAR, [AREVIEW_HOURS] = DREVIEW_HOURS,
	[AREVIEW_WHEN] = DREVIEW_WHEN,
};

static const struct queue_decision areview_decisions[] = {
	{ 'a', "approve", "authority.approve_declarations", "ids", N_("Approve"),
	    N_("approved"), N_("%zu of %zu approved."), false, false },
	{ 'r', "reject", "authority.reject_declarations", "ids", N_("Reject"),
	    N_("rejected"), N_("%zu of %zu rejected."), true, true },
};

static const struct dreview_api areview_api = {
	.detail = "authority.declaration",
	.attachment = "authority.attachment",
	.class_attachment = "authority.class_attachment",
	.decide_class = "authority.decide_class",
	.approve_class = N_("Approve all %lld records of the class %s waiting for your review?"),
	.reject_class = N_("Reject all %lld records of the class %s waiting for your review? "
	    "The people and the base see the reason."),
	/* forms.list is the staff's and units': the authority types the year. */
	.catalog = false,
};

static void
areview_params(struct queue *q, json_t *params)
{
	struct dreview *dr = q->arg;
	struct areview *ar = dr->extra;

	dreview_params(q, params);
	if (ar->unit_code != NULL)
		json_object_set_new(params, "unit", json_string(ar->unit_code));
}

static void
areview_loaded(struct queue *q, json_t *result, bool more)
{
	struct dreview *dr = q->arg;
	struct areview *ar = dr->extra;

	(void)result;
	if (more)
		q->total = ar->total;
	else
		ar->total = q->total;
}

static void
areview_paint_head(struct queue *q)
{
	struct dreview *dr = q->arg;
	struct areview *ar = dr->extra;
	char *info;

	info = xasprintf(_("%s · %lld declarations waiting for your review   Unit (u): %s"),
	    app_json_str(authority_scope(q->app), "name"), (long long)q->total,
	    ar->unit_name != NULL ? ar->unit_name : _("all"));
	ui_put(1, 1, COLS - 2, info, UI_TITLE, false);
	free(info);
	dreview_paint_head(q);
}

static char *
areview_cell(struct queue *q, json_t *item, size_t col, int width, enum ui_style *style)
{
	if (col == AREVIEW_UNIT)
		return xstrdup(app_json_str(json_object_get(item, "unit"), "name"));
	return dreview_cell(q, item, areview_shared[col], width, style);
}

/* u: only one unit's records (chosen in the scope), or every unit's again. */
static void
areview_pick_unit(struct queue *q)
{
	struct dreview *dr = q->arg;
	struct areview *ar = dr->extra;
	char *code, *name;

	if (ar->unit_code != NULL) {
		free(ar->unit_code);
		free(ar->unit_name);
		ar->unit_code = ar->unit_name = NULL;
		queue_refilter(q);
		return;
	}
	if (!authority_pick_unit(q->app, &code, &name))
		return;
	ar->unit_code = code;
	ar->unit_name = name;
	queue_refilter(q);
}

static int
areview_key(struct queue *q, const struct ui_event *ev)
{
	if (ev->type == UI_EV_CHAR && ev->ch == 'u') {
		areview_pick_unit(q);
		return 1;
	}
	/* No forms to choose from: forms.list is not the authority's. */
	if (ev->type == UI_EV_CHAR && ev->ch == 'f')
		return 0;
	return dreview_key(q, ev);
}

/* A refusal: the authority's "not found" is of its scope, not of a unit's queue. */
static char *
areview_explain(struct queue *q, json_t *result)
{
	(void)q;
	if (strcmp(app_json_str(result, "reason"), "not_found") == 0)
		return xstrdup(_("no longer waiting for your review"));
	return NULL;
}

static const struct queue_ops areview_ops = {
	.header = N_("Continuing Education · Review (authority)"),
	.method = "authority.declarations",
	.id_key = "id",
	.columns = areview_columns,
	.ncolumns = sizeof areview_columns / sizeof areview_columns[0],
	.head_lines = 2,
	.total = "pending_total",
	.tagging = true,
	.filter = "person",
	.empty = N_("No declaration is waiting for your review."),
	.hints = N_("Space: select  Enter: details  a: approve  r: reject  c: class  "
	    "u/y//: filter  Esc: back"),
	.keys = authority_review_keys,
	.decisions = areview_decisions,
	.ndecisions = sizeof areview_decisions / sizeof areview_decisions[0],
	.params = areview_params,
	.loaded = areview_loaded,
	.paint_head = areview_paint_head,
	.cell = areview_cell,
	.detail = dreview_detail,
	.who = dreview_who,
	.question = dreview_question,
	.explain = areview_explain,
	.key = areview_key,
};

enum screen_id
screen_authority_review_run(struct app *a)
{
	struct areview ar = { 0 };
	enum screen_id next = dreview_run(a, &areview_ops, &areview_api, &ar);

	free(ar.unit_code);
	free(ar.unit_name);
	return next;
}
