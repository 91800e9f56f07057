/*
 * log.c - levelled log lines to stderr or syslog.
 *
 * One line per call.  Outside `serve` each line is one write(2); while
 * serving, lines to stderr gather in a buffer that one writer thread writes
 * out (below, "The buffer"): one write(2) for many requests' lines instead
 * of one each (issue 19).  Either way a line is written whole, by one call,
 * so lines from concurrent session threads never interleave.
 *
 * Many lines carry what a stranger sent (a method name, an SSH user name,
 * a peer's version string), and no caller can be trusted to remember to
 * escape each one: so the formatted message is escaped here, whole
 * (text_escape: control characters, bytes that are not UTF-8, invisible
 * and direction-changing characters, and '\\').  A forged "\n<date>
 * jxjyd[1]: info: ..." or an ESC sequence then shows as the text it is.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "text.h"

/* Written by a reload (main thread) while session threads read it. */
static atomic_int log_threshold = LOG_LEVEL_INFO;
static bool log_to_syslog;
/*
 * The pid each line names, taken once rather than by a getpid(2) per line
 * (a system call on every request: issue 19); a forked child takes its own.
 */
static atomic_int log_pid;

static const char *const log_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static const int log_priorities[] = {
	[LOG_LEVEL_ERROR] = LOG_ERR,
	[LOG_LEVEL_WARNING] = LOG_WARNING,
	[LOG_LEVEL_INFO] = LOG_INFO,
	[LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

/*
 * The buffer (log_buffer_start).  Two locks, always taken in this order:
 * write_lock, held exclusively across the swap and the write of what was
 * pending, makes one writer of batches at a time, so what is swapped out
 * first is written first; a line written directly (nothing pending) holds
 * it shared, so such lines go out side by side, each whole in one write as
 * before the buffer, but never in the middle of a batch.  lock guards the
 * buffer itself and is never held across a system call, so a session
 * thread appending never waits for a write(2).  A line is appended whole
 * under lock, so lines are written in the order they were appended.
 */
#define LOG_BUFFER_CAP	(256 * 1024)

static struct {
	pthread_rwlock_t write_lock;	/* batches, and out; shared: direct lines */
	pthread_mutex_t lock;		/* all but out and thread */
	pthread_cond_t	filled;		/* len went from 0 to more, or stopping */
	char		*data;		/* lines appended, len bytes */
	char		*out;		/* the other buffer: being written */
	size_t		 len;
	bool		 running;	/* the writer thread takes appended lines */
	bool		 stopping;	/* the writer thread is asked to end */
	pthread_t	 thread;
} log_buffer = {
	.write_lock = PTHREAD_RWLOCK_INITIALIZER,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};
/* Static: never grows, and commands other than serve never touch its pages. */
static char log_buffer_one[LOG_BUFFER_CAP], log_buffer_two[LOG_BUFFER_CAP];

/*
 * True from log_buffer_start on (in this process, not in a forked child):
 * every stderr line then goes through log_buffer, so that none passes one
 * still pending.  Read without a lock on every line.
 */
static atomic_bool log_buffered;
static atomic_int log_flush_ms;

static void
log_take_pid(void)
{
	atomic_store(&log_pid, (int)getpid());
}

/*
 * A forked child (terminal.c: between fork and exec) has the parent's
 * pending lines in its copy of the buffer, and maybe a lock held by a
 * thread that does not exist there: it never touches either, writing its
 * own lines at once, so the parent's are written once, by the parent.
 */
static void
log_forked_child(void)
{
	log_take_pid();
	atomic_store(&log_buffered, false);
}

static void
log_take_pid_first(void)
{
	log_take_pid();
	pthread_atfork(NULL, NULL, log_forked_child);
}

void
log_open(enum log_level level, bool use_syslog)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, log_take_pid_first);
	atomic_store(&log_threshold, level);
	log_to_syslog = use_syslog;
	if (use_syslog)
		openlog("jxjyd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(enum log_level level)
{
	atomic_store(&log_threshold, level);
}

bool
log_enabled(enum log_level level)
{
	return (int)level <= atomic_load(&log_threshold);
}

/* Before log_open (a failed start), nothing has taken the pid yet. */
static int
log_pid_current(void)
{
	int pid = atomic_load(&log_pid);

	return pid != 0 ? pid : (int)getpid();
}

/* Longest message kept; the line adds the stamp and level. */
#define LOG_MESSAGE_MAX	2048

/*
 * Write a then b to stderr, whole: one writev(2) unless it is cut short.
 * An error leaves nothing to report it to, so the rest is given up.
 */
static void
log_write_out(const char *a, size_t a_len, const char *b, size_t b_len)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)a, .iov_len = a_len },
		{ .iov_base = (void *)b, .iov_len = b_len },
	};
	struct iovec *v = iov;
	int count = 2;
	ssize_t n;

	for (;;) {
		while (count > 0 && v->iov_len == 0) {
			v++;
			count--;
		}
		if (count == 0)
			return;
		if ((n = writev(STDERR_FILENO, v, count)) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (; count > 0 && (size_t)n >= v->iov_len; v++, count--)
			n -= (ssize_t)v->iov_len;
		if (count > 0) {
			v->iov_base = (char *)v->iov_base + n;
			v->iov_len -= (size_t)n;
		}
	}
}

/*
 * Write what is pending, then line (line_len bytes; none when 0), now,
 * from the calling thread.  Takes write_lock, so it waits for writes in
 * progress: everything appended before is written before line.
 */
static void
log_buffer_write(const char *line, size_t line_len)
{
	char *out;
	size_t len;

	pthread_rwlock_wrlock(&log_buffer.write_lock);
	pthread_mutex_lock(&log_buffer.lock);
	out = log_buffer.data;
	len = log_buffer.len;
	log_buffer.data = log_buffer.out;
	log_buffer.len = 0;
	log_buffer.out = out;
	pthread_mutex_unlock(&log_buffer.lock);
	log_write_out(out, len, line, line_len);
	pthread_rwlock_unlock(&log_buffer.write_lock);
}

/*
 * A line while buffered: appended for the writer thread, with no system
 * call but the wake-up of the writer when the buffer was empty (one per
 * batch).  Written now by the caller instead when at_once (an error), when
 * flush_ms is 0, when the writer thread has stopped, or when the buffer
 * would pass its cap (so a flood waits for the disk rather than growing
 * memory): directly if nothing is pending, which it could pass (flush_ms 0
 * then costs what the log did before the buffer: its lines share
 * write_lock, and never wait for each other), else after what is.
 */
static void
log_buffer_put(const char *line, size_t len, bool at_once)
{
	bool clear;

	pthread_mutex_lock(&log_buffer.lock);
	if (!at_once && log_buffer.running && atomic_load(&log_flush_ms) > 0 &&
	    log_buffer.len + len <= LOG_BUFFER_CAP) {
		memcpy(log_buffer.data + log_buffer.len, line, len);
		if (log_buffer.len == 0)
			pthread_cond_signal(&log_buffer.filled);
		log_buffer.len += len;
		pthread_mutex_unlock(&log_buffer.lock);
		return;
	}
	pthread_mutex_unlock(&log_buffer.lock);
	pthread_rwlock_rdlock(&log_buffer.write_lock);
	pthread_mutex_lock(&log_buffer.lock);
	clear = log_buffer.len == 0;
	pthread_mutex_unlock(&log_buffer.lock);
	if (clear)
		log_write_out(NULL, 0, line, len);
	pthread_rwlock_unlock(&log_buffer.write_lock);
	if (!clear)
		log_buffer_write(line, len);
}

/*
 * The writer thread: asleep while the buffer is empty; once a line is
 * appended, lets more gather for flush_ms, then writes them all.  Holds
 * lock but while it waits or writes.
 */
static void *
log_buffer_run(void *arg)
{
	struct timespec deadline;
	long ns;

	(void)arg;
	pthread_mutex_lock(&log_buffer.lock);
	while (!log_buffer.stopping) {
		if (log_buffer.len == 0) {
			pthread_cond_wait(&log_buffer.filled, &log_buffer.lock);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		ns = deadline.tv_nsec + (long)atomic_load(&log_flush_ms) * 1000000L;
		deadline.tv_sec += ns / 1000000000L;
		deadline.tv_nsec = ns % 1000000000L;
		/* Woken early only by a stop, or a line after a write by another thread. */
		while (!log_buffer.stopping && pthread_cond_timedwait(&log_buffer.filled,
		    &log_buffer.lock, &deadline) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&log_buffer.lock);
		log_buffer_write(NULL, 0);
		pthread_mutex_lock(&log_buffer.lock);
	}
	pthread_mutex_unlock(&log_buffer.lock);
	return NULL;
}

void
log_flush(void)
{
	if (atomic_load(&log_buffered))
		log_buffer_write(NULL, 0);
}

void
log_buffer_set_flush_ms(int flush_ms)
{
	atomic_store(&log_flush_ms, flush_ms);
}

/* Signals a thread raises itself, left unblocked in the writer thread. */
static const int log_faults[] = {
	SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS,
};

void
log_buffer_start(int flush_ms)
{
	pthread_condattr_t attr;
	sigset_t all, old;
	int rc;

	if (log_to_syslog || atomic_load(&log_buffered))
		return;
	log_buffer.data = log_buffer_one;
	log_buffer.out = log_buffer_two;
	log_buffer.running = true;
	log_buffer.stopping = false;
	atomic_store(&log_flush_ms, flush_ms);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&log_buffer.filled, &attr);
	pthread_condattr_destroy(&attr);
	/*
	 * No signal sent to the process for this thread: serve blocks SIGTERM,
	 * SIGINT and SIGHUP for its signalfd only after this, and one delivered
	 * here would kill.  A fault of its own still reaches the sanitizers.
	 */
	sigfillset(&all);
	for (size_t i = 0; i < sizeof log_faults / sizeof log_faults[0]; i++)
		sigdelset(&all, log_faults[i]);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&log_buffer.thread, NULL, log_buffer_run, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_buffer.running = false;
		log_warning("log: no writer thread (%s); each line is written at once",
		    strerror(rc));
		return;
	}
	atomic_store(&log_buffered, true);
	atexit(log_flush);	/* fatal() and any other exit(3) */
}

void
log_buffer_stop(void)
{
	if (!atomic_load(&log_buffered))
		return;
	pthread_mutex_lock(&log_buffer.lock);
	if (!log_buffer.running) {
		pthread_mutex_unlock(&log_buffer.lock);
		return;
	}
	/* From here lines are written at once, after whatever is pending. */
	log_buffer.running = false;
	log_buffer.stopping = true;
	pthread_cond_signal(&log_buffer.filled);
	pthread_mutex_unlock(&log_buffer.lock);
	pthread_join(log_buffer.thread, NULL);
	log_buffer_write(NULL, 0);
}

static void
log_write(enum log_level level, const char *fmt, va_list ap)
{
	char message[LOG_MESSAGE_MAX], line[LOG_MESSAGE_MAX + 64], stamp[32];
	struct timespec ts;
	struct tm tm;
	size_t len;
	int n;

	if (!log_enabled(level))
		return;
	if (vsnprintf(message, sizeof message, fmt, ap) < 0)
		message[0] = '\0';
	/* A trailing newline (libpq's messages end in one) is no forgery. */
	len = strlen(message);
	while (len > 0 && message[len - 1] == '\n')
		message[--len] = '\0';
	if (log_to_syslog) {
		text_escape(line, sizeof line, message);
		syslog(log_priorities[level], "%s", line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof line, "%s.%03ldZ jxjyd[%d]: %s: ", stamp,
	    ts.tv_nsec / 1000000, log_pid_current(), log_names[level]);
	if (n < 0)
		n = 0;
	/* Room for the newline: text_escape leaves one byte for its NUL. */
	n += (int)text_escape(line + n, sizeof line - (size_t)n, message);
	line[n++] = '\n';
	if (!atomic_load(&log_buffered))
		log_write_out(NULL, 0, line, (size_t)n);
	else	/* The cause of a crash that may follow is in the log before it. */
		log_buffer_put(line, (size_t)n, level == LOG_LEVEL_ERROR);
}

#define LOG_FUNCTION(name, level)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	va_start(ap, fmt);					\
	log_write(level, fmt, ap);				\
	va_end(ap);						\
}

LOG_FUNCTION(log_error, LOG_LEVEL_ERROR)
LOG_FUNCTION(log_warning, LOG_LEVEL_WARNING)
LOG_FUNCTION(log_info, LOG_LEVEL_INFO)
LOG_FUNCTION(log_debug, LOG_LEVEL_DEBUG)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_write(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
