/*
 * test-config.c - jxjyd's configuration: defaults, a complete good file,
 * and broken files whose every mistake must be reported as
 * "FILE:LINE: key: what is wrong".  The files are in tests/unit/data.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jxjy-config.h"
#include "check.h"
#include "config.h"
#include "xmalloc.h"

#ifndef JXJY_TEST_DATA
#error "JXJY_TEST_DATA must name tests/unit/data"
#endif

#define DATA	JXJY_TEST_DATA

#define K1 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIADQPUtk0MWTOUydaukatlcZvnHpfnAkCxq8lnv0Pgnl admin@laptop"
#define K2 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMSpiTu01C42aKLJD0OSwo/HKdh1fXbW6rO0eHe631PB second"
#define K3 "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBNkvgPIMOVRLaTCSUhOIH4oJdkCh8UOfcTVVUmn+nALUrlWVPMmSsv7m1Rwq/qULaTx6ZIrHWqVdyxxkIQ0T6FE= ec"
#define K4 "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDUvDV/EvX5MmxweX4JwZhPwxucCXySy8l0DJVoAZviflU30gLxsLa+DIzcbjq4VruigKAYPqzIGyXQxPfzwGH5iFKl155BwOT31j2EJ83jvr/o6ZbKTuDGInUM3Z1yc6HJP88Ut5ciLHtWP/kjshSQFGq1sDN/P6f/w2SONQkjhQ== rsa"

/*
 * Note: CHECK evaluates its condition twice, so calls with side effects
 * (config_load) are made before it, never inside.
 *
 * Load DATA/name and check that exactly the errors in want are reported,
 * in order; each want line is relative to DATA ("x.conf:3: key: ...").
 * cfg is left loaded for further checks; the caller frees it.
 */
static void
expect_errors(const char *name, const char *const *want, size_t n_want,
    struct config *cfg)
{
	struct config_errors errs = { NULL, 0 };
	char *path = xasprintf("%s/%s", DATA, name), *expected;
	size_t i;
	int rc;

	rc = config_load(path, cfg, &errs);
	CHECK(rc == -1, "%s: refused", name);
	CHECK(errs.n == n_want, "%s: %zu errors reported (want %zu)", name,
	    errs.n, n_want);
	for (i = 0; i < n_want; i++) {
		expected = xasprintf("%s/%s", DATA, want[i]);
		CHECK_STR(i < errs.n ? errs.lines[i] : NULL, expected,
		    "%s: error %zu", name, i + 1);
		free(expected);
	}
	for (i = n_want; i < errs.n; i++)
		printf("# unexpected: %s\n", errs.lines[i]);
	config_errors_free(&errs);
	CHECK(errs.lines == NULL && errs.n == 0, "%s: errors freed", name);
	free(path);
}

#define NELEM(a)	(sizeof (a) / sizeof (a)[0])

static void
test_defaults(void)
{
	struct config c;

	config_defaults(&c);
	CHECK_STR(c.path, JXJY_SYSCONFDIR "/jxjyd.conf", "default path");
	CHECK_STR(c.listen_address, "0.0.0.0", "default listen_address");
	CHECK(c.port == 2222, "default port");
	CHECK_STR(c.host_key, "/var/lib/jxjy/ssh_host_ed25519_key", "default host_key");
	CHECK_STR(c.schema_dir, JXJY_SCHEMA_DIR, "default schema_dir");
	CHECK(!c.debug_methods, "default debug_methods false");
	CHECK_STR(c.db_conninfo, "dbname=jxjy", "default database.conninfo");
	CHECK_STR(c.db_listen_conninfo, "", "default database.listen_conninfo: conninfo's");
	CHECK(c.db_pool_size == 8, "default database.pool_size");
	CHECK(c.db_statement_timeout == 5000, "default database.statement_timeout");
	CHECK(c.log_level == LOG_LEVEL_INFO, "default log.level");
	CHECK(!c.log_syslog, "default log.syslog");
	CHECK(c.log_slow_request == 200, "default log.slow_request");
	CHECK(c.max_sessions == 5000, "default sessions.max");
	CHECK(c.max_sessions_per_source == 50, "default sessions.max_per_source");
	CHECK(c.max_line == 1048576, "default sessions.max_line");
	CHECK(c.idle_timeout == 1800, "default sessions.idle_timeout");
	CHECK(c.login_grace_time == 30, "default sessions.login_grace_time");
	CHECK(c.captcha == CAPTCHA_ALWAYS, "default security.captcha");
	CHECK(c.captcha_lifetime == 120, "default security.captcha_lifetime");
	CHECK(c.throttle_after == 3, "default security.throttle_after");
	CHECK(c.throttle_max_delay == 30, "default security.throttle_max_delay");
	CHECK(c.throttle_window == 900, "default security.throttle_window");
	CHECK(c.max_pending_applications == 3, "default security.max_pending_applications");
	CHECK(c.hash_threads == 2, "default security.hash_threads");
	CHECK(c.source_failures_per_minute == 30,
	    "default security.source_failures_per_minute");
	CHECK(c.admins == NULL && c.n_admins == 0, "no unit admins by default");
	CHECK(c.decl_years_back == 1, "default declarations.years_back");
	CHECK(c.decl_max_attachment == 10485760, "default declarations.max_attachment");
	CHECK(c.forms == NULL && c.n_forms == 0, "no learning forms by default");
	CHECK(c.requirements == NULL && c.n_requirements == 0, "no requirements by default");
	{
		const struct config_requirement *r = config_requirement_for(&c, 2025);

		CHECK(r->total == 90 && r->professional == 60 && r->public == 24 &&
		    r->line == 0, "default requirement: 90 in all, 60 专业, 24 公需");
		CHECK(config_requirement_for(&c, 1990) == r, "the default holds for any year");
	}
	config_free(&c);
	CHECK(c.path == NULL && c.listen_address == NULL, "config_free clears");
	config_free(&c);	/* twice is harmless */
}

static void
test_good(void)
{
	struct config c;
	struct config_errors errs = { NULL, 0 };
	const struct config_admin *a;
	int rc;

	rc = config_load(DATA "/good.conf", &c, &errs);
	CHECK(rc == 0 && errs.n == 0, "good.conf: accepted");
	if (errs.n > 0)
		printf("# first error: %s\n", errs.lines[0]);
	CHECK_STR(c.path, DATA "/good.conf", "path recorded");
	CHECK_STR(c.listen_address, "127.0.0.1", "listen_address");
	CHECK(c.port == 2022, "port (written as int64 2022L)");
	CHECK_STR(c.host_key, "/tmp/jxjy-test/host_key", "host_key");
	CHECK_STR(c.schema_dir, "/tmp/jxjy-test/schema", "schema_dir");
	CHECK(c.debug_methods, "debug_methods");
	CHECK_STR(c.db_conninfo, "host=/tmp dbname=jxjy_test", "database.conninfo");
	CHECK_STR(c.db_listen_conninfo, "host=/tmp port=5433 dbname=jxjy_test",
	    "database.listen_conninfo");
	CHECK(c.db_pool_size == 3, "database.pool_size");
	CHECK(c.db_statement_timeout == 0, "database.statement_timeout 0");
	CHECK(c.log_level == LOG_LEVEL_DEBUG, "log.level");
	CHECK(c.log_syslog, "log.syslog");
	CHECK(c.log_slow_request == 50, "log.slow_request");
	CHECK(c.max_sessions == 100, "sessions.max");
	CHECK(c.max_sessions_per_source == 10, "sessions.max_per_source");
	CHECK(c.max_line == 4096, "sessions.max_line");
	CHECK(c.idle_timeout == 0, "sessions.idle_timeout 0");
	CHECK(c.login_grace_time == 10, "sessions.login_grace_time");
	CHECK(c.captcha == CAPTCHA_AFTER_FAILURES, "security.captcha");
	CHECK(c.captcha_lifetime == 60, "security.captcha_lifetime");
	CHECK(c.throttle_after == 5, "security.throttle_after");
	CHECK(c.throttle_max_delay == 10, "security.throttle_max_delay");
	CHECK(c.throttle_window == 600, "security.throttle_window");
	CHECK(c.max_pending_applications == 2, "security.max_pending_applications");
	CHECK(c.hash_threads == 4, "security.hash_threads");
	CHECK(c.source_failures_per_minute == 100,
	    "security.source_failures_per_minute");

	CHECK(c.n_admins == 2, "two unit admins");
	if (c.n_admins == 2) {
		a = &c.admins[0];
		CHECK_STR(a->id_number, "11010519491231002X",
		    "admin 0: ID number normalized (x to X)");
		CHECK_STR(a->name, "张管理", "admin 0: name");
		CHECK_STR(a->unit, "U4101001", "admin 0: unit");
		CHECK(a->n_keys == 1 && a->keys[1] == NULL, "admin 0: one key, "
		    "NULL-terminated");
		CHECK_STR(a->keys[0], K1, "admin 0: key");
		CHECK(a->line == 40, "admin 0: line %d", a->line);
		a = &c.admins[1];
		CHECK_STR(a->id_number, "410105198001010017", "admin 1: ID number");
		CHECK_STR(a->name, "李 四", "admin 1: name with a space");
		CHECK(a->n_keys == 3 && a->keys[3] == NULL, "admin 1: three keys");
		CHECK_STR(a->keys[0], K2, "admin 1: key 0 without surrounding blanks");
		CHECK_STR(a->keys[1], K3, "admin 1: ecdsa key");
		CHECK_STR(a->keys[2], K4, "admin 1: rsa key");
	}
	CHECK(c.decl_years_back == 2, "declarations.years_back");
	CHECK(c.decl_max_attachment == 2048, "declarations.max_attachment");
	CHECK(c.n_forms == 1, "one learning form");
	if (c.n_forms == 1) {
		const struct config_form *f = &c.forms[0];

		CHECK_STR(f->code, "conference", "form: code");
		CHECK_STR(f->name, "学术会议", "form: name");
		CHECK_STR(f->name_en, "Academic conference", "form: name_en");
		CHECK(f->category == FORM_PROFESSIONAL && f->counts == FORM_COUNTS_CREDITS &&
		    f->credit_hours == 1.5 && f->yearly_cap == 48 &&
		    f->attachment == FORM_ATTACHMENT_REQUIRED,
		    "form: category, counts, credit_hours, yearly_cap (an integer), attachment");
		CHECK(f->n_fields == 7, "form: seven fields (%zu)", f->n_fields);
		if (f->n_fields == 7) {
			CHECK_STR(f->fields[0].key, "name", "field 0: key");
			CHECK_STR(f->fields[0].label, "会议名称", "field 0: label");
			CHECK(f->fields[0].type == FIELD_TEXT && f->fields[0].required &&
			    f->fields[0].max_length == 60, "field 0: text, required, max_length");
			CHECK(f->fields[1].type == FIELD_CHOICE && f->fields[1].n_choices == 2 &&
			    strcmp(f->fields[1].choices[1], "省级") == 0 &&
			    f->fields[1].choices[2] == NULL, "field 1: choices, NULL-terminated");
			CHECK(f->fields[1].choices_en != NULL &&
			    strcmp(f->fields[1].choices_en[1], "Provincial") == 0 &&
			    f->fields[1].choices_en[2] == NULL, "field 1: choices_en beside them");
			CHECK_STR(f->fields[0].label_en, "Label", "field 0: label_en");
			CHECK(f->fields[5].not_future && !f->fields[2].not_future,
			    "field 5: not_future; field 2 not");
			CHECK(f->fields[2].type == FIELD_DATERANGE && !f->fields[2].required,
			    "field 2: daterange, optional by default");
			CHECK(f->fields[3].type == FIELD_INTEGER && f->fields[3].has_min &&
			    f->fields[3].min == 1 && f->fields[3].has_max && f->fields[3].max == 5,
			    "field 3: integer bounds");
			CHECK(f->fields[4].type == FIELD_DECIMAL && f->fields[4].has_min &&
			    f->fields[4].min == -2.5 && !f->fields[4].has_max,
			    "field 4: decimal with a lower bound only");
			CHECK(f->fields[5].type == FIELD_DATE, "field 5: date");
			CHECK(f->fields[6].type == FIELD_LONGTEXT &&
			    f->fields[6].max_length == FIELD_LONGTEXT_MAX_LENGTH,
			    "field 6: longtext gets the default max_length");
		}
	}
	config_free(&c);

	/* Loading again over a freed struct: no leak, same result. */
	rc = config_load(DATA "/good.conf", &c, &errs);
	CHECK(rc == 0 && c.n_admins == 2, "good.conf: loads again");
	config_free(&c);
	config_errors_free(&errs);
}

static void
test_minimal(void)
{
	struct config c, d;
	struct config_errors errs = { NULL, 0 };
	char buf[512], rbuf[512];
	int rc;

	rc = config_load(DATA "/minimal.conf", &c, &errs);
	CHECK(rc == 0 && errs.n == 0, "minimal.conf (comments only): accepted");
	config_defaults(&d);
	config_diff(&d, &c, buf, sizeof buf, rbuf, sizeof rbuf);
	CHECK_STR(buf, "", "minimal.conf: no reloadable key differs from defaults");
	CHECK_STR(rbuf, "", "minimal.conf: no restart key differs from defaults");
	config_free(&c);
	config_free(&d);

	rc = config_load(DATA "/empty-admins.conf", &c, &errs);
	CHECK(rc == 0 && errs.n == 0 && c.n_admins == 0,
	    "empty unit_admins list and empty group: accepted");
	config_free(&c);
	config_errors_free(&errs);
}

static void
test_unreadable(void)
{
	struct config c;
	struct config_errors errs = { NULL, 0 };
	int rc;

	rc = config_load(DATA "/no-such-file.conf", &c, &errs);
	CHECK(rc == -1 && errs.n == 1, "missing file: one error");
	CHECK_STR(errs.n ? errs.lines[0] : NULL,
	    DATA "/no-such-file.conf: cannot read: No such file or directory",
	    "missing file: says why");
	CHECK(c.port == 2222 && c.log_level == LOG_LEVEL_INFO,
	    "missing file: defaults left in cfg");
	config_free(&c);
	config_errors_free(&errs);

	rc = config_load(DATA, &c, &errs);
	CHECK(rc == -1 && errs.n == 1, "a directory: one error");
	CHECK_STR(errs.n ? errs.lines[0] : NULL, DATA ": cannot read: Is a directory",
	    "a directory: says why");
	config_free(&c);
	config_errors_free(&errs);
}

static void
test_syntax(void)
{
	static const char *const syntax[] = {
		"syntax.conf:3: syntax error: unexpected token",
	};
	static const char *const include_syntax[] = {
		"include-broken.conf:3: syntax error: unexpected token",
	};
	static const char *const include_missing[] = {
		"include-missing.conf:2: syntax error: cannot open include file",
	};
	struct config c;

	expect_errors("syntax.conf", syntax, NELEM(syntax), &c);
	CHECK(c.port == 2222, "syntax error: nothing applied");
	config_free(&c);
	expect_errors("include-syntax.conf", include_syntax,
	    NELEM(include_syntax), &c);
	config_free(&c);
	expect_errors("include-missing.conf", include_missing,
	    NELEM(include_missing), &c);
	config_free(&c);
}

static void
test_types(void)
{
	static const char *const want[] = {
		"types.conf:2: port: expected an integer, got a string",
		"types.conf:3: listen_address: expected a string, got an integer",
		"types.conf:4: debug_methods: expected a boolean (true or false), "
		    "got a string",
		"types.conf:6: database.pool_size: expected an integer, "
		    "got a floating-point number",
		"types.conf:10: log.syslog: expected a boolean (true or false), "
		    "got an integer",
		"types.conf:11: log.level: expected a string, got an integer",
		"types.conf:13: sessions: expected a group { ... }, got an integer",
		"types.conf:15: security.captcha: expected a string, got an array",
	};
	struct config c;

	expect_errors("types.conf", want, NELEM(want), &c);
	CHECK(c.port == 2222 && c.db_pool_size == 8 && !c.log_syslog &&
	    c.captcha == CAPTCHA_ALWAYS, "wrong values leave the defaults");
	CHECK_STR(c.db_conninfo, "dbname=other",
	    "good keys beside wrong ones are applied (conninfo)");
	CHECK(c.throttle_after == 7, "good keys are applied (throttle_after)");
	config_free(&c);
}

/* sessions.max_startups: "start:rate:full" or one number, parsed into three. */
static void
test_startups(void)
{
	static const char *const want[] = {
		"startups.conf:1: sessions.max_startups: needs 1 <= start <= full <= 100000"
		    " and a rate of 1 to 100 (percent), got \"20:30:10\"",
	};
	struct config c;
	struct config_errors errs = { NULL, 0 };

	config_defaults(&c);
	CHECK(c.startups_begin == 10 && c.startups_rate == 30 && c.startups_full == 100,
	    "default max_startups 10:30:100");
	config_free(&c);
	expect_errors("startups.conf", want, NELEM(want), &c);
	CHECK(c.startups_begin == 10 && c.startups_full == 100,
	    "a wrong max_startups leaves the default");
	config_free(&c);
	CHECK(config_load(DATA "/startups-good.conf", &c, &errs) == 0,
	    "startups-good.conf loads");
	CHECK(c.startups_begin == 5 && c.startups_rate == 100 && c.startups_full == 5 &&
	    c.output_backlog == 8192, "max_startups \"5\" is 5:100:5");
	config_free(&c);
	config_errors_free(&errs);
}

static void
test_bounds(void)
{
	static const char *const want[] = {
		"bounds.conf:1: port: must be between 1 and 65535, got 0",
		"bounds.conf:3: database.pool_size: must be between 1 and 1000, "
		    "got 1001",
		"bounds.conf:4: database.statement_timeout: must be between 0 and "
		    "3600000, got 3600001",
		"bounds.conf:7: sessions.max_line: must be between 1024 and "
		    "67108864, got 1023",
		"bounds.conf:8: sessions.idle_timeout: must be between 0 and "
		    "604800, got -1",
		"bounds.conf:10: sessions.max: must be between 1 and 100000, "
		    "got 5000000000",
		"bounds.conf:13: security.captcha_lifetime: must be between 1 and "
		    "3600, got 5000000000",
	};
	static const char *const wrap[] = {
		"wrap.conf:3: port: must be between 1 and 65535, got 4294969318",
		"wrap.conf:4: sessions.max: must be between 1 and 100000, "
		    "got 0x100000064",
		"wrap.conf:5: database.pool_size: must be between 1 and 1000, "
		    "got -4294967292",
		"wrap.conf:6: security.hash_threads: must be between 1 and 64, "
		    "got 99999999999999999999999",
	};
	struct config c;

	expect_errors("bounds.conf", want, NELEM(want), &c);
	CHECK(c.login_grace_time == 3600 && c.hash_threads == 64,
	    "values on the upper bound are accepted");
	CHECK(c.port == 2222 && c.max_sessions == 5000 && c.max_line == 1048576,
	    "out-of-bounds values leave the defaults");
	config_free(&c);

	/* libconfig 1.5 would read these as 2022, 100 and 4 without a word. */
	expect_errors("wrap.conf", wrap, NELEM(wrap), &c);
	CHECK(c.port == 2222 && c.max_sessions == 5000 && c.db_pool_size == 8,
	    "wrapped integers are not applied");
	CHECK(c.max_sessions_per_source == 32, "hex 0x20 on the same line: 32");
	config_free(&c);
}

static void
test_enums(void)
{
	static const char *const want[] = {
		"enums.conf:2: log.level: must be one of \"error\", \"warning\", "
		    "\"info\", \"debug\", got \"Info\"",
		"enums.conf:5: security.captcha: must be one of \"always\", "
		    "\"after-failures\", \"off\", got \"off\\x1b[2J\\x07 and then "
		    "a long tail of text that goes ...\"",
		"enums.conf:7: listen_address: contains a control character",
		"enums.conf:8: schema_dir: must not be empty",
	};
	struct config c;
	int i;
	bool names_ok = true;

	expect_errors("enums.conf", want, NELEM(want), &c);
	config_free(&c);

	CHECK_STR(log_level_name(LOG_LEVEL_ERROR), "error", "log level name error");
	CHECK_STR(log_level_name(LOG_LEVEL_WARNING), "warning", "log level name warning");
	CHECK_STR(log_level_name(LOG_LEVEL_INFO), "info", "log level name info");
	CHECK_STR(log_level_name(LOG_LEVEL_DEBUG), "debug", "log level name debug");
	CHECK_STR(log_level_name((enum log_level)4), "unknown",
	    "log level name out of range");
	CHECK_STR(captcha_mode_name(CAPTCHA_ALWAYS), "always", "captcha always");
	CHECK_STR(captcha_mode_name(CAPTCHA_AFTER_FAILURES), "after-failures",
	    "captcha after-failures");
	CHECK_STR(captcha_mode_name(CAPTCHA_OFF), "off", "captcha off");
	CHECK_STR(captcha_mode_name((enum captcha_mode)-1), "unknown",
	    "captcha name out of range");
	for (i = 0; i < 3; i++)
		names_ok &= strcmp(captcha_mode_name((enum captcha_mode)i), "unknown") != 0;
	CHECK(names_ok, "every captcha mode has a name");
}

static void
test_unknown(void)
{
	static const char *const want[] = {
		"unknown.conf:1: prot: unknown key (did you mean port?)",
		"unknown.conf:2: pool_size: unknown key (did you mean "
		    "database.pool_size?)",
		"unknown.conf:4: database.pool: unknown key (did you mean "
		    "database.pool_size?)",
		"unknown.conf:6: database.nested: unknown key",
		"unknown.conf:8: databse: unknown key (did you mean database?)",
		"unknown.conf:11: frobnicate: unknown key",
		"unknown.conf:13: log.port: unknown key (did you mean port?)",
	};
	struct config c;

	expect_errors("unknown.conf", want, NELEM(want), &c);
	config_free(&c);
}

static void
test_admins(void)
{
	static const char *const want[] = {
		"admins.conf:10: unit_admins[1].id_number: check character does "
		    "not match (a digit is probably mistyped)",
		"admins.conf:11: unit_admins[1].name: must not be empty",
		"admins.conf:14: unit_admins[1].phone: unknown key (expected "
		    "id_number, name, unit and keys)",
		"admins.conf:16: unit_admins[2]: missing required key \"unit\"",
		"admins.conf:16: unit_admins[2]: missing required key \"keys\"",
		"admins.conf:17: unit_admins[2].id_number: birth date 2099-01-01 "
		    "is in the future",
		"admins.conf:21: unit_admins[3].id_number: must be 18 characters, "
		    "got 16",
		"admins.conf:22: unit_admins[3].name: expected a string, got an "
		    "integer",
		"admins.conf:24: unit_admins[3].keys: expected a list of public "
		    "key strings, got a string",
		"admins.conf:27: unit_admins[4].id_number: starts with 99, which "
		    "is no province-level region code",
		"admins.conf:30: unit_admins[4].keys: needs at least one public "
		    "key (\"ssh-ed25519 AAAA... comment\")",
		"admins.conf:33: unit_admins[5].id_number: birth date 1980-02-30 "
		    "is not a real date",
		"admins.conf:36: unit_admins[5].keys[0]: unknown key type "
		    "\"ssh-dss\": expected \"TYPE BASE64 [COMMENT]\" with TYPE one "
		    "of ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, "
		    "ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, "
		    "sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com",
		"admins.conf:37: unit_admins[5].keys[1]: key data is not valid "
		    "base64",
		"admins.conf:38: unit_admins[5].keys[2]: key data does not hold a "
		    "complete key of its type (cut short, or pasted under the "
		    "wrong type?)",
		"admins.conf:39: unit_admins[5].keys[3]: key data does not hold a "
		    "complete key of its type (cut short, or pasted under the "
		    "wrong type?)",
		"admins.conf:40: unit_admins[5].keys[4]: missing the key data "
		    "after the key type",
		"admins.conf:41: unit_admins[5].keys[5]: expected a string, got "
		    "an integer",
		"admins.conf:43: unit_admins[6]: expected a group { ... }, got a "
		    "string",
		"admins.conf:45: unit_admins[7].id_number: same ID number as "
		    "unit_admins[0] (line 3)",
		"admins.conf:51: unit_admins[8].id_number: must be 17 digits "
		    "followed by a digit or X",
		"admins.conf:52: unit_admins[8].name: contains a control character",
		"admins.conf:53: unit_admins[8].unit: contains a control character",
	};
	static const char *const want_type[] = {
		"admins-type.conf:1: unit_admins: expected a list of groups "
		    "( { id_number = ...; name = ...; unit = ...; keys = [...]; }, "
		    "... ), got a string",
	};
	struct config c;

	expect_errors("admins.conf", want, NELEM(want), &c);
	CHECK(c.n_admins == 2, "only the two valid entries are kept (%zu)",
	    c.n_admins);
	if (c.n_admins == 2) {
		CHECK_STR(c.admins[0].id_number, "11010519491231002X",
		    "kept: entry 0");
		CHECK_STR(c.admins[1].id_number, "410105198001010025",
		    "kept: entry 9 (the duplicate entry 7 is dropped)");
		CHECK(c.admins[1].line == 56, "entry 9 declared on line 56");
	}
	config_free(&c);

	expect_errors("admins-type.conf", want_type, NELEM(want_type), &c);
	CHECK(c.n_admins == 0, "unit_admins not a list: none kept");
	config_free(&c);
}

/* Every name of a form has its English beside it, English without CJK or full-width. */
static void
test_forms_english(void)
{
	static const char *const want[] = {
		"forms-english.conf:3: learning_forms[0]: missing required key \"name_en\"",
		"forms-english.conf:8: learning_forms[0].fields[0]: missing required key "
		    "\"label_en\"",
		"forms-english.conf:10: learning_forms[0].fields[1].choices_en: must have as "
		    "many choices as choices (2), got 1",
		"forms-english.conf:11: learning_forms[0].fields[2]: missing required key "
		    "\"choices_en\" (the choices in English, as many as choices)",
		"forms-english.conf:17: learning_forms[1].name_en: must be English text, "
		    "without Chinese characters or full-width punctuation",
		"forms-english.conf:20: learning_forms[1].fields[0].label_en: must be English "
		    "text, without Chinese characters or full-width punctuation",
		"forms-english.conf:21: learning_forms[1].fields[0].not_future: only applies "
		    "to date and daterange fields",
		"forms-english.conf:22: learning_forms[1].fields[1].not_future: expected a "
		    "boolean (true or false), got an integer",
		"forms-english.conf:24: learning_forms[1].fields[2].choices_en: only applies "
		    "to choice fields",
	};
	struct config c;

	expect_errors("forms-english.conf", want, NELEM(want), &c);
	CHECK(c.n_forms == 0, "no form without its English kept (%zu)", c.n_forms);
	config_free(&c);
}

static void
test_forms(void)
{
	static const char *const want[] = {
		"forms.conf:10: learning_forms[1].code: must be 1 to 32 of a-z, 0-9 "
		    "and _, starting with a letter, got \"Conf-2\"",
		"forms.conf:12: learning_forms[1].category: must be one of \"public\", "
		    "\"professional\", got \"科研\"",
		"forms.conf:13: learning_forms[1].fields: needs at least one field",
		"forms.conf:14: learning_forms[1].colour: unknown key (expected code, "
		    "name, name_en, category, counts, credit_hours, yearly_cap, attachment, "
		    "review and fields)",
		"forms.conf:16: learning_forms[2]: missing required key \"name\"",
		"forms.conf:16: learning_forms[2]: missing required key \"category\"",
		"forms.conf:18: learning_forms[2].counts: must be one of \"hours\", "
		    "\"credits\", got \"minutes\"",
		"forms.conf:19: learning_forms[2].yearly_cap: must be at least 0 and at "
		    "most 10000, got -1",
		"forms.conf:27: learning_forms[3].attachment: must be one of "
		    "\"required\", \"optional\", \"none\", got \"maybe\"",
		"forms.conf:26: learning_forms[3].credit_hours: only applies with "
		    "counts = \"credits\" (hours count as they are), got 2.5",
		"forms.conf:35: learning_forms[4].credit_hours: must be more than 0 and "
		    "at most 1000, got 0",
		"forms.conf:37: learning_forms[4].fields[0].key: must be 1 to 32 of "
		    "a-z, 0-9 and _, starting with a letter, got \"1st\"",
		"forms.conf:37: learning_forms[4].fields[0].label: must not be empty",
		"forms.conf:37: learning_forms[4].fields[0].type: must be one of "
		    "\"text\", \"longtext\", \"integer\", \"decimal\", \"date\", "
		    "\"daterange\", \"choice\", got \"number\"",
		"forms.conf:38: learning_forms[4].fields[1].min: must be a whole number "
		    "for an integer field, got 1.5",
		"forms.conf:39: learning_forms[4].fields[2].max: must not be less than "
		    "min (10), got 5",
		"forms.conf:40: learning_forms[4].fields[3].min: only applies to integer "
		    "and decimal fields",
		"forms.conf:40: learning_forms[4].fields[3].max_length: must be between "
		    "1 and 10000, got 0",
		"forms.conf:41: learning_forms[4].fields[4]: missing required key "
		    "\"choices\" (a choice field lists its choices)",
		"forms.conf:42: learning_forms[4].fields[5].max_length: only applies to "
		    "text and longtext fields",
		"forms.conf:42: learning_forms[4].fields[5].choices: only applies to "
		    "choice fields",
		"forms.conf:43: learning_forms[4].fields[6].choices[1]: repeats an "
		    "earlier choice",
		"forms.conf:43: learning_forms[4].fields[6].choices[2]: expected a "
		    "string, got an integer",
		"forms.conf:44: learning_forms[4].fields[7]: missing required key "
		    "\"key\"",
		"forms.conf:44: learning_forms[4].fields[7].size: unknown key (expected "
		    "key, label, label_en, type, required, min, max, max_length, choices, "
		    "choices_en and not_future)",
		"forms.conf:45: learning_forms[4].fields[8].key: same key as "
		    "learning_forms[4].fields[1] (line 38)",
		"forms.conf:49: learning_forms[5].code: same code as learning_forms[0] "
		    "(line 3)",
		"forms.conf:56: learning_forms[6].name: same name as learning_forms[0] "
		    "(line 3)",
		"forms.conf:60: learning_forms[7]: expected a group { ... }, got a string",
		"forms.conf:77: declarations.years_back: must be between 0 and 10, got 11",
		"forms.conf:78: declarations.max_attachment: must be between 1024 and "
		    "67108864, got 1023",
		"forms.conf:79: declarations.colour: unknown key",
	};
	static const char *const want_type[] = {
		"forms-type.conf:1: learning_forms: expected a list of groups ( { code = "
		    "...; name = ...; category = ...; fields = (...); }, ... ), got a string",
	};
	const struct config_form *f;
	struct config c;

	expect_errors("forms.conf", want, NELEM(want), &c);
	CHECK(c.n_forms == 2, "only the two valid forms are kept (%zu)", c.n_forms);
	if (c.n_forms == 2) {
		CHECK_STR(c.forms[0].code, "conference", "kept: form 0");
		CHECK(c.forms[0].counts == FORM_COUNTS_HOURS && c.forms[0].credit_hours == 1.0 &&
		    c.forms[0].yearly_cap == 0 &&
		    c.forms[0].attachment == FORM_ATTACHMENT_OPTIONAL,
		    "form 0: defaults of counts, credit_hours, yearly_cap, attachment");
		CHECK(c.forms[0].n_fields == 1 &&
		    c.forms[0].fields[0].max_length == FIELD_TEXT_MAX_LENGTH,
		    "form 0: a text field gets the default max_length");
		f = &c.forms[1];
		CHECK_STR(f->code, "paper", "kept: form 8");
		CHECK(f->line == 61, "form 8 declared on line 61 (%d)", f->line);
		CHECK(f->counts == FORM_COUNTS_CREDITS && f->credit_hours == 0.5 &&
		    f->yearly_cap == 30 && f->attachment == FORM_ATTACHMENT_NONE,
		    "form 8: credits at 0.5 hours, a cap of 30, no attachment");
		CHECK(f->n_fields == 3 && f->fields[1].type == FIELD_DECIMAL &&
		    f->fields[1].max == 99.999, "form 8: a decimal field with three decimals");
	}
	CHECK(c.decl_years_back == 1 && c.decl_max_attachment == 10485760,
	    "wrong declarations values leave the defaults");
	config_free(&c);

	expect_errors("forms-type.conf", want_type, NELEM(want_type), &c);
	CHECK(c.n_forms == 0, "learning_forms not a list: none kept");
	config_free(&c);

	CHECK_STR(form_category_name(FORM_PUBLIC), "public", "category name public");
	CHECK_STR(form_counts_name(FORM_COUNTS_CREDITS), "credits", "counts name credits");
	CHECK_STR(form_attachment_name(FORM_ATTACHMENT_NONE), "none", "attachment name none");
	CHECK_STR(field_type_name(FIELD_DATERANGE), "daterange", "field type daterange");
	CHECK_STR(field_type_name((enum field_type)7), "unknown", "field type out of range");
}

static void
test_requirements(void)
{
	static const char *const want[] = {
		"requirements.conf:5: requirements[2].year: must be between 2000 and "
		    "2200, got 1999",
		"requirements.conf:5: requirements[2].total: must be more than 0 and at "
		    "most 10000, got 0",
		"requirements.conf:5: requirements[2].professional: must be at least 0 "
		    "and at most 10000, got -1",
		"requirements.conf:5: requirements[2].public: expected a number, got a "
		    "string",
		"requirements.conf:6: requirements[3]: missing required key \"year\"",
		"requirements.conf:6: requirements[3].colour: unknown key (expected "
		    "year, total, professional and public)",
		"requirements.conf:7: requirements[4]: professional (70) and public (30) "
		    "add up to more than total (90)",
		"requirements.conf:8: requirements[5]: professional (20, two thirds of "
		    "total by default) and public (24, by default) add up to more than "
		    "total (30)",
		"requirements.conf:9: requirements[6].year: same year as "
		    "requirements[0] (line 3)",
		"requirements.conf:10: requirements[7].year: must be between 2000 and "
		    "2200, got 4294969318",
		"requirements.conf:10: requirements[7].total: may have at most 4 "
		    "decimals, got 90.1235",
		"requirements.conf:11: requirements[8]: expected a group { ... }, got a "
		    "string",
		"requirements.conf:12: requirements[9].year: expected an integer (a "
		    "year), got a floating-point number",
		"requirements.conf:12: requirements[9].public: must be at least 0 and at "
		    "most 10000, got 10001",
	};
	static const char *const want_type[] = {
		"requirements-type.conf:1: requirements: expected a list of groups ( { "
		    "year = ...; total = ...; professional = ...; public = ...; }, ... ), "
		    "got a group",
	};
	const struct config_requirement *r;
	struct config c, d;
	struct config_errors errs = { NULL, 0 };
	char buf[1024], rbuf[1024];
	int rc;

	expect_errors("requirements.conf", want, NELEM(want), &c);
	CHECK(c.n_requirements == 2, "only the two valid entries are kept (%zu)",
	    c.n_requirements);
	if (c.n_requirements == 2) {
		r = &c.requirements[0];
		CHECK(r->year == 2015 && r->total == 90 && r->professional == 60 &&
		    r->public == 24 && r->line == 3, "entry 0 as written");
		r = &c.requirements[1];
		CHECK(r->year == 2024 && r->total == 100.5 && r->professional == 67 &&
		    r->public == 24, "entry 1: two thirds of 100.5 rounded up to 67, "
		    "public 24 by default (%g, %g)", r->professional, r->public);

		/* The year fallback: the latest entry not after the year, else the earliest. */
		CHECK(config_requirement_for(&c, 2015) == &c.requirements[0], "2015: its own");
		CHECK(config_requirement_for(&c, 2023) == &c.requirements[0],
		    "2023: falls back to 2015's");
		CHECK(config_requirement_for(&c, 2024) == &c.requirements[1], "2024: its own");
		CHECK(config_requirement_for(&c, 2100) == &c.requirements[1],
		    "2100: the latest entry before it");
		CHECK(config_requirement_for(&c, 2000) == &c.requirements[0],
		    "2000, before every entry: the earliest");
	}
	config_free(&c);

	expect_errors("requirements-type.conf", want_type, NELEM(want_type), &c);
	CHECK(c.n_requirements == 0, "requirements not a list: none kept");
	config_free(&c);

	/* Two thirds of a total that three does not divide: at least two thirds. */
	rc = config_load(DATA "/requirements-empty.conf", &c, &errs);
	CHECK(rc == 0 && errs.n == 0 && c.n_requirements == 0, "an empty list is valid");
	r = config_requirement_for(&c, 2030);
	CHECK(r->total == 90 && r->professional == 60 && r->public == 24,
	    "an empty list: the built-in requirement");
	config_defaults(&d);
	config_diff(&d, &c, buf, sizeof buf, rbuf, sizeof rbuf);
	CHECK(buf[0] == '\0', "an empty list is no change from the default (%s)", buf);
	config_free(&c);

	/* What diff calls a change is a change of what some year requires. */
	rc = config_load(DATA "/good.conf", &c, &errs);
	CHECK(rc == 0 && c.n_requirements == 2, "good.conf: two requirements");
	if (c.n_requirements == 2) {
		r = config_requirement_for(&c, 2015);
		CHECK(r->year == 2016 && r->professional == 60 && r->public == 24,
		    "good.conf: 2015 is before both: the earliest (2016)");
		r = config_requirement_for(&c, 2021);
		CHECK(r->year == 2020 && r->total == 72 && r->public == 20.5,
		    "good.conf: 2021 uses 2020's");

		struct config_requirement one = c.requirements[1];

		/* The default written out as one entry is no change. */
		c.requirements[0] = one;
		c.requirements[0].year = 2000;
		c.n_requirements = 1;
		config_diff(&d, &c, buf, sizeof buf, rbuf, sizeof rbuf);
		CHECK(strstr(buf, "requirements") == NULL,
		    "the default written out as an entry: no change (%s)", buf);
		c.requirements[0].public = 30;
		config_diff(&d, &c, buf, sizeof buf, rbuf, sizeof rbuf);
		CHECK(strstr(buf, "requirements") != NULL, "public 30 instead of 24: a change");
		c.requirements[0].public = 24;
		/* A later entry that repeats the earlier figures changes nothing either. */
		c.requirements[1] = one;
		c.requirements[1].year = 2030;
		c.n_requirements = 2;
		config_diff(&d, &c, buf, sizeof buf, rbuf, sizeof rbuf);
		CHECK(strstr(buf, "requirements") == NULL, "a repeated entry: no change (%s)",
		    buf);
		c.requirements[1].total = 100;
		config_diff(&d, &c, buf, sizeof buf, rbuf, sizeof rbuf);
		CHECK(strstr(buf, "requirements") != NULL, "from 2030 on 100 hours: a change");
	}
	config_free(&c);
	config_free(&d);
	config_errors_free(&errs);
}

static void
test_include(void)
{
	static const char *const want[] = {
		"include-part.conf:3: log.colour: unknown key",
	};
	struct config c;
	struct config_errors errs = { NULL, 0 };
	char *cwd;
	int rc;

	expect_errors("include.conf", want, NELEM(want), &c);
	CHECK(c.port == 2223 && c.log_level == LOG_LEVEL_WARNING,
	    "@include: keys from both files applied");
	config_free(&c);

	/* A relative path: errors name files as the user would find them. */
	cwd = getcwd(NULL, 0);
	if (cwd != NULL && chdir(DATA) == 0) {
		config_load("include.conf", &c, &errs);
		CHECK(errs.n == 1 && strcmp(errs.lines[0],
		    "include-part.conf:3: log.colour: unknown key") == 0,
		    "relative path: included file named relative too");
		config_free(&c);
		config_errors_free(&errs);
		rc = chdir(cwd);
		CHECK(rc == 0, "back to the start directory");
	}
	free(cwd);
}

static void
test_diff(void)
{
	struct config d, g, g2;
	struct config_errors errs = { NULL, 0 };
	char buf[1024], rbuf[1024], small[12];

	config_defaults(&d);
	config_load(DATA "/good.conf", &g, &errs);
	config_load(DATA "/good.conf", &g2, &errs);
	CHECK(errs.n == 0, "good.conf loaded twice");

	/* good.conf changes every key, so this lists each reload policy. */
	config_diff(&d, &g, buf, sizeof buf, rbuf, sizeof rbuf);
	CHECK_STR(buf, "debug_methods, log.level, log.syslog, log.slow_request, "
	    "sessions.max, sessions.max_per_source, sessions.idle_timeout, "
	    "sessions.login_grace_time, security.captcha, "
	    "security.captcha_lifetime, security.throttle_after, "
	    "security.throttle_max_delay, security.throttle_window, "
	    "security.max_pending_applications, security.hash_threads, "
	    "security.source_failures_per_minute, unit_admins, "
	    "declarations.years_back, declarations.max_attachment, learning_forms, "
	    "requirements", "diff: the reloadable keys");
	CHECK_STR(rbuf, "listen_address, port, host_key, schema_dir, "
	    "database.conninfo, database.pool_size, database.statement_timeout, "
	    "database.listen_conninfo, sessions.max_line",
	    "diff: the keys that need a restart");

	config_diff(&g, &g2, buf, sizeof buf, rbuf, sizeof rbuf);
	CHECK(buf[0] == '\0' && rbuf[0] == '\0', "diff of equal configs: empty");

	free(g2.admins[1].keys[2]);
	g2.admins[1].keys[2] = xstrdup(K1);
	g2.log_level = LOG_LEVEL_ERROR;
	g2.port = 2023;
	config_diff(&g, &g2, buf, sizeof buf, rbuf, sizeof rbuf);
	CHECK_STR(buf, "log.level, unit_admins", "diff: a changed admin key and "
	    "log level are reloadable");
	CHECK_STR(rbuf, "port", "diff: a changed port needs a restart");

	/* A form's label changed: learning_forms differs, and may be reloaded. */
	config_free(&g2);
	config_load(DATA "/good.conf", &g2, &errs);
	free(g2.forms[0].fields[2].label);
	g2.forms[0].fields[2].label = xstrdup("时间");
	config_diff(&g, &g2, buf, sizeof buf, rbuf, sizeof rbuf);
	CHECK_STR(buf, "learning_forms", "diff: a changed field label");
	CHECK(rbuf[0] == '\0', "diff: a form change needs no restart");
	free(g2.forms[0].fields[2].label);
	g2.forms[0].fields[2].label = xstrdup("会议时间");
	g2.forms[0].fields[1].required = false;
	config_diff(&g, &g2, buf, sizeof buf, rbuf, sizeof rbuf);
	CHECK_STR(buf, "learning_forms", "diff: a field no longer required");

	config_diff(&d, &g, small, sizeof small, NULL, 0);
	CHECK(strlen(small) < sizeof small &&
	    strncmp(small, "debug_metho", sizeof small - 1) == 0,
	    "diff: a small buffer is truncated, NUL-terminated (%s)", small);

	config_free(&d);
	config_free(&g);
	config_free(&g2);
	config_errors_free(&errs);
}

/* Every key, as the table in daemon/core/config.c should have it. */
static const char *const all_keys[] = {
	"listen_address", "port", "host_key", "schema_dir", "debug_methods",
	"database.conninfo", "database.pool_size", "database.statement_timeout",
	"database.listen_conninfo", "log.level", "log.syslog", "log.slow_request",
	"sessions.max", "sessions.max_per_source", "sessions.max_line",
	"sessions.idle_timeout", "sessions.login_grace_time",
	"sessions.output_backlog", "sessions.stall_timeout", "sessions.max_memory",
	"sessions.max_startups", "sessions.max_guests",
	"security.captcha", "security.captcha_lifetime",
	"security.throttle_after", "security.throttle_max_delay", "security.throttle_window",
	"security.max_pending_applications",
	"security.hash_threads", "security.source_failures_per_minute",
	"unit_admins",
	"declarations.years_back", "declarations.max_attachment", "learning_forms",
	"requirements",
	"uploads.max_per_account", "uploads.max_bytes_per_account", "uploads.max_per_source",
	"uploads.max_bytes_per_source", "uploads.stall_timeout",
	"control_socket", "reference.regions", "reference.units", "reference.departments",
	"reference.majors", "reference.titles", "reference.import_at_start",
	"certificates.signing_key", "certificates.old_public_keys", "certificates.issuer",
};

/* The whole of a file, or NULL; caller frees. */
static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	size_t n;

	if (fp == NULL)
		return NULL;
	buf = xmalloc(1 << 20);
	n = fread(buf, 1, (1 << 20) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/*
 * The shipped sample sets every key to its default, and it and the
 * documentation mention every key.
 */
static void
test_sample_and_docs(void)
{
	struct config c, d;
	struct config_errors errs = { NULL, 0 };
	char buf[1024], rbuf[1024], *text, *docs, *pat;
	const char *leaf, *missing = NULL, *undocumented = NULL;
	size_t i;
	int rc;

	rc = config_load(DATA "/../../../etc/jxjyd.conf", &c, &errs);
	CHECK(rc == 0 && errs.n == 0, "etc/jxjyd.conf: valid");
	if (errs.n > 0)
		printf("# %s\n", errs.lines[0]);
	config_defaults(&d);
	config_diff(&d, &c, buf, sizeof buf, rbuf, sizeof rbuf);
	/* learning_forms has no default worth shipping: the sample has Henan's forms. */
	CHECK(strcmp(buf, "learning_forms") == 0 && rbuf[0] == '\0',
	    "etc/jxjyd.conf: every value but learning_forms is the default "
	    "(differs: %s%s%s)", buf, *buf && *rbuf ? ", " : "", rbuf);
	CHECK(c.n_forms >= 13, "etc/jxjyd.conf: ships the province's learning forms (%zu)",
	    c.n_forms);
	config_free(&c);
	config_free(&d);
	config_errors_free(&errs);

	text = slurp(DATA "/../../../etc/jxjyd.conf");
	docs = slurp(DATA "/../../../docs/configuration.md");
	CHECK(text != NULL && docs != NULL, "sample and docs readable");
	for (i = 0; text != NULL && docs != NULL && i < NELEM(all_keys); i++) {
		leaf = strrchr(all_keys[i], '.');
		leaf = leaf != NULL ? leaf + 1 : all_keys[i];
		pat = xasprintf("%s = ", leaf);
		if (missing == NULL && strstr(text, pat) == NULL)
			missing = all_keys[i];
		free(pat);
		pat = xasprintf("| `%s` |", all_keys[i]);
		if (undocumented == NULL && strstr(docs, pat) == NULL)
			undocumented = all_keys[i];
		free(pat);
	}
	CHECK(missing == NULL, "etc/jxjyd.conf shows every key (missing: %s)",
	    missing ? missing : "none");
	CHECK(undocumented == NULL, "docs/configuration.md has a row for every "
	    "key (missing: %s)", undocumented ? undocumented : "none");
	free(text);
	free(docs);
}

int
main(void)
{
	test_defaults();
	test_good();
	test_minimal();
	test_unreadable();
	test_syntax();
	test_types();
	test_bounds();
	test_startups();
	test_enums();
	test_unknown();
	test_admins();
	test_forms();
	test_forms_english();
	test_requirements();
	test_include();
	test_diff();
	test_sample_and_docs();
	return check_done();
}
