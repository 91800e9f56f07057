/*
 * i18n.h - the client's messages: English msgids, translated by gettext
 * (domain "jxjy"); Simplified Chinese unless English is asked for.
 */
#ifndef JXJY_I18N_H
#define JXJY_I18N_H

#include <libintl.h>

#define _(s)	gettext(s)
#define N_(s)	(s)	/* marks a string for xgettext; translate where used */

enum ui_lang { UI_LANG_ZH, UI_LANG_EN };

/*
 * Parse "zh" or "en" (also "zh_CN", "en_US.UTF-8" and the like) into *lang.
 * Returns -1 for anything else.
 */
int	i18n_parse_lang(const char *s, enum ui_lang *lang);

/* "zh" or "en", as system.hello wants it. */
const char *i18n_lang_code(enum ui_lang lang);

/*
 * Set up the locale and the message catalog; call before the first _().
 * Chooses a UTF-8 locale (the environment's, else C.UTF-8), sets LANGUAGE
 * so gettext picks the catalog of lang whatever LANG says, and binds the
 * domain to the build tree's catalog when this binary runs from the build
 * tree, else to the installed one.
 */
void	i18n_setup(enum ui_lang lang);

#endif
