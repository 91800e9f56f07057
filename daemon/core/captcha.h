/*
 * captcha.h - the login verification code (验证码), drawn in the terminal.
 *
 * The code lives only in the session that asked for it: single use,
 * expiring, compared case-insensitively, from an alphabet without
 * look-alike characters.  The client gets a drawing (rows of text: large
 * glyphs with noise), never the characters themselves.
 */
#ifndef JXJYD_CAPTCHA_H
#define JXJYD_CAPTCHA_H

#include <jansson.h>

struct captcha;

enum captcha_result {
	CAPTCHA_OK,		/* matched; now consumed */
	CAPTCHA_WRONG,		/* did not match; consumed */
	CAPTCHA_EXPIRED,	/* too old; consumed */
	CAPTCHA_NONE,		/* none outstanding (never asked, or already used) */
};

/*
 * Make a new code in *slot (freeing the one there) that expires after
 * lifetime seconds.  Returns the drawing for the client:
 * {"rows": [string...], "width": columns, "height": rows, "expires_in": s}.
 * Caller owns the returned object.
 */
json_t	*captcha_new(struct captcha **slot, int lifetime);

/* Check answer against *slot and consume it (the slot becomes empty). */
enum captcha_result captcha_check(struct captcha **slot, const char *answer);

void	 captcha_free(struct captcha *c);

/*
 * The outstanding code itself, for the test-only method debug.captcha_answer
 * (served only with debug_methods = true); NULL when none.  Not consumed.
 */
const char *captcha_debug_answer(const struct captcha *c);

#endif
