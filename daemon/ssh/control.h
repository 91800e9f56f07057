/*
 * control.h - the control socket: a Unix-domain socket on which jxjyd
 * answers 'jxjyd status' with a short text report.
 *
 * Protocol: the client connects and sends one command line ("status\n");
 * the daemon writes its answer and closes.  An empty command (the client
 * shut down its side, or said nothing for a second) means "status".  Only
 * the daemon's user and group may connect (mode 0660).
 */
#ifndef JXJYD_CONTROL_H
#define JXJYD_CONTROL_H

#include <stddef.h>
#include <stdio.h>

struct config;

/*
 * Start answering on cfg->control_socket, on a thread of its own, unless
 * the path is "".  A path where another live jxjyd answers is left alone;
 * a stale socket file is replaced.  Failures are logged as warnings and
 * the daemon runs on without status.  Call once, with the signals the
 * main thread handles already blocked (the thread inherits the mask).
 */
void	control_start(const struct config *cfg);

/* Stop the thread and remove the socket file this process created. */
void	control_stop(void);

/*
 * The client side: send command to the daemon at path and copy its answer
 * to out.  Returns 0, or -1 with the reason in err (no daemon answers, the
 * path is not a socket, ...).
 */
int	control_query(const char *path, const char *command, FILE *out, char *err,
	    size_t errsize);

#endif
