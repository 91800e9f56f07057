/*
 * app.h - one run of the client: its connection, what the server said
 * about itself and about who is logged in, the ways out, and the screens.
 */
#ifndef JXJY_APP_H
#define JXJY_APP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "i18n.h"
#include "rpc.h"
#include "ui.h"

struct app {
	struct rpc	*rpc;
	enum ui_lang	 lang;
	char		*server;	/* "jxjyd 0.1.0" from system.hello; owned */
	volatile sig_atomic_t *signal;	/* the signal that asked us to stop, or 0 */

	/* How to connect again when the server ends the session; NULL: we cannot (--fd). */
	const struct connect_options *connect;
	int		 timeout_ms;	/* reply timeout, -1 for rpc's default */

	/* The session.login (or session.whoami) result while logged in, else NULL. */
	json_t		*me;

	/*
	 * The server ended the session in a way that lets the user start over
	 * (idle_timeout, logged_out_elsewhere): the screens unwind (ui_stop),
	 * and the main loop connects again and shows the login screen.
	 */
	bool		 restart;

	/*
	 * record.changed (docs/protocol.md): how many have come, and the last
	 * one's sentence.  A screen that shows records keeps the count it has
	 * shown (app_changed) and reads again when it moves on.
	 */
	unsigned	 changes;
	char		 change_message[256];
};

/*
 * Send system.hello {client, lang} and remember the server's name and
 * version.  Runs before the TUI starts.  Returns 0, or 2 when the server
 * cannot be reached (reported on stderr).
 */
int	app_hello(struct app *a);

/*
 * rpc_call for the screens.  When the connection is lost the user is told
 * why (app_lost) and NULL comes back with err->kind RPC_ERR_LOST, or jxjy
 * exits 2.  Every other failure returns NULL with *err filled
 * (err->message is for people: the server's sentence, sanitised when drawn).
 */
json_t	*app_call(struct app *a, const char *method, json_t *params, struct rpc_error *err);

/*
 * The connection is gone.  When the server said it ended the session for
 * idle_timeout or logged_out_elsewhere, and we can connect again, tell the
 * user, set a->restart and stop the screens (ui_stop); otherwise tell the
 * user, restore the terminal and exit 2.  Does nothing once a->restart is set.
 */
void	app_lost(struct app *a);

/*
 * After a->restart: connect again with the same options and say hello.
 * Exits 2 (reported) when the server cannot be reached.
 */
void	app_reconnect(struct app *a);

/* ui tick: notices a server that went away (or ended the session) while the user was idle. */
void	app_tick(void *arg);
/* The descriptor app_tick waits on: the connection's, -1 while there is none. */
int	app_tick_fd(void *arg);

/*
 * Whether a record of the person changed (record.changed) since the screen
 * last looked, *seen being the count it last saw (a->changes at its start):
 * then *seen is brought up to date and a->change_message says what
 * changed.  Screens ask before each wait, so that what came while a
 * dialog, a form or another screen was open is read when it closes; the
 * wait itself ends with UI_EV_REFRESH when one comes.
 */
bool	app_changed(struct app *a, unsigned *seen);

/* The status bar: the server's name and version, and hints. */
void	app_status(struct app *a, const char *hints);

/* Remember who is logged in (result: session.login's or whoami's; a reference is taken). */
void	app_set_me(struct app *a, json_t *result);

/* A protocol field (a parameter's name) and the form field that shows it. */
struct app_field {
	const char	*name;
	int		 id;
};

/*
 * Show every problem of err on its field of form f (names ends with a NULL
 * name), clearing the old errors, and focus the first field with one.
 * Returns the first problem that is on no field of the form (the screen
 * says it on its message line: "label: message" when it has a label), or
 * NULL when every one is.
 */
const struct rpc_problem *app_form_errors(struct ui_form *f, const struct rpc_error *err,
	    const struct app_field *names);

/*
 * The message line's text after app_form_errors returned loose: the
 * problem on no field ("label: message"), else how many fields are marked
 * when there are several, else the server's sentence.  Into buf (size bytes).
 */
void	app_form_message(const struct rpc_error *err, const struct rpc_problem *loose,
	    char *buf, size_t size);

/*
 * The values of a learning form's own fields (definition's "fields") in
 * form f, as declaration.save and class.save take them: field i's box is
 * field0 + 2i (a daterange's end field0 + 2i + 1); empty ones left out.
 */
json_t	*app_form_field_values(struct ui_form *f, json_t *definition, int field0);

/*
 * The session's inbox, for the TUI the server serves (the person's disk is
 * out of its reach): the hint and scp command of inbox.open, and the files
 * that arrived (inbox.list), in a pager; r reads them again, 1-5 chooses
 * one (choose_hint says so while there are files).  Returns the name of
 * the file chosen (caller frees), or NULL: closed, or a failure said into
 * said (size bytes; "" when there was none).
 */
char	*app_inbox_pick(struct app *a, const char *choose_hint, char *said, size_t size);

/* Forget who was logged in. */
void	app_clear_me(struct app *a);

/* Fields of a->me: "" when not logged in or absent (strings are a->me's). */
const char *app_me_string(struct app *a, const char *key);
const char *app_me_unit_name(struct app *a);
bool	app_me_is_unit_admin(struct app *a);

/*
 * Whether an administrator's reset logged us in: the server serves nothing
 * but the password change until a new password is set, so the home screen
 * sends the user there (screen-password.c).
 */
bool	app_me_must_change_password(struct app *a);

/*
 * An ISO 8601 time from the server ("2026-03-01T09:30:00+08:00") as
 * "今天 09:30" when it is today, else "2026-03-01 09:30" (format_time) in
 * buf; other text is copied as it is.  Returns buf.
 */
char	*app_format_time(const char *iso, char *buf, size_t size);

/*
 * A label padded with spaces to cols columns (CJK counted double) and its
 * value: "label    value\n", appended to *text (a string the caller frees).
 */
void	app_append_row(char **text, const char *label, int cols, const char *value);

/* The name of an account's state ("pending" → 待审核), or state itself. */
const char *app_state_name(const char *state);

/* "male"/"female" as a word, or sex itself. */
const char *app_sex_name(const char *sex);

/*
 * ui_repaint, then the next event into ev.  Returns true when it asks the
 * screen to quit: a signal, the quit key (F10), or a session that ends
 * and starts over (a->restart).
 */
bool	app_next_event(struct app *a, struct ui_event *ev);

/* Where a form's frame is on the screen. */
struct app_frame {
	int		 top, x0, h, w;
};

/*
 * A form's screen: the header, and form f in a frame titled title (its
 * box).  fr->w 0: as wide as fits up to 96 columns, from row 1 to above the
 * message line; else fr->top, fr->h and fr->w are the screen's.  fr->x0
 * centres it.
 */
void	app_form_frame(struct ui_form *f, const char *header, const char *title,
	    struct app_frame *fr);

/* Marks on frame fr of a form that scrolls: "(more above)", "(more below)". */
void	app_form_scrolled(struct ui_form *f, const struct app_frame *fr);

/* The columns of the buttons of form f shown on row y, in a row gap columns apart. */
int	app_buttons_width(struct ui_form *f, int y, int gap);

/* Put the buttons of form f shown on row y in a row from column x, gap columns apart. */
void	app_place_buttons(struct ui_form *f, int y, int x, int gap);

/* What app_form_event asks of a form's screen. */
enum app_form_step {
	APP_FORM_EVENT,		/* ev is the screen's to handle */
	APP_FORM_STAY,		/* a way out the person refused: nothing to do */
	APP_FORM_BACK,		/* Esc, agreed to */
	APP_FORM_QUIT,		/* a signal, or the quit key (F10) agreed to */
};

/* What is asked before a form with input to lose is left: a dialog's title and question (N_). */
struct app_leave {
	const char	*title;
	const char	*question;
};

/* Whether a form may be left: yes when nothing would be lost (!edited), else as answered. */
bool	app_may_leave(const struct app_leave *q, bool edited);

/*
 * ui_repaint, then the next event into ev, for a form that asks before it
 * is left: on Esc or the quit key the person is asked q when edited.
 */
enum app_form_step app_form_event(struct ui_event *ev, const struct app_leave *q, bool edited);

/* Esc or q: back out of a list. */
bool	app_back_key(const struct ui_event *ev);

/*
 * The head of the loop of a screen that shows records: when a record of
 * the person changed since *seen (app_changed), changed(arg) reads again
 * what the screen shows; then app_next_event, whose answer it returns.
 */
bool	app_wait(struct app *a, unsigned *seen, void (*changed)(void *), void *arg,
	    struct ui_event *ev);

/*
 * Move *top, the first row shown of a list, so that row cur is among the
 * *rows shown (made 1 at least).
 */
void	app_keep_in_view(size_t cur, size_t *top, int *rows);

/*
 * Under a list of n rows: empty centred on row y when there is none, and
 * info (freed here) on the row above the message line.
 */
void	app_list_foot(size_t n, int y, const char *empty, char *info);

/* Append printf-style text to *text (a string the caller frees; NULL: empty). */
void	app_appendf(char **text, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* The widest of n labels (translated) in columns, CJK counted double. */
int	app_label_width(const char *const *labels, size_t n);

/* "name（code）" of an object {code, name}, its name without a code, "" for null.  Caller frees. */
char	*app_coded(json_t *o);

/* A title object {series, name, level}: "工程 · 工程师（中级）", "" for null.  Caller frees. */
char	*app_title_text(json_t *title);

/*
 * A person's fields (a registration's or a profile's, as the server sends
 * them) as rows "label  value" appended to *text, labels padded to w
 * columns; title is the professional title's text as shown.
 */
void	app_person_rows(char **text, json_t *person, int w, const char *title);

/* The widest label of app_person_rows. */
int	app_person_label_width(void);

/* The string under key of an object o, "" when o or the string is absent (o's). */
const char *app_json_str(json_t *o, const char *key);

/* A JSON value as text: a string as it is, a number as typed, "" else.  Caller frees. */
char	*app_json_text(json_t *v);

/*
 * app_call, and on a failure its sentence said on the screen's message
 * line (app_say into buf, size bytes, *error_flag) as an error.
 */
json_t	*app_call_say(struct app *a, const char *method, json_t *params, char *buf,
	    size_t size, bool *error_flag);

/* A screen's status message: text into buf (size bytes), *error_flag = error. */
void	app_say(char *buf, size_t size, bool *error_flag, const char *text, bool error);

/*
 * j/k, the arrows, PgUp/PgDn (a page of rows - 1), Home and End on a list
 * of n rows whose cursor is *cur.  Returns whether ev was one of them.
 */
bool	app_list_key(const struct ui_event *ev, size_t *cur, size_t n, int rows);

/*
 * app_list_key on a list read a page at a time: a step down past the last
 * row read first reads the next page when there is one (more):
 * load_more(arg) reads it and returns how many rows there are now.
 */
bool	app_paged_key(const struct ui_event *ev, size_t *cur, size_t n, int rows, bool more,
	    size_t (*load_more)(void *), void *arg);

/* "~/x" as $HOME/x, other paths as they are.  Caller frees. */
char	*app_expand_home(const char *path);

/*
 * Ask (a prompt titled title saying text) where to save a file on this
 * computer: empty is deflt in the current directory, a directory deflt in
 * it, "~/" the home directory; an existing file is replaced once the person
 * agrees.  Opens it for writing: returns the descriptor and *path its path
 * (caller frees), -1 when the person cancelled or declined, -2 when it
 * cannot be written (said); *path is NULL then.
 */
int	app_save_file(const char *title, const char *text, const char *deflt, char **path);

/*
 * Export what method serves as CSV in pieces ({csv, rows, next}, as
 * completion.report_csv and stats.csv do) to a file on this computer the
 * person names (app_save_file with text and deflt), written as the pieces
 * come: params (taken) go with every call, "after" added from the second.
 * "Saved FILE (N rows)." goes into said (size bytes, *error_flag false)
 * and is shown, followed by app_freshness of the oldest piece a replica
 * served, when one did; a failure is shown and leaves no partial file behind.
 * Returns whether the file was saved.
 */
bool	app_export_csv(struct app *a, const char *method, json_t *params, const char *text,
	    const char *deflt, char *said, size_t size, bool *error_flag);

/*
 * How fresh a heavy read's figures are, for its screen's heading: "as of
 * HH:MM:SS (read replica)" when result says it was read from a replica
 * ("source", "as_of"; docs/protocol.md "Reads from a replica"), else NULL:
 * from the primary the figures are those of now.  Caller frees.
 */
char	*app_freshness(json_t *result);

/* Write all len bytes of p to fd (again after EINTR).  Returns false on an error (errno). */
bool	app_write_all(int fd, const char *p, size_t len);

/* Copy text into buf (size bytes), cut on a character boundary. */
void	app_copy(char *buf, size_t size, const char *text);

/* Screens: each runs until it knows which comes next. */
enum screen_id {
	SCREEN_QUIT,
	SCREEN_START,		/* whoami: home when an SSH key logged us in, else login */
	SCREEN_LOGIN,
	SCREEN_REGISTER,
	SCREEN_STATUS,		/* 注册进度查询 */
	SCREEN_HOME,
	SCREEN_PASSWORD,	/* 修改密码 */
	SCREEN_REVIEW,		/* 注册审核 */
	SCREEN_PROFILE,		/* 用户资料管理 */
	SCREEN_TITLES,		/* 职务变更审核 */
	SCREEN_STAFF,		/* 本单位人员 */
	SCREEN_DECLARE,		/* 学时学分申报 */
	SCREEN_PROGRESS,	/* 申报进度查询 */
	SCREEN_DECL_REVIEW,	/* 学时审核 */
	SCREEN_COMPLETION,	/* 年度完成情况 */
	SCREEN_REPORT,		/* 完成情况统计 */
	SCREEN_BASE,		/* 班次管理: a training base's classes */
	SCREEN_AUTHORITY_STATS,	/* 继续教育完成情况统计 (an authority's) */
	SCREEN_AUTHORITY_REVIEW, /* 审核 (an authority's) */
	SCREEN_AUTHORITY_AUDIT,	/* 审核记录查询 */
	SCREEN_AUTHORITY_BASES,	/* 继续教育基地管理 */
	SCREEN_AUTHORITY_REQUIREMENTS, /* 年度学时要求 */
};

enum screen_id app_start(struct app *a);		/* app.c */
enum screen_id screen_login_run(struct app *a);		/* screen-login.c */
enum screen_id screen_register_run(struct app *a);	/* screen-register.c */
enum screen_id screen_status_run(struct app *a);	/* screen-status.c */
enum screen_id screen_home_run(struct app *a);		/* screen-home.c */
enum screen_id screen_password_run(struct app *a);	/* screen-password.c */
enum screen_id screen_review_run(struct app *a);	/* screen-review.c */
enum screen_id screen_profile_run(struct app *a);	/* screen-profile.c */
enum screen_id screen_titles_run(struct app *a);	/* screen-titles.c */
enum screen_id screen_staff_run(struct app *a);		/* screen-staff.c */
enum screen_id screen_declare_run(struct app *a);	/* screen-declare.c */
enum screen_id screen_progress_run(struct app *a);	/* screen-progress.c */
enum screen_id screen_decl_review_run(struct app *a);	/* screen-decl-review.c */
enum screen_id screen_completion_run(struct app *a);	/* screen-completion.c */
enum screen_id screen_report_run(struct app *a);	/* screen-report.c */
enum screen_id screen_base_run(struct app *a);		/* screen-base.c */
enum screen_id screen_authority_stats_run(struct app *a); /* screen-authority-stats.c */
enum screen_id screen_authority_review_run(struct app *a); /* screen-authority-review.c */
enum screen_id screen_authority_audit_run(struct app *a); /* screen-authority-audit.c */
enum screen_id screen_authority_bases_run(struct app *a); /* screen-authority-bases.c */
enum screen_id screen_authority_requirements_run(struct app *a);
						/* screen-authority-requirements.c */

/*
 * Parts of the profile screens that others show too.  Those that run a
 * screen of their own return 0 when the user leaves it, -1 when the user
 * asked to quit; the caller sets its backdrop again.
 */

/* 变更记录: one's own (account_id 0), or a staff member's of the administrator's unit. */
int	profile_history_run(struct app *a, const char *who, json_int_t account_id);

/* A history entry's state, who decided and why; its one-line summary.  Caller frees. */
char	*profile_history_state(json_t *item);
char	*profile_history_line(json_t *item);

/* SSH 密钥: list, add, remove one's own SSH keys (keys.*). */
int	profile_keys_run(struct app *a);

/*
 * A staff member's profile and latest changes, read only, in a pager
 * (hints and keys as ui_pager's; h opens the whole history, after which
 * paint, arg is the backdrop again).  Returns the key of keys pressed, 0,
 * or -1 to quit.  screen-staff.c
 */
int	staff_show(struct app *a, json_int_t account_id, const char *who, const char *hints,
	    const char *keys, void (*paint)(void *), void *arg);

/*
 * "工程 / 中级 / 工程师" as "工程师（中级）" for a column of cols, or as
 * "工程师" when that is too wide.  Caller frees.  screen-staff.c
 */
char	*staff_title_short(const char *full, int cols);

/*
 * Edit a draft declaration (declaration.get's detail: its form definition,
 * values and version) in the declaration form.  Returns 0 when the user
 * leaves it, -1 to quit.  screen-declare.c
 */
int	declare_edit_run(struct app *a, json_t *detail);

/*
 * Save an attachment ({id, name, size, sha256}) to a local file the user
 * names (attachment.get, in chunks; the checksum checked); says what
 * happened.  Over --fd there is no local disk: says so.  Returns 0, -1 when
 * it failed.  screen-declare.c
 */
int	declare_download(struct app *a, json_t *attachment);

/*
 * declare_download of a file another method serves in the same chunks:
 * method with params (an object, taken; "offset" added to each call), as
 * review.class_attachment {class_id} serves a base class's document.
 */
int	declare_download_from(struct app *a, json_t *attachment, const char *method,
	    json_t *params);

/*
 * A declaration's detail (declaration.get, review.declaration) as text:
 * who (when the detail says), every field under its label from the
 * record's own form, the attachment, the decision and the history.
 * Caller frees.  screen-progress.c
 */
char	*progress_detail_text(json_t *detail);

#endif
