/*
 * base-report.c - base records as other parts of the daemon need them
 * (base-report.h): the claim at a registration's approval.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base-report.h"
#include "db.h"
#include "xmalloc.h"

const char *
base_report_initial_state(enum base_review review)
{
	return review == BASE_REVIEW_NONE ? "approved" : "pending";
}

const char *
base_report_chain(const struct config *cfg, const char *form_code)
{
	if (cfg->base_review == BASE_REVIEW_AUTHORITY)
		return REVIEW_CHAIN_AUTHORITY;
	for (size_t i = 0; i < cfg->n_forms; i++) {
		if (strcmp(cfg->forms[i].code, form_code) == 0)
			return cfg->forms[i].review;
	}
	return REVIEW_CHAIN_UNIT;
}

/*
 * The chains of every form of cfg for base records, as JSON text
 * {"code": "{unit,authority}", ...} (base_report_chain's).  Caller frees.
 */
static char *
base_report_chains(const struct config *cfg)
{
	json_t *map = json_object();
	char *text;

	for (size_t i = 0; i < cfg->n_forms; i++)
		json_object_set_new(map, cfg->forms[i].code,
		    json_string(base_report_chain(cfg, cfg->forms[i].code)));
	if ((text = json_dumps(map, JSON_COMPACT)) == NULL)
		abort();	/* only on allocation failure */
	json_decref(map);
	return text;
}

/*
 * The claim as one statement: the candidates locked, the rows named
 * otherwise marked, the records made with their audit rows and totals (per
 * person, year and form: a person may be in several classes), the classes'
 * audit.  $1 account, $2 the records' state, $3 the mismatch's word, $4
 * the chains of the forms (base_report_chains), $5 the chain of a form
 * the config no longer has.
 */
DB_STMT(base_claim_stmt,
    "WITH acct AS (SELECT id, id_number, name, unit_code FROM accounts WHERE id = $1),"
    " cand AS (SELECT r.id, r.class_id, btrim(r.name) = btrim(acct.name) AS name_ok,"
    "  coalesce(r.amount, c.amount) AS amount, c.form_id, c.form_code, c.year, c.fields,"
    "  (lf.definition->>'credit_hours')::numeric AS credit_hours,"
    "  lf.definition->>'category' AS category, acct.id AS account_id, acct.unit_code,"
    "  coalesce($4::jsonb ->> c.form_code, $5)::text[] AS chain"
    "  FROM acct JOIN base_roster r ON r.id_number = acct.id_number"
    "  JOIN base_classes c ON c.id = r.class_id AND c.state = 'reported'"
    "  JOIN learning_forms lf ON lf.id = c.form_id"
    "  WHERE r.account_id IS NULL AND r.problem IS NULL AND NOT r.withdrawn"
    "  FOR UPDATE OF r),"
    " bad AS (UPDATE base_roster r SET problem = $3 FROM cand"
    "  WHERE r.id = cand.id AND NOT cand.name_ok),"
    " ins AS (INSERT INTO declarations (account_id, unit_code, form_id, form_code, year,"
    "  amount, hours, category, fields, state, source, class_id, submitted_at, decided_at,"
    "  review_chain, review_step)"
    "  SELECT account_id, unit_code, form_id, form_code, year, amount,"
    "  round(amount * credit_hours, 2), category, fields, $2::declaration_state, 'base',"
    "  class_id, now(), CASE WHEN $2::declaration_state = 'approved' THEN now() END,"
    "  chain, chain[1]"
    "  FROM cand WHERE name_ok"
    "  RETURNING id, account_id, class_id, year, form_code, category, hours, state),"
    " claimed AS (UPDATE base_roster r SET account_id = ins.account_id,"
    "  declaration_id = ins.id FROM cand JOIN ins ON ins.class_id = cand.class_id"
    "  WHERE r.id = cand.id AND cand.name_ok),"
    " audit AS (INSERT INTO declaration_audit (declaration_id, account_id, actor_id,"
    "  action, from_state, to_state) SELECT id, account_id, NULL, 'claim', NULL, state"
    "  FROM ins),"
    BASE_TOTALS_ADD("ins") ","
    " class_audit AS (INSERT INTO base_class_audit (class_id, actor_id, action, detail)"
    "  SELECT class_id, NULL, 'claim', jsonb_build_object('row_id', id, 'account_id',"
    "  $1::bigint, 'claimed', name_ok, 'problem', CASE WHEN name_ok THEN NULL ELSE $3 END)"
    "  FROM cand)"
    " SELECT count(*) FILTER (WHERE name_ok) FROM cand");

int
base_report_claim(struct db_conn *db, const char *account, const struct config *cfg)
{
	char *chains = base_report_chains(cfg);
	const char *params[5] = { account, base_report_initial_state(cfg->base_review),
	    BASE_CLAIM_NAME_MISMATCH, chains, cfg->base_review == BASE_REVIEW_AUTHORITY ?
	    REVIEW_CHAIN_AUTHORITY : REVIEW_CHAIN_UNIT };
	PGresult *res;
	int n;

	res = db_exec(db, &base_claim_stmt, 5, params);
	free(chains);
	if (res == NULL)
		return -1;
	n = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}
