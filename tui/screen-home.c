/*
 * screen-home.c - the personal home page: who is logged in, and the
 * 功能列表 (function list).
 *
 * Which functions a person has, and their names, are the server's to say
 * (session.login's `functions`); this screen only opens the screen behind
 * each key it knows and says "coming soon" for the others.  The user's
 * name is a menu (F2): 修改密码, 退出登录.
 */
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "app.h"
#include "keys.h"
#include "text.h"
#include "xmalloc.h"

enum home_focus {
	HOME_FOCUS_LIST,
	HOME_FOCUS_USER,
};

enum home_menu {
	HOME_MENU_PASSWORD,
	HOME_MENU_LOGOUT,
};

struct home {
	struct app	*app;
	struct ui_list	 functions;	/* the labels */
	char		**keys;		/* and their keys, as many */
	size_t		  nkeys;
	enum home_focus	  focus;
	int		  user_x, user_w;	/* where the name button is */
	char		  message[256];	/* what changed (record.changed), "" for none */
};

/* The name button: "张三 ▾". */
static char *
home_user_caption(struct home *home)
{
	const char *name = app_me_string(home->app, "name");

	return xasprintf("%s ▾", *name != '\0' ? name : app_me_string(home->app, "id_number"));
}

/* An authority's scope, "河南省" or "郑州市" (whoami names it), or NULL for everyone else. */
static const char *
home_scope_name(struct home *home)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(
	    home->app->me, "account"), "scope"), "name"));
}

/* A training base administrator's base (whoami names it), or NULL for everyone else. */
static const char *
home_base_name(struct home *home)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(
	    home->app->me, "account"), "base"), "name"));
}

static void
home_paint(void *arg)
{
	struct home *home = arg;
	char *caption = home_user_caption(home), *button, *unit;
	int x = 1;

	ui_header(_("Continuing Education · Home"));
	button = xasprintf("[ %s ]", caption);
	home->user_x = x;
	home->user_w = text_width(button);
	x += ui_put(1, x, COLS / 2, button, home->focus == HOME_FOCUS_USER ? UI_BUTTON_FOCUS :
	    UI_BUTTON, false) + 2;
	unit = app_me_is_unit_admin(home->app) ?
	    xasprintf("%s · %s", app_me_unit_name(home->app), _("unit administrator")) :
	    home_base_name(home) != NULL ?
	    xasprintf("%s · %s", home_base_name(home), _("training base administrator")) :
	    home_scope_name(home) != NULL ?
	    xasprintf("%s · %s", home_scope_name(home), _("authority administrator")) :
	    xstrdup(app_me_unit_name(home->app));
	ui_put(1, x, COLS - x - 1, unit, UI_NORMAL, false);

	ui_box(2, 0, LINES - 4, COLS, _("Function list"), UI_FRAME);
	ui_list_draw(&home->functions, 3, 2, LINES - 6, COLS - 4,
	    home->focus == HOME_FOCUS_LIST);
	if (home->message[0] != '\0')
		ui_message_line(home->message, false);
	app_status(home->app, NULL);
	free(unit);
	free(button);
	free(caption);
}

/* The functions of session.login's result, in its order. */
static void
home_load(struct home *home)
{
	json_t *functions = json_object_get(home->app->me, "functions"), *f;
	size_t i;

	home->keys = xcalloc(json_array_size(functions) + 1, sizeof *home->keys);
	json_array_foreach(functions, i, f) {
		const char *key = json_string_value(json_object_get(f, "key"));
		const char *label = json_string_value(json_object_get(f, "label"));

		if (key == NULL)
			continue;
		home->keys[home->nkeys++] = xstrdup(key);
		ui_list_add(&home->functions, label != NULL ? label : key);
	}
}

/*
 * A record of the person changed: read who is logged in again (session.whoami:
 * the name, unit and functions shown here), keeping the selection, and say
 * what changed.
 */
static void
home_reread(void *arg)
{
	struct home *home = arg;

	struct rpc_error err;
	json_t *result = app_call(home->app, "session.whoami", NULL, &err);
	size_t selected = home->functions.selected;

	app_copy(home->message, sizeof home->message, home->app->change_message);
	if (result == NULL)
		return;
	app_set_me(home->app, result);
	json_decref(result);
	for (size_t i = 0; i < home->nkeys; i++)
		free(home->keys[i]);
	free(home->keys);
	home->keys = NULL;
	home->nkeys = 0;
	ui_list_clear(&home->functions);
	home_load(home);
	if (selected < home->functions.n)
		home->functions.selected = selected;
}

/* The functions the login may offer (their keys in session.login's functions) and their screens. */
static const struct {
	const char	*key;
	enum screen_id	 screen;
} home_screens[] = {
	{ "review_registrations", SCREEN_REVIEW },
	{ "profile", SCREEN_PROFILE },
	{ "review_titles", SCREEN_TITLES },
	{ "staff", SCREEN_STAFF },
	{ "declare", SCREEN_DECLARE },
	{ "progress", SCREEN_PROGRESS },
	{ "review_declarations", SCREEN_DECL_REVIEW },
	{ "completion", SCREEN_COMPLETION },
	{ "completion_report", SCREEN_REPORT },
	{ "base_classes", SCREEN_BASE },
	{ "authority_stats", SCREEN_AUTHORITY_STATS },
	{ "authority_review", SCREEN_AUTHORITY_REVIEW },
	{ "authority_audit", SCREEN_AUTHORITY_AUDIT },
	{ "authority_bases", SCREEN_AUTHORITY_BASES },
	{ "authority_requirements", SCREEN_AUTHORITY_REQUIREMENTS },
};

/* Open the selected function; returns the next screen, or SCREEN_HOME to stay. */
static enum screen_id
home_open(struct home *home)
{
	const char *key;

	if (home->functions.n == 0)
		return SCREEN_HOME;
	key = home->keys[home->functions.selected];
	for (size_t i = 0; i < sizeof home_screens / sizeof home_screens[0]; i++) {
		if (strcmp(key, home_screens[i].key) == 0)
			return home_screens[i].screen;
	}
	/* Later issues bring the screens behind the others. */
	ui_message(home->functions.items[home->functions.selected], _("Coming soon."));
	return SCREEN_HOME;
}

/* The user menu under the name; returns the next screen, or SCREEN_HOME to stay. */
static enum screen_id
home_user_menu(struct home *home)
{
	const char *items[] = { _("Change password"), _("Log out") };
	struct rpc_error err;
	json_t *result;

	switch (ui_menu(NULL, items, 2, 3, home->user_x + 2)) {	/* inside the list's box */
	case HOME_MENU_PASSWORD:
		return SCREEN_PASSWORD;
	case HOME_MENU_LOGOUT:
		result = app_call(home->app, "session.logout", NULL, &err);
		json_decref(result);
		if (home->app->restart)
			return SCREEN_QUIT;
		/* Whatever the server said, this screen is done with the account. */
		app_clear_me(home->app);
		return SCREEN_LOGIN;
	}
	return SCREEN_HOME;
}

enum screen_id
screen_home_run(struct app *a)
{
	struct home home = { .app = a };
	struct ui_event ev;
	enum screen_id next = SCREEN_QUIT;
	unsigned seen = a->changes;

	if (a->me == NULL)
		return SCREEN_LOGIN;
	if (app_me_must_change_password(a))
		return SCREEN_PASSWORD;
	ui_list_init(&home.functions, _("No functions are available to this account."));
	home_load(&home);
	ui_set_backdrop(home_paint, &home);
	ui_help_set(home_keys);
	for (;;) {
		if (app_wait(a, &seen, home_reread, &home, &ev)) {
			next = SCREEN_QUIT;
			break;
		}
		if (ev.type != UI_EV_KEY)
			continue;
		home.message[0] = '\0';
		if (ev.key == KEY_F(2) ||
		    (ev.key == UI_KEY_ENTER && home.focus == HOME_FOCUS_USER)) {
			if ((next = home_user_menu(&home)) != SCREEN_HOME)
				break;
			continue;
		}
		if (ev.key == UI_KEY_TAB || ev.key == KEY_BTAB) {
			home.focus = home.focus == HOME_FOCUS_LIST ? HOME_FOCUS_USER :
			    HOME_FOCUS_LIST;
			continue;
		}
		if (ev.key == UI_KEY_ENTER) {
			if ((next = home_open(&home)) != SCREEN_HOME)
				break;
			continue;
		}
		if (home.focus == HOME_FOCUS_LIST)
			ui_list_key(&home.functions, &ev, LINES - 6);
	}
	ui_set_backdrop(NULL, NULL);
	ui_list_free(&home.functions);
	for (size_t i = 0; i < home.nkeys; i++)
		free(home.keys[i]);
	free(home.keys);
	return next;
}
