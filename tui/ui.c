/*
 * ui.c - widgets on ncursesw.
 *
 * Columns are always counted with text_width (our own tables, which agree
 * with the wcwidth ncurses uses), never with bytes: a Chinese label is
 * twice as wide as its character count says, and three times narrower
 * than its byte count.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curses.h>

#include "i18n.h"
#include "text.h"
#include "ui.h"
#include "xmalloc.h"

/* How often a waiting ui_next_event runs a tick that has no descriptor to wait on. */
#define UI_TICK_MS	250

/* Narrower dialogs look like rendering glitches. */
#define UI_DIALOG_MIN_WIDTH	32

/* Esc must answer quickly on a dialog; escape sequences arrive within this. */
#define UI_ESCDELAY_MS	50

static bool ui_active;
static bool ui_colors;
static volatile sig_atomic_t *ui_signal;
static bool ui_stopped;
static void (*ui_tick_fn)(void *);
static int (*ui_tick_fd)(void *);
static void *ui_tick_arg;
static bool ui_refresh_posted;	/* ui_post_refresh: UI_EV_REFRESH is due */
static bool ui_hangup;		/* the terminal went away */
static int ui_wake_pipe[2] = { -1, -1 };	/* ui_wake_from_signal -> ui_wait */
static void (*ui_backdrop)(void *);
static void *ui_backdrop_arg;
static int ui_cursor_y = -1, ui_cursor_x = -1;
static const struct ui_key_help *ui_help;	/* the current screen's keys */
static bool ui_help_open;			/* F1's box is up: F1 again does nothing */
static char *ui_status_hints;	/* the last hints string drawn, for F1 without a table */
static const char *ui_pager_hints;	/* a pager's own hints, for F1 while it is up */
static bool ui_message_taken;	/* this paint's message line shows a field's whole error */

static const struct {
	short	 fg, bg;	/* with colours */
	attr_t	 attr;		/* added with colours */
	attr_t	 mono;		/* without colours */
} ui_styles[UI_STYLE_COUNT] = {
	[UI_NORMAL]		= { -1, -1, 0, 0 },
	[UI_HEADER]		= { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE | A_BOLD },
	[UI_STATUS]		= { COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE },
	[UI_FRAME]		= { COLOR_BLUE, -1, 0, 0 },
	[UI_TITLE]		= { -1, -1, A_BOLD, A_BOLD },
	[UI_FIELD]		= { COLOR_BLACK, COLOR_WHITE, 0, A_UNDERLINE },
	[UI_FIELD_FOCUS]	= { COLOR_BLACK, COLOR_YELLOW, 0, A_REVERSE },
	[UI_BUTTON]		= { -1, -1, A_BOLD, A_BOLD },
	[UI_BUTTON_FOCUS]	= { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE | A_BOLD },
	[UI_DIALOG]		= { COLOR_BLACK, COLOR_WHITE, 0, 0 },
	[UI_ERROR]		= { COLOR_RED, -1, A_BOLD, A_BOLD },
	[UI_HINT]		= { COLOR_CYAN, -1, 0, A_DIM },
	[UI_SELECTED]		= { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE },
};

static attr_t
ui_attr(enum ui_style style)
{
	if (!ui_colors)
		return ui_styles[style].mono;
	return COLOR_PAIR(style) | ui_styles[style].attr;
}

int
ui_start(void)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -1;
	if (newterm(NULL, stdout, stdin) == NULL)
		return -1;
	ui_active = true;
	raw();		/* Ctrl-Q reaches us, not the terminal's flow control */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(UI_ESCDELAY_MS);
	/* ui_next_event waits in poll(); ncurses only takes what has arrived. */
	wtimeout(stdscr, 0);
	/*
	 * Finish every refresh even when input is waiting: by default ncurses
	 * stops an update when it sees typeahead, and a dialog put up after a
	 * long step (a download's 已保存) stayed unseen until the next key.
	 */
	typeahead(-1);
	if (ui_wake_pipe[0] < 0 && pipe2(ui_wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		ui_wake_pipe[0] = ui_wake_pipe[1] = -1;
	curs_set(0);
	if (has_colors() && start_color() == OK) {
		use_default_colors();
		for (int s = 1; s < UI_STYLE_COUNT; s++)
			init_pair((short)s, ui_styles[s].fg, ui_styles[s].bg);
		ui_colors = true;
	}
	return 0;
}

void
ui_end(void)
{
	if (!ui_active)
		return;
	ui_active = false;
	curs_set(1);
	endwin();
}

void
ui_set_signal_flag(volatile sig_atomic_t *flag)
{
	ui_signal = flag;
}

void
ui_set_tick(void (*fn)(void *), int (*fd)(void *), void *arg)
{
	ui_tick_fn = fn;
	ui_tick_fd = fd;
	ui_tick_arg = arg;
}

void
ui_post_refresh(void)
{
	ui_refresh_posted = true;
}

void
ui_wake_from_signal(void)
{
	int saved = errno;

	if (ui_wake_pipe[1] >= 0 && write(ui_wake_pipe[1], "", 1) < 0) {
		/* Full: a wake-up is pending already. */
	}
	errno = saved;
}

/*
 * Sleep until a key may have come, the tick's descriptor is readable, or
 * a signal (its handler writes to ui_wake_pipe, so one that lands just
 * before poll() still wakes it): no wake-ups while nobody types and the
 * server says nothing.
 */
static void
ui_wait(void)
{
	struct pollfd p[3] = { { .fd = STDIN_FILENO, .events = POLLIN },
	    { .fd = ui_wake_pipe[0], .events = POLLIN } };
	nfds_t n = 2;
	int fd = ui_tick_fn != NULL && ui_tick_fd != NULL ? ui_tick_fd(ui_tick_arg) : -1;
	int ms = ui_tick_fn != NULL && fd < 0 ? UI_TICK_MS : -1;	/* no fd: poll the tick */
	char drain[64];

	if (ui_wake_pipe[0] < 0 && ms < 0)
		ms = UI_TICK_MS;	/* no pipe: look at the signal flag now and then */
	if (fd >= 0)
		p[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(p, n, ms) <= 0)
		return;
	if (p[0].revents & (POLLHUP | POLLERR | POLLNVAL))
		ui_hangup = true;
	if (p[1].revents & POLLIN)
		while (read(ui_wake_pipe[0], drain, sizeof drain) > 0)
			;
}

void
ui_set_backdrop(void (*paint)(void *), void *arg)
{
	ui_backdrop = paint;
	ui_backdrop_arg = arg;
	if (paint == NULL)
		ui_help = NULL;	/* the screen is gone, and its keys with it */
}

static bool
ui_too_small(void)
{
	return COLS < UI_MIN_COLS || LINES < UI_MIN_LINES;
}

/* The notice shown instead of a screen that does not fit. */
static void
ui_paint_too_small(void)
{
	char *line;
	int y = LINES / 2 - 1;

	erase();
	line = xasprintf(_("The window is too small: %d×%d."), COLS, LINES);
	ui_put_center(y < 0 ? 0 : y, 0, COLS, line, UI_ERROR);
	free(line);
	line = xasprintf(_("Please enlarge it to at least %d×%d."), UI_MIN_COLS, UI_MIN_LINES);
	ui_put_center(y + 1, 0, COLS, line, UI_NORMAL);
	free(line);
	ui_put_center(y + 2, 0, COLS, _("F10: quit"), UI_HINT);
	curs_set(0);
	refresh();
}

bool
ui_paint_begin(void)
{
	ui_cursor_hide();
	ui_message_taken = false;
	if (ui_too_small()) {
		ui_paint_too_small();
		return false;
	}
	erase();
	return true;
}

void
ui_paint_end(void)
{
	if (ui_cursor_y >= 0 && !ui_too_small()) {
		move(ui_cursor_y, ui_cursor_x);
		curs_set(1);
	} else {
		curs_set(0);
	}
	refresh();
}

void
ui_cursor_at(int y, int x)
{
	ui_cursor_y = y;
	ui_cursor_x = x;
}

void
ui_cursor_hide(void)
{
	ui_cursor_y = ui_cursor_x = -1;
}

void
ui_repaint(void)
{
	if (ui_paint_begin() && ui_backdrop != NULL)
		ui_backdrop(ui_backdrop_arg);
	ui_paint_end();
}

/*
 * Repaint everything, the terminal cleared first: after a popup, whose
 * edges may have cut wide characters of the screen under it in two, the
 * terminal and ncurses need not agree any more on what is where.
 */
static void
ui_repaint_all(void)
{
	clearok(curscr, TRUE);
	ui_repaint();
}

bool
ui_is_quit_key(const struct ui_event *ev)
{
	return ev->type == UI_EV_KEY && (ev->key == KEY_F(10) || ev->key == UI_CTRL('q'));
}

void
ui_stop(bool on)
{
	ui_stopped = on;
}

void
ui_next_event(struct ui_event *ev)
{
	wint_t ch;
	int rc;

	for (;;) {
		memset(ev, 0, sizeof *ev);
		if ((ui_signal != NULL && *ui_signal) || ui_stopped) {
			ev->type = UI_EV_QUIT;
			return;
		}
		rc = wget_wch(stdscr, &ch);
		if (rc == ERR) {
			/* Nothing typed: see to the connection, then sleep. */
			if (ui_tick_fn != NULL)
				ui_tick_fn(ui_tick_arg);
			if (ui_refresh_posted && !ui_stopped) {
				ui_refresh_posted = false;
				ev->type = UI_EV_REFRESH;
				return;
			}
			if (ui_hangup) {
				ev->type = UI_EV_QUIT;
				return;
			}
			if ((ui_signal != NULL && *ui_signal) || ui_stopped)
				continue;
			ui_wait();
			continue;
		}
		if (ui_stopped)
			continue;	/* the key was for a screen that is going away */
		if (rc == KEY_CODE_YES) {
			if (ch == KEY_RESIZE) {
				if (ui_too_small()) {
					ui_paint_too_small();
					continue;
				}
				ev->type = UI_EV_RESIZE;
				return;
			}
			ev->type = UI_EV_KEY;
			ev->key = (int)ch;
			if (ch == KEY_ENTER)
				ev->key = UI_KEY_ENTER;
			else if (ch == KEY_BACKSPACE)
				ev->key = UI_KEY_BACKSPACE;
		} else if (ch < 0x20 || ch == 0x7f) {
			ev->type = UI_EV_KEY;
			ev->key = (int)ch;
			if (ch == '\r')
				ev->key = UI_KEY_ENTER;
			else if (ch == '\b')
				ev->key = UI_KEY_BACKSPACE;
		} else if (ch >= 0x80 && ch <= 0x9f) {
			continue;	/* C1 controls are no input */
		} else {
			ev->type = UI_EV_CHAR;
			ev->ch = ch;
		}
		if (ui_too_small() && !ui_is_quit_key(ev))
			continue;	/* the screen is hidden: typing into it blind helps no one */
		if (ev->type == UI_EV_KEY && ev->key == KEY_F(1)) {
			if (ui_help_open)
				continue;
			ui_help_show();
			ev->type = UI_EV_RESIZE;	/* whoever waits repaints */
			ev->key = 0;
			return;
		}
		if (ev->type == UI_EV_KEY && ev->key == UI_CTRL('l')) {
			/* Redraw: the terminal is cleared, the caller paints again. */
			clearok(curscr, TRUE);
			ev->type = UI_EV_RESIZE;
			ev->key = 0;
			return;
		}
		return;
	}
}

/* Painting helpers. */

int
ui_put(int y, int x, int cols, const char *s, enum ui_style style, bool pad)
{
	char *clean, *fit;
	int w;

	if (cols <= 0 || y < 0 || y >= LINES || x < 0 || x >= COLS)
		return 0;
	if (x + cols > COLS)
		cols = COLS - x;
	clean = text_sanitize(s != NULL ? s : "", false);
	if (text_width(clean) > cols) {
		/* Cut: the last column says so. */
		char *cut = text_fit(clean, cols - 1);

		fit = xasprintf("%s…", cut);
		free(cut);
	} else {
		fit = xstrdup(clean);
	}
	w = text_width(fit);
	attrset(ui_attr(style));
	mvaddstr(y, x, fit);
	if (pad) {
		for (; w < cols; w++)
			addch(' ');
	}
	attrset(A_NORMAL);
	free(fit);
	free(clean);
	return w;
}

void
ui_put_center(int y, int x, int cols, const char *s, enum ui_style style)
{
	char *clean = text_sanitize(s != NULL ? s : "", false);
	int w = text_width(clean);

	if (w > cols)
		w = cols;
	ui_put(y, x + (cols - w) / 2, w, clean, style, false);
	free(clean);
}

void
ui_fill(int y, int x, int cols, enum ui_style style)
{
	ui_put(y, x, cols, "", style, true);
}

void
ui_box(int y, int x, int h, int w, const char *title, enum ui_style style)
{
	attr_t a = ui_attr(style == UI_NORMAL ? UI_FRAME : style);

	if (h < 2 || w < 2)
		return;
	attrset(a);
	mvhline(y, x + 1, ACS_HLINE, w - 2);
	mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
	mvvline(y + 1, x, ACS_VLINE, h - 2);
	mvvline(y + 1, x + w - 1, ACS_VLINE, h - 2);
	mvaddch(y, x, ACS_ULCORNER);
	mvaddch(y, x + w - 1, ACS_URCORNER);
	mvaddch(y + h - 1, x, ACS_LLCORNER);
	mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
	attrset(A_NORMAL);
	if (title != NULL && *title != '\0' && w > 6) {
		char *label = xasprintf(" %s ", title);

		ui_put(y, x + 2, w - 4, label, style == UI_DIALOG ? UI_DIALOG : UI_TITLE, false);
		free(label);
	}
}

void
ui_put_tail(int y, int x, int cols, const char *s, enum ui_style style, const char *tail,
    enum ui_style tail_style)
{
	char *clean;
	int tw;

	if (tail == NULL || *tail == '\0') {
		ui_put(y, x, cols, s, style, false);
		return;
	}
	if (x + cols > COLS)
		cols = COLS - x;
	clean = text_sanitize(tail, false);
	tw = text_width(clean);
	free(clean);
	if (tw >= cols) {
		ui_put(y, x, cols, tail, tail_style, false);
		return;
	}
	if (cols - tw - 2 > 0)
		ui_put(y, x, cols - tw - 2, s, style, false);
	ui_put(y, x + cols - tw, tw, tail, tail_style, false);
}

void
ui_header(const char *title)
{
	ui_fill(0, 0, COLS, UI_HEADER);
	ui_put_center(0, 0, COLS, title, UI_HEADER);
}

/* One key's hint as the status bar and the help box show it: "Enter: open". */
static char *
ui_help_item(const struct ui_key_help *k)
{
	/* TRANSLATORS: a key and what it does, on the status bar and in F1's box. */
	return xasprintf(_("%1$s: %2$s"), _(k->key), _(k->what));
}

/*
 * The hints of hints (separated by two spaces) that fit whole in cols
 * columns, in order: the first that does not fit ends them.  Caller frees.
 */
static char *
ui_hints_fit(const char *hints, int cols)
{
	struct text_buf b = { 0 };
	char *clean = text_sanitize(hints != NULL ? hints : "", false), *out;
	int used = 0, iw;

	text_buf_add(&b, "", 0);
	for (const char *p = clean; *p != '\0';) {
		const char *end = strstr(p, "  ");
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		char *item = xstrndup(p, len);

		iw = text_width(item);
		if (used + (used > 0 ? 2 : 0) + iw > cols) {
			free(item);
			break;
		}
		if (used > 0)
			text_buf_add(&b, "  ", 2);
		text_buf_add(&b, item, len);
		used += (used > 0 ? 2 : 0) + iw;
		free(item);
		p += len;
		while (*p == ' ')
			p++;
	}
	free(clean);
	out = b.data;
	return out;
}

/*
 * The status bar's hints: the brief keys of the help table (or the hints
 * given), as many whole ones as fit in cols, and "F1: help" last.  Caller
 * frees.
 */
static char *
ui_status_hints_fit(const char *hints, int cols)
{
	static const struct ui_key_help f1 = { N_("F1"), N_("help"), true };
	struct text_buf b = { 0 };
	char *help = ui_help_item(&f1), *fit, *out;

	text_buf_add(&b, "", 0);
	if (hints == NULL) {
		for (const struct ui_key_help *k = ui_help; k != NULL && k->key != NULL; k++) {
			char *item;

			if (!k->brief)
				continue;
			item = ui_help_item(k);
			if (b.len > 0)
				text_buf_add(&b, "  ", 2);
			text_buf_add(&b, item, strlen(item));
			free(item);
		}
		hints = b.data;
	}
	fit = ui_hints_fit(hints, cols - text_width(help) - 2);
	if (text_width(help) > cols)
		out = xstrdup("");
	else if (*fit == '\0')
		out = xstrdup(help);
	else
		out = xasprintf("%s  %s", fit, help);
	free(fit);
	free(help);
	free(b.data);
	return out;
}

void
ui_status_bar(const char *left, const char *right)
{
	char *hints;
	int rw;

	free(ui_status_hints);
	ui_status_hints = right != NULL ? xstrdup(right) : NULL;
	ui_fill(LINES - 1, 0, COLS, UI_STATUS);
	/* The server's name gives way to the hints, keeping at least 12 columns. */
	hints = ui_status_hints_fit(right, COLS - 2 - 3 - 12);
	rw = text_width(hints);
	ui_put(LINES - 1, 1, COLS - 2 - 3 - rw, left, UI_STATUS, false);
	ui_put(LINES - 1, COLS - 1 - rw, rw, hints, UI_STATUS, false);
	free(hints);
}

void
ui_help_set(const struct ui_key_help *keys)
{
	ui_help = keys;
}

const struct ui_key_help *
ui_help_get(void)
{
	return ui_help;
}

/* The keys of every screen, after its own in F1's box. */
static const struct ui_key_help ui_help_always[] = {
	{ N_("F1"), N_("this help"), false },
	{ N_("Ctrl-L"), N_("redraw the screen"), false },
	{ N_("F10, Ctrl-Q"), N_("quit"), false },
	{ 0 }
};

/* Does the help table name key? */
static bool
ui_help_has(const char *key)
{
	for (const struct ui_key_help *k = ui_help; k != NULL && k->key != NULL; k++) {
		if (strcmp(k->key, key) == 0)
			return true;
	}
	return false;
}

/* The widest key of keys, in columns, or w when that is wider. */
static int
ui_help_key_width(const struct ui_key_help *keys, int w)
{
	for (const struct ui_key_help *k = keys; k != NULL && k->key != NULL; k++) {
		if (text_width(_(k->key)) > w)
			w = text_width(_(k->key));
	}
	return w;
}

/* Lines "key  what" of keys added to b, the keys padded to kw columns. */
static void
ui_help_add(struct text_buf *b, const struct ui_key_help *keys, int kw)
{
	for (const struct ui_key_help *k = keys; k != NULL && k->key != NULL; k++) {
		int pad = kw - text_width(_(k->key));

		/* A screen that says what F10 does needs no second line for it. */
		if (keys == ui_help_always && strcmp(k->key, "F10, Ctrl-Q") == 0 &&
		    ui_help_has("F10"))
			continue;
		text_buf_printf(b, "%s%s%*s  %s", b->len > 0 ? "\n" : "", _(k->key),
		    pad > 0 ? pad : 0, "", _(k->what));
	}
}

void
ui_help_show(void)
{
	struct text_buf b = { 0 };
	const char *hints = ui_pager_hints != NULL ? ui_pager_hints : ui_status_hints;
	int kw = ui_help_key_width(ui_help_always, ui_help_key_width(ui_help, 0));

	text_buf_add(&b, "", 0);
	ui_help_add(&b, ui_help, kw);
	if (ui_help == NULL && hints != NULL) {
		/* A screen without a table: its hints, one a line. */
		for (const char *p = hints; *p != '\0';) {
			const char *end = strstr(p, "  ");
			size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

			if (b.len > 0)
				text_buf_add(&b, "\n", 1);
			text_buf_add(&b, p, len);
			p += len;
			while (*p == ' ')
				p++;
		}
	}
	ui_help_add(&b, ui_help_always, kw);
	ui_help_open = true;
	ui_pager(_("Keys"), b.data, NULL, NULL);
	ui_help_open = false;
	free(b.data);
}

void
ui_message_line(const char *text, bool error)
{
	if (ui_message_taken)
		return;		/* the focused field's error, whole, is more use there */
	if (text != NULL && *text != '\0')
		ui_put(LINES - 2, 1, COLS - 2, text, error ? UI_ERROR : UI_NORMAL, false);
}

void
ui_picture(int y, int x, int h, int w, char *const *rows, size_t n, const char *hint)
{
	int top;

	ui_box(y, x, h, w, NULL, UI_FRAME);
	if (n == 0) {
		if (hint != NULL)
			ui_put_center(y + (h - 1) / 2, x + 1, w - 2, hint, UI_HINT);
		return;
	}
	if (n > (size_t)(h - 2))
		n = (size_t)(h - 2);
	top = y + 1 + (h - 2 - (int)n) / 2;
	for (size_t i = 0; i < n; i++)
		ui_put_center(top + (int)i, x + 1, w - 2, rows[i], UI_NORMAL);
}

void
ui_columns_fit(int n, const int *least, const int *want, const int *order, int flex, int gap,
    int cols, int *widths)
{
	int room = cols - gap * (n > 0 ? n - 1 : 0);

	for (int i = 0; i < n; i++) {
		widths[i] = least[i];
		room -= least[i];
	}
	for (int k = 0; k < n && room > 0; k++) {
		int i = order != NULL ? order[k] : k, add = want[i] - widths[i];

		if (add <= 0)
			continue;
		if (add > room)
			add = room;
		widths[i] += add;
		room -= add;
	}
	if (flex >= 0 && flex < n && room > 0)
		widths[flex] += room;
}

/* Append a copy of s[0..len) to *lines. */
static void
ui_lines_push(char ***lines, size_t *n, const char *s, size_t len)
{
	*lines = xrealloc(*lines, (*n + 1) * sizeof **lines);
	(*lines)[(*n)++] = xstrndup(s, len);
}

size_t
ui_wrap(const char *s, int cols, char ***lines)
{
	char *clean = text_sanitize(s != NULL ? s : "", true);
	const char *p = clean, *start = clean, *space = NULL, *wide = NULL;
	size_t n = 0, adv;
	int used = 0, used_space = 0, w;

	*lines = NULL;
	if (cols < 1)
		cols = 1;
	while (*p != '\0') {
		if (*p == '\n') {
			ui_lines_push(lines, &n, start, (size_t)(p - start));
			start = ++p;
			space = wide = NULL;
			used = 0;
			continue;
		}
		w = text_char_width(p, &adv);
		if (used + w > cols && p > start) {
			/*
			 * Break after a space when one falls in the line's second
			 * half, so that a name or a title written with spaces
			 * around it ("卫生(医) · 副主任医师") stays whole; else after
			 * the last wide character (Chinese breaks anywhere), else
			 * after any space, else here.
			 */
			const char *end = space != NULL && used_space >= cols / 2 ? space :
			    wide != NULL ? wide : space != NULL ? space : p;

			ui_lines_push(lines, &n, start, (size_t)(end - start));
			start = end;
			while (*start == ' ')
				start++;
			p = start;
			space = wide = NULL;
			used = 0;
			continue;
		}
		used += w;
		p += adv;
		if (p[-1] == ' ') {
			space = p;
			used_space = used;
		} else if (w == 2) {
			wide = p;
		}
	}
	if (p > start || n == 0)
		ui_lines_push(lines, &n, start, (size_t)(p - start));
	free(clean);
	return n;
}

void
ui_lines_free(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

/* Form. */

void
ui_form_init(struct ui_form *f)
{
	memset(f, 0, sizeof *f);
	f->default_id = -1;
}

void
ui_form_free(struct ui_form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->fields[i].value != NULL) {
			explicit_bzero(f->fields[i].value, f->fields[i].cap);
			free(f->fields[i].value);
		}
		free(f->fields[i].error);
	}
	free(f->fields);
	ui_form_init(f);
}

static struct ui_field *
ui_form_add(struct ui_form *f, enum ui_field_type type, int id, const char *label)
{
	struct ui_field *fd;

	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->fields = xrealloc(f->fields, f->cap * sizeof *f->fields);
	}
	fd = &f->fields[f->n++];
	memset(fd, 0, sizeof *fd);
	fd->type = type;
	fd->id = id;
	fd->label = label;
	fd->option = -1;
	return fd;
}

struct ui_field *
ui_form_add_text(struct ui_form *f, int id, const char *label, int width, size_t max_chars,
    bool secret)
{
	struct ui_field *fd = ui_form_add(f, secret ? UI_FIELD_SECRET : UI_FIELD_TEXT, id, label);

	fd->width = width < 2 ? 2 : width;
	fd->max_chars = max_chars;
	fd->cap = 16;
	fd->value = xcalloc(1, fd->cap);
	return fd;
}

struct ui_field *
ui_form_add_button(struct ui_form *f, int id, const char *caption)
{
	struct ui_field *fd = ui_form_add(f, UI_FIELD_BUTTON, id, caption);

	fd->width = ui_button_width(caption);
	return fd;
}

struct ui_field *
ui_form_add_pick(struct ui_form *f, int id, const char *label, int width)
{
	struct ui_field *fd = ui_form_add_text(f, id, label, width, 256, false);

	fd->type = UI_FIELD_PICK;
	return fd;
}

struct ui_field *
ui_form_add_choice(struct ui_form *f, int id, const char *label, const char *const *options,
    size_t n)
{
	struct ui_field *fd = ui_form_add(f, UI_FIELD_CHOICE, id, label);

	fd->options = options;
	fd->noptions = n;
	fd->width = 0;
	for (size_t i = 0; i < n; i++)
		fd->width += text_width(options[i]) + 6;	/* "(*) name" and two spaces */
	return fd;
}

int
ui_form_option(struct ui_form *f, int id)
{
	struct ui_field *fd = ui_form_field(f, id);

	return fd != NULL ? fd->option : -1;
}

void
ui_form_set_option(struct ui_form *f, int id, int option)
{
	struct ui_field *fd = ui_form_field(f, id);

	if (fd != NULL && fd->type == UI_FIELD_CHOICE)
		fd->option = option >= 0 && (size_t)option < fd->noptions ? option : -1;
}


/* A person changed the field: its old error no longer applies. */
static void
ui_field_changed(struct ui_field *fd)
{
	free(fd->error);
	fd->error = NULL;
	fd->changed = true;
}

void
ui_form_set_error(struct ui_form *f, int id, const char *message)
{
	struct ui_field *fd = ui_form_field(f, id);

	if (fd == NULL)
		return;
	free(fd->error);
	fd->error = message != NULL && *message != '\0' ? xstrdup(message) : NULL;
}

void
ui_form_clear_errors(struct ui_form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->fields[i].error);
		f->fields[i].error = NULL;
	}
}

bool
ui_form_edited(const struct ui_form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->fields[i].changed)
			return true;
	}
	return false;
}

void
ui_form_unchanged(struct ui_form *f)
{
	for (size_t i = 0; i < f->n; i++)
		f->fields[i].changed = false;
}

int
ui_form_focus_id(const struct ui_form *f)
{
	return f->n > 0 ? f->fields[f->focus].id : -1;
}

void
ui_form_set_viewport(struct ui_form *f, int y, int h)
{
	f->view_y = y;
	f->view_h = h;
}

void
ui_form_set_box(struct ui_form *f, int y, int x, int h, int w)
{
	ui_form_set_viewport(f, y + 1, h - 2);
	f->right = x + w - 1;
}

int
ui_form_screen_y(const struct ui_form *f, int row)
{
	if (f->view_h <= 0)
		return row;
	if (row < f->view_top || row >= f->view_top + f->view_h)
		return -1;
	return f->view_y + row - f->view_top;
}

int
ui_form_last_row(const struct ui_form *f)
{
	int last = 0;

	for (size_t i = 0; i < f->n; i++) {
		if (!f->fields[i].hidden && f->fields[i].y > last)
			last = f->fields[i].y;
	}
	return last;
}

struct ui_field *
ui_form_field(struct ui_form *f, int id)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->fields[i].id == id)
			return &f->fields[i];
	}
	return NULL;
}

int
ui_button_width(const char *caption)
{
	return text_width(caption) + 4;
}

void
ui_form_place_labels(struct ui_form *f, int x)
{
	int w = 0;

	for (size_t i = 0; i < f->n; i++) {
		if (f->fields[i].type != UI_FIELD_BUTTON && text_width(f->fields[i].label) > w)
			w = text_width(f->fields[i].label);
	}
	f->label_x = x;
	f->label_width = w;
	for (size_t i = 0; i < f->n; i++) {
		if (f->fields[i].type != UI_FIELD_BUTTON)
			f->fields[i].x = x + w + 3;	/* two spaces and '[' */
	}
}

void
ui_form_focus(struct ui_form *f, int id)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->fields[i].id == id && !f->fields[i].hidden)
			f->focus = i;
	}
}

static void ui_form_move(struct ui_form *f, int step);

void
ui_form_show(struct ui_form *f, int id, bool shown)
{
	struct ui_field *fd = ui_form_field(f, id);

	if (fd == NULL)
		return;
	fd->hidden = !shown;
	if (!shown && &f->fields[f->focus] == fd)
		ui_form_move(f, 1);
}

const char *
ui_form_value(struct ui_form *f, int id)
{
	struct ui_field *fd = ui_form_field(f, id);

	return fd != NULL && fd->value != NULL ? fd->value : "";
}

void
ui_form_set(struct ui_form *f, int id, const char *value)
{
	struct ui_field *fd = ui_form_field(f, id);
	size_t len = value != NULL ? strlen(value) : 0;

	if (fd == NULL || fd->value == NULL)
		return;
	explicit_bzero(fd->value, fd->cap);
	if (len + 1 > fd->cap) {
		free(fd->value);
		fd->cap = len + 1;
		fd->value = xcalloc(1, fd->cap);
	}
	if (len > 0)
		memcpy(fd->value, value, len);
	fd->value[len] = '\0';
	fd->len = fd->cursor = len;
	fd->scroll = 0;
}

void
ui_form_choose(struct ui_form *f, int id, const char *value)
{
	struct ui_field *fd = ui_form_field(f, id);

	ui_form_set(f, id, value);
	if (fd != NULL)
		ui_field_changed(fd);
}

/* Byte offset of the character before off. */
static size_t
ui_prev_char(const char *s, size_t off)
{
	if (off == 0)
		return 0;
	off--;
	while (off > 0 && ((unsigned char)s[off] & 0xc0) == 0x80)
		off--;
	return off;
}

/* Byte offset of the character after off. */
static size_t
ui_next_char(const char *s, size_t off)
{
	size_t adv;

	if (s[off] == '\0')
		return off;
	text_char_width(s + off, &adv);
	return off + (adv ? adv : 1);
}

/* Columns of value[from..to) as the field shows it. */
static int
ui_field_span(const struct ui_field *fd, size_t from, size_t to)
{
	int w = 0;
	size_t adv;

	while (from < to && fd->value[from] != '\0') {
		int cw = text_char_width(fd->value + from, &adv);

		w += fd->type == UI_FIELD_SECRET ? 1 : cw;
		from += adv ? adv : 1;
	}
	return w;
}

/* Encode a code point as UTF-8 into buf; returns its length, 0 if not one. */
static size_t
ui_encode(wint_t c, char *buf)
{
	if (c < 0x80) {
		buf[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		buf[0] = (char)(0xc0 | (c >> 6));
		buf[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c >= 0xd800 && c <= 0xdfff)
		return 0;
	if (c < 0x10000) {
		buf[0] = (char)(0xe0 | (c >> 12));
		buf[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		buf[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	if (c <= 0x10ffff) {
		buf[0] = (char)(0xf0 | (c >> 18));
		buf[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		buf[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		buf[3] = (char)(0x80 | (c & 0x3f));
		return 4;
	}
	return 0;
}

/* Insert a character at the cursor, if the field has room for it. */
static void
ui_field_insert(struct ui_field *fd, wint_t c)
{
	char buf[4];
	size_t n = ui_encode(c, buf);

	if (n == 0 || utf8_length(fd->value) >= fd->max_chars)
		return;
	ui_field_changed(fd);
	if (fd->len + n + 1 > fd->cap) {
		size_t cap = (fd->len + n + 1) * 2;
		char *v = xcalloc(1, cap);

		memcpy(v, fd->value, fd->len + 1);
		explicit_bzero(fd->value, fd->cap);	/* don't leave a password in the heap */
		free(fd->value);
		fd->value = v;
		fd->cap = cap;
	}
	memmove(fd->value + fd->cursor + n, fd->value + fd->cursor, fd->len - fd->cursor + 1);
	memcpy(fd->value + fd->cursor, buf, n);
	fd->len += n;
	fd->cursor += n;
}

/* Delete value[from..to). */
static void
ui_field_delete(struct ui_field *fd, size_t from, size_t to)
{
	if (to <= from)
		return;
	ui_field_changed(fd);
	memmove(fd->value + from, fd->value + to, fd->len - to + 1);
	fd->len -= to - from;
	explicit_bzero(fd->value + fd->len + 1, to - from);
	if (fd->cursor > to)
		fd->cursor -= to - from;
	else if (fd->cursor > from)
		fd->cursor = from;
	if (fd->scroll > fd->cursor)
		fd->scroll = fd->cursor;
}

/* Editing keys of a text field; true when handled. */
static bool
ui_field_key(struct ui_field *fd, const struct ui_event *ev)
{
	if (ev->type == UI_EV_CHAR) {
		ui_field_insert(fd, ev->ch);
		return true;
	}
	switch (ev->key) {
	case KEY_LEFT:
		fd->cursor = ui_prev_char(fd->value, fd->cursor);
		return true;
	case KEY_RIGHT:
		fd->cursor = ui_next_char(fd->value, fd->cursor);
		return true;
	case KEY_HOME:
	case UI_CTRL('a'):
		fd->cursor = 0;
		return true;
	case KEY_END:
	case UI_CTRL('e'):
		fd->cursor = fd->len;
		return true;
	case UI_KEY_BACKSPACE:
		ui_field_delete(fd, ui_prev_char(fd->value, fd->cursor), fd->cursor);
		return true;
	case KEY_DC:
	case UI_CTRL('d'):
		ui_field_delete(fd, fd->cursor, ui_next_char(fd->value, fd->cursor));
		return true;
	case UI_CTRL('u'):
		ui_field_delete(fd, 0, fd->cursor);
		return true;
	case UI_CTRL('k'):
		ui_field_delete(fd, fd->cursor, fd->len);
		return true;
	}
	return false;
}

/* Focus the next (step 1) or previous (-1) field that is shown. */
static void
ui_form_move(struct ui_form *f, int step)
{
	for (size_t tries = 0; tries < f->n; tries++) {
		f->focus = (f->focus + (step < 0 ? f->n - 1 : 1)) % f->n;
		if (!f->fields[f->focus].hidden)
			return;
	}
}

/* Is there a shown input field after index i? */
static bool
ui_form_text_after(const struct ui_form *f, size_t i)
{
	for (i++; i < f->n; i++) {
		if (f->fields[i].type != UI_FIELD_BUTTON && !f->fields[i].hidden)
			return true;
	}
	return false;
}

/*
 * PgDn/PgUp in a scrolling form: move the focus about a screenful of rows
 * down or up, not past the first or last field.
 */
static void
ui_form_page(struct ui_form *f, int step)
{
	int from = f->fields[f->focus].y, page = f->view_h > 2 ? f->view_h - 1 : 1;
	size_t last = f->focus;

	for (size_t tries = 0; tries < f->n; tries++) {
		size_t before = f->focus;

		ui_form_move(f, step);
		if ((step > 0 && f->focus <= before) || (step < 0 && f->focus >= before)) {
			f->focus = last;	/* wrapped around: stay at the end */
			return;
		}
		last = f->focus;
		if ((step > 0 && f->fields[f->focus].y - from >= page) ||
		    (step < 0 && from - f->fields[f->focus].y >= page))
			return;
	}
}

/* Keys of a pick field or a choice. */
static enum ui_form_result
ui_form_key_special(struct ui_form *f, struct ui_field *fd, const struct ui_event *ev, int *id)
{
	if (fd->type == UI_FIELD_PICK) {
		if ((ev->type == UI_EV_KEY && (ev->key == UI_KEY_ENTER || ev->key == KEY_F(4))) ||
		    ev->type == UI_EV_CHAR) {
			/* A character typed on it starts the picker's filter. */
			f->typed = ev->type == UI_EV_CHAR && ev->ch != ' ' ? ev->ch : 0;
			*id = fd->id;
			return UI_FORM_ACTIVATED;
		}
		if (ev->type == UI_EV_KEY && (ev->key == KEY_DC || ev->key == UI_KEY_BACKSPACE)) {
			ui_form_set(f, fd->id, NULL);
			ui_field_changed(fd);
			*id = fd->id;
			return UI_FORM_CLEARED;
		}
		return UI_FORM_UNHANDLED;
	}
	/* UI_FIELD_CHOICE */
	if (fd->noptions == 0)
		return UI_FORM_UNHANDLED;
	if (ev->type == UI_EV_KEY && ev->key == KEY_LEFT) {
		fd->option = fd->option <= 0 ? (int)fd->noptions - 1 : fd->option - 1;
		ui_field_changed(fd);
		return UI_FORM_HANDLED;
	}
	if (ev->type == UI_EV_KEY && ev->key == KEY_RIGHT) {
		fd->option = (fd->option + 1) % (int)fd->noptions;
		ui_field_changed(fd);
		return UI_FORM_HANDLED;
	}
	/* Space chooses the option under the cursor (the chosen one, or the first). */
	if (ev->type == UI_EV_CHAR && ev->ch == ' ') {
		if (fd->option < 0) {
			fd->option = 0;
			ui_field_changed(fd);
		}
		return UI_FORM_HANDLED;
	}
	return UI_FORM_UNHANDLED;
}

enum ui_form_result
ui_form_key(struct ui_form *f, const struct ui_event *ev, int *id)
{
	struct ui_field *fd;

	if (f->n == 0 || (ev->type != UI_EV_KEY && ev->type != UI_EV_CHAR))
		return UI_FORM_UNHANDLED;
	if (f->fields[f->focus].hidden)
		ui_form_move(f, 1);
	fd = &f->fields[f->focus];
	if (fd->type == UI_FIELD_PICK || fd->type == UI_FIELD_CHOICE) {
		enum ui_form_result r = ui_form_key_special(f, fd, ev, id);

		if (r != UI_FORM_UNHANDLED)
			return r;
	}
	if (ev->type == UI_EV_KEY) {
		switch (ev->key) {
		case KEY_NPAGE:
		case KEY_PPAGE:
			if (f->view_h <= 0)
				break;
			ui_form_page(f, ev->key == KEY_NPAGE ? 1 : -1);
			return UI_FORM_HANDLED;
		case UI_KEY_TAB:
		case KEY_DOWN:
			ui_form_move(f, 1);
			return UI_FORM_HANDLED;
		case KEY_BTAB:
		case KEY_UP:
			ui_form_move(f, -1);
			return UI_FORM_HANDLED;
		case UI_KEY_ENTER:
			if (fd->type == UI_FIELD_BUTTON) {
				*id = fd->id;
				return UI_FORM_ACTIVATED;
			}
			if (ui_form_text_after(f, f->focus) || f->default_id < 0) {
				ui_form_move(f, 1);
				return UI_FORM_HANDLED;
			}
			*id = f->default_id;
			return UI_FORM_ACTIVATED;
		}
	}
	if (fd->type == UI_FIELD_BUTTON) {
		if (ev->type == UI_EV_CHAR && ev->ch == ' ') {
			*id = fd->id;
			return UI_FORM_ACTIVATED;
		}
		if (ev->type == UI_EV_KEY && (ev->key == KEY_LEFT || ev->key == KEY_RIGHT)) {
			ui_form_move(f, ev->key == KEY_LEFT ? -1 : 1);
			return UI_FORM_HANDLED;
		}
		return UI_FORM_UNHANDLED;
	}
	if (fd->type != UI_FIELD_TEXT && fd->type != UI_FIELD_SECRET)
		return UI_FORM_UNHANDLED;
	return ui_field_key(fd, ev) ? UI_FORM_HANDLED : UI_FORM_UNHANDLED;
}

/* Keep the cursor inside the box, one column to spare for it at the end. */
static void
ui_field_scroll(struct ui_field *fd)
{
	if (fd->scroll > fd->cursor)
		fd->scroll = fd->cursor;
	while (fd->scroll < fd->cursor && ui_field_span(fd, fd->scroll, fd->cursor) > fd->width - 1)
		fd->scroll = ui_next_char(fd->value, fd->scroll);
}

/* The options of a choice, "(*) 男  ( ) 女", from x on row y. */
static void
ui_choice_draw(struct ui_field *fd, int y, bool focused)
{
	int x = fd->x - 1;

	for (size_t i = 0; i < fd->noptions; i++) {
		bool on = (int)i == fd->option;
		char *item = xasprintf("(%s) %s", on ? "*" : " ", fd->options[i]);
		enum ui_style style = on && focused ? UI_FIELD_FOCUS : on ? UI_FIELD : UI_NORMAL;

		x += ui_put(y, x, text_width(item), item, style, false) + 2;
		free(item);
	}
	if (focused) {
		/* The cursor on the chosen option (or the first), as a radio group has it. */
		int at = fd->x, opt = fd->option < 0 ? 0 : fd->option;

		for (int i = 0; i < opt; i++)
			at += text_width(fd->options[i]) + 6;
		ui_cursor_at(y, at);
	}
}

static void
ui_field_draw(struct ui_form *f, struct ui_field *fd, bool focused)
{
	char *shown;
	int y = ui_form_screen_y(f, fd->y), end;

	if (fd->hidden || y < 0)
		return;
	if (fd->type == UI_FIELD_BUTTON) {
		char *caption = xasprintf("[ %s ]", fd->label);

		ui_put(y, fd->x, fd->width, caption, focused ? UI_BUTTON_FOCUS : UI_BUTTON,
		    false);
		free(caption);
		return;
	}
	if (fd->required && f->label_x >= 2)
		ui_put(y, f->label_x - 2, 1, "*", UI_ERROR, false);
	ui_put(y, f->label_x, f->label_width, fd->label, UI_NORMAL, true);
	if (fd->type == UI_FIELD_CHOICE) {
		ui_choice_draw(fd, y, focused);
		end = fd->x + fd->width;
	} else {
		ui_put(y, fd->x - 1, 1, "[", UI_FRAME, false);
		ui_put(y, fd->x + fd->width, 1, "]", UI_FRAME, false);
		end = fd->x + fd->width + 1;
		if (fd->type == UI_FIELD_PICK) {
			enum ui_style style = focused ? UI_FIELD_FOCUS : UI_FIELD;
			/* A choice looks like one: a ▾ at the box's end, the value before it. */
			int room = fd->width > 2 ? fd->width - 2 : fd->width;

			ui_fill(y, fd->x, fd->width, style);
			if (fd->len == 0 && fd->placeholder != NULL)
				ui_put(y, fd->x, room, fd->placeholder,
				    focused ? UI_FIELD_FOCUS : UI_HINT, false);
			else
				ui_put(y, fd->x, room, fd->value, style, true);
			if (fd->width > 2)
				ui_put(y, fd->x + fd->width - 1, 1, "▾", style, false);
			if (focused)
				ui_cursor_at(y, fd->x);
		} else {
			ui_field_scroll(fd);
			if (fd->type == UI_FIELD_SECRET) {
				size_t n = utf8_length(fd->value + fd->scroll);

				shown = xmalloc(n + 1);
				memset(shown, '*', n);
				shown[n] = '\0';
			} else {
				shown = xstrdup(fd->value + fd->scroll);
			}
			ui_put(y, fd->x, fd->width, shown, focused ? UI_FIELD_FOCUS : UI_FIELD,
			    true);
			if (fd->len == 0 && !focused && fd->placeholder != NULL)
				ui_put(y, fd->x, fd->width, fd->placeholder, UI_HINT, false);
			explicit_bzero(shown, strlen(shown));
			free(shown);
			if (focused)
				ui_cursor_at(y, fd->x + ui_field_span(fd, fd->scroll, fd->cursor));
		}
	}
	/* The server's word on this field, beside it, up to the form's border. */
	fd->error_cut = false;
	if (fd->error != NULL) {
		int right = f->right > 0 && f->right < COLS ? f->right - 1 : COLS - 1;

		fd->error_cut = text_width(fd->error) > right - (end + 2);
		if (end + 2 < right)
			ui_put(y, end + 2, right - (end + 2), fd->error, UI_ERROR, false);
	}
}

/* Scroll a scrolling form so that the focused field shows. */
static void
ui_form_scroll(struct ui_form *f)
{
	int row, last;

	if (f->view_h <= 0 || f->n == 0)
		return;
	row = f->fields[f->focus].y;
	last = ui_form_last_row(f);
	if (row < f->view_top)
		f->view_top = row - 1;	/* one row more: a heading above it */
	if (row >= f->view_top + f->view_h)
		f->view_top = row - f->view_h + 1;
	if (f->view_top > last - f->view_h + 1)
		f->view_top = last - f->view_h + 1;
	if (f->view_top < 0)
		f->view_top = 0;
}

void
ui_form_draw(struct ui_form *f, bool active)
{
	struct ui_field *fd;

	ui_form_scroll(f);
	for (size_t i = 0; i < f->n; i++)
		ui_field_draw(f, &f->fields[i], active && i == f->focus);
	/* An error cut beside its field is read whole on the message line while focused. */
	fd = f->n > 0 ? &f->fields[f->focus] : NULL;
	if (active && fd != NULL && fd->error != NULL && fd->error_cut && !fd->hidden) {
		/* "label: error", as the server names a field's problem, when it fits whole. */
		char *line = fd->label != NULL && *fd->label != '\0' ?
		    xasprintf("%s: %s", fd->label, fd->error) : xstrdup(fd->error);

		if (text_width(line) > COLS - 2) {
			free(line);
			line = xstrdup(fd->error);
		}

		ui_fill(LINES - 2, 0, COLS, UI_NORMAL);
		ui_put(LINES - 2, 1, COLS - 2, line, UI_ERROR, false);
		free(line);
		ui_message_taken = true;
	}
}

/* List. */

void
ui_list_init(struct ui_list *l, const char *empty_hint)
{
	memset(l, 0, sizeof *l);
	l->empty_hint = empty_hint;
}

void
ui_list_clear(struct ui_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	l->n = l->selected = l->top = 0;
}

void
ui_list_free(struct ui_list *l)
{
	ui_list_clear(l);
	free(l->items);
	ui_list_init(l, NULL);
}

void
ui_list_add(struct ui_list *l, const char *text)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->items = xrealloc(l->items, l->cap * sizeof *l->items);
	}
	l->items[l->n++] = text_sanitize(text, false);
}

bool
ui_list_key(struct ui_list *l, const struct ui_event *ev, int rows)
{
	size_t page = rows > 1 ? (size_t)rows - 1 : 1;

	if (ev->type != UI_EV_KEY || l->n == 0)
		return false;
	switch (ev->key) {
	case KEY_UP:
		if (l->selected > 0)
			l->selected--;
		break;
	case KEY_DOWN:
		if (l->selected + 1 < l->n)
			l->selected++;
		break;
	case KEY_PPAGE:
		l->selected = l->selected > page ? l->selected - page : 0;
		break;
	case KEY_NPAGE:
		l->selected = l->selected + page < l->n ? l->selected + page : l->n - 1;
		break;
	case KEY_HOME:
		l->selected = 0;
		break;
	case KEY_END:
		l->selected = l->n - 1;
		break;
	default:
		return false;
	}
	return true;
}

void
ui_list_draw(struct ui_list *l, int y, int x, int h, int w, bool focused)
{
	if (h <= 0 || w <= 0)
		return;
	if (l->n == 0) {
		if (l->empty_hint != NULL)
			ui_put_center(y + (h - 1) / 2, x, w, l->empty_hint, UI_HINT);
		return;
	}
	if (l->selected >= l->n)
		l->selected = l->n - 1;
	if (l->selected < l->top)
		l->top = l->selected;
	if (l->selected >= l->top + (size_t)h)
		l->top = l->selected - (size_t)h + 1;
	for (int row = 0; row < h && l->top + (size_t)row < l->n; row++) {
		size_t i = l->top + (size_t)row;
		bool sel = focused && i == l->selected;

		ui_put(y + row, x, w, l->items[i], sel ? UI_SELECTED : UI_NORMAL, sel);
	}
	/* Where we are, when the list is longer than the box. */
	if (l->n > (size_t)h && w > 12) {
		char *pos = xasprintf(" %zu/%zu ", l->selected + 1, l->n);

		ui_put(y + h - 1, x + w - text_width(pos), text_width(pos), pos, UI_HINT, false);
		free(pos);
	}
}

/* Dialogs. */

struct ui_dialog {
	const char	*title;
	char		**lines;
	size_t		  n;
	const char	*buttons[2];
	size_t		  nbuttons;
	size_t		  choice;
	size_t		  top;		/* the first line shown of a text taller than the box */
	int		  body;		/* lines shown at the last paint */
};

/*
 * The wide character at y, x when one starts there (it also covers x + 1).
 * Rows are walked from the left edge, a wide character counted twice, so
 * a continuation cell is never mistaken for a character.
 */
static bool
ui_wide_at(int y, int x)
{
	cchar_t cc;
	wchar_t wc[CCHARW_MAX + 1];
	attr_t attrs;
	short pair;
	int c = 0, w;

	while (c <= x && c < COLS) {
		w = 1;
		if (mvin_wch(y, c, &cc) == OK &&
		    getcchar(&cc, wc, &attrs, &pair, NULL) != ERR && wc[0] != L'\0' &&
		    wcwidth(wc[0]) == 2)
			w = 2;
		if (c == x)
			return w == 2;
		c += w;
	}
	return false;
}

/*
 * Blank the popup's rectangle, and the outer half of every wide character
 * of the screen under it that its edges cut in two: a half left standing
 * is drawn by the terminal as something else (a stray "]" or "5").
 */
static void
ui_popup_clear(int y, int x, int h, int w, enum ui_style style)
{
	for (int row = y; row < y + h && row < LINES; row++) {
		if (row < 0)
			continue;
		if (x > 0 && ui_wide_at(row, x - 1))
			mvaddch(row, x - 1, ' ');
		if (x + w < COLS && ui_wide_at(row, x + w - 1)) {
			mvaddch(row, x + w - 1, ' ');
			mvaddch(row, x + w, ' ');
		}
		ui_fill(row, x, w, style);
	}
}

static void
ui_dialog_paint(struct ui_dialog *d)
{
	int w = 0, h, y, x, bw = 0, bx;

	if (!ui_paint_begin()) {
		ui_paint_end();
		return;
	}
	if (ui_backdrop != NULL)
		ui_backdrop(ui_backdrop_arg);
	ui_cursor_hide();

	for (size_t i = 0; i < d->n; i++) {
		if (text_width(d->lines[i]) > w)
			w = text_width(d->lines[i]);
	}
	for (size_t i = 0; i < d->nbuttons; i++)
		bw += ui_button_width(d->buttons[i]) + (i > 0 ? 2 : 0);
	if (bw > w)
		w = bw;
	if (d->title != NULL && text_width(d->title) + 4 > w)
		w = text_width(d->title) + 4;
	w += 6;
	if (w < UI_DIALOG_MIN_WIDTH)
		w = UI_DIALOG_MIN_WIDTH;
	/* Three columns and rows clear of the edges: inside the screen's box. */
	if (w > COLS - 6)
		w = COLS - 6;
	h = (int)d->n + 4;
	if (h > LINES - 6)
		h = LINES - 6;
	y = (LINES - h) / 2;
	x = (COLS - w) / 2;
	d->body = h - 4;
	if (d->n <= (size_t)d->body)
		d->top = 0;
	else if (d->top > d->n - (size_t)d->body)
		d->top = d->n - (size_t)d->body;

	ui_popup_clear(y, x, h, w, UI_DIALOG);
	ui_box(y, x, h, w, d->title, UI_DIALOG);
	for (size_t i = d->top; i < d->n && (int)(i - d->top) < d->body; i++)
		ui_put(y + 1 + (int)(i - d->top), x + 3, w - 6, d->lines[i], UI_DIALOG, false);
	if (d->n > (size_t)d->body) {
		/* Taller than the screen: where we are, on the bottom border. */
		char *pos = xasprintf(" %zu/%zu ↑↓ ", d->top + (size_t)d->body, d->n);

		ui_put(y + h - 1, x + w - 2 - text_width(pos), text_width(pos), pos, UI_DIALOG,
		    false);
		free(pos);
	}
	bx = x + (w - bw) / 2;
	for (size_t i = 0; i < d->nbuttons; i++) {
		char *caption = xasprintf("[ %s ]", d->buttons[i]);

		bx += ui_put(y + h - 2, bx, ui_button_width(d->buttons[i]), caption,
		    i == d->choice ? UI_BUTTON_FOCUS : UI_DIALOG, false) + 2;
		free(caption);
	}
	ui_paint_end();
}

/*
 * Wrap a dialog's text: 56 columns read best, but a text taller than the
 * screen gets the screen's width before it has to scroll.
 */
static void
ui_dialog_wrap(struct ui_dialog *d, const char *text)
{
	int cols = COLS - 12 > 56 ? 56 : COLS - 12;

	d->n = ui_wrap(text, cols, &d->lines);
	if ((int)d->n + 4 > LINES - 6 && COLS - 12 > cols) {
		ui_lines_free(d->lines, d->n);
		d->n = ui_wrap(text, COLS - 12, &d->lines);
	}
}

static const struct ui_key_help ui_confirm_keys[] = {
	{ N_("Enter"), N_("choose the focused button"), true },
	{ N_("y, n"), N_("yes, no"), true },
	{ N_("Esc"), N_("no"), true },
	{ N_("Left/Right, Tab"), N_("another button"), false },
	{ N_("Up/Down, PgUp/PgDn"), N_("scroll a long text"), false },
	{ 0 }
};

static const struct ui_key_help ui_message_keys[] = {
	{ N_("Enter, Esc"), N_("close"), true },
	{ N_("Up/Down, PgUp/PgDn"), N_("scroll a long text"), false },
	{ 0 }
};

/* Run a dialog; returns the chosen button, or -1 for Esc (and quit). */
static int
ui_dialog_run(struct ui_dialog *d, const char *text)
{
	const struct ui_key_help *help = ui_help_get();
	struct ui_event ev;
	int result = -1;

	ui_help_set(d->nbuttons > 1 ? ui_confirm_keys : ui_message_keys);
	ui_dialog_wrap(d, text);
	for (;;) {
		ui_dialog_paint(d);
		ui_next_event(&ev);
		if (ev.type == UI_EV_QUIT)
			break;
		if (ev.type == UI_EV_RESIZE) {
			ui_lines_free(d->lines, d->n);
			ui_dialog_wrap(d, text);
			continue;
		}
		if (ev.type == UI_EV_KEY && (ev.key == KEY_UP || ev.key == KEY_PPAGE)) {
			size_t step = ev.key == KEY_UP ? 1 : (size_t)(d->body > 1 ? d->body - 1 : 1);

			d->top = d->top > step ? d->top - step : 0;
			continue;
		}
		if (ev.type == UI_EV_KEY && (ev.key == KEY_DOWN || ev.key == KEY_NPAGE)) {
			d->top += ev.key == KEY_DOWN ? 1 : (size_t)(d->body > 1 ? d->body - 1 : 1);
			continue;	/* clamped at the paint */
		}
		if (ev.type == UI_EV_KEY && ev.key == UI_KEY_ESC)
			break;
		if ((ev.type == UI_EV_KEY && ev.key == UI_KEY_ENTER) ||
		    (ev.type == UI_EV_CHAR && ev.ch == ' ')) {
			result = (int)d->choice;
			break;
		}
		if (ev.type == UI_EV_KEY && (ev.key == KEY_LEFT || ev.key == KEY_RIGHT ||
		    ev.key == UI_KEY_TAB || ev.key == KEY_BTAB) && d->nbuttons > 1)
			d->choice = (d->choice + 1) % d->nbuttons;
		if (ev.type == UI_EV_CHAR && d->nbuttons > 1) {
			if (ev.ch == 'y' || ev.ch == 'Y') {
				result = 0;
				break;
			}
			if (ev.ch == 'n' || ev.ch == 'N') {
				result = 1;
				break;
			}
		}
	}
	ui_lines_free(d->lines, d->n);
	d->lines = NULL;
	d->n = 0;
	ui_help_set(help);
	ui_repaint_all();
	return result;
}

void
ui_message(const char *title, const char *text)
{
	struct ui_dialog d = { .title = title, .buttons = { _("OK") }, .nbuttons = 1 };

	ui_dialog_run(&d, text);
}

bool
ui_confirm(const char *title, const char *text)
{
	struct ui_dialog d = { .title = title, .buttons = { _("Yes"), _("No") }, .nbuttons = 2 };

	return ui_dialog_run(&d, text) == 0;
}

bool
ui_confirm_safe(const char *title, const char *text)
{
	struct ui_dialog d = { .title = title, .buttons = { _("Yes"), _("No") }, .nbuttons = 2,
	    .choice = 1 };

	return ui_dialog_run(&d, text) == 0;
}

/* Popups that own their keys: a prompt, a menu, a pager, a picker. */

/*
 * Paint the backdrop and an empty framed box h rows by w columns at y, x.
 * Returns false when the screen is too small (the notice is up instead);
 * either way the caller ends with ui_paint_end.
 */
static bool
ui_popup_begin(int y, int x, int h, int w, const char *title)
{
	if (!ui_paint_begin())
		return false;
	if (ui_backdrop != NULL)
		ui_backdrop(ui_backdrop_arg);
	ui_cursor_hide();
	ui_popup_clear(y, x, h, w, UI_NORMAL);
	ui_box(y, x, h, w, title, UI_FRAME);
	return true;
}

/*
 * Popup width: want columns, but three columns clear of the screen's
 * edges, inside the box of the screen under it.
 */
static int
ui_popup_width(int want)
{
	return want > COLS - 6 ? COLS - 6 : want;
}

static const struct ui_key_help ui_prompt_keys[] = {
	{ N_("Enter"), N_("confirm"), true },
	{ N_("Esc"), N_("cancel"), true },
	{ N_("Left/Right, Home/End"), N_("move in the line"), false },
	{ N_("Ctrl-U, Ctrl-K"), N_("delete before, after the cursor"), false },
	{ 0 }
};

static char *
ui_prompt_run(const char *title, const char *text, const char *label, size_t max_chars,
    bool secret)
{
	const struct ui_key_help *help = ui_help_get();
	struct ui_form form;
	struct ui_field *fd;
	struct ui_event ev;
	char **lines, *result = NULL;
	size_t n;
	int id, w, h, y, x;

	ui_help_set(ui_prompt_keys);
	ui_form_init(&form);
	fd = ui_form_add_text(&form, 1, label, 20, max_chars, secret);
	for (;;) {
		w = ui_popup_width(66);
		n = ui_wrap(text, w - 6, &lines);
		h = (int)n + 6;
		y = (LINES - h) / 2;
		x = (COLS - w) / 2;
		if (ui_popup_begin(y, x, h, w, title)) {
			for (size_t i = 0; i < n; i++)
				ui_put(y + 1 + (int)i, x + 3, w - 6, lines[i], UI_NORMAL, false);
			ui_form_place_labels(&form, x + 3);
			fd->y = y + 2 + (int)n;
			fd->width = x + w - 4 - fd->x;
			ui_form_draw(&form, true);
			ui_put_center(y + h - 2, x + 1, w - 2, _("Enter: confirm  Esc: cancel"),
			    UI_HINT);
		}
		ui_paint_end();
		ui_lines_free(lines, n);

		ui_next_event(&ev);
		if (ev.type == UI_EV_QUIT || (ev.type == UI_EV_KEY && ev.key == UI_KEY_ESC))
			break;
		if (ev.type == UI_EV_KEY && ev.key == UI_KEY_ENTER) {
			result = xstrdup(ui_form_value(&form, 1));
			break;
		}
		ui_form_key(&form, &ev, &id);
	}
	ui_form_free(&form);
	ui_help_set(help);
	ui_repaint_all();
	return result;
}

char *
ui_prompt(const char *title, const char *text, const char *label, size_t max_chars)
{
	return ui_prompt_run(title, text, label, max_chars, false);
}

char *
ui_prompt_secret(const char *title, const char *text, const char *label, size_t max_chars)
{
	return ui_prompt_run(title, text, label, max_chars, true);
}

static const struct ui_key_help ui_menu_keys[] = {
	{ N_("Up/Down"), N_("choose"), true },
	{ N_("Enter"), N_("open"), true },
	{ N_("Esc"), N_("close"), true },
	{ 0 }
};

int
ui_menu(const char *title, const char *const *items, size_t n, int y, int x)
{
	const struct ui_key_help *help = ui_help_get();
	struct ui_event ev;
	size_t sel = 0;
	int w = title != NULL ? text_width(title) + 6 : 0, h = (int)n + 2, result = -1;

	if (n == 0)
		return -1;
	ui_help_set(ui_menu_keys);
	for (size_t i = 0; i < n; i++) {
		if (text_width(items[i]) + 4 > w)
			w = text_width(items[i]) + 4;
	}
	for (;;) {
		/* Clear of the screen's edges, where the box of the screen under it is. */
		int py = y + h > LINES - 3 ? LINES - 3 - h : y;
		int px = x + w > COLS - 2 ? COLS - 2 - w : x;

		if (py < 0)
			py = 0;
		if (px < 0)
			px = 0;
		if (ui_popup_begin(py, px, h, w, title)) {
			for (size_t i = 0; i < n; i++) {
				char *item = xasprintf(" %s", items[i]);

				ui_put(py + 1 + (int)i, px + 1, w - 2, item,
				    i == sel ? UI_SELECTED : UI_NORMAL, true);
				free(item);
			}
		}
		ui_paint_end();

		ui_next_event(&ev);
		if (ev.type == UI_EV_QUIT || (ev.type == UI_EV_KEY && ev.key == UI_KEY_ESC))
			break;
		if (ev.type == UI_EV_KEY && ev.key == UI_KEY_ENTER) {
			result = (int)sel;
			break;
		}
		if ((ev.type == UI_EV_KEY && (ev.key == KEY_UP || ev.key == KEY_BTAB)) ||
		    (ev.type == UI_EV_CHAR && ev.ch == 'k'))
			sel = sel > 0 ? sel - 1 : n - 1;
		else if ((ev.type == UI_EV_KEY && (ev.key == KEY_DOWN || ev.key == UI_KEY_TAB)) ||
		    (ev.type == UI_EV_CHAR && ev.ch == 'j'))
			sel = (sel + 1) % n;
	}
	ui_help_set(help);
	ui_repaint_all();
	return result;
}

/*
 * ui_wrap for a pager: a line "label  value" whose value wraps goes on
 * under the value, not under the label, so the labels stay a column.
 */
static size_t
ui_wrap_hanging(const char *text, int cols, char ***lines)
{
	char **para, **part;
	size_t n = 0, np, nq;

	*lines = NULL;
	np = ui_wrap(text, 1 << 20, &para);	/* the lines as written */
	for (size_t i = 0; i < np; i++) {
		const char *gap = strstr(para[i], "  ");
		const char *value = gap;
		int indent = 0;

		while (value != NULL && *value == ' ')
			value++;
		if (gap != NULL && gap > para[i] && *value != '\0') {
			char *label = xstrndup(para[i], (size_t)(value - para[i]));

			indent = text_width(label);
			free(label);
		}
		if (indent == 0 || indent > cols / 2 || text_width(para[i]) <= cols) {
			nq = ui_wrap(para[i], cols, &part);
			*lines = xrealloc(*lines, (n + nq) * sizeof **lines);
			for (size_t k = 0; k < nq; k++)
				(*lines)[n++] = part[k];
			free(part);
			continue;
		}
		nq = ui_wrap(value, cols - indent, &part);
		*lines = xrealloc(*lines, (n + nq) * sizeof **lines);
		for (size_t k = 0; k < nq; k++) {
			(*lines)[n++] = k == 0 ?
			    xasprintf("%.*s%s", (int)(value - para[i]), para[i], part[k]) :
			    xasprintf("%*s%s", indent, "", part[k]);
			free(part[k]);
		}
		free(part);
	}
	ui_lines_free(para, np);
	return n;
}

static const struct ui_key_help ui_pager_keys[] = {
	{ N_("Up/Down, PgUp/PgDn, Space"), N_("scroll"), true },
	{ N_("Home/End"), N_("the start, the end"), false },
	{ N_("Esc, Enter, q"), N_("close"), true },
	{ 0 }
};

int
ui_pager(const char *title, const char *text, const char *hints, const char *keys)
{
	const struct ui_key_help *help = ui_help_get();
	struct ui_event ev;
	char **lines;
	size_t n, top = 0;
	int w, h, y, x, body, result;

	const char *pager_hints = ui_pager_hints;

	/* With the caller's hints, F1 lists those; else the pager's own keys. */
	if (!ui_help_open) {
		ui_help_set(hints != NULL ? NULL : ui_pager_keys);
		ui_pager_hints = hints;
	}
	for (;;) {
		/*
		 * As tall as the text, at most three rows clear of the screen's
		 * edges, and narrower than the screens' boxes (96 columns): inside
		 * the box of the screen under it.
		 */
		w = ui_popup_width(94);
		n = ui_wrap_hanging(text, w - 4, &lines);
		h = (int)n + 3 < LINES - 6 ? (int)n + 3 : LINES - 6;
		if (h < 6)
			h = 6;
		y = (LINES - h) / 2;
		x = (COLS - w) / 2;
		body = h - 3;
		if (n <= (size_t)body)
			top = 0;
		else if (top > n - (size_t)body)
			top = n - (size_t)body;
		if (ui_popup_begin(y, x, h, w, title)) {
			char *pos;

			for (int row = 0; row < body && top + (size_t)row < n; row++)
				ui_put(y + 1 + row, x + 2, w - 4, lines[top + (size_t)row],
				    UI_NORMAL, false);
			{
				char *fit = ui_hints_fit(hints != NULL ? hints :
				    _("Arrows, PgUp, PgDn: scroll  Esc: close"), w - 14);

				ui_put(y + h - 2, x + 2, w - 14, fit, UI_HINT, false);
				free(fit);
			}
			if (n > (size_t)body) {
				pos = xasprintf("%zu/%zu", top + (size_t)body < n ?
				    top + (size_t)body : n, n);
				ui_put(y + h - 2, x + w - 2 - text_width(pos), text_width(pos), pos,
				    UI_HINT, false);
				free(pos);
			}
		}
		ui_paint_end();
		ui_lines_free(lines, n);

		ui_next_event(&ev);
		if (ev.type == UI_EV_QUIT) {
			result = -1;
			break;
		}
		if ((ev.type == UI_EV_KEY && (ev.key == UI_KEY_ESC || ev.key == UI_KEY_ENTER)) ||
		    (ev.type == UI_EV_CHAR && ev.ch == 'q')) {
			result = 0;
			break;
		}
		if (ev.type == UI_EV_CHAR && ev.ch < 0x80 && ev.ch != 0 && keys != NULL &&
		    strchr(keys, (int)ev.ch) != NULL) {
			result = (int)ev.ch;
			break;
		}
		if ((ev.type == UI_EV_KEY && ev.key == KEY_UP) ||
		    (ev.type == UI_EV_CHAR && ev.ch == 'k'))
			top = top > 0 ? top - 1 : 0;
		else if ((ev.type == UI_EV_KEY && ev.key == KEY_DOWN) ||
		    (ev.type == UI_EV_CHAR && ev.ch == 'j'))
			top++;
		else if (ev.type == UI_EV_KEY && ev.key == KEY_PPAGE)
			top = top > (size_t)body ? top - (size_t)body : 0;
		else if ((ev.type == UI_EV_KEY && ev.key == KEY_NPAGE) ||
		    (ev.type == UI_EV_CHAR && ev.ch == ' '))
			top += (size_t)body;
		else if (ev.type == UI_EV_KEY && ev.key == KEY_HOME)
			top = 0;
		else if (ev.type == UI_EV_KEY && ev.key == KEY_END)
			top = (size_t)-1 / 2;	/* clamped at the next paint */
	}
	if (!ui_help_open) {
		ui_help_set(help);
		ui_pager_hints = pager_hints;
	}
	ui_repaint_all();
	return result;
}

/* Picker. */

#define UI_PICKER_FILTER	1

void
ui_picker_init(struct ui_picker *p, const char *title,
    int (*fetch)(struct ui_picker *, const char *, const char *), void *arg, bool server_filter)
{
	memset(p, 0, sizeof *p);
	p->title = title;
	p->fetch = fetch;
	p->arg = arg;
	p->server_filter = server_filter;
	ui_form_init(&p->filter);
	ui_form_add_text(&p->filter, UI_PICKER_FILTER, _("Filter"), 20, 50, false);
}

/* Forget the items (not the filter). */
static void
ui_picker_clear(struct ui_picker *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->items[i].key);
		free(p->items[i].label);
		free(p->items[i].detail);
	}
	p->n = p->nshown = 0;
	p->selected = p->top = 0;
	free(p->next);
	p->next = NULL;
	free(p->error);
	p->error = NULL;
}

void
ui_picker_free(struct ui_picker *p)
{
	ui_picker_clear(p);
	free(p->items);
	free(p->shown);
	ui_form_free(&p->filter);
	memset(p, 0, sizeof *p);
}

void
ui_picker_add(struct ui_picker *p, const char *key, const char *label, const char *detail)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->items = xrealloc(p->items, p->cap * sizeof *p->items);
		p->shown = xrealloc(p->shown, p->cap * sizeof *p->shown);
	}
	p->items[p->n].key = xstrdup(key != NULL ? key : "");
	p->items[p->n].label = text_sanitize(label != NULL ? label : "", false);
	p->items[p->n].detail = detail != NULL && *detail != '\0' ?
	    text_sanitize(detail, false) : NULL;
	p->n++;
}

void
ui_picker_set_next(struct ui_picker *p, const char *next)
{
	free(p->next);
	p->next = next != NULL && *next != '\0' ? xstrdup(next) : NULL;
}

void
ui_picker_fail(struct ui_picker *p, const char *message)
{
	free(p->error);
	p->error = xstrdup(message != NULL ? message : "");
}

/* Does item i pass the filter typed here (when the server does not filter)? */
static bool
ui_picker_match(const struct ui_picker *p, size_t i, const char *filter)
{
	if (p->server_filter || *filter == '\0')
		return true;
	return strcasestr(p->items[i].label, filter) != NULL ||
	    strncasecmp(p->items[i].key, filter, strlen(filter)) == 0;
}

static void
ui_picker_refilter(struct ui_picker *p)
{
	const char *filter = ui_form_value(&p->filter, UI_PICKER_FILTER);

	p->nshown = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (ui_picker_match(p, i, filter))
			p->shown[p->nshown++] = i;
	}
	if (p->selected >= p->nshown)
		p->selected = p->nshown > 0 ? p->nshown - 1 : 0;
}

/* Fetch the first page again (more: the next page, appended). */
static void
ui_picker_load(struct ui_picker *p, bool more)
{
	const char *filter = ui_form_value(&p->filter, UI_PICKER_FILTER);
	char *after = NULL;

	if (more) {
		if (p->next == NULL)
			return;
		after = p->next;
		p->next = NULL;
		free(p->error);
		p->error = NULL;
	} else {
		ui_picker_clear(p);
	}
	if (p->fetch(p, p->server_filter ? filter : "", after) != 0 && more &&
	    p->next == NULL) {
		p->next = after;	/* PgDn may try again */
		after = NULL;
	}
	free(after);
	ui_picker_refilter(p);
}

static void
ui_picker_paint(struct ui_picker *p)
{
	struct ui_field *fd = ui_form_field(&p->filter, UI_PICKER_FILTER);
	/* Three rows clear of the edges: inside the box of a form under it. */
	int w = ui_popup_width(72), h = LINES - 6 > 26 ? 26 : LINES - 6;
	int y = (LINES - h) / 2, x = (COLS - w) / 2, count_w;
	char *count;

	p->rows = h - 5;
	if (ui_popup_begin(y, x, h, w, p->title)) {
		if (p->selected < p->top)
			p->top = p->selected;
		if (p->selected >= p->top + (size_t)p->rows)
			p->top = p->selected - (size_t)p->rows + 1;
		for (int row = 0; row < p->rows && p->top + (size_t)row < p->nshown; row++) {
			size_t i = p->top + (size_t)row;
			struct ui_picker_item *it = &p->items[p->shown[i]];
			bool sel = i == p->selected;
			int lw;

			lw = ui_put(y + 3 + row, x + 2, w - 4, it->label,
			    sel ? UI_SELECTED : UI_NORMAL, sel);
			if (it->detail != NULL && !sel)
				ui_put(y + 3 + row, x + 4 + lw, w - 6 - lw, it->detail, UI_HINT,
				    false);
			else if (it->detail != NULL)
				ui_put(y + 3 + row, x + 4 + text_width(it->label), w - 6 -
				    text_width(it->label), it->detail, UI_SELECTED, false);
		}
		if (p->error != NULL)
			ui_put(y + 3, x + 2, w - 4, p->error, UI_ERROR, false);
		else if (p->nshown == 0)
			ui_put_center(y + 3, x + 2, w - 4, _("Nothing matches."), UI_HINT);
		count = xasprintf(p->next != NULL ? "%zu/%zu+" : "%zu/%zu",
		    p->nshown > 0 ? p->selected + 1 : 0, p->nshown);
		count_w = text_width(count);
		{
			char *fit = ui_hints_fit(_("Type to filter  Enter: select  Esc: cancel  "
			    "PgUp/PgDn: page"), w - 6 - count_w);

			ui_put(y + h - 2, x + 2, w - 6 - count_w, fit, UI_HINT, false);
			free(fit);
		}
		ui_put(y + h - 2, x + w - 2 - count_w, count_w, count, UI_HINT, false);
		free(count);
		/* The filter line last: the cursor stays in it. */
		ui_form_place_labels(&p->filter, x + 2);
		fd->y = y + 1;
		fd->width = x + w - 3 - fd->x;
		ui_form_draw(&p->filter, true);
	}
	ui_paint_end();
}

static const struct ui_key_help ui_picker_keys[] = {
	{ N_("Typing"), N_("filter the list"), false },
	{ N_("Enter"), N_("select"), true },
	{ N_("Esc"), N_("cancel"), true },
	{ N_("Up/Down"), N_("move"), false },
	{ N_("PgUp/PgDn"), N_("page (PgDn past the end loads more)"), false },
	{ 0 }
};

long
ui_picker_run(struct ui_picker *p, const char *initial)
{
	const struct ui_key_help *help = ui_help_get();
	struct ui_event ev;
	long result = -1;
	char *before;
	size_t page;
	int id;

	ui_help_set(ui_picker_keys);
	ui_form_set(&p->filter, UI_PICKER_FILTER, initial);
	ui_picker_load(p, false);
	for (;;) {
		ui_picker_paint(p);
		ui_next_event(&ev);
		page = p->rows > 1 ? (size_t)p->rows - 1 : 1;
		if (ev.type == UI_EV_QUIT || (ev.type == UI_EV_KEY && ev.key == UI_KEY_ESC))
			break;
		if (ev.type == UI_EV_RESIZE)
			continue;
		if (ev.type == UI_EV_KEY) {
			switch (ev.key) {
			case UI_KEY_ENTER:
				if (p->nshown == 0)
					continue;
				result = (long)p->shown[p->selected];
				goto out;
			case KEY_UP:
				if (p->selected > 0)
					p->selected--;
				continue;
			case KEY_DOWN:
				if (p->selected + 1 >= p->nshown)
					ui_picker_load(p, true);
				if (p->selected + 1 < p->nshown)
					p->selected++;
				continue;
			case KEY_PPAGE:
				p->selected = p->selected > page ? p->selected - page : 0;
				continue;
			case KEY_NPAGE:
				if (p->selected + page >= p->nshown)
					ui_picker_load(p, true);
				p->selected = p->selected + page < p->nshown ? p->selected + page :
				    p->nshown > 0 ? p->nshown - 1 : 0;
				continue;
			case UI_KEY_TAB:
			case KEY_BTAB:
				continue;
			}
		}
		before = xstrdup(ui_form_value(&p->filter, UI_PICKER_FILTER));
		ui_form_key(&p->filter, &ev, &id);
		if (strcmp(before, ui_form_value(&p->filter, UI_PICKER_FILTER)) != 0) {
			p->selected = p->top = 0;
			if (p->server_filter)
				ui_picker_load(p, false);
			else
				ui_picker_refilter(p);
		}
		free(before);
	}
out:
	ui_help_set(help);
	ui_repaint_all();
	return result;
}
