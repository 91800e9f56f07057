/*
 * render-certificate.c - a test aid, not a test: the certificate's PDF from
 * a facts file, without a database or a signing key, and the payload read
 * back from a PDF (tests/integration/test_certificate_pdf.py drives it).
 *
 *   render-certificate [--times N] FACTS.json OUT.pdf [PAYLOAD]   render
 *   render-certificate --payload FILE.pdf             print the payload
 *
 * --times N puts the certificate N times into one PDF through the stream
 * (tests/bench/bench-certificates measures rendering alone with it).  The
 * page says to verify at "-p 2222 jxjy.example.cn".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>

#include "certificate-pdf.h"

#define RENDER_VERIFY_AT	"-p 2222 jxjy.example.cn"

static int
render_write(void *arg, const char *data, size_t len)
{
	return fwrite(data, 1, len, arg) == len ? 0 : -1;
}

static int
render_payload(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL, *payload;
	size_t len = 0, size = 0, n;
	int rc = 1;

	if (f == NULL) {
		perror(path);
		return 1;
	}
	do {
		if (len == size) {
			size = size ? size * 2 : 65536;
			if ((data = realloc(data, size)) == NULL)
				abort();
		}
		n = fread(data + len, 1, size - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	if (certificate_pdf_payload(data, len, &payload) == 0) {
		printf("%s\n", payload);
		free(payload);
		rc = 0;
	} else {
		fprintf(stderr, "%s: no payload\n", path);
	}
	free(data);
	return rc;
}

int
main(int argc, char **argv)
{
	struct certificate_pdf_stream *st;
	json_error_t error;
	json_t *facts;
	long times = 1;
	FILE *out;
	int rc = 1;

	if (argc == 3 && strcmp(argv[1], "--payload") == 0)
		return render_payload(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "--times") == 0) {
		times = strtol(argv[2], NULL, 10);
		argc -= 2;
		argv += 2;
	}
	if ((argc != 3 && argc != 4) || times < 1) {
		fprintf(stderr, "usage: render-certificate [--times N] FACTS.json OUT.pdf [PAYLOAD]\n"
		    "       render-certificate --payload FILE.pdf\n");
		return 1;
	}
	if ((facts = json_load_file(argv[1], 0, &error)) == NULL) {
		fprintf(stderr, "%s:%d: %s\n", argv[1], error.line, error.text);
		return 1;
	}
	if ((out = fopen(argv[2], "wb")) == NULL) {
		perror(argv[2]);
		goto out;
	}
	st = certificate_pdf_stream_begin(RENDER_VERIFY_AT, render_write, out);
	rc = 0;
	for (long i = 0; i < times && rc == 0; i++)
		rc = certificate_pdf_stream_add(st, facts, argc == 4 ? argv[3] : NULL);
	if (certificate_pdf_stream_end(st) != 0)
		rc = -1;
	if (fclose(out) != 0)
		rc = -1;
	if (rc != 0) {
		fprintf(stderr, "render-certificate: the facts could not be rendered\n");
		remove(argv[2]);	/* no half-made file */
	}
	rc = rc != 0;
out:
	json_decref(facts);
	certificate_pdf_end();	/* the fonts' caches, for the leak check */
	return rc;
}
