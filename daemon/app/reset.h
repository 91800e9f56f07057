/*
 * reset.h - a unit administrator's password reset, as session.login sees it.
 *
 * review.reset_password (rpc-reset.c) replaces a staff member's password
 * with the hash of a one-time code and sets must_change_password.  The
 * login that follows needs two things from here: the code as the person
 * may type it (in any case, with or without the spaces and dashes it is
 * shown with) turned into the text that was hashed, and whether the
 * session may only change the password.
 */
#ifndef JXJYD_RESET_H
#define JXJYD_RESET_H

#include <stdbool.h>

#include "rpc.h"

struct reset_login {
	bool	 must_change;	/* the account's password is a reset code */
	bool	 expired;	/* ... whose time is over: the login fails */
	char	*code;		/* the typed code in its hashed form, or NULL; owned */
};

/*
 * Before session.login checks the password of id_number: fill *rl.  When
 * the account waits for a forced change and password has the shape of a
 * code, rl->code is what auth_password must check instead of password.
 * Returns 0, or -1 after rpc_fail (database_unavailable, internal_error).
 * Unknown ID numbers and accounts without a reset cost the same statement.
 */
int	reset_login_begin(struct rpc_call *call, const char *id_number, const char *password,
	    struct reset_login *rl);

void	reset_login_free(struct reset_login *rl);

#endif
