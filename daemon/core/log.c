/*
 * log.c - levelled log lines to stderr or syslog.
 *
 * One line per call, written with a single write(2) so that lines from
 * concurrent session threads never interleave.
 *
 * Many lines carry what a stranger sent (a method name, an SSH user name,
 * a peer's version string), and no caller can be trusted to remember to
 * escape each one: so the formatted message is escaped here, whole
 * (text_escape: control characters, bytes that are not UTF-8, invisible
 * and direction-changing characters, and '\\').  A forged "\n<date>
 * jxjyd[1]: info: ..." or an ESC sequence then shows as the text it is.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void
log_take_pid(void)
{
	atomic_store(&log_pid, (int)getpid());
}

static void
log_take_pid_first(void)
{
	log_take_pid();
	pthread_atfork(NULL, NULL, log_take_pid);
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
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
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
