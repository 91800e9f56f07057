/*
 * screen-home.c - the personal home page: the 功能列表 (function list).
 *
 * A placeholder for now: the functions (profile, declarations, progress,
 * annual completion) arrive with their own screens, and which of them a
 * person may use is the server's to say.
 */
#include <curses.h>

#include "app.h"

struct home {
	struct app	*app;
	struct ui_list	 functions;
};

void
home_draw_functions(int y, int x, int h, int w, struct ui_list *list, bool focused)
{
	ui_box(y, x, h, w, _("Function list"), UI_FRAME);
	ui_list_draw(list, y + 1, x + 2, h - 2, w - 4, focused);
}

static void
home_paint(void *arg)
{
	struct home *home = arg;

	ui_header(_("Continuing Education · Home"));
	home_draw_functions(2, 0, LINES - 4, COLS, &home->functions, true);
	ui_message_line(_("Logged in."), false);
	app_status(home->app, _("Arrows: choose  F10: quit"));
}

enum screen_id
screen_home_run(struct app *a)
{
	struct home home = { .app = a };
	struct ui_event ev;

	ui_list_init(&home.functions, _("The functions will be listed here."));
	ui_set_backdrop(home_paint, &home);
	for (;;) {
		ui_repaint();
		ui_next_event(&ev);
		if (ev.type == UI_EV_QUIT || ui_is_quit_key(&ev))
			break;
		ui_list_key(&home.functions, &ev, LINES - 6);
	}
	ui_set_backdrop(NULL, NULL);
	ui_list_free(&home.functions);
	return SCREEN_QUIT;
}
