/*
 * messages-declarations.c - sentences and labels of learning forms,
 * declarations (学时学分申报, 申报进度查询), attachments and their review
 * (学时审核).
 *
 * A sentence with "%s" is always formatted by rpc-declarations.c with the
 * value it names (a bound, a state, a year range); the others are used as
 * they are.  A reply reads "label: sentence", the label of a form's field
 * coming from the form's definition.
 */
#include <stddef.h>

#include "messages.h"

const struct message messages_declarations[] = {
	/* the declaration itself */
	{ "form_unknown", { "没有这种学习形式，请从列表中选择",
	    "no such learning form; choose one from the list" } },
	{ "form_retired", { "这种学习形式已停止申报，不能再提交",
	    "this learning form is no longer offered and cannot be submitted" } },
	{ "year_invalid", { "应为 %s 之间的年份", "must be a year between %s" } },
	{ "amount_invalid", { "应大于 0、不超过 %s，最多两位小数",
	    "must be more than 0 and at most %s, with at most two decimals" } },
	{ "attachment_required", { "这种学习形式需要上传附件",
	    "this learning form needs an attachment" } },
	{ "attachment_not_allowed", { "这种学习形式不收附件",
	    "this learning form takes no attachment" } },
	{ "attachment_token_invalid", { "附件没有上传完成或已失效，请重新上传",
	    "the attachment was not uploaded completely or is no longer valid; upload it again" } },

	/* the fields of a form */
	{ "field_required", { "必须填写", "is required" } },
	{ "field_unknown", { "不是这种学习形式的内容", "is not a field of this learning form" } },
	{ "field_text_invalid", { "应为文字，不含控制字符",
	    "must be text without control characters" } },
	{ "field_too_long", { "最多 %s 个字", "must be at most %s characters" } },
	{ "field_integer", { "应为整数", "must be a whole number" } },
	{ "field_decimal", { "应为数字，最多四位小数", "must be a number with at most four decimals" } },
	{ "field_min", { "不能小于 %s", "must be at least %s" } },
	{ "field_max", { "不能大于 %s", "must be at most %s" } },
	{ "field_date", { "应为有效日期 (YYYY-MM-DD)", "must be a real date (YYYY-MM-DD)" } },
	{ "field_daterange", { "应为开始和结束日期 (YYYY-MM-DD)",
	    "must be a start and an end date (YYYY-MM-DD)" } },
	{ "field_range_order", { "结束日期早于开始日期", "the end date is before the start date" } },
	{ "field_choice", { "请从以下选项中选择：%s", "choose one of: %s" } },

	/* states and transitions */
	/* reason state_changed; messages-login.c has the sentence without the state */
	{ "declaration_state_changed", { "这条记录现在是「%s」，不能进行这项操作",
	    "this record is now \"%s\"; that cannot be done now" } },
	{ "stale_version", { "这条记录已在别处修改，请重新打开后再修改",
	    "this record was changed elsewhere; open it again before changing it" } },
	{ "base_record", { "由继续教育基地报送，不能修改", "was reported by a training base and cannot be changed" } },
	{ "ids_invalid", { "请选择 1 到 200 条申报", "choose between 1 and 200 declarations" } },
	{ "state_invalid", { "应为 all、draft、pending、approved 或 rejected",
	    "must be all, draft, pending, approved or rejected" } },
	{ "form_filter_invalid", { "不是有效的学习形式代码", "is not a learning form code" } },

	/* attachments */
	{ "attachment_type", { "只能是 JPEG 或 PNG 图片、PDF 文件或 ZIP 压缩包",
	    "must be a JPEG or PNG image, a PDF file or a ZIP archive" } },
	{ "attachment_too_large", { "不能超过 %s", "must be at most %s" } },
	{ "attachment_checksum", { "与文件内容不符，请重新上传",
	    "does not match the file's content; upload it again" } },
	{ "attachment_incomplete", { "文件还没有传完（已收到 %s 字节）",
	    "the file is not complete (%s bytes received)" } },
	{ "attachment_name_invalid", { "应为 1 到 100 个字，不含控制字符和 / \\",
	    "must be 1 to 100 characters without control characters, / or \\" } },
	{ "size_invalid", { "应为正整数", "must be a positive whole number" } },
	{ "sha256_invalid", { "应为 64 位十六进制数", "must be 64 hexadecimal digits" } },
	{ "upload_unknown", { "没有这个上传，请重新开始上传", "no such upload; start it again" } },
	{ "chunk_offset", { "不对，应从第 %s 字节继续", "is wrong; continue at byte %s" } },
	{ "chunk_invalid", { "应为 base64 编码，每块最多 256 KiB",
	    "must be base64, at most 256 KiB per chunk" } },
	{ "chunk_overflow", { "超出了开始上传时给出的文件大小",
	    "goes past the size given when the upload began" } },
	{ "uploads_busy", { "服务器上正在进行的上传太多，请稍后再试",
	    "too many uploads are in progress; try again later" } },
	{ "uploads_account_busy", { "您的账号已有 %s 个上传正在进行，请等它们完成或超时取消后再试",
	    "your account already has %s uploads in progress; wait until they finish or time out, then try again" } },
	{ "uploads_account_full", { "您的账号正在上传和尚未使用的文件已达 %s，请先使用或放弃它们",
	    "your account's uploads in progress or not yet used already hold %s; use or drop them first" } },
	{ "uploads_source_busy", { "从您的网络地址同时进行的上传太多，请稍后再试",
	    "too many uploads at once from your network address; try again later" } },
	{ "upload_stalled", { "%s 秒没有收到数据，上传已取消，请重新开始上传",
	    "no data arrived for %s seconds, so the upload was cancelled; start it again" } },
	{ "offset_invalid", { "超出了文件的范围", "is outside the file" } },
	{ "length_invalid", { "应为 1 到 262144", "must be between 1 and 262144" } },

	/* labels the replies use: states, categories, units of a claim */
	{ "function.review_declarations", { "学时审核", "Review declarations" } },
	{ "state.all", { "全部", "all" } },
	{ "state.draft", { "待提交", "to be submitted" } },
	{ "state.pending", { "待审核", "pending review" } },
	{ "state.approved", { "审核通过", "approved" } },
	{ "state.rejected", { "审核不通过", "rejected" } },
	{ "category.public", { "公需科目", "public subjects" } },
	{ "category.professional", { "专业科目", "professional subjects" } },
	{ "counts.hours", { "学时", "hours" } },
	{ "counts.credits", { "学分", "credits" } },
	{ "label.filename", { "文件名", "file name" } },
	{ "and", { "和", "and" } },

	{ NULL, { NULL, NULL } },
};

/* Labels of the parameters of declaration.*, attachment.* and review.*declaration*. */
const struct message fields_declarations[] = {
	{ "form", { "学习形式", "learning form" } },
	{ "year", { "计入年度", "year counted" } },
	{ "amount", { "申报学时(学分)", "hours or credits claimed" } },
	{ "fields", { "申报内容", "details" } },
	{ "attachment_token", { "附件", "attachment" } },
	{ "remove_attachment", { "删除附件", "remove the attachment" } },
	{ "id", { "申报记录", "declaration" } },
	{ "ids", { "所选申报", "chosen declarations" } },
	{ "version", { "版本", "version" } },
	{ "state", { "状态", "state" } },
	{ "person", { "人员", "person" } },
	{ "upload_id", { "上传", "upload" } },
	{ "offset", { "位置", "offset" } },
	{ "data", { "数据", "data" } },
	{ "size", { "文件大小", "file size" } },
	{ "sha256", { "SHA-256 校验值", "SHA-256" } },
	{ "attachment_id", { "附件", "attachment" } },
	{ "length", { "长度", "length" } },

	{ NULL, { NULL, NULL } },
};
