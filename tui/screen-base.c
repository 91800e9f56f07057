/*
 * screen-base.c - a training base's classes (班次管理), the home of its
 * administrator: the classes newest first, a page at a time (the queue
 * widget, class.list), each with its state and its roster's counts (rows,
 * bad rows, people not registered yet), and the base's classes per state
 * above them.
 *
 * n 新建班次, Enter opens a class's roster (screen-base-roster.c), e edits
 * a draft, d deletes one, r reports a class (class.report: refused while
 * bad rows remain, and the daemon says why), w withdraws a report.  What
 * may be done to a class is the daemon's to decide: a refusal is shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "base.h"
#include "keys.h"
#include "queue.h"
#include "text.h"
#include "xmalloc.h"

struct base {
	json_t		*forms;		/* class.forms' result; NULL when it failed */
	json_t		*counts;	/* class.list's counts per state */
	char		 forms_error[256];
};

enum base_column { BASE_NAME, BASE_FORM, BASE_START, BASE_STATE, BASE_ROWS, BASE_BAD,
	BASE_UNCLAIMED, BASE_APPROVED };

static const struct queue_column base_columns[] = {
	[BASE_NAME] = { N_("Class"), 8, 0, false },
	/* Short English headings, so that 80 columns leave the class's name room. */
	[BASE_FORM] = { N_("Form"), 6, 10, false },
	[BASE_START] = { N_("Start date"), 10, 10, false },
	[BASE_STATE] = { N_("State"), 4, 8, false },
	[BASE_ROWS] = { N_("Rows"), 4, 6, true },
	[BASE_BAD] = { N_("Bad rows"), 4, 6, true },
	[BASE_UNCLAIMED] = { N_("Unclaimed"), 4, 6, true },
	[BASE_APPROVED] = { N_("Passed"), 5, 11, true },
};

char *
base_class_counts(json_t *klass)
{
	json_t *roster = json_object_get(klass, "roster");
	char *text = xasprintf(_("%s · %lld rows"), app_json_str(klass, "state_label"),
	    (long long)json_integer_value(json_object_get(roster, "rows")));
	json_int_t bad = json_integer_value(json_object_get(roster, "bad"));
	json_int_t unclaimed = json_integer_value(json_object_get(roster, "unclaimed"));

	if (bad > 0)
		app_appendf(&text, _(" · %lld bad"), (long long)bad);
	if (unclaimed > 0)
		app_appendf(&text, _(" · %lld not registered"), (long long)unclaimed);
	return text;
}

static void
base_loaded(struct queue *q, json_t *result, bool more)
{
	struct base *b = q->arg;

	if (more)
		return;
	json_decref(b->counts);
	b->counts = json_incref(json_object_get(result, "counts"));
}

/* The count of the base's classes in state (class.list's counts). */
static long long
base_count(struct base *b, const char *state)
{
	return (long long)json_integer_value(json_object_get(b->counts, state));
}

static void
base_paint_head(struct queue *q)
{
	struct base *b = q->arg;
	const char *base = app_json_str(json_object_get(json_object_get(q->app->me, "account"),
	    "base"), "name");
	/* The counts first: a long base name is what gets cut. */
	char *line = xasprintf(_("%lld classes: %lld drafts, %lld reported, %lld withdrawn · "
	    "%s"), base_count(b, "all"), base_count(b, "draft"), base_count(b, "reported"),
	    base_count(b, "withdrawn"), base);

	ui_put(1, 1, COLS - 2, line, UI_TITLE, false);
	free(line);
	if (b->forms == NULL && q->message[0] == '\0')
		ui_message_line(b->forms_error, true);
}

/*
 * The report's records as the units decided them: approved of all, "5/9";
 * marked when one was rejected (the roster says whose and why).  Empty
 * for a class not reported.
 */
static char *
base_records_cell(json_t *item, enum ui_style *style)
{
	json_t *records = json_object_get(item, "records");
	json_int_t approved = json_integer_value(json_object_get(records, "approved"));
	json_int_t all = approved + json_integer_value(json_object_get(records, "pending")) +
	    json_integer_value(json_object_get(records, "rejected"));

	if (strcmp(app_json_str(item, "state"), "reported") != 0)
		return xstrdup("");
	if (all > approved + json_integer_value(json_object_get(records, "pending")) &&
	    *style != UI_SELECTED)
		*style = UI_ERROR;
	return xasprintf("%lld/%lld", (long long)approved, (long long)all);
}

static char *
base_cell(struct queue *q, json_t *item, size_t col, int width, enum ui_style *style)
{
	json_t *roster = json_object_get(item, "roster");
	json_int_t n;

	(void)q;
	(void)width;
	switch (col) {
	case BASE_NAME:
		return xstrdup(app_json_str(item, "name"));
	case BASE_FORM:
		return xstrdup(app_json_str(json_object_get(item, "form"), "name"));
	case BASE_START:
		return xstrdup(app_json_str(item, "start_date"));
	case BASE_STATE:
		return xstrdup(app_json_str(item, "state_label"));
	case BASE_ROWS:
		return xasprintf("%lld", (long long)json_integer_value(json_object_get(roster,
		    "rows")));
	case BASE_BAD:
		n = json_integer_value(json_object_get(roster, "bad"));
		if (n > 0 && *style != UI_SELECTED)
			*style = UI_ERROR;
		return xasprintf("%lld", (long long)n);
	case BASE_UNCLAIMED:
		return xasprintf("%lld", (long long)json_integer_value(json_object_get(roster,
		    "unclaimed")));
	default:
		return base_records_cell(item, style);
	}
}

/* Whether the class is in state. */
static bool
base_is(json_t *item, const char *state)
{
	return strcmp(app_json_str(item, "state"), state) == 0;
}

/* n: a new draft; its roster opens once it is saved.  -1: quit. */
static int
base_new(struct queue *q)
{
	struct base *b = q->arg;
	json_int_t id;

	if (b->forms == NULL) {
		queue_say(q, b->forms_error, true);
		return 0;
	}
	id = base_class_edit(q->app, b->forms, NULL);
	ui_set_backdrop(queue_paint, q);
	if (id < 0)
		return -1;
	queue_refilter(q);
	if (id == 0)
		return 0;
	id = base_roster_run(q->app, id);
	ui_set_backdrop(queue_paint, q);
	queue_reload(q);
	return id < 0 ? -1 : 0;
}

/* e: change a draft (class.get for its current values).  -1: quit. */
static int
base_edit(struct queue *q, json_t *item)
{
	struct base *b = q->arg;
	struct rpc_error err;
	json_t *klass;
	json_int_t id;

	if (!base_is(item, "draft")) {
		queue_say(q, _("Only a draft can be changed; a reported class is corrected in its "
		    "roster (Enter)."), true);
		return 0;
	}
	if (b->forms == NULL) {
		queue_say(q, b->forms_error, true);
		return 0;
	}
	klass = app_call(q->app, "class.get", json_pack("{s:I}", "id",
	    json_integer_value(json_object_get(item, "id"))), &err);
	if (klass == NULL) {
		queue_say(q, err.message, true);
		return q->app->restart ? -1 : 0;
	}
	id = base_class_edit(q->app, b->forms, klass);
	json_decref(klass);
	ui_set_backdrop(queue_paint, q);
	if (id > 0)
		queue_say(q, _("The class is saved."), false);
	queue_reload(q);
	return id < 0 ? -1 : 0;
}

/* d: delete a draft, after asking. */
static void
base_delete(struct queue *q, json_t *item)
{
	struct rpc_error err;
	json_t *result;
	char *question;

	if (!base_is(item, "draft")) {
		queue_say(q, _("Only a draft can be deleted."), true);
		return;
	}
	question = xasprintf(_("Delete the draft class %s and its roster? This cannot be "
	    "undone."), app_json_str(item, "name"));
	if (!ui_confirm_safe(_("Delete class"), question)) {
		free(question);
		return;
	}
	free(question);
	result = app_call(q->app, "class.delete", json_pack("{s:I, s:I}", "id",
	    json_integer_value(json_object_get(item, "id")), "version",
	    json_integer_value(json_object_get(item, "version"))), &err);
	if (result == NULL) {
		queue_say(q, err.message, true);
	} else {
		queue_say(q, _("The class is deleted."), false);
		json_decref(result);
	}
	queue_reload(q);
}

void
base_report_class(struct app *a, json_t *klass, bool withdraw, char *said, size_t size,
    bool *error)
{
	struct rpc_error err;
	json_t *result, *params;
	char *question, *text = NULL;

	question = withdraw ? xasprintf(_("Withdraw the report of %s? Its records are taken "
	    "back from the people and their units."), app_json_str(klass, "name")) :
	    xasprintf(_("Report %s? Each registered attendee gets a record of it."),
	    app_json_str(klass, "name"));
	if (!(withdraw ? ui_confirm_safe(_("Withdraw report"), question) :
	    ui_confirm(_("Report class"), question))) {
		free(question);
		return;
	}
	free(question);
	params = json_pack("{s:I}", "id", json_integer_value(json_object_get(klass, "id")));
	if (!withdraw)
		json_object_set_new(params, "version", json_integer(json_integer_value(
		    json_object_get(klass, "version"))));
	result = app_call(a, withdraw ? "class.withdraw" : "class.report", params, &err);
	if (result == NULL) {
		if (a->restart)
			return;
		/* Every problem at once: each bad row, the dates, the form. */
		for (size_t i = 0; i < err.nproblems && err.nproblems > 1; i++)
			app_appendf(&text, "%s\n", err.problems[i].message);
		ui_message(withdraw ? _("Withdraw report") : _("Report class"),
		    text != NULL ? text : err.message);
		app_say(said, size, error, err.message, true);
	} else if (withdraw) {
		text = xasprintf(_("The report is withdrawn: %lld records taken back."),
		    (long long)json_integer_value(json_object_get(result, "records")));
		app_say(said, size, error, text, false);
	} else {
		text = xasprintf(_("Reported: %lld records made; %lld people not registered yet "
		    "get theirs when they register."),
		    (long long)json_integer_value(json_object_get(result, "records")),
		    (long long)json_integer_value(json_object_get(result, "unclaimed")));
		app_say(said, size, error, text, false);
	}
	free(text);
	json_decref(result);
}

/* r and w on the class under the cursor. */
static void
base_report(struct queue *q, json_t *item, bool withdraw)
{
	char said[1024];
	bool error = false;

	said[0] = '\0';
	base_report_class(q->app, item, withdraw, said, sizeof said, &error);
	if (said[0] != '\0')
		queue_say(q, said, error);
	queue_reload(q);
}

/*
 * g: the class document saved to this computer (class.attachment in
 * chunks, checked against its sha256, which its first chunk names).
 */
static void
base_download(struct queue *q, json_t *item)
{
	json_t *att = json_object_get(item, "attachment"), *head, *doc;
	json_int_t id = json_integer_value(json_object_get(item, "id"));
	struct rpc_error err;

	if (!json_is_object(att)) {
		queue_say(q, _("This class has no class document."), true);
		return;
	}
	head = app_call(q->app, "class.attachment", json_pack("{s:I, s:i}", "id", id, "length",
	    1), &err);
	if (head == NULL) {
		queue_say(q, err.message, true);
		return;
	}
	doc = json_pack("{s:s, s:O, s:s}", "name", app_json_str(head, "name"),
	    "size", json_object_get(head, "size"), "sha256", app_json_str(head, "sha256"));
	declare_download_from(q->app, doc, "class.attachment", json_pack("{s:I}", "id", id));
	json_decref(doc);
	json_decref(head);
}

/* Enter: the class's roster. */
static int
base_detail(struct queue *q, json_t *item)
{
	int rc = base_roster_run(q->app, json_integer_value(json_object_get(item, "id")));

	ui_set_backdrop(queue_paint, q);
	queue_reload(q);
	return rc;
}

static int
base_key(struct queue *q, const struct ui_event *ev)
{
	json_t *item = queue_current(q);

	if (ev->type != UI_EV_CHAR)
		return 0;
	if (ev->ch == 'n')
		return base_new(q) < 0 ? -1 : 1;
	if (item == NULL || strchr("edrwg", (int)ev->ch) == NULL)
		return 0;
	switch (ev->ch) {
	case 'g':
		base_download(q, item);
		break;
	case 'e':
		return base_edit(q, item) < 0 ? -1 : 1;
	case 'd':
		base_delete(q, item);
		break;
	case 'r':
		base_report(q, item, false);
		break;
	default:
		base_report(q, item, true);
		break;
	}
	return q->app->restart ? -1 : 1;
}

static const struct queue_ops base_ops = {
	.header = N_("Continuing Education · Training base classes"),
	.method = "class.list",
	.id_key = "id",
	.columns = base_columns,
	.ncolumns = sizeof base_columns / sizeof base_columns[0],
	.head_lines = 1,
	.empty = N_("No class yet: press n for a new class."),
	.hints = N_("n: new class  Enter: roster  e: edit  d: delete  r: report  w: withdraw  "
	    "Esc: back"),
	.keys = base_keys,
	.loaded = base_loaded,
	.paint_head = base_paint_head,
	.cell = base_cell,
	.detail = base_detail,
	.key = base_key,
};

enum screen_id
screen_base_run(struct app *a)
{
	struct base b = { 0 };
	struct rpc_error err;
	enum screen_id next;

	/* Without the forms the list still shows; n and e say why they cannot. */
	if ((b.forms = app_call(a, "class.forms", NULL, &err)) == NULL)
		app_copy(b.forms_error, sizeof b.forms_error, err.message);
	next = a->restart ? SCREEN_QUIT : queue_run(&base_ops, a, &b);
	json_decref(b.forms);
	json_decref(b.counts);
	return next;
}
