/*
 * outbox.c - files the daemon hands to the user of a session.
 *
 *	download.list	staff, unit_admin	→ {files:[{name, size}], limits}
 *	download.get	staff, unit_admin	{name, offset, length} → {data, size, eof}
 *
 * What the daemon makes for a person (certificate.pdf's PDF) waits here
 * until the session ends.  The local client fetches it in slices with
 * download.get; the served TUI shows the scp command that reads it through
 * the session's inbox (inbox.c, the SFTP read side calls outbox_read).
 *
 * Bounds: OUTBOX_MAX_FILES files and OUTBOX_MAX_BYTES per session (the
 * oldest file goes to make room for a new one) and OUTBOX_BUDGET for all
 * sessions together (a file that does not fit is refused, "outbox_busy":
 * nothing of another session is dropped for it).  A reader holds no
 * bytes: each read copies its slice under the lock, and a file replaced
 * under the same name gets a new serial, so a transfer begun on the old
 * one ends instead of mixing the two.
 *
 * The owner's thread puts and closes; an SFTP session's thread reads.  So
 * s->outbox and every outbox are guarded by outbox_lock, which is taken
 * after inbox_lock when both are held (inbox.c reads a file of its owner).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "messages.h"
#include "outbox.h"
#include "rpc.h"
#include "session.h"
#include "text.h"
#include "xmalloc.h"

#define OUTBOX_BUDGET	(512u * 1024 * 1024)	/* bytes held by all outboxes */

struct outbox_file {
	char		*name;
	char		*data;
	size_t		 len;
	uint64_t	 serial;	/* this version of the file, never 0 */
};

struct outbox {
	struct outbox_file files[OUTBOX_MAX_FILES];	/* oldest first */
	size_t		 n_files;
	size_t		 bytes;
};

static pthread_mutex_t outbox_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t outbox_bytes;		/* all outboxes' files, summed */
static uint64_t outbox_serials;

bool
outbox_name_valid(const char *name)
{
	return name != NULL && text_clean(name, false, 1, OUTBOX_NAME_MAX) &&
	    strpbrk(name, "/\\") == NULL && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* Drop file i of ob (callers hold outbox_lock). */
static void
outbox_drop(struct outbox *ob, size_t i)
{
	struct outbox_file *f = &ob->files[i];

	sodium_memzero(f->data, f->len);	/* people's names and ID numbers */
	free(f->data);
	free(f->name);
	ob->bytes -= f->len;
	outbox_bytes -= f->len;
	memmove(f, f + 1, (ob->n_files - i - 1) * sizeof *f);
	ob->n_files--;
	memset(&ob->files[ob->n_files], 0, sizeof *f);
}

/* File name of ob, or NULL (callers hold outbox_lock). */
static struct outbox_file *
outbox_find(struct outbox *ob, const char *name, size_t *index)
{
	for (size_t i = 0; ob != NULL && i < ob->n_files; i++) {
		if (strcmp(ob->files[i].name, name) == 0) {
			if (index != NULL)
				*index = i;
			return &ob->files[i];
		}
	}
	return NULL;
}

int
outbox_put(struct session *s, const char *name, char *data, size_t len, const char **reason)
{
	struct outbox *ob;
	size_t i;

	*reason = NULL;
	if (!outbox_name_valid(name))
		*reason = "outbox_bad_name";
	else if (len > OUTBOX_MAX_BYTES)
		*reason = "outbox_full";
	if (*reason != NULL) {
		free(data);
		return -1;
	}
	pthread_mutex_lock(&outbox_lock);
	if ((ob = s->outbox) == NULL)
		ob = s->outbox = xcalloc(1, sizeof *ob);
	/* At worst this session gives back all it holds; others keep theirs. */
	if (outbox_bytes - ob->bytes + len > OUTBOX_BUDGET) {
		pthread_mutex_unlock(&outbox_lock);
		free(data);
		*reason = "outbox_busy";
		return -1;
	}
	if (outbox_find(ob, name, &i) != NULL)
		outbox_drop(ob, i);
	while (ob->n_files > 0 && (ob->n_files == OUTBOX_MAX_FILES ||
	    ob->bytes + len > OUTBOX_MAX_BYTES || outbox_bytes + len > OUTBOX_BUDGET)) {
		log_info("session %lu: outbox full, %s dropped", s->serial, ob->files[0].name);
		outbox_drop(ob, 0);
	}
	ob->files[ob->n_files++] = (struct outbox_file){ .name = xstrdup(name), .data = data,
	    .len = len, .serial = ++outbox_serials };
	ob->bytes += len;
	outbox_bytes += len;
	pthread_mutex_unlock(&outbox_lock);
	log_info("session %lu: %s handed to the user (%zu bytes)", s->serial, name, len);
	return 0;
}

void
outbox_close(struct session *s)
{
	pthread_mutex_lock(&outbox_lock);
	if (s->outbox != NULL) {
		while (s->outbox->n_files > 0)
			outbox_drop(s->outbox, 0);
		free(s->outbox);
		s->outbox = NULL;
	}
	pthread_mutex_unlock(&outbox_lock);
}

int
outbox_read(struct session *s, const char *name, uint64_t want_serial, uint64_t offset,
    char *buf, size_t max, size_t *got, size_t *size, uint64_t *serial)
{
	struct outbox_file *f;
	int rc = -1;

	*got = *size = 0;
	pthread_mutex_lock(&outbox_lock);
	f = name != NULL ? outbox_find(s->outbox, name, NULL) : NULL;
	if (f != NULL && (want_serial == 0 || f->serial == want_serial)) {
		*size = f->len;
		if (serial != NULL)
			*serial = f->serial;
		if (offset < f->len && max > 0) {
			*got = f->len - (size_t)offset < max ? f->len - (size_t)offset : max;
			memcpy(buf, f->data + offset, *got);
		}
		rc = 0;
	}
	pthread_mutex_unlock(&outbox_lock);
	return rc;
}

size_t
outbox_each(struct session *s, void (*each)(const char *name, size_t size, void *arg),
    void *arg)
{
	size_t n;

	pthread_mutex_lock(&outbox_lock);
	n = s->outbox != NULL ? s->outbox->n_files : 0;
	for (size_t i = 0; i < n; i++)
		each(s->outbox->files[i].name, s->outbox->files[i].len, arg);
	pthread_mutex_unlock(&outbox_lock);
	return n;
}

/* --- RPC methods --------------------------------------------------------- */

static void
outbox_list_add(const char *name, size_t size, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s, s:I}", "name", name, "size",
	    (json_int_t)size));
}

/* download.list: the files handed to this session, oldest first. */
static int
download_list(struct rpc_call *call)
{
	json_t *files = json_array();

	outbox_each(call->session, outbox_list_add, files);
	call->result = json_pack("{s:o, s:{s:i, s:I, s:i}}", "files", files, "limits",
	    "files", OUTBOX_MAX_FILES, "bytes", (json_int_t)OUTBOX_MAX_BYTES,
	    "slice", OUTBOX_SLICE_MAX);
	return 0;
}

/*
 * download.get: length bytes (default and at most OUTBOX_SLICE_MAX) of a
 * file from offset, as base64; eof when they reach its end.  Only the
 * session's own files: a name is looked up in its outbox and nowhere else.
 */
static int
download_get(struct rpc_call *call)
{
	const char *name = rpc_param_string(call, "name");
	long long offset = 0, length = OUTBOX_SLICE_MAX;
	size_t got, size, b64_size;
	char *buf, *b64;

	rpc_param_int(call, "offset", &offset);
	rpc_param_int(call, "length", &length);
	/* Checked here, not by the dispatcher: its label of "name" is a person's name. */
	if (!outbox_name_valid(name))
		return rpc_fail_format(call, RPC_INVALID_PARAMS, "outbox_bad_name", "name",
		    message_get(call->session->lang, "label.filename"), NULL);
	buf = xmalloc((size_t)length);
	if (outbox_read(call->session, name, 0, (uint64_t)offset, buf, (size_t)length, &got,
	    &size, NULL) != 0) {
		free(buf);
		return rpc_fail_format(call, RPC_NOT_FOUND, "download_not_found", "name",
		    message_get(call->session->lang, "label.filename"), NULL);
	}
	if ((size_t)offset > size) {
		free(buf);
		return rpc_fail_format(call, RPC_INVALID_PARAMS, "offset_invalid", "offset", NULL,
		    NULL);
	}
	b64_size = sodium_base64_ENCODED_LEN(got, sodium_base64_VARIANT_ORIGINAL);
	b64 = xmalloc(b64_size);
	sodium_bin2base64(b64, b64_size, (unsigned char *)buf, got,
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(buf, got);
	free(buf);
	call->result = json_pack("{s:s, s:I, s:I, s:I, s:b}", "name", name, "offset",
	    (json_int_t)offset, "size", (json_int_t)size, "length", (json_int_t)got, "eof",
	    (size_t)offset + got >= size);
	json_object_set_new(call->result, "data", json_string(b64));
	free(b64);
	return 0;
}

static const struct rpc_param download_get_params[] = {
	{ "name", T_STRING, true, 0, 0, NULL, NULL },
	{ "offset", T_INTEGER, false, 0, OUTBOX_MAX_BYTES, "offset_invalid", NULL },
	{ "length", T_INTEGER, false, 1, OUTBOX_SLICE_MAX, "length_invalid", NULL },
	{ NULL, 0, false, 0, 0, NULL, NULL },
};

const struct rpc_method rpc_download_methods[] = {
	{ "download.list", NULL, ROLE_USER, false, download_list },
	{ "download.get", download_get_params, ROLE_USER, false, download_get },
	{ NULL, NULL, 0, false, NULL },
};
