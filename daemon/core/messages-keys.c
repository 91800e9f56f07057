/*
 * messages-keys.c - sentences of SSH key management (keys.*), of the
 * attachment inbox (inbox.*) and of the commands of `ssh host COMMAND`
 * (exec.c), including the column headings those commands print.
 *
 * A reply to a broken rule reads "field label: sentence" (rpc.c), so a
 * sentence here does not repeat the name of its field.
 */
#include <stddef.h>

#include "messages.h"

const struct message messages_keys[] = {
	/* keys.add */
	{ "key_invalid", { "不是有效的 SSH 公钥，请粘贴 .pub 文件中的一整行（如 ssh-ed25519 AAAA… 备注）",
	    "not an SSH public key; paste the whole line of the .pub file (ssh-ed25519 AAAA... comment)" } },
	{ "key_private", { "这是私钥，切勿泄露！请粘贴公钥（.pub 文件的内容）",
	    "this is a PRIVATE key, never share it; paste the public key (the .pub file)" } },
	{ "key_too_long", { "内容过长，不是 SSH 公钥", "too long to be an SSH public key" } },
	{ "key_type_unsupported", { "不支持这种密钥类型，请使用 ssh-ed25519、ecdsa-sha2-nistp256/384/521 或 ssh-rsa",
	    "this key type is not supported; use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa" } },
	{ "key_type_mismatch", { "密钥类型与密钥内容不符", "the key type does not match the key itself" } },
	{ "key_too_short", { "RSA 密钥至少需要 2048 位", "an RSA key must have at least 2048 bits" } },
	{ "key_comment_invalid", { "备注最多 100 个字符，且不能包含控制字符",
	    "the comment must be at most 100 characters without control characters" } },
	{ "key_taken", { "这个公钥已经登记过", "this key is registered already" } },
	{ "keys_too_many", { "SSH 公钥数量已达上限，请先删除不用的公钥",
	    "you have the maximum number of keys; remove one first" } },
	{ "password_wrong", { "不正确；添加 SSH 公钥需要输入您当前的密码",
	    "wrong; adding an SSH key takes your current password" } },
	/* keys.remove */
	{ "key_not_found", { "没有找到这个公钥", "no such key" } },
	{ "key_from_config", { "这个公钥由系统管理员在配置文件中设置，不能在这里删除",
	    "this key is set in the server's configuration by the system administrator; it cannot be removed here" } },

	/* review.reset_password, the login with its code, an SSH login left undecided */
	{ "reset_not_found", { "本单位没有这名在职人员（单位管理员的密码不能在这里重置）",
	    "no active staff member of your unit has this id (an administrator's password cannot be reset here)" } },
	{ "password_change_required", { "管理员已重置您的密码，请先设置新密码",
	    "your administrator reset your password; set a new password first" } },
	{ "auth_unavailable", { "暂时无法确认您的 SSH 登录（数据库无法访问），请稍后重新连接",
	    "your SSH login cannot be checked right now (the database is unreachable); please reconnect later" } },

	/* inbox.* */
	{ "inbox_not_open", { "还没有打开上传收件箱", "no upload inbox is open" } },
	{ "inbox_file_not_found", { "收件箱中没有这个文件", "the inbox has no such file" } },
	{ "inbox_busy", { "文件正在上传，请等上传完成", "the file is still being uploaded" } },
	{ "inbox_file_failed", { "「%s」没有上传成功：%s", "\"%s\" was not uploaded completely: %s" } },
	{ "inbox_file_too_large", { "文件超过 %s，没有收下，已丢弃",
	    "the file is larger than %s; it was not taken and has been discarded" } },
	{ "inbox_file_interrupted", { "连接在文件传完之前断开，已丢弃，请重新上传",
	    "the connection ended before the file was complete; it was discarded, send it again" } },
	{ "attachment_unavailable", { "暂时不能从收件箱添加附件", "attachments from the inbox are not available yet" } },
	{ "inbox_hint", { "在您自己的电脑上另开一个终端窗口，执行下面的命令上传文件（把 FILE 换成文件名）；上传后的文件会出现在这里。",
	    "In another terminal on your own computer, run the command below (FILE is your file); uploaded files appear here." } },

	/* exec.c */
	{ "exec.usage", { "可用命令（ssh -p 端口 身份证号@服务器 命令）：",
	    "Commands (ssh -p PORT ID-NUMBER@HOST COMMAND):" } },
	{ "exec.help", { "显示本说明", "show this list" } },
	{ "exec.whoami", { "显示当前登录的账号", "show the account logged in" } },
	{ "exec.queue", { "本单位待审核的注册申请", "the unit's registrations waiting for review" } },
	{ "exec.queue_titles", { "本单位待审核的职务变更", "the unit's title changes waiting for review" } },
	{ "exec.queue_declarations", { "本单位待审核的学时申报", "the unit's declarations waiting for review" } },
	{ "exec.staff", { "本单位在职人员", "the unit's active staff" } },
	{ "exec.report", { "本单位某年度的继续教育完成情况", "the unit's annual completion for YEAR" } },
	{ "exec.options", { "--csv 输出 CSV（UTF-8，含表头）；--bom 在 CSV 前加 UTF-8 BOM（供 Excel 打开）",
	    "--csv prints CSV (UTF-8, with a header row); --bom adds a UTF-8 BOM for Excel" } },
	{ "exec.need_admin", { "这些命令只供单位管理员使用：请用已登记的 SSH 密钥，以身份证号作为用户名登录（ssh -i 密钥 -p 端口 身份证号@服务器 命令）。",
	    "These commands are for unit administrators logged in with a registered SSH key, the ID number as user name (ssh -i KEY -p PORT ID-NUMBER@HOST COMMAND)." } },
	{ "exec.unknown", { "不认识的命令", "unknown command" } },
	{ "exec.not_available", { "这项数据尚未启用（数据库中还没有相应的表）",
	    "not available yet (the database has no such table yet)" } },
	{ "exec.bad_year", { "年度应为四位数字，如 2025", "YEAR must have four digits, e.g. 2025" } },
	{ "exec.failed", { "服务器出错，请稍后再试", "server error, please try again later" } },
	{ "exec.total", { "共 %d 条", "%d in all" } },
	{ "exec.no_rows", { "（无）", "(none)" } },
	{ "exec.role.staff", { "专业技术人员", "staff" } },
	{ "exec.role.unit_admin", { "单位管理员", "unit administrator" } },
	{ "exec.yes", { "是", "yes" } },
	{ "exec.no", { "否", "no" } },
	{ "exec.male", { "男", "male" } },
	{ "exec.female", { "女", "female" } },
	{ "col.account", { "账号", "account" } },
	{ "col.id_number", { "身份证号", "id_number" } },
	{ "col.name", { "姓名", "name" } },
	{ "col.role", { "角色", "role" } },
	{ "col.unit", { "单位", "unit" } },
	{ "col.unit_code", { "单位代码", "unit_code" } },
	{ "col.login", { "登录方式", "login" } },
	{ "col.sex", { "性别", "sex" } },
	{ "col.department", { "部门", "department" } },
	{ "col.submitted_at", { "提交时间", "submitted_at" } },
	{ "col.phone", { "手机", "phone" } },
	{ "col.email", { "电子邮箱", "email" } },
	{ "col.title", { "专业技术职务", "title" } },
	{ "col.old_title", { "原职务", "old_title" } },
	{ "col.new_title", { "新职务", "new_title" } },
	{ "col.form", { "学习形式", "form" } },
	{ "col.year", { "年度", "year" } },
	{ "col.amount", { "申报数", "amount" } },
	{ "col.hours", { "学时", "hours" } },
	{ "col.public_hours", { "公需学时", "public_hours" } },
	{ "col.professional_hours", { "专业学时", "professional_hours" } },
	{ "col.total_hours", { "合计学时", "total_hours" } },
	{ "col.required_hours", { "要求学时", "required_hours" } },
	{ "col.pending_hours", { "待审学时", "pending_hours" } },
	{ "col.complete", { "是否完成", "complete" } },
	{ "login.key", { "SSH 密钥", "SSH key" } },
	{ "login.password", { "密码", "password" } },

	{ NULL, { NULL, NULL } },
};

const struct message fields_keys[] = {
	{ "key", { "SSH 公钥", "SSH public key" } },
	{ "keep_keys", { "保留的 SSH 公钥", "SSH keys to keep" } },
	{ NULL, { NULL, NULL } },
};
