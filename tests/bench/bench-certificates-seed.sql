-- bench-certificates-seed.sql - the load of tests/bench/bench-certificates: one unit
-- (CERT) of :staff active staff (psql -v staff=N) in 10 departments, each with 10
-- approved declarations in each of the years :year and :year - 1 (a quarter 公需科目,
-- the rest spread over the shipped 专业科目 forms, one with dates), their totals, and an
-- administrator (ID number :'admin'); 5,000 people of other units, so that finding the
-- unit's staff is the index lookup it is in a province's database.  Run after jxjyd has
-- synced its learning forms, with -v year=Y -v hash=ARGON2ID -v admin=ID.
\ir bench-seed-common.sql

SELECT pg_temp.bench_unit('CERT', '证明压测单位', '证明科室', 10);
INSERT INTO accounts (id_number, role, state, password_hash, name, unit_code)
VALUES (:'admin', 'unit_admin', 'active', :'hash', '证明压测管理员', 'CERT');

-- The staff, round the 10 departments; 5,000 people of another unit.
INSERT INTO accounts (id_number, state, password_hash, name, unit_code, department_id, sex)
SELECT pg_temp.bench_person_id(p, 200), 'active', :'hash', pg_temp.bench_name(p), 'CERT',
    (SELECT id FROM departments WHERE unit_code = 'CERT' ORDER BY id OFFSET p % 10 LIMIT 1),
    (p / 9000) % 2
FROM generate_series(0, :staff - 1) p;
INSERT INTO units (code, name, region) VALUES ('CERO', '其他证明压测单位', '410100');
INSERT INTO accounts (id_number, state, name, unit_code, sex)
SELECT pg_temp.bench_person_id(p, 300), 'active', '其他人员' || p, 'CERO', (p / 9000) % 2
FROM generate_series(0, 4999) p;

-- Record k (0..19) of person n: years :year (even k) and :year - 1 (odd k); a quarter
-- in the first public form, the rest round the professional ones.
INSERT INTO declarations (account_id, unit_code, form_id, form_code, year, amount, hours,
    category, fields, state, submitted_at, decided_at, created_at, updated_at)
WITH people AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM accounts
	WHERE unit_code = 'CERT' AND role = 'staff'),
    forms AS (SELECT id, code, definition->>'category' AS category,
	row_number() OVER (PARTITION BY definition->>'category' ORDER BY id) - 1 AS n,
	count(*) OVER (PARTITION BY definition->>'category') AS of
	FROM learning_forms WHERE active)
SELECT p.id, 'CERT', f.id, f.code, :year - k % 2, x.h, x.h, f.category,
    pg_temp.bench_fields('压测', p.n * 20 + k), 'approved',
    x.at + interval '1 hour', x.at + interval '2 days', x.at, x.at
FROM people p CROSS JOIN generate_series(0, 19) k
CROSS JOIN LATERAL (SELECT (k * 7 + p.n) % 4 = 0 AS pub,
	0.5 * (4 + (k * 31 + p.n * 7) % 9) AS h,
	least(make_date(:year - k % 2, 1 + k / 2, 10), current_date - 3)::timestamptz AS at) x
JOIN forms f ON CASE WHEN x.pub THEN f.category = 'public' AND f.n = 0
	ELSE f.category = 'professional' AND f.n = (k + p.n) % f.of END;

\set totals_of 'unit_code = ''CERT'''
\ir bench-seed-totals.sql
