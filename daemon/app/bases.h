/*
 * bases.h - what a continuing-education base (继续教育基地) may do, for its
 * RPC methods (rpc-bases.c) and its `ssh host COMMAND`s (ssh/exec.c).
 *
 * A base reports the learning forms its row of the bases table names, or,
 * when it names none, the forms of its kind (base_kinds in jxjyd.conf).
 * Its classes (班次) are drafts until reported (H4's class.report); every
 * change of a class or its roster is audited in base_class_audit, in the
 * change's transaction.
 */
#ifndef JXJYD_BASES_H
#define JXJYD_BASES_H

#include <stdbool.h>
#include <jansson.h>

struct config;
struct db_conn;

/* Hours or credits per attendee: more than 0, at most this, two decimals (as declarations). */
#define BASES_AMOUNT_MAX	1000

/*
 * The learning form codes base_code may report now (a JSON array of
 * strings, caller owns), or NULL when the database failed.  An unknown
 * base has none.
 */
json_t	*bases_forms(struct db_conn *db, const struct config *cfg, const char *base_code);

/*
 * The same of a base's row already read: its kind and its forms column as
 * a JSON array's text (array_to_json), the kind's forms when it is empty.
 * Caller owns the result.
 */
json_t	*bases_forms_of(const struct config *cfg, const char *kind, const char *forms_json);

/* Whether forms (bases_forms) holds code. */
bool	bases_form_allowed(const json_t *forms, const char *code);

/*
 * Audit one change of class class_id by actor_id (0: the system) inside
 * the caller's transaction: action (create, update, delete, roster, ...)
 * and detail (a JSON object, taken; NULL for none).  Returns 0, or -1
 * when the database failed (the error kept in db).
 */
int	bases_audit(struct db_conn *db, const char *class_id, long long actor_id,
	    const char *action, json_t *detail);

#endif
