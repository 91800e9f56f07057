/*
 * terminal.c - run jxjy on a pty for a plain SSH terminal session.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "jxjy-config.h"
#include "log.h"
#include "terminal.h"

/* How long a child asked to leave (SIGHUP, SIGTERM) has before SIGKILL. */
#define TERMINAL_GRACE_MS	1000

const char *
terminal_default_program(void)
{
	static char path[PATH_MAX + 32];
	char self[PATH_MAX];
	ssize_t n;

	if (path[0] != '\0')
		return path;
	/* Build tree: build/daemon/jxjyd beside build/tui/jxjy; installed: sbin and bin. */
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash != NULL) {
			*slash = '\0';
			snprintf(path, sizeof path, "%s/../tui/jxjy", self);
			if (access(path, X_OK) == 0)
				return path;
			snprintf(path, sizeof path, "%s/../bin/jxjy", self);
			if (access(path, X_OK) == 0)
				return path;
		}
	}
	snprintf(path, sizeof path, "%s", JXJY_BINDIR "/jxjy");
	return path;
}

int
terminal_start(struct terminal *t, const char *program, const char *term,
    int cols, int rows, const char *lang)
{
	struct winsize ws = { .ws_row = rows > 0 ? rows : 24, .ws_col = cols > 0 ? cols : 80 };
	char env_term[128], env_lang[32];
	char *envp[] = { env_term, "LANG=C.UTF-8", env_lang, "PATH=/usr/bin:/bin", NULL };
	char *argv[] = { (char *)program, "--fd", "3,3", "-l", (char *)lang, NULL };
	char slave_name[64];
	int sv[2], master = -1;
	pid_t pid;

	t->pid = -1;
	t->pty_fd = t->rpc_fd = -1;
	/* Only what execve needs is prepared before fork: the child may not allocate. */
	snprintf(env_term, sizeof env_term, "TERM=%s", term && *term ? term : "xterm");
	snprintf(env_lang, sizeof env_lang, "JXJY_LANG=%s", lang);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		log_error("terminal: socketpair: %s", strerror(errno));
		return -1;
	}
	/*
	 * Not forkpty: it opens the slave in this process without O_CLOEXEC,
	 * and a session thread forking at that moment passed it on to its own
	 * jxjy, which then held this terminal open after our child had left,
	 * so the session never ended.  Here the master is close-on-exec from
	 * the start and the slave is only ever opened in the child.
	 */
	if ((master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 ||
	    grantpt(master) != 0 || unlockpt(master) != 0 ||
	    ptsname_r(master, slave_name, sizeof slave_name) != 0) {
		log_error("terminal: cannot make a pty: %s", strerror(errno));
		if (master >= 0)
			close(master);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	ioctl(master, TIOCSWINSZ, &ws);
	pid = fork();
	if (pid < 0) {
		log_error("terminal: fork: %s", strerror(errno));
		close(master);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* The child of a threaded process: only async-signal-safe calls, then exec. */
		sigset_t none;
		int slave;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* A session of its own, whose controlling terminal is the slave. */
		if (setsid() < 0 || (slave = open(slave_name, O_RDWR)) < 0)
			_exit(127);
		ioctl(slave, TIOCSCTTY, 0);
		if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0 ||
		    dup2(sv[1], 3) < 0)
			_exit(127);
		if (slave > 3)
			close(slave);
		/* dup2 clears FD_CLOEXEC on 0-3; every other descriptor closes on exec. */
		execve(program, argv, envp);
		_exit(127);
	}
	close(sv[1]);
	/*
	 * Our ends never block: a TUI that stops reading (its client stopped
	 * reading its screen) must not hold the session thread (connection.c).
	 */
	if (fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK) != 0 ||
	    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK) != 0)
		log_warning("terminal: cannot make the pty non-blocking: %s", strerror(errno));
	t->pid = pid;
	t->rpc_fd = sv[0];
	t->pty_fd = master;
	return 0;
}

void
terminal_resize(struct terminal *t, int cols, int rows)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	if (t->pty_fd >= 0 && cols > 0 && rows > 0)
		ioctl(t->pty_fd, TIOCSWINSZ, &ws);
}

/* Wait up to ms for pid to end; true (with *status) when it has. */
static bool
terminal_reap(pid_t pid, int *status, int ms)
{
	for (int waited = 0;; waited += 10) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return true;
		if (waited >= ms)
			return false;
		usleep(10000);
	}
}

/* Signal the child's whole session (it is its leader), or the child alone. */
static void
terminal_signal(pid_t pid, int sig)
{
	if (kill(-pid, sig) != 0)
		kill(pid, sig);
}

int
terminal_finish(struct terminal *t)
{
	int status = 0, rc = 255;

	if (t->rpc_fd >= 0)
		close(t->rpc_fd);
	if (t->pty_fd >= 0)
		close(t->pty_fd);	/* the child sees a hangup */
	t->rpc_fd = t->pty_fd = -1;
	if (t->pid > 0) {
		/*
		 * Give it a moment to leave by itself, then ask, then insist: a
		 * child that ignores SIGHUP and SIGTERM is killed, so it never
		 * outlives its session by more than TERMINAL_GRACE_MS and a bit.
		 */
		if (!terminal_reap(t->pid, &status, 500)) {
			terminal_signal(t->pid, SIGHUP);
			terminal_signal(t->pid, SIGTERM);
			if (!terminal_reap(t->pid, &status, TERMINAL_GRACE_MS)) {
				log_info("terminal: jxjy %ld ignored SIGTERM; killing it",
				    (long)t->pid);
				terminal_signal(t->pid, SIGKILL);
				waitpid(t->pid, &status, 0);
			}
		}
		if (WIFEXITED(status))
			rc = WEXITSTATUS(status);
		else if (WIFSIGNALED(status))
			rc = 128 + WTERMSIG(status);
		t->pid = -1;
	}
	return rc;
}
