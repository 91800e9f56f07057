/*
 * auth.h - proving who one is with an ID number and a password.
 *
 * Used by session.login and by the applicant's own methods
 * (application.status, application.withdraw), and by a logged-in session
 * proving its own password again (auth_verify_current): the same
 * throttling per ID number and per source address guards all of them
 * (auth.c says how).  Nothing is ever locked.
 */
#ifndef JXJYD_AUTH_H
#define JXJYD_AUTH_H

#include <stdint.h>

#include "rpc.h"

struct config;

struct account_row {
	int64_t	 id;
	char	 id_number[19];
	enum role role;
	char	 state[16];		/* pending, active, rejected, withdrawn, disabled */
	char	*unit_code;		/* NULL for a base administrator */
	char	*unit_name;
	char	*name;
	char	*reject_reason;		/* NULL unless rejected */
	char	*submitted_at;		/* ISO 8601 */
	char	*decided_at;		/* NULL unless decided */
	char	*base_code;		/* a base administrator's base, else NULL */
	char	*base_name;
	char	*scope_region;		/* an authority's region, else NULL */
	char	*scope_name;
};

/* Which accounts of an ID number a password is tried against. */
enum auth_scope {
	AUTH_LOGIN,		/* the active account when there is one, else the newest others */
	AUTH_APPLICATION,	/* the active account and the newest others */
};

/*
 * Check id_number and password, the call's optional "captcha" parameter
 * with them.  When the ID number or the source address is throttled (or
 * security.captcha says so) the session's verification code is required,
 * and the answer waits the throttle's delay.  The password is tried
 * against the ID number's accounts in scope, newest first.  Returns 0 with
 * *row filled when it matched one, whatever its state (the caller decides
 * what a pending or rejected account may do).  Otherwise -1 after
 * rpc_fail: "bad_captcha" (data.captcha_required), "bad_credentials"
 * (nobody has the ID number, or the password is wrong -- never saying
 * which; data.captcha_required when the next attempt needs the code).
 */
int	auth_password(struct rpc_call *call, const char *id_number, const char *password,
	    enum auth_scope scope, struct account_row *row);

/*
 * Check the logged-in session's own account password, counted and slowed
 * like a login on its ID number (no verification code: captcha.new serves
 * guests only, and the session passed one to log in).  Returns 0 when
 * right, 1 when wrong (nothing replied: the caller names its own field),
 * -1 after rpc_fail.  An account without a password never matches.
 */
int	auth_verify_current(struct rpc_call *call, const char *password);

/*
 * Whether the session's next attempt needs the verification code, with
 * throttled saying whether its ID number is throttled (captcha.new, which
 * knows no ID number, passes false).
 */
bool	auth_captcha_required(const struct config *cfg, const struct session *s,
	    bool throttled);

void	account_row_free(struct account_row *row);

/* The role of accounts.role's value name (account_role); "staff" for anything else. */
enum role auth_role(const char *name);

/* The name of a role as replies and logs say it ("unit_admin", "base_admin", ...). */
const char *auth_role_name(enum role role);

/*
 * Log s in to an account (after a password, a reset code or an SSH key
 * proved it): sets its role, unit (or base: base_code NULL or "" when
 * none; or an authority's region: scope_region, likewise) and ID number and registers it with sessions.h, so that a
 * password change elsewhere can end it.
 */
void	auth_session_login(struct session *s, int64_t account_id, enum role role,
	    const char *unit_code, const char *base_code, const char *scope_region,
	    const char *id_number);

/* Log s out again: a guest, unregistered. */
void	auth_session_logout(struct session *s);

struct db_conn;

/*
 * Serialise the changes to one ID number's accounts (a registration's
 * limit of pending applications, an approval's one active account): a
 * transaction-scoped advisory lock; call inside db_begin.  Returns 0, -1
 * when the database failed.
 */
int	auth_lock_id_number(struct db_conn *db, const char *id_number);

/*
 * Per-source failure counting (in memory, per jxjyd process).
 * auth_source_allowed is only for a method that still refuses
 * ("rate_limited") rather than slows.
 */
bool	auth_source_allowed(const struct config *cfg, const char *source);
void	auth_source_failed(const char *source);

/* Failures from source in the last minute (estimated): captcha "after_failures". */
int	auth_source_failures(const char *source);

#endif
