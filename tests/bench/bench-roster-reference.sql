-- bench-roster-reference.sql - the reference of tests/bench/bench-roster: plain
-- PostgreSQL reaching the result of `ssh BASE_ADMIN@host roster CLASS < FILE` followed
-- by class.report, with psql and nothing else.  The roster file comes on psql's standard
-- input (\copy ... FROM pstdin), GB18030 as the base sent it: PostgreSQL decodes it
-- itself (ENCODING 'GB18030'), as jxjyd does with iconv.  Then, in the same one
-- transaction, one INSERT ... SELECT per table: the records, the roster rows (each
-- naming its person and record), the records' audit rows, the totals; the class reported
-- and its two audit rows.  No row is checked (ID number, name, hours, duplicates): the
-- reference is what moving the rows costs.  -v class=ID -v actor=ACCOUNT -v state=STATE.
\set ON_ERROR_STOP 1
\timing on
BEGIN;
CREATE TEMP TABLE staging (line integer GENERATED ALWAYS AS IDENTITY (START 2),
    id_number text, name text, amount text) ON COMMIT DROP;
\copy staging (id_number, name, amount) FROM pstdin WITH (FORMAT csv, HEADER true, ENCODING 'GB18030')
UPDATE base_classes SET state = 'reported', reported_by = :actor, reported_at = now(),
    updated_at = now(), version = version + 1
WHERE id = :class AND state = 'draft';
INSERT INTO declarations (account_id, unit_code, form_id, form_code, year, amount, hours,
    category, fields, state, source, class_id, submitted_at)
SELECT a.id, a.unit_code, c.form_id, c.form_code, c.year,
    coalesce(nullif(s.amount, '')::numeric, c.amount),
    round(coalesce(nullif(s.amount, '')::numeric, c.amount) *
	(lf.definition->>'credit_hours')::numeric, 2),
    lf.definition->>'category', c.fields, :'state', 'base', c.id, now()
FROM staging s JOIN accounts a ON a.id_number = s.id_number AND a.state = 'active'
    AND a.role = 'staff'
CROSS JOIN base_classes c JOIN learning_forms lf ON lf.id = c.form_id
WHERE c.id = :class;
INSERT INTO base_roster (class_id, line, id_number, name, amount, account_id,
    declaration_id)
SELECT :class, s.line, s.id_number, s.name, nullif(s.amount, '')::numeric, a.id, d.id
FROM staging s LEFT JOIN accounts a ON a.id_number = s.id_number AND a.state = 'active'
    AND a.role = 'staff'
LEFT JOIN declarations d ON d.class_id = :class AND d.account_id = a.id
ORDER BY s.line;
INSERT INTO declaration_audit (declaration_id, account_id, actor_id, action, from_state,
    to_state)
SELECT id, account_id, :actor, 'report', NULL, state FROM declarations WHERE class_id = :class;
INSERT INTO declaration_totals (account_id, year, form_code, category, pending_hours,
    approved_hours)
SELECT account_id, year, form_code, min(category),
    sum(CASE WHEN state = 'pending' THEN hours ELSE 0 END),
    sum(CASE WHEN state = 'approved' THEN hours ELSE 0 END)
FROM declarations WHERE class_id = :class GROUP BY account_id, year, form_code
ON CONFLICT (account_id, year, form_code) DO UPDATE SET
    pending_hours = declaration_totals.pending_hours + EXCLUDED.pending_hours,
    approved_hours = declaration_totals.approved_hours + EXCLUDED.approved_hours;
INSERT INTO base_class_audit (class_id, actor_id, action, detail)
SELECT :class, :actor, 'roster', jsonb_build_object('op', 'import', 'rows', count(*))
FROM base_roster WHERE class_id = :class
UNION ALL
SELECT :class, :actor, 'report', jsonb_build_object('records', count(*))
FROM declarations WHERE class_id = :class;
COMMIT;
