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
 *   With either: -I FILE replaces "@id" in PARAMS by the Nth line of FILE
 *	for the Nth call, warm-up calls counted (a write that needs a fresh
 *	record each time: review.approve_declarations {"ids":[@id]}); the file
 *	must have a line for each call.  -L FILE prints FILE's size before the
 *	first timed call and after the last ("log START END"): the slice of a
 *	PostgreSQL log (auto_explain's plans) that the timed calls wrote.
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
	const char	*ids;		/* -I: a file of values for "@id" */
	const char	*log;		/* -L: a log file whose growth is reported */
	long		 calls, warmup;
};

static const char usage[] =
    "usage: bench-completion time|walk -i ID -m METHOD [-P PARAMS] [-n CALLS] [-W WARMUP]\n"
    "                        [-I FILE] [-L FILE] [-H HOST] [-p PORT]\n";

/* The size of path in bytes, -1 when it cannot be read. */
static long
file_size(const char *path)
{
	FILE *f = fopen(path, "r");
	long n = -1;

	if (f != NULL && fseek(f, 0, SEEK_END) == 0)
		n = ftell(f);
	if (f != NULL)
		fclose(f);
	return n;
}

/* params with its "@id" replaced by id (id NULL: params as they are). */
static char *
params_with(const char *params, const char *id)
{
	const char *at = id != NULL ? strstr(params, "@id") : NULL;
	char *text;

	if (at == NULL)
		return strdup(params);
	if (asprintf(&text, "%.*s%s%s", (int)(at - params), params, id, at + 3) < 0)
		return NULL;
	return text;
}

/*
 * The params of each call: o->params with "@id" replaced by the lines of
 * o->ids in turn, or o->params alone.  Returns calls objects, NULL (with a
 * message) when the file is short or a result is not a JSON object.
 */
static json_t **
load_params(const struct options *o, long calls)
{
	json_t **p = calloc((size_t)calls, sizeof *p);
	FILE *f = o->ids != NULL ? fopen(o->ids, "r") : NULL;
	char line[64], *text;
	bool short_file;
	long i;

	if (o->ids != NULL && f == NULL) {
		fprintf(stderr, "bench-completion: cannot read %s\n", o->ids);
		free(p);
		return NULL;
	}
	for (i = 0; i < calls; i++) {
		if (f != NULL && fgets(line, sizeof line, f) == NULL)
			break;
		line[strcspn(line, "\r\n")] = '\0';
		text = params_with(o->params, f != NULL ? line : NULL);
		p[i] = text != NULL ? json_loads(text, 0, NULL) : NULL;
		free(text);
		if (!json_is_object(p[i]))
			break;
	}
	short_file = i < calls && p[i] == NULL && f != NULL && feof(f);
	if (f != NULL)
		fclose(f);
	if (i == calls)
		return p;
	fprintf(stderr, "bench-completion: call %ld: %s\n", i + 1,
	    short_file ? "no line left in -I's file" : "its params are not a JSON object");
	while (i >= 0)
		json_decref(p[i--]);
	free(p);
	return NULL;
}

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
	long pages = 0, total = o->warmup + o->calls, log0 = -1;
	json_t **params = load_params(o, total);
	size_t bytes = 0;
	int rc = 1;

	if (params == NULL) {
		free(lat);
		return 2;
	}
	if (conn_open(&c, &o->to, o->to.id, err, sizeof err) != 0) {
		fprintf(stderr, "bench-completion: %s\n", err);
		goto out;
	}
	for (long i = 0; i < total; i++) {
		if (i == o->warmup && o->log != NULL)
			log0 = file_size(o->log);
		t0 = bench_now();
		if ((pages = bench_once(&c, o, params[i], walk, &bytes, err, sizeof err)) == 0) {
			fprintf(stderr, "bench-completion: %s\n", err);
			goto out;
		}
		if (i >= o->warmup)
			lat[i - o->warmup] = (bench_now() - t0) * 1e3;
	}
	printf("%s: %ld %s (%ld pages each, %zu bytes): ", o->method, o->calls,
	    walk ? "runs" : "calls", pages, bytes);
	bench_print_latency(lat, (size_t)o->calls);
	if (o->log != NULL)
		printf(" log %ld %ld", log0, file_size(o->log));
	printf("\n");
	rc = 0;
out:
	free(lat);
	for (long i = 0; i < total; i++)
		json_decref(params[i]);
	free(params);
	conn_close(&c);
	return rc;
}

int
main(int argc, char **argv)
{
	struct options o = { .params = "{}", .calls = 100, .warmup = 5 };
	const char *cmd;

	cmd = bench_options(argc, argv, usage, &o.to, "m:s P:s n:l W:l I:s L:s", &o.method,
	    &o.params, &o.calls, &o.warmup, &o.ids, &o.log);
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
