/*
 * admission.h - the connection limits: every connection is counted per
 * source address (sessions.max_per_source, so one address cannot hold
 * every thread); before SSH authentication against sessions.max_startups
 * (sshd's MaxStartups); after it against sessions.max and, while not
 * logged in, sessions.max_guests -- so that silent or slow connections can
 * never keep people out of sessions.max.  And the session threads that
 * have finished, for the listener to join.
 */
#ifndef JXJYD_ADMISSION_H
#define JXJYD_ADMISSION_H

#include <stdbool.h>

/* Where a connection is counted: before or after SSH authentication. */
enum session_admission {
	ADMISSION_NONE,		/* counted nowhere (being set up or refused) */
	ADMISSION_STARTUP,	/* sessions.max_startups */
	ADMISSION_SESSION,	/* sessions.max */
};

/* Create the pipe that says a thread has finished (fatal on failure). */
void	admission_init(void);

/*
 * Count a new connection from address as not yet authenticated
 * (ADMISSION_STARTUP), with its serial number for the log; false, counting
 * nothing, when a limit says no, with the reason in *why.
 */
bool	admission_startup(const char *address, unsigned long *serial, const char **why);

/*
 * A connection has passed SSH authentication: count it against
 * sessions.max (and, as a guest, sessions.max_guests) instead of
 * sessions.max_startups.  False, counting it nowhere (ADMISSION_NONE), when
 * there is no room; *why says which limit.  The logged-in count comes from
 * the registry (stats), so a guest who logs in frees a guest slot.
 */
bool	admission_session(bool guest, const char **why);

/*
 * A connection from address, counted as adm, has ended.  thread: called by
 * its own session thread as its last act, which the listener then joins.
 */
void	admission_release(const char *address, enum session_admission adm, bool thread);

/* Readable when a session thread has finished: then call admission_reap. */
int	admission_reap_fd(void);

/*
 * Join the session threads that have finished.  Joining (rather than
 * detaching) means that when the server stops every thread has really
 * gone, the libraries' thread-local state included, before the process
 * exits.
 */
void	admission_reap(void);

/* Wait up to seconds for every connection to end; returns how many are left. */
int	admission_drain(int seconds);

/* Free what the counts hold (the server has stopped). */
void	admission_free(void);

#endif
