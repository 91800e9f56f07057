-- bench-roster-seed.sql - the load of tests/bench/bench-roster: :staff active staff
-- (psql -v staff=N) spread over 20 units (the hospitals whose people attend a training
-- base's class), each with one approved record of the year :year in the shipped
-- 公需科目 form and, for every other person, one in the class's form :'form' too (so that
-- reporting the class both adds and updates declaration_totals rows); 20,000 people of
-- other units, so that finding a roster's people is the index lookup it is in a
-- province's database; their totals.  The base RSTB (its forms: :'form') is made by the
-- script before jxjyd starts, so that base_admins may name it.  Run after jxjyd has
-- synced its learning forms, with -v year=Y -v hash=ARGON2ID -v form=CODE.
\ir bench-seed-common.sql

SELECT pg_temp.bench_unit('RST' || lpad(u::text, 2, '0'), '名单压测医院' || u, '科室', 2)
FROM generate_series(1, 20) u;
INSERT INTO units (code, name, region) VALUES ('RSTO', '其他名单压测单位', '410100');

-- Person p of the staff: unit p % 20, one of its two departments.
INSERT INTO accounts (id_number, state, password_hash, name, unit_code, department_id, sex)
SELECT pg_temp.bench_person_id(p, 200), 'active', :'hash', pg_temp.bench_name(p),
    'RST' || lpad((1 + p % 20)::text, 2, '0'),
    (SELECT id FROM departments WHERE unit_code = 'RST' || lpad((1 + p % 20)::text, 2, '0')
     ORDER BY id OFFSET (p / 20) % 2 LIMIT 1),
    p % 2
FROM generate_series(0, :staff - 1) p;
INSERT INTO accounts (id_number, state, name, unit_code, sex)
SELECT pg_temp.bench_person_id(p, 300), 'active', '其他人员' || p, 'RSTO', p % 2
FROM generate_series(0, 19999) p;

-- Their records so far this year: 公需 for everyone, the class's form for every other one.
INSERT INTO declarations (account_id, unit_code, form_id, form_code, year, amount, hours,
    category, fields, state, submitted_at, decided_at)
SELECT a.id, a.unit_code, f.id, f.code, :year, 6, 6, f.definition->>'category',
    pg_temp.bench_fields('压测', a.id), 'approved', now() - interval '30 days',
    now() - interval '29 days'
FROM accounts a JOIN learning_forms f ON f.active
    AND (f.code = :'form' AND a.id % 2 = 0
	OR f.id = (SELECT min(id) FROM learning_forms WHERE active
	    AND definition->>'category' = 'public'))
WHERE a.unit_code LIKE 'RST__' AND a.role = 'staff';

\set totals_of 'unit_code LIKE ''RST__'''
\ir bench-seed-totals.sql
