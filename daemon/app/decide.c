/*
 * decide.c - a unit administrator's decision on a batch of pending
 * records (decide.h): the part registrations, title changes and
 * declarations share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "decide.h"
#include "log.h"
#include "rpc.h"
#include "session.h"
#include "text.h"
#include "xmalloc.h"

json_t *
decide_done(const struct decision *d, long long id)
{
	return json_pack("{s:I, s:b}", d->key, (json_int_t)id, "ok", 1);
}

json_t *
decide_missed(const struct decision *d, long long id, const char *reason)
{
	return json_pack("{s:I, s:b, s:s}", d->key, (json_int_t)id, "ok", 0, "reason", reason);
}

json_t *
decide_decided_before(const struct decision *d, long long id, const PGresult *res,
    const char *label)
{
	json_t *item = decide_missed(d, id, "already_decided");

	json_object_set_new(item, "state", json_string(PQgetvalue(res, 0, 0)));
	if (label != NULL)
		json_object_set_new(item, "state_label", json_string(label));
	json_object_set_new(item, "decided_by", rpc_column_person(res, 0, 1));
	json_object_set_new(item, "decided_at", rpc_column_text(res, 0, 2));
	return item;
}

/* s without the spaces and tabs around it. Caller frees. */
static char *
decide_trim(const char *s)
{
	const char *start = s + strspn(s, " \t");
	size_t len = strlen(start);

	while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t'))
		len--;
	return xstrndup(start, len);
}

/* Decide every record of ids as d says; call->result gets the results. */
static int
decide_each(struct rpc_call *call, const struct decide_kind *kind, const struct decision *d,
    const json_t *ids)
{
	json_t *results, *item, *v;
	size_t i;
	int done = 0;

	results = json_array();
	json_array_foreach(ids, i, v) {
		item = NULL;
		switch (kind->decide(d, json_integer_value(v), &item)) {
		case DECIDE_ERROR:
			json_decref(results);
			return rpc_fail_internal(call, db_error_text(d->db));
		case DECIDE_DONE:
			done++;
			break;
		case DECIDE_NOT_DONE:
			break;
		}
		json_array_append_new(results, item);
	}
	log_info("session %lu: review: account %lld %s %d of %zu %s", call->session->serial,
	    (long long)call->session->account_id,
	    strcmp(d->action, "approve") == 0 ? "approved" : "rejected", done,
	    json_array_size(ids), kind->what);
	call->result = json_pack("{s:o}", "results", results);
	return 0;
}

int
decide_records(struct rpc_call *call, const struct decide_kind *kind, const json_t *ids,
    bool approve)
{
	struct decision d = {
		.key = kind->key, .db = call->db,
		.unit = call->session->role == ROLE_AUTHORITY ? NULL : call->session->unit_code,
		.scope = call->session->role == ROLE_AUTHORITY ? call->session->scope_region : NULL,
		.cfg = call->cfg,
		.to_state = approve ? kind->approved : "rejected",
		.action = approve ? "approve" : "reject", .lang = call->session->lang,
	};
	char actor[24], *reason = NULL;
	int rc;

	if (!approve) {
		const char *raw = rpc_param_string(call, "reason");

		reason = kind->trim != NULL ? kind->trim(raw) : decide_trim(raw);
		if (*reason == '\0')
			rc = rpc_fail(call, RPC_INVALID_INPUT, "reason_required", "reason", NULL);
		else if (!text_clean(reason, false, 1, DECIDE_REASON_MAX))
			rc = rpc_fail(call, RPC_INVALID_INPUT, "reason_invalid", "reason", NULL);
		else
			rc = 0;
		if (rc != 0)
			goto out;
	}
	snprintf(actor, sizeof actor, "%lld", (long long)call->session->account_id);
	d.actor = actor;
	d.reason = reason;
	rc = decide_each(call, kind, &d, ids);
out:
	free(reason);
	return rc;
}

/* Decide the records the call's ids parameter names, as approve says. */
static int
decide_batch(struct rpc_call *call, bool approve)
{
	const struct decide_kind *kind = call->method->data;

	return decide_records(call, kind, json_object_get(call->params, kind->ids), approve);
}

int
decide_approve(struct rpc_call *call)
{
	return decide_batch(call, true);
}

int
decide_reject(struct rpc_call *call)
{
	return decide_batch(call, false);
}
