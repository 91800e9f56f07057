/*
 * test-validate.c - ID numbers (GB 11643-1999), phone numbers, e-mail
 * addresses and dates.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "validate.h"

/*
 * The check character computed here, independently of validate.c, from
 * the standard's weights and map, so a wrong table there cannot also make
 * the expected values wrong.
 */
static char
expect_check_char(const char *first17)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	int i, sum = 0;

	for (i = 0; i < 17; i++)
		sum += (first17[i] - '0') * w[i];
	return "10X98765432"[sum % 11];
}

/* An 18-character ID number from its parts, with a correct check character. */
static void
make_id(char out[19], int province, int y, int m, int d, int seq)
{
	char buf[64];

	/* Formatted into a roomy buffer: the parts are in range, so 17 digits come out. */
	snprintf(buf, sizeof buf, "%02d0105%04d%02d%02d%03d", province % 100, y % 10000,
	    m % 100, d % 100, seq % 1000);
	memcpy(out, buf, 17);
	out[17] = expect_check_char(out);
	out[18] = '\0';
}

/* s quoted for a TAP line: non-printable bytes as \xNN (one static buffer). */
static const char *
show(const char *s)
{
	static char buf[1200];
	size_t o = 0;

	if (s == NULL)
		return "NULL";
	buf[o++] = '"';
	for (; *s != '\0' && o < sizeof buf - 8; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(buf + o, sizeof buf - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static const char *
status_name(enum idnum_status st)
{
	static const char *const names[] = {
		"OK", "LENGTH", "CHARS", "REGION", "BIRTHDATE", "FUTURE", "CHECKSUM"
	};

	return (unsigned)st < 7 ? names[st] : "?";
}

#define CHECK_ID(s, today, want, ...) do {				\
	enum idnum_status got_ = idnum_check((s), (today), NULL);	\
	CHECK(got_ == (want), __VA_ARGS__);				\
	if (got_ != (want))						\
		printf("#   %s: got %s, want %s\n", show(s), \
		    status_name(got_), status_name(want));		\
} while (0)

static void
test_idnum_examples(void)
{
	struct idnum_info info;

	memset(&info, 0, sizeof info);
	CHECK(idnum_check("11010519491231002X", 0, &info) == IDNUM_OK,
	    "11010519491231002X is valid");
	CHECK_STR(info.normalized, "11010519491231002X", "normalized kept");
	CHECK(info.year == 1949 && info.month == 12 && info.day == 31,
	    "birth date 1949-12-31");
	CHECK(info.sex == SEX_FEMALE, "sequence 002: female");
	CHECK(info.province == 11, "province 11");

	memset(&info, 0, sizeof info);
	CHECK(idnum_check("440524188001010014", 0, &info) == IDNUM_OK,
	    "440524188001010014 is valid");
	CHECK(info.year == 1880 && info.month == 1 && info.day == 1 &&
	    info.sex == SEX_MALE && info.province == 44,
	    "1880-01-01, male, province 44");

	memset(&info, 0, sizeof info);
	CHECK(idnum_check("11010519491231002x", 0, &info) == IDNUM_OK,
	    "lower-case x accepted");
	CHECK_STR(info.normalized, "11010519491231002X", "lower-case x normalized");

	CHECK(idnum_check_char("11010519491231002") == 'X', "check char X");
	CHECK(idnum_check_char("44052418800101001") == '4', "check char 4");
	CHECK(idnum_check_char("1101051949123100") == '\0',
	    "check char of 16 digits: none");
	CHECK(idnum_check_char("1101051949123100a") == '\0',
	    "check char of a non-digit: none");
	CHECK(idnum_check_char(NULL) == '\0', "check char of NULL: none");
}

static void
test_idnum_generated(void)
{
	static const int provinces[] = { 11, 15, 21, 23, 31, 37, 41, 46, 50,
	    54, 61, 65, 71, 81, 82, 83 };
	struct idnum_info info;
	unsigned long x = 12345;
	char id[19], first17[18];
	int i, j, bad = 0, mismatch = 0, residues_seen[128] = { 0 }, distinct = 0;

	/* 17 pseudo-random digits: idnum_check_char agrees with the standard. */
	for (i = 0; i < 5000; i++) {
		for (j = 0; j < 17; j++) {
			x = (x * 1103515245 + 12345) & 0x7fffffff;
			first17[j] = (char)('0' + (x >> 16) % 10);
		}
		first17[17] = '\0';
		if (idnum_check_char(first17) != expect_check_char(first17))
			mismatch++;
		residues_seen[(unsigned char)expect_check_char(first17)] = 1;
	}
	for (i = 0; i < 128; i++)
		distinct += residues_seen[i];
	CHECK(mismatch == 0, "check char matches the standard on 5000 inputs "
	    "(%d mismatches)", mismatch);
	CHECK(distinct == 11, "all 11 check characters occurred (%d)", distinct);

	/* Valid numbers across provinces, dates, sexes. */
	for (i = 0; i < (int)(sizeof provinces / sizeof provinces[0]); i++) {
		for (j = 0; j < 40; j++) {
			int y = 1900 + (i * 7 + j * 3) % 120, m = 1 + j % 12,
			    d = 1 + (i + j) % 28, seq = (i * 40 + j) % 1000;

			make_id(id, provinces[i], y, m, d, seq);
			memset(&info, 0, sizeof info);
			if (idnum_check(id, 20240601, &info) != IDNUM_OK ||
			    strcmp(info.normalized, id) != 0 ||
			    info.year != y || info.month != m || info.day != d ||
			    info.province != provinces[i] ||
			    info.sex != (seq % 2 ? SEX_MALE : SEX_FEMALE)) {
				if (bad++ == 0)
					printf("# first failure: %s\n", id);
			}
		}
	}
	CHECK(bad == 0, "640 generated valid ID numbers pass with right info "
	    "(%d failed)", bad);

	make_id(id, 41, 1980, 1, 1, 1);
	CHECK_STR(id, "410105198001010017", "generator: 410105198001010017");
	CHECK_ID(id, 0, IDNUM_OK, "410105198001010017 valid");
	make_id(id, 41, 2000, 2, 29, 2);
	CHECK_ID(id, 20240101, IDNUM_OK, "born on 2000-02-29 (leap)");
	make_id(id, 41, 1800, 1, 1, 3);
	CHECK_ID(id, 20240101, IDNUM_OK, "born 1800-01-01: earliest accepted");
}

static void
test_idnum_failures(void)
{
	static const int not_provinces[] = { 0, 10, 16, 19, 20, 24, 30, 38, 40,
	    47, 49, 55, 60, 66, 70, 72, 80, 84, 90, 99 };
	char id[19];
	int i, wrong, code, n_valid = 0;
	bool table_ok = true;

	CHECK_ID(NULL, 0, IDNUM_LENGTH, "NULL: length");
	CHECK_ID("", 0, IDNUM_LENGTH, "empty: length");
	CHECK_ID("11010519491231002", 0, IDNUM_LENGTH, "17 characters: length");
	CHECK_ID("11010519491231002X0", 0, IDNUM_LENGTH, "19 characters: length");
	CHECK_ID("110105491231002", 0, IDNUM_LENGTH, "old 15-digit form: length");
	CHECK_ID("11010519491231002X ", 0, IDNUM_LENGTH, "trailing space: length");

	CHECK_ID("1101051949123100AX", 0, IDNUM_CHARS, "letter inside: chars");
	CHECK_ID("X10105194912310021", 0, IDNUM_CHARS, "X first: chars");
	CHECK_ID("11010519491231002Y", 0, IDNUM_CHARS, "Y last: chars");
	CHECK_ID("110105 9491231002X", 0, IDNUM_CHARS, "space inside: chars");
	CHECK_ID("-1010519491231002X", 0, IDNUM_CHARS, "sign: chars");
	CHECK_ID("99010519491231002*", 0, IDNUM_CHARS,
	    "bad char beats bad region (order of checks)");

	for (i = 0; i < (int)(sizeof not_provinces / sizeof not_provinces[0]); i++) {
		make_id(id, not_provinces[i], 1980, 5, 5, 11);
		CHECK_ID(id, 0, IDNUM_REGION, "prefix %02d: region", not_provinces[i]);
	}
	for (code = 0; code < 100; code++) {
		bool want = (code >= 11 && code <= 15) || (code >= 21 && code <= 23) ||
		    (code >= 31 && code <= 37) || (code >= 41 && code <= 46) ||
		    (code >= 50 && code <= 54) || (code >= 61 && code <= 65) ||
		    code == 71 || (code >= 81 && code <= 83);

		if (idnum_province_valid(code) != want)
			table_ok = false;
		n_valid += want;
	}
	CHECK(table_ok && n_valid == 35,
	    "idnum_province_valid agrees with the list for 0..99");
	CHECK(!idnum_province_valid(-11) && !idnum_province_valid(111),
	    "out-of-range codes refused");

	make_id(id, 41, 1980, 13, 1, 1);
	CHECK_ID(id, 0, IDNUM_BIRTHDATE, "month 13: birth date");
	make_id(id, 41, 1980, 0, 1, 1);
	CHECK_ID(id, 0, IDNUM_BIRTHDATE, "month 00: birth date");
	make_id(id, 41, 1980, 1, 0, 1);
	CHECK_ID(id, 0, IDNUM_BIRTHDATE, "day 00: birth date");
	make_id(id, 41, 1980, 1, 32, 1);
	CHECK_ID(id, 0, IDNUM_BIRTHDATE, "day 32: birth date");
	make_id(id, 41, 1981, 4, 31, 1);
	CHECK_ID(id, 0, IDNUM_BIRTHDATE, "April 31: birth date");
	make_id(id, 41, 1900, 2, 29, 1);
	CHECK_ID(id, 0, IDNUM_BIRTHDATE, "1900-02-29 (century, not leap): birth date");
	make_id(id, 41, 1999, 2, 29, 1);
	CHECK_ID(id, 0, IDNUM_BIRTHDATE, "1999-02-29: birth date");
	make_id(id, 41, 1799, 12, 31, 1);
	CHECK_ID(id, 0, IDNUM_BIRTHDATE, "year 1799: birth date");
	make_id(id, 41, 0, 1, 1, 1);
	CHECK_ID(id, 0, IDNUM_BIRTHDATE, "year 0000: birth date");

	make_id(id, 41, 2024, 6, 2, 1);
	CHECK_ID(id, 20240601, IDNUM_FUTURE, "born the day after today: future");
	make_id(id, 41, 2024, 6, 1, 1);
	CHECK_ID(id, 20240601, IDNUM_OK, "born today: ok");
	make_id(id, 41, 2025, 1, 1, 1);
	CHECK_ID(id, 20241231, IDNUM_FUTURE, "born next year: future");
	make_id(id, 41, 2990, 1, 1, 1);
	CHECK_ID(id, 0, IDNUM_FUTURE, "born 2990, real today: future");

	/* Every wrong check character is caught. */
	make_id(id, 44, 1990, 7, 15, 123);
	wrong = 0;
	for (i = 0; i < 11; i++) {
		char c = "0123456789X"[i];

		if (c == id[17])
			continue;
		id[17] = c;
		if (idnum_check(id, 0, NULL) != IDNUM_CHECKSUM)
			wrong++;
		make_id(id, 44, 1990, 7, 15, 123);
	}
	CHECK(wrong == 0, "each of the 10 wrong check characters: checksum (%d missed)",
	    wrong);
	/* A single mistyped digit anywhere is caught. */
	wrong = 0;
	for (i = 6; i < 17; i++) {
		char save;

		make_id(id, 44, 1990, 7, 15, 123);
		save = id[i];
		id[i] = save == '1' ? '2' : '1';
		if (idnum_check(id, 0, NULL) == IDNUM_OK)
			wrong++;
	}
	CHECK(wrong == 0, "a changed digit never passes (%d passed)", wrong);
	CHECK_ID("11010519491231002Y", 0, IDNUM_CHARS, "Y is chars, not checksum");
	CHECK_ID("110105194912310021", 0, IDNUM_CHECKSUM, "digit for X: checksum");
}

#define CHECK_PHONE(s, want) \
	CHECK(phone_valid(s) == (want), "phone %s %s", show(s), \
	    (want) ? "valid" : "refused")

static void
test_phone(void)
{
	char buf[16];
	int d, ok = 0;

	for (d = 3; d <= 9; d++) {
		snprintf(buf, sizeof buf, "1%d012345678", d);
		ok += phone_valid(buf);
	}
	CHECK(ok == 7, "13x..19x all valid (%d)", ok);
	CHECK_PHONE("13800138000", true);
	CHECK_PHONE("19999999999", true);
	CHECK_PHONE("12800138000", false);
	CHECK_PHONE("10800138000", false);
	CHECK_PHONE("23800138000", false);
	CHECK_PHONE("1380013800", false);
	CHECK_PHONE("138001380001", false);
	CHECK_PHONE("+8613800138000", false);
	CHECK_PHONE("138 0013 8000", false);
	CHECK_PHONE("1380013800a", false);
	CHECK_PHONE("13800138000\n", false);
	CHECK_PHONE("", false);
	CHECK_PHONE("1", false);
	CHECK_PHONE(NULL, false);
}

#define CHECK_EMAIL(s, want) \
	CHECK(email_valid(s) == (want), "e-mail %s %s", show(s), \
	    (want) ? "valid" : "refused")

static void
test_email(void)
{
	char buf[400];
	size_t n;

	CHECK_EMAIL("a@b.cn", true);
	CHECK_EMAIL("zhang.san@example.com.cn", true);
	CHECK_EMAIL("user+tag@sub.example.org", true);
	CHECK_EMAIL("x_y-z@a-b.com", true);
	CHECK_EMAIL("O'Brien@example.ie", true);
	CHECK_EMAIL("12345@qq.com", true);
	CHECK_EMAIL("a@example.xn--fiqs8s", true);
	CHECK_EMAIL("A.B@EXAMPLE.COM", true);

	CHECK_EMAIL(NULL, false);
	CHECK_EMAIL("", false);
	CHECK_EMAIL("plain", false);
	CHECK_EMAIL("@example.com", false);
	CHECK_EMAIL("a@", false);
	CHECK_EMAIL("a@b", false);
	CHECK_EMAIL("a@b.", false);
	CHECK_EMAIL("a@.com", false);
	CHECK_EMAIL("a@b..com", false);
	CHECK_EMAIL(".a@b.com", false);
	CHECK_EMAIL("a.@b.com", false);
	CHECK_EMAIL("a..b@c.com", false);
	CHECK_EMAIL("a b@c.com", false);
	CHECK_EMAIL("a@b c.com", false);
	CHECK_EMAIL(" a@b.com", false);
	CHECK_EMAIL("a@b.com ", false);
	CHECK_EMAIL("a@@b.com", false);
	CHECK_EMAIL("a@b@c.com", false);
	CHECK_EMAIL("a@-b.com", false);
	CHECK_EMAIL("a@b-.com", false);
	CHECK_EMAIL("a@b.c", false);
	CHECK_EMAIL("a@1.2.3.4", false);
	CHECK_EMAIL("a@[127.0.0.1]", false);
	CHECK_EMAIL("\"a\"@b.com", false);
	CHECK_EMAIL("a,b@c.com", false);
	CHECK_EMAIL("a@b_c.com", false);
	CHECK_EMAIL("\xe5\xbc\xa0@example.com", false);
	CHECK_EMAIL("a@\xe4\xbe\x8b.com", false);
	CHECK_EMAIL("a@b.com\n", false);

	/* Local part: 64 bytes ok, 65 not. */
	memset(buf, 'l', 64);
	strcpy(buf + 64, "@example.com");
	CHECK(email_valid(buf), "local part of 64 bytes: valid");
	memset(buf, 'l', 65);
	strcpy(buf + 65, "@example.com");
	CHECK(!email_valid(buf), "local part of 65 bytes: refused");

	/* Label: 63 ok, 64 not. */
	strcpy(buf, "a@");
	memset(buf + 2, 'd', 63);
	strcpy(buf + 65, ".com");
	CHECK(email_valid(buf), "domain label of 63 bytes: valid");
	memset(buf + 2, 'd', 64);
	strcpy(buf + 66, ".com");
	CHECK(!email_valid(buf), "domain label of 64 bytes: refused");

	/* Whole address: 254 bytes ok, 255 not. */
	memset(buf, 'l', 64);
	n = 64;
	buf[n++] = '@';
	memset(buf + n, 'a', 63);
	n += 63;
	buf[n++] = '.';
	memset(buf + n, 'b', 63);
	n += 63;
	buf[n++] = '.';
	memset(buf + n, 'c', 58);
	n += 58;
	strcpy(buf + n, ".cn");
	CHECK(strlen(buf) == 254 && email_valid(buf), "254-byte address: valid");
	memmove(buf + n + 1, buf + n, 4);
	buf[n] = 'c';
	CHECK(strlen(buf) == 255 && !email_valid(buf), "255-byte address: refused");
}

#define CHECK_DATE(s, want) \
	CHECK(date_valid((s), NULL, NULL, NULL) == (want), "date %s %s", \
	    show(s), (want) ? "valid" : "refused")

static void
test_date(void)
{
	int y = 0, m = 0, d = 0;

	CHECK(date_valid("2024-02-29", &y, &m, &d) && y == 2024 && m == 2 && d == 29,
	    "2024-02-29: valid, fields filled");
	CHECK(date_valid("0001-01-01", &y, &m, &d) && y == 1 && m == 1 && d == 1,
	    "0001-01-01: valid");
	CHECK_DATE("2000-02-29", true);
	CHECK_DATE("1999-12-31", true);
	CHECK_DATE("9999-12-31", true);
	CHECK_DATE("2023-01-31", true);
	CHECK_DATE("2023-04-30", true);

	CHECK_DATE("2023-02-29", false);
	CHECK_DATE("1900-02-29", false);
	CHECK_DATE("2100-02-29", false);
	CHECK_DATE("2024-02-30", false);
	CHECK_DATE("2024-04-31", false);
	CHECK_DATE("2024-06-31", false);
	CHECK_DATE("2024-09-31", false);
	CHECK_DATE("2024-11-31", false);
	CHECK_DATE("2024-01-32", false);
	CHECK_DATE("2024-13-01", false);
	CHECK_DATE("2024-00-10", false);
	CHECK_DATE("2024-01-00", false);
	CHECK_DATE("0000-01-01", false);
	CHECK_DATE("2024-1-01", false);
	CHECK_DATE("2024-01-1", false);
	CHECK_DATE("24-01-01", false);
	CHECK_DATE("2024/01/01", false);
	CHECK_DATE("20240101", false);
	CHECK_DATE("2024-01-01 ", false);
	CHECK_DATE(" 2024-01-01", false);
	CHECK_DATE("2024-01-01T00:00", false);
	CHECK_DATE("2024-0a-01", false);
	CHECK_DATE("+024-01-01", false);
	CHECK_DATE("", false);
	CHECK_DATE(NULL, false);
}

int
main(void)
{
	test_idnum_examples();
	test_idnum_generated();
	test_idnum_failures();
	test_phone();
	test_email();
	test_date();
	return check_done();
}
