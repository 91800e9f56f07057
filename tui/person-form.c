/*
 * person-form.c - the fields of a person's information and their pickers,
 * shared by the registration (screen-register.c) and the profile
 * (screen-profile.c).  Every rule is the server's: the fields only say
 * which are required, and the pickers list what ref.* offers.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "person-form.h"
#include "format.h"
#include "i18n.h"
#include "xmalloc.h"

#define PERSON_PAGE	50	/* items per page of the long pickers */

/* A field: its name in the protocol and its id, its label, whether it is required. */
struct person_field_def {
	struct app_field field;
	const char	*label;
	bool		 required;
	int		 max;		/* a text field's bytes; -1: the choice of sex */
	bool		 secret;
	size_t		 at;		/* a pick's choice: its place in person_choices, */
	bool		 id;		/* a json_int_t there (else a code) */
};

/* The fields typed (and the choice of sex), */
static const struct person_field_def person_typed[] = {
	{ { "id_number", PERSON_ID_NUMBER }, N_("ID number"), true, 18, false },
	{ { "password", PERSON_PASSWORD }, N_("Password"), true, 128, true },
	{ { "password_confirm", PERSON_PASSWORD_CONFIRM }, N_("Confirm password"), true,
	    128, true },
	{ { "phone", PERSON_PHONE }, N_("Mobile phone"), true, 11, false },
	{ { "email", PERSON_EMAIL }, N_("E-mail"), true, 254, false },
	{ { "name", PERSON_NAME }, N_("Name"), true, 50, false },
	{ { "sex", PERSON_SEX }, N_("Sex"), true, -1, false },
	{ { "birth_date", PERSON_BIRTH_DATE }, N_("Date of birth"), true, 10, false },
	{ { "native_place", PERSON_NATIVE_PLACE }, N_("Native place"), false, 100, false },
	{ { "school", PERSON_SCHOOL }, N_("Graduated from"), false, 100, false },
};

/* and those chosen in a picker. */
#define AT(member)	offsetof(struct person_choices, member)
static const struct person_field_def person_picked[] = {
	{ { "region", PERSON_REGION }, N_("Region of the employer"), true, .at = AT(region) },
	{ { "unit", PERSON_UNIT }, N_("Employer"), true, .at = AT(unit) },
	{ { "department_id", PERSON_DEPARTMENT }, N_("Department"), true, .at = AT(department_id),
	    .id = true },
	{ { "ethnicity", PERSON_ETHNICITY }, N_("Ethnicity"), true, .at = AT(ethnicity) },
	{ { "major", PERSON_MAJOR }, N_("Major"), false, .at = AT(major) },
	{ { "title_id", PERSON_TITLE }, N_("Professional title"), false, .at = AT(title_id),
	    .id = true },
	{ { "education_level", PERSON_EDUCATION }, N_("Education"), false, .at = AT(education) },
};
#undef AT

#define NTYPED	(sizeof person_typed / sizeof person_typed[0])
#define NPICKED	(sizeof person_picked / sizeof person_picked[0])

const struct rpc_problem *
person_form_errors(struct ui_form *f, const struct rpc_error *err)
{
	static struct app_field names[NTYPED + NPICKED + 1];	/* ends in a NULL name */

	for (size_t i = 0; i < NTYPED + NPICKED; i++)
		names[i] = i < NTYPED ? person_typed[i].field : person_picked[i - NTYPED].field;
	return app_form_errors(f, err, names);
}

struct ui_field *
person_form_add(struct ui_form *f, int id, int y)
{
	static const char *sex_options[2];
	const struct person_field_def *d = NULL;
	struct ui_field *fd;

	for (size_t i = 0; i < NTYPED + NPICKED; i++) {
		d = i < NTYPED ? &person_typed[i] : &person_picked[i - NTYPED];
		if (d->field.id == id)
			break;
	}
	if (d->max == 0) {
		fd = ui_form_add_pick(f, id, _(d->label), PERSON_FIELD_WIDTH);
		fd->placeholder = _("Enter: choose");
	} else if (d->max < 0) {
		sex_options[PERSON_SEX_MALE] = _("Male");
		sex_options[PERSON_SEX_FEMALE] = _("Female");
		fd = ui_form_add_choice(f, id, _(d->label), sex_options, 2);
	} else {
		fd = ui_form_add_text(f, id, _(d->label), PERSON_FIELD_WIDTH, d->max, d->secret);
	}
	if (id == PERSON_BIRTH_DATE)
		fd->placeholder = "YYYY-MM-DD";
	fd->required = d->required;
	fd->y = y;
	return fd;
}

/* What was chosen in pick field d: a code or an id, NULL when nothing. */
static json_t *
person_chosen(const struct person_choices *c, const struct person_field_def *d)
{
	const char *at = (const char *)c + d->at;
	json_int_t id;

	if (d->id) {
		memcpy(&id, at, sizeof id);
		return id > 0 ? json_integer(id) : NULL;
	}
	return *at != '\0' ? json_string(at) : NULL;
}

void
person_form_params(struct ui_form *f, const struct person_choices *c, json_t *params,
    bool all)
{
	for (size_t i = 0; i < NTYPED; i++) {
		const struct person_field_def *d = &person_typed[i];
		const char *v;
		int sex;

		if (ui_form_field(f, d->field.id) == NULL)
			continue;
		if (d->max < 0) {
			if ((sex = ui_form_option(f, d->field.id)) >= 0)
				json_object_set_new(params, d->field.name,
				    json_string(sex == PERSON_SEX_MALE ? "male" : "female"));
			continue;
		}
		v = ui_form_value(f, d->field.id);
		if (all || d->required || *v != '\0')
			json_object_set_new(params, d->field.name, json_string(v));
	}
	for (size_t i = 0; i < NPICKED; i++) {
		const struct person_field_def *d = &person_picked[i];
		json_t *v;

		/* The region only narrows the units. */
		if (d->field.id == PERSON_REGION || ui_form_field(f, d->field.id) == NULL)
			continue;
		if ((v = person_chosen(c, d)) == NULL && all) {
			/* A required one sent empty (the server names it), another cleared. */
			if (!d->required)
				v = json_null();
			else
				v = d->field.id == PERSON_DEPARTMENT ? json_integer(0) :
				    json_string("");
		}
		if (v != NULL)
			json_object_set_new(params, d->field.name, v);
	}
}

/* ---- pickers ---------------------------------------------------------------------- */

/* {code, name}: the name is what shows. */
static void
person_add_named(struct ui_picker *pk, json_t *item)
{
	ui_picker_add(pk, app_json_str(item, "code"), app_json_str(item, "name"), NULL);
}

/* {code, name}: the name, and its code beside it (names of units may look alike). */
static void
person_add_coded(struct ui_picker *pk, json_t *item)
{
	ui_picker_add(pk, app_json_str(item, "code"), app_json_str(item, "name"),
	    app_json_str(item, "code"));
}

static void
person_add_department(struct ui_picker *pk, json_t *item)
{
	char id[32];

	snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(item, "id")));
	ui_picker_add(pk, id, app_json_str(item, "name"), NULL);
}

static void
person_add_major(struct ui_picker *pk, json_t *item)
{
	char *detail = xasprintf("%s %s", app_json_str(item, "code"),
	    app_json_str(item, "discipline"));

	ui_picker_add(pk, app_json_str(item, "code"), app_json_str(item, "name"), detail);
	free(detail);
}

/* ref.title_series: a list of names, each its own key. */
static void
person_add_series(struct ui_picker *pk, json_t *item)
{
	if (json_is_string(item))
		ui_picker_add(pk, json_string_value(item), json_string_value(item), NULL);
}

static void
person_add_title(struct ui_picker *pk, json_t *item)
{
	char id[32], *label;

	snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(item, "id")));
	label = format_title(app_json_str(item, "series"), app_json_str(item, "name"));
	ui_picker_add(pk, id, label, app_json_str(item, "level"));
	free(label);
}

/* The lists a picker shows: the title's series comes before the title. */
enum person_list {
	LIST_REGIONS,
	LIST_UNITS,
	LIST_DEPARTMENTS,
	LIST_ETHNICITIES,
	LIST_MAJORS,
	LIST_SERIES,
	LIST_TITLES,
	LIST_EDUCATION,
};

/*
 * A list's ref.* method, how its items are added, the parameter naming what
 * it is within (the region of units, say) when it is, and whether it comes
 * a page at a time, filtered by the server.
 */
static const struct person_list_def {
	const char	*method;
	void		(*add)(struct ui_picker *, json_t *);
	const char	*within;
	bool		 paged;
} person_lists[] = {
	[LIST_REGIONS] = { "ref.regions", person_add_named, NULL, false },
	[LIST_UNITS] = { "ref.units", person_add_coded, "region", true },
	[LIST_DEPARTMENTS] = { "ref.departments", person_add_department, "unit", false },
	[LIST_ETHNICITIES] = { "ref.ethnicities", person_add_named, NULL, false },
	[LIST_MAJORS] = { "ref.majors", person_add_major, NULL, true },
	[LIST_SERIES] = { "ref.title_series", person_add_series, NULL, false },
	[LIST_TITLES] = { "ref.titles", person_add_title, "series", false },
	[LIST_EDUCATION] = { "ref.education_levels", person_add_named, NULL, false },
};

/* A picker's arg: the list, and the code it is within (the "within" parameter's). */
struct person_lookup {
	struct app	*app;
	enum person_list list;
	const char	*within;
};

/* The picker's fetch: the list's method, its items added; 0, or -1 (the picker says why). */
static int
person_fetch(struct ui_picker *pk, const char *filter, const char *after)
{
	struct person_lookup *l = pk->arg;
	const struct person_list_def *d = &person_lists[l->list];
	json_t *params = NULL, *result, *item, *next;
	struct rpc_error err;
	size_t i;

	if (d->within != NULL)
		params = json_pack("{s:s}", d->within, l->within);
	if (d->paged) {
		if (params == NULL)
			params = json_object();
		if (filter != NULL && *filter != '\0')
			json_object_set_new(params, "filter", json_string(filter));
		if (after != NULL)
			json_object_set_new(params, "after", json_string(after));
		json_object_set_new(params, "limit", json_integer(PERSON_PAGE));
	}
	if ((result = app_call(l->app, d->method, params, &err)) == NULL) {
		ui_picker_fail(pk, err.message);
		return -1;
	}
	json_array_foreach(json_object_get(result, "items"), i, item)
		d->add(pk, item);
	next = json_object_get(result, "next");
	ui_picker_set_next(pk, json_is_string(next) ? json_string_value(next) : NULL);
	json_decref(result);
	return 0;
}

/*
 * Run the picker of list, titled by field id's label; on a choice copy its
 * key into key (size bytes) and show its label in the field.  Returns true
 * when something was chosen.
 */
static bool
person_pick(struct app *a, struct ui_form *f, struct person_choices *c, int id,
    enum person_list list, char *key, size_t size)
{
	struct person_lookup l = { .app = a, .list = list };
	struct ui_picker pk;
	char initial[8] = "";
	long chosen;

	if (f->typed != 0) {
		/* The character typed on the field starts the filter. */
		wchar_t wc[2] = { (wchar_t)f->typed, 0 };

		if (wcstombs(initial, wc, sizeof initial) == (size_t)-1)
			initial[0] = '\0';
		f->typed = 0;
	}
	if (list == LIST_UNITS)
		l.within = c->region;
	else if (list == LIST_DEPARTMENTS)
		l.within = c->unit;
	else if (list == LIST_TITLES)
		l.within = c->title_series;
	ui_picker_init(&pk, ui_form_field(f, id)->label, person_fetch, &l,
	    person_lists[list].paged);
	chosen = ui_picker_run(&pk, initial);
	if (chosen >= 0) {
		app_copy(key, size, pk.items[chosen].key);
		ui_form_choose(f, id, pk.items[chosen].label);
	}
	ui_picker_free(&pk);
	return chosen >= 0;
}

const char *
person_choose(struct app *a, struct ui_form *f, struct person_choices *c, int id)
{
	char key[64], old[64];

	switch (id) {
	case PERSON_REGION:
		app_copy(old, sizeof old, c->region);
		if (person_pick(a, f, c, id, LIST_REGIONS, c->region, sizeof c->region) &&
		    strcmp(old, c->region) != 0)
			person_unchoose(f, c, PERSON_UNIT);	/* its units are others */
		break;
	case PERSON_UNIT:
		if (c->region[0] == '\0') {
			ui_form_focus(f, PERSON_REGION);
			return _("Choose the region of the employer first.");
		}
		app_copy(old, sizeof old, c->unit);
		if (person_pick(a, f, c, id, LIST_UNITS, c->unit, sizeof c->unit) &&
		    strcmp(old, c->unit) != 0) {
			c->department_id = 0;
			ui_form_set(f, PERSON_DEPARTMENT, NULL);
		}
		break;
	case PERSON_DEPARTMENT:
		if (c->unit[0] == '\0') {
			ui_form_focus(f, PERSON_UNIT);
			return _("Choose the employer first.");
		}
		if (person_pick(a, f, c, id, LIST_DEPARTMENTS, key, sizeof key))
			c->department_id = strtoll(key, NULL, 10);
		break;
	case PERSON_ETHNICITY:
		person_pick(a, f, c, id, LIST_ETHNICITIES, c->ethnicity, sizeof c->ethnicity);
		break;
	case PERSON_MAJOR:
		person_pick(a, f, c, id, LIST_MAJORS, c->major, sizeof c->major);
		break;
	case PERSON_TITLE: {
		/* The series first, then a title of that series; Esc on either keeps the old. */
		char *shown = xstrdup(ui_form_value(f, id));

		app_copy(old, sizeof old, c->title_series);
		if (person_pick(a, f, c, id, LIST_SERIES, c->title_series,
		    sizeof c->title_series) &&
		    person_pick(a, f, c, id, LIST_TITLES, key, sizeof key)) {
			c->title_id = strtoll(key, NULL, 10);
		} else {
			app_copy(c->title_series, sizeof c->title_series, old);
			ui_form_set(f, id, shown);
		}
		free(shown);
		break;
	}
	case PERSON_EDUCATION:
		person_pick(a, f, c, id, LIST_EDUCATION, c->education, sizeof c->education);
		break;
	}
	return NULL;
}

void
person_unchoose(struct ui_form *f, struct person_choices *c, int id)
{
	switch (id) {
	case PERSON_REGION:
		c->region[0] = '\0';
		/* FALLTHROUGH */
	case PERSON_UNIT:
		c->unit[0] = '\0';
		ui_form_set(f, PERSON_UNIT, NULL);
		/* FALLTHROUGH */
	case PERSON_DEPARTMENT:
		c->department_id = 0;
		ui_form_set(f, PERSON_DEPARTMENT, NULL);
		break;
	case PERSON_ETHNICITY:
		c->ethnicity[0] = '\0';
		break;
	case PERSON_MAJOR:
		c->major[0] = '\0';
		break;
	case PERSON_TITLE:
		c->title_id = 0;
		break;
	case PERSON_EDUCATION:
		c->education[0] = '\0';
		break;
	}
}
