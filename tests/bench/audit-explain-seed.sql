-- tests/bench/audit-explain-seed.sql: a few hundred thousand audit rows over the
-- province's 18 cities, for tests/bench/audit-explain (the audit search's plans).
--   500 units (28 a city), 60,000 staff (120 a unit), one administrator a unit;
--   account_audit: a registration and its approval each (120,000 rows);
--   declaration_audit: 400,000 rows over two years (submit, approve or reject);
--   profile_changes: 20,000 reviewed title changes; 100 bases, 2,000 classes,
--   20,000 base_class_audit rows; 1,000 base_audit rows.
\set ON_ERROR_STOP on
INSERT INTO units (code, name, region)
SELECT 'AU' || u, '审核基准单位' || u,
       (SELECT code FROM regions WHERE parent IS NOT NULL ORDER BY code
        OFFSET (u % 18) LIMIT 1)
FROM generate_series(1, 500) u;

INSERT INTO accounts (id_number, role, state, name, unit_code)
SELECT lpad((410100000000000000 + a)::text, 18, '0'), 'staff', 'active',
       (ARRAY['王', '李', '张', '刘', '陈', '杨'])[1 + a % 6] || '某' || a,
       'AU' || (1 + a % 500)
FROM generate_series(1, 60000) a;
INSERT INTO accounts (id_number, role, state, name, unit_code)
SELECT lpad((410200000000000000 + u)::text, 18, '0'), 'unit_admin', 'active',
       '管理员' || u, 'AU' || u
FROM generate_series(1, 500) u;

CREATE TEMP TABLE staff AS
SELECT a.id, a.unit_code, ad.id AS admin
FROM accounts a JOIN accounts ad ON ad.unit_code = a.unit_code AND ad.role = 'unit_admin'
WHERE a.role = 'staff';

INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state, at)
SELECT id, id, 'register', NULL, 'pending', timestamptz '2025-01-01' + (id % 700) * interval '1 day'
FROM staff;
INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state, at)
SELECT id, admin, 'approve', 'pending', 'active',
       timestamptz '2025-01-02' + (id % 700) * interval '1 day'
FROM staff;

INSERT INTO learning_forms (code, version, definition, checksum)
VALUES ('bench_audit', 1, '{"name": "基准学习形式", "category": "professional"}', repeat('a', 64))
ON CONFLICT DO NOTHING;

INSERT INTO declaration_audit (declaration_id, account_id, actor_id, action, from_state,
    to_state, reason, at)
SELECT n, s.id, CASE WHEN n % 2 = 0 THEN s.id ELSE s.admin END,
       CASE WHEN n % 2 = 0 THEN 'submit' WHEN n % 7 = 1 THEN 'reject' ELSE 'approve' END,
       CASE WHEN n % 2 = 0 THEN 'draft' ELSE 'pending' END::declaration_state,
       CASE WHEN n % 2 = 0 THEN 'pending' WHEN n % 7 = 1 THEN 'rejected' ELSE 'approved'
       END::declaration_state,
       CASE WHEN n % 7 = 1 THEN '证书不清晰' END,
       timestamptz '2025-01-01' + (n * interval '157 seconds')
FROM generate_series(1, 400000) n JOIN staff s ON s.id = (SELECT min(id) FROM staff) + n % 60000;

INSERT INTO profile_changes (account_id, unit_code, field, old_value, new_value, kind, state,
    decided_by, changed_at, decided_at, reason)
SELECT s.id, s.unit_code, 'title', '助理工程师', '工程师', 'reviewed',
       CASE WHEN n % 3 = 0 THEN 'rejected' ELSE 'approved' END, s.admin,
       timestamptz '2025-01-01' + n * interval '1 hour',
       timestamptz '2025-01-01' + n * interval '1 hour' + interval '2 days',
       CASE WHEN n % 3 = 0 THEN '材料不全' END
FROM generate_series(1, 20000) n JOIN staff s ON s.id = (SELECT min(id) FROM staff) + n * 3;

INSERT INTO bases (code, name, region)
SELECT 'AB' || b, '审核基准基地' || b,
       (SELECT code FROM regions WHERE parent IS NOT NULL ORDER BY code OFFSET (b % 18) LIMIT 1)
FROM generate_series(1, 100) b;
INSERT INTO accounts (id_number, role, state, name, base_code)
SELECT lpad((410300000000000000 + b)::text, 18, '0'), 'base_admin', 'active',
       '基地管理员' || b, 'AB' || b
FROM generate_series(1, 100) b;
INSERT INTO base_classes (base_code, name, form_id, form_code, start_date, end_date, year,
    amount, state, created_by, reported_by, reported_at)
SELECT 'AB' || (1 + c % 100), '班次' || c, (SELECT id FROM learning_forms WHERE code = 'bench_audit'),
       'bench_audit', '2025-03-01', '2025-03-02', 2025, 8, 'reported', a.id, a.id, now()
FROM generate_series(1, 2000) c JOIN accounts a ON a.base_code = 'AB' || (1 + c % 100);
INSERT INTO base_class_audit (class_id, actor_id, action, detail, at)
SELECT c.id, c.created_by, (ARRAY['create', 'roster', 'report', 'change_row'])[1 + n % 4], '{}',
       timestamptz '2025-01-01' + (c.id * 10 + n) * interval '30 minutes'
FROM base_classes c, generate_series(1, 10) n;
INSERT INTO base_audit (base_code, actor_id, action, reason, before, after, at)
SELECT 'AB' || (1 + n % 100), NULL, 'suspend', '年检', '{}', '{}',
       timestamptz '2025-01-01' + n * interval '13 hours'
FROM generate_series(1, 1000) n;
ANALYZE;
