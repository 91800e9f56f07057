/*
 * rpc.h - JSON-RPC methods as descriptors, and the dispatcher.
 *
 * Each group of methods lives in rpc-<group>.c and exports a table of
 * struct rpc_method ending in a zeroed entry; rpc.c lists the tables.  The
 * dispatcher checks the request's shape, the method's existence, the
 * caller's role and every parameter's presence and type before a handler
 * runs, so a handler holds only its own logic.
 */
#ifndef JXJYD_RPC_H
#define JXJYD_RPC_H

#include <stdbool.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "protocol.h"
#include "session.h"

struct config;
struct db_conn;

/* Parameter types, as bits so one parameter may accept several. */
enum rpc_type {
	T_STRING	= 1 << 0,
	T_INTEGER	= 1 << 1,
	T_BOOLEAN	= 1 << 2,
	T_OBJECT	= 1 << 3,
	T_ARRAY		= 1 << 4,
	T_NULL		= 1 << 5,
	T_NUMBER	= 1 << 6,	/* integer or real */
};

struct rpc_param {
	const char	*name;
	unsigned	 types;
	bool		 required;
};

struct rpc_call;
typedef int (*rpc_handler)(struct rpc_call *call);

struct rpc_method {
	const char		*name;
	const struct rpc_param	*params;	/* NULL-name terminated, or NULL */
	unsigned		 roles;		/* enum role bits allowed */
	bool			 debug;		/* only with debug_methods = true */
	rpc_handler		 handler;
};

struct rpc_call {
	struct session	*session;
	const struct config *cfg;	/* in force when the request came: one per request */
	const struct rpc_method *method;
	json_t		*params;	/* an object (empty when none were sent) */
	json_t		*result;	/* set by the handler on success; owned */
	struct db_conn	*db;		/* taken by rpc_db, released by the dispatcher */

	/* Set by rpc_fail. */
	int		 error_code;
	const char	*error_reason;
	char		*error_field;
	char		*error_message;	/* overrides the reason's sentence */
	json_t		*error_data;	/* extra members for data (owned) */
};

/*
 * Handle one request line; returns the reply line (without '\n') for the
 * caller to send and free, or NULL when none is due (a notification).
 */
char	*rpc_handle_line(struct session *s, const char *line, size_t len);

/* The reply to an oversized line. Caller frees. */
char	*rpc_reply_too_long(struct session *s);

/*
 * The dispatcher in three steps, so that its checks run without a
 * database (tests/fuzz/fuzz-rpc.c): rpc_handle_line is check, handler,
 * reply.  A request line as the checks leave it:
 */
struct rpc_request {
	json_t	*json;		/* the parsed line (owned); NULL when it was none */
	json_t	*id;		/* in json, or JSON null when the line's id could not be
				 * told; NULL for a notification (no reply) */
	json_t	*method;	/* its name (a string in json); NULL when the line was no
				 * request, which is then neither logged nor counted */
};

/*
 * Every check before a handler: UTF-8, JSON, the JSON-RPC 2.0 shape and
 * id, the method, the session's role and the parameters.  Fills *req and
 * *call (call->session = s); returns 0 when call->method's handler may
 * run with call->params, else -1 with the error in call.  Runs no handler
 * and takes no database connection.  Free with rpc_request_free.
 */
int	rpc_check_line(struct session *s, const char *line, size_t len,
	    struct rpc_request *req, struct rpc_call *call);

/*
 * The reply line for rc (0: call->result, which it takes; -1: the error in
 * call), or NULL for a notification.  Caller frees.
 */
char	*rpc_reply(struct rpc_request *req, struct rpc_call *call, int rc);

/* Free what rpc_check_line and the handler left in req and call. */
void	rpc_request_free(struct rpc_request *req, struct rpc_call *call);

/*
 * Record an error reply and return -1, for "return rpc_fail(...)".  field
 * may be NULL; message NULL means the reason's sentence in the session's
 * language.
 */
int	rpc_fail(struct rpc_call *call, int code, const char *reason, const char *field,
	    const char *message);

/* Internal error: logs what (never shown to the client) and returns -1. */
int	rpc_fail_internal(struct rpc_call *call, const char *what);

/*
 * A database connection for this call, taken from the pool on first use.
 * Returns NULL after recording an "database_unavailable" error.
 */
struct db_conn *rpc_db(struct rpc_call *call);

/*
 * rpc_db for a unit administrator's method: also checks, in the database,
 * that the session's account is still an active administrator of its unit
 * (a reload of unit_admins may have disabled it since it logged in).
 * NULL after rpc_fail ("not_permitted" or "database_unavailable").
 */
struct db_conn *rpc_admin_db(struct rpc_call *call);

/* Parameter accessors (after the dispatcher's checks). */
const char *rpc_param_string(struct rpc_call *call, const char *name);	/* NULL if absent */
bool	rpc_param_int(struct rpc_call *call, const char *name, long long *out);
bool	rpc_param_bool(struct rpc_call *call, const char *name, bool dflt);

/*
 * Keyset paging cursors: the two strings of the last row's sort key, as
 * one opaque token (a JSON array in unpadded URL-safe base64).  Encode
 * returns it (caller frees).  Decode reads the "after" parameter into *a
 * and *b (caller frees both): 1 when there is one, 0 when none was given,
 * -1 after rpc_fail ("cursor_invalid") when it is not a cursor of ours.
 * Decoded values are only ever used as statement parameters.
 */
char	*rpc_cursor_encode(const char *a, const char *b);
int	rpc_cursor_decode(struct rpc_call *call, char **a, char **b);

/*
 * The "next" of a page of n rows fetched with limit + 1: the cursor after
 * row limit - 1 (its sort key in key_col, its id in id_col), or JSON null
 * on the last page.
 */
json_t	*rpc_page_next(const PGresult *res, int n, long long limit, int key_col, int id_col);

/* A column as JSON: text or integer, JSON null for SQL NULL. */
json_t	*rpc_column_text(const PGresult *res, int row, int col);
json_t	*rpc_column_integer(const PGresult *res, int row, int col);

/* Method tables of the groups. */
extern const struct rpc_method rpc_system_methods[];	/* rpc-system.c */
extern const struct rpc_method rpc_session_methods[];	/* rpc-session.c: login, captcha, password */
extern const struct rpc_method rpc_reference_methods[];	/* rpc-reference.c: pickers */
extern const struct rpc_method rpc_register_methods[];	/* rpc-register.c: 注册, 撤回 */
extern const struct rpc_method rpc_review_methods[];	/* rpc-review.c: the unit admin's queue */
extern const struct rpc_method rpc_profile_methods[];	/* rpc-profile.c: 用户资料管理, title review */
extern const struct rpc_method rpc_declarations_methods[]; /* rpc-declarations.c: 学时学分申报, 学时审核 */
extern const struct rpc_method rpc_attachments_methods[]; /* rpc-attachments.c: uploads */
extern const struct rpc_method rpc_keys_methods[];	/* rpc-keys.c: own SSH keys */
extern const struct rpc_method rpc_inbox_methods[];	/* inbox.c: uploads by scp/sftp */
extern const struct rpc_method rpc_completion_methods[]; /* rpc-completion.c: 年度完成情况 */
extern const struct rpc_method rpc_reset_methods[];	/* rpc-reset.c: the admin's password reset */

#endif
