/*
 * auth.h - proving who one is with an ID number and a password.
 *
 * Used by session.login and by the applicant's own methods
 * (application.status, application.withdraw): the same lockout and the
 * same per-source throttling guard all of them.
 */
#ifndef JXJYD_AUTH_H
#define JXJYD_AUTH_H

#include <stdint.h>

#include "rpc.h"

struct account_row {
	int64_t	 id;
	char	 id_number[19];
	enum role role;
	char	 state[16];		/* pending, active, rejected, withdrawn, disabled */
	char	*unit_code;
	char	*unit_name;
	char	*name;
	char	*reject_reason;		/* NULL unless rejected */
	char	*submitted_at;		/* ISO 8601 */
	char	*decided_at;		/* NULL unless decided */
};

/*
 * Check id_number and password.  Returns 0 with *row filled when the
 * password is right, whatever the account's state (the caller decides what
 * a pending or rejected account may do).  Otherwise returns -1 after
 * rpc_fail: "bad_credentials" (no such account, or wrong password — never
 * saying which), "locked" (too many failures; message says until when),
 * "rate_limited" (too many failures from this source address).  Counts
 * failures and resets them on success.
 */
int	auth_password(struct rpc_call *call, const char *id_number, const char *password,
	    struct account_row *row);

void	account_row_free(struct account_row *row);

/* Per-source failure throttling (in memory, per jxjyd process). */
bool	auth_source_allowed(const char *source);
void	auth_source_failed(const char *source);

/* Failures from source in the last minute (estimated): captcha "after_failures". */
int	auth_source_failures(const char *source);

/* "YYYY-MM-DDTHH:MM:SS+08:00" of a timestamptz column, for SELECT lists. */
#define AUTH_SQL_TIME(col) \
	"to_char((" col ") AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"')"

#endif
