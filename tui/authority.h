/*
 * authority.h - the screens of the authority's administrators (人社 /
 * 主管部门, issue 16): completion statistics with their drill-down, trend
 * and export (screen-authority-stats.c), the review queue
 * (screen-authority-review.c), the audit search (screen-authority-audit.c),
 * the bases (screen-authority-bases.c) and the yearly requirements
 * (screen-authority-requirements.c).  Every figure and every scope is the
 * daemon's (docs/protocol.md, "The authority"); these screens lay them out.
 */
#ifndef JXJY_AUTHORITY_H
#define JXJY_AUTHORITY_H

#include <stdbool.h>

#include <jansson.h>

#include "app.h"

/*
 * The statistics of year from the top of the account's scope (the
 * province by city, or a city administrator's city by unit), only the rows
 * whose met rate is below `below` (0 to 1; 0: every row).  Returns 0 when
 * the person leaves the top level, -1 to quit.
 */
int	authority_stats_run(struct app *a, int year, double below);

/* The current year in China (UTC+8), whatever the client's time zone.  screen-authority.c */
int	authority_this_year(void);

/*
 * Whether the terminal shows more than ASCII: the environment's locale
 * (LC_ALL, LC_CTYPE, LANG, the first set) names UTF-8.  jxjy itself runs in
 * a UTF-8 locale either way (i18n_setup), so this asks the environment.
 */
bool	authority_unicode(void);

/* A rate (0 to 1, or null) as "75.1%", "-" for null.  Into buf; returns buf. */
char	*authority_rate_text(json_t *rate, char *buf, size_t size);

/* The account's scope {code, name, province} (a->me's), and whether it is the province. */
json_t	*authority_scope(struct app *a);
bool	authority_is_province(struct app *a);

/*
 * Choose a unit of the scope: its city first when the scope is the
 * province (ref.regions), then the unit (ref.units, filtered as typed).
 * Returns true with *code and *name (caller frees), false when cancelled.
 */
bool	authority_pick_unit(struct app *a, char **code, char **name);

#endif
