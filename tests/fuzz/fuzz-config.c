/*
 * fuzz-config.c - jxjyd's configuration reader (daemon/core/config.c
 * config_load), on a file this harness writes into a private directory.
 *
 * Input: the file's text.  Checked: the verdict and the error list agree,
 * and every error line is one line of printable text (they go to a
 * terminal and to the log, with pieces of the file quoted in them).
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"
#include "jxjy-config.h"

static char fuzz_dir[256];
static char fuzz_path[300];

static void
fuzz_cleanup(void)
{
	unlink(fuzz_path);
	rmdir(fuzz_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(fuzz_dir, sizeof fuzz_dir, "%s/jxjy-fuzz-config.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL) {
		perror("fuzz-config: mkdtemp");
		exit(1);
	}
	snprintf(fuzz_path, sizeof fuzz_path, "%s/jxjyd.conf", fuzz_dir);
	atexit(fuzz_cleanup);
	return 0;
}

static void
fuzz_write(const uint8_t *data, size_t size)
{
	int fd = open(fuzz_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd) != 0) {
		perror("fuzz-config: write");
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg, dflt;
	struct config_errors errs = { NULL, 0 };
	char changed[1024], restart[1024];
	int rc;

	fuzz_write(data, size);
	rc = config_load(fuzz_path, &cfg, &errs);
	FUZZ_ASSERT((rc == 0) == (errs.n == 0));
	for (size_t i = 0; i < errs.n; i++) {
		FUZZ_ASSERT(errs.lines[i][0] != '\0');
		for (const char *p = errs.lines[i]; *p != '\0'; p++)
			FUZZ_ASSERT((unsigned char)*p >= ' ' && *p != 0x7f);
	}
	if (rc == 0) {
		FUZZ_ASSERT(cfg.port >= 1 && cfg.port <= 65535);
		FUZZ_ASSERT(cfg.max_line >= 1024 && cfg.max_line <= 67108864);
		FUZZ_ASSERT(cfg.n_admins == 0 || cfg.admins != NULL);
		for (int year = 1999; year <= 2201; year += 101)
			FUZZ_ASSERT(config_requirement_for(&cfg, year) != NULL);
	}
	config_defaults(&dflt);
	config_diff(&dflt, &cfg, changed, sizeof changed, restart, sizeof restart);
	config_free(&dflt);
	config_free(&cfg);
	config_errors_free(&errs);
	return 0;
}
