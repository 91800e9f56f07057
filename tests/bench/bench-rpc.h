/*
 * bench-rpc.h - what the JSON-RPC benchmark clients share: one connection
 * over libssh to jxjy-rpc, opened and logged in, and its calls.  Included
 * by bench-completion.c, bench-declarations.c and bench-logins.c, each
 * built as one file by its script; each defines BENCH_LINE_MAX and
 * BENCH_TIMEOUT first.  The clock and quantiles are bench-common.h's.
 */
#ifndef JXJY_BENCH_RPC_H
#define JXJY_BENCH_RPC_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libssh/libssh.h>

#include "bench-common.h"

/* The most one read asks for: well inside libssh's channel window (1,280,000 bytes). */
#define BENCH_READ_MAX	(64 * 1024)

/*
 * Where a client connects and as whom: -H HOST (127.0.0.1), -p PORT
 * (2222), -i ID and bench_password's password, set by bench_options.
 */
struct bench_target {
	const char	*host;
	int		 port;
	const char	*id;
	const char	*password;
};

struct conn {
	ssh_session	 ssh;
	ssh_channel	 channel;
	long		 next_id;
	size_t		 len;
	char		*buf;		/* BENCH_LINE_MAX */
};

static void
conn_close(struct conn *c)
{
	bench_ssh_free(&c->ssh, &c->channel);
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
	size_t want;
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
again:
	while ((nl = memchr(c->buf, '\n', c->len)) == NULL) {
		if (c->len == BENCH_LINE_MAX) {
			snprintf(err, errsize, "reply too long");
			return -1;
		}
		/*
		 * Ask for no more than the channel's window holds: libssh
		 * answers a read larger than its window with a window
		 * adjustment to the server, which a real client (the TUI
		 * reads what has come) does not send with every request.
		 */
		want = BENCH_LINE_MAX - c->len;
		if (want > BENCH_READ_MAX)
			want = BENCH_READ_MAX;
		n = ssh_channel_read_timeout(c->channel, c->buf + c->len, (uint32_t)want, 0,
		    BENCH_TIMEOUT * 1000);
		if (n <= 0) {
			snprintf(err, errsize, "read: %s", n < 0 ? ssh_get_error(c->ssh) :
			    "no reply in time, or the channel closed");
			return -1;
		}
		c->len += (size_t)n;
	}
	/* A notification (record.changed: a record of this person changed) is no reply. */
	if (strncmp(c->buf, "{\"jsonrpc\":\"2.0\",\"method\":", 26) == 0) {
		c->len -= (size_t)(nl + 1 - c->buf);
		memmove(c->buf, nl + 1, c->len);
		goto again;
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

/* session.login as id with password on c.  Returns 0, or -1 with the reason in err. */
static int
conn_login(struct conn *c, const char *id, const char *password, char *err, size_t errsize)
{
	char *params, *reply;
	json_t *p;
	int rc;

	p = json_pack("{s:s, s:s}", "id_number", id, "password", password);
	params = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	rc = conn_call(c, "session.login", params, &reply, NULL, err, errsize);
	free(params);
	return rc;
}

/*
 * Connect to the target as "bench", authenticate ("none"), open jxjy-rpc
 * and, when id is not NULL, log in as id with the target's password.
 * Returns 0, or -1 with the reason in err (conn_close frees what was
 * opened).
 */
static int
conn_open(struct conn *c, const struct bench_target *to, const char *id, char *err,
    size_t errsize)
{
	memset(c, 0, sizeof *c);
	c->buf = malloc(BENCH_LINE_MAX);
	if ((c->ssh = bench_ssh_new(to->host, to->port, "bench")) == NULL || c->buf == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (ssh_connect(c->ssh) != SSH_OK ||
	    ssh_userauth_none(c->ssh, NULL) != SSH_AUTH_SUCCESS ||
	    (c->channel = ssh_channel_new(c->ssh)) == NULL ||
	    ssh_channel_open_session(c->channel) != SSH_OK ||
	    ssh_channel_request_subsystem(c->channel, "jxjy-rpc") != SSH_OK) {
		snprintf(err, errsize, "ssh: %s", ssh_get_error(c->ssh));
		return -1;
	}
	if (id == NULL)
		return 0;
	return conn_login(c, id, to->password, err, errsize);
}

/* Print "p50 X ms, p99 Y ms, max Z ms" of the latencies v[0..n), which it sorts. */
static void
bench_print_latency(double *v, size_t n)
{
	printf("p50 %.2f ms, p99 %.2f ms, max %.2f ms", bench_quantile(v, n, 0.5),
	    bench_quantile(v, n, 0.99), bench_quantile(v, n, 1.0));
}

/* Print usage (the client's usage lines) and exit 2. */
static void
bench_usage(const char *usage)
{
	fputs(usage, stderr);
	exit(2);
}

/* The password of the accounts that log in: $BENCH_PASSWORD or the demo accounts'. */
static const char *
bench_password(void)
{
	const char *p = getenv("BENCH_PASSWORD");

	return p != NULL ? p : "Demo-2026-jxjy";
}

/*
 * Parse "prog COMMAND [options]" and return COMMAND: -H, -p and -i into *to
 * (with its defaults and password), the client's own options after spec,
 * which names each by its letter and the type of its value (s: a string,
 * i: an int, l: a long, d: a double), as in "n:l t:d"; a pointer to each
 * value follows, in that order.  An unknown option, or no COMMAND, calls
 * bench_usage.
 */
static const char *
bench_options(int argc, char **argv, const char *usage, struct bench_target *to,
    const char *spec, ...)
{
	char letters[64] = "H:p:i:", types[32] = "sis";
	void *values[32] = { &to->host, &to->port, &to->id };
	const char *s, *type;
	size_t n = 3;
	va_list ap;
	int ch;

	to->host = "127.0.0.1";
	to->port = 2222;
	to->password = bench_password();
	va_start(ap, spec);
	for (s = spec; s[0] != '\0' && n < sizeof values / sizeof *values; s += s[3] ? 4 : 3) {
		snprintf(letters + 2 * n, sizeof letters - 2 * n, "%c:", s[0]);
		types[n] = s[2];
		values[n++] = va_arg(ap, void *);
	}
	va_end(ap);
	if (argc < 2)
		bench_usage(usage);
	optind = 2;
	while ((ch = getopt(argc, argv, letters)) != -1) {
		if (ch == '?' || (s = strchr(letters, ch)) == NULL)
			bench_usage(usage);
		type = &types[(s - letters) / 2];
		if (*type == 's')
			*(const char **)values[type - types] = optarg;
		else if (*type == 'i')
			*(int *)values[type - types] = atoi(optarg);
		else if (*type == 'l')
			*(long *)values[type - types] = atol(optarg);
		else
			*(double *)values[type - types] = atof(optarg);
	}
	return argv[1];
}

#endif
