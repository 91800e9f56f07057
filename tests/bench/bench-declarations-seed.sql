-- bench-declarations-seed.sql - a province-sized load of declarations for
-- tests/bench/bench-declarations.  Run with psql -v rows=N -v year=Y after jxjyd has synced
-- its learning forms.  Makes 200 units, 50,000 people (2,000 of them in the large unit
-- BIG), N declarations of which about 30,000 pending ones belong to BIG (its review queue),
-- the audit rows every non-draft declaration would have, and the totals they sum to.
-- The people who log in (bench staff and BIG's administrator) are made by the script.
\ir bench-seed-common.sql

-- (The script may have made B001 and BIG already, for the people who log in.)
INSERT INTO units (code, name, region)
SELECT 'B' || lpad(u::text, 3, '0'), '压测单位' || u, '410100' FROM generate_series(1, 199) u
ON CONFLICT DO NOTHING;
INSERT INTO units (code, name, region) VALUES ('BIG', '压测大单位', '410100')
ON CONFLICT DO NOTHING;

-- 48,000 people in the 199 units, 2,000 in BIG (sequence numbers 7000-8999 are the script's).
INSERT INTO accounts (id_number, state, name, unit_code, sex)
SELECT pg_temp.idnum('410105' || to_char(date '1970-01-01' + (p % 9000), 'YYYYMMDD') ||
	lpad((p / 9000)::text, 3, '0')),
    'active', '压测人员' || p,
    CASE WHEN p <= 48000 THEN 'B' || lpad((1 + p % 199)::text, 3, '0') ELSE 'BIG' END,
    (p / 9000) % 2
FROM generate_series(1, 50000) p;

-- Numbered 0.., so that each generated row finds its person, form... by a hash join.
CREATE TEMP TABLE bench_people AS
SELECT id, unit_code, row_number() OVER (ORDER BY id) - 1 AS n
FROM accounts WHERE name LIKE '压测人员%';
CREATE TEMP TABLE bench_big AS
SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM accounts
WHERE name LIKE '压测人员%' AND unit_code = 'BIG';
CREATE TEMP TABLE bench_forms AS
SELECT id, code, definition->>'category' AS category, row_number() OVER (ORDER BY id) - 1 AS n
FROM learning_forms WHERE active;
SELECT count(*) AS forms FROM bench_forms \gset
ANALYZE bench_people;
ANALYZE bench_big;
ANALYZE bench_forms;

-- Everyone's history: mostly decided, some drafts and pending, over two years.
INSERT INTO declarations (account_id, unit_code, form_id, form_code, year, amount, hours,
    category, fields, state, reject_reason, submitted_at, decided_at, created_at, updated_at)
SELECT p.id, p.unit_code, f.id, f.code, :year - (g % 2), 1 + g % 24, 1 + g % 24, f.category,
    pg_temp.bench_fields('压测', g), s.state, CASE WHEN s.state = 'rejected' THEN '材料不全' END,
    CASE WHEN s.state <> 'draft' THEN t.at + interval '1 hour' END,
    CASE WHEN s.state IN ('approved', 'rejected') THEN t.at + interval '2 days' END,
    t.at, t.at
FROM generate_series(1, :rows - 30000) g
CROSS JOIN LATERAL (SELECT now() - (g % 700) * interval '1 day' - (g % 86400) * interval '1 second' AS at) t
CROSS JOIN LATERAL (SELECT CASE WHEN g % 20 < 14 THEN 'approved' WHEN g % 20 < 16 THEN 'rejected'
	WHEN g % 20 < 17 THEN 'draft' ELSE 'pending' END::declaration_state AS state) s
JOIN bench_people p ON p.n = (g::bigint * 7919) % 50000
JOIN bench_forms f ON f.n = g % :forms;

-- BIG's review queue: 30,000 pending declarations of its 2,000 people.
INSERT INTO declarations (account_id, unit_code, form_id, form_code, year, amount, hours,
    category, fields, state, submitted_at, created_at, updated_at)
SELECT b.id, 'BIG', f.id, f.code, :year - (g % 2), 1 + g % 24, 1 + g % 24, f.category,
    pg_temp.bench_fields('待审', g), 'pending',
    now() - (g % 200) * interval '1 day' - g * interval '1 second',
    now() - (g % 200) * interval '1 day' - g * interval '1 second' - interval '1 hour',
    now() - (g % 200) * interval '1 day'
FROM generate_series(1, 30000) g
JOIN bench_big b ON b.n = (g::bigint * 7919) % 2000
JOIN bench_forms f ON f.n = g % :forms;

INSERT INTO declaration_audit (declaration_id, account_id, actor_id, action, from_state,
    to_state, at)
SELECT id, account_id, account_id, 'submit', 'draft', 'pending', submitted_at
FROM declarations WHERE state <> 'draft';
INSERT INTO declaration_audit (declaration_id, account_id, actor_id, action, from_state,
    to_state, reason, at)
SELECT id, account_id, NULL, CASE state WHEN 'approved' THEN 'approve' ELSE 'reject' END,
    'pending', state, reject_reason, decided_at
FROM declarations WHERE state IN ('approved', 'rejected');

\set totals_of true
\ir bench-seed-totals.sql
