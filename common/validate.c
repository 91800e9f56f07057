/*
 * validate.c - rules on what people type: ID numbers, phone numbers,
 * e-mail addresses, dates.
 *
 * Pure functions on NUL-terminated strings; a NULL string is never valid.
 * They do not depend on the process locale (no isdigit and friends, whose
 * answer may change with LC_CTYPE).
 */
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "validate.h"

/* Earliest birth year we take for a real person's ID number. */
#define IDNUM_MIN_YEAR		1800

/* China Standard Time has no daylight saving: always UTC+8. */
#define CST_OFFSET		(8 * 3600)

static bool
validate_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
validate_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Value of n decimal digits at s (the caller has checked they are digits). */
static int
validate_number(const char *s, int n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

static bool
validate_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* True for a real Gregorian date, year 1..9999. */
static bool
validate_ymd(int y, int m, int d)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int last;

	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	last = days[m - 1];
	if (m == 2 && validate_leap(y))
		last = 29;
	return d <= last;
}

/* Today in China as YYYYMMDD. */
static int
validate_today(void)
{
	time_t now = time(NULL) + CST_OFFSET;
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL)
		return 0;
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* True for a province-level code; see validate.h for the list. */
bool
idnum_province_valid(int code)
{
	return (code >= 11 && code <= 15) ||
	    (code >= 21 && code <= 23) ||
	    (code >= 31 && code <= 37) ||
	    (code >= 41 && code <= 46) ||
	    (code >= 50 && code <= 54) ||
	    (code >= 61 && code <= 65) ||
	    code == 71 ||
	    (code >= 81 && code <= 83);
}

/*
 * ISO 7064 MOD 11-2 over the first 17 digits.  Returns '0'..'9' or 'X';
 * '\0' when first17 does not start with 17 digits.
 */
char
idnum_check_char(const char *first17)
{
	static const int weight[17] = {
		7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2
	};
	static const char map[11] = "10X98765432";
	int i, sum = 0;

	if (first17 == NULL)
		return '\0';
	for (i = 0; i < 17; i++) {
		if (!validate_digit(first17[i]))
			return '\0';
		sum += (first17[i] - '0') * weight[i];
	}
	return map[sum % 11];
}

/*
 * Check an ID number; see validate.h.  The checks run from the coarsest
 * to the finest so the status names the first thing a person got wrong.
 * Returns IDNUM_OK and fills info (when not NULL), or the failure.
 */
enum idnum_status
idnum_check(const char *s, int today, struct idnum_info *info)
{
	char norm[19];
	int i, y, m, d;

	if (s == NULL || strlen(s) != 18)
		return IDNUM_LENGTH;
	for (i = 0; i < 17; i++) {
		if (!validate_digit(s[i]))
			return IDNUM_CHARS;
		norm[i] = s[i];
	}
	if (validate_digit(s[17]))
		norm[17] = s[17];
	else if (s[17] == 'X' || s[17] == 'x')
		norm[17] = 'X';
	else
		return IDNUM_CHARS;
	norm[18] = '\0';

	if (!idnum_province_valid(validate_number(norm, 2)))
		return IDNUM_REGION;

	y = validate_number(norm + 6, 4);
	m = validate_number(norm + 10, 2);
	d = validate_number(norm + 12, 2);
	if (y < IDNUM_MIN_YEAR || !validate_ymd(y, m, d))
		return IDNUM_BIRTHDATE;
	if (today == 0)
		today = validate_today();
	if (y * 10000 + m * 100 + d > today)
		return IDNUM_FUTURE;

	if (idnum_check_char(norm) != norm[17])
		return IDNUM_CHECKSUM;

	if (info != NULL) {
		memcpy(info->normalized, norm, sizeof info->normalized);
		info->year = y;
		info->month = m;
		info->day = d;
		info->sex = (norm[16] - '0') % 2 ? SEX_MALE : SEX_FEMALE;
		info->province = validate_number(norm, 2);
	}
	return IDNUM_OK;
}

/* Mainland mobile number: 11 digits, 1[3-9] then nine more digits. */
bool
phone_valid(const char *s)
{
	int i;

	if (s == NULL || s[0] != '1' || s[1] < '3' || s[1] > '9')
		return false;
	for (i = 2; i < 11; i++) {
		if (!validate_digit(s[i]))
			return false;
	}
	return s[11] == '\0';
}

/* Characters RFC 5322 allows unquoted in a local part (dots aside). */
static bool
email_local_char(char c)
{
	return validate_alpha(c) || validate_digit(c) ||
	    (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

/*
 * One domain label at s, len bytes: 1..63 letters, digits and hyphens,
 * no hyphen first or last.
 */
static bool
email_label_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++) {
		if (!validate_alpha(s[i]) && !validate_digit(s[i]) &&
		    s[i] != '-')
			return false;
	}
	return true;
}

/*
 * A plausible address, not RFC 5322 in full: what people type into a
 * form.  Local part: 1..64 of the unquoted characters, dots only between
 * them.  Domain: at least two labels, at most 253 bytes, the last label
 * (the top-level domain) at least two characters and not all digits, so
 * "a@b" and "a@1.2.3.4" are refused.  No quoted local parts, no IP
 * literals, no internationalised (non-ASCII) addresses.
 */
bool
email_valid(const char *s)
{
	const char *at, *dom, *dot, *label;
	size_t len, local, i;
	bool alpha_tld = false;

	if (s == NULL)
		return false;
	len = strlen(s);
	if (len > 254 || (at = strchr(s, '@')) == NULL)
		return false;

	local = (size_t)(at - s);
	if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.')
		return false;
	for (i = 0; i < local; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (!email_local_char(s[i]))
			return false;
	}

	dom = at + 1;
	if (strlen(dom) > 253 || strchr(dom, '.') == NULL)
		return false;
	label = dom;
	while ((dot = strchr(label, '.')) != NULL) {
		if (!email_label_valid(label, (size_t)(dot - label)))
			return false;
		label = dot + 1;
	}
	/* label is now the top-level domain; a second '@' fails here too. */
	len = strlen(label);
	if (len < 2 || !email_label_valid(label, len))
		return false;
	for (i = 0; i < len; i++) {
		if (!validate_digit(label[i]))
			alpha_tld = true;
	}
	return alpha_tld;
}

/* YYYY-MM-DD naming a real date (year 0001..9999); fills y, m, d if set. */
bool
date_valid(const char *s, int *y, int *m, int *d)
{
	static const char shape[] = "dddd-dd-dd";
	int i, yy, mm, dd;

	if (s == NULL)
		return false;
	for (i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'd' ? !validate_digit(s[i]) : s[i] != shape[i])
			return false;
	}
	if (s[i] != '\0')
		return false;
	yy = validate_number(s, 4);
	mm = validate_number(s + 5, 2);
	dd = validate_number(s + 8, 2);
	if (!validate_ymd(yy, mm, dd))
		return false;
	if (y != NULL)
		*y = yy;
	if (m != NULL)
		*m = mm;
	if (d != NULL)
		*d = dd;
	return true;
}
