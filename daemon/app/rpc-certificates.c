/*
 * rpc-certificates.c - certificates of continuing education (学时证明).
 *
 *	certificate.issue		staff (own), unit_admin (own unit's staff)
 *	certificate.verify		anyone, guests included
 *	certificate.pdf			as certificate.issue; the PDF goes to the outbox
 *
 * The facts, the signature and the check are certificates.c's; these
 * handlers read parameters, decide whose certificate may be issued and
 * shape replies.  Verification needs no account, so guessing codes is
 * throttled like guessing passwords: an unknown code counts as a failure
 * of the source address (auth.c), and past security.source_failures_per_minute
 * the address is refused (rate_limited) until the minute has passed.
 */
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

static const struct rpc_param issue_params[] = {
	{ "from_year", T_INTEGER, true, CERTIFICATE_YEAR_MIN, CERTIFICATE_YEAR_MAX,
	    "invalid", NULL },
	{ "to_year", T_INTEGER, true, CERTIFICATE_YEAR_MIN, CERTIFICATE_YEAR_MAX,
	    "invalid", NULL },
	{ "account_id", T_INTEGER | T_NULL, false, 0, 0, NULL, NULL },
	{ NULL, 0, false, 0, 0, NULL, NULL },
};

static const struct rpc_param verify_params[] = {
	{ "code", T_STRING, true, 1, 64, "invalid", NULL },
	{ NULL, 0, false, 0, 0, NULL, NULL },
};

const struct rpc_method rpc_certificates_methods[] = {
	{ "certificate.issue", issue_params, ROLE_STAFF | ROLE_UNIT_ADMIN, false,
	    certificate_issue, .db = RPC_DB_UNIT_ADMIN },
	{ "certificate.verify", verify_params, ROLE_ANY, false, certificate_verify,
	    .db = RPC_DB_NONE },
	{ "certificate.pdf", issue_params, ROLE_STAFF | ROLE_UNIT_ADMIN, false,
	    certificate_pdf_put, .db = RPC_DB_UNIT_ADMIN },
	{ NULL, NULL, 0, false, NULL },
};
