-- bench-roster-reset.sql - the state every round of tests/bench/bench-roster starts
-- from, for jxjyd and the reference alike: no class, roster or base record; the seeded
-- people's totals as their own records make them; then one draft class of the base RSTB
-- (its id printed), a 3-day class of :'form' that ended yesterday, counted in :year, 8
-- hours an attendee, made by the base's administrator :'admin'; the tables vacuumed and
-- analysed, so that no round pays for the dead rows of the one before.
\set ON_ERROR_STOP 1
BEGIN;
DELETE FROM base_roster;
DELETE FROM declaration_audit WHERE action IN ('report', 'claim');
DELETE FROM declarations WHERE source = 'base';
DELETE FROM base_class_audit;
DELETE FROM base_classes;
DELETE FROM declaration_totals;
\set totals_of 'true'
\ir bench-seed-totals.sql
INSERT INTO base_classes (base_code, name, form_id, form_code, fields, start_date, end_date,
    year, amount, created_by)
SELECT 'RSTB', '名单压测培训班', id, code,
    '{"name": "名单压测培训班", "kind": "培训班", "organiser": "名单压测培训基地"}',
    current_date - 3, current_date - 1, :year, 8,
    (SELECT id FROM accounts WHERE id_number = :'admin' AND role = 'base_admin')
FROM learning_forms WHERE code = :'form' AND active
RETURNING id;
COMMIT;
VACUUM ANALYZE base_roster, declarations, declaration_audit, declaration_totals,
    base_classes, base_class_audit;
