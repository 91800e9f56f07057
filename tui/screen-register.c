/*
 * screen-register.c - 注册: the registration form, in the seed's two
 * blocks, account information (身份证号, 密码, 确认密码, 手机号码, 电子邮箱)
 * and personal information (region → unit → department, name, sex, birth
 * date, ethnicity, native place, school, major, title, education).
 *
 * The form is taller than 24 rows, so it scrolls.  Units, departments,
 * majors and the other lists are chosen in pickers fed by the ref.*
 * methods.  Typing a valid ID number fills in sex and birth date (the
 * server still checks them).  Every rule is the server's: account.register
 * answers with every broken one, each sentence beside its field.  Every way
 * out of a form with input asks first; a session's end keeps the form for
 * the next visit.  A rejected or withdrawn applicant registers again with
 * the same form.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "app.h"
#include "format.h"
#include "keys.h"
#include "person-form.h"
#include "text.h"
#include "validate.h"
#include "xmalloc.h"

enum register_field {
	REG_SUBMIT = PERSON_FIELDS_END,
	REG_BACK,
};

/* Rows of the form (it scrolls): a heading, fields, a heading, fields, buttons. */
#define REG_ROW_ACCOUNT		0
#define REG_ROW_PERSONAL	7
#define REG_ROW_BUTTONS		21

struct reg {
	struct app	*app;
	struct ui_form	 form;
	struct person_choices c;
	char		 message[512];
	bool		 message_error;
	char		 autofilled[19];	/* the ID number sex and birth date came from */
};

static void
reg_say(struct reg *r, const char *text, bool error)
{
	app_copy(r->message, sizeof r->message, text);
	r->message_error = error;
}


static void
reg_paint(void *arg)
{
	struct reg *r = arg;
	struct ui_form *f = &r->form;
	struct app_frame fr = { 0 };
	int w, x0, y;

	app_form_frame(f, _("Continuing Education · Register"), _("Personal registration"), &fr);
	w = fr.w;
	x0 = fr.x0;
	ui_form_place_labels(f, x0 + 5);
	app_place_buttons(f, REG_ROW_BUTTONS, x0 + (w - app_buttons_width(f, REG_ROW_BUTTONS,
	    4)) / 2, 4);
	ui_form_draw(f, true);	/* scrolls first: the headings follow */

	if ((y = ui_form_screen_y(f, REG_ROW_ACCOUNT)) >= 0)
		ui_put(y, x0 + 2, w - 4, _("Account information"), UI_TITLE, false);
	if ((y = ui_form_screen_y(f, REG_ROW_PERSONAL)) >= 0)
		ui_put(y, x0 + 2, w - 4, _("Personal information (* required)"), UI_TITLE, false);
	app_form_scrolled(f, &fr);

	ui_message_line(r->message, r->message_error);
	app_status(r->app, NULL);
}

/*
 * Once a valid ID number is typed, fill in the sex and birth date it
 * says (a help only: the server checks them against it).
 */
static void
reg_autofill(struct reg *r)
{
	struct idnum_info info;
	char date[16];

	if (idnum_check(ui_form_value(&r->form, PERSON_ID_NUMBER), 0, &info) != IDNUM_OK ||
	    strcmp(info.normalized, r->autofilled) == 0)
		return;
	app_copy(r->autofilled, sizeof r->autofilled, info.normalized);
	snprintf(date, sizeof date, "%04d-%02d-%02d", info.year, info.month, info.day);
	ui_form_set(&r->form, PERSON_BIRTH_DATE, date);
	ui_form_set_option(&r->form, PERSON_SEX, info.sex == SEX_MALE ? PERSON_SEX_MALE :
	    PERSON_SEX_FEMALE);
}

/*
 * Every problem of a refused registration on its field at once, the first
 * focused; a password that was refused is typed again.  The message line
 * says what is on no field, or how many fields need correcting.
 */
static void
reg_show_errors(struct reg *r, const struct rpc_error *err)
{
	const struct rpc_problem *loose = person_form_errors(&r->form, err);
	char text[512];

	for (size_t i = 0; i < err->nproblems; i++) {
		const struct rpc_problem *p = &err->problems[i];

		if (strcmp(p->reason, "required") != 0 && (strcmp(p->field, "password") == 0 ||
		    strcmp(p->field, "password_confirm") == 0))
			ui_form_set(&r->form, strcmp(p->field, "password") == 0 ? PERSON_PASSWORD :
			    PERSON_PASSWORD_CONFIRM, NULL);
	}
	app_form_message(err, loose, text, sizeof text);
	reg_say(r, text, true);
}

/*
 * Send account.register.  What was not chosen is left out: the server
 * names every required one left empty.  Returns true when it was stored.
 */
static bool
reg_submit(struct reg *r)
{
	struct rpc_error err;
	json_t *params, *result;

	ui_form_clear_errors(&r->form);
	reg_say(r, _("Submitting..."), false);
	ui_repaint();

	params = json_object();
	person_form_params(&r->form, &r->c, params, false);
	if ((result = app_call(r->app, "account.register", params, &err)) == NULL) {
		if (r->app->restart)
			return false;
		reg_show_errors(r, &err);
		return false;
	}
	reg_say(r, "", false);
	ui_message(_("Register"), *app_json_str(result, "message") != '\0' ?
	    app_json_str(result, "message") : _("The registration has been submitted for review."));
	json_decref(result);
	return true;
}

static void
reg_build(struct reg *r)
{
	int row;

	ui_form_init(&r->form);
	row = REG_ROW_ACCOUNT + 1;
	for (int id = PERSON_ID_NUMBER; id <= PERSON_EMAIL; id++)
		person_form_add(&r->form, id, row++);
	row = REG_ROW_PERSONAL + 1;
	for (int id = PERSON_REGION; id <= PERSON_EDUCATION; id++)
		person_form_add(&r->form, id, row++);
	ui_form_add_button(&r->form, REG_SUBMIT, _("Register"))->y = REG_ROW_BUTTONS;
	ui_form_add_button(&r->form, REG_BACK, _("Back"))->y = REG_ROW_BUTTONS;
}

/*
 * The form a session's end interrupted (idle_timeout): kept, its passwords
 * emptied, for the next visit of this screen, so that nothing typed is lost
 * to a session ending.  One at a time; NULL when there is none.
 */
static struct reg *reg_kept;

/* Asked before a form with input is left. */
static const struct app_leave reg_leave = {
	N_("Register"), N_("Leave the registration? What you typed will be lost.")
};

enum screen_id
screen_register_run(struct app *a)
{
	struct reg *r = reg_kept;
	struct ui_event ev;
	enum screen_id next = SCREEN_LOGIN;
	enum ui_form_result res;
	enum app_form_step step;
	const char *text;
	int id;

	reg_kept = NULL;
	if (r == NULL) {
		r = xcalloc(1, sizeof *r);
		reg_build(r);
	} else {
		reg_say(r, _("The form is as you left it when the session ended; type the "
		    "password again."), false);
	}
	r->app = a;
	ui_set_backdrop(reg_paint, r);
	ui_help_set(reg_keys);
	for (;;) {
		step = app_form_event(&ev, &reg_leave, ui_form_edited(&r->form));
		if (step == APP_FORM_STAY)
			continue;
		if (step != APP_FORM_EVENT) {
			if (step == APP_FORM_QUIT)
				next = SCREEN_QUIT;
			break;
		}
		res = ui_form_key(&r->form, &ev, &id);
		reg_autofill(r);
		if (res == UI_FORM_CLEARED) {
			person_unchoose(&r->form, &r->c, id);
			continue;
		}
		if (res != UI_FORM_ACTIVATED)
			continue;
		if (id == REG_BACK) {
			if (app_may_leave(&reg_leave, ui_form_edited(&r->form)))
				break;
			continue;
		}
		if (id == REG_SUBMIT) {
			if (reg_submit(r))
				break;
			continue;
		}
		reg_say(r, "", false);
		if ((text = person_choose(a, &r->form, &r->c, id)) != NULL)
			reg_say(r, text, true);
	}
	ui_set_backdrop(NULL, NULL);
	if (a->restart && ui_form_edited(&r->form)) {
		ui_form_set(&r->form, PERSON_PASSWORD, NULL);
		ui_form_set(&r->form, PERSON_PASSWORD_CONFIRM, NULL);
		ui_form_clear_errors(&r->form);
		reg_kept = r;
		return next;
	}
	ui_form_free(&r->form);
	free(r);
	return next;
}
