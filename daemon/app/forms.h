/*
 * forms.h - learning forms (学习形式): the config's definitions as the
 * database keeps them, and the validation of what a person fills in.
 *
 * A form's definition is a JSON object built from its config entry
 * (forms_definition).  forms_sync stores each definition as a row of
 * learning_forms, one row per distinct version, and a declaration points at
 * the exact row it was made with; so a declaration is always read and
 * checked against its own definition, whatever the config says today.
 */
#ifndef JXJYD_FORMS_H
#define JXJYD_FORMS_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

struct config;
struct config_form;
struct db_conn;

/* A form of the config in force, with the learning_forms row of its definition. */
struct form_entry {
	const struct config_form *form;	/* in the config it came from */
	int		 id;		/* learning_forms.id */
	int		 version;	/* learning_forms.version */
	json_t		*definition;	/* read-only: shared by every thread */
};

/* The forms of one config object, in config order. Never freed while running. */
struct form_set {
	const struct config *cfg;
	struct form_entry *entries;
	size_t		 n;
	struct form_set	*next;
};

/*
 * Bring learning_forms in line with cfg->forms, in one transaction under an
 * advisory lock: a definition the table lacks becomes a new version row,
 * the version the config has is the active one, forms no longer in the
 * config become inactive.  Logs what changed.  Remembers cfg's rows for
 * forms_current.  Returns 0, or -1 (logged) when the database failed.
 * The lead calls it at serve start and on SIGHUP, beside admins_sync.
 */
int	forms_sync(struct db_conn *c, const struct config *cfg);

/*
 * The forms of cfg, syncing them first when this config has not been
 * synced yet (a request that runs between a reload and its sync).  NULL
 * when that sync failed (logged).  The set stays valid until exit.
 */
const struct form_set *forms_current(struct db_conn *c, const struct config *cfg);

/* The entry of code in set, or NULL. */
const struct form_entry *forms_find(const struct form_set *set, const char *code);

/*
 * The name of form code for people: its English name (name_en) when
 * english and set offers it, else name (the Chinese one a record has).
 */
const char *forms_name(const struct form_set *set, const char *code, bool english,
	    const char *name);

/* The definition of a config form as stored in learning_forms. Caller owns it. */
json_t	*forms_definition(const struct config_form *form);

/* What is wrong with a value a person gave (forms_check_fields). */
struct form_problem {
	const char	*reason;	/* field_required, field_min, ... */
	const char	*sentence;	/* the message key of what to say (takes arg) */
	char		 field[48];	/* "fields.<key>", or "fields" */
	char		*label;		/* the field's label in the language, or NULL; owned */
	char		*arg;		/* what the sentence needs (a bound...), or NULL; owned */
};

/* Every problem of one request's fields, in the order found. */
struct form_problems {
	struct form_problem *v;
	size_t		 n;
};

void	form_problems_free(struct form_problems *ps);

/*
 * Check input (the "fields" object a person sent) against a definition.
 * Returns the values to store, normalised (text trimmed, integers as
 * integers -- "第二", "二", "２" taken as 2 --, decimals as decimal strings,
 * full-width digits as digits, a choice as the config's Chinese word
 * whichever language named it, empty optional fields left out), or NULL
 * with *ps listing every problem: unknown keys first, then the fields in
 * the definition's order.  english: labels and choices in messages in
 * English.  An empty required field's sentence says what to do
 * (field_required_fill, field_required_choose) with its label.
 */
json_t	*forms_check_fields(const json_t *definition, const json_t *input, bool english,
	    struct form_problems *ps);

/*
 * A copy of definition for a person in the session's language: in
 * English its name, labels and choices are the config's English ones
 * (name_en, label_en, choices_en stay beside them).  Caller owns it.
 */
json_t	*forms_localised(const json_t *definition, bool english);

/* A copy of a declaration's values with its choices in English (english). Caller owns. */
json_t	*forms_localised_values(const json_t *definition, const json_t *values, bool english);

/* Today's date YYYY-MM-DD where the system is used (DB_TIME_ZONE). */
void	forms_today(char out[11]);

/* s with full-width ASCII (１２, ．, －) and the wide space as ASCII.  Caller frees. */
char	*forms_halfwidth(const char *s);

/*
 * A decimal number from JSON (integer, real, or a string of digits) with at
 * most decimals decimals and 12 integer digits, as canonical text without
 * trailing zeros ("12", "1.5", "-3") into out.  Returns false when v is
 * none of these.
 */
bool	forms_decimal(const json_t *v, int decimals, char *out, size_t size);

/* A double from the config (at most 4 decimals) as canonical decimal text. */
void	forms_format_number(double v, char *out, size_t size);

#endif
