/*
 * listener.c - the main thread: the listening socket, the signals, the
 * admission of each connection, SIGHUP's reload and SIGTERM's drain.
 *
 * The main thread owns the listening socket and the signals (signalfd):
 * it accepts, applies the connection limits (admission.h), and hands the
 * socket to a session thread (connection.c).  On SIGTERM it stops accepting
 * and tells every session to finish; they finish what they have
 * received, say goodbye and end; then the pool closes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "jxjy-config.h"
#include "admins.h"
#include "admission.h"
#include "config.h"
#include "control.h"
#include "db.h"
#include "figures.h"
#include "forms.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "partitions.h"
#include "passwords.h"
#include "presence.h"
#include "connection.h"
#include "sessions.h"
#include "xmalloc.h"

/* Seconds to wait for sessions to finish after SIGTERM before leaving anyway. */
#define DRAIN_SECONDS	30
#define LISTENER_FOLD_MS	1000	/* completion deltas folded about every second */

void
listener_ensure_host_key(const char *path)
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
listener_listen(const struct config *cfg)
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
listener_address(const struct sockaddr_storage *ss, char *addr, size_t asize,
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

/* Accept one connection and, when the limits let it in, start its session. */
static void
listener_accept(ssh_bind bind, int listen_fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	const char *why = NULL;
	char addr[48], peer[64];
	unsigned long serial;
	int fd;

	fd = accept4(listen_fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warning("accept: %s", strerror(errno));
		if (errno == EMFILE || errno == ENFILE)
			usleep(100000);	/* let sessions end before trying again */
		return;
	}
	listener_address(&ss, addr, sizeof addr, peer, sizeof peer);
	if (!admission_startup(addr, &serial, &why)) {
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
	connection_start(bind, fd, serial, addr, peer);
}

/*
 * The notify thread's tick: fold the completion deltas (figures.h).  A
 * failure is logged once until a fold succeeds again.  Then the years'
 * partitions (partitions.h), looked at once a minute.
 */
static void
listener_fold(struct db_conn *db)
{
	static bool failing;

	if (figures_fold(db) < 0) {
		if (!failing)
			log_warning("completion figures: cannot fold the deltas (readers still "
			    "see exact figures; retrying every second): %s", db_error_text(db));
		failing = true;
	} else if (failing) {
		log_info("completion figures: folding again");
		failing = false;
	}
	/* A new year's partitions, made at the turn of the year (partitions.h). */
	partitions_tick(db, config_current());
	/* The sessions that could hear a record.changed (presence.h). */
	presence_tick(db);
}

/*
 * Bring the unit administrators, learning forms and requirements in the
 * database in line with the config.
 */
static void
listener_sync_from_config(const struct config *cfg)
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
	if (figures_sync_requirements(db, cfg) < 0)
		log_error("requirements: synchronisation failed (see above)");
	if (partitions_keep(db, cfg) < 0)
		log_warning("partitions: some year's partitions are missing (see above); its "
		    "records go to the default partition meanwhile");
	db_release(db);
}

/* SIGHUP: read the file again; apply what may change at run time. */
static void
listener_reload(void)
{
	const struct config *old = config_current();
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
	log_buffer_set_flush_ms(cfg->log_flush_ms);
	passwords_init(cfg->hash_threads);
	config_publish(cfg);
	listener_sync_from_config(cfg);
	log_info("reload: %s read; applied: %s", cfg->path, changed[0] ? changed : "nothing changed");
	if (restart[0])
		log_warning("reload: changed but need a restart: %s", restart);
}

/* Each session holds a socket: allow as many descriptors as the hard limit does. */
static void
listener_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * Block the signals in every thread (they are inherited) and return a
 * signalfd that reads them: SIGTERM, SIGINT, SIGHUP.
 */
static int
listener_signals(void)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* Blocked here, so inherited by every thread: only signalfd sees them. */
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((fd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0)
		fatal("cannot set up signals: %s", strerror(errno));
	return fd;
}

/* The SSH server's host key and banner. Fatal on error. */
static ssh_bind
listener_bind(const struct config *cfg)
{
	ssh_bind bind;
	int no = 0;

	listener_ensure_host_key(cfg->host_key);
	bind = ssh_bind_new();
	ssh_bind_options_set(bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no);
	if (ssh_bind_options_set(bind, SSH_BIND_OPTIONS_HOSTKEY, cfg->host_key) != SSH_OK)
		fatal("host key %s: %s", cfg->host_key, ssh_get_error(bind));
	ssh_bind_options_set(bind, SSH_BIND_OPTIONS_BANNER, "jxjyd_" JXJY_VERSION);
	return bind;
}

/* Read one signal: SIGHUP reloads; false when it says stop. */
static bool
listener_signal(int sig_fd)
{
	struct signalfd_siginfo si;

	if (read(sig_fd, &si, sizeof si) != sizeof si)
		return true;
	if (si.ssi_signo == SIGHUP) {
		listener_reload();
		return true;
	}
	log_info("signal %d: stopping; finishing requests in flight", (int)si.ssi_signo);
	return false;
}

/* Accept and answer signals until one says stop. */
static void
listener_loop(ssh_bind bind, int listen_fd, int sig_fd)
{
	struct pollfd pfd[3] = {
		{ .fd = listen_fd, .events = POLLIN },
		{ .fd = sig_fd, .events = POLLIN },
		{ .fd = admission_reap_fd(), .events = POLLIN },
	};
	bool running = true;

	while (running) {
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll: %s", strerror(errno));
		}
		if (pfd[1].revents & POLLIN)
			running = listener_signal(sig_fd);
		if (pfd[2].revents & POLLIN)
			admission_reap();
		if (running && (pfd[0].revents & POLLIN))
			listener_accept(bind, listen_fd);
	}
}

int
listener_run(struct config *cfg)
{
	ssh_bind bind;
	int listen_fd, sig_fd, left;

	config_publish(cfg);
	/*
	 * Big blocks (a long request line, a large reply) always from mmap, so
	 * that their memory goes back to the system when freed.  Left to itself
	 * glibc raises this threshold after the first such free, and then the
	 * blocks of a flood of long lines stay in the arenas of 50 threads.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	passwords_init(cfg->hash_threads);
	listener_raise_fd_limit();
	sig_fd = listener_signals();
	connection_init();
	admission_init();
	bind = listener_bind(cfg);

	db_pool_init(cfg->db_conninfo, cfg->db_pool_size, cfg->db_statement_timeout);
	db_replica_init(cfg->db_replica_conninfo, cfg->db_replica_pool_size);
	notify_set_tick(listener_fold, LISTENER_FOLD_MS);
	notify_start(cfg->db_listen_conninfo[0] != '\0' ? cfg->db_listen_conninfo :
	    cfg->db_conninfo);
	listener_sync_from_config(cfg);
	listen_fd = listener_listen(cfg);
	control_start(cfg);
	log_info("listening on %s:%d (pool of %d database connections)",
	    cfg->listen_address, cfg->port, cfg->db_pool_size);
	if (db_replica_configured())
		log_info("heavy reads (reports) from the replica while it is at most %d ms "
		    "behind (pool of %d)", cfg->db_replica_max_lag_ms, cfg->db_replica_pool_size);

	listener_loop(bind, listen_fd, sig_fd);

	close(listen_fd);
	connection_stop_all();
	left = admission_drain(DRAIN_SECONDS);
	control_stop();
	admission_reap();
	if (left > 0) {
		log_warning("%d sessions did not finish within %d s; exiting anyway", left,
		    DRAIN_SECONDS);
		return 1;
	}
	notify_stop();
	db_pool_close();
	ssh_bind_free(bind);
	close(sig_fd);
	connection_cleanup();
	admission_free();
	sessions_free();
	/* The caller's cfg stays valid: config.c frees only the reloaded ones. */
	config_retire_all();
	log_info("stopped");
	return 0;
}
