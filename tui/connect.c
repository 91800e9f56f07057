/*
 * connect.c - the SSH connection to jxjyd.
 *
 * The client keeps its own known-hosts file (~/.config/jxjy/known_hosts)
 * so that trusting a jxjy server says nothing about the user's OpenSSH
 * trust, and the other way round.  The checks follow OpenSSH: a known key
 * passes, an unknown one is shown by fingerprint and accepted only by the
 * user (or by --accept-new), and a changed one is always refused, naming
 * the line to remove.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <libssh/callbacks.h>

#include "connect.h"
#include "i18n.h"
#include "protocol.h"
#include "xmalloc.h"

/* Seconds to wait for the TCP connection and for each blocking step. */
#define CONNECT_TIMEOUT		15

/* Keyboard-interactive rounds we sit through before giving up. */
#define CONNECT_KBDINT_ROUNDS	8

char *
connect_default_known_hosts(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home == NULL || *home == '\0') {
		pw = getpwuid(getuid());
		home = pw != NULL ? pw->pw_dir : "/";
	}
	return xasprintf("%s/.config/jxjy/known_hosts", home);
}

/*
 * Create the directories leading to path (not path itself), each 0700 when
 * we create it; an existing directory is left as it is.  Returns 0 or -1.
 */
static int
connect_make_parents(const char *path)
{
	char *dir = xstrdup(path), *p;
	int rc = 0;

	for (p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			rc = -1;
			break;
		}
		*p = '/';
	}
	free(dir);
	return rc;
}

/*
 * Ask on the controlling terminal, as OpenSSH does, so that standard input
 * (the JSON of --rpc, say) is never read by mistake.  Reads one line into
 * buf without its newline, with echo off unless echo.  Returns 0, or -1
 * when there is no terminal or it closed.
 */
static int
connect_tty_ask(const char *prompt, bool echo, char *buf, size_t len)
{
	struct termios saved, quiet;
	bool restore = false;
	size_t n = 0;
	int fd, rc = -1;
	char c;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return -1;
	if (!echo && tcgetattr(fd, &saved) == 0) {
		quiet = saved;
		quiet.c_lflag &= ~(ECHO | ECHONL);
		restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	if (write(fd, prompt, strlen(prompt)) < 0)
		goto out;
	for (;;) {
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		if (c == '\n' || c == '\r')
			break;
		if (n + 1 < len)
			buf[n++] = c;
	}
	buf[n] = '\0';
	rc = 0;
out:
	if (restore) {
		tcsetattr(fd, TCSAFLUSH, &saved);
		if (write(fd, "\n", 1) < 0)
			rc = -1;
	}
	close(fd);
	return rc;
}

/* libssh asks this for the passphrase of an encrypted private key. */
static int
connect_passphrase(const char *prompt, char *buf, size_t len, int echo, int verify,
    void *userdata)
{
	return connect_tty_ask(prompt, echo != 0, buf, len) == 0 ? 0 : -1;
}

static struct ssh_callbacks_struct connect_callbacks = {
	.auth_function = connect_passphrase,
};

/* "host" on port 22, "[host]:port" elsewhere, as known_hosts spells it. */
static char *
connect_host_port(const char *host, int port)
{
	char *s = port == 22 ? xstrdup(host) : xasprintf("[%s]:%d", host, port);

	for (char *p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/*
 * The line of file holding a key for host_port that is not the server's
 * key (of the same type when same_type), or 0 when none is found.
 */
static int
connect_offending_line(const char *file, const char *host_port, ssh_key server_key,
    bool same_type)
{
	struct ssh_knownhosts_entry *entry;
	char *line = NULL, *p;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, found = 0;
	FILE *f;

	if ((f = fopen(file, "r")) == NULL)
		return 0;
	while (found == 0 && (n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		for (p = line; isspace((unsigned char)*p); p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		entry = NULL;
		if (ssh_known_hosts_parse_line(host_port, p, &entry) == SSH_OK && entry != NULL) {
			if ((!same_type ||
			    ssh_key_type(entry->publickey) == ssh_key_type(server_key)) &&
			    ssh_key_cmp(entry->publickey, server_key, SSH_KEY_CMP_PUBLIC) != 0)
				found = lineno;
		}
		ssh_knownhosts_entry_free(entry);
	}
	free(line);
	fclose(f);
	return found;
}

/* The OpenSSH-like warning about a changed host key. */
static void
connect_warn_changed(const char *file, const char *host_port, const char *type,
    const char *fingerprint, int line)
{
	fprintf(stderr,
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
	    "@    %s\n"
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n",
	    _("WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!"));
	fprintf(stderr, "%s\n", _("IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!"));
	fprintf(stderr, "%s\n", _("Someone could be eavesdropping on you right now "
	    "(man-in-the-middle attack), or the server's host key has just been changed."));
	fprintf(stderr, _("The fingerprint for the %s key sent by the remote host is\n%s\n"),
	    type, fingerprint);
	fprintf(stderr, "%s\n", _("Please contact your system administrator."));
	if (line > 0) {
		fprintf(stderr, _("Offending key in %s:%d\n"), file, line);
		fprintf(stderr, _("  remove with:\n  ssh-keygen -f \"%s\" -R \"%s\"\n"),
		    file, host_port);
	} else {
		fprintf(stderr, _("Remove the old key of %s from %s.\n"), host_port, file);
	}
	fprintf(stderr, _("Host key for %s has changed; host key verification failed.\n"),
	    host_port);
}

/*
 * Ask whether to trust an unknown host key.  Returns true for yes.  Without
 * a terminal the answer is no.
 */
static bool
connect_ask_unknown(const char *host_port, const char *type, const char *fingerprint)
{
	char answer[32], *prompt;
	bool yes = false;

	prompt = xasprintf(_("The authenticity of host '%s' can't be established.\n"
	    "The %s key fingerprint is %s.\n"
	    "Are you sure you want to continue connecting (yes/no)? "),
	    host_port, type, fingerprint);
	for (;;) {
		if (connect_tty_ask(prompt, true, answer, sizeof answer) != 0)
			break;
		if (strcasecmp(answer, "yes") == 0 || strcasecmp(answer, "y") == 0 ||
		    strcmp(answer, "是") == 0) {
			yes = true;
			break;
		}
		if (strcasecmp(answer, "no") == 0 || strcasecmp(answer, "n") == 0 ||
		    strcmp(answer, "否") == 0)
			break;
		free(prompt);
		prompt = xstrdup(_("Please type 'yes' or 'no': "));
	}
	free(prompt);
	return yes;
}

/*
 * Check the server's host key against file.  Returns CONNECT_OK when it is
 * known or was accepted (and recorded), else the refusal, reported.
 */
static enum connect_status
connect_verify_host(ssh_session session, const struct connect_options *o, const char *file)
{
	enum connect_status status = CONNECT_HOST_KEY_REFUSED;
	unsigned char *hash = NULL;
	char *fingerprint = NULL, *host_port;
	ssh_key key = NULL;
	size_t hlen;
	const char *type;

	host_port = connect_host_port(o->host, o->port);
	if (ssh_get_server_publickey(session, &key) != SSH_OK ||
	    ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != 0) {
		fprintf(stderr, _("jxjy: cannot read the host key of %s: %s\n"), host_port,
		    ssh_get_error(session));
		goto out;
	}
	fingerprint = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	type = ssh_key_type_to_char(ssh_key_type(key));
	if (type == NULL)
		type = "?";

	switch (ssh_session_is_known_server(session)) {
	case SSH_KNOWN_HOSTS_OK:
		status = CONNECT_OK;
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
		connect_warn_changed(file, host_port, type, fingerprint,
		    connect_offending_line(file, host_port, key, true));
		break;
	case SSH_KNOWN_HOSTS_OTHER:
		/* Known by a key of another type: OpenSSH refuses too. */
		connect_warn_changed(file, host_port, type, fingerprint,
		    connect_offending_line(file, host_port, key, false));
		break;
	case SSH_KNOWN_HOSTS_NOT_FOUND:
	case SSH_KNOWN_HOSTS_UNKNOWN:
		if (!o->accept_new && !connect_ask_unknown(host_port, type, fingerprint)) {
			fprintf(stderr, _("jxjy: host key of %s not accepted "
			    "(use --accept-new to accept it without asking).\n"), host_port);
			break;
		}
		if (connect_make_parents(file) != 0 ||
		    ssh_session_update_known_hosts(session) != SSH_OK) {
			fprintf(stderr, _("jxjy: cannot record the host key in %s: %s\n"), file,
			    ssh_get_error(session));
			break;
		}
		fprintf(stderr, _("Warning: permanently added '%s' (%s) to %s.\n"), host_port,
		    type, file);
		status = CONNECT_OK;
		break;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		fprintf(stderr, _("jxjy: cannot check the host key of %s against %s: %s\n"),
		    host_port, file, ssh_get_error(session));
		break;
	}
out:
	ssh_string_free_char(fingerprint);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	free(host_port);
	return status;
}

/* Keyboard-interactive, answering rounds that ask nothing. */
static int
connect_kbdint(ssh_session session)
{
	int rc, round;

	rc = ssh_userauth_kbdint(session, NULL, NULL);
	for (round = 0; rc == SSH_AUTH_INFO && round < CONNECT_KBDINT_ROUNDS; round++) {
		if (ssh_userauth_kbdint_getnprompts(session) != 0)
			return SSH_AUTH_DENIED;	/* a password prompt: not ours to answer */
		rc = ssh_userauth_kbdint(session, NULL, NULL);
	}
	return rc == SSH_AUTH_INFO ? SSH_AUTH_DENIED : rc;
}

/* "none", then public keys (agent, -i, default files), then kbd-interactive. */
static int
connect_authenticate(ssh_session session)
{
	int rc;

	rc = ssh_userauth_none(session, NULL);
	if (rc == SSH_AUTH_SUCCESS || rc == SSH_AUTH_ERROR)
		return rc;
	rc = ssh_userauth_publickey_auto(session, NULL, NULL);
	if (rc == SSH_AUTH_SUCCESS || rc == SSH_AUTH_ERROR)
		return rc;
	return connect_kbdint(session);
}

enum connect_status
connect_ssh(const struct connect_options *o, ssh_session *sessionp, ssh_channel *channelp)
{
	enum connect_status status = CONNECT_FAILED;
	ssh_session session;
	ssh_channel channel = NULL;
	char *file;
	long timeout = CONNECT_TIMEOUT;
	int on = 1, off = 0, port = o->port;

	*sessionp = NULL;
	*channelp = NULL;
	file = o->known_hosts != NULL ? xstrdup(o->known_hosts) : connect_default_known_hosts();
	if (o->known_hosts == NULL)
		connect_make_parents(file);

	if ((session = ssh_new()) == NULL) {
		fprintf(stderr, "jxjy: ssh_new failed\n");
		goto out;
	}
	/*
	 * Not the user's ~/.ssh/config: what we connect to is what the
	 * command line says.  NODELAY: each request is a small write that
	 * must not wait for Nagle.
	 */
	if (ssh_options_set(session, SSH_OPTIONS_PROCESS_CONFIG, &off) != 0 ||
	    ssh_options_set(session, SSH_OPTIONS_HOST, o->host) != 0 ||
	    ssh_options_set(session, SSH_OPTIONS_PORT, &port) != 0 ||
	    ssh_options_set(session, SSH_OPTIONS_USER, o->user) != 0 ||
	    ssh_options_set(session, SSH_OPTIONS_NODELAY, &on) != 0 ||
	    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout) != 0 ||
	    ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, file) != 0 ||
	    ssh_options_set(session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") != 0) {
		fprintf(stderr, _("jxjy: bad connection options: %s\n"), ssh_get_error(session));
		goto out;
	}
	if (o->identity != NULL) {
		if (access(o->identity, R_OK) != 0)
			fprintf(stderr, _("jxjy: warning: cannot read identity file %s: %s\n"),
			    o->identity, strerror(errno));
		else
			ssh_options_set(session, SSH_OPTIONS_IDENTITY, o->identity);
	}
	ssh_callbacks_init(&connect_callbacks);
	ssh_set_callbacks(session, &connect_callbacks);

	if (ssh_connect(session) != SSH_OK) {
		fprintf(stderr, _("jxjy: cannot connect to %s port %d: %s\n"), o->host, o->port,
		    ssh_get_error(session));
		goto out;
	}
	if ((status = connect_verify_host(session, o, file)) != CONNECT_OK)
		goto out;
	status = CONNECT_FAILED;

	if (connect_authenticate(session) != SSH_AUTH_SUCCESS) {
		fprintf(stderr, _("jxjy: %s refused to authenticate %s: %s\n"), o->host, o->user,
		    ssh_get_error(session));
		goto out;
	}
	if ((channel = ssh_channel_new(session)) == NULL ||
	    ssh_channel_open_session(channel) != SSH_OK ||
	    ssh_channel_request_subsystem(channel, JXJY_SUBSYSTEM) != SSH_OK) {
		fprintf(stderr, _("jxjy: %s does not serve %s: %s\n"), o->host, JXJY_SUBSYSTEM,
		    ssh_get_error(session));
		goto out;
	}
	status = CONNECT_OK;
out:
	if (status != CONNECT_OK) {
		if (channel != NULL)
			ssh_channel_free(channel);
		if (session != NULL) {
			ssh_disconnect(session);
			ssh_free(session);
		}
	} else {
		*sessionp = session;
		*channelp = channel;
	}
	free(file);
	return status;
}
