/*
 * roster.h - a class's roster (名单): rows of 身份证号, 姓名 and optionally
 * 学时, typed, pasted or read from a CSV file, each checked.
 *
 * A file from Chinese Excel is usually GB18030 (GBK), not UTF-8: both are
 * read (and a UTF-8 byte order mark), and the reply says which.  A file is
 * read line by line: only the file and one decoded line are held, and rows
 * go to the database in batches, so memory stays flat whatever its size.
 *
 * Every row is checked, and every bad row kept with its problem (a reason
 * word) and line, so the base sees them all at once: an ID number that is
 * no valid one (GB 11643), a name missing or too long, hours outside the
 * bounds, a line that is no text in either encoding, the same ID number
 * twice in the class, a name that is not the registered person's (the
 * registered name is never told).  An ID number of nobody registered and
 * approved is no mistake: the row is kept unclaimed (account_id NULL).
 * A class with a bad row stays a draft (class.report refuses it).
 */
#ifndef JXJYD_ROSTER_H
#define JXJYD_ROSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "messages.h"

struct config;
struct db_conn;

/* Bad rows listed in one reply; roster.list {problems_only} pages through all. */
#define ROSTER_PROBLEMS_MAX	200

enum roster_status {
	ROSTER_OK,
	ROSTER_NOT_FOUND,	/* no such class of the base (or deleted) */
	ROSTER_NOT_DRAFT,	/* the class is reported or withdrawn */
	ROSTER_TOO_LARGE,	/* the file is over bases.roster_max_bytes */
	ROSTER_TOO_MANY_ROWS,	/* the roster would be over bases.roster_max_rows */
	ROSTER_FAILED,		/* the database failed (logged); nothing changed */
};

/* What an import did: the summary every roster change replies with. */
struct roster_summary {
	const char	*encoding;	/* "UTF-8", "UTF-8 BOM" or "GB18030"; NULL when typed */
	long		 taken;		/* rows this change added */
	long		 rows, bad, unclaimed;	/* the class's roster now */
	json_t		*problems;	/* [{row_id, line, id_number, name, reason,
					 * message}], at most ROSTER_PROBLEMS_MAX; owned */
	char		 state[16];	/* the class's state, with ROSTER_NOT_DRAFT */
};

void	roster_summary_free(struct roster_summary *sum);

/*
 * Replace (replace) or extend class_id's roster with the rows of a CSV file
 * (data, size bytes), for base_code's administrator actor_id, in one
 * transaction on db with its audit row.  Fills *sum (messages in lang).
 * Returns an enum roster_status; on anything but ROSTER_OK nothing changed.
 */
enum roster_status roster_import(struct db_conn *db, const struct config *cfg,
	    const char *base_code, const char *class_id, long long actor_id,
	    const unsigned char *data, size_t size, bool replace, enum lang lang,
	    struct roster_summary *sum);

/* The reason word of a status that is not ROSTER_OK (for messages). */
const char *roster_status_reason(enum roster_status st);

#endif
