/*
 * messages-completion.c - sentences and labels of the annual completion
 * (年度完成情况) and the unit's completion report (完成情况统计).
 *
 * "csv.*" are the heading row of completion.report_csv, in the order of
 * its columns.  A sentence with "%s" is formatted by rpc-completion.c.
 */
#include <stddef.h>

#include "messages.h"

const struct message messages_completion[] = {
	{ "function.completion_report", { "完成情况统计", "Completion report" } },

	/* whether a year's requirement is met */
	{ "completion.met", { "达标", "met" } },
	{ "completion.not_met", { "未达标", "not met" } },

	/* mistakes in the parameters (year_invalid: messages-declarations.c) */
	{ "sort_invalid", { "应为 department、name、total、public 或 professional",
	    "must be department, name, total, public or professional" } },

	/* the CSV's heading row */
	{ "csv.name", { "姓名", "Name" } },
	{ "csv.id_number", { "身份证号", "ID number" } },
	{ "csv.department", { "部门", "Department" } },
	{ "csv.public", { "公需学时", "Public hours" } },
	{ "csv.professional", { "专业学时", "Professional hours" } },
	{ "csv.total", { "总学时", "Total hours" } },
	{ "csv.pending", { "待审核学时", "Pending hours" } },
	{ "csv.required", { "要求总学时", "Required hours" } },
	{ "csv.met", { "是否达标", "Met" } },

	{ NULL, { NULL, NULL } },
};

/* Labels of the parameters of completion.* (the others come from the earlier tables). */
const struct message fields_completion[] = {
	{ "completion.year", { "年度", "year" } },
	{ "completion.account_id", { "人员", "person" } },
	{ "sort", { "排序", "sort order" } },

	{ NULL, { NULL, NULL } },
};
