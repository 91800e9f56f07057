/*
 * app.c - what every screen shares: calls to the server, the ways a
 * session ends, who is logged in, and small text helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jxjy-config.h"
#include "app.h"
#include "format.h"
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

	if (result == NULL && err->kind == RPC_ERR_LOST) {
		app_lost(a);
		/* We start over: the caller shows what it likes, the screens unwind. */
		if (rpc_closing_message(a->rpc) != NULL && *rpc_closing_message(a->rpc) != '\0')
			app_copy(err->message, sizeof err->message, rpc_closing_message(a->rpc));
	}
	return result;
}

/* Our own words for why the server ended the session, when it gave none. */
static const char *
app_closing_text(const char *reason)
{
	if (reason == NULL)
		return _("The connection to the server was lost.");
	if (strcmp(reason, "idle_timeout") == 0)
		return _("The session ended after a long time without activity. "
		    "Please log in again.");
	if (strcmp(reason, "logged_out_elsewhere") == 0)
		return _("This account was logged out by another session (its password "
		    "was changed, for example). Please log in again.");
	if (strcmp(reason, "shutting_down") == 0)
		return _("The server is shutting down.");
	return _("The server ended the session.");
}

void
app_lost(struct app *a)
{
	static bool leaving;
	const char *reason = rpc_closing_reason(a->rpc);
	const char *msg = rpc_closing_message(a->rpc);

	if (a->restart || leaving)
		return;
	if (msg == NULL || *msg == '\0')
		msg = app_closing_text(reason);
	/* The dialog waits for a key; its ticks must not bring us back here. */
	ui_set_tick(NULL, NULL, NULL);
	if (reason != NULL && a->connect != NULL && (strcmp(reason, "idle_timeout") == 0 ||
	    strcmp(reason, "logged_out_elsewhere") == 0)) {
		ui_message(_("Session ended"), msg);
		ui_set_tick(app_tick, app_tick_fd, a);
		a->restart = true;
		ui_stop(true);
		return;
	}
	leaving = true;
	ui_message(reason != NULL ? _("Session ended") : _("Connection lost"), msg);
	ui_end();
	fprintf(stderr, "jxjy: %s\n", msg);
	rpc_close(a->rpc);
	exit(2);
}

void
app_reconnect(struct app *a)
{
	enum connect_status status;

	rpc_close(a->rpc);
	a->rpc = NULL;
	app_clear_me(a);
	a->restart = false;
	ui_stop(false);
	if ((a->rpc = rpc_connect_ssh(a->connect, &status)) != NULL) {
		rpc_set_interrupt(a->rpc, a->signal);
		if (a->timeout_ms >= 0)
			rpc_set_timeout(a->rpc, a->timeout_ms);
		if (app_hello(a) == 0)
			return;
	}
	ui_end();
	fprintf(stderr, "jxjy: %s\n", _("The connection to the server was lost."));
	rpc_close(a->rpc);
	exit(2);
}

void
app_tick(void *arg)
{
	struct app *a = arg;

	if (!a->restart && !rpc_alive(a->rpc))
		app_lost(a);
}

int
app_tick_fd(void *arg)
{
	struct app *a = arg;

	return a->restart || a->rpc == NULL ? -1 : rpc_poll_fd(a->rpc);
}

void
app_status(struct app *a, const char *hints)
{
	ui_status_bar(a->server != NULL ? a->server : "", hints);
}

enum screen_id
app_start(struct app *a)
{
	struct rpc_error err;
	json_t *result;

	/* An SSH key may have logged this session in already (jxjy -u ID_NUMBER). */
	result = app_call(a, "session.whoami", NULL, &err);
	if (result == NULL)
		return a->restart ? SCREEN_START : SCREEN_LOGIN;
	app_set_me(a, result);
	json_decref(result);
	return SCREEN_HOME;
}

void
app_set_me(struct app *a, json_t *result)
{
	json_decref(a->me);
	a->me = json_incref(result);
}

void
app_clear_me(struct app *a)
{
	json_decref(a->me);
	a->me = NULL;
}

const char *
app_me_string(struct app *a, const char *key)
{
	const char *s = json_string_value(json_object_get(json_object_get(a->me, "account"),
	    key));

	return s != NULL ? s : "";
}

const char *
app_me_unit_name(struct app *a)
{
	const char *s = json_string_value(json_object_get(json_object_get(
	    json_object_get(a->me, "account"), "unit"), "name"));

	return s != NULL ? s : "";
}

bool
app_me_is_unit_admin(struct app *a)
{
	return strcmp(app_me_string(a, "role"), "unit_admin") == 0;
}

bool
app_me_must_change_password(struct app *a)
{
	return json_is_true(json_object_get(a->me, "must_change_password"));
}

char *
app_format_time(const char *iso, char *buf, size_t size)
{
	return format_time(iso, _("Today"), 0, buf, size);
}

void
app_append_row(char **text, const char *label, int cols, const char *value)
{
	char *clean = text_sanitize(label, false);
	char *shown = text_sanitize(value != NULL ? value : "", false);
	int pad = cols - text_width(clean);
	char *row = xasprintf("%s%s%*s%s\n", *text != NULL ? *text : "", clean,
	    pad > 0 ? pad : 1, "", shown);

	free(clean);
	free(shown);
	free(*text);
	*text = row;
}

void
app_copy(char *buf, size_t size, const char *text)
{
	size_t n = strlen(text);

	if (size == 0)
		return;
	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(buf, text, n);
	buf[n] = '\0';
}

const char *
app_state_name(const char *state)
{
	if (state == NULL)
		return "";
	if (strcmp(state, "pending") == 0)
		return _("Waiting for review");
	if (strcmp(state, "active") == 0)
		return _("Approved");
	if (strcmp(state, "rejected") == 0)
		return _("Rejected");
	if (strcmp(state, "withdrawn") == 0)
		return _("Withdrawn");
	if (strcmp(state, "disabled") == 0)
		return _("Disabled");
	return state;
}

const char *
app_sex_name(const char *sex)
{
	if (sex == NULL)
		return "";
	if (strcmp(sex, "male") == 0)
		return _("Male");
	if (strcmp(sex, "female") == 0)
		return _("Female");
	return sex;
}
