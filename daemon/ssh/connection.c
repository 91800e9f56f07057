/*
 * connection.c - one SSH connection, served on a thread of its own: the
 * channel callbacks, the loop that runs its requests, back-pressure, and
 * the relay of the served TUI.
 *
 * Why a thread per session: a prototype measured on this kind of machine
 * (docs/design.md) found fork per connection costs ten times the CPU, and
 * that one ssh_event shared by many sessions is broken in libssh 0.10 (a
 * poll error from one session's socket drops others).  So each session owns
 * its ssh_event and runs on its own small-stacked thread; its requests run
 * there one at a time and block only that session while they wait for the
 * database pool.  Idle sessions sleep in poll and cost a stack page or two.
 *
 * On shutdown the listener calls connection_stop_all, which writes to
 * stop_pipe, whose read end is in every session's event: every session
 * wakes, finishes what it has received, says goodbye and ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "jxjy-config.h"
#include "admission.h"
#include "attachments.h"
#include "captcha.h"
#include "config.h"
#include "exec.h"
#include "inbox.h"
#include "log.h"
#include "outbox.h"
#include "presence.h"
#include "rpc.h"
#include "connection.h"
#include "sessions.h"
#include "ssh-auth.h"
#include "stats.h"
#include "xmalloc.h"

/*
 * Stack per session thread.  Requests never recurse deeply (jansson's
 * parser depth is bounded) and only touched pages cost memory, but the
 * sanitizers need far more room.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SESSION_STACK	(2 * 1024 * 1024)
#else
#define SESSION_STACK	(256 * 1024)
#endif

static atomic_bool stopping;
static int stop_pipe[2] = { -1, -1 };
static pthread_attr_t connection_attr;

/* --- libssh callbacks: they only record what happened ------------------- */

static int
connection_data(ssh_session ssh, ssh_channel channel, void *data, uint32_t len,
    int is_stderr, void *userdata);
static void
connection_eof(ssh_session ssh, ssh_channel channel, void *userdata)
{
	struct connection *s = userdata;

	s->eof = true;
}

static void
connection_close(ssh_session ssh, ssh_channel channel, void *userdata)
{
	struct connection *s = userdata;

	s->eof = true;
	s->remote_closed = true;
}

/* Whether the channel already has its one request (subsystem, shell, exec). */
static bool
connection_started(const struct connection *s)
{
	return s->subsystem || s->shell || s->sftp || s->exec_command != NULL;
}

static int
connection_exec_request(ssh_session ssh, ssh_channel channel, const char *command,
    void *userdata)
{
	struct connection *s = userdata;

	if (connection_started(s))
		return 1;
	s->exec_command = xstrdup(command ? command : "");
	/* Its input may come at once, before the session thread runs it: take it from now. */
	if (exec_reads_input(s->exec_command)) {
		s->exec_input_max = (size_t)config_current()->roster_max_bytes;
		s->exec_reading = true;
	}
	return 0;
}

static int
connection_subsystem(ssh_session ssh, ssh_channel channel, const char *name, void *userdata)
{
	struct connection *s = userdata;

	if (connection_started(s)) {
		log_info("session %lu: refused a second request", s->session.serial);
		return 1;
	}
	if (strcmp(name, "sftp") == 0 && inbox_is_token(s->session.ssh_user)) {
		s->sftp = true;
		return 0;
	}
	if (strcmp(name, JXJY_SUBSYSTEM) != 0) {
		log_info("session %lu: refused subsystem request", s->session.serial);
		return 1;
	}
	s->subsystem = true;
	return 0;
}

static int
connection_pty_request(ssh_session ssh, ssh_channel channel, const char *term,
    int cols, int rows, int px_width, int px_height, void *userdata)
{
	struct connection *s = userdata;

	if (connection_started(s) || s->pty)
		return -1;
	s->pty = true;
	snprintf(s->term_name, sizeof s->term_name, "%s", term ? term : "xterm");
	s->cols = cols;
	s->rows = rows;
	return 0;
}

static int
connection_pty_resize(ssh_session ssh, ssh_channel channel, int cols, int rows,
    int px_width, int px_height, void *userdata)
{
	struct connection *s = userdata;

	s->cols = cols;
	s->rows = rows;
	if (s->shell)
		terminal_resize(&s->terminal, cols, rows);
	return 0;
}

/* A shell gets the TUI; without a pty there is no screen to draw it on. */
static int
connection_shell_request(ssh_session ssh, ssh_channel channel, void *userdata)
{
	struct connection *s = userdata;

	if (!s->pty || connection_started(s)) {
		log_info("session %lu: refused shell request without a pty", s->session.serial);
		return 1;
	}
	s->shell = true;
	return 0;
}

/* Only the language travels as an environment variable (ssh -o SendEnv=JXJY_LANG). */
static int
connection_env_request(ssh_session ssh, ssh_channel channel, const char *name,
    const char *value, void *userdata)
{
	struct connection *s = userdata;

	if (strcmp(name, "JXJY_LANG") != 0)
		return 1;
	s->session.lang = lang_parse(value);
	return 0;
}

static struct ssh_channel_callbacks_struct channel_callbacks = {
	.channel_data_function = connection_data,
	.channel_eof_function = connection_eof,
	.channel_close_function = connection_close,
	.channel_subsystem_request_function = connection_subsystem,
	.channel_pty_request_function = connection_pty_request,
	.channel_pty_window_change_function = connection_pty_resize,
	.channel_shell_request_function = connection_shell_request,
	.channel_env_request_function = connection_env_request,
	.channel_exec_request_function = connection_exec_request,
	/* Other requests (x11, port forwarding...) have no callback: refused. */
};

static ssh_channel
connection_channel_open(ssh_session ssh, void *userdata)
{
	struct connection *s = userdata;
	ssh_channel ch;

	if (s->channel != NULL)
		return NULL;	/* one channel per connection */
	ch = ssh_channel_new(ssh);
	if (ch == NULL)
		return NULL;
	/* Callbacks go in before the channel is returned (libssh pitfall 7). */
	ssh_set_channel_callbacks(ch, &s->channel_cb);
	s->channel = ch;
	return ch;
}

/* --- back-pressure: bounded queues, writes that never wait ----------------- */

/*
 * Most that one write to the channel hands to libssh.  A chunk is written
 * only when libssh holds nothing unsent, so libssh's own output buffer
 * never holds much more than this whatever the client's window says.
 */
#define SESSION_CHUNK		32768
/* Keystrokes taken for the served TUI before the channel's data is left in libssh. */
#define SESSION_KEYS_MAX	65536
/* A drained buffer bigger than this gives its memory back. */
#define SESSION_BUFFER_KEEP	65536
/*
 * What a queued request costs beyond its text (struct, allocator): counted
 * so that a flood of empty lines is bounded as well as one of long ones.
 */
#define SESSION_LINE_COST	64
/* Bytes of a streaming exec command's output held before it waits for the client. */
#define SESSION_EXEC_BACKLOG	(256 * 1024)

static size_t
connection_buffer_waiting(const struct connection_buffer *b)
{
	return b->len - b->off;
}

static void
connection_buffer_add(struct connection_buffer *b, const char *data, size_t n)
{
	if (b->len + n > b->cap && b->off > 0) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;

		while (cap < b->len + n)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
}

/* n bytes at the front have gone. */
static void
connection_buffer_take(struct connection_buffer *b, size_t n)
{
	b->off += n;
	if (b->off < b->len)
		return;
	b->off = b->len = 0;
	if (b->cap > SESSION_BUFFER_KEEP) {
		free(b->data);
		b->data = NULL;
		b->cap = 0;
	}
}

static void
connection_buffer_free(struct connection_buffer *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

/* Write what b holds to the non-blocking fd; false when fd is broken. */
static bool
connection_buffer_write(struct connection_buffer *b, int fd)
{
	while (connection_buffer_waiting(b) > 0) {
		ssize_t n = write(fd, b->data + b->off, connection_buffer_waiting(b));

		if (n > 0)
			connection_buffer_take(b, (size_t)n);
		else if (n < 0 && errno == EINTR)
			continue;
		else
			return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
	}
	return true;
}

static int64_t
connection_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Replies waiting for the reader of this session's requests. */
static size_t
connection_backlog(const struct connection *s)
{
	return connection_buffer_waiting(s->shell ? &s->rpc_out : &s->out);
}

/*
 * How many more bytes of requests the session may take in now: none while
 * its replies are over sessions.output_backlog, and never so many that
 * queued requests and replies together pass sessions.max_memory.  A partial
 * line in the reader is not counted: it is bounded by sessions.max_line.
 */
static size_t
connection_input_room(const struct connection *s)
{
	const struct config *cfg = config_current();
	size_t held = s->pending_bytes + connection_backlog(s);

	if (connection_backlog(s) > (size_t)cfg->output_backlog || held >= (size_t)cfg->max_memory)
		return 0;
	return (size_t)cfg->max_memory - held;
}

/* Whether libssh would send a write to the channel now, without queueing it. */
static bool
connection_channel_writable(struct connection *s)
{
	return s->channel != NULL && !ssh_channel_is_closed(s->channel) &&
	    (ssh_get_poll_flags(s->ssh) & SSH_WRITE_PENDING) == 0 &&
	    ssh_channel_window_size(s->channel) > 0;
}

/*
 * Hand the channel's backlog to libssh as far as the client's window and
 * the socket take it.  The session is non-blocking and a write never asks
 * for more than the window, so ssh_channel_write never waits.
 */
static void
connection_flush_channel(struct connection *s)
{
	while (connection_buffer_waiting(&s->out) > 0 && connection_channel_writable(s)) {
		size_t n = connection_buffer_waiting(&s->out);
		uint32_t window = ssh_channel_window_size(s->channel);
		int w;

		if (n > window)
			n = window;
		if (n > SESSION_CHUNK)
			n = SESSION_CHUNK;
		w = ssh_channel_write(s->channel, s->out.data + s->out.off, (uint32_t)n);
		if (w == SSH_ERROR) {
			s->out_broken = true;
			return;
		}
		if (w <= 0)
			return;
		connection_buffer_take(&s->out, (size_t)w);
	}
}

/* Everything that waits to be written, as far as each reader takes it now. */
static void
connection_flush(struct connection *s)
{
	connection_flush_channel(s);
	if (!s->shell)
		return;
	if (s->terminal.pty_fd >= 0 && !connection_buffer_write(&s->keys, s->terminal.pty_fd))
		s->terminal_done = true;	/* EIO: the child closed its terminal */
	if (s->terminal.rpc_fd >= 0 && !connection_buffer_write(&s->rpc_out, s->terminal.rpc_fd)) {
		/* The TUI is leaving: its replies have nobody to read them. */
		connection_buffer_take(&s->rpc_out, connection_buffer_waiting(&s->rpc_out));
		s->rpc_eof = true;
	}
}

static bool
connection_queue_line(void *ctx, enum line_event ev, const char *line, size_t len)
{
	struct connection *s = ctx;
	struct pending_line *p;

	if (s->n_pending == s->cap_pending) {
		s->cap_pending = s->cap_pending ? s->cap_pending * 2 : 4;
		s->pending = xrealloc(s->pending, s->cap_pending * sizeof *s->pending);
	}
	p = &s->pending[s->n_pending++];
	if (ev == LINE_OK) {
		p->text = xstrndup(line, len);
		p->len = len;
	} else {
		p->text = NULL;
		p->len = 0;
	}
	s->pending_bytes += p->len + SESSION_LINE_COST;
	return true;
}

/*
 * Take up to len bytes of channel data as the session can hold now: keys
 * for the served TUI, or request lines.  Returns how many were taken; libssh
 * keeps the rest, and stops opening the client's window once it holds about
 * a window's worth, which is how a client that sends faster than it reads
 * is slowed down.
 */
static size_t
connection_take_input(struct connection *s, const char *data, size_t len)
{
	size_t room = s->shell ? SESSION_KEYS_MAX - connection_buffer_waiting(&s->keys) :
	    connection_input_room(s);
	size_t take = len < room ? len : room;

	if (take > 0) {
		s->last_activity = time(NULL);
		if (s->shell)
			connection_buffer_add(&s->keys, data, take);
		else
			line_reader_feed(&s->reader, data, take, connection_queue_line, s);
	}
	s->input_held = take < len;
	return take;
}

/*
 * Channel data: keys for the TUI, or request lines, queued; requests run
 * after the poll returns, outside libssh's callback.  A reply's write may
 * call this again (libssh reads while it writes): it only queues.
 */
static int
connection_data(ssh_session ssh, ssh_channel channel, void *data, uint32_t len,
    int is_stderr, void *userdata)
{
	struct connection *s = userdata;

	if (is_stderr)
		return len;
	if (s->sftp)
		return 0;	/* left in the channel's buffer for the SFTP server to read */
	if (s->exec_reading) {
		/* Bounded: past the bound the rest is counted out, not kept. */
		if (s->exec_input.len + len > s->exec_input_max)
			s->exec_input_over = true;
		else
			connection_buffer_add(&s->exec_input, data, len);
		return len;
	}
	if (!s->shell && !s->subsystem)
		return len;	/* nothing is read before the subsystem starts */
	return (int)connection_take_input(s, data, len);
}

/*
 * Channel data that libssh kept while the session was full: the callback
 * sees it again only when more arrives, and none will while the window is
 * closed, so it is read out here once there is room.
 */
static void
connection_pull_input(struct connection *s)
{
	char buf[16384];

	while (s->input_held && s->channel != NULL && !ssh_channel_is_closed(s->channel)) {
		size_t room = s->shell ? SESSION_KEYS_MAX - connection_buffer_waiting(&s->keys) :
		    connection_input_room(s);
		int n;

		if (room == 0)
			return;
		n = ssh_channel_read_nonblocking(s->channel, buf,
		    (uint32_t)(room < sizeof buf ? room : sizeof buf), 0);
		if (n <= 0) {
			/* Empty (or gone); the callback consumed what came meanwhile. */
			if (n < 0 || ssh_channel_poll(s->channel, 0) <= 0)
				s->input_held = false;
			return;
		}
		connection_take_input(s, buf, (size_t)n);
		s->input_held = true;	/* until a read finds nothing */
	}
}

/* Screen output of the served TUI, read only when there is room to send it. */
static int
connection_pty_ready(socket_t fd, int revents, void *userdata)
{
	struct connection *s = userdata;
	char buf[SESSION_CHUNK];
	ssize_t n;

	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;	/* POLLOUT: the loop writes the keys */
	n = read(fd, buf, sizeof buf);
	if (n > 0)
		connection_buffer_add(&s->out, buf, (size_t)n);
	else if (n == 0 || (errno != EINTR && errno != EAGAIN))
		s->terminal_done = true;	/* EIO: the child closed its terminal */
	return 0;
}

/* JSON-RPC lines from the served TUI: queued like the subsystem's. */
static int
connection_rpc_ready(socket_t fd, int revents, void *userdata)
{
	struct connection *s = userdata;
	char buf[16384];
	ssize_t n;

	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	n = read(fd, buf, sizeof buf);
	if (n > 0) {
		s->last_activity = time(NULL);
		line_reader_feed(&s->reader, buf, (size_t)n, connection_queue_line, s);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		/*
		 * The TUI closes its RPC socket while it exits; the session ends
		 * when its pty closes, so that the child's own exit status is the
		 * one reported rather than a hangup's.
		 */
		s->rpc_eof = true;
	}
	return 0;
}

/*
 * Watch fd for want (0: not at all) in the session's event.  Only outside
 * ssh_event_dopoll: libssh must not lose a handle while it walks them.
 */
static void
connection_watch(struct connection *s, int fd, short *events, short want, ssh_event_callback cb)
{
	if (fd < 0 || *events == want)
		return;
	if (*events != 0)
		ssh_event_remove_fd(s->event, fd);
	if (want != 0 && ssh_event_add_fd(s->event, fd, want, cb, s) != SSH_OK) {
		log_error("session %lu: cannot watch a descriptor", s->session.serial);
		want = 0;
		s->terminal_done = true;
	}
	*events = want;
}

/*
 * What the served TUI's descriptors are watched for: the pty is read only
 * when its output can go on at once (the child waits otherwise, which is
 * its back-pressure), written when keys wait; the RPC socket is read while
 * the session has room for requests, written when replies wait.
 */
static void
connection_watch_terminal(struct connection *s)
{
	const struct config *cfg = config_current();
	short pty = 0, rpc = 0;

	if (s->terminal_done)
		pty = 0;
	else {
		if (connection_buffer_waiting(&s->out) == 0 && connection_channel_writable(s))
			pty |= POLLIN;
		if (connection_buffer_waiting(&s->keys) > 0)
			pty |= POLLOUT;
	}
	if (!s->rpc_eof) {
		if (connection_backlog(s) <= (size_t)cfg->output_backlog &&
		    s->pending_bytes < (size_t)cfg->max_memory)
			rpc |= POLLIN;
		if (connection_buffer_waiting(&s->rpc_out) > 0)
			rpc |= POLLOUT;
	}
	connection_watch(s, s->terminal.pty_fd, &s->pty_events, pty, connection_pty_ready);
	connection_watch(s, s->terminal.rpc_fd, &s->rpc_events, rpc, connection_rpc_ready);
}

/*
 * Whether the client is not taking what the session has for it: replies
 * over sessions.output_backlog, or the served TUI's screen held up by a
 * closed window.  The caller times how long it stays so.
 */
static bool
connection_output_stuck(const struct config *cfg, struct connection *s)
{
	size_t bound = (size_t)cfg->output_backlog;

	if (connection_buffer_waiting(&s->out) > bound || connection_buffer_waiting(&s->rpc_out) > bound)
		return true;
	return s->shell && connection_buffer_waiting(&s->out) > 0 && !connection_channel_writable(s);
}

static int
connection_stop_readable(socket_t fd, int revents, void *userdata)
{
	return 0;	/* the loop checks 'stopping' itself */
}

/* The session's eventfd: another thread ended it (sessions_end_account). */
static int
connection_wake_readable(socket_t fd, int revents, void *userdata)
{
	uint64_t n;

	(void)revents;
	(void)userdata;
	if (read(fd, &n, sizeof n) < 0 && errno != EAGAIN)
		log_debug("session wake: read: %s", strerror(errno));
	return 0;	/* the loop checks 'revoked' itself */
}

/* --- the session thread -------------------------------------------------- */

/* Re-arm TCP_QUICKACK: OpenSSH sets no TCP_NODELAY before auth (pitfall 1). */
static void
connection_quickack(struct connection *s)
{
	int one = 1;

	setsockopt(s->session.fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

/* Queue one reply line (reply is freed) and send what the reader takes now. */
static void
connection_send(struct connection *s, char *reply)
{
	struct connection_buffer *b = s->shell ? &s->rpc_out : &s->out;

	connection_buffer_add(b, reply, strlen(reply));
	connection_buffer_add(b, "\n", 1);
	free(reply);
	connection_flush(s);
}

/*
 * Run queued requests in order while the replies waiting stay within
 * sessions.output_backlog; the rest wait for the client to read.
 */
static void
connection_run_pending(const struct config *cfg, struct connection *s)
{
	size_t bound = (size_t)cfg->output_backlog;
	size_t i;

	/* n_pending may grow meanwhile: a reply's write lets libssh read. */
	for (i = 0; i < s->n_pending; i++) {
		char *text, *reply;
		size_t len;

		if (connection_backlog(s) > bound && !atomic_load(&s->session.registry.revoked))
			break;
		text = s->pending[i].text;
		len = s->pending[i].len;
		s->pending[i].text = NULL;
		s->pending_bytes -= len + SESSION_LINE_COST;
		if (atomic_load(&s->session.registry.revoked)) {
			free(text);
			continue;
		}
		if (text == NULL)
			reply = rpc_reply_too_long(&s->session);
		else
			reply = rpc_handle_line(&s->session, text, len);
		free(text);
		if (reply != NULL)
			connection_send(s, reply);
		s->last_activity = time(NULL);
	}
	if (i > 0) {
		memmove(s->pending, s->pending + i, (s->n_pending - i) * sizeof *s->pending);
		s->n_pending -= i;
	}
	if (s->n_pending == 0 && s->cap_pending > 16) {
		free(s->pending);
		s->pending = NULL;
		s->cap_pending = 0;
	}
	line_reader_shrink(&s->reader);
}

static bool
connection_closed(struct connection *s)
{
	return (ssh_get_status(s->ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0 ||
	    (s->channel != NULL && ssh_channel_is_closed(s->channel));
}

static int
connection_elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (int)((t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

/*
 * Send what the channel's backlog holds until no more than below bytes
 * wait, for as long as the client keeps taking some: true when it got
 * there, false after quiet_ms without progress or when the channel broke.
 */
static bool
connection_drain_below(struct connection *s, size_t below, int quiet_ms)
{
	int64_t last = connection_now_ms();
	size_t before = connection_buffer_waiting(&s->out);

	for (;;) {
		connection_flush_channel(s);
		size_t now = connection_buffer_waiting(&s->out);
		if (now <= below)
			return true;
		if (s->out_broken || connection_closed(s) || s->event == NULL)
			return false;
		if (now < before) {
			before = now;
			last = connection_now_ms();
		}
		int left = quiet_ms - (int)(connection_now_ms() - last);
		if (left <= 0)
			return false;
		ssh_event_dopoll(s->event, left < 100 ? left : 100);
	}
}

/* Send what the channel's backlog holds before the session ends (as above). */
static void
connection_drain(struct connection *s, int quiet_ms)
{
	(void)connection_drain_below(s, 0, quiet_ms);
}

/*
 * A streaming exec command's bytes (exec.h: a unit's certificates): onto
 * the channel's backlog, and while that holds more than
 * SESSION_EXEC_BACKLOG, sent as far as the client takes them, so that the
 * daemon holds at most about that much of the output; -1 when the client
 * takes nothing for sessions.stall_timeout or has gone.
 */
static int
connection_exec_write(void *arg, const char *data, size_t len)
{
	struct connection *s = arg;

	connection_buffer_add(&s->out, data, len);
	if (connection_buffer_waiting(&s->out) <= SESSION_EXEC_BACKLOG)
		return 0;
	return connection_drain_below(s, SESSION_EXEC_BACKLOG / 2,
	    config_current()->stall_timeout * 1000) ? 0 : -1;
}

/*
 * exec_stream's standard error: a sentence or two, written at once (ahead
 * of the standard output still buffered; nothing orders the two streams).
 */
static int
connection_exec_write_err(void *arg, const char *data, size_t len)
{
	struct connection *s = arg;

	if (s->channel == NULL || len > UINT32_MAX)
		return -1;
	return ssh_channel_write_stderr(s->channel, data, (uint32_t)len) == SSH_ERROR ? -1 : 0;
}

/*
 * After SSH authentication: leave sessions.max_startups for sessions.max
 * (admission.h); false, logged, when there is no room.
 */
static bool
connection_admit(struct connection *s)
{
	const char *why = NULL;

	if (!s->authenticated || s->admission != ADMISSION_STARTUP)
		return true;
	s->admission = ADMISSION_NONE;
	if (admission_session(s->session.account_id == 0, &why)) {
		s->admission = ADMISSION_SESSION;
		return true;
	}
	log_warning("session %lu: %s: refused after authentication: %s", s->session.serial,
	    s->session.peer, why);
	return false;
}

/*
 * Key exchange, authentication and the subsystem request, all within the
 * login grace time.  Non-blocking, so a client that connects and says
 * nothing cannot hold the thread beyond the deadline (pitfall 5).
 */
static bool
connection_handshake(struct connection *s)
{
	int grace_ms = config_current()->login_grace_time * 1000;
	struct timespec t0;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ssh_set_blocking(s->ssh, 0);
	for (;;) {
		rc = ssh_handle_key_exchange(s->ssh);
		if (rc == SSH_OK)
			break;
		if (rc != SSH_AGAIN) {
			log_debug("session %lu: key exchange failed: %s", s->session.serial,
			    ssh_get_error(s->ssh));
			return false;
		}
		int left = grace_ms - connection_elapsed_ms(&t0);
		if (left <= 0 || atomic_load(&stopping))
			goto timeout;
		struct pollfd pfd = { .fd = s->session.fd, .events = POLLIN | POLLRDHUP };
		connection_quickack(s);
		if (poll(&pfd, 1, left < 100 ? left : 100) > 0 &&
		    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
			/* Gone before the key exchange: its slot is free at once. */
			log_debug("session %lu: %s: closed before the key exchange", s->session.serial,
			    s->session.peer);
			return false;
		}
	}

	s->event = ssh_event_new();
	if (s->event == NULL || ssh_event_add_session(s->event, s->ssh) != SSH_OK) {
		log_error("session %lu: cannot create its event", s->session.serial);
		return false;
	}
	ssh_event_add_fd(s->event, stop_pipe[0], POLLIN, connection_stop_readable, s);
	/* Without it an idle session would learn it was ended only at its next request. */
	s->session.registry.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->session.registry.wake_fd >= 0)
		ssh_event_add_fd(s->event, s->session.registry.wake_fd, POLLIN, connection_wake_readable, s);
	else
		log_warning("session %lu: eventfd: %s", s->session.serial, strerror(errno));
	for (;;) {
		if (!connection_admit(s))
			return false;
		if (s->authenticated && s->channel != NULL && connection_started(s))
			break;
		int left = grace_ms - connection_elapsed_ms(&t0);

		if (left <= 0 || atomic_load(&stopping))
			goto timeout;
		connection_quickack(s);
		ssh_event_dopoll(s->event, left < 1000 ? left : 1000);
		/* EOF may arrive with the request and its data in one round. */
		if (connection_closed(s) || (s->eof && !connection_started(s)))
			return false;
	}
	/*
	 * The session stays non-blocking: a write to a client that does not
	 * read must never hold the thread (connection_flush_channel).  The SFTP
	 * server of inbox.c reads and writes through libssh's blocking calls.
	 */
	if (s->sftp)
		ssh_set_blocking(s->ssh, 1);
	if (s->shell) {
		if (terminal_start(&s->terminal, terminal_default_program(), s->term_name,
		    s->cols, s->rows, lang_name(s->session.lang)) != 0)
			return false;
		connection_watch_terminal(s);
	}
	return true;
timeout:
	log_info("session %lu: %s: no session within the login grace time", s->session.serial,
	    s->session.peer);
	return false;
}

/* Say goodbye the way OpenSSH's ssh(1) expects (pitfall 9). */
static void
connection_finish_channel(struct connection *s, int status)
{
	if (s->channel == NULL || ssh_channel_is_closed(s->channel))
		return;
	ssh_channel_request_send_exit_status(s->channel, status);
	ssh_channel_send_eof(s->channel);
	ssh_channel_close(s->channel);
	/*
	 * Let the client answer with its own close and disconnect before the
	 * socket goes: closing first makes OpenSSH's ssh(1) fail its last write
	 * ("Connection reset by peer") and exit 255 instead of our status.
	 */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!s->remote_closed && s->event != NULL &&
	    (ssh_get_status(s->ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR)) == 0 &&
	    connection_elapsed_ms(&t0) < 2000)
		ssh_event_dopoll(s->event, 100);
}

/* Tell the client why the server is ending its session (a notification). */
static void
connection_notify_closing(struct connection *s, const char *reason)
{
	json_t *n = json_pack("{s:s, s:s, s:{s:s, s:s}}", "jsonrpc", "2.0",
	    "method", "session.closing", "params", "reason", reason,
	    "message", message_get(s->session.lang, reason));
	char *line = json_dumps(n, JSON_COMPACT);

	json_decref(n);
	if (line != NULL)
		connection_send(s, line);
}

/*
 * The sentence of record.changed in the session's language: the catalogue's
 * "changed.KIND.STATE" with the record's name, or "changed.other".
 */
static char *
connection_change_message(const struct connection *s, const struct sessions_change *c)
{
	char key[64];
	const char *format;

	snprintf(key, sizeof key, "changed.%s.%s", c->kind, c->state);
	format = message_get(s->session.lang, key);
	if (strcmp(format, key) == 0)
		format = message_get(s->session.lang, "changed.other");
	return xasprintf(format, c->name);
}

/*
 * Send record.changed for the changes kept for this session (sessions.h),
 * but only while the client reads what it is sent: otherwise they wait,
 * coalesced and bounded, in the registry.
 */
static void
connection_send_changes(const struct config *cfg, struct connection *s)
{
	struct sessions_change changes[SESSIONS_CHANGES_MAX];
	size_t n;

	if (!atomic_load(&s->session.registry.changed) || !(s->subsystem || s->shell) ||
	    connection_backlog(s) > (size_t)cfg->output_backlog)
		return;
	n = sessions_take_changes(&s->session.registry, changes);
	for (size_t i = 0; i < n; i++) {
		char *message = connection_change_message(s, &changes[i]);
		json_t *note = json_pack("{s:s, s:s, s:{s:s, s:I, s:s, s:s}}", "jsonrpc", "2.0",
		    "method", "record.changed", "params", "kind", changes[i].kind,
		    "id", (json_int_t)changes[i].id, "state", changes[i].state,
		    "message", message);
		char *line = note != NULL ? json_dumps(note, JSON_COMPACT) : NULL;

		json_decref(note);
		free(message);
		if (line != NULL)
			connection_send(s, line);
	}
}

/*
 * Whether the client has left the session's output unread for longer than
 * sessions.stall_timeout (logged and counted when so).
 */
static bool
connection_stalled(const struct config *cfg, struct connection *s, int64_t now)
{
	if (!connection_output_stuck(cfg, s)) {
		s->over_since = 0;
		return false;
	}
	if (s->over_since == 0)
		s->over_since = now;
	if (now - s->over_since < (int64_t)cfg->stall_timeout * 1000)
		return false;
	log_warning("session %lu: %s: the client left %zu bytes of output unread for %d s;"
	    " closing", s->session.serial, s->session.peer, connection_buffer_waiting(&s->out) +
	    connection_buffer_waiting(&s->rpc_out), cfg->stall_timeout);
	stats_session_stalled();
	return true;
}

/* Whether a request could run, or held input be taken, without waiting. */
static bool
connection_runnable(const struct config *cfg, struct connection *s)
{
	if (s->n_pending > 0 && connection_backlog(s) <= (size_t)cfg->output_backlog)
		return true;
	return s->input_held && (s->shell ?
	    connection_buffer_waiting(&s->keys) < SESSION_KEYS_MAX : connection_input_room(s) > 0);
}

/*
 * The session is over: the client closed it or went away, the TUI left,
 * or (subsystem) the client sent EOF and everything it sent is answered.
 */
static bool
connection_over(struct connection *s)
{
	if (s->out_broken || connection_closed(s) || s->terminal_done)
		return true;
	if (!s->eof)
		return false;
	if (s->shell)
		return true;
	return s->n_pending == 0 && !s->input_held && connection_buffer_waiting(&s->out) == 0;
}

static void
connection_serve(struct connection *s)
{
	for (;;) {
		const struct config *cfg = config_current();
		int64_t now, deadline = -1;
		int timeout;

		/* Lines that came with the handshake run before the first poll. */
		connection_run_pending(cfg, s);
		connection_send_changes(cfg, s);
		connection_flush(s);
		connection_pull_input(s);
		if (atomic_load(&s->session.registry.revoked)) {
			log_info("session %lu: ended from another session", s->session.serial);
			connection_notify_closing(s, "logged_out_elsewhere");
			return;
		}
		if (connection_over(s))
			return;
		now = connection_now_ms();
		if (connection_stalled(cfg, s, now))
			return;
		if (cfg->idle_timeout > 0) {
			deadline = ((int64_t)s->last_activity + cfg->idle_timeout - time(NULL)) * 1000;
			if (deadline <= 0) {
				log_info("session %lu: idle for %d s, closing", s->session.serial,
				    cfg->idle_timeout);
				connection_notify_closing(s, "idle_timeout");
				return;
			}
		}
		if (atomic_load(&stopping)) {
			/* What has arrived has run as far as the client read its replies. */
			connection_notify_closing(s, "shutting_down");
			return;
		}
		if (s->over_since != 0) {
			int64_t left = s->over_since + (int64_t)cfg->stall_timeout * 1000 - now;

			if (deadline < 0 || left < deadline)
				deadline = left < 1 ? 1 : left;
		}
		if (connection_runnable(cfg, s))
			deadline = 0;
		timeout = deadline < 0 ? -1 : deadline > 3600000 ? 3600000 : (int)deadline;
		if (s->shell)
			connection_watch_terminal(s);
		ssh_event_dopoll(s->event, timeout);	/* judged by the state (pitfall 4) */
	}
}

/*
 * The standard input of an exec command that reads it (ssh host roster
 * CLASS < FILE), taken since its request (connection_exec_request):
 * everything up to EOF, at most exec_input_max bytes kept (more sets
 * exec_input_over).  Gives up when nothing comes for stall_timeout.
 */
static void
connection_exec_input(struct connection *s, int stall_timeout)
{
	int64_t last = connection_now_ms();
	size_t seen = s->exec_input.len;

	while (!s->eof && !s->exec_input_over && !atomic_load(&stopping)) {
		if (ssh_event_dopoll(s->event, 1000) == SSH_ERROR)
			break;
		if (s->exec_input.len != seen) {
			seen = s->exec_input.len;
			last = connection_now_ms();
		} else if (connection_now_ms() - last > (int64_t)stall_timeout * 1000)
			break;
	}
	s->exec_reading = false;
}

static void *
connection_thread(void *arg)
{
	struct connection *s = arg;

	s->last_activity = time(NULL);
	if (connection_handshake(s)) {
		log_info("session %lu: %s: started (user %s)", s->session.serial, s->session.peer,
		    s->session.ssh_user ? s->session.ssh_user : "");
		int status = 0;
		if (s->exec_command != NULL) {
			struct exec_stream stream = { connection_exec_write, s,
			    connection_exec_write_err };
			char *out = NULL;
			size_t len = 0;

			if (exec_reads_input(s->exec_command)) {
				connection_exec_input(s, config_current()->stall_timeout);
				status = exec_run_input(&s->session, s->exec_command, &stream,
				    s->exec_input.data, s->exec_input.len, s->exec_input_over,
				    &out, &len);
				connection_buffer_free(&s->exec_input);
			} else
				status = exec_run(&s->session, s->exec_command, &stream, &out,
				    &len);
			if (len > 0)
				connection_buffer_add(&s->out, out, len);
			free(out);
			connection_drain(s, config_current()->stall_timeout * 1000);
		} else if (s->sftp) {
			inbox_serve_sftp(&s->session, s->ssh, s->channel, s->event);
		} else {
			connection_serve(s);
			/* A last notification, or replies still on their way: briefly. */
			connection_drain(s, 2000);
		}
		if (s->shell) {
			connection_watch(s, s->terminal.pty_fd, &s->pty_events, 0, NULL);
			connection_watch(s, s->terminal.rpc_fd, &s->rpc_events, 0, NULL);
			status = terminal_finish(&s->terminal);
		}
		connection_finish_channel(s, status);
		log_info("session %lu: ended", s->session.serial);
	}
	presence_forget(&s->session);
	sessions_logout(&s->session.registry);
	captcha_free(s->session.captcha);
	upload_free(s->session.upload);
	inbox_close(&s->session);
	outbox_close(&s->session);
	free(s->exec_command);
	if (s->event != NULL) {
		ssh_event_remove_fd(s->event, stop_pipe[0]);
		if (s->session.registry.wake_fd >= 0)
			ssh_event_remove_fd(s->event, s->session.registry.wake_fd);
		ssh_event_remove_session(s->event, s->ssh);
		ssh_event_free(s->event);
	}
	if (s->session.registry.wake_fd >= 0)
		close(s->session.registry.wake_fd);
	ssh_disconnect(s->ssh);
	ssh_free(s->ssh);
	for (size_t i = 0; i < s->n_pending; i++)
		free(s->pending[i].text);
	free(s->pending);
	line_reader_free(&s->reader);
	connection_buffer_free(&s->out);
	connection_buffer_free(&s->rpc_out);
	connection_buffer_free(&s->keys);
	free(s->session.ssh_user);
	free(s->session.unit_code);
	free(s->session.base_code);
	admission_release(s->session.source, s->admission, true);
	free(s);
	return NULL;
}


void
connection_init(void)
{
	if (pipe2(stop_pipe, O_CLOEXEC) != 0)
		fatal("cannot set up signals: %s", strerror(errno));
	pthread_attr_init(&connection_attr);
	pthread_attr_setdetachstate(&connection_attr, PTHREAD_CREATE_JOINABLE);
	pthread_attr_setstacksize(&connection_attr, SESSION_STACK);
}

void
connection_stop_all(void)
{
	atomic_store(&stopping, true);
	if (write(stop_pipe[1], "x", 1) < 0)
		log_error("cannot wake sessions: %s", strerror(errno));
}

void
connection_cleanup(void)
{
	pthread_attr_destroy(&connection_attr);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	stop_pipe[0] = stop_pipe[1] = -1;
}

/* A new session for the connection fd, counted as ADMISSION_STARTUP. */
static struct connection *
connection_new(int fd, unsigned long serial, const char *address, const char *peer)
{
	struct connection *s = xcalloc(1, sizeof *s);

	s->session.fd = fd;
	s->session.registry.wake_fd = -1;
	s->session.registry.serial = serial;
	s->session.serial = serial;
	s->session.lang = LANG_ZH;
	s->session.role = ROLE_GUEST;
	s->terminal.pid = -1;
	s->terminal.pty_fd = s->terminal.rpc_fd = -1;
	s->admission = ADMISSION_STARTUP;
	snprintf(s->session.source, sizeof s->session.source, "%s", address);
	snprintf(s->session.peer, sizeof s->session.peer, "%s", peer);
	line_reader_init(&s->reader, config_current()->max_line);
	s->server_cb = (struct ssh_server_callbacks_struct){
		.userdata = s,
		.channel_open_request_session_function = connection_channel_open,
	};
	ssh_auth_callbacks(&s->server_cb);
	ssh_callbacks_init(&s->server_cb);
	s->channel_cb = channel_callbacks;
	s->channel_cb.userdata = s;
	ssh_callbacks_init(&s->channel_cb);
	return s;
}

/* A session that never started its thread: all but the connection's count. */
static void
connection_discard(struct connection *s)
{
	if (s->ssh != NULL)
		ssh_free(s->ssh);
	line_reader_free(&s->reader);
	admission_release(s->session.source, ADMISSION_STARTUP, false);
	free(s);
}

void
connection_start(ssh_bind bind, int fd, unsigned long serial, const char *address,
    const char *peer)
{
	struct connection *s = connection_new(fd, serial, address, peer);
	long timeout = 60;
	pthread_t tid;
	int one = 1;

	/* Without TCP_NODELAY every round trip waits ~40 ms (pitfall 1). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	s->ssh = ssh_new();
	if (s->ssh == NULL || ssh_bind_accept_fd(bind, s->ssh, fd) != SSH_OK) {
		log_error("accept %s: %s", peer, s->ssh ? ssh_get_error(bind) : "ssh_new");
		if (s->ssh != NULL)
			ssh_free(s->ssh);
		s->ssh = NULL;
		close(fd);
		connection_discard(s);
		return;
	}
	ssh_options_set(s->ssh, SSH_OPTIONS_TIMEOUT, &timeout);
	ssh_set_server_callbacks(s->ssh, &s->server_cb);
	ssh_auth_accept(s);
	if (pthread_create(&tid, &connection_attr, connection_thread, s) != 0) {
		log_error("accept %s: cannot start a thread: %s", peer, strerror(errno));
		connection_discard(s);
	}
}
