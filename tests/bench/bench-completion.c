/*
 * bench-completion.c - time jxjyd's completion methods over SSH.
 *
 *   bench-completion time -i ID -m METHOD [-P PARAMS] [-n CALLS] [-W WARMUP]
 *	Log in as ID, call METHOD with PARAMS (a JSON object, default {})
 *	WARMUP times untimed (default 5), then CALLS times (default 100), one
 *	after the other, and print the p50/p99/max latency and the size of the
 *	last reply.
 *   bench-completion walk -i ID -m METHOD [-P PARAMS] [-n RUNS]
 *	As time, but each run follows "next" from the first page to the last
 *	(completion.report's pages, completion.report_csv's pieces) and is
 *	timed as a whole; prints the pages per run and p50/p99/max of a run.
 *
 * Common options: -H HOST (127.0.0.1), -p PORT (2222).  The password is
 * $BENCH_PASSWORD (default the demo accounts').  Any host key is accepted:
 * this talks to a daemon the caller just started.  Exit status: 0 when
 * every call succeeded, 1 otherwise, 2 on a usage error.
 */
#define _GNU_SOURCE	/* asprintf */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libssh/libssh.h>

#define BENCH_LINE_MAX	(64 * 1024 * 1024)
#define BENCH_TIMEOUT	60	/* seconds any network step may take */

#include "bench-rpc.h"

struct options {
	struct bench_target to;
	const char	*method;
	const char	*params;
	long		 calls, warmup;
};

static const char usage[] =
    "usage: bench-completion time|walk -i ID -m METHOD [-P PARAMS] [-n CALLS] [-W WARMUP]\n"
    "                        [-H HOST] [-p PORT]\n";

/*
 * One timed unit: a call, or with walk every page of it.  Returns the
 * pages read (0 on failure) and the bytes of the replies in *bytes.
 */
static long
bench_once(struct conn *c, const struct options *o, json_t *base, bool walk, size_t *bytes,
    char *err, size_t errsize)
{
	char *cursor = NULL, *params, *reply;
	long pages = 0;
	size_t size;
	json_t *p, *r, *next;

	*bytes = 0;
	do {
		p = json_deep_copy(base);
		if (cursor != NULL)
			json_object_set_new(p, "after", json_string(cursor));
		params = json_dumps(p, JSON_COMPACT);
		json_decref(p);
		free(cursor);
		cursor = NULL;
		if (conn_call(c, o->method, params, &reply, &size, err, errsize) != 0) {
			free(params);
			return 0;
		}
		free(params);
		pages++;
		*bytes += size;
		if (!walk)
			break;
		r = json_loadb(reply, size, 0, NULL);
		next = json_object_get(json_object_get(r, "result"), "next");
		if (json_is_string(next))
			cursor = strdup(json_string_value(next));
		json_decref(r);
	} while (cursor != NULL);
	return pages;
}

static int
run(const struct options *o, bool walk)
{
	struct conn c;
	char err[512];
	double *lat = calloc((size_t)o->calls + 1, sizeof *lat), t0;
	json_t *base = json_loads(o->params, 0, NULL);
	long pages = 0;
	size_t bytes = 0;
	int rc = 1;

	if (!json_is_object(base)) {
		fprintf(stderr, "bench-completion: -P is not a JSON object\n");
		free(lat);
		return 2;
	}
	if (conn_open(&c, &o->to, o->to.id, err, sizeof err) != 0) {
		fprintf(stderr, "bench-completion: %s\n", err);
		goto out;
	}
	for (long i = 0; i < o->warmup + o->calls; i++) {
		t0 = bench_now();
		if ((pages = bench_once(&c, o, base, walk, &bytes, err, sizeof err)) == 0) {
			fprintf(stderr, "bench-completion: %s\n", err);
			goto out;
		}
		if (i >= o->warmup)
			lat[i - o->warmup] = (bench_now() - t0) * 1e3;
	}
	printf("%s: %ld %s (%ld pages each, %zu bytes): ", o->method, o->calls,
	    walk ? "runs" : "calls", pages, bytes);
	bench_print_latency(lat, (size_t)o->calls);
	printf("\n");
	rc = 0;
out:
	free(lat);
	json_decref(base);
	conn_close(&c);
	return rc;
}

int
main(int argc, char **argv)
{
	struct options o = { .params = "{}", .calls = 100, .warmup = 5 };
	const char *cmd;

	cmd = bench_options(argc, argv, usage, &o.to, "m:s P:s n:l W:l", &o.method, &o.params,
	    &o.calls, &o.warmup);
	if (o.to.id == NULL || o.method == NULL || o.calls < 1 || o.warmup < 0)
		bench_usage(usage);
	signal(SIGPIPE, SIG_IGN);
	ssh_init();
	if (strcmp(cmd, "time") == 0)
		return run(&o, false);
	if (strcmp(cmd, "walk") == 0)
		return run(&o, true);
	bench_usage(usage);
	return 2;
}
