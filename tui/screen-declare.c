/*
 * screen-declare.c - 学时学分申报: a declaration of hours or credits.
 *
 * The learning form is chosen first (forms.list); its fields are then
 * built from the form's definition, by type: text, longtext (a wide box),
 * integer, decimal, date, daterange (two dates), choice (a picker).  Then
 * 计入年度 (one of the years the server offers), the hours or credits, and
 * the attachment: a path on the local disk with Tab completion, uploaded
 * in chunks when the declaration is saved or submitted; or, when jxjyd
 * itself runs this client (--fd: the user's disk is out of reach), a file
 * sent to the session's inbox with scp.  提交 submits for review,
 * 保存暂不提交 keeps a draft.  What is valid is the server's to say: its
 * word goes beside the field data.field names.
 *
 * The same screen edits a draft (declare_edit_run) with its values and
 * version; declare_download saves an attachment to a local file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curses.h>
#include <sodium.h>

#include "app.h"
#include "format.h"
#include "keys.h"
#include "text.h"
#include "upload.h"
#include "xmalloc.h"

#define DECL_WIDTH		40	/* columns of a text box */
#define DECL_WIDE		60	/* ... of a longtext box */
#define DECL_PATH_MAX		1024	/* characters of a local path */
#define DECL_CANDIDATES		64	/* completions listed at most */

enum {
	DECL_FORM = 1,
	DECL_YEAR,
	DECL_AMOUNT,
	DECL_PATH,
	DECL_INBOX,
	DECL_SUBMIT,
	DECL_SAVE,
	DECL_BACK,
	DECL_FIELD0 = 100,	/* field i of the form: DECL_FIELD0 + 2i (+1: a range's end) */
};

struct declare {
	struct app	*app;
	json_t		*catalog;	/* forms.list's result */
	json_t		*definition;	/* the chosen form's definition; a reference */
	json_int_t	 id, version;	/* the draft being edited, 0 for a new one */
	char		**years;	/* the year options' text */
	size_t		  nyears;
	char		**labels;	/* labels made here (a range's ends); owned */
	size_t		  nlabels;
	struct ui_form	 form;
	bool		 served;	/* no local disk: the inbox instead */
	char		*attachment;	/* "name (size)" of the stored or uploaded one */
	char		*token;		/* attachment_token of a finished upload */
	char		*token_path;	/* the path (or inbox name) it was made from */
	int		 tabs;		/* Tabs in a row on the path field */
	char		*saved;		/* the values as last saved or loaded */
	char		*person;	/* id_number of who fills it in */
	char		 message[1024];
	bool		 message_error;
};

static void
declare_say(struct declare *d, const char *text, bool error)
{
	app_copy(d->message, sizeof d->message, text);
	d->message_error = error;
}

static const char *
declare_counts_label(const char *counts)
{
	return strcmp(counts, "credits") == 0 ? _("Credits") : _("Hours");
}

static void
declare_set_attachment(struct declare *d, const char *name, json_int_t size)
{
	char sz[32];

	free(d->attachment);
	/* TRANSLATORS: an attachment's name and its size. */
	d->attachment = name != NULL ? xasprintf(_("%s (%s)"), name,
	    format_size(size, sz, sizeof sz)) : NULL;
}

/* ---- layout -------------------------------------------------------------------- */

/* Rows of the form: the fields of the learning form start at DECL_ROW_FIELDS. */
#define DECL_ROW_FORM		0
#define DECL_ROW_FIELDS		2

static int
declare_attachment_rule(struct declare *d)
{
	const char *rule = app_json_str(d->definition, "attachment");

	if (strcmp(rule, "none") == 0)
		return 0;
	return strcmp(rule, "required") == 0 ? 2 : 1;
}

/* The row after the last field of the learning form (year, amount, attachment follow). */
static int
declare_row_after_fields(struct declare *d)
{
	int row = DECL_ROW_FIELDS;

	for (size_t i = 0; i < d->form.n; i++) {
		if (d->form.fields[i].id >= DECL_FIELD0 && d->form.fields[i].y >= row)
			row = d->form.fields[i].y + 1;
	}
	return row;
}


static void
declare_paint(void *arg)
{
	struct declare *d = arg;
	struct ui_form *f = &d->form;
	struct app_frame fr = { 0 };
	int w, x0, y, row;
	struct ui_field *path = ui_form_field(f, DECL_PATH);
	struct ui_field *amount = ui_form_field(f, DECL_AMOUNT), *focused;
	const char *hints;

	app_form_frame(f, d->id != 0 ? _("Continuing Education · Edit a declaration") :
	    _("Continuing Education · Declare hours and credits"), _("Declaration"), &fr);
	w = fr.w;
	x0 = fr.x0;
	ui_form_place_labels(f, x0 + 5);
	for (size_t i = 0; i < f->n; i++) {
		struct ui_field *fd = &f->fields[i];

		if (fd->type == UI_FIELD_TEXT && fd->x + fd->width > x0 + w - 4)
			fd->width = x0 + w - 4 - fd->x;
	}
	app_place_buttons(f, ui_form_field(f, DECL_BACK)->y, x0 + 5, 3);
	if (ui_form_field(f, DECL_INBOX) != NULL)
		ui_form_field(f, DECL_INBOX)->x = f->label_x + f->label_width + 1;
	ui_form_draw(f, true);

	if (amount != NULL && amount->error == NULL &&
	    (y = ui_form_screen_y(f, amount->y)) >= 0)
		ui_put(y, amount->x + amount->width + 3, x0 + w - 4 - amount->x - amount->width,
		    _("(up to two decimals)"), UI_HINT, false);
	row = path != NULL ? path->y + 1 : declare_row_after_fields(d) + 3;
	if ((y = ui_form_screen_y(f, row)) >= 0 && declare_attachment_rule(d) > 0) {
		char *text;

		if (d->attachment != NULL)
			text = xasprintf(_("Attachment: %s%s"), d->attachment, d->token != NULL ?
			    _(" (uploaded, kept when you save)") : "");
		else
			text = xstrdup(d->served ? _("No attachment yet: send a file to your inbox.") :
			    _("JPEG, PNG, PDF or a ZIP of several; Tab completes the path."));
		ui_put(y, f->label_x + f->label_width + 1, x0 + w - 3 - f->label_x -
		    f->label_width, text, UI_HINT, false);
		free(text);
	}
	app_form_scrolled(f, &fr);
	ui_message_line(d->message, d->message_error);
	focused = ui_form_field(f, ui_form_focus_id(f));
	if (ui_form_focus_id(f) == DECL_PATH)
		hints = _("Tab: complete the path  Down: next  Esc: back  F10: quit");
	else if (focused != NULL && focused->type == UI_FIELD_PICK)
		hints = _("Enter or Space: open the choices  Tab: next  Esc: back  F10: quit");
	else if (focused != NULL && focused->type == UI_FIELD_CHOICE)
		hints = _("Left, Right: choose  Tab: next  Esc: back  F10: quit");
	else
		hints = _("Tab: next  Enter: choose  Esc: back  F10: quit");
	app_status(d->app, hints);
}

/* The definition of the form with this code in the catalog, or NULL. */
static json_t *
declare_catalog_form(struct declare *d, const char *code)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(d->catalog, "forms"), i, f) {
		if (strcmp(app_json_str(f, "code"), code) == 0)
			return f;
	}
	return NULL;
}

static char *
declare_label(struct declare *d, char *label)
{
	d->labels = xrealloc(d->labels, (d->nlabels + 1) * sizeof *d->labels);
	d->labels[d->nlabels++] = label;
	return label;
}

/*
 * Build the form for d->definition: its fields (values from fields, may be
 * NULL), the year (year, 0 for the first offered) and the amount.
 */
static void
declare_build(struct declare *d, json_t *fields, int year, const char *amount)
{
	struct ui_form *f = &d->form;
	struct ui_field *fd;
	json_t *def;
	size_t i;
	int row = DECL_ROW_FIELDS, option = 0;
	char *v;

	ui_form_free(f);
	ui_form_init(f);
	for (i = 0; i < d->nlabels; i++)
		free(d->labels[i]);
	d->nlabels = 0;
	f->default_id = -1;
	fd = ui_form_add_pick(f, DECL_FORM, _("Learning form"), DECL_WIDTH);
	fd->y = DECL_ROW_FORM;
	fd->required = true;
	ui_form_set(f, DECL_FORM, app_json_str(d->definition, "name"));

	json_array_foreach(json_object_get(d->definition, "fields"), i, def) {
		const char *type = app_json_str(def, "type"), *key = app_json_str(def, "key");
		const char *label = app_json_str(def, "label");
		json_int_t maxlen = json_integer_value(json_object_get(def, "max_length"));
		bool required = json_is_true(json_object_get(def, "required"));
		json_t *value = json_is_object(fields) ? json_object_get(fields, key) : NULL;
		int id = DECL_FIELD0 + 2 * (int)i;

		if (strcmp(type, "daterange") == 0) {
			fd = ui_form_add_text(f, id, declare_label(d, xasprintf(_("%s (from)"),
			    label)), 11, 10, false);
			fd->placeholder = "YYYY-MM-DD";
			fd->required = required;
			fd->y = row++;
			ui_form_set(f, id, app_json_str(value, "from"));
			fd = ui_form_add_text(f, id + 1, declare_label(d, xasprintf(_("%s (to)"),
			    label)), 11, 10, false);
			fd->placeholder = "YYYY-MM-DD";
			fd->required = required;
			fd->y = row++;
			ui_form_set(f, id + 1, app_json_str(value, "to"));
			continue;
		}
		if (strcmp(type, "choice") == 0) {
			/* A choice says it is one: the ▾ of a pick field and how to open it. */
			fd = ui_form_add_pick(f, id, label, DECL_WIDTH);
			fd->placeholder = _("Enter: choose");
		} else if (strcmp(type, "date") == 0) {
			fd = ui_form_add_text(f, id, label, 11, 10, false);
			fd->placeholder = "YYYY-MM-DD";
		} else if (strcmp(type, "integer") == 0 || strcmp(type, "decimal") == 0) {
			json_t *lo = json_object_get(def, "min"), *hi = json_object_get(def, "max");

			fd = ui_form_add_text(f, id, label, 12, 20, false);
			/* A ranking says its range: 1-3 (第一 and ２ are taken too). */
			if (json_is_integer(lo) && json_is_integer(hi))
				fd->placeholder = declare_label(d, xasprintf("%lld-%lld",
				    (long long)json_integer_value(lo),
				    (long long)json_integer_value(hi)));
		} else if (strcmp(type, "longtext") == 0) {
			fd = ui_form_add_text(f, id, label, DECL_WIDE,
			    maxlen > 0 ? (size_t)maxlen : 2000, false);
		} else {
			fd = ui_form_add_text(f, id, label, DECL_WIDTH,
			    maxlen > 0 ? (size_t)maxlen : 200, false);
		}
		fd->required = required;
		fd->y = row++;
		v = app_json_text(value);
		ui_form_set(f, id, v);
		free(v);
	}
	row++;
	for (i = 0; i < d->nyears; i++) {
		if (year != 0 && atoi(d->years[i]) == year)
			option = (int)i;
	}
	fd = ui_form_add_choice(f, DECL_YEAR, _("Counts toward year"),
	    (const char *const *)d->years, d->nyears);
	fd->required = true;
	fd->y = row++;
	ui_form_set_option(f, DECL_YEAR, d->nyears > 0 ? option : -1);
	fd = ui_form_add_text(f, DECL_AMOUNT,
	    declare_counts_label(app_json_str(d->definition, "counts")), 11, 10, false);
	fd->required = true;
	fd->y = row++;
	ui_form_set(f, DECL_AMOUNT, amount);
	row++;
	if (declare_attachment_rule(d) > 0) {
		if (d->served) {
			fd = ui_form_add_button(f, DECL_INBOX, _("Choose from the inbox..."));
			fd->y = row;
		} else {
			fd = ui_form_add_text(f, DECL_PATH, _("Attachment file"), DECL_WIDE,
			    DECL_PATH_MAX, false);
			fd->y = row;
			fd->placeholder = _("a path on this computer, e.g. ~/scan.pdf");
			if (d->token_path != NULL)
				ui_form_set(f, DECL_PATH, d->token_path);
		}
		fd->required = declare_attachment_rule(d) == 2;
		row += 3;
	}
	ui_form_add_button(f, DECL_SUBMIT, _("Submit"))->y = row;
	ui_form_add_button(f, DECL_SAVE, _("Save without submitting"))->y = row;
	ui_form_add_button(f, DECL_BACK, _("Back"))->y = row;
	ui_form_focus(f, json_array_size(json_object_get(d->definition, "fields")) > 0 ?
	    DECL_FIELD0 : DECL_YEAR);
}

/* ---- what is sent ---------------------------------------------------------------- */

/* The fields object of the form's boxes: empty ones left out. */
static json_t *
declare_fields(struct declare *d)
{
	return app_form_field_values(&d->form, d->definition, DECL_FIELD0);
}

static int
declare_year(struct declare *d)
{
	int option = ui_form_option(&d->form, DECL_YEAR);

	return option >= 0 && (size_t)option < d->nyears ? atoi(d->years[option]) : 0;
}

/* Everything the form holds, to tell whether it changed.  Caller frees. */
static char *
declare_signature(struct declare *d)
{
	json_t *fields = declare_fields(d);
	char *text = json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS), *sig;

	sig = xasprintf("%s|%s|%d|%s|%s", app_json_str(d->definition, "code"), text,
	    declare_year(d), ui_form_value(&d->form, DECL_AMOUNT),
	    d->token != NULL ? d->token : ui_form_value(&d->form, DECL_PATH));
	free(text);
	json_decref(fields);
	return sig;
}

static bool
declare_touched(struct declare *d)
{
	char *sig = declare_signature(d);
	bool touched = d->saved == NULL || strcmp(sig, d->saved) != 0;

	free(sig);
	return touched;
}

static void
declare_mark_saved(struct declare *d)
{
	free(d->saved);
	d->saved = declare_signature(d);
	ui_form_unchanged(&d->form);
}

/* Is there input the person would lose by leaving: changed by them and not saved? */
static bool
declare_unsaved(struct declare *d)
{
	return declare_touched(d) && (ui_form_edited(&d->form) || d->token != NULL);
}

/*
 * May the person leave the form (quit: the program)?  Asks first when there
 * is input to lose, with "No" focused: staying is the safe answer.
 */
static bool
declare_may_leave(struct declare *d, bool quit)
{
	if (!declare_unsaved(d))
		return true;
	return ui_confirm_safe(_("Declaration"), quit ?
	    _("Quit without saving? What you typed will be lost.") :
	    _("Leave without saving? Your changes will be lost."));
}

/*
 * Input kept when the session ended under the form (timed out, logged out
 * elsewhere): the next declaration screen of the same person offers it
 * back, so that nothing typed is lost to a session's end.
 */
static struct {
	char	*person;	/* id_number of whose input it is */
	json_t	*input;		/* {code, id, version, year, amount, fields} */
} declare_kept;

static void
declare_kept_clear(void)
{
	free(declare_kept.person);
	json_decref(declare_kept.input);
	declare_kept.person = NULL;
	declare_kept.input = NULL;
}

/* Keep d's unsaved input for declare_kept (nothing when there is none). */
static void
declare_keep(struct declare *d)
{
	if (!declare_unsaved(d) || d->person == NULL || *d->person == '\0')
		return;
	declare_kept_clear();
	declare_kept.person = xstrdup(d->person);
	declare_kept.input = json_pack("{s:s, s:I, s:I, s:i, s:s, s:o}",
	    "code", app_json_str(d->definition, "code"), "id", d->id, "version", d->version,
	    "year", declare_year(d), "amount", ui_form_value(&d->form, DECL_AMOUNT),
	    "fields", declare_fields(d));
}

/* Where the server's words about the attachment go: the path box, or the inbox button. */
static const char *const declare_attachment_names[] = {
	"attachment_token", "attachment_id", "attachment", "name", "size", "sha256",
	"upload_id", "data", NULL
};

/*
 * The server refused: every problem beside the field it names (the first
 * focused), a problem on no field on the message line.
 */
static void
declare_refused(struct declare *d, const struct rpc_error *err)
{
	json_t *fields = json_object_get(d->definition, "fields"), *def;
	size_t n = json_array_size(fields), k = 0, i, marked = 0;
	struct app_field *names = xcalloc(n + 16, sizeof *names);
	const struct rpc_problem *loose;
	char *line;

	json_array_foreach(fields, i, def) {
		names[k].name = xasprintf("fields.%s", app_json_str(def, "key"));
		names[k++].id = DECL_FIELD0 + 2 * (int)i;
	}
	names[k++] = (struct app_field){ "year", DECL_YEAR };
	names[k++] = (struct app_field){ "amount", DECL_AMOUNT };
	names[k++] = (struct app_field){ "form", DECL_FORM };
	for (i = 0; declare_attachment_names[i] != NULL; i++)
		names[k++] = (struct app_field){ declare_attachment_names[i],
		    d->served ? DECL_INBOX : DECL_PATH };
	loose = app_form_errors(&d->form, err, names);
	/* The server lists the year and amount first; the person reads from the top. */
	for (i = d->form.n; i-- > 0;) {
		if (d->form.fields[i].error != NULL) {
			ui_form_focus(&d->form, d->form.fields[i].id);
			marked++;
		}
	}
	if (loose != NULL && *loose->label != '\0') {
		line = xasprintf(_("%s: %s"), loose->label, loose->message);
		declare_say(d, line, true);
		free(line);
	} else if (loose != NULL) {
		declare_say(d, loose->message, true);
	} else if (marked > 1) {
		line = xasprintf(_("Please correct the %zu fields marked."), marked);
		declare_say(d, line, true);
		free(line);
	} else {
		declare_say(d, _("Please correct the field marked."), true);
	}
	for (i = 0; i < n; i++)
		free((char *)names[i].name);
	free(names);
}

/* ---- the attachment from the local disk ------------------------------------------- */

/* A step of the upload, on the message line at once. */
static void
declare_progress(void *arg, const char *text)
{
	declare_say(arg, text, false);
	ui_repaint();
}

/*
 * Upload the file at path (upload_file) and keep its token.  Returns 0, or
 * -1 with the reason beside the path field and, in full, on the message line.
 */
static int
declare_upload(struct declare *d, const char *path)
{
	json_int_t max = json_integer_value(json_object_get(d->catalog, "max_attachment"));
	json_int_t chunk = json_integer_value(json_object_get(d->catalog, "chunk_size"));
	struct upload_failure fail;
	json_t *fin;
	const char *why;
	char *line;

	if ((fin = upload_file(d->app, path, max, chunk, declare_progress, d, &fail)) != NULL) {
		free(d->token);
		d->token = xstrdup(app_json_str(fin, "attachment_token"));
		free(d->token_path);
		d->token_path = xstrdup(path);
		declare_set_attachment(d, app_json_str(fin, "name"),
		    json_integer_value(json_object_get(fin, "size")));
		json_decref(fin);
		declare_say(d, "", false);
		return 0;
	}
	if (fail.begin.kind != RPC_ERR_NONE)
		declare_refused(d, &fail.begin);
	if (ui_form_field(&d->form, DECL_PATH)->error == NULL)
		ui_form_set_error(&d->form, DECL_PATH, fail.why);
	/* The reason in full: beside the field it may be cut. */
	why = ui_form_field(&d->form, DECL_PATH)->error;
	line = xasprintf(_("The attachment was not uploaded: %s"), why);
	declare_say(d, line, true);
	if (text_width(line) > COLS - 2)
		ui_message(_("Attachment"), line);
	free(line);
	return -1;
}

/* Cut an incomplete UTF-8 sequence off the end of s (a common prefix may end in one). */
static void
declare_utf8_trim(char *s)
{
	size_t len = strlen(s), start, need;
	unsigned char c;

	if (len == 0)
		return;
	start = len - 1;
	while (start > 0 && ((unsigned char)s[start] & 0xc0) == 0x80)
		start--;
	c = (unsigned char)s[start];
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if ((c & 0xc0) == 0x80 || len - start < need)
		s[start] = '\0';
}

static int
declare_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Tab on the path field: complete the name after the last '/' from the
 * directory's entries (as far as they agree; a directory gets its '/'), and
 * on a second Tab that added nothing list the candidates.
 */
static void
declare_complete(struct declare *d)
{
	const char *value = ui_form_value(&d->form, DECL_PATH);
	const char *slash = strrchr(value, '/');
	char *dirpart = slash != NULL ? xstrndup(value, (size_t)(slash - value + 1)) : xstrdup("");
	const char *prefix = slash != NULL ? slash + 1 : value;
	char *dir = app_expand_home(*dirpart != '\0' ? dirpart : "./"), *common = NULL, *full;
	char *names[DECL_CANDIDATES], *list;
	size_t n = 0, plen = strlen(prefix), total = 0;
	struct dirent *de;
	struct stat st;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL) {
		declare_say(d, _("No such directory."), true);
		goto out;
	}
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_name[0] == '.' && prefix[0] != '.')
			continue;
		if (strncmp(de->d_name, prefix, plen) != 0)
			continue;
		total++;
		if (common == NULL) {
			common = xstrdup(de->d_name);
		} else {
			size_t k = 0;

			while (common[k] != '\0' && common[k] == de->d_name[k])
				k++;
			common[k] = '\0';
		}
		if (n < DECL_CANDIDATES)
			names[n++] = xstrdup(de->d_name);
	}
	closedir(dp);
	if (total == 0) {
		declare_say(d, _("No file matches."), true);
		goto out;
	}
	declare_utf8_trim(common);
	if (total == 1) {
		full = xasprintf("%s%s", dir, common);
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			char *c = xasprintf("%s/", common);

			free(common);
			common = c;
		}
		free(full);
	}
	if (strlen(common) > plen) {
		char *v = xasprintf("%s%s", dirpart, common);

		ui_form_set(&d->form, DECL_PATH, v);
		free(v);
		/* Completed as far as the names agree: the next Tab lists them. */
		d->tabs = total > 1 ? 1 : 0;
		declare_say(d, "", false);
		goto out;
	}
	if (total == 1 || d->tabs < 1) {
		d->tabs++;
		goto out;
	}
	qsort(names, n, sizeof names[0], declare_compare);
	list = xstrdup(_("Candidates:"));
	for (size_t i = 0; i < n; i++) {
		char *l = xasprintf("%s  %s", list, names[i]);

		free(list);
		list = l;
	}
	if (total > n) {
		char *l = xasprintf("%s  …", list);

		free(list);
		list = l;
	}
	declare_say(d, list, false);
	free(list);
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(common);
	free(dir);
	free(dirpart);
}

/* ---- the inbox (served: the user's disk is out of reach) -------------------------- */

/* The inbox's scp command and the files that arrived; attach one chosen. */
static void
declare_inbox(struct declare *d)
{
	struct rpc_error err;
	json_t *r;
	char said[512], *name;

	ui_form_set_error(&d->form, DECL_INBOX, NULL);
	name = app_inbox_pick(d->app, _("1-5: attach that file  r: refresh  Esc: close"), said,
	    sizeof said);
	if (name == NULL) {
		if (said[0] != '\0')
			declare_say(d, said, true);
		return;
	}
	r = app_call(d->app, "inbox.attach", json_pack("{s:s}", "name", name), &err);
	if (r == NULL) {
		if (strcmp(err.reason, "attachment_unavailable") == 0)
			ui_message(_("Inbox"), _("The server cannot yet take an attachment "
			    "from the inbox. Save the declaration as a draft and add the "
			    "attachment later from the jxjy client on your own computer."));
		else
			ui_message(_("Inbox"), err.message);
		ui_form_set_error(&d->form, DECL_INBOX, err.message);
		free(name);
		return;
	}
	free(d->token);
	d->token = xstrdup(app_json_str(r, "attachment_token"));
	free(d->token_path);
	d->token_path = name;
	declare_set_attachment(d, app_json_str(r, "name"),
	    json_integer_value(json_object_get(r, "size")));
	json_decref(r);
}

/* ---- saving ---------------------------------------------------------------------- */

/* Save (or submit) the form.  Returns true when the server took it. */
static bool
declare_store(struct declare *d, bool submit)
{
	struct rpc_error err;
	const char *path = ui_form_value(&d->form, DECL_PATH);
	json_t *params, *result;
	char *amount;

	ui_form_clear_errors(&d->form);
	declare_say(d, "", false);
	if (!d->served && *path != '\0' &&
	    (d->token == NULL || strcmp(path, d->token_path) != 0)) {
		if (declare_upload(d, path) != 0) {
			ui_form_focus(&d->form, DECL_PATH);
			return false;
		}
	}
	amount = xstrdup(ui_form_value(&d->form, DECL_AMOUNT));
	params = json_pack("{s:s, s:i, s:s, s:o}", "form", app_json_str(d->definition, "code"),
	    "year", declare_year(d), "amount", amount, "fields", declare_fields(d));
	free(amount);
	if (d->id != 0) {
		json_object_set_new(params, "id", json_integer(d->id));
		json_object_set_new(params, "version", json_integer(d->version));
	}
	if (d->token != NULL)
		json_object_set_new(params, "attachment_token", json_string(d->token));
	result = app_call(d->app, submit ? "declaration.submit" : "declaration.save", params,
	    &err);
	if (result == NULL) {
		declare_refused(d, &err);
		return false;
	}
	d->id = json_integer_value(json_object_get(result, "id"));
	d->version = json_integer_value(json_object_get(result, "version"));
	/* The upload is the declaration's now: a token serves once. */
	free(d->token);
	d->token = NULL;
	json_decref(result);
	declare_mark_saved(d);
	declare_say(d, submit ? _("Submitted: waiting for the unit administrator's review.") :
	    _("Saved as a draft. Submit it when it is complete."), false);
	return true;
}

/* ---- choosing the form ---------------------------------------------------------- */

static int
declare_fetch_forms(struct ui_picker *p, const char *filter, const char *after)
{
	struct declare *d = p->arg;
	json_t *f;
	size_t i;

	(void)filter;
	(void)after;
	json_array_foreach(json_object_get(d->catalog, "forms"), i, f) {
		char *detail = xasprintf("%s · %s", app_json_str(f, "category_label"),
		    app_json_str(f, "counts_label"));

		ui_picker_add(p, app_json_str(f, "code"), app_json_str(f, "name"), detail);
		free(detail);
	}
	ui_picker_set_next(p, NULL);
	return 0;
}

/* Pick a learning form; returns its definition (the catalog's) or NULL for Esc. */
static json_t *
declare_pick_form(struct declare *d)
{
	struct ui_picker pk;
	json_t *chosen = NULL;
	long i;

	ui_picker_init(&pk, _("Learning form"), declare_fetch_forms, d, false);
	if ((i = ui_picker_run(&pk, NULL)) >= 0)
		chosen = declare_catalog_form(d, pk.items[i].key);
	ui_picker_free(&pk);
	return chosen;
}

struct declare_choices {
	json_t	*choices;
};

static int
declare_fetch_choices(struct ui_picker *p, const char *filter, const char *after)
{
	struct declare_choices *c = p->arg;
	json_t *v;
	size_t i;

	(void)filter;
	(void)after;
	json_array_foreach(c->choices, i, v) {
		if (json_is_string(v))
			ui_picker_add(p, json_string_value(v), json_string_value(v), NULL);
	}
	ui_picker_set_next(p, NULL);
	return 0;
}

/* A choice field of the learning form: its options in a picker. */
static void
declare_pick_choice(struct declare *d, int id)
{
	json_t *def = json_array_get(json_object_get(d->definition, "fields"),
	    (size_t)(id - DECL_FIELD0) / 2);
	struct declare_choices c = { json_object_get(def, "choices") };
	struct ui_picker pk;
	long i;

	d->form.typed = 0;
	ui_picker_init(&pk, app_json_str(def, "label"), declare_fetch_choices, &c, false);
	if ((i = ui_picker_run(&pk, NULL)) >= 0) {
		ui_form_choose(&d->form, id, pk.items[i].label);
	}
	ui_picker_free(&pk);
}

/* ---- the screen ---------------------------------------------------------------- */

/* forms.list into d->catalog and the year options.  Returns 0, or -1 (said). */
static int
declare_load_catalog(struct declare *d, int extra_year)
{
	struct rpc_error err;
	json_t *y;
	size_t i;
	bool have = extra_year == 0;

	if ((d->catalog = app_call(d->app, "forms.list", NULL, &err)) == NULL) {
		if (!d->app->restart)
			ui_message(_("Declaration"), err.message);
		return -1;
	}
	json_array_foreach(json_object_get(d->catalog, "years"), i, y) {
		d->years = xrealloc(d->years, (d->nyears + 2) * sizeof *d->years);
		d->years[d->nyears++] = xasprintf("%lld", (long long)json_integer_value(y));
		if (json_integer_value(y) == extra_year)
			have = true;
	}
	/* A draft's year the server no longer offers: shown, so the server can say so. */
	if (!have) {
		d->years = xrealloc(d->years, (d->nyears + 1) * sizeof *d->years);
		d->years[d->nyears++] = xasprintf("%d", extra_year);
	}
	d->served = d->app->connect == NULL;
	return 0;
}

static void
declare_free(struct declare *d)
{
	ui_form_free(&d->form);
	for (size_t i = 0; i < d->nyears; i++)
		free(d->years[i]);
	free(d->years);
	for (size_t i = 0; i < d->nlabels; i++)
		free(d->labels[i]);
	free(d->labels);
	json_decref(d->definition);
	json_decref(d->catalog);
	free(d->attachment);
	free(d->token);
	free(d->token_path);
	free(d->saved);
	free(d->person);
}

/* Change the learning form: the common values (year, amount) stay. */
static void
declare_change_form(struct declare *d)
{
	json_t *chosen = declare_pick_form(d);
	char *amount;
	int year;

	if (chosen == NULL || chosen == d->definition)
		return;
	amount = xstrdup(ui_form_value(&d->form, DECL_AMOUNT));
	year = declare_year(d);
	json_decref(d->definition);
	d->definition = json_incref(chosen);
	declare_build(d, NULL, year, amount);
	free(amount);
	/* The person's own choice: leaving now asks first. */
	ui_form_choose(&d->form, DECL_FORM, app_json_str(d->definition, "name"));
}

/* The form's event loop.  Returns 0 when the user leaves, -1 to quit. */
static int
declare_loop(struct declare *d)
{
	struct ui_event ev;
	enum ui_form_result res;
	int id;

	ui_set_backdrop(declare_paint, d);
	ui_help_set(declare_keys);
	for (;;) {
		ui_repaint();
		ui_next_event(&ev);
		/* A signal or a session's end cannot wait for an answer: the input is kept. */
		if (ev.type == UI_EV_QUIT || d->app->restart) {
			declare_keep(d);
			return -1;
		}
		if (ui_is_quit_key(&ev)) {
			if (declare_may_leave(d, true))
				return -1;
			continue;
		}
		if (ev.type == UI_EV_KEY && ev.key == UI_KEY_ESC) {
			if (declare_may_leave(d, false))
				return 0;
			continue;
		}
		if (ui_form_focus_id(&d->form) == DECL_PATH && ev.type == UI_EV_KEY &&
		    ev.key == UI_KEY_TAB && *ui_form_value(&d->form, DECL_PATH) != '\0') {
			declare_complete(d);
			continue;
		}
		d->tabs = 0;
		res = ui_form_key(&d->form, &ev, &id);
		if (res != UI_FORM_ACTIVATED)
			continue;
		switch (id) {
		case DECL_BACK:
			if (declare_may_leave(d, false))
				return 0;
			break;
		case DECL_SUBMIT:
			if (declare_store(d, true)) {
				ui_message(_("Declaration"), d->message);
				return d->app->restart ? -1 : 0;
			}
			break;
		case DECL_SAVE:
			declare_store(d, false);
			break;
		case DECL_FORM:
			d->form.typed = 0;
			declare_change_form(d);
			break;
		case DECL_INBOX:
			declare_inbox(d);
			break;
		default:
			if (id >= DECL_FIELD0)
				declare_pick_choice(d, id);
			break;
		}
		if (d->app->restart) {
			declare_keep(d);
			return -1;
		}
	}
}

/*
 * The input kept when this person's last session ended under the form:
 * offered back, and on yes built into d as it was (still unsaved).
 * Returns true when d holds it.
 */
static bool
declare_restore(struct declare *d)
{
	json_t *in = declare_kept.input, *form;
	bool restored = false;
	char *amount;

	if (in == NULL || declare_kept.person == NULL || strcmp(declare_kept.person, d->person) != 0)
		return false;
	form = declare_catalog_form(d, app_json_str(in, "code"));
	if (form != NULL && ui_confirm(_("Declaration"), _("The declaration you were filling "
	    "in when your session ended was kept. Continue with it?"))) {
		d->definition = json_incref(form);
		d->id = json_integer_value(json_object_get(in, "id"));
		d->version = json_integer_value(json_object_get(in, "version"));
		declare_build(d, NULL, 0, "");
		declare_mark_saved(d);
		amount = xstrdup(app_json_str(in, "amount"));
		declare_build(d, json_object_get(in, "fields"),
		    (int)json_integer_value(json_object_get(in, "year")), amount);
		free(amount);
		/* Still the person's unsaved input: leaving asks again. */
		ui_form_choose(&d->form, DECL_FORM, app_json_str(d->definition, "name"));
		restored = true;
	}
	declare_kept_clear();
	return restored;
}

enum screen_id
screen_declare_run(struct app *a)
{
	struct declare d = { .app = a };
	json_t *chosen;
	int rc = 0;

	ui_form_init(&d.form);
	if (sodium_init() < 0 || declare_load_catalog(&d, 0) != 0) {
		declare_free(&d);
		return a->restart ? SCREEN_QUIT : SCREEN_HOME;
	}
	if (json_array_size(json_object_get(d.catalog, "forms")) == 0) {
		ui_message(_("Declaration"), _("No learning form is offered at the moment."));
		declare_free(&d);
		return SCREEN_HOME;
	}
	d.person = xstrdup(app_me_string(a, "id_number"));
	if (declare_restore(&d)) {
		rc = declare_loop(&d);
	} else if ((chosen = declare_pick_form(&d)) != NULL) {
		d.definition = json_incref(chosen);
		declare_build(&d, NULL, 0, "");
		declare_mark_saved(&d);
		rc = declare_loop(&d);
	}
	ui_set_backdrop(NULL, NULL);
	declare_free(&d);
	return rc != 0 || a->restart ? SCREEN_QUIT : SCREEN_HOME;
}

int
declare_edit_run(struct app *a, json_t *detail)
{
	struct declare d = { .app = a };
	json_t *form = json_object_get(detail, "form"), *att = json_object_get(detail, "attachment");
	int rc;

	ui_form_init(&d.form);
	if (sodium_init() < 0 ||
	    declare_load_catalog(&d, (int)json_integer_value(json_object_get(detail, "year"))) != 0) {
		declare_free(&d);
		return a->restart ? -1 : 0;
	}
	/* The definition the draft was made with; its counts as the record says. */
	d.definition = json_deep_copy(json_object_get(form, "definition"));
	if (!json_is_object(d.definition))
		d.definition = json_object();
	json_object_set_new(d.definition, "code", json_string(app_json_str(form, "code")));
	if (*app_json_str(detail, "counts") != '\0')
		json_object_set_new(d.definition, "counts",
		    json_string(app_json_str(detail, "counts")));
	d.id = json_integer_value(json_object_get(detail, "id"));
	d.version = json_integer_value(json_object_get(detail, "version"));
	d.person = xstrdup(app_me_string(a, "id_number"));
	if (json_is_object(att))
		declare_set_attachment(&d, app_json_str(att, "name"),
		    json_integer_value(json_object_get(att, "size")));
	declare_build(&d, json_object_get(detail, "fields"),
	    (int)json_integer_value(json_object_get(detail, "year")),
	    app_json_str(detail, "amount"));
	declare_mark_saved(&d);
	rc = declare_loop(&d);
	ui_set_backdrop(NULL, NULL);
	declare_free(&d);
	return rc != 0 || a->restart ? -1 : 0;
}

/* ---- downloading an attachment ------------------------------------------------- */

int
declare_download(struct app *a, json_t *attachment)
{
	return declare_download_from(a, attachment, "attachment.get", json_pack("{s:I}",
	    "attachment_id", json_integer_value(json_object_get(attachment, "id"))));
}

int
declare_download_from(struct app *a, json_t *attachment, const char *method, json_t *params)
{
	struct rpc_error err;
	json_int_t offset = 0;
	const char *name = app_json_str(attachment, "name");
	char *full, *text;
	crypto_hash_sha256_state hash;
	unsigned char digest[crypto_hash_sha256_BYTES], *buf = NULL;
	char hex[65], sz[32];
	size_t bufsize = 0, got;
	bool eof = false;
	int fd = -1, rc = -1;

	if (a->connect == NULL) {
		ui_message(_("Download"), _("This terminal is served by the server itself, so "
		    "it cannot save a file on your computer. Use the jxjy client on your own "
		    "computer to download the attachment."));
		json_decref(params);
		return 0;
	}
	text = xasprintf(_("Save %s to a file on this computer (empty: %s in the current "
	    "directory)."), name, name);
	fd = app_save_file(_("Download"), text, name, &full);
	free(text);
	if (fd < 0) {
		json_decref(params);
		return fd == -1 ? 0 : -1;
	}
	crypto_hash_sha256_init(&hash);
	while (!eof) {
		json_t *call_params = json_deep_copy(params), *r;
		const char *data;
		size_t dlen;

		json_object_set_new(call_params, "offset", json_integer(offset));
		r = app_call(a, method, call_params, &err);
		if (r == NULL) {
			if (!a->restart)
				ui_message(_("Download"), err.message);
			goto out;
		}
		data = app_json_str(r, "data");
		dlen = strlen(data);
		if (dlen / 4 * 3 + 3 > bufsize) {
			bufsize = dlen / 4 * 3 + 3;
			buf = xrealloc(buf, bufsize);
		}
		if (sodium_base642bin(buf, bufsize, data, dlen, NULL, &got, NULL,
		    sodium_base64_VARIANT_ORIGINAL) != 0 || write(fd, buf, got) != (ssize_t)got) {
			json_decref(r);
			ui_message(_("Download"), _("The download failed."));
			goto out;
		}
		crypto_hash_sha256_update(&hash, buf, got);
		offset += (json_int_t)got;
		eof = json_is_true(json_object_get(r, "eof")) || got == 0;
		json_decref(r);
	}
	crypto_hash_sha256_final(&hash, digest);
	sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
	if (close(fd) != 0) {
		fd = -1;
		ui_message(_("Download"), _("The download failed."));
		goto out;
	}
	fd = -1;
	if (strcasecmp(hex, app_json_str(attachment, "sha256")) != 0) {
		ui_message(_("Download"), _("The file saved does not match the attachment's "
		    "checksum."));
		goto out;
	}
	text = xasprintf(_("Saved %s (%s)."), full, format_size((long long)offset, sz,
	    sizeof sz));
	ui_message(_("Download"), text);
	free(text);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	json_decref(params);
	free(buf);
	free(full);
	return rc;
}
