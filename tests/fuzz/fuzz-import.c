/*
 * fuzz-import.c - the CSV reader and checks of 'jxjyd import'
 * (daemon/app/import.c import_check_texts): lines, RFC 4180 fields, headers,
 * codes, names, references between the files and loops of parents.
 *
 * Input: one byte whose low five bits say which tables are imported
 * (regions, units, departments, majors, titles), then their files in that
 * order, each ended by a 0x1e byte (the last one by the end).  The
 * database is taken to hold the disciplines of the catalogue and nothing
 * else.  Checked: the verdict matches the mistakes reported, and every
 * mistake is one line of printable text naming its file.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "import.h"

static const char *const fuzz_disciplines[] = {
	"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14",
	NULL
};
static const char *const fuzz_tables[5] = {
	"regions", "units", "departments", "majors", "titles"
};

static int fuzz_mistakes;
static bool fuzz_summaries;

static void
fuzz_report(bool error, const char *line)
{
	bool named = false;

	FUZZ_ASSERT(line != NULL && line[0] != '\0');
	for (const char *p = line; *p != '\0'; p++)
		FUZZ_ASSERT((unsigned char)*p >= ' ' && *p != 0x7f);
	if (!error) {
		fuzz_summaries = true;
		return;
	}
	for (int t = 0; t < 5; t++) {
		size_t n = strlen(fuzz_tables[t]);

		named |= strncmp(line, fuzz_tables[t], n) == 0 && line[n] == ':';
	}
	FUZZ_ASSERT(named);
	fuzz_mistakes++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text[5] = { NULL };
	size_t len[5] = { 0 };
	const char *p, *end, *sep;
	int rc;

	if (size < 1)
		return 0;
	p = (const char *)data + 1;
	end = (const char *)data + size;
	for (int t = 0; t < 5; t++) {
		if ((data[0] & (1u << t)) == 0)
			continue;
		sep = memchr(p, 0x1e, (size_t)(end - p));
		text[t] = p;
		len[t] = (size_t)((sep != NULL ? sep : end) - p);
		p = sep != NULL ? sep + 1 : end;
	}
	fuzz_mistakes = 0;
	fuzz_summaries = false;
	rc = import_check_texts(text, len, fuzz_disciplines, fuzz_report);
	FUZZ_ASSERT(rc == IMPORT_OK || rc == IMPORT_INVALID);
	FUZZ_ASSERT((rc == IMPORT_OK) == (fuzz_mistakes == 0));
	FUZZ_ASSERT(!fuzz_summaries);
	return 0;
}
