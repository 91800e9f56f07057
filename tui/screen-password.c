/*
 * screen-password.c - 修改密码: the old password, the new one twice.
 *
 * Every rule (is the old one right, is the new one strong enough, may an
 * administrator provisioned with SSH keys only skip the old one) is the
 * server's: the old password is sent when it was typed, and the server's
 * sentence goes beside the field it names.
 */
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "app.h"
#include "text.h"
#include "xmalloc.h"

enum password_field {
	PASSWORD_OLD = 1,
	PASSWORD_NEW,
	PASSWORD_CONFIRM,
	PASSWORD_OK,
	PASSWORD_CANCEL,
};

#define PASSWORD_FRAME_WIDTH	76

struct password {
	struct app	*app;
	struct ui_form	 form;
	char		 message[512];
};

static void
password_paint(void *arg)
{
	struct password *p = arg;
	struct ui_field *ok, *cancel;
	int w = PASSWORD_FRAME_WIDTH, x0 = (COLS - w) / 2, top = 2;

	ui_header(_("Continuing Education · Change password"));
	ui_box(top, x0, 12, w, _("Change password"), UI_FRAME);
	ui_form_place_labels(&p->form, x0 + 4);
	ui_form_field(&p->form, PASSWORD_OLD)->y = top + 2;
	ui_form_field(&p->form, PASSWORD_NEW)->y = top + 4;
	ui_form_field(&p->form, PASSWORD_CONFIRM)->y = top + 5;
	ui_put(top + 7, x0 + 4, w - 8,
	    _("An administrator who has no password yet leaves the old one empty."), UI_HINT,
	    false);
	ok = ui_form_field(&p->form, PASSWORD_OK);
	cancel = ui_form_field(&p->form, PASSWORD_CANCEL);
	ok->y = cancel->y = top + 9;
	ok->x = x0 + (w - ok->width - cancel->width - 3) / 2;
	cancel->x = ok->x + ok->width + 3;
	ui_form_draw(&p->form, true);
	ui_message_line(p->message, true);
	app_status(p->app, _("Tab: next  Enter: confirm  Esc: back  F10: quit"));
}

static int
password_field_of(const char *field)
{
	if (strcmp(field, "old_password") == 0)
		return PASSWORD_OLD;
	if (strcmp(field, "new_password") == 0)
		return PASSWORD_NEW;
	if (strcmp(field, "new_password_confirm") == 0)
		return PASSWORD_CONFIRM;
	return 0;
}

/* Send account.change_password; true when the password was changed. */
static bool
password_submit(struct password *p)
{
	struct rpc_error err;
	json_t *params, *result;
	json_int_t ended;
	char *text;
	int field;

	ui_form_clear_errors(&p->form);
	p->message[0] = '\0';
	params = json_pack("{s:s, s:s}",
	    "new_password", ui_form_value(&p->form, PASSWORD_NEW),
	    "new_password_confirm", ui_form_value(&p->form, PASSWORD_CONFIRM));
	if (*ui_form_value(&p->form, PASSWORD_OLD) != '\0')
		json_object_set_new(params, "old_password",
		    json_string(ui_form_value(&p->form, PASSWORD_OLD)));
	if ((result = app_call(p->app, "account.change_password", params, &err)) == NULL) {
		if (p->app->restart)
			return false;
		app_copy(p->message, sizeof p->message, err.message);
		if ((field = password_field_of(err.field)) != 0) {
			ui_form_set_error(&p->form, field, err.message);
			ui_form_set(&p->form, field, NULL);	/* a password: type it again */
			ui_form_focus(&p->form, field);
		}
		return false;
	}
	ended = json_integer_value(json_object_get(result, "ended_sessions"));
	json_decref(result);
	if (ended > 0)
		text = xasprintf(_("The password has been changed. %lld other session(s) of "
		    "this account were ended."), (long long)ended);
	else
		text = xstrdup(_("The password has been changed."));
	ui_message(_("Change password"), text);
	free(text);
	return true;
}

enum screen_id
screen_password_run(struct app *a)
{
	struct password p = { .app = a };
	struct ui_event ev;
	enum screen_id next = SCREEN_HOME;
	int id;

	ui_form_init(&p.form);
	ui_form_add_text(&p.form, PASSWORD_OLD, _("Old password"), 30, 128, true);
	ui_form_add_text(&p.form, PASSWORD_NEW, _("New password"), 30, 128, true)->required = true;
	ui_form_add_text(&p.form, PASSWORD_CONFIRM, _("Confirm new password"), 30, 128,
	    true)->required = true;
	ui_form_add_button(&p.form, PASSWORD_OK, _("OK"));
	ui_form_add_button(&p.form, PASSWORD_CANCEL, _("Cancel"));
	p.form.default_id = PASSWORD_OK;
	ui_set_backdrop(password_paint, &p);
	for (;;) {
		ui_repaint();
		ui_next_event(&ev);
		if (ev.type == UI_EV_QUIT || ui_is_quit_key(&ev)) {
			next = SCREEN_QUIT;
			break;
		}
		if (ev.type == UI_EV_KEY && ev.key == UI_KEY_ESC)
			break;
		if (ui_form_key(&p.form, &ev, &id) != UI_FORM_ACTIVATED)
			continue;
		if (id == PASSWORD_CANCEL || (id == PASSWORD_OK && password_submit(&p)))
			break;
	}
	ui_set_backdrop(NULL, NULL);
	ui_form_free(&p.form);
	return next;
}
