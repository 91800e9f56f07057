/*
 * test-format.c - the formatters every screen and `ssh host` output share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "format.h"

/* 2026-12-06 02:30 UTC: 10:30 on the 6th in Beijing, 21:30 on the 5th in New York. */
#define NOW	((time_t)1796524200)

static void
test_time(void)
{
	char buf[64];

	CHECK_STR(format_time("2026-12-06T10:23:00+08:00", "今天", NOW, buf, sizeof buf),
	    "今天 10:23", "a time of today says today");
	CHECK_STR(format_time("2026-12-06T00:00:00+08:00", "today", NOW, buf, sizeof buf),
	    "today 00:00", "midnight starts today");
	CHECK_STR(format_time("2026-12-05T23:59:59+08:00", "今天", NOW, buf, sizeof buf),
	    "2026-12-05 23:59", "the minute before midnight is yesterday: with its date");
	CHECK_STR(format_time("2026-12-05T21:30:00-05:00", "今天", NOW, buf, sizeof buf),
	    "今天 21:30", "today is the day in the time's own offset");
	CHECK_STR(format_time("2026-12-06T02:30:00.123456Z", "今天", NOW, buf, sizeof buf),
	    "今天 02:30", "fractions of a second and Z are read");
	CHECK_STR(format_time("2025-12-06T10:23:00+08:00", "今天", NOW, buf, sizeof buf),
	    "2025-12-06 10:23", "the same day a year ago has its date");
	CHECK_STR(format_time("2026-12-06T10:23:00+08:00", NULL, NOW, buf, sizeof buf),
	    "2026-12-06 10:23", "without a word for today, always the date");
	CHECK_STR(format_time("2026-12-06", "今天", NOW, buf, sizeof buf), "2026-12-06",
	    "a date alone is copied");
	CHECK_STR(format_time(NULL, "今天", NOW, buf, sizeof buf), "", "NULL is empty");
	CHECK_STR(format_time("2026-12-06T10:23:00+08:00", "今天", NOW, buf, 8), "今天 ",
	    "cut to the buffer");
}

static void
test_size(void)
{
	char buf[32];

	CHECK_STR(format_size(0, buf, sizeof buf), "0 B", "zero bytes");
	CHECK_STR(format_size(98, buf, sizeof buf), "98 B", "bytes below 1 KiB");
	CHECK_STR(format_size(1023, buf, sizeof buf), "1023 B", "1023 bytes");
	CHECK_STR(format_size(1024, buf, sizeof buf), "1 KiB", "exactly 1 KiB");
	CHECK_STR(format_size(1536, buf, sizeof buf), "1.5 KiB", "1.5 KiB");
	CHECK_STR(format_size(10LL * 1024 * 1024, buf, sizeof buf), "10 MiB",
	    "a limit of exactly 10 MiB");
	CHECK_STR(format_size(2621440, buf, sizeof buf), "2.5 MiB",
	    "2.5 MiB in MiB, not 2560 KiB");
	CHECK_STR(format_size(1258291, buf, sizeof buf), "1.2 MiB", "1.2 MiB");
	CHECK_STR(format_size(1048575, buf, sizeof buf), "1.0 MiB",
	    "just under 1 MiB does not say 1024.0 KiB");
	CHECK_STR(format_size(5LL * 1024 * 1024 * 1024, buf, sizeof buf), "5 GiB", "GiB");
	CHECK_STR(format_size(5LL * 1024 * 1024 * 1024 + 1, buf, sizeof buf), "5.0 GiB",
	    "a byte over 5 GiB");
}

static void
test_title(void)
{
	char *s;

	s = format_title("卫生(医)", "副主任医师");
	CHECK_STR(s, "卫生(医) · 副主任医师", "series and name with a middle dot");
	free(s);
	s = format_title(NULL, "工程师");
	CHECK_STR(s, "工程师", "the name alone without a series");
	free(s);
	s = format_title("", "");
	CHECK_STR(s, "", "nothing for no title");
	free(s);
	s = format_title("工程", NULL);
	CHECK_STR(s, "工程", "the series alone without a name");
	free(s);
}

int
main(void)
{
	test_time();
	test_size();
	test_title();
	return check_done();
}
