/*
 * bench-rpc.h - what the benchmark clients share: one JSON-RPC connection
 * over libssh to jxjy-rpc, a clock and quantiles.  Included by
 * bench-completion.c, bench-declarations.c and bench-logins.c, each built
 * as one file by its script; each defines BENCH_LINE_MAX and BENCH_TIMEOUT
 * first and opens its connections itself (conn_open: its own options).
 */
#ifndef JXJY_BENCH_RPC_H
#define JXJY_BENCH_RPC_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libssh/libssh.h>

struct conn {
	ssh_session	 ssh;
	ssh_channel	 channel;
	long		 next_id;
	size_t		 len;
	char		*buf;		/* BENCH_LINE_MAX */
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile (nearest rank) of v[0..n), which it sorts; 0 when empty. */
static double
quantile(double *v, size_t n, double q)
{
	size_t rank;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, compare_double);
	rank = (size_t)(q * n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

static void
conn_close(struct conn *c)
{
	if (c->channel != NULL) {
		ssh_channel_send_eof(c->channel);
		ssh_channel_close(c->channel);
		ssh_channel_free(c->channel);
	}
	if (c->ssh != NULL) {
		ssh_disconnect(c->ssh);
		ssh_free(c->ssh);
	}
	free(c->buf);
	memset(c, 0, sizeof *c);
}

/*
 * Send method with params (JSON text) and read the reply line into *reply
 * (pointing into c->buf, valid until the next call) and its length into
 * *size (when size is not NULL).  Returns 0 for a result, -1 otherwise (the reason in err).
 */
static int
conn_call(struct conn *c, const char *method, const char *params, char **reply,
    size_t *size, char *err, size_t errsize)
{
	char *line, *nl;
	int len, n;

	/* The previous reply is consumed now. */
	if (c->len > 0 && (nl = memchr(c->buf, '\0', c->len)) != NULL) {
		c->len -= (size_t)(nl + 1 - c->buf);
		memmove(c->buf, nl + 1, c->len);
	}
	len = asprintf(&line, "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"%s\",\"params\":%s}\n",
	    ++c->next_id, method, params);
	if (len < 0 || ssh_channel_write(c->channel, line, (uint32_t)len) != len) {
		snprintf(err, errsize, "write: %s", ssh_get_error(c->ssh));
		free(line);
		return -1;
	}
	free(line);
	while ((nl = memchr(c->buf, '\n', c->len)) == NULL) {
		if (c->len == BENCH_LINE_MAX) {
			snprintf(err, errsize, "reply too long");
			return -1;
		}
		n = ssh_channel_read_timeout(c->channel, c->buf + c->len,
		    (uint32_t)(BENCH_LINE_MAX - c->len), 0, BENCH_TIMEOUT * 1000);
		if (n <= 0) {
			snprintf(err, errsize, "read: %s", n < 0 ? ssh_get_error(c->ssh) :
			    "no reply in time, or the channel closed");
			return -1;
		}
		c->len += (size_t)n;
	}
	*nl = '\0';
	*reply = c->buf;
	if (size != NULL)
		*size = (size_t)(nl - c->buf);
	if (strstr(c->buf, "\"result\"") == NULL) {
		snprintf(err, errsize, "%s: %.300s", method, c->buf);
		return -1;
	}
	return 0;
}


#endif
