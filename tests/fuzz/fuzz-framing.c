/*
 * fuzz-framing.c - the line reader of both ends of jxjy-rpc (common/framing.c).
 *
 * Input: one byte for the line bound, one seeding how the rest is cut into
 * reads, then the stream.  The reader's events are checked against a model
 * that splits the whole stream at once: however the bytes arrive, the same
 * lines come out, an oversized line is one LINE_TOO_LONG, and the reader
 * never holds more than max + 1 bytes.
 */
#include <stdbool.h>
#include <string.h>

#include "framing.h"
#include "fuzz.h"

struct fuzz_events {
	const uint8_t	*stream;	/* the whole stream, for the model */
	size_t		 size;
	size_t		 pos;		/* model: where the next line starts */
	size_t		 max;
	unsigned	 stop_every;	/* refuse to go on after every nth event; 0: never */
	unsigned	 n;
};

/*
 * The model's next event: the line starting at e->pos, ended by '\n' (or
 * the end of the stream, for a partial line that is already too long).
 */
static void
fuzz_expect(struct fuzz_events *e, enum line_event ev, const char *line, size_t len)
{
	const uint8_t *start = e->stream + e->pos, *nl;
	size_t raw, want;

	FUZZ_ASSERT(e->pos < e->size);
	nl = memchr(start, '\n', e->size - e->pos);
	if (nl == NULL) {
		/* Only an oversized partial line is reported before its '\n'. */
		FUZZ_ASSERT(ev == LINE_TOO_LONG);
		e->pos = e->size;
		return;
	}
	raw = (size_t)(nl - start);
	want = raw > 0 && start[raw - 1] == '\r' ? raw - 1 : raw;
	e->pos += raw + 1;
	if (want > e->max) {
		FUZZ_ASSERT(ev == LINE_TOO_LONG && line == NULL);
		return;
	}
	FUZZ_ASSERT(ev == LINE_OK);
	FUZZ_ASSERT(len == want && memcmp(line, start, len) == 0 && line[len] == '\0');
}

static bool
fuzz_line(void *ctx, enum line_event ev, const char *line, size_t len)
{
	struct fuzz_events *e = ctx;

	fuzz_expect(e, ev, line, len);
	e->n++;
	return e->stop_every == 0 || e->n % e->stop_every != 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct line_reader r;
	struct fuzz_events e;
	uint32_t seed;
	size_t done = 0;

	if (size < 2)
		return 0;
	e = (struct fuzz_events){ .stream = data + 2, .size = size - 2,
	    .max = 1 + data[0] % 64, .stop_every = data[1] % 4 };
	seed = data[1] * 2654435761u + 1;
	line_reader_init(&r, e.max);
	while (done < e.size) {
		size_t chunk, used;

		/* Reads of 1 to 32 bytes, as a slow peer would send them. */
		seed = seed * 1103515245u + 12345u;
		chunk = 1 + (seed >> 16) % 32;
		if (chunk > e.size - done)
			chunk = e.size - done;
		used = line_reader_feed(&r, (const char *)e.stream + done, chunk, fuzz_line,
		    &e);
		FUZZ_ASSERT(used >= 1 && used <= chunk);
		FUZZ_ASSERT(r.cap <= e.max + 1 && r.len <= e.max + 1);
		done += used;
		if (used < chunk)	/* stopped after a line: what follows is unread */
			FUZZ_ASSERT(e.stream[done - 1] == '\n');
		if ((seed >> 8) % 8 == 0)
			line_reader_shrink(&r);
	}
	/* What the model has left is a partial line the reader holds. */
	if (e.pos < e.size && !r.discarding) {
		FUZZ_ASSERT(memchr(e.stream + e.pos, '\n', e.size - e.pos) == NULL);
		FUZZ_ASSERT(r.len == e.size - e.pos);
		FUZZ_ASSERT(memcmp(r.buf, e.stream + e.pos, r.len) == 0);
	} else {
		FUZZ_ASSERT(r.len == 0);
	}
	line_reader_free(&r);
	return 0;
}
