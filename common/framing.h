/*
 * framing.h - split a byte stream into '\n'-terminated lines, bounded.
 *
 * Both ends of a jxjy-rpc channel feed whatever bytes arrive (a read may
 * hold half a line, or several) and get whole lines back.  A line longer
 * than the bound is reported once as LINE_TOO_LONG and its bytes are
 * discarded up to and including its '\n', so one bad request costs one
 * error reply, never the session.  A trailing '\r' is stripped.
 */
#ifndef JXJY_FRAMING_H
#define JXJY_FRAMING_H

#include <stddef.h>
#include <stdbool.h>

enum line_event {
	LINE_OK,		/* line, len: a complete line, NUL-terminated */
	LINE_TOO_LONG,		/* line is NULL; the oversized line was dropped */
};

/* Return false to stop feeding (the rest stays unread in the return of feed). */
typedef bool (*line_fn)(void *ctx, enum line_event ev, const char *line, size_t len);

struct line_reader {
	char	*buf;		/* owned; grows on demand up to max + 1 */
	size_t	 len;		/* bytes of the current partial line */
	size_t	 cap;
	size_t	 max;		/* longest accepted line, without '\n' */
	bool	 discarding;	/* inside an oversized line */
};

void	line_reader_init(struct line_reader *r, size_t max);
void	line_reader_free(struct line_reader *r);

/*
 * Feed len bytes.  Calls fn for each complete line, in order.  Returns the
 * number of bytes consumed: len, unless fn returned false, in which case it
 * is the count up to and including the '\n' of the line fn refused to go on
 * after.
 */
size_t	line_reader_feed(struct line_reader *r, const char *data, size_t len,
	    line_fn fn, void *ctx);

/* Release memory held by a reader that is idle (no partial line). */
void	line_reader_shrink(struct line_reader *r);

#endif
