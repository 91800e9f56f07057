/*
 * rpc.h - the client side of jxjy-rpc: JSON-RPC 2.0, one object per line.
 *
 * The transport is either an SSH channel on the "jxjy-rpc" subsystem or a
 * pair of file descriptors (--fd IN,OUT, for a TUI that jxjyd itself runs on
 * a pty).  Calls are synchronous and one at a time: a request goes out with
 * the next id, and replies are read until the one with that id arrives;
 * anything else (a late reply to a call that timed out) is dropped.
 * Notifications from the server may arrive at any time, also while a call
 * waits: session.closing (the server is ending the session) is remembered,
 * and the connection counts as lost from then on; record.changed (a record
 * of the person changed state) is kept, a few at most, for rpc_take_change.
 */
#ifndef JXJY_RPC_H
#define JXJY_RPC_H

#include <signal.h>
#include <stdbool.h>

#include <jansson.h>

#include "connect.h"

/* Wait this long for a reply unless rpc_set_timeout says otherwise. */
#define RPC_DEFAULT_TIMEOUT_MS	30000

enum rpc_error_kind {
	RPC_ERR_NONE,
	RPC_ERR_REMOTE,		/* the server answered with an error object */
	RPC_ERR_LOST,		/* the connection is gone (closed, reset, EOF) */
	RPC_ERR_TIMEOUT,	/* no reply in time; the connection may live on */
	RPC_ERR_INTERRUPTED,	/* the interrupt flag was raised while waiting */
	RPC_ERR_PROTOCOL,	/* the reply made no sense */
};

/* One of several problems of a request (the server's data.errors). */
struct rpc_problem {
	char	 field[64];	/* the parameter it is about, "" for the whole request */
	char	 reason[64];
	char	 label[64];	/* the field's name for people, "" when none */
	char	 message[256];	/* what is wrong, for people, in the session's
				 * language, without the label (shown beside the
				 * field); "label: message" where no field shows it */
};

#define RPC_PROBLEMS_MAX	24	/* more are dropped: a form has fewer fields */

struct rpc_error {
	enum rpc_error_kind kind;
	int	 code;		/* JSON-RPC error code, for RPC_ERR_REMOTE */
	char	 reason[64];	/* data.reason, "" when absent */
	char	 field[64];	/* data.field, "" when absent */
	char	 message[512];	/* the server's sentence, or ours (translated) */
	/*
	 * Every problem the server found (data.errors), the first being the one
	 * above; when the server sent no list, that one alone.
	 */
	size_t	 nproblems;
	struct rpc_problem problems[RPC_PROBLEMS_MAX];
};

/* A record.changed notification (docs/protocol.md). */
struct rpc_change {
	char		 kind[16];	/* "registration", "title", "declaration" */
	long long	 id;
	char		 state[16];
	char		 message[256];	/* what changed, for people; not yet sanitised */
};

/* Kept until taken: one per record, the oldest dropped when more come. */
#define RPC_CHANGES_MAX	8

struct rpc;

/*
 * Connect over SSH (see connect.h).  Returns the connection, or NULL with
 * *status set to CONNECT_FAILED or CONNECT_HOST_KEY_REFUSED (reported).
 */
struct rpc *rpc_connect_ssh(const struct connect_options *o, enum connect_status *status);

/* Talk over two descriptors, which the connection then owns. */
struct rpc *rpc_connect_fd(int in, int out);

/* Close the connection and free everything. */
void	rpc_close(struct rpc *r);

/* Reply timeout in milliseconds; 0 waits for ever. */
void	rpc_set_timeout(struct rpc *r, int ms);

/*
 * A flag (set by a signal handler) that makes a waiting call give up with
 * RPC_ERR_INTERRUPTED within a fraction of a second.  NULL: none.
 */
void	rpc_set_interrupt(struct rpc *r, volatile sig_atomic_t *flag);

/*
 * Call method with params (an object, or NULL for none; the reference is
 * stolen).  Returns the result (a new reference, the caller decrefs), or
 * NULL with *err filled.  After RPC_ERR_LOST every later call fails at once
 * with RPC_ERR_LOST.
 */
json_t	*rpc_call(struct rpc *r, const char *method, json_t *params, struct rpc_error *err);

/*
 * Read whatever has arrived without waiting, dropping stray replies.
 * Returns false when the connection is lost; the UI calls it while idle so
 * a daemon that went away is noticed before the next request.
 */
bool	rpc_alive(struct rpc *r);

/*
 * Take the oldest record.changed that has arrived (during a call or while
 * rpc_alive read); false when none is kept.
 */
bool	rpc_take_change(struct rpc *r, struct rpc_change *out);

/* The descriptor to poll for what the server sends; -1 once the connection is lost. */
int	rpc_poll_fd(struct rpc *r);

/*
 * Why the server ended the session, from its session.closing notification:
 * the reason ("idle_timeout", "logged_out_elsewhere", "shutting_down") and
 * its sentence in the session's language.  NULL when it sent none.
 */
const char *rpc_closing_reason(struct rpc *r);
const char *rpc_closing_message(struct rpc *r);

/*
 * The --rpc relay: send each line of in to the server as it comes and
 * write each reply line to out, in the order they arrive.  After in ends,
 * waits until every reply is in.  Returns the exit status: 0, or 2 when
 * the connection dropped (a message went to stderr).
 */
int	rpc_relay(struct rpc *r, int in, int out);

/* Copy src into dst (size bytes), cut on a UTF-8 character boundary. */
void	rpc_copy(char *dst, size_t size, const char *src);

#endif
