/*
 * test-framing.c - the bounded line splitter shared by jxjyd and jxjy.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "framing.h"

#define MAX_EVENTS	64

/* What the callback saw, in order. */
struct seen {
	int	 n;
	int	 ev[MAX_EVENTS];
	char	*line[MAX_EVENTS];	/* copies; NULL for LINE_TOO_LONG */
	size_t	 len[MAX_EVENTS];
	bool	 terminated;		/* every line had line[len] == '\0' */
	int	 stop_after;		/* return false on this event (1-based) */
	size_t	 max_cap;		/* largest r->cap seen in a callback */
	struct line_reader *r;
};

static bool
seen_fn(void *ctx, enum line_event ev, const char *line, size_t len)
{
	struct seen *s = ctx;

	if (s->n < MAX_EVENTS) {
		s->ev[s->n] = ev;
		s->len[s->n] = len;
		s->line[s->n] = NULL;
		if (line != NULL) {
			s->line[s->n] = malloc(len + 1);
			memcpy(s->line[s->n], line, len + 1);
			if (line[len] != '\0')
				s->terminated = false;
		}
	}
	if (s->r != NULL && s->r->cap > s->max_cap)
		s->max_cap = s->r->cap;
	s->n++;
	return s->stop_after == 0 || s->n != s->stop_after;
}

static void
seen_init(struct seen *s, struct line_reader *r)
{
	memset(s, 0, sizeof *s);
	s->terminated = true;
	s->r = r;
}

static void
seen_free(struct seen *s)
{
	int i;

	for (i = 0; i < s->n && i < MAX_EVENTS; i++)
		free(s->line[i]);
	s->n = 0;
}

static bool
seen_line(const struct seen *s, int i, const char *want)
{
	return i < s->n && s->ev[i] == LINE_OK && s->line[i] != NULL &&
	    s->len[i] == strlen(want) && strcmp(s->line[i], want) == 0;
}

static bool
seen_too_long(const struct seen *s, int i)
{
	return i < s->n && s->ev[i] == LINE_TOO_LONG && s->line[i] == NULL;
}

/* Feed a string one byte at a time. */
static void
feed_bytes(struct line_reader *r, const char *data, struct seen *s)
{
	size_t i, n = strlen(data);

	for (i = 0; i < n; i++)
		line_reader_feed(r, data + i, 1, seen_fn, s);
}

/* A string of n copies of c, caller frees. */
static char *
repeat(char c, size_t n, const char *tail)
{
	char *p = malloc(n + strlen(tail) + 1);

	memset(p, c, n);
	strcpy(p + n, tail);
	return p;
}

static void
test_basic(void)
{
	struct line_reader r;
	struct seen s;
	size_t used;

	line_reader_init(&r, 64);
	seen_init(&s, &r);
	used = line_reader_feed(&r, "hello\n", 6, seen_fn, &s);
	CHECK(used == 6, "one line: all bytes consumed");
	CHECK(s.n == 1 && seen_line(&s, 0, "hello"), "one line: delivered");
	seen_free(&s);

	used = line_reader_feed(&r, "a\nbb\nccc\n", 9, seen_fn, &s);
	CHECK(used == 9 && s.n == 3, "three lines in one feed: three events");
	CHECK(seen_line(&s, 0, "a") && seen_line(&s, 1, "bb") &&
	    seen_line(&s, 2, "ccc"), "three lines in one feed: in order");
	seen_free(&s);

	line_reader_feed(&r, "par", 3, seen_fn, &s);
	CHECK(s.n == 0 && r.len == 3, "partial line: held, not delivered");
	line_reader_feed(&r, "ti", 2, seen_fn, &s);
	CHECK(s.n == 0, "partial line: still held after a second piece");
	line_reader_feed(&r, "al\nnext", 7, seen_fn, &s);
	CHECK(s.n == 1 && seen_line(&s, 0, "partial"),
	    "partial line: joined across three feeds");
	CHECK(r.len == 4, "partial line: the start of the next line is kept");
	line_reader_feed(&r, "\n", 1, seen_fn, &s);
	CHECK(s.n == 2 && seen_line(&s, 1, "next"), "partial line: next completes");
	seen_free(&s);

	feed_bytes(&r, "x1\ny22\n\nz\n", &s);
	CHECK(s.n == 4 && seen_line(&s, 0, "x1") && seen_line(&s, 1, "y22") &&
	    seen_line(&s, 2, "") && seen_line(&s, 3, "z"),
	    "byte-by-byte feed: same lines, empty line included");
	seen_free(&s);

	line_reader_feed(&r, "a\0b\n", 4, seen_fn, &s);
	CHECK(s.n == 1 && s.len[0] == 3 && memcmp(s.line[0], "a\0b", 4) == 0,
	    "embedded NUL: kept, len counts it");
	CHECK(s.terminated, "every delivered line is NUL-terminated");
	seen_free(&s);

	used = line_reader_feed(&r, "", 0, seen_fn, &s);
	CHECK(used == 0 && s.n == 0, "empty feed: nothing happens");
	line_reader_free(&r);
	CHECK(r.buf == NULL && r.cap == 0 && r.len == 0, "free: reader reset");
}

static void
test_bounds(void)
{
	struct line_reader r;
	struct seen s;
	char *exact, *over, *data;
	size_t used;

	line_reader_init(&r, 16);
	seen_init(&s, &r);
	exact = repeat('a', 16, "\n");
	over = repeat('b', 17, "\n");

	line_reader_feed(&r, exact, 17, seen_fn, &s);
	CHECK(s.n == 1 && s.ev[0] == LINE_OK && s.len[0] == 16,
	    "exactly max bytes: accepted");
	seen_free(&s);

	used = line_reader_feed(&r, over, 18, seen_fn, &s);
	CHECK(used == 18 && s.n == 1 && seen_too_long(&s, 0),
	    "max + 1 bytes in one feed: one LINE_TOO_LONG");
	CHECK(!r.discarding && r.len == 0, "max + 1 in one feed: reader clean after");
	seen_free(&s);

	feed_bytes(&r, exact, &s);
	CHECK(s.n == 1 && s.ev[0] == LINE_OK && s.len[0] == 16,
	    "exactly max bytes, byte by byte: accepted");
	seen_free(&s);

	feed_bytes(&r, over, &s);
	CHECK(s.n == 1 && seen_too_long(&s, 0),
	    "max + 1 bytes, byte by byte: reported once");
	seen_free(&s);

	/* Oversized line, then a good one, in the same feed. */
	data = repeat('c', 40, "\nok\n");
	used = line_reader_feed(&r, data, strlen(data), seen_fn, &s);
	CHECK(used == strlen(data) && s.n == 2 && seen_too_long(&s, 0) &&
	    seen_line(&s, 1, "ok"), "oversized then good line in one feed");
	seen_free(&s);
	free(data);

	/* Oversized line without its '\n': reported early, rest dropped. */
	data = repeat('d', 30, "");
	line_reader_feed(&r, data, 30, seen_fn, &s);
	CHECK(s.n == 1 && seen_too_long(&s, 0),
	    "oversized partial line: reported before its newline arrives");
	CHECK(r.discarding && r.len == 0 && r.cap <= 17,
	    "oversized partial line: nothing more held than max + 1");
	line_reader_feed(&r, data, 30, seen_fn, &s);
	line_reader_feed(&r, "tail\nfine\n", 10, seen_fn, &s);
	CHECK(s.n == 2 && seen_line(&s, 1, "fine"),
	    "oversized partial line: rest discarded through its newline, "
	    "no second report, next line delivered");
	seen_free(&s);
	free(data);

	/* Oversized line split so that its '\n' is in the next feed. */
	line_reader_feed(&r, "0123456789", 10, seen_fn, &s);
	line_reader_feed(&r, "0123456789\nz\n", 13, seen_fn, &s);
	CHECK(s.n == 2 && seen_too_long(&s, 0) && seen_line(&s, 1, "z"),
	    "line crossing max in its last feed: too long, then next line");
	seen_free(&s);

	free(exact);
	free(over);
	line_reader_free(&r);

	/* max 0: only empty lines pass. */
	line_reader_init(&r, 0);
	seen_init(&s, &r);
	line_reader_feed(&r, "\nx\n\r\n", 5, seen_fn, &s);
	CHECK(s.n == 3 && seen_line(&s, 0, "") && seen_too_long(&s, 1) &&
	    seen_line(&s, 2, ""), "max 0: empty lines pass, others too long");
	seen_free(&s);
	line_reader_free(&r);
}

static void
test_crlf(void)
{
	struct line_reader r;
	struct seen s;
	char *data;

	line_reader_init(&r, 8);
	seen_init(&s, &r);

	line_reader_feed(&r, "abc\r\n", 5, seen_fn, &s);
	CHECK(s.n == 1 && seen_line(&s, 0, "abc"), "\\r\\n: \\r stripped");
	seen_free(&s);

	line_reader_feed(&r, "abc\r", 4, seen_fn, &s);
	line_reader_feed(&r, "\n", 1, seen_fn, &s);
	CHECK(s.n == 1 && seen_line(&s, 0, "abc"),
	    "\\r and \\n in separate feeds: \\r stripped");
	seen_free(&s);

	line_reader_feed(&r, "\r\n", 2, seen_fn, &s);
	CHECK(s.n == 1 && seen_line(&s, 0, ""), "lone \\r\\n: empty line");
	seen_free(&s);

	line_reader_feed(&r, "a\rb\n", 4, seen_fn, &s);
	CHECK(s.n == 1 && seen_line(&s, 0, "a\rb"), "inner \\r kept");
	seen_free(&s);

	line_reader_feed(&r, "ab\r\r\n", 5, seen_fn, &s);
	CHECK(s.n == 1 && seen_line(&s, 0, "ab\r"), "only one trailing \\r stripped");
	seen_free(&s);

	data = repeat('m', 8, "\r\n");
	line_reader_feed(&r, data, 10, seen_fn, &s);
	CHECK(s.n == 1 && s.ev[0] == LINE_OK && s.len[0] == 8,
	    "max bytes + \\r\\n: accepted (\\r does not count)");
	seen_free(&s);
	feed_bytes(&r, data, &s);
	CHECK(s.n == 1 && s.ev[0] == LINE_OK && s.len[0] == 8,
	    "max bytes + \\r\\n byte by byte: accepted");
	CHECK(s.max_cap <= 9 && r.cap <= 9, "max bytes + \\r\\n: buffer within max + 1");
	seen_free(&s);
	free(data);

	data = repeat('m', 8, "\rx\nok\n");
	feed_bytes(&r, data, &s);
	CHECK(s.n == 2 && seen_too_long(&s, 0) && seen_line(&s, 1, "ok"),
	    "max bytes + \\r + more: too long");
	seen_free(&s);
	free(data);
	line_reader_free(&r);
}

static void
test_stop(void)
{
	struct line_reader r;
	struct seen s;
	const char *data = "one\ntwo\nthree\n";
	char *big;
	size_t used, total;

	line_reader_init(&r, 16);
	seen_init(&s, &r);
	s.stop_after = 1;
	used = line_reader_feed(&r, data, strlen(data), seen_fn, &s);
	CHECK(used == 4 && s.n == 1 && seen_line(&s, 0, "one"),
	    "fn returns false: feed stops after that line's newline");
	s.stop_after = 0;
	used += line_reader_feed(&r, data + used, strlen(data) - used, seen_fn, &s);
	CHECK(used == strlen(data) && s.n == 3 && seen_line(&s, 1, "two") &&
	    seen_line(&s, 2, "three"), "feeding the rest delivers the rest");
	seen_free(&s);

	/* Stop while a partial line is held from an earlier feed. */
	line_reader_feed(&r, "pa", 2, seen_fn, &s);
	s.stop_after = 1;
	used = line_reader_feed(&r, "rt\nnext\n", 8, seen_fn, &s);
	CHECK(used == 3 && seen_line(&s, 0, "part"),
	    "stop on a line begun in an earlier feed: count is this feed's");
	seen_free(&s);
	s.stop_after = 0;
	line_reader_feed(&r, "next\n", 5, seen_fn, &s);
	seen_free(&s);

	/* Stop on LINE_TOO_LONG. */
	big = repeat('q', 20, "\nafter\n");
	total = strlen(big);
	s.stop_after = 1;
	used = line_reader_feed(&r, big, total, seen_fn, &s);
	CHECK(used == 21 && s.n == 1 && seen_too_long(&s, 0),
	    "fn returns false on LINE_TOO_LONG: stops after its newline");
	s.stop_after = 0;
	line_reader_feed(&r, big + used, total - used, seen_fn, &s);
	CHECK(s.n == 2 && seen_line(&s, 1, "after"), "the line after it follows");
	seen_free(&s);
	free(big);
	line_reader_free(&r);
}

static void
test_memory(void)
{
	struct line_reader r;
	struct seen s;
	size_t max = 100000, i;
	char *data;
	int reallocs = 0;
	size_t last_cap = 0;

	line_reader_init(&r, max);
	seen_init(&s, &r);
	CHECK(r.buf == NULL && r.cap == 0, "init allocates nothing");

	line_reader_feed(&r, "small\n", 6, seen_fn, &s);
	CHECK(r.cap > 0 && r.cap <= 256, "a small line: small buffer (%zu)", r.cap);
	seen_free(&s);

	/* Grow to max in 100-byte pieces: few reallocations, never over max + 1. */
	data = repeat('g', 100, "");
	for (i = 0; i < max / 100; i++) {
		line_reader_feed(&r, data, 100, seen_fn, &s);
		if (r.cap != last_cap) {
			reallocs++;
			last_cap = r.cap;
		}
		if (r.cap > max + 1)
			break;
	}
	CHECK(r.cap <= max + 1, "growing line: buffer never above max + 1 (%zu)",
	    r.cap);
	CHECK(reallocs <= 12, "growing line: geometric growth (%d sizes)", reallocs);
	line_reader_feed(&r, "\n", 1, seen_fn, &s);
	CHECK(s.n == 1 && s.ev[0] == LINE_OK && s.len[0] == max,
	    "a line of exactly max bytes built from pieces: delivered");
	seen_free(&s);

	line_reader_feed(&r, data, 100, seen_fn, &s);
	line_reader_shrink(&r);
	CHECK(r.buf != NULL && r.len == 100, "shrink with a partial line: kept");
	line_reader_feed(&r, "\n", 1, seen_fn, &s);
	CHECK(s.n == 1 && s.len[0] == 100, "partial line survives shrink");
	seen_free(&s);

	line_reader_shrink(&r);
	CHECK(r.buf == NULL && r.cap == 0, "shrink when idle: buffer released");
	line_reader_feed(&r, "again\n", 6, seen_fn, &s);
	CHECK(s.n == 1 && seen_line(&s, 0, "again") && r.cap <= 256,
	    "after shrink: works, small buffer again");
	seen_free(&s);

	/* A flood far over max never grows the buffer beyond max + 1. */
	for (i = 0; i < 30; i++)
		line_reader_feed(&r, data, 100, seen_fn, &s);
	line_reader_free(&r);
	line_reader_init(&r, 1000);
	s.r = &r;
	s.max_cap = 0;
	for (i = 0; i < 50; i++)
		line_reader_feed(&r, data, 100, seen_fn, &s);
	CHECK(s.n == 1 && seen_too_long(&s, 0) && r.cap <= 1001,
	    "5000-byte flood with max 1000: one report, buffer <= 1001 (%zu)",
	    r.cap);
	line_reader_shrink(&r);
	CHECK(r.buf == NULL, "shrink while discarding: buffer released");
	line_reader_feed(&r, "x\nok\n", 5, seen_fn, &s);
	CHECK(s.n == 2 && seen_line(&s, 1, "ok"), "after the flood's newline: ok");
	seen_free(&s);
	free(data);
	line_reader_free(&r);
}

int
main(void)
{
	test_basic();
	test_bounds();
	test_crlf();
	test_stop();
	test_memory();
	return check_done();
}
