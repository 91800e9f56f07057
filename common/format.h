/*
 * format.h - one way to write each kind of value a person reads, shared by
 * the TUI and the daemon's `ssh host COMMAND` output (issue 14, rule 8).
 *
 *	a time		"今天 10:23" today, else "2026-12-05 10:23"
 *	a size		"98 B", "1.2 KiB", "3.4 MiB" (binary units, in both languages)
 *	a title		"卫生(医) · 副主任医师": the series and the title's own name
 *
 * Words that differ by language (the word for today) are the caller's:
 * the TUI passes its gettext text, the daemon its message catalogue's.
 */
#ifndef JXJY_FORMAT_H
#define JXJY_FORMAT_H

#include <stddef.h>
#include <time.h>

/*
 * The ISO 8601 time iso ("2026-12-05T10:23:00+08:00") to the minute into
 * buf: "<today> 10:23" when it falls on the day that now is in the
 * time's own UTC offset, else "2026-12-05 10:23".  now 0 means time(NULL);
 * today NULL always writes the date.  Anything else than such a time is
 * copied as it is (cut to size).  Returns buf.
 */
char	*format_time(const char *iso, const char *today, time_t now, char *buf, size_t size);

/*
 * bytes as "98 B", "1.2 KiB", "3.4 MiB", "1.1 GiB" into buf; an exact
 * number of a unit without the decimal ("10 MiB").  Returns buf.
 */
char	*format_size(long long bytes, char *buf, size_t size);

/*
 * A professional title as "series · name" ("卫生(医) · 副主任医师"); the
 * name alone without a series, "" with neither (NULL or "" parts).
 * Returns a new string (caller frees).
 */
char	*format_title(const char *series, const char *name);

#endif
