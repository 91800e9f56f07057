/*
 * text.h - UTF-8 text: validity, width on a terminal, sanitising.
 */
#ifndef JXJY_TEXT_H
#define JXJY_TEXT_H

#include <stddef.h>
#include <stdbool.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool	utf8_valid(const char *s, size_t len);

/* Number of code points in a valid UTF-8 string. */
size_t	utf8_length(const char *s);

/*
 * What is wrong with a piece of text people typed, if anything.
 * TEXT_INVISIBLE is one of the characters that draw nothing or change the
 * direction of what follows, which no name, school, reason or file name
 * needs and which let a value read differently from what it is
 * ("F\u202eFDP.exe" shows as "Fexe.PDF"): the bidi embeddings, overrides,
 * isolates and marks (U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069), the zero-width characters and invisible operators
 * (U+200B-U+200D, U+2060-U+2064, U+206A-U+206F, U+FEFF) and the line and
 * paragraph separators U+2028, U+2029.
 */
enum text_fault {
	TEXT_OK = 0,
	TEXT_MALFORMED,		/* not UTF-8, or a control character */
	TEXT_INVISIBLE,		/* an invisible or direction-changing character */
	TEXT_LENGTH,		/* fewer than min_chars or more than max_chars */
};

/*
 * Check s: valid UTF-8, no control characters (C0, DEL, C1; also no '\n'
 * unless multiline), none of the invisible characters above, and between
 * min_chars and max_chars code points.  The first fault found is returned.
 */
enum text_fault text_check(const char *s, bool multiline, size_t min_chars, size_t max_chars);

/* text_check(...) == TEXT_OK. */
bool	text_clean(const char *s, bool multiline, size_t min_chars, size_t max_chars);

/* True for a code point of the invisible set above. */
bool	text_invisible(unsigned long cp);

/*
 * Columns s takes on a terminal: wide (CJK) characters count 2, combining
 * marks 0.  Does not depend on the process locale.  Invalid bytes count 1.
 */
int	text_width(const char *s);

/* Width of the one code point at s; *adv gets its byte length. */
int	text_char_width(const char *s, size_t *adv);

/*
 * A copy of s safe to draw on a terminal: invalid bytes become U+FFFD,
 * control characters (including ESC) become '?', and the invisible
 * characters above a visible placeholder "<U+202E>" (a value stored before
 * they were refused must not reorder what an administrator reads); '\n'
 * is kept when multiline.  text_width counts what this draws.  Caller frees.
 */
char	*text_sanitize(const char *s, bool multiline);

/*
 * Copy src into dst (size bytes, always NUL-terminated when size > 0) with
 * everything that could fool a reader of a log written out visibly: C0
 * controls and DEL as \xNN, bytes that are not UTF-8 as \xNN, C1 controls
 * and the invisible characters above as \u{NNNN}, and '\' itself as '\\'.
 * So a value a stranger chose (a method or SSH user name) can neither start
 * a line of its own nor send escape sequences to whoever reads it.  What
 * does not fit is left off whole (never half an escape or a character).
 * Returns the length written.
 */
size_t	text_escape(char *dst, size_t size, const char *src);

/*
 * Copy of the longest prefix of s that fits in cols columns (never splitting
 * a character).  Caller frees.
 */
char	*text_fit(const char *s, int cols);

/*
 * A growing text (exec's tables, the completion report's CSV): data is
 * NUL-terminated once anything was added, also nothing (text_buf_add(b,
 * "", 0)); the owner frees data.
 */
struct text_buf {
	char	*data;
	size_t	 len, cap;
};

void	text_buf_add(struct text_buf *b, const char *s, size_t n);
void	text_buf_puts(struct text_buf *b, const char *s);
void	text_buf_printf(struct text_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or
 * LF, quotes doubled.  formula (a text a spreadsheet would run: the caller
 * decides) also quotes it, with a leading ' inside the quotes.
 */
void	text_buf_csv(struct text_buf *b, const char *v, bool formula);

#endif
