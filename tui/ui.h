/*
 * ui.h - the widgets every screen is made of: painting helpers, a form of
 * labelled fields and buttons (scrolling when it is taller than the
 * screen), a list, a picker with a filter line, a menu, message, yes/no,
 * text-input and scrolling text dialogs.
 *
 * Everything is drawn on stdscr and the whole screen is repainted after
 * each event (ncurses sends only what changed).  A screen registers its
 * paint function as the backdrop; dialogs paint the backdrop, then
 * themselves, so a resize under a dialog redraws both.  Every string is
 * drawn through text_sanitize and measured with text_width, so text from
 * the server cannot drive the terminal and Chinese lines up.
 */
#ifndef JXJY_UI_H
#define JXJY_UI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

#define UI_MIN_COLS	80
#define UI_MIN_LINES	24

#define UI_CTRL(c)	((c) & 0x1f)
#define UI_KEY_TAB	'\t'
#define UI_KEY_ENTER	'\n'
#define UI_KEY_ESC	27
#define UI_KEY_BACKSPACE 127

enum ui_event_type {
	UI_EV_CHAR,	/* ch: a printable character */
	UI_EV_KEY,	/* key: a KEY_* code or a control character (UI_KEY_*) */
	UI_EV_RESIZE,	/* the terminal changed size (and is big enough): repaint */
	UI_EV_QUIT,	/* a signal asked us to stop */
	UI_EV_REFRESH,	/* the server said a record changed (ui_post_refresh): re-read */
};

struct ui_event {
	enum ui_event_type type;
	int	 key;
	wint_t	 ch;
};

enum ui_style {
	UI_NORMAL,
	UI_HEADER,		/* the title bar */
	UI_STATUS,		/* the status bar */
	UI_FRAME,		/* box lines and field brackets */
	UI_TITLE,		/* a box's title */
	UI_FIELD,		/* an input box */
	UI_FIELD_FOCUS,
	UI_BUTTON,
	UI_BUTTON_FOCUS,
	UI_DIALOG,		/* dialog background */
	UI_ERROR,
	UI_HINT,		/* quiet explanations */
	UI_SELECTED,		/* the selected row of a focused list */
	UI_STYLE_COUNT,
};

/* Start and stop. */

/* Take over the terminal.  Returns -1 when stdin/stdout is no terminal. */
int	ui_start(void);

/* Give the terminal back (endwin); safe to call twice or before ui_start. */
void	ui_end(void);

/* Make ui_next_event return UI_EV_QUIT once *flag is non-zero. */
void	ui_set_signal_flag(volatile sig_atomic_t *flag);

/* From a signal handler, after setting that flag: wake a waiting ui_next_event. */
void	ui_wake_from_signal(void);

/*
 * fn(arg) runs while ui_next_event waits for a key: once before each
 * sleep, and whenever fd(arg) (when fd is not NULL and returns a
 * descriptor) is readable; with no descriptor, every 250 ms.
 */
void	ui_set_tick(void (*fn)(void *), int (*fd)(void *), void *arg);

/*
 * From the tick: make the waiting ui_next_event return UI_EV_REFRESH once
 * (a key already typed comes first).  Whoever waits gets it, a dialog too,
 * which ignores it: screens keep what they must re-read (app_changed).
 */
void	ui_post_refresh(void);

/*
 * Wait for the next event.  While the terminal is smaller than 80x24 it
 * shows a notice instead of the screen and returns only quit keys and
 * UI_EV_QUIT; UI_EV_RESIZE comes once it is big enough again.  F1 (the
 * key help, ui_help_show) and Ctrl-L (the terminal cleared) are handled
 * here: the caller gets UI_EV_RESIZE, its cue to repaint.
 */
void	ui_next_event(struct ui_event *ev);

/*
 * Key help.  A screen (or a dialog) names its keys in a table ending in a
 * zeroed entry: key and what are English msgids (N_), translated when
 * shown.  F1, handled inside ui_next_event on every screen, lists them all
 * in a scrolling box; the status bar shows the brief ones, as many as fit
 * whole, and "F1: help".  A screen sets its table when it starts and puts
 * back the one it found (ui_help_get) when it returns.
 */
struct ui_key_help {
	const char *key;	/* "Enter", "F5", "w" */
	const char *what;	/* "open", "reload" */
	bool	 brief;		/* on the status bar too */
};

void	ui_help_set(const struct ui_key_help *keys);
const struct ui_key_help *ui_help_get(void);

/* Show the help box now (what F1 does). */
void	ui_help_show(void);

/* F10 or Ctrl-Q. */
bool	ui_is_quit_key(const struct ui_event *ev);

/*
 * While on, ui_next_event returns UI_EV_QUIT at once, so that every screen
 * and dialog unwinds to the main loop (the session ended; jxjy starts over).
 */
void	ui_stop(bool on);

/* Painting. */

/*
 * The current screen's paint function, drawn under any dialog.  NULL (the
 * screen is leaving) also forgets its key help.
 */
void	ui_set_backdrop(void (*paint)(void *), void *arg);

/* Repaint the backdrop (or the too-small notice) and show it. */
void	ui_repaint(void);

/*
 * Begin a repaint: erase, hide the cursor.  Returns false, having drawn
 * the too-small notice, when the terminal is below 80x24.
 */
bool	ui_paint_begin(void);

/* Put the cursor where the last ui_cursor_at said (or hide it) and refresh. */
void	ui_paint_end(void);

/* Show the cursor at y, x after this repaint. */
void	ui_cursor_at(int y, int x);
void	ui_cursor_hide(void);

/*
 * Draw s at y, x in at most cols columns (sanitised, never splitting a
 * wide character; text that does not fit ends in "…"), then pad with
 * spaces to cols when pad.  Returns the columns drawn, padding included.
 */
int	ui_put(int y, int x, int cols, const char *s, enum ui_style style, bool pad);

/*
 * ui_put with tail (NULL: none) drawn right-aligned at the end of the cols
 * columns in tail_style, s cut to leave it room and a gap of two: what the
 * tail says (how fresh the figures are) stays whole on a narrow terminal.
 */
void	ui_put_tail(int y, int x, int cols, const char *s, enum ui_style style,
	    const char *tail, enum ui_style tail_style);

/* Draw s centred in cols columns starting at x. */
void	ui_put_center(int y, int x, int cols, const char *s, enum ui_style style);

/* Fill cols columns with spaces. */
void	ui_fill(int y, int x, int cols, enum ui_style style);

/* A box with its title (may be NULL) on the top line. */
void	ui_box(int y, int x, int h, int w, const char *title, enum ui_style style);

/* The title bar on the top line. */
void	ui_header(const char *title);

/*
 * The status bar on the bottom line: left (server), right the key hints.
 * right NULL: the brief keys of the help table.  Otherwise hints separated
 * by two spaces.  Either way only whole hints are shown, as many as fit,
 * and "F1: help" last.
 */
void	ui_status_bar(const char *left, const char *right);

/* The message line above the status bar: a result, an error (cut with "…"). */
void	ui_message_line(const char *text, bool error);

/*
 * A framed picture made of rows of text (a captcha, say), centred in the
 * box; hint, when there are no rows, in their place.
 */
void	ui_picture(int y, int x, int h, int w, char *const *rows, size_t n, const char *hint);

/*
 * Split s into lines of at most cols columns, at '\n' and, for long lines,
 * after a space or between wide characters.  Returns the number of lines;
 * *lines (and each line) is the caller's to free (ui_lines_free).
 */
size_t	ui_wrap(const char *s, int cols, char ***lines);
void	ui_lines_free(char **lines, size_t n);

/*
 * The widths of a table's n columns in cols columns, gap columns between
 * them.  Each is at least least[i] (its heading's width: a heading is never
 * cut); then, in the order of order (indices; NULL: left to right), each
 * grows towards want[i] (its widest cell) while there is room; what room
 * is left goes to column flex (-1: none).  Cells wider than their column
 * are the ones ui_put cuts with "…".
 */
void	ui_columns_fit(int n, const int *least, const int *want, const int *order, int flex,
	    int gap, int cols, int *widths);

/* Form. */

enum ui_field_type {
	UI_FIELD_TEXT,
	UI_FIELD_SECRET,	/* drawn as one '*' per character */
	UI_FIELD_BUTTON,
	UI_FIELD_PICK,		/* chosen in a picker: Enter, Space, F4 or typing opens it */
	UI_FIELD_CHOICE,	/* one of a few options side by side: Left, Right; Space chooses */
};

struct ui_field {
	enum ui_field_type type;
	int	 id;		/* the screen's name for it */
	const char *label;	/* label, or a button's caption; not owned */
	int	 y, x;		/* the input box (inside its brackets) or the button */
	int	 width;		/* columns of the input box */
	size_t	 max_chars;	/* longest value, in characters */
	char	*value;		/* owned UTF-8; a pick field's shown name */
	size_t	 len, cap;
	size_t	 cursor;	/* byte offset, on a character boundary */
	size_t	 scroll;	/* byte offset of the first character shown */
	bool	 hidden;	/* neither drawn nor focusable */
	bool	 required;	/* a '*' before the label */
	char	*error;		/* the server's word on it, after the box; owned */
	bool	 error_cut;	/* the error did not fit beside the box at the last draw */
	const char *placeholder; /* shown dimmed in an empty box; not owned */
	const char *const *options; /* UI_FIELD_CHOICE: the options' names; not owned */
	size_t	 noptions;
	int	 option;	/* the chosen option, -1 for none */
	bool	 changed;	/* a person changed it since ui_form_unchanged */
};

struct ui_form {
	struct ui_field *fields;
	size_t	 n, cap;
	size_t	 focus;		/* index into fields */
	int	 label_x;	/* where labels start */
	int	 label_width;	/* columns of the widest label */
	int	 default_id;	/* button Enter presses from the last text field, -1: none */
	/*
	 * A scrolling form (view_h > 0): field rows (y) are rows of the form,
	 * of which view_h are shown from screen row view_y on, starting with
	 * row view_top; the focused field is always among them.
	 */
	int	 view_y, view_h, view_top;
	int	 right;		/* the column of the form's right border, 0: the screen's edge */
	wint_t	 typed;		/* the character that opened a pick field, or 0 */
};

enum ui_form_result {
	UI_FORM_UNHANDLED,	/* not a key for the form */
	UI_FORM_HANDLED,	/* moved, edited */
	UI_FORM_ACTIVATED,	/* a button or pick field was activated; its id is returned */
	UI_FORM_CLEARED,	/* Delete on a pick field: its id is returned, the value is gone */
};

void	ui_form_init(struct ui_form *f);

/* Free the fields, wiping their values (passwords live there). */
void	ui_form_free(struct ui_form *f);

/* Add a text (or secret) field of width columns; returns it. */
struct ui_field *ui_form_add_text(struct ui_form *f, int id, const char *label, int width,
	    size_t max_chars, bool secret);

/* Add a button; returns it. */
struct ui_field *ui_form_add_button(struct ui_form *f, int id, const char *caption);

/* Add a pick field of width columns (its value is set with ui_form_set). */
struct ui_field *ui_form_add_pick(struct ui_form *f, int id, const char *label, int width);

/* Add a choice among n options (not copied: they must outlive the form). */
struct ui_field *ui_form_add_choice(struct ui_form *f, int id, const char *label,
	    const char *const *options, size_t n);

/* The chosen option of choice field id, -1 for none; set it (-1 clears). */
int	ui_form_option(struct ui_form *f, int id);
void	ui_form_set_option(struct ui_form *f, int id, int option);

/* Show or hide field id; a hidden field that had the focus passes it on. */
void	ui_form_show(struct ui_form *f, int id, bool shown);

/* Put the server's message about field id after its box (NULL clears it). */
/*
 * A field's error, shown after its box until the field is changed (a
 * corrected field loses its old error at once) or the errors are cleared.
 */
void	ui_form_set_error(struct ui_form *f, int id, const char *message);
void	ui_form_clear_errors(struct ui_form *f);

/*
 * Has a person changed a field (typed, deleted, chosen) since the form was
 * made or ui_form_unchanged?  Then there is input to lose, and every way
 * out of the form asks first.  ui_form_set is the screen's doing and
 * counts as no change.
 */
bool	ui_form_edited(const struct ui_form *f);
void	ui_form_unchanged(struct ui_form *f);

/* The id of the focused field, -1 when the form is empty. */
int	ui_form_focus_id(const struct ui_form *f);

/*
 * Make the form scroll: h screen rows from y show its rows (field->y)
 * from the one that keeps the focus in sight.
 */
void	ui_form_set_viewport(struct ui_form *f, int y, int h);

/*
 * The form is drawn in the box y, x, h, w: it scrolls inside (as
 * ui_form_set_viewport(f, y + 1, h - 2)) and errors beside a field end
 * before the right border.
 */
void	ui_form_set_box(struct ui_form *f, int y, int x, int h, int w);

/* The screen row of the form's row, or -1 when it is scrolled out of sight. */
int	ui_form_screen_y(const struct ui_form *f, int row);

/* The last row a shown field of the form is on. */
int	ui_form_last_row(const struct ui_form *f);

/* The field with this id, or NULL. */
struct ui_field *ui_form_field(struct ui_form *f, int id);

/*
 * Put the labels of the text fields in one column at x, padded to the
 * widest (in columns, so Chinese labels line up), and each input box after
 * it.  Rows (field->y) are the caller's to set.
 */
void	ui_form_place_labels(struct ui_form *f, int x);

/* Columns a button takes: "[ caption ]". */
int	ui_button_width(const char *caption);

/* Focus the field with this id. */
void	ui_form_focus(struct ui_form *f, int id);

/* The value of field id ("" when there is none). */
const char *ui_form_value(struct ui_form *f, int id);

/* Replace the value of field id (NULL or "" empties it). */
void	ui_form_set(struct ui_form *f, int id, const char *value);

/* The person chose value for the field (in a picker): set, and changed. */
void	ui_form_choose(struct ui_form *f, int id, const char *value);

/* Handle a key; *id gets the button's id on UI_FORM_ACTIVATED. */
enum ui_form_result ui_form_key(struct ui_form *f, const struct ui_event *ev, int *id);

/*
 * Draw labels, input boxes and buttons; the focused text field gets the
 * cursor.  An error that does not fit beside the focused field is shown
 * whole on the message line instead (ui_message_line then draws nothing).
 */
void	ui_form_draw(struct ui_form *f, bool active);

/* List. */

struct ui_list {
	char	**items;	/* owned, sanitised */
	size_t	  n, cap;
	size_t	  selected;
	size_t	  top;		/* first row shown */
	const char *empty_hint;	/* shown when there are no items; not owned */
};

void	ui_list_init(struct ui_list *l, const char *empty_hint);
void	ui_list_free(struct ui_list *l);
void	ui_list_clear(struct ui_list *l);
void	ui_list_add(struct ui_list *l, const char *text);

/* Up, Down, PgUp, PgDn, Home, End over rows visible rows; true when handled. */
bool	ui_list_key(struct ui_list *l, const struct ui_event *ev, int rows);

/* Draw inside y, x, h rows by w columns; the selection shows when focused. */
void	ui_list_draw(struct ui_list *l, int y, int x, int h, int w, bool focused);

/*
 * Dialogs: modal, over the backdrop.  All return early on UI_EV_QUIT.
 * Popups keep three rows and columns clear of the screen's edges (inside
 * the box of the screen under them) and blank the outer half of a wide
 * character their edges cut in two.
 */

/*
 * Show text until Enter, Space or Esc.  A text taller than the screen
 * allows is wrapped as wide as the screen, then scrolls (Up, Down, PgUp,
 * PgDn), so it is read whole.
 */
void	ui_message(const char *title, const char *text);

/* Ask yes or no; Esc is no. */
bool	ui_confirm(const char *title, const char *text);

/* ui_confirm for what cannot be undone: "No" has the focus, so Enter alone is no. */
bool	ui_confirm_safe(const char *title, const char *text);

/*
 * Ask for one line of text (at most max_chars characters) under text.
 * Returns it (the caller frees), or NULL when the user cancelled with Esc.
 */
char	*ui_prompt(const char *title, const char *text, const char *label, size_t max_chars);

/* ui_prompt for a password: what is typed is drawn as '*'; the caller wipes and frees it. */
char	*ui_prompt_secret(const char *title, const char *text, const char *label,
	    size_t max_chars);

/*
 * A menu of n items in a box whose top left corner is near y, x.  Returns
 * the index chosen with Enter, or -1 for Esc.
 */
int	ui_menu(const char *title, const char *const *items, size_t n, int y, int x);

/*
 * Show a long text in a scrolling box.  Esc, Enter and q close it and
 * return 0; a character of keys (e.g. "ar") closes it and is returned;
 * -1 on quit.
 */
int	ui_pager(const char *title, const char *text, const char *hints, const char *keys);

/*
 * Picker: a popup list with a filter line.  The list comes from the
 * caller's fetch function a page at a time: it adds items with
 * ui_picker_add and says where the next page starts with ui_picker_set_next
 * (the server's `next` cursor), or fails with ui_picker_fail.  With
 * server_filter each change of the filter fetches the first page again
 * (the method filters); otherwise the items fetched are filtered here by a
 * substring of the label or a prefix of the key.  PgDn past the last item
 * fetches the next page.
 */
struct ui_picker_item {
	char	*key;		/* the caller's: a code or an id; owned */
	char	*label;		/* what is shown and chosen, sanitised; owned */
	char	*detail;	/* shown dimmed after it (a code, a level), or NULL; owned */
};

struct ui_picker {
	const char	*title;
	int		(*fetch)(struct ui_picker *p, const char *filter, const char *after);
	void		*arg;		/* for fetch */
	bool		 server_filter;

	struct ui_picker_item *items;
	size_t		 n, cap;
	size_t		*shown;		/* indices of the items that pass the filter */
	size_t		 nshown;
	char		*next;		/* the next page's cursor, NULL when there is none */
	char		*error;		/* why the last fetch failed */
	struct ui_form	 filter;
	size_t		 selected, top;
	int		 rows;		/* list rows at the last paint */
};

void	ui_picker_init(struct ui_picker *p, const char *title,
	    int (*fetch)(struct ui_picker *, const char *, const char *), void *arg,
	    bool server_filter);
void	ui_picker_free(struct ui_picker *p);

/* For fetch: add an item; set the next page's cursor (NULL: last page); fail. */
void	ui_picker_add(struct ui_picker *p, const char *key, const char *label,
	    const char *detail);
void	ui_picker_set_next(struct ui_picker *p, const char *next);
void	ui_picker_fail(struct ui_picker *p, const char *message);

/*
 * Run the picker, the filter line starting with initial (may be NULL).
 * Returns the index into p->items of the item chosen with Enter (选定), or
 * -1 for Esc.  The items stay until ui_picker_free.
 */
long	ui_picker_run(struct ui_picker *p, const char *initial);

#endif
