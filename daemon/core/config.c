/*
 * config.c - read and check jxjyd's configuration file (libconfig syntax).
 *
 * Every key is one line of config_keys below: its path, type, default,
 * bounds and whether SIGHUP may change it.  Loading walks the file rather
 * than looking keys up, so a key the table does not know (a typo, a key in
 * the wrong group) is reported instead of silently ignored, and every
 * mistake in the file is reported in one run, each as
 * "FILE:LINE: key: what is wrong".
 *
 * unit_admins, learning_forms and requirements are the structured keys;
 * each has its own loader below.
 * Keep docs/configuration.md and etc/jxjyd.conf in step with the table.
 */
#include <errno.h>
#include <libconfig.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jxjy-config.h"
#include "config.h"
#include "validate.h"
#include "xmalloc.h"

enum config_key_type {
	CONFIG_KEY_STRING,
	CONFIG_KEY_INT,		/* int; the file may also write an int64 */
	CONFIG_KEY_BOOL,
	CONFIG_KEY_ENUM,	/* a string from names, stored as its index */
	CONFIG_KEY_ADMINS,	/* unit_admins: a list of groups */
	CONFIG_KEY_BASE_ADMINS,	/* base_admins: a list of groups, as unit_admins */
	CONFIG_KEY_AUTHORITY_ADMINS, /* authority_admins: the same, with a scope */
	CONFIG_KEY_BASE_KINDS,	/* base_kinds: a list of groups */
	CONFIG_KEY_FORMS,	/* learning_forms: a list of groups */
	CONFIG_KEY_REQUIREMENTS, /* requirements: a list of groups */
	CONFIG_KEY_STRINGS,	/* a list of strings, stored NULL-terminated (char **) */
};

struct config_key {
	const char		*path;		/* "group.name" or "name" */
	enum config_key_type	 type;
	size_t			 offset;	/* into struct config */
	const char		*def_string;	/* CONFIG_KEY_STRING */
	long long		 def_int;	/* INT, BOOL and ENUM */
	long long		 min, max;	/* CONFIG_KEY_INT, inclusive */
	const char *const	*names;		/* CONFIG_KEY_ENUM, NULL-terminated */
	bool			 empty_ok;	/* CONFIG_KEY_STRING may be "" */
	bool			 reload;	/* SIGHUP may change it */
	/*
	 * CONFIG_KEY_STRING with a syntax of its own: checks value and stores
	 * what it means in cfg; false with a reason in why when it is wrong.
	 * CONFIG_KEY_STRINGS: checks each element (cfg is NULL then).
	 */
	bool			(*parse)(const char *value, struct config *cfg,
				    char *why, size_t size);
};

#define RELOAD	true
#define RESTART	false

#define KEY_STRING(p, field, def, empty, rl) \
	{ .path = p, .type = CONFIG_KEY_STRING, \
	  .offset = offsetof(struct config, field), .def_string = def, \
	  .empty_ok = empty, .reload = rl }
#define KEY_PARSED(p, field, def, fn, rl) \
	{ .path = p, .type = CONFIG_KEY_STRING, \
	  .offset = offsetof(struct config, field), .def_string = def, \
	  .parse = fn, .reload = rl }
#define KEY_STRINGS(p, field, fn, rl) \
	{ .path = p, .type = CONFIG_KEY_STRINGS, \
	  .offset = offsetof(struct config, field), .parse = fn, .reload = rl }
#define KEY_INT(p, field, def, lo, hi, rl) \
	{ .path = p, .type = CONFIG_KEY_INT, \
	  .offset = offsetof(struct config, field), .def_int = def, \
	  .min = lo, .max = hi, .reload = rl }
#define KEY_BOOL(p, field, def, rl) \
	{ .path = p, .type = CONFIG_KEY_BOOL, \
	  .offset = offsetof(struct config, field), .def_int = def, \
	  .reload = rl }
#define KEY_ENUM(p, field, def, list, rl) \
	{ .path = p, .type = CONFIG_KEY_ENUM, \
	  .offset = offsetof(struct config, field), .def_int = def, \
	  .names = list, .reload = rl }

/* Indexed by enum log_level and enum captcha_mode. */
static const char *const config_log_levels[] = {
	"error", "warning", "info", "debug", NULL
};
static const char *const config_captcha_modes[] = {
	"always", "after-failures", "off", NULL
};

/* Indexed by the enums of learning forms (config.h). */
static const char *const config_form_categories[] = {
	"public", "professional", NULL
};
static const char *const config_form_counts[] = {
	"hours", "credits", NULL
};
static const char *const config_form_attachments[] = {
	"required", "optional", "none", NULL
};
static const char *const config_field_types[] = {
	"text", "longtext", "integer", "decimal", "date", "daterange", "choice", NULL
};

/* Enum fields are written through an int pointer. */
_Static_assert(sizeof(enum log_level) == sizeof(int), "enum size");
_Static_assert(sizeof(enum captcha_mode) == sizeof(int), "enum size");

static bool config_parse_startups(const char *value, struct config *cfg, char *why,
    size_t size);
static bool config_parse_public_key(const char *value, struct config *cfg, char *why,
    size_t size);
static bool config_parse_base_review(const char *value, struct config *cfg, char *why,
    size_t size);
static bool config_parse_conninfo(const char *value, struct config *cfg, char *why,
    size_t size);
static bool config_parse_verify_host(const char *value, struct config *cfg, char *why,
    size_t size);

static const struct config_key config_keys[] = {
	KEY_STRING("listen_address", listen_address, "0.0.0.0", false, RESTART),
	KEY_INT("port", port, 2222, 1, 65535, RESTART),
	KEY_STRING("host_key", host_key, "/var/lib/jxjy/ssh_host_ed25519_key",
	    false, RESTART),
	KEY_STRING("schema_dir", schema_dir, JXJY_SCHEMA_DIR, false, RESTART),
	KEY_BOOL("debug_methods", debug_methods, false, RELOAD),

	KEY_STRING("database.conninfo", db_conninfo, "dbname=jxjy", true, RESTART),
	KEY_INT("database.pool_size", db_pool_size, 8, 1, 1000, RESTART),
	KEY_INT("database.statement_timeout", db_statement_timeout, 5000,
	    0, 3600000, RESTART),
	KEY_STRING("database.listen_conninfo", db_listen_conninfo, "", true, RESTART),
	{ .path = "database.replica_conninfo", .type = CONFIG_KEY_STRING,
	  .offset = offsetof(struct config, db_replica_conninfo), .def_string = "",
	  .empty_ok = true, .parse = config_parse_conninfo, .reload = RESTART },
	KEY_INT("database.replica_pool_size", db_replica_pool_size, 4, 1, 1000, RESTART),
	KEY_INT("database.replica_max_lag_ms", db_replica_max_lag_ms, 5000, 100, 3600000, RELOAD),

	KEY_ENUM("log.level", log_level, LOG_LEVEL_INFO, config_log_levels, RELOAD),
	KEY_BOOL("log.syslog", log_syslog, false, RELOAD),
	KEY_INT("log.slow_request", log_slow_request, 200, 0, 3600000, RELOAD),
	/* serve's lines to stderr gather this long before one write (log.c, issue 19). */
	KEY_INT("log.flush_ms", log_flush_ms, 20, 0, 1000, RELOAD),

	KEY_INT("sessions.max", max_sessions, 5000, 1, 100000, RELOAD),
	KEY_INT("sessions.max_per_source", max_sessions_per_source, 50,
	    1, 100000, RELOAD),
	KEY_INT("sessions.max_line", max_line, 1048576, 1024, 67108864, RESTART),
	KEY_INT("sessions.idle_timeout", idle_timeout, 1800, 0, 604800, RELOAD),
	KEY_INT("sessions.login_grace_time", login_grace_time, 30, 1, 3600, RELOAD),
	/* Back-pressure and admission (ssh/connection.c, ssh/admission.c, docs/design.md). */
	KEY_INT("sessions.output_backlog", output_backlog, 262144, 4096, 67108864, RELOAD),
	KEY_INT("sessions.stall_timeout", stall_timeout, 60, 1, 86400, RELOAD),
	KEY_INT("sessions.max_memory", max_memory, 1048576, 65536, 1073741824, RELOAD),
	KEY_PARSED("sessions.max_startups", max_startups, "10:30:100",
	    config_parse_startups, RELOAD),
	KEY_INT("sessions.max_guests", max_guests, 2500, 1, 100000, RELOAD),

	KEY_ENUM("security.captcha", captcha, CAPTCHA_ALWAYS,
	    config_captcha_modes, RELOAD),
	KEY_INT("security.captcha_lifetime", captcha_lifetime, 120, 1, 3600, RELOAD),
	KEY_INT("security.throttle_after", throttle_after, 3, 1, 1000, RELOAD),
	KEY_INT("security.throttle_max_delay", throttle_max_delay, 30, 0, 300, RELOAD),
	KEY_INT("security.throttle_window", throttle_window, 900, 60, 86400, RELOAD),
	KEY_INT("security.max_pending_applications", max_pending_applications, 3,
	    1, 20, RELOAD),
	KEY_INT("security.hash_threads", hash_threads, 2, 1, 64, RELOAD),
	KEY_INT("security.source_failures_per_minute", source_failures_per_minute,
	    30, 1, 100000, RELOAD),
	KEY_INT("security.reset_code_minutes", reset_code_minutes, 1440, 10, 43200, RELOAD),

	{ .path = "unit_admins", .type = CONFIG_KEY_ADMINS, .reload = RELOAD },
	/* Continuing-education bases' administrators (admins.c, rpc-bases.c). */
	{ .path = "base_admins", .type = CONFIG_KEY_BASE_ADMINS, .reload = RELOAD },
	/* The authority's administrators, each reading a region (admins.c, issue 16). */
	{ .path = "authority_admins", .type = CONFIG_KEY_AUTHORITY_ADMINS, .reload = RELOAD },
	/* Their kinds and forms, and the bounds of a class's roster (bases.c, roster.c). */
	{ .path = "base_kinds", .type = CONFIG_KEY_BASE_KINDS, .reload = RELOAD },
	KEY_INT("bases.roster_max_bytes", roster_max_bytes, 4194304, 1024, 67108864, RELOAD),
	KEY_INT("bases.roster_max_rows", roster_max_rows, 20000, 1, 1000000, RELOAD),

	KEY_STRING("control_socket", control_socket, "/run/jxjy/jxjyd.sock", true, RESTART),

	/* Paths relative to the config file's directory; read by 'jxjyd import'. */
	KEY_STRING("reference.regions", ref_regions, "", true, RELOAD),
	KEY_STRING("reference.units", ref_units, "", true, RELOAD),
	KEY_STRING("reference.departments", ref_departments, "", true, RELOAD),
	KEY_STRING("reference.majors", ref_majors, "", true, RELOAD),
	KEY_STRING("reference.titles", ref_titles, "", true, RELOAD),
	KEY_STRING("reference.bases", ref_bases, "", true, RELOAD),
	KEY_BOOL("reference.import_at_start", ref_import_at_start, false, RELOAD),

	/* Declarations of hours and credits (forms.c, rpc-declarations.c). */
	KEY_INT("declarations.years_back", decl_years_back, 1, 0, 10, RELOAD),
	KEY_INT("declarations.max_attachment", decl_max_attachment, 10485760,
	    1024, 67108864, RELOAD),
	{ .path = "learning_forms", .type = CONFIG_KEY_FORMS, .reload = RELOAD },

	/* Each account's and address's share of the upload budgets (rpc-attachments.c, inbox.c). */
	KEY_INT("uploads.max_per_account", uploads_max_per_account, 4, 1, 1000, RELOAD),
	KEY_INT("uploads.max_bytes_per_account", uploads_max_bytes_per_account, 67108864,
	    1024, 1073741824, RELOAD),
	KEY_INT("uploads.max_per_source", uploads_max_per_source, 16, 1, 100000, RELOAD),
	KEY_INT("uploads.max_bytes_per_source", uploads_max_bytes_per_source, 134217728,
	    1024, 1073741824, RELOAD),
	KEY_INT("uploads.stall_timeout", uploads_stall_timeout, 120, 1, 86400, RELOAD),

	/* Annual requirements of the completion report (completion.c). */
	{ .path = "requirements", .type = CONFIG_KEY_REQUIREMENTS, .reload = RELOAD },

	/* Certificates of continuing education, 学时证明 (certificates.c). */
	KEY_STRING("certificates.signing_key", cert_signing_key,
	    "/var/lib/jxjy/certificate_ed25519_key", false, RESTART),
	KEY_STRINGS("certificates.old_public_keys", cert_old_public_keys,
	    config_parse_public_key, RELOAD),
	KEY_STRING("certificates.issuer", cert_issuer, "继续教育管理机构", false, RELOAD),

	/*
	 * Who reviews the records a training base reports (base-report.c): read when a
	 * class is reported, so a reload applies to reports made afterwards.
	 */
	KEY_PARSED("base_reports.review", base_reports_review, "unit",
	    config_parse_base_review, RELOAD),
	{ .path = "certificates.verify_host", .type = CONFIG_KEY_STRING,
	  .offset = offsetof(struct config, cert_verify_host), .def_string = "",
	  .empty_ok = true, .parse = config_parse_verify_host, .reload = RELOAD },
};
#define CONFIG_NKEYS	(sizeof config_keys / sizeof config_keys[0])

/* OpenSSH public key types a unit administrator may log in with. */
static const char *const config_ssh_key_types[] = {
	"ssh-ed25519",
	"ssh-rsa",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521",
	"sk-ssh-ed25519@openssh.com",
	"sk-ecdsa-sha2-nistp256@openssh.com",
	NULL
};

/* Longest value echoed back in an error message, in bytes. */
#define CONFIG_QUOTE_MAX	48

/* What a load works with, so helpers need not pass five arguments. */
struct config_reader {
	const char		*path;
	struct config		*cfg;
	struct config_errors	*errs;
	const char		*dir;		/* where @include looks */
	char			*src_file;	/* file whose text src holds */
	char			*src;		/* see config_int_wrapped */
};

#define CONFIG_FIELD(cfg, k, type) ((type *)(void *)((char *)(cfg) + (k)->offset))
#define CONFIG_CFIELD(cfg, k, type) \
	((const type *)(const void *)((const char *)(cfg) + (k)->offset))

/*
 * The file setting s came from, as a path the reader can open: libconfig
 * records an @include by the name written, which is relative to rd->dir.
 * Returns a string the caller frees.
 */
static char *
config_source_file(const struct config_reader *rd, const config_setting_t *s)
{
	const char *file = config_setting_source_file(s);

	if (file == NULL || strcmp(file, rd->path) == 0)
		return xstrdup(rd->path);
	if (file[0] == '/' || rd->dir == NULL)
		return xstrdup(file);
	return xasprintf("%s/%s", rd->dir, file);
}

/* Append one formatted line to errs. */
static void __attribute__((format(printf, 2, 3)))
config_errors_add(struct config_errors *errs, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	if (line == NULL)
		line = xstrdup("out of memory formatting an error");
	errs->lines = xrealloc(errs->lines, (errs->n + 1) * sizeof *errs->lines);
	errs->lines[errs->n++] = line;
}

/* Record "FILE:LINE: key: message" for setting s. */
static void __attribute__((format(printf, 4, 5)))
config_error(struct config_reader *rd, const config_setting_t *s,
    const char *key, const char *fmt, ...)
{
	char *file = config_source_file(rd, s), *msg;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	config_errors_add(rd->errs, "%s:%u: %s: %s", file,
	    (unsigned)config_setting_source_line(s), key,
	    msg != NULL ? msg : "(out of memory)");
	free(msg);
	free(file);
}

/*
 * Decode one UTF-8 sequence at s.  Returns the code point and its length
 * in *adv, or -1 (with *adv = 1) for a malformed, overlong or surrogate
 * sequence.
 */
static long
config_utf8_next(const unsigned char *s, size_t *adv)
{
	long cp, min;
	size_t n, i;

	*adv = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2; cp = s[0] & 0x1f; min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3; cp = s[0] & 0x0f; min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4; cp = s[0] & 0x07; min = 0x10000;
	} else
		return -1;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*adv = n;
	return cp;
}

static bool
config_control(long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/*
 * What is wrong with text a person will see (a name, a unit code): NULL
 * when it is valid UTF-8 without control characters, else the complaint.
 */
static const char *
config_text_problem(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t adv;
	long cp;

	while (*p != '\0') {
		if ((cp = config_utf8_next(p, &adv)) < 0)
			return "is not valid UTF-8";
		if (config_control(cp))
			return "contains a control character";
		p += adv;
	}
	return NULL;
}

/*
 * s quoted for an error message, into buf: control characters and bytes
 * that are not UTF-8 become \xNN so nothing in the file can drive the
 * terminal check-config writes to; long values are cut at a character
 * boundary and end in "...".
 */
static const char *
config_quote(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, adv, i;
	long cp;

	buf[o++] = '"';
	while (*p != '\0' && o + 10 < size) {
		if ((size_t)(p - (const unsigned char *)s) >= CONFIG_QUOTE_MAX) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		cp = config_utf8_next(p, &adv);
		if (cp < 0 || config_control(cp) || cp == '"' || cp == '\\') {
			for (i = 0; i < adv && o + 10 < size; i++)
				o += (size_t)snprintf(buf + o, size - o, "\\x%02x", p[i]);
		} else {
			memcpy(buf + o, p, adv);
			o += adv;
		}
		p += adv;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static const char *
config_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a floating-point number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	}
	return "nothing";
}

static const struct config_key *
config_key_find(const char *path)
{
	size_t i;

	for (i = 0; i < CONFIG_NKEYS; i++) {
		if (strcmp(config_keys[i].path, path) == 0)
			return &config_keys[i];
	}
	return NULL;
}

/* True when name is a group of the table ("database" for "database.x"). */
static bool
config_group_known(const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < CONFIG_NKEYS; i++) {
		if (strncmp(config_keys[i].path, name, len) == 0 &&
		    config_keys[i].path[len] == '.')
			return true;
	}
	return false;
}

/* Levenshtein distance, for suggesting the key a typo meant. */
static size_t
config_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, best;
	size_t row[64], diag, up;

	if (la >= sizeof row / sizeof row[0] || lb >= sizeof row / sizeof row[0])
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/*
 * The known key or group an unknown path most likely meant: one within two
 * edits ("prot", "databse"), one it is the start of ("database.pool"), or
 * one with the same last component (a key put in the wrong group).  NULL
 * when nothing is close.
 */
static const char *
config_suggest(const char *path, char *buf, size_t size)
{
	const char *leaf = strrchr(path, '.'), *kpath, *kleaf, *dot;
	const char *same_leaf = NULL, *prefix_of = NULL;
	size_t i, d, best = 3, plen = strlen(path);
	bool top = leaf == NULL;
	char group[64];

	leaf = leaf != NULL ? leaf + 1 : path;
	for (i = 0; i < CONFIG_NKEYS; i++) {
		kpath = config_keys[i].path;
		if ((d = config_distance(path, kpath)) < best) {
			best = d;
			snprintf(buf, size, "%s", kpath);
		}
		if (top && (dot = strchr(kpath, '.')) != NULL) {
			snprintf(group, sizeof group, "%.*s", (int)(dot - kpath), kpath);
			if ((d = config_distance(path, group)) < best) {
				best = d;
				snprintf(buf, size, "%s", group);
			}
		}
		if (prefix_of == NULL && strlen(leaf) >= 3 &&
		    strncmp(kpath, path, plen) == 0)
			prefix_of = kpath;
		kleaf = strrchr(kpath, '.');
		kleaf = kleaf != NULL ? kleaf + 1 : kpath;
		if (same_leaf == NULL && strcmp(kleaf, leaf) == 0)
			same_leaf = kpath;
	}
	if (best < 3)
		return buf;
	return prefix_of != NULL ? prefix_of : same_leaf;
}

/*
 * Keys that existed once: an old file that still sets one is told what
 * replaced it, instead of a bare "unknown key".  They stay errors, so that
 * nobody runs believing a policy is in force that no longer exists.
 */
static const struct {
	const char	*path;
	const char	*why;
} config_removed_keys[] = {
	{ "security.lockout_failures", "removed: accounts are no longer locked "
	    "(anyone could lock anyone out); failures slow further attempts instead: "
	    "delete it and see security.throttle_after" },
	{ "security.lockout_minutes", "removed: accounts are no longer locked; "
	    "delete it and see security.throttle_window and security.throttle_max_delay" },
};

static void
config_unknown(struct config_reader *rd, const config_setting_t *s,
    const char *path)
{
	char buf[64];
	const char *hint = config_suggest(path, buf, sizeof buf);

	for (size_t i = 0; i < sizeof config_removed_keys / sizeof config_removed_keys[0];
	    i++) {
		if (strcmp(path, config_removed_keys[i].path) == 0) {
			config_error(rd, s, path, "%s", config_removed_keys[i].why);
			return;
		}
	}
	if (hint != NULL)
		config_error(rd, s, path, "unknown key (did you mean %s?)", hint);
	else
		config_error(rd, s, path, "unknown key");
}

/*
 * sessions.max_startups: "start:rate:full" as sshd's MaxStartups, or one
 * number n for "n:100:n" (every connection beyond n dropped).  With cfg,
 * stores the three numbers.
 */
static bool
config_parse_startups(const char *value, struct config *cfg, char *why, size_t size)
{
	long v[3];
	int n = 0;
	const char *p = value;
	char *end;

	while (n < 3) {
		if (*p < '0' || *p > '9')
			break;
		errno = 0;
		v[n] = strtol(p, &end, 10);
		if (errno != 0 || v[n] > 100000)
			break;
		n++;
		p = end;
		if (*p != ':')
			break;
		p++;
	}
	if (n == 1 && *p == '\0') {
		v[1] = 100;
		v[2] = v[0];
	} else if (n != 3 || *p != '\0') {
		snprintf(why, size, "expected \"start:rate:full\" (as \"10:30:100\")");
		return false;
	}
	if (v[0] < 1 || v[2] < v[0] || v[1] < 1 || v[1] > 100) {
		snprintf(why, size, "needs 1 <= start <= full <= 100000 and a rate of"
		    " 1 to 100 (percent)");
		return false;
	}
	if (cfg != NULL) {
		cfg->startups_begin = (int)v[0];
		cfg->startups_rate = (int)v[1];
		cfg->startups_full = (int)v[2];
	}
	return true;
}

/* Free a NULL-terminated list of strings (CONFIG_KEY_STRINGS). */
static void
config_strings_free(char **list)
{
	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

/*
 * An Ed25519 public key as certificates.c publishes it: the 32 bytes in
 * unpadded URL-safe base64, 43 characters (the last one carries 4 bits,
 * so it is one of the 16 whose low 2 bits are zero).
 */
static bool
config_parse_public_key(const char *value, struct config *cfg, char *why, size_t size)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *last;

	(void)cfg;
	if (strlen(value) != 43 || strspn(value, alphabet) != 43 ||
	    ((last = strchr(alphabet, value[42])) - alphabet) % 4 != 0) {
		snprintf(why, size, "must be an Ed25519 public key (43 characters of "
		    "unpadded URL-safe base64, as `jxjyd certificate-key` prints it)");
		return false;
	}
	return true;
}

/*
 * certificates.verify_host: "host" or "host:port" as people type it after
 * ssh (a name or an IPv4 address; "[v6]:port" for IPv6), or "" (unset).
 */
static bool
config_parse_verify_host(const char *value, struct config *cfg, char *why, size_t size)
{
	static const char host_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-";
	const char *colon;
	size_t host_len;

	(void)cfg;
	if (*value == '\0')
		return true;
	if (*value == '[') {
		const char *end = strchr(value, ']');

		if (end == NULL || end == value + 1 ||
		    strspn(value + 1, "0123456789abcdefABCDEF:") != (size_t)(end - value - 1))
			goto bad;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			goto bad;
	} else {
		colon = strchr(value, ':');
		host_len = colon != NULL ? (size_t)(colon - value) : strlen(value);
		if (host_len == 0 || host_len > 253 || strspn(value, host_chars) != host_len ||
		    value[0] == '-')
			goto bad;
	}
	if (colon != NULL) {
		char *end;
		long port = strtol(colon + 1, &end, 10);

		if (colon[1] == '\0' || *end != '\0' || port < 1 || port > 65535 ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1))
			goto bad;
	}
	return true;
bad:
	snprintf(why, size, "must be a host name or address as people type it after ssh, "
	    "with :PORT when it is not the daemon's port (e.g. \"jxjy.example.cn\" or "
	    "\"jxjy.example.cn:22\")");
	return false;
}

/* Store k's default in cfg (strings are copied). */
static void
config_key_default(const struct config_key *k, struct config *cfg)
{
	switch (k->type) {
	case CONFIG_KEY_STRING:
		free(*CONFIG_FIELD(cfg, k, char *));
		*CONFIG_FIELD(cfg, k, char *) = xstrdup(k->def_string);
		if (k->parse != NULL) {
			char why[128];

			k->parse(k->def_string, cfg, why, sizeof why);
		}
		break;
	case CONFIG_KEY_INT:
	case CONFIG_KEY_ENUM:
		*CONFIG_FIELD(cfg, k, int) = (int)k->def_int;
		break;
	case CONFIG_KEY_BOOL:
		*CONFIG_FIELD(cfg, k, bool) = k->def_int != 0;
		break;
	case CONFIG_KEY_STRINGS:
		config_strings_free(*CONFIG_FIELD(cfg, k, char **));
		*CONFIG_FIELD(cfg, k, char **) = xcalloc(1, sizeof(char *));
		break;
	case CONFIG_KEY_ADMINS:
	case CONFIG_KEY_BASE_ADMINS:
	case CONFIG_KEY_AUTHORITY_ADMINS:
	case CONFIG_KEY_BASE_KINDS:
	case CONFIG_KEY_FORMS:
	case CONFIG_KEY_REQUIREMENTS:
		break;		/* none by default */
	}
}

/*
 * The text of line (1-based) of file, and its length in *len; NULL when
 * unreadable.  The last file read is kept in rd (an @include may switch).
 */
static const char *
config_source_line(struct config_reader *rd, const char *file, int line,
    size_t *len)
{
	const char *p;
	size_t n = 0, got;
	FILE *fp;

	if (rd->src_file == NULL || strcmp(rd->src_file, file) != 0) {
		free(rd->src_file);
		free(rd->src);
		rd->src_file = xstrdup(file);
		rd->src = NULL;
		if ((fp = fopen(file, "r")) == NULL)
			return NULL;
		rd->src = xmalloc(BUFSIZ + 1);
		while ((got = fread(rd->src + n, 1, BUFSIZ, fp)) > 0) {
			n += got;
			rd->src = xrealloc(rd->src, n + BUFSIZ + 1);
		}
		rd->src[n] = '\0';
		fclose(fp);
	}
	if ((p = rd->src) == NULL)
		return NULL;
	while (--line > 0 && (p = strchr(p, '\n')) != NULL)
		p++;
	if (p == NULL)
		return NULL;
	*len = strcspn(p, "\n");
	return p;
}

static bool
config_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*';
}

/*
 * libconfig 1.5 silently wraps an integer literal that does not fit in 32
 * bits (unless it ends in L): "port = 4294969318;" reads as 2022.  So for
 * an int key look at the literal in the file itself.  Returns true, with
 * the literal in text, when the file says something other than value; the
 * literal is then out of the int range and so out of every key's bounds.
 */
static bool
config_int_wrapped(struct config_reader *rd, const config_setting_t *s,
    long long value, char *text, size_t size)
{
	const char *name, *line, *p, *end, *digits;
	unsigned long long v = 0, base = 10, d;
	bool negative = false, huge = false;
	size_t len, nlen;
	char *file;

	if ((name = config_setting_name(s)) == NULL)
		return false;
	file = config_source_file(rd, s);
	line = config_source_line(rd, file, config_setting_source_line(s), &len);
	free(file);
	if (line == NULL)
		return false;
	end = line + len;
	nlen = strlen(name);
	for (p = line; p + nlen <= end; p++) {
		if (strncmp(p, name, nlen) != 0 ||
		    (p > line && config_ident_char(p[-1])))
			continue;
		digits = p + nlen;
		while (digits < end && (*digits == ' ' || *digits == '\t'))
			digits++;
		if (digits == end || (*digits != '=' && *digits != ':'))
			continue;
		digits++;
		while (digits < end && (*digits == ' ' || *digits == '\t'))
			digits++;
		p = digits;
		if (p < end && (*p == '-' || *p == '+'))
			negative = *p++ == '-';
		if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
			base = 16;
			p += 2;
		}
		for (; p < end; p++) {
			if (*p >= '0' && *p <= '9')
				d = (unsigned long long)(*p - '0');
			else if (base == 16 && *p >= 'a' && *p <= 'f')
				d = (unsigned long long)(*p - 'a' + 10);
			else if (base == 16 && *p >= 'A' && *p <= 'F')
				d = (unsigned long long)(*p - 'A' + 10);
			else
				break;
			if (v > (1ULL << 62) / base)
				huge = true;
			else
				v = v * base + d;
		}
		if (p == digits || (p < end && config_ident_char(*p)))
			return false;	/* not the plain literal we expected */
		if (!huge && (negative ? -(long long)v : (long long)v) == value)
			return false;
		snprintf(text, size, "%.*s", (int)(p - digits > 40 ? 40 : p - digits),
		    digits);
		return true;
	}
	return false;
}

/*
 * base_reports.review: "unit" (each attendee's record is reviewed on its
 * form's chain, by default its unit's administrator), "authority" (by the
 * authority whose scope covers the attendee's unit, alone) or "none"
 * (approved when reported).
 */
static bool
config_parse_base_review(const char *value, struct config *cfg, char *why, size_t size)
{
	static const char *const names[] = { "unit", "none", "authority", NULL };

	for (size_t i = 0; names[i] != NULL; i++) {
		if (strcmp(value, names[i]) == 0) {
			if (cfg != NULL)
				cfg->base_review = (enum base_review)i;
			return true;
		}
	}
	snprintf(why, size, "must be \"unit\", \"authority\" or \"none\"");
	return false;
}

/* A libpq connection string (key=value or a URI) that libpq can read, or "". */
static bool
config_parse_conninfo(const char *value, struct config *cfg, char *why, size_t size)
{
	PQconninfoOption *opts;
	char *err = NULL;

	(void)cfg;
	if (*value == '\0')
		return true;
	if ((opts = PQconninfoParse(value, &err)) != NULL) {
		PQconninfoFree(opts);
		return true;
	}
	snprintf(why, size, "is not a libpq connection string: %s",
	    err != NULL ? err : "out of memory");
	/* libpq's message ends in a newline. */
	if (strlen(why) > 0 && why[strlen(why) - 1] == '\n')
		why[strlen(why) - 1] = '\0';
	PQfreemem(err);
	return false;
}

/*
 * Check setting s against scalar key k and store it in rd->cfg; on a
 * mistake record it and leave the default in place.  One function per type.
 */
static void
config_load_string(struct config_reader *rd, const struct config_key *k,
    const config_setting_t *s)
{
	const char *str, *problem;
	char q[CONFIG_QUOTE_MAX * 4 + 16], why[128];

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		config_error(rd, s, k->path, "expected a string, got %s",
		    config_type_name(config_setting_type(s)));
		return;
	}
	str = config_setting_get_string(s);
	if (*str == '\0' && !k->empty_ok) {
		config_error(rd, s, k->path, "must not be empty");
		return;
	}
	if ((problem = config_text_problem(str)) != NULL) {
		config_error(rd, s, k->path, "%s", problem);
		return;
	}
	if (k->parse != NULL) {
		/* Checked first, so that a bad value leaves the config untouched. */
		if (!k->parse(str, NULL, why, sizeof why)) {
			config_error(rd, s, k->path, "%s, got %s", why,
			    config_quote(str, q, sizeof q));
			return;
		}
		k->parse(str, rd->cfg, why, sizeof why);
	}
	free(*CONFIG_FIELD(rd->cfg, k, char *));
	*CONFIG_FIELD(rd->cfg, k, char *) = xstrdup(str);
}

/* A list of strings [ "a", "b" ] (or ( ... )), each checked by k->parse. */
static void
config_load_strings(struct config_reader *rd, const struct config_key *k,
    const config_setting_t *s)
{
	int type = config_setting_type(s), n = config_setting_length(s);
	char q[CONFIG_QUOTE_MAX * 4 + 16], why[192];
	char **list;
	bool ok = true;

	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
		config_error(rd, s, k->path, "expected a list of strings [ \"...\", ... ], got %s",
		    config_type_name(type));
		return;
	}
	list = xcalloc((size_t)n + 1, sizeof *list);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *str;

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			config_error(rd, e, k->path, "element %d: expected a string, got %s", i + 1,
			    config_type_name(config_setting_type(e)));
			ok = false;
			continue;
		}
		str = config_setting_get_string(e);
		if (k->parse != NULL && !k->parse(str, NULL, why, sizeof why)) {
			config_error(rd, e, k->path, "element %d: %s, got %s", i + 1, why,
			    config_quote(str, q, sizeof q));
			ok = false;
			continue;
		}
		list[i] = xstrdup(str);
	}
	if (!ok) {
		for (int i = 0; i < n; i++)
			free(list[i]);
		free(list);
		return;
	}
	config_strings_free(*CONFIG_FIELD(rd->cfg, k, char **));
	*CONFIG_FIELD(rd->cfg, k, char **) = list;
}

static void
config_load_int(struct config_reader *rd, const struct config_key *k,
    const config_setting_t *s)
{
	int type = config_setting_type(s);
	char q[CONFIG_QUOTE_MAX * 4 + 16];
	long long v;

	if (type == CONFIG_TYPE_INT) {
		v = config_setting_get_int(s);
		if (config_int_wrapped(rd, s, v, q, sizeof q)) {
			config_error(rd, s, k->path, "must be between %lld and %lld, got %s",
			    k->min, k->max, q);
			return;
		}
	} else if (type == CONFIG_TYPE_INT64) {
		v = config_setting_get_int64(s);
	} else {
		config_error(rd, s, k->path, "expected an integer, got %s",
		    config_type_name(type));
		return;
	}
	if (v < k->min || v > k->max) {
		config_error(rd, s, k->path, "must be between %lld and %lld, got %lld",
		    k->min, k->max, v);
		return;
	}
	*CONFIG_FIELD(rd->cfg, k, int) = (int)v;
}

static void
config_load_bool(struct config_reader *rd, const struct config_key *k,
    const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		config_error(rd, s, k->path, "expected a boolean (true or false), got %s",
		    config_type_name(config_setting_type(s)));
		return;
	}
	*CONFIG_FIELD(rd->cfg, k, bool) = config_setting_get_bool(s) != 0;
}

static void
config_load_enum(struct config_reader *rd, const struct config_key *k,
    const config_setting_t *s)
{
	const char *str, *const *name;
	char q[CONFIG_QUOTE_MAX * 4 + 16], allowed[256];
	size_t o = 0;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		config_error(rd, s, k->path, "expected a string, got %s",
		    config_type_name(config_setting_type(s)));
		return;
	}
	str = config_setting_get_string(s);
	for (size_t i = 0; k->names[i] != NULL; i++) {
		if (strcmp(str, k->names[i]) == 0) {
			*CONFIG_FIELD(rd->cfg, k, int) = (int)i;
			return;
		}
	}
	allowed[0] = '\0';
	for (name = k->names; *name != NULL; name++) {
		o += (size_t)snprintf(allowed + o, sizeof allowed - o, "%s\"%s\"",
		    name == k->names ? "" : ", ", *name);
		if (o >= sizeof allowed)
			break;
	}
	config_error(rd, s, k->path, "must be one of %s, got %s", allowed,
	    config_quote(str, q, sizeof q));
}

static void
config_load_scalar(struct config_reader *rd, const struct config_key *k,
    const config_setting_t *s)
{
	switch (k->type) {
	case CONFIG_KEY_STRING:
		config_load_string(rd, k, s);
		break;
	case CONFIG_KEY_INT:
		config_load_int(rd, k, s);
		break;
	case CONFIG_KEY_BOOL:
		config_load_bool(rd, k, s);
		break;
	case CONFIG_KEY_ENUM:
		config_load_enum(rd, k, s);
		break;
	case CONFIG_KEY_STRINGS:
		config_load_strings(rd, k, s);
		break;
	case CONFIG_KEY_ADMINS:
	case CONFIG_KEY_BASE_ADMINS:
	case CONFIG_KEY_AUTHORITY_ADMINS:
	case CONFIG_KEY_BASE_KINDS:
	case CONFIG_KEY_FORMS:
	case CONFIG_KEY_REQUIREMENTS:
		break;
	}
}

/*
 * Decode standard base64 (with '=' padding) of len bytes at s into a new
 * buffer.  Returns it with its length in *outlen, or NULL when s is not
 * base64.  Caller frees.
 */
static unsigned char *
config_base64_decode(const char *s, size_t len, size_t *outlen)
{
	unsigned char *out;
	size_t i, o = 0, pad = 0;
	unsigned long acc = 0;
	int v;

	if (len == 0 || len % 4 != 0)
		return NULL;
	if (s[len - 1] == '=')
		pad = s[len - 2] == '=' ? 2 : 1;
	out = xmalloc(len / 4 * 3);
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+')
			v = 62;
		else if (c == '/')
			v = 63;
		else if (c == '=' && i >= len - pad)
			v = 0;
		else {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned long)v;
		if (i % 4 == 3) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	*outlen = o - pad;
	return out;
}

/*
 * What is wrong with an OpenSSH public key line "TYPE BASE64 [COMMENT]":
 * NULL when it looks right.  The decoded blob must name the same type,
 * which catches a key cut short or pasted under the wrong type; the key
 * itself is parsed by libssh when it is used.
 */
static const char *
config_ssh_key_problem(const char *line, char *why, size_t size)
{
	const char *type, *data, *problem, *const *t;
	size_t tlen, dlen, blen = 0, i;
	unsigned char *blob;
	unsigned long n;
	char q[CONFIG_QUOTE_MAX * 4 + 16];
	bool ok;

	if ((problem = config_text_problem(line)) != NULL)
		return problem;
	type = line + strspn(line, " \t");
	tlen = strcspn(type, " \t");
	if (tlen == 0)
		return "is empty";
	for (t = config_ssh_key_types; *t != NULL; t++) {
		if (strlen(*t) == tlen && strncmp(*t, type, tlen) == 0)
			break;
	}
	if (*t == NULL) {
		char name[CONFIG_QUOTE_MAX + 1];

		snprintf(name, sizeof name, "%.*s", (int)tlen, type);
		snprintf(why, size, "unknown key type %s: expected \"TYPE BASE64 "
		    "[COMMENT]\" with TYPE one of", config_quote(name, q, sizeof q));
		for (t = config_ssh_key_types; *t != NULL; t++) {
			i = strlen(why);
			snprintf(why + i, size - i, "%s %s",
			    t == config_ssh_key_types ? "" : ",", *t);
		}
		return why;
	}
	data = type + tlen;
	data += strspn(data, " \t");
	dlen = strcspn(data, " \t");
	if (dlen == 0)
		return "missing the key data after the key type";

	if ((blob = config_base64_decode(data, dlen, &blen)) == NULL)
		return "key data is not valid base64";
	ok = blen >= 4;
	if (ok) {
		n = (unsigned long)blob[0] << 24 | (unsigned long)blob[1] << 16 |
		    (unsigned long)blob[2] << 8 | blob[3];
		ok = n == tlen && blen >= 4 + tlen &&
		    memcmp(blob + 4, type, tlen) == 0;
	}
	/* ed25519: type, then a 32-byte public key and nothing more. */
	if (ok && tlen == 11 && memcmp(type, "ssh-ed25519", 11) == 0)
		ok = blen == 4 + 11 + 4 + 32 && blob[15] == 0 && blob[16] == 0 &&
		    blob[17] == 0 && blob[18] == 32;
	free(blob);
	if (!ok)
		return "key data does not hold a complete key of its type "
		    "(cut short, or pasted under the wrong type?)";
	return NULL;
}

/* The message for an ID number that idnum_check refused. */
static void
config_idnum_problem(enum idnum_status st, const char *s, char *why, size_t size)
{
	switch (st) {
	case IDNUM_OK:
		snprintf(why, size, "ok");
		break;
	case IDNUM_LENGTH:
		snprintf(why, size, "must be 18 characters, got %zu", strlen(s));
		break;
	case IDNUM_CHARS:
		snprintf(why, size, "must be 17 digits followed by a digit or X");
		break;
	case IDNUM_REGION:
		snprintf(why, size, "starts with %.2s, which is no province-level "
		    "region code", s);
		break;
	case IDNUM_BIRTHDATE:
		snprintf(why, size, "birth date %.4s-%.2s-%.2s is not a real date",
		    s + 6, s + 10, s + 12);
		break;
	case IDNUM_FUTURE:
		snprintf(why, size, "birth date %.4s-%.2s-%.2s is in the future",
		    s + 6, s + 10, s + 12);
		break;
	case IDNUM_CHECKSUM:
		/*
		 * Not "should end in N": the mistake is as likely in another
		 * digit, and "fixing" the last one makes a wrong number pass.
		 */
		snprintf(why, size, "check character does not match "
		    "(a digit is probably mistyped)");
		break;
	}
}

/* Free what an admin entry holds and zero it. */
static void
config_admin_free(struct config_admin *a)
{
	size_t i;

	free(a->id_number);
	free(a->name);
	free(a->unit);
	free(a->base);
	free(a->scope);
	for (i = 0; i < a->n_keys; i++)
		free(a->keys[i]);
	free(a->keys);
	memset(a, 0, sizeof *a);
}

/*
 * A text member of an admin entry (name, unit): returns the string, or
 * NULL after recording why (not a string, empty, not clean text).
 */
static const char *
config_admin_text(struct config_reader *rd, const config_setting_t *s,
    const char *key)
{
	const char *str, *problem;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		config_error(rd, s, key, "expected a string, got %s",
		    config_type_name(config_setting_type(s)));
		return NULL;
	}
	str = config_setting_get_string(s);
	if (*str == '\0') {
		config_error(rd, s, key, "must not be empty");
		return NULL;
	}
	if ((problem = config_text_problem(str)) != NULL) {
		config_error(rd, s, key, "%s", problem);
		return NULL;
	}
	return str;
}

/* Whether str is a region code: six digits (whether it exists, admins.c asks the database). */
static bool
config_region_code(const char *str)
{
	size_t i;

	for (i = 0; str[i] != '\0'; i++) {
		if (str[i] < '0' || str[i] > '9')
			return false;
	}
	return i == 6;
}

/* The id_number of an admin entry: into a->id_number and id when valid. */
static void
config_admin_id(struct config_reader *rd, const config_setting_t *s,
    const char *key, struct config_admin *a, char id[19])
{
	struct idnum_info info;
	enum idnum_status st;
	const char *str;
	char why[128];

	if ((str = config_admin_text(rd, s, key)) == NULL)
		return;
	if ((st = idnum_check(str, 0, &info)) != IDNUM_OK) {
		config_idnum_problem(st, str, why, sizeof why);
		config_error(rd, s, key, "%s", why);
		return;
	}
	memcpy(id, info.normalized, 19);
	a->id_number = xstrdup(info.normalized);
}

/* The keys of an admin entry: the valid ones into a->keys. */
static void
config_admin_keys(struct config_reader *rd, const config_setting_t *keys,
    const char *key, struct config_admin *a)
{
	const config_setting_t *s;
	const char *str, *problem;
	char *ekey, why[512];
	int type = config_setting_type(keys);
	size_t i, n = 0, len;

	if (type != CONFIG_TYPE_LIST && type != CONFIG_TYPE_ARRAY)
		config_error(rd, keys, key, "expected a list of public key "
		    "strings, got %s", config_type_name(type));
	else if ((n = (size_t)config_setting_length(keys)) == 0)
		config_error(rd, keys, key, "needs at least one public key "
		    "(\"ssh-ed25519 AAAA... comment\")");
	a->keys = xcalloc(n + 1, sizeof *a->keys);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(keys, (unsigned)i);
		ekey = xasprintf("%s[%zu]", key, i);
		if (config_setting_type(s) != CONFIG_TYPE_STRING)
			config_error(rd, s, ekey, "expected a string, got %s",
			    config_type_name(config_setting_type(s)));
		else if ((problem = config_ssh_key_problem(
		    config_setting_get_string(s), why, sizeof why)) != NULL)
			config_error(rd, s, ekey, "%s", problem);
		else {
			/* Stored without surrounding blanks. */
			str = config_setting_get_string(s);
			str += strspn(str, " \t");
			len = strlen(str);
			while (len > 0 && (str[len - 1] == ' ' || str[len - 1] == '\t'))
				len--;
			a->keys[a->n_keys++] = xstrndup(str, len);
		}
		free(ekey);
	}
}

/*
 * Which list of administrators is being read: unit_admins (each names a
 * unit), base_admins (each names a base) or authority_admins (each names
 * a region, its scope); otherwise alike.
 */
struct config_admin_list {
	const char	*key;		/* "unit_admins" */
	const char	*scope;		/* the member naming where: "unit" */
	size_t		 member;	/* where it is kept: offsetof(struct config_admin, unit) */
	size_t		 list;		/* the list in struct config: offsetof(..., admins) */
	size_t		 count;		/* its length: offsetof(..., n_admins) */
};
static const struct config_admin_list config_unit_admins = { "unit_admins", "unit",
	offsetof(struct config_admin, unit), offsetof(struct config, admins),
	offsetof(struct config, n_admins) };
static const struct config_admin_list config_base_admins = { "base_admins", "base",
	offsetof(struct config_admin, base), offsetof(struct config, base_admins),
	offsetof(struct config, n_base_admins) };
static const struct config_admin_list config_authority_admins = { "authority_admins", "scope",
	offsetof(struct config_admin, scope), offsetof(struct config, authority_admins),
	offsetof(struct config, n_authority_admins) };
#define CONFIG_ADMIN_MEMBER(a, l)	((char **)((char *)(a) + (l)->member))
#define CONFIG_ADMIN_LIST(cfg, l)	((struct config_admin **)((char *)(cfg) + (l)->list))
#define CONFIG_ADMIN_COUNT(cfg, l)	((size_t *)((char *)(cfg) + (l)->count))

/*
 * Load one entry of list (group g, index idx) into *a.  Returns true
 * when it is entirely valid; otherwise records every mistake (missing
 * members first, at the entry's line, then the rest in file order), frees
 * what was filled in and returns false.  id gets the normalized ID number
 * when that much was valid (for the duplicate check), else "".
 */
static bool
config_admin_load(struct config_reader *rd, const struct config_admin_list *list,
    const config_setting_t *g, size_t idx, struct config_admin *a, char id[19])
{
	const char *const members[] = {
		"id_number", "name", list->scope, "keys", NULL
	};
	const config_setting_t *s;
	const char *name, *str, *const *m;
	size_t before = rd->errs->n, i;
	char prefix[64], *key;

	memset(a, 0, sizeof *a);
	id[0] = '\0';
	a->line = config_setting_source_line(g);
	snprintf(prefix, sizeof prefix, "%s[%zu]", list->key, idx);

	for (m = members; *m != NULL; m++) {
		if (config_setting_get_member(g, *m) == NULL)
			config_error(rd, g, prefix, "missing required key \"%s\"", *m);
	}
	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL; i++) {
		name = config_setting_name(s);
		key = xasprintf("%s.%s", prefix, name);
		if (strcmp(name, "id_number") == 0)
			config_admin_id(rd, s, key, a, id);
		else if (strcmp(name, "name") == 0) {
			if ((str = config_admin_text(rd, s, key)) != NULL)
				a->name = xstrdup(str);
		} else if (strcmp(name, list->scope) == 0) {
			if ((str = config_admin_text(rd, s, key)) != NULL &&
			    list->member == offsetof(struct config_admin, scope) &&
			    !config_region_code(str))
				config_error(rd, s, key, "expected a region code of six digits "
				    "(the province's, such as \"410000\", or a city's, such as "
				    "\"410100\"), got \"%s\"", str);
			else if (str != NULL)
				*CONFIG_ADMIN_MEMBER(a, list) = xstrdup(str);
		} else if (strcmp(name, "keys") == 0)
			config_admin_keys(rd, s, key, a);
		else
			config_error(rd, s, key, "unknown key (expected id_number, "
			    "name, %s and keys)", list->scope);
		free(key);
	}

	if (rd->errs->n == before)
		return true;
	config_admin_free(a);
	return false;
}

/*
 * Load unit_admins, base_admins or authority_admins (list): a list of groups.  Valid entries
 * are kept; an entry with any mistake, or whose ID number repeats an
 * earlier entry's, is reported and dropped.  That one person is not in
 * both lists is checked once the whole file is read (config_check_admins).
 */
static void
config_load_admins(struct config_reader *rd, const struct config_admin_list *list,
    const config_setting_t *s)
{
	struct config *cfg = rd->cfg;
	struct config_admin **admins = CONFIG_ADMIN_LIST(cfg, list);
	size_t *n_admins = CONFIG_ADMIN_COUNT(cfg, list);
	const config_setting_t *g, *idset;
	char (*ids)[19];
	int *lines, type = config_setting_type(s);
	size_t n, i, j;
	char key[64];

	n = (size_t)config_setting_length(s);
	if (type != CONFIG_TYPE_LIST && !(type == CONFIG_TYPE_ARRAY && n == 0)) {
		config_error(rd, s, list->key, "expected a list of groups "
		    "( { id_number = ...; name = ...; %s = ...; keys = [...]; }, "
		    "... ), got %s", list->scope, config_type_name(type));
		return;
	}
	for (i = 0; i < *n_admins; i++)
		config_admin_free(&(*admins)[i]);
	free(*admins);
	*admins = xcalloc(n, sizeof **admins);
	*n_admins = 0;
	ids = xcalloc(n, sizeof *ids);
	lines = xcalloc(n, sizeof *lines);

	for (i = 0; i < n; i++) {
		struct config_admin a;
		bool ok;

		g = config_setting_get_elem(s, (unsigned)i);
		snprintf(key, sizeof key, "%s[%zu]", list->key, i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			config_error(rd, g, key, "expected a group { ... }, got %s",
			    config_type_name(config_setting_type(g)));
			continue;
		}
		ok = config_admin_load(rd, list, g, i, &a, ids[i]);
		lines[i] = a.line = config_setting_source_line(g);
		for (j = 0; ids[i][0] != '\0' && j < i; j++) {
			if (strcmp(ids[i], ids[j]) != 0)
				continue;
			idset = config_setting_get_member(g, "id_number");
			snprintf(key, sizeof key, "%s[%zu].id_number", list->key, i);
			config_error(rd, idset, key, "same ID number as "
			    "%s[%zu] (line %d)", list->key, j, lines[j]);
			ids[i][0] = '\0';	/* report each repeat once */
			if (ok)
				config_admin_free(&a);
			ok = false;
			break;
		}
		if (ok)
			(*admins)[(*n_admins)++] = a;
	}
	free(ids);
	free(lines);
}

/*
 * After the whole file: one person administers one unit, one base or one
 * region, not two of them (they have one active account, schema 015).  Of
 * two entries for one person, the one in the later list (unit_admins,
 * base_admins, authority_admins) is reported and dropped.
 */
static void
config_check_admins(struct config_reader *rd)
{
	const struct config_admin_list *lists[] = {
		&config_unit_admins, &config_base_admins, &config_authority_admins,
	};
	struct config *cfg = rd->cfg;
	size_t l, e, i, j, kept;

	for (l = 1; l < sizeof lists / sizeof lists[0]; l++) {
		struct config_admin *xs = *CONFIG_ADMIN_LIST(cfg, lists[l]);
		size_t *n = CONFIG_ADMIN_COUNT(cfg, lists[l]);

		for (i = 0, kept = 0; i < *n; i++) {
			struct config_admin *b = &xs[i];
			bool twice = false;

			for (e = 0; e < l && !twice; e++) {
				struct config_admin *ys = *CONFIG_ADMIN_LIST(cfg, lists[e]);
				size_t m = *CONFIG_ADMIN_COUNT(cfg, lists[e]);

				for (j = 0; j < m && !twice; j++) {
					if (strcmp(b->id_number, ys[j].id_number) != 0)
						continue;
					config_errors_add(rd->errs, "%s:%d: %s: %s: same ID number as "
					    "%s (line %d): one person administers one unit, base or "
					    "region, not two", cfg->path, b->line, lists[l]->key,
					    b->name, lists[e]->key, ys[j].line);
					twice = true;
				}
			}
			if (twice)
				config_admin_free(b);
			else
				xs[kept++] = *b;
		}
		*n = kept;
	}
}

/*
 * Learning forms (learning_forms): a list of groups, each a form with a
 * list of fields.  A form with any mistake is reported and dropped, as an
 * administrator entry is; check-config refuses the file either way.
 */

#define CONFIG_FORM_FIELDS_MAX	40	/* fields per form */
#define CONFIG_NAME_MAX		50	/* characters of a name, label or choice */
#define CONFIG_TEXT_LENGTH_MAX	10000	/* largest max_length */
#define CONFIG_NUMBER_LIMIT	1e9	/* bounds of min and max */
#define CONFIG_DECIMALS		4	/* decimals of a number in a form */

/* A code or field key: a lower-case letter, then letters, digits, '_'. */
static bool
config_ident_valid(const char *s)
{
	size_t i;

	if (!(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (i = 1; s[i] != '\0'; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_'))
			return false;
	}
	return i <= 32;
}

/* Characters (code points) of a valid UTF-8 string. */
static size_t
config_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/*
 * A name, label or choice: returns the string, or NULL after recording
 * why (not a string, empty, not clean text, longer than CONFIG_NAME_MAX).
 */
static const char *
config_name_text(struct config_reader *rd, const config_setting_t *s,
    const char *key)
{
	const char *str = config_admin_text(rd, s, key);

	if (str != NULL && config_chars(str) > CONFIG_NAME_MAX) {
		config_error(rd, s, key, "must be at most %d characters, got %zu",
		    CONFIG_NAME_MAX, config_chars(str));
		return NULL;
	}
	return str;
}

/*
 * An English name (name_en, label_en, choices_en): a name as above with no
 * character from U+3000 on (CJK, full-width punctuation), which English
 * text must not carry.  Returns it, or NULL after recording why.
 */
static const char *
config_english_text(struct config_reader *rd, const config_setting_t *s, const char *key)
{
	const char *str = config_name_text(rd, s, key);

	if (str == NULL)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)str; *p != '\0'; p++) {
		/* Lead bytes from 0xe3 on start U+3000 and above. */
		if (*p >= 0xe3) {
			config_error(rd, s, key, "must be English text, without Chinese "
			    "characters or full-width punctuation");
			return NULL;
		}
	}
	return str;
}

/* A code or field key: returns it, or NULL after recording why. */
static const char *
config_ident(struct config_reader *rd, const config_setting_t *s, const char *key)
{
	const char *str;
	char q[CONFIG_QUOTE_MAX * 4 + 16];

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		config_error(rd, s, key, "expected a string, got %s",
		    config_type_name(config_setting_type(s)));
		return NULL;
	}
	str = config_setting_get_string(s);
	if (!config_ident_valid(str)) {
		config_error(rd, s, key, "must be 1 to 32 of a-z, 0-9 and _, starting "
		    "with a letter, got %s", config_quote(str, q, sizeof q));
		return NULL;
	}
	return str;
}

/*
 * A number (integer or floating point) into *out: returns true, or false
 * after recording why.
 */
static bool
config_number(struct config_reader *rd, const config_setting_t *s,
    const char *key, double *out)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		*out = config_setting_get_int(s);
		return true;
	case CONFIG_TYPE_INT64:
		*out = (double)config_setting_get_int64(s);
		return true;
	case CONFIG_TYPE_FLOAT:
		*out = config_setting_get_float(s);
		return true;
	}
	config_error(rd, s, key, "expected a number, got %s",
	    config_type_name(config_setting_type(s)));
	return false;
}

/*
 * True when v has at most CONFIG_DECIMALS decimals (what a declaration can
 * hold exactly).
 */
static bool
config_decimals_ok(double v)
{
	double scaled = (v < 0 ? -v : v) * 1e4;	/* < 1e13 within the bounds */
	double diff = scaled - (double)(long long)(scaled + 0.5);

	/* A few units in the last place of scaled, not a share of it: 90.12345 is refused. */
	return (diff < 0 ? -diff : diff) < 1e-6 + scaled * 1e-15;
}

/* A number between lo and hi with few decimals; false after recording why. */
static bool
config_number_in(struct config_reader *rd, const config_setting_t *s,
    const char *key, double lo, bool lo_open, double hi, double *out)
{
	double v;

	if (!config_number(rd, s, key, &v))
		return false;
	if (v != v || (lo_open ? v <= lo : v < lo) || v > hi) {
		config_error(rd, s, key, "must be %s %g and at most %g, got %g",
		    lo_open ? "more than" : "at least", lo, hi, v);
		return false;
	}
	if (!config_decimals_ok(v)) {
		config_error(rd, s, key, "may have at most %d decimals, got %g",
		    CONFIG_DECIMALS, v);
		return false;
	}
	*out = v;
	return true;
}

/*
 * An enum member of a form or field: its index into names, or -1 after
 * recording why.
 */
static int
config_member_enum(struct config_reader *rd, const config_setting_t *s,
    const char *key, const char *const *names)
{
	char q[CONFIG_QUOTE_MAX * 4 + 16], allowed[256];
	const char *str;
	size_t i, o = 0;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		config_error(rd, s, key, "expected a string, got %s",
		    config_type_name(config_setting_type(s)));
		return -1;
	}
	str = config_setting_get_string(s);
	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(str, names[i]) == 0)
			return (int)i;
	}
	allowed[0] = '\0';
	for (i = 0; names[i] != NULL && o < sizeof allowed; i++)
		o += (size_t)snprintf(allowed + o, sizeof allowed - o, "%s\"%s\"",
		    i == 0 ? "" : ", ", names[i]);
	config_error(rd, s, key, "must be one of %s, got %s", allowed,
	    config_quote(str, q, sizeof q));
	return -1;
}

static void
config_field_free(struct config_field *f)
{
	size_t i;

	free(f->key);
	free(f->label);
	free(f->label_en);
	for (i = 0; f->choices != NULL && f->choices[i] != NULL; i++)
		free(f->choices[i]);
	free(f->choices);
	for (i = 0; f->choices_en != NULL && f->choices_en[i] != NULL; i++)
		free(f->choices_en[i]);
	free(f->choices_en);
	memset(f, 0, sizeof *f);
}

static void
config_form_free(struct config_form *f)
{
	size_t i;

	free(f->code);
	free(f->name);
	free(f->name_en);
	for (i = 0; i < f->n_fields; i++)
		config_field_free(&f->fields[i]);
	free(f->fields);
	memset(f, 0, sizeof *f);
}

/*
 * The choices of a choice field (choices, or choices_en when english): each
 * a distinct name, into *out (NULL-terminated) and *count.
 */
static void
config_field_choices(struct config_reader *rd, const config_setting_t *list,
    const char *key, bool english, char ***out, size_t *count)
{
	const config_setting_t *s;
	const char *str;
	int type = config_setting_type(list);
	size_t i, j, n = 0;
	char *ekey;
	char **choices;

	if (type != CONFIG_TYPE_LIST && type != CONFIG_TYPE_ARRAY)
		config_error(rd, list, key, "expected a list of strings "
		    "[ \"...\", \"...\" ], got %s", config_type_name(type));
	else if ((n = (size_t)config_setting_length(list)) == 0)
		config_error(rd, list, key, "needs at least one choice");
	choices = *out = xcalloc(n + 1, sizeof *choices);
	*count = 0;
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(list, (unsigned)i);
		ekey = xasprintf("%s[%zu]", key, i);
		str = english ? config_english_text(rd, s, ekey) : config_name_text(rd, s, ekey);
		if (str != NULL) {
			for (j = 0; j < *count; j++) {
				if (strcmp(choices[j], str) == 0)
					break;
			}
			if (j < *count)
				config_error(rd, s, ekey, "repeats an earlier choice");
			else
				choices[(*count)++] = xstrdup(str);
		}
		free(ekey);
	}
}

/* The members of a field whose meaning depends on its type, as found. */
struct config_field_members {
	const config_setting_t *min, *max, *max_length, *choices, *choices_en, *not_future;
	bool	 typed;		/* type was valid */
};

/* Read one member s of a field; the type-dependent ones are only noted in *m. */
static void
config_field_member(struct config_reader *rd, const config_setting_t *s,
    const char *prefix, struct config_field *f, char **fkey,
    struct config_field_members *m)
{
	const char *name = config_setting_name(s), *str;
	char *key = xasprintf("%s.%s", prefix, name);
	int v;

	if (strcmp(name, "key") == 0) {
		if ((str = config_ident(rd, s, key)) != NULL) {
			f->key = xstrdup(str);
			*fkey = xstrdup(str);
		}
	} else if (strcmp(name, "label") == 0) {
		if ((str = config_name_text(rd, s, key)) != NULL)
			f->label = xstrdup(str);
	} else if (strcmp(name, "label_en") == 0) {
		if ((str = config_english_text(rd, s, key)) != NULL)
			f->label_en = xstrdup(str);
	} else if (strcmp(name, "type") == 0) {
		if ((v = config_member_enum(rd, s, key, config_field_types)) >= 0) {
			f->type = (enum field_type)v;
			m->typed = true;
		}
	} else if (strcmp(name, "required") == 0) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			config_error(rd, s, key, "expected a boolean (true or "
			    "false), got %s", config_type_name(config_setting_type(s)));
		else
			f->required = config_setting_get_bool(s) != 0;
	} else if (strcmp(name, "min") == 0)
		m->min = s;
	else if (strcmp(name, "max") == 0)
		m->max = s;
	else if (strcmp(name, "max_length") == 0)
		m->max_length = s;
	else if (strcmp(name, "choices") == 0)
		m->choices = s;
	else if (strcmp(name, "choices_en") == 0)
		m->choices_en = s;
	else if (strcmp(name, "not_future") == 0)
		m->not_future = s;
	else
		config_error(rd, s, key, "unknown key (expected key, label, label_en, "
		    "type, required, min, max, max_length, choices, choices_en and "
		    "not_future)");
	free(key);
}

/* A field's min or max member s, named member, which only some types have. */
static void
config_field_misplaced(struct config_reader *rd, const config_setting_t *s,
    const char *prefix, const char *member, const char *types)
{
	char *key;

	if (s == NULL)
		return;
	key = xasprintf("%s.%s", prefix, member);
	config_error(rd, s, key, "only applies to %s fields", types);
	free(key);
}

/* min and max of an integer or decimal field (others may have neither). */
static void
config_field_bounds(struct config_reader *rd, const char *prefix, struct config_field *f,
    const struct config_field_members *m)
{
	const config_setting_t *const bound[2] = { m->min, m->max };
	char *key;

	if (f->type != FIELD_INTEGER && f->type != FIELD_DECIMAL) {
		config_field_misplaced(rd, m->min, prefix, "min", "integer and decimal");
		config_field_misplaced(rd, m->max, prefix, "max", "integer and decimal");
		return;
	}
	for (size_t i = 0; i < 2; i++) {
		double d;

		if (bound[i] == NULL)
			continue;
		key = xasprintf("%s.%s", prefix, i == 0 ? "min" : "max");
		if (config_number_in(rd, bound[i], key, -CONFIG_NUMBER_LIMIT, false,
		    CONFIG_NUMBER_LIMIT, &d)) {
			if (f->type == FIELD_INTEGER && d != (double)(long long)d)
				config_error(rd, bound[i], key, "must be a whole "
				    "number for an integer field, got %g", d);
			else if (i == 0) {
				f->min = d;
				f->has_min = true;
			} else {
				f->max = d;
				f->has_max = true;
			}
		}
		free(key);
	}
	if (f->has_min && f->has_max && f->max < f->min) {
		key = xasprintf("%s.max", prefix);
		config_error(rd, m->max, key, "must not be less than min (%g), got %g",
		    f->min, f->max);
		free(key);
	}
}

/* max_length of a text or longtext field, the type's default when unset. */
static void
config_field_max_length(struct config_reader *rd, const char *prefix,
    struct config_field *f, const config_setting_t *slen)
{
	char *key;
	int v;

	if (slen != NULL) {
		key = xasprintf("%s.max_length", prefix);
		if (f->type != FIELD_TEXT && f->type != FIELD_LONGTEXT)
			config_error(rd, slen, key, "only applies to text and longtext fields");
		else if (config_setting_type(slen) != CONFIG_TYPE_INT)
			config_error(rd, slen, key, "expected an integer, got %s",
			    config_type_name(config_setting_type(slen)));
		else if ((v = config_setting_get_int(slen)) < 1 || v > CONFIG_TEXT_LENGTH_MAX)
			config_error(rd, slen, key, "must be between 1 and %d, got %d",
			    CONFIG_TEXT_LENGTH_MAX, v);
		else
			f->max_length = v;
		free(key);
	}
	if (f->max_length == 0 && f->type == FIELD_TEXT)
		f->max_length = FIELD_TEXT_MAX_LENGTH;
	if (f->max_length == 0 && f->type == FIELD_LONGTEXT)
		f->max_length = FIELD_LONGTEXT_MAX_LENGTH;
}

/*
 * choices_en of a choice field: its choices in English, as many and in the
 * same order (a person in -l en picks from them; the Chinese is stored).
 */
static void
config_field_english_choices(struct config_reader *rd, const config_setting_t *g,
    const char *prefix, struct config_field *f, const struct config_field_members *m)
{
	char *key = xasprintf("%s.choices_en", prefix);
	size_t n = 0;

	if (f->type != FIELD_CHOICE) {
		if (m->choices_en != NULL)
			config_error(rd, m->choices_en, key, "only applies to choice fields");
	} else if (m->choices == NULL) {
		/* Said already: a choice field without choices. */
	} else if (m->choices_en == NULL) {
		config_error(rd, g, prefix, "missing required key \"choices_en\" "
		    "(the choices in English, as many as choices)");
	} else {
		config_field_choices(rd, m->choices_en, key, true, &f->choices_en, &n);
		/* Counted when both lists are clean: else their mistakes say enough. */
		if (n != f->n_choices &&
		    (size_t)config_setting_length(m->choices_en) == n &&
		    (size_t)config_setting_length(m->choices) == f->n_choices)
			config_error(rd, m->choices_en, key, "must have as many choices as "
			    "choices (%zu), got %zu", f->n_choices, n);
	}
	free(key);
}

/* not_future of a date or daterange field: no date after today is taken. */
static void
config_field_not_future(struct config_reader *rd, const char *prefix,
    struct config_field *f, const config_setting_t *s)
{
	char *key;

	if (s == NULL)
		return;
	key = xasprintf("%s.not_future", prefix);
	if (f->type != FIELD_DATE && f->type != FIELD_DATERANGE)
		config_error(rd, s, key, "only applies to date and daterange fields");
	else if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		config_error(rd, s, key, "expected a boolean (true or false), got %s",
		    config_type_name(config_setting_type(s)));
	else
		f->not_future = config_setting_get_bool(s) != 0;
	free(key);
}

/*
 * Load one field (group g) of a form into *f; prefix is its key path
 * ("learning_forms[1].fields[0]").  Returns true when it is valid;
 * otherwise records every mistake and returns false (f is freed).  *key
 * gets a copy of the field's key when that much was valid (for the
 * duplicate check), else NULL; the caller frees it.
 */
static bool
config_field_load(struct config_reader *rd, const config_setting_t *g,
    const char *prefix, struct config_field *f, char **fkey)
{
	static const char *const members[] = { "key", "label", "label_en", "type", NULL };
	struct config_field_members m = { 0 };
	const config_setting_t *s;
	size_t before = rd->errs->n;
	char *key;

	memset(f, 0, sizeof *f);
	*fkey = NULL;
	f->line = config_setting_source_line(g);
	for (const char *const *r = members; *r != NULL; r++) {
		if (config_setting_get_member(g, *r) == NULL)
			config_error(rd, g, prefix, "missing required key \"%s\"", *r);
	}
	for (unsigned i = 0; (s = config_setting_get_elem(g, i)) != NULL; i++)
		config_field_member(rd, s, prefix, f, fkey, &m);
	if (!m.typed)
		goto out;
	config_field_bounds(rd, prefix, f, &m);
	config_field_max_length(rd, prefix, f, m.max_length);
	key = xasprintf("%s.choices", prefix);
	if (f->type == FIELD_CHOICE && m.choices == NULL)
		config_error(rd, g, prefix, "missing required key \"choices\" "
		    "(a choice field lists its choices)");
	else if (f->type == FIELD_CHOICE)
		config_field_choices(rd, m.choices, key, false, &f->choices, &f->n_choices);
	else if (m.choices != NULL)
		config_error(rd, m.choices, key, "only applies to choice fields");
	free(key);
	config_field_english_choices(rd, g, prefix, f, &m);
	config_field_not_future(rd, prefix, f, m.not_future);
out:
	if (rd->errs->n == before)
		return true;
	config_field_free(f);
	return false;
}

/*
 * The fields of a form: every one checked, keys distinct (also among the
 * fields with other mistakes, so that each mistake shows in one run).
 */
static void
config_form_fields(struct config_reader *rd, const config_setting_t *list,
    const char *key, struct config_form *form)
{
	const config_setting_t *g;
	int type = config_setting_type(list), *lines;
	size_t i, j, n = 0;
	char *fkey, **keys;
	bool ok;

	if (type != CONFIG_TYPE_LIST)
		config_error(rd, list, key, "expected a list of groups ( { key = ...; "
		    "label = ...; type = ...; }, ... ), got %s", config_type_name(type));
	else if ((n = (size_t)config_setting_length(list)) == 0)
		config_error(rd, list, key, "needs at least one field");
	else if (n > CONFIG_FORM_FIELDS_MAX) {
		config_error(rd, list, key, "may have at most %d fields, got %zu",
		    CONFIG_FORM_FIELDS_MAX, n);
		n = 0;
	}
	form->fields = xcalloc(n + 1, sizeof *form->fields);
	keys = xcalloc(n + 1, sizeof *keys);
	lines = xcalloc(n + 1, sizeof *lines);
	for (i = 0; i < n; i++) {
		struct config_field f;

		g = config_setting_get_elem(list, (unsigned)i);
		fkey = xasprintf("%s[%zu]", key, i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			config_error(rd, g, fkey, "expected a group { ... }, got %s",
			    config_type_name(config_setting_type(g)));
			free(fkey);
			continue;
		}
		ok = config_field_load(rd, g, fkey, &f, &keys[i]);
		lines[i] = config_setting_source_line(g);
		for (j = 0; keys[i] != NULL && j < i; j++) {
			if (keys[j] == NULL || strcmp(keys[i], keys[j]) != 0)
				continue;
			free(fkey);
			fkey = xasprintf("%s[%zu].key", key, i);
			config_error(rd, config_setting_get_member(g, "key"), fkey,
			    "same key as %s[%zu] (line %d)", key, j, lines[j]);
			if (ok)
				config_field_free(&f);
			ok = false;
			break;
		}
		if (ok)
			form->fields[form->n_fields++] = f;
		free(fkey);
	}
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(lines);
}

/*
 * A form's review chain (review = ["unit", "authority"]): the steps that
 * decide its records, in order, each "unit" or "authority", none twice, the
 * authority last (it has the last word).  Sets form->review to the chain's
 * REVIEW_CHAIN_* literal, or records every mistake and leaves the default.
 */
static void
config_form_review(struct config_reader *rd, const config_setting_t *list, const char *key,
    struct config_form *form)
{
	static const char *const steps[] = { "unit", "authority", NULL };
	int type = config_setting_type(list), v, seen[2] = { -1, -1 };
	size_t n = 0, i, before = rd->errs->n;
	char *ekey;

	if (type != CONFIG_TYPE_LIST && type != CONFIG_TYPE_ARRAY) {
		config_error(rd, list, key, "expected a list of review steps "
		    "([\"unit\"], [\"authority\"] or [\"unit\", \"authority\"]), got %s",
		    config_type_name(type));
		return;
	}
	if ((n = (size_t)config_setting_length(list)) == 0) {
		config_error(rd, list, key, "needs at least one review step (\"unit\", "
		    "\"authority\")");
		return;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);

		ekey = xasprintf("%s[%zu]", key, i);
		if ((v = config_member_enum(rd, s, ekey, steps)) >= 0) {
			if (seen[v] >= 0)
				config_error(rd, s, ekey, "step \"%s\" is listed twice", steps[v]);
			else if (i >= 2)
				config_error(rd, s, ekey, "a chain has at most two steps");
			else
				seen[v] = (int)i;
		}
		free(ekey);
	}
	if (rd->errs->n != before)
		return;
	if (seen[1] >= 0 && seen[0] > seen[1]) {
		config_error(rd, list, key, "\"authority\" must be the last step (the "
		    "authority has the last word)");
		return;
	}
	form->review = seen[0] < 0 ? REVIEW_CHAIN_AUTHORITY :
	    seen[1] < 0 ? REVIEW_CHAIN_UNIT : REVIEW_CHAIN_UNIT_AUTHORITY;
}

/*
 * Load one learning form (group g, index idx) into *form.  Returns true when
 * it is entirely valid; otherwise records every mistake (missing members
 * first, at the form's line, then the rest in file order), frees what was
 * filled in and returns false.  *code and *name get copies of the form's
 * code and name when those were valid (for the duplicate checks), else
 * NULL; the caller frees them.
 */
static bool
config_form_load(struct config_reader *rd, const config_setting_t *g,
    size_t idx, struct config_form *form, char **code, char **fname)
{
	static const char *const members[] = {
		"code", "name", "name_en", "category", "fields", NULL
	};
	const config_setting_t *s, *scredit = NULL;
	const char *name, *str, *const *m;
	size_t before = rd->errs->n, i;
	char prefix[64], *key;
	int v;

	memset(form, 0, sizeof *form);
	*code = *fname = NULL;
	form->line = config_setting_source_line(g);
	form->counts = FORM_COUNTS_HOURS;
	form->credit_hours = 1.0;
	form->attachment = FORM_ATTACHMENT_OPTIONAL;
	form->review = REVIEW_CHAIN_UNIT;
	snprintf(prefix, sizeof prefix, "learning_forms[%zu]", idx);

	for (m = members; *m != NULL; m++) {
		if (config_setting_get_member(g, *m) == NULL)
			config_error(rd, g, prefix, "missing required key \"%s\"", *m);
	}
	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL; i++) {
		name = config_setting_name(s);
		key = xasprintf("%s.%s", prefix, name);
		if (strcmp(name, "code") == 0) {
			if ((str = config_ident(rd, s, key)) != NULL) {
				form->code = xstrdup(str);
				*code = xstrdup(str);
			}
		} else if (strcmp(name, "name") == 0) {
			if ((str = config_name_text(rd, s, key)) != NULL) {
				form->name = xstrdup(str);
				*fname = xstrdup(str);
			}
		} else if (strcmp(name, "name_en") == 0) {
			if ((str = config_english_text(rd, s, key)) != NULL)
				form->name_en = xstrdup(str);
		} else if (strcmp(name, "category") == 0) {
			if ((v = config_member_enum(rd, s, key, config_form_categories)) >= 0)
				form->category = (enum form_category)v;
		} else if (strcmp(name, "counts") == 0) {
			if ((v = config_member_enum(rd, s, key, config_form_counts)) >= 0)
				form->counts = (enum form_counts)v;
		} else if (strcmp(name, "credit_hours") == 0) {
			scredit = s;
			config_number_in(rd, s, key, 0, true, 1000, &form->credit_hours);
		} else if (strcmp(name, "yearly_cap") == 0) {
			config_number_in(rd, s, key, 0, false, 10000, &form->yearly_cap);
		} else if (strcmp(name, "attachment") == 0) {
			if ((v = config_member_enum(rd, s, key, config_form_attachments)) >= 0)
				form->attachment = (enum form_attachment)v;
		} else if (strcmp(name, "review") == 0) {
			config_form_review(rd, s, key, form);
		} else if (strcmp(name, "fields") == 0)
			config_form_fields(rd, s, key, form);
		else
			config_error(rd, s, key, "unknown key (expected code, name, "
			    "name_en, category, counts, credit_hours, yearly_cap, attachment, "
			    "review and fields)");
		free(key);
	}
	/* Hours are counted as they are: a conversion would be a silent mistake. */
	if (scredit != NULL && form->counts == FORM_COUNTS_HOURS &&
	    form->credit_hours != 1.0) {
		key = xasprintf("%s.credit_hours", prefix);
		config_error(rd, scredit, key, "only applies with counts = \"credits\" "
		    "(hours count as they are), got %g", form->credit_hours);
		free(key);
	}

	if (rd->errs->n == before)
		return true;
	config_form_free(form);
	return false;
}

/*
 * Load learning_forms: a list of groups.  Valid forms are kept; a form
 * with any mistake, or whose code or name repeats an earlier form's, is
 * reported and dropped.
 */
static void
config_load_forms(struct config_reader *rd, const config_setting_t *s)
{
	struct config *cfg = rd->cfg;
	const config_setting_t *g;
	int type = config_setting_type(s), *lines;
	size_t n, i, j;
	char key[64], **codes, **names;
	bool ok;

	n = (size_t)config_setting_length(s);
	if (type != CONFIG_TYPE_LIST && !(type == CONFIG_TYPE_ARRAY && n == 0)) {
		config_error(rd, s, "learning_forms", "expected a list of groups "
		    "( { code = ...; name = ...; category = ...; fields = (...); }, "
		    "... ), got %s", config_type_name(type));
		return;
	}
	for (i = 0; i < cfg->n_forms; i++)
		config_form_free(&cfg->forms[i]);
	free(cfg->forms);
	cfg->forms = xcalloc(n + 1, sizeof *cfg->forms);
	cfg->n_forms = 0;

	codes = xcalloc(n + 1, sizeof *codes);
	names = xcalloc(n + 1, sizeof *names);
	lines = xcalloc(n + 1, sizeof *lines);
	for (i = 0; i < n; i++) {
		struct config_form f;

		g = config_setting_get_elem(s, (unsigned)i);
		snprintf(key, sizeof key, "learning_forms[%zu]", i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			config_error(rd, g, key, "expected a group { ... }, got %s",
			    config_type_name(config_setting_type(g)));
			continue;
		}
		ok = config_form_load(rd, g, i, &f, &codes[i], &names[i]);
		lines[i] = config_setting_source_line(g);
		for (j = 0; j < i; j++) {
			if (codes[i] != NULL && codes[j] != NULL &&
			    strcmp(codes[i], codes[j]) == 0) {
				snprintf(key, sizeof key, "learning_forms[%zu].code", i);
				config_error(rd, config_setting_get_member(g, "code"), key,
				    "same code as learning_forms[%zu] (line %d)", j, lines[j]);
				ok = false;
			}
			if (names[i] != NULL && names[j] != NULL &&
			    strcmp(names[i], names[j]) == 0) {
				snprintf(key, sizeof key, "learning_forms[%zu].name", i);
				config_error(rd, config_setting_get_member(g, "name"), key,
				    "same name as learning_forms[%zu] (line %d)", j, lines[j]);
				ok = false;
			}
		}
		if (ok)
			cfg->forms[cfg->n_forms++] = f;
		else
			config_form_free(&f);
	}
	for (i = 0; i < n; i++) {
		free(codes[i]);
		free(names[i]);
	}
	free(codes);
	free(names);
	free(lines);
}

/*
 * Annual requirements (requirements): a list of groups { year; total;
 * professional; public; }, each in force from its year until the next
 * entry's.  An entry with any mistake, or whose year repeats an earlier
 * entry's, is reported and dropped.
 */

#define CONFIG_REQUIRED_MAX	10000	/* hours of any figure of a requirement */
#define CONFIG_YEAR_MIN		2000
#define CONFIG_YEAR_MAX		2200	/* what a declaration's year may be */

/* The built-in requirement, in force when the config lists none. */
static const struct config_requirement config_requirement_default = {
	.year = CONFIG_YEAR_MIN,
	.total = CONFIG_REQUIRED_TOTAL,
	.professional = CONFIG_REQUIRED_PROFESSIONAL,
	.public = CONFIG_REQUIRED_PUBLIC,
};

/* v (at most 4 decimals) in units of 0.0001, exactly. */
static long long
config_ten_thousandths(double v)
{
	return (long long)(v * 1e4 + (v < 0 ? -0.5 : 0.5));
}

/*
 * Load one requirement (group g, index idx) into *r.  Returns true when it
 * is entirely valid; otherwise records every mistake (missing members
 * first, at the entry's line, then the rest in file order) and returns
 * false.  professional defaults to two thirds of total (rounded up to the
 * hundredth, so "at least two thirds" holds), public to the province's
 * floor, CONFIG_REQUIRED_PUBLIC.
 */
static bool
config_requirement_load(struct config_reader *rd, const config_setting_t *g,
    size_t idx, struct config_requirement *r)
{
	static const char *const members[] = { "year", "total", NULL };
	const config_setting_t *s;
	const char *name, *const *m;
	size_t before = rd->errs->n, i;
	char prefix[64], q[CONFIG_QUOTE_MAX * 4 + 16], *key;
	bool has_professional = false;
	long long v;

	memset(r, 0, sizeof *r);
	r->line = config_setting_source_line(g);
	r->public = CONFIG_REQUIRED_PUBLIC;
	snprintf(prefix, sizeof prefix, "requirements[%zu]", idx);

	for (m = members; *m != NULL; m++) {
		if (config_setting_get_member(g, *m) == NULL)
			config_error(rd, g, prefix, "missing required key \"%s\"", *m);
	}
	for (i = 0; (s = config_setting_get_elem(g, (unsigned)i)) != NULL; i++) {
		name = config_setting_name(s);
		key = xasprintf("%s.%s", prefix, name);
		if (strcmp(name, "year") == 0) {
			if (config_setting_type(s) == CONFIG_TYPE_INT) {
				v = config_setting_get_int(s);
				if (config_int_wrapped(rd, s, v, q, sizeof q))
					config_error(rd, s, key, "must be between %d and %d, "
					    "got %s", CONFIG_YEAR_MIN, CONFIG_YEAR_MAX, q);
				else if (v < CONFIG_YEAR_MIN || v > CONFIG_YEAR_MAX)
					config_error(rd, s, key, "must be between %d and %d, "
					    "got %lld", CONFIG_YEAR_MIN, CONFIG_YEAR_MAX, v);
				else
					r->year = (int)v;
			} else if (config_setting_type(s) == CONFIG_TYPE_INT64)
				config_error(rd, s, key, "must be between %d and %d, got %lld",
				    CONFIG_YEAR_MIN, CONFIG_YEAR_MAX,
				    (long long)config_setting_get_int64(s));
			else
				config_error(rd, s, key, "expected an integer (a year), got %s",
				    config_type_name(config_setting_type(s)));
		} else if (strcmp(name, "total") == 0)
			config_number_in(rd, s, key, 0, true, CONFIG_REQUIRED_MAX, &r->total);
		else if (strcmp(name, "professional") == 0)
			has_professional = config_number_in(rd, s, key, 0, false,
			    CONFIG_REQUIRED_MAX, &r->professional);
		else if (strcmp(name, "public") == 0)
			config_number_in(rd, s, key, 0, false, CONFIG_REQUIRED_MAX, &r->public);
		else
			config_error(rd, s, key, "unknown key (expected year, total, "
			    "professional and public)");
		free(key);
	}
	if (rd->errs->n != before)
		return false;

	/* Integers of 0.0001 hours: no rounding can make a sum look larger. */
	v = config_ten_thousandths(r->total);
	if (!has_professional)
		r->professional = (double)((v * 2 + 299) / 300) / 100;
	if (config_ten_thousandths(r->professional) + config_ten_thousandths(r->public) > v) {
		config_error(rd, g, prefix, "professional (%g%s) and public (%g%s) add up "
		    "to more than total (%g)", r->professional,
		    has_professional ? "" : ", two thirds of total by default", r->public,
		    config_setting_get_member(g, "public") != NULL ? "" : ", by default",
		    r->total);
		return false;
	}
	return true;
}

/*
 * Load requirements: a list of groups.  Valid entries are kept in file
 * order; a mistaken one, or one whose year repeats an earlier entry's, is
 * reported and dropped.
 */
static void
config_load_requirements(struct config_reader *rd, const config_setting_t *s)
{
	struct config *cfg = rd->cfg;
	const config_setting_t *g;
	int type = config_setting_type(s), *years, *lines;
	size_t n, i, j;
	char key[64];
	bool ok;

	n = (size_t)config_setting_length(s);
	if (type != CONFIG_TYPE_LIST && !(type == CONFIG_TYPE_ARRAY && n == 0)) {
		config_error(rd, s, "requirements", "expected a list of groups "
		    "( { year = ...; total = ...; professional = ...; public = ...; }, "
		    "... ), got %s", config_type_name(type));
		return;
	}
	free(cfg->requirements);
	cfg->requirements = xcalloc(n + 1, sizeof *cfg->requirements);
	cfg->n_requirements = 0;
	years = xcalloc(n + 1, sizeof *years);
	lines = xcalloc(n + 1, sizeof *lines);
	for (i = 0; i < n; i++) {
		struct config_requirement r;

		g = config_setting_get_elem(s, (unsigned)i);
		snprintf(key, sizeof key, "requirements[%zu]", i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			config_error(rd, g, key, "expected a group { ... }, got %s",
			    config_type_name(config_setting_type(g)));
			continue;
		}
		ok = config_requirement_load(rd, g, i, &r);
		lines[i] = config_setting_source_line(g);
		years[i] = r.year;	/* 0 when the year was missing or wrong */
		for (j = 0; years[i] != 0 && j < i; j++) {
			if (years[j] != years[i])
				continue;
			snprintf(key, sizeof key, "requirements[%zu].year", i);
			config_error(rd, config_setting_get_member(g, "year"), key,
			    "same year as requirements[%zu] (line %d)", j, lines[j]);
			ok = false;
			break;
		}
		if (ok)
			cfg->requirements[cfg->n_requirements++] = r;
	}
	free(years);
	free(lines);
}

const struct config_requirement *
config_requirement_for(const struct config *cfg, int year)
{
	const struct config_requirement *best = NULL, *earliest = NULL, *r;
	size_t i;

	for (i = 0; i < cfg->n_requirements; i++) {
		r = &cfg->requirements[i];
		if (earliest == NULL || r->year < earliest->year)
			earliest = r;
		if (r->year <= year && (best == NULL || r->year > best->year))
			best = r;
	}
	if (best != NULL)
		return best;
	return earliest != NULL ? earliest : &config_requirement_default;
}

static bool
config_requirement_same(const struct config_requirement *x,
    const struct config_requirement *y)
{
	return x->total == y->total && x->professional == y->professional &&
	    x->public == y->public;
}

/*
 * Whether a and b require the same of every year.  What a year requires
 * changes only at an entry's year, so comparing at each entry's year of
 * either, and before all of them, compares every year: a reordered list,
 * or the default written out, is no change.
 */
static bool
config_requirements_equal(const struct config *a, const struct config *b)
{
	const struct config *both[2] = { a, b };
	size_t i, k;
	int y;

	if (!config_requirement_same(config_requirement_for(a, INT_MIN),
	    config_requirement_for(b, INT_MIN)))
		return false;
	for (k = 0; k < 2; k++) {
		for (i = 0; i < both[k]->n_requirements; i++) {
			y = both[k]->requirements[i].year;
			if (!config_requirement_same(config_requirement_for(a, y),
			    config_requirement_for(b, y)))
				return false;
		}
	}
	return true;
}

static bool
config_string_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
config_field_equal(const struct config_field *x, const struct config_field *y)
{
	size_t i;

	if (!config_string_equal(x->key, y->key) ||
	    !config_string_equal(x->label, y->label) ||
	    !config_string_equal(x->label_en, y->label_en) || x->type != y->type ||
	    x->not_future != y->not_future ||
	    x->required != y->required || x->has_min != y->has_min ||
	    x->has_max != y->has_max || (x->has_min && x->min != y->min) ||
	    (x->has_max && x->max != y->max) || x->max_length != y->max_length ||
	    x->n_choices != y->n_choices)
		return false;
	for (i = 0; i < x->n_choices; i++) {
		if (strcmp(x->choices[i], y->choices[i]) != 0 ||
		    strcmp(x->choices_en[i], y->choices_en[i]) != 0)
			return false;
	}
	return true;
}

static bool
config_forms_equal(const struct config *a, const struct config *b)
{
	const struct config_form *x, *y;
	size_t i, j;

	if (a->n_forms != b->n_forms)
		return false;
	for (i = 0; i < a->n_forms; i++) {
		x = &a->forms[i];
		y = &b->forms[i];
		if (!config_string_equal(x->code, y->code) ||
		    !config_string_equal(x->name, y->name) ||
		    !config_string_equal(x->name_en, y->name_en) ||
		    x->category != y->category || x->counts != y->counts ||
		    x->credit_hours != y->credit_hours ||
		    x->yearly_cap != y->yearly_cap || x->attachment != y->attachment ||
		    strcmp(x->review, y->review) != 0 || x->n_fields != y->n_fields)
			return false;
		for (j = 0; j < x->n_fields; j++) {
			if (!config_field_equal(&x->fields[j], &y->fields[j]))
				return false;
		}
	}
	return true;
}

/* --- base_kinds (continuing-education bases, issue 15) ------------------- */

static void
config_base_kind_free(struct config_base_kind *k)
{
	free(k->kind);
	config_strings_free(k->forms);
	memset(k, 0, sizeof *k);
}

/*
 * The forms of a base kind (a list or array of form codes, at least one,
 * none twice) into k->forms.  Whether each names a learning form is
 * checked once the whole file is read (config_check_base_kinds).
 */
static void
config_base_kind_forms(struct config_reader *rd, const config_setting_t *list,
    const char *key, struct config_base_kind *k)
{
	int type = config_setting_type(list);
	size_t n = 0, i, j;
	const char *code;
	char *ekey;

	if (type != CONFIG_TYPE_LIST && type != CONFIG_TYPE_ARRAY)
		config_error(rd, list, key, "expected a list of learning form codes, got %s",
		    config_type_name(type));
	else if ((n = (size_t)config_setting_length(list)) == 0)
		config_error(rd, list, key, "needs at least one learning form code");
	k->forms = xcalloc(n + 1, sizeof *k->forms);
	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);

		ekey = xasprintf("%s[%zu]", key, i);
		if ((code = config_ident(rd, s, ekey)) != NULL) {
			for (j = 0; j < k->n_forms && strcmp(k->forms[j], code) != 0; j++)
				;
			if (j < k->n_forms)
				config_error(rd, s, ekey, "form %s is listed twice", code);
			else
				k->forms[k->n_forms++] = xstrdup(code);
		}
		free(ekey);
	}
}

/*
 * Load base_kinds: a list of groups { kind = "medical"; forms = [...]; }.
 * A kind with any mistake, or repeating an earlier kind, is reported and
 * dropped.
 */
static void
config_load_base_kinds(struct config_reader *rd, const config_setting_t *s)
{
	struct config *cfg = rd->cfg;
	int type = config_setting_type(s);
	size_t n = (size_t)config_setting_length(s), i, j;

	if (type != CONFIG_TYPE_LIST && !(type == CONFIG_TYPE_ARRAY && n == 0)) {
		config_error(rd, s, "base_kinds", "expected a list of groups "
		    "( { kind = ...; forms = [...]; }, ... ), got %s", config_type_name(type));
		return;
	}
	for (i = 0; i < cfg->n_base_kinds; i++)
		config_base_kind_free(&cfg->base_kinds[i]);
	free(cfg->base_kinds);
	cfg->base_kinds = xcalloc(n + 1, sizeof *cfg->base_kinds);
	cfg->n_base_kinds = 0;
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(s, (unsigned)i), *m;
		struct config_base_kind k = { .line = config_setting_source_line(g) };
		size_t before = rd->errs->n;
		const char *str;
		char prefix[64], *key;

		snprintf(prefix, sizeof prefix, "base_kinds[%zu]", i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			config_error(rd, g, prefix, "expected a group { ... }, got %s",
			    config_type_name(config_setting_type(g)));
			continue;
		}
		if (config_setting_get_member(g, "kind") == NULL)
			config_error(rd, g, prefix, "missing required key \"kind\"");
		if (config_setting_get_member(g, "forms") == NULL)
			config_error(rd, g, prefix, "missing required key \"forms\"");
		for (unsigned e = 0; (m = config_setting_get_elem(g, e)) != NULL; e++) {
			key = xasprintf("%s.%s", prefix, config_setting_name(m));
			if (strcmp(config_setting_name(m), "kind") == 0) {
				if ((str = config_ident(rd, m, key)) != NULL)
					k.kind = xstrdup(str);
			} else if (strcmp(config_setting_name(m), "forms") == 0)
				config_base_kind_forms(rd, m, key, &k);
			else
				config_error(rd, m, key, "unknown key (expected kind and forms)");
			free(key);
		}
		for (j = 0; k.kind != NULL && j < cfg->n_base_kinds; j++) {
			if (strcmp(cfg->base_kinds[j].kind, k.kind) == 0) {
				key = xasprintf("%s.kind", prefix);
				config_error(rd, g, key, "kind %s repeats line %d", k.kind,
				    cfg->base_kinds[j].line);
				free(key);
				break;
			}
		}
		if (rd->errs->n == before)
			cfg->base_kinds[cfg->n_base_kinds++] = k;
		else
			config_base_kind_free(&k);
	}
}

/*
 * After the whole file (learning_forms may come after base_kinds): every
 * form a kind names is a learning form.  A kind naming another is reported
 * and dropped.
 */
static void
config_check_base_kinds(struct config_reader *rd)
{
	struct config *cfg = rd->cfg;
	size_t i, j, f, kept = 0;

	for (i = 0; i < cfg->n_base_kinds; i++) {
		struct config_base_kind *k = &cfg->base_kinds[i];
		bool ok = true;

		for (j = 0; j < k->n_forms; j++) {
			for (f = 0; f < cfg->n_forms && strcmp(cfg->forms[f].code, k->forms[j]) != 0;
			    f++)
				;
			if (f == cfg->n_forms) {
				config_errors_add(rd->errs, "%s:%d: base_kinds: %s: no learning "
				    "form %s in learning_forms", cfg->path, k->line, k->kind,
				    k->forms[j]);
				ok = false;
			}
		}
		if (ok)
			cfg->base_kinds[kept++] = *k;
		else
			config_base_kind_free(k);
	}
	cfg->n_base_kinds = kept;
}

static bool
config_base_kinds_equal(const struct config *a, const struct config *b)
{
	if (a->n_base_kinds != b->n_base_kinds)
		return false;
	for (size_t i = 0; i < a->n_base_kinds; i++) {
		const struct config_base_kind *x = &a->base_kinds[i], *y = &b->base_kinds[i];

		if (strcmp(x->kind, y->kind) != 0 || x->n_forms != y->n_forms)
			return false;
		for (size_t j = 0; j < x->n_forms; j++) {
			if (strcmp(x->forms[j], y->forms[j]) != 0)
				return false;
		}
	}
	return true;
}

const struct config_base_kind *
config_base_kind(const struct config *cfg, const char *kind)
{
	for (size_t i = 0; i < cfg->n_base_kinds; i++) {
		if (strcmp(cfg->base_kinds[i].kind, kind) == 0)
			return &cfg->base_kinds[i];
	}
	return NULL;
}

/* Check and store one setting of the root or of a known group. */
static void
config_load_setting(struct config_reader *rd, const config_setting_t *s,
    const char *group)
{
	const struct config_key *k;
	const config_setting_t *child;
	char *path;
	unsigned i;

	if (group != NULL)
		path = xasprintf("%s.%s", group, config_setting_name(s));
	else
		path = xstrdup(config_setting_name(s));

	if (group == NULL && config_group_known(path)) {
		if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
			config_error(rd, s, path, "expected a group { ... }, got %s",
			    config_type_name(config_setting_type(s)));
			goto out;
		}
		for (i = 0; (child = config_setting_get_elem(s, i)) != NULL; i++)
			config_load_setting(rd, child, path);
		goto out;
	}
	if ((k = config_key_find(path)) == NULL)
		config_unknown(rd, s, path);
	else if (k->type == CONFIG_KEY_ADMINS)
		config_load_admins(rd, &config_unit_admins, s);
	else if (k->type == CONFIG_KEY_BASE_ADMINS)
		config_load_admins(rd, &config_base_admins, s);
	else if (k->type == CONFIG_KEY_AUTHORITY_ADMINS)
		config_load_admins(rd, &config_authority_admins, s);
	else if (k->type == CONFIG_KEY_BASE_KINDS)
		config_load_base_kinds(rd, s);
	else if (k->type == CONFIG_KEY_FORMS)
		config_load_forms(rd, s);
	else if (k->type == CONFIG_KEY_REQUIREMENTS)
		config_load_requirements(rd, s);
	else
		config_load_scalar(rd, k, s);
out:
	free(path);
}

/* Defaults only: every key at its table default, no unit admins. */
void
config_defaults(struct config *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof *cfg);
	cfg->path = xstrdup(CONFIG_DEFAULT_PATH);
	for (i = 0; i < CONFIG_NKEYS; i++)
		config_key_default(&config_keys[i], cfg);
}

/*
 * Read path into *cfg; see config.h.  *cfg is overwritten (it must not hold
 * anything to free).  Returns 0 when valid, -1 with the mistakes in errs.
 */
int
config_load(const char *path, struct config *cfg, struct config_errors *errs)
{
	struct config_reader rd = { .path = path, .cfg = cfg, .errs = errs };
	size_t before = errs->n;
	const config_setting_t *root, *s;
	const char *slash, *file, *text;
	char *dir = NULL;
	struct stat st;
	config_t lc;
	FILE *fp;
	unsigned i;

	config_defaults(cfg);
	free(cfg->path);
	cfg->path = xstrdup(path);

	/* libconfig only says "file I/O error"; find out why ourselves. */
	if ((fp = fopen(path, "r")) == NULL) {
		config_errors_add(errs, "%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(fp);
		config_errors_add(errs, "%s: cannot read: %s", path, strerror(EISDIR));
		return -1;
	}
	fclose(fp);

	config_init(&lc);
	/* @include "x.conf" is relative to the including file's directory. */
	if ((slash = strrchr(path, '/')) != NULL)
		dir = xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
	rd.dir = dir;
	config_set_include_dir(&lc, dir != NULL ? dir : ".");

	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		file = config_error_file(&lc);
		/* bison's own words, which would read "syntax error: syntax error" */
		text = config_error_text(&lc);
		if (text == NULL || strcmp(text, "syntax error") == 0)
			text = "unexpected token";
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO && file == NULL)
			config_errors_add(errs, "%s: cannot read: %s", path,
			    config_error_text(&lc));
		else if (file == NULL || strcmp(file, path) == 0 ||
		    file[0] == '/' || dir == NULL)
			config_errors_add(errs, "%s:%d: syntax error: %s",
			    file != NULL ? file : path, config_error_line(&lc), text);
		else
			config_errors_add(errs, "%s/%s:%d: syntax error: %s",
			    dir, file, config_error_line(&lc), text);
		goto out;
	}
	root = config_root_setting(&lc);
	for (i = 0; (s = config_setting_get_elem(root, i)) != NULL; i++)
		config_load_setting(&rd, s, NULL);
	config_check_admins(&rd);
	config_check_base_kinds(&rd);

out:
	config_destroy(&lc);
	free(dir);
	free(rd.src_file);
	free(rd.src);
	return errs->n == before ? 0 : -1;
}

/* Free what cfg holds and leave it zeroed. */
void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->path);
	for (i = 0; i < CONFIG_NKEYS; i++) {
		if (config_keys[i].type == CONFIG_KEY_STRING)
			free(*CONFIG_FIELD(cfg, &config_keys[i], char *));
		else if (config_keys[i].type == CONFIG_KEY_STRINGS)
			config_strings_free(*CONFIG_FIELD(cfg, &config_keys[i], char **));
	}
	for (i = 0; i < cfg->n_admins; i++)
		config_admin_free(&cfg->admins[i]);
	free(cfg->admins);
	for (i = 0; i < cfg->n_base_admins; i++)
		config_admin_free(&cfg->base_admins[i]);
	free(cfg->base_admins);
	for (i = 0; i < cfg->n_authority_admins; i++)
		config_admin_free(&cfg->authority_admins[i]);
	free(cfg->authority_admins);
	for (i = 0; i < cfg->n_base_kinds; i++)
		config_base_kind_free(&cfg->base_kinds[i]);
	free(cfg->base_kinds);
	for (i = 0; i < cfg->n_forms; i++)
		config_form_free(&cfg->forms[i]);
	free(cfg->forms);
	free(cfg->requirements);
	memset(cfg, 0, sizeof *cfg);
}

/*
 * The configuration in force.  A reload replaces it whole, never in place:
 * a session thread that took a reference reads one configuration to the
 * end of its request.  The replaced ones are retired, not freed, because a
 * thread may still hold one; a reload is rare and small, and this keeps
 * locks off the request path.  Only the main thread publishes.
 */
static struct config *_Atomic config_in_force;
static const struct config *config_first;	/* the caller's; not ours to free */
static struct config **config_retired;
static size_t config_n_retired;

const struct config *
config_current(void)
{
	return atomic_load(&config_in_force);
}

static void
config_retire(struct config *cfg)
{
	if (cfg == NULL || cfg == config_first)
		return;
	config_retired = xrealloc(config_retired,
	    (config_n_retired + 1) * sizeof *config_retired);
	config_retired[config_n_retired++] = cfg;
}

void
config_publish(struct config *cfg)
{
	if (config_first == NULL)
		config_first = cfg;
	config_retire(atomic_exchange(&config_in_force, cfg));
}

void
config_retire_all(void)
{
	config_retire(atomic_exchange(&config_in_force, NULL));
	for (size_t i = 0; i < config_n_retired; i++) {
		config_free(config_retired[i]);
		free(config_retired[i]);
	}
	free(config_retired);
	config_retired = NULL;
	config_n_retired = 0;
	config_first = NULL;
}

void
config_errors_free(struct config_errors *errs)
{
	size_t i;

	if (errs == NULL)
		return;
	for (i = 0; i < errs->n; i++)
		free(errs->lines[i]);
	free(errs->lines);
	errs->lines = NULL;
	errs->n = 0;
}

/* Two strings either of which may be NULL. */
static bool
config_same(const char *x, const char *y)
{
	return x == NULL || y == NULL ? x == y : strcmp(x, y) == 0;
}

static bool
config_admins_equal(const struct config_admin *xs, size_t nx, const struct config_admin *ys,
    size_t ny)
{
	const struct config_admin *x, *y;
	size_t i, j;

	if (nx != ny)
		return false;
	for (i = 0; i < nx; i++) {
		x = &xs[i];
		y = &ys[i];
		if (strcmp(x->id_number, y->id_number) != 0 ||
		    strcmp(x->name, y->name) != 0 || !config_same(x->unit, y->unit) ||
		    !config_same(x->base, y->base) || !config_same(x->scope, y->scope) ||
		    x->n_keys != y->n_keys)
			return false;
		for (j = 0; j < x->n_keys; j++) {
			if (strcmp(x->keys[j], y->keys[j]) != 0)
				return false;
		}
	}
	return true;
}

static bool
config_key_equal(const struct config_key *k, const struct config *a,
    const struct config *b)
{
	const char *sa, *sb;

	switch (k->type) {
	case CONFIG_KEY_STRING:
		sa = *CONFIG_CFIELD(a, k, char *);
		sb = *CONFIG_CFIELD(b, k, char *);
		if (sa == NULL || sb == NULL)
			return sa == sb;
		return strcmp(sa, sb) == 0;
	case CONFIG_KEY_INT:
	case CONFIG_KEY_ENUM:
		return *CONFIG_CFIELD(a, k, int) == *CONFIG_CFIELD(b, k, int);
	case CONFIG_KEY_BOOL:
		return *CONFIG_CFIELD(a, k, bool) == *CONFIG_CFIELD(b, k, bool);
	case CONFIG_KEY_STRINGS: {
		typedef char **string_list;
		const string_list la = *CONFIG_CFIELD(a, k, string_list);
		const string_list lb = *CONFIG_CFIELD(b, k, string_list);
		size_t i = 0;

		for (; la != NULL && lb != NULL && la[i] != NULL && lb[i] != NULL; i++) {
			if (strcmp(la[i], lb[i]) != 0)
				return false;
		}
		return (la == NULL || la[i] == NULL) && (lb == NULL || lb[i] == NULL);
	}
	case CONFIG_KEY_ADMINS:
		return config_admins_equal(a->admins, a->n_admins, b->admins, b->n_admins);
	case CONFIG_KEY_BASE_ADMINS:
		return config_admins_equal(a->base_admins, a->n_base_admins, b->base_admins,
		    b->n_base_admins);
	case CONFIG_KEY_AUTHORITY_ADMINS:
		return config_admins_equal(a->authority_admins, a->n_authority_admins,
		    b->authority_admins, b->n_authority_admins);
	case CONFIG_KEY_BASE_KINDS:
		return config_base_kinds_equal(a, b);
	case CONFIG_KEY_FORMS:
		return config_forms_equal(a, b);
	case CONFIG_KEY_REQUIREMENTS:
		return config_requirements_equal(a, b);
	}
	return true;
}

/* Append ", name" (or "name" first) to buf, truncating safely. */
static void
config_list_add(char *buf, size_t size, const char *name)
{
	size_t len;

	if (size == 0)
		return;
	len = strlen(buf);
	snprintf(buf + len, size - len, "%s%s", len > 0 ? ", " : "", name);
}

/* See config.h: reloadable differences to buf, the others to restart_buf. */
void
config_diff(const struct config *a, const struct config *b,
    char *buf, size_t size, char *restart_buf, size_t restart_size)
{
	const struct config_key *k;
	size_t i;

	if (size > 0)
		buf[0] = '\0';
	if (restart_size > 0)
		restart_buf[0] = '\0';
	for (i = 0; i < CONFIG_NKEYS; i++) {
		k = &config_keys[i];
		if (config_key_equal(k, a, b))
			continue;
		if (k->reload)
			config_list_add(buf, size, k->path);
		else
			config_list_add(restart_buf, restart_size, k->path);
	}
}

const char *
captcha_mode_name(enum captcha_mode m)
{
	if ((unsigned)m >= sizeof config_captcha_modes /
	    sizeof config_captcha_modes[0] - 1)
		return "unknown";
	return config_captcha_modes[m];
}

const char *
log_level_name(enum log_level l)
{
	if ((unsigned)l >= sizeof config_log_levels /
	    sizeof config_log_levels[0] - 1)
		return "unknown";
	return config_log_levels[l];
}

/* The name of v in a NULL-terminated table of n + 1 entries, or "unknown". */
static const char *
config_enum_name(const char *const *names, size_t n, int v)
{
	if (v < 0 || (size_t)v >= n)
		return "unknown";
	return names[v];
}

#define CONFIG_ENUM_NAME(table, v) \
	config_enum_name(table, sizeof table / sizeof table[0] - 1, (int)(v))

const char *
form_category_name(enum form_category c)
{
	return CONFIG_ENUM_NAME(config_form_categories, c);
}

const char *
form_counts_name(enum form_counts c)
{
	return CONFIG_ENUM_NAME(config_form_counts, c);
}

const char *
form_attachment_name(enum form_attachment a)
{
	return CONFIG_ENUM_NAME(config_form_attachments, a);
}

const char *
field_type_name(enum field_type t)
{
	return CONFIG_ENUM_NAME(config_field_types, t);
}
