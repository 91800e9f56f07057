/*
 * session.h - one SSH connection and what it has proved about itself.
 *
 * A session belongs to exactly one thread (session.c), which runs its
 * requests one at a time; nothing here is shared, so nothing is locked
 * (but the registry entry, which sessions.c locks).
 */
#ifndef JXJYD_SESSION_H
#define JXJYD_SESSION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <libssh/libssh.h>
#include <libssh/callbacks.h>
#include <libssh/server.h>

#include "admission.h"
#include "framing.h"
#include "messages.h"
#include "sessions.h"
#include "terminal.h"

/* Roles, as bits: a method names the set it may run for. */
enum role {
	ROLE_GUEST	= 1 << 0,	/* not logged in */
	ROLE_STAFF	= 1 << 1,	/* 专业技术人员 */
	ROLE_UNIT_ADMIN	= 1 << 2,	/* 用人单位管理员 */
	/*
	 * Logged in with an administrator's reset code: until the new
	 * password is set, only what names this role (and what a guest may
	 * run) is served.  rpc-reset.c.
	 */
	ROLE_PASSWORD_CHANGE = 1 << 3,
};
#define ROLE_ANY	(ROLE_GUEST | ROLE_STAFF | ROLE_UNIT_ADMIN | ROLE_PASSWORD_CHANGE)
#define ROLE_USER	(ROLE_STAFF | ROLE_UNIT_ADMIN)

struct pending_line {
	char	*text;		/* NUL-terminated request, NULL for an oversized one */
	size_t	 len;
};

/* Bytes waiting for a slow reader; session.c owns it. */
struct session_buffer {
	char	*data;
	size_t	 off, len, cap;	/* waiting: data[off .. len) */
};

struct session {
	ssh_session	 ssh;
	ssh_channel	 channel;	/* the one session channel we serve */
	ssh_event	 event;
	struct ssh_server_callbacks_struct server_cb;
	struct ssh_channel_callbacks_struct channel_cb;
	int		 fd;
	char		 peer[64];	/* "address:port" */
	char		 source[48];	/* address only, for per-source limits */
	unsigned long	 serial;	/* for log lines */

	char		*ssh_user;	/* user name given at SSH level */
	bool		 authenticated;	/* SSH-level */
	bool		 subsystem;	/* jxjy-rpc requested */
	bool		 shell;		/* pty + shell: serve the TUI (terminal.h) */
	bool		 pty;		/* a pty was requested */
	char		*exec_command;	/* exec request: run it (exec.h) */
	bool		 sftp;		/* sftp subsystem into an inbox (inbox.h) */
	struct inbox	*inbox;		/* the inbox this session opened, inbox.c owns it */
	struct upload	*upload;	/* attachment being uploaded; rpc-attachments.c owns it */
	char		 term_name[64];
	int		 cols, rows;
	struct terminal	 terminal;	/* when shell: the jxjy child */
	bool		 terminal_done;	/* the child closed its pty */
	bool		 rpc_eof;	/* the child closed its RPC socket */
	bool		 eof;		/* peer sent EOF or closed */
	bool		 remote_closed;	/* peer closed the channel */

	enum lang	 lang;
	enum role	 role;
	int64_t		 account_id;	/* 0 when a guest */
	char		*unit_code;	/* unit of the logged-in account */
	char		 id_number[19];	/* of the logged-in account */
	bool		 key_login;	/* logged in by an SSH key (no captcha needed) */
	struct sessions_entry registry;	/* while logged in (sessions.h): revoked, wake_fd */
	/*
	 * The SSH user name was an ID number but the database could not say
	 * whether an SSH key should log it in: every request is refused with
	 * "auth_unavailable" (-32007) instead of serving a guest silently.
	 */
	bool		 auth_unavailable;

	struct captcha	*captcha;	/* the one outstanding code; captcha.c owns it */
	int		 login_failures; /* in this session, for captcha "after-failures" */

	time_t		 last_activity;

	struct line_reader reader;
	struct pending_line *pending;
	size_t		 n_pending, cap_pending;

	/* Back-pressure (session.c): every queue bounded, no write ever waits. */
	size_t		 pending_bytes;	/* request text in pending */
	struct session_buffer out;	/* for the channel: replies or the TUI's screen */
	struct session_buffer rpc_out;	/* served TUI: replies for its socketpair */
	struct session_buffer keys;	/* served TUI: keystrokes for its pty */
	bool		 input_held;	/* libssh holds channel data not yet taken */
	bool		 out_broken;	/* a write to the channel failed */
	int64_t		 over_since;	/* ms (monotonic) the output is stuck; 0 when not */
	short		 pty_events, rpc_events; /* what the event watches on each */
	enum session_admission admission; /* admission.h */
	bool		 guest_admitted; /* admitted as a guest (sessions.max_guests) */
};

/*
 * session.c, for the listener (SSH front): session_init before the first
 * connection (the stop pipe, the threads' attributes); session_start
 * serves the connection fd (already counted by admission_startup) on a
 * thread of its own, or releases it; session_stop_all tells every session
 * to finish (SIGTERM); session_cleanup once they have ended.
 */
void	session_init(void);
void	session_start(ssh_bind bind, int fd, unsigned long serial, const char *address,
	    const char *peer);
void	session_stop_all(void);
void	session_cleanup(void);

#endif
