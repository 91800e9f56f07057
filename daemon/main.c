/*
 * main.c - jxjyd's command line: serve, migrate, check-config, import,
 * status, admins, --version.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jxjy-config.h"
#include "admins-list.h"
#include "certificate-pdf.h"
#include "certificates.h"
#include "config.h"
#include "control.h"
#include "db.h"
#include "import.h"
#include "log.h"
#include "migrate.h"
#include "listener.h"
#include "stats.h"
#include "xmalloc.h"

enum exit_status {
	EXIT_OK = 0,
	EXIT_USAGE = 1,		/* bad command line or config */
	EXIT_DATABASE = 2,	/* database unreachable */
	EXIT_SCHEMA = 3,	/* migrations missing or mismatched */
	EXIT_NOT_RUNNING = 4,	/* status: no daemon answers on the control socket */
	EXIT_NOT_VERIFIED = 5,	/* verify: no certificate of ours, or one changed since */
};

#define MAIN_PDF_MAX	(256 << 20)	/* bytes verify reads at most (a unit's PDF: a few MB a hundred) */

/* The commands; each runs with the config loaded (check-config: whatever it held). */
enum main_command {
	CMD_SERVE,
	CMD_CHECK_CONFIG,
	CMD_MIGRATE,
	CMD_IMPORT,
	CMD_STATUS,
	CMD_ADMINS,
	CMD_CERTIFICATE_KEY,
	CMD_VERIFY,
};

static const struct {
	const char		*name;
	enum main_command	 command;
} main_commands[] = {
	{ "serve", CMD_SERVE },
	{ "check-config", CMD_CHECK_CONFIG },
	{ "migrate", CMD_MIGRATE },
	{ "import", CMD_IMPORT },
	{ "status", CMD_STATUS },
	{ "admins", CMD_ADMINS },
	{ "certificate-key", CMD_CERTIFICATE_KEY },
	{ "verify", CMD_VERIFY },
};

static const char *main_file;	/* verify's FILE.pdf; import's FILE.csv */
static const char *main_table;	/* import's TABLE, with main_file */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: jxjyd [-f FILE] [-n] [COMMAND]\n"
	    "  -f FILE        configuration file (default %s)\n"
	    "  -n, --dry-run  import: check the files and count, change nothing\n"
	    "  --version      print the version and exit\n"
	    "commands:\n"
	    "  serve          run the SSH server in the foreground (default)\n"
	    "  check-config   check FILE and report every mistake\n"
	    "  migrate        apply the pending schema migrations\n"
	    "  import         load the reference data CSV files FILE names\n"
	    "  import TABLE FILE.csv  load one file (e.g. import bases bases.csv)\n"
	    "  status         print the running daemon's figures (control socket)\n"
	    "  admins         list the unit administrators and their accounts\n"
	    "  certificate-key  print the certificate signing key's id and public key\n"
	    "                 (generating the key when it is missing)\n"
	    "  verify FILE.pdf  check a certificate's signature offline and print what\n"
	    "                 it states\n"
	    "exit status: 0 ok, 1 usage, configuration or data file error,\n"
	    "2 database unreachable, 3 schema not migrated or changed,\n"
	    "4 no daemon answers (status), 5 not a certificate of ours or changed (verify)\n",
	    CONFIG_DEFAULT_PATH);
}

/* Load the config or print every mistake; returns 0 or EXIT_USAGE. */
static int
main_load_config(const char *path, struct config *cfg)
{
	struct config_errors errs = { 0 };
	int rc = config_load(path, cfg, &errs);

	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.lines[i]);
	config_errors_free(&errs);
	return rc == 0 ? EXIT_OK : EXIT_USAGE;
}

/* The one connection of a command; NULL after saying why on stderr. */
static struct db_conn *
main_connect(const struct config *cfg)
{
	struct db_conn *c;
	char err[512];

	if ((c = db_connect_single(cfg->db_conninfo, err, sizeof err)) == NULL)
		fprintf(stderr, "jxjyd: database: %s\n", err);
	return c;
}

/* Compare (and with apply, bring up to date) the schema. */
static int
main_migrate(const struct config *cfg, int apply)
{
	struct db_conn *c;
	enum migrate_status st;

	if ((c = main_connect(cfg)) == NULL)
		return EXIT_DATABASE;
	st = migrate_run(c, cfg->schema_dir, apply, apply ? stdout : stderr);
	db_disconnect_single(c);
	switch (st) {
	case MIGRATE_OK:
		return EXIT_OK;
	case MIGRATE_PENDING:
		fprintf(stderr, "jxjyd: database is not migrated: run 'jxjyd -f %s migrate'\n",
		    cfg->path);
		return EXIT_SCHEMA;
	case MIGRATE_MISMATCH:
		return EXIT_SCHEMA;
	case MIGRATE_FAILED:
		break;
	}
	return EXIT_DATABASE;
}

/* import's lines: mistakes to stderr, the summary to stdout. */
static void
main_import_print(bool error, const char *line)
{
	fprintf(error ? stderr : stdout, "%s\n", line);
	fflush(error ? stderr : stdout);
}

/* import's lines when serve imports at start: to the log. */
static void
main_import_log(bool error, const char *line)
{
	if (error)
		log_error("%s", line);
	else
		log_info("%s", line);
}

/* Import the reference files; an enum exit_status. */
static int
main_import(const struct config *cfg, bool dry_run, import_report_fn *report)
{
	struct db_conn *c;
	int st;

	if ((c = main_connect(cfg)) == NULL)
		return EXIT_DATABASE;
	st = main_table != NULL ?
	    import_run_file(c, cfg, main_table, main_file, dry_run, report) :
	    import_run(c, cfg, dry_run, report);
	db_disconnect_single(c);
	return st == IMPORT_OK ? EXIT_OK : st == IMPORT_INVALID ? EXIT_USAGE : EXIT_DATABASE;
}

/* Ask the running daemon for its figures. */
static int
main_status(const struct config *cfg)
{
	char err[512];

	if (cfg->control_socket[0] == '\0') {
		fprintf(stderr, "jxjyd: status: control_socket is \"\" in %s, so the daemon "
		    "has no control socket\n", cfg->path);
		return EXIT_USAGE;
	}
	if (control_query(cfg->control_socket, "status", stdout, err, sizeof err) != 0) {
		fprintf(stderr, "jxjyd: status: %s (is jxjyd running?)\n", err);
		return EXIT_NOT_RUNNING;
	}
	return EXIT_OK;
}

static int
main_admins(const struct config *cfg)
{
	struct db_conn *c;
	int rc;

	if ((c = main_connect(cfg)) == NULL)
		return EXIT_DATABASE;
	rc = admins_list(c, cfg, stdout);
	db_disconnect_single(c);
	return rc == 0 ? EXIT_OK : EXIT_DATABASE;
}

/*
 * certificate-key: "KEY-ID PUBLIC-KEY" of the signing key, for publishing
 * it and for certificates.old_public_keys when it is rotated.
 */
static int
main_certificate_key(const struct config *cfg)
{
	char err[512];

	if (certificates_start(cfg, err, sizeof err) != 0) {
		fprintf(stderr, "jxjyd: certificates.signing_key: %s\n", err);
		return EXIT_USAGE;
	}
	printf("%s %s\n", certificates_key_id(), certificates_public_key());
	return EXIT_OK;
}

/* The whole of a file of at most max bytes; NULL (reported) when not. Caller frees. */
static char *
main_read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, got;

	if (f == NULL) {
		fprintf(stderr, "jxjyd: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(max + 1);
	while (n <= max && (got = fread(buf + n, 1, max + 1 - n, f)) > 0)
		n += got;
	if (ferror(f) || n > max) {
		fprintf(stderr, "jxjyd: %s: %s\n", path, ferror(f) ? strerror(errno) :
		    "too large for a certificate");
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* A string member of a certificate's facts, "" when there is none. */
static const char *
main_fact(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : "";
}

/*
 * One payload "FACTS.KEYID.SIGNATURE" of path checked and what it states
 * printed; true when the signature is good.  payload is cut up.
 */
static bool
main_verify_payload(const struct config *cfg, const char *path, char *payload)
{
	char *kid, *sig;
	json_t *facts = NULL, *y;
	size_t i;
	bool ok = false;

	if ((sig = strrchr(payload, '.')) == NULL) {
		printf("%s: 不是本系统签发的学时证明 (no certificate of jxjy)\n", path);
		return false;
	}
	*sig++ = '\0';
	if ((kid = strrchr(payload, '.')) == NULL) {
		printf("%s: 不是本系统签发的学时证明 (no certificate of jxjy)\n", path);
		return false;
	}
	*kid++ = '\0';
	facts = json_loads(payload, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(facts) || !certificates_signature_ok(cfg, facts, sig, kid)) {
		printf("%s: 签名无效：所载内容已被改动，或非本系统的密钥签发 "
		    "(SIGNATURE NOT VALID)\n", path);
		goto out;
	}
	printf("签名有效 (SIGNATURE VALID), key %s\n", kid);
	printf("验证码：%s\n签发日期：%s\n签发机构：%s\n",
	    main_fact(facts, "code"),
	    main_fact(facts, "issued_at"),
	    main_fact(facts, "issuer"));
	printf("姓名：%s\n身份证号：%s\n工作单位：%s\n",
	    main_fact(json_object_get(facts, "person"), "name"),
	    main_fact(json_object_get(facts, "person"), "id_number"),
	    main_fact(json_object_get(facts, "person"), "unit"));
	json_array_foreach(json_object_get(facts, "years"), i, y) {
		json_t *req = json_object_get(y, "required"), *got = json_object_get(y, "approved");

		printf("%lld 年度：要求 %s 学时，已审核 %s 学时（专业 %s，公需 %s），%s\n",
		    (long long)json_integer_value(json_object_get(y, "year")),
		    main_fact(req, "total"),
		    main_fact(got, "total"),
		    main_fact(got, "professional"),
		    main_fact(got, "public"),
		    json_is_true(json_object_get(y, "met")) ? "已达到" : "未达到");
	}
	printf("记录 %zu 条；是否仍然有效（记录未被撤销）请用 ssh verify %s 查询\n",
	    json_array_size(json_object_get(facts, "records")),
	    main_fact(facts, "code"));
	ok = true;
out:
	json_decref(facts);
	return ok;
}

/*
 * verify FILE.pdf: the offline check of a certificate.  The PDF carries
 * "FACTS.KEYID.SIGNATURE" (certificate-pdf.h), one a line when it holds
 * several people's (a unit's `certificates`): each is checked and printed,
 * in page order, and the file passes only when every one does.  The facts
 * must be signed by this daemon's key or one it rotated out
 * (certificates.old_public_keys).  What it states is printed for comparing
 * with the page.  Whether a record was revoked since it was issued only
 * the database knows: `ssh host verify CODE` tells.
 */
static int
main_verify(const struct config *cfg, const char *path)
{
	char err[512], *pdf, *payload = NULL, *line, *next;
	size_t len, people = 0, good = 0;

	if (certificates_start(cfg, err, sizeof err) != 0) {
		fprintf(stderr, "jxjyd: certificates.signing_key: %s\n", err);
		return EXIT_USAGE;
	}
	if ((pdf = main_read_file(path, MAIN_PDF_MAX, &len)) == NULL)
		return EXIT_USAGE;
	if (certificate_pdf_payload(pdf, len, &payload) != 0) {
		printf("%s: 不是本系统签发的学时证明 (no certificate of jxjy)\n", path);
		free(pdf);
		return EXIT_NOT_VERIFIED;
	}
	for (line = payload; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (next != NULL || people > 0)
			printf("%s第 %zu 人：\n", people > 0 ? "\n" : "", people + 1);
		people++;
		good += main_verify_payload(cfg, path, line);
	}
	if (people > 1)
		printf("\n共 %zu 人，签名有效 %zu 人%s\n", people, good,
		    good == people ? " (ALL VALID)" : " (NOT ALL VALID)");
	free(payload);
	free(pdf);
	return good == people ? EXIT_OK : EXIT_NOT_VERIFIED;
}

/* serve: the reference data first when configured, then the listener until SIGTERM. */
static int
main_serve(struct config *cfg)
{
	char err[512];
	int rc;

	/* From here lines to stderr gather for flush_ms (issue 19); written out below. */
	log_buffer_start(cfg->log_flush_ms);
	/*
	 * A mistake in the files is logged and the data already in the
	 * database is served: nothing was imported, so it is still
	 * consistent, and a typo in a CSV file should not keep the service
	 * down.
	 */
	if (cfg->ref_import_at_start && import_configured(cfg)) {
		rc = main_import(cfg, false, main_import_log);
		if (rc == EXIT_DATABASE)
			goto out;
		if (rc != EXIT_OK)
			log_warning("reference data not imported (mistakes above); "
			    "serving the data already in the database");
	}
	if (certificates_start(cfg, err, sizeof err) != 0) {
		log_error("certificates.signing_key: %s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	stats_start();
	rc = listener_run(cfg);
	certificate_pdf_end();	/* every session has ended: no PDF is being made */
out:
	log_buffer_stop();	/* the last lines ("stopped") are in the log at exit */
	return rc;
}

/* Run command with the configuration at path loaded.  Returns the exit status. */
static int
main_run(enum main_command command, const char *path, bool dry_run)
{
	struct config cfg;
	int rc;

	rc = main_load_config(path, &cfg);
	if (command == CMD_CHECK_CONFIG) {
		if (rc == EXIT_OK)
			printf("%s: ok\n", path);
		goto out;
	}
	if (rc != EXIT_OK)
		goto out;
	if (command == CMD_STATUS) {
		rc = main_status(&cfg);
		goto out;
	}
	if (command == CMD_CERTIFICATE_KEY) {
		rc = main_certificate_key(&cfg);
		goto out;
	}
	if (command == CMD_VERIFY) {
		rc = main_verify(&cfg, main_file);
		goto out;
	}
	log_open(cfg.log_level, cfg.log_syslog);
	if (command == CMD_MIGRATE) {
		rc = main_migrate(&cfg, 1);
		goto out;
	}
	/* Everything else: never on a database this binary does not match. */
	rc = main_migrate(&cfg, 0);
	if (rc != EXIT_OK)
		goto out;
	switch (command) {
	case CMD_IMPORT:
		rc = main_import(&cfg, dry_run, main_import_print);
		break;
	case CMD_ADMINS:
		rc = main_admins(&cfg);
		break;
	default:
		rc = main_serve(&cfg);
		break;
	}
out:
	config_free(&cfg);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONFIG_DEFAULT_PATH, *name = "serve";
	enum main_command command = CMD_SERVE;
	bool dry_run = false, found = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "f:hn", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 'n':
			dry_run = true;
			break;
		case 'V':
			printf("jxjyd %s (protocol %d)\n", JXJY_VERSION, JXJY_PROTOCOL_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		name = argv[optind++];
	if (strcmp(name, "verify") == 0) {
		if (optind == argc) {
			usage(stderr);
			return EXIT_USAGE;
		}
		main_file = argv[optind++];
	}
	if (strcmp(name, "import") == 0 && optind + 2 == argc) {
		main_table = argv[optind++];
		main_file = argv[optind++];
	}
	if (optind < argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof main_commands / sizeof main_commands[0]; i++) {
		if (strcmp(name, main_commands[i].name) == 0) {
			command = main_commands[i].command;
			found = true;
		}
	}
	if (!found) {
		fprintf(stderr, "jxjyd: unknown command '%s'\n", name);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (dry_run && command != CMD_IMPORT) {
		fprintf(stderr, "jxjyd: -n (--dry-run) is for import only\n");
		return EXIT_USAGE;
	}
	return main_run(command, path, dry_run);
}
