/*
 * outbox.h - files the daemon hands to the user of a session.
 *
 * What the daemon makes for a person (a certificate's PDF, a ZIP of them)
 * is put in the outbox of their session.  The local client fetches it with
 * download.get (slices of base64) and saves it where the user says; at a
 * plain SSH terminal the user fetches it with stock tools through the
 * session's inbox (inbox.c), e.g.
 *     scp -P 2222 inbox-K7TA9XQ2HC@host:学时证明-2025.pdf .
 * Everything stays in memory, bounded per session (OUTBOX_MAX_FILES files,
 * OUTBOX_MAX_BYTES together: the oldest goes to make room) and lives as
 * long as the session.  The SFTP side reads from another thread, so every
 * outbox is guarded by outbox.c's lock.
 */
#ifndef JXJYD_OUTBOX_H
#define JXJYD_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct session;

#define OUTBOX_MAX_FILES	8
#define OUTBOX_MAX_BYTES	(64u * 1024 * 1024)	/* per session, all files */
#define OUTBOX_NAME_MAX		100			/* characters of a name */
#define OUTBOX_SLICE_MAX	262144			/* bytes of one download.get */

/*
 * Hand data (len bytes, taken over) to the user of session s as file name;
 * replaces a file of that name; bounded per session (count and total
 * bytes; the oldest goes).  Returns 0, or -1 with *reason a message word
 * (e.g. "outbox_full": larger than the whole outbox; "outbox_bad_name").
 * data is freed on failure too.
 */
int	outbox_put(struct session *s, const char *name, char *data, size_t len,
	    const char **reason);

/* Drop everything s was handed (session end). */
void	outbox_close(struct session *s);

/* Whether name can name an outbox file: clean text, no path, not "." or "..". */
bool	outbox_name_valid(const char *name);

/*
 * Copy at most max bytes of s's file name from offset into buf: *got bytes,
 * *size the file's size, *serial which version of the file it is (a file
 * put again under the same name gets a new one; pass 0 to take any, or
 * the one a read began with to refuse a replaced file).  Returns 0, or -1
 * when s has no such file (or not that version any more).
 */
int	outbox_read(struct session *s, const char *name, uint64_t want_serial, uint64_t offset,
	    char *buf, size_t max, size_t *got, size_t *size, uint64_t *serial);

/*
 * Call each(name, size, arg) for each file of s, oldest first, under the
 * outbox lock (each must not call back into the outbox).  Returns how many.
 */
size_t	outbox_each(struct session *s, void (*each)(const char *name, size_t size, void *arg),
	    void *arg);

#endif
