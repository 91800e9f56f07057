/*
 * messages-login.c - sentences of login, captcha, passwords and sessions.
 *
 * The seed's own wording is kept where it has one (账户或密码错误, 验证码错误,
 * 此账号还未被审核).  Entries with a "%s" are formats: "rejected" takes the
 * administrator's reason.
 *
 * "function.*" are the labels of the home screen's functions and "label.*"
 * the names of the input fields of these methods that no fields table
 * holds yet (see rpc-session.c, session_fail_field).
 */
#include <stddef.h>

#include "messages.h"

const struct message messages_login[] = {
	/* session.login */
	{ "bad_credentials", { "账户或密码错误", "wrong account or password" } },
	{ "bad_captcha", { "验证码错误", "wrong verification code" } },
	{ "captcha_expired", { "验证码已过期，请刷新验证码后重新输入",
	    "the verification code has expired; get a new one and try again" } },
	{ "not_reviewed", { "此账号还未被审核",
	    "this account has not been reviewed yet" } },
	{ "rejected", { "注册审核未通过：%s", "the registration was rejected: %s" } },
	{ "disabled", { "此账号已被停用", "this account has been disabled" } },
	{ "rate_limited", { "尝试次数过多，请稍后再试",
	    "too many failed attempts; please wait a minute and try again" } },
	{ "captcha_none", { "没有待输入的验证码", "no verification code is outstanding" } },

	/* passwords (password_check; registration uses them too) */
	{ "password_length", { "密码长度应为 8 到 128 个字符",
	    "the password must be 8 to 128 characters long" } },
	{ "password_weak", { "密码过于简单（常见单词或简单规律），请换一个",
	    "the password is too easy to guess (a common word or pattern)" } },
	{ "password_contains_id", { "密码不能包含身份证号",
	    "the password must not contain the ID number" } },
	{ "password_contains_phone", { "密码不能包含手机号码",
	    "the password must not contain the phone number" } },
	{ "password_mismatch", { "两次输入的密码不一致", "the two passwords differ" } },
	{ "old_password_wrong", { "原密码错误", "the old password is wrong" } },

	/* application.withdraw, account.change_password */
	{ "state_changed", { "状态已经改变，请刷新后重试",
	    "the state changed meanwhile; refresh and try again" } },
	{ "withdraw_not_pending", { "只有待审核的注册申请可以撤回",
	    "only a registration waiting for review can be withdrawn" } },

	/* the home screen's functions */
	{ "function.profile", { "用户资料管理", "Profile" } },
	{ "function.declare", { "学时学分申报", "Declare hours and credits" } },
	{ "function.progress", { "申报进度查询", "Declaration progress" } },
	{ "function.completion", { "年度完成情况", "Annual completion" } },
	{ "function.review_registrations", { "注册审核", "Review registrations" } },

	/* input fields of these methods */
	{ "label.captcha", { "验证码", "verification code" } },
	{ "label.old_password", { "原密码", "old password" } },
	{ "label.new_password", { "新密码", "new password" } },
	{ "label.new_password_confirm", { "确认新密码", "new password again" } },

	{ NULL, { NULL, NULL } },
};
