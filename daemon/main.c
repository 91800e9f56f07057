/*
 * main.c - jxjyd's command line: serve, migrate, check-config, --version.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jxjy-config.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "migrate.h"
#include "server.h"

enum exit_status {
	EXIT_OK = 0,
	EXIT_USAGE = 1,		/* bad command line or config */
	EXIT_DATABASE = 2,	/* database unreachable */
	EXIT_SCHEMA = 3,	/* migrations missing or mismatched */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: jxjyd [-f FILE] [COMMAND]\n"
	    "  -f FILE        configuration file (default %s)\n"
	    "  --version      print the version and exit\n"
	    "commands:\n"
	    "  serve          run the SSH server in the foreground (default)\n"
	    "  check-config   check FILE and report every mistake\n"
	    "  migrate        apply the pending schema migrations\n"
	    "exit status: 0 ok, 1 usage or configuration error, 2 database\n"
	    "unreachable, 3 schema not migrated or changed\n", CONFIG_DEFAULT_PATH);
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

/* Compare (and with apply, bring up to date) the schema. */
static int
main_migrate(const struct config *cfg, int apply)
{
	struct db_conn *c;
	char err[512];
	enum migrate_status st;

	c = db_connect_single(cfg->db_conninfo, err, sizeof err);
	if (c == NULL) {
		fprintf(stderr, "jxjyd: database: %s\n", err);
		return EXIT_DATABASE;
	}
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

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONFIG_DEFAULT_PATH, *command = "serve";
	struct config cfg;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
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
		command = argv[optind++];
	if (optind < argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(command, "serve") != 0 && strcmp(command, "check-config") != 0 &&
	    strcmp(command, "migrate") != 0) {
		fprintf(stderr, "jxjyd: unknown command '%s'\n", command);
		usage(stderr);
		return EXIT_USAGE;
	}

	rc = main_load_config(path, &cfg);
	if (strcmp(command, "check-config") == 0) {
		if (rc == EXIT_OK)
			printf("%s: ok\n", path);
		goto out;
	}
	if (rc != EXIT_OK)
		goto out;
	log_open(cfg.log_level, cfg.log_syslog);
	if (strcmp(command, "migrate") == 0) {
		rc = main_migrate(&cfg, 1);
		goto out;
	}
	/* serve: never on a database this binary does not match. */
	rc = main_migrate(&cfg, 0);
	if (rc != EXIT_OK)
		goto out;
	rc = server_run(&cfg);
out:
	config_free(&cfg);
	return rc;
}
