/*
 * inbox.h - a per-session inbox for attachments sent with stock tools.
 *
 * A person at a plain SSH terminal cannot hand the TUI a local file.  The
 * TUI asks for an inbox (inbox.open) and shows a command such as
 *     scp -P 2222 scan.pdf inbox-K7TA9XQ2@host:
 * The user name is a one-time token naming the inbox of that RPC session;
 * the upload arrives over SFTP (OpenSSH's scp uses SFTP since 9.0), is kept
 * in memory (bounded by declarations.max_attachment and a few files), and
 * the declaration screen then offers the files it holds.  The inbox lives
 * as long as the session that opened it.  A file whose transfer did not
 * end with a clean close after successful writes is never offered.
 *
 * The same token also fetches what the daemon handed to that session
 * (outbox.h), read-only:
 *     scp -P 2222 inbox-K7TA9XQ2@host:学时证明-2025.pdf .
 * What was uploaded is never read back.
 */
#ifndef JXJYD_INBOX_H
#define JXJYD_INBOX_H

#include <stdbool.h>
#include <stddef.h>

#include <libssh/libssh.h>

struct session;

/* True when user is an inbox token's form (so SSH lets it in as a guest). */
bool	inbox_is_token(const char *user);

/*
 * Serve the SFTP subsystem on channel of ssh (its event: the one the
 * connection waits on) into the inbox named by s->ssh_user; returns when
 * done.  The front hands over its libssh parts, so the inbox needs
 * nothing of it.
 */
void	inbox_serve_sftp(struct session *s, ssh_session ssh, ssh_channel channel,
	    ssh_event event);

/* Drop the inbox s opened, if any (session end). */
void	inbox_close(struct session *s);

/*
 * Move the uploaded file name out of owner's inbox: *data (size bytes)
 * and *filename become the caller's to free.  Returns NULL, or the reason
 * word when it cannot be had: "inbox_file_not_found", "inbox_busy" (still
 * being uploaded), or what its transfer failed with (too large, stalled,
 * interrupted: a failed file is never taken).
 */
const char *inbox_take(struct session *owner, const char *name, char **data, size_t *size,
	    char **filename);

/*
 * inbox_take for a method of call's session: on failure the call's error
 * is set (the inbox not open, no such file, still arriving, or what its
 * transfer failed with, naming field) and -1 returned.
 */
struct rpc_call;
int	inbox_take_for(struct rpc_call *call, const char *name, const char *field,
	    char **data, size_t *size, char **filename);

#endif
