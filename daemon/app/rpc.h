/*
 * rpc.h - JSON-RPC methods as descriptors, and the dispatcher.
 *
 * Each group of methods lives in rpc-<group>.c and exports a table of
 * struct rpc_method ending in a zeroed entry; rpc.c lists the tables.  The
 * dispatcher checks the request's shape, the method's existence, the
 * caller's role, every parameter's presence, type and bounds, and decodes
 * a paged method's "limit" and "after"; then it provides the database
 * access the method declares (a connection, or one with the caller
 * checked as its unit's administrator).  A handler holds only its own
 * logic: like OpenSSH's monitor table, the policy is in the descriptor.
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
struct db_stmt;

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

/*
 * A parameter.  With invalid set, the dispatcher also checks its bounds:
 * an integer's value is within [min, max]; a non-empty string is clean
 * one-line text (text_clean) of min to max characters (empty stands for
 * none); an array has min to max elements, each an id (an integer > 0).
 * Out of bounds is RPC_INVALID_PARAMS with reason invalid naming the
 * parameter, and the sentence keyed by message when it is set.
 */
struct rpc_param {
	const char	*name;
	unsigned	 types;
	bool		 required;
	long long	 min, max;
	const char	*invalid;
	const char	*message;
};

#define RPC_LIMIT_MAX	200	/* rows of a page */

/*
 * The parameters of a paged method (struct rpc_paging), first in its table
 * so that a bad limit is the first mistake named, as it always was.
 */
#define RPC_PAGE_PARAMS \
	{ "limit", T_INTEGER, false, 1, RPC_LIMIT_MAX, "limit_invalid", NULL }, \
	{ "after", T_STRING | T_NULL, false, 0, 0, NULL, NULL }

/*
 * The keyset cursor a paged method hands out in "next" and reads back in
 * "after": an opaque token (a JSON array of strings in unpadded URL-safe
 * base64) whose strings are the last row's sort key.  The kind says what
 * they must look like to be ours; one that is not is "cursor_invalid".
 * Decoded values only ever travel as statement parameters, so one that
 * passes these checks but that PostgreSQL cannot cast is caught there
 * (rpc_fail_page).
 */
enum rpc_cursor {
	RPC_CURSOR_NONE,	/* not paged */
	RPC_CURSOR_TEXT,	/* [any text, any text] */
	RPC_CURSOR_TIME,	/* [a timestamptz as PostgreSQL writes it, an id] */
	RPC_CURSOR_NAME,	/* [a name of at most 200 bytes, an id] */
	RPC_CURSOR_ORDER,	/* [sort, "asc"|"desc", key, name, id]; the handler
				 * checks that the order is the one asked for */
	RPC_CURSOR_KIND_TIME,	/* [a timestamptz, a kind (a word of a-z and _),
				 * an id]: rows of several tables in one order
				 * (audit.search); the handler checks the kind */
};

#define RPC_CURSOR_KEYS	5	/* strings of the longest cursor */

struct rpc_paging {
	int		 limit;		/* rows when "limit" is not given */
	enum rpc_cursor	 cursor;
};

/* A paged call's page, as the dispatcher decoded it. */
struct rpc_page {
	long long	 limit;		/* rows asked for */
	char		 fetch[24];	/* limit + 1 as statement text: the row more
					 * tells whether a next page exists */
	bool		 after;		/* a cursor was given: key holds it */
	char		*key[RPC_CURSOR_KEYS];	/* owned by the call; NULL past its end */
};

/* What database access a method needs; the dispatcher provides it in call->db. */
enum rpc_access {
	RPC_DB_NONE,		/* none, or the handler takes one itself (rpc_db) */
	RPC_DB,			/* a pooled connection */
	RPC_DB_UNIT_ADMIN,	/* a connection; a unit administrator is checked in
				 * the database to be still an active administrator
				 * of their unit (a reload of unit_admins may have
				 * disabled them since they logged in) */
	RPC_DB_BASE_ADMIN,	/* a connection; the base administrator is checked
				 * in the database to be still an active
				 * administrator of their base (base_admins,
				 * admins.c); any other role is refused */
	RPC_DB_AUTHORITY,	/* a connection; the authority administrator is
				 * checked in the database to be still active with
				 * the scope they logged in with (authority_admins,
				 * admins.c); any other role is refused */
};

/*
 * SQL: whether a region (a unit's or a base's, char(6)) lies in scope, an
 * authority's scope_region: the region itself, or the province that is its
 * parent.  Both are SQL expressions (a column, a $n parameter).
 */
#define RPC_SCOPE_COVERS(region, scope) \
	"(" region " = " scope " OR EXISTS (SELECT 1 FROM regions scope_r" \
	" WHERE scope_r.code = " region " AND scope_r.parent = " scope "))"

struct rpc_call;
typedef int (*rpc_handler)(struct rpc_call *call);

struct rpc_method {
	const char		*name;
	const struct rpc_param	*params;	/* NULL-name terminated, or NULL */
	unsigned		 roles;		/* enum role bits allowed */
	bool			 debug;		/* only with debug_methods = true */
	rpc_handler		 handler;
	enum rpc_access		 db;		/* provided before the handler runs */
	struct rpc_paging	 page;		/* a paged method's defaults */
	const void		*data;		/* the handler's own (a decide_kind) */
	bool			 replica;	/* a heavy read that may be stale within
						 * database.replica_max_lag_ms: once db's
						 * checks have run on the primary, call->db
						 * is the replica's when it is fresh enough
						 * (db_acquire_read), and the reply (an
						 * object) says "source", "as_of" and
						 * "stale_ms_max" (docs/protocol.md); never
						 * for what a person wrote and reads back */
};

struct rpc_call {
	struct session	*session;
	const struct config *cfg;	/* in force when the request came: one per request */
	const struct rpc_method *method;
	json_t		*params;	/* an object (empty when none were sent) */
	json_t		*result;	/* set by the handler on success; owned */
	struct db_conn	*db;		/* as method->db says (or rpc_db); released by
					 * the dispatcher */
	struct rpc_page	 page;		/* of a paged method */

	/* Set by rpc_fail. */
	int		 error_code;
	const char	*error_reason;
	char		*error_field;
	char		*error_message;	/* overrides the reason's sentence */
	json_t		*error_data;	/* extra members for data (owned) */
	json_t		*problems;	/* rpc_problem's list, NULL while empty (owned) */
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

/*
 * rpc_fail with the message "label: sentence", the reason's sentence
 * formatted with arg when it takes one.  label NULL means the label of
 * field (message_field); no field, no label.  Returns -1.
 */
int	rpc_fail_format(struct rpc_call *call, int code, const char *reason,
	    const char *field, const char *label, const char *arg);

/*
 * A person's mistakes, all of them in one reply.  A handler that checks a
 * request (a form) notes every problem with rpc_problem and ends the checks
 * with rpc_fail_problems: the reply's data.errors lists them all, each
 * {field, reason, message, label}, while its message, data.reason and
 * data.field name the first, as a reply with one error does.
 *
 * rpc_problem notes one: field may be NULL (the request as a whole);
 * message NULL means the reason's sentence in the session's language.  The
 * problem's message is the sentence alone; its label is field's name for
 * people (message_field), and the reply's message "label: sentence".
 * rpc_problem_format is the same with the reason's sentence formatted with
 * arg, and label given (NULL: field's).
 */
void	rpc_problem(struct rpc_call *call, const char *reason, const char *field,
	    const char *message);
void	rpc_problem_format(struct rpc_call *call, const char *reason, const char *field,
	    const char *label, const char *arg);

/*
 * rpc_problem_format with a sentence other than the reason's: reason the
 * word, sentence the message key that says it (a format taking arg), label
 * the field's name for people (NULL: the field's own label).
 */
/*
 * A learning form's own fields (forms_check_fields of definition; fields
 * may be absent): every problem noted with its sentence and label; returns
 * the checked fields as compact JSON text (caller frees), NULL when there
 * were problems.
 */
char	*rpc_form_fields(struct rpc_call *call, const json_t *definition, json_t *fields);
void	rpc_problem_sentence(struct rpc_call *call, const char *reason, const char *sentence,
	    const char *field, const char *label, const char *arg);

/*
 * A required field left empty (or a required parameter not sent): the
 * problem "required" with the sentence that says what to fill in, the
 * message "required.<field>" ("请选择所在单位", "请填写姓名") or, for a
 * field without one, the message "required".  Never "missing parameter":
 * a person reads it.
 */
void	rpc_problem_required(struct rpc_call *call, const char *field);

/* Problems noted so far, for "if (rpc_problems(call)) …". */
size_t	rpc_problems(const struct rpc_call *call);

/* None noted: 0.  Else the error reply (code) naming them all; returns -1. */
int	rpc_fail_problems(struct rpc_call *call, int code);

/* Internal error: logs what (never shown to the client) and returns -1. */
int	rpc_fail_internal(struct rpc_call *call, const char *what);

/*
 * Run a statement that must match exactly one row (a row read or changed
 * under a guard): its result, or NULL after rpc_fail -- internal when the
 * database failed, RPC_CONFLICT "state_changed" when no row matched (the
 * row changed, or was disabled, since it was read).
 */
PGresult *rpc_exec_one(struct rpc_call *call, struct db_conn *db, struct db_stmt *st, int n,
	    const char *const *params);

/*
 * A database connection for this call, taken from the pool on first use.
 * Returns NULL after recording an "database_unavailable" error.
 */
struct db_conn *rpc_db(struct rpc_call *call);

/*
 * Read one row of the administrator's unit: st on call->db with $1 the
 * integer parameter param (as text, left in id) and $2 the session's unit.
 * Returns the result with its one row (caller clears), or NULL after
 * rpc_fail: "not_found" naming param, with the label given (NULL: the
 * parameter's), when the unit has no such row -- the same reply as for an
 * id that does not exist.
 */
PGresult *rpc_unit_row(struct rpc_call *call, struct db_stmt *st, const char *param,
	    const char *label, char id[24]);

/* rpc_unit_row for a base administrator: $2 is the session's base. */
PGresult *rpc_base_row(struct rpc_call *call, struct db_stmt *st, const char *param,
	    const char *label, char id[24]);

/*
 * For a heavy read (a method's .replica, `ssh host report`): *db, the
 * caller's connection to the primary on which access was checked, is
 * replaced by one to the replica when that is fresh enough
 * (db_acquire_read, database.replica_max_lag_ms of cfg; *db released), or
 * left.  What a read may need written first, the learning forms of cfg
 * (forms_current), is written on the primary before: a replica refuses
 * writes.  False when that failed (logged; *db left), or when no
 * connection could be had at all (*db NULL: database unavailable).
 */
bool	rpc_read_switch(struct db_conn **db, const struct config *cfg);

/*
 * Sleep for the balancer to notice that a server which refused a write as
 * read-only is no longer the primary, before a request (or an exec
 * command, daemon/ssh/exec.c) that committed nothing runs again.
 */
void	rpc_read_only_pause(void);

/* Parameter accessors (after the dispatcher's checks). */
const char *rpc_param_string(struct rpc_call *call, const char *name);	/* NULL if absent */
const char *rpc_param_text(struct rpc_call *call, const char *name);	/* NULL if absent or "" */
bool	rpc_param_int(struct rpc_call *call, const char *name, long long *out);
bool	rpc_param_bool(struct rpc_call *call, const char *name, bool dflt);

/* The cursor of n strings (see enum rpc_cursor). Caller frees. */
char	*rpc_cursor_encode(const char *const *keys, size_t n);

/*
 * The "next" of a page read with call->page.fetch rows, n of which came:
 * the cursor of row limit - 1 (its sort key in key_col, its id in id_col),
 * or JSON null on the last page.
 */
json_t	*rpc_page_next(const struct rpc_call *call, const PGresult *res, int key_col,
	    int id_col);

/* The same with the sort key in n columns cols (at most RPC_CURSOR_KEYS). */
json_t	*rpc_page_next_columns(const struct rpc_call *call, const PGresult *res,
	    const int *cols, size_t n);

/* The rows of a page to show: n, but at most the limit. */
int	rpc_page_rows(const struct rpc_call *call, const PGresult *res);

/*
 * A paged read failed on call->db: "cursor_invalid" when a cursor was
 * given and PostgreSQL could not read its key (a data exception: a forged
 * cursor), else an internal error.  Returns -1.
 */
int	rpc_fail_page(struct rpc_call *call);

/*
 * The label of a word of a kind -- a state, a category, how a form counts
 * ("state", "pending" → 待审核) -- in the session's language: the message
 * "kind.word".
 */
const char *rpc_label(const struct rpc_call *call, const char *kind, const char *word);

/* A column as JSON: text or integer, JSON null for SQL NULL. */
json_t	*rpc_column_text(const PGresult *res, int row, int col);
json_t	*rpc_column_integer(const PGresult *res, int row, int col);

/* The sex column (1 male, 0 female, GB 11643) as a word, or JSON null. */
json_t	*rpc_column_sex(const PGresult *res, int row, int col);

/* {name} of a person (an actor, a decider), or JSON null when there is none. */
json_t	*rpc_column_person(const PGresult *res, int row, int col);

/* {code, name} of two columns, or JSON null when the code is NULL. */
json_t	*rpc_column_coded(const PGresult *res, int row, int code, int name);

/* {id, name} of two columns (an integer id), or JSON null when the id is NULL. */
json_t	*rpc_column_named(const PGresult *res, int row, int id, int name);

/* Method tables of the groups. */
extern const struct rpc_method rpc_system_methods[];	/* rpc-system.c */
extern const struct rpc_method rpc_session_methods[];	/* rpc-session.c: login, captcha, password */
extern const struct rpc_method rpc_reference_methods[];	/* rpc-reference.c: pickers */
extern const struct rpc_method rpc_register_methods[];	/* rpc-register.c: 注册, 撤回 */
extern const struct rpc_method rpc_review_methods[];	/* rpc-review.c: the unit admin's queue */
extern const struct rpc_method rpc_profile_methods[];	/* rpc-profile.c: 用户资料管理, title review */
extern const struct rpc_method rpc_declarations_methods[]; /* rpc-declarations.c: 学时学分申报, 学时审核 */
extern const struct rpc_method rpc_authority_review_methods[]; /* rpc-declarations.c: the authority's 审核 */
extern const struct rpc_method rpc_attachments_methods[]; /* rpc-attachments.c: uploads */
extern const struct rpc_method rpc_keys_methods[];	/* rpc-keys.c: own SSH keys */
extern const struct rpc_method rpc_inbox_methods[];	/* inbox.c: uploads by scp/sftp */
extern const struct rpc_method rpc_download_methods[];	/* outbox.c: files handed to the user */
extern const struct rpc_method rpc_completion_methods[]; /* rpc-completion.c: 年度完成情况 */
extern const struct rpc_method rpc_certificates_methods[]; /* rpc-certificates.c: 学时证明 */
extern const struct rpc_method rpc_reset_methods[];	/* rpc-reset.c: the admin's password reset */
extern const struct rpc_method rpc_base_report_methods[]; /* rpc-base-report.c: 基地学时申报 */
extern const struct rpc_method rpc_bases_methods[];	/* rpc-bases.c: a base's classes */
extern const struct rpc_method rpc_roster_methods[];	/* roster.c: a class's roster */
extern const struct rpc_method rpc_stats_methods[];	/* rpc-stats.c: the authority's statistics */
extern const struct rpc_method rpc_audit_methods[];	/* rpc-audit.c: the authority's audit search */
extern const struct rpc_method rpc_authority_bases_methods[]; /* rpc-authority-bases.c: bases */

#endif
