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
#include "text.h"
#include "validate.h"
#include "xmalloc.h"

enum register_field {
	REG_ID_NUMBER = 1,
	REG_PASSWORD,
	REG_PASSWORD_CONFIRM,
	REG_PHONE,
	REG_EMAIL,
	REG_REGION,
	REG_UNIT,
	REG_DEPARTMENT,
	REG_NAME,
	REG_SEX,
	REG_BIRTH_DATE,
	REG_ETHNICITY,
	REG_NATIVE_PLACE,
	REG_SCHOOL,
	REG_MAJOR,
	REG_TITLE,
	REG_EDUCATION,
	REG_SUBMIT,
	REG_BACK,
};

/* Rows of the form (it scrolls): a heading, fields, a heading, fields, buttons. */
#define REG_ROW_ACCOUNT		0
#define REG_ROW_PERSONAL	7
#define REG_ROW_BUTTONS		21
#define REG_FIELD_WIDTH		30
#define REG_PAGE		50	/* items per page of the long pickers */

enum { REG_SEX_MALE, REG_SEX_FEMALE };

struct reg {
	struct app	*app;
	struct ui_form	 form;
	const char	*sex_options[2];
	char		 message[512];
	bool		 message_error;

	/* What the pickers chose: codes and ids, "" or 0 for none. */
	char		 region[16];
	char		 unit[40];
	json_int_t	 department_id;
	char		 ethnicity[8];
	char		 major[16];
	json_int_t	 title_id;
	char		 education[8];
	char		 title_series[64];	/* the series picked before the title */

	char		 autofilled[19];	/* the ID number sex and birth date came from */
};

static void
reg_say(struct reg *r, const char *text, bool error)
{
	app_copy(r->message, sizeof r->message, text);
	r->message_error = error;
}

static const struct ui_key_help reg_keys[] = {
	{ N_("Tab"), N_("next field"), true },
	{ N_("Down, Up; Shift-Tab"), N_("next, previous field"), false },
	{ N_("Enter"), N_("choose"), true },
	{ N_("F4, Space, typing"), N_("open the list of a choice field"), false },
	{ N_("Delete"), N_("clear a chosen field"), false },
	{ N_("Left/Right"), N_("choose among the options side by side"), false },
	{ N_("PgUp/PgDn"), N_("scroll"), true },
	{ N_("Esc"), N_("back (asks first)"), true },
	{ N_("F10"), N_("quit"), true },
	{ 0 }
};

static void
reg_paint(void *arg)
{
	struct reg *r = arg;
	struct ui_form *f = &r->form;
	struct ui_field *submit, *back;
	int w = COLS >= 100 ? 96 : COLS - 2, x0 = (COLS - w) / 2, top = 1, h = LINES - 3, y;

	ui_header(_("Continuing Education · Register"));
	ui_box(top, x0, h, w, _("Personal registration"), UI_FRAME);
	ui_form_set_box(f, top, x0, h, w);
	ui_form_place_labels(f, x0 + 5);
	submit = ui_form_field(f, REG_SUBMIT);
	back = ui_form_field(f, REG_BACK);
	submit->x = x0 + (w - submit->width - back->width - 4) / 2;
	back->x = submit->x + submit->width + 4;
	ui_form_draw(f, true);	/* scrolls first: the headings follow */

	if ((y = ui_form_screen_y(f, REG_ROW_ACCOUNT)) >= 0)
		ui_put(y, x0 + 2, w - 4, _("Account information"), UI_TITLE, false);
	if ((y = ui_form_screen_y(f, REG_ROW_PERSONAL)) >= 0)
		ui_put(y, x0 + 2, w - 4, _("Personal information (* required)"), UI_TITLE, false);
	if (f->view_top > 0)
		ui_put(top, x0 + w - 16, 14, _("(more above)"), UI_HINT, false);
	if (ui_form_last_row(f) >= f->view_top + f->view_h)
		ui_put(top + h - 1, x0 + w - 16, 14, _("(more below)"), UI_HINT, false);

	ui_message_line(r->message, r->message_error);
	app_status(r->app, NULL);
}

/* Pickers: each fetches its list from a ref.* method. */

/* Call method and add its items with key and label made by fn; 0 or -1 (failed). */
static int
reg_fetch(struct ui_picker *p, const char *method, json_t *params,
    void (*add)(struct ui_picker *, json_t *))
{
	struct reg *r = p->arg;
	struct rpc_error err;
	json_t *result, *item, *next;
	size_t i;

	if ((result = app_call(r->app, method, params, &err)) == NULL) {
		ui_picker_fail(p, err.message);
		return -1;
	}
	json_array_foreach(json_object_get(result, "items"), i, item)
		add(p, item);
	next = json_object_get(result, "next");
	ui_picker_set_next(p, json_is_string(next) ? json_string_value(next) : NULL);
	json_decref(result);
	return 0;
}

/* Paging params: filter and after when given, and the page size. */
static json_t *
reg_page_params(json_t *params, const char *filter, const char *after)
{
	if (filter != NULL && *filter != '\0')
		json_object_set_new(params, "filter", json_string(filter));
	if (after != NULL)
		json_object_set_new(params, "after", json_string(after));
	json_object_set_new(params, "limit", json_integer(REG_PAGE));
	return params;
}

#define reg_str app_json_str

/* {code, name}: the name is what shows. */
static void
reg_add_named(struct ui_picker *p, json_t *item)
{
	ui_picker_add(p, reg_str(item, "code"), reg_str(item, "name"), NULL);
}

/* {code, name}: the name, and its code beside it (names of units may look alike). */
static void
reg_add_coded(struct ui_picker *p, json_t *item)
{
	ui_picker_add(p, reg_str(item, "code"), reg_str(item, "name"), reg_str(item, "code"));
}

static void
reg_add_department(struct ui_picker *p, json_t *item)
{
	char id[32];

	snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(item, "id")));
	ui_picker_add(p, id, reg_str(item, "name"), NULL);
}

static void
reg_add_major(struct ui_picker *p, json_t *item)
{
	char *detail = xasprintf("%s %s", reg_str(item, "code"), reg_str(item, "discipline"));

	ui_picker_add(p, reg_str(item, "code"), reg_str(item, "name"), detail);
	free(detail);
}

static void
reg_add_title(struct ui_picker *p, json_t *item)
{
	char id[32], *label;

	snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(item, "id")));
	label = format_title(reg_str(item, "series"), reg_str(item, "name"));
	ui_picker_add(p, id, label, reg_str(item, "level"));
	free(label);
}

static int
reg_fetch_regions(struct ui_picker *p, const char *filter, const char *after)
{
	return reg_fetch(p, "ref.regions", NULL, reg_add_named);
}

static int
reg_fetch_units(struct ui_picker *p, const char *filter, const char *after)
{
	struct reg *r = p->arg;

	return reg_fetch(p, "ref.units", reg_page_params(json_pack("{s:s}", "region", r->region),
	    filter, after), reg_add_coded);
}

static int
reg_fetch_departments(struct ui_picker *p, const char *filter, const char *after)
{
	struct reg *r = p->arg;

	return reg_fetch(p, "ref.departments", json_pack("{s:s}", "unit", r->unit),
	    reg_add_department);
}

static int
reg_fetch_ethnicities(struct ui_picker *p, const char *filter, const char *after)
{
	return reg_fetch(p, "ref.ethnicities", NULL, reg_add_named);
}

static int
reg_fetch_majors(struct ui_picker *p, const char *filter, const char *after)
{
	return reg_fetch(p, "ref.majors", reg_page_params(json_object(), filter, after),
	    reg_add_major);
}

/* ref.title_series: a list of names, each its own key. */
static int
reg_fetch_series(struct ui_picker *p, const char *filter, const char *after)
{
	struct reg *r = p->arg;
	struct rpc_error err;
	json_t *result, *item;
	size_t i;

	if ((result = app_call(r->app, "ref.title_series", NULL, &err)) == NULL) {
		ui_picker_fail(p, err.message);
		return -1;
	}
	json_array_foreach(json_object_get(result, "items"), i, item) {
		if (json_is_string(item))
			ui_picker_add(p, json_string_value(item), json_string_value(item), NULL);
	}
	json_decref(result);
	return 0;
}

static int
reg_fetch_titles(struct ui_picker *p, const char *filter, const char *after)
{
	struct reg *r = p->arg;

	return reg_fetch(p, "ref.titles", json_pack("{s:s}", "series", r->title_series),
	    reg_add_title);
}

static int
reg_fetch_education(struct ui_picker *p, const char *filter, const char *after)
{
	return reg_fetch(p, "ref.education_levels", NULL, reg_add_named);
}

/*
 * Run a picker titled by field id's label; on a choice copy its key into
 * key (size bytes) and show its label in the field.  Returns true when
 * something was chosen.
 */
static bool
reg_pick(struct reg *r, int id, int (*fetch)(struct ui_picker *, const char *, const char *),
    bool server_filter, char *key, size_t size)
{
	struct ui_field *fd = ui_form_field(&r->form, id);
	struct ui_picker p;
	char initial[8] = "";
	long chosen;

	if (r->form.typed != 0) {
		/* The character typed on the field starts the filter. */
		wchar_t wc[2] = { (wchar_t)r->form.typed, 0 };

		if (wcstombs(initial, wc, sizeof initial) == (size_t)-1)
			initial[0] = '\0';
		r->form.typed = 0;
	}
	ui_picker_init(&p, fd->label, fetch, r, server_filter);
	chosen = ui_picker_run(&p, initial);
	if (chosen >= 0) {
		app_copy(key, size, p.items[chosen].key);
		ui_form_choose(&r->form, id, p.items[chosen].label);
	}
	ui_picker_free(&p);
	return chosen >= 0;
}

/* Open the picker of a pick field. */
static void
reg_choose(struct reg *r, int id)
{
	char key[64], old[64];

	switch (id) {
	case REG_REGION:
		app_copy(old, sizeof old, r->region);
		if (reg_pick(r, id, reg_fetch_regions, false, r->region, sizeof r->region) &&
		    strcmp(old, r->region) != 0) {
			/* Another region: its units are others. */
			r->unit[0] = '\0';
			r->department_id = 0;
			ui_form_set(&r->form, REG_UNIT, NULL);
			ui_form_set(&r->form, REG_DEPARTMENT, NULL);
		}
		break;
	case REG_UNIT:
		if (r->region[0] == '\0') {
			reg_say(r, _("Choose the region of the employer first."), true);
			ui_form_focus(&r->form, REG_REGION);
			break;
		}
		app_copy(old, sizeof old, r->unit);
		if (reg_pick(r, id, reg_fetch_units, true, r->unit, sizeof r->unit) &&
		    strcmp(old, r->unit) != 0) {
			r->department_id = 0;
			ui_form_set(&r->form, REG_DEPARTMENT, NULL);
		}
		break;
	case REG_DEPARTMENT:
		if (r->unit[0] == '\0') {
			reg_say(r, _("Choose the employer first."), true);
			ui_form_focus(&r->form, REG_UNIT);
			break;
		}
		if (reg_pick(r, id, reg_fetch_departments, false, key, sizeof key))
			r->department_id = strtoll(key, NULL, 10);
		break;
	case REG_ETHNICITY:
		reg_pick(r, id, reg_fetch_ethnicities, false, r->ethnicity, sizeof r->ethnicity);
		break;
	case REG_MAJOR:
		reg_pick(r, id, reg_fetch_majors, true, r->major, sizeof r->major);
		break;
	case REG_TITLE:
		/* The series first, then a title of that series. */
		if (!reg_pick(r, id, reg_fetch_series, false, r->title_series,
		    sizeof r->title_series))
			break;
		if (reg_pick(r, id, reg_fetch_titles, false, key, sizeof key))
			r->title_id = strtoll(key, NULL, 10);
		else if (r->title_id == 0)
			ui_form_set(&r->form, REG_TITLE, NULL);	/* only the series: nothing */
		break;
	case REG_EDUCATION:
		reg_pick(r, id, reg_fetch_education, false, r->education, sizeof r->education);
		break;
	}
}

/* Delete on a pick field: nothing chosen any more. */
static void
reg_unchoose(struct reg *r, int id)
{
	switch (id) {
	case REG_REGION:
		r->region[0] = r->unit[0] = '\0';
		r->department_id = 0;
		ui_form_set(&r->form, REG_UNIT, NULL);
		ui_form_set(&r->form, REG_DEPARTMENT, NULL);
		break;
	case REG_UNIT:
		r->unit[0] = '\0';
		r->department_id = 0;
		ui_form_set(&r->form, REG_DEPARTMENT, NULL);
		break;
	case REG_DEPARTMENT:
		r->department_id = 0;
		break;
	case REG_ETHNICITY:
		r->ethnicity[0] = '\0';
		break;
	case REG_MAJOR:
		r->major[0] = '\0';
		break;
	case REG_TITLE:
		r->title_id = 0;
		break;
	case REG_EDUCATION:
		r->education[0] = '\0';
		break;
	}
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

	if (idnum_check(ui_form_value(&r->form, REG_ID_NUMBER), 0, &info) != IDNUM_OK ||
	    strcmp(info.normalized, r->autofilled) == 0)
		return;
	app_copy(r->autofilled, sizeof r->autofilled, info.normalized);
	snprintf(date, sizeof date, "%04d-%02d-%02d", info.year, info.month, info.day);
	ui_form_set(&r->form, REG_BIRTH_DATE, date);
	ui_form_set_option(&r->form, REG_SEX, info.sex == SEX_MALE ? REG_SEX_MALE :
	    REG_SEX_FEMALE);
}

/* The server's names of the fields, and ours. */
static const struct app_field reg_fields[] = {
	{ "id_number", REG_ID_NUMBER },
	{ "password", REG_PASSWORD },
	{ "password_confirm", REG_PASSWORD_CONFIRM },
	{ "phone", REG_PHONE },
	{ "email", REG_EMAIL },
	{ "unit", REG_UNIT },
	{ "department_id", REG_DEPARTMENT },
	{ "name", REG_NAME },
	{ "sex", REG_SEX },
	{ "birth_date", REG_BIRTH_DATE },
	{ "ethnicity", REG_ETHNICITY },
	{ "native_place", REG_NATIVE_PLACE },
	{ "school", REG_SCHOOL },
	{ "major", REG_MAJOR },
	{ "title_id", REG_TITLE },
	{ "education_level", REG_EDUCATION },
	{ NULL, 0 },
};

/* Add name: the value of text field id, when it is not empty. */
static void
reg_param_text(struct reg *r, json_t *params, const char *name, int id, bool always)
{
	const char *v = ui_form_value(&r->form, id);

	if (always || *v != '\0')
		json_object_set_new(params, name, json_string(v));
}

/*
 * Every problem of a refused registration on its field at once, the first
 * focused; a password that was refused is typed again.  The message line
 * says what is on no field, or how many fields need correcting.
 */
static void
reg_show_errors(struct reg *r, const struct rpc_error *err)
{
	const struct rpc_problem *loose = app_form_errors(&r->form, err, reg_fields);
	char text[512];

	for (size_t i = 0; i < err->nproblems; i++) {
		const struct rpc_problem *p = &err->problems[i];

		if (strcmp(p->reason, "required") != 0 && (strcmp(p->field, "password") == 0 ||
		    strcmp(p->field, "password_confirm") == 0))
			ui_form_set(&r->form, strcmp(p->field, "password") == 0 ? REG_PASSWORD :
			    REG_PASSWORD_CONFIRM, NULL);
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
	int sex;

	ui_form_clear_errors(&r->form);
	reg_say(r, _("Submitting..."), false);
	ui_repaint();

	params = json_object();
	reg_param_text(r, params, "id_number", REG_ID_NUMBER, true);
	reg_param_text(r, params, "password", REG_PASSWORD, true);
	reg_param_text(r, params, "password_confirm", REG_PASSWORD_CONFIRM, true);
	reg_param_text(r, params, "phone", REG_PHONE, true);
	reg_param_text(r, params, "email", REG_EMAIL, true);
	if (r->unit[0] != '\0')
		json_object_set_new(params, "unit", json_string(r->unit));
	if (r->department_id > 0)
		json_object_set_new(params, "department_id", json_integer(r->department_id));
	reg_param_text(r, params, "name", REG_NAME, true);
	if ((sex = ui_form_option(&r->form, REG_SEX)) >= 0)
		json_object_set_new(params, "sex", json_string(sex == REG_SEX_MALE ? "male" :
		    "female"));
	reg_param_text(r, params, "birth_date", REG_BIRTH_DATE, true);
	if (r->ethnicity[0] != '\0')
		json_object_set_new(params, "ethnicity", json_string(r->ethnicity));
	reg_param_text(r, params, "native_place", REG_NATIVE_PLACE, false);
	reg_param_text(r, params, "school", REG_SCHOOL, false);
	if (r->major[0] != '\0')
		json_object_set_new(params, "major", json_string(r->major));
	if (r->title_id > 0)
		json_object_set_new(params, "title_id", json_integer(r->title_id));
	if (r->education[0] != '\0')
		json_object_set_new(params, "education_level", json_string(r->education));

	if ((result = app_call(r->app, "account.register", params, &err)) == NULL) {
		if (r->app->restart)
			return false;
		reg_show_errors(r, &err);
		return false;
	}
	reg_say(r, "", false);
	ui_message(_("Register"), *reg_str(result, "message") != '\0' ?
	    reg_str(result, "message") : _("The registration has been submitted for review."));
	json_decref(result);
	return true;
}

static void
reg_build(struct reg *r)
{
	struct ui_form *f = &r->form;
	struct ui_field *fd;
	int row;

	ui_form_init(f);
	r->sex_options[REG_SEX_MALE] = _("Male");
	r->sex_options[REG_SEX_FEMALE] = _("Female");

	row = REG_ROW_ACCOUNT + 1;
	fd = ui_form_add_text(f, REG_ID_NUMBER, _("ID number"), REG_FIELD_WIDTH, 18, false);
	fd->required = true;
	fd->y = row++;
	fd = ui_form_add_text(f, REG_PASSWORD, _("Password"), REG_FIELD_WIDTH, 128, true);
	fd->required = true;
	fd->y = row++;
	fd = ui_form_add_text(f, REG_PASSWORD_CONFIRM, _("Confirm password"), REG_FIELD_WIDTH,
	    128, true);
	fd->required = true;
	fd->y = row++;
	fd = ui_form_add_text(f, REG_PHONE, _("Mobile phone"), REG_FIELD_WIDTH, 11, false);
	fd->required = true;
	fd->y = row++;
	fd = ui_form_add_text(f, REG_EMAIL, _("E-mail"), REG_FIELD_WIDTH, 254, false);
	fd->required = true;
	fd->y = row++;

	row = REG_ROW_PERSONAL + 1;
	fd = ui_form_add_pick(f, REG_REGION, _("Region of the employer"), REG_FIELD_WIDTH);
	fd->required = true;
	fd->y = row++;
	fd = ui_form_add_pick(f, REG_UNIT, _("Employer"), REG_FIELD_WIDTH);
	fd->required = true;
	fd->y = row++;
	fd = ui_form_add_pick(f, REG_DEPARTMENT, _("Department"), REG_FIELD_WIDTH);
	fd->required = true;
	fd->y = row++;
	fd = ui_form_add_text(f, REG_NAME, _("Name"), REG_FIELD_WIDTH, 50, false);
	fd->required = true;
	fd->y = row++;
	fd = ui_form_add_choice(f, REG_SEX, _("Sex"), r->sex_options, 2);
	fd->required = true;
	fd->y = row++;
	fd = ui_form_add_text(f, REG_BIRTH_DATE, _("Date of birth"), REG_FIELD_WIDTH, 10, false);
	fd->required = true;
	fd->placeholder = "YYYY-MM-DD";
	fd->y = row++;
	fd = ui_form_add_pick(f, REG_ETHNICITY, _("Ethnicity"), REG_FIELD_WIDTH);
	fd->required = true;
	fd->y = row++;
	fd = ui_form_add_text(f, REG_NATIVE_PLACE, _("Native place"), REG_FIELD_WIDTH, 100, false);
	fd->y = row++;
	fd = ui_form_add_text(f, REG_SCHOOL, _("Graduated from"), REG_FIELD_WIDTH, 100, false);
	fd->y = row++;
	fd = ui_form_add_pick(f, REG_MAJOR, _("Major"), REG_FIELD_WIDTH);
	fd->y = row++;
	fd = ui_form_add_pick(f, REG_TITLE, _("Professional title"), REG_FIELD_WIDTH);
	fd->y = row++;
	fd = ui_form_add_pick(f, REG_EDUCATION, _("Education"), REG_FIELD_WIDTH);
	fd->y = row++;
	for (size_t i = 0; i < f->n; i++) {
		if (f->fields[i].type == UI_FIELD_PICK)
			f->fields[i].placeholder = _("Enter: choose");
	}

	ui_form_add_button(f, REG_SUBMIT, _("Register"))->y = REG_ROW_BUTTONS;
	ui_form_add_button(f, REG_BACK, _("Back"))->y = REG_ROW_BUTTONS;
}

/*
 * The form a session's end interrupted (idle_timeout): kept, its passwords
 * emptied, for the next visit of this screen, so that nothing typed is lost
 * to a session ending.  One at a time; NULL when there is none.
 */
static struct reg *reg_kept;

/* May the form be left?  Asks first, the safe answer focused, when there is input. */
static bool
reg_may_leave(struct reg *r)
{
	return !ui_form_edited(&r->form) || ui_confirm_safe(_("Register"),
	    _("Leave the registration? What you typed will be lost."));
}

enum screen_id
screen_register_run(struct app *a)
{
	struct reg *r = reg_kept;
	struct ui_event ev;
	enum screen_id next = SCREEN_LOGIN;
	enum ui_form_result res;
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
		ui_repaint();
		ui_next_event(&ev);
		if (ev.type == UI_EV_QUIT) {
			next = SCREEN_QUIT;
			break;
		}
		if (ui_is_quit_key(&ev)) {
			if (!reg_may_leave(r))
				continue;
			next = SCREEN_QUIT;
			break;
		}
		if (ev.type == UI_EV_KEY && ev.key == UI_KEY_ESC) {
			if (reg_may_leave(r))
				break;
			continue;
		}
		res = ui_form_key(&r->form, &ev, &id);
		reg_autofill(r);
		if (res == UI_FORM_CLEARED) {
			reg_unchoose(r, id);
			continue;
		}
		if (res != UI_FORM_ACTIVATED)
			continue;
		if (id == REG_BACK) {
			if (reg_may_leave(r))
				break;
			continue;
		}
		if (id == REG_SUBMIT) {
			if (reg_submit(r))
				break;
			continue;
		}
		reg_say(r, "", false);
		reg_choose(r, id);
	}
	ui_set_backdrop(NULL, NULL);
	if (a->restart && ui_form_edited(&r->form)) {
		ui_form_set(&r->form, REG_PASSWORD, NULL);
		ui_form_set(&r->form, REG_PASSWORD_CONFIRM, NULL);
		ui_form_clear_errors(&r->form);
		reg_kept = r;
		return next;
	}
	ui_form_free(&r->form);
	free(r);
	return next;
}
