/*
 * test-log-buffer.c - the buffered log of jxjyd serve (daemon/core/log.c):
 * lines held until flush_ms, errors written at once with what came before,
 * order and wholeness under concurrent threads, the cap, fork, stop.
 *
 * The log writes to stderr, so fd 2 is a temporary file while the tests
 * run; a sanitizer reports to the real stderr, where test_c_units.py looks,
 * and any other line found in the file is passed on there at the end.
 */
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "log.h"

#define THREADS		8
#define LINES		2000
#define CAP		(256 * 1024)	/* LOG_BUFFER_CAP */

/* In the sanitizers' runtime when built with them (sanitizer/common_interface_defs.h). */
void	__sanitizer_set_report_fd(void *fd) __attribute__((weak));

/* The log's file, unlinked at once so that a crash leaves nothing behind. */
static int log_fd = -1;

static size_t
log_size(void)
{
	struct stat st;

	return fstat(log_fd, &st) == 0 ? (size_t)st.st_size : 0;
}

/* The log file so far, NUL-terminated; the caller frees it. */
static char *
log_text(void)
{
	size_t size = log_size();
	char *text = malloc(size + 1);
	ssize_t n = pread(log_fd, text, size, 0);

	text[n > 0 ? (size_t)n : 0] = '\0';
	return text;
}

/* Times needle occurs in the log. */
static int
log_count(const char *needle)
{
	char *text = log_text(), *p = text;
	int n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	free(text);
	return n;
}

/* Offset of needle in the log, -1 if absent. */
static long
log_offset(const char *needle)
{
	char *text = log_text(), *p = strstr(text, needle);
	long off = p != NULL ? p - text : -1;

	free(text);
	return off;
}

static void
test_before_start(void)
{
	log_info("before the writer thread");
	CHECK(log_count("info: before the writer thread\n") == 1,
	    "before log_buffer_start a line is written at once");
}

static void
test_held_then_error(void)
{
	log_buffer_start(1000);
	log_info("pending one");
	log_warning("pending two");
	CHECK(log_count("pending one") == 0 && log_count("pending two") == 0,
	    "with flush_ms 1000 an info and a warning line wait in the buffer");
	log_error("the cause");
	CHECK(log_count("pending one") == 1 && log_count("pending two") == 1 &&
	    log_count("error: the cause\n") == 1,
	    "an error line is written at once, with the lines pending before it");
	CHECK(log_offset("pending one") < log_offset("pending two") &&
	    log_offset("pending two") < log_offset("the cause"),
	    "in the order they were logged");
	log_info("gathered");
	for (int i = 0; i < 300 && log_count("gathered") == 0; i++)
		usleep(10 * 1000);
	CHECK(log_count("gathered") == 1, "a held line is written within flush_ms, unasked");
}

static void *
test_thread(void *arg)
{
	int t = (int)(long)arg;

	for (int i = 0; i < LINES; i++)
		log_info("thread %d line %d", t, i);
	return NULL;
}

static void
test_threads(void)
{
	pthread_t threads[THREADS];
	int next[THREADS] = { 0 }, bad_form = 0, out_of_order = 0, t, i;
	regex_t form, mine;
	regmatch_t m[3];
	char *text, *line, *save;
	size_t len;

	log_buffer_set_flush_ms(5);
	for (t = 0; t < THREADS; t++)
		pthread_create(&threads[t], NULL, test_thread, (void *)(long)t);
	for (t = 0; t < THREADS; t++)
		pthread_join(threads[t], NULL);
	log_flush();
	regcomp(&form, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
	    "jxjyd\\[[0-9]+\\]: (error|warning|info|debug): ", REG_EXTENDED);
	regcomp(&mine, "thread ([0-9]+) line ([0-9]+)$", REG_EXTENDED);
	text = log_text();
	len = strlen(text);
	CHECK(len > 0 && text[len - 1] == '\n', "the log ends with a whole line");
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (regexec(&form, line, 0, NULL, 0) != 0)
			bad_form++;
		if (regexec(&mine, line, 3, m, 0) != 0)
			continue;
		t = atoi(line + m[1].rm_so);
		i = atoi(line + m[2].rm_so);
		if (t < 0 || t >= THREADS || i != next[t])
			out_of_order++;
		else
			next[t]++;
	}
	free(text);
	regfree(&form);
	regfree(&mine);
	CHECK(bad_form == 0, "%d threads x %d lines: every line has its stamp, pid and "
	    "level (none cut or interleaved; %d bad)", THREADS, LINES, bad_form);
	CHECK(out_of_order == 0, "each thread's lines once each, in its order "
	    "(%d missing, repeated or out of order)", out_of_order);
	for (t = 0; t < THREADS; t++)
		if (next[t] != LINES)
			break;
	CHECK(t == THREADS, "every line of every thread is in the log");
}

/*
 * A flood with flush_ms 1000: what the log holds back never passes the cap,
 * whatever the writer thread did meanwhile.
 */
static void
test_cap(void)
{
	char filler[1001];
	size_t before, logged = 0, worst = 0, line_len, held;

	log_flush();
	log_buffer_set_flush_ms(1000);
	memset(filler, 'x', sizeof filler - 1);
	filler[sizeof filler - 1] = '\0';
	before = log_size();
	for (int i = 0; i < 1000; i++) {
		log_info("flood %04d %s", i, filler);
		/* The line: stamp, pid, level, message, newline. */
		line_len = (size_t)snprintf(NULL, 0, "2026-01-01T00:00:00.000Z jxjyd[%d]: info: "
		    "flood %04d %s\n", (int)getpid(), i, filler);
		logged += line_len;
		held = logged - (log_size() - before);
		if (held > worst)
			worst = held;
	}
	CHECK(logged > 3 * CAP, "the flood is more than three buffers (%zu bytes)", logged);
	CHECK(worst <= CAP, "at most the cap is held back (most: %zu bytes)", worst);
	log_flush();
	CHECK(log_size() - before == logged, "nothing of the flood is lost");
}

static void
test_fork(void)
{
	pid_t pid;
	int status;

	log_info("parent pending");
	CHECK(log_count("parent pending") == 0, "a line waits in the parent's buffer");
	if ((pid = fork()) == 0) {
		log_info("child line");
		/*
		 * What exit(3) would do (atexit), then _exit: the sanitizer's
		 * leak check at exit mistakes the parent's threads for its own.
		 */
		log_flush();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	CHECK(log_count("child line") == 1, "a forked child writes its lines at once");
	log_flush();
	CHECK(log_count("parent pending") == 1,
	    "the parent's pending line is written once, by the parent");
}

static void
test_stop(void)
{
	log_info("last before stop");
	log_buffer_stop();
	CHECK(log_count("last before stop") == 1, "log_buffer_stop writes what is pending");
	log_info("after stop");
	CHECK(log_count("after stop") == 1, "after log_buffer_stop lines are written at once");
}

/* Lines of the log that the log did not write: a sanitizer's, to the real stderr. */
static void
test_pass_on_foreign(int real_stderr)
{
	char *text = log_text(), *line, *save;
	FILE *out = fdopen(real_stderr, "w");

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strstr(line, " jxjyd[") == NULL)
			fprintf(out, "%s\n", line);
	fclose(out);
	free(text);
}

int
main(void)
{
	char path[] = "/tmp/jxjy-test-log-buffer.XXXXXX";
	int real_stderr;

	if ((log_fd = mkstemp(path)) < 0) {
		perror("mkstemp");
		return 1;
	}
	unlink(path);
	real_stderr = dup(STDERR_FILENO);
	if (__sanitizer_set_report_fd != NULL)
		__sanitizer_set_report_fd((void *)(long)real_stderr);
	dup2(log_fd, STDERR_FILENO);
	log_open(LOG_LEVEL_DEBUG, false);

	test_before_start();
	test_held_then_error();
	test_threads();
	test_cap();
	test_fork();
	test_stop();

	dup2(real_stderr, STDERR_FILENO);
	test_pass_on_foreign(real_stderr);
	close(log_fd);
	return check_done();
}
