/*
 * sessions.h - the registry of logged-in sessions: who is logged in on this
 * jxjyd, so that a password change can end the account's other sessions.
 *
 * A session embeds one struct sessions_entry and registers it while it is
 * logged in to an account.  Any thread may end an account's sessions: each
 * is marked revoked and woken through its eventfd; its own thread then
 * says "logged_out_elsewhere" and closes.  Sessions on other jxjyd
 * processes are not reached (docs/operations.md); notify.c tells them.
 */
#ifndef JXJYD_SESSIONS_H
#define JXJYD_SESSIONS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct sessions_entry {
	unsigned long	 serial;	/* the session's, for log lines */
	int		 wake_fd;	/* eventfd written when revoked; -1 when none */
	atomic_bool	 revoked;	/* ended from elsewhere (a password change) */
	/* Under the registry's lock: */
	bool		 registered;
	int64_t		 account_id;	/* while registered */
	struct timespec	 login_time;	/* CLOCK_REALTIME at login (or at its own password
					   change): notify.c's reconciliation */
};

/* Register e as logged in to account_id (replacing what it was registered as). */
void	sessions_login(struct sessions_entry *e, int64_t account_id);

/* Unregister e (nothing when it is not registered); before its memory goes. */
void	sessions_logout(struct sessions_entry *e);

/*
 * End every session of account_id except 'except' (a password change; may
 * be NULL): each is marked revoked and woken.  Returns how many were
 * marked.  except, when it is account_id's, counts as logged in now.
 */
int	sessions_end_account(int64_t account_id, struct sessions_entry *except);

/*
 * For a password change this daemon may not have heard of (notify.c, after
 * its listening connection came back): end the sessions of account_id
 * that logged in before `before` (seconds since the epoch, this host's
 * clock).  Returns how many were marked.
 */
int	sessions_end_account_before(int64_t account_id, double before);

/* The accounts logged in here, each once; *ids is the caller's to free. */
size_t	sessions_logged_in_accounts(int64_t **ids);

/* Free the registry's memory when the server stops (no session left). */
void	sessions_free(void);

#endif
