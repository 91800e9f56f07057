/*
 * test-outbox.c - the files handed to a session's user (daemon/app/outbox.c):
 * names that are no paths, the bounds per session (count and bytes: the
 * oldest goes), a file replaced under its name, reads by version, the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "outbox.h"
#include "session.h"
#include "xmalloc.h"

static char *
bytes(size_t len, char fill)
{
	char *p = xmalloc(len > 0 ? len : 1);

	memset(p, fill, len);
	return p;
}

static int
put(struct session *s, const char *name, size_t len, char fill, const char **why)
{
	return outbox_put(s, name, bytes(len, fill), len, why);
}

/* Whether s holds name, and its size in *size. */
static bool
has(struct session *s, const char *name, size_t *size)
{
	size_t got, sz;

	if (outbox_read(s, name, 0, 0, NULL, 0, &got, &sz, NULL) != 0)
		return false;
	if (size != NULL)
		*size = sz;
	return true;
}

static void
count_each(const char *name, size_t size, void *arg)
{
	(void)name;
	(void)size;
	++*(int *)arg;
}

static void
test_names(struct session *s)
{
	static const char *const bad[] = { "", ".", "..", "../x.pdf", "/etc/passwd", "a/b",
	    "a\\b", "a\nb", "\x1b[2J", NULL };
	const char *why;
	char long_name[OUTBOX_NAME_MAX + 2];

	for (size_t i = 0; bad[i] != NULL; i++) {
		CHECK(put(s, bad[i], 10, 'x', &why) == -1 && strcmp(why, "outbox_bad_name") == 0,
		    "a name that is no file's is refused (%zu)", i);
	}
	memset(long_name, 'a', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	CHECK(put(s, long_name, 10, 'x', &why) == -1, "101 characters are too many");
	CHECK(put(s, "学时证明-2025.pdf", 10, 'x', &why) == 0 && why == NULL,
	    "a Chinese name is taken");
	CHECK(!outbox_name_valid("..") && outbox_name_valid("学时证明-2021-2025.pdf"),
	    "outbox_name_valid says the same");
}

static void
test_bounds(struct session *s)
{
	const char *why;
	char name[32];
	size_t size;
	int n = 0;

	for (int i = 0; i < OUTBOX_MAX_FILES + 1; i++) {
		snprintf(name, sizeof name, "f%d.pdf", i);
		put(s, name, 100, 'a', &why);
	}
	outbox_each(s, count_each, &n);
	CHECK(n == OUTBOX_MAX_FILES, "at most %d files (%d)", OUTBOX_MAX_FILES, n);
	/* With 学时证明-2025.pdf of test_names, ten were put: the two oldest went. */
	CHECK(!has(s, "学时证明-2025.pdf", NULL) && !has(s, "f0.pdf", NULL) &&
	    has(s, "f1.pdf", NULL) && has(s, "f8.pdf", NULL), "the oldest went for the newest");

	CHECK(put(s, "big1", 40u << 20, 'b', &why) == 0, "40 MiB fit");
	CHECK(put(s, "big2", 30u << 20, 'c', &why) == 0, "30 MiB more fit ...");
	CHECK(!has(s, "big1", NULL) && has(s, "big2", &size) && size == 30u << 20,
	    "... once the older 40 MiB went");
	CHECK(!has(s, "f8.pdf", NULL), "the small ones, older still, went before it");
	CHECK(put(s, "huge", OUTBOX_MAX_BYTES + 1, 'd', &why) == -1 &&
	    strcmp(why, "outbox_full") == 0, "more than the whole outbox is refused");
	CHECK(has(s, "big2", NULL), "and drops nothing");
}

static void
test_reads(struct session *s)
{
	uint64_t first, again;
	size_t got, size;
	char buf[8];
	const char *why;

	put(s, "r.pdf", 10, 'r', &why);
	CHECK(outbox_read(s, "r.pdf", 0, 6, buf, sizeof buf, &got, &size, &first) == 0 &&
	    got == 4 && size == 10 && memcmp(buf, "rrrr", 4) == 0, "a slice up to the end");
	CHECK(outbox_read(s, "r.pdf", first, 10, buf, sizeof buf, &got, &size, NULL) == 0 &&
	    got == 0, "at the end: nothing, no error");
	CHECK(outbox_read(s, "r.pdf", first, 99, buf, sizeof buf, &got, &size, NULL) == 0 &&
	    got == 0, "past the end: nothing");
	put(s, "r.pdf", 3, 's', &why);
	CHECK(outbox_read(s, "r.pdf", first, 0, buf, sizeof buf, &got, &size, NULL) == -1,
	    "a read of the replaced version fails instead of mixing two files");
	CHECK(outbox_read(s, "r.pdf", 0, 0, buf, sizeof buf, &got, &size, &again) == 0 &&
	    again != first && got == 3 && buf[0] == 's', "the new version is read afresh");
	CHECK(outbox_read(s, "../r.pdf", 0, 0, buf, sizeof buf, &got, &size, NULL) == -1,
	    "a path finds nothing");
}

int
main(void)
{
	struct session s = { .serial = 1 }, other = { .serial = 2 };
	size_t got, size;
	int n = 0;

	test_names(&s);
	test_bounds(&s);
	test_reads(&s);
	CHECK(outbox_read(&other, "r.pdf", 0, 0, NULL, 0, &got, &size, NULL) == -1 &&
	    outbox_each(&other, count_each, &n) == 0, "another session has none of them");
	outbox_close(&s);
	CHECK(s.outbox == NULL && !has(&s, "r.pdf", NULL), "gone at the session's end");
	outbox_close(&s);
	CHECK(s.outbox == NULL, "closing twice is harmless");
	return check_done();
}
