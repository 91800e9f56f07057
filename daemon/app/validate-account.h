/*
 * validate-account.h - the rules on an account's fields that registration
 * (rpc-register.c) and profile edits (rpc-profile.c) share, so that a value
 * refused by one is refused by the other with the same reason word.
 *
 * Checks that need no database return the reason word of the broken rule,
 * or NULL when the value is acceptable; the caller names the field.  Codes
 * of the reference tables are looked up all at once (account_refs_look_up),
 * one round trip however many there are.
 */
#ifndef JXJYD_VALIDATE_ACCOUNT_H
#define JXJYD_VALIDATE_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>

#include "validate.h"

struct db_conn;

#define ACCOUNT_NAME_MAX	50	/* characters of a name */
#define ACCOUNT_TEXT_MAX	100	/* characters of native_place, school */

/*
 * A copy of s without leading and trailing blanks (ASCII space and tab,
 * and the ideographic space U+3000 a Chinese input method types).
 * Returns NULL when s is NULL; caller frees.
 */
char	*account_trim(const char *s);

/* The reason word of an ID number's status; NULL for IDNUM_OK. */
const char *account_idnum_reason(enum idnum_status st);

/*
 * Text of 1 to max_chars characters (text_check): NULL when acceptable,
 * "text_invisible" when it holds an invisible or direction-changing
 * character (its own word, so that a person learns what to remove), else
 * reason.  s NULL is not acceptable.
 */
const char *account_text_reason(const char *s, bool multiline, size_t max_chars,
	    const char *reason);

/* Rules on single values: NULL when acceptable, else the reason word. */
const char *account_check_phone(const char *s);	/* "phone_invalid" */
const char *account_check_email(const char *s);	/* "email_invalid" */
const char *account_check_name(const char *s);		/* "name_invalid", "text_invisible" */
const char *account_check_text(const char *s);		/* "text_invalid", "text_invisible" (native_place, school) */

/* The reference tables an account names. */
enum account_ref {
	ACCOUNT_REF_UNIT,
	ACCOUNT_REF_DEPARTMENT,		/* an active department of the unit */
	ACCOUNT_REF_ETHNICITY,
	ACCOUNT_REF_MAJOR,
	ACCOUNT_REF_TITLE,
	ACCOUNT_REF_EDUCATION,
	ACCOUNT_REF_COUNT
};

struct account_refs {
	/* Asked: NULL (or has_* false) is not asked, and counts as known. */
	const char	*unit;
	long long	 department_id;	/* within unit */
	bool		 has_department;
	const char	*ethnicity;
	const char	*major;
	long long	 title_id;
	bool		 has_title;
	const char	*education;

	/* Answered by account_refs_look_up. */
	bool		 known[ACCOUNT_REF_COUNT];
	char		*name[ACCOUNT_REF_COUNT];	/* display name when asked and known */
};

/*
 * Look up every code of refs in one statement.  A title's name is
 * "series / level / name" (工程 / 中级 / 工程师).  Returns 0 with known[]
 * and name[] filled (free with account_refs_free), or -1 when the database
 * failed (db_error_text says why).
 */
int	account_refs_look_up(struct db_conn *db, struct account_refs *refs);
void	account_refs_free(struct account_refs *refs);

/* The reason word of an unknown reference ("unit_unknown", ...). */
const char *account_ref_reason(enum account_ref ref);

#endif
