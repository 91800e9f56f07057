/*
 * log.h - jxjyd's log: levels, to stderr or syslog.
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

/* Log at error level and exit(1): for a failed start, never for a request. */
void	fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
