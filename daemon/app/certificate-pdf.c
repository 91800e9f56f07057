/*
 * certificate-pdf.c - the certificate's facts drawn on A4 with pango and
 * cairo, the QR code with libqrencode, and the payload read back from a PDF.
 *
 * The page is a flow from top to bottom: title, the person, each year's
 * figures, the records' table, then the issue block (date, issuer, code, QR
 * code, how to verify).  Every piece of text is a pango layout of a fixed
 * width that wraps (word, else character: Chinese has no spaces), so a
 * long name makes its row taller instead of running over the next cell.
 * Before a piece is drawn its height is known; one that does not fit below
 * the cursor starts a new page (the table repeats its header there).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <qrencode.h>
#include <zlib.h>

#include "certificate-pdf.h"
#include "xmalloc.h"

/* A4 in points; margins of about 18 mm. */
#define PAGE_WIDTH	595.276
#define PAGE_HEIGHT	841.890
#define MARGIN		50.0
#define CONTENT_WIDTH	(PAGE_WIDTH - 2 * MARGIN)
/* The page's foot line (code and page number) lives below this. */
#define CONTENT_BOTTOM	(PAGE_HEIGHT - MARGIN - 14.0)
#define CELL_PADDING	2.5
#define FONT_FAMILY	"Noto Sans CJK SC"
#define QR_SIZE		96.0
/*
 * The Keywords of a PDF of several people begin with this; base64 of the
 * zlib-deflated payloads, one a line, follows (certificate-pdf.h).
 */
#define PDF_PAYLOADS_Z	"jxjy-payloads-z:"
#define PDF_PAYLOADS_MAX (256u << 20)	/* bytes of payloads read back at most */

/* The records' table: column titles and widths (they add up to CONTENT_WIDTH). */
static const struct {
	const char	*title;
	double		 width;
} pdf_columns[] = {
	{ "年度", 36.0 },
	{ "名称", 165.0 },
	{ "学习形式", 64.0 },
	{ "日期", 92.0 },
	{ "学时", 38.0 },
	{ "来源", CONTENT_WIDTH - 36.0 - 165.0 - 64.0 - 92.0 - 38.0 },
};
#define PDF_NCOLUMNS	(sizeof pdf_columns / sizeof pdf_columns[0])

struct pdf_render {
	cairo_t		*cr;
	PangoContext	*pango;
	const char	*code;
	const char	*verify_at;	/* "-p 2222 host": between "ssh" and "verify" */
	double		 y;		/* where the next piece goes */
	int		 page;		/* 1-based, within one person's certificate */
};

/*
 * A PDF being made: one cairo surface whose bytes go to write as cairo
 * makes them (a page's content when the page is done; the fonts, the
 * outline and the document's information at the end), a person after
 * another, each from a new page.
 */
struct certificate_pdf_stream {
	cairo_surface_t		*surface;
	struct pdf_render	 r;
	certificate_pdf_write_fn write;
	void			*arg;
	/*
	 * The payloads so far: the first as it is; from the second on, all
	 * of them deflated as they come (one a line), so that what is kept
	 * for the Keywords is a fraction of their size.
	 */
	char			*first_payload;
	size_t			 payloads;
	z_stream		 z;
	struct certificate_pdf_buffer deflated;
	char			*first_code;
	size_t			 people;
	bool			 failed;
};

static cairo_status_t
pdf_stream_write(void *closure, const unsigned char *data, unsigned int length)
{
	struct certificate_pdf_stream *st = closure;

	if (st->failed || st->write(st->arg, (const char *)data, length) != 0) {
		st->failed = true;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	return CAIRO_STATUS_SUCCESS;
}

int
certificate_pdf_buffer_write(void *buffer, const char *data, size_t length)
{
	struct certificate_pdf_buffer *b = buffer;

	if (b->len + length > b->size) {
		b->size = (b->len + length) * 2;
		b->data = xrealloc(b->data, b->size);
	}
	memcpy(b->data + b->len, data, length);
	b->len += length;
	return 0;
}

/* A string member, or "" (a missing field shows as nothing, never as "(null)"). */
static const char *
pdf_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

/*
 * An amount as the certificate shows it into buf: hours travel as decimal
 * text ("12.5") and are shown as they are; a JSON number is accepted too.
 * A missing one is "—".
 */
static const char *
pdf_amount(const json_t *v, char *buf, size_t size)
{
	if (json_is_string(v))
		snprintf(buf, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, size, "%g", json_real_value(v));
	else
		snprintf(buf, size, "—");
	return buf;
}

static double
pdf_amount_value(const json_t *v)
{
	if (json_is_string(v))
		return strtod(json_string_value(v), NULL);
	return json_number_value(v);
}

/* A layout of text at size points, wrapped to width; the caller unrefs it. */
static PangoLayout *
pdf_layout(struct pdf_render *r, const char *text, double size, bool bold, double width,
    PangoAlignment align)
{
	PangoLayout *layout = pango_layout_new(r->pango);
	PangoFontDescription *font = pango_font_description_new();

	pango_font_description_set_family(font, FONT_FAMILY);
	pango_font_description_set_absolute_size(font, size * PANGO_SCALE);
	pango_font_description_set_weight(font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(layout, font);
	pango_font_description_free(font);
	pango_layout_set_width(layout, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(layout, align);
	pango_layout_set_text(layout, text, -1);
	return layout;
}

static double
pdf_layout_height(PangoLayout *layout)
{
	int w, h;

	pango_layout_get_size(layout, &w, &h);
	return (double)h / PANGO_SCALE;
}

static void
pdf_layout_draw(struct pdf_render *r, PangoLayout *layout, double x, double y)
{
	cairo_move_to(r->cr, x, y);
	pango_cairo_show_layout(r->cr, layout);
}

/* The foot of the current page: the code (pages of one certificate belong together). */
static void
pdf_page_foot(struct pdf_render *r)
{
	char *text = xasprintf("验证码 %s　·　第 %d 页", r->code, r->page);
	PangoLayout *layout = pdf_layout(r, text, 8, false, CONTENT_WIDTH, PANGO_ALIGN_CENTER);

	cairo_set_source_rgb(r->cr, 0.4, 0.4, 0.4);
	pdf_layout_draw(r, layout, MARGIN, PAGE_HEIGHT - MARGIN);
	cairo_set_source_rgb(r->cr, 0, 0, 0);
	g_object_unref(layout);
	free(text);
}

static void
pdf_page_new(struct pdf_render *r)
{
	cairo_show_page(r->cr);
	r->page++;
	r->y = MARGIN;
	pdf_page_foot(r);
}

/* Make room for height points below the cursor; true when a new page began. */
static bool
pdf_need(struct pdf_render *r, double height)
{
	if (r->y + height <= CONTENT_BOTTOM || r->y == MARGIN)
		return false;
	pdf_page_new(r);
	return true;
}

/* A paragraph across the content width at the cursor, kept whole on one page. */
static void
pdf_paragraph(struct pdf_render *r, const char *text, double size, bool bold,
    PangoAlignment align, double space_after)
{
	PangoLayout *layout = pdf_layout(r, text, size, bold, CONTENT_WIDTH, align);
	double h = pdf_layout_height(layout);

	pdf_need(r, h);
	pdf_layout_draw(r, layout, MARGIN, r->y);
	r->y += h + space_after;
	g_object_unref(layout);
}

/*
 * One row of a table at the cursor: cells[i] in a box widths[i] wide, the
 * row as tall as its tallest cell.  A header row is bold on grey.  The
 * caller has made room (pdf_row_height).
 */
static double
pdf_row_height(struct pdf_render *r, const char *const *cells, const double *widths, size_t n,
    double size)
{
	double height = 0;

	for (size_t i = 0; i < n; i++) {
		PangoLayout *layout = pdf_layout(r, cells[i], size, false,
		    widths[i] - 2 * CELL_PADDING, PANGO_ALIGN_LEFT);
		double h = pdf_layout_height(layout);

		if (h > height)
			height = h;
		g_object_unref(layout);
	}
	return height + 2 * CELL_PADDING;
}

static void
pdf_row(struct pdf_render *r, const char *const *cells, const double *widths, size_t n,
    double size, bool header)
{
	double height = pdf_row_height(r, cells, widths, n, size), x = MARGIN;

	for (size_t i = 0; i < n; i++) {
		PangoLayout *layout = pdf_layout(r, cells[i], size, header,
		    widths[i] - 2 * CELL_PADDING, PANGO_ALIGN_LEFT);

		if (header) {
			cairo_set_source_rgb(r->cr, 0.9, 0.9, 0.9);
			cairo_rectangle(r->cr, x, r->y, widths[i], height);
			cairo_fill(r->cr);
			cairo_set_source_rgb(r->cr, 0, 0, 0);
		}
		cairo_rectangle(r->cr, x, r->y, widths[i], height);
		cairo_set_line_width(r->cr, 0.5);
		cairo_stroke(r->cr);
		pdf_layout_draw(r, layout, x + CELL_PADDING, r->y + CELL_PADDING);
		g_object_unref(layout);
		x += widths[i];
	}
	r->y += height;
}

static void
pdf_title(struct pdf_render *r)
{
	pdf_paragraph(r, "继续教育学时证明", 22, true, PANGO_ALIGN_CENTER, 12);
}

static void
pdf_person(struct pdf_render *r, const json_t *person)
{
	static const struct {
		const char *label, *key;
	} rows[] = {
		{ "姓名", "name" },
		{ "身份证号", "id_number" },
		{ "工作单位", "unit" },
		{ "职称", "title" },
	};
	const double widths[] = { 80.0, CONTENT_WIDTH - 80.0 };

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const char *cells[] = { rows[i].label, pdf_str(person, rows[i].key) };

		pdf_need(r, pdf_row_height(r, cells, widths, 2, 10));
		pdf_row(r, cells, widths, 2, 10, false);
	}
	r->y += 10;
}

/* "学时" or "学分": what a year's figures count. */
static const char *
pdf_unit(const json_t *year)
{
	return strcmp(pdf_str(year, "counts"), "credits") == 0 ? "学分" : "学时";
}

/*
 * One year: the heading says met or not, a small table puts the approved
 * figures beside the requirement per category, a line gives the figures
 * by learning form, and a year not met says by how much it falls short.
 */
static void
pdf_year(struct pdf_render *r, const json_t *year)
{
	static const struct {
		const char *label, *key;
	} parts[] = {
		{ "合计", "total" },
		{ "专业科目", "professional" },
		{ "公需科目", "public" },
	};
	const json_t *required = json_object_get(year, "required");
	const json_t *approved = json_object_get(year, "approved");
	const json_t *by_form = json_object_get(year, "by_form");
	const char *unit = pdf_unit(year);
	bool met = json_is_true(json_object_get(year, "met"));
	const double widths[] = { 120.0, 120.0, 120.0, CONTENT_WIDTH - 360.0 };
	char *heading, *head_required, *head_approved, *line, *shortfall = NULL;
	char a[32], b[32];
	size_t i;

	heading = xasprintf("%lld 年度：%s", (long long)json_integer_value(
	    json_object_get(year, "year")), met ? "已达到年度要求" : "未达到年度要求");
	/* The heading stays with the table under it. */
	pdf_need(r, 110);
	pdf_paragraph(r, heading, 12, true, PANGO_ALIGN_LEFT, 4);
	free(heading);

	head_required = xasprintf("要求（%s）", unit);
	head_approved = xasprintf("已审核（%s）", unit);
	{
		const char *cells[] = { "类别", head_required, head_approved, "结论" };

		pdf_row(r, cells, widths, 4, 9.5, true);
	}
	for (i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		const json_t *want = json_object_get(required, parts[i].key);
		const json_t *have = json_object_get(approved, parts[i].key);
		bool short_here = want != NULL && pdf_amount_value(have) < pdf_amount_value(want);
		const char *cells[] = { parts[i].label, pdf_amount(want, a, sizeof a),
		    pdf_amount(have, b, sizeof b), short_here ? "未达到" : "已达到" };

		pdf_row(r, cells, widths, 4, 9.5, false);
		if (short_here) {
			char *more = xasprintf("%s%s%s尚差 %g %s", shortfall ? shortfall : "",
			    shortfall ? "，" : "", parts[i].label,
			    pdf_amount_value(want) - pdf_amount_value(have), unit);

			free(shortfall);
			shortfall = more;
		}
	}
	r->y += 6;

	line = xstrdup("按学习形式：");
	if (json_array_size(by_form) == 0) {
		char *more = xasprintf("%s无", line);

		free(line);
		line = more;
	}
	for (i = 0; i < json_array_size(by_form); i++) {
		const json_t *f = json_array_get(by_form, i);
		char *more = xasprintf("%s%s%s %s %s", line, i > 0 ? "；" : "", pdf_str(f, "form"),
		    pdf_amount(json_object_get(f, "amount"), a, sizeof a), unit);

		free(line);
		line = more;
	}
	pdf_paragraph(r, line, 10, false, PANGO_ALIGN_LEFT, 4);
	free(line);
	if (!met) {
		line = xasprintf("本年度未达到继续教育学时要求%s%s。", shortfall ? "：" : "",
		    shortfall ? shortfall : "");
		pdf_paragraph(r, line, 10, true, PANGO_ALIGN_LEFT, 4);
		free(line);
	}
	free(shortfall);
	free(head_required);
	free(head_approved);
	r->y += 8;
}

static void
pdf_records_header(struct pdf_render *r, const double *widths)
{
	const char *cells[PDF_NCOLUMNS];

	for (size_t i = 0; i < PDF_NCOLUMNS; i++)
		cells[i] = pdf_columns[i].title;
	pdf_row(r, cells, widths, PDF_NCOLUMNS, 9, true);
}

/* The approved records, the header again on every page the table reaches. */
static void
pdf_records(struct pdf_render *r, const json_t *records)
{
	double widths[PDF_NCOLUMNS];
	char year[16], amount[32];

	for (size_t i = 0; i < PDF_NCOLUMNS; i++)
		widths[i] = pdf_columns[i].width;
	pdf_need(r, 80);
	pdf_paragraph(r, "已审核的学习记录", 12, true, PANGO_ALIGN_LEFT, 4);
	pdf_records_header(r, widths);
	if (json_array_size(records) == 0) {
		const double whole[] = { CONTENT_WIDTH };
		const char *cells[] = { "无已审核的学习记录" };

		pdf_row(r, cells, whole, 1, 9, false);
	}
	for (size_t i = 0; i < json_array_size(records); i++) {
		const json_t *rec = json_array_get(records, i);
		const char *cells[PDF_NCOLUMNS] = {
			year, pdf_str(rec, "name"), pdf_str(rec, "form"), pdf_str(rec, "dates"),
			pdf_amount(json_object_get(rec, "amount"), amount, sizeof amount),
			pdf_str(rec, "source"),
		};

		snprintf(year, sizeof year, "%lld",
		    (long long)json_integer_value(json_object_get(rec, "year")));
		if (pdf_need(r, pdf_row_height(r, cells, widths, PDF_NCOLUMNS, 9)))
			pdf_records_header(r, widths);
		pdf_row(r, cells, widths, PDF_NCOLUMNS, 9, false);
	}
	r->y += 14;
}

/* The QR code of text, its top left corner at (x, y), size points square with its quiet zone. */
static int
pdf_qr(struct pdf_render *r, const char *text, double x, double y, double size)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	double module;

	if (qr == NULL)
		return -1;
	module = size / (qr->width + 8);	/* 4 modules of quiet zone each side */
	cairo_set_source_rgb(r->cr, 1, 1, 1);
	cairo_rectangle(r->cr, x, y, size, size);
	cairo_fill(r->cr);
	cairo_set_source_rgb(r->cr, 0, 0, 0);
	for (int row = 0; row < qr->width; row++)
		for (int col = 0; col < qr->width; col++)
			if (qr->data[row * qr->width + col] & 1)
				cairo_rectangle(r->cr, x + (col + 4) * module,
				    y + (row + 4) * module, module, module);
	cairo_fill(r->cr);
	QRcode_free(qr);
	return 0;
}

/*
 * The issue block, kept whole on one page: date, issuer, code and how to
 * check it on the left, the QR code on the right.  The host to ask is not
 * among the signed facts (a daemon may move): the stream's verify_at.
 */
static int
pdf_issue(struct pdf_render *r, const json_t *facts)
{
	char *text = xasprintf(
	    "签发日期：%s\n签发机构：%s\n验证码：%s\n"
	    "核验：任何人无需账号即可查看本证明所载内容及是否仍然有效：\n"
	    "ssh %s verify %s",
	    pdf_str(facts, "issued_at"), pdf_str(facts, "issuer"), r->code,
	    r->verify_at, r->code);
	PangoLayout *layout = pdf_layout(r, text, 10, false, CONTENT_WIDTH - QR_SIZE - 20,
	    PANGO_ALIGN_LEFT);
	double h = pdf_layout_height(layout);
	int rc;

	if (h < QR_SIZE)
		h = QR_SIZE;
	pdf_need(r, h);
	pdf_layout_draw(r, layout, MARGIN, r->y);
	rc = pdf_qr(r, r->code, MARGIN + CONTENT_WIDTH - QR_SIZE, r->y, QR_SIZE);
	r->y += h;
	g_object_unref(layout);
	free(text);
	return rc;
}

/* Deflate len bytes of text into st->deflated (flush: Z_NO_FLUSH or Z_FINISH). */
static int
pdf_deflate(struct certificate_pdf_stream *st, const char *text, size_t len, int flush)
{
	unsigned char chunk[16384];
	int zrc;

	st->z.next_in = (Bytef *)text;
	st->z.avail_in = (uInt)len;
	do {
		st->z.next_out = chunk;
		st->z.avail_out = sizeof chunk;
		zrc = deflate(&st->z, flush);
		if (zrc == Z_STREAM_ERROR)
			return -1;
		certificate_pdf_buffer_write(&st->deflated, (const char *)chunk,
		    sizeof chunk - st->z.avail_out);
	} while (st->z.avail_out == 0 || (flush == Z_FINISH && zrc != Z_STREAM_END));
	return 0;
}

/* Keep a person's payload for the Keywords (see struct certificate_pdf_stream). */
static int
pdf_stream_payload(struct certificate_pdf_stream *st, const char *payload)
{
	if (st->payloads++ == 0) {
		st->first_payload = xstrdup(payload);
		return 0;
	}
	if (st->payloads == 2) {
		if (deflateInit(&st->z, Z_BEST_COMPRESSION) != Z_OK)
			return -1;
		if (pdf_deflate(st, st->first_payload, strlen(st->first_payload),
		    Z_NO_FLUSH) != 0)
			return -1;
	}
	if (pdf_deflate(st, "\n", 1, Z_NO_FLUSH) != 0 ||
	    pdf_deflate(st, payload, strlen(payload), Z_NO_FLUSH) != 0)
		return -1;
	return 0;
}

/*
 * The Keywords of the stream: the one payload as it is, or PDF_PAYLOADS_Z
 * and the deflated payloads in base64 (caller frees); NULL when none.
 */
static char *
pdf_stream_keywords(struct certificate_pdf_stream *st)
{
	char *b64, *keywords;

	if (st->payloads < 2)
		return st->first_payload != NULL ? xstrdup(st->first_payload) : NULL;
	if (pdf_deflate(st, "", 0, Z_FINISH) != 0)
		return NULL;
	b64 = g_base64_encode((const guchar *)st->deflated.data, st->deflated.len);
	keywords = xasprintf("%s%s", PDF_PAYLOADS_Z, b64);
	g_free(b64);
	return keywords;
}

struct certificate_pdf_stream *
certificate_pdf_stream_begin(const char *verify_at, certificate_pdf_write_fn write, void *arg)
{
	struct certificate_pdf_stream *st = xcalloc(1, sizeof *st);

	st->write = write;
	st->arg = arg;
	st->surface = cairo_pdf_surface_create_for_stream(pdf_stream_write, st, PAGE_WIDTH,
	    PAGE_HEIGHT);
	cairo_pdf_surface_set_metadata(st->surface, CAIRO_PDF_METADATA_CREATOR, "jxjyd");
	st->r.cr = cairo_create(st->surface);
	st->r.pango = pango_cairo_create_context(st->r.cr);
	st->r.verify_at = verify_at;
	return st;
}

int
certificate_pdf_stream_add(struct certificate_pdf_stream *st, const json_t *facts,
    const char *payload)
{
	struct pdf_render *r = &st->r;
	const json_t *person = json_object_get(facts, "person");
	const json_t *years = json_object_get(facts, "years");
	const char *code = json_string_value(json_object_get(facts, "code"));

	if (code == NULL || json_string_value(json_object_get(person, "name")) == NULL ||
	    (payload != NULL && strchr(payload, '\n') != NULL))
		return -1;
	if (st->failed)
		return -1;
	if (st->people > 0)
		cairo_show_page(r->cr);		/* each person from a page of their own */
	else {
		st->first_code = xstrdup(code);
		cairo_pdf_surface_set_metadata(st->surface, CAIRO_PDF_METADATA_AUTHOR,
		    pdf_str(facts, "issuer"));
	}
	st->people++;
	r->code = code;
	r->page = 1;
	r->y = MARGIN;
	pdf_page_foot(r);
	pdf_title(r);
	pdf_person(r, person);
	for (size_t i = 0; i < json_array_size(years); i++)
		pdf_year(r, json_array_get(years, i));
	pdf_records(r, json_object_get(facts, "records"));
	if (pdf_issue(r, facts) < 0)
		st->failed = true;
	if (payload != NULL && pdf_stream_payload(st, payload) != 0)
		st->failed = true;
	r->code = NULL;			/* facts belong to the caller */
	if (cairo_status(r->cr) != CAIRO_STATUS_SUCCESS)
		st->failed = true;
	return st->failed ? -1 : 0;
}

int
certificate_pdf_stream_end(struct certificate_pdf_stream *st)
{
	char *title, *keywords;
	int rc;

	if (st->people == 1)
		title = xasprintf("继续教育学时证明 %s", st->first_code);
	else
		title = xasprintf("继续教育学时证明（%zu 人）", st->people);
	cairo_pdf_surface_set_metadata(st->surface, CAIRO_PDF_METADATA_TITLE, title);
	free(title);
	if ((keywords = pdf_stream_keywords(st)) != NULL) {
		cairo_pdf_surface_set_metadata(st->surface, CAIRO_PDF_METADATA_KEYWORDS,
		    keywords);
		free(keywords);
	} else if (st->payloads > 0) {
		st->failed = true;
	}
	if (st->people > 0)
		cairo_show_page(st->r.cr);
	cairo_surface_finish(st->surface);
	rc = st->people > 0 && !st->failed &&
	    cairo_surface_status(st->surface) == CAIRO_STATUS_SUCCESS &&
	    cairo_status(st->r.cr) == CAIRO_STATUS_SUCCESS ? 0 : -1;
	g_object_unref(st->r.pango);
	cairo_destroy(st->r.cr);
	cairo_surface_destroy(st->surface);
	if (st->payloads > 1)
		deflateEnd(&st->z);
	free(st->deflated.data);
	free(st->first_payload);
	free(st->first_code);
	free(st);
	return rc;
}

int
certificate_pdf(const json_t *facts, const char *payload, const char *verify_at, char **pdf,
    size_t *len)
{
	struct certificate_pdf_buffer out = { 0 };
	struct certificate_pdf_stream *st;
	int rc;

	*pdf = NULL;
	*len = 0;
	st = certificate_pdf_stream_begin(verify_at, certificate_pdf_buffer_write, &out);
	rc = certificate_pdf_stream_add(st, facts, payload);
	if (certificate_pdf_stream_end(st) != 0)
		rc = -1;
	if (rc != 0) {
		free(out.data);
		return -1;
	}
	*pdf = out.data;
	*len = out.len;
	return 0;
}

/* Reading the payload back. */

static void *
pdf_memrmem(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = len >= n ? len - n + 1 : 0; i-- > 0; )
		if (memcmp(hay + i, needle, n) == 0)
			return (void *)(hay + i);
	return NULL;
}

static int
pdf_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A PDF literal string at p ("(" ... ")" with escapes and balanced
 * parentheses) decoded into *out; returns 0 or -1.
 */
static int
pdf_literal(const char *p, const char *end, char **out, size_t *n)
{
	char *s = xmalloc(end - p + 1);
	size_t k = 0;
	int depth = 1;

	for (p++; p < end; p++) {
		char c = *p;

		if (c == '\\' && p + 1 < end) {
			c = *++p;
			switch (c) {
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case '\r':
				if (p + 1 < end && p[1] == '\n')
					p++;
				continue;
			case '\n':
				continue;
			default:
				if (c >= '0' && c <= '7') {
					int v = c - '0';

					for (int d = 0; d < 2 && p + 1 < end && p[1] >= '0' &&
					    p[1] <= '7'; d++)
						v = v * 8 + (*++p - '0');
					c = (char)v;
				}
			}
		} else if (c == '(') {
			depth++;
		} else if (c == ')' && --depth == 0) {
			s[k] = '\0';
			*out = s;
			*n = k;
			return 0;
		}
		s[k++] = c;
	}
	free(s);
	return -1;
}

/* A PDF hex string at p ("<" ... ">") decoded into *out; returns 0 or -1. */
static int
pdf_hexstring(const char *p, const char *end, char **out, size_t *n)
{
	char *s = xmalloc((end - p) / 2 + 2);
	size_t k = 0;
	int high = -1;

	for (p++; p < end && *p != '>'; p++) {
		int v = pdf_hex((unsigned char)*p);

		if (v < 0) {
			if (strchr(" \t\r\n\f", *p) != NULL)
				continue;
			free(s);
			return -1;
		}
		if (high < 0) {
			high = v;
		} else {
			s[k++] = (char)(high << 4 | v);
			high = -1;
		}
	}
	if (p == end) {
		free(s);
		return -1;
	}
	if (high >= 0)
		s[k++] = (char)(high << 4);
	s[k] = '\0';
	*out = s;
	*n = k;
	return 0;
}

/*
 * The value of the last /Keywords in buf as ASCII text: the string's bytes,
 * or its UTF-16BE code units after a byte order mark.  Returns 0 or -1.
 */
static int
pdf_keywords(const char *buf, size_t len, char **payload)
{
	const char *p = pdf_memrmem(buf, len, "/Keywords"), *end = buf + len;
	char *raw, *text;
	size_t n, k = 0;
	bool utf16;
	int rc = -1;

	if (p == NULL)
		return -1;
	for (p += strlen("/Keywords"); p < end && strchr(" \t\r\n\f", *p) != NULL; p++)
		;
	if (p == end)
		return -1;
	if (*p == '(') {
		if (pdf_literal(p, end, &raw, &n) < 0)
			return -1;
	} else if (*p == '<') {
		if (pdf_hexstring(p, end, &raw, &n) < 0)
			return -1;
	} else {
		return -1;
	}
	utf16 = n >= 2 && (unsigned char)raw[0] == 0xfe && (unsigned char)raw[1] == 0xff;
	text = xmalloc(n + 1);
	for (size_t i = utf16 ? 2 : 0; i < n; i += utf16 ? 2 : 1) {
		unsigned c = utf16 ? (i + 1 < n ? (unsigned char)raw[i] << 8 |
		    (unsigned char)raw[i + 1] : 0x10000) : (unsigned char)raw[i];

		if (c == 0 || c > 0x7e)
			goto out;
		text[k++] = (char)c;
	}
	text[k] = '\0';
	*payload = text;
	text = NULL;
	rc = 0;
out:
	free(text);
	free(raw);
	return rc;
}

/* The inflated bytes of a Flate stream (caller frees), or NULL; at most max bytes. */
static char *
pdf_inflate(const char *data, size_t len, size_t *out_len, size_t max)
{
	z_stream z = { 0 };
	size_t size = len * 4 + 1024;
	char *out = xmalloc(size);
	int zrc;

	if (inflateInit(&z) != Z_OK) {
		free(out);
		return NULL;
	}
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	do {
		if (z.total_out == size) {
			if (size >= max) {
				zrc = Z_MEM_ERROR;	/* more than anyone sends: refused */
				break;
			}
			size *= 2;
			out = xrealloc(out, size);
		}
		z.next_out = (Bytef *)out + z.total_out;
		z.avail_out = (uInt)(size - z.total_out);
		zrc = inflate(&z, Z_NO_FLUSH);
	} while (zrc == Z_OK);
	*out_len = z.total_out;
	inflateEnd(&z);
	if (zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * The payloads of Keywords text: as it is, or (PDF_PAYLOADS_Z) decoded and
 * inflated, ASCII without NUL.  Takes text; returns 0 with *payload, or -1.
 */
static int
pdf_payloads_decode(char *text, char **payload)
{
	guchar *deflated;
	gsize n;
	size_t plain_len;
	char *plain;

	*payload = NULL;
	if (strncmp(text, PDF_PAYLOADS_Z, strlen(PDF_PAYLOADS_Z)) != 0) {
		*payload = text;
		return 0;
	}
	deflated = g_base64_decode(text + strlen(PDF_PAYLOADS_Z), &n);
	free(text);
	plain = pdf_inflate((const char *)deflated, n, &plain_len, PDF_PAYLOADS_MAX);
	g_free(deflated);
	if (plain == NULL)
		return -1;
	for (size_t i = 0; i < plain_len; i++) {
		if (plain[i] == '\0' || (unsigned char)plain[i] > 0x7e) {
			free(plain);
			return -1;
		}
	}
	plain = xrealloc(plain, plain_len + 1);
	plain[plain_len] = '\0';
	*payload = plain;
	return 0;
}

int
certificate_pdf_payload(const char *pdf, size_t len, char **payload)
{
	const char *p = pdf, *end = pdf + len;
	char *found = NULL, *text;

	*payload = NULL;
	if (pdf_keywords(pdf, len, &text) == 0)
		return pdf_payloads_decode(text, payload);
	/*
	 * Not in the open: cairo 1.17.6 and later put the document
	 * information into a compressed object stream.  Look into each
	 * stream, the last hit counting.
	 */
	while ((p = memmem(p, end - p, "stream", 6)) != NULL) {
		const char *data = p + 6, *stop;
		size_t n;
		char *plain, *hit;

		if (p > pdf && p[-1] == 'd') {		/* "endstream" */
			p += 6;
			continue;
		}
		if (data < end && *data == '\r')
			data++;
		if (data < end && *data == '\n')
			data++;
		if ((stop = memmem(data, end - data, "endstream", 9)) == NULL)
			break;
		if ((plain = pdf_inflate(data, stop - data, &n, PDF_PAYLOADS_MAX)) != NULL) {
			if (pdf_keywords(plain, n, &hit) == 0) {
				free(found);
				found = hit;
			}
			free(plain);
		}
		p = stop + 9;
	}
	return found != NULL ? pdf_payloads_decode(found, payload) : -1;
}

void
certificate_pdf_end(void)
{
	pango_cairo_font_map_set_default(NULL);
	cairo_debug_reset_static_data();
	FcFini();
}
