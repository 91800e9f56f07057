/*
 * messages-profile.c - sentences and field labels of profile management
 * (用户资料管理) and of the unit administrator's review of title changes.
 *
 * A reply to a broken rule reads "field label: sentence" (rpc.c), so a
 * sentence here does not repeat the name of its field.  The rules shared
 * with registration (phone_invalid, ...) and the review words shared with
 * the registration review (not_found, already_decided, reason_*) live in
 * messages-accounts.c.
 *
 * Reason words other groups use too (stale_version, ids_invalid, not_found)
 * get their sentence here under a key of this group, passed explicitly by
 * rpc-profile.c, and so do the labels of the parameters "id", "ids" and
 * "version": the tables are global and the first match wins.
 */
#include <stddef.h>

#include "messages.h"

const struct message messages_profile[] = {
	/* profile.update */
	{ "field_fixed", { "注册后不能修改", "cannot be changed after registration" } },
	{ "profile_stale_version", { "资料已在其他地方修改，请重新载入后再修改",
	    "the profile was changed elsewhere; reload it and make your change again" } },
	{ "profile_unchanged", { "没有修改任何内容", "Nothing was changed" } },
	{ "profile_saved", { "已保存", "Saved" } },
	{ "title_submitted", { "信息已经提交审核", "The information has been submitted for review" } },
	{ "title_change_cancelled", { "专业技术职务的变更申请已撤销",
	    "The title change request was cancelled" } },
	{ "message_separator", { "；", "; " } },

	/* profile.cancel_title_change */
	{ "title_change_not_pending", { "这条变更申请已经不在待审核状态",
	    "this change request is no longer waiting for review" } },
	{ "title_change_not_found", { "没有找到这条变更申请", "no such change request" } },

	/* review.approve_title_changes, review.reject_title_changes */
	{ "title_change_ids_invalid", { "请选择 1 到 200 条变更申请",
	    "choose between 1 and 200 change requests" } },

	/* the home screen's functions of a unit administrator */
	{ "function.review_titles", { "职务变更审核", "Review title changes" } },
	{ "function.staff", { "本单位人员", "Staff of the unit" } },

	{ NULL, { NULL, NULL } },
};

/* Labels as on the profile screen; the registration form's are in messages-accounts.c. */
const struct message fields_profile[] = {
	{ "department", { "所属工作部门", "department" } },
	{ "title", { "专业技术职务", "professional title" } },

	{ NULL, { NULL, NULL } },
};
