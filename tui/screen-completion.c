/*
 * screen-completion.c - 年度完成情况: a staff member's approved hours per
 * year (completion.mine), 公需 and 专业 apart, against the year's
 * requirement, with 达标 / 未达标 and a bar; pending hours (待审核) beside
 * them, never counted.
 *
 * Enter opens 继续历程明细 of the year (completion.year): each learning
 * form's hours with its yearly cap, then the records behind the figures
 * (approved ones first, pending ones flagged); Enter on a record shows it
 * in full (declaration.get, as 申报进度查询 shows it).
 *
 * p (打印学时证明) has the server issue the certificate of the year shown,
 * or of a range of years, as a PDF (certificate.pdf); the jxjy client saves
 * it to a local file (download.get), and the TUI served over SSH, which has
 * no disk of the user's, shows the scp command that fetches it through the
 * session's inbox.
 *
 * Every figure is the server's decimal text; the client only lays it out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>
#include <sodium.h>

#include "app.h"
#include "format.h"
#include "keys.h"
#include "text.h"
#include "xmalloc.h"

/* Columns of the year list: 年度, 公需, 专业, 合计, 要求, 待审核, 状态; the bar takes the rest. */
#define COMPL_NCOLS	7
#define COMPL_GAP	2
#define COMPL_BAR_MIN	12

/* The least width of each column; each grows to its widest heading or cell. */
static const int compl_widths[COMPL_NCOLS] = { 4, 4, 4, 4, 4, 4, 4 };

struct compl {
	struct app	*app;
	json_t		*mine;		/* completion.mine's result, or NULL */
	size_t		 cur, top;
	int		 rows;
	char		 message[512];
	bool		 message_error;
};

/* 继续历程明细 of one year. */
struct compl_detail {
	struct app	*app;
	json_t		*year;		/* completion.year's result */
	size_t		 cur, top;
	int		 rows;
	char		 message[512];
	bool		 message_error;
};

/* s drawn right-aligned in cols columns at y, x (cut when wider). */
static void
compl_put_right(int y, int x, int cols, const char *s, enum ui_style st)
{
	int w = text_width(s);

	if (w < cols)
		x += cols - w;
	ui_put(y, x, cols, s, st, false);
}

/*
 * A bar of exactly cols columns for progress (0 to 1) followed by the
 * percentage: "█████░░░░░  73%", or "[####------]  73%" where the block
 * characters would not take one column each.  Caller frees.
 */
static char *
compl_bar(double progress, int cols)
{
	bool blocks = text_width("█") == 1 && text_width("░") == 1;
	int inner, filled, pct;
	char *bar, *p;

	/* Not floor(): progress is never negative here, and jxjy does without libm. */
	if (!(progress >= 0))
		progress = 0;
	if (progress > 1)
		progress = 1;
	pct = (int)(progress * 100 + 1e-9);
	inner = cols - 5 - (blocks ? 0 : 2);
	if (inner < 1)
		return xasprintf("%3d%%", pct);
	filled = (int)(progress * inner + 1e-9);
	/* Three bytes a block character, one an ASCII one, the brackets and " 100%". */
	bar = p = xmalloc((size_t)inner * 3 + 16);
	if (!blocks)
		*p++ = '[';
	for (int i = 0; i < inner; i++) {
		const char *c = i < filled ? (blocks ? "█" : "#") : (blocks ? "░" : "-");
		size_t n = strlen(c);

		memcpy(p, c, n);
		p += n;
	}
	if (!blocks)
		*p++ = ']';
	snprintf(p, 16, " %3d%%", pct);
	return bar;
}

/* "90（专业 60，公需 24）" of a requirement object.  Caller frees. */
static char *
compl_requirement(json_t *req)
{
	return xasprintf(_("%s (professional %s, public %s)"), app_json_str(req, "total"),
	    app_json_str(req, "professional"), app_json_str(req, "public"));
}

#define compl_say app_say

/* ---- the years ------------------------------------------------------------------- */

static void
compl_load(struct compl *c)
{
	struct rpc_error err;
	json_t *result;

	if ((result = app_call(c->app, "completion.mine", NULL, &err)) == NULL) {
		compl_say(c->message, sizeof c->message, &c->message_error, err.message, true);
		return;
	}
	json_decref(c->mine);
	c->mine = result;
	if (c->cur >= json_array_size(json_object_get(result, "years")))
		c->cur = 0;
}

/* w grown to the width of s. */
static int
compl_grow(int w, const char *s)
{
	return text_width(s) > w ? text_width(s) : w;
}

/* The cells of year y in the columns of the table (the year in buf). */
static void
compl_cells(json_t *y, const char **cells, char *buf, size_t size)
{
	snprintf(buf, size, "%lld", (long long)json_integer_value(json_object_get(y, "year")));
	cells[0] = buf;
	cells[1] = app_json_str(y, "public");
	cells[2] = app_json_str(y, "professional");
	cells[3] = app_json_str(y, "total");
	cells[4] = app_json_str(json_object_get(y, "requirement"), "total");
	cells[5] = app_json_str(y, "pending");
	cells[6] = app_json_str(y, "met_label");
}

/*
 * The width and x of each column, as wide as its heading or widest cell in
 * this language, and the x of the bar after them.
 */
static int
compl_columns(json_t *years, const char *const *titles, int *ws, int *xs)
{
	const char *cells[COMPL_NCOLS];
	char year[16];
	json_t *y;
	size_t i;
	int x = 1;

	for (int c = 0; c < COMPL_NCOLS; c++)
		ws[c] = compl_grow(compl_widths[c], titles[c]);
	json_array_foreach(years, i, y) {
		compl_cells(y, cells, year, sizeof year);
		for (int c = 0; c < COMPL_NCOLS; c++)
			ws[c] = compl_grow(ws[c], cells[c]);
	}
	for (int c = 0; c < COMPL_NCOLS; c++) {
		xs[c] = x;
		x += ws[c] + COMPL_GAP;
	}
	return x;
}


static void
compl_paint(void *arg)
{
	struct compl *c = arg;
	json_t *years = json_object_get(c->mine, "years"), *y, *sel;
	const char *titles[COMPL_NCOLS] = {
		_("Calendar year"), _("Public"), _("Professional"), _("Total"), _("Required"),
		_("Pending review"), _("State"),
	};
	int ws[COMPL_NCOLS], xs[COMPL_NCOLS], bx = compl_columns(years, titles, ws, xs);
	int bw = COLS - 1 - bx;
	char *info, *req, **lines;
	size_t n = json_array_size(years), nlines;

	ui_header(_("Continuing Education · Annual completion"));
	info = xasprintf(_("%s · only approved hours count; pending ones are shown apart"),
	    app_me_string(c->app, "name"));
	ui_put(1, 1, COLS - 2, info, UI_HINT, false);
	free(info);
	info = xasprintf("[ p: %s ]", _("Print certificate"));
	ui_put(2, 1, COLS - 2, info, UI_BUTTON, false);
	free(info);
	for (int i = 0; i < COMPL_NCOLS; i++) {
		if (i == 0 || i == COMPL_NCOLS - 1)
			ui_put(3, xs[i], ws[i], titles[i], UI_TITLE, false);
		else
			compl_put_right(3, xs[i], ws[i], titles[i], UI_TITLE);
	}
	if (bw >= COMPL_BAR_MIN)
		ui_put(3, bx, bw, _("Progress"), UI_TITLE, false);

	c->rows = LINES - 9;
	app_keep_in_view(c->cur, &c->top, &c->rows);
	for (int row = 0; row < c->rows && c->top + (size_t)row < n; row++) {
		size_t i = c->top + (size_t)row;
		enum ui_style st = i == c->cur ? UI_SELECTED : UI_NORMAL;
		const char *cells[COMPL_NCOLS];
		bool met;
		char year[16], *bar;
		int yy = 4 + row;

		y = json_array_get(years, i);
		met = json_is_true(json_object_get(y, "met"));
		if (st == UI_SELECTED)
			ui_fill(yy, 0, COLS, st);
		compl_cells(y, cells, year, sizeof year);
		ui_put(yy, xs[0], ws[0], cells[0], st, false);
		for (int k = 1; k < COMPL_NCOLS - 1; k++)
			compl_put_right(yy, xs[k], ws[k], cells[k], st);
		ui_put(yy, xs[6], ws[6], cells[6], st == UI_NORMAL && !met ? UI_ERROR : st, false);
		if (bw >= COMPL_BAR_MIN) {
			bar = compl_bar(json_number_value(json_object_get(y, "progress")), bw);
			ui_put(yy, bx, bw, bar, st, false);
			free(bar);
		}
	}
	if (n == 0 && c->mine != NULL)
		ui_put_center(4 + c->rows / 2, 0, COLS, _("No record yet."), UI_HINT);

	/* The selected year's requirement in full: the list shows only its total. */
	if ((sel = json_array_get(years, c->cur)) != NULL) {
		req = compl_requirement(json_object_get(sel, "requirement"));
		info = xasprintf(_("%lld requirement: %s hours. Met when the total and both "
		    "categories reach it."), (long long)json_integer_value(json_object_get(sel,
		    "year")), req);
		/* Two rows for it: it is read whole at 80 columns too. */
		nlines = ui_wrap(info, COLS - 2, &lines);
		for (size_t k = 0; k < nlines && k < 2; k++)
			ui_put(LINES - 4 + (int)k, 1, COLS - 2, lines[k], UI_HINT, false);
		ui_lines_free(lines, nlines);
		free(info);
		free(req);
	}
	ui_message_line(c->message, c->message_error);
	app_status(c->app, NULL);
}

/* A declaration changed (record.changed): the totals with it. */
static void
compl_changed(void *arg)
{
	struct compl *c = arg;

	compl_say(c->message, sizeof c->message, &c->message_error, c->app->change_message,
	    false);
	compl_load(c);
}

/* ---- 继续历程明细 --------------------------------------------------------------------- */

/* Rows of the forms table shown at most (the records get the rest). */
#define COMPL_FORM_ROWS	5


static void
compl_detail_paint(void *arg)
{
	struct compl_detail *d = arg;
	json_t *sum = json_object_get(d->year, "summary");
	json_t *forms = json_object_get(d->year, "forms");
	json_t *items = json_object_get(d->year, "items"), *f, *it;
	size_t nf = json_array_size(forms), ni = json_array_size(items), i;
	bool met = json_is_true(json_object_get(sum, "met"));
	int y, shown, cd, ch, cnote, ct, ctw, bw, wn[6], xn[6], wf, wd, wc, wh, wnote;
	int chours, ccat;
	char *line, *req, *bar, when[32];

	line = xasprintf(_("Continuing Education · Records of %lld"),
	    (long long)json_integer_value(json_object_get(d->year, "year")));
	ui_header(line);
	free(line);

	req = compl_requirement(json_object_get(sum, "requirement"));
	line = xasprintf(_("Public %s  Professional %s  Total %s  Required %s  Pending "
	    "review %s"), app_json_str(sum, "public"), app_json_str(sum, "professional"),
	    app_json_str(sum, "total"), req, app_json_str(sum, "pending"));
	ui_put(1, 1, COLS - 12, line, UI_NORMAL, false);
	ui_put(1, COLS - 10, 9, app_json_str(sum, "met_label"), met ? UI_TITLE : UI_ERROR, false);
	free(line);
	free(req);
	bw = COLS - 2 < 60 ? COLS - 2 : 60;
	bar = compl_bar(json_number_value(json_object_get(sum, "progress")), bw);
	ui_put(2, 1, bw, bar, UI_NORMAL, false);
	free(bar);

	/*
	 * The forms: what each brought, and where its yearly cap trimmed it.
	 * Headings whole, the numbers next, then the category and the name.
	 */
	{
		static const int order[6] = { 2, 3, 4, 5, 1, 0 };
		const char *heads[6] = { _("Learning form"), _("Category"), _("Approved"),
		    _("Counted"), _("Yearly cap"), _("Pending review") };
		int least[6], want[6];

		for (int c = 0; c < 6; c++)
			least[c] = want[c] = text_width(heads[c]);
		json_array_foreach(forms, i, f) {
			json_t *cap = json_object_get(f, "cap");

			want[0] = compl_grow(want[0], app_json_str(f, "name"));
			want[1] = compl_grow(want[1], app_json_str(f, "category_label"));
			want[2] = compl_grow(want[2], app_json_str(f, "approved"));
			want[3] = compl_grow(want[3], app_json_str(f, "counted"));
			want[4] = compl_grow(want[4], json_is_string(cap) ?
			    json_string_value(cap) : _("none"));
			want[5] = compl_grow(want[5], app_json_str(f, "pending"));
		}
		ui_columns_fit(6, least, want, order, -1, 2, COLS - 2, wn);
		xn[0] = 1;
		for (int c = 1; c < 6; c++)
			xn[c] = xn[c - 1] + wn[c - 1] + 2;
		for (int c = 0; c < 6; c++) {
			if (c <= 1)
				ui_put(3, xn[c], wn[c], heads[c], UI_TITLE, false);
			else
				compl_put_right(3, xn[c], wn[c], heads[c], UI_TITLE);
		}
	}
	shown = 0;
	json_array_foreach(forms, i, f) {
		json_t *cap = json_object_get(f, "cap");
		int end = xn[5] + wn[5] + 2;

		if (shown == COMPL_FORM_ROWS)
			break;
		y = 4 + shown++;
		ui_put(y, xn[0], wn[0], app_json_str(f, "name"), UI_NORMAL, false);
		ui_put(y, xn[1], wn[1], app_json_str(f, "category_label"), UI_NORMAL, false);
		compl_put_right(y, xn[2], wn[2], app_json_str(f, "approved"), UI_NORMAL);
		compl_put_right(y, xn[3], wn[3], app_json_str(f, "counted"), UI_NORMAL);
		compl_put_right(y, xn[4], wn[4], json_is_string(cap) ? json_string_value(cap) :
		    _("none"), UI_NORMAL);
		compl_put_right(y, xn[5], wn[5], app_json_str(f, "pending"), UI_NORMAL);
		if (json_is_true(json_object_get(f, "capped")) && end < COLS - 1)
			ui_put(y, end, COLS - 1 - end, _("cap reached: the excess does not count"),
			    UI_HINT, false);
	}
	if (nf > COMPL_FORM_ROWS) {
		line = xasprintf(_("… and %zu more learning forms"), nf - COMPL_FORM_ROWS);
		ui_put(4 + shown++, 1, COLS - 2, line, UI_HINT, false);
		free(line);
	}
	if (nf == 0)
		ui_put(4 + shown++, 1, COLS - 2, _("No approved or pending hours this year."),
		    UI_HINT, false);

	/*
	 * The records: headings whole; the time, hours and note next, then the
	 * category and the form's name; the title gets the rest.
	 */
	ct = 5 + shown;
	{
		static const int order[6] = { 0, 4, 5, 3, 1, 2 };
		const char *heads[6] = { _("Approved on"), _("Learning form"), _("Title"),
		    _("Category"), _("Hours"), _("Note") };
		int least[6], want[6], wr[6];

		for (int c = 0; c < 6; c++)
			least[c] = want[c] = text_width(heads[c]);
		want[0] = compl_grow(want[0], "2026-01-01 00:00");
		want[5] = compl_grow(compl_grow(want[5], _("not counted yet")), _("form capped"));
		json_array_foreach(items, i, it) {
			want[0] = compl_grow(want[0], app_json_str(it, "state_label"));
			want[1] = compl_grow(want[1], app_json_str(json_object_get(it, "form"), "name"));
			want[2] = compl_grow(want[2], app_json_str(it, "title"));
			want[3] = compl_grow(want[3], app_json_str(it, "category_label"));
			want[4] = compl_grow(want[4], app_json_str(it, "hours"));
		}
		/* The title is what a record is known by: 16 columns of it first. */
		if ((want[2] < 16 ? want[2] : 16) > least[2])
			least[2] = want[2] < 16 ? want[2] : 16;
		ui_columns_fit(6, least, want, order, 2, 2, COLS - 2, wr);
		wd = wr[0];
		wf = wr[1];
		ctw = wr[2];
		wc = wr[3];
		wh = wr[4];
		wnote = wr[5];
	}
	cd = 1;
	ch = cd + wd + 2;
	ccat = ch + wf + 2 + ctw + 2;
	chours = ccat + wc + 2;
	cnote = chours + wh + 2;
	ui_put(ct, cd, wd, _("Approved on"), UI_TITLE, false);
	ui_put(ct, ch, wf, _("Learning form"), UI_TITLE, false);
	ui_put(ct, ch + wf + 2, ctw, _("Title"), UI_TITLE, false);
	ui_put(ct, ccat, wc, _("Category"), UI_TITLE, false);
	compl_put_right(ct, chours, wh, _("Hours"), UI_TITLE);
	ui_put(ct, cnote, wnote, _("Note"), UI_TITLE, false);
	d->rows = LINES - 4 - (ct + 1);
	app_keep_in_view(d->cur, &d->top, &d->rows);
	for (int row = 0; row < d->rows && d->top + (size_t)row < ni; row++) {
		size_t k = d->top + (size_t)row;
		enum ui_style st = k == d->cur ? UI_SELECTED : UI_NORMAL;
		bool pending;

		it = json_array_get(items, k);
		pending = strcmp(app_json_str(it, "state"), "pending") == 0;
		y = ct + 1 + row;
		if (st == UI_SELECTED)
			ui_fill(y, 0, COLS, st);
		if (pending)
			ui_put(y, cd, wd, app_json_str(it, "state_label"), st == UI_NORMAL ? UI_HINT :
			    st, false);
		else
			ui_put(y, cd, wd, app_format_time(app_json_str(it, "approved_at"), when,
			    sizeof when), st, false);
		ui_put(y, ch, wf, app_json_str(json_object_get(it, "form"), "name"), st, false);
		ui_put(y, ch + wf + 2, ctw, app_json_str(it, "title"), st, false);
		ui_put(y, ccat, wc, app_json_str(it, "category_label"), st, false);
		compl_put_right(y, chours, wh, app_json_str(it, "hours"), st);
		if (pending)
			ui_put(y, cnote, wnote, _("not counted yet"), st == UI_NORMAL ? UI_HINT : st,
			    false);
		else if (json_is_true(json_object_get(it, "capped")))
			ui_put(y, cnote, wnote, _("form capped"), st == UI_NORMAL ? UI_HINT : st,
			    false);
	}
	app_list_foot(ni, ct + 1 + d->rows / 2, _("No record this year."),
	    xasprintf(_("%zu records%s"), ni, json_is_true(json_object_get(d->year,
	    "truncated")) ? _("; only the first ones are listed") : ""));
	ui_message_line(d->message, d->message_error);
	app_status(d->app, NULL);
}

/* Enter on a record: declaration.get in full, in a pager.  Returns -1 to quit. */
static int
compl_detail_open(struct compl_detail *d)
{
	json_t *it = json_array_get(json_object_get(d->year, "items"), d->cur), *r;
	struct rpc_error err;
	char *text;
	int rc = 0;

	if (it == NULL)
		return 0;
	r = app_call(d->app, "declaration.get", json_pack("{s:I}", "id",
	    json_integer_value(json_object_get(it, "id"))), &err);
	if (r == NULL) {
		compl_say(d->message, sizeof d->message, &d->message_error, err.message, true);
		return 0;
	}
	text = progress_detail_text(r);
	if (ui_pager(app_json_str(json_object_get(r, "form"), "name"), text, NULL, NULL) < 0)
		rc = -1;
	free(text);
	json_decref(r);
	return rc;
}

/*
 * 继续历程明细 of year, until Esc.  Returns 0, or -1 to quit; the caller
 * sets its backdrop again.
 */
static int
compl_detail_run(struct app *a, json_int_t year, char *msg, size_t msgsize, bool *msgerr)
{
	struct compl_detail d = { .app = a };
	struct rpc_error err;
	struct ui_event ev;
	unsigned seen = a->changes;
	size_t ni;
	int rc = 0;

	d.year = app_call(a, "completion.year", json_pack("{s:I}", "year", year), &err);
	if (d.year == NULL) {
		compl_say(msg, msgsize, msgerr, err.message, true);
		return a->restart ? -1 : 0;
	}
	ui_set_backdrop(compl_detail_paint, &d);
	ui_help_set(compl_detail_keys);
	for (;;) {
		/* A declaration changed (record.changed): read the year again. */
		if (app_changed(a, &seen)) {
			json_t *again = app_call(a, "completion.year", json_pack("{s:I}", "year",
			    year), &err);

			if (again != NULL) {
				size_t n = json_array_size(json_object_get(again, "items"));

				json_decref(d.year);
				d.year = again;
				d.cur = d.cur < n ? d.cur : n > 0 ? n - 1 : 0;
			}
			compl_say(d.message, sizeof d.message, &d.message_error, again != NULL ?
			    a->change_message : err.message, again == NULL);
		}
		if (app_next_event(a, &ev)) {
			rc = -1;
			break;
		}
		ni = json_array_size(json_object_get(d.year, "items"));
		if (app_list_key(&ev, &d.cur, ni, d.rows))
			continue;
		if ((ev.type == UI_EV_CHAR && ev.ch == 'q') ||
		    (ev.type == UI_EV_KEY && ev.key == UI_KEY_ESC))
			break;
		if (ev.type == UI_EV_KEY && ev.key == UI_KEY_ENTER) {
			compl_say(d.message, sizeof d.message, &d.message_error, "", false);
			if (compl_detail_open(&d) < 0 || a->restart) {
				rc = -1;
				break;
			}
		}
	}
	ui_set_backdrop(NULL, NULL);
	json_decref(d.year);
	return rc;
}

/* ---- 打印学时证明 ---------------------------------------------------------------------- */

/*
 * The years typed: "" (shown, the year of the list), "2025" or
 * "2021-2025".  Only the shape is checked here; which years a certificate
 * may state is the server's rule.
 */
static bool
compl_parse_years(const char *typed, int shown, int *from, int *to)
{
	int n = 0;

	if (*typed == '\0') {
		*from = *to = shown;
		return true;
	}
	if (strlen(typed) == 4 && strspn(typed, "0123456789") == 4 &&
	    sscanf(typed, "%4d%n", from, &n) == 1 && n == 4) {
		*to = *from;
		return true;
	}
	return strlen(typed) == 9 && typed[4] == '-' && strspn(typed, "0123456789") == 4 &&
	    strspn(typed + 5, "0123456789") == 4 && sscanf(typed, "%4d-%4d%n", from, to, &n) == 2 &&
	    n == 9;
}

/*
 * Write file name of the session's downloads (download.get, slice by
 * slice) to fd.  Returns the bytes written, or -1 after saying why.
 */
static long long
compl_fetch(struct app *a, const char *name, int fd, const char *full)
{
	struct rpc_error err;
	unsigned char *buf = NULL;
	size_t bufsize = 0, got, dlen;
	long long offset = 0;
	char *text;
	bool eof = false;

	while (!eof) {
		json_t *r = app_call(a, "download.get", json_pack("{s:s, s:I}", "name", name,
		    "offset", (json_int_t)offset), &err);
		const char *data;

		if (r == NULL) {
			if (!a->restart)
				ui_message(_("Print certificate"), err.message);
			offset = -1;
			break;
		}
		data = app_json_str(r, "data");
		dlen = strlen(data);
		if (dlen / 4 * 3 + 3 > bufsize)
			buf = xrealloc(buf, bufsize = dlen / 4 * 3 + 3);
		if (sodium_base642bin(buf, bufsize, data, dlen, NULL, &got, NULL,
		    sodium_base64_VARIANT_ORIGINAL) != 0 || !app_write_all(fd, (char *)buf, got)) {
			text = xasprintf(_("cannot write %s: %s"), full, strerror(errno));
			ui_message(_("Print certificate"), text);
			free(text);
			json_decref(r);
			offset = -1;
			break;
		}
		offset += (long long)got;
		eof = json_is_true(json_object_get(r, "eof")) || got == 0;
		json_decref(r);
	}
	free(buf);
	return offset;
}

/* The jxjy client: save the certificate (certificate.pdf's reply) to a local file. */
static void
compl_print_save(struct compl *c, json_t *made)
{
	const char *name = app_json_str(made, "name");
	char *text, *full = NULL, sz[32];
	long long size;
	int fd;

	text = xasprintf(_("Save the certificate to a file on this computer (empty: %s in the "
	    "current directory)."), name);
	fd = app_save_file(_("Print certificate"), text, name, &full);
	free(text);
	if (fd < 0)
		return;
	size = compl_fetch(c->app, name, fd, full);
	if (close(fd) != 0 && size >= 0) {
		text = xasprintf(_("cannot write %s: %s"), full, strerror(errno));
		ui_message(_("Print certificate"), text);
		free(text);
		size = -1;
	}
	if (size < 0) {
		unlink(full);	/* no half a certificate left behind */
	} else {
		text = xasprintf(_("Saved %s (%s). Verification code: %s."), full,
		    format_size(size, sz, sizeof sz), app_json_str(made, "code"));
		compl_say(c->message, sizeof c->message, &c->message_error, text, false);
		ui_message(_("Print certificate"), text);
		free(text);
	}
	free(full);
}

/*
 * The served TUI: the certificate waits on the server; show the commands
 * that fetch it through the session's inbox, until the person closes them.
 */
static void
compl_print_served(struct compl *c, json_t *made)
{
	const char *name = app_json_str(made, "name");
	struct rpc_error err;
	json_t *open;
	char *scp, *sftp, *text, sz[32];

	if ((open = app_call(c->app, "inbox.open", NULL, &err)) == NULL) {
		compl_say(c->message, sizeof c->message, &c->message_error, err.message, true);
		return;
	}
	scp = xasprintf("scp -P %lld %s@%s:%s .", (long long)json_integer_value(
	    json_object_get(open, "port")), app_json_str(open, "token"),
	    app_json_str(open, "host"), name);
	sftp = xasprintf("sftp -P %lld %s@%s:%s", (long long)json_integer_value(
	    json_object_get(open, "port")), app_json_str(open, "token"),
	    app_json_str(open, "host"), name);
	text = xasprintf(_("The certificate %s (%s, verification code %s) is ready on the "
	    "server. In another terminal on your own computer, run:\n\n  %s\n\nor\n\n  %s\n\n"
	    "It can be fetched until this session ends."), name,
	    format_size(json_integer_value(json_object_get(made, "size")), sz, sizeof sz),
	    app_json_str(made, "code"), scp, sftp);
	/* The pager's box is wider than a message's: each command stays on one line. */
	ui_pager(_("Print certificate"), text, NULL, NULL);
	free(text);
	free(sftp);
	free(scp);
	json_decref(open);
}

/* p: ask which years, have the certificate made, then save it or say how to fetch it. */
static void
compl_print(struct compl *c)
{
	json_t *sel = json_array_get(json_object_get(c->mine, "years"), c->cur), *made;
	struct rpc_error err;
	char *text, *answer;
	int shown, from, to;

	/* No year listed is no record: nothing a certificate could state. */
	if (sel == NULL) {
		compl_say(c->message, sizeof c->message, &c->message_error, _("No record yet."),
		    true);
		return;
	}
	shown = (int)json_integer_value(json_object_get(sel, "year"));

	text = xasprintf(_("Which years should the certificate state? Empty: %d. A range such "
	    "as %d-%d states up to 5 years."), shown, shown - 2, shown);
	answer = ui_prompt(_("Print certificate"), text, _("Years"), 9);
	free(text);
	if (answer == NULL)
		return;
	if (!compl_parse_years(answer, shown, &from, &to)) {
		compl_say(c->message, sizeof c->message, &c->message_error,
		    _("Years are a year such as 2025 or a range such as 2023-2025."), true);
		free(answer);
		return;
	}
	free(answer);
	made = app_call(c->app, "certificate.pdf", json_pack("{s:i, s:i}", "from_year", from,
	    "to_year", to), &err);
	if (made == NULL) {
		if (!c->app->restart)
			compl_say(c->message, sizeof c->message, &c->message_error, err.message,
			    true);
		return;
	}
	compl_say(c->message, sizeof c->message, &c->message_error, "", false);
	if (c->app->connect == NULL)
		compl_print_served(c, made);
	else
		compl_print_save(c, made);
	json_decref(made);
}

enum screen_id
screen_completion_run(struct app *a)
{
	struct compl c = { .app = a };
	struct ui_event ev;
	enum screen_id next = SCREEN_HOME;
	unsigned seen = a->changes;
	json_t *sel;
	size_t n;

	ui_set_backdrop(compl_paint, &c);
	ui_help_set(compl_keys);
	compl_load(&c);
	for (;;) {
		if (app_wait(a, &seen, compl_changed, &c, &ev)) {
			next = SCREEN_QUIT;
			break;
		}
		n = json_array_size(json_object_get(c.mine, "years"));
		if (app_list_key(&ev, &c.cur, n, 1))
			continue;
		if (ev.type == UI_EV_CHAR && ev.ch == 'q')
			break;
		if (ev.type == UI_EV_CHAR && (ev.ch == 'p' || ev.ch == 'P')) {
			compl_print(&c);
			if (a->restart) {
				next = SCREEN_QUIT;
				break;
			}
			continue;
		}
		if (ev.type != UI_EV_KEY)
			continue;
		if (ev.key == UI_KEY_ESC)
			break;
		switch (ev.key) {
		case KEY_F(5):
			compl_say(c.message, sizeof c.message, &c.message_error, "", false);
			compl_load(&c);
			break;
		case UI_KEY_ENTER:
			if ((sel = json_array_get(json_object_get(c.mine, "years"), c.cur)) == NULL)
				break;
			compl_say(c.message, sizeof c.message, &c.message_error, "", false);
			if (compl_detail_run(a, json_integer_value(json_object_get(sel, "year")),
			    c.message, sizeof c.message, &c.message_error) < 0) {
				next = SCREEN_QUIT;
				goto out;
			}
			ui_set_backdrop(compl_paint, &c);
			ui_help_set(compl_keys);
			/* A decision may have come meanwhile. */
			compl_load(&c);
			break;
		}
	}
out:
	ui_set_backdrop(NULL, NULL);
	json_decref(c.mine);
	return next;
}
