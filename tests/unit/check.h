/*
 * check.h - a minimal TAP producer for the C unit tests.
 *
 * Each CHECK prints "ok N - description" or "not ok N - description" with
 * the file and line of a failure; check_done() prints the plan and returns
 * the exit status.  tests/unit/test_c_units.py turns every line into one
 * pytest case, so a failing check shows by name in the suite's summary.
 */
#ifndef JXJY_CHECK_H
#define JXJY_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_count, check_failed;

#define CHECK(cond, ...) do {						\
	int ok_ = !!(cond);						\
	check_count++;							\
	if (ok_) {							\
		printf("ok %d - ", check_count);			\
	} else {							\
		check_failed++;						\
		printf("not ok %d - ", check_count);			\
	}								\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!ok_)							\
		printf("# failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	fflush(stdout);							\
} while (0)

#define CHECK_STR(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int same_ = (g_ == NULL && w_ == NULL) ||			\
	    (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0);		\
	CHECK(same_, __VA_ARGS__);					\
	if (!same_)							\
		printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", \
		    w_ ? w_ : "(null)");				\
} while (0)

static inline int
check_done(void)
{
	printf("1..%d\n", check_count);
	return check_failed ? 1 : 0;
}

#endif
