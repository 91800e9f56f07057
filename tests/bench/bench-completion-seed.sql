-- bench-completion-seed.sql - the load of tests/bench/bench-completion: one unit (BIGC)
-- of 10,000 active staff in 40 departments, 40,000 people of other units, and N
-- declarations of BIGC's staff (psql -v rows=N; the script's 1,000,000 make 100 a person,
-- 50 in each of the years :year and :year - 1): a quarter of them 公需科目, the rest spread
-- over the shipped 专业科目 forms (one of which has a yearly cap); 70% approved, 10%
-- pending, 10% rejected, 10% drafts; then declaration_totals summed from them, as every
-- transition keeps it.  Run after jxjyd has synced its learning forms, with -v year=Y
-- -v hash=ARGON2ID (the password of BIGC's staff).
\ir bench-seed-common.sql

SELECT pg_temp.bench_unit('BIGC', '完成情况压测单位', '压测科室', 40);
CREATE TEMP TABLE bench_depts AS
SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM departments WHERE unit_code = 'BIGC';

INSERT INTO accounts (id_number, state, password_hash, name, unit_code, department_id, sex)
SELECT pg_temp.idnum('410105' || to_char(date '1970-01-01' + (p % 9000), 'YYYYMMDD') ||
	lpad((100 + p / 9000)::text, 3, '0')),
    'active', :'hash',
    pg_temp.bench_name(p),
    'BIGC', d.id, (p / 9000) % 2
FROM generate_series(0, 9999) p JOIN bench_depts d ON d.n = p % 40;

-- 40,000 people in 40 other units, so that finding a unit's staff is the index lookup it
-- is in a province's database, not a scan of a table that holds only them.
INSERT INTO units (code, name, region)
SELECT 'BO' || lpad(u::text, 2, '0'), '其他压测单位' || u, '410100' FROM generate_series(1, 40) u;
INSERT INTO accounts (id_number, state, name, unit_code, sex)
SELECT pg_temp.idnum('410105' || to_char(date '1970-01-01' + (p % 9000), 'YYYYMMDD') ||
	lpad((100 + p / 9000)::text, 3, '0')),
    'active', '其他人员' || p, 'BO' || lpad((1 + p % 40)::text, 2, '0'), (p / 9000) % 2
FROM generate_series(10000, 49999) p;

CREATE TEMP TABLE bench_people AS
SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM accounts
WHERE unit_code = 'BIGC' AND role = 'staff';
CREATE TEMP TABLE bench_pro AS
SELECT id, code, row_number() OVER (ORDER BY id) - 1 AS n FROM learning_forms
WHERE active AND definition->>'category' = 'professional';
SELECT count(*) AS npro FROM bench_pro \gset
SELECT id AS pub_id, code AS pub_code FROM learning_forms
WHERE active AND definition->>'category' = 'public' ORDER BY id LIMIT 1 \gset
ANALYZE bench_people;
ANALYZE bench_pro;

-- Record k (0..99) of person p: the year, category, state and hours vary with k and p.
INSERT INTO declarations (account_id, unit_code, form_id, form_code, year, amount, hours,
    category, fields, state, reject_reason, submitted_at, decided_at, created_at, updated_at)
SELECT p.id, 'BIGC', CASE WHEN x.pub THEN :pub_id ELSE f.id END,
    CASE WHEN x.pub THEN :'pub_code' ELSE f.code END, :year - x.k % 2, x.h, x.h,
    CASE WHEN x.pub THEN 'public' ELSE 'professional' END,
    pg_temp.bench_fields('压测', g), x.state, CASE WHEN x.state = 'rejected' THEN '材料不全' END,
    CASE WHEN x.state <> 'draft' THEN x.at + interval '1 hour' END,
    CASE WHEN x.state IN ('approved', 'rejected') THEN x.at + interval '2 days' END,
    x.at, x.at
FROM generate_series(0, :rows - 1) g
CROSS JOIN LATERAL (SELECT g % 10000 AS p, g / 10000 AS k) i
CROSS JOIN LATERAL (SELECT i.k,
	(i.k * 7 + i.p) % 4 = 0 AS pub,
	0.5 * (1 + (i.k * 31 + i.p * 7) % 7) AS h,
	now() - (g % 700) * interval '1 day' AS at,
	CASE WHEN (i.k * 3 + i.p) % 10 < 7 THEN 'approved' WHEN (i.k * 3 + i.p) % 10 = 7
	    THEN 'pending' WHEN (i.k * 3 + i.p) % 10 = 8 THEN 'rejected' ELSE 'draft'
	END::declaration_state AS state) x
JOIN bench_people p ON p.n = i.p
JOIN bench_pro f ON f.n = (i.k + i.p) % :npro;

\set totals_of 'unit_code = ''BIGC'' AND state <> ''draft'''
\ir bench-seed-totals.sql
