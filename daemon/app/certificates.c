/*
 * certificates.c - certificates of continuing education (学时证明): the
 * facts, their signature, their storage (schema 010) and their check.
 *
 * The signing key is an Ed25519 seed in a file of its own
 * (certificates.signing_key), generated at first start; it is read once
 * and kept for the process's life (a restart key: config.c).  Rotating it
 * means moving the file away, putting its public key (the log line at
 * start, or `jxjyd certificate-key`) into certificates.old_public_keys and
 * restarting: certificates issued before still verify, by their key id.
 *
 * A certificate's facts are read in one REPEATABLE READ snapshot with the
 * statements of completion.c, so they are the figures completion.year
 * shows, and stored in the same transaction with the records they state
 * and those records' versions.  Approved records are final in jxjy today,
 * but an administrator's correction in the database, a deletion or a
 * later path back to review would change a record: verification compares
 * each one's state and version, and says "no longer valid" instead of
 * vouching for hours that are no longer approved.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "certificate-pdf.h"
#include "certificates.h"
#include "completion.h"
#include "config.h"
#include "db.h"
#include "format.h"
#include "forms.h"
#include "log.h"
#include "messages.h"
#include "text.h"
#include "xmalloc.h"

#define CERTIFICATE_B64	sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define CERTIFICATE_ISSUE_TRIES	5	/* codes drawn before giving up on a collision */
#define CERTIFICATE_RECORDS_MAX	5000	/* records one certificate may state */
#define CERTIFICATES_DB_WAIT_MS	5000	/* for a connection again, between two people */

/* Without 0, O, 1 and I, which read alike; 32 letters, 5 bits each. */
static const char certificate_alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

static struct {
	unsigned char	 secret[crypto_sign_SECRETKEYBYTES];
	unsigned char	 public_key[crypto_sign_PUBLICKEYBYTES];
	char		 public_text[CERTIFICATE_PUBLIC_KEY_SIZE];
	char		 key_id[CERTIFICATE_KEY_ID_SIZE];
	bool		 loaded;
} certificates_key;

/* The key id of a public key: the first 8 hex digits of its SHA-256. */
static void
certificates_key_id_of(const unsigned char *public_key, char out[CERTIFICATE_KEY_ID_SIZE])
{
	unsigned char hash[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(hash, public_key, crypto_sign_PUBLICKEYBYTES);
	sodium_bin2hex(out, CERTIFICATE_KEY_ID_SIZE, hash, 4);
}

/* A new seed written to path (0600, exclusively); -1 with err. */
static int
certificates_generate(const char *path, unsigned char seed[crypto_sign_SEEDBYTES],
    char *err, size_t size)
{
	char text[crypto_sign_SEEDBYTES * 2], *dir = xstrdup(path);
	int fd;
	size_t len;

	if (mkdir(dirname(dir), 0700) != 0 && errno != EEXIST) {
		snprintf(err, size, "%s: cannot create its directory: %s", path, strerror(errno));
		free(dir);
		return -1;
	}
	free(dir);
	randombytes_buf(seed, crypto_sign_SEEDBYTES);
	sodium_bin2base64(text, sizeof text, seed, crypto_sign_SEEDBYTES, CERTIFICATE_B64);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, size, "%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	len = strlen(text);
	text[len++] = '\n';
	if (fchmod(fd, 0600) != 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		snprintf(err, size, "%s: cannot write: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	sodium_memzero(text, sizeof text);
	return 0;
}

/* The seed in path; 1 when there is no such file, -1 with err. */
static int
certificates_read(const char *path, unsigned char seed[crypto_sign_SEEDBYTES],
    char *err, size_t size)
{
	char text[128];
	struct stat st;
	size_t bin_len, n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, size, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
		snprintf(err, size, "%s: others may read it (mode %03o): chmod 600 it",
		    path, (unsigned)(st.st_mode & 0777));
		close(fd);
		return -1;
	}
	n = (size_t)read(fd, text, sizeof text - 1);
	close(fd);
	if (n > sizeof text - 1)
		n = 0;
	text[n] = '\0';
	text[strcspn(text, "\r\n")] = '\0';
	if (sodium_base642bin(seed, crypto_sign_SEEDBYTES, text, strlen(text), NULL, &bin_len,
	    NULL, CERTIFICATE_B64) != 0 || bin_len != crypto_sign_SEEDBYTES) {
		snprintf(err, size, "%s: not a certificate signing key (one line of base64)", path);
		sodium_memzero(text, sizeof text);
		return -1;
	}
	sodium_memzero(text, sizeof text);
	return 0;
}

int
certificates_start(const struct config *cfg, char *err, size_t size)
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	const char *path = cfg->cert_signing_key;
	int rc;

	if (sodium_init() < 0) {	/* idempotent; this may run before any other user */
		snprintf(err, size, "libsodium cannot be initialised");
		return -1;
	}
	if ((rc = certificates_read(path, seed, err, size)) < 0)
		return -1;
	if (rc == 1) {
		if (certificates_generate(path, seed, err, size) != 0)
			return -1;
		log_info("certificates: generated a new signing key in %s", path);
	}
	crypto_sign_seed_keypair(certificates_key.public_key, certificates_key.secret, seed);
	sodium_memzero(seed, sizeof seed);
	sodium_bin2base64(certificates_key.public_text, sizeof certificates_key.public_text,
	    certificates_key.public_key, sizeof certificates_key.public_key, CERTIFICATE_B64);
	certificates_key_id_of(certificates_key.public_key, certificates_key.key_id);
	certificates_key.loaded = true;
	log_info("certificates: signing key %s, public key %s", certificates_key.key_id,
	    certificates_key.public_text);
	return 0;
}

const char *
certificates_public_key(void)
{
	return certificates_key.public_text;
}

const char *
certificates_key_id(void)
{
	return certificates_key.key_id;
}

char *
certificates_verify_at(const struct config *cfg)
{
	const char *value = cfg->cert_verify_host, *colon;
	char host[256];
	int port = cfg->port;

	if (value == NULL || *value == '\0') {
		if (gethostname(host, sizeof host) != 0 || host[0] == '\0')
			snprintf(host, sizeof host, "localhost");
		host[sizeof host - 1] = '\0';
	} else {
		/* "[v6]:port", "host:port", "host" (config.c has checked the form). */
		colon = strrchr(value, *value == '[' ? ']' : ':');
		if (*value == '[')
			colon = colon != NULL && colon[1] == ':' ? colon + 1 : NULL;
		snprintf(host, sizeof host, "%.*s", colon != NULL ? (int)(colon - value) :
		    (int)strlen(value), value);
		if (colon != NULL)
			port = atoi(colon + 1);
	}
	if (*host == '[') {		/* ssh takes an IPv6 address bare */
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	return port == 22 ? xstrdup(host) : xasprintf("-p %d %s", port, host);
}

char *
certificates_payload(const json_t *facts)
{
	char *text = json_dumps(facts, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);

	if (text == NULL)
		fatal("certificates: cannot serialise the facts");
	return text;
}

/* The public key of key_id: the signing key's or an old one; false when unknown. */
static bool
certificates_find_key(const struct config *cfg, const char *key_id,
    unsigned char out[crypto_sign_PUBLICKEYBYTES])
{
	char id[CERTIFICATE_KEY_ID_SIZE];
	size_t len;

	if (certificates_key.loaded && strcmp(key_id, certificates_key.key_id) == 0) {
		memcpy(out, certificates_key.public_key, crypto_sign_PUBLICKEYBYTES);
		return true;
	}
	for (size_t i = 0; cfg->cert_old_public_keys != NULL &&
	    cfg->cert_old_public_keys[i] != NULL; i++) {
		const char *text = cfg->cert_old_public_keys[i];

		if (sodium_base642bin(out, crypto_sign_PUBLICKEYBYTES, text, strlen(text), NULL,
		    &len, NULL, CERTIFICATE_B64) != 0 || len != crypto_sign_PUBLICKEYBYTES)
			continue;
		certificates_key_id_of(out, id);
		if (strcmp(id, key_id) == 0)
			return true;
	}
	return false;
}

bool
certificates_signature_ok(const struct config *cfg, const json_t *facts,
    const char *signature, const char *key_id)
{
	unsigned char public_key[crypto_sign_PUBLICKEYBYTES], sig[crypto_sign_BYTES];
	size_t len;
	char *payload;
	bool ok;

	if (signature == NULL || key_id == NULL || !certificates_find_key(cfg, key_id,
	    public_key))
		return false;
	if (sodium_base642bin(sig, sizeof sig, signature, strlen(signature), NULL, &len, NULL,
	    CERTIFICATE_B64) != 0 || len != sizeof sig)
		return false;
	payload = certificates_payload(facts);
	ok = crypto_sign_verify_detached(sig, (unsigned char *)payload, strlen(payload),
	    public_key) == 0;
	free(payload);
	return ok;
}

/* The signature of facts by the signing key, in base64. Caller frees. */
static char *
certificates_sign(const json_t *facts)
{
	unsigned char sig[crypto_sign_BYTES];
	char *payload = certificates_payload(facts);
	char *text = xmalloc(sodium_base64_ENCODED_LEN(sizeof sig, CERTIFICATE_B64));

	crypto_sign_detached(sig, NULL, (unsigned char *)payload, strlen(payload),
	    certificates_key.secret);
	sodium_bin2base64(text, sodium_base64_ENCODED_LEN(sizeof sig, CERTIFICATE_B64), sig,
	    sizeof sig, CERTIFICATE_B64);
	free(payload);
	return text;
}

bool
certificates_code_normalise(const char *typed, char out[CERTIFICATE_CODE_SIZE])
{
	int n = 0;

	for (const char *p = typed; *p != '\0'; p++) {
		char c = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;

		if (c == '-' || c == ' ')
			continue;
		if (n == 12 || strchr(certificate_alphabet, c) == NULL || c == '\0')
			return false;
		if (n == 4 || n == 8)
			*out++ = '-';
		*out++ = c;
		n++;
	}
	*out = '\0';
	return n == 12;
}

/* A new random code. */
static void
certificates_new_code(char out[CERTIFICATE_CODE_SIZE])
{
	char *p = out;

	for (int i = 0; i < 12; i++) {
		if (i == 4 || i == 8)
			*p++ = '-';
		*p++ = certificate_alphabet[randombytes_uniform(32)];
	}
	*p = '\0';
}

char *
certificates_mask_id_number(const char *id_number)
{
	size_t len = strlen(id_number);

	if (len <= 8)
		return xstrdup("********");
	return xasprintf("%.4s%.*s%s", id_number, (int)(len - 8), "******************************",
	    id_number + len - 4);
}

void
certificate_free(struct certificate *c)
{
	json_decref(c->facts);
	free(c->signature);
	memset(c, 0, sizeof *c);
}

void
certificate_check_free(struct certificate_check *c)
{
	certificate_free(&c->cert);
	free(c->issued_at);
	memset(c, 0, sizeof *c);
}

const char *
certificates_state_name(enum certificate_state state)
{
	switch (state) {
	case CERTIFICATE_VALID:
		return "valid";
	case CERTIFICATE_NO_LONGER_VALID:
		return "no_longer_valid";
	case CERTIFICATE_BAD_SIGNATURE:
		return "bad_signature";
	case CERTIFICATE_UNKNOWN:
		break;
	}
	return "unknown";
}

/* ---- the facts ------------------------------------------------------------------ */

/*
 * A figure as the decimal text completion.c gives ("12", "12.5"), kept as
 * text: a JSON real would be signed as jansson writes it (2.3 as
 * 2.2999999999999998), bytes another checker could not rebuild; text is
 * the same in every language, as completion.year sends it.
 */
static json_t *
certificates_number(const char *text)
{
	return json_string(text);
}

static json_t *
certificates_requirement(const struct config_requirement *req)
{
	struct completion_figures r;

	completion_format_requirement(req, &r);
	return json_pack("{s:o, s:o, s:o}", "total", certificates_number(r.total),
	    "professional", certificates_number(r.professional),
	    "public", certificates_number(r.public_hours));
}

/* The person: $1 account.  A staff member (active or disabled). */
DB_STMT(certificates_person_stmt,
    "SELECT a.name, a.id_number, u.name, t.series, t.name, to_char(now(), 'YYYY-MM-DD')"
    " FROM accounts a JOIN units u ON u.code = a.unit_code"
    " LEFT JOIN titles t ON t.id = a.title_id"
    " WHERE a.id = $1::bigint AND a.role = 'staff' AND a.state IN ('active', 'disabled')");

/*
 * The approved records of $1 in years $2..$3, oldest year first: id,
 * version, year, name (the first field, or the form's), form (the name of
 * the version it was made with), dates (its first date range "FROM 至 TO"
 * or date, $4 the word between), hours, category as counted (the form's
 * current one, as completion.c counts it), source.
 */
DB_STMT(certificates_records_stmt,
    "WITH cf AS (SELECT DISTINCT ON (code) code, definition->>'category' AS category"
    " FROM learning_forms ORDER BY code, active DESC, version DESC)"
    " SELECT d.id, d.version, d.year,"
    "  COALESCE(NULLIF(d.fields ->> (lf.definition #>> '{fields,0,key}'), ''),"
    "   lf.definition->>'name'),"
    "  lf.definition->>'name',"
    "  COALESCE((SELECT CASE WHEN f->>'type' = 'daterange'"
    "     THEN ((d.fields -> (f->>'key'))->>'from') || $4::text"
    "      || ((d.fields -> (f->>'key'))->>'to')"
    "     ELSE d.fields->>(f->>'key') END"
    "   FROM jsonb_array_elements(lf.definition->'fields') WITH ORDINALITY e(f, n)"
    "   WHERE f->>'type' IN ('daterange', 'date') AND d.fields ? (f->>'key')"
    "   ORDER BY n LIMIT 1), ''),"
    "  trim_scale(d.hours)::text, COALESCE(cf.category, d.category), d.source"
    " FROM declarations d JOIN learning_forms lf ON lf.id = d.form_id"
    " LEFT JOIN cf ON cf.code = d.form_code"
    " WHERE d.account_id = $1::bigint AND d.year BETWEEN $2::smallint AND $3::smallint"
    "  AND d.state = 'approved'"
    " ORDER BY d.year, d.decided_at, d.id"
    " LIMIT " "5001");

_Static_assert(CERTIFICATE_RECORDS_MAX == 5000, "the LIMIT above");

/* One year of the facts: completion.c's figures and forms. */
static int
certificates_year(struct db_conn *db, const char *account, const struct completion_year *y,
    json_t **out)
{
	PGresult *forms = NULL, *records = NULL;
	json_t *by_form;

	if (completion_detail(db, account, y->year, 1, &forms, &records) != 0)
		return -1;
	by_form = json_array();
	for (int r = 0; r < PQntuples(forms); r++) {
		const char *counted = PQgetvalue(forms, r, COMPLETION_FORM_COUNTED);

		if (strtod(counted, NULL) <= 0)
			continue;
		json_array_append_new(by_form, json_pack("{s:s, s:o, s:s}",
		    "form", PQgetvalue(forms, r, COMPLETION_FORM_NAME),
		    "amount", certificates_number(counted),
		    "category", PQgetvalue(forms, r, COMPLETION_FORM_CATEGORY)));
	}
	PQclear(forms);
	PQclear(records);
	*out = json_pack("{s:i, s:o, s:{s:o, s:o, s:o}, s:o, s:b, s:s}",
	    "year", y->year, "required", certificates_requirement(y->requirement),
	    "approved", "total", certificates_number(y->total),
	    "professional", certificates_number(y->professional),
	    "public", certificates_number(y->public_hours),
	    "by_form", by_form, "met", y->met, "counts", "hours");
	return 0;
}

/*
 * The facts of account's years from..to, without the code, and the
 * records they state as [{id, version}] in *stated.  Run inside the
 * snapshot.  Returns 0, -1 on a database error, or CERTIFICATES_*.
 */
static int
certificates_facts(struct db_conn *db, const struct config *cfg, const char *account,
    int from, int to, json_t **facts, json_t **stated)
{
	struct completion_year *years = NULL, zero;
	char from_text[16], to_text[16];
	const char *params[4] = { account, from_text, to_text, NULL };
	const char *person_params[1] = { account };
	PGresult *person = NULL, *rec = NULL;
	json_t *year_list = NULL, *records, *year;
	char *masked, *title;
	int n, first, rc = -1;

	*facts = *stated = NULL;
	if ((person = db_exec(db, &certificates_person_stmt, 1, person_params)) == NULL)
		return -1;
	if (PQntuples(person) != 1) {
		rc = CERTIFICATES_NO_ACCOUNT;
		goto out;
	}
	if ((n = completion_person(db, cfg, account, db_year_now(), &years)) < 0)
		goto out;
	if (n == 0) {
		rc = CERTIFICATES_YEARS_NOT_RECORDED;
		goto out;
	}
	first = years[n - 1].year;	/* newest first; this year is always there */
	if (from < first || to > years[0].year) {
		rc = CERTIFICATES_YEARS_NOT_RECORDED;
		goto out;
	}
	year_list = json_array();
	for (int y = from; y <= to; y++) {
		const struct completion_year *found = NULL;

		for (int i = 0; i < n; i++) {
			if (years[i].year == y)
				found = &years[i];
		}
		if (found == NULL) {
			/* A year between with no record at all: nothing approved. */
			memset(&zero, 0, sizeof zero);
			zero.year = y;
			strcpy(zero.public_hours, "0");
			strcpy(zero.professional, "0");
			strcpy(zero.total, "0");
			strcpy(zero.pending, "0");
			zero.requirement = config_requirement_for(cfg, y);
			zero.met = completion_met("0", "0", "0", zero.requirement);
			found = &zero;
		}
		if (certificates_year(db, account, found, &year) != 0)
			goto out;
		json_array_append_new(year_list, year);
	}

	snprintf(from_text, sizeof from_text, "%d", from);
	snprintf(to_text, sizeof to_text, "%d", to);
	params[3] = message_get(LANG_ZH, "certificate.date_to");
	if ((rec = db_exec(db, &certificates_records_stmt, 4, params)) == NULL)
		goto out;
	if (PQntuples(rec) > CERTIFICATE_RECORDS_MAX) {
		log_error("certificates: account %s has more than %d approved records in %d-%d",
		    account, CERTIFICATE_RECORDS_MAX, from, to);
		goto out;
	}
	records = json_array();
	*stated = json_array();
	for (int r = 0; r < PQntuples(rec); r++) {
		const char *source = PQgetvalue(rec, r, 8);

		json_array_append_new(*stated, json_pack("{s:I, s:i}",
		    "id", (json_int_t)strtoll(PQgetvalue(rec, r, 0), NULL, 10),
		    "version", atoi(PQgetvalue(rec, r, 1))));
		json_array_append_new(records, json_pack("{s:i, s:s, s:s, s:s, s:o, s:s, s:s}",
		    "year", atoi(PQgetvalue(rec, r, 2)), "name", PQgetvalue(rec, r, 3),
		    "form", PQgetvalue(rec, r, 4), "dates", PQgetvalue(rec, r, 5),
		    "amount", certificates_number(PQgetvalue(rec, r, 6)),
		    "category", PQgetvalue(rec, r, 7),
		    "source", message_get(LANG_ZH, strcmp(source, "base") == 0 ?
		    "certificate.source.base" : "certificate.source.person")));
	}

	masked = certificates_mask_id_number(PQgetvalue(person, 0, 1));
	title = format_title(PQgetisnull(person, 0, 3) ? NULL : PQgetvalue(person, 0, 3),
	    PQgetisnull(person, 0, 4) ? NULL : PQgetvalue(person, 0, 4));
	*facts = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:o, s:o}",
	    "issued_at", PQgetvalue(person, 0, 5), "issuer", cfg->cert_issuer,
	    "person", "name", PQgetvalue(person, 0, 0), "id_number", masked,
	    "unit", PQgetvalue(person, 0, 2), "title", title,
	    "years", year_list, "records", records);
	year_list = NULL;
	free(masked);
	free(title);
	rc = 0;
out:
	if (rc != 0) {
		json_decref(*stated);
		*stated = NULL;
	}
	json_decref(year_list);
	PQclear(person);
	PQclear(rec);
	free(years);
	return rc;
}

/* A certificate and the records it states: $1..$8 its columns, $9 [{id, version}]. */
DB_STMT(certificates_insert_stmt,
    "WITH c AS (INSERT INTO certificates (code, account_id, from_year, to_year, facts,"
    "  signature, key_id, issued_by)"
    " VALUES ($1, $2::bigint, $3::smallint, $4::smallint, $5::jsonb, $6, $7, $8::bigint)"
    " RETURNING id),"
    " stated AS (INSERT INTO certificate_records (certificate_id, declaration_id, version)"
    "  SELECT c.id, (r->>'id')::bigint, (r->>'version')::integer"
    "  FROM c CROSS JOIN jsonb_array_elements($9::jsonb) r)"
    " SELECT id FROM c");

DB_STMT(certificates_code_taken_stmt, "SELECT 1 FROM certificates WHERE code = $1");

/*
 * A certificate this account already has that states the same ($5: the
 * facts but for their code) and whose records are all still approved at
 * the version it states: issued again, it is handed back, so that asking
 * again and again (a script, a double click) adds no rows.  $1 account,
 * $2 $3 the years, $4 the signing key's id.
 */
DB_STMT(certificates_same_stmt,
    "SELECT c.code, c.signature FROM certificates c"
    " WHERE c.account_id = $1::bigint AND c.from_year = $2::smallint"
    " AND c.to_year = $3::smallint AND c.key_id = $4 AND c.facts - 'code' = $5::jsonb"
    " AND NOT EXISTS (SELECT 1 FROM certificate_records r"
    "  LEFT JOIN declarations d ON d.id = r.declaration_id"
    "  WHERE r.certificate_id = c.id"
    "  AND (d.id IS NULL OR d.state <> 'approved' OR d.version <> r.version))"
    " ORDER BY c.id DESC LIMIT 1");

/*
 * The certificate of the same facts already issued (certificates_same_stmt)
 * into out, its signature checked; 1 when there is one, 0 when not, -1 on
 * a database error.
 */
static int
certificates_same(struct db_conn *db, const struct config *cfg, const char *account,
    const char *from, const char *to, json_t *facts, struct certificate *out)
{
	char *facts_text = json_dumps(facts, JSON_COMPACT);
	const char *params[5] = { account, from, to, certificates_key.key_id, facts_text };
	PGresult *res = db_exec(db, &certificates_same_stmt, 5, params);
	int found = 0;

	free(facts_text);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		json_object_set_new(facts, "code", json_string(PQgetvalue(res, 0, 0)));
		if (certificates_signature_ok(cfg, facts, PQgetvalue(res, 0, 1),
		    certificates_key.key_id)) {
			snprintf(out->code, sizeof out->code, "%s", PQgetvalue(res, 0, 0));
			out->signature = xstrdup(PQgetvalue(res, 0, 1));
			snprintf(out->key_id, sizeof out->key_id, "%s", certificates_key.key_id);
			found = 1;
		} else {
			json_object_del(facts, "code");	/* a row altered since: issue anew */
		}
	}
	PQclear(res);
	return found;
}

int
certificates_issue(struct db_conn *db, const struct config *cfg, int64_t account_id,
    int from_year, int to_year, int64_t issued_by, struct certificate *out)
{
	char account[24], by[24], from_text[16], to_text[16];
	json_t *facts = NULL, *stated = NULL;
	char *facts_text = NULL, *stated_text = NULL;
	PGresult *res;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (!certificates_key.loaded) {
		log_error("certificates: no signing key loaded");
		return -1;
	}
	if (forms_current(db, cfg) == NULL)	/* the caps and categories in force */
		return -1;
	snprintf(account, sizeof account, "%lld", (long long)account_id);
	snprintf(by, sizeof by, "%lld", (long long)issued_by);
	snprintf(from_text, sizeof from_text, "%d", from_year);
	snprintf(to_text, sizeof to_text, "%d", to_year);
	if (db_command(db, "BEGIN ISOLATION LEVEL REPEATABLE READ") != 0)
		return -1;
	if ((rc = certificates_facts(db, cfg, account, from_year, to_year, &facts,
	    &stated)) != 0)
		goto fail;
	rc = -1;
	switch (certificates_same(db, cfg, account, from_text, to_text, facts, out)) {
	case 1:
		goto done;
	case -1:
		goto fail;
	}
	stated_text = json_dumps(stated, JSON_COMPACT);
	for (int tries = 0; ; tries++) {
		const char *taken_params[1] = { out->code };
		bool taken;

		if (tries == CERTIFICATE_ISSUE_TRIES) {
			log_error("certificates: %d codes drawn were all taken", tries);
			goto fail;
		}
		certificates_new_code(out->code);
		if ((res = db_exec(db, &certificates_code_taken_stmt, 1, taken_params)) == NULL)
			goto fail;
		taken = PQntuples(res) > 0;
		PQclear(res);
		if (!taken)
			break;
	}
	json_object_set_new(facts, "code", json_string(out->code));
	out->signature = certificates_sign(facts);
	snprintf(out->key_id, sizeof out->key_id, "%s", certificates_key.key_id);
	facts_text = json_dumps(facts, JSON_COMPACT);
	{
		const char *params[9] = { out->code, account, from_text, to_text, facts_text,
		    out->signature, out->key_id, by, stated_text };

		/* A code drawn by another session in the same moment fails here (unique). */
		if ((res = db_exec(db, &certificates_insert_stmt, 9, params)) == NULL)
			goto fail;
		PQclear(res);
	}
done:
	if (!db_commit(db))
		goto fail;
	out->facts = facts;
	facts = NULL;
	rc = 0;
	goto out;
fail:
	db_rollback(db);
	certificate_free(out);
out:
	json_decref(facts);
	json_decref(stated);
	free(facts_text);
	free(stated_text);
	return rc;
}

/*
 * A code's certificate with whether every record it states is still
 * approved and of the version it was: $1 code.
 */
DB_STMT(certificates_lookup_stmt,
    "SELECT c.facts::text, c.signature, c.key_id, " DB_ISO_TIME("c.issued_at") ","
    " NOT EXISTS (SELECT 1 FROM certificate_records r"
    "  LEFT JOIN declarations d ON d.id = r.declaration_id"
    "  WHERE r.certificate_id = c.id"
    "  AND (d.id IS NULL OR d.state <> 'approved' OR d.version <> r.version))"
    " FROM certificates c WHERE c.code = $1");

int
certificates_verify(struct db_conn *db, const struct config *cfg, const char *code,
    struct certificate_check *out)
{
	const char *params[1] = { code };
	PGresult *res;
	json_error_t jerr;

	memset(out, 0, sizeof *out);
	if ((res = db_exec(db, &certificates_lookup_stmt, 1, params)) == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		out->state = CERTIFICATE_UNKNOWN;
		return 0;
	}
	snprintf(out->cert.code, sizeof out->cert.code, "%s", code);
	out->cert.facts = json_loads(PQgetvalue(res, 0, 0), 0, &jerr);
	out->cert.signature = xstrdup(PQgetvalue(res, 0, 1));
	snprintf(out->cert.key_id, sizeof out->cert.key_id, "%s", PQgetvalue(res, 0, 2));
	out->issued_at = xstrdup(PQgetvalue(res, 0, 3));
	out->records_unchanged = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
	PQclear(res);
	if (out->cert.facts == NULL) {
		log_error("certificates: the facts of %s do not parse: %s", code, jerr.text);
		out->cert.facts = json_object();
	}
	out->signature_ok = certificates_signature_ok(cfg, out->cert.facts,
	    out->cert.signature, out->cert.key_id);
	if (!out->signature_ok)
		out->state = CERTIFICATE_BAD_SIGNATURE;
	else if (!out->records_unchanged)
		out->state = CERTIFICATE_NO_LONGER_VALID;
	else
		out->state = CERTIFICATE_VALID;
	return 0;
}

char *
certificates_signed_payload(const struct certificate *c)
{
	char *facts = certificates_payload(c->facts);
	char *payload = xasprintf("%s.%s.%s", facts, c->key_id, c->signature);

	free(facts);
	return payload;
}

/*
 * The unit's staff a batch covers when nobody is named: $1 unit, $2 a
 * department's id or NULL, $3 a department's name or NULL; active staff,
 * in the order `staff` lists them.
 */
DB_STMT(certificates_unit_all_stmt,
    "SELECT a.id FROM accounts a LEFT JOIN departments d ON d.id = a.department_id"
    " WHERE a.unit_code = $1 AND a.role = 'staff' AND a.state = 'active'"
    " AND ($2::bigint IS NULL OR a.department_id = $2::bigint)"
    " AND ($3::text IS NULL OR d.name = $3::text)"
    " ORDER BY d.name COLLATE zh_pinyin NULLS LAST, a.name COLLATE zh_pinyin, a.id_number");

/* Whether the unit $1 has a department of id $2 or name $3. */
DB_STMT(certificates_unit_department_stmt,
    "SELECT 1 FROM departments WHERE unit_code = $1"
    " AND ($2::bigint IS NULL OR id = $2::bigint) AND ($3::text IS NULL OR name = $3::text)");

/*
 * Named people ($2: ID numbers as a text[], or $3: account ids as a
 * bigint[]) in the order named, each with the account it is in the unit
 * $1, or NULL: the position (1-based) and the account id.
 */
DB_STMT(certificates_unit_named_stmt,
    "SELECT n.i, a.id FROM unnest(COALESCE($2::text[], '{}'::text[])) WITH ORDINALITY n(v, i)"
    " LEFT JOIN accounts a ON a.id_number = n.v AND a.unit_code = $1"
    "  AND a.role = 'staff' AND a.state IN ('active', 'disabled')"
    " UNION ALL"
    " SELECT n.i, a.id FROM unnest(COALESCE($3::bigint[], '{}'::bigint[])) WITH ORDINALITY"
    "  n(v, i)"
    " LEFT JOIN accounts a ON a.id = n.v AND a.unit_code = $1"
    "  AND a.role = 'staff' AND a.state IN ('active', 'disabled')"
    " ORDER BY 1");

/* A PostgreSQL array literal of texts or numbers: {"a","b"}. Caller frees. */
static char *
certificates_array(const char *const *texts, const int64_t *numbers, size_t n)
{
	struct text_buf b = { 0 };

	text_buf_printf(&b, "{");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			text_buf_printf(&b, ",");
		if (texts == NULL) {
			text_buf_printf(&b, "%lld", (long long)numbers[i]);
			continue;
		}
		/* Quoted, with " and \\ escaped: an ID number as typed, not yet checked. */
		text_buf_printf(&b, "\"");
		for (const char *p = texts[i]; *p != '\0'; p++)
			text_buf_printf(&b, "%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p);
		text_buf_printf(&b, "\"");
	}
	text_buf_printf(&b, "}");
	return b.data;
}

long
certificates_unit_people(struct db_conn *db, const struct certificates_unit_query *q,
    int64_t **accounts, size_t **strangers, size_t *n_strangers)
{
	char dept[24], *names = NULL, *ids = NULL;
	const char *params[3] = { q->unit_code, NULL, NULL };
	bool named = q->n_id_numbers > 0 || q->n_account_ids > 0;
	PGresult *res = NULL;
	long rc = -1, n;

	*accounts = NULL;
	*strangers = NULL;
	*n_strangers = 0;
	if (named) {
		if (q->n_id_numbers > 0)
			params[1] = names = certificates_array(q->id_numbers, NULL,
			    q->n_id_numbers);
		if (q->n_account_ids > 0)
			params[2] = ids = certificates_array(NULL, q->account_ids,
			    q->n_account_ids);
		res = db_exec(db, &certificates_unit_named_stmt, 3, params);
	} else {
		if (q->department_id > 0) {
			snprintf(dept, sizeof dept, "%lld", (long long)q->department_id);
			params[1] = dept;
		}
		params[2] = q->department_name;
		if (params[1] != NULL || params[2] != NULL) {
			if ((res = db_exec(db, &certificates_unit_department_stmt, 3,
			    params)) == NULL)
				goto out;
			n = PQntuples(res);
			PQclear(res);
			res = NULL;
			if (n == 0) {
				rc = CERTIFICATES_UNIT_NO_DEPARTMENT;
				goto out;
			}
		}
		res = db_exec(db, &certificates_unit_all_stmt, 3, params);
	}
	if (res == NULL)
		goto out;
	n = PQntuples(res);
	if (q->most > 0 && (size_t)n > q->most) {
		rc = CERTIFICATES_UNIT_TOO_MANY;
		goto out;
	}
	*accounts = xcalloc(n > 0 ? (size_t)n : 1, sizeof **accounts);
	rc = 0;
	for (long i = 0; i < n; i++) {
		int col = named ? 1 : 0;
		int64_t id;
		bool twice = false;

		if (PQgetisnull(res, (int)i, col)) {
			*strangers = xrealloc(*strangers, (*n_strangers + 1) * sizeof **strangers);
			(*strangers)[(*n_strangers)++] = strtoul(PQgetvalue(res, (int)i, 0), NULL,
			    10) - 1;
			continue;
		}
		id = strtoll(PQgetvalue(res, (int)i, col), NULL, 10);
		/* Someone named twice is there once (names are few: 30 by ssh, 200 a call). */
		for (long k = 0; named && k < rc && !twice; k++)
			twice = (*accounts)[k] == id;
		if (!twice)
			(*accounts)[rc++] = id;
	}
	if (*n_strangers > 0) {
		rc = CERTIFICATES_UNIT_STRANGERS;
		free(*accounts);
		*accounts = NULL;
	}
out:
	PQclear(res);
	free(names);
	free(ids);
	return rc;
}

int
certificates_unit_pdf(struct db_conn **db, const struct config *cfg,
    const int64_t *accounts, size_t n, int from, int to, int64_t issued_by,
    struct certificate_pdf_stream *st, struct certificates_unit_done *done)
{
	memset(done, 0, sizeof *done);
	for (size_t i = 0; i < n; i++) {
		struct certificate cert;
		char *payload;
		int rc;

		/* The stream's writer gave it back while it waited for a slow reader. */
		if (*db == NULL && (*db = db_acquire(CERTIFICATES_DB_WAIT_MS)) == NULL)
			return -1;
		rc = certificates_issue(*db, cfg, accounts[i], from, to, issued_by, &cert);

		if (rc == CERTIFICATES_YEARS_NOT_RECORDED || rc == CERTIFICATES_NO_ACCOUNT) {
			done->skipped++;	/* no account: left the unit meanwhile */
			continue;
		}
		if (rc != 0)
			return -1;
		payload = certificates_signed_payload(&cert);
		rc = certificate_pdf_stream_add(st, cert.facts, payload);
		free(payload);
		certificate_free(&cert);
		if (rc != 0)
			return -2;
		done->people++;
	}
	return 0;
}
