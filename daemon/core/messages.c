/*
 * messages.c - the sentences jxjyd sends, by reason word.
 */
#include <string.h>

#include "messages.h"

static const struct message messages_core[] = {
	{ "parse_error", { "请求不是有效的 JSON", "the request is not valid JSON" } },
	{ "invalid_utf8", { "请求不是有效的 UTF-8 文本", "the request is not valid UTF-8" } },
	{ "invalid_request", { "请求格式不符合 JSON-RPC 2.0", "the request is not a JSON-RPC 2.0 request" } },
	{ "invalid_id", { "请求的 id 只能是字符串、数字或 null", "the request id must be a string, a number or null" } },
	{ "number_too_large", { "请求中的数字超出范围（整数最多 64 位）", "a number in the request is out of range (integers have at most 64 bits)" } },
	{ "method_not_found", { "没有这个方法", "no such method" } },
	{ "invalid_params", { "参数错误", "invalid parameters" } },
	{ "param_missing", { "缺少参数", "missing parameter" } },
	{ "param_unknown", { "不认识的参数", "unknown parameter" } },
	{ "param_type", { "参数类型错误", "wrong parameter type" } },
	{ "line_too_long", { "请求过长", "the request line is too long" } },
	{ "login_required", { "请先登录", "please log in first" } },
	{ "not_permitted", { "没有权限执行此操作", "you are not permitted to do this" } },
	{ "internal_error", { "服务器内部错误，请稍后再试", "internal server error, please try again later" } },
	{ "database_unavailable", { "数据库暂时不可用，请稍后再试", "the database is unavailable, please try again later" } },
	{ "idle_timeout", { "长时间未操作，连接已断开，请重新登录", "idle for too long; please log in again" } },
	{ "logged_out_elsewhere", { "密码已在其他会话中修改，请重新登录", "the password was changed in another session; please log in again" } },
	{ "shutting_down", { "服务器正在停止，请稍后重新连接", "the server is shutting down, reconnect later" } },
	{ NULL, { NULL, NULL } },
};

static const struct message fields_core[] = {
	{ "id_number", { "身份证号", "ID number" } },
	{ "password", { "密码", "password" } },
	{ "ms", { "毫秒数", "milliseconds" } },
	{ NULL, { NULL, NULL } },
};

/* Each group's table; the first match wins. */
static const struct message *const message_tables[] = {
	messages_core, messages_login, messages_accounts, messages_profile,
	messages_declarations, messages_keys, messages_completion, NULL,
};
static const struct message *const field_tables[] = {
	fields_core, fields_accounts, fields_profile, fields_declarations, fields_keys,
	fields_completion, NULL,
};

static const char *
message_lookup(const struct message *const *tables, enum lang lang, const char *key)
{
	for (size_t t = 0; tables[t] != NULL; t++) {
		for (const struct message *m = tables[t]; m->key != NULL; m++) {
			if (strcmp(m->key, key) == 0)
				return m->text[lang];
		}
	}
	return key;
}

const char *
message_get(enum lang lang, const char *reason)
{
	return message_lookup(message_tables, lang, reason);
}

const char *
message_field(enum lang lang, const char *field)
{
	return message_lookup(field_tables, lang, field);
}

enum lang
lang_parse(const char *s)
{
	if (s != NULL && strncmp(s, "en", 2) == 0)
		return LANG_EN;
	return LANG_ZH;
}

const char *
lang_name(enum lang lang)
{
	return lang == LANG_EN ? "en" : "zh";
}
