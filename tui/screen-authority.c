/*
 * screen-authority.c - what the authority's screens share: the year of
 * the statistics, whether the terminal draws more than ASCII, a rate in
 * words, the scope, and the picker of a unit in the scope.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "authority.h"
#include "xmalloc.h"

#define AUTHORITY_PAGE	50

int
authority_this_year(void)
{
	time_t now = time(NULL) + 8 * 3600;
	struct tm tm;

	gmtime_r(&now, &tm);
	return tm.tm_year + 1900;
}

bool
authority_unicode(void)
{
	const char *names[] = { "LC_ALL", "LC_CTYPE", "LANG" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *v = getenv(names[i]);

		if (v == NULL || *v == '\0')
			continue;
		return strcasestr(v, "UTF-8") != NULL || strcasestr(v, "utf8") != NULL;
	}
	return false;
}

char *
authority_rate_text(json_t *rate, char *buf, size_t size)
{
	if (json_is_number(rate))
		snprintf(buf, size, "%.1f%%", json_number_value(rate) * 100 + 1e-9);
	else
		snprintf(buf, size, "-");
	return buf;
}

json_t *
authority_scope(struct app *a)
{
	return json_object_get(json_object_get(a->me, "account"), "scope");
}

bool
authority_is_province(struct app *a)
{
	return json_is_true(json_object_get(authority_scope(a), "province"));
}

/* A picker's fetch of the cities (ref.regions) or of one city's units (ref.units). */
struct authority_lookup {
	struct app	*app;
	const char	*city;		/* NULL: the cities */
};

static int
authority_fetch(struct ui_picker *p, const char *filter, const char *after)
{
	struct authority_lookup *l = p->arg;
	struct rpc_error err;
	json_t *params, *result, *item, *next;
	size_t i;

	if (l->city == NULL) {
		params = NULL;
	} else {
		params = json_pack("{s:s, s:i}", "region", l->city, "limit", AUTHORITY_PAGE);
		if (filter != NULL && *filter != '\0')
			json_object_set_new(params, "filter", json_string(filter));
		if (after != NULL)
			json_object_set_new(params, "after", json_string(after));
	}
	if ((result = app_call(l->app, l->city == NULL ? "ref.regions" : "ref.units", params,
	    &err)) == NULL) {
		ui_picker_fail(p, err.message);
		return -1;
	}
	json_array_foreach(json_object_get(result, "items"), i, item)
		ui_picker_add(p, app_json_str(item, "code"), app_json_str(item, "name"),
		    app_json_str(item, "code"));
	next = json_object_get(result, "next");
	ui_picker_set_next(p, json_is_string(next) ? json_string_value(next) : NULL);
	json_decref(result);
	return 0;
}

/* Run a picker titled title over l; the key and label chosen (caller frees), or false. */
static bool
authority_pick(struct authority_lookup *l, const char *title, char **code, char **name)
{
	struct ui_picker p;
	long chosen;

	ui_picker_init(&p, title, authority_fetch, l, l->city != NULL);
	chosen = ui_picker_run(&p, NULL);
	if (chosen >= 0) {
		*code = xstrdup(p.items[chosen].key);
		*name = xstrdup(p.items[chosen].label);
	}
	ui_picker_free(&p);
	return chosen >= 0;
}

bool
authority_pick_unit(struct app *a, char **code, char **name)
{
	struct authority_lookup l = { .app = a };
	char *city = NULL, *city_name = NULL;
	bool ok;

	*code = *name = NULL;
	if (authority_is_province(a)) {
		if (!authority_pick(&l, _("City"), &city, &city_name))
			return false;
	} else {
		city = xstrdup(app_json_str(authority_scope(a), "code"));
	}
	l.city = city;
	ok = authority_pick(&l, _("Unit name"), code, name);
	free(city);
	free(city_name);
	return ok;
}
