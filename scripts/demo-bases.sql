-- scripts/demo-bases.sql - a demo continuing-education base (继续教育基地) and its
-- administrator for scripts/demo (never loaded in production).  Load after
-- scripts/demo-data.sql and before jxjyd starts: jxjyd makes the base administrators of
-- its config (base_admins) at start, and their base must be there.  Loading it twice
-- changes nothing.
--
--   base        JD410001  河南省医学继续教育培训中心 (郑州)
--   its admin   41010519790823302X  赵慧敏  password Demo-2026-jxjy, and the SSH key
--               scripts/demo makes (build/demo/base-admin-41010519790823302X)
--
-- In production bases come in through `jxjyd import bases FILE.csv`.  The forms this
-- one may report are named here; scripts/demo-base-classes.sql gives it classes.

BEGIN;

INSERT INTO bases (code, name, region, kind, forms) VALUES
	('JD410001', '河南省医学继续教育培训中心', '410100', '',
	 ARRAY['training', 'conference', 'online_course', 'base_course'])
ON CONFLICT DO NOTHING;

-- jxjyd keeps the password set here (it never touches password_hash), as for the unit
-- administrators of scripts/demo-accounts.sql.
INSERT INTO accounts (id_number, role, state, password_hash, name, sex, birth_date,
    base_code, unit_code, phone, email, submitted_at, created_at, updated_at)
SELECT '41010519790823302X', 'base_admin', 'active',
    '$argon2id$v=19$m=19456,t=2,p=1$VQF/+IOqUjLdy0eXd1RXEw$HABqZBNo6Sa0Ph83FxgbQ2QOf8BTNzcPLsdBWNsg2v8',
    '赵慧敏', 0, '1979-08-23', 'JD410001', NULL, '13673990215',
    'zhaohuimin@hnmedtc.example.cn', now() - interval '400 days',
    now() - interval '400 days', now() - interval '400 days'
WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE id_number = '41010519790823302X');

INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state, reason, at)
SELECT a.id, NULL, 'provision', NULL, 'active', 'scripts/demo-bases.sql', a.created_at
FROM accounts a WHERE a.id_number = '41010519790823302X'
    AND NOT EXISTS (SELECT 1 FROM account_audit x WHERE x.account_id = a.id);

COMMIT;
