-- scripts/demo-declarations.sql - demo declarations (学时学分申报) for scripts/demo.
--
-- Loaded after jxjyd has started (it syncs the learning forms of its config into
-- learning_forms) and after scripts/demo-accounts.sql.  The three active staff of
-- 郑州大学第一附属医院 get records over three years in every state, each with a small PNG
-- attachment, so that 申报进度查询, 学时审核 and 年度完成情况 have something to show:
--   孙明 (410104198503181573)  meets the requirement last year, is short this year
--   周静 (410108198712022240)  records in review, a rejected one, a draft
--   吴昊 (410305198206263756)  a few approved records
-- Never loaded in production.  Loading it twice adds nothing.

BEGIN;

CREATE TEMPORARY TABLE demo_decl (
	n		integer PRIMARY KEY,
	id_number	char(18),
	form_code	text,
	years_ago	integer,
	amount		numeric,
	state		declaration_state,
	fields		jsonb,
	reason		text
) ON COMMIT DROP;

INSERT INTO demo_decl VALUES
 (1, '410104198503181573', 'conference', 1, 12, 'approved',
  '{"name": "中华医学会心血管病学分会年会", "organiser": "中华医学会", "level": "国家级",
    "place": "北京", "dates": {"from": "Y-09-12", "to": "Y-09-14"}, "paper": "否"}', NULL),
 (2, '410104198503181573', 'public_course', 1, 30, 'approved',
  '{"course": "专业技术人员职业道德与诚信建设", "organiser": "河南省人力资源和社会保障厅",
    "mode": "网络学习", "dates": {"from": "Y-03-01", "to": "Y-05-30"}}', NULL),
 (3, '410104198503181573', 'training', 1, 56, 'approved',
  '{"name": "心血管介入诊疗技术培训班", "kind": "培训班", "organiser": "河南省卫生健康委员会",
    "level": "省级", "place": "郑州", "dates": {"from": "Y-06-03", "to": "Y-06-10"}}', NULL),
 (4, '410104198503181573', 'public_course', 0, 24, 'approved',
  '{"course": "数字经济与创新驱动发展", "organiser": "河南省人力资源和社会保障厅",
    "mode": "网络学习", "dates": {"from": "Y-02-10", "to": "Y-04-20"}}', NULL),
 (5, '410104198503181573', 'conference', 0, 8, 'pending',
  '{"name": "河南省医学会心血管病学年会", "organiser": "河南省医学会", "level": "省级",
    "place": "洛阳", "dates": {"from": "Y-05-16", "to": "Y-05-17"}, "paper": "否"}', NULL),
 (6, '410108198712022240', 'training', 0, 40, 'pending',
  '{"name": "护理管理能力提升研修班", "kind": "研修班", "organiser": "河南省护理学会",
    "level": "省级", "place": "郑州", "dates": {"from": "Y-04-08", "to": "Y-04-12"}}', NULL),
 (7, '410108198712022240', 'public_course', 0, 24, 'approved',
  '{"course": "专业技术人员心理健康与压力管理", "organiser": "郑州市人力资源和社会保障局",
    "mode": "面授", "dates": {"from": "Y-03-05", "to": "Y-03-07"}}', NULL),
 (8, '410108198712022240', 'conference', 0, 12, 'rejected',
  '{"name": "全国护理学术交流会", "organiser": "中华护理学会", "level": "国家级",
    "place": "上海", "dates": {"from": "Y-07-01", "to": "Y-07-02"}, "paper": "否"}',
  '附件为会议通知，缺少参会证明，请补充单位证明后重新申报'),
 (9, '410108198712022240', 'online_course', 0, 6, 'draft',
  '{"course": "静脉治疗护理技术操作规范", "platform": "华医网", "finished": "Y-05-20"}', NULL),
 (10, '410305198206263756', 'training', 2, 64, 'approved',
  '{"name": "心脏超声规范化培训", "kind": "进修班", "organiser": "郑州大学第一附属医院",
    "level": "市级", "place": "郑州", "dates": {"from": "Y-09-01", "to": "Y-09-30"}}', NULL),
 (11, '410305198206263756', 'public_course', 2, 30, 'approved',
  '{"course": "习近平新时代中国特色社会主义思想专题", "organiser": "河南省人力资源和社会保障厅",
    "mode": "网络学习", "dates": {"from": "Y-02-01", "to": "Y-06-30"}}', NULL),
 (12, '410305198206263756', 'conference', 0, 12, 'pending',
  '{"name": "中国心血管影像大会", "organiser": "中国医师协会", "level": "国家级",
    "place": "广州", "dates": {"from": "Y-03-21", "to": "Y-03-23"}, "paper": "是",
    "paper_title": "冠脉CT血管成像对斑块稳定性的评估"}', NULL);

-- The year placeholders become real dates; forms that the config lacks are skipped.
CREATE TEMPORARY TABLE demo_rows ON COMMIT DROP AS
SELECT d.n, a.id AS account_id, a.unit_code, f.id AS form_id, f.code AS form_code,
       (extract(year FROM now())::integer - d.years_ago) AS year, d.amount,
       d.amount * coalesce((f.definition->>'credit_hours')::numeric, 1) AS hours,
       f.definition->>'category' AS category,
       replace(d.fields::text, '"Y-', '"' || (extract(year FROM now())::integer - d.years_ago) || '-')::jsonb AS fields,
       d.state, d.reason,
       admin.id AS admin_id
FROM demo_decl d
JOIN accounts a ON a.id_number = d.id_number
JOIN learning_forms f ON f.code = d.form_code AND f.active
JOIN accounts admin ON admin.id_number = '410105197205161357'
WHERE NOT EXISTS (SELECT 1 FROM declarations x WHERE x.account_id = a.id);

CREATE TEMPORARY TABLE demo_ids (id bigint PRIMARY KEY) ON COMMIT DROP;
WITH ins AS (
INSERT INTO declarations (account_id, unit_code, form_id, form_code, year, amount, hours,
    category, fields, state, reject_reason, submitted_at, decided_by, decided_at, created_at)
SELECT account_id, unit_code, form_id, form_code, year, amount, hours, category,
       fields, state, reason,
       CASE WHEN state <> 'draft' THEN make_date(year, 6, 1) + (n || ' days')::interval END,
       CASE WHEN state IN ('approved', 'rejected') THEN admin_id END,
       CASE WHEN state IN ('approved', 'rejected') THEN make_date(year, 6, 15) + (n || ' days')::interval END,
       make_date(year, 5, 20) + (n || ' days')::interval
FROM demo_rows
RETURNING id)
INSERT INTO demo_ids SELECT id FROM ins;

-- Their history, as the daemon would have written it.
INSERT INTO declaration_audit (declaration_id, account_id, actor_id, action, from_state, to_state, reason, at)
SELECT d.id, d.account_id, d.account_id, 'create', NULL, 'draft', NULL, d.created_at
FROM declarations d WHERE d.id IN (SELECT id FROM demo_ids)
  AND NOT EXISTS (SELECT 1 FROM declaration_audit x WHERE x.declaration_id = d.id);
INSERT INTO declaration_audit (declaration_id, account_id, actor_id, action, from_state, to_state, reason, at)
SELECT d.id, d.account_id, d.account_id, 'submit', 'draft', 'pending', NULL, d.submitted_at
FROM declarations d WHERE d.id IN (SELECT id FROM demo_ids) AND d.state <> 'draft'
  AND NOT EXISTS (SELECT 1 FROM declaration_audit x WHERE x.declaration_id = d.id AND x.action = 'submit');
INSERT INTO declaration_audit (declaration_id, account_id, actor_id, action, from_state, to_state, reason, at)
SELECT d.id, d.account_id, d.decided_by, CASE d.state WHEN 'approved' THEN 'approve' ELSE 'reject' END,
       'pending', d.state, d.reject_reason, d.decided_at
FROM declarations d WHERE d.id IN (SELECT id FROM demo_ids) AND d.state IN ('approved', 'rejected')
  AND NOT EXISTS (SELECT 1 FROM declaration_audit x WHERE x.declaration_id = d.id
                  AND x.action IN ('approve', 'reject'));

-- A 1x1 PNG as every record's scan.
INSERT INTO attachments (declaration_id, year, name, mime, size, sha256, data)
SELECT d.id, d.year, '证明材料.png', 'image/png', octet_length(p.data), encode(sha256(p.data), 'hex'), p.data
FROM declarations d,
     (SELECT decode('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000b49444154789c63f80f040009fb03fdfb5e6b2b0000000049454e44ae426082', 'hex') AS data) p
WHERE d.id IN (SELECT id FROM demo_ids)
  AND NOT EXISTS (SELECT 1 FROM attachments x WHERE x.declaration_id = d.id);

-- The totals the daemon keeps in step with every transition.
INSERT INTO declaration_totals (account_id, year, form_code, category, approved_hours, pending_hours)
SELECT account_id, year, form_code, min(category),
       coalesce(sum(hours) FILTER (WHERE state = 'approved'), 0),
       coalesce(sum(hours) FILTER (WHERE state = 'pending'), 0)
FROM declarations
WHERE account_id IN (SELECT account_id FROM declarations WHERE id IN (SELECT id FROM demo_ids))
GROUP BY account_id, year, form_code
ON CONFLICT (account_id, year, form_code) DO UPDATE
SET approved_hours = EXCLUDED.approved_hours, pending_hours = EXCLUDED.pending_hours;

COMMIT;
