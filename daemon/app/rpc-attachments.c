/*
 * rpc-attachments.c - uploading an attachment (附件) in chunks.
 *
 *	attachment.begin {name, size, sha256}		staff, base_admin
 *	attachment.chunk {upload_id, offset, data}	staff, base_admin
 *	attachment.finish {upload_id}			staff, base_admin
 *
 * The bytes stay in the session's memory until a declaration.save or
 * declaration.submit (a base's class.save) names the finished upload's
 * token; that write stores them in its own transaction.  So an upload that is interrupted, refused
 * or never used leaves nothing in the database.  Downloading is
 * attachment.get, in rpc-declarations.c.
 *
 * The type is found from the content, never from the name: JPEG, PNG, PDF
 * and ZIP by their magic bytes; anything else (an executable called
 * scan.jpg) is refused.  Every upload's memory counts against one budget
 * for the whole daemon, so many sessions uploading at once cannot exhaust
 * it; the budget is why live uploads are also kept on a list.  One account
 * and one source address may each hold only their share of it
 * (uploads.max_per_account and the like), so that one person with many
 * sessions cannot keep everyone else waiting; and an upload in progress
 * that receives nothing for uploads.stall_timeout seconds is dropped, its
 * memory and its place given back (upload_sweep), the next chunk told why.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "attachments.h"
#include "config.h"
#include "format.h"
#include "log.h"
#include "messages.h"
#include "rpc.h"
#include "session.h"
#include "text.h"
#include "xmalloc.h"

#define UPLOAD_NAME_MAX		100	/* characters of a file name */
#define UPLOAD_BUDGET_MIN	(256u * 1024 * 1024)	/* bytes held by all uploads */
#define UPLOAD_BUDGET_FILES	16	/* ... or this many of the largest, if more */

struct upload {
	char		 id[33];	/* hex, names it in chunk and finish */
	char		 token[33];	/* hex, set when finished */
	char		*name;
	char		 sha256[65];	/* as the client announced it, lower case */
	const char	*mime;		/* set when finished */
	unsigned char	*data;
	size_t		 size;		/* announced */
	size_t		 received;
	bool		 finished;
	crypto_hash_sha256_state hash;	/* of data[0..received) */
	struct upload	*prev, *next;	/* upload_list */

	/* Guarded by upload_lock: upload_sweep reads them from any thread. */
	int64_t		 account_id;	/* whose share it counts in */
	char		 source[48];	/* ... and which address's */
	time_t		 last_data;	/* monotonic s: begun, or the last chunk taken */
	bool		 busy;		/* a request of its session is writing data */
	bool		 stalled;	/* dropped for want of data: data freed, not counted */
};

static pthread_mutex_t upload_lock = PTHREAD_MUTEX_INITIALIZER;
static struct upload *upload_list;	/* every live upload; guarded by upload_lock */
static size_t upload_bytes;		/* their sizes, summed (not the stalled ones) */

time_t
upload_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

const char *
attachment_sniff(const unsigned char *d, size_t len)
{
	if (len >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
		return "image/jpeg";
	if (len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (len >= 5 && memcmp(d, "%PDF-", 5) == 0)
		return "application/pdf";
	if (len >= 4 && memcmp(d, "PK\x03\x04", 4) == 0)
		return "application/zip";
	return NULL;
}

void
upload_free(struct upload *u)
{
	if (u == NULL)
		return;
	pthread_mutex_lock(&upload_lock);
	if (u->prev != NULL)
		u->prev->next = u->next;
	else
		upload_list = u->next;
	if (u->next != NULL)
		u->next->prev = u->prev;
	if (!u->stalled)
		upload_bytes -= u->size;
	pthread_mutex_unlock(&upload_lock);
	if (u->data != NULL)
		sodium_memzero(u->data, u->received);	/* a scan of someone's certificate */
	free(u->data);
	free(u->name);
	free(u);
}

void
upload_consume(struct session *s)
{
	upload_free(s->upload);
	s->upload = NULL;
}

int
upload_ready(const struct session *s, const char *token, struct upload_view *v)
{
	const struct upload *u = s->upload;

	if (u == NULL || !u->finished || token == NULL ||
	    strlen(token) != sizeof u->token - 1 ||
	    sodium_memcmp(u->token, token, sizeof u->token - 1) != 0)
		return -1;
	v->name = u->name;
	v->mime = u->mime;
	v->sha256 = u->sha256;
	v->data = u->data;
	v->size = u->size;
	return 0;
}

/* 16 random bytes in hex, for an upload id or token. */
static void
upload_random_id(char out[33])
{
	unsigned char raw[16];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(out, 33, raw, sizeof raw);
}

/*
 * Drop every upload in progress that has had no data for the stall
 * timeout: its memory goes now, its session learns of it at its next
 * chunk (attachment_claim) and frees the rest.  Callers hold upload_lock.
 * In whole seconds, more than the timeout apart: at least that long passed.
 */
static void
upload_sweep(const struct config *cfg, time_t now)
{
	int timeout = cfg->uploads_stall_timeout;

	for (struct upload *u = upload_list; u != NULL; u = u->next) {
		if (u->finished || u->busy || u->stalled || now - u->last_data <= timeout)
			continue;
		log_info("upload %.8s of account %lld from %s: no data for %d s, dropped "
		    "(%zu of %zu bytes received)", u->id, (long long)u->account_id, u->source,
		    timeout, u->received, u->size);
		u->stalled = true;
		upload_bytes -= u->size;
		if (u->data != NULL)
			sodium_memzero(u->data, u->received);
		free(u->data);
		u->data = NULL;
	}
}

/* The bytes one account's uploads may hold: the key, or one largest file if more. */
static size_t
upload_account_max(const struct config *cfg)
{
	size_t largest = (size_t)cfg->decl_max_attachment;
	size_t bytes = (size_t)cfg->uploads_max_bytes_per_account;

	return bytes > largest ? bytes : largest;
}

const char *
upload_share_refusal(const struct config *cfg, const struct upload_share *sh, size_t size,
    bool in_progress)
{
	/* One file of the largest size always fits, whatever the shares say. */
	size_t largest = (size_t)cfg->decl_max_attachment;
	size_t source_max = (size_t)cfg->uploads_max_bytes_per_source;

	if (in_progress && sh->account_uploads >= (size_t)cfg->uploads_max_per_account)
		return "uploads_account_busy";
	if (sh->account_bytes + size > upload_account_max(cfg))
		return "uploads_account_full";
	if ((in_progress && sh->source_uploads >= (size_t)cfg->uploads_max_per_source) ||
	    sh->source_bytes + size > (source_max > largest ? source_max : largest))
		return "uploads_source_busy";
	return NULL;
}

/*
 * A new upload of size bytes for s, counted against the budget and the
 * shares of s's account and address; finished says it arrives whole
 * (upload_adopt), so it is not one more in progress.  Returns NULL with
 * *out set, or the reason word when there is no room for it now.
 */
static const char *
upload_new(const struct config *cfg, const struct session *s, size_t size, bool finished,
    struct upload **out)
{
	size_t budget = (size_t)UPLOAD_BUDGET_FILES * (size_t)cfg->decl_max_attachment;
	struct upload_share share = { 0, 0, 0, 0 };
	time_t now = upload_now();
	const char *why;
	struct upload *u;

	if (budget < UPLOAD_BUDGET_MIN)
		budget = UPLOAD_BUDGET_MIN;
	*out = NULL;
	pthread_mutex_lock(&upload_lock);
	upload_sweep(cfg, now);
	for (u = upload_list; u != NULL; u = u->next) {
		if (u->stalled)
			continue;
		if (u->account_id == s->account_id) {
			share.account_uploads += !u->finished;
			share.account_bytes += u->size;
		}
		if (strcmp(u->source, s->source) == 0) {
			share.source_uploads += !u->finished;
			share.source_bytes += u->size;
		}
	}
	why = upload_share_refusal(cfg, &share, size, !finished);
	if (why == NULL && upload_bytes + size > budget)
		why = "uploads_busy";
	if (why != NULL) {
		pthread_mutex_unlock(&upload_lock);
		return why;
	}
	u = xcalloc(1, sizeof *u);
	upload_bytes += size;
	u->size = size;
	u->account_id = s->account_id;
	snprintf(u->source, sizeof u->source, "%s", s->source);
	u->last_data = now;
	u->finished = finished;
	upload_random_id(u->id);
	u->next = upload_list;
	if (upload_list != NULL)
		upload_list->prev = u;
	upload_list = u;
	pthread_mutex_unlock(&upload_lock);
	*out = u;
	return NULL;
}

const char *
upload_adopt(const struct config *cfg, struct session *s, const char *name,
    unsigned char *data, size_t size, char token[33], struct upload_view *v)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	const char *mime = attachment_sniff(data, size);
	const char *why;
	struct upload *u;

	if (mime == NULL) {
		sodium_memzero(data, size);
		free(data);
		return "attachment_type";
	}
	upload_consume(s);
	if ((why = upload_new(cfg, s, size, true, &u)) != NULL) {
		sodium_memzero(data, size);
		free(data);
		return why;
	}
	u->data = data;
	u->received = size;
	u->name = xstrdup(name);
	u->mime = mime;
	crypto_hash_sha256(digest, data, size);
	sodium_bin2hex(u->sha256, sizeof u->sha256, digest, sizeof digest);
	upload_random_id(u->token);
	s->upload = u;
	memcpy(token, u->token, 33);
	return upload_ready(s, token, v) == 0 ? NULL : "attachment_type";
}

/* An error whose sentence takes one value (a size, an offset). Returns -1. */
static int
attachment_fail_arg(struct rpc_call *call, int code, const char *reason, const char *field,
    const char *arg)
{
	enum lang lang = call->session->lang;
	char *sentence = xasprintf(message_get(lang, reason), arg);
	char *message = xasprintf("%s: %s", message_field(lang, field), sentence);

	rpc_fail(call, code, reason, field, message);
	free(sentence);
	free(message);
	return -1;
}

void
attachment_size_text(size_t n, char *out, size_t size)
{
	format_size((long long)n, out, size);
}

char *
upload_reason_text(const struct config *cfg, enum lang lang, const char *reason)
{
	char arg[32];

	if (strcmp(reason, "uploads_account_busy") == 0)
		snprintf(arg, sizeof arg, "%d", cfg->uploads_max_per_account);
	else if (strcmp(reason, "uploads_account_full") == 0)
		attachment_size_text(upload_account_max(cfg), arg, sizeof arg);
	else if (strcmp(reason, "upload_stalled") == 0)
		snprintf(arg, sizeof arg, "%d", cfg->uploads_stall_timeout);
	else
		return xstrdup(message_get(lang, reason));
	return xasprintf(message_get(lang, reason), arg);
}

int
attachment_refuse(struct rpc_call *call, const char *reason)
{
	const struct config *cfg = call->cfg;
	char *message;

	if (strcmp(reason, "attachment_type") == 0)
		return rpc_fail(call, RPC_INVALID_INPUT, reason, NULL, NULL);
	if (strcmp(reason, "uploads_account_busy") == 0)
		call->error_data = json_pack("{s:i}", "max_uploads",
		    cfg->uploads_max_per_account);
	else if (strcmp(reason, "uploads_account_full") == 0)
		call->error_data = json_pack("{s:I}", "max_bytes",
		    (json_int_t)upload_account_max(cfg));
	message = upload_reason_text(cfg, call->session->lang, reason);
	rpc_fail(call, RPC_UNAVAILABLE, reason, NULL, message);
	free(message);
	return -1;
}

/* A file name a person will see and save under: clean text, no path. */
static bool
attachment_name_valid(const char *name)
{
	return text_clean(name, false, 1, UPLOAD_NAME_MAX) && strpbrk(name, "/\\") == NULL &&
	    strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/*
 * attachment.begin: announce a file.  Replaces an upload this session had
 * not used yet.  Returns the id the chunks name.
 */
static int
attachment_begin(struct rpc_call *call)
{
	struct session *s = call->session;
	const struct config *cfg = call->cfg;
	const char *name = rpc_param_string(call, "name");
	const char *sha = rpc_param_string(call, "sha256");
	long long size = 0;
	char text[32], *message;
	const char *why;
	struct upload *u;
	size_t i;

	rpc_param_int(call, "size", &size);
	if (!attachment_name_valid(name)) {
		message = xasprintf("%s: %s", message_get(s->lang, "label.filename"),
		    message_get(s->lang, "attachment_name_invalid"));
		rpc_fail(call, RPC_INVALID_INPUT, "attachment_name_invalid", "name", message);
		free(message);
		return -1;
	}
	if (size < 1)
		return rpc_fail(call, RPC_INVALID_INPUT, "size_invalid", "size", NULL);
	if (size > cfg->decl_max_attachment) {
		attachment_size_text((size_t)cfg->decl_max_attachment, text, sizeof text);
		attachment_fail_arg(call, RPC_INVALID_INPUT, "attachment_too_large", "size", text);
		call->error_data = json_pack("{s:i}", "max_size", cfg->decl_max_attachment);
		return -1;
	}
	if (strlen(sha) != 64 || strspn(sha, "0123456789abcdefABCDEF") != 64)
		return rpc_fail(call, RPC_INVALID_INPUT, "sha256_invalid", "sha256", NULL);

	/* The old upload goes first: it must not count against the budget twice. */
	upload_consume(s);
	if ((why = upload_new(cfg, s, (size_t)size, false, &u)) != NULL) {
		log_warning("session %lu: upload of %lld bytes refused: %s", s->serial, size,
		    why);
		return attachment_refuse(call, why);
	}
	u->name = xstrdup(name);
	for (i = 0; i < 64; i++)
		u->sha256[i] = (char)(sha[i] >= 'A' && sha[i] <= 'F' ? sha[i] - 'A' + 'a' : sha[i]);
	crypto_hash_sha256_init(&u->hash);
	s->upload = u;	/* its memory comes with the first chunk */
	call->result = json_pack("{s:s, s:i, s:I}", "upload_id", u->id,
	    "chunk_size", ATTACHMENT_CHUNK_MAX, "size", (json_int_t)u->size);
	return 0;
}

/*
 * The session's upload named by the upload_id parameter, claimed (busy)
 * so that upload_sweep leaves it alone while this request writes it; give
 * it back with attachment_unclaim.  NULL after rpc_fail: none, or it was
 * dropped for want of data (then it goes, and the reply says so).
 */
static struct upload *
attachment_claim(struct rpc_call *call)
{
	struct session *s = call->session;
	struct upload *u = s->upload;
	const char *id = rpc_param_string(call, "upload_id");
	int timeout = call->cfg->uploads_stall_timeout;
	char text[32];
	bool stalled;

	if (u == NULL || u->finished || strlen(id) != sizeof u->id - 1 ||
	    sodium_memcmp(u->id, id, sizeof u->id - 1) != 0) {
		rpc_fail(call, RPC_NOT_FOUND, "upload_unknown", "upload_id", NULL);
		return NULL;
	}
	pthread_mutex_lock(&upload_lock);
	upload_sweep(call->cfg, upload_now());
	if (!(stalled = u->stalled))
		u->busy = true;
	pthread_mutex_unlock(&upload_lock);
	if (stalled) {
		upload_consume(s);
		snprintf(text, sizeof text, "%d", timeout);
		attachment_fail_arg(call, RPC_NOT_FOUND, "upload_stalled", "upload_id", text);
		call->error_data = json_pack("{s:i}", "stall_timeout", timeout);
		return NULL;
	}
	return u;
}

/*
 * A claimed upload back to upload_sweep's care.  progressed: data was
 * taken (only that restarts the stall clock: a stream of refused chunks
 * is no progress); finished: it is complete.
 */
static void
attachment_unclaim(struct upload *u, bool progressed, bool finished)
{
	pthread_mutex_lock(&upload_lock);
	u->busy = false;
	u->finished = finished;
	if (progressed)
		u->last_data = upload_now();
	pthread_mutex_unlock(&upload_lock);
}

/*
 * attachment.chunk: the next piece, in order.  A chunk at the wrong offset
 * (a retry after a lost reply) is refused with the offset expected, so the
 * client can go on from there.
 */
static int
attachment_chunk(struct rpc_call *call)
{
	const char *data = rpc_param_string(call, "data");
	struct upload *u;
	long long offset = -1;
	size_t len = strlen(data), decoded, room, got = 0;
	char text[32];
	int rc = -1;

	if ((u = attachment_claim(call)) == NULL)
		return -1;
	rpc_param_int(call, "offset", &offset);
	if (offset != (long long)u->received) {
		snprintf(text, sizeof text, "%zu", u->received);
		attachment_fail_arg(call, RPC_CONFLICT, "chunk_offset", "offset", text);
		call->error_data = json_pack("{s:I}", "expected", (json_int_t)u->received);
		goto out;
	}
	/* What the base64 text decodes to, known before decoding it. */
	if (len == 0 || len % 4 != 0) {
		rpc_fail(call, RPC_INVALID_INPUT, "chunk_invalid", "data", NULL);
		goto out;
	}
	decoded = len / 4 * 3 - (data[len - 1] == '=') - (data[len - 2] == '=');
	if (decoded > ATTACHMENT_CHUNK_MAX) {
		rpc_fail(call, RPC_INVALID_INPUT, "chunk_invalid", "data", NULL);
		goto out;
	}
	room = u->size - u->received;
	if (decoded > room) {
		rpc_fail(call, RPC_INVALID_INPUT, "chunk_overflow", "data", NULL);
		goto out;
	}
	if (u->data == NULL)
		u->data = xmalloc(u->size);
	if (sodium_base642bin(u->data + u->received, room, data, len, NULL, &got, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || got == 0) {
		rpc_fail(call, RPC_INVALID_INPUT, "chunk_invalid", "data", NULL);
		goto out;
	}
	crypto_hash_sha256_update(&u->hash, u->data + u->received, got);
	u->received += got;
	call->result = json_pack("{s:I, s:I}", "received", (json_int_t)u->received,
	    "size", (json_int_t)u->size);
	rc = 0;
out:
	attachment_unclaim(u, rc == 0, false);
	return rc;
}

/*
 * attachment.finish: every byte arrived, the SHA-256 matches, the content
 * is a type we take.  Returns the token a declaration write names.  A
 * checksum or type that is wrong drops the upload: those bytes are no use.
 */
static int
attachment_finish(struct rpc_call *call)
{
	struct session *s = call->session;
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[65], text[32];
	struct upload *u;

	if ((u = attachment_claim(call)) == NULL)
		return -1;
	if (u->received != u->size) {
		snprintf(text, sizeof text, "%zu", u->received);
		attachment_fail_arg(call, RPC_INVALID_INPUT, "attachment_incomplete",
		    "upload_id", text);
		call->error_data = json_pack("{s:I, s:I}", "received", (json_int_t)u->received,
		    "size", (json_int_t)u->size);
		attachment_unclaim(u, false, false);
		return -1;
	}
	crypto_hash_sha256_final(&u->hash, digest);
	sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
	if (strcmp(hex, u->sha256) != 0) {
		upload_consume(s);
		return rpc_fail(call, RPC_INVALID_INPUT, "attachment_checksum", "sha256", NULL);
	}
	if ((u->mime = attachment_sniff(u->data, u->size)) == NULL) {
		log_info("session %lu: attachment %s refused: not JPEG, PNG, PDF or ZIP "
		    "(starts %02x %02x %02x %02x)", s->serial, u->id,
		    u->size > 0 ? u->data[0] : 0, u->size > 1 ? u->data[1] : 0,
		    u->size > 2 ? u->data[2] : 0, u->size > 3 ? u->data[3] : 0);
		upload_consume(s);
		return rpc_fail(call, RPC_INVALID_INPUT, "attachment_type", "upload_id", NULL);
	}
	upload_random_id(u->token);
	attachment_unclaim(u, true, true);
	call->result = json_pack("{s:s, s:s, s:s, s:I, s:s}", "attachment_token", u->token,
	    "name", u->name, "mime", u->mime, "size", (json_int_t)u->size,
	    "sha256", u->sha256);
	return 0;
}

static const struct rpc_param begin_params[] = {
	{ "name", T_STRING, true },
	{ "size", T_INTEGER, true },
	{ "sha256", T_STRING, true },
	{ NULL, 0, false },
};

static const struct rpc_param chunk_params[] = {
	{ "upload_id", T_STRING, true },
	{ "offset", T_INTEGER, true },
	{ "data", T_STRING, true },
	{ NULL, 0, false },
};

int
attachment_chunk_result(struct rpc_call *call, const PGresult *res, long long offset)
{
	long long size = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	unsigned char *bytes;
	size_t nbytes = 0, b64len;
	char *b64;

	if (offset > size)
		return rpc_fail(call, RPC_INVALID_PARAMS, "offset_invalid", "offset", NULL);
	if ((bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 4),
	    &nbytes)) == NULL)
		return rpc_fail_internal(call, "cannot decode an attachment's bytes");
	b64len = sodium_base64_encoded_len(nbytes, sodium_base64_VARIANT_ORIGINAL);
	b64 = xmalloc(b64len);
	sodium_bin2base64(b64, b64len, bytes, nbytes, sodium_base64_VARIANT_ORIGINAL);
	call->result = json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:s, s:b}",
	    "name", PQgetvalue(res, 0, 0), "mime", PQgetvalue(res, 0, 1),
	    "size", (json_int_t)size, "sha256", PQgetvalue(res, 0, 3),
	    "offset", (json_int_t)offset, "length", (json_int_t)nbytes, "data", b64,
	    "eof", offset + (long long)nbytes >= size);
	PQfreemem(bytes);
	free(b64);
	return 0;
}

static const struct rpc_param finish_params[] = {
	{ "upload_id", T_STRING, true },
	{ NULL, 0, false },
};

const struct rpc_method rpc_attachments_methods[] = {
	{ "attachment.begin", begin_params, ROLE_STAFF | ROLE_BASE_ADMIN, false,
	    attachment_begin },
	{ "attachment.chunk", chunk_params, ROLE_STAFF | ROLE_BASE_ADMIN, false,
	    attachment_chunk },
	{ "attachment.finish", finish_params, ROLE_STAFF | ROLE_BASE_ADMIN, false,
	    attachment_finish },
	{ NULL, NULL, 0, false, NULL },
};
