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
 * True when s is valid UTF-8, holds no control characters (C0, DEL, C1;
 * also no '\n' unless multiline), and has between min_chars and max_chars
 * code points.
 */
bool	text_clean(const char *s, bool multiline, size_t min_chars, size_t max_chars);

/*
 * Columns s takes on a terminal: wide (CJK) characters count 2, combining
 * marks 0.  Does not depend on the process locale.  Invalid bytes count 1.
 */
int	text_width(const char *s);

/* Width of the one code point at s; *adv gets its byte length. */
int	text_char_width(const char *s, size_t *adv);

/*
 * A copy of s safe to draw on a terminal: invalid bytes become U+FFFD,
 * control characters (including ESC) become '?'; '\n' is kept when multiline.
 * Caller frees.
 */
char	*text_sanitize(const char *s, bool multiline);

/*
 * Copy of the longest prefix of s that fits in cols columns (never splitting
 * a character).  Caller frees.
 */
char	*text_fit(const char *s, int cols);

#endif
