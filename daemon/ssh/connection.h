/*
 * connection.h - one SSH connection: the SSH front's part of a session.
 *
 * A connection embeds the application's struct session (app/session.h:
 * who it is, what it holds) and adds what only the front needs: the
 * libssh session, channel and event, what the client asked for, the
 * served TUI and the bounded queues.  It belongs to exactly one thread
 * (connection.c); nothing here is shared, so nothing is locked.
 */
#ifndef JXJYD_CONNECTION_H
#define JXJYD_CONNECTION_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <libssh/libssh.h>
#include <libssh/callbacks.h>
#include <libssh/server.h>

#include "admission.h"
#include "framing.h"
#include "session.h"
#include "terminal.h"

struct pending_line {
	char	*text;		/* NUL-terminated request, NULL for an oversized one */
	size_t	 len;
};

/* Bytes waiting for a slow reader; connection.c owns it. */
struct connection_buffer {
	char	*data;
	size_t	 off, len, cap;	/* waiting: data[off .. len) */
};

struct connection {
	struct session	 session;	/* the application's part: first, see connection_of */
	ssh_session	 ssh;
	ssh_channel	 channel;	/* the one session channel we serve */
	ssh_event	 event;
	struct ssh_server_callbacks_struct server_cb;
	struct ssh_channel_callbacks_struct channel_cb;

	bool		 authenticated;	/* SSH-level */
	bool		 subsystem;	/* jxjy-rpc requested */
	bool		 shell;		/* pty + shell: serve the TUI (terminal.h) */
	bool		 pty;		/* a pty was requested */
	char		*exec_command;	/* exec request: run it (exec.h) */
	/* An exec command that reads its standard input (exec_reads_input): what came. */
	bool		 exec_reading;	/* taking channel data into exec_input */
	bool		 exec_input_over; /* more came than exec_input_max: the rest dropped */
	size_t		 exec_input_max;
	struct connection_buffer exec_input;
	bool		 sftp;		/* sftp subsystem into an inbox (inbox.h) */
	char		 term_name[64];
	int		 cols, rows;
	struct terminal	 terminal;	/* when shell: the jxjy child */
	bool		 terminal_done;	/* the child closed its pty */
	bool		 rpc_eof;	/* the child closed its RPC socket */
	bool		 eof;		/* peer sent EOF or closed */
	bool		 remote_closed;	/* peer closed the channel */

	time_t		 last_activity;

	struct line_reader reader;
	struct pending_line *pending;
	size_t		 n_pending, cap_pending;

	/* Back-pressure (connection.c): every queue bounded, no write ever waits. */
	size_t		 pending_bytes;	/* request text in pending */
	struct connection_buffer out;	/* for the channel: replies or the TUI's screen */
	struct connection_buffer rpc_out;	/* served TUI: replies for its socketpair */
	struct connection_buffer keys;	/* served TUI: keystrokes for its pty */
	bool		 input_held;	/* libssh holds channel data not yet taken */
	bool		 out_broken;	/* a write to the channel failed */
	int64_t		 over_since;	/* ms (monotonic) the output is stuck; 0 when not */
	short		 pty_events, rpc_events; /* what the event watches on each */
	enum session_admission admission; /* admission.h */
	bool		 guest_admitted; /* admitted as a guest (sessions.max_guests) */
};

/*
 * connection.c, for the listener: connection_init before the first
 * connection (the stop pipe, the threads' attributes); connection_start
 * serves the connection fd (already counted by admission_startup) on a
 * thread of its own, or releases it; connection_stop_all tells every
 * connection to finish (SIGTERM); connection_cleanup once they have ended.
 */
void	connection_init(void);
void	connection_start(ssh_bind bind, int fd, unsigned long serial, const char *address,
	    const char *peer);
void	connection_stop_all(void);
void	connection_cleanup(void);

#endif
