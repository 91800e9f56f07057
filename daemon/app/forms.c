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
#include <time.h>

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
		if (cf->label_en != NULL)
			json_object_set_new(f, "label_en", json_string(cf->label_en));
		if (cf->not_future)
			json_object_set_new(f, "not_future", json_true());
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
			if (cf->choices_en != NULL) {
				choices = json_array();
				for (j = 0; j < cf->n_choices; j++)
					json_array_append_new(choices,
					    json_string(cf->choices_en[j]));
				json_object_set_new(f, "choices_en", choices);
			}
		}
		json_array_append_new(fields, f);
	}
	json_t *def = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}",
	    "code", form->code, "name", form->name,
	    "category", form_category_name(form->category),
	    "counts", form_counts_name(form->counts),
	    "attachment", form_attachment_name(form->attachment),
	    "fields", fields);
	if (form->name_en != NULL)
		json_object_set_new(def, "name_en", json_string(form->name_en));
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

const char *
forms_name(const struct form_set *set, const char *code, bool english, const char *name)
{
	const struct form_entry *e;

	if (!english || set == NULL || (e = forms_find(set, code)) == NULL ||
	    e->form->name_en == NULL)
		return name;
	return e->form->name_en;
}

void
form_problems_free(struct form_problems *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		free(ps->v[i].label);
		free(ps->v[i].arg);
	}
	free(ps->v);
	ps->v = NULL;
	ps->n = 0;
}

/* The member name of def in English when english and it is there, else name's. */
static const json_t *
forms_member(const json_t *def, const char *name, bool english)
{
	char en[32];
	const json_t *v;

	if (english) {
		snprintf(en, sizeof en, "%s_en", name);
		if ((v = json_object_get(def, en)) != NULL)
			return v;
	}
	return json_object_get(def, name);
}

/*
 * Note a problem with field def (or with the key name when def is NULL):
 * reason is the problem's word, sentence the message key of what to say
 * (formatted with arg, which it takes).
 */
static void
forms_problem(struct form_problems *ps, const char *reason, const char *sentence,
    const json_t *def, const char *key, char *arg, bool english)
{
	const char *label = def ? json_string_value(forms_member(def, "label", english)) : NULL;
	struct form_problem *p;

	ps->v = xrealloc(ps->v, (ps->n + 1) * sizeof *ps->v);
	p = &ps->v[ps->n++];
	p->reason = reason;
	p->sentence = sentence;
	snprintf(p->field, sizeof p->field, "fields.%s", key);
	p->label = label ? xstrdup(label) : NULL;
	p->arg = arg;
}

char *
forms_halfwidth(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;
	const unsigned char *u = (const unsigned char *)s;

	while (*u != '\0') {
		/* U+FF01..U+FF5E are ASCII 0x21..0x7e shifted: EF BC 81..BF, EF BD 80..9E. */
		if (u[0] == 0xef && (u[1] == 0xbc || u[1] == 0xbd) && u[2] >= 0x80 &&
		    u[2] <= 0xbf) {
			unsigned cp = 0xff00 + ((u[1] & 0x03u) << 6) + (u[2] & 0x3fu);

			if (cp >= 0xff01 && cp <= 0xff5e) {
				*o++ = (char)(cp - 0xff01 + 0x21);
				u += 3;
				continue;
			}
		}
		if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80) {	/* U+3000, a wide space */
			*o++ = ' ';
			u += 3;
			continue;
		}
		*o++ = (char)*u++;
	}
	*o = '\0';
	return out;
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

/* s without the blanks at both ends.  Caller frees. */
static char *
forms_trimmed_text(const char *s)
{
	const char *end;

	s += strspn(s, " \t\r\n");
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
	    end[-1] == '\n'))
		end--;
	return xstrndup(s, (size_t)(end - s));
}

/* A string value trimmed of blanks at both ends, or NULL when v is no string. Caller frees. */
static char *
forms_trimmed(const json_t *v)
{
	return json_is_string(v) ? forms_trimmed_text(json_string_value(v)) : NULL;
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

void
forms_today(char out[11])
{
	time_t t = time(NULL) + DB_TIME_ZONE_OFFSET;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/*
 * A date of v (a string, full-width digits taken as digits, blanks around
 * it ignored) into out as YYYY-MM-DD: a real date of the years a record can
 * be about.  False when it is none.
 */
static bool
forms_date(const json_t *v, char out[11])
{
	char *half, *text;
	int y;
	bool ok;

	if (!json_is_string(v))
		return false;
	half = forms_halfwidth(json_string_value(v));
	text = forms_trimmed_text(half);
	ok = strlen(text) == 10 && date_valid(text, &y, NULL, NULL) && y >= 1900 && y <= 2100;
	if (ok)
		memcpy(out, text, 11);
	free(text);
	free(half);
	return ok;
}

/* A date of a not_future field after today: the reason, with today as *arg. */
static const char *
forms_future(const json_t *def, const char *date, char **arg)
{
	char today[11];

	if (!json_is_true(json_object_get(def, "not_future")))
		return NULL;
	forms_today(today);
	/* YYYY-MM-DD compares as text. */
	if (strcmp(date, today) <= 0)
		return NULL;
	*arg = xstrdup(today);
	return "field_future";
}

/* A daterange value {"from": date, "to": date}; NULL when it is not one. */
static json_t *
forms_daterange(const json_t *def, const json_t *v, const char **reason, char **arg)
{
	char from[11], to[11];

	*reason = "field_daterange";
	if (!json_is_object(v) || json_object_size(v) != 2 ||
	    !forms_date(json_object_get(v, "from"), from) ||
	    !forms_date(json_object_get(v, "to"), to))
		return NULL;
	if (strcmp(from, to) > 0) {
		*reason = "field_range_order";
		return NULL;
	}
	if ((*reason = forms_future(def, to, arg)) != NULL)
		return NULL;
	return json_pack("{s:s, s:s}", "from", from, "to", to);
}

/* The choices of def joined for a message ("国家级、省级"). Caller frees. */
static char *
forms_choices_text(const json_t *def, bool english)
{
	const json_t *choices = forms_member(def, "choices", english), *c;
	const char *sep = english ? ", " : "、";
	size_t i, len = 1;
	char *out;

	json_array_foreach(choices, i, c)
		len += strlen(json_string_value(c)) + strlen(sep);
	out = xmalloc(len);
	out[0] = '\0';
	json_array_foreach(choices, i, c) {
		if (i > 0)
			strcat(out, sep);
		strcat(out, json_string_value(c));
	}
	return out;
}

/* A digit word: 一 → 1, 〇 and 零 → 0, 两 → 2; -1 for anything else. */
static int
forms_chinese_digit(const char *s, size_t *len)
{
	static const char *const digits[] = {
		"零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "〇", "两", NULL
	};
	static const int values[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 2 };

	for (size_t i = 0; digits[i] != NULL; i++) {
		*len = strlen(digits[i]);
		if (strncmp(s, digits[i], *len) == 0)
			return values[i];
	}
	return -1;
}

/*
 * A number as people write a rank or a count: "3", "-3", "第三", "三",
 * "十二", "第2名", "2nd" (full-width digits already made ASCII).  Returns
 * false when s is none of these.
 */
static bool
forms_integer_text(const char *s, long long *n)
{
	size_t len = strlen(s), dlen, digits;
	int d, tens = -1, units = 0;
	bool negative;

	/* "第" before, "名" or "位" after: the words of a ranking. */
	if (strncmp(s, "第", strlen("第")) == 0) {
		s += strlen("第");
		len -= strlen("第");
	}
	if (len >= 3 && (strcmp(s + len - 3, "名") == 0 || strcmp(s + len - 3, "位") == 0))
		len -= 3;
	if (len == 0 || len > 18)
		return false;
	negative = *s == '-';
	digits = strspn(s + negative, "0123456789");
	if (digits > 0) {
		const char *rest = s + negative + digits;
		size_t left = len - negative - digits;

		/* 1st, 2nd, 3rd, 4th: an English ranking. */
		if (left != 0 && !(left == 2 && !negative && (strncmp(rest, "st", 2) == 0 ||
		    strncmp(rest, "nd", 2) == 0 || strncmp(rest, "rd", 2) == 0 ||
		    strncmp(rest, "th", 2) == 0)))
			return false;
		*n = strtoll(s, NULL, 10);
		return true;
	}
	/* Chinese numerals up to 九十九: [digit]十[digit] or one digit. */
	for (size_t i = 0; i < len; i += dlen) {
		if (strncmp(s + i, "十", strlen("十")) == 0) {
			if (tens >= 0)
				return false;
			tens = i == 0 ? 1 : units;
			units = 0;
			dlen = strlen("十");
			continue;
		}
		if ((d = forms_chinese_digit(s + i, &dlen)) < 0 || i + dlen > len)
			return false;
		/* A digit after a digit ("一二") is no number written in words. */
		if (i > 0 && strncmp(s + i - strlen("十"), "十", strlen("十")) != 0)
			return false;
		units = d;
	}
	*n = tens >= 0 ? (long long)tens * 10 + units : units;
	return true;
}

/*
 * One present value v of field def, checked and normalised.  Returns the
 * value to store, or NULL with *reason (and *arg) set.  english: the
 * session's language, for the words of a message.
 */
static json_t *
forms_check_value(const json_t *def, const json_t *v, bool english, const char **reason,
    char **arg)
{
	const char *type = json_string_value(json_object_get(def, "type"));
	json_int_t max_length = json_integer_value(json_object_get(def, "max_length"));
	char num[64], date[11], *text, *half;
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
		bool ok = false;

		*reason = "field_integer";
		if (json_is_integer(v)) {
			n = json_integer_value(v);
			ok = true;
		} else if (json_is_string(v)) {
			half = forms_halfwidth(json_string_value(v));
			text = forms_trimmed_text(half);
			ok = forms_integer_text(text, &n);
			free(text);
			free(half);
		}
		if (!ok)
			return NULL;
		if ((*reason = forms_bounds(def, (double)n, arg)) != NULL)
			return NULL;
		return json_integer(n);
	}
	if (strcmp(type, "decimal") == 0) {
		bool ok;

		*reason = "field_decimal";
		if (json_is_string(v)) {
			json_t *plain;

			half = forms_halfwidth(json_string_value(v));
			text = forms_trimmed_text(half);
			plain = json_string(text);
			ok = forms_decimal(plain, FORMS_FIELD_DECIMALS, num, sizeof num);
			json_decref(plain);
			free(text);
			free(half);
		} else {
			ok = forms_decimal(v, FORMS_FIELD_DECIMALS, num, sizeof num);
		}
		if (!ok)
			return NULL;
		if ((*reason = forms_bounds(def, strtod(num, NULL), arg)) != NULL)
			return NULL;
		return json_string(num);
	}
	if (strcmp(type, "date") == 0) {
		*reason = "field_date";
		if (!forms_date(v, date))
			return NULL;
		if ((*reason = forms_future(def, date, arg)) != NULL)
			return NULL;
		return json_string(date);
	}
	if (strcmp(type, "daterange") == 0)
		return forms_daterange(def, v, reason, arg);
	if (strcmp(type, "choice") == 0) {
		const json_t *choices = json_object_get(def, "choices");
		const json_t *choices_en = json_object_get(def, "choices_en"), *c;

		/* Either language's word for a choice; the config's Chinese is stored. */
		if (json_is_string(v)) {
			json_array_foreach(choices, i, c) {
				const char *en = json_string_value(json_array_get(choices_en, i));

				if (strcmp(json_string_value(c), json_string_value(v)) == 0 ||
				    (en != NULL && strcmp(en, json_string_value(v)) == 0))
					return json_string(json_string_value(c));
			}
		}
		*reason = "field_choice";
		*arg = forms_choices_text(def, english);
		return NULL;
	}
	*reason = "field_unknown";	/* a type this build does not know: refuse */
	return NULL;
}

/* True when v counts as not filled in: absent, null, blank text, or a range of blanks. */
static bool
forms_empty(const json_t *v)
{
	const char *s;

	if (v == NULL || json_is_null(v))
		return true;
	if (json_is_object(v) && json_object_size(v) == 2 &&
	    json_is_string(json_object_get(v, "from")) && json_is_string(json_object_get(v, "to")))
		return forms_empty(json_object_get(v, "from")) &&
		    forms_empty(json_object_get(v, "to"));
	if (!json_is_string(v))
		return false;
	s = json_string_value(v);
	return s[strspn(s, " \t\r\n")] == '\0';
}

json_t *
forms_check_fields(const json_t *definition, const json_t *input, bool english,
    struct form_problems *ps)
{
	const json_t *fields = json_object_get(definition, "fields"), *def, *v;
	const char *key, *reason = NULL;
	json_t *out, *value;
	char *arg;
	size_t i;
	bool known, unknown_named = false;

	memset(ps, 0, sizeof *ps);
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

			if (!plain && unknown_named)
				continue;	/* one problem says "fields" */
			forms_problem(ps, "field_unknown", "field_unknown", NULL, key, NULL,
			    english);
			if (!plain) {
				snprintf(ps->v[ps->n - 1].field, sizeof ps->v[ps->n - 1].field,
				    "fields");
				unknown_named = true;
			}
		}
	}
	out = json_object();
	json_array_foreach(fields, i, def) {
		const char *type = json_string_value(json_object_get(def, "type"));
		const char *label = json_string_value(forms_member(def, "label", english));

		key = json_string_value(json_object_get(def, "key"));
		v = json_object_get(input, key);
		if (forms_empty(v)) {
			/* Say what to do: fill in a box, or choose one of the choices. */
			if (json_is_true(json_object_get(def, "required")))
				forms_problem(ps, "field_required", strcmp(type, "choice") == 0 ?
				    "field_required_choose" : "field_required_fill", def, key,
				    xstrdup(label != NULL ? label : key), english);
			continue;
		}
		if ((value = forms_check_value(def, v, english, &reason, &arg)) == NULL) {
			forms_problem(ps, reason, reason, def, key, arg, english);
			continue;
		}
		json_object_set_new(out, key, value);
	}
	if (ps->n > 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

json_t *
forms_localised(const json_t *definition, bool english)
{
	json_t *copy = json_deep_copy(definition), *f;
	size_t i;

	if (!english || !json_is_object(copy))
		return copy;
	if (json_is_string(json_object_get(copy, "name_en")))
		json_object_set(copy, "name", json_object_get(copy, "name_en"));
	json_array_foreach(json_object_get(copy, "fields"), i, f) {
		if (json_is_string(json_object_get(f, "label_en")))
			json_object_set(f, "label", json_object_get(f, "label_en"));
		if (json_is_array(json_object_get(f, "choices_en")))
			json_object_set(f, "choices", json_object_get(f, "choices_en"));
	}
	return copy;
}

json_t *
forms_localised_values(const json_t *definition, const json_t *values, bool english)
{
	json_t *copy = json_deep_copy(values), *f, *c;
	size_t i, j;

	if (!english || !json_is_object(copy))
		return copy;
	json_array_foreach(json_object_get(definition, "fields"), i, f) {
		const char *key = json_string_value(json_object_get(f, "key"));
		const json_t *en = json_object_get(f, "choices_en");
		const char *v = key != NULL ? json_string_value(json_object_get(copy, key)) : NULL;

		if (v == NULL || !json_is_array(en))
			continue;
		json_array_foreach(json_object_get(f, "choices"), j, c) {
			if (json_is_string(json_array_get(en, j)) &&
			    strcmp(json_string_value(c), v) == 0) {
				json_object_set(copy, key, json_array_get(en, j));
				break;
			}
		}
	}
	return copy;
}
