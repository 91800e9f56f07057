/*
 * terminal.h - the TUI served to a plain `ssh -t` session.
 *
 * For a pty and shell request, jxjyd runs the same `jxjy` program the
 * client installs, on a pseudo-terminal, with `--fd 3,3`: its JSON-RPC goes
 * over a socketpair to the session's own thread, which serves it exactly as
 * it serves the jxjy-rpc subsystem (same dispatcher, same session, so an SSH
 * key login counts).  The session relays bytes between the SSH channel and
 * the pty master; both of our descriptors are non-blocking.
 */
#ifndef JXJYD_TERMINAL_H
#define JXJYD_TERMINAL_H

#include <sys/types.h>

struct terminal {
	pid_t	 pid;		/* the jxjy child */
	int	 pty_fd;	/* master side */
	int	 rpc_fd;	/* our end of the socketpair */
};

/*
 * Start jxjy on a new pty of cols x rows with TERM=term and the language
 * lang ("zh"/"en").  Returns 0, or -1 with a reason logged.
 */
int	terminal_start(struct terminal *t, const char *program, const char *term,
	    int cols, int rows, const char *lang);

void	terminal_resize(struct terminal *t, int cols, int rows);

/*
 * Close the fds and end the child: SIGHUP and SIGTERM if it is still
 * running after half a second, SIGKILL a second later; reap it.  Returns its
 * exit status (128 + signal when killed).  Waits at most about 1.5 s.
 */
int	terminal_finish(struct terminal *t);

/* The jxjy program to serve: next to jxjyd in the build tree or installed. */
const char *terminal_default_program(void);

#endif
