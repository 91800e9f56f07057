/*
 * bench-wait: what it costs a process, in CPU, to wait for an answer on
 * this machine -- the floor under any request of jxjyd that waits for
 * PostgreSQL (issue 19; docs/benchmarks.md).
 *
 *	bench-wait [-t SECONDS] [GAP_US ...]
 *
 * Two processes on a socketpair play the two ends of a round trip: the
 * asker writes a byte and blocks in read(2) for the answer, as jxjyd does
 * for PostgreSQL's reply; the answerer reads it, sleeps GAP_US
 * microseconds (as a backend does while it waits for its commit to reach
 * the disk) and writes the byte back.  For each gap (default 0 100 1000
 * 3000) prints the asker's and the answerer's CPU per round trip
 * (getrusage) and the round trip's wall time; first, the CPU of the same
 * write and read when the answer is already there (no wait): the part of
 * a round trip that is system calls, not sleeping and waking.
 *
 * Not a test: run by hand (docs/benchmarks.md).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double
cpu_us(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static int
full_read(int fd, char *c)
{
	ssize_t n;

	while ((n = read(fd, c, 1)) < 0 && errno == EINTR)
		;
	return n == 1 ? 0 : -1;
}

/* The answerer: echoes each byte after gap_us; a 'q' ends it. */
static void
answer(int fd, long gap_us)
{
	struct timespec gap = { gap_us / 1000000, (gap_us % 1000000) * 1000 };
	char c;

	while (full_read(fd, &c) == 0 && c != 'q') {
		if (gap_us > 0)
			clock_nanosleep(CLOCK_MONOTONIC, 0, &gap, NULL);
		if (write(fd, &c, 1) != 1)
			break;
	}
	_exit(0);
}

/* write + read of one byte when it is already there, in CPU µs. */
static double
no_wait(double seconds)
{
	int sv[2];
	long n = 0;
	double c0, t_end;
	char c = 'x';

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	c0 = cpu_us(RUSAGE_SELF);
	t_end = now_us() + seconds * 1e6;
	while (now_us() < t_end) {
		for (int i = 0; i < 1000; i++) {
			if (write(sv[0], &c, 1) != 1 || full_read(sv[1], &c) != 0)
				return -1;
		}
		n += 1000;
	}
	close(sv[0]);
	close(sv[1]);
	return (cpu_us(RUSAGE_SELF) - c0) / (double)n;
}

static int
round_trips(long gap_us, double seconds)
{
	int sv[2], status;
	pid_t pid;
	long n = 0;
	double c0, w0, t_end, asker, answerer, wall, children0 = cpu_us(RUSAGE_CHILDREN);
	char c = 'x';

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		perror("socketpair");
		return -1;
	}
	if ((pid = fork()) < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		answer(sv[1], gap_us);
	}
	close(sv[1]);
	/* A few round trips first: both ends running, caches warm. */
	for (int i = 0; i < 20; i++)
		if (write(sv[0], &c, 1) != 1 || full_read(sv[0], &c) != 0)
			return -1;
	c0 = cpu_us(RUSAGE_SELF);
	w0 = now_us();
	t_end = w0 + seconds * 1e6;
	while (now_us() < t_end) {
		if (write(sv[0], &c, 1) != 1 || full_read(sv[0], &c) != 0) {
			fprintf(stderr, "bench-wait: the answerer went away\n");
			return -1;
		}
		n++;
	}
	wall = now_us() - w0;
	asker = cpu_us(RUSAGE_SELF) - c0;
	c = 'q';
	if (write(sv[0], &c, 1) != 1)
		return -1;
	close(sv[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	/* The answerer's warm-up is in its figure too: 20 of thousands. */
	answerer = cpu_us(RUSAGE_CHILDREN) - children0;
	printf("wait %5ld us: asker %6.1f us CPU per round trip, answerer %6.1f us, "
	    "round trip %7.1f us (%ld round trips)\n", gap_us, asker / (double)n,
	    answerer / (double)(n + 20), wall / (double)n, n);
	fflush(stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	static const long defaults[] = { 0, 100, 1000, 3000 };
	double seconds = 3, base;
	int opt, rc = 0;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt == 't' && atof(optarg) > 0) {
			seconds = atof(optarg);
		} else {
			fprintf(stderr, "usage: bench-wait [-t SECONDS] [GAP_US ...]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	base = no_wait(1);
	if (base < 0) {
		perror("bench-wait: socketpair, write or read");
		return 1;
	}
	printf("no wait: write + read of a byte already there: %.2f us CPU\n", base);
	if (optind == argc) {
		for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
			rc |= round_trips(defaults[i], seconds);
	} else {
		for (int i = optind; i < argc; i++)
			rc |= round_trips(atol(argv[i]), seconds);
	}
	return rc ? 1 : 0;
}
