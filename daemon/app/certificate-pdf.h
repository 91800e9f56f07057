/*
 * certificate-pdf.h - the certificate (学时证明) as an A4 PDF, and its payload
 * read back from one.
 *
 * The PDF states the certificate's facts (the JSON object of
 * daemon/app/certificates.c: code, issued_at, issuer, person, years,
 * records) set in Noto Sans CJK SC with pango on a cairo PDF surface, the
 * verification code as text and as a QR code, and how to check it.  The
 * signed payload (the facts as signed, ".", the signature: ASCII, opaque
 * here) travels in the document's Keywords so that `jxjyd verify FILE.pdf`
 * can check a file offline; what the page shows is only for people.
 */
#ifndef JXJYD_CERTIFICATE_PDF_H
#define JXJYD_CERTIFICATE_PDF_H

#include <stddef.h>
#include <jansson.h>

/*
 * Render facts to a PDF: one A4 page, more when the records do not fit
 * (the records' table goes on with its header repeated; nothing is cut).
 * Text wider than its cell wraps.  payload (ASCII, may be NULL) goes into
 * the document's Keywords.  verify_at is what the page prints between
 * "ssh" and "verify CODE" ("-p 2222 jxjy.example.cn": certificates_verify_at).
 * Returns 0 and gives *pdf (malloc'd, *len bytes) to the caller; -1 when
 * facts lack what a certificate must state (code, person.name) or cairo
 * fails, with *pdf NULL.
 */
int	certificate_pdf(const json_t *facts, const char *payload, const char *verify_at,
	    char **pdf, size_t *len);

/*
 * Several people's certificates in one PDF, made as it is sent: each
 * person's certificate starts on a page of its own (its own code, QR code
 * and foot), and the bytes go to write as cairo makes them, so that what
 * is held does not grow with the pages.  Only the payloads must wait for
 * the end, where PDF puts the document's Keywords: they are kept deflated
 * as they come (zlib, a few hundred bytes a person).
 *
 * The Keywords of a PDF of one person are its payload as it is (exactly
 * certificate_pdf's); of several people, "jxjy-payloads-z:" and the base64
 * of their payloads deflated, one a line in page order ('\n' between them;
 * a payload never holds one: it is compact JSON and base64), which
 * certificate_pdf_payload gives back as those lines, so that `jxjyd
 * verify` checks each person's.
 *
 * write gets arg and the next bytes; it returns 0, or -1 to stop (the
 * reader went away): every later call then fails.  verify_at must outlive
 * the stream; facts and payload are used only during _add.
 */
typedef int (*certificate_pdf_write_fn)(void *arg, const char *data, size_t len);
struct certificate_pdf_stream;

struct certificate_pdf_stream *certificate_pdf_stream_begin(const char *verify_at,
	    certificate_pdf_write_fn write, void *arg);

/* A PDF gathered in memory: a write function for the stream, and its buffer (data: caller frees). */
struct certificate_pdf_buffer {
	char	*data;
	size_t	 len, size;
};

int	certificate_pdf_buffer_write(void *buffer, const char *data, size_t len);

/* One person's certificate on new pages; 0, or -1 (bad facts, or the stream failed). */
int	certificate_pdf_stream_add(struct certificate_pdf_stream *st, const json_t *facts,
	    const char *payload);

/*
 * Finish the document (fonts, Keywords, trailer: written now) and free st.
 * Returns 0, or -1 when no one was added or anything failed on the way.
 */
int	certificate_pdf_stream_end(struct certificate_pdf_stream *st);

/*
 * The payload certificate_pdf put into a PDF's Keywords, from the file's
 * bytes (a PDF of several people: their payloads, one a line, inflated):
 * cairo writes it as a literal string or, when it holds a backslash or a
 * parenthesis, as UTF-16 hex; either is read, also from a compressed
 * object stream.  The last Keywords of the file counts (an
 * incremental update appends a new one).  Returns 0 and gives *payload
 * (malloc'd, NUL-terminated) to the caller; -1 when the file has none or it
 * is not ASCII.
 */
int	certificate_pdf_payload(const char *pdf, size_t len, char **payload);

/*
 * Free the font libraries' caches (pango's font map, cairo's static data,
 * fontconfig) when no PDF is being made any more, at exit, so that a leak
 * check sees only what is ours.
 */
void	certificate_pdf_end(void);

#endif
