/*
 * session.h - what the application knows of one connection: who it is,
 * what it has proved about itself, what it holds.
 *
 * The SSH front (ssh/connection.h) embeds it in its struct connection;
 * the application sees only this part.  A session belongs to exactly one
 * thread (ssh/connection.c), which runs its requests one at a time;
 * nothing here is shared, so nothing is locked (but the registry entry,
 * which sessions.c locks).
 */
#ifndef JXJYD_SESSION_H
#define JXJYD_SESSION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "messages.h"
#include "passwords.h"
#include "sessions.h"

/* Roles, as bits: a method names the set it may run for. */
enum role {
	ROLE_GUEST	= 1 << 0,	/* not logged in */
	ROLE_STAFF	= 1 << 1,	/* 专业技术人员 */
	ROLE_UNIT_ADMIN	= 1 << 2,	/* 用人单位管理员 */
	/*
	 * Logged in with an administrator's reset code: until the new
	 * password is set, only what names this role (and what a guest may
	 * run) is served.  rpc-reset.c.
	 */
	ROLE_PASSWORD_CHANGE = 1 << 3,
	/*
	 * 继续教育基地管理员: a base's administrator (base_admins in
	 * jxjyd.conf), with a base and no unit.  Not in ROLE_USER: every
	 * staff and unit method refuses it, and the base's methods name it
	 * alone (rpc-bases.c).
	 */
	ROLE_BASE_ADMIN	= 1 << 4,
	/*
	 * 人社 / 主管部门: an administrator of the authority (authority_admins
	 * in jxjyd.conf) reading and reviewing a region, its scope: the
	 * province or one city (scope_region).  Not in ROLE_USER either.
	 */
	ROLE_AUTHORITY	= 1 << 5,
};
#define ROLE_ANY	(ROLE_GUEST | ROLE_STAFF | ROLE_UNIT_ADMIN | ROLE_PASSWORD_CHANGE | \
			 ROLE_BASE_ADMIN | ROLE_AUTHORITY)
/* The staff's and units' own methods. */
#define ROLE_USER	(ROLE_STAFF | ROLE_UNIT_ADMIN)
/* Every logged-in account: its session, password and keys. */
#define ROLE_ACCOUNT	(ROLE_USER | ROLE_BASE_ADMIN | ROLE_AUTHORITY)

struct session {
	int		 fd;		/* the connection's socket: inbox.open's host */
	char		 peer[64];	/* "address:port" */
	char		 source[48];	/* address only, for per-source limits */
	unsigned long	 serial;	/* for log lines */
	char		*ssh_user;	/* user name given at SSH level */

	struct inbox	*inbox;		/* the inbox this session opened, inbox.c owns it */
	struct upload	*upload;	/* attachment being uploaded; rpc-attachments.c owns it */
	struct outbox	*outbox;	/* files handed to the user; outbox.c owns it (locked) */

	enum lang	 lang;
	enum role	 role;
	int64_t		 account_id;	/* 0 when a guest */
	char		*unit_code;	/* unit of the logged-in account ("" for a base's) */
	char		*base_code;	/* base of a base administrator, else NULL */
	char		 scope_region[7]; /* an authority's region, else "" */
	char		 id_number[19];	/* of the logged-in account */
	bool		 key_login;	/* logged in by an SSH key (no captcha needed) */
	struct sessions_entry registry;	/* while logged in (sessions.h): revoked, wake_fd */
	int64_t		 presence_account; /* what its session_presence row says, 0: none (presence.h) */
	/*
	 * The SSH user name was an ID number but the database could not say
	 * whether an SSH key should log it in: every request is refused with
	 * "auth_unavailable" (-32007) instead of serving a guest silently.
	 */
	bool		 auth_unavailable;

	struct captcha	*captcha;	/* the one outstanding code; captcha.c owns it */
	int		 login_failures; /* in this session, for captcha "after-failures" */
	struct password_memo login_memo; /* a login that matched but was cut off (auth.c) */
};

#endif
