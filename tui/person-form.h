/*
 * person-form.h - the personal information a person gives at registration
 * and changes in the profile: its fields, and the pickers (ref.*) that
 * choose the coded ones.  screen-register.c and screen-profile.c both
 * build their forms of it.
 */
#ifndef JXJY_PERSON_FORM_H
#define JXJY_PERSON_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "app.h"
#include "ui.h"

/* The fields' ids in a form; a screen numbers its own from PERSON_FIELDS_END. */
enum person_field {
	PERSON_ID_NUMBER = 1,
	PERSON_PASSWORD,
	PERSON_PASSWORD_CONFIRM,
	PERSON_PHONE,
	PERSON_EMAIL,
	PERSON_REGION,
	PERSON_UNIT,
	PERSON_DEPARTMENT,
	PERSON_NAME,
	PERSON_SEX,
	PERSON_BIRTH_DATE,
	PERSON_ETHNICITY,
	PERSON_NATIVE_PLACE,
	PERSON_SCHOOL,
	PERSON_MAJOR,
	PERSON_TITLE,
	PERSON_EDUCATION,
	PERSON_FIELDS_END,
};

#define PERSON_FIELD_WIDTH	30

/* The options of PERSON_SEX, in this order. */
enum { PERSON_SEX_MALE, PERSON_SEX_FEMALE };

/* What the pickers chose: codes and ids, "" or 0 for none. */
struct person_choices {
	char		 region[16];
	char		 unit[40];	/* also the unit whose departments are listed */
	json_int_t	 department_id;
	char		 ethnicity[16];
	char		 major[16];
	json_int_t	 title_id;
	char		 education[16];
	char		 title_series[64];	/* the series picked before the title */
};

/*
 * Add field id (a person_field) to form f on row y: its label, width,
 * whether it is required, a pick field's placeholder.  Returns it.
 */
struct ui_field *person_form_add(struct ui_form *f, int id, int y);

/*
 * Enter on pick field id of form f: run its picker (fed by a ref.* method)
 * and keep the choice in c; a region or unit chosen anew empties what
 * depended on it; the title is picked by its series first, and Esc on
 * either keeps the old one.  Returns a sentence for the message line when
 * the field cannot be chosen yet (an error), else NULL.
 */
const char *person_choose(struct app *a, struct ui_form *f, struct person_choices *c, int id);

/* Delete on pick field id: nothing chosen any more, nor what depended on it. */
void	person_unchoose(struct ui_form *f, struct person_choices *c, int id);

/*
 * The values of form f's fields (and of what c chose) into params, under
 * their protocol names: those typed (sent even empty when required or all),
 * the sex, the codes and ids chosen.  What was not chosen is left out, or
 * with all, sent empty when required (the server names it) and null else.
 */
void	person_form_params(struct ui_form *f, const struct person_choices *c, json_t *params,
	    bool all);

/* app_form_errors on a form of these fields (and others, which no problem names). */
const struct rpc_problem *person_form_errors(struct ui_form *f, const struct rpc_error *err);

#endif
