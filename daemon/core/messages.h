/*
 * messages.h - what jxjyd says to people, in their language.
 *
 * Replies carry a stable reason word for programs and a sentence for
 * people.  The sentences live in one catalogue, messages.txt, Chinese and
 * English side by side, so that a missing translation is visible in review.
 */
#ifndef JXJYD_MESSAGES_H
#define JXJYD_MESSAGES_H

enum lang { LANG_ZH = 0, LANG_EN = 1 };

struct message {
	const char	*key;
	const char	*text[2];	/* by enum lang */
};

/* The sentence for a reason word; the reason itself when it is unknown. */
const char *message_get(enum lang lang, const char *reason);

/* The label of an input field ("id_number" → "身份证号"); the key when unknown. */
const char *message_field(enum lang lang, const char *field);

/* "zh" / "en" → enum; anything else → LANG_ZH. */
enum lang lang_parse(const char *s);
const char *lang_name(enum lang lang);

#endif
