/*
 * main.c - jxjy, the terminal client of jxjyd: arguments, language,
 * connection, then either the --rpc relay or the screens.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jxjy-config.h"
#include "app.h"
#include "protocol.h"
#include "xmalloc.h"

/* Set by the handler of SIGTERM, SIGHUP and SIGINT: the signal's number. */
static volatile sig_atomic_t main_signal;

struct main_options {
	struct connect_options connect;
	enum ui_lang	 lang;
	bool		 rpc;		/* --rpc: relay, no TUI */
	bool		 use_fd;	/* --fd IN,OUT */
	int		 fd_in, fd_out;
	char		*error;		/* the first usage mistake, translated later */
	char		*error_arg;
	bool		 user_given;	/* -u: wins over USER@HOST */
	const char	*bad_env_lang;	/* JXJY_LANG when it was neither zh nor en */
	bool		 help, version;
};

static void
main_usage(FILE *f)
{
	fprintf(f, "%s",
	    _("usage: jxjy [-p PORT] [-l zh|en] [-u USER] [-i IDENTITY] [-k KNOWN_HOSTS]\n"
	    "            [--accept-new] [--rpc] [--fd IN,OUT] [USER@]HOST\n"));
	fprintf(f, "%s",
	    _("  -p PORT        server port (default 2222)\n"
	    "  -l LANG        zh (default) or en; also $JXJY_LANG\n"
	    "  -u USER        SSH user name (default \"jxjy\")\n"
	    "  -i IDENTITY    private key to offer first\n"
	    "  -k FILE        known-hosts file (default ~/.config/jxjy/known_hosts)\n"
	    "  --accept-new   record an unknown host key without asking\n"
	    "  --rpc          relay JSON-RPC lines between stdin/stdout and the server\n"
	    "  --fd IN,OUT    talk JSON-RPC over these descriptors instead of SSH\n"));
}

/* Keep the first mistake; it is reported once the language is known. */
static void
main_mistake(struct main_options *o, const char *msgid, const char *arg)
{
	if (o->error != NULL)
		return;
	o->error = xstrdup(msgid);
	o->error_arg = xstrdup(arg != NULL ? arg : "");
}

static bool
main_parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

static void
main_parse(int argc, char **argv, struct main_options *o)
{
	static const struct option longopts[] = {
		{ "accept-new",	no_argument,		NULL, 'A' },
		{ "rpc",	no_argument,		NULL, 'R' },
		{ "fd",		required_argument,	NULL, 'F' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("JXJY_LANG");
	char *host, *at, *comma;
	int c;

	memset(o, 0, sizeof *o);
	o->connect.port = JXJY_DEFAULT_PORT;
	o->connect.user = "jxjy";
	o->lang = UI_LANG_ZH;
	/* A stray JXJY_LANG is no reason to refuse to run: main warns. */
	if (env != NULL && *env != '\0' && i18n_parse_lang(env, &o->lang) != 0)
		o->bad_env_lang = env;

	opterr = 0;	/* our messages, in the user's language */
	while ((c = getopt_long(argc, argv, ":p:l:u:i:k:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!main_parse_int(optarg, 1, 65535, &o->connect.port))
				main_mistake(o, N_("bad port '%s'"), optarg);
			break;
		case 'l':
			if (i18n_parse_lang(optarg, &o->lang) != 0)
				main_mistake(o, N_("language must be zh or en, not '%s'"), optarg);
			break;
		case 'u':
			o->connect.user = optarg;
			o->user_given = true;
			break;
		case 'i':
			o->connect.identity = optarg;
			break;
		case 'k':
			o->connect.known_hosts = optarg;
			break;
		case 'A':
			o->connect.accept_new = true;
			break;
		case 'R':
			o->rpc = true;
			break;
		case 'F':
			comma = strchr(optarg, ',');
			if (comma == NULL)
				main_mistake(o, N_("--fd wants IN,OUT, not '%s'"), optarg);
			else {
				*comma = '\0';
				if (!main_parse_int(optarg, 0, INT_MAX, &o->fd_in) ||
				    !main_parse_int(comma + 1, 0, INT_MAX, &o->fd_out)) {
					*comma = ',';
					main_mistake(o, N_("--fd wants IN,OUT, not '%s'"), optarg);
				}
				*comma = ',';
			}
			o->use_fd = true;
			break;
		case 'h':
			o->help = true;
			break;
		case 'V':
			o->version = true;
			break;
		case ':':
			main_mistake(o, N_("option '%s' needs an argument"), argv[optind - 1]);
			break;
		default:
			main_mistake(o, N_("unknown option '%s'"), argv[optind - 1]);
			break;
		}
	}

	if (o->use_fd) {
		/* HOST is ignored, but allowed. */
		if (argc - optind > 1)
			main_mistake(o, N_("unexpected argument '%s'"), argv[optind + 1]);
		return;
	}
	if (argc - optind != 1) {
		if (argc - optind == 0)
			main_mistake(o, N_("no HOST given"), NULL);
		else
			main_mistake(o, N_("unexpected argument '%s'"), argv[optind + 1]);
		return;
	}
	host = argv[optind];
	if ((at = strrchr(host, '@')) != NULL) {
		*at = '\0';
		/* -u, when given, wins, as -l does over user@ in OpenSSH. */
		if (!o->user_given)
			o->connect.user = host;
		host = at + 1;
	}
	if (*host == '\0' || *o->connect.user == '\0')
		main_mistake(o, N_("bad HOST '%s'"), argv[optind]);
	o->connect.host = host;
}

static void
main_on_signal(int sig)
{
	main_signal = sig;
	ui_wake_from_signal();
}

static void
main_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	/* No SA_RESTART: a blocked read must return so the flag is seen. */
	sa.sa_handler = main_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* Leave with status, or by the signal that stopped us, as a shell expects. */
static int
main_exit(int status)
{
	int sig = main_signal;

	if (sig != 0) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	return status;
}

/* Run one screen; returns the next. */
static enum screen_id
main_screen(struct app *a, enum screen_id id)
{
	switch (id) {
	case SCREEN_START:
		return app_start(a);
	case SCREEN_LOGIN:
		return screen_login_run(a);
	case SCREEN_REGISTER:
		return screen_register_run(a);
	case SCREEN_STATUS:
		return screen_status_run(a);
	case SCREEN_HOME:
		return screen_home_run(a);
	case SCREEN_PASSWORD:
		return screen_password_run(a);
	case SCREEN_REVIEW:
		return screen_review_run(a);
	case SCREEN_PROFILE:
		return screen_profile_run(a);
	case SCREEN_TITLES:
		return screen_titles_run(a);
	case SCREEN_STAFF:
		return screen_staff_run(a);
	case SCREEN_DECLARE:
		return screen_declare_run(a);
	case SCREEN_PROGRESS:
		return screen_progress_run(a);
	case SCREEN_DECL_REVIEW:
		return screen_decl_review_run(a);
	case SCREEN_COMPLETION:
		return screen_completion_run(a);
	case SCREEN_REPORT:
		return screen_report_run(a);
	case SCREEN_BASE:
		return screen_base_run(a);
	case SCREEN_AUTHORITY_STATS:
		return screen_authority_stats_run(a);
	case SCREEN_AUTHORITY_REVIEW:
		return screen_authority_review_run(a);
	case SCREEN_AUTHORITY_AUDIT:
		return screen_authority_audit_run(a);
	case SCREEN_AUTHORITY_BASES:
		return screen_authority_bases_run(a);
	case SCREEN_AUTHORITY_REQUIREMENTS:
		return screen_authority_requirements_run(a);
	case SCREEN_QUIT:
		break;
	}
	return SCREEN_QUIT;
}

int
main(int argc, char **argv)
{
	struct main_options o;
	struct app app = { .signal = &main_signal };
	enum connect_status status;
	enum screen_id next;
	const char *timeout;
	int rc, seconds;

	main_parse(argc, argv, &o);
	i18n_setup(o.lang);
	app.lang = o.lang;

	if (o.bad_env_lang != NULL) {
		fprintf(stderr, "jxjy: ");
		fprintf(stderr, _("JXJY_LANG must be zh or en, not '%s'"), o.bad_env_lang);
		fprintf(stderr, "\n");
	}
	if (o.help) {
		main_usage(stdout);
		return 0;
	}
	if (o.version) {
		printf("jxjy %s (protocol %d)\n", JXJY_VERSION, JXJY_PROTOCOL_VERSION);
		return 0;
	}
	if (o.error != NULL) {
		fprintf(stderr, "jxjy: ");
		/*
		 * o.error is one of the N_() msgids given to main_mistake, each
		 * with at most one %s; msgfmt --check (po/meson.build) holds its
		 * translation to the same conversions.
		 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		fprintf(stderr, _(o.error), o.error_arg);
#pragma GCC diagnostic pop
		fprintf(stderr, "\n");
		main_usage(stderr);
		return 1;
	}

	if (o.use_fd) {
		if ((app.rpc = rpc_connect_fd(o.fd_in, o.fd_out)) == NULL) {
			fprintf(stderr, _("jxjy: bad descriptors %d,%d: %s\n"), o.fd_in, o.fd_out,
			    strerror(errno));
			return 2;
		}
	} else if ((app.rpc = rpc_connect_ssh(&o.connect, &status)) == NULL) {
		return (int)status;
	}
	main_signals();
	rpc_set_interrupt(app.rpc, &main_signal);
	app.timeout_ms = -1;
	if ((timeout = getenv("JXJY_TIMEOUT")) != NULL &&
	    main_parse_int(timeout, 0, INT_MAX / 1000, &seconds)) {
		app.timeout_ms = seconds * 1000;
		rpc_set_timeout(app.rpc, app.timeout_ms);
	}
	/* Over SSH a session the server ended may start over; over --fd it cannot. */
	app.connect = o.use_fd ? NULL : &o.connect;

	if (o.rpc) {
		rc = rpc_relay(app.rpc, STDIN_FILENO, STDOUT_FILENO);
		rpc_close(app.rpc);
		return main_exit(rc);
	}

	if ((rc = app_hello(&app)) != 0) {
		rpc_close(app.rpc);
		return main_exit(rc);
	}
	if (ui_start() != 0) {
		fprintf(stderr, "%s\n", _("jxjy: standard input and output must be a terminal "
		    "(use --rpc for scripts)"));
		rpc_close(app.rpc);
		return 1;
	}
	atexit(ui_end);		/* whatever way out is taken, the terminal comes back */
	ui_set_signal_flag(&main_signal);
	ui_set_tick(app_tick, app_tick_fd, &app);

	next = SCREEN_START;
	while (next != SCREEN_QUIT && main_signal == 0) {
		next = main_screen(&app, next);
		if (app.restart) {
			/* The server ended the session (app_lost told the user): start over. */
			app_reconnect(&app);
			next = SCREEN_START;
		}
	}
	ui_end();
	rpc_close(app.rpc);
	app_clear_me(&app);
	free(app.server);
	return main_exit(0);
}
