/*
 * app.h - one run of the client: its connection, what the server said
 * about itself, the ways out, and the screens.
 */
#ifndef JXJY_APP_H
#define JXJY_APP_H

#include <signal.h>
#include <stdbool.h>

#include <jansson.h>

#include "i18n.h"
#include "rpc.h"
#include "ui.h"

struct app {
	struct rpc	*rpc;
	enum ui_lang	 lang;
	char		*server;	/* "jxjyd 0.1.0" from system.hello; owned */
	volatile sig_atomic_t *signal;	/* the signal that asked us to stop, or 0 */
};

/*
 * Send system.hello {client, lang} and remember the server's name and
 * version.  Runs before the TUI starts.  Returns 0, or 2 when the server
 * cannot be reached (reported on stderr).
 */
int	app_hello(struct app *a);

/*
 * rpc_call for the screens.  A lost connection does not come back: the
 * user is told, the terminal restored, and jxjy exits 2.  Every other
 * failure returns NULL with *err filled (err->message is for people).
 */
json_t	*app_call(struct app *a, const char *method, json_t *params, struct rpc_error *err);

/* Tell the user the connection is gone, restore the terminal, exit 2. */
void	app_lost(struct app *a) __attribute__((noreturn));

/* ui tick: notices a server that went away while the user was idle. */
void	app_tick(void *arg);

/* The status bar: the server's name and version, and hints. */
void	app_status(struct app *a, const char *hints);

/* Screens: each runs until it knows which comes next. */
enum screen_id {
	SCREEN_QUIT,
	SCREEN_LOGIN,
	SCREEN_HOME,
};

enum screen_id screen_login_run(struct app *a);	/* screen-login.c */
enum screen_id screen_home_run(struct app *a);	/* screen-home.c */

/* The 功能列表 frame with list in it (screen-home.c; the login screen shows it empty). */
void	home_draw_functions(int y, int x, int h, int w, struct ui_list *list, bool focused);

#endif
