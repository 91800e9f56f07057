/*
 * stats.h - counters the daemon keeps for 'jxjyd status' (control.c).
 *
 * Every function here is cheap and safe from any thread: they are called
 * on the request path.  Nothing is reset while the daemon runs.
 */
#ifndef JXJYD_STATS_H
#define JXJYD_STATS_H

#include <stdbool.h>
#include <stdint.h>

/* What status prints, read at one moment. */
struct stats_snapshot {
	int64_t	 sessions_open;		/* sessions past SSH authentication (sessions.max) */
	int64_t	 sessions_logged_in;	/* of those, logged in as an account */
	int64_t	 startups;		/* connections not yet authenticated */
	int64_t	 startups_dropped;	/* since start: dropped by sessions.max_startups */
	int64_t	 sessions_refused;	/* since start: authenticated past a limit */
	int64_t	 sessions_stalled;	/* since start: closed for not reading */
	int64_t	 requests;		/* since start */
	int64_t	 request_errors;	/* of those, answered with an error */
	int64_t	 requests_slow;		/* of those, slower than log.slow_request */
	int64_t	 requests_last_minute;	/* this second and the 59 before */
	double	 ms_last_minute;	/* their total duration */
	int64_t	 hashes_waiting;	/* password hashes waiting for a slot */
	int64_t	 hashes_running;
	int64_t	 uptime;		/* seconds since stats_start */
};

/* Note the start time (once, before any session). */
void	stats_start(void);

/* A connection passed SSH authentication / has gone (admission.c, with its counts). */
void	stats_session_opened(void);
void	stats_session_closed(void);

/*
 * A connection not yet authenticated was admitted / has gone (or passed
 * authentication) / was dropped at once by sessions.max_startups.
 */
void	stats_startup_opened(void);
void	stats_startup_closed(void);
void	stats_startup_dropped(void);

/* An authenticated connection was refused (sessions.max, max_guests). */
void	stats_session_refused(void);

/* A session was closed because its client did not read (sessions.stall_timeout). */
void	stats_session_stalled(void);

/* Sessions logged in as an account now. */
int64_t	stats_logged_in(void);

/* A session logged in as an account / logged out or ended while logged in. */
void	stats_account_login(void);
void	stats_account_logout(void);

/* One request ran for ms milliseconds; ok: answered without error; slow: warned. */
void	stats_request(double ms, bool ok, bool slow);

/* A password hash began to wait for a slot / got one / finished (passwords.c). */
void	stats_hash_queued(void);
void	stats_hash_started(void);
void	stats_hash_finished(void);

void	stats_read(struct stats_snapshot *out);

#endif
