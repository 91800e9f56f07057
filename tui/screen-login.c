/*
 * screen-login.c - 登录: ID number, password, verification code.
 *
 * The fields on top, the buttons under them, and the verification code's
 * picture (up to 72 columns by 9 rows, from captcha.new) below, so that
 * everything fits in 80x24.  Whether a login succeeds, and why not, is the
 * server's to say: its sentence goes beside the field it names and on the
 * message line.  A code is good for one try, so a new one is fetched after
 * every failed login; when the server says none is needed (captcha "off",
 * or "after-failures" before any failure) the field and picture are hidden.
 */
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "app.h"
#include "keys.h"
#include "text.h"
#include "xmalloc.h"

enum login_field {
	LOGIN_ID_NUMBER = 1,
	LOGIN_PASSWORD,
	LOGIN_CAPTCHA,
	LOGIN_SUBMIT,
	LOGIN_REFRESH,
	LOGIN_REGISTER,
	LOGIN_STATUS,
};

#define LOGIN_FRAME_WIDTH	78	/* fits 80 columns; the picture is 72 wide */
#define LOGIN_PICTURE_ROWS	11	/* 9 rows and the frame */
#define LOGIN_ROW_BUTTONS	7	/* the screen's row: the frame's top + 6 */

struct login {
	struct app	*app;
	struct ui_form	 form;
	char		**captcha_rows;	/* the picture, rows of text */
	size_t		  captcha_n;
	bool		  captcha_required;
	char		 *captcha_note;	/* why there is no picture, or NULL */
	char		  message[512];	/* the last outcome, on the message line */
	bool		  message_error;
};

static void
login_say(struct login *l, const char *text, bool error)
{
	app_say(l->message, sizeof l->message, &l->message_error, text, error);
}



static void
login_paint(void *arg)
{
	struct login *l = arg;
	int w = LOGIN_FRAME_WIDTH, x0 = (COLS - w) / 2, top = 1, h = LINES - 3;

	ui_header(_("Continuing Education · Log in"));
	ui_box(top, x0, h, w, _("User login"), UI_FRAME);
	l->form.right = x0 + w - 1;	/* errors beside a field end at the border */

	ui_form_place_labels(&l->form, x0 + 4);
	ui_form_field(&l->form, LOGIN_ID_NUMBER)->y = top + 2;
	ui_form_field(&l->form, LOGIN_PASSWORD)->y = top + 3;
	ui_form_field(&l->form, LOGIN_CAPTCHA)->y = top + 4;

	/* The buttons in one row, centred; hidden ones take no room. */
	app_place_buttons(&l->form, LOGIN_ROW_BUTTONS, x0 + (w - app_buttons_width(&l->form,
	    LOGIN_ROW_BUTTONS, 3)) / 2, 3);
	ui_form_draw(&l->form, true);

	if (l->captcha_required) {
		ui_picture(top + 8, x0 + 2, LOGIN_PICTURE_ROWS, w - 4, l->captcha_rows,
		    l->captcha_n, l->captcha_note);
		ui_put_center(top + 8 + LOGIN_PICTURE_ROWS, x0 + 1, w - 2,
		    _("Cannot read it? F5 shows another code."), UI_HINT);
	}
	ui_message_line(l->message, l->message_error);
	app_status(l->app, NULL);
}

/* Show or hide what belongs to the verification code. */
static void
login_captcha_show(struct login *l, bool required)
{
	l->captcha_required = required;
	ui_form_show(&l->form, LOGIN_CAPTCHA, required);
	ui_form_show(&l->form, LOGIN_REFRESH, required);
	ui_help_set(required ? login_captcha_keys : login_keys);
}

/*
 * Ask the server for a new verification code (it replaces any earlier
 * one): its picture, and whether the next login needs it at all.
 */
static void
login_captcha_refresh(struct login *l)
{
	struct rpc_error err;
	json_t *result, *rows, *row;
	size_t i;

	ui_lines_free(l->captcha_rows, l->captcha_n);
	l->captcha_rows = NULL;
	l->captcha_n = 0;
	free(l->captcha_note);
	l->captcha_note = NULL;
	ui_form_set(&l->form, LOGIN_CAPTCHA, NULL);

	if ((result = app_call(l->app, "captcha.new", NULL, &err)) == NULL) {
		/* Keep the field: the server will say at login whether it wanted one. */
		l->captcha_note = xstrdup(err.message);
		login_captcha_show(l, true);
		return;
	}
	rows = json_object_get(result, "rows");
	l->captcha_rows = xcalloc(json_array_size(rows) + 1, sizeof *l->captcha_rows);
	json_array_foreach(rows, i, row) {
		if (json_is_string(row))
			l->captcha_rows[l->captcha_n++] = xstrdup(json_string_value(row));
	}
	/* An older server says nothing about it: then a code is always wanted. */
	login_captcha_show(l, !json_is_false(json_object_get(result, "required")));
	json_decref(result);
}

/* The server's names of the fields, and ours. */
static const struct app_field login_fields[] = {
	{ "id_number", LOGIN_ID_NUMBER },
	{ "password", LOGIN_PASSWORD },
	{ "captcha", LOGIN_CAPTCHA },
	{ NULL, 0 },
};

/* Send session.login; returns true when the server let us in. */
static bool
login_submit(struct login *l)
{
	struct rpc_error err;
	json_t *params, *result;
	char text[512];
	int focus;

	login_say(l, _("Logging in..."), false);
	ui_form_clear_errors(&l->form);
	ui_repaint();

	params = json_pack("{s:s, s:s}",
	    "id_number", ui_form_value(&l->form, LOGIN_ID_NUMBER),
	    "password", ui_form_value(&l->form, LOGIN_PASSWORD));
	if (l->captcha_required)
		json_object_set_new(params, "captcha",
		    json_string(ui_form_value(&l->form, LOGIN_CAPTCHA)));
	result = app_call(l->app, "session.login", params, &err);
	if (result != NULL) {
		app_set_me(l->app, result);
		json_decref(result);
		ui_form_set(&l->form, LOGIN_PASSWORD, NULL);
		login_say(l, "", false);
		return true;
	}
	if (l->app->restart)
		return false;

	/* Every problem on its field (an empty ID number and password both). */
	app_form_message(&err, app_form_errors(&l->form, &err, login_fields), text,
	    sizeof text);
	login_say(l, *text != '\0' ? text : _("Login failed."), true);
	focus = ui_form_focus_id(&l->form);
	if (strcmp(err.reason, "bad_credentials") == 0 ||
	    (strcmp(err.field, "password") == 0 && strcmp(err.reason, "required") != 0)) {
		/* 账户或密码错误: type the password again. */
		ui_form_set(&l->form, LOGIN_PASSWORD, NULL);
		focus = LOGIN_PASSWORD;
	}
	/* The code was used up by this try, right or wrong. */
	login_captcha_refresh(l);
	ui_form_focus(&l->form, focus);
	return false;
}

static void
login_free(struct login *l)
{
	ui_form_free(&l->form);
	ui_lines_free(l->captcha_rows, l->captcha_n);
	free(l->captcha_note);
}

/*
 * The ID number typed before a jump to 注册 or 注册进度查询, shown again on
 * the way back (never the password).
 */
static char login_kept_id[32];

enum screen_id
screen_login_run(struct app *a)
{
	struct login l = { .app = a };
	struct ui_event ev;
	enum screen_id next = SCREEN_QUIT;
	int id;

	ui_form_init(&l.form);
	ui_form_add_text(&l.form, LOGIN_ID_NUMBER, _("ID number"), 20, 18, false);
	ui_form_add_text(&l.form, LOGIN_PASSWORD, _("Password"), 24, 128, true);
	ui_form_add_text(&l.form, LOGIN_CAPTCHA, _("Verification code"), 8, 8, false);
	ui_form_add_button(&l.form, LOGIN_SUBMIT, _("Log in"))->y = LOGIN_ROW_BUTTONS;
	ui_form_add_button(&l.form, LOGIN_REFRESH, _("New code"))->y = LOGIN_ROW_BUTTONS;
	ui_form_add_button(&l.form, LOGIN_REGISTER, _("Register"))->y = LOGIN_ROW_BUTTONS;
	ui_form_add_button(&l.form, LOGIN_STATUS, _("Application status"))->y = LOGIN_ROW_BUTTONS;
	l.form.default_id = LOGIN_SUBMIT;
	ui_set_backdrop(login_paint, &l);
	ui_help_set(login_keys);
	login_captcha_refresh(&l);
	if (login_kept_id[0] != '\0') {
		ui_form_set(&l.form, LOGIN_ID_NUMBER, login_kept_id);
		ui_form_focus(&l.form, LOGIN_PASSWORD);
		login_kept_id[0] = '\0';
	}

	for (;;) {
		if (app_next_event(a, &ev))
			break;
		if (ev.type == UI_EV_KEY && ev.key == KEY_F(5)) {
			login_captcha_refresh(&l);
			continue;
		}
		if (ui_form_key(&l.form, &ev, &id) != UI_FORM_ACTIVATED)
			continue;
		if (id == LOGIN_SUBMIT && login_submit(&l)) {
			next = SCREEN_HOME;
			break;
		}
		if (id == LOGIN_REFRESH)
			login_captcha_refresh(&l);
		if (id == LOGIN_REGISTER) {
			next = SCREEN_REGISTER;
			break;
		}
		if (id == LOGIN_STATUS) {
			next = SCREEN_STATUS;
			break;
		}
	}
	if (next == SCREEN_REGISTER || next == SCREEN_STATUS)
		app_copy(login_kept_id, sizeof login_kept_id,
		    ui_form_value(&l.form, LOGIN_ID_NUMBER));
	ui_set_backdrop(NULL, NULL);
	login_free(&l);
	return next;
}
