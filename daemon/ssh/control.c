/*
 * control.c - the control socket that 'jxjyd status' talks to.
 *
 * Why a socket and not a status file: the figures are read at the moment
 * they are asked for, nothing is written while nobody looks, and the
 * answer proves the daemon is alive and responsive -- a file would still
 * be there after a crash.  Why not an RPC method: the sysadmin needs no
 * client, no key and no account, only access to the socket, which file
 * permissions give (as PostgreSQL's Unix socket and pgbouncer's admin
 * console do).
 *
 * One thread serves one client at a time; every read and write has a one
 * second timeout, so a client that connects and stalls delays the next
 * one by a second at most and never touches the sessions.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "jxjy-config.h"
#include "config.h"
#include "control.h"
#include "db.h"
#include "log.h"
#include "stats.h"
#include "xmalloc.h"

#define CONTROL_TIMEOUT_MS	1000
#define CONTROL_COMMAND_MAX	256

static struct {
	bool		 running;
	pthread_t	 thread;
	int		 fd;		/* listening */
	int		 wake[2];	/* a byte here stops the thread */
	char		*path;
	dev_t		 dev;		/* of the socket file we made, so */
	ino_t		 ino;		/* that we never unlink another's */
} control = { .fd = -1, .wake = { -1, -1 } };

/* Fill addr from path; false when the path does not fit. */
static bool
control_address(const char *path, struct sockaddr_un *addr)
{
	memset(addr, 0, sizeof *addr);
	addr->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof addr->sun_path)
		return false;
	memcpy(addr->sun_path, path, strlen(path) + 1);
	return true;
}

/* "2d 03:04:05" for a number of seconds. */
static void
control_duration(int64_t s, char *buf, size_t size)
{
	snprintf(buf, size, "%lldd %02lld:%02lld:%02lld", (long long)(s / 86400),
	    (long long)(s / 3600 % 24), (long long)(s / 60 % 60), (long long)(s % 60));
}

/*
 * The replica's line of the status report (database.replica_conninfo):
 * where it leads, what the last heavy read found it to be, its pool, and
 * where the heavy reads went since start.  Caller frees.
 */
static char *
control_replica(const struct config *cfg)
{
	struct db_replica_status st;
	char state[160], since[32], checked[48];

	db_replica_status(cfg->db_replica_max_lag_ms, &st);
	if (!st.configured)
		return xstrdup("replica: none (database.replica_conninfo is empty)\n");
	if (st.checked_ago_ms >= 0)
		snprintf(checked, sizeof checked, ", seen %lld s ago", st.checked_ago_ms / 1000);
	else
		checked[0] = '\0';
	db_iso_time(st.since, since);
	switch (st.state) {
	case DB_REPLICA_UNCHECKED:
		snprintf(state, sizeof state, "not checked yet (no heavy read since start)");
		break;
	case DB_REPLICA_FRESH:
		snprintf(state, sizeof state, "fresh (%lld ms behind at most%s)", st.stale_ms,
		    checked);
		break;
	case DB_REPLICA_LAGGING:
		if (st.stale_ms < 0)
			snprintf(state, sizeof state, "lagging, not known fresh (bound %d ms%s)",
			    cfg->db_replica_max_lag_ms, checked);
		else
			snprintf(state, sizeof state, "lagging %lld ms (bound %d ms%s)", st.stale_ms,
			    cfg->db_replica_max_lag_ms, checked);
		break;
	case DB_REPLICA_UNREACHABLE:
		snprintf(state, sizeof state, "unreachable since %s%s", since, checked);
		break;
	case DB_REPLICA_PROMOTED:
		snprintf(state, sizeof state, "not in recovery (promoted?) since %s%s", since,
		    checked);
		break;
	}
	return xasprintf("replica: host %s port %s dbname %s: %s\n"
	    "replica pool: %d open, %d busy, %d size\n"
	    "heavy reads: %llu from the replica, %llu from the primary\n",
	    st.host[0] != '\0' ? st.host : "(default)", st.port[0] != '\0' ? st.port : "(default)",
	    st.dbname[0] != '\0' ? st.dbname : "(default)", state, st.open, st.busy, st.size,
	    st.reads_replica, st.reads_primary);
}

/* The status report, a few lines of text; caller frees. */
static char *
control_report(void)
{
	const struct config *cfg = config_current();
	struct stats_snapshot st;
	int open, busy, size;
	int64_t window;
	char up[32], slow[64], *replica, *report;

	stats_read(&st);
	db_pool_stats(&open, &busy, &size);
	control_duration(st.uptime, up, sizeof up);
	window = st.uptime + 1 < 60 ? st.uptime + 1 : 60;
	if (cfg->log_slow_request > 0)
		snprintf(slow, sizeof slow, "over %d ms", cfg->log_slow_request);
	else
		snprintf(slow, sizeof slow, "log.slow_request is off");
	replica = control_replica(cfg);
	report = xasprintf(
	    "jxjyd %s (protocol %d), pid %ld, up %s (%lld s)\n"
	    "sessions: %lld open, %lld logged in (at most %d, %d as guests)\n"
	    "requests: %lld served, %lld errors, %lld slow (%s)\n"
	    "last minute: %lld requests, %.2f/s, mean %.1f ms\n"
	    "database pool: %d open, %d busy, %d size\n"
	    "password hashes: %lld waiting, %lld running, %d at once\n"
	    "connections: %lld authenticating (max_startups %s), %lld dropped early,"
	    " %lld refused after authentication; %lld closed for not reading\n%s",
	    JXJY_VERSION, JXJY_PROTOCOL_VERSION, (long)getpid(), up,
	    (long long)st.uptime,
	    (long long)st.sessions_open, (long long)st.sessions_logged_in,
	    cfg->max_sessions, cfg->max_guests,
	    (long long)st.requests, (long long)st.request_errors,
	    (long long)st.requests_slow, slow,
	    (long long)st.requests_last_minute,
	    (double)st.requests_last_minute / (double)window,
	    st.requests_last_minute > 0 ?
	    st.ms_last_minute / (double)st.requests_last_minute : 0.0,
	    open, busy, size,
	    (long long)st.hashes_waiting, (long long)st.hashes_running,
	    cfg->hash_threads,
	    (long long)st.startups, cfg->max_startups, (long long)st.startups_dropped,
	    (long long)st.sessions_refused, (long long)st.sessions_stalled, replica);
	free(replica);
	return report;
}

/* Write all of buf to fd (which has a send timeout); false on failure. */
static bool
control_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/*
 * Read the client's command line into buf ("" when it sent none before
 * shutting down its side or the timeout); false when it sent a line too
 * long to be a command.
 */
static bool
control_read_command(int fd, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	while (len + 1 < size) {
		ssize_t n = recv(fd, buf + len, size - 1 - len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;		/* EOF, or the timeout: what came is the command */
		len += (size_t)n;
		buf[len] = '\0';
		if (memchr(buf, '\n', len) != NULL)
			break;
	}
	buf[len] = '\0';
	if (len + 1 >= size && strchr(buf, '\n') == NULL)
		return false;
	buf[strcspn(buf, "\r\n")] = '\0';
	return true;
}

static void
control_serve_client(int fd)
{
	struct timeval tv = { .tv_sec = CONTROL_TIMEOUT_MS / 1000 };
	char command[CONTROL_COMMAND_MAX], *reply;
	bool ok;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	ok = control_read_command(fd, command, sizeof command);
	if (ok && (command[0] == '\0' || strcmp(command, "status") == 0))
		reply = control_report();
	else
		reply = xstrdup("error: unknown command (the one command is: status)\n");
	control_write_all(fd, reply, strlen(reply));
	free(reply);
}

static void *
control_thread(void *arg)
{
	struct pollfd pfd[2] = {
		{ .fd = control.fd, .events = POLLIN },
		{ .fd = control.wake[0], .events = POLLIN },
	};

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("control socket: poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents != 0)
			break;
		if (pfd[0].revents & POLLIN) {
			int fd = accept4(control.fd, NULL, NULL, SOCK_CLOEXEC);

			if (fd < 0)
				continue;
			control_serve_client(fd);
			close(fd);
		}
	}
	return NULL;
}

/*
 * Is a daemon answering at addr?  Removes a stale socket file left by one
 * that died.  Returns true when the path may be bound.
 */
static bool
control_claim(const char *path, const struct sockaddr_un *addr)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) != 0)
		return true;	/* nothing there (or bind will say why) */
	if (!S_ISSOCK(st.st_mode)) {
		log_warning("control socket: %s exists and is not a socket; "
		    "'jxjyd status' will not work", path);
		return false;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) == 0) {
		close(fd);
		log_warning("control socket: another jxjyd answers on %s; give each "
		    "daemon its own control_socket", path);
		return false;
	}
	close(fd);
	if (unlink(path) != 0 && errno != ENOENT) {
		log_warning("control socket: cannot remove the stale %s: %s", path,
		    strerror(errno));
		return false;
	}
	return true;
}

void
control_start(const struct config *cfg)
{
	struct sockaddr_un addr;
	struct stat st;
	const char *path = cfg->control_socket;

	if (path == NULL || *path == '\0' || control.running)
		return;
	if (!control_address(path, &addr)) {
		log_warning("control socket: path %s is too long (at most %zu bytes)", path,
		    sizeof addr.sun_path - 1);
		return;
	}
	if (!control_claim(path, &addr))
		return;
	control.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (control.fd < 0 ||
	    bind(control.fd, (const struct sockaddr *)&addr, sizeof addr) != 0) {
		log_warning("control socket: cannot bind %s: %s; 'jxjyd status' will not "
		    "work", path, strerror(errno));
		goto fail;
	}
	/* The daemon's user and group; the unit's UMask would leave only the user. */
	if (chmod(path, 0660) != 0 || stat(path, &st) != 0 || listen(control.fd, 16) != 0) {
		log_warning("control socket: %s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	control.dev = st.st_dev;
	control.ino = st.st_ino;
	if (pipe2(control.wake, O_CLOEXEC) != 0) {
		log_warning("control socket: pipe: %s", strerror(errno));
		unlink(path);
		goto fail;
	}
	control.path = xstrdup(path);
	if (pthread_create(&control.thread, NULL, control_thread, NULL) != 0) {
		log_warning("control socket: cannot start its thread");
		unlink(path);
		free(control.path);
		control.path = NULL;
		goto fail;
	}
	control.running = true;
	log_info("control socket: %s ('jxjyd status')", path);
	return;
fail:
	if (control.fd >= 0)
		close(control.fd);
	if (control.wake[0] >= 0) {
		close(control.wake[0]);
		close(control.wake[1]);
	}
	control.fd = control.wake[0] = control.wake[1] = -1;
}

void
control_stop(void)
{
	struct stat st;

	if (!control.running)
		return;
	if (write(control.wake[1], "x", 1) < 0)
		log_error("control socket: cannot stop its thread: %s", strerror(errno));
	pthread_join(control.thread, NULL);
	/* Only our own file: another daemon may have replaced it since. */
	if (lstat(control.path, &st) == 0 && st.st_dev == control.dev &&
	    st.st_ino == control.ino)
		unlink(control.path);
	close(control.fd);
	close(control.wake[0]);
	close(control.wake[1]);
	free(control.path);
	control.path = NULL;
	control.fd = control.wake[0] = control.wake[1] = -1;
	control.running = false;
}

int
control_query(const char *path, const char *command, FILE *out, char *err,
    size_t errsize)
{
	struct timeval tv = { .tv_sec = 10 };
	struct sockaddr_un addr;
	char buf[4096], *line;
	size_t got = 0;
	ssize_t n;
	int fd, rc = -1;

	if (!control_address(path, &addr)) {
		snprintf(err, errsize, "%s: path too long", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errsize, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (const struct sockaddr *)&addr, sizeof addr) != 0) {
		snprintf(err, errsize, "cannot connect to %s: %s", path, strerror(errno));
		goto out;
	}
	line = xasprintf("%s\n", command);
	n = send(fd, line, strlen(line), MSG_NOSIGNAL);
	free(line);
	if (n < 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		goto out;
	}
	shutdown(fd, SHUT_WR);
	while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
		fwrite(buf, 1, (size_t)n, out);
		got += (size_t)n;
	}
	if (n < 0 || got == 0) {
		snprintf(err, errsize, "%s: %s", path, n < 0 ? strerror(errno) :
		    "closed without an answer");
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}
