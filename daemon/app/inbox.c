/*
 * inbox.c - a per-session inbox for attachments sent with stock tools.
 *
 *	inbox.open	staff	→ {token, command, sftp, host, port, limits, hint}
 *	inbox.list	staff	→ {token, files:[{name, size, sha256}], uploading, limits}
 *	inbox.remove	staff	{name}
 *	inbox.attach	staff	{name} → attachment_token (see inbox_attach)
 *
 * Someone at a plain SSH terminal cannot hand the served TUI a file of
 * their own computer.  So the TUI opens an inbox and shows a command such
 * as `scp -P 2222 FILE inbox-K7TA9XQ2HC@host:`.  That connection is a
 * session of its own (its SSH user name is the token, ssh/connection.c lets it in
 * as a guest and gives it the "sftp" subsystem, which OpenSSH's scp uses
 * since 9.0); inbox_serve_sftp writes what arrives into the inbox of the
 * session that opened it, and the declaration screen offers the files.
 *
 * Everything stays in memory and is bounded: INBOX_MAX_FILES files per
 * inbox, each at most declarations.max_attachment bytes, and all inboxes
 * together at most INBOX_BUDGET.  An inbox lives as long as the session
 * that opened it.  Two threads touch one inbox -- the owner's session and
 * the SFTP session's -- so the registry and every inbox in it are guarded
 * by one mutex, and an inbox is reference counted: the owner's session
 * holds one reference, each SFTP session another, and the last to let go
 * frees it.  When the owner ends, the SFTP session finds the inbox closed
 * and ends too.
 *
 * As for attachment.begin, one account (the inbox owner's) and one source
 * address (the uploader's) may hold only their share of INBOX_BUDGET
 * (upload_share_refusal), and a file being written that gets no data for
 * uploads.stall_timeout seconds is dropped (inbox_sweep).  A file is
 * complete only when its uploader closed it after every write succeeded:
 * one whose write was refused (too large, no room), that stalled, or
 * whose connection ended before the close is "failed" -- its bytes are
 * freed at once, it is neither listed as complete nor attachable, and it
 * leaves the inbox when its handle closes.
 *
 * The other way: files the daemon handed to the owner's session (outbox.c,
 * e.g. certificate.pdf's PDF) are listed beside the uploads and can be
 * opened read-only, by name alone (no path reaches anything else), so
 * `scp -P 2222 inbox-TOKEN@host:学时证明-2025.pdf .` fetches one.  A read
 * handle holds the name and the file's serial, never its bytes: each read
 * copies its slice under the outbox's lock.  Uploads are never read back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <libssh/libssh.h>
#define WITH_SERVER	/* sftp.h declares the server side only then */
#include <libssh/sftp.h>
#include <sodium.h>

#include "auth.h"
#include "config.h"
#include "attachments.h"
#include "inbox.h"
#include "log.h"
#include "messages.h"
#include "outbox.h"
#include "rpc.h"
#include "session.h"
#include "text.h"
#include "xmalloc.h"

#define INBOX_PREFIX		"inbox-"
#define INBOX_TOKEN_CHARS	10
#define INBOX_TOKEN_LEN		(sizeof INBOX_PREFIX - 1 + INBOX_TOKEN_CHARS)
/* No 0/O, 1/I/L, 2/Z, 5/S, 6/G, 8/B: read aloud or copied by hand, it survives. */
#define INBOX_ALPHABET		"ACDEFHJKMNPRTUVWXY3479"
#define INBOX_MAX_FILES		5
#define INBOX_NAME_MAX		100		/* characters of a file name */
#define INBOX_BUDGET		(256u * 1024 * 1024)	/* bytes held by all inboxes */
#define INBOX_SFTP_HANDLES	16		/* open handles per SFTP session */
#define INBOX_POLL_MS		500		/* how often a waiting SFTP session looks up */
#define INBOX_READ_MAX		65536		/* bytes of one SFTP read reply */

struct inbox_file {
	char		*name;
	unsigned char	*data;
	size_t		 size;		/* highest offset written */
	size_t		 cap;		/* allocated, counted in inbox_bytes */
	int		 writers;	/* SFTP handles open on it */
	/* SHA-256 kept up as writes arrive in order (scp writes in order). */
	crypto_hash_sha256_state hash;
	size_t		 hashed;	/* data[0..hashed) is in hash */
	bool		 in_order;	/* no write has skipped back or ahead */
	char		 sha256[65];	/* lower-case hex; valid when writers == 0 */
	const char	*failed;	/* reason word: the transfer went wrong; NULL if not */
	char		 source[48];	/* address of the uploader, for its share */
	time_t		 last_write;	/* monotonic s: opened, or the last write */
};

struct inbox {
	char		 token[INBOX_TOKEN_LEN + 1];
	struct session	*owner;		/* NULL once the owner's session ended */
	int		 refs;
	int64_t		 account_id;	/* the owner's, for its share of the budget */
	size_t		 max_file;	/* bytes, from declarations.max_attachment */
	struct inbox_file *files[INBOX_MAX_FILES];
	size_t		 n_files;
	struct inbox	*next;		/* inbox_list */
};

static pthread_mutex_t inbox_lock = PTHREAD_MUTEX_INITIALIZER;
static struct inbox *inbox_list;	/* open inboxes (owner != NULL) */
static size_t inbox_bytes;		/* every file's cap, summed */

bool
inbox_is_token(const char *user)
{
	size_t n = sizeof INBOX_PREFIX - 1;

	if (user == NULL || strlen(user) != INBOX_TOKEN_LEN || strncmp(user, INBOX_PREFIX, n) != 0)
		return false;
	return strspn(user + n, INBOX_ALPHABET) == INBOX_TOKEN_CHARS;
}

/* --- files and the registry (callers hold inbox_lock) ---------------------- */

static void
inbox_file_free(struct inbox_file *f)
{
	if (f == NULL)
		return;
	inbox_bytes -= f->cap;
	sodium_memzero(f->data, f->cap);	/* scans of people's certificates */
	free(f->data);
	free(f->name);
	free(f);
}

static void
inbox_unref(struct inbox *ib)
{
	if (--ib->refs > 0)
		return;
	for (size_t i = 0; i < ib->n_files; i++)
		inbox_file_free(ib->files[i]);
	free(ib);
}

static struct inbox_file *
inbox_find(struct inbox *ib, const char *name, size_t *index)
{
	for (size_t i = 0; i < ib->n_files; i++) {
		if (strcmp(ib->files[i]->name, name) == 0) {
			if (index != NULL)
				*index = i;
			return ib->files[i];
		}
	}
	return NULL;
}

static void
inbox_drop(struct inbox *ib, size_t index)
{
	inbox_file_free(ib->files[index]);
	ib->files[index] = ib->files[--ib->n_files];
	ib->files[ib->n_files] = NULL;
}

/*
 * The transfer of f went wrong (reason): its bytes go now, so a partial
 * file can never be taken for a whole one, and it leaves the inbox when
 * its handle closes (inbox_sftp_handle_close).
 */
static void
inbox_file_fail(struct inbox_file *f, const char *reason)
{
	if (f->failed != NULL)
		return;
	f->failed = reason;
	inbox_bytes -= f->cap;
	sodium_memzero(f->data, f->cap);
	free(f->data);
	f->data = NULL;
	f->cap = f->size = f->hashed = 0;
	f->sha256[0] = '\0';
}

/*
 * Fail every file being written that has had no data for the stall
 * timeout, in all open inboxes (whole seconds, as upload_sweep counts).
 */
static void
inbox_sweep(const struct config *cfg, time_t now)
{
	int timeout = cfg->uploads_stall_timeout;

	for (struct inbox *ib = inbox_list; ib != NULL; ib = ib->next) {
		for (size_t i = 0; i < ib->n_files; i++) {
			struct inbox_file *f = ib->files[i];

			if (f->writers == 0 || f->failed != NULL || now - f->last_write <= timeout)
				continue;
			log_info("inbox of account %lld: %s from %s: no data for %d s, dropped "
			    "(%zu bytes received)", (long long)ib->account_id, f->name, f->source,
			    timeout, f->size);
			inbox_file_fail(f, "upload_stalled");
		}
	}
}

/* What account and source hold of the inboxes' budget. */
static void
inbox_share(int64_t account_id, const char *source, struct upload_share *share)
{
	memset(share, 0, sizeof *share);
	for (struct inbox *ib = inbox_list; ib != NULL; ib = ib->next) {
		for (size_t i = 0; i < ib->n_files; i++) {
			const struct inbox_file *f = ib->files[i];
			bool writing = f->writers > 0 && f->failed == NULL;

			if (ib->account_id == account_id) {
				share->account_uploads += writing;
				share->account_bytes += f->cap;
			}
			if (strcmp(f->source, source) == 0) {
				share->source_uploads += writing;
				share->source_bytes += f->cap;
			}
		}
	}
}

/* Begin (or begin again, truncated) the content of f. */
static void
inbox_file_reset(struct inbox_file *f)
{
	sodium_memzero(f->data, f->size);
	f->size = 0;
	f->hashed = 0;
	f->in_order = true;
	f->sha256[0] = '\0';
	f->failed = NULL;
	crypto_hash_sha256_init(&f->hash);
}

/* The hex SHA-256 of f, from the running hash when every write came in order. */
static void
inbox_file_finish(struct inbox_file *f)
{
	unsigned char digest[crypto_hash_sha256_BYTES];

	if (!f->in_order || f->hashed != f->size) {
		crypto_hash_sha256_init(&f->hash);
		crypto_hash_sha256_update(&f->hash, f->data, f->size);
	}
	crypto_hash_sha256_final(&f->hash, digest);
	sodium_bin2hex(f->sha256, sizeof f->sha256, digest, sizeof digest);
	/* Ready for a later append: the state is spent. */
	f->in_order = false;
}

/*
 * Write len bytes at offset into f of ib, growing it within ib's largest
 * file, the budget and the shares.  Returns NULL, or the reason word the
 * file failed with (inbox_file_fail: a refused write spoils the file).
 */
static const char *
inbox_file_write(const struct config *cfg, struct inbox *ib, struct inbox_file *f,
    uint64_t offset, const void *data, size_t len)
{
	size_t max = ib->max_file, end;
	struct upload_share share;
	const char *why;

	if (f->failed != NULL)
		return f->failed;
	if (offset > max || len > max - offset) {
		inbox_file_fail(f, "inbox_file_too_large");
		return f->failed;
	}
	end = (size_t)offset + len;
	if (end > f->cap) {
		size_t cap = f->cap < 65536 ? 65536 : f->cap;

		while (cap < end)
			cap *= 2;
		if (cap > max)
			cap = max;
		inbox_sweep(cfg, upload_now());
		inbox_share(ib->account_id, f->source, &share);
		why = upload_share_refusal(cfg, &share, cap - f->cap, false);
		if (why == NULL && inbox_bytes + (cap - f->cap) > INBOX_BUDGET)
			why = "uploads_busy";
		if (why != NULL) {
			inbox_file_fail(f, why);
			return why;
		}
		f->data = xrealloc(f->data, cap);
		memset(f->data + f->cap, 0, cap - f->cap);
		inbox_bytes += cap - f->cap;
		f->cap = cap;
	}
	memcpy(f->data + offset, data, len);
	if (f->in_order && offset == f->hashed) {
		crypto_hash_sha256_update(&f->hash, f->data + offset, len);
		f->hashed = end;
	} else {
		f->in_order = false;	/* hashed whole when the file closes */
	}
	if (end > f->size)
		f->size = end;
	f->last_write = upload_now();
	return NULL;
}

/*
 * The sentence of a reason a file failed or was refused with, in lang,
 * its number filled in.  Caller frees.
 */
static char *
inbox_reason_text(const struct config *cfg, const struct inbox *ib, enum lang lang,
    const char *reason)
{
	char size[32];

	if (strcmp(reason, "inbox_file_too_large") != 0)
		return upload_reason_text(cfg, lang, reason);
	attachment_size_text(ib->max_file, size, sizeof size);
	return xasprintf(message_get(lang, reason), size);
}

/* A name a person will see: clean text, no path, not "." or "..". */
static bool
inbox_name_valid(const char *name)
{
	return text_clean(name, false, 1, INBOX_NAME_MAX) && strpbrk(name, "/\\") == NULL &&
	    strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* A fresh token no open inbox has (callers hold inbox_lock). */
static void
inbox_new_token(char token[INBOX_TOKEN_LEN + 1])
{
	static const char alphabet[] = INBOX_ALPHABET;

	for (;;) {
		bool taken = false;

		memcpy(token, INBOX_PREFIX, sizeof INBOX_PREFIX - 1);
		for (size_t i = 0; i < INBOX_TOKEN_CHARS; i++)
			token[sizeof INBOX_PREFIX - 1 + i] =
			    alphabet[randombytes_uniform(sizeof alphabet - 1)];
		token[INBOX_TOKEN_LEN] = '\0';
		for (struct inbox *ib = inbox_list; ib != NULL; ib = ib->next)
			taken |= strcmp(ib->token, token) == 0;
		if (!taken)
			return;
	}
}

/* Largest file an inbox takes: the declarations' attachment limit. */
static size_t
inbox_max_file(const struct config *cfg)
{
	return cfg->decl_max_attachment > 0 ? (size_t)cfg->decl_max_attachment :
	    10u * 1024 * 1024;
}

void
inbox_close(struct session *s)
{
	struct inbox *ib = s->inbox;

	if (ib == NULL)
		return;
	pthread_mutex_lock(&inbox_lock);
	for (struct inbox **p = &inbox_list; *p != NULL; p = &(*p)->next) {
		if (*p == ib) {
			*p = ib->next;
			break;
		}
	}
	ib->owner = NULL;
	ib->next = NULL;
	inbox_unref(ib);
	pthread_mutex_unlock(&inbox_lock);
	s->inbox = NULL;
}

const char *
inbox_take(struct session *owner, const char *name, char **data, size_t *size,
    char **filename)
{
	struct inbox *ib = owner->inbox;
	struct inbox_file *f;
	const char *why = NULL;
	size_t i;

	*data = NULL;
	*size = 0;
	*filename = NULL;
	if (ib == NULL || name == NULL)
		return "inbox_file_not_found";
	pthread_mutex_lock(&inbox_lock);
	if ((f = inbox_find(ib, name, &i)) == NULL) {
		why = "inbox_file_not_found";
	} else if (f->failed != NULL) {
		why = f->failed;
	} else if (f->writers > 0) {
		why = "inbox_busy";
	} else {
		*data = (char *)f->data;
		*size = f->size;
		*filename = f->name;
		inbox_bytes -= f->cap;
		f->data = NULL;
		f->name = NULL;
		f->cap = f->size = 0;
		inbox_drop(ib, i);
	}
	pthread_mutex_unlock(&inbox_lock);
	return why;
}

/* --- RPC methods --------------------------------------------------------- */

/*
 * The address this session reached us on, as a host part for scp: the
 * name people typed is not known to the server, but the address they
 * reached works from where they are.
 */
static void
inbox_host(const struct session *s, char *out, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[INET6_ADDRSTRLEN] = "";

	snprintf(out, size, "HOST");
	if (getsockname(s->fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
		snprintf(out, size, "%s", host);
	} else if (ss.ss_family == AF_INET6) {
		const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			inet_ntop(AF_INET, &a->s6_addr[12], host, sizeof host);
			snprintf(out, size, "%s", host);
		} else {
			inet_ntop(AF_INET6, a, host, sizeof host);
			snprintf(out, size, "[%s]", host);
		}
	}
}

static json_t *
inbox_limits(const struct inbox *ib)
{
	return json_pack("{s:i, s:I}", "files", INBOX_MAX_FILES, "file_size",
	    (json_int_t)ib->max_file);
}

/* The session's inbox, or NULL after rpc_fail. */
static struct inbox *
inbox_of(struct rpc_call *call)
{
	if (call->session->inbox == NULL)
		rpc_fail(call, RPC_NOT_FOUND, "inbox_not_open", NULL, NULL);
	return call->session->inbox;
}

/*
 * inbox.open: this session's inbox (the one it has, or a new one) and the
 * commands that fill it.
 */
static int
inbox_open(struct rpc_call *call)
{
	struct session *s = call->session;
	const struct config *cfg = call->cfg;
	struct inbox *ib = s->inbox;
	char host[INET6_ADDRSTRLEN + 2];

	if (ib == NULL) {
		ib = xcalloc(1, sizeof *ib);
		ib->owner = s;
		ib->refs = 1;
		ib->account_id = s->account_id;
		ib->max_file = inbox_max_file(cfg);
		pthread_mutex_lock(&inbox_lock);
		inbox_new_token(ib->token);
		ib->next = inbox_list;
		inbox_list = ib;
		pthread_mutex_unlock(&inbox_lock);
		s->inbox = ib;
		log_info("session %lu: opened an upload inbox", s->serial);
	}
	inbox_host(s, host, sizeof host);
	char *scp = xasprintf("scp -P %d FILE %s@%s:", cfg->port, ib->token, host);
	char *sftp = xasprintf("sftp -P %d %s@%s", cfg->port, ib->token, host);
	call->result = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:s}",
	    "token", ib->token, "command", scp, "sftp", sftp, "host", host,
	    "port", cfg->port, "limits", inbox_limits(ib),
	    "hint", message_get(s->lang, "inbox_hint"));
	free(scp);
	free(sftp);
	return 0;
}

static int
inbox_list_files(struct rpc_call *call)
{
	enum lang lang = call->session->lang;
	struct inbox *ib;
	json_t *files, *uploading, *failed;
	char *text;

	if ((ib = inbox_of(call)) == NULL)
		return -1;
	files = json_array();
	uploading = json_array();
	failed = json_array();
	pthread_mutex_lock(&inbox_lock);
	inbox_sweep(call->cfg, upload_now());
	for (size_t i = 0; i < ib->n_files; i++) {
		const struct inbox_file *f = ib->files[i];

		if (f->failed != NULL) {
			text = inbox_reason_text(call->cfg, ib, lang, f->failed);
			json_array_append_new(failed, json_pack("{s:s, s:s, s:s}", "name",
			    f->name, "reason", f->failed, "message", text));
			free(text);
		} else if (f->writers == 0) {
			json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "name", f->name,
			    "size", (json_int_t)f->size, "sha256", f->sha256));
		} else {
			json_array_append_new(uploading, json_pack("{s:s, s:I}", "name",
			    f->name, "size", (json_int_t)f->size));
		}
	}
	pthread_mutex_unlock(&inbox_lock);
	call->result = json_pack("{s:s, s:o, s:o, s:o, s:o}", "token", ib->token, "files",
	    files, "uploading", uploading, "failed", failed, "limits", inbox_limits(ib));
	return 0;
}

static int
inbox_remove(struct rpc_call *call)
{
	const char *name = rpc_param_string(call, "name");
	struct inbox *ib;
	struct inbox_file *f;
	size_t i;
	int rc;

	if ((ib = inbox_of(call)) == NULL)
		return -1;
	pthread_mutex_lock(&inbox_lock);
	if ((f = inbox_find(ib, name, &i)) == NULL) {
		rc = rpc_fail(call, RPC_NOT_FOUND, "inbox_file_not_found", NULL, NULL);
	} else if (f->writers > 0) {
		rc = rpc_fail(call, RPC_CONFLICT, "inbox_busy", NULL, NULL);
	} else {
		inbox_drop(ib, i);
		call->result = json_pack("{s:s}", "removed", name);
		rc = 0;
	}
	pthread_mutex_unlock(&inbox_lock);
	return rc;
}

/*
 * inbox.attach: make a file of the inbox the session's attachment upload,
 * as attachment.finish does; the file leaves the inbox.  The result is
 * attachment.finish's: a token that declaration.save/submit then name.
 */
int
inbox_take_for(struct rpc_call *call, const char *name, const char *field, char **data,
    size_t *size, char **filename)
{
	enum lang lang = call->session->lang;
	char *cause, *message;
	const char *why;
	struct inbox *ib;

	if ((ib = inbox_of(call)) == NULL)
		return -1;
	if ((why = inbox_take(call->session, name, data, size, filename)) != NULL) {
		if (strcmp(why, "inbox_file_not_found") == 0)
			return rpc_fail(call, RPC_NOT_FOUND, why, field, NULL);
		if (strcmp(why, "inbox_busy") == 0)
			return rpc_fail(call, RPC_CONFLICT, why, field, NULL);
		/* Its transfer went wrong: say which file and what happened. */
		cause = inbox_reason_text(call->cfg, ib, lang, why);
		message = xasprintf(message_get(lang, "inbox_file_failed"), name, cause);
		rpc_fail(call, RPC_CONFLICT, "inbox_file_failed", field, message);
		call->error_data = json_pack("{s:s}", "cause", why);
		free(cause);
		free(message);
		return -1;
	}
	return 0;
}

static int
inbox_attach(struct rpc_call *call)
{
	const char *name = rpc_param_string(call, "name");
	struct upload_view v;
	char *data, *filename, token[33];
	const char *why;
	size_t size;

	if (inbox_take_for(call, name, "name", &data, &size, &filename) != 0)
		return -1;
	why = upload_adopt(call->cfg, call->session, filename, (unsigned char *)data, size, token, &v);
	free(filename);
	if (why != NULL)
		return attachment_refuse(call, why);
	call->result = json_pack("{s:s, s:s, s:s, s:I, s:s}", "attachment_token", token,
	    "name", v.name, "mime", v.mime, "size", (json_int_t)v.size, "sha256", v.sha256);
	return 0;
}

static const struct rpc_param inbox_name_params[] = {
	{ "name", T_STRING, true },
	{ NULL, 0, false },
};

const struct rpc_method rpc_inbox_methods[] = {
	{ "inbox.open", NULL, ROLE_ACCOUNT, false, inbox_open },
	{ "inbox.list", NULL, ROLE_ACCOUNT, false, inbox_list_files },
	{ "inbox.remove", inbox_name_params, ROLE_ACCOUNT, false, inbox_remove },
	{ "inbox.attach", inbox_name_params, ROLE_STAFF, false, inbox_attach },
	{ NULL, NULL, 0, false, NULL },
};

/* --- the SFTP server ----------------------------------------------------- */

enum inbox_handle_kind { HANDLE_FREE, HANDLE_FILE, HANDLE_DIR, HANDLE_READ };

struct inbox_handle {
	enum inbox_handle_kind kind;
	struct inbox_file *file;	/* HANDLE_FILE: its writers counts us */
	bool		 append;
	bool		 listed;	/* HANDLE_DIR: READDIR has answered once */
	/*
	 * HANDLE_READ: a file of the owner's outbox, by name and version.  A
	 * reader holds no bytes (outbox_read copies each slice), so one that
	 * never reads costs nothing but its slot until the session ends.
	 */
	char		*name;
	uint64_t	 serial;
};

struct inbox_sftp {
	struct session	*s;
	ssh_channel	 channel;
	const struct config *cfg;	/* in force: taken again before each request */
	sftp_session	 sftp;
	struct inbox	*ib;		/* NULL: a wrong token, everything is refused */
	struct inbox_handle handles[INBOX_SFTP_HANDLES];
	unsigned long	 bytes;		/* written, for the log */
	unsigned long	 bytes_read;	/* read from the outbox, for the log */
};

/* Look an inbox up by token and take a reference; NULL when none is open. */
static struct inbox *
inbox_acquire(const char *token)
{
	struct inbox *found = NULL;

	if (!inbox_is_token(token))
		return NULL;
	pthread_mutex_lock(&inbox_lock);
	for (struct inbox *ib = inbox_list; ib != NULL; ib = ib->next) {
		if (sodium_memcmp(ib->token, token, INBOX_TOKEN_LEN) == 0) {
			found = ib;
			found->refs++;
			break;
		}
	}
	pthread_mutex_unlock(&inbox_lock);
	return found;
}

/*
 * The inbox's file name a path means: the inbox is one flat directory, so
 * "scan.pdf", "./scan.pdf" and "/scan.pdf" are the same file.  Returns ""
 * for the directory itself, NULL for a path into a subdirectory.
 */
static const char *
inbox_sftp_path_name(const char *path)
{
	while (*path == '/' || (path[0] == '.' && (path[1] == '/' || path[1] == '\0'))) {
		path += path[0] == '.' ? 1 : 0;
		while (*path == '/')
			path++;
	}
	/* "dir/name" (or "name/") is somewhere the inbox does not have. */
	return strchr(path, '/') == NULL ? path : NULL;
}

static void
inbox_sftp_attr_dir(struct sftp_attributes_struct *a)
{
	memset(a, 0, sizeof *a);
	a->flags = SSH_FILEXFER_ATTR_PERMISSIONS | SSH_FILEXFER_ATTR_SIZE |
	    SSH_FILEXFER_ATTR_ACMODTIME;
	a->permissions = S_IFDIR | 0700;
	a->atime = a->mtime = (uint32_t)time(NULL);
}

static void
inbox_sftp_attr_size(struct sftp_attributes_struct *a, size_t size)
{
	memset(a, 0, sizeof *a);
	a->flags = SSH_FILEXFER_ATTR_PERMISSIONS | SSH_FILEXFER_ATTR_SIZE |
	    SSH_FILEXFER_ATTR_ACMODTIME;
	a->permissions = S_IFREG | 0600;
	a->size = size;
	a->atime = a->mtime = (uint32_t)time(NULL);
}

static void
inbox_sftp_attr_file(struct sftp_attributes_struct *a, const struct inbox_file *f)
{
	inbox_sftp_attr_size(a, f->size);
}

/* A handle string naming slot i. */
static ssh_string
inbox_sftp_handle_string(size_t i)
{
	ssh_string h = ssh_string_new(4);
	uint32_t v = (uint32_t)i;

	if (h != NULL)
		memcpy(ssh_string_data(h), &v, 4);
	return h;
}

/* The slot a handle string names, or NULL when it names none in use. */
static struct inbox_handle *
inbox_sftp_handle_get(struct inbox_sftp *st, ssh_string h, enum inbox_handle_kind kind)
{
	uint32_t v;

	if (h == NULL || ssh_string_len(h) != 4)
		return NULL;
	memcpy(&v, ssh_string_data(h), 4);
	if (v >= INBOX_SFTP_HANDLES || st->handles[v].kind != kind)
		return NULL;
	return &st->handles[v];
}

/*
 * Close a handle of ib (callers hold inbox_lock).  clean: by the client's
 * SFTP close; otherwise the connection ended with the file open, so what
 * arrived may be only part of it and the file fails.  A failed file leaves
 * the inbox with its last handle: nothing of it can be attached.
 */
static void
inbox_sftp_handle_close(struct inbox *ib, struct inbox_handle *h, bool clean)
{
	struct inbox_file *f = h->file;
	size_t i;

	if (h->kind == HANDLE_FILE) {
		if (!clean)
			inbox_file_fail(f, "inbox_file_interrupted");
		if (--f->writers == 0) {
			if (f->failed == NULL)
				inbox_file_finish(f);
			else if (inbox_find(ib, f->name, &i) == f)
				inbox_drop(ib, i);
		}
	}
	free(h->name);
	memset(h, 0, sizeof *h);
}

/* Tell the SFTP client why: the reason's sentence in the session's language, and its word. */
static void
inbox_sftp_refuse(struct inbox_sftp *st, sftp_client_message msg, const char *reason)
{
	char *text = inbox_reason_text(st->cfg, st->ib, st->s->lang, reason);
	char *status = xasprintf("%s (%s)", text, reason);

	sftp_reply_status(msg, SSH_FX_FAILURE, status);
	free(status);
	free(text);
}

static int
inbox_sftp_handle_new(struct inbox_sftp *st)
{
	for (int i = 0; i < INBOX_SFTP_HANDLES; i++) {
		if (st->handles[i].kind == HANDLE_FREE)
			return i;
	}
	return -1;
}

/*
 * Read from the outbox of st's inbox's owner (outbox_read's contract);
 * -1 also once the owner's session has ended.
 */
static int
inbox_sftp_outbox_read(struct inbox_sftp *st, const char *name, uint64_t serial,
    uint64_t offset, char *buf, size_t max, size_t *got, size_t *size, uint64_t *found)
{
	int rc = -1;

	*got = *size = 0;
	pthread_mutex_lock(&inbox_lock);
	if (st->ib->owner != NULL)
		rc = outbox_read(st->ib->owner, name, serial, offset, buf, max, got, size, found);
	pthread_mutex_unlock(&inbox_lock);
	return rc;
}

/*
 * Open a file the daemon handed to the owner (outbox.h) for reading: only
 * the owner's outbox is looked in, by a name that is no path, so a token
 * reaches its own session's files and nothing else.  What was uploaded is
 * never read back.
 */
static void
inbox_sftp_open_read(struct inbox_sftp *st, sftp_client_message msg, const char *name)
{
	uint64_t serial = 0;
	ssh_string handle;
	size_t got, size;
	int slot;

	if (name == NULL || !outbox_name_valid(name) ||
	    inbox_sftp_outbox_read(st, name, 0, 0, NULL, 0, &got, &size, &serial) != 0) {
		sftp_reply_status(msg, SSH_FX_NO_SUCH_FILE,
		    "no such file to download: make it again in the application");
		return;
	}
	if ((slot = inbox_sftp_handle_new(st)) < 0 ||
	    (handle = inbox_sftp_handle_string((size_t)slot)) == NULL) {
		sftp_reply_status(msg, SSH_FX_FAILURE, "too many open files");
		return;
	}
	st->handles[slot] = (struct inbox_handle){ .kind = HANDLE_READ, .name = xstrdup(name),
	    .serial = serial };
	log_info("session %lu: downloading %s (%zu bytes)", st->s->serial, name, size);
	sftp_reply_handle(msg, handle);
	ssh_string_free(handle);
}

/* A slice of a file being downloaded; EOF at its end. */
static void
inbox_sftp_read(struct inbox_sftp *st, sftp_client_message msg)
{
	struct inbox_handle *h = inbox_sftp_handle_get(st, msg->handle, HANDLE_READ);
	size_t max = msg->len < INBOX_READ_MAX ? msg->len : INBOX_READ_MAX, got, size;
	char *buf;

	if (h == NULL) {
		sftp_reply_status(msg, SSH_FX_INVALID_HANDLE, "no such handle");
		return;
	}
	buf = xmalloc(INBOX_READ_MAX);
	if (inbox_sftp_outbox_read(st, h->name, h->serial, msg->offset, buf, max, &got, &size,
	    NULL) != 0) {
		/* Replaced by a newer one, or gone with the session: no mixed file. */
		sftp_reply_status(msg, SSH_FX_NO_SUCH_FILE,
		    "the file was replaced or removed: download it again");
	} else if (got == 0) {
		sftp_reply_status(msg, SSH_FX_EOF, NULL);
	} else {
		sftp_reply_data(msg, buf, (int)got);
		st->bytes_read += got;
	}
	sodium_memzero(buf, got);
	free(buf);
}

static void
inbox_sftp_open(struct inbox_sftp *st, sftp_client_message msg)
{
	struct inbox *ib = st->ib;
	const char *name = inbox_sftp_path_name(msg->filename);
	uint32_t flags = msg->flags;
	struct upload_share share;
	struct inbox_file *f;
	const char *why;
	ssh_string handle;
	int slot;

	if (flags & SSH_FXF_READ && !(flags & SSH_FXF_WRITE)) {
		inbox_sftp_open_read(st, msg, name);
		return;
	}
	if (flags & SSH_FXF_READ || !(flags & SSH_FXF_WRITE)) {
		sftp_reply_status(msg, SSH_FX_PERMISSION_DENIED,
		    "a file is either uploaded or downloaded, not both");
		return;
	}
	if (name == NULL || *name == '\0' || !inbox_name_valid(name)) {
		sftp_reply_status(msg, SSH_FX_FAILURE,
		    "a file name of 1 to 100 characters, without control characters");
		return;
	}
	if ((slot = inbox_sftp_handle_new(st)) < 0) {
		sftp_reply_status(msg, SSH_FX_FAILURE, "too many open files");
		return;
	}
	pthread_mutex_lock(&inbox_lock);
	/* One more file being written, for the owner's account and this address. */
	inbox_sweep(st->cfg, upload_now());
	inbox_share(ib->account_id, st->s->source, &share);
	if ((why = upload_share_refusal(st->cfg, &share, 0, true)) != NULL) {
		pthread_mutex_unlock(&inbox_lock);
		log_info("session %lu: inbox upload of %s refused: %s", st->s->serial, name, why);
		inbox_sftp_refuse(st, msg, why);
		return;
	}
	if ((f = inbox_find(ib, name, NULL)) != NULL) {
		if (f->writers > 0) {
			pthread_mutex_unlock(&inbox_lock);
			sftp_reply_status(msg, SSH_FX_FAILURE, "that file is being uploaded");
			return;
		}
		if (flags & SSH_FXF_EXCL) {
			pthread_mutex_unlock(&inbox_lock);
			sftp_reply_status(msg, SSH_FX_FAILURE, "the file exists");
			return;
		}
		if (flags & SSH_FXF_TRUNC || !(flags & SSH_FXF_APPEND))
			inbox_file_reset(f);
	} else if (!(flags & SSH_FXF_CREAT)) {
		pthread_mutex_unlock(&inbox_lock);
		sftp_reply_status(msg, SSH_FX_NO_SUCH_FILE, "no such file");
		return;
	} else if (ib->n_files >= INBOX_MAX_FILES) {
		pthread_mutex_unlock(&inbox_lock);
		sftp_reply_status(msg, SSH_FX_FAILURE,
		    "inbox full: it holds at most 5 files; remove one in the application first");
		return;
	} else {
		f = xcalloc(1, sizeof *f);
		f->name = xstrdup(name);
		inbox_file_reset(f);
		ib->files[ib->n_files++] = f;
	}
	f->writers++;
	snprintf(f->source, sizeof f->source, "%s", st->s->source);
	f->last_write = upload_now();
	st->handles[slot] = (struct inbox_handle){ .kind = HANDLE_FILE, .file = f,
	    .append = (flags & SSH_FXF_APPEND) != 0 };
	pthread_mutex_unlock(&inbox_lock);
	if ((handle = inbox_sftp_handle_string(slot)) == NULL) {
		sftp_reply_status(msg, SSH_FX_FAILURE, "out of memory");
		return;
	}
	sftp_reply_handle(msg, handle);
	ssh_string_free(handle);
}

static void
inbox_sftp_write(struct inbox_sftp *st, sftp_client_message msg)
{
	struct inbox_handle *h = inbox_sftp_handle_get(st, msg->handle, HANDLE_FILE);
	const char *why;
	size_t len;

	if (h == NULL || msg->data == NULL) {
		sftp_reply_status(msg, SSH_FX_INVALID_HANDLE, "no such handle");
		return;
	}
	len = ssh_string_len(msg->data);
	pthread_mutex_lock(&inbox_lock);
	why = inbox_file_write(st->cfg, st->ib, h->file, h->append ? h->file->size : msg->offset,
	    ssh_string_data(msg->data), len);
	pthread_mutex_unlock(&inbox_lock);
	if (why != NULL) {
		log_info("session %lu: inbox file %s failed: %s", st->s->serial,
		    h->file->name, why);
		inbox_sftp_refuse(st, msg, why);
		return;
	}
	st->bytes += len;
	sftp_reply_status(msg, SSH_FX_OK, NULL);
}

static void
inbox_sftp_stat(struct inbox_sftp *st, sftp_client_message msg)
{
	struct sftp_attributes_struct a;
	const char *name = inbox_sftp_path_name(msg->filename);
	struct inbox_file *f;
	size_t got, size;
	bool found;

	if (name != NULL && *name == '\0') {
		inbox_sftp_attr_dir(&a);
		sftp_reply_attr(msg, &a);
		return;
	}
	pthread_mutex_lock(&inbox_lock);
	f = name != NULL ? inbox_find(st->ib, name, NULL) : NULL;
	if (f != NULL)
		inbox_sftp_attr_file(&a, f);
	pthread_mutex_unlock(&inbox_lock);
	found = f != NULL;
	/* Else a file to download (which scp and sftp look at first). */
	if (!found && name != NULL && outbox_name_valid(name) &&
	    inbox_sftp_outbox_read(st, name, 0, 0, NULL, 0, &got, &size, NULL) == 0) {
		inbox_sftp_attr_size(&a, size);
		found = true;
	}
	if (!found)
		sftp_reply_status(msg, SSH_FX_NO_SUCH_FILE, "no such file");
	else
		sftp_reply_attr(msg, &a);
}

static void
inbox_sftp_realpath(struct inbox_sftp *st, sftp_client_message msg)
{
	struct sftp_attributes_struct a;
	const char *name = inbox_sftp_path_name(msg->filename);
	char *path;

	if (name == NULL) {
		sftp_reply_status(msg, SSH_FX_NO_SUCH_FILE, "the inbox has no directories");
		return;
	}
	path = xasprintf("/%s", name);
	inbox_sftp_attr_dir(&a);
	sftp_reply_name(msg, path, &a);
	free(path);
}

struct inbox_listing {
	sftp_client_message msg;
	int		 n;
};

/* A file of the outbox in a READDIR reply (outbox_each's callback). */
static void
inbox_sftp_list_outbox(const char *name, size_t size, void *arg)
{
	struct inbox_listing *l = arg;
	struct sftp_attributes_struct a;
	char longname[512];

	inbox_sftp_attr_size(&a, size);
	snprintf(longname, sizeof longname, "-r--------    1 jxjy     jxjy     %10zu %s", size,
	    name);
	sftp_reply_names_add(l->msg, name, longname, &a);
	l->n++;
}

static void
inbox_sftp_readdir(struct inbox_sftp *st, sftp_client_message msg)
{
	struct inbox_handle *h = inbox_sftp_handle_get(st, msg->handle, HANDLE_DIR);
	struct sftp_attributes_struct a;
	char longname[256];
	int n = 0;

	if (h == NULL) {
		sftp_reply_status(msg, SSH_FX_INVALID_HANDLE, "no such handle");
		return;
	}
	if (h->listed) {
		sftp_reply_status(msg, SSH_FX_EOF, NULL);
		return;
	}
	h->listed = true;
	pthread_mutex_lock(&inbox_lock);
	for (size_t i = 0; i < st->ib->n_files; i++) {
		const struct inbox_file *f = st->ib->files[i];

		if (f->failed != NULL)
			continue;	/* nothing of it is kept */
		inbox_sftp_attr_file(&a, f);
		snprintf(longname, sizeof longname, "-rw-------    1 inbox    inbox    %10zu %s",
		    f->size, f->name);
		sftp_reply_names_add(msg, f->name, longname, &a);
		n++;
	}
	if (st->ib->owner != NULL) {
		struct inbox_listing l = { .msg = msg };

		outbox_each(st->ib->owner, inbox_sftp_list_outbox, &l);
		n += l.n;
	}
	pthread_mutex_unlock(&inbox_lock);
	if (n == 0)
		sftp_reply_status(msg, SSH_FX_EOF, NULL);
	else
		sftp_reply_names(msg);
}

static void
inbox_sftp_remove(struct inbox_sftp *st, sftp_client_message msg)
{
	const char *name = inbox_sftp_path_name(msg->filename);
	struct inbox_file *f;
	size_t i;
	uint32_t status = SSH_FX_OK;
	const char *why = NULL;

	pthread_mutex_lock(&inbox_lock);
	if (name == NULL || (f = inbox_find(st->ib, name, &i)) == NULL) {
		status = SSH_FX_NO_SUCH_FILE;
		why = "no such file";
	} else if (f->writers > 0) {
		status = SSH_FX_FAILURE;
		why = "that file is being uploaded";
	} else {
		inbox_drop(st->ib, i);
	}
	pthread_mutex_unlock(&inbox_lock);
	sftp_reply_status(msg, status, why);
}

/* Answer one request; false when the session must end. */
static bool
inbox_sftp_handle_message(struct inbox_sftp *st, sftp_client_message msg)
{
	struct sftp_attributes_struct a;
	struct inbox_handle *h;
	ssh_string handle;
	bool closed;
	int slot;

	pthread_mutex_lock(&inbox_lock);
	closed = st->ib != NULL && st->ib->owner == NULL;
	pthread_mutex_unlock(&inbox_lock);
	if (st->ib == NULL || closed) {
		/* A wrong token, or the session that opened the inbox has ended. */
		sftp_reply_status(msg, SSH_FX_PERMISSION_DENIED,
		    closed ? "this inbox is closed: open a new one in the application" :
		    "no such inbox: check the command shown by the application");
		return !closed;
	}
	switch (msg->type) {
	case SSH_FXP_REALPATH:
		inbox_sftp_realpath(st, msg);
		break;
	case SSH_FXP_STAT:
	case SSH_FXP_LSTAT:
		inbox_sftp_stat(st, msg);
		break;
	case SSH_FXP_FSTAT:
		if ((h = inbox_sftp_handle_get(st, msg->handle, HANDLE_FILE)) != NULL) {
			pthread_mutex_lock(&inbox_lock);
			inbox_sftp_attr_file(&a, h->file);
			pthread_mutex_unlock(&inbox_lock);
		} else if ((h = inbox_sftp_handle_get(st, msg->handle, HANDLE_DIR)) != NULL) {
			inbox_sftp_attr_dir(&a);
		} else if ((h = inbox_sftp_handle_get(st, msg->handle, HANDLE_READ)) != NULL) {
			size_t got, size;

			if (inbox_sftp_outbox_read(st, h->name, h->serial, 0, NULL, 0, &got,
			    &size, NULL) != 0) {
				sftp_reply_status(msg, SSH_FX_NO_SUCH_FILE,
				    "the file was replaced or removed: download it again");
				break;
			}
			inbox_sftp_attr_size(&a, size);
		}
		if (h == NULL)
			sftp_reply_status(msg, SSH_FX_INVALID_HANDLE, "no such handle");
		else
			sftp_reply_attr(msg, &a);
		break;
	case SSH_FXP_OPEN:
		inbox_sftp_open(st, msg);
		break;
	case SSH_FXP_WRITE:
		inbox_sftp_write(st, msg);
		break;
	case SSH_FXP_CLOSE:
		pthread_mutex_lock(&inbox_lock);
		if ((h = inbox_sftp_handle_get(st, msg->handle, HANDLE_FILE)) == NULL &&
		    (h = inbox_sftp_handle_get(st, msg->handle, HANDLE_DIR)) == NULL)
			h = inbox_sftp_handle_get(st, msg->handle, HANDLE_READ);
		if (h != NULL)
			inbox_sftp_handle_close(st->ib, h, true);
		pthread_mutex_unlock(&inbox_lock);
		sftp_reply_status(msg, h != NULL ? SSH_FX_OK : SSH_FX_INVALID_HANDLE,
		    h != NULL ? NULL : "no such handle");
		break;
	case SSH_FXP_SETSTAT:
	case SSH_FXP_FSETSTAT:
		/* Modes and times mean nothing here; scp -p must not fail for them. */
		sftp_reply_status(msg, SSH_FX_OK, NULL);
		break;
	case SSH_FXP_OPENDIR:
		if (inbox_sftp_path_name(msg->filename) == NULL || *inbox_sftp_path_name(msg->filename)) {
			sftp_reply_status(msg, SSH_FX_NO_SUCH_FILE, "the inbox has no directories");
			break;
		}
		if ((slot = inbox_sftp_handle_new(st)) < 0 ||
		    (handle = inbox_sftp_handle_string((size_t)slot)) == NULL) {
			sftp_reply_status(msg, SSH_FX_FAILURE, "too many open handles");
			break;
		}
		st->handles[slot] = (struct inbox_handle){ .kind = HANDLE_DIR };
		sftp_reply_handle(msg, handle);
		ssh_string_free(handle);
		break;
	case SSH_FXP_READDIR:
		inbox_sftp_readdir(st, msg);
		break;
	case SSH_FXP_REMOVE:
		inbox_sftp_remove(st, msg);
		break;
	case SSH_FXP_READ:
		inbox_sftp_read(st, msg);
		break;
	default:
		sftp_reply_status(msg, SSH_FX_OP_UNSUPPORTED, "not supported by the inbox");
		break;
	}
	return true;
}

/*
 * Whether a file st is writing was dropped for want of data (callers hold
 * inbox_lock).  Sweeps the inboxes first, at most once a second whatever
 * the number of SFTP sessions asking.
 */
static bool
inbox_sftp_stalled(struct inbox_sftp *st)
{
	static time_t swept;
	time_t now = upload_now();

	if (now != swept) {
		inbox_sweep(st->cfg, now);
		swept = now;
	}
	for (size_t i = 0; i < INBOX_SFTP_HANDLES; i++) {
		const struct inbox_handle *h = &st->handles[i];

		if (h->kind == HANDLE_FILE && h->file->failed != NULL &&
		    strcmp(h->file->failed, "upload_stalled") == 0)
			return true;
	}
	return false;
}

/*
 * Wait until a request has begun to arrive: true then, false when the
 * session should end (the client left, the inbox closed, it was idle, a
 * file it was writing stalled).
 */
static bool
inbox_sftp_wait(struct inbox_sftp *st, time_t *last)
{
	for (;;) {
		int idle = (st->cfg = config_current())->idle_timeout;
		int n = ssh_channel_poll_timeout(st->channel, INBOX_POLL_MS, 0);
		bool closed, stalled;

		if (n > 0) {
			*last = time(NULL);
			return true;
		}
		if (n < 0 || ssh_channel_is_eof(st->channel) ||
		    ssh_channel_is_closed(st->channel))
			return false;
		pthread_mutex_lock(&inbox_lock);
		closed = st->ib != NULL && st->ib->owner == NULL;
		stalled = st->ib != NULL && inbox_sftp_stalled(st);
		pthread_mutex_unlock(&inbox_lock);
		if (closed) {
			log_info("session %lu: inbox closed by its owner; ending", st->s->serial);
			return false;
		}
		if (stalled) {
			log_info("session %lu: sftp upload stalled for %d s, closing",
			    st->s->serial, st->cfg->uploads_stall_timeout);
			return false;
		}
		if (idle > 0 && time(NULL) - *last >= idle) {
			log_info("session %lu: sftp idle for %d s, closing", st->s->serial, idle);
			return false;
		}
	}
}

void
inbox_serve_sftp(struct session *s, ssh_session ssh, ssh_channel channel, ssh_event event)
{
	struct inbox_sftp st = { .s = s, .channel = channel, .cfg = config_current() };
	sftp_client_message msg;
	time_t last = time(NULL);
	int requests = 0;

	if (auth_source_allowed(st.cfg, s->source))
		st.ib = inbox_acquire(s->ssh_user);
	if (st.ib == NULL) {
		/* Guessing tokens counts like guessing passwords. */
		auth_source_failed(s->source);
		log_warning("session %lu: %s: sftp for an unknown or closed inbox", s->serial,
		    s->peer);
	} else {
		log_info("session %lu: sftp into an inbox", s->serial);
	}
	/*
	 * Out of the session's event while SFTP reads block in libssh: the
	 * event also holds the server's stop pipe, which, once written, would
	 * make every wait inside ssh_channel_read spin.  The inbox closing
	 * (its owner ends on shutdown too) is what ends this session.
	 */
	ssh_event_remove_session(event, ssh);
	if ((st.sftp = sftp_server_new(ssh, channel)) == NULL ||
	    sftp_server_init(st.sftp) != 0) {
		log_info("session %lu: sftp did not start: %s", s->serial, ssh_get_error(ssh));
		goto out;
	}
	while (inbox_sftp_wait(&st, &last)) {
		if ((msg = sftp_get_client_message(st.sftp)) == NULL)
			break;
		requests++;
		bool go_on = inbox_sftp_handle_message(&st, msg);
		sftp_client_message_free(msg);
		if (!go_on)
			break;
	}
out:
	if (st.ib != NULL) {
		pthread_mutex_lock(&inbox_lock);
		for (size_t i = 0; i < INBOX_SFTP_HANDLES; i++)
			inbox_sftp_handle_close(st.ib, &st.handles[i], false);
		inbox_unref(st.ib);
		pthread_mutex_unlock(&inbox_lock);
		log_info("session %lu: sftp ended: %d requests, %lu bytes written, %lu read",
		    s->serial, requests, st.bytes, st.bytes_read);
	}
	if (st.sftp != NULL)
		sftp_server_free(st.sftp);
	ssh_event_add_session(event, ssh);
}
