-- bench-logins-seed.sql - the load of tests/bench/bench-logins: one unit (BLOG) in 10
-- departments with :staff active staff (psql -v staff=N) who log in with the password
-- whose Argon2id hash is :hash, and :pending (50,000 in the script) pending applications
-- in its registration queue, submitted one second apart.  ID numbers are GB 11643 ones
-- with a correct check character: staff in region 410106, applicants in 410107.
\ir bench-seed-common.sql

SELECT pg_temp.bench_unit('BLOG', '登录压测单位', '登录压测科室', 10);
CREATE TEMP TABLE bench_depts AS
SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM departments WHERE unit_code = 'BLOG';

-- Active staff: 500 a birth date, sequence 100..599.
INSERT INTO accounts (id_number, role, state, password_hash, unit_code, department_id, name,
    sex, birth_date)
SELECT pg_temp.idnum('410106' || to_char(date '1975-01-01' + n / 500, 'YYYYMMDD') ||
	lpad((100 + n % 500)::text, 3, '0')),
    'staff', 'active', :'hash', 'BLOG', (SELECT id FROM bench_depts WHERE bench_depts.n = s.n % 10),
    '登录员' || n, (n % 2)::smallint, date '1975-01-01' + n / 500
FROM generate_series(0, :staff - 1) AS s(n);

-- Pending applications, the newest first in the queue.
INSERT INTO accounts (id_number, role, state, password_hash, unit_code, department_id, name,
    sex, birth_date, submitted_at, created_at)
SELECT pg_temp.idnum('410107' || to_char(date '1970-01-01' + n / 500, 'YYYYMMDD') ||
	lpad((100 + n % 500)::text, 3, '0')),
    'staff', 'pending', :'hash', 'BLOG', (SELECT id FROM bench_depts WHERE bench_depts.n = s.n % 10),
    (ARRAY['张','王','李','赵','刘','陈','杨','黄','周','吴'])[n % 10 + 1] ||
	(ARRAY['伟','芳','娜','敏','静','丽','强','磊','军','洋'])[n / 10 % 10 + 1] ||
	(ARRAY['华','明','红','平','杰','霞','超','勇','艳','涛'])[n / 100 % 10 + 1],
    (n % 2)::smallint, date '1970-01-01' + n / 500,
    now() - n * interval '1 second', now() - n * interval '1 second'
FROM generate_series(0, :pending - 1) AS s(n);

INSERT INTO account_audit (account_id, action, to_state, at)
SELECT id, 'register', 'pending', submitted_at FROM accounts
WHERE unit_code = 'BLOG' AND state = 'pending';
