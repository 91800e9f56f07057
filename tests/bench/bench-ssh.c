/*
 * bench-ssh.c - load jxjyd over SSH with libssh's client, and time it.
 *
 *   bench-ssh connect -n N [-P PARALLEL] [-s PID]
 *	N new sessions, PARALLEL at a time: connect, key exchange, "none"
 *	authentication, a channel, the jxjy-rpc subsystem, one system.hello,
 *	close.  Prints sessions/s and the median and p99 session time.
 *   bench-ssh rtt -n N [-c CHANNELS] [-S MS] [-s PID]
 *	CHANNELS sessions (jxjyd serves one channel per connection), each on
 *	a thread of its own, each sending N system.hello requests one after
 *	the other (no pipelining).  With -S, debug.sleep {"ms": MS} instead.
 *	Prints round trips/s over all channels and p50/p99 latency.
 *   bench-ssh hold -n N [-P PARALLEL]
 *	Open N sessions, each after one system.hello, print "holding N" and
 *	keep them until standard input ends or SIGINT/SIGTERM arrives.
 *
 * Common options: -H HOST (127.0.0.1), -p PORT (2222), -u USER (bench).
 * With -s PID the CPU time the process PID used during the run (from
 * /proc/PID/stat: utime + stime of all its threads, plus cutime + cstime
 * of the children it has reaped, which is where a forking server such as
 * OpenSSH's sshd spends it) is printed per session or per round trip.
 * Any host key is accepted: this talks to a daemon the caller just
 * started.  TCP_NODELAY is on (SSH_OPTIONS_NODELAY), as the real client
 * has it, so no round trip waits for Nagle's algorithm.
 *
 * For a comparison with OpenSSH's sshd running `Subsystem jxjy-rpc
 * /bin/cat`: -i KEY authenticates with that private key instead of
 * "none", and -e expects every request echoed back instead of a result.
 *
 * Exit status: 0 when every session and request succeeded, 1 otherwise,
 * 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "protocol.h"

/* A reply longer than this is an error here: hello's is under 100 bytes. */
#define BENCH_LINE_MAX	4096

/* Seconds any single network step may take before the session counts as failed. */
#define BENCH_TIMEOUT	30

#include "bench-common.h"

struct bench_options {
	const char	*host;
	int		 port;
	const char	*user;
	long		 count;		/* -n */
	int		 parallel;	/* -P */
	int		 channels;	/* -c */
	long		 sleep_ms;	/* -S; -1 = system.hello */
	long		 server_pid;	/* -s; 0 = none */
	const char	*identity;	/* -i; NULL = "none" authentication */
	bool		 echo;		/* -e: the server echoes requests */
};

/* One open session with its channel and what has been read but not used. */
struct bench_conn {
	ssh_session	 ssh;
	ssh_channel	 channel;
	long		 next_id;
	size_t		 len;
	char		 buf[BENCH_LINE_MAX];
};

/* The signal (SIGINT, SIGTERM) that asked us to stop, or 0. */
static volatile sig_atomic_t bench_stop;

static void
bench_signal(int sig)
{
	bench_stop = sig;
}

/*
 * CPU seconds (user + system, every thread, living or ended, and the
 * children it has waited for) used so far by process pid; -1 when it
 * cannot be read.
 */
static double
bench_process_cpu(long pid)
{
	char path[64], text[2048], *p;
	unsigned long long utime, stime, cutime, cstime;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	/* The command name may hold spaces: fields count from after its ')'. */
	if ((p = strrchr(text, ')')) == NULL)
		return -1;
	/* After ')': state is field 3 ... utime 14, stime 15, cutime 16, cstime 17. */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
	    &utime, &stime, &cutime, &cstime) != 4)
		return -1;
	return (double)(utime + stime + cutime + cstime) / sysconf(_SC_CLK_TCK);
}

/* CPU seconds this process has used. */
static double
bench_self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Zeroed memory for n objects of size bytes; aborts when there is none. */
static void *
bench_alloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL) {
		fprintf(stderr, "bench-ssh: out of memory\n");
		abort();
	}
	return p;
}

/* Start a thread or give up: a run with fewer threads than asked would mislead. */
static void
bench_thread_start(pthread_t *tid, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	int rc = pthread_create(tid, attr, fn, arg);

	if (rc != 0) {
		fprintf(stderr, "bench-ssh: cannot start a thread: %s\n", strerror(rc));
		exit(1);
	}
}

static void
bench_conn_free(struct bench_conn *c)
{
	bench_ssh_free(&c->ssh, &c->channel);
}

/*
 * Send one request and read its reply line.  Returns 0 when the reply is
 * a result, -1 (with a reason in err) otherwise.
 */
static int
bench_conn_call(struct bench_conn *c, const struct bench_options *o, char *err,
    size_t errsize)
{
	char line[256];
	int len, n;
	char *nl;

	c->next_id++;
	if (o->sleep_ms >= 0)
		len = snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%ld,"
		    "\"method\":\"debug.sleep\",\"params\":{\"ms\":%ld}}\n", c->next_id,
		    o->sleep_ms);
	else
		len = snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%ld,"
		    "\"method\":\"system.hello\",\"params\":{\"client\":\"bench-ssh\"}}\n",
		    c->next_id);
	if (ssh_channel_write(c->channel, line, len) != len) {
		snprintf(err, errsize, "write: %s", ssh_get_error(c->ssh));
		return -1;
	}
	while ((nl = memchr(c->buf, '\n', c->len)) == NULL) {
		if (c->len == sizeof c->buf) {
			snprintf(err, errsize, "reply longer than %d bytes", BENCH_LINE_MAX);
			return -1;
		}
		n = ssh_channel_read_timeout(c->channel, c->buf + c->len,
		    sizeof c->buf - c->len, 0, BENCH_TIMEOUT * 1000);
		if (n < 0) {
			snprintf(err, errsize, "read: %s", ssh_get_error(c->ssh));
			return -1;
		}
		if (n == 0) {
			snprintf(err, errsize, "%s", ssh_channel_is_eof(c->channel) ?
			    "the server closed the channel" : "no reply in time");
			return -1;
		}
		c->len += n;
	}
	*nl = '\0';
	if (o->echo) {
		if ((size_t)(nl - c->buf) != (size_t)len - 1 ||
		    memcmp(c->buf, line, len - 1) != 0) {
			snprintf(err, errsize, "not an echo: %.200s", c->buf);
			return -1;
		}
	} else if (strstr(c->buf, "\"result\"") == NULL) {
		/* Enough to tell a result from an error; replies are tested elsewhere. */
		snprintf(err, errsize, "not a result: %.200s", c->buf);
		return -1;
	}
	c->len -= nl + 1 - c->buf;
	memmove(c->buf, nl + 1, c->len);
	return 0;
}

/*
 * Open a session up to and including one answered request.  Returns 0, or
 * -1 with the reason in err and everything freed.
 */
static int
bench_conn_open(struct bench_conn *c, const struct bench_options *o, char *err,
    size_t errsize)
{
	int rc;

	memset(c, 0, sizeof *c);
	if ((c->ssh = bench_ssh_new(o->host, o->port, o->user)) == NULL) {
		snprintf(err, errsize, "ssh_new failed");
		return -1;
	}
	if (ssh_connect(c->ssh) != SSH_OK) {
		snprintf(err, errsize, "connect: %s", ssh_get_error(c->ssh));
		goto fail;
	}
	/* The host key is not checked: the caller started this daemon a moment ago. */
	if (o->identity != NULL) {
		ssh_key key = NULL;

		if (ssh_pki_import_privkey_file(o->identity, NULL, NULL, NULL, &key) != SSH_OK) {
			snprintf(err, errsize, "cannot read the key %s", o->identity);
			goto fail;
		}
		rc = ssh_userauth_publickey(c->ssh, NULL, key);
		ssh_key_free(key);
	} else {
		rc = ssh_userauth_none(c->ssh, NULL);
	}
	if (rc != SSH_AUTH_SUCCESS) {
		snprintf(err, errsize, "authentication: %d: %s", rc, ssh_get_error(c->ssh));
		goto fail;
	}
	if ((c->channel = ssh_channel_new(c->ssh)) == NULL ||
	    ssh_channel_open_session(c->channel) != SSH_OK) {
		snprintf(err, errsize, "channel: %s", ssh_get_error(c->ssh));
		goto fail;
	}
	if (ssh_channel_request_subsystem(c->channel, JXJY_SUBSYSTEM) != SSH_OK) {
		snprintf(err, errsize, "subsystem: %s", ssh_get_error(c->ssh));
		goto fail;
	}
	if (bench_conn_call(c, o, err, errsize) != 0)
		goto fail;
	return 0;
fail:
	bench_conn_free(c);
	return -1;
}

/* --- connect ------------------------------------------------------------- */

struct connect_run {
	const struct bench_options *o;
	atomic_long	 next;		/* next session number to start */
	atomic_long	 failed;
	double		*latency;	/* seconds, per session; < 0 when it failed */
};

static void *
connect_thread(void *arg)
{
	struct connect_run *run = arg;
	struct bench_options o = *run->o;
	struct bench_conn *c = bench_alloc(1, sizeof *c);
	char err[512];
	long i;

	o.sleep_ms = -1;	/* a new session says hello, whatever -S says */
	while ((i = atomic_fetch_add(&run->next, 1)) < o.count && !bench_stop) {
		double t0 = bench_now();

		if (bench_conn_open(c, &o, err, sizeof err) != 0) {
			if (atomic_fetch_add(&run->failed, 1) < 5)
				fprintf(stderr, "bench-ssh: session %ld: %s\n", i, err);
			run->latency[i] = -1;
			continue;
		}
		bench_conn_free(c);
		run->latency[i] = bench_now() - t0;
	}
	free(c);
	return NULL;
}

static int
bench_connect(const struct bench_options *o)
{
	struct connect_run run = { .o = o };
	pthread_t *tids;
	double t0, t1, cpu0 = 0, cpu1 = 0, self0, self1, *ok;
	size_t n_ok = 0;

	if (o->server_pid > 0 && (cpu0 = bench_process_cpu(o->server_pid)) < 0) {
		fprintf(stderr, "bench-ssh: cannot read /proc/%ld/stat\n", o->server_pid);
		return 1;
	}
	tids = bench_alloc(o->parallel, sizeof *tids);
	run.latency = bench_alloc(o->count, sizeof *run.latency);
	ok = bench_alloc(o->count, sizeof *ok);
	for (long i = 0; i < o->count; i++)
		run.latency[i] = -1;
	self0 = bench_self_cpu();
	t0 = bench_now();
	for (int i = 0; i < o->parallel; i++)
		bench_thread_start(&tids[i], NULL, connect_thread, &run);
	for (int i = 0; i < o->parallel; i++)
		pthread_join(tids[i], NULL);
	t1 = bench_now();
	self1 = bench_self_cpu();
	if (o->server_pid > 0) {
		/* Let the server finish tearing down (and reap) the last sessions. */
		usleep(200 * 1000);
		cpu1 = bench_process_cpu(o->server_pid);
	}

	for (long i = 0; i < o->count; i++)
		if (run.latency[i] >= 0)
			ok[n_ok++] = run.latency[i];
	printf("connect: %zu sessions, %d parallel, %ld failed, %.2f s: %.0f sessions/s;"
	    " session median %.2f ms, p99 %.2f ms; client CPU %.2f ms/session",
	    n_ok, o->parallel, (long)atomic_load(&run.failed), t1 - t0, n_ok / (t1 - t0),
	    bench_quantile(ok, n_ok, 0.5) * 1e3, bench_quantile(ok, n_ok, 0.99) * 1e3,
	    n_ok ? (self1 - self0) * 1e3 / n_ok : 0);
	if (o->server_pid > 0)
		printf("; server CPU %.3f ms/session", n_ok ? (cpu1 - cpu0) * 1e3 / n_ok : 0);
	printf("\n");
	free(ok);
	free(run.latency);
	free(tids);
	return atomic_load(&run.failed) == 0 && !bench_stop ? 0 : 1;
}

/* --- rtt ----------------------------------------------------------------- */

struct rtt_run {
	const struct bench_options *o;
	pthread_barrier_t opened, start;
	atomic_long	 failed;
	double		*latency;	/* o->channels * o->count seconds */
	double		*end;		/* when each channel finished */
};

struct rtt_channel {
	struct rtt_run	*run;
	int		 index;
};

static void *
rtt_thread(void *arg)
{
	struct rtt_channel *ch = arg;
	struct rtt_run *run = ch->run;
	const struct bench_options *o = run->o;
	double *lat = run->latency + (size_t)ch->index * o->count;
	struct bench_conn *c = bench_alloc(1, sizeof *c);
	char err[512];
	bool open;

	open = bench_conn_open(c, o, err, sizeof err) == 0;
	if (!open) {
		fprintf(stderr, "bench-ssh: channel %d: %s\n", ch->index, err);
		atomic_fetch_add(&run->failed, 1);
	}
	/* Everyone starts together, so the rate is that of CHANNELS at once. */
	pthread_barrier_wait(&run->opened);
	pthread_barrier_wait(&run->start);
	for (long i = 0; open && i < o->count && !bench_stop; i++) {
		double t0 = bench_now();

		if (bench_conn_call(c, o, err, sizeof err) != 0) {
			fprintf(stderr, "bench-ssh: channel %d, request %ld: %s\n",
			    ch->index, i, err);
			atomic_fetch_add(&run->failed, 1);
			break;
		}
		lat[i] = bench_now() - t0;
	}
	run->end[ch->index] = bench_now();
	if (open)
		bench_conn_free(c);
	free(c);
	return NULL;
}

static int
bench_rtt(const struct bench_options *o)
{
	struct rtt_run run = { .o = o };
	struct rtt_channel *chans = bench_alloc(o->channels, sizeof *chans);
	pthread_t *tids = bench_alloc(o->channels, sizeof *tids);
	size_t total = (size_t)o->channels * o->count, n_ok = 0;
	double t0, t1 = 0, cpu0 = 0, cpu1 = 0, self0, self1;

	run.latency = bench_alloc(total, sizeof *run.latency);
	run.end = bench_alloc(o->channels, sizeof *run.end);
	for (size_t i = 0; i < total; i++)
		run.latency[i] = -1;
	pthread_barrier_init(&run.opened, NULL, o->channels + 1);
	pthread_barrier_init(&run.start, NULL, o->channels + 1);
	for (int i = 0; i < o->channels; i++) {
		chans[i] = (struct rtt_channel){ .run = &run, .index = i };
		bench_thread_start(&tids[i], NULL, rtt_thread, &chans[i]);
	}
	pthread_barrier_wait(&run.opened);
	if (o->server_pid > 0)
		cpu0 = bench_process_cpu(o->server_pid);
	self0 = bench_self_cpu();
	t0 = bench_now();
	pthread_barrier_wait(&run.start);
	for (int i = 0; i < o->channels; i++)
		pthread_join(tids[i], NULL);
	self1 = bench_self_cpu();
	if (o->server_pid > 0) {
		/* A forking server's children count once reaped (their set-up too). */
		usleep(200 * 1000);
		cpu1 = bench_process_cpu(o->server_pid);
	}
	for (int i = 0; i < o->channels; i++)
		if (run.end[i] > t1)
			t1 = run.end[i];

	for (size_t i = 0; i < total; i++)
		if (run.latency[i] >= 0)
			run.latency[n_ok++] = run.latency[i];
	printf("rtt: %d channels, %zu %s round trips, %ld failed, %.2f s: %.0f round trips/s;"
	    " p50 %.3f ms, p99 %.3f ms; client CPU %.1f us/round trip",
	    o->channels, n_ok, o->sleep_ms >= 0 ? "debug.sleep" : o->echo ? "echoed" : "system.hello",
	    (long)atomic_load(&run.failed), t1 - t0, n_ok / (t1 - t0),
	    bench_quantile(run.latency, n_ok, 0.5) * 1e3,
	    bench_quantile(run.latency, n_ok, 0.99) * 1e3,
	    n_ok ? (self1 - self0) * 1e6 / n_ok : 0);
	if (o->server_pid > 0)
		printf("; server CPU %.1f us/round trip", n_ok ? (cpu1 - cpu0) * 1e6 / n_ok : 0);
	printf("\n");
	pthread_barrier_destroy(&run.opened);
	pthread_barrier_destroy(&run.start);
	free(run.end);
	free(run.latency);
	free(tids);
	free(chans);
	return atomic_load(&run.failed) == 0 && !bench_stop ? 0 : 1;
}

/* --- hold ---------------------------------------------------------------- */

struct hold_run {
	const struct bench_options *o;
	struct bench_conn *conns;
	bool		*open;
	atomic_long	 next;
	atomic_long	 failed;
};

static void *
hold_thread(void *arg)
{
	struct hold_run *run = arg;
	struct bench_options o = *run->o;
	char err[512];
	long i;

	o.sleep_ms = -1;
	while ((i = atomic_fetch_add(&run->next, 1)) < o.count && !bench_stop) {
		if (bench_conn_open(&run->conns[i], &o, err, sizeof err) == 0) {
			run->open[i] = true;
			continue;
		}
		if (atomic_fetch_add(&run->failed, 1) < 5)
			fprintf(stderr, "bench-ssh: session %ld: %s\n", i, err);
	}
	return NULL;
}

static int
bench_hold(const struct bench_options *o)
{
	struct hold_run run = { .o = o };
	pthread_t *tids = bench_alloc(o->parallel, sizeof *tids);
	long n_open = 0;
	double t0 = bench_now();
	char c;
	int rc = 1;

	run.conns = bench_alloc(o->count, sizeof *run.conns);
	run.open = bench_alloc(o->count, sizeof *run.open);
	for (int i = 0; i < o->parallel; i++)
		bench_thread_start(&tids[i], NULL, hold_thread, &run);
	for (int i = 0; i < o->parallel; i++)
		pthread_join(tids[i], NULL);
	for (long i = 0; i < o->count; i++)
		n_open += run.open[i];
	if (atomic_load(&run.failed) > 0 || bench_stop) {
		printf("hold: only %ld of %ld sessions opened\n", n_open, o->count);
		goto out;
	}
	printf("holding %ld (opened in %.2f s)\n", n_open, bench_now() - t0);
	fflush(stdout);
	/* Until stdin ends; a signal interrupts read (no SA_RESTART). */
	while (!bench_stop) {
		ssize_t n = read(STDIN_FILENO, &c, 1);

		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	/* Every session still open?  A daemon that dropped idle ones would show here. */
	long alive = 0;
	for (long i = 0; i < o->count; i++)
		if (run.open[i] && ssh_is_connected(run.conns[i].ssh) &&
		    !ssh_channel_is_closed(run.conns[i].channel) &&
		    !ssh_channel_is_eof(run.conns[i].channel))
			alive++;
	printf("released %ld (%ld still open at the end)\n", n_open, alive);
	rc = alive == n_open ? 0 : 1;
out:
	for (long i = 0; i < o->count; i++)
		if (run.open[i])
			bench_conn_free(&run.conns[i]);
	free(run.open);
	free(run.conns);
	free(tids);
	return rc;
}

/* --- main ---------------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bench-ssh connect -n N [-P PARALLEL] [-s PID] [common options]\n"
	    "       bench-ssh rtt -n N [-c CHANNELS] [-S MS] [-s PID] [common options]\n"
	    "       bench-ssh hold -n N [-P PARALLEL] [common options]\n"
	    "common options: -H HOST (127.0.0.1)  -p PORT (2222)  -u USER (bench)\n"
	    "  -i KEY   authenticate with this private key instead of \"none\"\n"
	    "  -e       the server echoes each request (sshd running /bin/cat)\n"
	    "  -s PID   print the CPU time process PID used, per session or round trip\n"
	    "  -S MS    rtt: call debug.sleep {\"ms\": MS} instead of system.hello\n");
	exit(2);
}

/* strtol that accepts only a whole number in [min, max], or exits. */
static long
bench_number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "bench-ssh: bad number '%s' (%ld..%ld)\n", s, min, max);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	struct bench_options o = { .host = "127.0.0.1", .port = JXJY_DEFAULT_PORT,
	    .user = "bench", .count = 0, .parallel = 1, .channels = 1, .sleep_ms = -1 };
	struct sigaction sa = { .sa_handler = bench_signal };
	struct rlimit rl;
	const char *cmd;
	int ch, rc = 2;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((ch = getopt(argc, argv, "H:p:u:i:en:P:c:S:s:")) != -1) {
		switch (ch) {
		case 'H': o.host = optarg; break;
		case 'p': o.port = (int)bench_number(optarg, 1, 65535); break;
		case 'u': o.user = optarg; break;
		case 'i': o.identity = optarg; break;
		case 'e': o.echo = true; break;
		case 'n': o.count = bench_number(optarg, 1, 100000000); break;
		case 'P': o.parallel = (int)bench_number(optarg, 1, 1024); break;
		case 'c': o.channels = (int)bench_number(optarg, 1, 1024); break;
		case 'S': o.sleep_ms = bench_number(optarg, 0, 60000); break;
		case 's': o.server_pid = bench_number(optarg, 1, 1L << 30); break;
		default: usage();
		}
	}
	if (optind != argc || o.count == 0)
		usage();

	/* Each held session is a socket. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (strcmp(cmd, "connect") == 0)
		rc = bench_connect(&o);
	else if (strcmp(cmd, "rtt") == 0)
		rc = bench_rtt(&o);
	else if (strcmp(cmd, "hold") == 0)
		rc = bench_hold(&o);
	else
		usage();
	/*
	 * Sessions closed; now die of the signal, so that a shell script running
	 * us sees the interrupt (bash ignores a Ctrl-C its child merely survived).
	 */
	if (bench_stop != 0) {
		signal(bench_stop, SIG_DFL);
		raise(bench_stop);
	}
	return rc;
}
