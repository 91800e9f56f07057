/*
 * server.h - the SSH server: listening, one thread per session, draining.
 */
#ifndef JXJYD_SERVER_H
#define JXJYD_SERVER_H

#include "config.h"

/*
 * Serve until SIGTERM or SIGINT (then drain and return 0); SIGHUP re-reads
 * cfg->path.  cfg stays owned by the caller.  Returns the exit status.
 */
int	server_run(struct config *cfg);

/* Load the host key at path, generating it (mode 0600) when missing. Fatal on error. */
void	server_ensure_host_key(const char *path);

#endif
