/*
 * attachments.h - an attachment (附件) on its way in: uploaded in chunks into
 * the session's memory, checked whole, then stored by the declaration
 * write that names it (rpc-declarations.c), in that write's transaction.
 *
 * A session holds at most one upload (session->upload).  An upload that is
 * never finished, or finished but never used, is dropped with the session:
 * nothing reaches the database until a declaration commits with it.
 */
#ifndef JXJYD_ATTACHMENTS_H
#define JXJYD_ATTACHMENTS_H

#include <stddef.h>

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
 * Free an upload (NULL is fine).  server.c calls it with session->upload
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
 * ("attachment_type", "uploads_busy").  For files that arrived another way
 * (the inbox of inbox.h).
 */
const char *upload_adopt(struct session *s, const char *name, unsigned char *data,
	    size_t size, char token[33], struct upload_view *v);

/* MIME type of data by its first bytes (JPEG, PNG, PDF, ZIP), or NULL. */
const char *attachment_sniff(const unsigned char *data, size_t len);

#endif
