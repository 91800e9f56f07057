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
 * too (RPC_DB_UNIT_ADMIN).
 */
#ifndef JXJYD_DECIDE_H
#define JXJYD_DECIDE_H

#include <jansson.h>

#include "messages.h"

struct db_conn;
struct rpc_call;

#define DECIDE_BATCH_MAX	200	/* ids per decision call */
#define DECIDE_REASON_MAX	200	/* characters of a rejection reason */

/* The ids parameter of a decision: 1 to DECIDE_BATCH_MAX ids. */
#define DECIDE_IDS_PARAM(name, message) \
	{ name, T_ARRAY, true, 1, DECIDE_BATCH_MAX, name "_invalid", message }

/* What deciding one record came to. */
enum decide_outcome {
	DECIDE_DONE,		/* decided by this call */
	DECIDE_NOT_DONE,	/* not found, decided before, ...: the item says */
	DECIDE_ERROR,		/* the database failed: the call fails */
};

/* One decision, as every record of the batch gets it. */
struct decision {
	struct db_conn	*db;
	const char	*unit;		/* the administrator's unit */
	const char	*actor;		/* the administrator's account id */
	const char	*to_state;	/* the state the record goes to */
	const char	*action;	/* "approve" or "reject", as audited */
	const char	*reason;	/* a rejection's reason, or NULL */
	enum lang	 lang;
};

/*
 * Decide record id as d says, in its own transaction; *item gets the
 * result entry ({id, ok, ...}) unless DECIDE_ERROR is returned.
 */
typedef enum decide_outcome decide_fn(const struct decision *d, long long id,
	    json_t **item);

/* A kind of record that is decided in batches. */
struct decide_kind {
	const char	*ids;		/* the parameter naming the records */
	const char	*approved;	/* the state an approval leaves */
	const char	*what;		/* the records, in the log line */
	char		*(*trim)(const char *);	/* the reason's trimming (NULL:
						 * spaces and tabs) */
	decide_fn	*decide;
};

/*
 * The handler of an approval (approve) or rejection of the records named
 * by the kind's ids parameter: checks the "reason" of a rejection (shown
 * to the person: clean, one line), decides each, and replies
 * {results: [...]}.  Returns 0 or -1 after rpc_fail.
 */
int	decide_batch(struct rpc_call *call, const struct decide_kind *kind, bool approve);

#endif
