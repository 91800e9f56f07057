/*
 * validate.h - rules on what people type, shared by jxjyd (which decides)
 * and jxjy (which may warn early).
 */
#ifndef JXJY_VALIDATE_H
#define JXJY_VALIDATE_H

#include <stdbool.h>

/* Resident ID number, GB 11643-1999. */
enum idnum_status {
	IDNUM_OK = 0,
	IDNUM_LENGTH,		/* not 18 characters */
	IDNUM_CHARS,		/* not 17 digits and a digit or X */
	IDNUM_REGION,		/* first two digits are no province-level code */
	IDNUM_BIRTHDATE,	/* no real date */
	IDNUM_FUTURE,		/* born after today */
	IDNUM_CHECKSUM,		/* ISO 7064 MOD 11-2 check character wrong */
};

enum sex { SEX_FEMALE = 0, SEX_MALE = 1 };

struct idnum_info {
	char	 normalized[19];	/* 18 characters, upper-case X */
	int	 year, month, day;	/* birth date */
	enum sex sex;			/* from the sequence digits: odd male */
	int	 province;		/* first two digits */
};

/*
 * Check an ID number; 'today' as YYYYMMDD (0: the real current date, UTC+8).
 * A lower-case x is accepted and normalized.  On IDNUM_OK, info is filled.
 */
enum idnum_status idnum_check(const char *s, int today, struct idnum_info *info);

/* The check character for the first 17 digits ('0'..'9' or 'X'). */
char	idnum_check_char(const char *first17);

/* True for a province-level code (11..15, 21..23, 31..37, 41..46, 50..54, 61..65, 71, 81..83). */
bool	idnum_province_valid(int code);

/* Mainland mobile number: 11 digits, 1[3-9]xxxxxxxxx. */
bool	phone_valid(const char *s);

/* A plausible e-mail address: local@domain.tld, ASCII, at most 254 bytes. */
bool	email_valid(const char *s);

/* YYYY-MM-DD naming a real date; fills y/m/d when not NULL. */
bool	date_valid(const char *s, int *y, int *m, int *d);

#endif
