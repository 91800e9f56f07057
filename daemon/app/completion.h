/*
 * completion.h - the annual completion (年度完成情况): what a person's
 * approved hours of a year come to, against the year's requirement.
 *
 * One computation serves every reader (the completion.* methods, the
 * `report YEAR` command, certificates and the authority's statistics): per
 * person and year, person_year (schema 016, figures.h) as its triggers keep
 * it from declaration_totals -- per learning form the approved hours,
 * capped at the form's yearly_cap; summed per
 * category (公需, 专业); total = public + professional; pending = every
 * pending hour, uncapped.  Met (达标): total ≥ requirement.total and
 * professional ≥ requirement.professional and public ≥ requirement.public.
 * A form's cap and category are those of its current definition in
 * learning_forms (the last one of a form the config no longer has), so a
 * config change applies to every report at once.  Hours travel as decimal
 * text ("12.5"), never as floating point.
 */
#ifndef JXJYD_COMPLETION_H
#define JXJYD_COMPLETION_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>

struct config;
struct config_requirement;
struct db_conn;

/* Orders of the unit report; each ends in the name, then the account id. */
enum completion_sort {
	COMPLETION_SORT_DEPARTMENT,	/* by department (none last), then name */
	COMPLETION_SORT_NAME,
	COMPLETION_SORT_TOTAL,
	COMPLETION_SORT_PUBLIC,
	COMPLETION_SORT_PROFESSIONAL,
};
#define COMPLETION_NSORTS	5

/* "department", "name", "total", "public", "professional". */
const char *completion_sort_name(enum completion_sort sort);
/* The sort of a name, or -1. */
int	completion_sort_parse(const char *name);

/* One request for the unit report. */
struct completion_query {
	const char	*unit_code;
	int		 year;
	long long	 department_id;	/* 0: every department */
	bool		 not_met_only;
	enum completion_sort sort;
	bool		 desc;
	/* Keyset: the sort key, name and account id of the last row shown, or NULL. */
	const char	*after_key, *after_name, *after_id;
	long long	 limit;		/* rows; 0: all of them */
};

/* Columns of a unit report row. */
enum completion_column {
	COMPLETION_COL_ACCOUNT,		/* account id */
	COMPLETION_COL_NAME,
	COMPLETION_COL_ID_NUMBER,
	COMPLETION_COL_DEPARTMENT,	/* NULL: none */
	COMPLETION_COL_PUBLIC,		/* counted 公需 hours, decimal text */
	COMPLETION_COL_PROFESSIONAL,	/* counted 专业 hours */
	COMPLETION_COL_TOTAL,		/* public + professional */
	COMPLETION_COL_PENDING,		/* 待审核 hours */
	COMPLETION_COL_MET,		/* "t" / "f" */
	COMPLETION_COL_REQUIRED,	/* the requirement's total, decimal text */
	COMPLETION_COL_SORT_KEY,	/* the sort key as text, for the next cursor */
	COMPLETION_NCOLUMNS
};

/* A unit report: the rows asked for, and the counts of the whole report. */
struct completion_report {
	PGresult	*rows;		/* COMPLETION_COL_* columns; owned */
	long long	 staff;		/* active staff (the department filter applied) */
	long long	 met;		/* ... of whom meet the requirement */
	const struct config_requirement *requirement;	/* the year's, from cfg */
};

/*
 * The unit report of q, with the requirement of q->year in cfg, as one
 * statement (a second, counting one only when no row matches).  The
 * unit's active staff accounts are all in it, 0 hours for those with no
 * records.  Returns 0 with *out filled (free with completion_report_free),
 * -1 on a database error (kept in db; *out empty) -- a forged after_key
 * that the sort's type cannot read is such an error (SQLSTATE class 22).
 */
int	completion_unit(struct db_conn *db, const struct config *cfg,
	    const struct completion_query *q, struct completion_report *out);
void	completion_report_free(struct completion_report *r);

/* One year of one person. */
struct completion_year {
	int		 year;
	char		 public_hours[32];	/* decimal text */
	char		 professional[32];
	char		 total[32];
	char		 pending[32];
	const struct config_requirement *requirement;	/* points into cfg */
	bool		 met;
	double		 progress;	/* total / requirement total, at most 1 */
};

/*
 * The years of account_id (decimal text): each year it has totals for, and
 * this_year, newest first.  Returns their number with the array in *out
 * (caller frees), or -1 on a database error (kept in db).
 */
int	completion_person(struct db_conn *db, const struct config *cfg,
	    const char *account_id, int this_year, struct completion_year **out);

/* The learning forms behind one person's year. */
enum completion_form_column {
	COMPLETION_FORM_CODE,
	COMPLETION_FORM_NAME,		/* of the current (or last) definition */
	COMPLETION_FORM_CATEGORY,	/* "public" / "professional", as counted */
	COMPLETION_FORM_APPROVED,	/* approved hours, uncapped */
	COMPLETION_FORM_COUNTED,	/* ... as counted: at most the cap */
	COMPLETION_FORM_CAP,		/* NULL: none */
	COMPLETION_FORM_PENDING,
	COMPLETION_FORM_CAPPED,		/* "t" when the cap trimmed the approved hours */
};

/* The records behind one person's year. */
enum completion_record_column {
	COMPLETION_RECORD_ID,
	COMPLETION_RECORD_FORM_CODE,
	COMPLETION_RECORD_FORM_NAME,	/* of the version the record was made with */
	COMPLETION_RECORD_CATEGORY,	/* as counted (the form's current category) */
	COMPLETION_RECORD_HOURS,
	COMPLETION_RECORD_STATE,	/* "approved" / "pending" */
	COMPLETION_RECORD_TITLE,	/* the first field's value, or NULL */
	COMPLETION_RECORD_DECIDED_AT,	/* ISO 8601, NULL when pending */
	COMPLETION_RECORD_SUBMITTED_AT,
	COMPLETION_RECORD_CAPPED,	/* "t" when its form's cap trimmed the year */
};

/*
 * One person's year in detail: the forms with hours that year (by
 * category, then code) and the approved and pending records (approved
 * first, newest decision first), at most limit of them.  Returns 0 with
 * both results (caller clears), or -1 on a database error.  Two
 * statements: run them in one REPEATABLE READ transaction (with
 * completion_person's) for figures of one moment.
 */
int	completion_detail(struct db_conn *db, const char *account_id, int year,
	    long long limit, PGresult **forms, PGresult **records);

/*
 * Whether the hours (decimal text, at most 4 decimals) reach the
 * requirement; the rule the unit report applies in SQL.
 */
bool	completion_met(const char *public_hours, const char *professional,
	    const char *total, const struct config_requirement *req);

/* A requirement's figure as decimal text without trailing zeros. */
void	completion_format(double hours, char *out, size_t size);

/* A requirement's three figures as completion_format writes them. */
struct completion_figures {
	char	 total[32];
	char	 professional[32];
	char	 public_hours[32];
};
void	completion_format_requirement(const struct config_requirement *req,
	    struct completion_figures *out);

#endif
