/*
 * attachments.h - an attachment (附件) on its way in: uploaded in chunks into
 * the session's memory, checked whole, then stored by the declaration
 * write that names it (rpc-declarations.c), in that write's transaction.
 *
 * A session holds at most one upload (session->upload).  An upload that is
 * never finished, or finished but never used, is dropped with the session:
 * nothing reaches the database until a declaration commits with it.  One
 * that receives no chunk for uploads.stall_timeout seconds is dropped
 * sooner.
 */
#ifndef JXJYD_ATTACHMENTS_H
#define JXJYD_ATTACHMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "messages.h"

struct config;
struct rpc_call;
struct session;
struct upload;

/* Largest chunk, decoded, in attachment.chunk and attachment.get. */
#define ATTACHMENT_CHUNK_MAX	(256 * 1024)

/* A finished upload, as a declaration write needs it (pointers into the upload). */
struct upload_view {
	const char		*name;
	const char		*mime;		/* found from the content */
	const char		*sha256;	/* lower-case hex */
	const unsigned char	*data;
	size_t			 size;
};

/*
 * Free an upload (NULL is fine).  ssh/connection.c calls it with session->upload
 * when a session ends.
 */
void	upload_free(struct upload *u);

/*
 * The finished upload of s whose token is token: fills *v and returns 0;
 * -1 when there is none (never finished, replaced, or another token).
 */
int	upload_ready(const struct session *s, const char *token, struct upload_view *v);

/* Drop s's upload: its declaration has committed (or it is no longer wanted). */
void	upload_consume(struct session *s);

/*
 * Make data (size bytes, taken over: freed here whatever happens) and its
 * file name (copied) the finished upload of s, replacing any other, as
 * attachment.finish would: its type is sniffed from the content and its
 * SHA-256 computed.  Returns NULL and fills *v (pointers into the upload)
 * and token (33 bytes) on success; otherwise the reason word
 * ("attachment_type", "uploads_busy", or a share's: upload_share_refusal).
 * For files that arrived another way (the inbox of inbox.h).
 */
const char *upload_adopt(const struct config *cfg, struct session *s, const char *name,
	    unsigned char *data, size_t size, char token[33], struct upload_view *v);

/*
 * What one account and one source address hold of an upload budget (the
 * attachments' here, the inboxes' in inbox.c): uploads in progress, and
 * bytes held in progress or finished.
 */
struct upload_share {
	size_t	account_uploads, account_bytes;
	size_t	source_uploads, source_bytes;
};

/*
 * Whether size more bytes (and, when in_progress, one more upload in
 * progress) fit the shares the uploads.* keys give one account and one
 * address: NULL, or the reason word ("uploads_account_busy",
 * "uploads_account_full", "uploads_source_busy").  A byte share is never
 * less than one file of declarations.max_attachment.
 */
const char *upload_share_refusal(const struct config *cfg, const struct upload_share *share,
	    size_t size, bool in_progress);

/*
 * Fail call with a reason upload_adopt or a budget gave ("uploads_busy",
 * "uploads_account_busy", ..., "attachment_type"): the right code, and
 * the sentence with its number filled in.  Returns -1.
 */
int	attachment_refuse(struct rpc_call *call, const char *reason);

/*
 * The sentence of an upload's reason word in lang, its number (a count, a
 * size, the stall timeout) filled in from the configuration.  Caller frees.
 */
char	*upload_reason_text(const struct config *cfg, enum lang lang, const char *reason);

/* Seconds of a clock that does not jump with the wall clock (stall timeouts). */
time_t	upload_now(void);

/* A size as people read it into out (format_size): "10 MiB", "1.5 KiB", "1000 B". */
void	attachment_size_text(size_t n, char *out, size_t size);

/* MIME type of data by its first bytes (JPEG, PNG, PDF, ZIP), or NULL. */
const char *attachment_sniff(const unsigned char *data, size_t len);

struct pg_result;

/*
 * A chunk of a stored attachment as a reply (attachment.get, a base's
 * class.attachment): res's one row has its name, mime, size, sha256 and
 * the bytes from offset (a bytea).  Sets call->result {name, mime, size,
 * sha256, offset, length, data (base64), eof} and returns 0; -1 after
 * rpc_fail ("offset_invalid" past the end).  res stays the caller's.
 */
int	attachment_chunk_result(struct rpc_call *call, const struct pg_result *res,
	    long long offset);

#endif
