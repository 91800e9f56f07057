/*
 * rpc.c - JSON-RPC over an SSH channel or a pair of descriptors.
 *
 * A transport only moves bytes, and never waits: read returns what has
 * arrived, write takes what fits.  Waiting is done here, with poll(2) on
 * the transport's descriptors in short slices, so a call can time out, a
 * signal can interrupt it, and the relay can read standard input and the
 * server at once.  While a write cannot go on, whatever the server sends
 * is read and handled, so neither side can block the other for ever.
 *
 * libssh keeps decrypted data in its own buffers, where poll(2) on the
 * socket cannot see it: every wait therefore first drains the transport
 * and polls only when it had nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "framing.h"
#include "i18n.h"
#include "rpc.h"
#include "xmalloc.h"

/* Longest reply line we accept; lists of records may be long. */
#define RPC_MAX_REPLY		(64 * 1024 * 1024)

/* Longest line the relay forwards; the server sets its own, lower limit. */
#define RPC_RELAY_MAX_LINE	(64 * 1024 * 1024)

/* Poll in slices this long, so flags and deadlines are looked at. */
#define RPC_SLICE_MS		200

struct rpc;

struct rpc_transport {
	/* Bytes available now: > 0 read, 0 none yet, -1 gone (why in r->why). */
	ssize_t	(*read)(struct rpc *r, char *buf, size_t len);
	/* Write what fits now: > 0 written, 0 nothing fits, -1 gone. */
	ssize_t	(*write)(struct rpc *r, const char *buf, size_t len);
	void	(*close)(struct rpc *r);
};

enum rpc_mode {
	RPC_MODE_CALL,		/* keep the reply whose id is awaited, drop the rest */
	RPC_MODE_RELAY,		/* copy every reply line to relay_out */
};

struct rpc {
	const struct rpc_transport *transport;
	ssh_session	 session;	/* SSH transport */
	ssh_channel	 channel;
	int		 in;		/* polled for reading: the socket, or IN */
	int		 out;		/* polled for writing, -1 when writes block */
	bool		 tcp;		/* in is a TCP socket */

	struct line_reader reader;
	json_int_t	 next_id;
	int		 timeout_ms;
	volatile sig_atomic_t *interrupt;
	bool		 lost;
	char		 why[256];	/* what the transport said when it went */
	char		 closing_reason[64];	/* from session.closing, "" when none came */
	char		 closing_message[256];
	struct rpc_change changes[RPC_CHANGES_MAX];	/* record.changed, oldest first */
	size_t		 n_changes;

	enum rpc_mode	 mode;
	json_int_t	 awaited;	/* id of the call in flight, 0 for none */
	json_t		*reply;		/* its reply, once read */
	bool		 too_long;	/* a reply line was over RPC_MAX_REPLY */

	int		 relay_out;
	char		*sentinel;	/* id of the relay's closing ping */
	bool		 sentinel_seen;
	bool		 relay_failed;	/* writing to relay_out failed */
	int		 relay_errno;
	char		*batch;		/* input lines read but not sent yet */
	size_t		 batch_len, batch_cap;
};

/* Milliseconds on the monotonic clock. */
static long long
rpc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
rpc_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (size == 0)
		return;
	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
rpc_set_lost(struct rpc *r, const char *why)
{
	if (!r->lost)
		rpc_copy(r->why, sizeof r->why, why);
	r->lost = true;
}

/* SSH transport. */

static ssize_t
rpc_ssh_read(struct rpc *r, char *buf, size_t len)
{
	int n;

	n = ssh_channel_read_nonblocking(r->channel, buf, (uint32_t)len, 0);
	if (n > 0)
		return n;
	if (n == SSH_EOF || (n == 0 && (ssh_channel_is_eof(r->channel) ||
	    ssh_channel_is_closed(r->channel)))) {
		rpc_set_lost(r, "end of channel");
		return -1;
	}
	if (n < 0 || (ssh_get_status(r->session) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
		rpc_set_lost(r, ssh_get_error(r->session));
		return -1;
	}
	return 0;
}

/* Blocks until written: libssh reads what comes meanwhile into its buffers. */
static ssize_t
rpc_ssh_write(struct rpc *r, const char *buf, size_t len)
{
	int n = ssh_channel_write(r->channel, buf, (uint32_t)len);

	if (n == SSH_ERROR) {
		rpc_set_lost(r, ssh_get_error(r->session));
		return -1;
	}
	return n;
}

static void
rpc_ssh_close(struct rpc *r)
{
	if (r->channel != NULL) {
		if (!r->lost) {
			ssh_channel_send_eof(r->channel);
			ssh_channel_close(r->channel);
		}
		ssh_channel_free(r->channel);
	}
	if (r->session != NULL) {
		ssh_disconnect(r->session);
		ssh_free(r->session);
	}
}

static const struct rpc_transport rpc_ssh_transport = {
	rpc_ssh_read, rpc_ssh_write, rpc_ssh_close,
};

/* Descriptor transport. */

static ssize_t
rpc_fd_read(struct rpc *r, char *buf, size_t len)
{
	struct pollfd p = { .fd = r->in, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 0) <= 0)
		return 0;
	n = read(r->in, buf, len);
	if (n > 0)
		return n;
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	rpc_set_lost(r, n == 0 ? "end of file" : strerror(errno));
	return -1;
}

static ssize_t
rpc_fd_write(struct rpc *r, const char *buf, size_t len)
{
	ssize_t n = write(r->out, buf, len);

	if (n >= 0)
		return n;
	if (errno == EINTR || errno == EAGAIN)
		return 0;
	rpc_set_lost(r, strerror(errno));
	return -1;
}

static void
rpc_fd_close(struct rpc *r)
{
	close(r->in);
	if (r->out != r->in)
		close(r->out);
}

static const struct rpc_transport rpc_fd_transport = {
	rpc_fd_read, rpc_fd_write, rpc_fd_close,
};

/* Lines from the server. */

/* Is line the reply to the relay's closing ping? */
static bool
rpc_is_sentinel(struct rpc *r, const char *line, size_t len)
{
	json_t *reply, *id;
	bool yes;

	if (r->sentinel == NULL || strstr(line, r->sentinel) == NULL)
		return false;
	if ((reply = json_loadb(line, len, 0, NULL)) == NULL)
		return false;
	id = json_object_get(reply, "id");
	yes = json_is_string(id) && strcmp(json_string_value(id), r->sentinel) == 0;
	json_decref(reply);
	return yes;
}

/* Write line and a '\n' to fd; false on failure. */
static bool
rpc_write_line(int fd, const char *line, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)line, .iov_len = len },
		{ .iov_base = "\n", .iov_len = 1 },
	};
	int i = 0;

	while (i < 2) {
		ssize_t n = writev(fd, iov + i, 2 - i);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		/* A short write: skip what went out. */
		while (i < 2 && (size_t)n >= iov[i].iov_len)
			n -= (ssize_t)iov[i++].iov_len;
		if (i < 2) {
			iov[i].iov_base = (char *)iov[i].iov_base + n;
			iov[i].iov_len -= (size_t)n;
		}
	}
	return true;
}

/* Keep a record.changed: one per record, the oldest going when full. */
static void
rpc_keep_change(struct rpc *r, json_t *params)
{
	const char *kind = json_string_value(json_object_get(params, "kind"));
	const char *state = json_string_value(json_object_get(params, "state"));
	const char *message = json_string_value(json_object_get(params, "message"));
	json_t *id = json_object_get(params, "id");
	struct rpc_change c = { .id = json_integer_value(id) };
	size_t i;

	if (kind == NULL || state == NULL || !json_is_integer(id))
		return;
	rpc_copy(c.kind, sizeof c.kind, kind);
	rpc_copy(c.state, sizeof c.state, state);
	rpc_copy(c.message, sizeof c.message, message != NULL ? message : "");
	for (i = 0; i < r->n_changes; i++)
		if (r->changes[i].id == c.id && strcmp(r->changes[i].kind, c.kind) == 0)
			break;
	if (i == r->n_changes && r->n_changes == RPC_CHANGES_MAX)
		i = 0;
	if (i < r->n_changes) {
		memmove(&r->changes[i], &r->changes[i + 1],
		    (r->n_changes - i - 1) * sizeof *r->changes);
		r->n_changes--;
	}
	r->changes[r->n_changes++] = c;
}

bool
rpc_take_change(struct rpc *r, struct rpc_change *out)
{
	if (r == NULL || r->n_changes == 0)
		return false;
	*out = r->changes[0];
	memmove(&r->changes[0], &r->changes[1], --r->n_changes * sizeof *r->changes);
	return true;
}

/*
 * A notification from the server.  session.closing means the server ends
 * the session right after: no reply will come, so the connection counts
 * as lost now, and its reason is kept for the user.  record.changed is
 * kept for rpc_take_change.
 */
static void
rpc_on_notification(struct rpc *r, json_t *msg)
{
	const char *method = json_string_value(json_object_get(msg, "method"));
	json_t *params = json_object_get(msg, "params");
	const char *reason = json_string_value(json_object_get(params, "reason"));
	const char *message = json_string_value(json_object_get(params, "message"));

	if (strcmp(method, "record.changed") == 0) {
		rpc_keep_change(r, params);
		return;
	}
	if (strcmp(method, "session.closing") != 0)
		return;
	rpc_copy(r->closing_reason, sizeof r->closing_reason, reason != NULL ? reason : "closing");
	rpc_copy(r->closing_message, sizeof r->closing_message, message != NULL ? message : "");
	rpc_set_lost(r, "the server ended the session");
}

static bool
rpc_on_line(void *ctx, enum line_event ev, const char *line, size_t len)
{
	struct rpc *r = ctx;
	json_t *reply, *id;

	if (ev == LINE_TOO_LONG) {
		if (r->mode == RPC_MODE_RELAY)
			fprintf(stderr, _("jxjy: a reply longer than %d bytes was dropped\n"),
			    RPC_MAX_REPLY);
		else
			r->too_long = true;
		return true;
	}
	if (r->mode == RPC_MODE_RELAY) {
		if (rpc_is_sentinel(r, line, len)) {
			r->sentinel_seen = true;
			return true;
		}
		/* line is NUL-terminated, so line[len] is ours to use as '\n'. */
		if (!rpc_write_line(r->relay_out, line, len)) {
			r->relay_failed = true;
			r->relay_errno = errno;
		}
		return true;
	}

	/*
	 * Call mode: a notification is looked at, whenever it comes; a late
	 * reply to an abandoned call is dropped.
	 */
	if ((reply = json_loadb(line, len, 0, NULL)) == NULL)
		return true;
	if (json_is_object(reply) && json_object_get(reply, "id") == NULL &&
	    json_is_string(json_object_get(reply, "method"))) {
		rpc_on_notification(r, reply);
		json_decref(reply);
		return true;
	}
	if (r->awaited == 0 || r->reply != NULL) {
		json_decref(reply);
		return true;
	}
	id = json_object_get(reply, "id");
	if (json_is_object(reply) && json_is_integer(id) && json_integer_value(id) == r->awaited)
		r->reply = reply;
	else
		json_decref(reply);
	return true;
}

/*
 * Read and handle what has arrived, without waiting.  Returns the number
 * of bytes handled (0: nothing had arrived) or -1 when the connection is
 * lost.
 */
static ssize_t
rpc_read_some(struct rpc *r)
{
	char buf[16384];
	ssize_t n;

	if (r->lost)
		return -1;
	n = r->transport->read(r, buf, sizeof buf);
	if (n > 0)
		line_reader_feed(&r->reader, buf, (size_t)n, rpc_on_line, r);
	return n;
}

/*
 * Wait up to ms for the connection to be readable (or writable, when
 * want_write and writes can wait) or extra (-1: none) to be readable.
 * Returns true when extra is readable.
 */
static bool
rpc_wait(struct rpc *r, bool want_write, int extra, int ms)
{
	struct pollfd p[3];
	nfds_t n = 0;
	int extra_at = -1;

	/*
	 * Acknowledge at once what arrives: a server that has Nagle on (as
	 * OpenSSH's sshd has for a subsystem) holds its next small reply until
	 * our ACK, which Linux would delay up to 200 ms while we send nothing.
	 * The kernel clears the flag after a while, so it is set before each
	 * wait.
	 */
	if (r->tcp) {
		int one = 1;

		setsockopt(r->in, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
	}
	p[n++] = (struct pollfd){ .fd = r->in, .events = POLLIN };
	if (want_write && r->out >= 0)
		p[n++] = (struct pollfd){ .fd = r->out, .events = POLLOUT };
	if (extra >= 0) {
		extra_at = (int)n;
		p[n++] = (struct pollfd){ .fd = extra, .events = POLLIN };
	}
	if (poll(p, n, ms) <= 0)
		return false;
	return extra_at >= 0 && (p[extra_at].revents & (POLLIN | POLLHUP | POLLERR));
}

/* Send len bytes, handling what arrives meanwhile.  Returns 0 or -1 (lost). */
static int
rpc_send(struct rpc *r, const char *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (r->lost)
			return -1;
		n = r->transport->write(r, buf + done, len - done);
		if (n < 0)
			return -1;
		done += (size_t)n;
		if (n == 0) {
			/* The server is not reading: read what it says meanwhile. */
			if (rpc_read_some(r) == 0)
				rpc_wait(r, true, -1, RPC_SLICE_MS);
		}
	}
	return 0;
}

/* Send line and its '\n' in one write.  Returns 0 or -1 (lost). */
static int
rpc_send_line(struct rpc *r, const char *line, size_t len)
{
	char *buf = xmalloc(len + 1);
	int rc;

	memcpy(buf, line, len);
	buf[len] = '\n';
	rc = rpc_send(r, buf, len + 1);
	free(buf);
	return rc;
}

static struct rpc *
rpc_new(const struct rpc_transport *transport)
{
	struct rpc *r = xcalloc(1, sizeof *r);

	r->transport = transport;
	r->in = r->out = -1;
	r->timeout_ms = RPC_DEFAULT_TIMEOUT_MS;
	line_reader_init(&r->reader, RPC_MAX_REPLY);
	return r;
}

struct rpc *
rpc_connect_ssh(const struct connect_options *o, enum connect_status *status)
{
	ssh_session session;
	ssh_channel channel;
	struct rpc *r;

	*status = connect_ssh(o, &session, &channel);
	if (*status != CONNECT_OK)
		return NULL;
	r = rpc_new(&rpc_ssh_transport);
	r->session = session;
	r->channel = channel;
	r->in = ssh_get_fd(session);
	r->tcp = true;
	return r;
}

struct rpc *
rpc_connect_fd(int in, int out)
{
	struct rpc *r;
	int flags;

	if (fcntl(in, F_GETFL) < 0 || (flags = fcntl(out, F_GETFL)) < 0)
		return NULL;
	r = rpc_new(&rpc_fd_transport);
	r->in = in;
	r->out = out;
	/* Writes must not block (see rpc_send_line); a terminal is left alone. */
	if (!isatty(out))
		fcntl(out, F_SETFL, flags | O_NONBLOCK);
	fcntl(in, F_SETFD, FD_CLOEXEC);
	fcntl(out, F_SETFD, FD_CLOEXEC);
	return r;
}

void
rpc_close(struct rpc *r)
{
	if (r == NULL)
		return;
	r->transport->close(r);
	line_reader_free(&r->reader);
	json_decref(r->reply);
	free(r->sentinel);
	free(r->batch);
	free(r);
}

void
rpc_set_timeout(struct rpc *r, int ms)
{
	r->timeout_ms = ms < 0 ? 0 : ms;
}

void
rpc_set_interrupt(struct rpc *r, volatile sig_atomic_t *flag)
{
	r->interrupt = flag;
}

/* Fill err for a local failure of the given kind. */
static void
rpc_fail(struct rpc_error *err, enum rpc_error_kind kind)
{
	const char *msg;

	switch (kind) {
	case RPC_ERR_LOST:
		msg = _("The connection to the server was lost.");
		break;
	case RPC_ERR_TIMEOUT:
		msg = _("The server is not responding.");
		break;
	case RPC_ERR_INTERRUPTED:
		msg = _("Interrupted.");
		break;
	default:
		msg = _("The server sent a reply that could not be understood.");
		break;
	}
	memset(err, 0, sizeof *err);
	err->kind = kind;
	rpc_copy(err->message, sizeof err->message, msg);
}

/* err->problems from the error's data.errors, or its one problem when there is none. */
static void
rpc_problems(struct rpc_error *err, json_t *list)
{
	struct rpc_problem *p;
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e) {
		const char *field = json_string_value(json_object_get(e, "field"));
		const char *reason = json_string_value(json_object_get(e, "reason"));
		const char *message = json_string_value(json_object_get(e, "message"));
		const char *label = json_string_value(json_object_get(e, "label"));

		if (err->nproblems == RPC_PROBLEMS_MAX)
			break;
		if (!json_is_object(e) || message == NULL)
			continue;
		p = &err->problems[err->nproblems++];
		rpc_copy(p->field, sizeof p->field, field != NULL ? field : "");
		rpc_copy(p->reason, sizeof p->reason, reason != NULL ? reason : "");
		rpc_copy(p->label, sizeof p->label, label != NULL ? label : "");
		rpc_copy(p->message, sizeof p->message, message);
	}
	if (err->nproblems > 0)
		return;
	p = &err->problems[err->nproblems++];
	rpc_copy(p->field, sizeof p->field, err->field);
	rpc_copy(p->reason, sizeof p->reason, err->reason);
	rpc_copy(p->message, sizeof p->message, err->message);
}

/* Turn the awaited reply into a result, or err. */
static json_t *
rpc_take_reply(struct rpc *r, struct rpc_error *err)
{
	json_t *reply = r->reply, *result, *error, *data, *v;

	r->reply = NULL;
	if ((result = json_object_get(reply, "result")) != NULL) {
		json_incref(result);
		json_decref(reply);
		return result;
	}
	error = json_object_get(reply, "error");
	if (!json_is_object(error)) {
		json_decref(reply);
		rpc_fail(err, RPC_ERR_PROTOCOL);
		return NULL;
	}
	memset(err, 0, sizeof *err);
	err->kind = RPC_ERR_REMOTE;
	v = json_object_get(error, "code");
	err->code = json_is_integer(v) ? (int)json_integer_value(v) : 0;
	v = json_object_get(error, "message");
	rpc_copy(err->message, sizeof err->message, json_is_string(v) ? json_string_value(v) : "");
	data = json_object_get(error, "data");
	v = json_object_get(data, "reason");
	if (json_is_string(v))
		rpc_copy(err->reason, sizeof err->reason, json_string_value(v));
	v = json_object_get(data, "field");
	if (json_is_string(v))
		rpc_copy(err->field, sizeof err->field, json_string_value(v));
	rpc_problems(err, json_object_get(data, "errors"));
	json_decref(reply);
	return NULL;
}

json_t *
rpc_call(struct rpc *r, const char *method, json_t *params, struct rpc_error *err)
{
	json_t *request, *result = NULL;
	long long deadline, left;
	char *line;
	ssize_t n;

	memset(err, 0, sizeof *err);
	if (r->lost) {
		json_decref(params);
		rpc_fail(err, RPC_ERR_LOST);
		return NULL;
	}
	r->mode = RPC_MODE_CALL;
	r->awaited = ++r->next_id;
	r->too_long = false;
	json_decref(r->reply);
	r->reply = NULL;

	request = json_pack("{s:s, s:I, s:s}", "jsonrpc", "2.0", "id", r->awaited,
	    "method", method);
	if (params != NULL)
		json_object_set_new(request, "params", params);
	line = json_dumps(request, JSON_COMPACT);
	json_decref(request);
	if (line == NULL)
		abort();	/* allocation failure */
	n = rpc_send_line(r, line, strlen(line));
	free(line);
	if (n < 0) {
		rpc_fail(err, RPC_ERR_LOST);
		goto out;
	}

	deadline = rpc_now_ms() + r->timeout_ms;
	while (r->reply == NULL && !r->too_long) {
		if ((n = rpc_read_some(r)) < 0) {
			rpc_fail(err, RPC_ERR_LOST);
			goto out;
		}
		if (n > 0)
			continue;
		if (r->interrupt != NULL && *r->interrupt) {
			rpc_fail(err, RPC_ERR_INTERRUPTED);
			goto out;
		}
		left = deadline - rpc_now_ms();
		if (r->timeout_ms > 0 && left <= 0) {
			rpc_fail(err, RPC_ERR_TIMEOUT);
			goto out;
		}
		rpc_wait(r, false, -1, r->timeout_ms > 0 && left < RPC_SLICE_MS ?
		    (int)left : RPC_SLICE_MS);
	}
	if (r->too_long)
		rpc_fail(err, RPC_ERR_PROTOCOL);
	else
		result = rpc_take_reply(r, err);
out:
	r->awaited = 0;
	return result;
}

const char *
rpc_closing_reason(struct rpc *r)
{
	return r->closing_reason[0] != '\0' ? r->closing_reason : NULL;
}

const char *
rpc_closing_message(struct rpc *r)
{
	return r->closing_reason[0] != '\0' ? r->closing_message : NULL;
}

int
rpc_poll_fd(struct rpc *r)
{
	return r->lost ? -1 : r->in;
}

bool
rpc_alive(struct rpc *r)
{
	ssize_t n;
	int rounds = 0;

	r->mode = RPC_MODE_CALL;
	while ((n = rpc_read_some(r)) > 0 && ++rounds < 64)
		;
	return n >= 0;
}

/*
 * Each line of standard input goes to the server as it is.  The lines of
 * one read are sent together, so a pipelined burst travels in a few large
 * packets rather than one per line.
 */
static bool
rpc_relay_on_input(void *ctx, enum line_event ev, const char *line, size_t len)
{
	struct rpc *r = ctx;

	if (ev == LINE_TOO_LONG) {
		fprintf(stderr, _("jxjy: an input line longer than %d bytes was not sent\n"),
		    RPC_RELAY_MAX_LINE);
		return true;
	}
	if (r->batch_len + len + 1 > r->batch_cap) {
		r->batch_cap = (r->batch_len + len + 1) * 2;
		r->batch = xrealloc(r->batch, r->batch_cap);
	}
	memcpy(r->batch + r->batch_len, line, len);
	r->batch[r->batch_len + len] = '\n';
	r->batch_len += len + 1;
	return true;
}

/* Send the lines gathered by rpc_relay_on_input. */
static void
rpc_relay_flush(struct rpc *r)
{
	if (r->batch_len > 0)
		rpc_send(r, r->batch, r->batch_len);
	r->batch_len = 0;
}

int
rpc_relay(struct rpc *r, int in, int out)
{
	struct line_reader input;
	bool in_open = true;
	long long last = rpc_now_ms();
	char buf[16384], *ping;
	ssize_t n;
	int status = 2;

	r->mode = RPC_MODE_RELAY;
	r->relay_out = out;
	r->sentinel = xasprintf("jxjy-relay-end-%ld-%lld", (long)getpid(), last);
	line_reader_init(&input, RPC_RELAY_MAX_LINE);

	for (;;) {
		while ((n = rpc_read_some(r)) > 0)
			last = rpc_now_ms();
		if (n < 0)
			break;
		if (r->relay_failed) {
			fprintf(stderr, _("jxjy: cannot write the replies: %s\n"),
			    strerror(r->relay_errno));
			break;
		}
		if (r->sentinel_seen) {
			status = 0;
			goto out;
		}
		if (r->interrupt != NULL && *r->interrupt)
			goto out;

		if (!in_open && r->timeout_ms > 0 && rpc_now_ms() - last > r->timeout_ms) {
			fprintf(stderr, "jxjy: %s\n", _("The server is not responding."));
			goto out;
		}
		if (!rpc_wait(r, false, in_open ? in : -1, RPC_SLICE_MS))
			continue;

		n = read(in, buf, sizeof buf);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n > 0) {
			line_reader_feed(&input, buf, (size_t)n, rpc_relay_on_input, r);
			rpc_relay_flush(r);
			continue;
		}
		/*
		 * The end of the input: send a last line that had no '\n',
		 * then a ping of our own.  The server answers in order, so when
		 * the ping's reply is in, so is every reply before it.
		 */
		in_open = false;
		if (!input.discarding && input.len > 0)
			rpc_send_line(r, input.buf, input.len);
		ping = xasprintf("{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"method\":\"system.ping\"}",
		    r->sentinel);
		rpc_send_line(r, ping, strlen(ping));
		free(ping);
		last = rpc_now_ms();
	}
	if (r->lost)
		fprintf(stderr, "jxjy: %s (%s)\n", _("The connection to the server was lost."),
		    r->why);
out:
	line_reader_free(&input);
	return status;
}
