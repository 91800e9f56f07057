/*
 * bench-declarations.c - load jxjyd's declarations over SSH and time it.
 *
 *   bench-declarations submit -I IDFILE [-c SESSIONS] [-t SECONDS] [-w SECONDS]
 *	SESSIONS sessions (default 8), each on its own thread, each logged in
 *	as the next ID number of IDFILE (one per line), each submitting new
 *	declarations (declaration.submit with content: one INSERT of a pending
 *	declaration, its audit row and its totals) one after the other for
 *	SECONDS (default 20) after a warm-up of -w SECONDS (default 3).
 *	Prints submits/s over all sessions and the p50/p99/max latency.
 *   bench-declarations queue -i ID [-n REQUESTS] [-k PAGES] [-W WARMUP] [-P PARAMS]
 *	One session logged in as the unit administrator ID reads the review
 *	queue (review.declarations with PARAMS, a JSON object, default {}):
 *	the first page, then -k PAGES - 1 (default 10) further pages by their
 *	cursors, over and over until REQUESTS (default 3000) pages were read.
 *	The first WARMUP (default 600) are not timed: each pooled connection
 *	prepares its statements and plans them a few times before settling.
 *	Prints the p50/p99/max latency of first pages and of later pages.
 *   bench-declarations call -i ID -m METHOD [-P PARAMS]
 *	Log in as ID, call METHOD once, print the reply line.
 *
 * Common options: -H HOST (127.0.0.1), -p PORT (2222), -f FORM (the form
 * code submitted, default online_course), -y YEAR (default: this year).
 * The password is $BENCH_PASSWORD (default the demo accounts' password).
 * Any host key is accepted: this talks to a daemon the caller just started.
 * Exit status: 0 when every request succeeded, 1 otherwise, 2 on a usage
 * error.
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
#include <unistd.h>

#include <jansson.h>
#include <libssh/libssh.h>

#define BENCH_LINE_MAX	(4 * 1024 * 1024)
#define BENCH_TIMEOUT	30	/* seconds any network step may take */
#define BENCH_SAMPLES	(1 << 22)

#include "bench-rpc.h"

struct options {
	struct bench_target to;
	const char	*idfile;
	const char	*method;
	const char	*params;
	const char	*form;
	int		 year;
	int		 sessions;
	double		 seconds, warmup;
	long		 requests, warmup_requests;
	int		 pages;
};

static const char usage[] =
    "usage: bench-declarations submit -I IDFILE [-c SESSIONS] [-t S] [-w S] [common]\n"
    "       bench-declarations queue -i ID [-n REQUESTS] [-k PAGES] [-W WARMUP] [-P PARAMS]\n"
    "       bench-declarations call -i ID -m METHOD [-P PARAMS] [common]\n"
    "common: -H HOST -p PORT -f FORM -y YEAR\n";

/* --- submit ------------------------------------------------------------------------- */

struct submit_run {
	const struct options *o;
	char		**ids;
	double		 start, measure_from, stop;
	atomic_long	 done, failed;
	double		*latency;	/* ms, of the measured requests */
	atomic_long	 n_latency;
	atomic_int	 sessions;	/* the next session's index */
	pthread_barrier_t ready;
};

/* One session: run->ids[its index], submitting until run->stop. */
static void *
submit_thread(void *arg)
{
	struct submit_run *run = arg;
	const struct options *o = run->o;
	int index = atomic_fetch_add(&run->sessions, 1);
	struct conn c;
	char err[512], params[512], *reply;
	long i = 0, slot;
	double t0, t1;
	bool ok = conn_open(&c, &o->to, run->ids[index], err, sizeof err) == 0;

	if (!ok)
		fprintf(stderr, "bench-declarations: session %d: %s\n", index, err);
	pthread_barrier_wait(&run->ready);
	pthread_barrier_wait(&run->ready);	/* run->start is set now */
	while (ok && (t0 = bench_now()) < run->stop) {
		snprintf(params, sizeof params, "{\"form\":\"%s\",\"year\":%d,\"amount\":2,"
		    "\"fields\":{\"course\":\"压力测试课程%d-%ld\",\"platform\":\"河南专技在线\","
		    "\"finished\":\"%d-06-01\"}}", o->form, o->year, index, i++, o->year);
		if (conn_call(&c, "declaration.submit", params, &reply, NULL, err, sizeof err) != 0) {
			if (atomic_fetch_add(&run->failed, 1) < 5)
				fprintf(stderr, "bench-declarations: %s\n", err);
			break;
		}
		t1 = bench_now();
		if (t0 >= run->measure_from && t1 <= run->stop) {
			atomic_fetch_add(&run->done, 1);
			slot = atomic_fetch_add(&run->n_latency, 1);
			if (slot < BENCH_SAMPLES)
				run->latency[slot] = (t1 - t0) * 1e3;
		}
	}
	if (!ok)
		atomic_fetch_add(&run->failed, 1);
	conn_close(&c);
	return NULL;
}

static char **
read_ids(const char *path, int need)
{
	char **ids = calloc((size_t)need, sizeof *ids), line[64];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (f == NULL)
		return NULL;
	while (n < need && fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] != '\0')
			ids[n++] = strdup(line);
	}
	fclose(f);
	return n == need ? ids : NULL;
}

static int
run_submit(const struct options *o)
{
	struct submit_run run = { .o = o };
	pthread_t *th;
	double elapsed, *lat;
	long n;
	int i;

	if (o->idfile == NULL || (run.ids = read_ids(o->idfile, o->sessions)) == NULL) {
		fprintf(stderr, "bench-declarations: need %d ID numbers in -I FILE\n", o->sessions);
		return 2;
	}
	run.latency = malloc(BENCH_SAMPLES * sizeof *run.latency);
	th = calloc((size_t)o->sessions, sizeof *th);
	pthread_barrier_init(&run.ready, NULL, (unsigned)o->sessions + 1);
	for (i = 0; i < o->sessions; i++)
		pthread_create(&th[i], NULL, submit_thread, &run);
	pthread_barrier_wait(&run.ready);	/* every session logged in */
	run.start = bench_now();
	run.measure_from = run.start + o->warmup;
	run.stop = run.measure_from + o->seconds;
	pthread_barrier_wait(&run.ready);
	for (i = 0; i < o->sessions; i++)
		pthread_join(th[i], NULL);
	elapsed = o->seconds;
	n = atomic_load(&run.n_latency);
	lat = run.latency;
	if (n > BENCH_SAMPLES)
		n = BENCH_SAMPLES;
	printf("%d sessions: %ld submits in %.1f s: %.0f submits/s, latency ", o->sessions,
	    atomic_load(&run.done), elapsed, atomic_load(&run.done) / elapsed);
	bench_print_latency(lat, (size_t)n);
	printf("\n");
	free(run.latency);
	free(th);
	for (i = 0; i < o->sessions; i++)
		free(run.ids[i]);
	free(run.ids);
	return atomic_load(&run.failed) == 0 ? 0 : 1;
}

/* --- queue -------------------------------------------------------------------------- */

static int
run_queue(const struct options *o)
{
	struct conn c;
	char err[512], *reply, *params;
	double *first = malloc((size_t)o->requests * sizeof *first);
	double *later = malloc((size_t)o->requests * sizeof *later);
	json_t *base = json_loads(o->params, 0, NULL), *r, *next;
	size_t n_first = 0, n_later = 0, items = 0;
	long done = 0;
	int rc = 1, page = 0;
	char *cursor = NULL;
	double t0;

	if (!json_is_object(base)) {
		fprintf(stderr, "bench-declarations: -P is not a JSON object\n");
		return 2;
	}
	if (conn_open(&c, &o->to, o->to.id, err, sizeof err) != 0) {
		fprintf(stderr, "bench-declarations: %s\n", err);
		goto out;
	}
	while (done < o->requests) {
		json_t *p = json_deep_copy(base);

		if (cursor != NULL)
			json_object_set_new(p, "after", json_string(cursor));
		params = json_dumps(p, JSON_COMPACT);
		json_decref(p);
		t0 = bench_now();
		if (conn_call(&c, "review.declarations", params, &reply, NULL, err, sizeof err) != 0) {
			fprintf(stderr, "bench-declarations: %s\n", err);
			free(params);
			goto out;
		}
		if (done < o->warmup_requests)
			;	/* not timed */
		else if (cursor == NULL)
			first[n_first++] = (bench_now() - t0) * 1e3;
		else
			later[n_later++] = (bench_now() - t0) * 1e3;
		free(params);
		done++;
		r = json_loads(reply, 0, NULL);
		next = json_object_get(json_object_get(r, "result"), "next");
		items += json_array_size(json_object_get(json_object_get(r, "result"), "items"));
		free(cursor);
		cursor = NULL;
		if (json_is_string(next) && ++page < o->pages)
			cursor = strdup(json_string_value(next));
		else
			page = 0;
		json_decref(r);
	}
	printf("%ld pages (%zu rows, %ld not timed): first pages ", done, items,
	    o->warmup_requests);
	bench_print_latency(first, n_first);
	printf(" (%zu); ", n_first);
	if (n_later > 0) {
		printf("later pages ");
		bench_print_latency(later, n_later);
		printf(" (%zu)\n", n_later);
	} else
		printf("no later pages (the filter leaves one page)\n");
	rc = 0;
out:
	free(cursor);
	free(first);
	free(later);
	json_decref(base);
	conn_close(&c);
	return rc;
}

static int
run_call(const struct options *o)
{
	struct conn c;
	char err[512], *reply;
	int rc = 1;

	if (conn_open(&c, &o->to, o->to.id, err, sizeof err) != 0) {
		fprintf(stderr, "bench-declarations: %s\n", err);
	} else if (conn_call(&c, o->method, o->params, &reply, NULL, err, sizeof err) != 0) {
		fprintf(stderr, "bench-declarations: %s\n", err);
	} else {
		printf("%s\n", reply);
		rc = 0;
	}
	conn_close(&c);
	return rc;
}

int
main(int argc, char **argv)
{
	struct options o = {
		.sessions = 8, .seconds = 20, .warmup = 3, .requests = 3000,
		.warmup_requests = 600, .pages = 10, .params = "{}", .form = "online_course",
	};
	time_t t = time(NULL) + 8 * 3600;
	struct tm tm;
	const char *cmd;

	gmtime_r(&t, &tm);
	o.year = tm.tm_year + 1900;
	cmd = bench_options(argc, argv, usage, &o.to,
	    "I:s m:s P:s f:s y:i c:i t:d w:d n:l k:i W:l", &o.idfile, &o.method, &o.params,
	    &o.form, &o.year, &o.sessions, &o.seconds, &o.warmup, &o.requests, &o.pages, &o.warmup_requests);
	signal(SIGPIPE, SIG_IGN);
	ssh_init();
	if (strcmp(cmd, "submit") == 0 && o.sessions > 0 && o.seconds > 0)
		return run_submit(&o);
	if (strcmp(cmd, "queue") == 0 && o.to.id != NULL && o.requests > o.warmup_requests &&
	    o.warmup_requests >= 0 && o.pages > 0)
		return run_queue(&o);
	if (strcmp(cmd, "call") == 0 && o.to.id != NULL && o.method != NULL)
		return run_call(&o);
	bench_usage(usage);
	return 2;
}
