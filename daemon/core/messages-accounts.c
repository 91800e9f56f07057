/*
 * messages-accounts.c - sentences and field labels of registration, the
 * reference pickers and the unit administrator's review.
 *
 * A reply to a broken rule reads "field label: sentence" (rpc.c), so a
 * sentence here does not repeat the name of its field.  The rules of a new
 * password (password_*) and the throttling reply (rate_limited) are shared
 * with login and live in messages-login.c.
 */
#include <stddef.h>

#include "messages.h"

const struct message messages_accounts[] = {
	/* account.register */
	{ "registration_submitted", { "注册信息已经提交审核, 请耐心等待",
	    "Registration submitted for review, please wait" } },
	{ "id_number_length", { "应为 18 位", "must be 18 characters long" } },
	{ "id_number_chars", { "应为 17 位数字加一位数字或 X",
	    "must be 17 digits followed by a digit or X" } },
	{ "id_number_region", { "前两位不是有效的省级行政区划代码",
	    "the first two digits are no province code" } },
	{ "id_number_birthdate", { "其中的出生日期不是有效日期",
	    "the birth date in it is not a real date" } },
	{ "id_number_future", { "其中的出生日期晚于今天",
	    "the birth date in it lies in the future" } },
	{ "id_number_checksum", { "校验码不正确，请检查是否输错",
	    "the check character is wrong; is a digit mistyped?" } },
	{ "applications_limit", { "此身份证号已有 %d 份注册申请在等待审核，请待单位管理员审核后再提交",
	    "this ID number already has %d registrations waiting for review; "
	    "submit again once the unit administrators have decided" } },
	{ "phone_invalid", { "应为以 1 开头的 11 位数字", "must be 11 digits starting with 1" } },
	{ "email_invalid", { "格式不正确", "is not a valid address" } },
	{ "unit_unknown", { "没有这个单位，请从列表中选择",
	    "no such unit; choose one from the list" } },
	{ "department_unknown", { "不是所选单位的部门，请从列表中选择",
	    "is not a department of the chosen unit; choose one from the list" } },
	{ "name_invalid", { "应为 1 到 50 个字符，不含控制字符",
	    "must be 1 to 50 characters without control characters" } },
	{ "sex_invalid", { "请选择男或女", "choose male or female" } },
	{ "sex_mismatch", { "与身份证号不符", "does not agree with the ID number" } },
	{ "birth_date_invalid", { "应为有效日期 (YYYY-MM-DD)",
	    "must be a real date (YYYY-MM-DD)" } },
	{ "birth_date_mismatch", { "与身份证号不符", "does not agree with the ID number" } },
	{ "ethnicity_unknown", { "没有这个民族，请从列表中选择",
	    "no such ethnic group; choose one from the list" } },
	{ "text_invalid", { "最多 100 个字符，不含控制字符",
	    "at most 100 characters without control characters" } },
	{ "text_invisible", { "含有不可见或改变文字方向的字符 (如 U+202E)，请删去",
	    "contains an invisible or direction-changing character (such as U+202E); remove it" } },
	{ "major_unknown", { "没有这个专业，请从列表中选择",
	    "no such major; choose one from the list" } },
	{ "title_unknown", { "没有这个专业技术职务，请从列表中选择",
	    "no such title; choose one from the list" } },
	{ "education_unknown", { "没有这个学历，请从列表中选择",
	    "no such education level; choose one from the list" } },

	/* ref.*, review.registrations */
	{ "cursor_invalid", { "无效，请从第一页重新开始",
	    "is not valid; start again from the first page" } },
	{ "limit_invalid", { "应为 1 到 200", "must be between 1 and 200" } },
	{ "filter_invalid", { "应为 1 到 50 个字符，不含控制字符",
	    "must be 1 to 50 characters without control characters" } },

	/* review.* */
	{ "not_found", { "没有找到这条记录", "no such record" } },
	{ "already_decided", { "已经由其他管理员审核", "already decided by another administrator" } },
	{ "account_ids_invalid", { "请选择 1 到 200 条申请",
	    "choose between 1 and 200 applications" } },
	{ "reason_required", { "请填写审核不通过的原因",
	    "give the reason for the rejection" } },
	{ "reason_invalid", { "应为 1 到 200 个字符，不含控制字符和不可见字符",
	    "must be 1 to 200 characters without control or invisible characters" } },

	{ NULL, { NULL, NULL } },
};

/* Labels as on the registration form of the seed. */
const struct message fields_accounts[] = {
	{ "password_confirm", { "确认密码", "confirm password" } },
	{ "phone", { "手机号码", "mobile phone" } },
	{ "email", { "电子邮箱", "e-mail" } },
	{ "region", { "用人单位所属区域", "region of the employer" } },
	{ "unit", { "所在单位", "employer" } },
	{ "department_id", { "所属工作部门", "department" } },
	{ "name", { "姓名", "name" } },
	{ "sex", { "性别", "sex" } },
	{ "birth_date", { "出生日期", "date of birth" } },
	{ "ethnicity", { "民族", "ethnic group" } },
	{ "native_place", { "籍贯", "native place" } },
	{ "school", { "毕业院校", "school graduated from" } },
	{ "major", { "所学专业", "major" } },
	{ "title_id", { "专业技术职务", "professional title" } },
	{ "education_level", { "学历", "education" } },

	/* pickers and review */
	{ "parent", { "上级区域", "parent region" } },
	{ "series", { "职称系列", "title series" } },
	{ "filter", { "查询条件", "filter" } },
	{ "after", { "翻页位置", "page cursor" } },
	{ "limit", { "每页条数", "page size" } },
	{ "account_id", { "申请", "application" } },
	{ "account_ids", { "所选申请", "chosen applications" } },
	{ "reason", { "审核意见", "reason" } },

	{ NULL, { NULL, NULL } },
};
