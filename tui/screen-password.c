/*
 * screen-password.c - 修改密码: the old password, the new one twice, and
 * which SSH keys stay.
 *
 * Every rule (is the old one right, is the new one strong enough, may an
 * administrator provisioned with SSH keys only skip the old one) is the
 * server's: the old password is sent, even empty, and the server's
 * sentences go beside the fields they name, all at once.  Only an
 * administrator is told that one without a password leaves the old empty.
 *
 * A key is a way in that outlives the password it came in with, so the
 * server removes the person's own keys with every password change except
 * those named in keep_keys.  Each key gets a Remove/Keep choice here,
 * Remove chosen; keys from the server's configuration stay whatever happens
 * and are only listed.
 *
 * After a unit administrator's reset (the login's must_change_password)
 * the server serves nothing else until a new password is set: this screen
 * then asks for no old password, and leaving it logs out.
 */
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "app.h"
#include "keys.h"
#include "text.h"
#include "xmalloc.h"

enum password_field {
	PASSWORD_OLD = 1,
	PASSWORD_NEW,
	PASSWORD_CONFIRM,
	PASSWORD_OK,
	PASSWORD_CANCEL,
	PASSWORD_KEY = 100,	/* + the index of the key in keys */
};

#define PASSWORD_FRAME_WIDTH	76
#define PASSWORD_KEY_LABEL	36	/* columns of a key's label */

/* Form rows (the form scrolls when the keys do not fit). */
#define ROW_OLD		1
#define ROW_NEW		3
#define ROW_CONFIRM	4
#define ROW_HINT	6
#define ROW_KEYS	8	/* the heading; the keys follow */

struct password {
	struct app	*app;
	struct ui_form	 form;
	char		 message[512];
	bool		 forced;	/* after an administrator's reset */
	bool		 admin;		/* a unit administrator (may have no password yet) */
	json_t		*keys;		/* keys.list's items; NULL when none were read */
	char		**labels;	/* of the keys' choices, one per key (NULL: a config key) */
	size_t		 nkeys;
	int		 config_keys;	/* keys listed, not chosen */
};

/* The row after the keys' list: the buttons. */
static int
password_buttons_row(const struct password *p)
{
	if (p->nkeys == 0)
		return ROW_HINT + 2;
	return ROW_KEYS + 1 + (int)p->nkeys + 1;
}



static void
password_paint(void *arg)
{
	struct password *p = arg;
	struct ui_form *f = &p->form;
	struct app_frame fr = { .top = 2, .w = PASSWORD_FRAME_WIDTH };
	int w, x0, y;

	fr.h = password_buttons_row(p) + 3;
	if (fr.h > LINES - 3 - fr.top)
		fr.h = LINES - 3 - fr.top;
	app_form_frame(f, _("Continuing Education · Change password"), _("Change password"), &fr);
	w = fr.w;
	x0 = fr.x0;
	ui_form_place_labels(f, x0 + 4);
	y = password_buttons_row(p);
	app_place_buttons(f, y, x0 + (w - app_buttons_width(f, y, 3)) / 2, 3);
	ui_form_draw(f, true);	/* scrolls first: what is drawn here follows */

	/* The hint is for administrators only: staff always have a password. */
	if ((p->forced || p->admin) && (y = ui_form_screen_y(f, p->forced ? ROW_OLD :
	    ROW_HINT)) >= 0)
		ui_put(y, x0 + 4, w - 8, p->forced ?
		    _("Your administrator reset your password. Set a new one to go on.") :
		    _("An administrator who has no password yet leaves the old one empty."),
		    p->forced ? UI_NORMAL : UI_HINT, false);
	if (p->nkeys > 0 && (y = ui_form_screen_y(f, ROW_KEYS)) >= 0)
		ui_put(y, x0 + 2, w - 4, _("SSH keys: each is removed with the old password "
		    "unless you keep it"), UI_TITLE, false);
	for (size_t i = 0; i < p->nkeys; i++) {
		json_t *key = json_array_get(p->keys, i);
		char *line;

		if (p->labels[i] != NULL ||
		    (y = ui_form_screen_y(f, ROW_KEYS + 1 + (int)i)) < 0)
			continue;
		line = xasprintf("%s  %s", app_json_str(key, "fingerprint"),
		    _("(server configuration: stays)"));
		ui_put(y, x0 + 4, w - 8, line, UI_HINT, false);
		free(line);
	}
	ui_message_line(p->message, true);
	app_status(p->app, NULL);
}

/* The server's names of the fields, and ours. */
static const struct app_field password_fields[] = {
	{ "old_password", PASSWORD_OLD },
	{ "new_password", PASSWORD_NEW },
	{ "new_password_confirm", PASSWORD_CONFIRM },
	{ NULL, 0 },
};

/* "ed25519 SHA256:abcdefgh… comment", cut to the label column. Caller frees. */
static char *
password_key_label(json_t *key)
{
	const char *type = app_json_str(key, "type"), *fp = app_json_str(key, "fingerprint");
	char *full, *fit;

	if (strncmp(type, "ssh-", 4) == 0)
		type += 4;
	full = xasprintf("%s %.15s… %s", type, fp, app_json_str(key, "comment"));
	fit = text_fit(full, PASSWORD_KEY_LABEL);
	free(full);
	return fit;
}

/* Read the keys and give each of the person's own a Remove/Keep choice. */
static void
password_load_keys(struct password *p)
{
	static const char *options[2];
	struct rpc_error err;
	json_t *result;

	options[0] = _("Remove");
	options[1] = _("Keep");
	if ((result = app_call(p->app, "keys.list", NULL, &err)) == NULL) {
		if (!p->app->restart)
			app_copy(p->message, sizeof p->message, err.message);
		return;
	}
	p->keys = json_incref(json_object_get(result, "items"));
	json_decref(result);
	p->nkeys = json_array_size(p->keys);
	p->labels = xcalloc(p->nkeys > 0 ? p->nkeys : 1, sizeof *p->labels);
	for (size_t i = 0; i < p->nkeys; i++) {
		json_t *key = json_array_get(p->keys, i);
		struct ui_field *fd;

		if (!json_is_true(json_object_get(key, "removable"))) {
			p->config_keys++;
			continue;
		}
		p->labels[i] = password_key_label(key);
		fd = ui_form_add_choice(&p->form, PASSWORD_KEY + (int)i, p->labels[i], options, 2);
		fd->option = 0;
		fd->y = ROW_KEYS + 1 + (int)i;
	}
}

/* keep_keys: the ids of the keys whose choice is Keep. */
static json_t *
password_keep_keys(struct password *p)
{
	json_t *keep = json_array();

	for (size_t i = 0; i < p->nkeys; i++) {
		if (p->labels[i] != NULL && ui_form_option(&p->form, PASSWORD_KEY + (int)i) == 1)
			json_array_append(keep, json_object_get(json_array_get(p->keys, i), "id"));
	}
	return keep;
}

/* Send account.change_password; true when the password was changed. */
static bool
password_submit(struct password *p)
{
	struct rpc_error err;
	json_t *params, *result;
	json_int_t ended, removed;
	const struct rpc_problem *loose;
	char *text;

	ui_form_clear_errors(&p->form);
	p->message[0] = '\0';
	/* The old password even when empty: the server says whether one is asked. */
	params = json_pack("{s:s, s:s, s:o}",
	    "new_password", ui_form_value(&p->form, PASSWORD_NEW),
	    "new_password_confirm", ui_form_value(&p->form, PASSWORD_CONFIRM),
	    "keep_keys", password_keep_keys(p));
	if (!p->forced)
		json_object_set_new(params, "old_password",
		    json_string(ui_form_value(&p->form, PASSWORD_OLD)));
	if ((result = app_call(p->app, "account.change_password", params, &err)) == NULL) {
		if (p->app->restart)
			return false;
		/* Every problem on its field; a refused password is typed again. */
		loose = app_form_errors(&p->form, &err, password_fields);
		for (size_t i = 0; i < err.nproblems; i++) {
			for (const struct app_field *n = password_fields; n->name != NULL; n++) {
				if (strcmp(n->name, err.problems[i].field) == 0 &&
				    strcmp(err.problems[i].reason, "required") != 0)
					ui_form_set(&p->form, n->id, NULL);
			}
		}
		app_form_message(&err, loose, p->message, sizeof p->message);
		return false;
	}
	ended = json_integer_value(json_object_get(result, "ended_sessions"));
	removed = json_integer_value(json_object_get(result, "removed_keys"));
	json_decref(result);
	if (ended > 0)
		text = xasprintf(_("The password has been changed. %lld other session(s) of "
		    "this account were ended."), (long long)ended);
	else
		text = xstrdup(_("The password has been changed."));
	if (removed > 0) {
		char *more = xasprintf(_("%s %lld SSH key(s) were removed."), text,
		    (long long)removed);

		free(text);
		text = more;
	}
	ui_message(_("Change password"), text);
	free(text);
	return true;
}

/* After a forced change: who we are now (the server serves everything again). */
static void
password_refresh_me(struct app *a)
{
	struct rpc_error err;
	json_t *result;

	if ((result = app_call(a, "session.whoami", NULL, &err)) != NULL) {
		app_set_me(a, result);
		json_decref(result);
	}
}

/* Leaving a forced change: the account can do nothing else, so log out. */
static enum screen_id
password_leave_forced(struct app *a)
{
	struct rpc_error err;

	json_decref(app_call(a, "session.logout", NULL, &err));
	app_clear_me(a);
	return a->restart ? SCREEN_QUIT : SCREEN_LOGIN;
}

/*
 * Asked before a form with input is left.  A session's end leaves without
 * asking (there is no session to change the password in) and keeps no
 * password.
 */
static const struct app_leave password_leave = {
	N_("Change password"), N_("Leave without changing the password? What you typed will be lost.")
};

enum screen_id
screen_password_run(struct app *a)
{
	struct password p = { .app = a, .forced = app_me_must_change_password(a),
	    .admin = app_me_is_unit_admin(a) };
	struct ui_event ev;
	enum screen_id next = SCREEN_HOME;
	enum app_form_step step;
	int id;

	ui_form_init(&p.form);
	ui_form_add_text(&p.form, PASSWORD_OLD, _("Old password"), 30, 128, true)->y = ROW_OLD;
	ui_form_add_text(&p.form, PASSWORD_NEW, _("New password"), 30, 128, true)->required = true;
	ui_form_add_text(&p.form, PASSWORD_CONFIRM, _("Confirm new password"), 30, 128,
	    true)->required = true;
	ui_form_field(&p.form, PASSWORD_NEW)->y = ROW_NEW;
	ui_form_field(&p.form, PASSWORD_CONFIRM)->y = ROW_CONFIRM;
	if (p.forced)
		ui_form_show(&p.form, PASSWORD_OLD, false);
	password_load_keys(&p);
	ui_form_add_button(&p.form, PASSWORD_OK, _("OK"))->y = password_buttons_row(&p);
	ui_form_add_button(&p.form, PASSWORD_CANCEL, p.forced ? _("Log out") :
	    _("Cancel"))->y = password_buttons_row(&p);
	p.form.default_id = PASSWORD_OK;
	ui_form_focus(&p.form, p.forced ? PASSWORD_NEW : PASSWORD_OLD);
	ui_set_backdrop(password_paint, &p);
	ui_help_set(p.forced ? password_forced_keys : password_keys);
	for (;;) {
		step = app_form_event(&ev, &password_leave, ui_form_edited(&p.form));
		if (step == APP_FORM_STAY)
			continue;
		if (step != APP_FORM_EVENT) {
			if (step == APP_FORM_QUIT)
				next = SCREEN_QUIT;
			else
				next = p.forced ? password_leave_forced(a) : SCREEN_HOME;
			break;
		}
		if (ui_form_key(&p.form, &ev, &id) != UI_FORM_ACTIVATED)
			continue;
		if (id == PASSWORD_CANCEL) {
			if (!app_may_leave(&password_leave, ui_form_edited(&p.form)))
				continue;
			next = p.forced ? password_leave_forced(a) : SCREEN_HOME;
			break;
		}
		if (id == PASSWORD_OK && password_submit(&p)) {
			if (p.forced)
				password_refresh_me(a);
			next = a->restart ? SCREEN_QUIT : SCREEN_HOME;
			break;
		}
	}
	ui_set_backdrop(NULL, NULL);
	ui_form_free(&p.form);
	for (size_t i = 0; i < p.nkeys; i++)
		free(p.labels[i]);
	free(p.labels);
	json_decref(p.keys);
	return next;
}
