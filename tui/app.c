/*
 * app.c - what every screen shares: calls to the server, the ways a
 * session ends, who is logged in, and small text helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <curses.h>

#include "jxjy-config.h"
#include "app.h"
#include "format.h"
#include "text.h"
#include "xmalloc.h"

int
app_hello(struct app *a)
{
	struct rpc_error err;
	json_t *result;
	const char *server, *version;

	result = rpc_call(a->rpc, "system.hello", json_pack("{s:s, s:s}",
	    "client", "jxjy " JXJY_VERSION, "lang", i18n_lang_code(a->lang)), &err);
	if (result == NULL && err.kind != RPC_ERR_REMOTE) {
		fprintf(stderr, "jxjy: %s\n", err.message);
		return 2;
	}
	/* A server that refuses hello is odd but may still serve: carry on. */
	server = json_string_value(json_object_get(result, "server"));
	version = json_string_value(json_object_get(result, "version"));
	free(a->server);
	a->server = version != NULL ? xasprintf("%s %s", server ? server : "?", version) :
	    xstrdup(server ? server : "?");
	json_decref(result);
	return 0;
}

json_t *
app_call(struct app *a, const char *method, json_t *params, struct rpc_error *err)
{
	json_t *result = rpc_call(a->rpc, method, params, err);

	if (result == NULL && err->kind == RPC_ERR_LOST) {
		app_lost(a);
		/* We start over: the caller shows what it likes, the screens unwind. */
		if (rpc_closing_message(a->rpc) != NULL && *rpc_closing_message(a->rpc) != '\0')
			app_copy(err->message, sizeof err->message, rpc_closing_message(a->rpc));
	}
	return result;
}

/* Our own words for why the server ended the session, when it gave none. */
static const char *
app_closing_text(const char *reason)
{
	if (reason == NULL)
		return _("The connection to the server was lost.");
	if (strcmp(reason, "idle_timeout") == 0)
		return _("The session ended after a long time without activity. "
		    "Please log in again.");
	if (strcmp(reason, "logged_out_elsewhere") == 0)
		return _("This account was logged out by another session (its password "
		    "was changed, for example). Please log in again.");
	if (strcmp(reason, "shutting_down") == 0)
		return _("The server is shutting down.");
	return _("The server ended the session.");
}

void
app_lost(struct app *a)
{
	static bool leaving;
	const char *reason = rpc_closing_reason(a->rpc);
	const char *msg = rpc_closing_message(a->rpc);

	if (a->restart || leaving)
		return;
	if (msg == NULL || *msg == '\0')
		msg = app_closing_text(reason);
	/* The dialog waits for a key; its ticks must not bring us back here. */
	ui_set_tick(NULL, NULL, NULL);
	if (reason != NULL && a->connect != NULL && (strcmp(reason, "idle_timeout") == 0 ||
	    strcmp(reason, "logged_out_elsewhere") == 0)) {
		ui_message(_("Session ended"), msg);
		ui_set_tick(app_tick, app_tick_fd, a);
		a->restart = true;
		ui_stop(true);
		return;
	}
	leaving = true;
	ui_message(reason != NULL ? _("Session ended") : _("Connection lost"), msg);
	ui_end();
	fprintf(stderr, "jxjy: %s\n", msg);
	rpc_close(a->rpc);
	exit(2);
}

void
app_reconnect(struct app *a)
{
	enum connect_status status;

	rpc_close(a->rpc);
	a->rpc = NULL;
	app_clear_me(a);
	a->restart = false;
	ui_stop(false);
	if ((a->rpc = rpc_connect_ssh(a->connect, &status)) != NULL) {
		rpc_set_interrupt(a->rpc, a->signal);
		if (a->timeout_ms >= 0)
			rpc_set_timeout(a->rpc, a->timeout_ms);
		if (app_hello(a) == 0)
			return;
	}
	ui_end();
	fprintf(stderr, "jxjy: %s\n", _("The connection to the server was lost."));
	rpc_close(a->rpc);
	exit(2);
}

/* Count the record.changed that have arrived; true when any had. */
static bool
app_take_changes(struct app *a)
{
	struct rpc_change c;
	bool any = false;

	while (a->rpc != NULL && rpc_take_change(a->rpc, &c)) {
		a->changes++;
		app_copy(a->change_message, sizeof a->change_message, c.message);
		any = true;
	}
	return any;
}

void
app_tick(void *arg)
{
	struct app *a = arg;

	if (!a->restart && !rpc_alive(a->rpc))
		app_lost(a);
	else if (!a->restart && app_take_changes(a))
		ui_post_refresh();
}

bool
app_changed(struct app *a, unsigned *seen)
{
	if (!a->restart)
		app_take_changes(a);
	if (a->restart || *seen == a->changes)
		return false;
	*seen = a->changes;
	return true;
}

int
app_tick_fd(void *arg)
{
	struct app *a = arg;

	return a->restart || a->rpc == NULL ? -1 : rpc_poll_fd(a->rpc);
}

void
app_status(struct app *a, const char *hints)
{
	ui_status_bar(a->server != NULL ? a->server : "", hints);
}

enum screen_id
app_start(struct app *a)
{
	struct rpc_error err;
	json_t *result;

	/* An SSH key may have logged this session in already (jxjy -u ID_NUMBER). */
	result = app_call(a, "session.whoami", NULL, &err);
	if (result == NULL)
		return a->restart ? SCREEN_START : SCREEN_LOGIN;
	app_set_me(a, result);
	json_decref(result);
	return SCREEN_HOME;
}

void
app_set_me(struct app *a, json_t *result)
{
	json_decref(a->me);
	a->me = json_incref(result);
}

void
app_clear_me(struct app *a)
{
	json_decref(a->me);
	a->me = NULL;
}

const char *
app_me_string(struct app *a, const char *key)
{
	const char *s = json_string_value(json_object_get(json_object_get(a->me, "account"),
	    key));

	return s != NULL ? s : "";
}

const char *
app_me_unit_name(struct app *a)
{
	const char *s = json_string_value(json_object_get(json_object_get(
	    json_object_get(a->me, "account"), "unit"), "name"));

	return s != NULL ? s : "";
}

bool
app_me_is_unit_admin(struct app *a)
{
	return strcmp(app_me_string(a, "role"), "unit_admin") == 0;
}

bool
app_me_must_change_password(struct app *a)
{
	return json_is_true(json_object_get(a->me, "must_change_password"));
}

char *
app_format_time(const char *iso, char *buf, size_t size)
{
	return format_time(iso, _("Today"), 0, buf, size);
}

void
app_append_row(char **text, const char *label, int cols, const char *value)
{
	char *clean = text_sanitize(label, false);
	char *shown = text_sanitize(value != NULL ? value : "", false);
	int pad = cols - text_width(clean);
	char *row = xasprintf("%s%s%*s%s\n", *text != NULL ? *text : "", clean,
	    pad > 0 ? pad : 1, "", shown);

	free(clean);
	free(shown);
	free(*text);
	*text = row;
}

bool
app_next_event(struct app *a, struct ui_event *ev)
{
	ui_repaint();
	ui_next_event(ev);
	return ev->type == UI_EV_QUIT || ui_is_quit_key(ev) || a->restart;
}

void
app_form_frame(struct ui_form *f, const char *header, const char *title, struct app_frame *fr)
{
	if (fr->w == 0) {
		fr->w = COLS >= 100 ? 96 : COLS - 2;
		fr->top = 1;
		fr->h = LINES - 3;
	}
	fr->x0 = (COLS - fr->w) / 2;
	ui_header(header);
	ui_box(fr->top, fr->x0, fr->h, fr->w, title, UI_FRAME);
	ui_form_set_box(f, fr->top, fr->x0, fr->h, fr->w);
}

void
app_form_scrolled(struct ui_form *f, const struct app_frame *fr)
{
	if (f->view_top > 0)
		ui_put(fr->top, fr->x0 + fr->w - 16, 14, _("(more above)"), UI_HINT, false);
	if (ui_form_last_row(f) >= f->view_top + f->view_h)
		ui_put(fr->top + fr->h - 1, fr->x0 + fr->w - 16, 14, _("(more below)"), UI_HINT,
		    false);
}

/* Whether field fd is a button shown on row y. */
static bool
app_is_button_on(const struct ui_field *fd, int y)
{
	return fd->type == UI_FIELD_BUTTON && !fd->hidden && fd->y == y;
}

int
app_buttons_width(struct ui_form *f, int y, int gap)
{
	int w = 0;

	for (size_t i = 0; i < f->n; i++) {
		if (app_is_button_on(&f->fields[i], y))
			w += (w > 0 ? gap : 0) + f->fields[i].width;
	}
	return w;
}

void
app_place_buttons(struct ui_form *f, int y, int x, int gap)
{
	for (size_t i = 0; i < f->n; i++) {
		if (!app_is_button_on(&f->fields[i], y))
			continue;
		f->fields[i].x = x;
		x += f->fields[i].width + gap;
	}
}

bool
app_may_leave(const struct app_leave *q, bool edited)
{
	/* The safe answer, staying, is focused. */
	return !edited || ui_confirm_safe(_(q->title), _(q->question));
}

enum app_form_step
app_form_event(struct ui_event *ev, const struct app_leave *q, bool edited)
{
	ui_repaint();
	ui_next_event(ev);
	if (ev->type == UI_EV_QUIT)
		return APP_FORM_QUIT;
	if (ui_is_quit_key(ev))
		return app_may_leave(q, edited) ? APP_FORM_QUIT : APP_FORM_STAY;
	if (ev->type == UI_EV_KEY && ev->key == UI_KEY_ESC)
		return app_may_leave(q, edited) ? APP_FORM_BACK : APP_FORM_STAY;
	return APP_FORM_EVENT;
}

bool
app_wait(struct app *a, unsigned *seen, void (*changed)(void *), void *arg, struct ui_event *ev)
{
	if (app_changed(a, seen))
		changed(arg);
	return app_next_event(a, ev);
}

bool
app_back_key(const struct ui_event *ev)
{
	return (ev->type == UI_EV_KEY && ev->key == UI_KEY_ESC) ||
	    (ev->type == UI_EV_CHAR && ev->ch == 'q');
}

void
app_keep_in_view(size_t cur, size_t *top, int *rows)
{
	if (*rows < 1)
		*rows = 1;
	if (cur < *top)
		*top = cur;
	if (cur >= *top + (size_t)*rows)
		*top = cur - (size_t)*rows + 1;
}

void
app_list_foot(size_t n, int y, const char *empty, char *info)
{
	if (n == 0)
		ui_put_center(y, 0, COLS, empty, UI_HINT);
	ui_put(LINES - 3, 1, COLS - 2, info, UI_HINT, false);
	free(info);
}

void
app_appendf(char **text, const char *fmt, ...)
{
	va_list ap;
	char *more, *joined;

	va_start(ap, fmt);
	more = xvasprintf(fmt, ap);
	va_end(ap);
	joined = xasprintf("%s%s", *text != NULL ? *text : "", more);
	free(more);
	free(*text);
	*text = joined;
}

int
app_label_width(const char *const *labels, size_t n)
{
	int w = 0;

	for (size_t i = 0; i < n; i++) {
		if (text_width(labels[i]) > w)
			w = text_width(labels[i]);
	}
	return w;
}

char *
app_coded(json_t *o)
{
	const char *code = app_json_str(o, "code");

	if (!json_is_object(o))
		return xstrdup("");
	if (*code != '\0')
		return xasprintf(_("%s (%s)"), app_json_str(o, "name"), code);
	return xstrdup(app_json_str(o, "name"));
}

char *
app_title_text(json_t *title)
{
	if (!json_is_object(title))
		return xstrdup("");
	return xasprintf(_("%s · %s (%s)"), app_json_str(title, "series"),
	    app_json_str(title, "name"), app_json_str(title, "level"));
}

static const char *const app_person_labels[] = {
	N_("ID number"), N_("Name"), N_("Sex"), N_("Date of birth"), N_("Work unit"),
	N_("Department"), N_("Mobile phone"), N_("E-mail"), N_("Ethnicity"),
	N_("Native place"), N_("Graduated from"), N_("Major"), N_("Professional title"),
	N_("Education"),
};

int
app_person_label_width(void)
{
	int w = 0;

	for (size_t i = 0; i < sizeof app_person_labels / sizeof app_person_labels[0]; i++) {
		if (text_width(_(app_person_labels[i])) > w)
			w = text_width(_(app_person_labels[i]));
	}
	return w;
}

void
app_person_rows(char **text, json_t *d, int w, const char *title)
{
	const char *const *l = app_person_labels;
	char *unit = app_coded(json_object_get(d, "unit"));
	char *major = app_coded(json_object_get(d, "major"));

	app_append_row(text, _(l[0]), w, app_json_str(d, "id_number"));
	app_append_row(text, _(l[1]), w, app_json_str(d, "name"));
	app_append_row(text, _(l[2]), w, app_sex_name(app_json_str(d, "sex")));
	app_append_row(text, _(l[3]), w, app_json_str(d, "birth_date"));
	app_append_row(text, _(l[4]), w, unit);
	app_append_row(text, _(l[5]), w, app_json_str(json_object_get(d, "department"), "name"));
	app_append_row(text, _(l[6]), w, app_json_str(d, "phone"));
	app_append_row(text, _(l[7]), w, app_json_str(d, "email"));
	app_append_row(text, _(l[8]), w, app_json_str(json_object_get(d, "ethnicity"), "name"));
	app_append_row(text, _(l[9]), w, app_json_str(d, "native_place"));
	app_append_row(text, _(l[10]), w, app_json_str(d, "school"));
	app_append_row(text, _(l[11]), w, major);
	app_append_row(text, _(l[12]), w, title);
	app_append_row(text, _(l[13]), w,
	    app_json_str(json_object_get(d, "education_level"), "name"));
	free(unit);
	free(major);
}

const char *
app_json_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

char *
app_json_text(json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return xasprintf("%g", json_real_value(v));
	return xstrdup("");
}

json_t *
app_call_say(struct app *a, const char *method, json_t *params, char *buf, size_t size,
    bool *error_flag)
{
	struct rpc_error err;
	json_t *result = app_call(a, method, params, &err);

	if (result == NULL)
		app_say(buf, size, error_flag, err.message, true);
	return result;
}

void
app_say(char *buf, size_t size, bool *error_flag, const char *text, bool error)
{
	app_copy(buf, size, text);
	*error_flag = error;
}

bool
app_list_key(const struct ui_event *ev, size_t *cur, size_t n, int rows)
{
	size_t page = rows > 1 ? (size_t)rows - 1 : 1, last = n > 0 ? n - 1 : 0;
	int key = ev->type == UI_EV_KEY ? ev->key : ev->type != UI_EV_CHAR ? 0 :
	    ev->ch == 'j' ? KEY_DOWN : ev->ch == 'k' ? KEY_UP : 0;

	switch (key) {
	case KEY_DOWN:
		page = 1;
		/* FALLTHROUGH */
	case KEY_NPAGE:
		*cur = *cur + page < last ? *cur + page : last;
		return true;
	case KEY_UP:
		page = 1;
		/* FALLTHROUGH */
	case KEY_PPAGE:
		*cur = *cur > page ? *cur - page : 0;
		return true;
	case KEY_HOME:
		*cur = 0;
		return true;
	case KEY_END:
		*cur = last;
		return true;
	}
	return false;
}

bool
app_paged_key(const struct ui_event *ev, size_t *cur, size_t n, int rows, bool more,
    size_t (*load_more)(void *), void *arg)
{
	size_t step = ev->type == UI_EV_KEY && ev->key == KEY_NPAGE && rows > 1 ?
	    (size_t)rows - 1 : 1;
	bool down = ev->type == UI_EV_KEY ? ev->key == KEY_DOWN || ev->key == KEY_NPAGE :
	    ev->type == UI_EV_CHAR && ev->ch == 'j';

	if (down && more && *cur + step >= n)
		n = load_more(arg);
	return app_list_key(ev, cur, n, rows);
}

char *
app_expand_home(const char *path)
{
	const char *home = getenv("HOME");
	bool tilde = path[0] == '~' && (path[1] == '/' || path[1] == '\0');

	return tilde && home != NULL ? xasprintf("%s%s", home, path + 1) : xstrdup(path);
}

int
app_save_file(const char *title, const char *text, const char *deflt, char **path)
{
	char *typed, *full, *tmp;
	struct stat st;
	int fd;

	*path = NULL;
	if ((typed = ui_prompt(title, text, _("File"), 1024)) == NULL)
		return -1;
	full = app_expand_home(*typed != '\0' ? typed : deflt);
	free(typed);
	if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
		tmp = xasprintf("%s/%s", full, deflt);
		free(full);
		full = tmp;
	}
	if (stat(full, &st) == 0) {
		tmp = xasprintf(_("%s exists. Replace it?"), full);
		if (!ui_confirm(title, tmp)) {
			free(tmp);
			free(full);
			return -1;
		}
		free(tmp);
	}
	if ((fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		tmp = xasprintf(_("cannot write %s: %s"), full, strerror(errno));
		ui_message(title, tmp);
		free(tmp);
		free(full);
		return -2;
	}
	*path = full;
	return fd;
}

bool
app_write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	for (; len > 0; p += w, len -= (size_t)w) {
		if ((w = write(fd, p, len)) < 0 && errno != EINTR)
			return false;
		if (w < 0)
			w = 0;
	}
	return true;
}

/* "cannot write PATH: why" in a message titled Export. */
static void
app_export_failed(const char *path)
{
	char *text = xasprintf(_("cannot write %s: %s"), path, strerror(errno));

	ui_message(_("Export"), text);
	free(text);
}

bool
app_export_csv(struct app *a, const char *method, json_t *params, const char *text,
    const char *deflt, char *said, size_t size, bool *error_flag)
{
	struct rpc_error err;
	json_t *piece, *res = NULL, *next, *oldest = NULL;
	char *full = NULL, *after = NULL, *done, *fresh;
	long long rows = 0;
	const char *csv;
	int fd;
	bool ok = false;

	if ((fd = app_save_file(_("Export"), text, deflt, &full)) < 0)
		goto out;
	for (;;) {
		piece = json_deep_copy(params);
		if (after != NULL)
			json_object_set_new(piece, "after", json_string(after));
		if ((res = app_call(a, method, piece, &err)) == NULL) {
			if (!a->restart)
				ui_message(_("Export"), err.message);
			goto out;
		}
		csv = app_json_str(res, "csv");
		if (!app_write_all(fd, csv, strlen(csv))) {
			app_export_failed(full);
			goto out;
		}
		rows += (long long)json_integer_value(json_object_get(res, "rows"));
		/* The oldest piece bounds the file: every change before its as_of is in all. */
		if (oldest == NULL || strcmp(app_json_str(res, "as_of"),
		    app_json_str(oldest, "as_of")) < 0) {
			if (strcmp(app_json_str(res, "source"), "replica") == 0) {
				json_decref(oldest);
				oldest = json_incref(res);
			}
		}
		free(after);
		after = NULL;
		next = json_object_get(res, "next");
		if (json_is_string(next))
			after = xstrdup(json_string_value(next));
		json_decref(res);
		res = NULL;
		if (after == NULL)
			break;
	}
	if (close(fd) != 0) {
		fd = -1;
		app_export_failed(full);
		goto out;
	}
	fd = -1;
	ok = true;
	done = xasprintf(_("Saved %s (%lld rows)."), full, rows);
	if ((fresh = app_freshness(oldest)) != NULL) {
		app_appendf(&done, " %s", fresh);
		free(fresh);
	}
	app_say(said, size, error_flag, done, false);
	ui_message(_("Export"), done);
	free(done);
out:
	if (fd >= 0)
		close(fd);
	/* open() created or emptied it: no half a file left behind. */
	if (!ok && full != NULL)
		unlink(full);
	json_decref(res);
	json_decref(oldest);
	json_decref(params);
	free(after);
	free(full);
	return ok;
}

char *
app_freshness(json_t *result)
{
	const char *as_of = app_json_str(result, "as_of");

	/* "2026-12-01T09:30:14+08:00": the time of day is characters 11 to 18, China's. */
	if (strcmp(app_json_str(result, "source"), "replica") != 0 || strlen(as_of) < 19)
		return NULL;
	return xasprintf(_("as of %.8s (read replica)"), as_of + 11);
}

void
app_copy(char *buf, size_t size, const char *text)
{
	rpc_copy(buf, size, text);
}

/* The word for a server's word in table (ending in { NULL }), or the word itself. */
static const char *
app_word(const char *const (*table)[2], const char *word)
{
	if (word == NULL)
		return "";
	for (; (*table)[0] != NULL; table++) {
		if (strcmp(word, (*table)[0]) == 0)
			return _((*table)[1]);
	}
	return word;
}

const char *
app_state_name(const char *state)
{
	static const char *const names[][2] = {
		{ "pending", N_("Waiting for review") },
		{ "active", N_("Approved") },
		{ "rejected", N_("Rejected") },
		{ "withdrawn", N_("Withdrawn") },
		{ "disabled", N_("Disabled") },
		{ NULL, NULL },
	};

	return app_word(names, state);
}

const char *
app_sex_name(const char *sex)
{
	static const char *const names[][2] = {
		{ "male", N_("Male") },
		{ "female", N_("Female") },
		{ NULL, NULL },
	};

	return app_word(names, sex);
}

const struct rpc_problem *
app_form_errors(struct ui_form *f, const struct rpc_error *err, const struct app_field *names)
{
	const struct rpc_problem *loose = NULL;
	bool focused = false;

	ui_form_clear_errors(f);
	for (size_t i = 0; i < err->nproblems; i++) {
		const struct rpc_problem *p = &err->problems[i];
		const struct app_field *n;

		for (n = names; n->name != NULL; n++) {
			if (strcmp(n->name, p->field) == 0)
				break;
		}
		if (n->name == NULL || ui_form_field(f, n->id) == NULL) {
			if (loose == NULL)
				loose = p;
			continue;
		}
		ui_form_set_error(f, n->id, p->message);
		if (!focused)
			ui_form_focus(f, n->id);
		focused = true;
	}
	return loose;
}

char *
app_inbox_pick(struct app *a, const char *choose_hint, char *said, size_t size)
{
	struct rpc_error err;
	json_t *open, *list = NULL, *f;
	char *text, *files, *chosen = NULL, sz[32];
	size_t i, n;
	int key;

	said[0] = '\0';
	if ((open = app_call(a, "inbox.open", NULL, &err)) == NULL) {
		app_copy(said, size, err.message);
		return NULL;
	}
	for (;;) {
		json_decref(list);
		if ((list = app_call(a, "inbox.list", NULL, &err)) == NULL) {
			app_copy(said, size, err.message);
			break;
		}
		files = xstrdup("");
		n = json_array_size(json_object_get(list, "files"));
		json_array_foreach(json_object_get(list, "files"), i, f) {
			char *item = xasprintf(_("%s (%s)"), app_json_str(f, "name"),
			    format_size(json_integer_value(json_object_get(f, "size")), sz, sizeof sz));

			app_appendf(&files, "  %zu. %s\n", i + 1, item);
			free(item);
		}
		json_array_foreach(json_object_get(list, "uploading"), i, f) {
			char *item = xasprintf(_("%s (%s)"), app_json_str(f, "name"),
			    _("still arriving"));

			app_appendf(&files, "  %s\n", item);
			free(item);
		}
		text = xasprintf("%s\n\n  %s\n\n%s\n%s", app_json_str(open, "hint"),
		    app_json_str(open, "command"), _("Files in the inbox:"),
		    *files != '\0' ? files : _("  (none yet: press r after sending)\n"));
		free(files);
		key = ui_pager(_("Inbox"), text, n > 0 ? choose_hint : _("r: refresh  Esc: close"),
		    "r12345");
		free(text);
		if (key == 'r')
			continue;
		if (key >= '1' && key <= '5' && (size_t)(key - '1') < n)
			chosen = xstrdup(app_json_str(json_array_get(json_object_get(list, "files"),
			    (size_t)(key - '1')), "name"));
		break;
	}
	json_decref(list);
	json_decref(open);
	return chosen;
}

json_t *
app_form_field_values(struct ui_form *f, json_t *definition, int field0)
{
	json_t *out = json_object(), *def;
	size_t i;

	json_array_foreach(json_object_get(definition, "fields"), i, def) {
		const char *key = app_json_str(def, "key");
		int id = field0 + 2 * (int)i;
		const char *v = ui_form_value(f, id);

		if (strcmp(app_json_str(def, "type"), "daterange") == 0) {
			const char *to = ui_form_value(f, id + 1);

			if (*v != '\0' || *to != '\0')
				json_object_set_new(out, key, json_pack("{s:s, s:s}", "from", v,
				    "to", to));
		} else if (*v != '\0') {
			json_object_set_new(out, key, json_string(v));
		}
	}
	return out;
}

void
app_form_message(const struct rpc_error *err, const struct rpc_problem *loose, char *buf,
    size_t size)
{
	if (loose != NULL)
		snprintf(buf, size, "%s%s%s", loose->label, *loose->label != '\0' ? ": " : "",
		    loose->message);
	else if (err->nproblems > 1)
		snprintf(buf, size, _("%zu fields need correcting; each is marked."),
		    err->nproblems);
	else
		app_copy(buf, size, err->message);
}
