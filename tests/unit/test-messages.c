/*
 * test-messages.c - every sentence of the daemon's message tables has the
 * same printf conversions in Chinese and in English.
 *
 * The daemon formats some sentences with an argument (xasprintf(message_get
 * (lang, "field_max"), bound)), so the format is not a literal and the
 * compiler cannot check it: the build turns -Wformat-nonliteral off for the
 * daemon alone (meson.build) and relies on this test instead.  A translation
 * that asks for another argument, or one more, than the other language's
 * sentence would read a wrong argument in one language only.
 *
 * The tables of messages.c are static (made from daemon/messages.txt by
 * scripts/messages-gen.py): messages.c is included here to see them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "messages.c"

#define MAX_CONVERSIONS	16

/*
 * The conversions of a printf format, in argument order, each written as
 * its length modifier and conversion ("s", "zu", "d"), a '*' width or
 * precision as "*"; positional ones ("%2$s") are put in their place.
 * Returns the number found, or -1 when the format is malformed (a bad
 * conversion, a position out of range, mixed positional and plain).
 */
static int
conversions(const char *fmt, char out[MAX_CONVERSIONS][8])
{
	int n = 0, highest = 0;
	bool positional = false, plain = false;

	for (int i = 0; i < MAX_CONVERSIONS; i++)
		out[i][0] = '\0';
	for (const char *p = fmt; (p = strchr(p, '%')) != NULL; ) {
		char spec[8];
		size_t len = 0;
		int pos = 0;

		p++;
		if (*p == '%') {
			p++;
			continue;
		}
		if (*p >= '1' && *p <= '9') {
			const char *q = p;

			while (*q >= '0' && *q <= '9')
				pos = pos * 10 + (*q++ - '0');
			if (*q == '$')
				p = q + 1;
			else
				pos = 0;	/* a width, read below */
		}
		while (*p != '\0' && strchr("-+ #0'", *p) != NULL)
			p++;
		if (*p == '*') {
			if (pos != 0 || n >= MAX_CONVERSIONS)
				return -1;	/* "%1$*" is not worth supporting */
			strcpy(out[n++], "*");
			plain = true;
			p++;
		}
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == '.') {
			p++;
			if (*p == '*') {
				if (pos != 0 || n >= MAX_CONVERSIONS)
					return -1;
				strcpy(out[n++], "*");
				p++;
			}
			while (*p >= '0' && *p <= '9')
				p++;
		}
		while (*p != '\0' && strchr("hljztL", *p) != NULL && len < 3)
			spec[len++] = *p++;
		if (*p == '\0' || strchr("diouxXeEfFgGaAcspn", *p) == NULL)
			return -1;
		spec[len++] = *p++;
		spec[len] = '\0';
		if (pos != 0) {
			if (pos > MAX_CONVERSIONS)
				return -1;
			positional = true;
			strcpy(out[pos - 1], spec);
			if (pos > highest)
				highest = pos;
		} else {
			if (n >= MAX_CONVERSIONS)
				return -1;
			plain = true;
			strcpy(out[n++], spec);
		}
	}
	if (positional && plain)
		return -1;
	if (positional) {
		for (int i = 0; i < highest; i++) {
			if (out[i][0] == '\0')
				return -1;	/* a gap: printf cannot skip one */
		}
		return highest;
	}
	return n;
}

/* The conversions of fmt joined with spaces ("s zu"), or "(malformed)". */
static void
conversions_text(const char *fmt, char *buf, size_t size)
{
	char conv[MAX_CONVERSIONS][8];
	int n = conversions(fmt, conv);

	buf[0] = '\0';
	if (n < 0) {
		snprintf(buf, size, "(malformed)");
		return;
	}
	for (int i = 0; i < n; i++) {
		strncat(buf, i > 0 ? " %" : "%", size - strlen(buf) - 1);
		strncat(buf, conv[i], size - strlen(buf) - 1);
	}
}

/* True when a and b take the same arguments; prints why not on a "#" line. */
static bool
same_conversions(const char *key, const char *a, const char *b)
{
	char ca[128], cb[128];

	conversions_text(a, ca, sizeof ca);
	conversions_text(b, cb, sizeof cb);
	if (strcmp(ca, "(malformed)") != 0 && strcmp(ca, cb) == 0)
		return true;
	printf("# %s: zh takes [%s], en takes [%s]\n", key, ca, cb);
	return false;
}

/* The checker itself: it must tell formats apart that printf would misread. */
static void
test_checker(void)
{
	char conv[MAX_CONVERSIONS][8];

	CHECK(conversions("no conversion, 100%% sure", conv) == 0, "%%%% is no conversion");
	CHECK(conversions("共 %d 条", conv) == 1 && strcmp(conv[0], "d") == 0, "%%d found");
	CHECK(conversions("%-10zu and %.*s", conv) == 3 && strcmp(conv[0], "zu") == 0 &&
	    strcmp(conv[1], "*") == 0 && strcmp(conv[2], "s") == 0,
	    "flags, width, length and a * precision");
	CHECK(conversions("「%2$s」没有上传成功：%1$d", conv) == 2 &&
	    strcmp(conv[0], "d") == 0 && strcmp(conv[1], "s") == 0,
	    "positional conversions in argument order");
	CHECK(conversions("%1$s and %s", conv) < 0, "positional mixed with plain is malformed");
	CHECK(conversions("%2$s alone", conv) < 0, "a positional gap is malformed");
	CHECK(conversions("占 50% 的比例", conv) < 0, "a lone %% before text is malformed");
	CHECK(conversions("trailing %", conv) < 0, "a trailing %% is malformed");
	CHECK(same_conversions("self-test", "%s 与 %d", "%s and %d"), "same order is the same");
	printf("# (the next two lines are the checker telling mismatches apart)\n");
	CHECK(!same_conversions("self-test", "%d 条", "%s in all"), "%%d differs from %%s");
	CHECK(!same_conversions("self-test", "%s：%s", "%s"), "a missing argument differs");
}

/* Every entry of a table: both sentences, and the same conversions. */
static void
test_table(const char *what, const struct message *table)
{
	int entries = 0, missing = 0, differ = 0;

	for (const struct message *m = table; m->key != NULL; m++) {
		const char *zh = m->text[LANG_ZH], *en = m->text[LANG_EN];

		entries++;
		if (zh == NULL || en == NULL || *zh == '\0' || *en == '\0') {
			printf("# %s: a language has no sentence\n", m->key);
			missing++;
			continue;
		}
		if (!same_conversions(m->key, zh, en))
			differ++;
	}
	CHECK(entries > 0 && missing == 0, "%s table: %d entries, each in zh and en", what,
	    entries);
	CHECK(differ == 0, "%s table: the same conversions in zh and en", what);
}

/*
 * A key twice would be shadowed by the first: message_lookup takes it.
 * scripts/messages-gen.py refuses such a catalogue; this checks the tables
 * the build made.
 */
static void
test_unique_keys(const char *what, const struct message *table)
{
	int dup = 0;

	for (const struct message *m = table; m->key != NULL; m++) {
		for (const struct message *o = table; o != m; o++) {
			if (strcmp(o->key, m->key) == 0) {
				printf("# %s: twice\n", m->key);
				dup++;
			}
		}
	}
	CHECK(dup == 0, "every key of the %s table is defined once", what);
}

int
main(void)
{
	test_checker();
	test_table("message", catalogue_messages);
	test_table("field", catalogue_fields);
	test_unique_keys("message", catalogue_messages);
	test_unique_keys("field", catalogue_fields);
	CHECK(strcmp(message_get(LANG_EN, "parse_error"), "the request is not valid JSON") == 0 &&
	    strcmp(message_get(LANG_ZH, "no.such.reason"), "no.such.reason") == 0,
	    "message_get finds a sentence, and gives back an unknown reason");
	return check_done();
}
