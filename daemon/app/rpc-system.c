/*
 * rpc-system.c - system.hello, system.ping, and the test-only debug.sleep.
 */
#include <stdio.h>

#include "jxjy-config.h"
#include "db.h"
#include "rpc.h"

static int
system_hello(struct rpc_call *call)
{
	const char *lang = rpc_param_string(call, "lang");

	if (lang != NULL)
		call->session->lang = lang_parse(lang);
	call->result = json_pack("{s:s, s:s, s:i, s:s}", "server", "jxjyd",
	    "version", JXJY_VERSION, "protocol", JXJY_PROTOCOL_VERSION,
	    "lang", lang_name(call->session->lang));
	return 0;
}

static int
system_ping(struct rpc_call *call)
{
	call->result = json_pack("{s:b}", "pong", 1);
	return 0;
}

/* Hold a pooled connection for a while: lets tests make a request slow. */
static int
debug_sleep(struct rpc_call *call)
{
	DB_STMT(debug_sleep_stmt, "SELECT pg_sleep($1::double precision / 1000)");
	struct db_conn *db;
	long long ms = 0;
	char arg[32];
	const char *params[1] = { arg };
	PGresult *r;

	rpc_param_int(call, "ms", &ms);
	if (ms < 0 || ms > 60000)
		return rpc_fail(call, RPC_INVALID_PARAMS, "param_type", "ms", NULL);
	if ((db = rpc_db(call)) == NULL)
		return -1;
	snprintf(arg, sizeof arg, "%lld", ms);
	if ((r = db_exec(db, &debug_sleep_stmt, 1, params)) == NULL)
		return rpc_fail_internal(call, db_error_text(db));
	PQclear(r);
	call->result = json_pack("{s:I}", "slept", (json_int_t)ms);
	return 0;
}

static const struct rpc_param hello_params[] = {
	{ "client", T_STRING, false },
	{ "lang", T_STRING, false },
	{ NULL, 0, false },
};

static const struct rpc_param sleep_params[] = {
	{ "ms", T_INTEGER, true },
	{ NULL, 0, false },
};

const struct rpc_method rpc_system_methods[] = {
	{ "system.hello", hello_params, ROLE_ANY, false, system_hello },
	{ "system.ping", NULL, ROLE_ANY, false, system_ping },
	{ "debug.sleep", sleep_params, ROLE_ANY, true, debug_sleep },
	{ NULL, NULL, 0, false, NULL },
};
