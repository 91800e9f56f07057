/*
 * rpc-certificates.c - certificates of continuing education (学时证明).
 *
 *	certificate.issue		staff (own), unit_admin (own unit's staff)
 *	certificate.verify		anyone, guests included
 *	certificate.unit		unit_admin (own unit's staff, at most
 *					CERTIFICATE_UNIT_MAX at once)
 *	certificate.pdf			as certificate.issue; the PDF goes to the outbox
 *
 * The facts, the signature and the check are certificates.c's; these
 * handlers read parameters, decide whose certificate may be issued and
 * shape replies.  Verification needs no account, so guessing codes is
 * throttled like guessing passwords: an unknown code counts as a failure
 * of the source address (auth.c), and past security.source_failures_per_minute
 * the address is refused (rate_limited) until the minute has passed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "certificate-pdf.h"
#include "certificates.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "messages.h"
#include "outbox.h"
#include "rpc.h"
#include "session.h"
#include "xmalloc.h"

#define CERTIFICATE_YEAR_MIN	1990
#define CERTIFICATE_YEAR_MAX	2200
/*
 * People one certificate.unit may hold: its PDF is made in memory for the
 * outbox (some 50 KiB a person, fonts once).  The sentence
 * certificate_unit_too_many names the number; more go through the ssh
 * command, which streams.
 */
#define CERTIFICATE_UNIT_MAX	200

/* {code, facts, signature, key_id} of c, which it takes. */
static json_t *
certificate_json(struct certificate *c)
{
	json_t *j = json_pack("{s:s, s:O, s:s, s:s}", "code", c->code, "facts", c->facts,
	    "signature", c->signature, "key_id", c->key_id);

	certificate_free(c);
	return j;
}

/*
 * Issue (or find again) the certificate a call asks for: a staff member's
 * own, or (account_id) one of a staff member of the administrator's unit.
 * A person of another unit is "not found", as everywhere else.  Returns 0
 * with *cert filled (certificate_free), or -1 after rpc_fail.
 */
static int
certificate_issue_asked(struct rpc_call *call, struct certificate *cert)
{
	DB_STMT(certificate_staff_stmt,
	    "SELECT id FROM accounts WHERE id = $1 AND unit_code = $2 AND role = 'staff'"
	    " AND state IN ('active', 'disabled')");
	struct session *s = call->session;
	long long from = 0, to = 0, account = 0;
	char id[24];
	PGresult *res;
	int rc;

	rpc_param_int(call, "from_year", &from);
	rpc_param_int(call, "to_year", &to);
	if (s->role == ROLE_UNIT_ADMIN) {
		if (!rpc_param_int(call, "account_id", &account)) {
			rpc_problem_required(call, "account_id");
			return rpc_fail_problems(call, RPC_INVALID_INPUT);
		}
		if ((res = rpc_unit_row(call, &certificate_staff_stmt, "account_id", NULL,
		    id)) == NULL)
			return -1;
		PQclear(res);
	} else {
		if (rpc_param_int(call, "account_id", &account) && account != s->account_id)
			return rpc_fail(call, RPC_NOT_PERMITTED, "certificate_own_only",
			    "account_id", NULL);
		account = s->account_id;
	}
	if (to < from || to - from >= CERTIFICATE_YEARS_MAX)
		return rpc_fail(call, RPC_INVALID_INPUT, "certificate_years", "to_year", NULL);
	rc = certificates_issue(call->db, call->cfg, account, (int)from, (int)to,
	    s->account_id, cert);
	if (rc == CERTIFICATES_YEARS_NOT_RECORDED)
		return rpc_fail(call, RPC_INVALID_INPUT, "certificate_years_not_recorded",
		    "from_year", NULL);
	if (rc == CERTIFICATES_NO_ACCOUNT)
		return rpc_fail(call, RPC_NOT_FOUND, "not_found", "account_id", NULL);
	if (rc != 0)
		return rpc_fail_internal(call, db_error_text(call->db));
	log_info("session %lu: certificate %s issued for account %lld, %lld-%lld",
	    s->serial, cert->code, account, from, to);
	return 0;
}

/* certificate.issue: the facts of certificate_issue_asked's certificate, signed. */
static int
certificate_issue(struct rpc_call *call)
{
	struct certificate cert;

	if (certificate_issue_asked(call, &cert) != 0)
		return -1;
	call->result = certificate_json(&cert);
	return 0;
}

/*
 * certificate.verify: what the certificate of a code states and whether it
 * still holds: {code, state, valid, signature_ok, facts, signature,
 * key_id, issued_at}; an unknown code is {code, state: "unknown", valid:
 * false} and counts as a failed attempt of the address.
 */
static int
certificate_verify(struct rpc_call *call)
{
	const char *typed = rpc_param_string(call, "code");
	struct certificate_check check;
	char code[CERTIFICATE_CODE_SIZE];
	json_t *result;

	if (!auth_source_allowed(call->cfg, call->session->source))
		return rpc_fail(call, RPC_RATE_LIMITED, "rate_limited", NULL, NULL);
	if (!certificates_code_normalise(typed, code)) {
		auth_source_failed(call->session->source);
		call->result = json_pack("{s:s, s:s, s:b}", "code", typed, "state", "unknown",
		    "valid", false);
		return 0;
	}
	if (rpc_db(call) == NULL)
		return -1;
	if (certificates_verify(call->db, call->cfg, code, &check) != 0)
		return rpc_fail_internal(call, db_error_text(call->db));
	if (check.state == CERTIFICATE_UNKNOWN) {
		auth_source_failed(call->session->source);
		call->result = json_pack("{s:s, s:s, s:b}", "code", code, "state", "unknown",
		    "valid", false);
		certificate_check_free(&check);
		return 0;
	}
	result = json_pack("{s:s, s:s, s:b, s:b, s:b, s:s, s:O, s:s, s:s}",
	    "code", code, "state", certificates_state_name(check.state),
	    "valid", check.state == CERTIFICATE_VALID, "signature_ok", check.signature_ok,
	    "records_unchanged", check.records_unchanged, "issued_at", check.issued_at,
	    "facts", check.cert.facts, "signature", check.cert.signature,
	    "key_id", check.cert.key_id);
	certificate_check_free(&check);
	call->result = result;
	return 0;
}

/*
 * certificate.pdf: certificate_issue_asked's certificate as a PDF (with
 * the signed payload, as `ssh host certificate YEAR` gives it) handed to
 * the user: 学时证明-YEAR.pdf or 学时证明-FROM-TO.pdf in the session's
 * outbox, for download.get or scp through the inbox.  {name, size, code}.
 */
static int
certificate_pdf_put(struct rpc_call *call)
{
	struct certificate cert;
	long long from = 0, to = 0;
	char *facts, *payload, *pdf = NULL, *name, *verify_at;
	const char *why;
	size_t len = 0;
	int rc;

	if (certificate_issue_asked(call, &cert) != 0)
		return -1;
	rpc_param_int(call, "from_year", &from);
	rpc_param_int(call, "to_year", &to);
	facts = certificates_payload(cert.facts);
	payload = xasprintf("%s.%s.%s", facts, cert.key_id, cert.signature);
	verify_at = certificates_verify_at(call->cfg);
	rc = certificate_pdf(cert.facts, payload, verify_at, &pdf, &len);
	free(verify_at);
	free(payload);
	free(facts);
	if (rc != 0) {
		certificate_free(&cert);
		return rpc_fail_internal(call, "certificate_pdf failed");
	}
	name = from == to ? xasprintf("学时证明-%lld.pdf", from) :
	    xasprintf("学时证明-%lld-%lld.pdf", from, to);
	if (outbox_put(call->session, name, pdf, len, &why) != 0) {
		rc = rpc_fail(call, RPC_UNAVAILABLE, why, NULL, NULL);
	} else {
		call->result = json_pack("{s:s, s:I, s:s}", "name", name, "size",
		    (json_int_t)len, "code", cert.code);
		rc = 0;
	}
	free(name);
	certificate_free(&cert);
	return rc;
}

/* The ids refused by certificates_unit_people, as the caller gave them: "12, 40". */
static char *
certificate_unit_strangers(const int64_t *ids, const size_t *strangers, size_t n)
{
	char *list = xstrdup("");

	for (size_t i = 0; i < n; i++) {
		char *more = xasprintf("%s%s%lld", list, i > 0 ? ", " : "",
		    (long long)ids[strangers[i]]);

		free(list);
		list = more;
	}
	return list;
}

/*
 * certificate.unit: certificates of the administrator's unit's staff (the
 * account_ids given, else every active staff member, of department_id
 * when given) for from_year..to_year, one PDF with each person from a page
 * of their own, into the session's outbox: {name, size, people, skipped}.
 * Named people not of the unit are refused all alike by the ids given.
 */
static int
certificate_unit(struct rpc_call *call)
{
	struct session *s = call->session;
	struct certificates_unit_query q = { .unit_code = s->unit_code,
	    .most = CERTIFICATE_UNIT_MAX };
	struct certificate_pdf_buffer out = { 0 };
	struct certificates_unit_done done;
	struct certificate_pdf_stream *st;
	json_t *ids = json_object_get(call->params, "account_ids");
	int64_t *named = NULL, *accounts = NULL;
	size_t *strangers = NULL, n_strangers = 0;
	long long from = 0, to = 0, dept = 0;
	char *verify_at, *name, *list;
	const char *why;
	long n;
	int rc;

	rpc_param_int(call, "from_year", &from);
	rpc_param_int(call, "to_year", &to);
	if (to < from || to - from >= CERTIFICATE_YEARS_MAX)
		return rpc_fail(call, RPC_INVALID_INPUT, "certificate_years", "to_year", NULL);
	if (rpc_param_int(call, "department_id", &dept))
		q.department_id = dept;
	if (json_array_size(ids) > 0) {
		named = xcalloc(json_array_size(ids), sizeof *named);
		for (size_t i = 0; i < json_array_size(ids); i++)
			named[i] = json_integer_value(json_array_get(ids, i));
		q.account_ids = named;
		q.n_account_ids = json_array_size(ids);
	}
	n = certificates_unit_people(call->db, &q, &accounts, &strangers, &n_strangers);
	switch (n) {
	case CERTIFICATES_UNIT_STRANGERS:
		list = certificate_unit_strangers(named, strangers, n_strangers);
		rc = rpc_fail_format(call, RPC_NOT_FOUND, "certificate_not_of_unit",
		    "account_ids", message_get(s->lang, "certificate.people"), list);
		free(list);
		free(strangers);
		free(named);
		return rc;
	case CERTIFICATES_UNIT_NO_DEPARTMENT:
		free(named);
		return rpc_fail(call, RPC_NOT_FOUND, "not_found", "department_id", NULL);
	case CERTIFICATES_UNIT_TOO_MANY:
		free(named);
		return rpc_fail(call, RPC_INVALID_INPUT, "certificate_unit_too_many", NULL, NULL);
	case 0:
		free(named);
		free(accounts);
		return rpc_fail(call, RPC_INVALID_INPUT, "certificate_nobody", NULL, NULL);
	}
	free(named);
	if (n < 0)
		return rpc_fail_internal(call, db_error_text(call->db));
	verify_at = certificates_verify_at(call->cfg);
	st = certificate_pdf_stream_begin(verify_at, certificate_pdf_buffer_write, &out);
	rc = certificates_unit_pdf(&call->db, call->cfg, accounts, (size_t)n, (int)from,
	    (int)to, s->account_id, st, &done);
	if (certificate_pdf_stream_end(st) != 0 && rc == 0 && done.people > 0)
		rc = -2;
	free(verify_at);
	free(accounts);
	log_info("session %lu: certificate.unit %lld-%lld of %ld people: %zu in the PDF, %zu "
	    "without records in the years", s->serial, from, to, n, done.people, done.skipped);
	if (rc != 0) {
		free(out.data);
		return rpc_fail_internal(call, rc == -1 ? db_error_text(call->db) :
		    "the unit's PDF could not be made");
	}
	if (done.people == 0) {
		free(out.data);
		return rpc_fail(call, RPC_INVALID_INPUT, "certificate_years_not_recorded",
		    "from_year", NULL);
	}
	name = from == to ? xasprintf("学时证明-%s-%lld.pdf", s->unit_code, from) :
	    xasprintf("学时证明-%s-%lld-%lld.pdf", s->unit_code, from, to);
	if (outbox_put(s, name, out.data, out.len, &why) != 0) {
		rc = rpc_fail(call, RPC_UNAVAILABLE, why, NULL, NULL);
	} else {
		call->result = json_pack("{s:s, s:I, s:I, s:I}", "name", name, "size",
		    (json_int_t)out.len, "people", (json_int_t)done.people,
		    "skipped", (json_int_t)done.skipped);
		rc = 0;
	}
	free(name);
	return rc;
}

static const struct rpc_param issue_params[] = {
	{ "from_year", T_INTEGER, true, CERTIFICATE_YEAR_MIN, CERTIFICATE_YEAR_MAX,
	    "certificate_year_invalid", NULL },
	{ "to_year", T_INTEGER, true, CERTIFICATE_YEAR_MIN, CERTIFICATE_YEAR_MAX,
	    "certificate_year_invalid", NULL },
	{ "account_id", T_INTEGER | T_NULL, false, 0, 0, NULL, NULL },
	{ NULL, 0, false, 0, 0, NULL, NULL },
};

static const struct rpc_param unit_params[] = {
	{ "from_year", T_INTEGER, true, CERTIFICATE_YEAR_MIN, CERTIFICATE_YEAR_MAX,
	    "certificate_year_invalid", NULL },
	{ "to_year", T_INTEGER, true, CERTIFICATE_YEAR_MIN, CERTIFICATE_YEAR_MAX,
	    "certificate_year_invalid", NULL },
	{ "account_ids", T_ARRAY | T_NULL, false, 0, CERTIFICATE_UNIT_MAX,
	    "certificate_unit_too_many", NULL },
	{ "department_id", T_INTEGER | T_NULL, false, 1, INT64_MAX, "id_invalid", NULL },
	{ NULL, 0, false, 0, 0, NULL, NULL },
};

static const struct rpc_param verify_params[] = {
	{ "code", T_STRING, true, 1, 64, "certificate_code_invalid", NULL },
	{ NULL, 0, false, 0, 0, NULL, NULL },
};

const struct rpc_method rpc_certificates_methods[] = {
	{ "certificate.issue", issue_params, ROLE_STAFF | ROLE_UNIT_ADMIN, false,
	    certificate_issue, .db = RPC_DB_UNIT_ADMIN },
	{ "certificate.verify", verify_params, ROLE_ANY, false, certificate_verify,
	    .db = RPC_DB_NONE },
	{ "certificate.pdf", issue_params, ROLE_STAFF | ROLE_UNIT_ADMIN, false,
	    certificate_pdf_put, .db = RPC_DB_UNIT_ADMIN },
	{ "certificate.unit", unit_params, ROLE_UNIT_ADMIN, false, certificate_unit,
	    .db = RPC_DB_UNIT_ADMIN },
	{ NULL, NULL, 0, false, NULL },
};
