/*
 * base-report.h - the records a continuing-education base (继续教育基地)
 * reports for the people who attended its classes (基地学时申报), as other
 * parts of the daemon need them: the claim of unclaimed roster rows when a
 * registration is approved (rpc-review.c).  (The base's roster list,
 * roster.c, shows each row's record state.)
 *
 * The base's own methods (class.report, class.withdraw, roster.change,
 * roster.withdraw) are in rpc-base-report.c.  A base record is a row of
 * declarations with source 'base' and class_id set; it goes through
 * declaration_totals and declaration_audit like the person's own, so the
 * completion figures and the history count it with no special case.
 */
#ifndef JXJYD_BASE_REPORT_H
#define JXJYD_BASE_REPORT_H

#include "config.h"

struct db_conn;

/*
 * The reason word a roster row keeps when its person registered under
 * another name: the claim at approval leaves it unclaimed, and the base
 * sees the problem on the row.
 */
#define BASE_CLAIM_NAME_MISMATCH	"claim_name_mismatch"

/*
 * The CTE "totals" of a statement that makes base records: the hours of the
 * rows of src (a CTE returning account_id, year, form_code, category,
 * hours, state) added to declaration_totals, per person, year and form (a
 * person may be in several classes of one statement).
 */
#define BASE_TOTALS_ADD(src) \
	" totals AS (INSERT INTO declaration_totals (account_id, year, form_code, category," \
	"  pending_hours, approved_hours)" \
	"  SELECT account_id, year, form_code, min(category)," \
	"  sum(CASE WHEN state = 'pending' THEN hours ELSE 0 END)," \
	"  sum(CASE WHEN state = 'approved' THEN hours ELSE 0 END)" \
	"  FROM " src " GROUP BY account_id, year, form_code" \
	"  ON CONFLICT (account_id, year, form_code) DO UPDATE SET" \
	"  pending_hours = declaration_totals.pending_hours + EXCLUDED.pending_hours," \
	"  approved_hours = declaration_totals.approved_hours + EXCLUDED.approved_hours," \
	"  category = EXCLUDED.category)"

/* The state a reported record starts in under review (base_reports.review). */
const char *base_report_initial_state(enum base_review review);

/*
 * The review chain (REVIEW_CHAIN_*, schema 017) a base record of form_code
 * takes under cfg: ["authority"] under base_reports.review = "authority",
 * else the form's own (["unit"] for a form cfg does not have).
 */
const char *base_report_chain(const struct config *cfg, const char *form_code);

/*
 * Inside the caller's transaction (the approval of account's registration):
 * every unclaimed good row of a reported class naming account's ID number
 * becomes the person's record -- when the row's name is the account's --
 * with its audit row (action 'claim', actor the system), the totals and the
 * class's audit; a row whose name differs keeps BASE_CLAIM_NAME_MISMATCH as
 * its problem and stays unclaimed.  cfg is the configuration in force
 * at the time of the claim (base_reports.review, the forms' chains).  Returns the number of rows claimed, or -1 when the
 * database failed (its error in db).
 */
int	base_report_claim(struct db_conn *db, const char *account, const struct config *cfg);

#endif
