/*
 * base.h - the screens of a continuing-education base's administrator
 * (继续教育基地, issue 15): its classes (screen-base.c), a class's form
 * (screen-base-class.c) and its roster (screen-base-roster.c).  Every rule
 * -- which forms the base may report, what a valid row is, when a report
 * may be corrected -- is the daemon's; these screens draw its answers.
 */
#ifndef JXJY_BASE_H
#define JXJY_BASE_H

#include <jansson.h>

#include "app.h"

/*
 * The class form: a new draft (klass NULL) or a change of one (class.get's
 * result), with the forms the base may report (class.forms' result).
 * Saves with class.save; every problem of the reply beside its field at
 * once; asks before an edited form is left.  Returns the class's id when
 * it was saved (0: not saved), -1 to quit.
 */
json_int_t base_class_edit(struct app *a, json_t *forms, json_t *klass);

/*
 * The roster of class id: its rows with their problems or (after the
 * report) their records' states, and what the daemon allows on them.
 * Returns 0 when the person leaves it, -1 to quit.
 */
int	base_roster_run(struct app *a, json_int_t id);

/*
 * r and w: report the class (class.report) or withdraw its report
 * (class.withdraw), after asking.  A refusal's problems (each bad row, the
 * dates, the form) are shown all at once; what happened goes into said
 * (size bytes, *error).  screen-base.c
 */
void	base_report_class(struct app *a, json_t *klass, bool withdraw, char *said,
	    size_t size, bool *error);

/* "草稿 · 45 人 · 2 行有误 · 3 人未注册": a class's state and roster counts.  Caller frees. */
char	*base_class_counts(json_t *klass);

#endif
