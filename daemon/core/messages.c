/*
 * messages.c - the sentences jxjyd sends, by reason word (messages.txt).
 */
#include <stddef.h>
#include <string.h>

#include "messages.h"

/*
 * catalogue_messages[] and catalogue_fields[]: the sentences and field labels
 * of messages.txt, made into C by scripts/messages-gen.py at build time.
 */
#include "messages-catalogue.h"

static const char *
message_lookup(const struct message *table, enum lang lang, const char *key)
{
	for (const struct message *m = table; m->key != NULL; m++) {
		if (strcmp(m->key, key) == 0)
			return m->text[lang];
	}
	return key;
}

const char *
message_get(enum lang lang, const char *reason)
{
	return message_lookup(catalogue_messages, lang, reason);
}

const char *
message_field(enum lang lang, const char *field)
{
	return message_lookup(catalogue_fields, lang, field);
}

enum lang
lang_parse(const char *s)
{
	if (s != NULL && strncmp(s, "en", 2) == 0)
		return LANG_EN;
	return LANG_ZH;
}

const char *
lang_name(enum lang lang)
{
	return lang == LANG_EN ? "en" : "zh";
}
