/*
 * partitions.h - a partition of declarations and attachments for every year
 * a record may be declared in (schema/019-partition-by-year.sql).
 *
 * The window is the years declarations.years_back allows (rpc-declarations.c
 * decl_year_ok, base classes likewise) and the next one, so that the first
 * records of a new year find their partition made: [now - years_back,
 * now + 1], now as db_year_now() counts it.  A year without a partition is
 * not refused (the DEFAULT partitions take it); declarations_add_year moves
 * such rows out when the year's partition is made.
 */
#ifndef JXJYD_PARTITIONS_H
#define JXJYD_PARTITIONS_H

#include "config.h"
#include "db.h"

/*
 * Make the partitions of the window that are missing, each in a
 * transaction of its own that waits at most a second for its locks (making
 * a partition locks the table: better to try again than to hold up every
 * request behind a long report).  Several daemons may run it at once (the
 * SQL functions serialise on an advisory lock).  Returns the partitions
 * made, or -1 when one could not be (logged; the others are still made).
 * A database without schema 019 has none to keep: 0.
 */
int	partitions_keep(struct db_conn *db, const struct config *cfg);

/*
 * The listening thread's tick: partitions_keep when the year changed since
 * the last keep that succeeded, or that one failed -- looked at once a
 * minute at most.  Cheap otherwise (no database round trip).
 */
void	partitions_tick(struct db_conn *db, const struct config *cfg);

#endif
