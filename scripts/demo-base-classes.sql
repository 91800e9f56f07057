-- scripts/demo-base-classes.sql - the demo base's classes (班次), rosters and the records
-- they reported (基地学时申报) for scripts/demo (never loaded in production).
--
-- Loaded after jxjyd has started (it syncs the learning forms of its config) and after
-- scripts/demo-bases.sql and scripts/demo-declarations.sql (which gives records only to
-- people who have none yet).  A class in each state:
--   急诊急救技能培训班          draft: two bad rows (a name that is not the registered
--                               one, an ID number that is no ID number), to fix
--   普外科腔镜技术研修班        reported this year: 孙明 and 周静 waiting for 王建国's
--                               review (学时审核), 刘伟 not approved yet (unclaimed: his
--                               record comes when his registration is approved)
--   心血管疾病诊疗新进展学术会议 reported last year and decided: 孙明 and 吴昊 approved,
--                               周静 rejected with a reason
--   医院感染防控网络课程        withdrawn (its roster kept)
-- Loading it twice adds nothing.

BEGIN;

CREATE TEMPORARY TABLE demo_class (
	n		integer PRIMARY KEY,
	name		text,
	form_code	text,
	years_ago	integer,
	start_md	text,		-- month-day of the year counted
	end_md		text,
	amount		numeric,
	state		class_state,
	fields		jsonb
) ON COMMIT DROP;

INSERT INTO demo_class VALUES
 (1, '急诊急救技能培训班', 'training', 0, '01-08', '01-09', 16, 'draft',
  '{"name": "急诊急救技能培训班", "kind": "培训班", "organiser": "河南省医学继续教育培训中心",
    "level": "省级", "place": "郑州", "dates": {"from": "Y-01-08", "to": "Y-01-09"}}'),
 (2, '普外科腔镜技术研修班', 'training', 0, '01-03', '01-06', 24, 'reported',
  '{"name": "普外科腔镜技术研修班", "kind": "研修班", "organiser": "河南省医学继续教育培训中心",
    "level": "省级", "place": "郑州", "dates": {"from": "Y-01-03", "to": "Y-01-06"}}'),
 (3, '心血管疾病诊疗新进展学术会议', 'conference', 1, '10-18', '10-19', 12, 'reported',
  '{"name": "心血管疾病诊疗新进展学术会议", "organiser": "河南省医学继续教育培训中心",
    "level": "省级", "place": "郑州", "dates": {"from": "Y-10-18", "to": "Y-10-19"},
    "paper": "未提交论文"}'),
 (4, '医院感染防控网络课程', 'online_course', 1, '09-01', '09-30', 6, 'withdrawn',
  '{"course": "医院感染防控网络课程", "platform": "河南省医学继续教育培训中心",
    "finished": "Y-09-30"}');

-- The rosters: line in the file, ID number and name as the base gave them, the record's
-- state (NULL: none), a rejection's reason.
CREATE TEMPORARY TABLE demo_row (
	class_n		integer,
	line		integer,
	id_number	text,
	name		text,
	problem		text,
	record		declaration_state,
	reason		text
) ON COMMIT DROP;

INSERT INTO demo_row VALUES
 (1, 2, '410104198503181573', '孙明', NULL, NULL, NULL),
 (1, 3, '410305198206263756', '吴浩', 'roster_name_mismatch', NULL, NULL),
 (1, 4, '41030519820626375', '杨帆', 'roster_id_invalid', NULL, NULL),
 (2, 2, '410104198503181573', '孙明', NULL, 'pending', NULL),
 (2, 3, '410108198712022240', '周静', NULL, 'pending', NULL),
 (2, 4, '410181198809302115', '刘伟', NULL, NULL, NULL),
 (3, 2, '410104198503181573', '孙明', NULL, 'approved', NULL),
 (3, 3, '410305198206263756', '吴昊', NULL, 'approved', NULL),
 (3, 4, '410108198712022240', '周静', NULL, 'rejected',
  '考勤记录显示缺席一天，不符合全程参会要求'),
 (4, 2, '410104198503181573', '孙明', NULL, NULL, NULL),
 (4, 3, '410305198206263756', '吴昊', NULL, NULL, NULL);

CREATE TEMPORARY TABLE demo_class_ids ON COMMIT DROP AS
SELECT c.n, c.state, c.amount, f.id AS form_id, f.code AS form_code,
       f.definition->>'category' AS category,
       coalesce((f.definition->>'credit_hours')::numeric, 1) AS credit_hours,
       (extract(year FROM now())::integer - c.years_ago) AS year,
       make_date(extract(year FROM now())::integer - c.years_ago,
                 split_part(c.start_md, '-', 1)::int, split_part(c.start_md, '-', 2)::int) AS start_date,
       make_date(extract(year FROM now())::integer - c.years_ago,
                 split_part(c.end_md, '-', 1)::int, split_part(c.end_md, '-', 2)::int) AS end_date,
       replace(c.fields::text, '"Y-', '"' || (extract(year FROM now())::integer - c.years_ago) || '-')::jsonb AS fields,
       c.name, admin.id AS admin_id, unit_admin.id AS unit_admin_id, NULL::bigint AS id
FROM demo_class c
JOIN learning_forms f ON f.code = c.form_code AND f.active
JOIN accounts admin ON admin.id_number = '41010519790823302X'
JOIN accounts unit_admin ON unit_admin.id_number = '410105197205161357'
WHERE NOT EXISTS (SELECT 1 FROM base_classes x WHERE x.base_code = 'JD410001');

WITH ins AS (
INSERT INTO base_classes (base_code, name, form_id, form_code, fields, start_date, end_date,
    year, amount, state, created_by, reported_by, reported_at, created_at, updated_at)
SELECT 'JD410001', name, form_id, form_code, fields, start_date, end_date, year, amount,
       state, admin_id,
       CASE WHEN state <> 'draft' THEN admin_id END,
       CASE WHEN state <> 'draft' THEN end_date + interval '3 days' END,
       start_date - interval '20 days', start_date - interval '20 days'
FROM demo_class_ids ORDER BY n
RETURNING id, name)
UPDATE demo_class_ids c SET id = ins.id FROM ins WHERE ins.name = c.name;

INSERT INTO base_roster (class_id, line, id_number, name, amount, problem, account_id,
    withdrawn, created_at)
SELECT c.id, r.line, r.id_number, r.name, NULL, r.problem,
       CASE WHEN r.problem IS NULL THEN a.id END, false, c.start_date - interval '10 days'
FROM demo_row r JOIN demo_class_ids c ON c.n = r.class_n
LEFT JOIN accounts a ON a.id_number = r.id_number AND a.state = 'active'
ORDER BY c.n, r.line;

-- A record per claimed row of a reported class, as class.report makes them.
CREATE TEMPORARY TABLE demo_records ON COMMIT DROP AS
SELECT r.id AS row_id, a.id AS account_id, a.unit_code, c.id AS class_id, c.form_id,
       c.form_code, c.year, c.amount, round(c.amount * c.credit_hours, 2) AS hours,
       c.category, c.fields, d.record AS state, d.reason, c.end_date, c.admin_id,
       c.unit_admin_id, NULL::bigint AS declaration_id
FROM demo_row d JOIN demo_class_ids c ON c.n = d.class_n
JOIN base_roster r ON r.class_id = c.id AND r.line = d.line
JOIN accounts a ON a.id = r.account_id
WHERE c.state = 'reported' AND d.record IS NOT NULL;

WITH ins AS (
INSERT INTO declarations (account_id, unit_code, form_id, form_code, year, amount, hours,
    category, fields, state, reject_reason, source, class_id, submitted_at, decided_by,
    decided_at, created_at)
SELECT account_id, unit_code, form_id, form_code, year, amount, hours, category, fields,
       state, reason, 'base', class_id, end_date + interval '3 days',
       CASE WHEN state <> 'pending' THEN unit_admin_id END,
       CASE WHEN state <> 'pending' THEN end_date + interval '10 days' END,
       end_date + interval '3 days'
FROM demo_records
RETURNING id, account_id, class_id)
UPDATE demo_records d SET declaration_id = ins.id FROM ins
WHERE ins.account_id = d.account_id AND ins.class_id = d.class_id;

UPDATE base_roster r SET declaration_id = d.declaration_id
FROM demo_records d WHERE d.row_id = r.id;

-- Their history, as jxjyd would have written it: reported by the base, decided by the unit.
INSERT INTO declaration_audit (declaration_id, account_id, actor_id, action, from_state,
    to_state, reason, at)
SELECT declaration_id, account_id, admin_id, 'report', NULL, 'pending', NULL,
       end_date + interval '3 days'
FROM demo_records;
INSERT INTO declaration_audit (declaration_id, account_id, actor_id, action, from_state,
    to_state, reason, at)
SELECT declaration_id, account_id, unit_admin_id,
       CASE state WHEN 'approved' THEN 'approve' ELSE 'reject' END, 'pending', state, reason,
       end_date + interval '10 days'
FROM demo_records WHERE state <> 'pending';

INSERT INTO base_class_audit (class_id, actor_id, action, detail, at)
SELECT id, admin_id, 'create', jsonb_build_object('name', name), start_date - interval '20 days'
FROM demo_class_ids;
INSERT INTO base_class_audit (class_id, actor_id, action, detail, at)
SELECT c.id, c.admin_id, 'roster', jsonb_build_object('op', 'import', 'encoding', 'GB18030',
       'rows', count(r.id), 'bad', count(r.id) FILTER (WHERE r.problem IS NOT NULL)),
       c.start_date - interval '10 days'
FROM demo_class_ids c JOIN base_roster r ON r.class_id = c.id
GROUP BY c.id, c.admin_id, c.start_date;
INSERT INTO base_class_audit (class_id, actor_id, action, detail, at)
SELECT id, admin_id, 'report', jsonb_build_object('records',
       (SELECT count(*) FROM demo_records d WHERE d.class_id = c.id), 'state', 'pending'),
       end_date + interval '3 days'
FROM demo_class_ids c WHERE state IN ('reported', 'withdrawn');
INSERT INTO base_class_audit (class_id, actor_id, action, detail, at)
SELECT id, admin_id, 'withdraw', jsonb_build_object('records', 0), end_date + interval '5 days'
FROM demo_class_ids WHERE state = 'withdrawn';

-- The totals the daemon keeps in step with every transition, for everyone with a record.
INSERT INTO declaration_totals (account_id, year, form_code, category, approved_hours, pending_hours)
SELECT account_id, year, form_code, min(category),
       coalesce(sum(hours) FILTER (WHERE state = 'approved'), 0),
       coalesce(sum(hours) FILTER (WHERE state = 'pending'), 0)
FROM declarations
WHERE account_id IN (SELECT account_id FROM demo_records)
GROUP BY account_id, year, form_code
ON CONFLICT (account_id, year, form_code) DO UPDATE
SET approved_hours = EXCLUDED.approved_hours, pending_hours = EXCLUDED.pending_hours;

COMMIT;
