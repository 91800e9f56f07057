/*
 * app.c - what every screen shares: calls to the server and the exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jxjy-config.h"
#include "app.h"
#include "text.h"
#include "xmalloc.h"

int
app_hello(struct app *a)
{
	struct rpc_error err;
	json_t *result;
	const char *server, *version;

	result = rpc_call(a->rpc, "system.hello", json_pack("{s:s, s:s}",
	    "client", "jxjy " JXJY_VERSION, "lang", i18n_lang_code(a->lang)), &err);
	if (result == NULL && err.kind != RPC_ERR_REMOTE) {
		fprintf(stderr, "jxjy: %s\n", err.message);
		return 2;
	}
	/* A server that refuses hello is odd but may still serve: carry on. */
	server = json_string_value(json_object_get(result, "server"));
	version = json_string_value(json_object_get(result, "version"));
	free(a->server);
	a->server = version != NULL ? xasprintf("%s %s", server ? server : "?", version) :
	    xstrdup(server ? server : "?");
	json_decref(result);
	return 0;
}

json_t *
app_call(struct app *a, const char *method, json_t *params, struct rpc_error *err)
{
	json_t *result = rpc_call(a->rpc, method, params, err);

	if (result == NULL && err->kind == RPC_ERR_LOST)
		app_lost(a);
	return result;
}

void
app_lost(struct app *a)
{
	static bool leaving;
	const char *msg = _("The connection to the server was lost.");

	if (!leaving) {
		/* The dialog waits for a key; its ticks must not bring us back here. */
		leaving = true;
		ui_set_tick(NULL, NULL);
		ui_message(_("Connection lost"), msg);
	}
	ui_end();
	fprintf(stderr, "jxjy: %s\n", msg);
	rpc_close(a->rpc);
	exit(2);
}

void
app_tick(void *arg)
{
	struct app *a = arg;

	if (!rpc_alive(a->rpc))
		app_lost(a);
}

void
app_status(struct app *a, const char *hints)
{
	ui_status_bar(a->server != NULL ? a->server : "", hints);
}
