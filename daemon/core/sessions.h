/*
 * sessions.h - the registry of logged-in sessions: who is logged in on this
 * jxjyd, so that a password change can end the account's other sessions.
 *
 * A session embeds one struct sessions_entry and registers it while it is
 * logged in to an account.  Any thread may end an account's sessions: each
 * is marked revoked and woken through its eventfd; its own thread then
 * says "logged_out_elsewhere" and closes.  Sessions on other jxjyd
 * processes are not reached (docs/operations.md); notify.c tells them.
 *
 * The registry also carries the changes of a person's records to the
 * person's sessions (record.changed, docs/protocol.md): notify.c hears
 * them from the database and hands each to sessions_record_changed, which
 * keeps it on every session of the account and wakes it; the session's
 * thread takes them (sessions_take_changes) when its client reads.  A
 * session keeps at most SESSIONS_CHANGES_MAX, one per record (a later
 * change of the same record replaces the earlier; the oldest goes when
 * full), so a client that never reads costs no more than that.  A guest
 * that asked for its application's status (application.status) watches
 * that account: it hears the changes but is never ended with it.
 */
#ifndef JXJYD_SESSIONS_H
#define JXJYD_SESSIONS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SESSIONS_CHANGES_MAX	4

/* One change of a record's state, as record.changed says it. */
struct sessions_change {
	char		 kind[16];	/* "registration", "title", "declaration" */
	int64_t		 id;
	char		 state[16];
	char		 name[256];	/* the record's own name, UTF-8, may be "" */
};

struct sessions_entry {
	unsigned long	 serial;	/* the session's, for log lines */
	int		 wake_fd;	/* eventfd written when revoked; -1 when none */
	atomic_bool	 revoked;	/* ended from elsewhere (a password change) */
	/* Under the registry's lock: */
	bool		 registered;
	int64_t		 account_id;	/* while registered */
	struct timespec	 login_time;	/* CLOCK_REALTIME at login (or at its own password
					   change): notify.c's reconciliation */
	bool		 watching;	/* a guest watching account_id's application */
	struct sessions_change changes[SESSIONS_CHANGES_MAX];	/* oldest first */
	size_t		 n_changes;
	atomic_bool	 changed;	/* n_changes > 0: a hint read without the lock */
};

/* Register e as logged in to account_id (replacing what it was registered as). */
void	sessions_login(struct sessions_entry *e, int64_t account_id);

/*
 * A guest session watches account_id's application (application.status):
 * it hears record.changed for it, is not ended with it and is not counted
 * as logged in.  Nothing when e is logged in.
 */
void	sessions_watch(struct sessions_entry *e, int64_t account_id);

/*
 * A record of account_id changed: keep c on each of its sessions (and the
 * guests watching it) but the one with serial except (0: none; it made the
 * change) and wake them.  Returns how many.
 */
int	sessions_record_changed(int64_t account_id, const struct sessions_change *c,
	    unsigned long except);

/* Move e's kept changes, oldest first, to out (room for SESSIONS_CHANGES_MAX). */
size_t	sessions_take_changes(struct sessions_entry *e, struct sessions_change *out);

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

/*
 * The account e is registered as (logged in to or watching), 0 when none.
 * Only e's own thread changes that, so it reads it without the lock.
 */
int64_t	sessions_account_of(const struct sessions_entry *e);
/*
 * The sessions registered here: their serials and accounts, n of each
 * (presence.c); *serials and *accounts are the caller's to free.
 */
size_t	sessions_registered(unsigned long **serials, int64_t **accounts);
/* Free the registry's memory when the server stops (no session left). */
void	sessions_free(void);

#endif
