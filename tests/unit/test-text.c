/*
 * test-text.c - UTF-8 validity, terminal width, sanitising and fitting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text.h"

/* utf8_valid on a NUL-terminated literal. */
static bool
valid(const char *s)
{
	return utf8_valid(s, strlen(s));
}

static void
test_valid(void)
{
	CHECK(valid(""), "empty string is valid");
	CHECK(valid("plain ASCII"), "ASCII is valid");
	CHECK(valid("身份证号"), "CJK is valid");
	CHECK(valid("\xc2\x80 \xdf\xbf"), "two-byte bounds U+0080, U+07FF");
	CHECK(valid("\xe0\xa0\x80 \xef\xbf\xbf"), "three-byte bounds U+0800, U+FFFF");
	CHECK(valid("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf"), "four-byte bounds U+10000, U+10FFFF");
	CHECK(valid("\xed\x9f\xbf \xee\x80\x80"), "U+D7FF and U+E000 around the surrogates");
	CHECK(utf8_valid("a\0b", 3), "an embedded NUL is well-formed UTF-8");

	CHECK(!valid("\xc0\xaf"), "overlong '/' (C0 AF) is invalid");
	CHECK(!valid("\xc1\xbf"), "overlong C1 BF is invalid");
	CHECK(!valid("\xe0\x80\xaf"), "overlong three-byte '/' is invalid");
	CHECK(!valid("\xe0\x9f\xbf"), "overlong three-byte U+07FF is invalid");
	CHECK(!valid("\xf0\x80\x80\xaf"), "overlong four-byte '/' is invalid");
	CHECK(!valid("\xf0\x8f\xbf\xbf"), "overlong four-byte U+FFFF is invalid");
	CHECK(!valid("\xed\xa0\x80"), "surrogate U+D800 is invalid");
	CHECK(!valid("\xed\xbf\xbf"), "surrogate U+DFFF is invalid");
	CHECK(!valid("\xf4\x90\x80\x80"), "U+110000 is invalid");
	CHECK(!valid("\xf5\x80\x80\x80"), "lead byte F5 is invalid");
	CHECK(!valid("\xff"), "byte FF is invalid");
	CHECK(!valid("\x80"), "a lone continuation byte is invalid");
	CHECK(!valid("abc\xe4\xb8"), "a truncated three-byte sequence at the end is invalid");
	CHECK(!valid("\xe4\xb8x"), "a three-byte sequence cut by ASCII is invalid");
	CHECK(!valid("\xf0\x9f\x98"), "a truncated four-byte sequence is invalid");
	CHECK(!utf8_valid("\xe4\xb8\xad", 2), "a sequence cut by the length is invalid");
	CHECK(utf8_valid("\xe4\xb8\xad", 3), "the same sequence whole is valid");
	CHECK(utf8_valid("ab\xff", 2), "bytes past the length are not looked at");
}

static void
test_length_clean(void)
{
	CHECK(utf8_length("") == 0, "length of empty is 0");
	CHECK(utf8_length("abc") == 3, "length of ASCII counts bytes");
	CHECK(utf8_length("张三a") == 3, "length counts code points, not bytes");
	CHECK(utf8_length("\xf0\x9f\x98\x80") == 1, "a four-byte emoji is one code point");

	CHECK(text_clean("张三", false, 1, 10), "a clean name passes");
	CHECK(!text_clean("", false, 1, 10), "empty fails a minimum of 1");
	CHECK(text_clean("", false, 0, 10), "empty passes a minimum of 0");
	CHECK(text_clean("一二三四五", false, 5, 5), "exactly max code points passes");
	CHECK(!text_clean("一二三四五六", false, 0, 5), "one code point over max fails");
	CHECK(!text_clean("a\nb", false, 0, 10), "newline fails single-line");
	CHECK(text_clean("a\nb", true, 0, 10), "newline passes multiline");
	CHECK(!text_clean("a\tb", true, 0, 10), "tab is a control character");
	CHECK(!text_clean("a\x1b[31mb", true, 0, 10), "ESC fails");
	CHECK(!text_clean("a\x7f", false, 0, 10), "DEL fails");
	CHECK(!text_clean("a\xc2\x9b" "31m", false, 0, 10), "C1 CSI (U+009B) fails");
	CHECK(!text_clean("a\xc0\xaf", false, 0, 10), "an overlong sequence fails");
	CHECK(!text_clean("a\xed\xa0\x80", false, 0, 10), "a surrogate fails");
}

static void
test_width(void)
{
	size_t adv;

	CHECK(text_width("") == 0, "width of empty is 0");
	CHECK(text_width("hello") == 5, "ASCII is one column each");
	CHECK(text_width("身份证号") == 8, "CJK ideographs are two columns each");
	CHECK(text_width("密码") == 4, "密码 is four columns");
	CHECK(text_width("ＡＢＣ") == 6, "fullwidth Latin is two columns each");
	CHECK(text_width("（刷新）") == 8, "fullwidth parentheses are two columns");
	CHECK(text_width("，。") == 4, "CJK punctuation is two columns");
	CHECK(text_width("가나") == 4, "Hangul syllables are two columns");
	CHECK(text_width("ｱｲ") == 2, "halfwidth katakana is one column");
	CHECK(text_width("e\xcc\x81") == 1, "e + combining acute is one column");
	CHECK(text_width("\xe2\x80\x8b") == 8, "zero width space counts its placeholder <U+200B>");
	CHECK(text_width("\xe2\x81\xa0") == 8, "word joiner counts its placeholder <U+2060>");
	CHECK(text_width("\xf0\x9f\x98\x80") == 2, "an emoji is two columns");
	CHECK(text_width("\xf0\xa0\x80\x80") == 2, "a plane 2 ideograph is two columns");
	CHECK(text_width("é") == 1, "precomposed é is one column");
	CHECK(text_width("a\xffz") == 3, "an invalid byte counts one column");
	CHECK(text_width("\xe4\xb8") == 2, "a truncated sequence counts one per byte");
	CHECK(text_width("a张b") == 4, "mixed ASCII and CJK");

	CHECK(text_char_width("张x", &adv) == 2 && adv == 3, "char width of 张 is 2, 3 bytes");
	CHECK(text_char_width("x", &adv) == 1 && adv == 1, "char width of x is 1, 1 byte");
	CHECK(text_char_width("\xcc\x81", &adv) == 0 && adv == 2, "combining acute: 0, 2 bytes");
	CHECK(text_char_width("\xc0\xaf", &adv) == 1 && adv == 1, "overlong lead: 1, 1 byte");
	CHECK(text_char_width("", &adv) == 0 && adv == 0, "at the end: 0 columns, no advance");
}

static void
test_sanitize(void)
{
	char *s;

	s = text_sanitize("plain 文本", false);
	CHECK_STR(s, "plain 文本", "clean text is unchanged");
	free(s);

	s = text_sanitize("\x1b[2J\x1b]0;pwned\x07ok", false);
	CHECK_STR(s, "?[2J?]0;pwned?ok", "ESC and BEL become '?'");
	CHECK(strchr(s, 0x1b) == NULL, "no ESC byte remains");
	free(s);

	s = text_sanitize("a\xc2\x9b" "31mb", false);
	CHECK_STR(s, "a?31mb", "C1 CSI becomes '?'");
	free(s);

	s = text_sanitize("a\x7f" "b\rc", false);
	CHECK_STR(s, "a?b?c", "DEL and CR become '?'");
	free(s);

	s = text_sanitize("line1\nline2", false);
	CHECK_STR(s, "line1?line2", "newline becomes '?' in single-line text");
	free(s);

	s = text_sanitize("line1\nline2\tx", true);
	CHECK_STR(s, "line1\nline2?x", "newline kept when multiline, tab still replaced");
	free(s);

	s = text_sanitize("a\xff" "b", false);
	CHECK_STR(s, "a\xef\xbf\xbd" "b", "an invalid byte becomes U+FFFD");
	free(s);

	s = text_sanitize("\xc0\xaf", false);
	CHECK_STR(s, "\xef\xbf\xbd\xef\xbf\xbd", "each byte of an overlong becomes U+FFFD");
	CHECK(valid(s), "the sanitised overlong is valid UTF-8");
	free(s);

	s = text_sanitize("\xed\xa0\x80", false);
	CHECK(valid(s) && text_width(s) == 3, "a surrogate becomes three U+FFFD");
	free(s);

	s = text_sanitize("张\xe4\xb8", false);
	CHECK_STR(s, "张\xef\xbf\xbd\xef\xbf\xbd", "a truncated tail becomes U+FFFD");
	free(s);

	s = text_sanitize("e\xcc\x81 \xe2\x80\x8b", false);
	CHECK_STR(s, "e\xcc\x81 <U+200B>", "combining marks are kept; ZWSP is shown, not hidden");
	free(s);
}

/* The invisible and direction-changing characters: refused, drawn visibly, escaped. */
static void
test_invisible(void)
{
	static const char *const refused[] = {
		"\xd8\x9c",		/* U+061C ARABIC LETTER MARK */
		"\xe2\x80\x8b",	/* U+200B ZERO WIDTH SPACE */
		"\xe2\x80\x8d",	/* U+200D ZERO WIDTH JOINER */
		"\xe2\x80\x8f",	/* U+200F RIGHT-TO-LEFT MARK */
		"\xe2\x80\xa8",	/* U+2028 LINE SEPARATOR */
		"\xe2\x80\xa9",	/* U+2029 PARAGRAPH SEPARATOR */
		"\xe2\x80\xaa",	/* U+202A LEFT-TO-RIGHT EMBEDDING */
		"\xe2\x80\xae",	/* U+202E RIGHT-TO-LEFT OVERRIDE */
		"\xe2\x81\xa0",	/* U+2060 WORD JOINER */
		"\xe2\x81\xa6",	/* U+2066 LEFT-TO-RIGHT ISOLATE */
		"\xe2\x81\xa9",	/* U+2069 POP DIRECTIONAL ISOLATE */
		"\xef\xbb\xbf",	/* U+FEFF ZERO WIDTH NO-BREAK SPACE */
	};
	char name[32], buf[64];
	char *s;

	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		snprintf(name, sizeof name, "F%sFDP.exe", refused[i]);
		CHECK(text_check(name, true, 1, 50) == TEXT_INVISIBLE,
		    "invisible character %zu is refused, also in multi-line text", i);
		CHECK(!text_clean(name, false, 1, 50), "text_clean refuses invisible %zu", i);
	}
	CHECK(text_check("张伟 Zhang-Wei (郑州)，河南·中原", false, 1, 50) == TEXT_OK,
	    "Chinese and English with punctuation pass");
	CHECK(text_check("\xe2\x80\x90\xe2\x80\x94\xe2\x80\xa6", false, 1, 50) == TEXT_OK,
	    "hyphen, em dash and ellipsis (U+2010, U+2014, U+2026) pass");
	CHECK(text_check("a\x1b", false, 0, 10) == TEXT_MALFORMED, "ESC is malformed");
	CHECK(text_check("abc", false, 0, 2) == TEXT_LENGTH, "too long is length");
	CHECK(text_check("", false, 1, 2) == TEXT_LENGTH, "too short is length");

	s = text_sanitize("F\xe2\x80\xae" "FDP.exe", false);
	CHECK_STR(s, "F<U+202E>FDP.exe", "a stored override is drawn as a placeholder");
	CHECK(text_width("F\xe2\x80\xae" "FDP.exe") == text_width(s),
	    "text_width counts what text_sanitize draws");
	free(s);
	s = text_sanitize("a\xe2\x80\xa8" "b\xd8\x9c", true);
	CHECK_STR(s, "a<U+2028>b<U+061C>", "separators and two-byte marks as placeholders");
	free(s);

	text_escape(buf, sizeof buf, "m\n2030 jxjyd: forged\x1b[31m\x7f");
	CHECK_STR(buf, "m\\x0A2030 jxjyd: forged\\x1B[31m\\x7F", "C0 and DEL escaped as \\xNN");
	text_escape(buf, sizeof buf, "\xe2\x80\xae\xc2\x85\xff\\x41");
	CHECK_STR(buf, "\\u{202E}\\u{0085}\\xFF\\\\x41",
	    "invisible and C1 as \\u{...}, a stray byte as \\xNN, a backslash doubled");
	text_escape(buf, sizeof buf, "张三 ok");
	CHECK_STR(buf, "张三 ok", "printable UTF-8 is kept");
	CHECK(text_escape(buf, 6, "abc\x1b") == 3 && strcmp(buf, "abc") == 0,
	    "an escape that does not fit is left off whole");
	CHECK(text_escape(buf, 5, "ab张") == 2 && strcmp(buf, "ab") == 0,
	    "a character that does not fit is left off whole");
}

static void
test_fit(void)
{
	char *s;

	s = text_fit("abcdef", 4);
	CHECK_STR(s, "abcd", "ASCII cut at 4 columns");
	free(s);

	s = text_fit("abc", 10);
	CHECK_STR(s, "abc", "a short string is whole");
	free(s);

	s = text_fit("身份证号", 5);
	CHECK_STR(s, "身份", "odd column count never splits a wide character");
	CHECK(text_width(s) == 4, "the fitted width is 4, not 5");
	free(s);

	s = text_fit("a身份", 2);
	CHECK_STR(s, "a", "a wide character that would straddle the edge is left out");
	free(s);

	s = text_fit("身份", 1);
	CHECK_STR(s, "", "one column cannot hold a wide character");
	free(s);

	s = text_fit("身份", 4);
	CHECK_STR(s, "身份", "exact fit keeps everything");
	free(s);

	s = text_fit("ae\xcc\x81z", 2);
	CHECK_STR(s, "ae\xcc\x81", "a combining mark stays with its base at the edge");
	free(s);

	s = text_fit("abc", 0);
	CHECK_STR(s, "", "zero columns give an empty string");
	free(s);

	s = text_fit("abc", -3);
	CHECK_STR(s, "", "negative columns give an empty string");
	free(s);

	s = text_fit("\xf0\x9f\x98\x80x", 3);
	CHECK_STR(s, "\xf0\x9f\x98\x80x", "a four-byte wide character is copied whole");
	free(s);

	s = text_fit("\xf0\x9f\x98\x80x", 1);
	CHECK_STR(s, "", "a four-byte wide character is not split either");
	free(s);
}

int
main(void)
{
	test_valid();
	test_length_clean();
	test_width();
	test_sanitize();
	test_invisible();
	test_fit();
	return check_done();
}
