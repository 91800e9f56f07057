/*
 * bench-logins.c - time jxjyd's logins and its registration review queue
 * over SSH (tests/bench/bench-logins drives it).
 *
 *   bench-logins logins -f IDS [-t THREADS] [-s SECONDS]
 *	THREADS (default 8) SSH sessions on jxjy-rpc, each in its own thread,
 *	loop session.login -> session.logout for SECONDS (default 10); thread
 *	k logs in as the ID numbers on lines k, k+THREADS, ... of the file IDS
 *	in turn.  Prints "logins: N in S s: R logins/s".
 *   bench-logins queue -i ID [-n CALLS] [-W WARMUP] [-r RESTART]
 *	Log in as ID (a unit administrator) and call review.registrations
 *	(50 rows) WARMUP (default 50) times untimed, then CALLS (default 500)
 *	times: the first page, then the page after each reply's "next", back
 *	to the first page after RESTART (default 20) pages or at the end.
 *	Prints p50/p99/max of every page and of the first pages alone.
 *
 * Common options: -H HOST (127.0.0.1), -p PORT (2222).  The password is
 * $BENCH_PASSWORD (default the demo accounts').  Any host key is accepted:
 * this talks to a daemon the caller just started.  Exit status: 0 when
 * every call succeeded, 1 otherwise, 2 on a usage error.
 */
#define _GNU_SOURCE	/* asprintf */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libssh/libssh.h>

#define BENCH_LINE_MAX	(4 * 1024 * 1024)
#define BENCH_TIMEOUT	60	/* seconds any network step may take */
#define BENCH_THREADS_MAX 64

#include "bench-rpc.h"

struct options {
	struct bench_target to;
	const char	*ids_file;
	long		 calls, warmup, restart;
	int		 threads;
	double		 seconds;
};

static const char usage[] =
    "usage: bench-logins logins -f IDS [-t THREADS] [-s SECONDS] [-H HOST] [-p PORT]\n"
    "       bench-logins queue -i ID [-n CALLS] [-W WARMUP] [-r RESTART] [-H HOST] [-p PORT]\n";

/* One login thread's share: its ID numbers and what it counted. */
struct login_worker {
	pthread_t		 tid;
	const struct options	*o;
	char			**ids;
	size_t			 n_ids;
	long			 logins;
	int			 failed;
	char			 err[512];
};

static double		login_deadline;
static atomic_int	login_go;

/* A login thread: open a session, then login/logout until the deadline. Returns NULL. */
static void *
login_run(void *arg)
{
	struct login_worker *w = arg;
	const struct options *o = w->o;
	struct conn c;
	char *reply;
	size_t size, k = 0;

	if (conn_open(&c, &o->to, NULL, w->err, sizeof w->err) != 0) {
		w->failed = 1;
		goto out;
	}
	while (!atomic_load(&login_go))
		;
	while (bench_now() < login_deadline) {
		if (conn_login(&c, w->ids[k], o->to.password, w->err, sizeof w->err) != 0) {
			w->failed = 1;
			break;
		}
		if (conn_call(&c, "session.logout", "{}", &reply, &size, w->err,
		    sizeof w->err) != 0) {
			w->failed = 1;
			break;
		}
		w->logins++;
		k = (k + 1) % w->n_ids;
	}
out:
	conn_close(&c);
	return NULL;
}

static int
run_logins(const struct options *o)
{
	struct login_worker w[BENCH_THREADS_MAX];
	char line[64], **ids = NULL;
	size_t n = 0, cap = 0;
	long total = 0;
	double t0, elapsed;
	FILE *f;
	int rc = 0;

	if ((f = fopen(o->ids_file, "r")) == NULL) {
		perror(o->ids_file);
		return 2;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (*line == '\0')
			continue;
		if (n == cap && (ids = realloc(ids, (cap = cap ? 2 * cap : 64) * sizeof *ids)) == NULL)
			abort();
		ids[n++] = strdup(line);
	}
	fclose(f);
	if (n < (size_t)o->threads) {
		fprintf(stderr, "bench-logins: fewer ID numbers than threads\n");
		return 2;
	}
	memset(w, 0, sizeof w);
	login_deadline = 1e300;
	for (int t = 0; t < o->threads; t++) {
		w[t].o = o;
		w[t].ids = calloc(n / o->threads + 1, sizeof *w[t].ids);
		for (size_t i = t; i < n; i += o->threads)
			w[t].ids[w[t].n_ids++] = ids[i];
		if (pthread_create(&w[t].tid, NULL, login_run, &w[t]) != 0) {
			fprintf(stderr, "bench-logins: pthread_create failed\n");
			return 1;
		}
	}
	/* Let the sessions open before the clock starts. */
	{
		struct timespec ts = { 1, 0 };
		nanosleep(&ts, NULL);
	}
	t0 = bench_now();
	login_deadline = t0 + o->seconds;
	atomic_store(&login_go, 1);
	for (int t = 0; t < o->threads; t++) {
		pthread_join(w[t].tid, NULL);
		total += w[t].logins;
		if (w[t].failed) {
			fprintf(stderr, "bench-logins: thread %d: %s\n", t, w[t].err);
			rc = 1;
		}
		free(w[t].ids);
	}
	elapsed = bench_now() - t0;
	printf("logins: %ld in %.2f s over %d sessions: %.2f logins/s\n", total, elapsed,
	    o->threads, total / elapsed);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return rc;
}

static int
run_queue(const struct options *o)
{
	struct conn c;
	char err[512], *cursor = NULL, *params, *reply;
	double *lat = calloc((size_t)o->calls + 1, sizeof *lat);
	double *first = calloc((size_t)o->calls + 1, sizeof *first), t0, ms;
	long depth = 0, n_first = 0, rows = 0;
	size_t size = 0;
	json_t *p, *r, *next;
	int rc = 1;

	if (conn_open(&c, &o->to, o->to.id, err, sizeof err) != 0) {
		fprintf(stderr, "bench-logins: %s\n", err);
		goto out;
	}
	for (long i = 0; i < o->warmup + o->calls; i++) {
		if (depth >= o->restart) {
			free(cursor);
			cursor = NULL;
		}
		if (cursor == NULL)
			depth = 0;
		p = json_pack("{s:i}", "limit", 50);
		if (cursor != NULL)
			json_object_set_new(p, "after", json_string(cursor));
		params = json_dumps(p, JSON_COMPACT);
		json_decref(p);
		t0 = bench_now();
		if (conn_call(&c, "review.registrations", params, &reply, &size, err,
		    sizeof err) != 0) {
			fprintf(stderr, "bench-logins: %s\n", err);
			free(params);
			goto out;
		}
		ms = (bench_now() - t0) * 1e3;
		free(params);
		if (i >= o->warmup) {
			lat[i - o->warmup] = ms;
			if (cursor == NULL)
				first[n_first++] = ms;
		}
		free(cursor);
		cursor = NULL;
		r = json_loadb(reply, size, 0, NULL);
		rows = (long)json_array_size(json_object_get(json_object_get(r, "result"),
		    "items"));
		next = json_object_get(json_object_get(r, "result"), "next");
		if (json_is_string(next))
			cursor = strdup(json_string_value(next));
		json_decref(r);
		depth++;
	}
	printf("review.registrations: %ld pages (the last of %ld rows, %zu bytes): ", o->calls,
	    rows, size);
	bench_print_latency(lat, (size_t)o->calls);
	printf("\n");
	printf("review.registrations, first pages: %ld pages: first_p50 %.2f ms, first_p99 %.2f ms\n",
	    n_first, bench_quantile(first, (size_t)n_first, 0.5),
	    bench_quantile(first, (size_t)n_first, 0.99));
	rc = 0;
out:
	free(cursor);
	free(lat);
	free(first);
	conn_close(&c);
	return rc;
}

int
main(int argc, char **argv)
{
	struct options o = {
		.calls = 500, .warmup = 50, .restart = 20, .threads = 8, .seconds = 10,
	};
	const char *cmd;

	cmd = bench_options(argc, argv, usage, &o.to, "f:s n:l W:l r:l t:i s:d", &o.ids_file,
	    &o.calls, &o.warmup, &o.restart, &o.threads, &o.seconds);
	if (o.calls < 1 || o.warmup < 0 || o.restart < 1 || o.threads < 1 ||
	    o.threads > BENCH_THREADS_MAX || o.seconds <= 0)
		bench_usage(usage);
	signal(SIGPIPE, SIG_IGN);
	ssh_init();
	if (strcmp(cmd, "logins") == 0 && o.ids_file != NULL)
		return run_logins(&o);
	if (strcmp(cmd, "queue") == 0 && o.to.id != NULL)
		return run_queue(&o);
	bench_usage(usage);
	return 2;
}
