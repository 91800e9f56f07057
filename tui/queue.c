/*
 * queue.c - the list widget behind every queue (see queue.h): paging by
 * the server's cursor, tagging, the filter line, the keys and the report
 * of a batch decision, for a screen that gives its columns, row painter,
 * detail and decisions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "keys.h"
#include "queue.h"
#include "text.h"
#include "xmalloc.h"

#define QUEUE_PAGE		50
#define QUEUE_FILTER		1
#define QUEUE_REPORT_LINES	8	/* a longer report opens in a pager */




void
queue_say(struct queue *q, const char *text, bool error)
{
	app_say(q->message, sizeof q->message, &q->message_error, text, error);
}

json_t *
queue_current(struct queue *q)
{
	return json_array_get(q->items, q->cur);
}

const char *
queue_filter_text(struct queue *q)
{
	return q->ops->filter != NULL ? ui_form_value(&q->filter, QUEUE_FILTER) : "";
}

bool
queue_allows(json_t *item, const char *action)
{
	json_t *a;
	size_t i;

	json_array_foreach(json_object_get(item, "actions"), i, a) {
		if (json_is_string(a) && strcmp(json_string_value(a), action) == 0)
			return true;
	}
	return false;
}

char *
queue_decision_keys(struct queue *q, json_t *record)
{
	char *keys = xcalloc(q->ops->ndecisions + 1, 1);
	size_t n = 0;

	for (size_t i = 0; i < q->ops->ndecisions; i++) {
		if (queue_allows(record, q->ops->decisions[i].action))
			keys[n++] = (char)q->ops->decisions[i].key;
	}
	return keys;
}

char *
queue_explain(json_t *r, const char *state_name)
{
	const char *reason = app_json_str(r, "reason");
	const char *label = app_json_str(r, "state_label");
	char when[32];

	if (*label == '\0')
		label = state_name != NULL ? state_name : app_state_name(app_json_str(r, "state"));
	if (strcmp(reason, "already_decided") == 0)
		return xasprintf(_("already decided by %s at %s (%s)"),
		    app_json_str(json_object_get(r, "decided_by"), "name"),
		    app_format_time(app_json_str(r, "decided_at"), when, sizeof when), label);
	if (strcmp(reason, "state_changed") == 0)
		return xasprintf(_("no longer waiting for review (%s)"), label);
	return xstrdup(_("not found in your unit's queue"));
}

/* The record whose id is id, or NULL. */
static json_t *
queue_find(struct queue *q, json_int_t id)
{
	json_t *item;
	size_t i;

	json_array_foreach(q->items, i, item) {
		if (json_integer_value(json_object_get(item, q->ops->id_key)) == id)
			return item;
	}
	return NULL;
}

/*
 * Read the list from the start (more: the next page, appended), with the
 * filter line and the screen's filters.  The cursor keeps its row.
 */
static void
queue_load(struct queue *q, bool more)
{
	struct rpc_error err;
	json_t *params, *result, *next, *records;
	size_t n, added;

	if (more && q->next == NULL)
		return;
	params = json_pack("{s:i}", "limit", QUEUE_PAGE);
	if (*queue_filter_text(q) != '\0')
		json_object_set_new(params, q->ops->filter, json_string(queue_filter_text(q)));
	if (q->ops->params != NULL)
		q->ops->params(q, params);
	if (more)
		json_object_set_new(params, "after", json_string(q->next));
	if ((result = app_call(q->app, q->ops->method, params, &err)) == NULL) {
		queue_say(q, err.message, true);
		return;
	}
	if (!more)
		json_array_clear(q->items);
	records = json_object_get(result, q->ops->items != NULL ? q->ops->items : "items");
	added = json_array_size(records);
	json_array_extend(q->items, records);
	n = json_array_size(q->items);
	if (n > q->tagged_cap) {
		q->tagged = xrealloc(q->tagged, n * sizeof *q->tagged);
		q->tagged_cap = n;
	}
	/* The new rows come untagged; so do all after a reload. */
	if (added > 0)
		memset(q->tagged + n - added, 0, added * sizeof *q->tagged);
	free(q->next);
	next = json_object_get(result, "next");
	q->next = json_is_string(next) ? xstrdup(json_string_value(next)) : NULL;
	if (q->ops->total != NULL)
		q->total = json_integer_value(json_object_get(result, q->ops->total));
	if (q->ops->loaded != NULL)
		q->ops->loaded(q, result, more);
	if (q->cur >= n)
		q->cur = n > 0 ? n - 1 : 0;
	json_decref(result);
}

void
queue_reload(struct queue *q)
{
	queue_load(q, false);
}

void
queue_refilter(struct queue *q)
{
	q->cur = q->top = 0;
	queue_load(q, false);
}

static size_t
queue_tagged_count(struct queue *q)
{
	size_t n = 0;

	for (size_t i = 0; i < json_array_size(q->items); i++)
		n += q->tagged[i];
	return n;
}

/* A column's narrowest: its min, or its heading in the current language when wider. */
static int
queue_column_min(const struct queue_column *col)
{
	return text_width(_(col->title)) > col->min ? text_width(_(col->title)) : col->min;
}

/*
 * Where the columns go: each as wide as its heading in the current
 * language and its widest record (up to its max); the one with no max
 * takes what is left.  When they do not fit, the widened ones give back
 * what they took beyond their narrowest.  x[] and w[] have ncolumns places.
 */
static void
queue_layout(struct queue *q, int *x, int *w)
{
	const struct queue_ops *ops = q->ops;
	int used = 0, flex = -1, left = ops->tagging ? 5 : 1, over;
	enum ui_style st;
	json_t *item;
	size_t i, c;

	for (c = 0; c < ops->ncolumns; c++) {
		const struct queue_column *col = &ops->columns[c];

		w[c] = queue_column_min(col);
		if (col->max == 0) {
			flex = (int)c;
			continue;
		}
		json_array_foreach(q->items, i, item) {
			char *s = ops->cell(q, item, c, col->max, &st);
			int sw = text_width(s) < col->max ? text_width(s) : col->max;

			if (sw > w[c])
				w[c] = sw;
			free(s);
		}
		used += w[c] + 1;
	}
	if (flex >= 0 && COLS - 1 - left - used > w[flex])
		w[flex] = COLS - 1 - left - used;
	over = left + used + (flex >= 0 ? w[flex] + 1 : 0) - COLS;
	for (c = 0; c < ops->ncolumns && over > 0; c++) {
		int spare = w[c] - queue_column_min(&ops->columns[c]);

		spare = spare < over ? spare : over;
		w[c] -= spare;
		over -= spare;
	}
	for (c = 0; c < ops->ncolumns; c++) {
		x[c] = left;
		left += w[c] + 1;
	}
}

/* Draw s in w columns at y, x: on the left, or on the right for numbers. */
static void
queue_put_cell(int y, int x, int w, const char *s, enum ui_style st, bool right)
{
	int sw = text_width(s);

	ui_put(y, right && sw < w ? x + w - sw : x, w, s, st, false);
}

void
queue_paint(void *arg)
{
	struct queue *q = arg;
	const struct queue_ops *ops = q->ops;
	int *x = xcalloc(ops->ncolumns, sizeof *x), *w = xcalloc(ops->ncolumns, sizeof *w);
	int head = 1 + ops->head_lines, y;
	size_t n = json_array_size(q->items);
	const char *foot;
	char *info;

	queue_layout(q, x, w);
	q->rows = LINES - 5 - ops->head_lines;
	ui_header(_(ops->header));
	if (ops->count != NULL) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		info = xasprintf(_(ops->count), app_me_unit_name(q->app), (long long)q->total);
#pragma GCC diagnostic pop
		ui_put(1, 1, COLS - 40, info, UI_TITLE, false);
		free(info);
	}
	if (ops->paint_head != NULL)
		ops->paint_head(q);
	if (ops->tagging)
		ui_put(head, 1, 3, "", UI_TITLE, true);
	for (size_t c = 0; c < ops->ncolumns; c++)
		queue_put_cell(head, x[c], w[c], _(ops->columns[c].title), UI_TITLE,
		    ops->columns[c].right);

	app_keep_in_view(q->cur, &q->top, &q->rows);
	for (int row = 0; row < q->rows && q->top + (size_t)row < n; row++) {
		size_t i = q->top + (size_t)row;
		json_t *item = json_array_get(q->items, i);
		enum ui_style st = i == q->cur && !q->filtering ? UI_SELECTED : UI_NORMAL;
		const char *mark = ops->mark != NULL ? ops->mark(q, item) : NULL;

		y = head + 1 + row;
		if (st == UI_SELECTED)
			ui_fill(y, 0, COLS, st);
		if (mark != NULL)
			ui_put(y, 0, 1, mark, UI_ERROR, false);
		if (ops->tagging)
			ui_put(y, 1, 3, q->tagged[i] ? "[x]" : "[ ]", st, false);
		for (size_t c = 0; c < ops->ncolumns; c++) {
			enum ui_style cs = st;
			char *s = ops->cell(q, item, c, w[c], &cs);

			queue_put_cell(y, x[c], w[c], s, cs, ops->columns[c].right);
			free(s);
		}
	}
	foot = ops->foot != NULL ? ops->foot(q) : NULL;
	if (ops->tagging)
		info = xasprintf(_("%zu shown, %zu selected%s%s"), n, queue_tagged_count(q),
		    q->next != NULL ? _("; PgDn loads more") : "", foot != NULL ? foot : "");
	else
		info = xasprintf(_("%zu shown%s"), n, q->next != NULL ? _("; PgDn loads more") : "");
	app_list_foot(n, head + 1 + q->rows / 2, _(*queue_filter_text(q) != '\0' &&
	    ops->empty_filtered != NULL ? ops->empty_filtered : ops->empty), info);
	ui_message_line(q->message, q->message_error);
	app_status(q->app, q->filtering ? _("Type a name or ID number  Enter: done  Esc: clear") :
	    _(ops->hints));

	/* The filter line last, so that its cursor shows while typing in it. */
	if (ops->filter != NULL) {
		struct ui_field *fd = ui_form_field(&q->filter, QUEUE_FILTER);

		ui_form_place_labels(&q->filter, COLS - 38);
		fd->y = 1;
		fd->width = COLS - 2 - fd->x;
		ui_form_draw(&q->filter, q->filtering);
	}
	free(x);
	free(w);
}

/* Add item's id to ids when it allows d; *one becomes it. */
static void
queue_target(struct queue *q, const struct queue_decision *d, json_t *item, json_t *ids,
    json_t **one)
{
	if (item == NULL || !queue_allows(item, d->action))
		return;
	json_array_append_new(ids, json_integer(json_integer_value(json_object_get(item,
	    q->ops->id_key))));
	*one = item;
}

/*
 * The ids a decision goes to: only, else the tagged records, else the one
 * under the cursor, each when it allows the decision.  *one is one of them
 * (for the question), *n how many.
 */
static json_t *
queue_targets(struct queue *q, const struct queue_decision *d, json_t *only, size_t *n,
    json_t **one)
{
	json_t *ids = json_array(), *item;
	size_t i, tagged = 0;

	*one = NULL;
	if (only != NULL) {
		queue_target(q, d, only, ids, one);
	} else {
		json_array_foreach(q->items, i, item) {
			if (q->tagged[i]) {
				tagged++;
				queue_target(q, d, item, ids, one);
			}
		}
		if (tagged == 0)
			queue_target(q, d, queue_current(q), ids, one);
	}
	*n = json_array_size(ids);
	return ids;
}

/* Show what became of each record decided. */
static void
queue_report(struct queue *q, const struct queue_decision *d, json_t *result)
{
	json_t *r, *item;
	size_t i, done = 0, n = 0;
	char *text = NULL, *who, *what, *line, *joined, *summary;

	json_array_foreach(json_object_get(result, "results"), i, r) {
		json_int_t id = json_integer_value(json_object_get(r, q->ops->id_key));

		item = queue_find(q, id);
		who = item == NULL ? xasprintf("#%lld", (long long)id) : q->ops->who != NULL ?
		    q->ops->who(q, item) : xasprintf(_("%s (%s)"), app_json_str(item, "name"),
		    app_json_str(item, "id_number"));
		if (json_is_true(json_object_get(r, "ok"))) {
			what = xstrdup(_(d->done));
			done++;
		} else if (q->ops->explain == NULL || (what = q->ops->explain(q, r)) == NULL) {
			what = queue_explain(r, NULL);
		}
		n++;
		line = xasprintf(_("%s: %s"), who, what);
		joined = xasprintf("%s%s%s", text != NULL ? text : "", text != NULL ? "\n" : "",
		    line);
		free(text);
		text = joined;
		free(line);
		free(who);
		free(what);
	}
	/* The descriptor's msgids are formats ("%zu of %zu approved."); so is count's. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	summary = xasprintf(_(d->summary), done, n);
#pragma GCC diagnostic pop
	queue_say(q, summary, done < n);
	if (n <= QUEUE_REPORT_LINES)
		ui_message(_("Review results"), text != NULL ? text : summary);
	else
		ui_pager(_("Review results"), text, NULL, NULL);
	free(summary);
	free(text);
}

/* Ask for the reason of d (again while one is required and none given); NULL: cancelled. */
static char *
queue_reason(const struct queue_decision *d, const char *question)
{
	char *reason;

	for (;;) {
		reason = ui_prompt(_(d->title), question, _("Reason"), 200);
		if (reason == NULL || !d->reason_required || reason[strspn(reason, " \t")] != '\0')
			return reason;
		free(reason);
		ui_message(_(d->title), _("A reason is required."));
	}
}

/* See queue.h. */
void
queue_confirm_decision(struct queue *q, const struct queue_decision *d, const char *method,
    json_t *params, const char *question)
{
	struct rpc_error err;
	json_t *result;
	char *reason = NULL;
	bool go;

	if (d->reason)
		go = (reason = queue_reason(d, question)) != NULL;
	else
		go = ui_confirm(_(d->title), question);
	if (!go) {
		json_decref(params);
		return;
	}
	if (reason != NULL)
		json_object_set_new(params, "reason", json_string(reason));
	free(reason);
	if ((result = app_call(q->app, method, params, &err)) == NULL) {
		if (!q->app->restart)
			queue_say(q, err.message, true);
		return;
	}
	queue_report(q, d, result);
	json_decref(result);
	queue_reload(q);
}

/* Take decision d on only, or on the tagged records or the one under the cursor. */
static void
queue_decide(struct queue *q, const struct queue_decision *d, json_t *only)
{
	json_t *ids, *one;
	char *question;
	size_t n;

	queue_say(q, "", false);
	ids = queue_targets(q, d, only, &n, &one);
	if (n == 0) {
		if (json_array_size(q->items) > 0)
			queue_say(q, _("Not possible for the records chosen."), true);
		json_decref(ids);
		return;
	}
	question = q->ops->question(q, d, one, n);
	queue_confirm_decision(q, d, d->method, json_pack("{s:o}", d->ids, ids), question);
	free(question);
}

static const struct queue_decision *
queue_decision(struct queue *q, int key)
{
	for (size_t i = 0; i < q->ops->ndecisions; i++) {
		if (q->ops->decisions[i].key == key)
			return &q->ops->decisions[i];
	}
	return NULL;
}

/* Enter: the record in full; a decision's key there takes it on that record.  -1: quit. */
static int
queue_detail(struct queue *q)
{
	json_t *item = queue_current(q);
	const struct queue_decision *d;
	int key;

	queue_say(q, "", false);
	if (item == NULL || q->ops->detail == NULL)
		return 0;
	json_incref(item);
	key = q->ops->detail(q, item);
	ui_set_backdrop(queue_paint, q);
	if (key > 0 && (d = queue_decision(q, key)) != NULL)
		queue_decide(q, d, item);
	json_decref(item);
	return key < 0 ? -1 : 0;
}

/* Move the cursor by step rows, reading the next page when it runs off the end. */
static void
queue_move(struct queue *q, long step)
{
	size_t n;

	if (step > 0 && q->cur + (size_t)step >= json_array_size(q->items) && q->next != NULL)
		queue_load(q, true);
	if ((n = json_array_size(q->items)) == 0)
		return;
	if (step < 0)
		q->cur = (size_t)-step > q->cur ? 0 : q->cur - (size_t)-step;
	else
		q->cur = q->cur + (size_t)step >= n ? n - 1 : q->cur + (size_t)step;
}

/* A key while typing the filter; the list follows the filter as it changes. */
static void
queue_filter_key(struct queue *q, struct ui_event *ev)
{
	char *before;
	int id;

	if (ev->type == UI_EV_KEY && ev->key == UI_KEY_ESC) {
		q->filtering = false;
		if (*queue_filter_text(q) != '\0') {
			ui_form_set(&q->filter, QUEUE_FILTER, NULL);
			queue_refilter(q);
		}
		return;
	}
	if (ev->type == UI_EV_KEY && (ev->key == UI_KEY_ENTER || ev->key == UI_KEY_TAB ||
	    ev->key == KEY_DOWN || ev->key == KEY_UP)) {
		q->filtering = false;
		return;
	}
	before = xstrdup(queue_filter_text(q));
	ui_form_key(&q->filter, ev, &id);
	if (strcmp(before, queue_filter_text(q)) != 0)
		queue_refilter(q);
	free(before);
}

/* A character: the widget's keys, the decisions, the screen's.  -1: leave, 1: quit. */
static int
queue_char(struct queue *q, struct ui_event *ev)
{
	const struct queue_decision *d;
	json_t *item = queue_current(q);
	int rc;

	if (ev->ch == 'j')
		queue_move(q, 1);
	else if (ev->ch == 'k')
		queue_move(q, -1);
	else if (ev->ch == ' ' && q->ops->tagging && item != NULL) {
		q->tagged[q->cur] = !q->tagged[q->cur];
		queue_move(q, 1);
	} else if (ev->ch == '/' && q->ops->filter != NULL)
		q->filtering = true;
	else if ((d = queue_decision(q, ev->ch)) != NULL)
		queue_decide(q, d, NULL);
	else if (q->ops->key != NULL && (rc = q->ops->key(q, ev)) != 0)
		return rc < 0 ? 1 : rc == QUEUE_KEY_LEAVE ? -1 : 0;
	else if (ev->ch == 'q')
		return -1;
	return 0;
}

/* A key (not a character).  -1: leave, 1: quit. */
static int
queue_key(struct queue *q, struct ui_event *ev)
{
	long page = q->rows > 1 ? q->rows - 1 : 1;
	size_t n = json_array_size(q->items);
	int rc;

	switch (ev->key) {
	case UI_KEY_ESC:
		return -1;
	case KEY_DOWN:
		queue_move(q, 1);
		break;
	case KEY_UP:
		queue_move(q, -1);
		break;
	case KEY_NPAGE:
		queue_move(q, page);
		break;
	case KEY_PPAGE:
		queue_move(q, -page);
		break;
	case KEY_HOME:
		q->cur = 0;
		break;
	case KEY_END:
		q->cur = n > 0 ? n - 1 : 0;
		break;
	case UI_KEY_ENTER:
		return queue_detail(q) < 0 ? 1 : 0;
	case KEY_F(5):
		queue_say(q, "", false);
		queue_reload(q);
		break;
	default:
		if (q->ops->key != NULL && (rc = q->ops->key(q, ev)) != 0)
			return rc < 0 ? 1 : rc == QUEUE_KEY_LEAVE ? -1 : 0;
	}
	return 0;
}

/* Append the entries of keys (up to its zeroed one) to *help, of *n.  */
static void
queue_help_add(struct ui_key_help **help, size_t *n, const struct ui_key_help *keys)
{
	for (; keys != NULL && keys->key != NULL; keys++) {
		*help = xrealloc(*help, (*n + 2) * sizeof **help);
		(*help)[(*n)++] = *keys;
		memset(&(*help)[*n], 0, sizeof **help);
	}
}

/* The queue's keys for F1 (contract 4): the widget's, the decisions, the screen's. */
static struct ui_key_help *
queue_help(const struct queue_ops *ops)
{
	struct ui_key_help *help = NULL, one[2] = { { NULL, NULL, false } };
	static char keys[8][2];
	size_t n = 0;

	queue_help_add(&help, &n, queue_keys);
	if (ops->tagging)
		queue_help_add(&help, &n, queue_keys_tagging);
	if (ops->filter != NULL)
		queue_help_add(&help, &n, queue_keys_filter);
	for (size_t i = 0; i < ops->ndecisions && i < 8; i++) {
		keys[i][0] = (char)ops->decisions[i].key;
		one[0] = (struct ui_key_help){ keys[i], ops->decisions[i].title, true };
		queue_help_add(&help, &n, one);
	}
	queue_help_add(&help, &n, ops->keys);
	return help;
}

enum screen_id
queue_run(const struct queue_ops *ops, struct app *a, void *arg)
{
	struct queue q = { .ops = ops, .app = a, .arg = arg, .items = json_array() };
	struct ui_key_help *help = queue_help(ops);
	const struct ui_key_help *before = ui_help_get();
	struct ui_event ev;
	enum screen_id next = SCREEN_HOME;
	unsigned seen = a->changes;
	int rc = 0;

	ui_help_set(help);
	if (ops->filter != NULL) {
		ui_form_init(&q.filter);
		ui_form_add_text(&q.filter, QUEUE_FILTER, _("Filter (/)"), 20, 50, false);
	}
	ui_set_backdrop(queue_paint, &q);
	queue_load(&q, false);
	while (rc == 0) {
		/* One of the administrator's own records changed (record.changed). */
		if (app_changed(a, &seen)) {
			queue_reload(&q);
			queue_say(&q, a->change_message, false);
		}
		if (app_next_event(a, &ev))
			rc = 1;
		else if (q.filtering)
			queue_filter_key(&q, &ev);
		else if (ev.type == UI_EV_CHAR)
			rc = queue_char(&q, &ev);
		else if (ev.type == UI_EV_KEY)
			rc = queue_key(&q, &ev);
		if (a->restart)
			rc = 1;
	}
	if (rc > 0)
		next = SCREEN_QUIT;
	ui_set_backdrop(NULL, NULL);
	ui_help_set(before);
	json_decref(q.items);
	free(q.tagged);
	free(q.next);
	free(help);
	if (ops->filter != NULL)
		ui_form_free(&q.filter);
	return next;
}
