/*
 * listener.h - the SSH server: listening, one thread per session, draining.
 */
#ifndef JXJYD_LISTENER_H
#define JXJYD_LISTENER_H

#include "config.h"

/*
 * Serve until SIGTERM or SIGINT (then drain and return 0); SIGHUP re-reads
 * cfg->path.  cfg stays owned by the caller.  Returns the exit status.
 */
int	listener_run(struct config *cfg);

/* Load the host key at path, generating it (mode 0600) when missing. Fatal on error. */
void	listener_ensure_host_key(const char *path);

#endif
