/*
 * screen-staff.c - 本单位人员: a unit administrator's list of the unit's
 * staff, by name, a page at a time, with a filter (/: a name or the start
 * of an ID number).  Enter shows one person's profile and change history,
 * read only (review.staff_profile); h there opens the whole history.
 * r resets the person's forgotten password (review.reset_password) once
 * confirmed, "No" focused: the one-time code it gives is shown this once.
 *
 * Which accounts an administrator may see is the server's business: it
 * lists the own unit's active staff only, and answers not_found for any
 * other account.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

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

static int
staff_key(struct queue *q, const struct ui_event *ev)
{
	json_t *it = queue_current(q);

	if (ev->type != UI_EV_CHAR || ev->ch != 'r')
		return 0;
	queue_say(q, "", false);
	if (it != NULL && queue_allows(it, "reset_password"))
		staff_reset_password(q, it);
	return 1;
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
	.filter = "filter",
	.empty = N_("The unit has no staff yet."),
	.empty_filtered = N_("Nobody matches the filter."),
	.hints = N_("Enter: profile and history  r: reset password  /: filter  F5: reload  "
	    "Esc: back"),
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
