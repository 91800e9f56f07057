/*
 * validate-account.c - rules on an account's fields, shared by registration
 * and profile edits (see validate-account.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "format.h"
#include "text.h"
#include "validate-account.h"
#include "xmalloc.h"

char *
account_trim(const char *s)
{
	static const char ideographic[] = "\xe3\x80\x80";
	size_t len;

	if (s == NULL)
		return NULL;
	for (;;) {
		if (*s == ' ' || *s == '\t')
			s++;
		else if (strncmp(s, ideographic, 3) == 0)
			s += 3;
		else
			break;
	}
	len = strlen(s);
	for (;;) {
		if (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		else if (len >= 3 && memcmp(s + len - 3, ideographic, 3) == 0)
			len -= 3;
		else
			break;
	}
	return xstrndup(s, len);
}

const char *
account_idnum_reason(enum idnum_status st)
{
	switch (st) {
	case IDNUM_OK:		return NULL;
	case IDNUM_LENGTH:	return "id_number_length";
	case IDNUM_CHARS:	return "id_number_chars";
	case IDNUM_REGION:	return "id_number_region";
	case IDNUM_BIRTHDATE:	return "id_number_birthdate";
	case IDNUM_FUTURE:	return "id_number_future";
	case IDNUM_CHECKSUM:	return "id_number_checksum";
	}
	return "id_number_chars";
}

const char *
account_check_phone(const char *s)
{
	return s != NULL && phone_valid(s) ? NULL : "phone_invalid";
}

const char *
account_check_email(const char *s)
{
	return s != NULL && email_valid(s) ? NULL : "email_invalid";
}

const char *
account_text_reason(const char *s, bool multiline, size_t max_chars, const char *reason)
{
	switch (s != NULL ? text_check(s, multiline, 1, max_chars) : TEXT_MALFORMED) {
	case TEXT_OK:
		return NULL;
	case TEXT_INVISIBLE:
		return "text_invisible";
	case TEXT_MALFORMED:
	case TEXT_LENGTH:
		break;
	}
	return reason;
}

const char *
account_check_name(const char *s)
{
	return account_text_reason(s, false, ACCOUNT_NAME_MAX, "name_invalid");
}

const char *
account_check_text(const char *s)
{
	return account_text_reason(s, false, ACCOUNT_TEXT_MAX, "text_invalid");
}

/* True when s is two ASCII digits (an ethnicity code, GB/T 3304). */
static bool
account_two_digits(const char *s)
{
	return s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] == '\0';
}

int
account_refs_look_up(struct db_conn *db, struct account_refs *refs)
{
	/*
	 * Codes compare as text: a char(2) column would ignore trailing blanks
	 * of the parameter, and the account would keep them.
	 */
	DB_STMT(account_refs_stmt,
	    "SELECT (SELECT name FROM units WHERE code = $1::text AND active),"
	    " (SELECT name FROM departments"
	    "  WHERE id = $2::bigint AND unit_code = $1::text AND active),"
	    " (SELECT name FROM ethnicities WHERE code::text = $3::text),"
	    " (SELECT name FROM majors WHERE code = $4::text),"
	    " (SELECT name FROM titles WHERE id = $5::integer),"
	    " (SELECT name FROM education_levels WHERE code::text = $6::text),"
	    " (SELECT series FROM titles WHERE id = $5::integer)");
	char department[24], title[24];
	const char *params[ACCOUNT_REF_COUNT];
	bool ethnicity_plausible;
	PGresult *res;

	/* Out-of-range numbers are unknown without asking (and would not cast). */
	snprintf(department, sizeof department, "%lld",
	    refs->department_id > 0 ? refs->department_id : 0);
	snprintf(title, sizeof title, "%lld",
	    refs->title_id > 0 && refs->title_id <= 2147483647 ? refs->title_id : 0);
	ethnicity_plausible = refs->ethnicity == NULL || account_two_digits(refs->ethnicity);

	params[ACCOUNT_REF_UNIT] = refs->unit;
	params[ACCOUNT_REF_DEPARTMENT] = refs->has_department ? department : NULL;
	params[ACCOUNT_REF_ETHNICITY] = ethnicity_plausible ? refs->ethnicity : NULL;
	params[ACCOUNT_REF_MAJOR] = refs->major;
	params[ACCOUNT_REF_TITLE] = refs->has_title ? title : NULL;
	params[ACCOUNT_REF_EDUCATION] = refs->education;
	for (int i = 0; i < ACCOUNT_REF_COUNT; i++)
		refs->name[i] = NULL;
	if ((res = db_exec(db, &account_refs_stmt, ACCOUNT_REF_COUNT, params)) == NULL)
		return -1;
	for (int i = 0; i < ACCOUNT_REF_COUNT; i++) {
		if (PQgetisnull(res, 0, i))
			;
		else if (i == ACCOUNT_REF_TITLE)	/* as every title is written */
			refs->name[i] = format_title(PQgetvalue(res, 0, ACCOUNT_REF_COUNT),
			    PQgetvalue(res, 0, i));
		else
			refs->name[i] = xstrdup(PQgetvalue(res, 0, i));
		refs->known[i] = params[i] == NULL || refs->name[i] != NULL;
	}
	if (!ethnicity_plausible)
		refs->known[ACCOUNT_REF_ETHNICITY] = false;
	PQclear(res);
	return 0;
}

void
account_refs_free(struct account_refs *refs)
{
	for (int i = 0; i < ACCOUNT_REF_COUNT; i++) {
		free(refs->name[i]);
		refs->name[i] = NULL;
	}
}

const char *
account_ref_reason(enum account_ref ref)
{
	switch (ref) {
	case ACCOUNT_REF_UNIT:		return "unit_unknown";
	case ACCOUNT_REF_DEPARTMENT:	return "department_unknown";
	case ACCOUNT_REF_ETHNICITY:	return "ethnicity_unknown";
	case ACCOUNT_REF_MAJOR:		return "major_unknown";
	case ACCOUNT_REF_TITLE:		return "title_unknown";
	case ACCOUNT_REF_EDUCATION:	return "education_unknown";
	case ACCOUNT_REF_COUNT:		break;
	}
	return "invalid_params";
}
