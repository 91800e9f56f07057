/*
 * upload.h - a file of this computer sent as an attachment
 * (attachment.begin, .chunk, .finish; docs/protocol.md): a declaration's
 * proof (screen-declare.c), a training base's class document
 * (screen-base-class.c).  The server checks what it is; here it is read,
 * hashed and sent in chunks with a progress line.
 */
#ifndef JXJY_UPLOAD_H
#define JXJY_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "app.h"

struct upload_failure {
	char		 why[512];	/* what went wrong, for people */
	/*
	 * attachment.begin refused the file (its name, size, kind): the
	 * server's reply, whose problems may name fields; kind RPC_ERR_NONE
	 * when it failed elsewhere.
	 */
	struct rpc_error begin;
};

/*
 * Upload the file at path (~ expanded) in chunks of chunk bytes (the
 * server's own when it names one; <= 0: 256 KiB), refusing locally one
 * larger than max (0: the server decides).  progress(arg, text) shows how
 * far it got.  Returns attachment.finish's result ({attachment_token,
 * name, size, ...}; the caller frees), or NULL with *fail filled.
 */
json_t	*upload_file(struct app *a, const char *path, json_int_t max, json_int_t chunk,
	    void (*progress)(void *, const char *), void *arg, struct upload_failure *fail);

#endif
