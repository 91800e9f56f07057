/*
 * connect.h - the SSH connection to jxjyd: host key check, authentication,
 * and the "jxjy-rpc" subsystem channel.
 */
#ifndef JXJY_CONNECT_H
#define JXJY_CONNECT_H

#include <stdbool.h>

#include <libssh/libssh.h>

struct connect_options {
	const char	*host;
	int		 port;
	const char	*user;		/* SSH user name */
	const char	*identity;	/* -i: a private key to try first, or NULL */
	const char	*known_hosts;	/* -k, or NULL for ~/.config/jxjy/known_hosts */
	bool		 accept_new;	/* record an unknown host key without asking */
};

/* The values are jxjy's exit statuses. */
enum connect_status {
	CONNECT_OK = 0,
	CONNECT_FAILED = 2,		/* cannot connect or authenticate */
	CONNECT_HOST_KEY_REFUSED = 3,	/* changed, unknown and declined, unverifiable */
};

/*
 * Connect to o->host, verify its host key against the known-hosts file
 * (asking on the terminal about an unknown one unless o->accept_new),
 * authenticate, and open a channel on the jxjy-rpc subsystem.  On CONNECT_OK
 * the caller owns *session and *channel; otherwise both are NULL and a
 * message in the user's language went to stderr.  Runs before the TUI
 * starts: it may talk to the user on /dev/tty.
 */
enum connect_status connect_ssh(const struct connect_options *o, ssh_session *session,
	    ssh_channel *channel);

/* The default known-hosts file, ~/.config/jxjy/known_hosts.  Caller frees. */
char	*connect_default_known_hosts(void);

#endif
