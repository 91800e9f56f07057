/*
 * bench-common.h - what every benchmark client in tests/bench shares: a
 * clock, quantiles, and a libssh session set up the same way.  Included
 * by bench-ssh.c (built by meson) and, through bench-rpc.h, by
 * bench-completion.c, bench-declarations.c and bench-logins.c (each built
 * as one file by its script).  Each client defines BENCH_TIMEOUT first.
 */
#ifndef JXJY_BENCH_COMMON_H
#define JXJY_BENCH_COMMON_H

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include <libssh/libssh.h>

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
bench_compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile (0..1, nearest rank) of v[0..n), which it sorts; 0 when empty. */
static double
bench_quantile(double *v, size_t n, double q)
{
	size_t rank;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, bench_compare_double);
	rank = (size_t)(q * n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

/*
 * A new libssh session for user@host:port, not yet connected; NULL when
 * there is no memory.  No ~/.ssh/config and no known_hosts file (read on
 * every connection otherwise): the caller started this daemon a moment
 * ago.  TCP_NODELAY as the real client has it, so no round trip waits for
 * Nagle's algorithm.
 */
static ssh_session
bench_ssh_new(const char *host, int port, const char *user)
{
	ssh_session ssh;
	int one = 1;
	long timeout = BENCH_TIMEOUT;
	bool no = false;

	if ((ssh = ssh_new()) == NULL)
		return NULL;
	ssh_options_set(ssh, SSH_OPTIONS_PROCESS_CONFIG, &no);
	ssh_options_set(ssh, SSH_OPTIONS_HOST, host);
	ssh_options_set(ssh, SSH_OPTIONS_PORT, &port);
	ssh_options_set(ssh, SSH_OPTIONS_USER, user);
	ssh_options_set(ssh, SSH_OPTIONS_NODELAY, &one);
	ssh_options_set(ssh, SSH_OPTIONS_TIMEOUT, &timeout);
	ssh_options_set(ssh, SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
	ssh_options_set(ssh, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
	return ssh;
}

/* Close and free *channel and *ssh (either may be NULL) and set them to NULL. */
static void
bench_ssh_free(ssh_session *ssh, ssh_channel *channel)
{
	if (*channel != NULL) {
		ssh_channel_send_eof(*channel);
		ssh_channel_close(*channel);
		ssh_channel_free(*channel);
		*channel = NULL;
	}
	if (*ssh != NULL) {
		ssh_disconnect(*ssh);
		ssh_free(*ssh);
		*ssh = NULL;
	}
}

#endif
