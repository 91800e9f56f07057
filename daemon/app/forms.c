/*
 * forms.c - learning forms: definitions, their versions in the database,
 * and the check of a declaration's fields against a definition.
 *
 * The definitions of a config object are built once, synced into
 * learning_forms once, and then only read, by any number of session
 * threads: nothing here changes a json_t after it is published.  Configs
 * are never freed while the daemon runs (config.c), and neither are the
 * form sets that point into them.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config.h"
#include "db.h"
#include "forms.h"
#include "log.h"
#include "text.h"
#include "validate.h"
#include "xmalloc.h"

/* Integer digits of a decimal; 12 keep every value exact in a double. */
#define FORMS_INT_DIGITS	12
/* Decimals of a decimal field's value (the config's bounds have as many). */
#define FORMS_FIELD_DECIMALS	4

static pthread_mutex_t forms_lock = PTHREAD_MUTEX_INITIALIZER;
static struct form_set *forms_sets;	/* newest first; guarded by forms_lock */

void
forms_format_number(double v, char *out, size_t size)
{
	size_t len;

	snprintf(out, size, "%.4f", v);
	len = strlen(out);
	while (len > 0 && out[len - 1] == '0')
		out[--len] = '\0';
	if (len > 0 && out[len - 1] == '.')
		out[--len] = '\0';
	if (strcmp(out, "-0") == 0)
		snprintf(out, size, "0");
}

json_t *
forms_definition(const struct config_form *form)
{
	json_t *fields = json_array(), *f, *choices;
	char num[48];
	size_t i, j;

	for (i = 0; i < form->n_fields; i++) {
		const struct config_field *cf = &form->fields[i];

		f = json_pack("{s:s, s:s, s:s, s:b}", "key", cf->key, "label", cf->label,
		    "type", field_type_name(cf->type), "required", cf->required);
		if (cf->type == FIELD_INTEGER) {
			if (cf->has_min)
				json_object_set_new(f, "min", json_integer((json_int_t)cf->min));
			if (cf->has_max)
				json_object_set_new(f, "max", json_integer((json_int_t)cf->max));
		} else if (cf->type == FIELD_DECIMAL) {
			if (cf->has_min) {
				forms_format_number(cf->min, num, sizeof num);
				json_object_set_new(f, "min", json_string(num));
			}
			if (cf->has_max) {
				forms_format_number(cf->max, num, sizeof num);
				json_object_set_new(f, "max", json_string(num));
			}
		}
		if (cf->type == FIELD_TEXT || cf->type == FIELD_LONGTEXT)
			json_object_set_new(f, "max_length", json_integer(cf->max_length));
		if (cf->type == FIELD_CHOICE) {
			choices = json_array();
			for (j = 0; j < cf->n_choices; j++)
				json_array_append_new(choices, json_string(cf->choices[j]));
			json_object_set_new(f, "choices", choices);
		}
		json_array_append_new(fields, f);
	}
	json_t *def = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}",
	    "code", form->code, "name", form->name,
	    "category", form_category_name(form->category),
	    "counts", form_counts_name(form->counts),
	    "attachment", form_attachment_name(form->attachment),
	    "fields", fields);
	forms_format_number(form->credit_hours, num, sizeof num);
	json_object_set_new(def, "credit_hours", json_string(num));
	forms_format_number(form->yearly_cap, num, sizeof num);
	json_object_set_new(def, "yearly_cap", json_string(num));
	return def;
}

/* The canonical text of a definition and its SHA-256 in hex. Caller frees the text. */
static char *
forms_canonical(const json_t *def, char hex[65])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char *text = json_dumps(def, JSON_COMPACT | JSON_SORT_KEYS);

	if (text == NULL)
		abort();	/* only on allocation failure */
	crypto_hash_sha256(digest, (const unsigned char *)text, strlen(text));
	sodium_bin2hex(hex, 65, digest, sizeof digest);
	return text;
}

static struct form_set *
forms_lookup_locked(const struct config *cfg)
{
	for (struct form_set *s = forms_sets; s != NULL; s = s->next) {
		if (s->cfg == cfg)
			return s;
	}
	return NULL;
}

/*
 * Store the definition of one form: find its row by checksum or insert a
 * new version, and make that row the active one.  Sets e->id and
 * e->version.  Returns 0 or -1 (the database's error kept in c).
 */
static int
forms_sync_one(struct db_conn *c, struct form_entry *e, bool *added, bool *activated)
{
	DB_STMT(forms_find_stmt,
	    "SELECT id, version, active FROM learning_forms WHERE code = $1 AND checksum = $2");
	DB_STMT(forms_insert_stmt,
	    "INSERT INTO learning_forms (code, version, definition, checksum, active)"
	    " SELECT $1, COALESCE(max(version), 0) + 1, $3::jsonb, $2, false"
	    " FROM learning_forms WHERE code = $1"
	    " RETURNING id, version, active");
	/* Two statements: the unique index allows one active row per code at any time. */
	DB_STMT(forms_deactivate_stmt,
	    "UPDATE learning_forms SET active = false WHERE code = $1 AND active AND id <> $2");
	DB_STMT(forms_activate_stmt,
	    "UPDATE learning_forms SET active = true WHERE id = $1 AND NOT active");
	char hex[65], id[16];
	char *text = forms_canonical(e->definition, hex);
	const char *params[3] = { e->form->code, hex, text };
	PGresult *res;
	int rc = -1;

	*added = *activated = false;
	if ((res = db_exec(c, &forms_find_stmt, 2, params)) == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		PQclear(res);
		if ((res = db_exec(c, &forms_insert_stmt, 3, params)) == NULL)
			goto out;
		*added = true;
	}
	e->id = atoi(PQgetvalue(res, 0, 0));
	e->version = atoi(PQgetvalue(res, 0, 1));
	*activated = strcmp(PQgetvalue(res, 0, 2), "t") != 0;
	PQclear(res);

	snprintf(id, sizeof id, "%d", e->id);
	params[1] = id;
	if ((res = db_exec(c, &forms_deactivate_stmt, 2, params)) == NULL)
		goto out;
	PQclear(res);
	params[0] = id;
	if ((res = db_exec(c, &forms_activate_stmt, 1, params)) == NULL)
		goto out;
	PQclear(res);
	rc = 0;
out:
	free(text);
	return rc;
}

/*
 * Deactivate the forms the config no longer has; logs each.  codes is a
 * PostgreSQL array literal of the config's codes (identifiers need no
 * quoting).  Returns 0 or -1.
 */
static int
forms_retire(struct db_conn *c, const char *codes)
{
	DB_STMT(forms_retire_stmt,
	    "UPDATE learning_forms SET active = false"
	    " WHERE active AND NOT (code = ANY ($1::text[])) RETURNING code, version");
	const char *params[1] = { codes };
	PGresult *res;

	if ((res = db_exec(c, &forms_retire_stmt, 1, params)) == NULL)
		return -1;
	for (int r = 0; r < PQntuples(res); r++)
		log_info("learning forms: %s (version %s) is no longer offered",
		    PQgetvalue(res, r, 0), PQgetvalue(res, r, 1));
	PQclear(res);
	return 0;
}

/* forms_sync with forms_lock held; returns the set or NULL. */
static struct form_set *
forms_sync_locked(struct db_conn *c, const struct config *cfg)
{
	struct form_set *set = forms_lookup_locked(cfg), *fresh = NULL;
	struct form_entry *entries;
	size_t i, len = 3;
	char *codes = NULL;
	bool added, activated;
	int changed = 0;

	/* A set already published is never changed: the same definitions give the same rows. */
	entries = xcalloc(cfg->n_forms + 1, sizeof *entries);
	for (i = 0; i < cfg->n_forms; i++) {
		entries[i].form = &cfg->forms[i];
		entries[i].definition = forms_definition(&cfg->forms[i]);
		len += strlen(cfg->forms[i].code) + 1;
	}
	codes = xmalloc(len);
	strcpy(codes, "{");
	for (i = 0; i < cfg->n_forms; i++) {
		if (i > 0)
			strcat(codes, ",");
		strcat(codes, cfg->forms[i].code);
	}
	strcat(codes, "}");

	if (!db_begin(c) ||
	    db_command(c, "SELECT pg_advisory_xact_lock(hashtext('jxjyd forms_sync'))") != 0)
		goto fail;
	for (i = 0; i < cfg->n_forms; i++) {
		if (forms_sync_one(c, &entries[i], &added, &activated) != 0)
			goto fail;
		if (added || activated) {
			log_info("learning forms: %s (%s) now at version %d%s", cfg->forms[i].code,
			    cfg->forms[i].name, entries[i].version, added ? ", a new definition" : "");
			changed++;
		}
	}
	if (forms_retire(c, codes) != 0 || !db_commit(c))
		goto fail;
	free(codes);
	log_info("learning forms: %zu offered, %d changed", cfg->n_forms, changed);
	if (set != NULL) {
		for (i = 0; i < cfg->n_forms; i++)
			json_decref(entries[i].definition);
		free(entries);
		return set;
	}
	fresh = xcalloc(1, sizeof *fresh);
	fresh->cfg = cfg;
	fresh->entries = entries;
	fresh->n = cfg->n_forms;
	fresh->next = forms_sets;
	forms_sets = fresh;
	return fresh;

fail:
	log_error("learning forms: cannot synchronise: %s", db_error_text(c));
	db_rollback(c);
	for (i = 0; i < cfg->n_forms; i++)
		json_decref(entries[i].definition);
	free(entries);
	free(codes);
	return NULL;
}

int
forms_sync(struct db_conn *c, const struct config *cfg)
{
	struct form_set *set;

	pthread_mutex_lock(&forms_lock);
	set = forms_sync_locked(c, cfg);
	pthread_mutex_unlock(&forms_lock);
	return set != NULL ? 0 : -1;
}

const struct form_set *
forms_current(struct db_conn *c, const struct config *cfg)
{
	struct form_set *set;

	pthread_mutex_lock(&forms_lock);
	if ((set = forms_lookup_locked(cfg)) == NULL)
		set = forms_sync_locked(c, cfg);
	pthread_mutex_unlock(&forms_lock);
	return set;
}

const struct form_entry *
forms_find(const struct form_set *set, const char *code)
{
	for (size_t i = 0; i < set->n; i++) {
		if (strcmp(set->entries[i].form->code, code) == 0)
			return &set->entries[i];
	}
	return NULL;
}

void
form_problem_free(struct form_problem *p)
{
	free(p->label);
	free(p->arg);
	p->label = p->arg = NULL;
}

/* Record a problem with field def (or with the key name when def is NULL); returns NULL. */
static json_t *
forms_problem(struct form_problem *p, const char *reason, const json_t *def,
    const char *key, char *arg)
{
	const char *label = def ? json_string_value(json_object_get(def, "label")) : NULL;

	p->reason = reason;
	snprintf(p->field, sizeof p->field, "fields.%s", key);
	p->label = label ? xstrdup(label) : NULL;
	p->arg = arg;
	return NULL;
}

bool
forms_decimal(const json_t *v, int decimals, char *out, size_t size)
{
	char buf[64];
	const char *s, *dot;
	size_t int_digits, frac_digits, len;
	bool negative;

	if (json_is_integer(v)) {
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		double d = json_real_value(v);

		if (d != d || d > 1e12 || d < -1e12)
			return false;
		snprintf(buf, sizeof buf, "%.*f", decimals, d);
		/* More decimals than allowed: the rounded text reads back differently. */
		if (strtod(buf, NULL) != d)
			return false;
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		if (strlen(s) >= sizeof buf)
			return false;
		snprintf(buf, sizeof buf, "%s", s);
	} else {
		return false;
	}

	/* Now buf is text: [-]digits[.digits]; check it and make it canonical. */
	s = buf;
	negative = *s == '-';
	if (negative)
		s++;
	int_digits = strspn(s, "0123456789");
	dot = s + int_digits;
	frac_digits = 0;
	if (*dot == '.') {
		frac_digits = strspn(dot + 1, "0123456789");
		if (frac_digits == 0 || dot[1 + frac_digits] != '\0')
			return false;
	} else if (*dot != '\0') {
		return false;
	}
	if (int_digits == 0)
		return false;
	while (int_digits > 1 && *s == '0') {
		s++;
		int_digits--;
	}
	if (int_digits > FORMS_INT_DIGITS)
		return false;
	/* Trailing zeros of the fraction do not count as decimals. */
	while (frac_digits > 0 && dot[frac_digits] == '0')
		frac_digits--;
	if ((int)frac_digits > decimals)
		return false;
	len = int_digits + (frac_digits ? frac_digits + 1 : 0);
	if (negative && !(int_digits == 1 && *s == '0' && frac_digits == 0))
		snprintf(out, size, "-%.*s", (int)len, s);
	else
		snprintf(out, size, "%.*s", (int)len, s);
	return true;
}

/* A string value trimmed of blanks at both ends, or NULL when v is no string. Caller frees. */
static char *
forms_trimmed(const json_t *v)
{
	const char *s, *end;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	s += strspn(s, " \t\r\n");
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
	    end[-1] == '\n'))
		end--;
	return xstrndup(s, (size_t)(end - s));
}

/* The bound member name of def as text for a message, or NULL. Caller frees. */
static char *
forms_bound_text(const json_t *def, const char *name)
{
	const json_t *b = json_object_get(def, name);

	if (json_is_integer(b))
		return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(b));
	if (json_is_string(b))
		return xstrdup(json_string_value(b));
	return NULL;
}

/* Check value against def's min and max (number is its value). NULL when inside. */
static const char *
forms_bounds(const json_t *def, double number, char **arg)
{
	const json_t *lo = json_object_get(def, "min"), *hi = json_object_get(def, "max");
	double bound;

	if (lo != NULL) {
		bound = json_is_integer(lo) ? (double)json_integer_value(lo) :
		    strtod(json_string_value(lo), NULL);
		if (number < bound) {
			*arg = forms_bound_text(def, "min");
			return "field_min";
		}
	}
	if (hi != NULL) {
		bound = json_is_integer(hi) ? (double)json_integer_value(hi) :
		    strtod(json_string_value(hi), NULL);
		if (number > bound) {
			*arg = forms_bound_text(def, "max");
			return "field_max";
		}
	}
	return NULL;
}

/* A real date YYYY-MM-DD of the years a record can be about. */
static bool
forms_date_ok(const json_t *v)
{
	int y;

	return json_is_string(v) && date_valid(json_string_value(v), &y, NULL, NULL) &&
	    y >= 1900 && y <= 2100;
}

/* A daterange value {"from": date, "to": date}; NULL when it is not one. */
static json_t *
forms_daterange(const json_t *v, const char **reason)
{
	const json_t *from = json_object_get(v, "from"), *to = json_object_get(v, "to");

	*reason = "field_daterange";
	if (!json_is_object(v) || json_object_size(v) != 2 || !forms_date_ok(from) ||
	    !forms_date_ok(to))
		return NULL;
	/* YYYY-MM-DD compares as text. */
	if (strcmp(json_string_value(from), json_string_value(to)) > 0) {
		*reason = "field_range_order";
		return NULL;
	}
	return json_pack("{s:s, s:s}", "from", json_string_value(from),
	    "to", json_string_value(to));
}

/* The choices of def joined for a message ("国家级、省级"). Caller frees. */
static char *
forms_choices_text(const json_t *def)
{
	const json_t *choices = json_object_get(def, "choices"), *c;
	size_t i, len = 1;
	char *out;

	json_array_foreach(choices, i, c)
		len += strlen(json_string_value(c)) + 3;
	out = xmalloc(len);
	out[0] = '\0';
	json_array_foreach(choices, i, c) {
		if (i > 0)
			strcat(out, "、");
		strcat(out, json_string_value(c));
	}
	return out;
}

/*
 * One present value v of field def, checked and normalised.  Returns the
 * value to store, or NULL with *reason (and *arg) set.
 */
static json_t *
forms_check_value(const json_t *def, const json_t *v, const char **reason, char **arg)
{
	const char *type = json_string_value(json_object_get(def, "type"));
	json_int_t max_length = json_integer_value(json_object_get(def, "max_length"));
	char num[64], *text;
	json_t *out = NULL;
	size_t i;

	*arg = NULL;
	if (strcmp(type, "text") == 0 || strcmp(type, "longtext") == 0) {
		bool multiline = strcmp(type, "longtext") == 0;
		enum text_fault fault;

		if ((text = forms_trimmed(v)) == NULL) {
			*reason = "field_text_invalid";
			return NULL;
		}
		fault = text_check(text, multiline, 0, SIZE_MAX);
		if (fault != TEXT_OK) {
			/* Invisible characters have their own word: say what to remove. */
			*reason = fault == TEXT_INVISIBLE ? "text_invisible" : "field_text_invalid";
		} else if (utf8_length(text) > (size_t)max_length) {
			*reason = "field_too_long";
			*arg = xasprintf("%" JSON_INTEGER_FORMAT, max_length);
		} else {
			out = json_string(text);
		}
		free(text);
		return out;
	}
	if (strcmp(type, "integer") == 0) {
		long long n;

		*reason = "field_integer";
		if (json_is_integer(v)) {
			n = json_integer_value(v);
		} else if (json_is_string(v)) {
			const char *s = json_string_value(v);

			if (*s == '\0' || strlen(s) > 18 || strspn(s + (*s == '-'), "0123456789") !=
			    strlen(s + (*s == '-')) || s[*s == '-'] == '\0')
				return NULL;
			n = strtoll(s, NULL, 10);
		} else {
			return NULL;
		}
		if ((*reason = forms_bounds(def, (double)n, arg)) != NULL)
			return NULL;
		return json_integer(n);
	}
	if (strcmp(type, "decimal") == 0) {
		*reason = "field_decimal";
		if (!forms_decimal(v, FORMS_FIELD_DECIMALS, num, sizeof num))
			return NULL;
		if ((*reason = forms_bounds(def, strtod(num, NULL), arg)) != NULL)
			return NULL;
		return json_string(num);
	}
	if (strcmp(type, "date") == 0) {
		*reason = "field_date";
		if (!forms_date_ok(v))
			return NULL;
		return json_string(json_string_value(v));
	}
	if (strcmp(type, "daterange") == 0)
		return forms_daterange(v, reason);
	if (strcmp(type, "choice") == 0) {
		const json_t *choices = json_object_get(def, "choices"), *c;

		if (json_is_string(v)) {
			json_array_foreach(choices, i, c) {
				if (strcmp(json_string_value(c), json_string_value(v)) == 0)
					return json_string(json_string_value(v));
			}
		}
		*reason = "field_choice";
		*arg = forms_choices_text(def);
		return NULL;
	}
	*reason = "field_unknown";	/* a type this build does not know: refuse */
	return NULL;
}

/* True when v counts as not filled in: absent, null, or blank text. */
static bool
forms_empty(const json_t *v)
{
	const char *s;

	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_string(v))
		return false;
	s = json_string_value(v);
	return s[strspn(s, " \t\r\n")] == '\0';
}

json_t *
forms_check_fields(const json_t *definition, const json_t *input, struct form_problem *p)
{
	const json_t *fields = json_object_get(definition, "fields"), *def, *v;
	const char *key, *reason = NULL;
	json_t *out, *value;
	char *arg;
	size_t i;
	bool known;

	memset(p, 0, sizeof *p);
	json_object_foreach((json_t *)input, key, v) {
		known = false;
		json_array_foreach(fields, i, def) {
			if (strcmp(json_string_value(json_object_get(def, "key")), key) == 0) {
				known = true;
				break;
			}
		}
		if (!known) {
			/* Echo the key back only when it is one we could have defined. */
			bool plain = *key != '\0' && strlen(key) <= 32 && strspn(key,
			    "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(key);

			forms_problem(p, "field_unknown", NULL, key, NULL);
			if (!plain)
				snprintf(p->field, sizeof p->field, "fields");
			return NULL;
		}
	}
	out = json_object();
	json_array_foreach(fields, i, def) {
		key = json_string_value(json_object_get(def, "key"));
		v = json_object_get(input, key);
		if (forms_empty(v)) {
			if (json_is_true(json_object_get(def, "required"))) {
				json_decref(out);
				return forms_problem(p, "field_required", def, key, NULL);
			}
			continue;
		}
		if ((value = forms_check_value(def, v, &reason, &arg)) == NULL) {
			json_decref(out);
			return forms_problem(p, reason, def, key, arg);
		}
		json_object_set_new(out, key, value);
	}
	return out;
}
