/*
 * notify.c - LISTEN for what other jxjyd on the same database say (notify.h).
 *
 * One thread, one connection outside the pool (a pooled one could not sit
 * in LISTEN between requests).  It polls the connection's socket and a
 * stop pipe; a broken connection is closed and made again, first after
 * NOTIFY_RETRY_FIRST_MS and then twice as long each time up to
 * NOTIFY_RETRY_MAX_MS (a failover takes seconds; a database down for long
 * is not knocked at more than that), checking the stop pipe meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "db.h"
#include "log.h"
#include "notify.h"
#include "sessions.h"
#include "xmalloc.h"

#define NOTIFY_RETRY_FIRST_MS	250
#define NOTIFY_RETRY_MAX_MS	5000
/*
 * After reading notices the listener lets more gather this long before it
 * looks again.  Every declaration a session here submits comes back as a
 * notice (its own record.changed: every jxjyd hears every notice), so under
 * load waking for each cost this daemon a context switch and three system
 * calls per request (docs/benchmarks.md, issue 19); gathered, it is one
 * wake-up per NOTIFY_GATHER_MS.  A notice is a hint to a screen or a
 * session's end, and so arrives at most this much later.
 */
#define NOTIFY_GATHER_MS	20

static pthread_once_t instance_once = PTHREAD_ONCE_INIT;
static char instance[17];

static struct {
	char		*conninfo;
	int		 stop_pipe[2];
	pthread_t	 thread;
	bool		 running;
	void		(*tick)(struct db_conn *);	/* notify_set_tick */
	int		 tick_ms;
} listener = { .stop_pipe = { -1, -1 } };

static void
notify_make_instance(void)
{
	unsigned char bytes[8];

	if (sodium_init() < 0)
		fatal("notify: libsodium cannot be initialised");
	randombytes_buf(bytes, sizeof bytes);
	sodium_bin2hex(instance, sizeof instance, bytes, sizeof bytes);
}

const char *
notify_instance(void)
{
	pthread_once(&instance_once, notify_make_instance);
	return instance;
}

/*
 * "changed ACCOUNT KIND ID STATE ORIGIN NAME" (schema/008): tell this
 * daemon's sessions of ACCOUNT but the one ORIGIN names ("INSTANCE.SERIAL":
 * its request made the change).  Every daemon hears it, the one that made
 * the change too, and only once the transaction committed.
 */
static int
notify_handle_changed(const char *payload)
{
	struct sessions_change c = { 0 };
	char origin[48];
	size_t mine = strlen(notify_instance());
	unsigned long except = 0;
	long long account, id;
	int used = 0;

	if (sscanf(payload, "changed %lld %15[a-z] %lld %15[a-z] %47[^ ]%n", &account, c.kind,
	    &id, c.state, origin, &used) != 5 || account <= 0 || id <= 0 ||
	    (payload[used] != '\0' && payload[used] != ' '))
		return -1;
	c.id = (int64_t)id;
	if (payload[used] == ' ')
		snprintf(c.name, sizeof c.name, "%s", payload + used + 1);
	if (strncmp(origin, notify_instance(), mine) == 0 && origin[mine] == '.')
		except = strtoul(origin + mine + 1, NULL, 10);
	return sessions_record_changed((int64_t)account, &c, except);
}

int
notify_handle(const char *payload)
{
	char from[sizeof instance + 1];
	long long account;
	int used = 0, n;

	if (strncmp(payload, "changed ", 8) == 0)
		return notify_handle_changed(payload);
	if (sscanf(payload, "end %lld %16[0-9a-f]%n", &account, from, &used) != 2 ||
	    payload[used] != '\0' || account <= 0)
		return -1;
	if (strcmp(from, notify_instance()) == 0)
		return 0;	/* our own change: its sessions are ended already */
	n = sessions_end_account((int64_t)account, NULL);
	if (n > 0)
		log_info("notify: account %lld changed its password on another jxjyd; "
		    "sessions ended here: %d", account, n);
	return n;
}

/* Wait up to ms for the stop pipe; true when it says stop. */
static bool
notify_wait_stop(int fd, int ms)
{
	struct pollfd pfd[2] = {
		{ .fd = listener.stop_pipe[0], .events = POLLIN },
		{ .fd = fd, .events = POLLIN },
	};
	int rc;

	do {
		rc = poll(pfd, fd >= 0 ? 2 : 1, ms);
	} while (rc < 0 && errno == EINTR);
	return rc > 0 && (pfd[0].revents & (POLLIN | POLLHUP));
}

/*
 * Catch up with what was said while this daemon was not listening
 * (notices sent then are lost), so that each "end" notice is safe to miss:
 * end each logged-in session whose account's password changed after the
 * session logged in (accounts.password_changed_at, schema 007), and every
 * session of an account that is no longer active (disabled when another
 * application for its ID number was approved, or by hand).  Run after
 * LISTEN, so that a change is either seen here or heard as a notice.
 * (The "changed" notices lost are made up for by notify_tell_missed.)
 * The database's clock is turned into this host's with the offset between the two measured by
 * the same statement, so a skewed clock does not end a session that
 * logged in after the change.  Returns the sessions ended, -1 on a
 * database error (logged).
 */
static int
notify_reconcile(struct db_conn *c)
{
	DB_STMT(notify_changed_passwords,
	    "SELECT id, extract(epoch FROM password_changed_at),"
	    " extract(epoch FROM clock_timestamp()), state <> 'active'"
	    " FROM accounts WHERE id = ANY($1::bigint[])"
	    "  AND (password_changed_at IS NOT NULL OR state <> 'active')");
	struct timespec now;
	int64_t *ids;
	size_t n = sessions_logged_in_accounts(&ids), len = 3;
	char *array, *p;
	PGresult *res;
	int ended = 0;

	if (n == 0) {
		free(ids);
		return 0;
	}
	/* "{1,2,3}": a bigint has at most 20 characters and a comma. */
	array = p = xmalloc(n * 21 + len);
	*p++ = '{';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%lld", i > 0 ? "," : "", (long long)ids[i]);
	*p++ = '}';
	*p = '\0';
	free(ids);
	res = db_exec(c, &notify_changed_passwords, 1, (const char *const[]){ array });
	free(array);
	if (res == NULL) {
		log_error("notify: cannot compare sessions with password changes: %s",
		    db_error_text(c));
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	for (int i = 0; i < PQntuples(res); i++) {
		long long account = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		double changed = strtod(PQgetvalue(res, i, 1), NULL);
		double offset = strtod(PQgetvalue(res, i, 2), NULL) -
		    ((double)now.tv_sec + (double)now.tv_nsec / 1e9);
		int k;

		if (strcmp(PQgetvalue(res, i, 3), "t") == 0) {
			k = sessions_end_account((int64_t)account, NULL);
			if (k > 0)
				log_info("notify: account %lld stopped being active while this "
				    "jxjyd was not listening; sessions ended here: %d", account, k);
			ended += k;
			continue;
		}
		k = sessions_end_account_before((int64_t)account, changed - offset);
		if (k > 0)
			log_info("notify: account %lld changed its password while this jxjyd "
			    "was not listening; sessions ended here: %d", account, k);
		ended += k;
	}
	PQclear(res);
	return ended;
}

/*
 * The "changed" notices sent while the listener was away are lost, and
 * unlike an "end" nothing in the database says which they were: tell
 * every session logged in here to read again what it shows
 * (record.changed, kind "all", state "missed"; docs/protocol.md).
 * Returns the sessions told.
 */
static int
notify_tell_missed(void)
{
	struct sessions_change c = { .kind = "all", .id = 0, .state = "missed" };
	int64_t *ids;
	size_t n = sessions_logged_in_accounts(&ids);
	int told = 0;

	for (size_t i = 0; i < n; i++)
		told += sessions_record_changed(ids[i], &c, 0);
	free(ids);
	if (told > 0)
		log_info("notify: changes made while this jxjyd was not listening were not "
		    "heard; sessions told to read again: %d", told);
	return told;
}

/* Connect and LISTEN; NULL (logged) when either fails. */
static struct db_conn *
notify_connect(void)
{
	char err[256];
	struct db_conn *c;

	if ((c = db_connect_single(listener.conninfo, err, sizeof err)) == NULL)
		return NULL;
	if (db_command(c, "SET application_name = 'jxjyd listener'") != 0 ||
	    db_command(c, "LISTEN " NOTIFY_CHANNEL) != 0) {
		log_error("notify: LISTEN failed: %s", db_error_text(c));
		db_disconnect_single(c);
		return NULL;
	}
	notify_reconcile(c);
	return c;
}

void
notify_set_tick(void (*tick)(struct db_conn *), int interval_ms)
{
	listener.tick = tick;
	listener.tick_ms = interval_ms;
}

/* Milliseconds of CLOCK_MONOTONIC. */
static long long
notify_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* How long to wait for a notice: until the next tick is due, or for ever. */
static int
notify_wait_ms(long long next_tick)
{
	long long left;

	if (listener.tick == NULL)
		return -1;
	left = next_tick - notify_now_ms();
	return left < 0 ? 0 : (int)left;
}

static void *
notify_thread(void *arg)
{
	struct db_conn *c = NULL;
	bool lost = false;
	int retry_ms = NOTIFY_RETRY_FIRST_MS;
	long long next_tick = notify_now_ms() + listener.tick_ms;

	(void)arg;
	for (;;) {
		PGconn *pg;
		PGnotify *note;
		bool heard;

		if (c == NULL) {
			if ((c = notify_connect()) == NULL) {
				if (!lost)
					log_warning("notify: not listening to other jxjyd; a "
					    "password changed there does not end sessions here "
					    "until the database answers again (retrying, at "
					    "most every %d s)", NOTIFY_RETRY_MAX_MS / 1000);
				lost = true;
				if (notify_wait_stop(-1, retry_ms))
					break;
				retry_ms = retry_ms * 2 > NOTIFY_RETRY_MAX_MS ? NOTIFY_RETRY_MAX_MS :
				    retry_ms * 2;
				continue;
			}
			retry_ms = NOTIFY_RETRY_FIRST_MS;
			if (lost) {
				log_warning("notify: hearing other jxjyd again");
				notify_tell_missed();
			} else
				log_debug("notify: LISTEN %s, as instance %s",
				    NOTIFY_CHANNEL, notify_instance());
			lost = false;
		}
		pg = db_pgconn(c);
		if (notify_wait_stop(PQsocket(pg), notify_wait_ms(next_tick)))
			break;
		if (listener.tick != NULL && notify_now_ms() >= next_tick) {
			/* Notices that arrive meanwhile wait in libpq: read below. */
			listener.tick(c);
			next_tick = notify_now_ms() + listener.tick_ms;
		}
		if (!PQconsumeInput(pg) || PQstatus(pg) != CONNECTION_OK) {
			log_warning("notify: connection lost: %s", PQerrorMessage(pg));
			db_disconnect_single(c);
			c = NULL;
			lost = true;
			continue;
		}
		heard = false;
		while ((note = PQnotifies(pg)) != NULL) {
			if (notify_handle(note->extra) < 0)
				log_warning("notify: unknown notice on %s ignored", note->relname);
			PQfreemem(note);
			heard = true;
		}
		if (heard && notify_wait_stop(-1, NOTIFY_GATHER_MS))
			break;
	}
	db_disconnect_single(c);
	return NULL;
}

void
notify_start(const char *conninfo)
{
	int rc;

	notify_instance();
	if (pipe2(listener.stop_pipe, O_CLOEXEC) != 0) {
		log_error("notify: pipe: %s; not listening to other jxjyd", strerror(errno));
		return;
	}
	listener.conninfo = xstrdup(conninfo);
	if ((rc = pthread_create(&listener.thread, NULL, notify_thread, NULL)) != 0) {
		log_error("notify: cannot start the listener: %s", strerror(rc));
		return;
	}
	listener.running = true;
}

void
notify_stop(void)
{
	if (listener.running) {
		if (write(listener.stop_pipe[1], "x", 1) < 0)
			log_error("notify: cannot stop the listener: %s", strerror(errno));
		pthread_join(listener.thread, NULL);
		listener.running = false;
	}
	for (int i = 0; i < 2; i++) {
		if (listener.stop_pipe[i] >= 0)
			close(listener.stop_pipe[i]);
		listener.stop_pipe[i] = -1;
	}
	free(listener.conninfo);
	listener.conninfo = NULL;
}
