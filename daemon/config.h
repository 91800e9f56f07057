/*
 * config.h - jxjyd's configuration, read from a libconfig file.
 *
 * Every key is declared once, in the table in config.c (name, type,
 * default, bounds, whether SIGHUP may change it), and documented in
 * docs/configuration.md.  Unknown keys are errors.
 */
#ifndef JXJYD_CONFIG_H
#define JXJYD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_DEFAULT_PATH	JXJY_SYSCONFDIR "/jxjyd.conf"

enum captcha_mode { CAPTCHA_ALWAYS, CAPTCHA_AFTER_FAILURES, CAPTCHA_OFF };
enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* A unit administrator provisioned by the sysadmin (accounts issue). */
struct config_admin {
	char	 *id_number;	/* normalized 18-character ID number */
	char	 *name;
	char	 *unit;		/* unit code, as in the units table */
	char	**keys;		/* OpenSSH public key lines, NULL-terminated */
	size_t	  n_keys;
	int	  line;		/* where it was declared */
};

struct config {
	char	*path;			/* the file read */

	/* listen */
	char	*listen_address;	/* "0.0.0.0" */
	int	 port;			/* 2222 */
	char	*host_key;		/* ed25519 host key path, generated if missing */
	bool	 debug_methods;		/* debug.* RPC methods; tests only */

	/* database */
	char	*db_conninfo;		/* libpq connection string */
	int	 db_pool_size;		/* connections, 8 */
	int	 db_statement_timeout;	/* ms, 5000 */
	char	*schema_dir;		/* numbered migrations */

	/* log */
	enum log_level log_level;
	bool	 log_syslog;
	int	 log_slow_request;	/* ms, 200: warn on slower requests */

	/* sessions */
	int	 max_sessions;		/* 5000 */
	int	 max_sessions_per_source; /* 50 */
	int	 max_line;		/* bytes, 1 MiB */
	int	 idle_timeout;		/* s, 1800; 0 = never */
	int	 login_grace_time;	/* s, 30 */

	/* security */
	enum captcha_mode captcha;
	int	 captcha_lifetime;	/* s, 120 */
	int	 lockout_failures;	/* 5 */
	int	 lockout_minutes;	/* 15 */
	int	 hash_threads;		/* concurrent Argon2id hashes, 2 */
	int	 source_failures_per_minute; /* 30 */

	/* unit administrators */
	struct config_admin *admins;
	size_t	 n_admins;
};

/* Errors found while reading, each "FILE:LINE: key: what is wrong". */
struct config_errors {
	char	**lines;
	size_t	  n;
};

/*
 * Read path into *cfg (defaults first, then the file).  Returns 0 when the
 * file is valid; otherwise -1 with every mistake found appended to errs
 * (not only the first), and *cfg left holding defaults where the file was
 * wrong.  A path that cannot be read is one error ("FILE: cannot read: ...").
 */
int	config_load(const char *path, struct config *cfg, struct config_errors *errs);

/* Defaults only (for tests and for check-config's listing). */
void	config_defaults(struct config *cfg);

void	config_free(struct config *cfg);
void	config_errors_free(struct config_errors *errs);

/*
 * Names of the keys whose values differ between a and b and may change on
 * SIGHUP, written to buf as "key1, key2"; the keys that differ but need a
 * restart go to restart_buf.  For the reload log line.
 */
void	config_diff(const struct config *a, const struct config *b,
	    char *buf, size_t size, char *restart_buf, size_t restart_size);

const char *captcha_mode_name(enum captcha_mode m);
const char *log_level_name(enum log_level l);

#endif
