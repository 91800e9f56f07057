/*
 * text.c - UTF-8 text: validity, width on a terminal, sanitising.
 *
 * Both ends use these, and neither may trust the other's bytes: the daemon
 * checks what people send before it reaches the database, and the client
 * checks what the server sends before it reaches the terminal, where an
 * ESC byte could move the cursor, retitle the window or worse.
 *
 * Widths come from tables built into this file rather than from wcwidth(3),
 * so that the daemon (which may run in the C locale) and the client agree,
 * and so that columns line up whatever locale a test runs in.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "xmalloc.h"

#define UTF8_REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD */

struct width_range {
	uint32_t	first;
	uint32_t	last;
};

/*
 * Generated from Unicode 14.0 (Python's unicodedata):
 * width_zero holds the nonspacing and enclosing marks and the format
 * characters (categories Mn, Me, Cf; not U+00AD SOFT HYPHEN nor the
 * prepended concatenation marks such as U+0600, which terminals draw),
 * the Hangul medial vowels and final consonants
 * (U+1160-U+11FF, U+D7B0-U+D7FF) and U+200B; width_wide holds the East
 * Asian Wide and Fullwidth characters, the CJK blocks, U+3248-U+324F,
 * the Yijing hexagrams (U+4DC0-U+4DFF) and planes 2 and 3.
 * Ranges separated only by unassigned code points were merged.  For every
 * assigned code point this agrees with glibc 2.36's wcwidth() in C.UTF-8,
 * which is what ncurses uses to place what we draw.
 */
static const struct width_range width_zero[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd },
	{ 0x05bf, 0x05bf }, { 0x05c1, 0x05c2 }, { 0x05c4, 0x05c5 },
	{ 0x05c7, 0x05c7 }, { 0x0610, 0x061a }, { 0x061c, 0x061c },
	{ 0x064b, 0x065f }, { 0x0670, 0x0670 }, { 0x06d6, 0x06dc },
	{ 0x06df, 0x06e4 }, { 0x06e7, 0x06e8 }, { 0x06ea, 0x06ed },
	{ 0x0711, 0x0711 }, { 0x0730, 0x074a }, { 0x07a6, 0x07b0 },
	{ 0x07eb, 0x07f3 }, { 0x07fd, 0x07fd }, { 0x0816, 0x0819 },
	{ 0x081b, 0x0823 }, { 0x0825, 0x0827 }, { 0x0829, 0x082d },
	{ 0x0859, 0x085b }, { 0x0898, 0x089f }, { 0x08ca, 0x08e1 },
	{ 0x08e3, 0x0902 }, { 0x093a, 0x093a }, { 0x093c, 0x093c },
	{ 0x0941, 0x0948 }, { 0x094d, 0x094d }, { 0x0951, 0x0957 },
	{ 0x0962, 0x0963 }, { 0x0981, 0x0981 }, { 0x09bc, 0x09bc },
	{ 0x09c1, 0x09c4 }, { 0x09cd, 0x09cd }, { 0x09e2, 0x09e3 },
	{ 0x09fe, 0x0a02 }, { 0x0a3c, 0x0a3c }, { 0x0a41, 0x0a51 },
	{ 0x0a70, 0x0a71 }, { 0x0a75, 0x0a75 }, { 0x0a81, 0x0a82 },
	{ 0x0abc, 0x0abc }, { 0x0ac1, 0x0ac8 }, { 0x0acd, 0x0acd },
	{ 0x0ae2, 0x0ae3 }, { 0x0afa, 0x0b01 }, { 0x0b3c, 0x0b3c },
	{ 0x0b3f, 0x0b3f }, { 0x0b41, 0x0b44 }, { 0x0b4d, 0x0b56 },
	{ 0x0b62, 0x0b63 }, { 0x0b82, 0x0b82 }, { 0x0bc0, 0x0bc0 },
	{ 0x0bcd, 0x0bcd }, { 0x0c00, 0x0c00 }, { 0x0c04, 0x0c04 },
	{ 0x0c3c, 0x0c3c }, { 0x0c3e, 0x0c40 }, { 0x0c46, 0x0c56 },
	{ 0x0c62, 0x0c63 }, { 0x0c81, 0x0c81 }, { 0x0cbc, 0x0cbc },
	{ 0x0cbf, 0x0cbf }, { 0x0cc6, 0x0cc6 }, { 0x0ccc, 0x0ccd },
	{ 0x0ce2, 0x0ce3 }, { 0x0d00, 0x0d01 }, { 0x0d3b, 0x0d3c },
	{ 0x0d41, 0x0d44 }, { 0x0d4d, 0x0d4d }, { 0x0d62, 0x0d63 },
	{ 0x0d81, 0x0d81 }, { 0x0dca, 0x0dca }, { 0x0dd2, 0x0dd6 },
	{ 0x0e31, 0x0e31 }, { 0x0e34, 0x0e3a }, { 0x0e47, 0x0e4e },
	{ 0x0eb1, 0x0eb1 }, { 0x0eb4, 0x0ebc }, { 0x0ec8, 0x0ecd },
	{ 0x0f18, 0x0f19 }, { 0x0f35, 0x0f35 }, { 0x0f37, 0x0f37 },
	{ 0x0f39, 0x0f39 }, { 0x0f71, 0x0f7e }, { 0x0f80, 0x0f84 },
	{ 0x0f86, 0x0f87 }, { 0x0f8d, 0x0fbc }, { 0x0fc6, 0x0fc6 },
	{ 0x102d, 0x1030 }, { 0x1032, 0x1037 }, { 0x1039, 0x103a },
	{ 0x103d, 0x103e }, { 0x1058, 0x1059 }, { 0x105e, 0x1060 },
	{ 0x1071, 0x1074 }, { 0x1082, 0x1082 }, { 0x1085, 0x1086 },
	{ 0x108d, 0x108d }, { 0x109d, 0x109d }, { 0x1160, 0x11ff },
	{ 0x135d, 0x135f }, { 0x1712, 0x1714 }, { 0x1732, 0x1733 },
	{ 0x1752, 0x1753 }, { 0x1772, 0x1773 }, { 0x17b4, 0x17b5 },
	{ 0x17b7, 0x17bd }, { 0x17c6, 0x17c6 }, { 0x17c9, 0x17d3 },
	{ 0x17dd, 0x17dd }, { 0x180b, 0x180f }, { 0x1885, 0x1886 },
	{ 0x18a9, 0x18a9 }, { 0x1920, 0x1922 }, { 0x1927, 0x1928 },
	{ 0x1932, 0x1932 }, { 0x1939, 0x193b }, { 0x1a17, 0x1a18 },
	{ 0x1a1b, 0x1a1b }, { 0x1a56, 0x1a56 }, { 0x1a58, 0x1a60 },
	{ 0x1a62, 0x1a62 }, { 0x1a65, 0x1a6c }, { 0x1a73, 0x1a7f },
	{ 0x1ab0, 0x1b03 }, { 0x1b34, 0x1b34 }, { 0x1b36, 0x1b3a },
	{ 0x1b3c, 0x1b3c }, { 0x1b42, 0x1b42 }, { 0x1b6b, 0x1b73 },
	{ 0x1b80, 0x1b81 }, { 0x1ba2, 0x1ba5 }, { 0x1ba8, 0x1ba9 },
	{ 0x1bab, 0x1bad }, { 0x1be6, 0x1be6 }, { 0x1be8, 0x1be9 },
	{ 0x1bed, 0x1bed }, { 0x1bef, 0x1bf1 }, { 0x1c2c, 0x1c33 },
	{ 0x1c36, 0x1c37 }, { 0x1cd0, 0x1cd2 }, { 0x1cd4, 0x1ce0 },
	{ 0x1ce2, 0x1ce8 }, { 0x1ced, 0x1ced }, { 0x1cf4, 0x1cf4 },
	{ 0x1cf8, 0x1cf9 }, { 0x1dc0, 0x1dff }, { 0x200b, 0x200f },
	{ 0x202a, 0x202e }, { 0x2060, 0x206f }, { 0x20d0, 0x20f0 },
	{ 0x2cef, 0x2cf1 }, { 0x2d7f, 0x2d7f }, { 0x2de0, 0x2dff },
	{ 0x302a, 0x302d }, { 0x3099, 0x309a }, { 0xa66f, 0xa672 },
	{ 0xa674, 0xa67d }, { 0xa69e, 0xa69f }, { 0xa6f0, 0xa6f1 },
	{ 0xa802, 0xa802 }, { 0xa806, 0xa806 }, { 0xa80b, 0xa80b },
	{ 0xa825, 0xa826 }, { 0xa82c, 0xa82c }, { 0xa8c4, 0xa8c5 },
	{ 0xa8e0, 0xa8f1 }, { 0xa8ff, 0xa8ff }, { 0xa926, 0xa92d },
	{ 0xa947, 0xa951 }, { 0xa980, 0xa982 }, { 0xa9b3, 0xa9b3 },
	{ 0xa9b6, 0xa9b9 }, { 0xa9bc, 0xa9bd }, { 0xa9e5, 0xa9e5 },
	{ 0xaa29, 0xaa2e }, { 0xaa31, 0xaa32 }, { 0xaa35, 0xaa36 },
	{ 0xaa43, 0xaa43 }, { 0xaa4c, 0xaa4c }, { 0xaa7c, 0xaa7c },
	{ 0xaab0, 0xaab0 }, { 0xaab2, 0xaab4 }, { 0xaab7, 0xaab8 },
	{ 0xaabe, 0xaabf }, { 0xaac1, 0xaac1 }, { 0xaaec, 0xaaed },
	{ 0xaaf6, 0xaaf6 }, { 0xabe5, 0xabe5 }, { 0xabe8, 0xabe8 },
	{ 0xabed, 0xabed }, { 0xd7b0, 0xd7ff }, { 0xfb1e, 0xfb1e },
	{ 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f }, { 0xfeff, 0xfeff },
	{ 0xfff9, 0xfffb }, { 0x101fd, 0x101fd }, { 0x102e0, 0x102e0 },
	{ 0x10376, 0x1037a }, { 0x10a01, 0x10a0f }, { 0x10a38, 0x10a3f },
	{ 0x10ae5, 0x10ae6 }, { 0x10d24, 0x10d27 }, { 0x10eab, 0x10eac },
	{ 0x10f46, 0x10f50 }, { 0x10f82, 0x10f85 }, { 0x11001, 0x11001 },
	{ 0x11038, 0x11046 }, { 0x11070, 0x11070 }, { 0x11073, 0x11074 },
	{ 0x1107f, 0x11081 }, { 0x110b3, 0x110b6 }, { 0x110b9, 0x110ba },
	{ 0x110c2, 0x110c2 }, { 0x11100, 0x11102 }, { 0x11127, 0x1112b },
	{ 0x1112d, 0x11134 }, { 0x11173, 0x11173 }, { 0x11180, 0x11181 },
	{ 0x111b6, 0x111be }, { 0x111c9, 0x111cc }, { 0x111cf, 0x111cf },
	{ 0x1122f, 0x11231 }, { 0x11234, 0x11234 }, { 0x11236, 0x11237 },
	{ 0x1123e, 0x1123e }, { 0x112df, 0x112df }, { 0x112e3, 0x112ea },
	{ 0x11300, 0x11301 }, { 0x1133b, 0x1133c }, { 0x11340, 0x11340 },
	{ 0x11366, 0x11374 }, { 0x11438, 0x1143f }, { 0x11442, 0x11444 },
	{ 0x11446, 0x11446 }, { 0x1145e, 0x1145e }, { 0x114b3, 0x114b8 },
	{ 0x114ba, 0x114ba }, { 0x114bf, 0x114c0 }, { 0x114c2, 0x114c3 },
	{ 0x115b2, 0x115b5 }, { 0x115bc, 0x115bd }, { 0x115bf, 0x115c0 },
	{ 0x115dc, 0x115dd }, { 0x11633, 0x1163a }, { 0x1163d, 0x1163d },
	{ 0x1163f, 0x11640 }, { 0x116ab, 0x116ab }, { 0x116ad, 0x116ad },
	{ 0x116b0, 0x116b5 }, { 0x116b7, 0x116b7 }, { 0x1171d, 0x1171f },
	{ 0x11722, 0x11725 }, { 0x11727, 0x1172b }, { 0x1182f, 0x11837 },
	{ 0x11839, 0x1183a }, { 0x1193b, 0x1193c }, { 0x1193e, 0x1193e },
	{ 0x11943, 0x11943 }, { 0x119d4, 0x119db }, { 0x119e0, 0x119e0 },
	{ 0x11a01, 0x11a0a }, { 0x11a33, 0x11a38 }, { 0x11a3b, 0x11a3e },
	{ 0x11a47, 0x11a47 }, { 0x11a51, 0x11a56 }, { 0x11a59, 0x11a5b },
	{ 0x11a8a, 0x11a96 }, { 0x11a98, 0x11a99 }, { 0x11c30, 0x11c3d },
	{ 0x11c3f, 0x11c3f }, { 0x11c92, 0x11ca7 }, { 0x11caa, 0x11cb0 },
	{ 0x11cb2, 0x11cb3 }, { 0x11cb5, 0x11cb6 }, { 0x11d31, 0x11d45 },
	{ 0x11d47, 0x11d47 }, { 0x11d90, 0x11d91 }, { 0x11d95, 0x11d95 },
	{ 0x11d97, 0x11d97 }, { 0x11ef3, 0x11ef4 }, { 0x13430, 0x13438 },
	{ 0x16af0, 0x16af4 }, { 0x16b30, 0x16b36 }, { 0x16f4f, 0x16f4f },
	{ 0x16f8f, 0x16f92 }, { 0x16fe4, 0x16fe4 }, { 0x1bc9d, 0x1bc9e },
	{ 0x1bca0, 0x1cf46 }, { 0x1d167, 0x1d169 }, { 0x1d173, 0x1d182 },
	{ 0x1d185, 0x1d18b }, { 0x1d1aa, 0x1d1ad }, { 0x1d242, 0x1d244 },
	{ 0x1da00, 0x1da36 }, { 0x1da3b, 0x1da6c }, { 0x1da75, 0x1da75 },
	{ 0x1da84, 0x1da84 }, { 0x1da9b, 0x1daaf }, { 0x1e000, 0x1e02a },
	{ 0x1e130, 0x1e136 }, { 0x1e2ae, 0x1e2ae }, { 0x1e2ec, 0x1e2ef },
	{ 0x1e8d0, 0x1e8d6 }, { 0x1e944, 0x1e94a }, { 0xe0001, 0xe01ef },
};

static const struct width_range width_wide[] = {
	{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a },
	{ 0x23e9, 0x23ec }, { 0x23f0, 0x23f0 }, { 0x23f3, 0x23f3 },
	{ 0x25fd, 0x25fe }, { 0x2614, 0x2615 }, { 0x2648, 0x2653 },
	{ 0x267f, 0x267f }, { 0x2693, 0x2693 }, { 0x26a1, 0x26a1 },
	{ 0x26aa, 0x26ab }, { 0x26bd, 0x26be }, { 0x26c4, 0x26c5 },
	{ 0x26ce, 0x26ce }, { 0x26d4, 0x26d4 }, { 0x26ea, 0x26ea },
	{ 0x26f2, 0x26f3 }, { 0x26f5, 0x26f5 }, { 0x26fa, 0x26fa },
	{ 0x26fd, 0x26fd }, { 0x2705, 0x2705 }, { 0x270a, 0x270b },
	{ 0x2728, 0x2728 }, { 0x274c, 0x274c }, { 0x274e, 0x274e },
	{ 0x2753, 0x2755 }, { 0x2757, 0x2757 }, { 0x2795, 0x2797 },
	{ 0x27b0, 0x27b0 }, { 0x27bf, 0x27bf }, { 0x2b1b, 0x2b1c },
	{ 0x2b50, 0x2b50 }, { 0x2b55, 0x2b55 }, { 0x2e80, 0x3029 },
	{ 0x302e, 0x303e }, { 0x3041, 0x3096 }, { 0x309b, 0xa4c6 },
	{ 0xa960, 0xa97c }, { 0xac00, 0xd7a3 }, { 0xf900, 0xfaff },
	{ 0xfe10, 0xfe19 }, { 0xfe30, 0xfe6b }, { 0xff01, 0xff60 },
	{ 0xffe0, 0xffe6 }, { 0x16fe0, 0x16fe3 }, { 0x16ff0, 0x1b2fb },
	{ 0x1f004, 0x1f004 }, { 0x1f0cf, 0x1f0cf }, { 0x1f18e, 0x1f18e },
	{ 0x1f191, 0x1f19a }, { 0x1f200, 0x1f320 }, { 0x1f32d, 0x1f335 },
	{ 0x1f337, 0x1f37c }, { 0x1f37e, 0x1f393 }, { 0x1f3a0, 0x1f3ca },
	{ 0x1f3cf, 0x1f3d3 }, { 0x1f3e0, 0x1f3f0 }, { 0x1f3f4, 0x1f3f4 },
	{ 0x1f3f8, 0x1f43e }, { 0x1f440, 0x1f440 }, { 0x1f442, 0x1f4fc },
	{ 0x1f4ff, 0x1f53d }, { 0x1f54b, 0x1f54e }, { 0x1f550, 0x1f567 },
	{ 0x1f57a, 0x1f57a }, { 0x1f595, 0x1f596 }, { 0x1f5a4, 0x1f5a4 },
	{ 0x1f5fb, 0x1f64f }, { 0x1f680, 0x1f6c5 }, { 0x1f6cc, 0x1f6cc },
	{ 0x1f6d0, 0x1f6d2 }, { 0x1f6d5, 0x1f6df }, { 0x1f6eb, 0x1f6ec },
	{ 0x1f6f4, 0x1f6fc }, { 0x1f7e0, 0x1f7f0 }, { 0x1f90c, 0x1f93a },
	{ 0x1f93c, 0x1f945 }, { 0x1f947, 0x1f9ff }, { 0x1fa70, 0x1faf6 },
	{ 0x20000, 0x3fffd },
};

static int
width_lookup(const struct width_range *table, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;

	if (cp < table[0].first || cp > table[n - 1].last)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp > table[mid].last)
			lo = mid + 1;
		else if (cp < table[mid].first)
			hi = mid;
		else
			return 1;
	}
	return 0;
}

/* True for the C0 controls, DEL and the C1 controls. */
static int
utf8_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

bool
text_invisible(unsigned long cp)
{
	return cp == 0x061c ||			/* ARABIC LETTER MARK */
	    (cp >= 0x200b && cp <= 0x200f) ||	/* zero-width space and joiners, LRM, RLM */
	    (cp >= 0x2028 && cp <= 0x202e) ||	/* line/paragraph separators, embeddings, overrides */
	    (cp >= 0x2060 && cp <= 0x206f) ||	/* word joiner, invisible operators, isolates */
	    cp == 0xfeff;			/* zero-width no-break space (byte-order mark) */
}

/* What text_sanitize draws for an invisible code point: "<U+202E>". */
#define PLACEHOLDER_FORMAT	"<U+%04lX>"

static int
placeholder_format(char *out, size_t size, uint32_t cp)
{
	return snprintf(out, size, PLACEHOLDER_FORMAT, (unsigned long)cp);
}

/*
 * Columns of one code point.  Controls count 1 because text_sanitize draws
 * each of them as '?', invisible characters the length of their
 * placeholder; NUL counts 0.
 */
static int
width_of(uint32_t cp)
{
	if (cp == 0)
		return 0;
	if (cp < 0xa0)
		return 1;	/* ASCII, and the controls drawn as '?' */
	if (text_invisible(cp))
		return placeholder_format(NULL, 0, cp);
	if (width_lookup(width_zero, sizeof width_zero / sizeof width_zero[0], cp))
		return 0;
	if (width_lookup(width_wide, sizeof width_wide / sizeof width_wide[0], cp))
		return 2;
	return 1;
}

/*
 * Decode the code point at s, of which at most avail bytes may be read (a
 * NUL stops a sequence anyway, being no continuation byte).  Returns the
 * code point with *adv its length, or -1 with *adv 1 when the byte at s
 * does not start a well-formed sequence: a stray continuation byte, an
 * overlong form, a surrogate, a value above U+10FFFF or a truncated tail.
 */
static int32_t
utf8_decode(const unsigned char *s, size_t avail, size_t *adv)
{
	unsigned char b = s[0], lo = 0x80, hi = 0xbf;
	uint32_t cp;
	size_t n, i;

	*adv = 1;
	if (b < 0x80)
		return b;
	if (b >= 0xc2 && b <= 0xdf) {
		n = 2;
		cp = b & 0x1f;
	} else if (b >= 0xe0 && b <= 0xef) {
		n = 3;
		cp = b & 0x0f;
		if (b == 0xe0)
			lo = 0xa0;	/* overlong below U+0800 */
		else if (b == 0xed)
			hi = 0x9f;	/* surrogates U+D800-U+DFFF */
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 4;
		cp = b & 0x07;
		if (b == 0xf0)
			lo = 0x90;	/* overlong below U+10000 */
		else if (b == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return -1;	/* continuation byte, C0, C1, F5-FF */

	if (avail < n)
		return -1;
	for (i = 1; i < n; i++) {
		unsigned char c = s[i];

		if (c < lo || c > hi)
			return -1;
		lo = 0x80;
		hi = 0xbf;
		cp = (cp << 6) | (c & 0x3f);
	}
	*adv = n;
	return (int32_t)cp;
}

bool
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, adv;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (utf8_decode(p + i, len - i, &adv) < 0)
			return false;
		i += adv;
	}
	return true;
}

size_t
utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

enum text_fault
text_check(const char *s, bool multiline, size_t min_chars, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0, adv;
	int32_t cp;

	while (*p != '\0') {
		cp = utf8_decode(p, SIZE_MAX, &adv);
		if (cp < 0)
			return TEXT_MALFORMED;
		if (utf8_is_control((uint32_t)cp) && !(multiline && cp == '\n'))
			return TEXT_MALFORMED;
		if (text_invisible((uint32_t)cp))
			return TEXT_INVISIBLE;
		if (++n > max_chars)
			return TEXT_LENGTH;
		p += adv;
	}
	return n >= min_chars ? TEXT_OK : TEXT_LENGTH;
}

bool
text_clean(const char *s, bool multiline, size_t min_chars, size_t max_chars)
{
	return text_check(s, multiline, min_chars, max_chars) == TEXT_OK;
}

int
text_char_width(const char *s, size_t *adv)
{
	int32_t cp;

	if (*s == '\0') {
		*adv = 0;	/* the end: callers must not step past it */
		return 0;
	}
	cp = utf8_decode((const unsigned char *)s, SIZE_MAX, adv);
	if (cp < 0)
		return 1;	/* drawn as U+FFFD, one column */
	return width_of((uint32_t)cp);
}

int
text_width(const char *s)
{
	size_t adv;
	int w = 0;

	while (*s != '\0') {
		w += text_char_width(s, &adv);
		s += adv;
	}
	return w;
}

char *
text_sanitize(const char *s, bool multiline)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out, *q;
	size_t adv;
	int32_t cp;

	/*
	 * Worst case: an invisible character of two bytes (U+061C) becomes a
	 * placeholder of eight; an invalid byte becomes three.
	 */
	out = q = xmalloc(strlen(s) * 4 + 1);
	while (*p != '\0') {
		cp = utf8_decode(p, SIZE_MAX, &adv);
		if (cp < 0) {
			memcpy(q, UTF8_REPLACEMENT, 3);
			q += 3;
		} else if (utf8_is_control((uint32_t)cp) && !(multiline && cp == '\n')) {
			*q++ = '?';
		} else if (text_invisible((uint32_t)cp)) {
			q += placeholder_format(q, 9, (uint32_t)cp);
		} else {
			memcpy(q, p, adv);
			q += adv;
		}
		p += adv;
	}
	*q = '\0';
	return out;
}

size_t
text_escape(char *dst, size_t size, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	char piece[16];
	const char *from;
	size_t used = 0, adv, n;
	int32_t cp;

	if (size == 0)
		return 0;
	while (*p != '\0') {
		cp = utf8_decode(p, SIZE_MAX, &adv);
		from = piece;
		if (cp < 0 || cp < 0x20 || cp == 0x7f)
			n = (size_t)snprintf(piece, sizeof piece, "\\x%02X", p[0]);
		else if (utf8_is_control((uint32_t)cp) || text_invisible((uint32_t)cp))
			n = (size_t)snprintf(piece, sizeof piece, "\\u{%04X}", (unsigned)cp);
		else if (cp == '\\')
			n = (size_t)snprintf(piece, sizeof piece, "\\\\");
		else {
			from = (const char *)p;
			n = adv;
		}
		if (used + n >= size)
			break;
		memcpy(dst + used, from, n);
		used += n;
		p += adv;
	}
	dst[used] = '\0';
	return used;
}

char *
text_fit(const char *s, int cols)
{
	const char *p = s;
	size_t adv;
	int used = 0, w;

	while (*p != '\0') {
		w = text_char_width(p, &adv);
		/* Zero-width marks that follow the last character stay with it. */
		if (used + w > cols)
			break;
		used += w;
		p += adv;
	}
	return xstrndup(s, (size_t)(p - s));
}

void
text_buf_add(struct text_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = b->cap ? b->cap : 1024;
		while (b->len + n + 1 > b->cap)
			b->cap *= 2;
		b->data = xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
text_buf_puts(struct text_buf *b, const char *s)
{
	text_buf_add(b, s, strlen(s));
}

void
text_buf_printf(struct text_buf *b, const char *fmt, ...)
{
	va_list ap, again;
	int n;

	va_start(ap, fmt);
	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	text_buf_add(b, "", 0);	/* room for the terminating NUL at least */
	if (b->len + (size_t)n + 1 > b->cap) {
		while (b->len + (size_t)n + 1 > b->cap)
			b->cap *= 2;
		b->data = xrealloc(b->data, b->cap);
	}
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
	va_end(again);
	b->len += (size_t)n;
}

void
text_buf_csv(struct text_buf *b, const char *v, bool formula)
{
	if (!formula && strpbrk(v, ",\"\r\n") == NULL) {
		text_buf_puts(b, v);
		return;
	}
	text_buf_add(b, "\"", 1);
	if (formula)
		text_buf_add(b, "'", 1);
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '"')
			text_buf_add(b, "\"", 1);
		text_buf_add(b, p, 1);
	}
	text_buf_add(b, "\"", 1);
}
