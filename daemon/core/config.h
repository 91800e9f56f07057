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
/* base_reports.review: who decides the records a training base reports. */
enum base_review { BASE_REVIEW_UNIT, BASE_REVIEW_NONE, BASE_REVIEW_AUTHORITY };

/*
 * The review chains a learning form may have (learning_forms[].review), as
 * the PostgreSQL array literals declarations.review_chain stores (schema 017).
 */
#define REVIEW_CHAIN_UNIT		"{unit}"
#define REVIEW_CHAIN_AUTHORITY		"{authority}"
#define REVIEW_CHAIN_UNIT_AUTHORITY	"{unit,authority}"
enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Learning forms (学习形式): what a declaration of hours or credits is about. */
enum form_category { FORM_PUBLIC, FORM_PROFESSIONAL };	/* 公需科目, 专业科目 */
enum form_counts { FORM_COUNTS_HOURS, FORM_COUNTS_CREDITS };	/* 学时, 学分 */
enum form_attachment {
	FORM_ATTACHMENT_REQUIRED, FORM_ATTACHMENT_OPTIONAL, FORM_ATTACHMENT_NONE
};
enum field_type {
	FIELD_TEXT, FIELD_LONGTEXT, FIELD_INTEGER, FIELD_DECIMAL, FIELD_DATE,
	FIELD_DATERANGE, FIELD_CHOICE
};

/* One input of a learning form. */
struct config_field {
	char	 *key;		/* [a-z][a-z0-9_]*, unique in its form */
	char	 *label;	/* shown to people */
	char	 *label_en;	/* ... in English (-l en) */
	enum field_type type;
	bool	  required;
	bool	  has_min, has_max;	/* integer, decimal */
	double	  min, max;
	int	  max_length;	/* text, longtext: characters (the type's default if unset) */
	char	**choices;	/* choice: NULL-terminated */
	char	**choices_en;	/* choice: the same in English, as many */
	size_t	  n_choices;
	bool	  not_future;	/* date, daterange: no later than today */
	int	  line;
};

struct config_form {
	char	 *code;		/* [a-z][a-z0-9_]*, unique */
	char	 *name;		/* 学术会议 */
	char	 *name_en;	/* Academic conference */
	enum form_category category;
	enum form_counts counts;
	double	  credit_hours;	/* hours per credit (counts = credits), 1.0 */
	double	  yearly_cap;	/* hours per person and year, 0 = none */
	enum form_attachment attachment;
	const char *review;	/* its review chain: one of REVIEW_CHAIN_* (static) */
	struct config_field *fields;
	size_t	  n_fields;
	int	  line;
};

/* Default max_length of text and longtext fields, in characters. */
#define FIELD_TEXT_MAX_LENGTH		100
#define FIELD_LONGTEXT_MAX_LENGTH	2000

/*
 * The annual requirement (年度学时要求) from a year on, until the next
 * entry's year (completion.c).  Hours, with at most 4 decimals.
 */
struct config_requirement {
	int	  year;		/* 2000-2200, unique */
	double	  total;	/* 学时 in all, more than 0 */
	double	  professional;	/* at least this many 专业科目 */
	double	  public;	/* at least this many 公需科目 */
	int	  line;		/* 0 for the built-in default */
};

/*
 * The requirement when the config lists none: the national rule (人社部令
 * 第25号) of 90 学时 a year, at least two thirds of them 专业科目, and
 * Henan's floor of 24 公需科目 (one source says 30; see domain.md).
 */
#define CONFIG_REQUIRED_TOTAL		90
#define CONFIG_REQUIRED_PROFESSIONAL	60
#define CONFIG_REQUIRED_PUBLIC		24

/*
 * A unit administrator provisioned by the sysadmin (unit_admins), a base
 * administrator (base_admins) or an authority's (authority_admins): the
 * same entry, with unit, base or scope.
 */
struct config_admin {
	char	 *id_number;	/* normalized 18-character ID number */
	char	 *name;
	char	 *unit;		/* unit code, as in the units table (unit_admins) */
	char	 *base;		/* base code, as in the bases table (base_admins) */
	char	 *scope;	/* region code: the province or a city (authority_admins) */
	char	**keys;		/* OpenSSH public key lines, NULL-terminated */
	size_t	  n_keys;
	int	  line;		/* where it was declared */
};

/*
 * A kind of continuing-education base (base_kinds): the learning forms a
 * base of this kind may report when the bases file lists none of its own.
 */
struct config_base_kind {
	char	 *kind;		/* [a-z][a-z0-9_]*, unique */
	char	**forms;	/* learning form codes, NULL-terminated, at least one */
	size_t	  n_forms;
	int	  line;
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
	char	*db_listen_conninfo;	/* for LISTEN (notify.c); "" = db_conninfo */
	char	*db_replica_conninfo;	/* heavy reads (db_acquire_read); "" = none */
	int	 db_replica_pool_size;	/* connections, 4 */
	int	 db_replica_max_lag_ms;	/* ms, 5000: staler reads go to the primary */
	char	*schema_dir;		/* numbered migrations */

	/* log */
	enum log_level log_level;
	bool	 log_syslog;
	int	 log_slow_request;	/* ms, 200: warn on slower requests */
	int	 log_flush_ms;		/* ms, 20: stderr lines gather this long; 0 = at once */

	/* sessions */
	int	 max_sessions;		/* 5000 */
	int	 max_sessions_per_source; /* 50 */
	int	 max_line;		/* bytes, 1 MiB */
	int	 idle_timeout;		/* s, 1800; 0 = never */
	int	 login_grace_time;	/* s, 30 */
	int	 output_backlog;	/* bytes, 256 KiB: replies waiting for a client */
	int	 stall_timeout;		/* s, 60: over the backlog this long closes */
	int	 max_memory;		/* bytes, 1 MiB: requests and replies held */
	char	*max_startups;		/* "10:30:100", parsed into the three below */
	int	 startups_begin, startups_rate, startups_full;
	int	 max_guests;		/* 2500: sessions not logged in to an account */

	/* security */
	enum captcha_mode captcha;
	int	 captcha_lifetime;	/* s, 120 */
	int	 throttle_after;	/* failures on an ID number before it is slowed, 3 */
	int	 throttle_max_delay;	/* s, 30: the delay's cap */
	int	 throttle_window;	/* s, 900: a failure older than this is forgotten */
	int	 max_pending_applications; /* per ID number, 3 */
	int	 hash_threads;		/* concurrent Argon2id hashes, 2 */
	int	 source_failures_per_minute; /* 30 */
	int	 reset_code_minutes;	/* a reset code's lifetime, 1440 */

	/* unit administrators */
	struct config_admin *admins;
	size_t	 n_admins;

	/* continuing-education bases (bases.c, rpc-bases.c): their administrators */
	struct config_admin *base_admins;
	size_t	 n_base_admins;
	/* the authority's administrators (人社), each with a region as scope */
	struct config_admin *authority_admins;
	size_t	 n_authority_admins;
	/* the kinds of base and the forms each may report, in file order */
	struct config_base_kind *base_kinds;
	size_t	 n_base_kinds;
	int	 roster_max_bytes;	/* bytes of one roster file, 4 MiB */
	int	 roster_max_rows;	/* rows of one class's roster, 20000 */
	char	*ref_bases;		/* reference.bases: code,name,region,kind,forms */

	/* control socket for 'jxjyd status' (control.c); "" = none */
	char	*control_socket;	/* "/run/jxjy/jxjyd.sock" */

	/* reference data CSV files for 'jxjyd import' (import.c); "" = none */
	char	*ref_regions;
	char	*ref_units;
	char	*ref_departments;
	char	*ref_majors;
	char	*ref_titles;
	bool	 ref_import_at_start;	/* import them when 'serve' starts */

	/* declarations of hours and credits (rpc-declarations.c, forms.c) */
	struct config_form *forms;	/* learning_forms, in file order */
	size_t	 n_forms;
	int	 decl_years_back;	/* years before the current one allowed, 1 */
	int	 decl_max_attachment;	/* bytes, 10 MiB */

	/* each account's and source's share of the upload budgets (rpc-attachments.c, inbox.c) */
	int	 uploads_max_per_account;	/* uploads in progress at once, 4 */
	int	 uploads_max_bytes_per_account;	/* bytes held, 64 MiB */
	int	 uploads_max_per_source;	/* 16 */
	int	 uploads_max_bytes_per_source;	/* bytes held, 128 MiB */
	int	 uploads_stall_timeout;		/* s without data before one is dropped, 120 */

	/* annual requirements (completion.c), in file order; none = the default */
	struct config_requirement *requirements;
	size_t	 n_requirements;

	/* certificates of continuing education, 学时证明 (certificates.c) */
	char	*cert_signing_key;	/* Ed25519 secret key path, generated if missing */
	char	**cert_old_public_keys;	/* keys signed with before, NULL-terminated */
	char	*cert_issuer;		/* the issuing authority's name, on every certificate */

	/* records reported by training bases (base-report.c) */
	char	*base_reports_review;	/* "unit", "authority" or "none", parsed into base_review */
	enum base_review base_review;
	char	*cert_verify_host;	/* "host[:port]" the page says to verify at, or "" */
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

/* The base kind named kind in cfg's base_kinds, or NULL. */
const struct config_base_kind *config_base_kind(const struct config *cfg, const char *kind);

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

/*
 * The configuration in force (NULL before the first config_publish).  A
 * reload publishes a new one whole; the one it replaces stays valid until
 * config_retire_all, so a reference taken once (struct rpc_call's cfg, one
 * per request) reads one configuration to its end.  Take it once per unit
 * of work rather than calling this again and again.
 */
const struct config *config_current(void);

/*
 * Make cfg the configuration in force (main thread only).  The first one
 * published stays its caller's; every later one becomes config.c's and is
 * freed by config_retire_all.
 */
void	config_publish(struct config *cfg);

/* When the server has stopped and no thread reads any: free what config_publish kept. */
void	config_retire_all(void);

/*
 * The requirement in force in year: the entry with the greatest year not
 * after it; for a year before every entry, the earliest entry; with no
 * entries, the built-in default (CONFIG_REQUIRED_*).  Never NULL; points
 * into cfg (or at a constant).
 */
const struct config_requirement *config_requirement_for(const struct config *cfg, int year);

const char *captcha_mode_name(enum captcha_mode m);
const char *log_level_name(enum log_level l);
const char *form_category_name(enum form_category c);	/* "public", "professional" */
const char *form_counts_name(enum form_counts c);	/* "hours", "credits" */
const char *form_attachment_name(enum form_attachment a); /* "required", ... */
const char *field_type_name(enum field_type t);		/* "text", "daterange", ... */

#endif
