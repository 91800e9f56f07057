/*
 * captcha.c - four characters drawn as large glyphs of '#', with noise.
 *
 * A terminal cannot show a picture, so the code is drawn with text: each
 * character of a 5x7 bitmap font becomes a block of '#' (every pixel two
 * columns wide, which looks square in a terminal cell), shifted up or down
 * by a row and spaced at random, with punctuation sprinkled around it.
 * The characters themselves never appear in the drawing, and the alphabet
 * leaves out those a person could confuse (0/O/D, 1/I/L, 2/Z, 5/S, 6/G,
 * 8/B, Q).  Only ASCII is used, so every terminal shows one column per
 * byte, whatever it thinks of ambiguous-width characters.
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
#define PIXEL_COLS	2		/* terminal columns per pixel */
#define DRAW_W		72		/* columns of the drawing (fits 76) */
#define DRAW_H		(GLYPH_H + 2)	/* a row of room above and below */

struct captcha {
	char		 code[CAPTCHA_LENGTH + 1];	/* upper case */
	struct timespec	 expires;			/* CLOCK_MONOTONIC */
};

static const char captcha_alphabet[] = "ACDEFHJKMNPRTUVWXY3479";

/* Noise: light marks that no one reads as part of a glyph. */
static const char captcha_noise[] = ".,'`:;-~^\"";

/* One row per string, '#' set; in the order of captcha_alphabet. */
static const char *const captcha_font[][GLYPH_H] = {
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
};

_Static_assert(sizeof captcha_font / sizeof captcha_font[0] == sizeof captcha_alphabet - 1,
    "one glyph per character of the alphabet");

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

/* Draw glyph g with its top-left corner at (row, col) of canvas. */
static void
captcha_draw_glyph(char canvas[DRAW_H][DRAW_W], int g, int row, int col)
{
	for (int y = 0; y < GLYPH_H; y++) {
		for (int x = 0; x < GLYPH_W; x++) {
			if (captcha_font[g][y][x] != '#')
				continue;
			for (int k = 0; k < PIXEL_COLS; k++)
				canvas[row + y][col + x * PIXEL_COLS + k] = '#';
		}
	}
}

json_t *
captcha_new(struct captcha **slot, int lifetime)
{
	char canvas[DRAW_H][DRAW_W];
	int glyphs[CAPTCHA_LENGTH], gaps[CAPTCHA_LENGTH], used, col;
	struct captcha *c;
	json_t *rows;

	if (sodium_init() < 0)
		abort();	/* no randomness: nothing sensible can go on */
	c = xcalloc(1, sizeof *c);
	for (int i = 0; i < CAPTCHA_LENGTH; i++) {
		glyphs[i] = (int)randombytes_uniform(sizeof captcha_alphabet - 1);
		c->code[i] = captcha_alphabet[glyphs[i]];
	}
	c->code[CAPTCHA_LENGTH] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &c->expires);
	c->expires.tv_sec += lifetime;

	/*
	 * Space the glyphs 3..8 columns apart and centre the lot with a random
	 * offset: 4 glyphs of 10 columns and 3 gaps take at most 64 of 72.
	 */
	used = CAPTCHA_LENGTH * GLYPH_W * PIXEL_COLS;
	for (int i = 1; i < CAPTCHA_LENGTH; i++) {
		gaps[i] = captcha_random(3, 8);
		used += gaps[i];
	}
	col = captcha_random(1, DRAW_W - used - 1);

	memset(canvas, ' ', sizeof canvas);
	for (int i = 0; i < CAPTCHA_LENGTH; i++) {
		if (i > 0)
			col += gaps[i];
		/* Row 1 is the middle; 0 and 2 shift the glyph up or down. */
		captcha_draw_glyph(canvas, glyphs[i], captcha_random(0, 2), col);
		col += GLYPH_W * PIXEL_COLS;
	}
	/* About one blank cell in twelve gets a noise mark. */
	for (int y = 0; y < DRAW_H; y++) {
		for (int x = 0; x < DRAW_W; x++) {
			if (canvas[y][x] == ' ' && randombytes_uniform(12) == 0)
				canvas[y][x] = captcha_noise[randombytes_uniform(
				    sizeof captcha_noise - 1)];
		}
	}

	rows = json_array();
	for (int y = 0; y < DRAW_H; y++)
		json_array_append_new(rows, json_stringn(canvas[y], DRAW_W));

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
