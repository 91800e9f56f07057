-- bench-base-report-seed.sql - the load of tests/bench/bench-base-report: one unit (ROST) of :rows
-- active staff (psql -v rows=N) in 10 departments, 20,000 people of another unit (so that
-- finding a roster's people is the index lookup it is in a province's database), and two
-- classes of the base :'base' in the learning form 'training': a draft (the one the
-- benchmark uploads a roster to and reports) and a reported one (the reference's records
-- point at it).  Run after jxjyd has synced its learning forms and created the base's
-- administrator (:'admin', from base_admins), with -v year=Y.
\ir bench-seed-common.sql

SELECT pg_temp.bench_unit('ROST', '名单压测单位', '名单科室', 10);
INSERT INTO accounts (id_number, state, name, unit_code, department_id, sex)
SELECT pg_temp.bench_person_id(p, 400), 'active', pg_temp.bench_name(p), 'ROST',
    (SELECT id FROM departments WHERE unit_code = 'ROST' ORDER BY id OFFSET p % 10 LIMIT 1),
    (p / 9000) % 2
FROM generate_series(0, :rows - 1) p;
INSERT INTO units (code, name, region) VALUES ('ROSO', '其他名单压测单位', '410100');
INSERT INTO accounts (id_number, state, name, unit_code, sex)
SELECT pg_temp.bench_person_id(p, 500), 'active', '其他人员' || p, 'ROSO', (p / 9000) % 2
FROM generate_series(0, 19999) p;

INSERT INTO base_classes (base_code, name, form_id, form_code, fields, start_date, end_date,
    year, amount, state, created_by, reported_by, reported_at)
SELECT :'base', n, f.id, 'training',
    jsonb_build_object('name', n, 'kind', '培训班', 'organiser', '名单压测基地', 'level', '省级'),
    make_date(:year, 1, 5), make_date(:year, 1, 6), :year, 12, s::class_state,
    (SELECT id FROM accounts WHERE id_number = :'admin'),
    CASE WHEN s = 'reported' THEN (SELECT id FROM accounts WHERE id_number = :'admin') END,
    CASE WHEN s = 'reported' THEN now() END
FROM learning_forms f,
    (VALUES ('名单压测培训班', 'draft'), ('名单压测参照班', 'reported')) AS c (n, s)
WHERE f.code = 'training' AND f.active;

ANALYZE;
