/*
 * framing.c - split a byte stream into bounded '\n'-terminated lines.
 *
 * The reader keeps only the partial line between feeds.  Its buffer starts
 * small and doubles, never beyond max + 1 bytes: a line of max bytes plus
 * its terminating NUL, or (for a CRLF peer) max bytes plus a '\r' whose
 * '\n' has not arrived yet.  A peer therefore cannot make us hold more than
 * max + 1 bytes, however long the line it sends.
 */
#include <stdlib.h>
#include <string.h>

#include "framing.h"
#include "xmalloc.h"

/* First allocation; most requests fit, so most sessions never grow. */
#define LINE_READER_START	256

void
line_reader_init(struct line_reader *r, size_t max)
{
	r->buf = NULL;
	r->len = 0;
	r->cap = 0;
	r->max = max;
	r->discarding = false;
}

void
line_reader_free(struct line_reader *r)
{
	free(r->buf);
	line_reader_init(r, r->max);
}

/*
 * Make room for need bytes (need <= max + 1), doubling from a small start
 * so a long line costs O(log n) reallocations, and capping at max + 1.
 */
static void
line_reader_reserve(struct line_reader *r, size_t need)
{
	size_t limit = r->max + 1, cap;

	if (r->cap >= need)
		return;
	cap = r->cap ? r->cap : LINE_READER_START;
	while (cap < need) {
		if (cap > limit / 2) {
			cap = limit;
			break;
		}
		cap *= 2;
	}
	if (cap > limit)
		cap = limit;
	if (cap < need)		/* only when need > max + 1: a bug upstream */
		cap = need;
	r->buf = xrealloc(r->buf, cap);
	r->cap = cap;
}

/*
 * Is a partial line of raw bytes (no '\n' yet) ending in last still
 * possibly acceptable?  Up to max bytes always; max + 1 only when the
 * extra byte is a '\r' that the coming '\n' will strip.
 */
static bool
line_reader_fits(const struct line_reader *r, size_t raw, char last)
{
	if (raw <= r->max)
		return true;
	return raw == r->max + 1 && last == '\r';
}

/*
 * Feed len bytes of data; see framing.h.  fn must not feed this reader.
 * Returns the number of bytes consumed.
 */
size_t
line_reader_feed(struct line_reader *r, const char *data, size_t len,
    line_fn fn, void *ctx)
{
	size_t done = 0;

	while (done < len) {
		const char *p = data + done, *nl;
		size_t n = len - done, chunk, raw, line;
		char last;

		nl = memchr(p, '\n', n);
		chunk = nl != NULL ? (size_t)(nl - p) : n;

		if (r->discarding) {
			/* Already reported: drop through the '\n'. */
			if (nl == NULL)
				return len;
			r->discarding = false;
			done += chunk + 1;
			continue;
		}

		raw = r->len + chunk;
		if (chunk > 0)
			last = p[chunk - 1];
		else
			last = r->len > 0 ? r->buf[r->len - 1] : '\0';

		if (nl == NULL) {
			if (line_reader_fits(r, raw, last)) {
				line_reader_reserve(r, raw);
				memcpy(r->buf + r->len, p, chunk);
				r->len = raw;
				return len;
			}
			/*
			 * Too long already: report now rather than at the
			 * '\n', which a hostile peer may never send.
			 */
			r->len = 0;
			r->discarding = true;
			fn(ctx, LINE_TOO_LONG, NULL, 0);
			return len;
		}

		done += chunk + 1;
		line = raw;
		if (line > 0 && last == '\r')
			line--;
		if (line > r->max) {
			r->len = 0;
			if (!fn(ctx, LINE_TOO_LONG, NULL, 0))
				return done;
			continue;
		}
		line_reader_reserve(r, line + 1);
		if (chunk > 0)
			memcpy(r->buf + r->len, p, line - r->len);
		r->buf[line] = '\0';
		r->len = 0;
		if (!fn(ctx, LINE_OK, r->buf, line))
			return done;
	}
	return done;
}

/* Release memory held by a reader that is idle (no partial line). */
void
line_reader_shrink(struct line_reader *r)
{
	if (r->len != 0)
		return;
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
}
