/*
 * fuzz-rpc.c - the dispatcher's checks (daemon/app/rpc.c rpc_check_line) and
 * the reply they make: request parsing, the JSON-RPC 2.0 shape and id,
 * method lookup, the role check and the parameters' names and types.  No
 * handler runs and no database is needed: where the checks let a call
 * through, the harness answers it with an empty result instead.
 *
 * Input: one byte choosing the session (role: bits 0, 1, 4; language: bit
 * 2; debug methods: bit 3),
 * then the request line.  Checked: a call that passes has a method the
 * role may call and parameters its descriptor declares, of their types;
 * every refusal has a sentence; the reply is one line of JSON-RPC 2.0 that
 * echoes a valid id as sent, and an id that is no string, number or null
 * is refused with -32600 and id null; a notification gets no reply.
 */
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "messages.h"
#include "protocol.h"
#include "rpc.h"
#include "session.h"

static const enum role fuzz_roles[] = { ROLE_GUEST, ROLE_STAFF, ROLE_UNIT_ADMIN,
    ROLE_BASE_ADMIN, ROLE_AUTHORITY };
#define FUZZ_NROLES	(sizeof fuzz_roles / sizeof fuzz_roles[0])

/* The configuration the dispatcher reads (config_current): defaults, debug methods as chosen. */
static struct config fuzz_config;

static unsigned
fuzz_type_of(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:	return T_STRING;
	case JSON_INTEGER:	return T_INTEGER | T_NUMBER;
	case JSON_REAL:		return T_NUMBER;
	case JSON_TRUE:
	case JSON_FALSE:	return T_BOOLEAN;
	case JSON_OBJECT:	return T_OBJECT;
	case JSON_ARRAY:	return T_ARRAY;
	case JSON_NULL:		return T_NULL;
	}
	return 0;
}

/* A call let through: what the descriptor promises its handler. */
static void
fuzz_check_call(const struct session *s, const struct rpc_call *call)
{
	const struct rpc_param *p;
	const char *key;
	json_t *value;

	FUZZ_ASSERT(call->method != NULL && call->method->handler != NULL);
	FUZZ_ASSERT((call->method->roles & s->role) != 0);
	FUZZ_ASSERT(json_is_object(call->params));
	json_object_foreach(call->params, key, value) {
		for (p = call->method->params; p != NULL && p->name != NULL; p++) {
			if (strcmp(p->name, key) == 0)
				break;
		}
		FUZZ_ASSERT(p != NULL && p->name != NULL);
		FUZZ_ASSERT((fuzz_type_of(value) & p->types) != 0);
	}
	for (p = call->method->params; p != NULL && p->name != NULL; p++)
		FUZZ_ASSERT(!p->required || json_object_get(call->params, p->name) != NULL);
}

/* The id the request carried, read on its own: 1 valid, 0 absent, -1 invalid. */
static int
fuzz_request_id(const char *line, size_t len, json_t **id)
{
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	int kind = 0;

	*id = NULL;
	if (json_is_object(req) && (*id = json_object_get(req, "id")) != NULL) {
		kind = json_is_string(*id) || json_is_number(*id) || json_is_null(*id) ?
		    1 : -1;
		json_incref(*id);
	}
	json_decref(req);
	return kind;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session s;
	struct rpc_request req;
	struct rpc_call call;
	const char *line = (const char *)data + 1;
	size_t len = size - 1;
	json_t *reply = NULL, *sent_id;
	char *out;
	int rc, id_kind;

	if (size < 1)
		return 0;
	memset(&s, 0, sizeof s);
	/* Bits 0, 1 and 4 choose the role (bit 4 was free: old seeds keep theirs). */
	s.role = fuzz_roles[((data[0] & 3) | ((data[0] >> 4) & 1) << 2) % FUZZ_NROLES];
	s.lang = (data[0] >> 2) & 1 ? LANG_EN : LANG_ZH;
	s.serial = 1;
	if (config_current() == NULL) {
		config_defaults(&fuzz_config);
		config_publish(&fuzz_config);
	}
	fuzz_config.debug_methods = (data[0] >> 3) & 1;
	id_kind = fuzz_request_id(line, len, &sent_id);

	rc = rpc_check_line(&s, line, len, &req, &call);
	if (rc == 0) {
		fuzz_check_call(&s, &call);
		FUZZ_ASSERT(id_kind >= 0 && req.method != NULL);
		call.result = json_object();	/* instead of the handler */
	} else {
		FUZZ_ASSERT(call.error_code != 0 && call.error_reason != NULL);
		FUZZ_ASSERT(message_get(s.lang, call.error_reason) != call.error_reason);
	}
	if (id_kind < 0) {
		FUZZ_ASSERT(rc != 0 && call.error_code == RPC_INVALID_REQUEST);
		FUZZ_ASSERT(json_is_null(req.id));
	}

	out = rpc_reply(&req, &call, rc);
	if (out == NULL) {
		/* Only a request with a method and no id goes unanswered. */
		FUZZ_ASSERT(req.id == NULL && req.method != NULL && id_kind == 0);
		goto out;
	}
	FUZZ_ASSERT(strchr(out, '\n') == NULL);	/* one line, whatever the strings held */
	reply = json_loads(out, JSON_REJECT_DUPLICATES, NULL);
	FUZZ_ASSERT(json_is_object(reply));
	FUZZ_ASSERT(json_is_string(json_object_get(reply, "jsonrpc")) &&
	    strcmp(json_string_value(json_object_get(reply, "jsonrpc")), "2.0") == 0);
	FUZZ_ASSERT(json_object_size(reply) == 3);
	FUZZ_ASSERT((json_object_get(reply, "result") != NULL) == (rc == 0));
	FUZZ_ASSERT(rc == 0 || json_is_integer(json_object_get(json_object_get(reply,
	    "error"), "code")));
	/* A valid id comes back as sent (a fractional one too); otherwise null. */
	if (id_kind > 0)
		FUZZ_ASSERT(json_equal(json_object_get(reply, "id"), sent_id));
	else
		FUZZ_ASSERT(json_is_null(json_object_get(reply, "id")));
out:
	free(out);
	json_decref(reply);
	json_decref(sent_id);
	rpc_request_free(&req, &call);
	return 0;
}
