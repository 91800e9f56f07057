/*
 * i18n.c - locale and message catalog set-up for jxjy.
 */
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "jxjy-config.h"
#include "i18n.h"
#include "xmalloc.h"

#define I18N_DOMAIN	"jxjy"

int
i18n_parse_lang(const char *s, enum ui_lang *lang)
{
	if (s == NULL)
		return -1;
	if (strncasecmp(s, "zh", 2) == 0 && (s[2] == '\0' || strchr("_-.@", s[2]) != NULL)) {
		*lang = UI_LANG_ZH;
		return 0;
	}
	if (strncasecmp(s, "en", 2) == 0 && (s[2] == '\0' || strchr("_-.@", s[2]) != NULL)) {
		*lang = UI_LANG_EN;
		return 0;
	}
	return -1;
}

const char *
i18n_lang_code(enum ui_lang lang)
{
	return lang == UI_LANG_EN ? "en" : "zh";
}

/*
 * The build tree's catalog directory, <dir of the binary>/../po, when
 * it holds our catalog; NULL otherwise.  Caller frees.  This lets tests run
 * the client in Chinese without installing it.
 */
static char *
i18n_build_tree_dir(void)
{
	char exe[PATH_MAX], *slash, *dir, *mo;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return NULL;
	*slash = '\0';
	dir = xasprintf("%s/../po", exe);
	mo = xasprintf("%s/zh_CN/LC_MESSAGES/%s.mo", dir, I18N_DOMAIN);
	if (access(mo, R_OK) != 0) {
		free(dir);
		dir = NULL;
	}
	free(mo);
	return dir;
}

void
i18n_setup(enum ui_lang lang)
{
	const char *codeset;
	char *dir;

	/*
	 * The machine may have no zh_CN locale at all; any UTF-8 locale will
	 * do to draw Chinese, and C.UTF-8 always exists with glibc.  gettext
	 * then follows LANGUAGE (it ignores LANGUAGE only in the "C" locale).
	 */
	setlocale(LC_ALL, "");
	codeset = nl_langinfo(CODESET);
	if (codeset == NULL || strcasecmp(codeset, "UTF-8") != 0)
		setlocale(LC_ALL, "C.UTF-8");
	setenv("LANGUAGE", lang == UI_LANG_EN ? "en" : "zh_CN", 1);

	dir = i18n_build_tree_dir();
	bindtextdomain(I18N_DOMAIN, dir != NULL ? dir : JXJY_LOCALEDIR);
	free(dir);
	bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");
	textdomain(I18N_DOMAIN);
}
