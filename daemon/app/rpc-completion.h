/*
 * rpc-completion.h - what the completion methods (rpc-completion.c) share
 * with the authority's statistics (rpc-stats.c), so that both read their
 * parameters, judge a year and write a person's CSV row in one way.
 */
#ifndef JXJYD_RPC_COMPLETION_H
#define JXJYD_RPC_COMPLETION_H

#include <stdbool.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "messages.h"

struct config_requirement;
struct db_conn;
struct rpc_call;
struct text_buf;

/*
 * An error reply "label: sentence", label_key naming the label in the
 * fields tables (rpc_fail_format).  Returns -1.
 */
int	completion_fail(struct rpc_call *call, int code, const char *reason, const char *field,
	    const char *label_key, const char *arg);

/* The "year" parameter (1990-2200) into *year; false after rpc_fail (year_invalid). */
bool	completion_year_param(struct rpc_call *call, int *year);

/* {total, professional, public} of a requirement, as decimal text. */
json_t	*completion_requirement_json(const struct config_requirement *req);

/*
 * The learning forms as the config has them now, synced into
 * learning_forms if this config was not yet (a request right after a
 * reload): the caps and categories the figures use.  False after rpc_fail.
 */
bool	completion_forms_synced(struct rpc_call *call, struct db_conn *db);

/*
 * One CSV field after a comma unless first (text_buf_csv).  A text that a
 * spreadsheet would run as a formula (starting with = + - @, a tab or CR)
 * gets a leading ' inside the quotes, as `report --csv` does.
 */
void	completion_csv_field(struct text_buf *t, const char *v, bool text, bool first);

/* The heading row of a unit report's CSV (completion.report_csv), CRLF ended. */
void	completion_csv_headings(struct text_buf *t, enum lang lang);

/* Row r of a unit report (completion_unit's rows) as a CSV line, CRLF ended. */
void	completion_csv_row(struct text_buf *t, const PGresult *rows, int r, enum lang lang);

#endif
