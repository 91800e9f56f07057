/*
 * format.c - the one way to write each kind of value (format.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "xmalloc.h"

/* "+08:00", "-05:30" or "Z" at s as seconds east of UTC; false when it is none. */
static bool
format_offset(const char *s, long *seconds)
{
	int hours, minutes;

	if (strcmp(s, "Z") == 0) {
		*seconds = 0;
		return true;
	}
	if ((s[0] != '+' && s[0] != '-') || sscanf(s + 1, "%2d:%2d", &hours, &minutes) != 2)
		return false;
	*seconds = (hours * 3600L + minutes * 60L) * (s[0] == '-' ? -1 : 1);
	return true;
}

char *
format_time(const char *iso, const char *today, time_t now, char *buf, size_t size)
{
	const char *zone;
	char day[16];
	long offset;
	struct tm tm;
	time_t local;

	if (size == 0)
		return buf;
	if (iso == NULL || strlen(iso) < 16 || iso[4] != '-' || iso[7] != '-' ||
	    iso[10] != 'T' || iso[13] != ':') {
		snprintf(buf, size, "%s", iso != NULL ? iso : "");
		return buf;
	}
	/* The offset follows the seconds and their fraction, if any. */
	zone = iso + 16;
	while (*zone != '\0' && *zone != '+' && *zone != '-' && *zone != 'Z')
		zone++;
	if (today != NULL && format_offset(zone, &offset)) {
		local = (now != 0 ? now : time(NULL)) + offset;
		gmtime_r(&local, &tm);
		strftime(day, sizeof day, "%Y-%m-%d", &tm);
		if (strncmp(day, iso, 10) == 0) {
			snprintf(buf, size, "%s %.5s", today, iso + 11);
			return buf;
		}
	}
	snprintf(buf, size, "%.10s %.5s", iso, iso + 11);
	return buf;
}

char *
format_size(long long bytes, char *buf, size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	long long unit = 1024;
	size_t u = 0;
	double v;

	if (bytes < 1024) {
		snprintf(buf, size, "%lld B", bytes);
		return buf;
	}
	/* The largest unit that leaves at least 1; 1023.96 KiB would print as 1024.0. */
	while (u + 1 < sizeof units / sizeof units[0] && bytes / unit >= 1024) {
		unit *= 1024;
		u++;
	}
	v = (double)bytes / (double)unit;
	if (v >= 1023.95 && u + 1 < sizeof units / sizeof units[0]) {
		unit *= 1024;
		u++;
		v = (double)bytes / (double)unit;
	}
	/* A limit is mostly a whole number of its unit: "10 MiB", not "10.0 MiB". */
	if (bytes % unit == 0)
		snprintf(buf, size, "%lld %s", bytes / unit, units[u]);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}

char *
format_title(const char *series, const char *name)
{
	bool has_series = series != NULL && *series != '\0';
	bool has_name = name != NULL && *name != '\0';

	if (has_series && has_name)
		return xasprintf("%s · %s", series, name);
	return xstrdup(has_name ? name : has_series ? series : "");
}
