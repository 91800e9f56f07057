/*
 * keys.c - the keys of every screen (keys.h says why they are together).
 */
#include <stdbool.h>
#include <stddef.h>

#include "i18n.h"
#include "keys.h"

/* queue.c */
/* The keys every queue has; a screen's decisions and own keys come after. */
const struct ui_key_help queue_keys[] = {
	{ "↑↓ j k", N_("move"), false },
	{ "PgUp PgDn", N_("a page; PgDn past the last row reads more"), false },
	{ "Home End", N_("first, last row"), false },
	{ "Enter", N_("details"), true },
	{ "F5", N_("read the list again"), false },
	{ "Esc", N_("back"), true },
	{ NULL, NULL, false },
};
const struct ui_key_help queue_keys_tagging[] = {
	{ N_("Space"), N_("select (several)"), true },
	{ NULL, NULL, false },
};
const struct ui_key_help queue_keys_filter[] = {
	{ "/", N_("filter by a name or the start of an ID number"), true },
	{ NULL, NULL, false },
};

/* screen-base.c: the queue's keys come first */
const struct ui_key_help base_keys[] = {
	{ "n", N_("new class"), true },
	{ "e", N_("edit a draft class"), true },
	{ "d", N_("delete a draft class"), false },
	{ "r", N_("report the class"), true },
	{ "w", N_("withdraw the class's report"), false },
	{ "g", N_("download the class document"), false },
	{ NULL, NULL, false },
};
/* screen-base-class.c */
const struct ui_key_help base_class_keys[] = {
	{ N_("Tab"), N_("next field"), true },
	{ N_("Down, Up; Shift-Tab"), N_("next, previous field"), false },
	{ N_("Enter"), N_("choose"), true },
	{ N_("Left/Right"), N_("choose the year"), false },
	{ N_("Esc"), N_("back (asks first)"), true },
	{ N_("F10"), N_("quit"), true },
	{ 0 }
};
/* screen-base-roster.c: the queue's keys come first */
const struct ui_key_help base_roster_keys[] = {
	{ "a", N_("add rows: type or paste them (a draft)"), true },
	{ "i", N_("import a CSV file (a draft)"), true },
	{ "c", N_("change the row (after the report: its hours)"), true },
	{ N_("x, Delete"), N_("remove the rows (after the report: withdraw them)"), true },
	{ "p", N_("the bad rows only, or all"), false },
	{ "r", N_("report the class"), true },
	{ "w", N_("withdraw the class's report"), false },
	{ NULL, NULL, false },
};

/* screen-completion.c */
const struct ui_key_help compl_keys[] = {
	{ N_("Up/Down"), N_("choose a year"), true },
	{ N_("Enter"), N_("the year's records"), true },
	{ "p", N_("Print certificate"), true },
	{ N_("F5"), N_("refresh"), true },
	{ N_("Home/End"), N_("the first, the last year"), false },
	{ N_("Esc"), N_("back"), true },
	{ 0 }
};
const struct ui_key_help compl_detail_keys[] = {
	{ N_("Up/Down"), N_("choose a record"), true },
	{ N_("Enter"), N_("details"), true },
	{ N_("PgUp/PgDn, Home/End"), N_("move faster"), false },
	{ N_("Esc"), N_("back"), true },
	{ 0 }
};

/* screen-decl-review.c */
const struct ui_key_help dreview_keys[] = {
	{ "y", N_("the year"), false },
	{ "f", N_("the learning form"), false },
	{ "c", N_("a training base's class: decide it whole, or show only it"), false },
	{ "g", N_("download the attachment (in the details)"), false },
	{ NULL, NULL, false },
};

/* screen-declare.c */
const struct ui_key_help declare_keys[] = {
	{ N_("Tab"), N_("next field"), true },
	{ N_("Down, Up; Shift-Tab"), N_("next, previous field"), false },
	{ N_("Enter"), N_("choose"), true },
	{ N_("Tab on the path"), N_("complete the file's path"), false },
	{ N_("F4, Space, typing"), N_("open the list of a choice field"), false },
	{ N_("PgUp/PgDn"), N_("scroll"), false },
	{ N_("Esc"), N_("back (asks first)"), true },
	{ N_("F10"), N_("quit"), true },
	{ 0 }
};

/* screen-home.c */
const struct ui_key_help home_keys[] = {
	{ N_("Up/Down"), N_("choose"), true },
	{ N_("Enter"), N_("open"), true },
	{ N_("F2"), N_("user menu"), true },
	{ N_("Tab"), N_("the list or the user button"), false },
	{ N_("PgUp/PgDn, Home/End"), N_("move faster"), false },
	{ N_("F10"), N_("quit"), true },
	{ 0 }
};

/* screen-login.c */
const struct ui_key_help login_keys[] = {
	{ N_("Tab"), N_("next field"), true },
	{ N_("Down, Up; Shift-Tab"), N_("next, previous field"), false },
	{ N_("Enter"), N_("confirm"), true },
	{ N_("F10"), N_("quit"), true },
	{ 0 }
};
/* While a verification code is asked for. */
const struct ui_key_help login_captcha_keys[] = {
	{ N_("Tab"), N_("next field"), true },
	{ N_("Down, Up; Shift-Tab"), N_("next, previous field"), false },
	{ N_("Enter"), N_("confirm"), true },
	{ N_("F5"), N_("a new verification code"), true },
	{ N_("F10"), N_("quit"), true },
	{ 0 }
};

/* screen-password.c */
const struct ui_key_help password_keys[] = {
	{ N_("Tab"), N_("next field"), true },
	{ N_("Down, Up; Shift-Tab"), N_("next, previous field"), false },
	{ N_("Enter"), N_("confirm"), true },
	{ N_("Esc"), N_("back"), true },
	{ N_("Left/Right"), N_("remove or keep a key"), true },
	{ N_("F10"), N_("quit"), true },
	{ 0 }
};
/* The first change of a password: leaving it logs out. */
const struct ui_key_help password_forced_keys[] = {
	{ N_("Tab"), N_("next field"), true },
	{ N_("Down, Up; Shift-Tab"), N_("next, previous field"), false },
	{ N_("Enter"), N_("confirm"), true },
	{ N_("Esc"), N_("log out"), true },
	{ N_("Left/Right"), N_("remove or keep a key"), true },
	{ 0 }
};

/* screen-profile.c */
const struct ui_key_help profile_keys_help[] = {
	{ N_("Tab"), N_("next field"), true },
	{ N_("Down, Up; Shift-Tab"), N_("next, previous field"), false },
	{ N_("Enter"), N_("choose"), true },
	{ N_("F4, Space, typing"), N_("open the list of a choice field"), false },
	{ N_("Delete"), N_("clear a chosen field"), false },
	{ N_("F5"), N_("reload"), true },
	{ N_("Esc"), N_("back (asks first)"), true },
	{ N_("F10"), N_("quit"), true },
	{ 0 }
};
const struct ui_key_help profile_history_keys[] = {
	{ N_("Up/Down"), N_("move"), true },
	{ N_("Enter"), N_("details"), true },
	{ N_("F5"), N_("reload"), true },
	{ N_("PgUp/PgDn, Home/End"), N_("move faster"), false },
	{ N_("Esc"), N_("back"), true },
	{ 0 }
};
const struct ui_key_help profile_ssh_keys[] = {
	{ N_("a"), N_("add a key"), true },
	{ N_("d, Delete"), N_("remove the key"), true },
	{ N_("Enter"), N_("details"), true },
	{ N_("Up/Down"), N_("choose"), false },
	{ N_("F5"), N_("reload"), false },
	{ N_("Esc"), N_("back"), true },
	{ 0 }
};

/* screen-progress.c */
const struct ui_key_help progress_keys_help[] = {
	{ N_("Enter"), N_("details"), true },
	{ N_("Left/Right, 1-5"), N_("state"), true },
	{ N_("Esc"), N_("back"), true },
	{ N_("w"), N_("withdraw"), true },
	{ N_("e"), N_("edit"), true },
	{ N_("d"), N_("delete"), true },
	{ N_("v"), N_("revise"), true },
	{ N_("g"), N_("download the attachment"), false },
	{ N_("Up/Down"), N_("choose"), false },
	{ N_("PgDn"), N_("next page; past the end, load more"), false },
	{ N_("F5"), N_("refresh"), false },
	{ 0 }
};

/* screen-register.c */
const struct ui_key_help reg_keys[] = {
	{ N_("Tab"), N_("next field"), true },
	{ N_("Down, Up; Shift-Tab"), N_("next, previous field"), false },
	{ N_("Enter"), N_("choose"), true },
	{ N_("F4, Space, typing"), N_("open the list of a choice field"), false },
	{ N_("Delete"), N_("clear a chosen field"), false },
	{ N_("Left/Right"), N_("choose among the options side by side"), false },
	{ N_("PgUp/PgDn"), N_("scroll"), true },
	{ N_("Esc"), N_("back (asks first)"), true },
	{ N_("F10"), N_("quit"), true },
	{ 0 }
};

/* screen-report.c */
const struct ui_key_help report_keys[] = {
	{ "y", N_("the year"), true },
	{ "s", N_("the order"), true },
	{ "r", N_("reverse the order"), false },
	{ "n", N_("only those not met, or everyone"), true },
	{ "d", N_("the department"), true },
	{ "e", N_("export the report as CSV"), true },
	{ NULL, NULL, false },
};

/* screen-authority-stats.c: the queue's keys come first */
const struct ui_key_help authority_stats_keys[] = {
	{ N_("Esc, Backspace"), N_("back up a level, the cursor where it was"), false },
	{ "← →", N_("the year before, after"), true },
	{ "y", N_("type the year"), false },
	{ "s", N_("the order"), true },
	{ "r", N_("reverse the order"), false },
	{ "f", N_("only the rows whose met rate is below a percentage"), true },
	{ "t", N_("the met rate of the row over the years"), true },
	{ "T", N_("the met rate of this level over the years"), false },
	{ "e", N_("export this level as CSV"), true },
	{ NULL, NULL, false },
};

/* screen-authority-review.c: the queue's keys come first */
const struct ui_key_help authority_review_keys[] = {
	{ "u", N_("one unit of your scope, or every unit"), true },
	{ "y", N_("the year"), false },
	{ "c", N_("a training base's class: decide it whole, or show only it"), false },
	{ "g", N_("download the attachment (in the details)"), false },
	{ NULL, NULL, false },
};

/* screen-authority-audit.c: the form's keys (the list's are the queue's) */
const struct ui_key_help authority_audit_keys[] = {
	{ N_("Tab"), N_("next field"), true },
	{ N_("Down, Up; Shift-Tab"), N_("next, previous field"), false },
	{ N_("Enter"), N_("choose; on a text field, search"), true },
	{ N_("Delete"), N_("clear a choice: every kind, unit or outcome"), false },
	{ N_("Esc"), N_("back"), true },
	{ N_("F10"), N_("quit"), false },
	{ NULL, NULL, false },
};

/* screen-authority-bases.c: the queue's keys come first */
const struct ui_key_help authority_bases_keys[] = {
	{ "a", N_("accredit the base"), true },
	{ "x", N_("suspend its reports (a reason is required)"), true },
	{ "u", N_("let it report again"), true },
	{ "f", N_("the learning forms it may report"), true },
	{ "v", N_("the state shown: all, active, not accredited, suspended, not listed"), true },
	{ NULL, NULL, false },
};

/* screen-authority-requirements.c */
const struct ui_key_help authority_requirements_keys[] = {
	{ "↑↓ j k", N_("move"), false },
	{ "Enter", N_("the year's cities and their units short of it"), true },
	{ "Esc", N_("back"), true },
	{ NULL, NULL, false },
};

/* screen-staff.c */
const struct ui_key_help staff_keys[] = {
	{ "r", N_("reset the password"), true },
	{ "*", N_("select all shown, or none"), true },
	{ "p", N_("print certificates of the selected people (or of the one under the cursor)"),
	    true },
	{ NULL, NULL, false },
};

/* screen-status.c */
const struct ui_key_help status_keys[] = {
	{ N_("Tab"), N_("next field"), true },
	{ N_("Down, Up; Shift-Tab"), N_("next, previous field"), false },
	{ N_("Enter"), N_("confirm"), true },
	{ N_("Esc"), N_("back"), true },
	{ N_("F10"), N_("quit"), true },
	{ 0 }
};
