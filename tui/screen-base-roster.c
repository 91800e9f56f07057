/*
 * screen-base-roster.c - a class's roster (名单): its rows (身份证号, 姓名,
 * 学时) in the order they came, a page at a time (the queue widget,
 * roster.list), bad rows marked "!" with their reason (Enter shows it
 * whole), people not registered yet marked as such, and after the report
 * each row's record (pending, approved, rejected with the reason).
 *
 * A draft's roster: a adds rows typed or pasted ("ID,name[,hours]", or
 * tab-separated as copied from Excel), c changes a row, x removes the
 * selected rows (or the one under the cursor), i imports a CSV file
 * (UTF-8 or GB18030; the daemon says which it read and lists every bad
 * row at once).  A reported class: c changes a row's hours, x withdraws
 * rows, w withdraws the whole report -- as far as the daemon allows.  r
 * reports the class.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curses.h>
#include <sodium.h>

#include "base.h"
#include "keys.h"
#include "queue.h"
#include "text.h"
#include "xmalloc.h"

#define ROSTER_PASTE_MAX	500	/* rows of one roster.add */
#define ROSTER_LINE_MAX		200	/* characters of a typed line */
#define ROSTER_FILE_MAX		(64L << 20)	/* bytes of a file read (the daemon bounds it lower) */
#define ROSTER_PATH_MAX		1024

struct roster {
	json_int_t	 id;		/* the class */
	json_t		*klass;		/* class.get's result; NULL when it failed */
	bool		 problems_only;
};

enum roster_column { ROSTER_LINE, ROSTER_ID, ROSTER_NAME, ROSTER_AMOUNT, ROSTER_STATUS };

static const struct queue_column roster_columns[] = {
	[ROSTER_LINE] = { N_("Line"), 4, 6, true },
	[ROSTER_ID] = { N_("ID number"), 18, 18, false },
	[ROSTER_NAME] = { N_("Name"), 6, 10, false },
	[ROSTER_AMOUNT] = { N_("Hours/credits"), 5, 8, true },
	[ROSTER_STATUS] = { N_("Status"), 8, 0, false },
};

static bool
roster_draft(struct roster *r)
{
	return strcmp(app_json_str(r->klass, "state"), "draft") == 0;
}

/* A row's record, when the class is reported: {id, state, state_label, reject_reason}. */
static json_t *
roster_record(json_t *row)
{
	json_t *record = json_object_get(row, "record");

	return json_is_object(record) ? record : NULL;
}

/* What became of a row, in words (the record's state in the daemon's).  Caller frees. */
static char *
roster_status(json_t *row, enum ui_style *style)
{
	json_t *problem = json_object_get(row, "problem"), *record = roster_record(row);
	const char *reason = app_json_str(record, "reject_reason");

	if (json_is_true(json_object_get(row, "withdrawn")))
		return xstrdup(_("withdrawn from the report"));
	if (json_is_object(problem)) {
		*style = *style == UI_SELECTED ? *style : UI_ERROR;
		return xstrdup(app_json_str(problem, "message"));
	}
	if (record != NULL && *reason != '\0') {
		*style = *style == UI_SELECTED ? *style : UI_ERROR;
		return xasprintf(_("%s: %s"), app_json_str(record, "state_label"), reason);
	}
	if (record != NULL)
		return xstrdup(app_json_str(record, "state_label"));
	if (!json_is_true(json_object_get(row, "claimed")))
		return xstrdup(_("not registered yet"));
	return xstrdup(_("ok"));
}

static char *
roster_cell(struct queue *q, json_t *item, size_t col, int width, enum ui_style *style)
{
	struct roster *r = q->arg;
	json_t *line = json_object_get(item, "line");

	(void)width;
	switch (col) {
	case ROSTER_LINE:
		return json_is_integer(line) ? xasprintf("%lld",
		    (long long)json_integer_value(line)) : xstrdup("-");
	case ROSTER_ID:
		return xstrdup(app_json_str(item, "id_number"));
	case ROSTER_NAME:
		return xstrdup(app_json_str(item, "name"));
	case ROSTER_AMOUNT:
		/* A row without its own hours has the class's. */
		return xstrdup(json_is_string(json_object_get(item, "amount")) ?
		    app_json_str(item, "amount") : app_json_str(r->klass, "amount"));
	default:
		return roster_status(item, style);
	}
}

static const char *
roster_mark(struct queue *q, json_t *item)
{
	(void)q;
	return json_is_object(json_object_get(item, "problem")) ? "!" : NULL;
}

static const char *
roster_foot(struct queue *q)
{
	(void)q;
	return _("; !: a bad row (Enter: why)");
}

static void
roster_params(struct queue *q, json_t *params)
{
	struct roster *r = q->arg;

	json_object_set_new(params, "class_id", json_integer(r->id));
	if (r->problems_only)
		json_object_set_new(params, "problems_only", json_true());
}

/* Every page read from the start: the class again too (its state, counts and version). */
static void
roster_loaded(struct queue *q, json_t *result, bool more)
{
	struct roster *r = q->arg;
	struct rpc_error err;
	json_t *klass;

	(void)result;
	if (more)
		return;
	klass = app_call(q->app, "class.get", json_pack("{s:I}", "id", r->id), &err);
	if (klass == NULL) {
		queue_say(q, err.message, true);
		return;
	}
	json_decref(r->klass);
	r->klass = klass;
}

/*
 * The records of a reported class by state ("待审核 2 · 审核通过 1"), counted
 * over its rows when all of them are read (the daemon counts none per
 * class); NULL otherwise.  Caller frees.
 */
static char *
roster_record_counts(struct queue *q)
{
	static const char *const states[] = { "pending", "approved", "rejected" };
	struct roster *r = q->arg;
	char *text = NULL;
	json_t *item;
	size_t i;

	if (roster_draft(r) || r->problems_only || q->next != NULL)
		return NULL;
	for (size_t k = 0; k < sizeof states / sizeof states[0]; k++) {
		const char *label = NULL;
		long n = 0;

		json_array_foreach(q->items, i, item) {
			json_t *record = roster_record(item);

			if (record != NULL && !json_is_true(json_object_get(item, "withdrawn")) &&
			    strcmp(app_json_str(record, "state"), states[k]) == 0) {
				label = app_json_str(record, "state_label");
				n++;
			}
		}
		if (n > 0)
			app_appendf(&text, "%s%s %ld", text != NULL ? " · " : "", label, n);
	}
	return text;
}

static void
roster_paint_head(struct queue *q)
{
	struct roster *r = q->arg;
	char *counts = base_class_counts(r->klass), *records = roster_record_counts(q);

	if (records != NULL) {
		app_appendf(&counts, " (%s)", records);
		free(records);
	}
	/* The counts first: a long class or form name is what gets cut. */
	char *about = xasprintf(_("%s · %s · %s ~ %s · counts toward %lld · %s per attendee"),
	    counts, app_json_str(json_object_get(r->klass, "form"), "name"),
	    app_json_str(r->klass, "start_date"), app_json_str(r->klass, "end_date"),
	    (long long)json_integer_value(json_object_get(r->klass, "year")),
	    app_json_str(r->klass, "amount"));

	ui_put(1, 1, COLS - 2, app_json_str(r->klass, "name"), UI_TITLE, false);
	ui_put(2, 1, COLS - 2, about, UI_NORMAL, false);
	ui_put(3, 1, COLS - 2, r->problems_only ? _("Showing the bad rows only (p: all rows)") :
	    roster_draft(r) ? _("a: add rows  c: change  x: remove  i: import a CSV file  "
	    "p: bad rows only") : _("c: change hours  x: withdraw rows  w: withdraw the report"),
	    UI_HINT, false);
	free(about);
	free(counts);
}

/* Enter: a row in full, its reason whole. */
static int
roster_detail(struct queue *q, json_t *item)
{
	enum ui_style st = UI_NORMAL;
	char *status = roster_status(item, &st), *text = NULL, *amount;
	json_t *line = json_object_get(item, "line");
	int w = text_width(_("ID number")) > text_width(_("Status")) ?
	    text_width(_("ID number")) : text_width(_("Status"));

	amount = roster_cell(q, item, ROSTER_AMOUNT, 0, &st);
	if (json_is_integer(line)) {
		char n[24];

		snprintf(n, sizeof n, "%lld", (long long)json_integer_value(line));
		app_append_row(&text, _("Line"), w, n);
	}
	app_append_row(&text, _("ID number"), w, app_json_str(item, "id_number"));
	app_append_row(&text, _("Name"), w, app_json_str(item, "name"));
	app_append_row(&text, _("Hours/credits"), w, amount);
	app_append_row(&text, _("Status"), w, status);
	ui_message(_("Roster row"), text);
	free(text);
	free(amount);
	free(status);
	return 0;
}

/* The problems of a roster change's reply, one line each ("第 3 行 ID 姓名：reason"). */
static char *
roster_problems_text(json_t *result)
{
	json_t *p;
	size_t i;
	char *text = NULL;

	json_array_foreach(json_object_get(result, "problems"), i, p) {
		json_t *line = json_object_get(p, "line");

		if (json_is_integer(line))
			app_appendf(&text, _("Line %lld: %s %s: %s\n"),
			    (long long)json_integer_value(line), app_json_str(p, "id_number"),
			    app_json_str(p, "name"), app_json_str(p, "message"));
		else
			app_appendf(&text, _("%s %s: %s\n"), app_json_str(p, "id_number"),
			    app_json_str(p, "name"), app_json_str(p, "message"));
	}
	if (json_is_true(json_object_get(result, "problems_more")))
		app_appendf(&text, "%s\n", _("More bad rows than shown: p lists them all."));
	return text;
}

/* Say what a roster change did; the bad rows, all at once, in a pager. */
static void
roster_summary(struct queue *q, json_t *result, const char *title)
{
	const char *encoding = app_json_str(result, "encoding");
	json_int_t bad = json_integer_value(json_object_get(result, "bad"));
	char *line, *problems = roster_problems_text(result), *text;

	json_int_t taken = json_integer_value(json_object_get(result, "taken"));
	long long rows = (long long)json_integer_value(json_object_get(result, "rows"));
	long long unclaimed = (long long)json_integer_value(json_object_get(result, "unclaimed"));

	/* A row changed or removed takes none: then only the roster's counts are news. */
	line = taken > 0 ? xasprintf(_("%lld rows taken; the roster has %lld rows, %lld bad, "
	    "%lld not registered yet."), (long long)taken, rows, (long long)bad, unclaimed) :
	    xasprintf(_("Done; the roster has %lld rows, %lld bad, %lld not registered yet."),
	    rows, (long long)bad, unclaimed);
	queue_say(q, line, bad > 0);
	if (*encoding != '\0' || problems != NULL) {
		text = xasprintf("%s%s%s%s%s%s", *encoding != '\0' ? _("Encoding read: ") : "",
		    encoding, *encoding != '\0' ? "\n" : "", line,
		    problems != NULL ? "\n\n" : "", problems != NULL ? _("Bad rows:\n") : "");
		if (problems != NULL)
			app_appendf(&text, "%s", problems);
		ui_pager(title, text, NULL, NULL);
		free(text);
	}
	free(problems);
	free(line);
}

/* Cut one pasted or typed line into its fields: tab-separated, else by commas. */
static json_t *
roster_parse_line(char *s)
{
	char *fields[3] = { NULL, NULL, NULL }, *p = s, *sep;
	const char *delim = strchr(s, '\t') != NULL ? "\t" : strstr(s, "，") != NULL &&
	    strchr(s, ',') == NULL ? "，" : ",";
	json_t *row;
	int n = 0;

	while (n < 3 && p != NULL) {
		fields[n++] = p;
		if ((sep = strstr(p, delim)) != NULL) {
			*sep = '\0';
			p = sep + strlen(delim);
		} else {
			p = NULL;
		}
	}
	for (int i = 0; i < n; i++) {
		char *end;

		fields[i] += strspn(fields[i], " \r");
		end = fields[i] + strlen(fields[i]);
		while (end > fields[i] && (end[-1] == ' ' || end[-1] == '\r'))
			*--end = '\0';
	}
	row = json_pack("{s:s, s:s}", "id_number", fields[0] != NULL ? fields[0] : "",
	    "name", fields[1] != NULL ? fields[1] : "");
	if (fields[2] != NULL && *fields[2] != '\0')
		json_object_set_new(row, "amount", json_string(fields[2]));
	return row;
}

/* The paste box: the lines so far (the last that fit) and a box for the one being typed. */
struct roster_paste {
	struct queue	*q;		/* the backdrop */
	char		**lines;
	size_t		  n;
	struct ui_form	  form;		/* one text box */
};

static void
roster_paste_paint(struct roster_paste *p)
{
	int h = LINES - 6, w = COLS - 6, y0 = 2, x0 = 3, rows = h - 6;
	size_t first = p->n > (size_t)rows ? p->n - (size_t)rows : 0;
	struct ui_field *fd = ui_form_field(&p->form, 1);

	if (ui_paint_begin()) {
		queue_paint(p->q);
		ui_cursor_hide();
		for (int y = y0; y < y0 + h; y++)
			ui_fill(y, x0, w, UI_DIALOG);
		ui_box(y0, x0, h, w, _("Add rows"), UI_FRAME);
		ui_put(y0 + 1, x0 + 2, w - 4, _("A row a line: ID number, name, hours (may be "
		    "left out), by commas or tabs (copied from Excel)."), UI_DIALOG, false);
		for (size_t i = first; i < p->n; i++)
			ui_put(y0 + 3 + (int)(i - first), x0 + 2, w - 4, p->lines[i], UI_DIALOG,
			    false);
		fd->y = y0 + 3 + (int)(p->n - first);
		fd->x = x0 + 4;
		fd->width = w - 8;
		ui_put(fd->y, x0 + 2, 2, ">", UI_DIALOG, false);
		ui_form_draw(&p->form, true);
		ui_put(y0 + h - 2, x0 + 2, w - 4, _("Enter on an empty line: add these rows  "
		    "Esc: cancel"), UI_HINT, false);
	}
	ui_paint_end();
}

/* Take the typed line as a row (a blank one is dropped). */
static void
roster_paste_take(struct roster_paste *p)
{
	const char *line = ui_form_value(&p->form, 1);

	if (line[strspn(line, " \t\r")] != '\0') {
		p->lines = xrealloc(p->lines, (p->n + 1) * sizeof *p->lines);
		p->lines[p->n++] = xstrdup(line);
	}
	ui_form_set(&p->form, 1, NULL);
}

/*
 * Collect rows typed or pasted, a line each, until Enter on an empty line
 * (true when there are rows) or Esc (false).  A Tab (between Excel's
 * cells) becomes a comma, which the terminal can show.
 */
static bool
roster_paste_run(struct app *a, struct roster_paste *p)
{
	struct ui_event ev;
	char *tabbed;
	int id;

	ui_form_init(&p->form);
	ui_form_add_text(&p->form, 1, "", 40, ROSTER_LINE_MAX, false);
	for (;;) {
		roster_paste_paint(p);
		ui_next_event(&ev);
		if (ev.type == UI_EV_QUIT || a->restart || ui_is_quit_key(&ev) ||
		    (ev.type == UI_EV_KEY && ev.key == UI_KEY_ESC))
			return false;
		if (ev.type == UI_EV_KEY && ev.key == UI_KEY_ENTER) {
			if (*ui_form_value(&p->form, 1) == '\0')
				return p->n > 0;
			roster_paste_take(p);
			if (p->n >= ROSTER_PASTE_MAX)
				return true;
		} else if (ev.type == UI_EV_KEY && ev.key == UI_KEY_TAB) {
			/* Excel's cells come by tabs: a comma shows where one ends. */
			tabbed = xasprintf("%s,", ui_form_value(&p->form, 1));
			ui_form_set(&p->form, 1, tabbed);
			free(tabbed);
		} else {
			ui_form_key(&p->form, &ev, &id);
		}
	}
}

/* a: rows typed or pasted, added to the draft's roster. */
static void
roster_add(struct queue *q)
{
	struct roster *r = q->arg;
	struct roster_paste p = { .q = q };
	struct rpc_error err;
	json_t *rows, *result;

	if (roster_paste_run(q->app, &p)) {
		rows = json_array();
		for (size_t i = 0; i < p.n; i++)
			json_array_append_new(rows, roster_parse_line(p.lines[i]));
		result = app_call(q->app, "roster.add", json_pack("{s:I, s:o}", "class_id", r->id,
		    "rows", rows), &err);
		if (result == NULL)
			queue_say(q, err.message, true);
		else
			roster_summary(q, result, _("Add rows"));
		json_decref(result);
		queue_reload(q);
	}
	for (size_t i = 0; i < p.n; i++)
		free(p.lines[i]);
	free(p.lines);
	ui_form_free(&p.form);
}

/*
 * c on a draft's row: its ID number, name and hours as one line, changed
 * in the paste box's way ("ID,name,hours").
 */
static void
roster_change_draft(struct queue *q, json_t *item)
{
	struct rpc_error err;
	json_t *row, *params, *result;
	char *text, *typed;

	text = xasprintf(_("The row as \"ID number,name,hours\" (hours may be left out; now: "
	    "%s,%s,%s):"), app_json_str(item, "id_number"), app_json_str(item, "name"),
	    app_json_str(item, "amount"));
	typed = ui_prompt(_("Change a row"), text, _("Row"), ROSTER_LINE_MAX);
	free(text);
	if (typed == NULL)
		return;
	row = roster_parse_line(typed);
	free(typed);
	params = json_pack("{s:I, s:s, s:s, s:O}", "row_id",
	    json_integer_value(json_object_get(item, "id")),
	    "id_number", app_json_str(row, "id_number"), "name", app_json_str(row, "name"),
	    "amount", json_object_get(row, "amount") != NULL ? json_object_get(row, "amount") :
	    json_null());
	json_decref(row);
	if ((result = app_call(q->app, "roster.update", params, &err)) == NULL)
		queue_say(q, err.message, true);
	else
		roster_summary(q, result, _("Change a row"));
	json_decref(result);
	queue_reload(q);
}

/* c on a reported row: its hours (roster.change, while no record is decided). */
static void
roster_change_hours(struct queue *q, json_t *item)
{
	struct rpc_error err;
	json_t *result;
	char *text, *typed;

	text = xasprintf(_("New hours of %s (%s):"), app_json_str(item, "name"),
	    app_json_str(item, "id_number"));
	typed = ui_prompt(_("Change hours"), text, _("Hours"), 10);
	free(text);
	if (typed == NULL)
		return;
	result = app_call(q->app, "roster.change", json_pack("{s:I, s:s}", "row_id",
	    json_integer_value(json_object_get(item, "id")), "amount", typed), &err);
	free(typed);
	if (result == NULL) {
		queue_say(q, err.message, true);
	} else {
		text = xasprintf(_("The hours of %s are now %s."), app_json_str(item, "name"),
		    app_json_str(result, "amount"));
		queue_say(q, text, false);
		free(text);
	}
	json_decref(result);
	queue_reload(q);
}

/* The ids of the selected rows, else of the one under the cursor. */
static json_t *
roster_chosen(struct queue *q)
{
	json_t *ids = json_array(), *item;
	size_t i;

	json_array_foreach(q->items, i, item) {
		if (q->tagged[i])
			json_array_append_new(ids, json_integer(json_integer_value(
			    json_object_get(item, "id"))));
	}
	if (json_array_size(ids) == 0 && (item = queue_current(q)) != NULL)
		json_array_append_new(ids, json_integer(json_integer_value(json_object_get(item,
		    "id"))));
	return ids;
}

/* x: remove rows from a draft, or withdraw them from a report; every refusal at once. */
static void
roster_remove(struct queue *q)
{
	struct roster *r = q->arg;
	struct rpc_error err;
	json_t *ids = roster_chosen(q), *result;
	bool draft = roster_draft(r);
	size_t n = json_array_size(ids);
	char *question, *text = NULL;

	if (n == 0) {
		json_decref(ids);
		return;
	}
	question = draft ? xasprintf(_("Remove %zu rows from the roster?"), n) :
	    xasprintf(_("Withdraw %zu rows from the report? Their records are taken back."), n);
	if (!ui_confirm_safe(draft ? _("Remove rows") : _("Withdraw rows"), question)) {
		free(question);
		json_decref(ids);
		return;
	}
	free(question);
	result = app_call(q->app, draft ? "roster.remove" : "roster.withdraw",
	    json_pack("{s:I, s:o}", "class_id", r->id, "row_ids", ids), &err);
	if (result == NULL) {
		for (size_t i = 0; i < err.nproblems && err.nproblems > 1; i++)
			app_appendf(&text, "%s\n", err.problems[i].message);
		if (text != NULL)
			ui_message(_("Withdraw rows"), text);
		queue_say(q, err.message, true);
		free(text);
	} else if (draft) {
		roster_summary(q, result, _("Remove rows"));
	} else {
		text = xasprintf(_("%lld rows withdrawn, %lld records taken back."),
		    (long long)json_integer_value(json_object_get(result, "withdrawn")),
		    (long long)json_integer_value(json_object_get(result, "records")));
		queue_say(q, text, false);
		free(text);
	}
	json_decref(result);
	queue_reload(q);
}

/* Read the file at path (at most ROSTER_FILE_MAX bytes) as base64.  NULL: said in buf. */
static char *
roster_read_file(const char *path, char *buf, size_t size)
{
	struct stat st;
	unsigned char *data;
	char *b64 = NULL, *text;
	size_t got = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		text = xasprintf(_("Cannot read %s: %s"), path, strerror(errno));
		app_copy(buf, size, text);
		free(text);
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > ROSTER_FILE_MAX) {
		text = S_ISREG(st.st_mode) ? xasprintf(_("%s is too big for a roster."), path) :
		    xasprintf(_("%s is not a file."), path);
		app_copy(buf, size, text);
		free(text);
		close(fd);
		return NULL;
	}
	data = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size && ((n = read(fd, data + got,
	    (size_t)st.st_size - got)) > 0 || (n == -1 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	close(fd);
	if (got > 0) {
		size_t len = sodium_base64_encoded_len(got, sodium_base64_VARIANT_ORIGINAL);

		b64 = xmalloc(len);
		sodium_bin2base64(b64, len, data, got, sodium_base64_VARIANT_ORIGINAL);
	} else {
		text = xasprintf(_("%s is empty."), path);
		app_copy(buf, size, text);
		free(text);
	}
	free(data);
	return b64;
}

/*
 * The roster's import, from the file's base64 (data) or from the session's
 * inbox (inbox: its name there); asks first whether the file's rows replace
 * the roster's when it has some.  Says what it did: every bad row at once.
 */
static void
roster_import_send(struct queue *q, const char *data, const char *inbox)
{
	struct roster *r = q->arg;
	struct rpc_error err;
	json_t *params, *result;
	bool replace = false;

	if (json_integer_value(json_object_get(json_object_get(r->klass, "roster"), "rows")) > 0)
		replace = ui_confirm(_("Import a CSV file"), _("The roster has rows already. "
		    "Replace them with the file's rows? (No: add the file's rows to them.)"));
	params = json_pack("{s:I, s:b}", "class_id", r->id, "replace", replace);
	json_object_set_new(params, data != NULL ? "data" : "inbox",
	    json_string(data != NULL ? data : inbox));
	if ((result = app_call(q->app, "roster.import", params, &err)) == NULL)
		queue_say(q, err.message, true);
	else
		roster_summary(q, result, _("Import a CSV file"));
	json_decref(result);
	queue_refilter(q);
}

/*
 * i in the TUI the server serves: it runs on the server, out of reach of
 * the person's disk.  The file comes through the session's inbox: its scp
 * command, the files that arrived, one chosen is imported.
 */
static void
roster_import_served(struct queue *q)
{
	char said[512], *name;

	name = app_inbox_pick(q->app, _("1-5: import that file  r: refresh  Esc: close"), said,
	    sizeof said);
	if (name == NULL) {
		if (said[0] != '\0')
			queue_say(q, said, true);
		return;
	}
	roster_import_send(q, NULL, name);
	free(name);
}

/* i: a CSV file of this computer imported into the draft's roster. */
static void
roster_import(struct queue *q)
{
	char *typed, *path, *b64, said[512];

	if (q->app->connect == NULL) {
		roster_import_served(q);
		return;
	}
	typed = ui_prompt(_("Import a CSV file"), _("A CSV file of this computer, UTF-8 or "
	    "GB18030 (as Excel saves it): ID number, name and hours (optional) a line; a "
	    "heading line is skipped."), _("File"), ROSTER_PATH_MAX);
	if (typed == NULL || *typed == '\0') {
		free(typed);
		return;
	}
	path = app_expand_home(typed);
	free(typed);
	b64 = roster_read_file(path, said, sizeof said);
	free(path);
	if (b64 == NULL) {
		queue_say(q, said, true);
		return;
	}
	roster_import_send(q, b64, NULL);
	free(b64);
}

/* r and w: the class reported, or its report withdrawn (screen-base.c says it). */
static void
roster_report(struct queue *q, bool withdraw)
{
	struct roster *r = q->arg;
	char said[1024];
	bool error = false;

	said[0] = '\0';
	base_report_class(q->app, r->klass, withdraw, said, sizeof said, &error);
	if (said[0] != '\0')
		queue_say(q, said, error);
	queue_reload(q);
}

static int
roster_key(struct queue *q, const struct ui_event *ev)
{
	struct roster *r = q->arg;
	json_t *item = queue_current(q);
	bool draft = roster_draft(r);

	if (ev->type == UI_EV_KEY && ev->key == KEY_DC && item != NULL)
		roster_remove(q);
	else if (ev->type != UI_EV_CHAR)
		return 0;
	else if (ev->ch == 'p') {
		r->problems_only = !r->problems_only;
		queue_refilter(q);
	} else if (ev->ch == 'a' && draft)
		roster_add(q);
	else if (ev->ch == 'i' && draft)
		roster_import(q);
	else if (ev->ch == 'c' && item != NULL)
		draft ? roster_change_draft(q, item) : roster_change_hours(q, item);
	else if (ev->ch == 'x' && item != NULL)
		roster_remove(q);
	else if (ev->ch == 'r' || ev->ch == 'w')
		roster_report(q, ev->ch == 'w');
	else if (strchr("aic", (int)ev->ch) != NULL) {
		queue_say(q, _("The class is reported: only hours can be changed and rows "
		    "withdrawn."), true);
	} else
		return 0;
	return q->app->restart ? -1 : 1;
}

static const struct queue_ops roster_ops = {
	.header = N_("Continuing Education · Class roster"),
	.method = "roster.list",
	.id_key = "id",
	.columns = roster_columns,
	.ncolumns = sizeof roster_columns / sizeof roster_columns[0],
	.head_lines = 3,
	.tagging = true,
	.empty = N_("No row yet: a adds rows, i imports a CSV file."),
	/* The keys of the roster's state are on the line above the list. */
	.hints = N_("Space: select  Enter: details  r: report  Esc: back"),
	.keys = base_roster_keys,
	.params = roster_params,
	.loaded = roster_loaded,
	.paint_head = roster_paint_head,
	.cell = roster_cell,
	.mark = roster_mark,
	.foot = roster_foot,
	.detail = roster_detail,
	.key = roster_key,
};

int
base_roster_run(struct app *a, json_int_t id)
{
	struct roster r = { .id = id };
	enum screen_id next;

	next = queue_run(&roster_ops, a, &r);
	json_decref(r.klass);
	return next == SCREEN_QUIT ? -1 : 0;
}
