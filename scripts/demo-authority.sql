-- scripts/demo-authority.sql - the demo's administrators of the authority (人社) for
-- scripts/demo (never loaded in production).  Load before jxjyd starts, like
-- scripts/demo-bases.sql: jxjyd makes the accounts of its config's authority_admins at
-- start and keeps the password set here.  Loading it twice changes nothing.
--
--   410105197203150013  王振东  河南省人力资源和社会保障厅, scope 410000 (the province)
--   410102198106070041  刘雅琴  郑州市人力资源和社会保障局, scope 410100 (郑州市)
--   both with the password Demo-2026-jxjy, and the SSH keys scripts/demo makes
--   (build/demo/authority-ID).

BEGIN;

INSERT INTO accounts (id_number, role, state, password_hash, name, sex, birth_date,
    scope_region, unit_code, phone, email, submitted_at, created_at, updated_at)
SELECT v.id_number, 'authority', 'active',
    '$argon2id$v=19$m=19456,t=2,p=1$VQF/+IOqUjLdy0eXd1RXEw$HABqZBNo6Sa0Ph83FxgbQ2QOf8BTNzcPLsdBWNsg2v8',
    v.name, v.sex, v.birth_date, v.scope, NULL, v.phone, v.email,
    now() - interval '500 days', now() - interval '500 days', now() - interval '500 days'
FROM (VALUES
    ('410105197203150013', '王振东', 1, date '1972-03-15', '410000', '13837100315',
     'wangzhendong@hrss.henan.example.cn'),
    ('410102198106070041', '刘雅琴', 0, date '1981-06-07', '410100', '13938200607',
     'liuyaqin@zzhrss.example.cn')) v(id_number, name, sex, birth_date, scope, phone, email)
WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id_number = v.id_number);

INSERT INTO account_audit (account_id, actor_id, action, from_state, to_state, reason, at)
SELECT a.id, NULL, 'provision', NULL, 'active', 'scripts/demo-authority.sql', a.created_at
FROM accounts a WHERE a.role = 'authority'
    AND NOT EXISTS (SELECT 1 FROM account_audit x WHERE x.account_id = a.id);

COMMIT;
