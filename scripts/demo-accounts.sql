-- scripts/demo-accounts.sql - demo people for scripts/demo (never loaded in production).
-- Load after scripts/demo-data.sql (it uses its units and departments).  Loading it twice
-- changes nothing.
--
-- Every demo login below has the password  Demo-2026-jxjy
-- (log in with the ID number; the SSH user name does not matter).
--
--   ID number            name    unit                          state
--   -------------------  ------  ----------------------------  ---------------------------
--   410105197205161357   王建国  郑州大学第一附属医院 (U410100001)   unit administrator
--   410102197811032468   李秀英  河南省交通规划设计研究院 (U410100002) unit administrator
--   410202196908213178   张志强  河南大学 (U410200002)           unit administrator
--   41010319900412162X   陈晓燕  郑州大学第一附属医院 心血管内科    pending (not reviewed yet)
--   410181198809302115   刘伟    郑州大学第一附属医院 神经内科      pending
--   410322199301250487   赵丽娟  郑州大学第一附属医院 儿科          pending
--   410222199107070938   马俊杰  郑州大学第一附属医院 医学影像科    pending
--   410104198503181573   孙明    郑州大学第一附属医院 普通外科      active
--   410108198712022240   周静    郑州大学第一附属医院 护理部        active
--   410305198206263756   吴昊    郑州大学第一附属医院 心血管内科    active
--   410182199410090860   郑雪    郑州大学第一附属医院 神经内科      rejected (wrong department)
--   410184198002141196   黄磊    郑州大学第一附属医院 医学影像科    active (try wrong passwords)
--
-- The unit administrators are unit_admin accounts here, but jxjyd takes its unit
-- administrators from jxjyd.conf (unit_admins) and disables every other one at start:
-- the demo's config must name these three (with any SSH public key) to keep them, e.g.
--   unit_admins = ( { id_number = "410105197205161357"; name = "王建国";
--                     unit = "U410100001"; keys = [ "ssh-ed25519 AAAA... demo" ]; }, ... );
-- jxjyd keeps the password set here (it never touches password_hash).
--
-- The ID numbers are valid (GB 11643 check characters) and their birth dates and sex
-- digits agree with the rows.  The password hash is libsodium's crypto_pwhash_str
-- (Argon2id, t = 2, 19 MiB), the parameters jxjyd uses.

BEGIN;

CREATE TEMPORARY TABLE demo_people (
	id_number	char(18) PRIMARY KEY,
	role		account_role,
	state		account_state,
	name		text,
	sex		smallint,
	birth_date	date,
	unit_code	text,
	department	text,
	ethnicity	char(2),
	phone		text,
	email		text,
	native_place	text,
	school		text,
	major_code	text,
	title_series	text,
	title		text,
	education_level	text,
	reject_reason	text,
	failed_logins	integer,
	locked_until	timestamptz,
	submitted_ago	interval,	-- how long ago the application was (last) submitted
	decided_ago	interval	-- how long ago it was decided (active, rejected)
) ON COMMIT DROP;

INSERT INTO demo_people VALUES
	-- unit administrators
	('410105197205161357', 'unit_admin', 'active', '王建国', 1, '1972-05-16',
	 'U410100001', NULL, '01', '13803711562', 'wangjianguo@fah.zzu.example.cn',
	 '河南省郑州市', '河南医科大学', '100201K', '卫生(医)', '主任医师', '14',
	 NULL, 0, NULL, '400 days', NULL),
	('410102197811032468', 'unit_admin', 'active', '李秀英', 0, '1978-11-03',
	 'U410100002', NULL, '01', '15837120483', 'lixiuying@hnjtgh.example.cn',
	 '河南省郑州市', '长安大学', '081801', '工程', '正高级工程师', '14',
	 NULL, 0, NULL, '400 days', NULL),
	('410202196908213178', 'unit_admin', 'active', '张志强', 1, '1969-08-21',
	 'U410200002', NULL, '01', '18937865210', 'zhangzhiqiang@henu.example.cn',
	 '河南省开封市', '河南大学', '120201K', '高等学校教师', '教授', '11',
	 NULL, 0, NULL, '400 days', NULL),

	-- staff of 郑州大学第一附属医院, waiting for review
	('41010319900412162X', 'staff', 'pending', '陈晓燕', 0, '1990-04-12',
	 'U410100001', '心血管内科', '01', '13938205617', 'chenxiaoyan@fah.zzu.example.cn',
	 '河南省郑州市', '郑州大学', '100201K', '卫生(医)', '主治医师', '14',
	 NULL, 0, NULL, '2 hours', NULL),
	('410181198809302115', 'staff', 'pending', '刘伟', 1, '1988-09-30',
	 'U410100001', '神经内科', '03', '15890631274', 'liuwei88@fah.zzu.example.cn',
	 '河南省巩义市', '新乡医学院', '100201K', '卫生(医)', '主治医师', '21',
	 NULL, 0, NULL, '1 day 3 hours', NULL),
	('410322199301250487', 'staff', 'pending', '赵丽娟', 0, '1993-01-25',
	 'U410100001', '儿科', '01', '18638719035', 'zhaolijuan@fah.zzu.example.cn',
	 '河南省洛阳市孟津区', '河南科技大学', '100201K', '卫生(医)', '医师', '21',
	 NULL, 0, NULL, '2 days 5 hours', NULL),
	('410222199107070938', 'staff', 'pending', '马俊杰', 1, '1991-07-07',
	 'U410100001', '医学影像科', '03', '13733856092', 'majunjie@fah.zzu.example.cn',
	 '河南省开封市通许县', '郑州大学', '100203TK', '卫生(医)', '医师', '21',
	 NULL, 0, NULL, '3 days', NULL),

	-- approved
	('410104198503181573', 'staff', 'active', '孙明', 1, '1985-03-18',
	 'U410100001', '普通外科', '01', '13592617480', 'sunming@fah.zzu.example.cn',
	 '河南省郑州市', '郑州大学', '100201K', '卫生(医)', '主治医师', '14',
	 NULL, 0, NULL, '90 days', '89 days'),
	('410108198712022240', 'staff', 'active', '周静', 0, '1987-12-02',
	 'U410100001', '护理部', '11', '15038092716', 'zhoujing@fah.zzu.example.cn',
	 '河南省郑州市', '河南中医药大学', '101101', NULL, NULL, '21',
	 NULL, 0, NULL, '80 days', '78 days'),
	('410305198206263756', 'staff', 'active', '吴昊', 1, '1982-06-26',
	 'U410100001', '心血管内科', '01', '18203716648', 'wuhao@fah.zzu.example.cn',
	 '河南省洛阳市', '郑州大学', '100201K', '卫生(医)', '副主任医师', '11',
	 NULL, 0, NULL, '75 days', '75 days'),

	-- rejected: chose the wrong department
	('410182199410090860', 'staff', 'rejected', '郑雪', 0, '1994-10-09',
	 'U410100001', '神经内科', '01', '13526570341', 'zhengxue@fah.zzu.example.cn',
	 '河南省荥阳市', '河南大学', '101101', NULL, NULL, '21',
	 '所属工作部门选择有误（应为儿科），请修改后重新提交', 0, NULL, '10 days', '9 days'),

	-- approved; three wrong passwords make the next attempts on it slower (never locked)
	('410184198002141196', 'staff', 'active', '黄磊', 1, '1980-02-14',
	 'U410100001', '医学影像科', '02', '18837150926', 'huanglei@fah.zzu.example.cn',
	 '河南省新郑市', '郑州大学', '100203TK', '卫生(医)', '副主任医师', '14',
	 NULL, 0, NULL, '200 days', '199 days');

INSERT INTO accounts (id_number, role, state, password_hash, phone, email, unit_code,
    department_id, name, sex, birth_date, ethnicity, native_place, school, major_code,
    education_level, title_id, reject_reason, failed_logins, locked_until, submitted_at,
    created_at, updated_at)
SELECT p.id_number, p.role, p.state,
    '$argon2id$v=19$m=19456,t=2,p=1$VQF/+IOqUjLdy0eXd1RXEw$HABqZBNo6Sa0Ph83FxgbQ2QOf8BTNzcPLsdBWNsg2v8',
    p.phone, p.email, p.unit_code, d.id, p.name, p.sex, p.birth_date, p.ethnicity,
    p.native_place, p.school, p.major_code, p.education_level, t.id, p.reject_reason,
    p.failed_logins, p.locked_until, now() - p.submitted_ago, now() - p.submitted_ago,
    now() - coalesce(p.decided_ago, p.submitted_ago)
FROM demo_people p
LEFT JOIN departments d ON d.unit_code = p.unit_code AND d.name = p.department
LEFT JOIN titles t ON t.series = p.title_series AND t.name = p.title
WHERE NOT EXISTS (SELECT 1 FROM accounts x WHERE x.id_number = p.id_number)
ORDER BY p.submitted_ago DESC;

-- Decisions of staff were made by their unit's administrator.
UPDATE accounts a SET decided_by = adm.id, decided_at = now() - p.decided_ago
FROM demo_people p, accounts adm
WHERE a.id_number = p.id_number AND p.role = 'staff' AND p.decided_ago IS NOT NULL
    AND adm.unit_code = a.unit_code AND adm.role = 'unit_admin'
    AND a.decided_by IS NULL;

-- Their history, as jxjyd would have written it (once: only for accounts without one).
INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state, reason, at)
SELECT a.id, CASE WHEN p.role = 'staff' THEN a.id END,
    CASE WHEN p.role = 'staff' THEN 'register' ELSE 'provision' END,
    NULL, CASE WHEN p.role = 'staff' THEN 'pending' ELSE 'active' END::account_state,
    CASE WHEN p.role = 'unit_admin' THEN 'scripts/demo-accounts.sql' END,
    now() - p.submitted_ago
FROM demo_people p JOIN accounts a ON a.id_number = p.id_number
WHERE NOT EXISTS (SELECT 1 FROM account_audit x WHERE x.account_id = a.id);

INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state, reason, at)
SELECT a.id, a.decided_by, CASE WHEN a.state = 'rejected' THEN 'reject' ELSE 'approve' END,
    'pending', CASE WHEN a.state = 'rejected' THEN 'rejected' ELSE 'active' END::account_state,
    a.reject_reason, a.decided_at
FROM demo_people p JOIN accounts a ON a.id_number = p.id_number
WHERE p.role = 'staff' AND a.decided_at IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM account_audit x
                    WHERE x.account_id = a.id AND x.action IN ('approve', 'reject'));

COMMIT;
