/*
 * log.h - jxjyd's log: levels, to stderr or syslog; buffered while serving.
 *
 * Never pass a secret (password, captcha answer, key material) or personal
 * data beyond an account id to these functions.
 */
#ifndef JXJYD_LOG_H
#define JXJYD_LOG_H

#include "config.h"

void	log_open(enum log_level level, bool use_syslog);
void	log_set_level(enum log_level level);
bool	log_enabled(enum log_level level);

void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Buffered mode (jxjyd serve, stderr only; issue 19): from log_buffer_start
 * a line is appended to a shared buffer, and a writer thread writes what
 * gathered flush_ms after the first line, in one write(2).  Lines keep
 * their order and are never dropped: error lines, a full buffer (256 KiB),
 * flush_ms 0, log_flush, log_buffer_stop and exit write everything pending
 * at once.  A forked child writes its own lines at once and never the
 * parent's.  Without log_buffer_start (or with syslog) every line is one
 * write(2), as before.  Start and stop from the main thread.
 */
void	log_buffer_start(int flush_ms);
void	log_buffer_set_flush_ms(int flush_ms);
/* Write out what is pending; the writer thread ends; later lines go at once. */
void	log_buffer_stop(void);
/* Write out what is pending, now (no-op unless buffered). */
void	log_flush(void);

/* Log at error level and exit(1): for a failed start, never for a request. */
void	fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
