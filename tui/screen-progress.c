/*
 * screen-progress.c - 申报进度查询: the person's declarations, newest
 * first, a page at a time, under tabs by state (全部, 待提交, 待审核,
 * 审核通过, 审核不通过; Left/Right or 1-5).
 *
 * Each row names the record itself (its form's first field: 培训名称,
 * 论文题目, …) beside its learning form; rows are newest first by the time
 * they show (the server's order).  Enter shows one in full (详细): every
 * field under its label from the record's own form definition, the
 * attachment (g downloads it), the decision history.  What may be done is
 * the record's "actions" from the server (docs/protocol.md, "Actions"):
 * only those keys are offered, and this screen holds no state rules.  A
 * record that changed meanwhile comes back as state_changed, said as the
 * server says it.  The cursor stays on its record across reloads and
 * visits.
 *
 * A record a training base reported (source "base") shows as 基地学时申报
 * with its class and base for its name; its detail shows the class, and
 * it offers no action (the server lists none).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "app.h"
#include "format.h"
#include "keys.h"
#include "text.h"
#include "xmalloc.h"

#define PROGRESS_PAGE	20
#define PROGRESS_LIMIT	200	/* the most declaration.list gives at once */
#define PROGRESS_TABS	5

static const char *const progress_states[PROGRESS_TABS] = {
	"all", "draft", "pending", "approved", "rejected",
};

/* The actions of a record (the server's words) and the keys that do them. */
static const struct progress_action {
	const char	*word;
	int		 key;
	const char	*hint;
} progress_actions[] = {
	{ "edit", 'e', N_("e: edit") },
	{ "submit", 's', N_("s: submit") },
	{ "delete", 'd', N_("d: delete") },
	{ "withdraw", 'w', N_("w: withdraw") },
	{ "revise", 'v', N_("v: revise and declare again") },
};
#define PROGRESS_NACTIONS	(sizeof progress_actions / sizeof progress_actions[0])

struct progress_item {
	json_int_t	 id;
	char		*when;
	char		*form;
	char		*title;		/* the record's own name */
	char		*year;
	char		*amount;
	char		*state;
	char		*state_label;
	unsigned	 actions;	/* bit i: progress_actions[i] */
};

/* Where the list was left, for the next visit. */
static struct {
	int		 tab;
	json_int_t	 id;
} progress_last;

struct progress {
	struct app	*app;
	int		 tab;
	json_int_t	 counts[PROGRESS_TABS];
	struct progress_item *items;
	size_t		 n, cap;
	char		*next;
	size_t		 cur, top;
	int		 rows;
	char		 message[512];
	bool		 message_error;
};

static void
progress_say(struct progress *p, const char *text, bool error)
{
	app_copy(p->message, sizeof p->message, text);
	p->message_error = error;
}

static const char *
progress_tab_name(int tab)
{
	static const char *const names[PROGRESS_TABS] = {
		N_("All"), N_("To be submitted"), N_("Pending review"), N_("Approved"),
		N_("Rejected"),
	};

	return _(names[tab]);
}

static const char *
progress_counts_name(const char *counts)
{
	return strcmp(counts, "credits") == 0 ? _("credits") : _("hours");
}

/* The "actions" of a record as bits of progress_actions. */
static unsigned
progress_action_bits(json_t *record)
{
	json_t *word;
	unsigned bits = 0;
	size_t i;

	json_array_foreach(json_object_get(record, "actions"), i, word) {
		for (size_t a = 0; a < PROGRESS_NACTIONS; a++) {
			if (json_is_string(word) &&
			    strcmp(json_string_value(word), progress_actions[a].word) == 0)
				bits |= 1u << a;
		}
	}
	return bits;
}

/* The action of key, or -1 when no action has that key. */
static int
progress_action_of_key(int key)
{
	for (size_t a = 0; a < PROGRESS_NACTIONS; a++) {
		if (progress_actions[a].key == key)
			return (int)a;
	}
	return -1;
}

/* The hints of the actions in bits, each followed by two spaces.  Caller frees. */
static char *
progress_action_hints(unsigned bits)
{
	char *text = xstrdup(""), *v;

	for (size_t a = 0; a < PROGRESS_NACTIONS; a++) {
		if ((bits & (1u << a)) == 0)
			continue;
		v = xasprintf("%s%s  ", text, _(progress_actions[a].hint));
		free(text);
		text = v;
	}
	return text;
}

static void
progress_clear(struct progress *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->items[i].when);
		free(p->items[i].form);
		free(p->items[i].title);
		free(p->items[i].year);
		free(p->items[i].amount);
		free(p->items[i].state);
		free(p->items[i].state_label);
	}
	p->n = 0;
	free(p->next);
	p->next = NULL;
}

/*
 * Read the tab's list from the start (more: the next page, appended).  A
 * reload reads at least as many rows as were shown, and keeps the cursor
 * on the record it was on (by id), else on the same row.
 */
static void
progress_load(struct progress *p, bool more)
{
	struct rpc_error err;
	json_t *params, *result, *item, *next, *counts;
	json_int_t keep = !more && p->cur < p->n ? p->items[p->cur].id : 0;
	size_t i, was = p->cur, limit = PROGRESS_PAGE;

	if (more && p->next == NULL)
		return;
	if (!more && p->n > limit)
		limit = p->n < PROGRESS_LIMIT ? p->n : PROGRESS_LIMIT;
	params = json_pack("{s:i, s:s}", "limit", (int)limit, "state",
	    progress_states[p->tab]);
	if (more)
		json_object_set_new(params, "after", json_string(p->next));
	if ((result = app_call(p->app, "declaration.list", params, &err)) == NULL) {
		progress_say(p, err.message, true);
		return;
	}
	if (!more) {
		progress_clear(p);
		p->cur = p->top = 0;
	}
	json_array_foreach(json_object_get(result, "items"), i, item) {
		struct progress_item *it;
		const char *at = app_json_str(item, "submitted_at");
		char when[32];

		if (p->n == p->cap) {
			p->cap = p->cap ? p->cap * 2 : 32;
			p->items = xrealloc(p->items, p->cap * sizeof *p->items);
		}
		it = &p->items[p->n++];
		it->id = json_integer_value(json_object_get(item, "id"));
		it->when = xstrdup(app_format_time(*at != '\0' ? at :
		    app_json_str(item, "created_at"), when, sizeof when));
		if (json_is_object(json_object_get(item, "class"))) {
			it->form = xstrdup(_("Base hours"));
			it->title = xasprintf("%s · %s",
			    app_json_str(json_object_get(item, "class"), "name"),
			    app_json_str(json_object_get(item, "base"), "name"));
		} else {
			it->form = xstrdup(app_json_str(json_object_get(item, "form"), "name"));
			it->title = xstrdup(app_json_str(item, "title"));
		}
		it->actions = progress_action_bits(item);
		it->year = xasprintf("%lld",
		    (long long)json_integer_value(json_object_get(item, "year")));
		it->amount = xasprintf("%s %s", app_json_str(item, "amount"),
		    progress_counts_name(app_json_str(item, "counts")));
		it->state = xstrdup(app_json_str(item, "state"));
		it->state_label = xstrdup(app_json_str(item, "state_label"));
	}
	free(p->next);
	next = json_object_get(result, "next");
	p->next = json_is_string(next) ? xstrdup(json_string_value(next)) : NULL;
	counts = json_object_get(result, "counts");
	for (int t = 0; t < PROGRESS_TABS; t++)
		p->counts[t] = json_integer_value(json_object_get(counts, progress_states[t]));
	if (!more) {
		p->cur = was;
		for (i = 0; keep != 0 && i < p->n; i++) {
			if (p->items[i].id == keep)
				p->cur = i;
		}
	}
	if (p->cur >= p->n)
		p->cur = p->n > 0 ? p->n - 1 : 0;
	json_decref(result);
}


/* The widest of label and every item's field (an offsetof into the item), at most max. */
static int
progress_column_width(const struct progress *p, const char *label, size_t field, int max)
{
	int w = text_width(label);

	for (size_t i = 0; i < p->n; i++) {
		const char *v = *(char *const *)((const char *)&p->items[i] + field);
		int vw = text_width(v);

		if (vw > w)
			w = vw;
	}
	return w < max ? w : max;
}

/* ui_put of s in cols columns; a text cut short ends in "…". */
static void
progress_cell(int y, int x, int cols, const char *s, enum ui_style style)
{
	char *cut, *shown;

	if (cols < 1)
		return;
	if (text_width(s) <= cols) {
		ui_put(y, x, cols, s, style, false);
		return;
	}
	cut = text_fit(s, cols - 1);
	shown = xasprintf("%s…", cut);
	ui_put(y, x, cols, shown, style, false);
	free(shown);
	free(cut);
}

static void
progress_paint(void *arg)
{
	struct progress *p = arg;
	int x = 1, cw, cf, ct, cy, ca, cs, wf, wy, wa, ws, y;
	char *info, *hints, *actions;

	ui_header(_("Continuing Education · Declaration progress"));
	{
		char *tabs[PROGRESS_TABS];
		int first = 0, used = 0;

		for (int t = 0; t < PROGRESS_TABS; t++)
			tabs[t] = xasprintf(" %d %s (%lld) ", t + 1, progress_tab_name(t),
			    (long long)p->counts[t]);
		/* The chosen tab always shows: the first ones give way on a narrow screen. */
		for (int t = 0; t <= p->tab; t++)
			used += text_width(tabs[t]) + 1;
		while (first < p->tab && used > COLS - 4)
			used -= text_width(tabs[first++]) + 1;
		if (first > 0)
			x += ui_put(1, x, 2, "…", UI_BUTTON, false) + 1;
		for (int t = first; t < PROGRESS_TABS; t++)
			x += ui_put(1, x, COLS - x - 1, tabs[t], t == p->tab ? UI_BUTTON_FOCUS :
			    UI_BUTTON, false) + 1;
		for (int t = 0; t < PROGRESS_TABS; t++)
			free(tabs[t]);
	}
	/* Each column as wide as its widest content; the record's name takes the rest. */
	cw = progress_column_width(p, _("Declared"), offsetof(struct progress_item, when), 16);
	wf = progress_column_width(p, _("Learning form"), offsetof(struct progress_item, form),
	    16);
	wy = progress_column_width(p, _("Year"), offsetof(struct progress_item, year), 6);
	wa = progress_column_width(p, _("Hours/credits"),
	    offsetof(struct progress_item, amount), 16);
	ws = progress_column_width(p, _("State"), offsetof(struct progress_item, state_label),
	    20);
	cs = COLS - 1 - ws;
	ca = cs - 2 - wa;
	cy = ca - 2 - wy;
	cf = 1 + cw + 2;
	ct = cf + wf + 2;
	ui_put(2, 1, cw, _("Declared"), UI_TITLE, false);
	ui_put(2, cf, wf, _("Learning form"), UI_TITLE, false);
	ui_put(2, ct, cy - ct - 2, _("Record name"), UI_TITLE, false);
	ui_put(2, cy, wy, _("Year"), UI_TITLE, false);
	ui_put(2, ca, wa, _("Hours/credits"), UI_TITLE, false);
	ui_put(2, cs, ws, _("State"), UI_TITLE, false);
	p->rows = LINES - 6;
	if (p->cur < p->top)
		p->top = p->cur;
	if (p->cur >= p->top + (size_t)p->rows)
		p->top = p->cur - (size_t)p->rows + 1;
	for (int row = 0; row < p->rows && p->top + (size_t)row < p->n; row++) {
		size_t i = p->top + (size_t)row;
		struct progress_item *it = &p->items[i];
		enum ui_style st = i == p->cur ? UI_SELECTED : UI_NORMAL;

		y = 3 + row;
		if (st == UI_SELECTED)
			ui_fill(y, 0, COLS, st);
		progress_cell(y, 1, cw, it->when, st);
		progress_cell(y, cf, wf, it->form, st);
		progress_cell(y, ct, cy - ct - 2, it->title, st);
		progress_cell(y, cy, wy, it->year, st);
		progress_cell(y, ca, wa, it->amount, st);
		progress_cell(y, cs, ws, it->state_label, strcmp(it->state, "rejected") == 0 &&
		    st == UI_NORMAL ? UI_ERROR : st);
	}
	if (p->next != NULL)
		info = xasprintf(_("%lld declarations, %zu shown; PgDn loads more"),
		    (long long)p->counts[p->tab], p->n);
	else
		info = xasprintf(_("%lld declarations"), (long long)p->counts[p->tab]);
	app_list_foot(p->n, 3 + p->rows / 2, _("No declaration here."), info);
	ui_message_line(p->message, p->message_error);
	actions = progress_action_hints(p->cur < p->n ? p->items[p->cur].actions : 0);
	hints = xasprintf(_("Enter: details  %sLeft/Right, 1-5: state  Esc: back"), actions);
	app_status(p->app, hints);
	free(hints);
	free(actions);
}

/* The name of a history entry's action. */
static const char *
progress_action_name(const char *action)
{
	static const struct {
		const char	*action;
		const char	*name;
	} names[] = {
		{ "create", N_("created") },
		{ "save", N_("saved") },
		{ "submit", N_("submitted") },
		{ "withdraw", N_("withdrawn from review") },
		{ "approve", N_("approved") },
		{ "reject", N_("rejected") },
		{ "revise", N_("revised") },
		{ "delete", N_("deleted") },
		{ "report", N_("reported by the training base") },
		{ "claim", N_("claimed at registration") },
		{ "change", N_("hours changed by the training base") },
		{ "unreport", N_("taken back by the training base") },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(action, names[i].action) == 0)
			return _(names[i].name);
	}
	return action;
}

/* A value of a declaration's fields as text: a range "from 至 to". Caller frees. */
static char *
progress_value(json_t *v)
{
	if (json_is_object(v))
		return xasprintf(_("%s to %s"), app_json_str(v, "from"), app_json_str(v, "to"));
	return app_json_text(v);
}

/*
 * The decisions of a chain of more than the unit's review (issue 16), a row
 * per step decided: "单位审核  审核通过  王建国  2026-03-12 09:41", a
 * rejection with its reason, so the person sees who rejected at which step.
 * A record reviewed by its unit alone says so in its decision rows already.
 */
static void
progress_steps_text(char **text, int w, json_t *steps)
{
	json_t *st;
	size_t i;
	char when[48], *v;

	if (json_array_size(steps) == 0 || (json_array_size(steps) == 1 &&
	    strcmp(app_json_str(json_array_get(steps, 0), "step"), "unit") == 0))
		return;
	json_array_foreach(steps, i, st) {
		const char *decision = app_json_str(st, "decision");

		if (strcmp(decision, "approved") != 0 && strcmp(decision, "rejected") != 0)
			continue;
		v = xasprintf("%s  %s  %s%s%s", app_json_str(st, "decision_label"),
		    app_json_str(json_object_get(st, "decided_by"), "name"),
		    app_format_time(app_json_str(st, "decided_at"), when, sizeof when),
		    *app_json_str(st, "reason") != '\0' ? "  " : "", app_json_str(st, "reason"));
		app_append_row(text, app_json_str(st, "label"), w, v);
		free(v);
	}
}

/*
 * A declaration's detail (declaration.get or review.declaration) as text:
 * the person (when given), every field under its form's label, the
 * attachment, the decision, the history.  Caller frees.
 */
char *
progress_detail_text(json_t *d)
{
	json_t *form = json_object_get(d, "form"), *def, *person = json_object_get(d, "person");
	json_t *att = json_object_get(d, "attachment"), *h, *class = json_object_get(d, "class");
	char *text = NULL, *v, when[48], size[32];
	size_t i;
	int w = 10;

	json_array_foreach(json_object_get(json_object_get(form, "definition"), "fields"), i,
	    def) {
		if (text_width(app_json_str(def, "label")) > w)
			w = text_width(app_json_str(def, "label"));
	}
	w += 2;
	if (json_is_object(person)) {
		app_append_row(&text, _("Name"), w, app_json_str(person, "name"));
		app_append_row(&text, _("ID number"), w, app_json_str(person, "id_number"));
		app_append_row(&text, _("Department"), w, app_json_str(person, "department"));
	}
	if (json_is_object(class)) {
		/* Reported by a training base: read-only, its class says where it came from. */
		app_append_row(&text, _("Kind"), w, _("Base hours"));
		app_append_row(&text, _("Training base"), w,
		    app_json_str(json_object_get(d, "base"), "name"));
		app_append_row(&text, _("Class"), w, app_json_str(class, "name"));
		v = xasprintf(_("%s to %s"), app_json_str(class, "start_date"),
		    app_json_str(class, "end_date"));
		app_append_row(&text, _("Class dates"), w, v);
		free(v);
		/* Its document, in the unit administrator's view (review.declaration). */
		if (json_is_object(h = json_object_get(class, "attachment"))) {
			v = xasprintf(_("%s (%s, %s)"), app_json_str(h, "name"),
			    app_json_str(h, "mime"), format_size(json_integer_value(
			    json_object_get(h, "size")), size, sizeof size));
			app_append_row(&text, _("Class document"), w, v);
			free(v);
		}
	}
	app_append_row(&text, _("Learning form"), w, app_json_str(form, "name"));
	json_array_foreach(json_object_get(json_object_get(form, "definition"), "fields"), i,
	    def) {
		v = progress_value(json_object_get(json_object_get(d, "fields"),
		    app_json_str(def, "key")));
		app_append_row(&text, app_json_str(def, "label"), w, v);
		free(v);
	}
	v = xasprintf("%lld", (long long)json_integer_value(json_object_get(d, "year")));
	app_append_row(&text, _("Counts toward year"), w, v);
	free(v);
	v = xasprintf("%s %s", app_json_str(d, "amount"),
	    progress_counts_name(app_json_str(d, "counts")));
	app_append_row(&text, strcmp(app_json_str(d, "counts"), "credits") == 0 ?
	    _("Credits") : _("Hours"), w, v);
	free(v);
	if (json_is_object(att)) {
		v = xasprintf(_("%s (%s, %s)"), app_json_str(att, "name"), app_json_str(att, "mime"),
		    format_size(json_integer_value(json_object_get(att, "size")), size,
		    sizeof size));
		app_append_row(&text, _("Attachment"), w, v);
		free(v);
	} else {
		app_append_row(&text, _("Attachment"), w, _("none"));
	}
	app_append_row(&text, _("State"), w, app_json_str(d, "state_label"));
	/* Pending: the step of its review chain deciding it now (单位审核, 人社部门审核). */
	if (*app_json_str(d, "review_step_label") != '\0')
		app_append_row(&text, _("Review step now"), w, app_json_str(d, "review_step_label"));
	progress_steps_text(&text, w, json_object_get(d, "steps"));
	if (*app_json_str(d, "submitted_at") != '\0')
		app_append_row(&text, _("Submitted"), w,
		    app_format_time(app_json_str(d, "submitted_at"), when, sizeof when));
	if (*app_json_str(d, "decided_at") != '\0') {
		app_append_row(&text, _("Decided"), w,
		    app_format_time(app_json_str(d, "decided_at"), when, sizeof when));
		app_append_row(&text, _("Decided by"), w,
		    app_json_str(json_object_get(d, "decided_by"), "name"));
	}
	if (*app_json_str(d, "reject_reason") != '\0')
		app_append_row(&text, _("Reason"), w, app_json_str(d, "reject_reason"));

	v = xasprintf("%s\n%s\n", text, _("Decision history"));
	free(text);
	text = v;
	json_array_foreach(json_object_get(d, "history"), i, h) {
		json_t *actor = json_object_get(h, "actor");
		const char *action = app_json_str(h, "action");
		/* The state after it, unless the action's own word says it ("rejected"). */
		const char *to = strcmp(action, "approve") == 0 || strcmp(action, "reject") == 0 ||
		    strcmp(action, "delete") == 0 ? "" : app_json_str(h, "to_label");
		char *row = xasprintf("%s  %s%s%s  %s%s%s\n",
		    app_format_time(app_json_str(h, "at"), when, sizeof when),
		    progress_action_name(action), *to != '\0' ? " → " : "", to,
		    json_is_object(actor) ? app_json_str(actor, "name") : "",
		    *app_json_str(h, "reason") != '\0' ? "  " : "", app_json_str(h, "reason"));

		v = xasprintf("%s%s", text, row);
		free(text);
		free(row);
		text = v;
	}
	return text;
}

/* A transition (withdraw, delete, revise) of declaration id.  Returns the result or NULL. */
static json_t *
progress_transition(struct progress *p, const char *method, json_int_t id)
{
	struct rpc_error err;
	json_t *result = app_call(p->app, method, json_pack("{s:I}", "id", id), &err);

	if (result == NULL)
		progress_say(p, err.message, true);
	return result;
}

/* declaration.get of id, or NULL (said). */
static json_t *
progress_get(struct progress *p, json_int_t id)
{
	struct rpc_error err;
	json_t *result = app_call(p->app, "declaration.get", json_pack("{s:I}", "id", id), &err);

	if (result == NULL)
		progress_say(p, err.message, true);
	return result;
}

/*
 * Change the state of declaration id by method, asked first (title,
 * question) unless question is NULL, and say done (unless NULL).  Returns
 * -1 when the person said no, 0 when it failed (said), 1 when done.
 */
static int
progress_change(struct progress *p, json_int_t id, const char *method, const char *title,
    const char *question, const char *done)
{
	json_t *r;

	if (question != NULL && !ui_confirm_safe(title, question))
		return -1;
	if ((r = progress_transition(p, method, id)) == NULL)
		return 0;
	json_decref(r);
	if (done != NULL)
		progress_say(p, done, false);
	return 1;
}

/*
 * Do what key asks of the declaration d (a detail), when its actions offer
 * it (g: its attachment).  Returns -1 to quit, 1 when the list should be
 * read again, 0 otherwise.
 */
static int
progress_act(struct progress *p, json_t *d, int key)
{
	json_int_t id = json_integer_value(json_object_get(d, "id"));
	int action = progress_action_of_key(key);
	json_t *fresh;
	int rc;

	if (action >= 0 && (progress_action_bits(d) & (1u << action)) == 0) {
		progress_say(p, _("This declaration does not allow that now."), true);
		return 0;
	}
	switch (key) {
	case 'w':
		return progress_change(p, id, "declaration.withdraw", _("Withdraw"),
		    _("Withdraw this declaration from review? It goes back to the drafts, where "
		    "you can change and submit it again."),
		    _("Withdrawn: the declaration is a draft again.")) < 0 ? 0 : 1;
	case 's':
		return progress_change(p, id, "declaration.submit", NULL, NULL,
		    _("Submitted: the declaration waits for review.")) < 0 ? 0 : 1;
	case 'd':
		return progress_change(p, id, "declaration.delete", _("Delete"),
		    _("Delete this draft for good?"), _("The draft was deleted.")) < 0 ? 0 : 1;
	case 'e':
		rc = declare_edit_run(p->app, d);
		ui_set_backdrop(progress_paint, p);
		ui_help_set(progress_keys_help);
		return rc != 0 ? -1 : 1;
	case 'v':
		if ((rc = progress_change(p, id, "declaration.revise", _("Revise"),
		    _("Revise this declaration? It becomes a draft that you can change and submit "
		    "again."), NULL)) <= 0)
			return rc < 0 ? 0 : 1;
		if ((fresh = progress_get(p, id)) == NULL)
			return 1;
		rc = declare_edit_run(p->app, fresh);
		json_decref(fresh);
		ui_set_backdrop(progress_paint, p);
		ui_help_set(progress_keys_help);
		return rc != 0 ? -1 : 1;
	case 'g':
		if (!json_is_object(json_object_get(d, "attachment"))) {
			progress_say(p, _("This declaration has no attachment."), true);
			return 0;
		}
		declare_download(p->app, json_object_get(d, "attachment"));
		return 0;
	}
	return 0;
}

/* The keys a detail offers (its actions, g for an attachment) and their hints. */
static void
progress_keys(json_t *d, char *keys, size_t size, char **hints)
{
	unsigned bits = progress_action_bits(d);
	bool att = json_is_object(json_object_get(d, "attachment"));
	char *actions = progress_action_hints(bits);
	size_t n = 0;

	for (size_t a = 0; a < PROGRESS_NACTIONS && n + 2 < size; a++) {
		if (bits & (1u << a))
			keys[n++] = (char)progress_actions[a].key;
	}
	if (att)
		keys[n++] = 'g';
	keys[n] = '\0';
	*hints = xasprintf("%s%s%s", actions, att ? _("g: download the attachment  ") : "",
	    _("Esc: close"));
	free(actions);
}

/* Enter: the declaration under the cursor in full; its actions from there. */
static int
progress_detail(struct progress *p, int direct)
{
	char keys[16], *hints, *text;
	json_t *d;
	int key, rc = 0;

	if (p->n == 0)
		return 0;
	if ((d = progress_get(p, p->items[p->cur].id)) == NULL)
		return 1;
	progress_keys(d, keys, sizeof keys, &hints);
	if (direct != 0) {
		key = strchr(keys, direct) != NULL ? direct : 0;
		if (key == 0)
			rc = progress_act(p, d, direct);
	} else {
		text = progress_detail_text(d);
		key = ui_pager(app_json_str(json_object_get(d, "form"), "name"), text, hints, keys);
		free(text);
		if (key < 0)
			rc = -1;
	}
	if (key > 0)
		rc = progress_act(p, d, key);
	free(hints);
	json_decref(d);
	return rc;
}

/* Show tab: its list from the top. */
static void
progress_tab(struct progress *p, int tab)
{
	p->tab = tab;
	p->cur = p->top = 0;
	progress_clear(p);
	progress_say(p, "", false);
	progress_load(p, false);
}

/* app_paged_key's load_more: the next page; how many records there are now. */
static size_t
progress_more(void *arg)
{
	struct progress *p = arg;

	progress_load(p, true);
	return p->n;
}

enum screen_id
screen_progress_run(struct app *a)
{
	struct progress p = { .app = a, .tab = progress_last.tab };
	struct ui_event ev;
	enum screen_id next = SCREEN_HOME;
	unsigned seen = a->changes;
	int rc;

	ui_set_backdrop(progress_paint, &p);
	ui_help_set(progress_keys_help);
	progress_load(&p, false);
	/* Back on the record of the last visit, if it is still in the first pages. */
	while (progress_last.id != 0) {
		size_t i;

		for (i = 0; i < p.n && p.items[i].id != progress_last.id; i++)
			;
		if (i < p.n) {
			p.cur = i;
			break;
		}
		if (p.next == NULL || p.n >= PROGRESS_LIMIT)
			break;
		progress_load(&p, true);
	}
	for (;;) {
		/* A record changed (record.changed): show it as it is now, and say what changed. */
		if (app_changed(a, &seen)) {
			size_t cur = p.cur;

			progress_load(&p, false);
			p.cur = cur < p.n ? cur : p.n > 0 ? p.n - 1 : 0;
			progress_say(&p, a->change_message, false);
		}
		if (app_next_event(a, &ev)) {
			next = SCREEN_QUIT;
			break;
		}
		if (app_paged_key(&ev, &p.cur, p.n, p.rows, p.next != NULL, progress_more, &p))
			continue;
		rc = 0;
		if (ev.type == UI_EV_CHAR) {
			if (ev.ch >= '1' && ev.ch < '1' + PROGRESS_TABS) {
				progress_tab(&p, (int)(ev.ch - '1'));
				continue;
			}
			switch (ev.ch) {
			case 'w':
			case 'e':
			case 's':
			case 'd':
			case 'v':
			case 'g':
				progress_say(&p, "", false);
				rc = progress_detail(&p, (int)ev.ch);
				break;
			case 'q':
				goto out;
			}
		} else if (ev.type == UI_EV_KEY) {
			switch (ev.key) {
			case UI_KEY_ESC:
				goto out;
			case KEY_LEFT:
			case KEY_RIGHT:
				progress_tab(&p, (p.tab + (ev.key == KEY_LEFT ? PROGRESS_TABS - 1 :
				    1)) % PROGRESS_TABS);
				break;
			case UI_KEY_ENTER:
				progress_say(&p, "", false);
				rc = progress_detail(&p, 0);
				break;
			case KEY_F(5):
				progress_say(&p, "", false);
				progress_load(&p, false);
				break;
			}
		}
		if (rc < 0 || a->restart) {
			next = SCREEN_QUIT;
			break;
		}
		if (rc > 0)
			progress_load(&p, false);
	}
out:
	progress_last.tab = p.tab;
	progress_last.id = p.cur < p.n ? p.items[p.cur].id : 0;
	ui_set_backdrop(NULL, NULL);
	progress_clear(&p);
	free(p.items);
	return next;
}
