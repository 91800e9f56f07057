/*
 * upload.c - a file of this computer sent as an attachment (upload.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "format.h"
#include "upload.h"
#include "xmalloc.h"

#define UPLOAD_CHUNK	(256 * 1024)	/* bytes a chunk, unless the server says */

/* Say why into fail (a format and its arguments); returns NULL for the caller. */
static json_t *
upload_fail(struct upload_failure *fail, char *text)
{
	app_copy(fail->why, sizeof fail->why, text);
	free(text);
	return NULL;
}

/* Read the whole of fd (size bytes) into a new buffer; NULL: said in fail. */
static unsigned char *
upload_read(int fd, size_t size, const char *path, struct upload_failure *fail)
{
	unsigned char *data = xmalloc(size);
	ssize_t got;

	for (size_t off = 0; off < size; off += (size_t)got) {
		if ((got = read(fd, data + off, size - off)) <= 0) {
			if (got < 0 && errno == EINTR) {
				got = 0;
				continue;
			}
			upload_fail(fail, xasprintf(_("cannot read %s: %s"), path,
			    got < 0 ? strerror(errno) : _("the file got shorter")));
			sodium_memzero(data, size);
			free(data);
			return NULL;
		}
	}
	return data;
}

/* Send data (size bytes) in chunks to upload_id, then finish it.  NULL: said in fail. */
static json_t *
upload_send(struct app *a, const char *upload_id, const char *base, const unsigned char *data,
    size_t size, size_t chunk, void (*progress)(void *, const char *), void *arg,
    struct upload_failure *fail)
{
	size_t b64size = sodium_base64_encoded_len(chunk, sodium_base64_VARIANT_ORIGINAL), len;
	char *b64 = xmalloc(b64size), *line, sz[32], total[32];
	struct rpc_error err;
	json_t *r = NULL;

	for (size_t off = 0; off < size; off += len) {
		len = size - off < chunk ? size - off : chunk;
		line = xasprintf(_("Uploading %s: %s of %s"), base,
		    format_size((long long)off, sz, sizeof sz),
		    format_size((long long)size, total, sizeof total));
		progress(arg, line);
		free(line);
		sodium_bin2base64(b64, b64size, data + off, len, sodium_base64_VARIANT_ORIGINAL);
		r = app_call(a, "attachment.chunk", json_pack("{s:s, s:I, s:s}", "upload_id",
		    upload_id, "offset", (json_int_t)off, "data", b64), &err);
		if (r == NULL)
			goto failed;
		json_decref(r);
	}
	r = app_call(a, "attachment.finish", json_pack("{s:s}", "upload_id", upload_id), &err);
	if (r == NULL)
		goto failed;
	free(b64);
	return r;
failed:
	free(b64);
	return upload_fail(fail, xstrdup(err.message));
}

json_t *
upload_file(struct app *a, const char *path, json_int_t max, json_int_t chunk,
    void (*progress)(void *, const char *), void *arg, struct upload_failure *fail)
{
	unsigned char digest[crypto_hash_sha256_BYTES], *data = NULL;
	char hex[65], *full = app_expand_home(path), sz[32];
	const char *base = strrchr(full, '/') != NULL ? strrchr(full, '/') + 1 : full;
	json_t *begun = NULL, *finished = NULL;
	struct stat st;
	int fd;

	memset(fail, 0, sizeof *fail);
	if ((fd = open(full, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0)
		upload_fail(fail, xasprintf(_("cannot open %s: %s"), path, strerror(errno)));
	else if (!S_ISREG(st.st_mode))
		upload_fail(fail, xstrdup(_("not a regular file")));
	else if (st.st_size == 0)
		upload_fail(fail, xstrdup(_("the file is empty")));
	else if (max > 0 && st.st_size > max)
		upload_fail(fail, xasprintf(_("the file is larger than %s"), format_size(max, sz,
		    sizeof sz)));
	else
		data = upload_read(fd, (size_t)st.st_size, path, fail);
	if (fd >= 0)
		close(fd);
	if (data == NULL)
		goto out;
	crypto_hash_sha256(digest, data, (size_t)st.st_size);
	sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
	begun = app_call(a, "attachment.begin", json_pack("{s:s, s:I, s:s}", "name", base,
	    "size", (json_int_t)st.st_size, "sha256", hex), &fail->begin);
	if (begun == NULL) {
		app_copy(fail->why, sizeof fail->why, fail->begin.message);
		goto out;
	}
	if (json_integer_value(json_object_get(begun, "chunk_size")) > 0)
		chunk = json_integer_value(json_object_get(begun, "chunk_size"));
	finished = upload_send(a, app_json_str(begun, "upload_id"), base, data,
	    (size_t)st.st_size, chunk > 0 ? (size_t)chunk : UPLOAD_CHUNK, progress, arg, fail);
out:
	if (data != NULL) {
		sodium_memzero(data, (size_t)st.st_size);
		free(data);
	}
	json_decref(begun);
	free(full);
	return finished;
}
