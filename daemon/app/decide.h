/*
 * decide.h - a unit administrator's decision on a batch of pending
 * records: registrations (rpc-review.c), title changes (rpc-profile.c)
 * and declarations (rpc-declarations.c).
 *
 * What the three share is here: the rejection reason, a transaction per
 * record so that one decided meanwhile does not undo the others, the list
 * of results and the log line.  What differs, the guarded statement of one
 * record and how a miss is explained, is each group's decide function.
 * The ids themselves are checked by the dispatcher (their parameter's
 * bounds, struct rpc_param), and the caller's standing as administrator
 * too (RPC_DB_UNIT_ADMIN): a group declares its kind and puts
 * DECIDE_METHODS in its table.
 */
#ifndef JXJYD_DECIDE_H
#define JXJYD_DECIDE_H

#include <jansson.h>
#include <libpq-fe.h>

#include "messages.h"
#include "rpc.h"

struct config;
struct db_conn;

#define DECIDE_BATCH_MAX	200	/* ids per decision call */
#define DECIDE_REASON_MAX	200	/* characters of a rejection reason */


/* What deciding one record came to. */
enum decide_outcome {
	DECIDE_DONE,		/* decided by this call */
	DECIDE_NOT_DONE,	/* not found, decided before, ...: the item says */
	DECIDE_ERROR,		/* the database failed: the call fails */
};

/* One decision, as every record of the batch gets it. */
struct decision {
	const char	*key;		/* the id's member in a result entry */
	struct db_conn	*db;
	const char	*unit;		/* the administrator's unit (NULL for an authority) */
	const char	*scope;		/* an authority's region (else NULL): it decides
					 * at the step "authority" of a review chain */
	const char	*actor;		/* the administrator's account id */
	const char	*to_state;	/* the state the record goes to */
	const char	*action;	/* "approve" or "reject", as audited */
	const char	*reason;	/* a rejection's reason, or NULL */
	enum lang	 lang;
	const struct config *cfg;	/* in force for the call (a claim's review) */
};

/*
 * Decide record id as d says, in its own transaction; *item gets the
 * result entry ({id, ok, ...}) unless DECIDE_ERROR is returned.
 */
typedef enum decide_outcome decide_fn(const struct decision *d, long long id,
	    json_t **item);

/* The result entries of decide_fn: {key: id, ok: true}, and {key: id, ok: false, reason}. */
json_t	*decide_done(const struct decision *d, long long id);
json_t	*decide_missed(const struct decision *d, long long id, const char *reason);

/*
 * The entry of a record decided before: decide_missed's "already_decided"
 * with its state (and label, unless NULL) and who decided it when, from
 * row 0 of res: the state, the decider's name, the time (DB_ISO_TIME).
 */
json_t	*decide_decided_before(const struct decision *d, long long id, const PGresult *res,
	    const char *label);

/*
 * A kind of record that is decided in batches, and the parameters of its
 * two methods (DECIDE_PARAMS).
 */
struct decide_kind {
	const char	*ids;		/* the parameter naming the records */
	const char	*key;		/* the id's member in a result entry */
	const char	*approved;	/* the state an approval leaves */
	const char	*what;		/* the records, in the log line */
	char		*(*trim)(const char *);	/* the reason's trimming (NULL:
						 * spaces and tabs) */
	decide_fn	*decide;
	struct rpc_param approve_params[2];
	struct rpc_param reject_params[3];
};

/*
 * The parameters of a kind: ids names 1 to DECIDE_BATCH_MAX records ("<ids>_invalid"
 * otherwise, with the sentence keyed by message when set); a rejection
 * also takes its reason.
 */
#define DECIDE_PARAMS(ids_name, message) \
	.ids = ids_name, \
	.approve_params = { \
		{ ids_name, T_ARRAY, true, 1, DECIDE_BATCH_MAX, ids_name "_invalid", message } }, \
	.reject_params = { \
		{ ids_name, T_ARRAY, true, 1, DECIDE_BATCH_MAX, ids_name "_invalid", message }, \
		{ "reason", T_STRING, true } }

/*
 * The descriptors of a kind's approval and rejection (rpc.h): a unit
 * administrator's, on a connection that checked them as one.
 */
#define DECIDE_METHODS(kind, approve_name, reject_name) \
	{ approve_name, (kind).approve_params, ROLE_UNIT_ADMIN, false, decide_approve, \
	    .db = RPC_DB_UNIT_ADMIN, .data = &(kind) }, \
	{ reject_name, (kind).reject_params, ROLE_UNIT_ADMIN, false, decide_reject, \
	    .db = RPC_DB_UNIT_ADMIN, .data = &(kind) }

/*
 * The same for an authority administrator (role authority, its scope
 * checked as RPC_DB_AUTHORITY does): declarations at its step of their
 * review chain (rpc-declarations.c).
 */
#define DECIDE_AUTHORITY_METHODS(kind, approve_name, reject_name) \
	{ approve_name, (kind).approve_params, ROLE_AUTHORITY, false, decide_approve, \
	    .db = RPC_DB_AUTHORITY, .data = &(kind) }, \
	{ reject_name, (kind).reject_params, ROLE_AUTHORITY, false, decide_reject, \
	    .db = RPC_DB_AUTHORITY, .data = &(kind) }

/*
 * The handlers of DECIDE_METHODS (call->method->data is the kind): a
 * rejection's "reason" is checked (shown to the person: clean, one line),
 * then each record is decided; the reply is {results: [...]}.  Return 0
 * or -1 after rpc_fail.
 */
int	decide_approve(struct rpc_call *call);
int	decide_reject(struct rpc_call *call);

/*
 * Decide the records ids (a JSON array of ids, found by the caller: a
 * class's pending records) of kind as approve says, a rejection with the
 * call's "reason": as decide_approve and decide_reject.
 */
int	decide_records(struct rpc_call *call, const struct decide_kind *kind, const json_t *ids,
	    bool approve);

#endif
