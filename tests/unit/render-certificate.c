/*
 * render-certificate.c - a test aid, not a test: the certificate's PDF from
 * a facts file, without a database or a signing key, and the payload read
 * back from a PDF (tests/integration/test_certificate_pdf.py drives it).
 *
 *   render-certificate FACTS.json OUT.pdf [PAYLOAD]   render
 *   render-certificate --payload FILE.pdf             print the payload
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>

#include "certificate-pdf.h"

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
	json_error_t error;
	json_t *facts;
	char *pdf;
	size_t len;
	FILE *out;
	int rc = 1;

	if (argc == 3 && strcmp(argv[1], "--payload") == 0)
		return render_payload(argv[2]);
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: render-certificate FACTS.json OUT.pdf [PAYLOAD]\n"
		    "       render-certificate --payload FILE.pdf\n");
		return 1;
	}
	if ((facts = json_load_file(argv[1], 0, &error)) == NULL) {
		fprintf(stderr, "%s:%d: %s\n", argv[1], error.line, error.text);
		return 1;
	}
	if (certificate_pdf(facts, argc == 4 ? argv[3] : NULL, &pdf, &len) < 0) {
		fprintf(stderr, "render-certificate: the facts could not be rendered\n");
		goto out;
	}
	if ((out = fopen(argv[2], "wb")) == NULL || fwrite(pdf, 1, len, out) != len ||
	    fclose(out) != 0)
		perror(argv[2]);
	else
		rc = 0;
	free(pdf);
out:
	json_decref(facts);
	certificate_pdf_end();	/* the fonts' caches, for the leak check */
	return rc;
}
