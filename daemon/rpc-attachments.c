/*
 * rpc-attachments.c - uploading an attachment (附件) in chunks.
 *
 *	attachment.begin {name, size, sha256}		staff
 *	attachment.chunk {upload_id, offset, data}	staff
 *	attachment.finish {upload_id}			staff
 *
 * The bytes stay in the session's memory until a declaration.save or
 * declaration.submit names the finished upload's token; that write stores
 * them in its own transaction.  So an upload that is interrupted, refused
 * or never used leaves nothing in the database.  Downloading is
 * attachment.get, in rpc-declarations.c.
 *
 * The type is found from the content, never from the name: JPEG, PNG, PDF
 * and ZIP by their magic bytes; anything else (an executable called
 * scan.jpg) is refused.  Every upload's memory counts against one budget
 * for the whole daemon, so many sessions uploading at once cannot exhaust
 * it; the budget is why live uploads are also kept on a list.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "attachments.h"
#include "config.h"
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
};

static pthread_mutex_t upload_lock = PTHREAD_MUTEX_INITIALIZER;
static struct upload *upload_list;	/* every live upload; guarded by upload_lock */
static size_t upload_bytes;		/* their sizes, summed */

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
	upload_bytes -= u->size;
	pthread_mutex_unlock(&upload_lock);
	sodium_memzero(u->data, u->size);	/* a scan of someone's certificate */
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
 * A new upload of size bytes, counted against the budget, or NULL when the
 * budget has no room for it now.
 */
static struct upload *
upload_new(size_t size, size_t max_attachment)
{
	size_t budget = (size_t)UPLOAD_BUDGET_FILES * max_attachment;
	struct upload *u;

	if (budget < UPLOAD_BUDGET_MIN)
		budget = UPLOAD_BUDGET_MIN;
	u = xcalloc(1, sizeof *u);
	pthread_mutex_lock(&upload_lock);
	if (upload_bytes + size > budget) {
		pthread_mutex_unlock(&upload_lock);
		free(u);
		return NULL;
	}
	upload_bytes += size;
	u->size = size;
	u->next = upload_list;
	if (upload_list != NULL)
		upload_list->prev = u;
	upload_list = u;
	pthread_mutex_unlock(&upload_lock);
	u->data = xmalloc(size);
	return u;
}

const char *
upload_adopt(struct session *s, const char *name, unsigned char *data, size_t size,
    char token[33], struct upload_view *v)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	const char *mime = attachment_sniff(data, size);
	struct upload *u;

	if (mime == NULL) {
		sodium_memzero(data, size);
		free(data);
		return "attachment_type";
	}
	upload_consume(s);
	if ((u = upload_new(size, (size_t)server_config()->decl_max_attachment)) == NULL) {
		sodium_memzero(data, size);
		free(data);
		return "uploads_busy";
	}
	free(u->data);
	u->data = data;
	u->received = size;
	u->name = xstrdup(name);
	u->mime = mime;
	crypto_hash_sha256(digest, data, size);
	sodium_bin2hex(u->sha256, sizeof u->sha256, digest, sizeof digest);
	upload_random_id(u->id);
	upload_random_id(u->token);
	u->finished = true;
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

/* A size as people read it: "10 MiB", "512 KiB", "1000 B". */
static void
attachment_size_text(size_t n, char *out, size_t size)
{
	if (n >= 1024 * 1024 && n % (1024 * 1024) == 0)
		snprintf(out, size, "%zu MiB", n / (1024 * 1024));
	else if (n >= 1024 * 1024)
		snprintf(out, size, "%.1f MiB", (double)n / (1024 * 1024));
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(out, size, "%zu KiB", n / 1024);
	else
		snprintf(out, size, "%zu B", n);
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
	const struct config *cfg = server_config();
	const char *name = rpc_param_string(call, "name");
	const char *sha = rpc_param_string(call, "sha256");
	long long size = 0;
	char text[32], *message;
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
	if ((u = upload_new((size_t)size, (size_t)cfg->decl_max_attachment)) == NULL) {
		log_warning("session %lu: upload of %lld bytes refused: upload budget in use",
		    s->serial, size);
		return rpc_fail(call, RPC_UNAVAILABLE, "uploads_busy", NULL, NULL);
	}
	u->name = xstrdup(name);
	for (i = 0; i < 64; i++)
		u->sha256[i] = (char)(sha[i] >= 'A' && sha[i] <= 'F' ? sha[i] - 'A' + 'a' : sha[i]);
	upload_random_id(u->id);
	crypto_hash_sha256_init(&u->hash);
	s->upload = u;
	call->result = json_pack("{s:s, s:i, s:I}", "upload_id", u->id,
	    "chunk_size", ATTACHMENT_CHUNK_MAX, "size", (json_int_t)u->size);
	return 0;
}

/* The session's upload named by the upload_id parameter, or NULL after rpc_fail. */
static struct upload *
attachment_upload(struct rpc_call *call)
{
	struct upload *u = call->session->upload;
	const char *id = rpc_param_string(call, "upload_id");

	if (u == NULL || u->finished || strlen(id) != sizeof u->id - 1 ||
	    sodium_memcmp(u->id, id, sizeof u->id - 1) != 0) {
		rpc_fail(call, RPC_NOT_FOUND, "upload_unknown", "upload_id", NULL);
		return NULL;
	}
	return u;
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

	if ((u = attachment_upload(call)) == NULL)
		return -1;
	rpc_param_int(call, "offset", &offset);
	if (offset != (long long)u->received) {
		snprintf(text, sizeof text, "%zu", u->received);
		attachment_fail_arg(call, RPC_CONFLICT, "chunk_offset", "offset", text);
		call->error_data = json_pack("{s:I}", "expected", (json_int_t)u->received);
		return -1;
	}
	/* What the base64 text decodes to, known before decoding it. */
	if (len == 0 || len % 4 != 0)
		return rpc_fail(call, RPC_INVALID_INPUT, "chunk_invalid", "data", NULL);
	decoded = len / 4 * 3 - (data[len - 1] == '=') - (data[len - 2] == '=');
	if (decoded > ATTACHMENT_CHUNK_MAX)
		return rpc_fail(call, RPC_INVALID_INPUT, "chunk_invalid", "data", NULL);
	room = u->size - u->received;
	if (decoded > room)
		return rpc_fail(call, RPC_INVALID_INPUT, "chunk_overflow", "data", NULL);
	if (sodium_base642bin(u->data + u->received, room, data, len, NULL, &got, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || got == 0)
		return rpc_fail(call, RPC_INVALID_INPUT, "chunk_invalid", "data", NULL);
	crypto_hash_sha256_update(&u->hash, u->data + u->received, got);
	u->received += got;
	call->result = json_pack("{s:I, s:I}", "received", (json_int_t)u->received,
	    "size", (json_int_t)u->size);
	return 0;
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

	if ((u = attachment_upload(call)) == NULL)
		return -1;
	if (u->received != u->size) {
		snprintf(text, sizeof text, "%zu", u->received);
		attachment_fail_arg(call, RPC_INVALID_INPUT, "attachment_incomplete",
		    "upload_id", text);
		call->error_data = json_pack("{s:I, s:I}", "received", (json_int_t)u->received,
		    "size", (json_int_t)u->size);
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
	u->finished = true;
	upload_random_id(u->token);
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

static const struct rpc_param finish_params[] = {
	{ "upload_id", T_STRING, true },
	{ NULL, 0, false },
};

const struct rpc_method rpc_attachments_methods[] = {
	{ "attachment.begin", begin_params, ROLE_STAFF, false, attachment_begin },
	{ "attachment.chunk", chunk_params, ROLE_STAFF, false, attachment_chunk },
	{ "attachment.finish", finish_params, ROLE_STAFF, false, attachment_finish },
	{ NULL, NULL, 0, false, NULL },
};
