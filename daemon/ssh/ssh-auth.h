/*
 * ssh-auth.h - who a connection is at the SSH level (ssh-auth.c says how):
 * a guest, a key login to an account, or undecided (auth_unavailable).
 */
#ifndef JXJYD_SSH_AUTH_H
#define JXJYD_SSH_AUTH_H

#include <libssh/callbacks.h>

struct connection;

/* Fill the authentication members of a session's server callbacks (userdata: the session). */
void	ssh_auth_callbacks(struct ssh_server_callbacks_struct *cb);

/* After the socket is handed to libssh: keyboard-interactive and the methods offered. */
void	ssh_auth_accept(struct connection *s);

#endif
