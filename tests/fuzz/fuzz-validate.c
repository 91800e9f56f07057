/*
 * fuzz-validate.c - what people type: ID numbers, mobile numbers, e-mail
 * addresses and dates (common/validate.c), and the UTF-8 text functions
 * every name and reason passes through (common/text.c).
 *
 * Input: the text, as a person could type it.  Each validator's yes is
 * checked against the rule it states, by a second, plainer reading.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "text.h"
#include "validate.h"

/* A fixed "today" keeps a finding reproducible; the real one runs too. */
#define FUZZ_TODAY	20250615

static bool
fuzz_digits(const char *s, size_t n)
{
	return strspn(s, "0123456789") >= n;
}

static void
fuzz_idnum(const char *s)
{
	struct idnum_info info;
	char date[16];

	for (int pass = 0; pass < 2; pass++) {
		memset(&info, 0xa5, sizeof info);
		if (idnum_check(s, pass == 0 ? FUZZ_TODAY : 0, &info) != IDNUM_OK)
			continue;
		FUZZ_ASSERT(strlen(s) == 18 && fuzz_digits(s, 17));
		FUZZ_ASSERT(strncmp(info.normalized, s, 17) == 0 && info.normalized[18] == '\0');
		FUZZ_ASSERT(info.normalized[17] == (s[17] == 'x' ? 'X' : s[17]));
		FUZZ_ASSERT(idnum_check_char(info.normalized) == info.normalized[17]);
		FUZZ_ASSERT(idnum_province_valid(info.province));
		FUZZ_ASSERT(info.province == (s[0] - '0') * 10 + (s[1] - '0'));
		FUZZ_ASSERT((int)info.sex == (s[16] - '0') % 2);
		snprintf(date, sizeof date, "%04d-%02d-%02d", info.year, info.month, info.day);
		FUZZ_ASSERT(date_valid(date, NULL, NULL, NULL));
		FUZZ_ASSERT(pass != 0 ||
		    info.year * 10000 + info.month * 100 + info.day <= FUZZ_TODAY);
	}
	if (strlen(s) >= 17)
		(void)idnum_check_char(s);
}

static void
fuzz_phone(const char *s)
{
	bool want = strlen(s) == 11 && s[0] == '1' && s[1] >= '3' && s[1] <= '9' &&
	    fuzz_digits(s, 11);

	FUZZ_ASSERT(phone_valid(s) == want);
}

static void
fuzz_email(const char *s)
{
	const char *at = strchr(s, '@');

	if (!email_valid(s))
		return;
	FUZZ_ASSERT(strlen(s) <= 254 && at != NULL && strchr(at + 1, '@') == NULL);
	FUZZ_ASSERT(at > s && at - s <= 64 && strchr(at, '.') != NULL);
	FUZZ_ASSERT(strstr(s, "..") == NULL && s[0] != '.' && at[-1] != '.');
	for (const char *p = s; *p != '\0'; p++)
		FUZZ_ASSERT((unsigned char)*p > ' ' && (unsigned char)*p < 0x7f);
}

static void
fuzz_date(const char *s)
{
	char again[16];
	int y, m, d;

	if (!date_valid(s, &y, &m, &d))
		return;
	FUZZ_ASSERT(y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= 31);
	snprintf(again, sizeof again, "%04d-%02d-%02d", y, m, d);
	FUZZ_ASSERT(strcmp(again, s) == 0);
}

static void
fuzz_text(const char *s, size_t len)
{
	bool valid = utf8_valid(s, len);
	char *clean, *fit;
	int cols;

	if (valid && strlen(s) == len)
		FUZZ_ASSERT(utf8_length(s) <= len);
	for (int multiline = 0; multiline < 2; multiline++) {
		/* Whatever came in, what is drawn is valid and holds no control. */
		clean = text_sanitize(s, multiline);
		FUZZ_ASSERT(utf8_valid(clean, strlen(clean)));
		for (const char *p = clean; *p != '\0'; p++)
			FUZZ_ASSERT(((unsigned char)*p >= ' ' && *p != 0x7f) ||
			    (multiline && *p == '\n'));
		free(clean);
	}
	cols = text_width(s);
	FUZZ_ASSERT(cols >= 0);
	fit = text_fit(s, 10);
	FUZZ_ASSERT(strncmp(fit, s, strlen(fit)) == 0);
	FUZZ_ASSERT(text_width(fit) <= 10);
	free(fit);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_idnum(s);
	fuzz_phone(s);
	fuzz_email(s);
	fuzz_date(s);
	fuzz_text(s, size);
	free(s);
	return 0;
}
