/*
 * screen-status.c - 注册进度查询: an applicant asks, with the ID number
 * and password of the registration, how it stands (waiting, approved,
 * rejected and why), and may withdraw one that still waits (撤回申请).
 */
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "app.h"
#include "keys.h"
#include "text.h"
#include "xmalloc.h"

enum status_field {
	STATUS_ID_NUMBER = 1,
	STATUS_PASSWORD,
	STATUS_QUERY,
	STATUS_WITHDRAW,
	STATUS_BACK,
};

#define STATUS_FRAME_WIDTH	78
#define STATUS_ROW_BUTTONS	6	/* the screen's row: the frame's top + 5 */

struct status {
	struct app	*app;
	struct ui_form	 form;
	json_t		*result;	/* application.status's, or NULL */
	char		*asked[2];	/* the ID number and password it answered, owned */
	char		 message[512];
	bool		 message_error;
};

static const char *
status_string(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}


static void
status_paint(void *arg)
{
	struct status *st = arg;
	int w = STATUS_FRAME_WIDTH, x0 = (COLS - w) / 2, top = 1, y;
	char when[32];

	ui_header(_("Continuing Education · Application status"));
	ui_box(top, x0, LINES - 3, w, _("Application status"), UI_FRAME);
	st->form.right = x0 + w - 1;	/* errors beside a field end at the border */
	ui_form_place_labels(&st->form, x0 + 4);
	ui_form_field(&st->form, STATUS_ID_NUMBER)->y = top + 2;
	ui_form_field(&st->form, STATUS_PASSWORD)->y = top + 3;
	app_place_buttons(&st->form, STATUS_ROW_BUTTONS, x0 + 4, 3);
	ui_form_draw(&st->form, true);

	if (st->result != NULL) {
		json_t *r = st->result;
		const char *labels[] = { _("State"), _("Name"), _("Unit"), _("Submitted"),
		    _("Decided"), _("Reason") };
		int lw = 0;

		for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
			if (text_width(labels[i]) > lw)
				lw = text_width(labels[i]);
		}
		y = top + 7;
		ui_put(y, x0 + 4, lw, labels[0], UI_NORMAL, true);
		ui_put(y++, x0 + 6 + lw, w - 10 - lw, app_state_name(status_string(r, "state")),
		    UI_TITLE, false);
		ui_put(y, x0 + 4, lw, labels[1], UI_NORMAL, true);
		ui_put(y++, x0 + 6 + lw, w - 10 - lw, status_string(r, "name"), UI_NORMAL, false);
		ui_put(y, x0 + 4, lw, labels[2], UI_NORMAL, true);
		ui_put(y++, x0 + 6 + lw, w - 10 - lw,
		    status_string(json_object_get(r, "unit"), "name"), UI_NORMAL, false);
		ui_put(y, x0 + 4, lw, labels[3], UI_NORMAL, true);
		ui_put(y++, x0 + 6 + lw, w - 10 - lw,
		    app_format_time(status_string(r, "submitted_at"), when, sizeof when),
		    UI_NORMAL, false);
		if (*status_string(r, "decided_at") != '\0') {
			ui_put(y, x0 + 4, lw, labels[4], UI_NORMAL, true);
			ui_put(y++, x0 + 6 + lw, w - 10 - lw,
			    app_format_time(status_string(r, "decided_at"), when, sizeof when),
			    UI_NORMAL, false);
		}
		if (*status_string(r, "reject_reason") != '\0') {
			char **lines;
			size_t n = ui_wrap(status_string(r, "reject_reason"), w - 10 - lw, &lines);

			ui_put(y, x0 + 4, lw, labels[5], UI_NORMAL, true);
			for (size_t i = 0; i < n && y < LINES - 5; i++)
				ui_put(y++, x0 + 6 + lw, w - 10 - lw, lines[i], UI_ERROR, false);
			ui_lines_free(lines, n);
		}
		if (strcmp(status_string(r, "state"), "rejected") == 0 ||
		    strcmp(status_string(r, "state"), "withdrawn") == 0)
			ui_put(y + 1, x0 + 4, w - 8, _("You may register again with the same ID "
			    "number and password."), UI_HINT, false);
	}
	ui_message_line(st->message, st->message_error);
	app_status(st->app, NULL);
}

static void
status_say(struct status *st, const char *text, bool error)
{
	app_say(st->message, sizeof st->message, &st->message_error, text, error);
}

/* The server's names of the fields, and ours. */
static const struct app_field status_fields[] = {
	{ "id_number", STATUS_ID_NUMBER },
	{ "password", STATUS_PASSWORD },
	{ NULL, 0 },
};

/* Forget the credentials of the last answer. */
static void
status_forget(struct status *st)
{
	for (int i = 0; i < 2; i++) {
		if (st->asked[i] != NULL)
			explicit_bzero(st->asked[i], strlen(st->asked[i]));
		free(st->asked[i]);
		st->asked[i] = NULL;
	}
}

/* Ask application.status; show what it says. */
static void
status_query(struct status *st)
{
	struct rpc_error err;
	json_t *result;
	char text[512];

	ui_form_clear_errors(&st->form);
	status_say(st, "", false);
	json_decref(st->result);
	st->result = NULL;
	ui_form_show(&st->form, STATUS_WITHDRAW, false);
	result = app_call(st->app, "application.status", json_pack("{s:s, s:s}",
	    "id_number", ui_form_value(&st->form, STATUS_ID_NUMBER),
	    "password", ui_form_value(&st->form, STATUS_PASSWORD)), &err);
	if (result == NULL) {
		/* Both fields empty: both named at once. */
		app_form_message(&err, app_form_errors(&st->form, &err, status_fields), text,
		    sizeof text);
		status_say(st, text, true);
		return;
	}
	st->result = result;
	if (strcmp(status_string(result, "state"), "pending") == 0)
		ui_form_show(&st->form, STATUS_WITHDRAW, true);
	status_forget(st);
	st->asked[0] = xstrdup(ui_form_value(&st->form, STATUS_ID_NUMBER));
	st->asked[1] = xstrdup(ui_form_value(&st->form, STATUS_PASSWORD));
}

/*
 * The application shown changed (record.changed: the server tells this
 * session since it asked): ask again with what it answered, and say what
 * changed.
 */
static void
status_changed(void *arg)
{
	struct status *st = arg;

	struct rpc_error err;
	json_t *result;

	if (st->asked[0] == NULL)
		return;
	result = app_call(st->app, "application.status", json_pack("{s:s, s:s}",
	    "id_number", st->asked[0], "password", st->asked[1]), &err);
	if (result == NULL) {
		status_say(st, err.message, true);
		return;
	}
	json_decref(st->result);
	st->result = result;
	ui_form_show(&st->form, STATUS_WITHDRAW,
	    strcmp(status_string(result, "state"), "pending") == 0);
	status_say(st, st->app->change_message, false);
}

/* 撤回申请, once the user confirms. */
static void
status_withdraw(struct status *st)
{
	struct rpc_error err;
	json_t *result;

	if (!ui_confirm_safe(_("Withdraw the application"),
	    _("Withdraw this registration? It will not be reviewed, and you may register "
	    "again later.")))
		return;
	result = app_call(st->app, "application.withdraw", json_pack("{s:s, s:s}",
	    "id_number", ui_form_value(&st->form, STATUS_ID_NUMBER),
	    "password", ui_form_value(&st->form, STATUS_PASSWORD)), &err);
	if (result == NULL) {
		status_say(st, err.message, true);
		return;
	}
	json_decref(result);
	status_query(st);
	if (st->result != NULL)
		status_say(st, _("The application has been withdrawn."), false);
}

enum screen_id
screen_status_run(struct app *a)
{
	struct status st = { .app = a };
	struct ui_event ev;
	enum screen_id next = SCREEN_LOGIN;
	unsigned seen = a->changes;
	int id;

	ui_form_init(&st.form);
	ui_form_add_text(&st.form, STATUS_ID_NUMBER, _("ID number"), 20, 18, false);
	ui_form_add_text(&st.form, STATUS_PASSWORD, _("Password"), 24, 128, true);
	ui_form_add_button(&st.form, STATUS_QUERY, _("Query"))->y = STATUS_ROW_BUTTONS;
	ui_form_add_button(&st.form, STATUS_WITHDRAW, _("Withdraw the application"))->y =
	    STATUS_ROW_BUTTONS;
	ui_form_add_button(&st.form, STATUS_BACK, _("Back"))->y = STATUS_ROW_BUTTONS;
	ui_form_show(&st.form, STATUS_WITHDRAW, false);
	st.form.default_id = STATUS_QUERY;
	ui_set_backdrop(status_paint, &st);
	ui_help_set(status_keys);
	for (;;) {
		if (app_wait(a, &seen, status_changed, &st, &ev)) {
			next = SCREEN_QUIT;
			break;
		}
		if (ev.type == UI_EV_KEY && ev.key == UI_KEY_ESC)
			break;
		if (ui_form_key(&st.form, &ev, &id) != UI_FORM_ACTIVATED)
			continue;
		if (id == STATUS_BACK)
			break;
		if (id == STATUS_QUERY)
			status_query(&st);
		else if (id == STATUS_WITHDRAW)
			status_withdraw(&st);
	}
	ui_set_backdrop(NULL, NULL);
	ui_form_free(&st.form);
	json_decref(st.result);
	status_forget(&st);
	return next;
}
