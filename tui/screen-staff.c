/*
 * screen-staff.c - 本单位人员: a unit administrator's list of the unit's
 * staff, by name, a page at a time, with a filter (/: a name or the start
 * of an ID number).  Enter shows one person's profile and change history,
 * read only (review.staff_profile); h there opens the whole history.
 * r resets the person's forgotten password (review.reset_password) once
 * confirmed, "No" focused: the one-time code it gives is shown this once.
 *
 * Space selects people, * all shown; p (打印学时证明) has the server issue
 * the certificates of the selected people (or of the one under the
 * cursor) for a year or a range, one PDF with a page each
 * (certificate.unit), which the jxjy client saves to a local file
 * (download.get) and the TUI served over SSH offers for scp through the
 * session's inbox.
 *
 * Which accounts an administrator may see is the server's business: it
 * lists the own unit's active staff only, and answers not_found for any
 * other account.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>
#include <sodium.h>

#include "format.h"
#include "keys.h"
#include "queue.h"
#include "text.h"
#include "xmalloc.h"

#define STAFF_HISTORY_SHOWN	20	/* entries in the view; h shows them all */

char *
staff_title_short(const char *full, int cols)
{
	const char *first, *second;
	char *s;

	if (full == NULL || *full == '\0')
		return xstrdup("");
	/* "series / level / name": the name and the level are what tells titles apart. */
	if ((first = strstr(full, " / ")) == NULL ||
	    (second = strstr(first + 3, " / ")) == NULL)
		return xstrdup(full);
	s = xasprintf(_("%s (%.*s)"), second + 3, (int)(second - (first + 3)), first + 3);
	if (text_width(s) > cols) {
		free(s);
		s = xstrdup(second + 3);	/* the name alone mostly says the level too */
	}
	return s;
}

/* review.staff_profile's result as text: the profile, then the latest changes. */
static char *
staff_profile_text(json_t *result)
{
	json_t *d = json_object_get(result, "profile"), *history, *pending, *item;
	char *text = NULL, *v, *pend, when[32];
	size_t i;

	v = app_title_text(json_object_get(d, "title"));
	pending = json_object_get(d, "pending_title");
	if (json_is_object(pending)) {
		char *asked = app_title_text(json_object_get(pending, "title"));

		pend = xasprintf(_("%s (asked to change to %s on %s, waiting for review)"), v,
		    *asked != '\0' ? asked : _("none"),
		    app_format_time(app_json_str(pending, "asked_at"), when, sizeof when));
		free(asked);
		free(v);
		v = pend;
	}
	app_person_rows(&text, d, app_person_label_width() + 2, v);
	free(v);

	history = json_object_get(result, "history");
	app_appendf(&text, "\n%s\n", _("History"));
	json_array_foreach(json_object_get(history, "items"), i, item) {
		char *line = profile_history_line(item);

		app_appendf(&text, "%s\n", line);
		free(line);
	}
	if (json_array_size(json_object_get(history, "items")) == 0)
		app_appendf(&text, "%s\n", _("No changes yet."));
	if (json_is_string(json_object_get(history, "next")))
		app_appendf(&text, "%s\n", _("(older changes: press h for the whole history)"));
	return text;
}

int
staff_show(struct app *a, json_int_t account_id, const char *who, const char *hints,
    const char *keys, void (*paint)(void *), void *arg)
{
	struct rpc_error err;
	json_t *result;
	char *text, *all_keys;
	int key;

	all_keys = xasprintf("h%s", keys != NULL ? keys : "");
	for (;;) {
		result = app_call(a, "review.staff_profile", json_pack("{s:I, s:i}",
		    "account_id", account_id, "limit", STAFF_HISTORY_SHOWN), &err);
		if (result == NULL) {
			if (!a->restart)
				ui_message(who, err.message);
			key = a->restart ? -1 : 0;
			break;
		}
		text = staff_profile_text(result);
		json_decref(result);
		key = ui_pager(who, text, hints != NULL ? hints :
		    _("h: whole history  Arrows: scroll  Esc: close"), all_keys);
		free(text);
		if (key != 'h')
			break;
		key = profile_history_run(a, who, account_id);
		ui_set_backdrop(paint, arg);
		if (key != 0)
			break;
	}
	free(all_keys);
	return key;
}

enum staff_column { STAFF_NAME, STAFF_ID, STAFF_SEX, STAFF_DEPT, STAFF_TITLE };

static const struct queue_column staff_columns[] = {
	[STAFF_NAME] = { N_("Name"), 6, 12, false },
	[STAFF_ID] = { N_("ID number"), 18, 18, false },
	[STAFF_SEX] = { N_("Sex"), 4, 6, false },
	[STAFF_DEPT] = { N_("Department"), 8, 16, false },
	[STAFF_TITLE] = { N_("Professional title"), 8, 0, false },
};


static char *
staff_cell(struct queue *q, json_t *item, size_t col, int width, enum ui_style *style)
{
	const char *mark;
	char *title, *cell;

	(void)q;
	(void)style;
	switch (col) {
	case STAFF_NAME:
		return xstrdup(app_json_str(item, "name"));
	case STAFF_ID:
		return xstrdup(app_json_str(item, "id_number"));
	case STAFF_SEX:
		return xstrdup(app_sex_name(app_json_str(item, "sex")));
	case STAFF_DEPT:
		return xstrdup(app_json_str(item, "department"));
	default:
		mark = json_is_true(json_object_get(item, "title_pending")) ?
		    _("(change waiting for review)") : "";
		title = staff_title_short(app_json_str(item, "title"), width - text_width(mark));
		cell = xasprintf("%s%s", title, mark);
		free(title);
		return cell;
	}
}

/* Enter: the person's profile and history, read only. */
static int
staff_detail(struct queue *q, json_t *item)
{
	return staff_show(q->app, json_integer_value(json_object_get(item, "account_id")),
	    app_json_str(item, "name"), NULL, NULL, queue_paint, q);
}

/*
 * r: reset the password of the person under the cursor, once confirmed
 * ("No" focused), and show the one-time code (the server keeps only its
 * hash).
 */
static void
staff_reset_password(struct queue *q, json_t *it)
{
	const char *name = app_json_str(it, "name");
	struct rpc_error err;
	json_t *result;
	char *text, when[32];
	bool go;

	text = xasprintf(_("Reset the password of %s (%s)? The current password stops working "
	    "at once and every session of the account ends. You will get a one-time code "
	    "for them to log in with and set a new password."), name,
	    app_json_str(it, "id_number"));
	go = ui_confirm_safe(_("Reset password"), text);
	free(text);
	if (!go)
		return;
	result = app_call(q->app, "review.reset_password", json_pack("{s:I}", "account_id",
	    json_integer_value(json_object_get(it, "account_id"))), &err);
	if (result == NULL) {
		if (!q->app->restart)
			queue_say(q, err.message, true);
		return;
	}
	text = xasprintf(_("One-time code for %s:\n\n    %s\n\nValid until %s. It is shown "
	    "only this once: give it to the person yourself, in person or by phone. They log "
	    "in with it as their password and must then set a new one."), name,
	    app_json_str(result, "code"), app_format_time(app_json_str(result, "expires_at"),
	    when, sizeof when));
	json_decref(result);
	ui_message(_("Reset password"), text);
	/* The code leaves memory with the dialog. */
	memset(text, 0, strlen(text));
	free(text);
	queue_say(q, _("The password was reset."), false);
}

/* ---- 打印学时证明 for several people ------------------------------------------------ */

#define STAFF_CERT_MAX	200	/* people certificate.unit takes at once */

/*
 * The file name of the session's outbox into fd, slice after slice of
 * download.get; the bytes written, or -1 with *why set (caller frees).
 */
static long long
staff_download(struct app *a, const char *name, int fd, char **why)
{
	struct rpc_error err;
	long long done = 0;

	for (;;) {
		json_t *r = app_call(a, "download.get", json_pack("{s:s, s:I}", "name", name,
		    "offset", (json_int_t)done), &err);
		const char *b64 = r != NULL ? app_json_str(r, "data") : "";
		size_t cap = strlen(b64) / 4 * 3 + 3, n = 0;
		unsigned char *bytes = xmalloc(cap);
		bool last = r != NULL && json_is_true(json_object_get(r, "eof"));

		if (r == NULL)
			*why = xstrdup(err.message);
		else if (sodium_base642bin(bytes, cap, b64, strlen(b64), NULL, &n, NULL,
		    sodium_base64_VARIANT_ORIGINAL) != 0)
			*why = xstrdup(_("The download failed."));
		else if (!app_write_all(fd, (const char *)bytes, n))
			*why = xstrdup(strerror(errno));
		free(bytes);
		json_decref(r);
		if (*why != NULL)
			return -1;
		done += (long long)n;
		if (last || n == 0)
			return done;
	}
}

/* The jxjy client: the unit's PDF (certificate.unit's reply) saved to a local file. */
static void
staff_cert_save(struct queue *q, json_t *made)
{
	const char *name = app_json_str(made, "name");
	char *text, *full = NULL, *why = NULL, sz[32];
	long long size;
	int fd;

	text = xasprintf(_("Save the certificates (%lld people, one PDF) to a file on this "
	    "computer (empty: %s in the current directory)."),
	    (long long)json_integer_value(json_object_get(made, "people")), name);
	fd = app_save_file(_("Print certificates"), text, name, &full);
	free(text);
	if (fd < 0)
		return;
	size = staff_download(q->app, name, fd, &why);
	if (close(fd) != 0 && why == NULL)
		why = xstrdup(strerror(errno));
	if (why != NULL) {
		unlink(full);		/* no half a PDF left behind */
		if (!q->app->restart) {
			text = xasprintf(_("cannot write %s: %s"), full, why);
			queue_say(q, text, true);
			free(text);
		}
	} else {
		json_int_t skipped = json_integer_value(json_object_get(made, "skipped"));
		char *left_out = skipped > 0 ? xasprintf(_(" %lld people without records from "
		    "those years on were left out."), (long long)skipped) : xstrdup("");

		text = xasprintf(_("Saved %s (%s): certificates of %lld people, a page each.%s"),
		    full, format_size(size, sz, sizeof sz),
		    (long long)json_integer_value(json_object_get(made, "people")), left_out);
		free(left_out);
		queue_say(q, text, false);
		ui_message(_("Print certificates"), text);
		free(text);
	}
	free(why);
	free(full);
}

/*
 * The served TUI: the PDF waits on the server; the command that fetches
 * it.  years: as typed ("2025", "2023-2025").
 */
static void
staff_cert_served(struct queue *q, json_t *made, const char *years)
{
	const char *name = app_json_str(made, "name");
	struct rpc_error err;
	json_t *inbox;
	char *text, sz[32];
	long long port;

	if ((inbox = app_call(q->app, "inbox.open", NULL, &err)) == NULL) {
		if (!q->app->restart)
			queue_say(q, err.message, true);
		return;
	}
	port = (long long)json_integer_value(json_object_get(inbox, "port"));
	text = xasprintf(_("The certificates of %lld people (%s, one PDF, a page each) are "
	    "ready on the server as %s. In another terminal on your own computer, run:\n\n"
	    "  scp -P %lld %s@%s:%s .\n\nIt can be fetched until this session ends."),
	    (long long)json_integer_value(json_object_get(made, "people")),
	    format_size(json_integer_value(json_object_get(made, "size")), sz, sizeof sz),
	    name, port, app_json_str(inbox, "token"), app_json_str(inbox, "host"), name);
	ui_pager(_("Print certificates"), text, NULL, NULL);
	free(text);
	json_decref(inbox);
}

/*
 * "" (last year), "2025" or "2023-2025" into from, to; only the shape is
 * checked here, which years may be stated is the server's rule.
 */
static bool
staff_cert_years(const char *typed, int *from, int *to)
{
	time_t now = time(NULL);
	struct tm tm;
	char tail;

	if (*typed == '\0') {
		localtime_r(&now, &tm);
		*from = *to = tm.tm_year + 1900 - 1;
		return true;
	}
	if (strlen(typed) == 9 && sscanf(typed, "%4d-%4d%c", from, to, &tail) == 2)
		return true;
	if (strlen(typed) == 4 && sscanf(typed, "%4d%c", from, &tail) == 1) {
		*to = *from;
		return true;
	}
	return false;
}

/*
 * p: the certificates of the selected people (else the one under the
 * cursor), for the years asked, in one PDF: saved, or offered for scp.
 */
static void
staff_print(struct queue *q)
{
	json_t *ids = json_array(), *made;
	struct rpc_error err;
	char *text, *answer, years[16];
	int from, to;

	for (size_t i = 0; i < json_array_size(q->items); i++) {
		if (q->tagged[i])
			json_array_append_new(ids, json_integer(json_integer_value(
			    json_object_get(json_array_get(q->items, i), "account_id"))));
	}
	if (json_array_size(ids) == 0 && queue_current(q) != NULL)
		json_array_append_new(ids, json_integer(json_integer_value(
		    json_object_get(queue_current(q), "account_id"))));
	if (json_array_size(ids) == 0 || json_array_size(ids) > STAFF_CERT_MAX) {
		queue_say(q, json_array_size(ids) == 0 ? _("Nobody to print for.") :
		    _("At most 200 people at once: select fewer, or use the ssh command "
		    "certificates."), true);
		json_decref(ids);
		return;
	}
	text = xasprintf(_("Certificates of %zu people, one PDF with a page each. Which years? "
	    "Empty: last year. A range such as 2023-2025 states up to 5 years."),
	    json_array_size(ids));
	answer = ui_prompt(_("Print certificates"), text, _("Years"), 9);
	free(text);
	if (answer == NULL || !staff_cert_years(answer, &from, &to)) {
		if (answer != NULL)
			queue_say(q, _("Years are a year such as 2025 or a range such as 2023-2025."),
			    true);
		free(answer);
		json_decref(ids);
		return;
	}
	free(answer);
	if (from == to)
		snprintf(years, sizeof years, "%d", from);
	else
		snprintf(years, sizeof years, "%d-%d", from, to);
	queue_say(q, _("Making the certificates..."), false);
	made = app_call(q->app, "certificate.unit", json_pack("{s:i, s:i, s:o}", "from_year",
	    from, "to_year", to, "account_ids", ids), &err);
	if (made == NULL) {
		if (!q->app->restart)
			queue_say(q, err.message, true);
		return;
	}
	queue_say(q, "", false);
	if (q->app->connect == NULL)
		staff_cert_served(q, made, years);
	else
		staff_cert_save(q, made);
	json_decref(made);
}

static int
staff_key(struct queue *q, const struct ui_event *ev)
{
	json_t *it = queue_current(q);
	size_t n = json_array_size(q->items);
	bool all = true;

	if (ev->type != UI_EV_CHAR)
		return 0;
	switch (ev->ch) {
	case 'r':
		queue_say(q, "", false);
		if (it != NULL && queue_allows(it, "reset_password"))
			staff_reset_password(q, it);
		return 1;
	case 'p':
		queue_say(q, "", false);
		staff_print(q);
		return 1;
	case '*':
		/* All shown selected, or (when they all are) none. */
		for (size_t i = 0; i < n; i++)
			all = all && q->tagged[i];
		for (size_t i = 0; i < n; i++)
			q->tagged[i] = !all;
		return 1;
	}
	return 0;
}

static const struct queue_ops staff_ops = {
	.header = N_("Continuing Education · Staff of the unit"),
	.method = "review.staff",
	.id_key = "account_id",
	.columns = staff_columns,
	.ncolumns = sizeof staff_columns / sizeof staff_columns[0],
	.head_lines = 1,
	.total = "total",
	.count = N_("%s · %lld people"),
	.tagging = true,
	.filter = "filter",
	.empty = N_("The unit has no staff yet."),
	.empty_filtered = N_("Nobody matches the filter."),
	.hints = N_("Enter: profile  r: reset password  Space, *: select  p: print certificates  "
	    "/: filter  Esc: back"),
	.keys = staff_keys,
	.cell = staff_cell,
	.detail = staff_detail,
	.key = staff_key,
};

enum screen_id
screen_staff_run(struct app *a)
{
	return queue_run(&staff_ops, a, NULL);
}
