/*
 * certificates.h - certificates of continuing education (学时证明): what
 * they state ("the facts"), their Ed25519 signature, their storage and
 * their verification by code.
 *
 * The facts are a JSON object (docs/protocol.md, certificate.issue):
 * code, issued_at, issuer, person (name, masked ID number, unit, title),
 * years (each year's requirement, approved hours by category and by
 * learning form, met) and records (the approved records behind them).  The
 * figures are completion.c's, the very ones completion.year shows.  What
 * is signed is the facts serialised by certificates_payload; the signature
 * is Ed25519 over those bytes, in unpadded URL-safe base64, with a key id
 * (the first 8 hex digits of the SHA-256 of the public key).
 *
 * Used by rpc-certificates.c (certificate.issue, certificate.verify), by
 * `ssh host verify CODE` (exec.c) and by the PDF (certificate-pdf.c), which
 * draws the facts and checks a PDF's facts offline with
 * certificates_signature_ok.
 */
#ifndef JXJYD_CERTIFICATES_H
#define JXJYD_CERTIFICATES_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

struct config;
struct db_conn;

#define CERTIFICATE_CODE_SIZE	15	/* "K7QX-3MPA-9TRD" and its NUL */
#define CERTIFICATE_KEY_ID_SIZE	9	/* 8 hex digits and the NUL */
#define CERTIFICATE_PUBLIC_KEY_SIZE 44	/* 43 characters of base64 and the NUL */
#define CERTIFICATE_YEARS_MAX	5	/* years one certificate may state */

/*
 * Load the signing key of cfg->cert_signing_key, generating it (mode
 * 0600, its directory 0700 when missing) when the file does not exist.
 * Called once at start, before any session.  Returns 0, or -1 with the
 * reason in err (a key that cannot be read or written, a file that others
 * may read).
 */
int	certificates_start(const struct config *cfg, char *err, size_t size);

/* The signing key's public half as old_public_keys takes it, and its key id. */
const char *certificates_public_key(void);
const char *certificates_key_id(void);

/* The bytes that are signed: facts as compact JSON, keys sorted, ASCII. Caller frees. */
char	*certificates_payload(const json_t *facts);

/*
 * Whether signature (base64) is a good signature of facts by the key
 * key_id: the signing key, or one of cfg->cert_old_public_keys.
 */
bool	certificates_signature_ok(const struct config *cfg, const json_t *facts,
	    const char *signature, const char *key_id);

/*
 * A code as a person may type it ("k7qx 3mpa-9trd") into its stored form
 * ("K7QX-3MPA-9TRD"); false when it cannot be one.
 */
bool	certificates_code_normalise(const char *typed, char out[CERTIFICATE_CODE_SIZE]);

/*
 * What a certificate's page prints between "ssh" and "verify CODE": "-p
 * PORT HOST", or "HOST" for port 22.  HOST and PORT are
 * certificates.verify_host's; unset, HOST is this machine's name
 * (gethostname) and PORT the daemon's port (a port missing from
 * verify_host is the daemon's too).  Caller frees.
 */
char	*certificates_verify_at(const struct config *cfg);

/* An ID number as certificates show it: "4101**********1573". Caller frees. */
char	*certificates_mask_id_number(const char *id_number);

/* An issued certificate. */
struct certificate {
	char	 code[CERTIFICATE_CODE_SIZE];
	json_t	*facts;			/* owned */
	char	*signature;		/* owned */
	char	 key_id[CERTIFICATE_KEY_ID_SIZE];
};

void	certificate_free(struct certificate *c);

/* What certificates_issue may answer besides 0 and -1. */
enum {
	CERTIFICATES_NO_ACCOUNT = 1,	/* account_id is no staff member */
	CERTIFICATES_YEARS_NOT_RECORDED, /* a year before the first recorded or after this one */
};

/*
 * Issue a certificate of the staff member account_id for the years
 * from_year..to_year (at most CERTIFICATE_YEARS_MAX, checked by the
 * caller), by issued_by: build the facts in one snapshot, sign them and
 * store them with the records they state, in one transaction.  The years
 * must lie between the first year the person has records of and this
 * year.  Returns 0 with *out filled (free with certificate_free), -1 on a
 * database error (kept in db), or CERTIFICATES_*.
 */
int	certificates_issue(struct db_conn *db, const struct config *cfg, int64_t account_id,
	    int from_year, int to_year, int64_t issued_by, struct certificate *out);

/* The payload a certificate's PDF carries: "FACTS.KEYID.SIGNATURE". Caller frees. */
char	*certificates_signed_payload(const struct certificate *c);

/*
 * Whom a unit's certificates at once (certificates_unit_people) cover:
 * the named people (ID numbers, or account ids), else every active staff
 * member of the unit, or of one of its departments (by id or by name).
 */
struct certificates_unit_query {
	const char		*unit_code;
	int64_t			 department_id;		/* > 0: that department's */
	const char		*department_name;	/* non-NULL: that department's */
	const char *const	*id_numbers;
	size_t			 n_id_numbers;
	const int64_t		*account_ids;
	size_t			 n_account_ids;
	size_t			 most;			/* people at most; 0: no bound */
};

/* What certificates_unit_people may answer besides a count and -1. */
enum {
	CERTIFICATES_UNIT_STRANGERS = -2,	/* named people not of the unit: *strangers */
	CERTIFICATES_UNIT_NO_DEPARTMENT = -3,	/* no such department in the unit */
	CERTIFICATES_UNIT_TOO_MANY = -4,	/* more than q->most */
};

/*
 * The account ids q covers into *accounts (malloc'd, caller frees), in the
 * order of the unit's lists (department, then name, as `staff` prints
 * them; named people in the order named, each once).  Named people must
 * be staff of the unit (active or disabled): those who are not are
 * refused all alike, whether they exist elsewhere or not, and their
 * positions in id_numbers / account_ids go to *strangers (malloc'd, caller
 * frees; *n_strangers of them).  Returns the number of accounts (0 is
 * possible), -1 on a database error, or CERTIFICATES_UNIT_*.
 */
long	certificates_unit_people(struct db_conn *db, const struct certificates_unit_query *q,
	    int64_t **accounts, size_t **strangers, size_t *n_strangers);

struct certificate_pdf_stream;

/* What certificates_unit_pdf did. */
struct certificates_unit_done {
	size_t	people;		/* certificates put into the PDF */
	size_t	skipped;	/* people without records in the years (none to state) */
};

/*
 * Issue the certificates of accounts for from..to by issued_by, one after
 * the other (each in its own transaction, as certificates_issue), and add
 * each to st as it is made, so that only one person's facts are held at a
 * time.  *db is the connection; st's writer may give it back (db_release,
 * *db = NULL) while it waits for a slow reader, so that a download does
 * not hold one of the pool's connections: it is acquired again before the
 * next person.  A person whose records begin after from (CERTIFICATES_
 * YEARS_NOT_RECORDED) is skipped and counted.  Returns 0, -1 on a database
 * error (or no connection to be had again), or -2 when st failed (the
 * reader went away): what was issued stays issued.
 */
int	certificates_unit_pdf(struct db_conn **db, const struct config *cfg,
	    const int64_t *accounts, size_t n, int from, int to, int64_t issued_by,
	    struct certificate_pdf_stream *st, struct certificates_unit_done *done);

enum certificate_state {
	CERTIFICATE_UNKNOWN,		/* no certificate has the code */
	CERTIFICATE_VALID,		/* signature good, every record as stated */
	CERTIFICATE_NO_LONGER_VALID,	/* a record it states was revoked or changed since */
	CERTIFICATE_BAD_SIGNATURE,	/* stored facts altered, or the key is not known */
};

/* What a code's verification found. */
struct certificate_check {
	enum certificate_state state;
	struct certificate cert;	/* the stored one, unless UNKNOWN */
	char	*issued_at;		/* ISO 8601 (owned) */
	bool	 signature_ok;
	bool	 records_unchanged;
};

/*
 * Look code (stored form: certificates_code_normalise) up and check it:
 * the signature of the stored facts, and that every record it states is
 * still approved and unchanged.  Returns 0 with *out filled (free with
 * certificate_check_free), or -1 on a database error.
 */
int	certificates_verify(struct db_conn *db, const struct config *cfg, const char *code,
	    struct certificate_check *out);

void	certificate_check_free(struct certificate_check *c);

/* "valid", "no_longer_valid", "unknown", "bad_signature". */
const char *certificates_state_name(enum certificate_state state);

#endif
