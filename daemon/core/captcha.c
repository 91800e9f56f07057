/*
 * captcha.c - four characters drawn as large glyphs of text, with noise.
 *
 * A terminal cannot show a picture, so the code is drawn with text: each
 * character of a 5x7 bitmap font becomes a block of ink characters (a
 * pixel mostly two columns wide, which looks square in a terminal cell).
 * The characters themselves never appear in the drawing, and the alphabet
 * leaves out those a person could confuse (0/O/D, 1/I/L, 2/Z, 5/S, 6/G,
 * 8/B, Q).  Only ASCII is used, so every terminal shows one column per
 * byte, whatever it thinks of ambiguous-width characters.
 *
 * A fixed font drawn the same way every time is read by a program in
 * fifty lines (cut at the blank columns, compare bitmaps).  So every
 * glyph varies: one of two shapes of its character, its own pixel
 * widths, a shear, an occasional stretched row, its own vertical place
 * and ink; glyphs may touch their neighbours; and the noise (a
 * wavy line through the code, scattered marks) is drawn with the same ink
 * characters as the glyphs, so that neither the characters nor blank
 * columns separate glyph from noise.  A person still reads it (glyphs are
 * 7 to 8 rows of a 9-row drawing).  This is a speed bump against
 * scripted guessing, not the defence: that is the throttling of failed
 * logins per ID number (auth.c, docs/protocol.md).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "captcha.h"
#include "xmalloc.h"

#define CAPTCHA_LENGTH	4
#define GLYPH_W		5		/* font pixels */
#define GLYPH_H		7
#define GLYPH_STYLES	2		/* shapes of each character */
#define DRAW_W		72		/* columns of the drawing (fits 76) */
#define DRAW_H		9		/* rows: a glyph of 7 or 8 and room to move */
#define GLYPH_MAX_W	(GLYPH_W * 3 + 2)	/* widest pixels and the shear */

_Static_assert(CAPTCHA_LENGTH * GLYPH_MAX_W <= DRAW_W - 2, "the widest glyphs fit");

struct captcha {
	char		 code[CAPTCHA_LENGTH + 1];	/* upper case */
	struct timespec	 expires;			/* CLOCK_MONOTONIC */
};

static const char captcha_alphabet[] = "ACDEFHJKMNPRTUVWXY3479";

/* Ink: glyphs and noise alike; no letter or digit. */
static const char captcha_ink[] = "#@%&$*";

/* Light marks sprinkled about, as before. */
static const char captcha_dust[] = ".,'`:;-~^";

/* One row per string, '#' set; in the order of captcha_alphabet, per style. */
static const char *const captcha_font[GLYPH_STYLES][22][GLYPH_H] = { {
	/* A */ { " ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #" },
	/* C */ { " ####", "#    ", "#    ", "#    ", "#    ", "#    ", " ####" },
	/* D */ { "#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### " },
	/* E */ { "#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####" },
	/* F */ { "#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    " },
	/* H */ { "#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #" },
	/* J */ { "  ###", "    #", "    #", "    #", "    #", "#   #", " ### " },
	/* K */ { "#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #" },
	/* M */ { "#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #" },
	/* N */ { "#   #", "##  #", "# # #", "#  ##", "#   #", "#   #", "#   #" },
	/* P */ { "#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    " },
	/* R */ { "#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #" },
	/* T */ { "#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  " },
	/* U */ { "#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### " },
	/* V */ { "#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  " },
	/* W */ { "#   #", "#   #", "#   #", "# # #", "# # #", "## ##", "#   #" },
	/* X */ { "#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #" },
	/* Y */ { "#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  " },
	/* 3 */ { "#### ", "    #", "    #", " ### ", "    #", "    #", "#### " },
	/* 4 */ { "   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # " },
	/* 7 */ { "#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   " },
	/* 9 */ { " ### ", "#   #", "#   #", " ####", "    #", "    #", " ### " },
}, {
	/* A */ { "  #  ", " # # ", "#   #", "#   #", "#####", "#   #", "#   #" },
	/* C */ { " ### ", "#   #", "#    ", "#    ", "#    ", "#   #", " ### " },
	/* D */ { "###  ", "#  # ", "#   #", "#   #", "#   #", "#  # ", "###  " },
	/* E */ { "#####", "#    ", "#### ", "#    ", "#    ", "#    ", "#####" },
	/* F */ { "#####", "#    ", "#### ", "#    ", "#    ", "#    ", "#    " },
	/* H */ { "#   #", "#   #", "#####", "#   #", "#   #", "#   #", "#   #" },
	/* J */ { "#####", "   # ", "   # ", "   # ", "   # ", "#  # ", " ##  " },
	/* K */ { "#   #", "#  # ", "# #  ", "###  ", "#  # ", "#   #", "#   #" },
	/* M */ { "#   #", "## ##", "## ##", "# # #", "# # #", "#   #", "#   #" },
	/* N */ { "#   #", "##  #", "##  #", "# # #", "#  ##", "#  ##", "#   #" },
	/* P */ { "#### ", "#   #", "#   #", "#   #", "#### ", "#    ", "#    " },
	/* R */ { "#### ", "#   #", "#   #", "#### ", "##   ", "# #  ", "#  ##" },
	/* T */ { "#####", "# # #", "  #  ", "  #  ", "  #  ", "  #  ", " ### " },
	/* U */ { "#   #", "#   #", "#   #", "#   #", "#   #", "#  ##", " ## #" },
	/* V */ { "#   #", "#   #", " # # ", " # # ", " # # ", "  #  ", "  #  " },
	/* W */ { "#   #", "#   #", "#   #", "# # #", "# # #", "# # #", " # # " },
	/* X */ { "#   #", " # # ", " # # ", "  #  ", " # # ", " # # ", "#   #" },
	/* Y */ { "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  " },
	/* 3 */ { " ### ", "#   #", "    #", "  ## ", "    #", "#   #", " ### " },
	/* 4 */ { "#  # ", "#  # ", "#  # ", "#####", "   # ", "   # ", "   # " },
	/* 7 */ { "#####", "#   #", "    #", "   # ", "  #  ", "  #  ", "  #  " },
	/* 9 */ { " ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  " },
} };

_Static_assert(sizeof captcha_font[0] / sizeof captcha_font[0][0] ==
    sizeof captcha_alphabet - 1, "one glyph per character of the alphabet");

/* One glyph as drawn: its cells (' ' blank), its size. */
struct glyph {
	char	 cells[DRAW_H][GLYPH_MAX_W];
	int	 w, h;
};

void
captcha_free(struct captcha *c)
{
	if (c == NULL)
		return;
	sodium_memzero(c, sizeof *c);
	free(c);
}

/* A uniformly random integer in [lo, hi]. */
static int
captcha_random(int lo, int hi)
{
	return lo + (int)randombytes_uniform((uint32_t)(hi - lo + 1));
}

/* One of the ink characters: mostly the glyph's own, now and then another. */
static char
captcha_ink_char(char own)
{
	if (randombytes_uniform(12) != 0)
		return own;
	return captcha_ink[randombytes_uniform(sizeof captcha_ink - 1)];
}

/*
 * Render character g of the alphabet into *out: a random style, pixel
 * columns 1 to 3 terminal columns wide (mostly 2), one row perhaps drawn
 * twice, the rows sheared left or right, in an ink of its own.
 */
static void
captcha_render(struct glyph *out, int g)
{
	const char *const *font = captcha_font[randombytes_uniform(GLYPH_STYLES)][g];
	static const int widths[] = { 2, 2, 2, 2, 3 };
	int colw[GLYPH_W], rows[GLYPH_H + 1], nrows = 0, shear, lean, w = 0;
	char own = captcha_ink[randombytes_uniform(sizeof captcha_ink - 1)];
	int twice = randombytes_uniform(3) == 0 ? captcha_random(1, GLYPH_H - 2) : -1;

	for (int x = 0; x < GLYPH_W; x++) {
		colw[x] = widths[randombytes_uniform(sizeof widths / sizeof widths[0])];
		w += colw[x];
	}
	for (int y = 0; y < GLYPH_H; y++) {
		rows[nrows++] = y;
		if (y == twice)
			rows[nrows++] = y;
	}
	/* Shear: the top leans up to two columns either way of the bottom. */
	shear = captcha_random(-2, 2);
	lean = shear < 0 ? -shear : 0;
	memset(out->cells, ' ', sizeof out->cells);
	out->h = nrows;
	out->w = w + (shear < 0 ? -shear : shear);
	for (int r = 0; r < nrows; r++) {
		int col = lean + (shear * (nrows - 1 - r) + (nrows - 1) / 2) / (nrows - 1);

		for (int x = 0; x < GLYPH_W; x++) {
			for (int k = 0; k < colw[x]; k++, col++) {
				if (font[rows[r]][x] == '#')
					out->cells[r][col] = captcha_ink_char(own);
			}
		}
	}
}

/* Copy the ink of glyph g onto canvas with its top-left corner at (row, col). */
static void
captcha_place(char canvas[DRAW_H][DRAW_W], const struct glyph *g, int row, int col)
{
	for (int y = 0; y < g->h; y++) {
		for (int x = 0; x < g->w; x++) {
			if (g->cells[y][x] != ' ' && col + x >= 0 && col + x < DRAW_W)
				canvas[row + y][col + x] = g->cells[y][x];
		}
	}
}

/*
 * Noise in the glyphs' own ink: a line wandering up and down through the
 * code from before its first glyph to after its last, a few marks of ink
 * and some light dust in the blank cells.
 */
static void
captcha_noise(char canvas[DRAW_H][DRAW_W], int from, int to)
{
	int y = captcha_random(2, DRAW_H - 3);

	from -= captcha_random(0, 4);
	to += captcha_random(0, 4);
	if (from < 0)
		from = 0;
	if (to >= DRAW_W)
		to = DRAW_W - 1;
	for (int x = from; x <= to; x++) {
		canvas[y][x] = captcha_ink[randombytes_uniform(sizeof captcha_ink - 1)];
		switch (randombytes_uniform(8)) {
		case 0:
			if (y > 1)
				y--;
			break;
		case 1:
			if (y < DRAW_H - 2)
				y++;
			break;
		}
	}
	for (int y2 = 0; y2 < DRAW_H; y2++) {
		for (int x = 0; x < DRAW_W; x++) {
			if (canvas[y2][x] != ' ')
				continue;
			if (randombytes_uniform(80) == 0)
				canvas[y2][x] = captcha_ink[randombytes_uniform(sizeof captcha_ink - 1)];
			else if (randombytes_uniform(14) == 0)
				canvas[y2][x] = captcha_dust[randombytes_uniform(sizeof captcha_dust - 1)];
		}
	}
}

json_t *
captcha_new(struct captcha **slot, int lifetime)
{
	char canvas[DRAW_H][DRAW_W];
	struct glyph glyphs[CAPTCHA_LENGTH];
	int gaps[CAPTCHA_LENGTH], used = 0, col, first;
	struct captcha *c;
	json_t *rows;

	if (sodium_init() < 0)
		abort();	/* no randomness: nothing sensible can go on */
	c = xcalloc(1, sizeof *c);
	for (int i = 0; i < CAPTCHA_LENGTH; i++) {
		int g = (int)randombytes_uniform(sizeof captcha_alphabet - 1);

		c->code[i] = captcha_alphabet[g];
		captcha_render(&glyphs[i], g);
		used += glyphs[i].w;
	}
	c->code[CAPTCHA_LENGTH] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &c->expires);
	c->expires.tv_sec += lifetime;

	/*
	 * Glyphs touch or stand up to six columns apart, and the lot starts
	 * anywhere it fits: usually 45 to 60 columns of 72.  Four of the widest
	 * glyphs take 68, so narrowing the gaps always makes it fit.
	 */
	for (int i = 1; i < CAPTCHA_LENGTH; i++) {
		gaps[i] = captcha_random(0, 6);
		used += gaps[i];
	}
	for (int i = 1; used > DRAW_W - 2; i = i % (CAPTCHA_LENGTH - 1) + 1) {
		if (gaps[i] > 0) {
			gaps[i]--;
			used--;
		}
	}
	col = first = captcha_random(1, DRAW_W - used - 1);

	memset(canvas, ' ', sizeof canvas);
	for (int i = 0; i < CAPTCHA_LENGTH; i++) {
		if (i > 0)
			col += gaps[i];
		captcha_place(canvas, &glyphs[i], captcha_random(0, DRAW_H - glyphs[i].h), col);
		col += glyphs[i].w;
	}
	captcha_noise(canvas, first, col - 1);

	rows = json_array();
	for (int y = 0; y < DRAW_H; y++)
		json_array_append_new(rows, json_stringn(canvas[y], DRAW_W));
	sodium_memzero(glyphs, sizeof glyphs);

	captcha_free(*slot);
	*slot = c;
	return json_pack("{s:o, s:i, s:i, s:i}", "rows", rows, "width", DRAW_W,
	    "height", DRAW_H, "expires_in", lifetime);
}

enum captcha_result
captcha_check(struct captcha **slot, const char *answer)
{
	struct captcha *c = *slot;
	struct timespec now;
	char given[CAPTCHA_LENGTH];
	enum captcha_result result;
	size_t n;

	if (c == NULL)
		return CAPTCHA_NONE;
	*slot = NULL;	/* every check consumes the code */

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > c->expires.tv_sec ||
	    (now.tv_sec == c->expires.tv_sec && now.tv_nsec >= c->expires.tv_nsec)) {
		result = CAPTCHA_EXPIRED;
		goto out;
	}
	/* Spaces around the answer are a slip of the fingers, not a wrong code. */
	if (answer == NULL)
		answer = "";
	while (*answer == ' ' || *answer == '\t')
		answer++;
	n = strlen(answer);
	while (n > 0 && (answer[n - 1] == ' ' || answer[n - 1] == '\t'))
		n--;
	if (n != CAPTCHA_LENGTH) {
		result = CAPTCHA_WRONG;
		goto out;
	}
	for (size_t i = 0; i < CAPTCHA_LENGTH; i++)
		given[i] = (char)toupper((unsigned char)answer[i]);
	result = sodium_memcmp(given, c->code, CAPTCHA_LENGTH) == 0 ?
	    CAPTCHA_OK : CAPTCHA_WRONG;
	sodium_memzero(given, sizeof given);
out:
	captcha_free(c);
	return result;
}

const char *
captcha_debug_answer(const struct captcha *c)
{
	return c != NULL ? c->code : NULL;
}
