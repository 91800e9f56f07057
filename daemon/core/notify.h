/*
 * notify.h - what one jxjyd tells the others that share its database.
 *
 * Several jxjyd may serve one database behind a TCP balancer
 * (docs/operations.md).  When an account's password changes, every other
 * session of that account must end, on whichever daemon it is.  The
 * statement that changes the password also sends a PostgreSQL NOTIFY on
 * the channel NOTIFY_CHANNEL with the payload "end ACCOUNT_ID INSTANCE";
 * every jxjyd listens on a connection of its own, on a thread of its own,
 * and ends its sessions of that account.  The daemon that made the change
 * has ended its own already and skips notices carrying its instance.
 *
 * A notice is delivered only to connections listening when it is
 * committed: while the listening connection is down (PostgreSQL
 * restarting, failing over) the thread says so in the log and connects
 * again, after 250 ms, doubling up to 5 s; notices sent meanwhile are
 * lost, so after LISTENing again it
 * reconciles: every session logged in here before its account's last
 * password change (accounts.password_changed_at) is ended, and every
 * session of an account no longer active (its "end" notice, sent when an
 * approved claim disables it, was lost too).
 *
 * The same channel carries "changed ACCOUNT KIND ID STATE ORIGIN NAME",
 * sent by the triggers of schema/008 when a record of ACCOUNT changes
 * state: each jxjyd, the one that made the change included, hands it to
 * its sessions of that account (sessions_record_changed), which send
 * record.changed, but for the session ORIGIN names, whose request made it.
 * A change made while the listener was away is not heard: when it listens
 * again, every session logged in here is told to read again what it shows
 * (record.changed, kind "all", state "missed").
 */
#ifndef JXJYD_NOTIFY_H
#define JXJYD_NOTIFY_H

#define NOTIFY_CHANNEL	"jxjy_sessions"

/* This process's instance: 16 hexadecimal digits, random, fixed at the first call. */
const char *notify_instance(void);

/*
 * Start listening on a connection made with conninfo, on a thread of its
 * own.  Call once, with the signals the main thread handles already
 * blocked (the thread inherits the mask).  Connection failures are logged
 * and retried; they never stop the daemon.
 */
void	notify_start(const char *conninfo);

struct db_conn;

/*
 * Also run tick on the listening connection about every interval_ms (it
 * runs between notices, so keep it short): the periodic work that needs
 * one connection and no session -- figures.c's fold of the completion
 * deltas.  Call before notify_start; tick is not run while the database
 * is away.
 */
void	notify_set_tick(void (*tick)(struct db_conn *), int interval_ms);

/* Stop the thread and close its connection. */
void	notify_stop(void);

/*
 * Handle one payload as the listening thread does: "end ACCOUNT INSTANCE"
 * ends this daemon's sessions of ACCOUNT unless INSTANCE is this one;
 * "changed ACCOUNT ..." is kept for its sessions.  Returns the number of
 * sessions ended or told, -1 for a payload it does not know.
 */
int	notify_handle(const char *payload);

#endif
