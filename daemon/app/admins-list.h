/*
 * admins-list.h - 'jxjyd admins': who the unit administrators are.
 */
#ifndef JXJYD_ADMINS_LIST_H
#define JXJYD_ADMINS_LIST_H

#include <stdio.h>

struct config;
struct db_conn;

/*
 * Print to out the unit administrators cfg names, each with what the
 * database holds for it (account state, keys in force), then the
 * unit_admin accounts of the database that cfg does not name.  Reads
 * only.  Returns 0, or -1 when the database failed (reported on stderr).
 */
int	admins_list(struct db_conn *c, const struct config *cfg, FILE *out);

#endif
