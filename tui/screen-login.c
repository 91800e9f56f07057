/*
 * screen-login.c - 登录: ID number, password, verification code.
 *
 * As on the platform's web page: the login form on the left with the
 * captcha picture under its field, the function list (empty until one is
 * logged in) on the right.  Whether a login succeeds, and why not, is the
 * server's to say; this screen shows its sentence and puts the cursor on
 * the field it names.
 */
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "app.h"
#include "text.h"
#include "xmalloc.h"

enum login_field {
	LOGIN_ID_NUMBER = 1,
	LOGIN_PASSWORD,
	LOGIN_CAPTCHA,
	LOGIN_SUBMIT,
	LOGIN_REGISTER,
};

/* Columns of the login frame; the function list takes the rest. */
#define LOGIN_FRAME_WIDTH	48
#define LOGIN_MAX_WIDTH		110	/* beyond this the screen is centred */
#define LOGIN_PICTURE_ROWS	7	/* captcha box, borders included */
#define LOGIN_PICTURE_WIDTH	30

struct login {
	struct app	*app;
	struct ui_form	 form;
	struct ui_list	 functions;	/* filled by the home screen once logged in */
	char		*captcha_id;	/* the server's name for the picture shown */
	char		**captcha_rows;	/* the picture, rows of text */
	size_t		  captcha_n;
	char		 message[512];	/* the last outcome, on the message line */
	bool		 message_error;
};

static void
login_say(struct login *l, const char *text, bool error)
{
	size_t n = strlen(text);

	if (n >= sizeof l->message) {
		n = sizeof l->message - 1;
		while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(l->message, text, n);
	l->message[n] = '\0';
	l->message_error = error;
}

/* Narrow an input box so that it and its ']' stay inside the frame. */
static void
login_fit_field(struct ui_field *fd, int right_edge, int want)
{
	fd->width = want;
	if (fd->x + fd->width + 1 > right_edge)
		fd->width = right_edge - fd->x - 1;
	if (fd->width < 4)
		fd->width = 4;
}

static void
login_paint(void *arg)
{
	struct login *l = arg;
	struct ui_field *id, *pw, *code, *submit, *reg;
	int width = COLS > LOGIN_MAX_WIDTH ? LOGIN_MAX_WIDTH : COLS;
	int x0 = (COLS - width) / 2, top = 2, h = LINES - 4, right, pw_w, bx;

	ui_header(_("Continuing Education · Log in"));
	ui_box(top, x0, h, LOGIN_FRAME_WIDTH, _("User login"), UI_FRAME);
	right = x0 + LOGIN_FRAME_WIDTH - 2;	/* last column inside the frame */

	id = ui_form_field(&l->form, LOGIN_ID_NUMBER);
	pw = ui_form_field(&l->form, LOGIN_PASSWORD);
	code = ui_form_field(&l->form, LOGIN_CAPTCHA);
	submit = ui_form_field(&l->form, LOGIN_SUBMIT);
	reg = ui_form_field(&l->form, LOGIN_REGISTER);

	ui_form_place_labels(&l->form, x0 + 3);
	id->y = top + 2;
	pw->y = top + 4;
	code->y = top + 6;
	login_fit_field(id, right, 24);
	login_fit_field(pw, right, 24);
	login_fit_field(code, right, 10);

	pw_w = right - code->x + 1;
	if (pw_w > LOGIN_PICTURE_WIDTH)
		pw_w = LOGIN_PICTURE_WIDTH;
	ui_picture(top + 8, code->x - 1, LOGIN_PICTURE_ROWS, pw_w, l->captcha_rows,
	    l->captcha_n, _("(F5: refresh)"));

	submit->y = reg->y = top + 8 + LOGIN_PICTURE_ROWS + 1;
	bx = x0 + (LOGIN_FRAME_WIDTH - submit->width - 4 - reg->width) / 2;
	submit->x = bx;
	reg->x = bx + submit->width + 4;
	ui_form_draw(&l->form, true);

	home_draw_functions(top, x0 + LOGIN_FRAME_WIDTH + 1, h, width - LOGIN_FRAME_WIDTH - 1,
	    &l->functions, false);
	ui_message_line(l->message, l->message_error);
	app_status(l->app, _("Tab: next  Enter: confirm  F5: new code  F10: quit"));
}

/*
 * Ask for a new verification code.  The server makes the picture (a later
 * issue) as rows of text, which login_paint draws with ui_picture into
 * captcha_rows' box; until then there is only the hint to show.
 */
static void
login_captcha_refresh(struct login *l)
{
	login_say(l, _("Verification codes are coming soon."), false);
}

/* Map the server's data.field to ours, or 0. */
static int
login_field_of(const char *field)
{
	if (strcmp(field, "id_number") == 0)
		return LOGIN_ID_NUMBER;
	if (strcmp(field, "password") == 0)
		return LOGIN_PASSWORD;
	if (strcmp(field, "captcha") == 0 || strcmp(field, "captcha_id") == 0)
		return LOGIN_CAPTCHA;
	return 0;
}

/* Send session.login; returns true when the server let us in. */
static bool
login_submit(struct login *l)
{
	struct rpc_error err;
	json_t *params, *result;
	int field;

	login_say(l, _("Logging in..."), false);
	ui_repaint();

	params = json_pack("{s:s, s:s, s:s}",
	    "id_number", ui_form_value(&l->form, LOGIN_ID_NUMBER),
	    "password", ui_form_value(&l->form, LOGIN_PASSWORD),
	    "captcha", ui_form_value(&l->form, LOGIN_CAPTCHA));
	if (l->captcha_id != NULL)
		json_object_set_new(params, "captcha_id", json_string(l->captcha_id));
	result = app_call(l->app, "session.login", params, &err);
	if (result != NULL) {
		json_decref(result);
		ui_form_set(&l->form, LOGIN_PASSWORD, NULL);
		login_say(l, "", false);
		return true;
	}

	login_say(l, err.message[0] != '\0' ? err.message : _("Login failed."), true);
	/* A code is good for one try; the field at fault gets the cursor. */
	ui_form_set(&l->form, LOGIN_CAPTCHA, NULL);
	if ((field = login_field_of(err.field)) != 0) {
		if (field == LOGIN_PASSWORD)
			ui_form_set(&l->form, LOGIN_PASSWORD, NULL);
		ui_form_focus(&l->form, field);
	}
	return false;
}

static void
login_free(struct login *l)
{
	ui_form_free(&l->form);
	ui_list_free(&l->functions);
	free(l->captcha_id);
	ui_lines_free(l->captcha_rows, l->captcha_n);
}

enum screen_id
screen_login_run(struct app *a)
{
	struct login l = { .app = a };
	struct ui_event ev;
	enum screen_id next = SCREEN_QUIT;
	int id;

	ui_form_init(&l.form);
	ui_form_add_text(&l.form, LOGIN_ID_NUMBER, _("ID number"), 24, 18, false);
	ui_form_add_text(&l.form, LOGIN_PASSWORD, _("Password"), 24, 128, true);
	ui_form_add_text(&l.form, LOGIN_CAPTCHA, _("Verification code"), 10, 16, false);
	ui_form_add_button(&l.form, LOGIN_SUBMIT, _("Log in"));
	ui_form_add_button(&l.form, LOGIN_REGISTER, _("Register"));
	l.form.default_id = LOGIN_SUBMIT;
	ui_list_init(&l.functions, _("Log in to see the functions."));
	ui_set_backdrop(login_paint, &l);

	for (;;) {
		ui_repaint();
		ui_next_event(&ev);
		if (ev.type == UI_EV_QUIT || ui_is_quit_key(&ev))
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
		if (id == LOGIN_REGISTER)
			ui_message(_("Register"), _("Registration is coming soon."));
	}
	ui_set_backdrop(NULL, NULL);
	login_free(&l);
	return next;
}
