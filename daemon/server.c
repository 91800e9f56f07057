/*
 * server.c - accept SSH connections and serve each on a thread of its own.
 *
 * Why a thread per session: a prototype measured on this kind of machine
 * (docs/design.md) found fork per connection costs ten times the CPU, and
 * that one ssh_event shared by many sessions is broken in libssh 0.10 (a
 * poll error from one session's socket drops others).  So each session owns
 * its ssh_event and runs on its own small-stacked thread; its requests run
 * there one at a time and block only that session while they wait for the
 * database pool.  Idle sessions sleep in poll and cost a stack page or two.
 *
 * The main thread owns the listening socket and the signals (signalfd):
 * it accepts, applies the connection limits, and hands the socket to
 * libssh.  On SIGTERM it stops accepting and writes to stop_pipe, whose
 * read end is in every session's event, so every session wakes, finishes
 * what it has received, says goodbye and ends; then the pool closes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <malloc.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "jxjy-config.h"
#include "admins.h"
#include "attachments.h"
#include "captcha.h"
#include "control.h"
#include "db.h"
#include "exec.h"
#include "forms.h"
#include "inbox.h"
#include "log.h"
#include "notify.h"
#include "passwords.h"
#include "rpc.h"
#include "server.h"
#include "session.h"
#include "stats.h"
#include "xmalloc.h"

/*
 * Stack per session thread.  Requests never recurse deeply (jansson's
 * parser depth is bounded) and only touched pages cost memory, but the
 * sanitizers need far more room.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SESSION_STACK	(2 * 1024 * 1024)
#else
#define SESSION_STACK	(256 * 1024)
#endif

/* Seconds to wait for sessions to finish after SIGTERM before leaving anyway. */
#define DRAIN_SECONDS	30

/* Config in force; replaced whole on SIGHUP (old ones are kept, see server_reload). */
static struct config *_Atomic current_config;

static atomic_bool stopping;
static int stop_pipe[2] = { -1, -1 };
static ssh_bind server_bind;

/*
 * Connections, counted three ways: all of them per source address (what
 * sessions.max_per_source bounds, so one address cannot hold every thread);
 * those not yet past SSH authentication (sessions.max_startups, sshd's
 * MaxStartups); and authenticated sessions (sessions.max), so that silent
 * or slow connections can never keep people out of sessions.max.
 */
static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 gone;
	int		 connections;	/* every thread, whatever its state */
	int		 startups;	/* not yet authenticated */
	int		 total;		/* authenticated sessions */
	struct source_count {
		char	 address[48];
		int	 count;
	}		*sources;
	size_t		 n_sources, cap_sources;
	unsigned long	 serial;
	/*
	 * Threads that have finished their session, to be joined by the main
	 * thread.  Joining (rather than detaching) means that when the server
	 * stops, every thread has really gone, thread-local state of the
	 * libraries included, before the process exits.
	 */
	pthread_t	*finished;
	size_t		 n_finished, cap_finished;
} sessions = { .lock = PTHREAD_MUTEX_INITIALIZER, .gone = PTHREAD_COND_INITIALIZER };

/* Written by a finishing session thread so that the main thread joins it. */
static int reap_pipe[2] = { -1, -1 };

const struct config *
server_config(void)
{
	return atomic_load(&current_config);
}

/* Logged-in sessions, for server_end_account_sessions. */
static struct {
	pthread_mutex_t	  lock;
	struct session	**list;
	size_t		  n, cap;
} logged_in = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void
session_unregister(struct session *s)
{
	pthread_mutex_lock(&logged_in.lock);
	for (size_t i = 0; i < logged_in.n; i++) {
		if (logged_in.list[i] == s) {
			logged_in.list[i] = logged_in.list[--logged_in.n];
			stats_account_logout();
			break;
		}
	}
	pthread_mutex_unlock(&logged_in.lock);
}

void
session_set_account(struct session *s, int64_t account_id, enum role role,
    const char *unit_code, const char *id_number)
{
	session_unregister(s);
	free(s->unit_code);
	s->unit_code = NULL;
	s->id_number[0] = '\0';
	s->key_login = false;
	if (account_id == 0) {
		s->account_id = 0;
		s->role = ROLE_GUEST;
		return;
	}
	s->account_id = account_id;
	s->role = role;
	s->unit_code = xstrdup(unit_code ? unit_code : "");
	snprintf(s->id_number, sizeof s->id_number, "%s", id_number ? id_number : "");
	pthread_mutex_lock(&logged_in.lock);
	clock_gettime(CLOCK_REALTIME, &s->login_time);
	if (logged_in.n == logged_in.cap) {
		logged_in.cap = logged_in.cap ? logged_in.cap * 2 : 64;
		logged_in.list = xrealloc(logged_in.list, logged_in.cap * sizeof *logged_in.list);
	}
	logged_in.list[logged_in.n++] = s;
	stats_account_login();
	pthread_mutex_unlock(&logged_in.lock);
}

/* Seconds since the epoch of a wall-clock time. */
static double
server_seconds(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

/*
 * Mark the sessions of account_id other than except that logged in before
 * `before` (seconds since the epoch; HUGE_VAL: all); logged_in.lock held.
 */
static int
server_end_marked(int64_t account_id, const struct session *except, double before)
{
	int n = 0;

	for (size_t i = 0; i < logged_in.n; i++) {
		struct session *s = logged_in.list[i];

		if (s != except && s->account_id == account_id &&
		    server_seconds(&s->login_time) < before) {
			uint64_t one = 1;

			atomic_store(&s->revoked, true);
			/* Registered, so not yet freed: the thread unregisters first. */
			if (s->wake_fd >= 0 && write(s->wake_fd, &one, sizeof one) < 0)
				log_debug("session %lu: wake: %s", s->serial, strerror(errno));
			n++;
		}
	}
	return n;
}

int
server_end_account_sessions(int64_t account_id, struct session *except)
{
	int n;

	pthread_mutex_lock(&logged_in.lock);
	n = server_end_marked(account_id, except, HUGE_VAL);
	/*
	 * The session that changed its own password has just proved the new
	 * one: for the reconciliation of notify.c it counts as logged in now,
	 * after the change.
	 */
	if (except != NULL && except->account_id == account_id)
		clock_gettime(CLOCK_REALTIME, &except->login_time);
	pthread_mutex_unlock(&logged_in.lock);
	return n;
}

int
server_end_account_sessions_before(int64_t account_id, double before)
{
	int n;

	pthread_mutex_lock(&logged_in.lock);
	n = server_end_marked(account_id, NULL, before);
	pthread_mutex_unlock(&logged_in.lock);
	return n;
}

size_t
server_logged_in_accounts(int64_t **ids)
{
	size_t n = 0;

	pthread_mutex_lock(&logged_in.lock);
	*ids = xcalloc(logged_in.n + 1, sizeof **ids);
	for (size_t i = 0; i < logged_in.n; i++) {
		size_t j;

		for (j = 0; j < n && (*ids)[j] != logged_in.list[i]->account_id; j++)
			;
		if (j == n)
			(*ids)[n++] = logged_in.list[i]->account_id;
	}
	pthread_mutex_unlock(&logged_in.lock);
	return n;
}

/*
 * sshd's MaxStartups: whether a new connection is dropped when n others
 * are not yet authenticated.  Below start none is; from start on, each is
 * dropped with a probability rising from rate % to 100 % at full.
 */
static bool
server_startup_dropped(const struct config *cfg, int n)
{
	int p;

	if (n >= cfg->startups_full)
		return true;
	if (n < cfg->startups_begin)
		return false;
	p = (100 - cfg->startups_rate) * (n - cfg->startups_begin) /
	    (cfg->startups_full - cfg->startups_begin) + cfg->startups_rate;
	return (int)arc4random_uniform(100) < p;
}

/*
 * Count a new connection from address as not yet authenticated; returns
 * false (counting nothing) when a limit says no, with the reason in *why.
 */
static bool
server_admit(const char *address, unsigned long *serial, const char **why)
{
	const struct config *cfg = server_config();
	struct source_count *sc = NULL;
	bool ok = false;

	pthread_mutex_lock(&sessions.lock);
	for (size_t i = 0; i < sessions.n_sources; i++) {
		if (strcmp(sessions.sources[i].address, address) == 0) {
			sc = &sessions.sources[i];
			break;
		}
	}
	if (sc != NULL && sc->count >= cfg->max_sessions_per_source) {
		*why = "too many sessions from this address";
	} else if (server_startup_dropped(cfg, sessions.startups)) {
		*why = "too many sessions not yet authenticated (sessions.max_startups)";
		stats_startup_dropped();
	} else {
		if (sc == NULL) {
			if (sessions.n_sources == sessions.cap_sources) {
				sessions.cap_sources = sessions.cap_sources ? sessions.cap_sources * 2 : 16;
				sessions.sources = xrealloc(sessions.sources,
				    sessions.cap_sources * sizeof *sessions.sources);
			}
			sc = &sessions.sources[sessions.n_sources++];
			snprintf(sc->address, sizeof sc->address, "%s", address);
			sc->count = 0;
		}
		sc->count++;
		sessions.connections++;
		sessions.startups++;
		stats_startup_opened();
		*serial = ++sessions.serial;
		ok = true;
	}
	pthread_mutex_unlock(&sessions.lock);
	return ok;
}

/*
 * s has passed SSH authentication: count it against sessions.max (and, as
 * a guest, sessions.max_guests) instead of sessions.max_startups.  Returns
 * false, counting it nowhere, when there is no room; *why says which limit.
 * Guests are all who are not (yet) logged in to an account: the logged-in
 * count comes from the registry, so a guest who logs in frees a guest slot.
 */
static bool
server_admit_session(struct session *s, const char **why)
{
	const struct config *cfg = server_config();
	bool guest = s->account_id == 0, ok = false;

	pthread_mutex_lock(&sessions.lock);
	sessions.startups--;
	stats_startup_closed();
	s->admission = ADMISSION_NONE;
	if (sessions.total >= cfg->max_sessions) {
		*why = "too many sessions";
	} else if (guest && sessions.total - stats_logged_in() >= cfg->max_guests) {
		*why = "too many guest sessions (sessions.max_guests)";
	} else {
		sessions.total++;
		stats_session_opened();
		s->admission = ADMISSION_SESSION;
		ok = true;
	}
	if (!ok)
		stats_session_refused();
	pthread_mutex_unlock(&sessions.lock);
	return ok;
}

/* A connection from address, counted as adm, has ended; thread: from its own thread. */
static void
server_release(const char *address, enum session_admission adm, bool thread)
{
	pthread_mutex_lock(&sessions.lock);
	if (thread) {
		if (sessions.n_finished == sessions.cap_finished) {
			sessions.cap_finished = sessions.cap_finished ? sessions.cap_finished * 2 : 64;
			sessions.finished = xrealloc(sessions.finished,
			    sessions.cap_finished * sizeof *sessions.finished);
		}
		sessions.finished[sessions.n_finished++] = pthread_self();
		if (write(reap_pipe[1], "r", 1) < 0) {
			/* Full: the main thread has wake-ups enough pending. */
		}
	}
	for (size_t i = 0; i < sessions.n_sources; i++) {
		if (strcmp(sessions.sources[i].address, address) == 0) {
			if (--sessions.sources[i].count == 0)
				sessions.sources[i] = sessions.sources[--sessions.n_sources];
			break;
		}
	}
	if (adm == ADMISSION_STARTUP) {
		sessions.startups--;
		stats_startup_closed();
	} else if (adm == ADMISSION_SESSION) {
		sessions.total--;
		stats_session_closed();
	}
	sessions.connections--;
	pthread_cond_broadcast(&sessions.gone);
	pthread_mutex_unlock(&sessions.lock);
}

/* --- libssh callbacks: they only record what happened ------------------- */

/*
 * SSH-level authentication.  Most people have no key: they get in at once
 * ("none") and prove who they are inside the application (ID number,
 * password, verification code).  A user name that is the ID number of an
 * active account with registered keys is asked for a key instead; if none
 * of the client's keys is registered, keyboard-interactive with no prompt
 * lets it in as a guest, so nobody ever sees "Permission denied".
 *
 * A key logs in only the account that has it and only when no other
 * account has it confirmed; the first valid signature by an unconfirmed
 * key confirms it (rpc-keys.c).  An account whose password an
 * administrator reset is asked for no key until the new password is set
 * (rpc-reset.c).  When the database cannot answer for an ID number, the
 * session is let in but marked auth_unavailable (session.h), so that every
 * request says "try again later" rather than serving a guest where a key
 * would have logged someone in.
 */
DB_STMT(auth_has_keys, "SELECT 1 FROM accounts a JOIN account_keys k ON k.account_id = a.id"
    " WHERE a.id_number = $1 AND a.state = 'active' AND NOT a.must_change_password"
    " LIMIT 1");
DB_STMT(auth_key_account, "SELECT a.id, a.role, a.unit_code, k.id, k.confirmed"
    " FROM accounts a JOIN account_keys k ON k.account_id = a.id"
    " WHERE a.id_number = $1 AND a.state = 'active' AND NOT a.must_change_password"
    " AND k.key_type = $2 AND k.key_base64 = $3"
    " AND (k.confirmed OR NOT EXISTS (SELECT 1 FROM account_keys o"
    "  WHERE o.key_type = $2 AND o.key_base64 = $3 AND o.confirmed))");
/* The partial unique index refuses a second confirmation racing this one. */
DB_STMT(auth_key_confirm, "WITH k AS ("
    " UPDATE account_keys SET confirmed = true, confirmed_at = now()"
    " WHERE id = $1 AND NOT confirmed RETURNING account_id, fingerprint),"
    " audit AS (INSERT INTO account_audit (account_id, actor_id, action, reason)"
    " SELECT account_id, account_id, 'key_confirm', fingerprint FROM k)"
    " SELECT fingerprint FROM k");

/* The user name as an ID number (upper-case X), or "" when it is none. */
static void
session_user_id_number(const char *user, char out[19])
{
	size_t n = user ? strlen(user) : 0;

	out[0] = '\0';
	if (n != 18)
		return;
	for (size_t i = 0; i < 18; i++) {
		char c = user[i];

		if (c == 'x' && i == 17)
			c = 'X';
		if (!((c >= '0' && c <= '9') || (c == 'X' && i == 17))) {
			out[0] = '\0';
			return;
		}
		out[i] = c;
	}
	out[18] = '\0';
}

static void
session_auth_guest(struct session *s, const char *user)
{
	free(s->ssh_user);
	s->ssh_user = xstrdup(user ? user : "");
	s->authenticated = true;
}

/* In, but every request answers "auth_unavailable" (id is an ID number: digits). */
static void
session_auth_unavailable(struct session *s, const char *id)
{
	log_warning("session %lu: cannot check the SSH login of %s: the database is "
	    "unavailable; every request is refused", s->serial, id);
	session_auth_guest(s, id);
	s->auth_unavailable = true;
}

static int
session_auth_none(ssh_session ssh, const char *user, void *userdata)
{
	struct session *s = userdata;
	char id[19];
	bool has_keys = false;

	session_user_id_number(user, id);
	if (id[0] != '\0') {
		struct db_conn *db = db_acquire(5000);
		const char *params[1] = { id };
		PGresult *r = NULL;

		if (db != NULL && (r = db_exec(db, &auth_has_keys, 1, params)) != NULL) {
			has_keys = PQntuples(r) > 0;
			PQclear(r);
		}
		db_release(db);
		if (r == NULL) {
			session_auth_unavailable(s, id);
			return SSH_AUTH_SUCCESS;
		}
	}
	if (has_keys) {
		ssh_set_auth_methods(ssh, SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_INTERACTIVE);
		return SSH_AUTH_DENIED;
	}
	session_auth_guest(s, user);
	return SSH_AUTH_SUCCESS;
}

static int
session_auth_password(ssh_session ssh, const char *user, const char *password,
    void *userdata)
{
	/* A client that insists on a password gets in as a guest; it is not checked. */
	session_auth_guest(userdata, user);
	return SSH_AUTH_SUCCESS;
}

static int
session_auth_pubkey(ssh_session ssh, const char *user, struct ssh_key_struct *key,
    char signature_state, void *userdata)
{
	struct session *s = userdata;
	struct db_conn *db;
	char id[19], *b64 = NULL;
	const char *type;
	PGresult *r = NULL;
	int rc = SSH_AUTH_DENIED;

	session_user_id_number(user, id);
	if (id[0] == '\0' || (signature_state != SSH_PUBLICKEY_STATE_NONE &&
	    signature_state != SSH_PUBLICKEY_STATE_VALID))
		return SSH_AUTH_DENIED;
	type = ssh_key_type_to_char(ssh_key_type(key));
	if (type == NULL || ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK)
		return SSH_AUTH_DENIED;
	const char *params[3] = { id, type, b64 };
	if ((db = db_acquire(5000)) == NULL ||
	    (r = db_exec(db, &auth_key_account, 3, params)) == NULL) {
		/*
		 * Undecided: let a probe go on to its signature; a signed
		 * attempt gets in, marked, rather than as a silent guest.  A
		 * probe is marked too, so that a client that then falls back
		 * to keyboard-interactive is no silent guest either.
		 */
		if (signature_state == SSH_PUBLICKEY_STATE_VALID)
			session_auth_unavailable(s, id);
		else
			s->auth_unavailable = true;
		rc = SSH_AUTH_SUCCESS;
		goto out;
	}
	if (PQntuples(r) == 0)
		goto out;
	rc = SSH_AUTH_SUCCESS;
	if (signature_state == SSH_PUBLICKEY_STATE_VALID) {
		enum role role = strcmp(PQgetvalue(r, 0, 1), "unit_admin") == 0 ?
		    ROLE_UNIT_ADMIN : ROLE_STAFF;
		char *account = xstrdup(PQgetvalue(r, 0, 0));
		char *unit = xstrdup(PQgetvalue(r, 0, 2));
		bool login = true;

		/* The signature proved the private half: the key is this account's now. */
		if (strcmp(PQgetvalue(r, 0, 4), "t") != 0) {
			const char *confirm_params[1] = { PQgetvalue(r, 0, 3) };
			PGresult *c = db_exec(db, &auth_key_confirm, 1, confirm_params);

			if (c != NULL && PQntuples(c) == 1) {
				log_info("session %lu: account %s confirmed SSH key %s",
				    s->serial, account, PQgetvalue(c, 0, 0));
			} else if (c == NULL && strcmp(db_error_sqlstate(db), "23505") == 0) {
				/* Another account confirmed it a moment ago. */
				log_info("session %lu: account %s: SSH key confirmed by another "
				    "account", s->serial, account);
				login = false;
				rc = SSH_AUTH_DENIED;
			} else if (c == NULL) {
				session_auth_unavailable(s, id);
				login = false;
			}
			PQclear(c);
		}
		if (login) {
			s->auth_unavailable = false;	/* a probe's doubt is settled */
			session_auth_guest(s, user);
			session_set_account(s, strtoll(account, NULL, 10), role, unit, id);
			s->key_login = true;
			log_info("session %lu: account %s logged in by SSH key", s->serial,
			    account);
		}
		free(account);
		free(unit);
	}
out:
	PQclear(r);
	db_release(db);
	ssh_string_free_char(b64);
	return rc;
}

/*
 * libssh 0.10 has no server callback for keyboard-interactive: it arrives
 * as a message.  Ask no question, and let the answer (none) in as a guest.
 */
static int
session_message(ssh_session ssh, ssh_message msg, void *userdata)
{
	struct session *s = userdata;

	if (ssh_message_type(msg) != SSH_REQUEST_AUTH ||
	    ssh_message_subtype(msg) != SSH_AUTH_METHOD_INTERACTIVE)
		return 1;	/* libssh's default reply */
	if (!ssh_message_auth_kbdint_is_response(msg)) {
		ssh_message_auth_interactive_request(msg, "", "", 0, NULL, NULL);
		return 0;
	}
	session_auth_guest(s, ssh_message_auth_user(msg));
	ssh_message_auth_reply_success(msg, 0);
	return 0;
}

static int
session_data(ssh_session ssh, ssh_channel channel, void *data, uint32_t len,
    int is_stderr, void *userdata);
static void
session_eof(ssh_session ssh, ssh_channel channel, void *userdata)
{
	struct session *s = userdata;

	s->eof = true;
}

static void
session_close(ssh_session ssh, ssh_channel channel, void *userdata)
{
	struct session *s = userdata;

	s->eof = true;
	s->remote_closed = true;
}

/* Whether the channel already has its one request (subsystem, shell, exec). */
static bool
session_started(const struct session *s)
{
	return s->subsystem || s->shell || s->sftp || s->exec_command != NULL;
}

static int
session_exec_request(ssh_session ssh, ssh_channel channel, const char *command,
    void *userdata)
{
	struct session *s = userdata;

	if (session_started(s))
		return 1;
	s->exec_command = xstrdup(command ? command : "");
	return 0;
}

static int
session_subsystem(ssh_session ssh, ssh_channel channel, const char *name, void *userdata)
{
	struct session *s = userdata;

	if (session_started(s)) {
		log_info("session %lu: refused a second request", s->serial);
		return 1;
	}
	if (strcmp(name, "sftp") == 0 && inbox_is_token(s->ssh_user)) {
		s->sftp = true;
		return 0;
	}
	if (strcmp(name, JXJY_SUBSYSTEM) != 0) {
		log_info("session %lu: refused subsystem request", s->serial);
		return 1;
	}
	s->subsystem = true;
	return 0;
}

static int
session_pty_request(ssh_session ssh, ssh_channel channel, const char *term,
    int cols, int rows, int px_width, int px_height, void *userdata)
{
	struct session *s = userdata;

	if (session_started(s) || s->pty)
		return -1;
	s->pty = true;
	snprintf(s->term_name, sizeof s->term_name, "%s", term ? term : "xterm");
	s->cols = cols;
	s->rows = rows;
	return 0;
}

static int
session_pty_resize(ssh_session ssh, ssh_channel channel, int cols, int rows,
    int px_width, int px_height, void *userdata)
{
	struct session *s = userdata;

	s->cols = cols;
	s->rows = rows;
	if (s->shell)
		terminal_resize(&s->terminal, cols, rows);
	return 0;
}

/* A shell gets the TUI; without a pty there is no screen to draw it on. */
static int
session_shell_request(ssh_session ssh, ssh_channel channel, void *userdata)
{
	struct session *s = userdata;

	if (!s->pty || session_started(s)) {
		log_info("session %lu: refused shell request without a pty", s->serial);
		return 1;
	}
	s->shell = true;
	return 0;
}

/* Only the language travels as an environment variable (ssh -o SendEnv=JXJY_LANG). */
static int
session_env_request(ssh_session ssh, ssh_channel channel, const char *name,
    const char *value, void *userdata)
{
	struct session *s = userdata;

	if (strcmp(name, "JXJY_LANG") != 0)
		return 1;
	s->lang = lang_parse(value);
	return 0;
}

static struct ssh_channel_callbacks_struct channel_callbacks = {
	.channel_data_function = session_data,
	.channel_eof_function = session_eof,
	.channel_close_function = session_close,
	.channel_subsystem_request_function = session_subsystem,
	.channel_pty_request_function = session_pty_request,
	.channel_pty_window_change_function = session_pty_resize,
	.channel_shell_request_function = session_shell_request,
	.channel_env_request_function = session_env_request,
	.channel_exec_request_function = session_exec_request,
	/* Other requests (x11, port forwarding...) have no callback: refused. */
};

static ssh_channel
session_channel_open(ssh_session ssh, void *userdata)
{
	struct session *s = userdata;
	ssh_channel ch;

	if (s->channel != NULL)
		return NULL;	/* one channel per connection */
	ch = ssh_channel_new(ssh);
	if (ch == NULL)
		return NULL;
	/* Callbacks go in before the channel is returned (libssh pitfall 7). */
	ssh_set_channel_callbacks(ch, &s->channel_cb);
	s->channel = ch;
	return ch;
}

/* --- back-pressure: bounded queues, writes that never wait ----------------- */

/*
 * Most that one write to the channel hands to libssh.  A chunk is written
 * only when libssh holds nothing unsent, so libssh's own output buffer
 * never holds much more than this whatever the client's window says.
 */
#define SESSION_CHUNK		32768
/* Keystrokes taken for the served TUI before the channel's data is left in libssh. */
#define SESSION_KEYS_MAX	65536
/* A drained buffer bigger than this gives its memory back. */
#define SESSION_BUFFER_KEEP	65536
/*
 * What a queued request costs beyond its text (struct, allocator): counted
 * so that a flood of empty lines is bounded as well as one of long ones.
 */
#define SESSION_LINE_COST	64

static size_t
session_buffer_waiting(const struct session_buffer *b)
{
	return b->len - b->off;
}

static void
session_buffer_add(struct session_buffer *b, const char *data, size_t n)
{
	if (b->len + n > b->cap && b->off > 0) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;

		while (cap < b->len + n)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
}

/* n bytes at the front have gone. */
static void
session_buffer_take(struct session_buffer *b, size_t n)
{
	b->off += n;
	if (b->off < b->len)
		return;
	b->off = b->len = 0;
	if (b->cap > SESSION_BUFFER_KEEP) {
		free(b->data);
		b->data = NULL;
		b->cap = 0;
	}
}

static void
session_buffer_free(struct session_buffer *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

/* Write what b holds to the non-blocking fd; false when fd is broken. */
static bool
session_buffer_write(struct session_buffer *b, int fd)
{
	while (session_buffer_waiting(b) > 0) {
		ssize_t n = write(fd, b->data + b->off, session_buffer_waiting(b));

		if (n > 0)
			session_buffer_take(b, (size_t)n);
		else if (n < 0 && errno == EINTR)
			continue;
		else
			return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
	}
	return true;
}

static int64_t
session_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Replies waiting for the reader of this session's requests. */
static size_t
session_backlog(const struct session *s)
{
	return session_buffer_waiting(s->shell ? &s->rpc_out : &s->out);
}

/*
 * How many more bytes of requests the session may take in now: none while
 * its replies are over sessions.output_backlog, and never so many that
 * queued requests and replies together pass sessions.max_memory.  A partial
 * line in the reader is not counted: it is bounded by sessions.max_line.
 */
static size_t
session_input_room(const struct session *s)
{
	const struct config *cfg = server_config();
	size_t held = s->pending_bytes + session_backlog(s);

	if (session_backlog(s) > (size_t)cfg->output_backlog || held >= (size_t)cfg->max_memory)
		return 0;
	return (size_t)cfg->max_memory - held;
}

/* Whether libssh would send a write to the channel now, without queueing it. */
static bool
session_channel_writable(struct session *s)
{
	return s->channel != NULL && !ssh_channel_is_closed(s->channel) &&
	    (ssh_get_poll_flags(s->ssh) & SSH_WRITE_PENDING) == 0 &&
	    ssh_channel_window_size(s->channel) > 0;
}

/*
 * Hand the channel's backlog to libssh as far as the client's window and
 * the socket take it.  The session is non-blocking and a write never asks
 * for more than the window, so ssh_channel_write never waits.
 */
static void
session_flush_channel(struct session *s)
{
	while (session_buffer_waiting(&s->out) > 0 && session_channel_writable(s)) {
		size_t n = session_buffer_waiting(&s->out);
		uint32_t window = ssh_channel_window_size(s->channel);
		int w;

		if (n > window)
			n = window;
		if (n > SESSION_CHUNK)
			n = SESSION_CHUNK;
		w = ssh_channel_write(s->channel, s->out.data + s->out.off, (uint32_t)n);
		if (w == SSH_ERROR) {
			s->out_broken = true;
			return;
		}
		if (w <= 0)
			return;
		session_buffer_take(&s->out, (size_t)w);
	}
}

/* Everything that waits to be written, as far as each reader takes it now. */
static void
session_flush(struct session *s)
{
	session_flush_channel(s);
	if (!s->shell)
		return;
	if (s->terminal.pty_fd >= 0 && !session_buffer_write(&s->keys, s->terminal.pty_fd))
		s->terminal_done = true;	/* EIO: the child closed its terminal */
	if (s->terminal.rpc_fd >= 0 && !session_buffer_write(&s->rpc_out, s->terminal.rpc_fd)) {
		/* The TUI is leaving: its replies have nobody to read them. */
		session_buffer_take(&s->rpc_out, session_buffer_waiting(&s->rpc_out));
		s->rpc_eof = true;
	}
}

static bool
session_queue_line(void *ctx, enum line_event ev, const char *line, size_t len)
{
	struct session *s = ctx;
	struct pending_line *p;

	if (s->n_pending == s->cap_pending) {
		s->cap_pending = s->cap_pending ? s->cap_pending * 2 : 4;
		s->pending = xrealloc(s->pending, s->cap_pending * sizeof *s->pending);
	}
	p = &s->pending[s->n_pending++];
	if (ev == LINE_OK) {
		p->text = xstrndup(line, len);
		p->len = len;
	} else {
		p->text = NULL;
		p->len = 0;
	}
	s->pending_bytes += p->len + SESSION_LINE_COST;
	return true;
}

/*
 * Take up to len bytes of channel data as the session can hold now: keys
 * for the served TUI, or request lines.  Returns how many were taken; libssh
 * keeps the rest, and stops opening the client's window once it holds about
 * a window's worth, which is how a client that sends faster than it reads
 * is slowed down.
 */
static size_t
session_take_input(struct session *s, const char *data, size_t len)
{
	size_t room = s->shell ? SESSION_KEYS_MAX - session_buffer_waiting(&s->keys) :
	    session_input_room(s);
	size_t take = len < room ? len : room;

	if (take > 0) {
		s->last_activity = time(NULL);
		if (s->shell)
			session_buffer_add(&s->keys, data, take);
		else
			line_reader_feed(&s->reader, data, take, session_queue_line, s);
	}
	s->input_held = take < len;
	return take;
}

/*
 * Channel data: keys for the TUI, or request lines, queued; requests run
 * after the poll returns, outside libssh's callback.  A reply's write may
 * call this again (libssh reads while it writes): it only queues.
 */
static int
session_data(ssh_session ssh, ssh_channel channel, void *data, uint32_t len,
    int is_stderr, void *userdata)
{
	struct session *s = userdata;

	if (is_stderr)
		return len;
	if (s->sftp)
		return 0;	/* left in the channel's buffer for the SFTP server to read */
	if (!s->shell && !s->subsystem)
		return len;	/* nothing is read before the subsystem starts */
	return (int)session_take_input(s, data, len);
}

/*
 * Channel data that libssh kept while the session was full: the callback
 * sees it again only when more arrives, and none will while the window is
 * closed, so it is read out here once there is room.
 */
static void
session_pull_input(struct session *s)
{
	char buf[16384];

	while (s->input_held && s->channel != NULL && !ssh_channel_is_closed(s->channel)) {
		size_t room = s->shell ? SESSION_KEYS_MAX - session_buffer_waiting(&s->keys) :
		    session_input_room(s);
		int n;

		if (room == 0)
			return;
		n = ssh_channel_read_nonblocking(s->channel, buf,
		    (uint32_t)(room < sizeof buf ? room : sizeof buf), 0);
		if (n <= 0) {
			/* Empty (or gone); the callback consumed what came meanwhile. */
			if (n < 0 || ssh_channel_poll(s->channel, 0) <= 0)
				s->input_held = false;
			return;
		}
		session_take_input(s, buf, (size_t)n);
		s->input_held = true;	/* until a read finds nothing */
	}
}

/* Screen output of the served TUI, read only when there is room to send it. */
static int
session_pty_ready(socket_t fd, int revents, void *userdata)
{
	struct session *s = userdata;
	char buf[SESSION_CHUNK];
	ssize_t n;

	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;	/* POLLOUT: the loop writes the keys */
	n = read(fd, buf, sizeof buf);
	if (n > 0)
		session_buffer_add(&s->out, buf, (size_t)n);
	else if (n == 0 || (errno != EINTR && errno != EAGAIN))
		s->terminal_done = true;	/* EIO: the child closed its terminal */
	return 0;
}

/* JSON-RPC lines from the served TUI: queued like the subsystem's. */
static int
session_rpc_ready(socket_t fd, int revents, void *userdata)
{
	struct session *s = userdata;
	char buf[16384];
	ssize_t n;

	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	n = read(fd, buf, sizeof buf);
	if (n > 0) {
		s->last_activity = time(NULL);
		line_reader_feed(&s->reader, buf, (size_t)n, session_queue_line, s);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		/*
		 * The TUI closes its RPC socket while it exits; the session ends
		 * when its pty closes, so that the child's own exit status is the
		 * one reported rather than a hangup's.
		 */
		s->rpc_eof = true;
	}
	return 0;
}

/*
 * Watch fd for want (0: not at all) in the session's event.  Only outside
 * ssh_event_dopoll: libssh must not lose a handle while it walks them.
 */
static void
session_watch(struct session *s, int fd, short *events, short want, ssh_event_callback cb)
{
	if (fd < 0 || *events == want)
		return;
	if (*events != 0)
		ssh_event_remove_fd(s->event, fd);
	if (want != 0 && ssh_event_add_fd(s->event, fd, want, cb, s) != SSH_OK) {
		log_error("session %lu: cannot watch a descriptor", s->serial);
		want = 0;
		s->terminal_done = true;
	}
	*events = want;
}

/*
 * What the served TUI's descriptors are watched for: the pty is read only
 * when its output can go on at once (the child waits otherwise, which is
 * its back-pressure), written when keys wait; the RPC socket is read while
 * the session has room for requests, written when replies wait.
 */
static void
session_watch_terminal(struct session *s)
{
	const struct config *cfg = server_config();
	short pty = 0, rpc = 0;

	if (s->terminal_done)
		pty = 0;
	else {
		if (session_buffer_waiting(&s->out) == 0 && session_channel_writable(s))
			pty |= POLLIN;
		if (session_buffer_waiting(&s->keys) > 0)
			pty |= POLLOUT;
	}
	if (!s->rpc_eof) {
		if (session_backlog(s) <= (size_t)cfg->output_backlog &&
		    s->pending_bytes < (size_t)cfg->max_memory)
			rpc |= POLLIN;
		if (session_buffer_waiting(&s->rpc_out) > 0)
			rpc |= POLLOUT;
	}
	session_watch(s, s->terminal.pty_fd, &s->pty_events, pty, session_pty_ready);
	session_watch(s, s->terminal.rpc_fd, &s->rpc_events, rpc, session_rpc_ready);
}

/*
 * Whether the client is not taking what the session has for it: replies
 * over sessions.output_backlog, or the served TUI's screen held up by a
 * closed window.  The caller times how long it stays so.
 */
static bool
session_output_stuck(struct session *s)
{
	size_t bound = (size_t)server_config()->output_backlog;

	if (session_buffer_waiting(&s->out) > bound || session_buffer_waiting(&s->rpc_out) > bound)
		return true;
	return s->shell && session_buffer_waiting(&s->out) > 0 && !session_channel_writable(s);
}

static int
session_stop_readable(socket_t fd, int revents, void *userdata)
{
	return 0;	/* the loop checks 'stopping' itself */
}

/* The session's eventfd: another thread ended it (server_end_account_sessions). */
static int
session_wake_readable(socket_t fd, int revents, void *userdata)
{
	uint64_t n;

	(void)revents;
	(void)userdata;
	if (read(fd, &n, sizeof n) < 0 && errno != EAGAIN)
		log_debug("session wake: read: %s", strerror(errno));
	return 0;	/* the loop checks 'revoked' itself */
}

/* --- the session thread -------------------------------------------------- */

/* Re-arm TCP_QUICKACK: OpenSSH sets no TCP_NODELAY before auth (pitfall 1). */
static void
session_quickack(struct session *s)
{
	int one = 1;

	setsockopt(s->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

/* Queue one reply line (reply is freed) and send what the reader takes now. */
static void
session_send(struct session *s, char *reply)
{
	struct session_buffer *b = s->shell ? &s->rpc_out : &s->out;

	session_buffer_add(b, reply, strlen(reply));
	session_buffer_add(b, "\n", 1);
	free(reply);
	session_flush(s);
}

/*
 * Run queued requests in order while the replies waiting stay within
 * sessions.output_backlog; the rest wait for the client to read.
 */
static void
session_run_pending(struct session *s)
{
	size_t bound = (size_t)server_config()->output_backlog;
	size_t i;

	/* n_pending may grow meanwhile: a reply's write lets libssh read. */
	for (i = 0; i < s->n_pending; i++) {
		char *text, *reply;
		size_t len;

		if (session_backlog(s) > bound && !atomic_load(&s->revoked))
			break;
		text = s->pending[i].text;
		len = s->pending[i].len;
		s->pending[i].text = NULL;
		s->pending_bytes -= len + SESSION_LINE_COST;
		if (atomic_load(&s->revoked)) {
			free(text);
			continue;
		}
		if (text == NULL)
			reply = rpc_reply_too_long(s);
		else
			reply = rpc_handle_line(s, text, len);
		free(text);
		if (reply != NULL)
			session_send(s, reply);
		s->last_activity = time(NULL);
	}
	if (i > 0) {
		memmove(s->pending, s->pending + i, (s->n_pending - i) * sizeof *s->pending);
		s->n_pending -= i;
	}
	if (s->n_pending == 0 && s->cap_pending > 16) {
		free(s->pending);
		s->pending = NULL;
		s->cap_pending = 0;
	}
	line_reader_shrink(&s->reader);
}

static bool
session_closed(struct session *s)
{
	return (ssh_get_status(s->ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0 ||
	    (s->channel != NULL && ssh_channel_is_closed(s->channel));
}

static int
session_elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (int)((t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

/*
 * Send what the channel's backlog holds before the session ends, for as
 * long as the client keeps taking some: give up after quiet_ms without
 * progress.
 */
static void
session_drain(struct session *s, int quiet_ms)
{
	int64_t last = session_now_ms();
	size_t before = session_buffer_waiting(&s->out);

	for (;;) {
		session_flush_channel(s);
		size_t now = session_buffer_waiting(&s->out);
		if (now == 0 || s->out_broken || session_closed(s) || s->event == NULL)
			return;
		if (now < before) {
			before = now;
			last = session_now_ms();
		}
		int left = quiet_ms - (int)(session_now_ms() - last);
		if (left <= 0)
			return;
		ssh_event_dopoll(s->event, left < 100 ? left : 100);
	}
}

/*
 * After SSH authentication: leave sessions.max_startups for sessions.max
 * (server_admit_session); false, logged, when there is no room.
 */
static bool
session_admit(struct session *s)
{
	const char *why = NULL;

	if (!s->authenticated || s->admission != ADMISSION_STARTUP)
		return true;
	if (server_admit_session(s, &why))
		return true;
	log_warning("session %lu: %s: refused after authentication: %s", s->serial,
	    s->peer, why);
	return false;
}

/*
 * Key exchange, authentication and the subsystem request, all within the
 * login grace time.  Non-blocking, so a client that connects and says
 * nothing cannot hold the thread beyond the deadline (pitfall 5).
 */
static bool
session_handshake(struct session *s)
{
	int grace_ms = server_config()->login_grace_time * 1000;
	struct timespec t0;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ssh_set_blocking(s->ssh, 0);
	for (;;) {
		rc = ssh_handle_key_exchange(s->ssh);
		if (rc == SSH_OK)
			break;
		if (rc != SSH_AGAIN) {
			log_debug("session %lu: key exchange failed: %s", s->serial,
			    ssh_get_error(s->ssh));
			return false;
		}
		int left = grace_ms - session_elapsed_ms(&t0);
		if (left <= 0 || atomic_load(&stopping))
			goto timeout;
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN | POLLRDHUP };
		session_quickack(s);
		if (poll(&pfd, 1, left < 100 ? left : 100) > 0 &&
		    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
			/* Gone before the key exchange: its slot is free at once. */
			log_debug("session %lu: %s: closed before the key exchange", s->serial,
			    s->peer);
			return false;
		}
	}

	s->event = ssh_event_new();
	if (s->event == NULL || ssh_event_add_session(s->event, s->ssh) != SSH_OK) {
		log_error("session %lu: cannot create its event", s->serial);
		return false;
	}
	ssh_event_add_fd(s->event, stop_pipe[0], POLLIN, session_stop_readable, s);
	/* Without it an idle session would learn it was ended only at its next request. */
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd >= 0)
		ssh_event_add_fd(s->event, s->wake_fd, POLLIN, session_wake_readable, s);
	else
		log_warning("session %lu: eventfd: %s", s->serial, strerror(errno));
	for (;;) {
		if (!session_admit(s))
			return false;
		if (s->authenticated && s->channel != NULL && session_started(s))
			break;
		int left = grace_ms - session_elapsed_ms(&t0);

		if (left <= 0 || atomic_load(&stopping))
			goto timeout;
		session_quickack(s);
		ssh_event_dopoll(s->event, left < 1000 ? left : 1000);
		/* EOF may arrive with the request and its data in one round. */
		if (session_closed(s) || (s->eof && !session_started(s)))
			return false;
	}
	/*
	 * The session stays non-blocking: a write to a client that does not
	 * read must never hold the thread (session_flush_channel).  The SFTP
	 * server of inbox.c reads and writes through libssh's blocking calls.
	 */
	if (s->sftp)
		ssh_set_blocking(s->ssh, 1);
	if (s->shell) {
		if (terminal_start(&s->terminal, terminal_default_program(), s->term_name,
		    s->cols, s->rows, lang_name(s->lang)) != 0)
			return false;
		session_watch_terminal(s);
	}
	return true;
timeout:
	log_info("session %lu: %s: no session within the login grace time", s->serial, s->peer);
	return false;
}

/* Say goodbye the way OpenSSH's ssh(1) expects (pitfall 9). */
static void
session_finish_channel(struct session *s, int status)
{
	if (s->channel == NULL || ssh_channel_is_closed(s->channel))
		return;
	ssh_channel_request_send_exit_status(s->channel, status);
	ssh_channel_send_eof(s->channel);
	ssh_channel_close(s->channel);
	/*
	 * Let the client answer with its own close and disconnect before the
	 * socket goes: closing first makes OpenSSH's ssh(1) fail its last write
	 * ("Connection reset by peer") and exit 255 instead of our status.
	 */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!s->remote_closed && s->event != NULL &&
	    (ssh_get_status(s->ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR)) == 0 &&
	    session_elapsed_ms(&t0) < 2000)
		ssh_event_dopoll(s->event, 100);
}

/* Tell the client why the server is ending its session (a notification). */
static void
session_notify_closing(struct session *s, const char *reason)
{
	json_t *n = json_pack("{s:s, s:s, s:{s:s, s:s}}", "jsonrpc", "2.0",
	    "method", "session.closing", "params", "reason", reason,
	    "message", message_get(s->lang, reason));
	char *line = json_dumps(n, JSON_COMPACT);

	json_decref(n);
	if (line != NULL)
		session_send(s, line);
}

/*
 * Whether the client has left the session's output unread for longer than
 * sessions.stall_timeout (logged and counted when so).
 */
static bool
session_stalled(struct session *s, int64_t now)
{
	const struct config *cfg = server_config();

	if (!session_output_stuck(s)) {
		s->over_since = 0;
		return false;
	}
	if (s->over_since == 0)
		s->over_since = now;
	if (now - s->over_since < (int64_t)cfg->stall_timeout * 1000)
		return false;
	log_warning("session %lu: %s: the client left %zu bytes of output unread for %d s;"
	    " closing", s->serial, s->peer, session_buffer_waiting(&s->out) +
	    session_buffer_waiting(&s->rpc_out), cfg->stall_timeout);
	stats_session_stalled();
	return true;
}

/* Whether a request could run, or held input be taken, without waiting. */
static bool
session_runnable(struct session *s)
{
	if (s->n_pending > 0 && session_backlog(s) <= (size_t)server_config()->output_backlog)
		return true;
	return s->input_held && (s->shell ?
	    session_buffer_waiting(&s->keys) < SESSION_KEYS_MAX : session_input_room(s) > 0);
}

/*
 * The session is over: the client closed it or went away, the TUI left,
 * or (subsystem) the client sent EOF and everything it sent is answered.
 */
static bool
session_over(struct session *s)
{
	if (s->out_broken || session_closed(s) || s->terminal_done)
		return true;
	if (!s->eof)
		return false;
	if (s->shell)
		return true;
	return s->n_pending == 0 && !s->input_held && session_buffer_waiting(&s->out) == 0;
}

static void
session_serve(struct session *s)
{
	for (;;) {
		const struct config *cfg = server_config();
		int64_t now, deadline = -1;
		int timeout;

		/* Lines that came with the handshake run before the first poll. */
		session_run_pending(s);
		session_flush(s);
		session_pull_input(s);
		if (atomic_load(&s->revoked)) {
			log_info("session %lu: ended from another session", s->serial);
			session_notify_closing(s, "logged_out_elsewhere");
			return;
		}
		if (session_over(s))
			return;
		now = session_now_ms();
		if (session_stalled(s, now))
			return;
		if (cfg->idle_timeout > 0) {
			deadline = ((int64_t)s->last_activity + cfg->idle_timeout - time(NULL)) * 1000;
			if (deadline <= 0) {
				log_info("session %lu: idle for %d s, closing", s->serial,
				    cfg->idle_timeout);
				session_notify_closing(s, "idle_timeout");
				return;
			}
		}
		if (atomic_load(&stopping)) {
			/* What has arrived has run as far as the client read its replies. */
			session_notify_closing(s, "shutting_down");
			return;
		}
		if (s->over_since != 0) {
			int64_t left = s->over_since + (int64_t)cfg->stall_timeout * 1000 - now;

			if (deadline < 0 || left < deadline)
				deadline = left < 1 ? 1 : left;
		}
		if (session_runnable(s))
			deadline = 0;
		timeout = deadline < 0 ? -1 : deadline > 3600000 ? 3600000 : (int)deadline;
		if (s->shell)
			session_watch_terminal(s);
		ssh_event_dopoll(s->event, timeout);	/* judged by the state (pitfall 4) */
	}
}

static void *
session_thread(void *arg)
{
	struct session *s = arg;

	s->last_activity = time(NULL);
	if (session_handshake(s)) {
		log_info("session %lu: %s: started (user %s)", s->serial, s->peer,
		    s->ssh_user ? s->ssh_user : "");
		int status = 0;
		if (s->exec_command != NULL) {
			char *out = NULL;

			status = exec_run(s, s->exec_command, &out);
			if (out != NULL && *out != '\0')
				session_buffer_add(&s->out, out, strlen(out));
			free(out);
			session_drain(s, server_config()->stall_timeout * 1000);
		} else if (s->sftp) {
			inbox_serve_sftp(s);
		} else {
			session_serve(s);
			/* A last notification, or replies still on their way: briefly. */
			session_drain(s, 2000);
		}
		if (s->shell) {
			session_watch(s, s->terminal.pty_fd, &s->pty_events, 0, NULL);
			session_watch(s, s->terminal.rpc_fd, &s->rpc_events, 0, NULL);
			status = terminal_finish(&s->terminal);
		}
		session_finish_channel(s, status);
		log_info("session %lu: ended", s->serial);
	}
	session_unregister(s);
	captcha_free(s->captcha);
	upload_free(s->upload);
	inbox_close(s);
	free(s->exec_command);
	if (s->event != NULL) {
		ssh_event_remove_fd(s->event, stop_pipe[0]);
		if (s->wake_fd >= 0)
			ssh_event_remove_fd(s->event, s->wake_fd);
		ssh_event_remove_session(s->event, s->ssh);
		ssh_event_free(s->event);
	}
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	ssh_disconnect(s->ssh);
	ssh_free(s->ssh);
	for (size_t i = 0; i < s->n_pending; i++)
		free(s->pending[i].text);
	free(s->pending);
	line_reader_free(&s->reader);
	session_buffer_free(&s->out);
	session_buffer_free(&s->rpc_out);
	session_buffer_free(&s->keys);
	free(s->ssh_user);
	free(s->unit_code);
	server_release(s->source, s->admission, true);
	free(s);
	return NULL;
}

/* --- the main thread ----------------------------------------------------- */

/* Join the session threads that have finished. */
static void
server_reap(void)
{
	char buf[256];
	pthread_t *done;
	size_t n;

	while (read(reap_pipe[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&sessions.lock);
	done = sessions.finished;
	n = sessions.n_finished;
	sessions.finished = NULL;
	sessions.n_finished = sessions.cap_finished = 0;
	pthread_mutex_unlock(&sessions.lock);
	for (size_t i = 0; i < n; i++)
		pthread_join(done[i], NULL);
	free(done);
}

void
server_ensure_host_key(const char *path)
{
	ssh_key key = NULL;
	char *dir;
	mode_t old;

	if (access(path, F_OK) == 0)
		return;
	dir = xstrdup(path);
	if (mkdir(dirname(dir), 0700) != 0 && errno != EEXIST)
		fatal("host key: cannot create the directory of %s: %s", path, strerror(errno));
	free(dir);
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK)
		fatal("host key: cannot generate an ed25519 key");
	old = umask(077);
	if (ssh_pki_export_privkey_file(key, NULL, NULL, NULL, path) != SSH_OK)
		fatal("host key: cannot write %s", path);
	umask(old);
	chmod(path, 0600);
	ssh_key_free(key);
	log_info("host key: generated a new ed25519 key in %s", path);
}

static int
server_listen(const struct config *cfg)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	char port[16];
	int fd = -1, one = 1, rc;

	snprintf(port, sizeof port, "%d", cfg->port);
	rc = getaddrinfo(cfg->listen_address, port, &hints, &res);
	if (rc != 0)
		fatal("listen: %s: %s", cfg->listen_address, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		fatal("listen: cannot listen on %s:%d: %s", cfg->listen_address, cfg->port,
		    strerror(errno));
	return fd;
}

static void
server_address(const struct sockaddr_storage *ss, char *addr, size_t asize,
    char *peer, size_t psize)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		port = ntohs(in6->sin6_port);
	}
	snprintf(addr, asize, "%s", host);
	snprintf(peer, psize, "%s:%d", host, port);
}

static void
server_accept(int listen_fd, pthread_attr_t *attr)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	struct session *s;
	pthread_t tid;
	const char *why = NULL;
	char addr[48], peer[64];
	unsigned long serial;
	int fd, one = 1;

	fd = accept4(listen_fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warning("accept: %s", strerror(errno));
		if (errno == EMFILE || errno == ENFILE)
			usleep(100000);	/* let sessions end before trying again */
		return;
	}
	server_address(&ss, addr, sizeof addr, peer, sizeof peer);
	if (!server_admit(addr, &serial, &why)) {
		/*
		 * Lines before the version string are allowed (RFC 4253 4.2);
		 * OpenSSH shows none of them, but the log says why.
		 */
		static const char msg[] = "jxjyd: too many connections, try again later\r\n";
		log_warning("refused %s: %s", peer, why);
		if (write(fd, msg, sizeof msg - 1) < 0) {
			/* nothing to do */
		}
		close(fd);
		return;
	}
	/* Without TCP_NODELAY every round trip waits ~40 ms (pitfall 1). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

	s = xcalloc(1, sizeof *s);
	s->fd = fd;
	s->wake_fd = -1;
	s->serial = serial;
	s->lang = LANG_ZH;
	s->role = ROLE_GUEST;
	s->terminal.pid = -1;
	s->terminal.pty_fd = s->terminal.rpc_fd = -1;
	s->admission = ADMISSION_STARTUP;
	snprintf(s->source, sizeof s->source, "%s", addr);
	snprintf(s->peer, sizeof s->peer, "%s", peer);
	line_reader_init(&s->reader, server_config()->max_line);
	s->server_cb = (struct ssh_server_callbacks_struct){
		.userdata = s,
		.auth_none_function = session_auth_none,
		.auth_password_function = session_auth_password,
		.auth_pubkey_function = session_auth_pubkey,
		.channel_open_request_session_function = session_channel_open,
	};
	ssh_callbacks_init(&s->server_cb);
	s->channel_cb = channel_callbacks;
	s->channel_cb.userdata = s;
	ssh_callbacks_init(&s->channel_cb);

	s->ssh = ssh_new();
	if (s->ssh == NULL || ssh_bind_accept_fd(server_bind, s->ssh, fd) != SSH_OK) {
		log_error("accept %s: %s", peer, s->ssh ? ssh_get_error(server_bind) : "ssh_new");
		if (s->ssh)
			ssh_free(s->ssh);
		close(fd);
		line_reader_free(&s->reader);
		server_release(addr, ADMISSION_STARTUP, false);
		free(s);
		return;
	}
	long timeout = 60;
	ssh_options_set(s->ssh, SSH_OPTIONS_TIMEOUT, &timeout);
	ssh_set_server_callbacks(s->ssh, &s->server_cb);
	ssh_set_message_callback(s->ssh, session_message, s);
	ssh_set_auth_methods(s->ssh, SSH_AUTH_METHOD_NONE | SSH_AUTH_METHOD_PUBLICKEY |
	    SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_INTERACTIVE);
	if (pthread_create(&tid, attr, session_thread, s) != 0) {
		log_error("accept %s: cannot start a thread: %s", peer, strerror(errno));
		ssh_free(s->ssh);
		line_reader_free(&s->reader);
		server_release(addr, ADMISSION_STARTUP, false);
		free(s);
	}
}

/* Bring the unit administrators and learning forms in the database in line with the config. */
static void
server_sync_from_config(const struct config *cfg)
{
	struct db_conn *db = db_acquire(10000);

	if (db == NULL) {
		log_error("unit administrators: no database connection; not synchronised");
		return;
	}
	if (admins_sync(db, cfg) != 0)
		log_error("unit administrators: synchronisation failed (see above)");
	if (forms_sync(db, cfg) != 0)
		log_error("learning forms: synchronisation failed (see above)");
	db_release(db);
}

/*
 * Configs replaced by SIGHUP.  They stay allocated until the server stops
 * because session threads may still be reading them: a reload is rare and
 * small, and this keeps locks off the request path.
 */
static struct config **retired;
static const struct config *server_first_config;	/* the caller's; not ours to free */
static size_t n_retired;

/* SIGHUP: read the file again; apply what may change at run time. */
static void
server_reload(void)
{
	const struct config *old = server_config();
	struct config *cfg = xcalloc(1, sizeof *cfg);
	struct config_errors errs = { 0 };
	char changed[512], restart[512];

	if (config_load(old->path, cfg, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++)
			log_error("reload: %s", errs.lines[i]);
		log_error("reload: %s has errors; keeping the running configuration", old->path);
		config_errors_free(&errs);
		config_free(cfg);
		free(cfg);
		return;
	}
	config_errors_free(&errs);
	config_diff(old, cfg, changed, sizeof changed, restart, sizeof restart);
	log_set_level(cfg->log_level);
	rpc_set_debug(cfg->debug_methods);
	passwords_init(cfg->hash_threads);
	atomic_store(&current_config, cfg);
	if (old != server_first_config) {
		retired = xrealloc(retired, (n_retired + 1) * sizeof *retired);
		retired[n_retired++] = (struct config *)old;
	}
	server_sync_from_config(cfg);
	log_info("reload: %s read; applied: %s", cfg->path, changed[0] ? changed : "nothing changed");
	if (restart[0])
		log_warning("reload: changed but need a restart: %s", restart);
}

/* Each session holds a socket: allow as many descriptors as the hard limit does. */
static void
server_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
server_run(struct config *cfg)
{
	struct pollfd pfd[3];
	pthread_attr_t attr;
	sigset_t mask;
	int listen_fd, sig_fd;

	atomic_store(&current_config, cfg);
	server_first_config = cfg;
	/*
	 * Big blocks (a long request line, a large reply) always from mmap, so
	 * that their memory goes back to the system when freed.  Left to itself
	 * glibc raises this threshold after the first such free, and then the
	 * blocks of a flood of long lines stay in the arenas of 50 threads.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	rpc_set_debug(cfg->debug_methods);
	passwords_init(cfg->hash_threads);
	server_raise_fd_limit();

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* Blocked here, so inherited by every thread: only signalfd sees them. */
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sig_fd < 0 || pipe2(stop_pipe, O_CLOEXEC) != 0 ||
	    pipe2(reap_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		fatal("cannot set up signals: %s", strerror(errno));

	server_ensure_host_key(cfg->host_key);
	server_bind = ssh_bind_new();
	int no = 0;
	ssh_bind_options_set(server_bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no);
	if (ssh_bind_options_set(server_bind, SSH_BIND_OPTIONS_HOSTKEY, cfg->host_key) != SSH_OK)
		fatal("host key %s: %s", cfg->host_key, ssh_get_error(server_bind));
	ssh_bind_options_set(server_bind, SSH_BIND_OPTIONS_BANNER, "jxjyd_" JXJY_VERSION);

	db_pool_init(cfg->db_conninfo, cfg->db_pool_size, cfg->db_statement_timeout);
	notify_start(cfg->db_listen_conninfo[0] != '\0' ? cfg->db_listen_conninfo :
	    cfg->db_conninfo);
	server_sync_from_config(cfg);
	listen_fd = server_listen(cfg);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_JOINABLE);
	pthread_attr_setstacksize(&attr, SESSION_STACK);

	control_start(cfg);
	log_info("listening on %s:%d (pool of %d database connections)",
	    cfg->listen_address, cfg->port, cfg->db_pool_size);

	pfd[0] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sig_fd, .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = reap_pipe[0], .events = POLLIN };
	while (!atomic_load(&stopping)) {
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll: %s", strerror(errno));
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof si) == sizeof si) {
				if (si.ssi_signo == SIGHUP) {
					server_reload();
				} else {
					log_info("signal %d: stopping; finishing requests in flight",
					    (int)si.ssi_signo);
					atomic_store(&stopping, true);
				}
			}
		}
		if (pfd[2].revents & POLLIN)
			server_reap();
		if (!atomic_load(&stopping) && (pfd[0].revents & POLLIN))
			server_accept(listen_fd, &attr);
	}

	close(listen_fd);
	if (write(stop_pipe[1], "x", 1) < 0)
		log_error("cannot wake sessions: %s", strerror(errno));

	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += DRAIN_SECONDS;
	pthread_mutex_lock(&sessions.lock);
	while (sessions.connections > 0) {
		if (pthread_cond_timedwait(&sessions.gone, &sessions.lock, &deadline) != 0)
			break;
	}
	int left = sessions.connections;
	pthread_mutex_unlock(&sessions.lock);
	control_stop();
	server_reap();
	if (left > 0) {
		log_warning("%d sessions did not finish within %d s; exiting anyway", left,
		    DRAIN_SECONDS);
		return 1;
	}
	notify_stop();
	db_pool_close();
	ssh_bind_free(server_bind);
	pthread_attr_destroy(&attr);
	close(sig_fd);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	close(reap_pipe[0]);
	close(reap_pipe[1]);
	free(sessions.sources);
	free(logged_in.list);
	/* The config in force may be a reloaded one: keep the caller's cfg valid. */
	if (server_config() != server_first_config) {
		retired = xrealloc(retired, (n_retired + 1) * sizeof *retired);
		retired[n_retired++] = (struct config *)server_config();
	}
	for (size_t i = 0; i < n_retired; i++) {
		config_free(retired[i]);
		free(retired[i]);
	}
	free(retired);
	log_info("stopped");
	return 0;
}
