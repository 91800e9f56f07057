-- bench-seed-common.sql - what the seeds of tests/bench share; each includes it first
-- (\ir).  Stops at the first error, commits without waiting for the disk (a seed is
-- thrown away with its database) and defines:
--   pg_temp.idnum(first17)	the GB 11643 ID number of 17 digits plus its check character;
--   pg_temp.bench_unit(code, name, department, n)
--				the unit code (region 410100, unless it exists) with n
--				departments named department01, department02, ...;
--   pg_temp.bench_person_id(p, seq)
--				the ID number of seeded person p, born 1970-01-01 + p % 9000
--				days, sequence seq + p / 9000;
--   pg_temp.bench_name(p)	person p's name: two-character surnames and given names,
--				so that names sort as real ones would;
--   pg_temp.bench_fields(kind, g)
--				the fields of seeded declaration number g, named after
--				kind (压测: a history, 待审: a review queue).
-- bench-seed-totals.sql sums declaration_totals.
\set ON_ERROR_STOP 1
SET synchronous_commit = off;

-- The check character of GB 11643 for the first 17 digits.
CREATE FUNCTION pg_temp.idnum(first17 text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT first17 || substr('10X98765432', (sum(substr(first17, i, 1)::int *
	    (ARRAY[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2])[i]) % 11)::int + 1, 1)
	FROM generate_series(1, 17) AS i
$$;

CREATE FUNCTION pg_temp.bench_unit(text, text, text, int) RETURNS void LANGUAGE sql AS $$
	INSERT INTO units (code, name, region) VALUES ($1, $2, '410100') ON CONFLICT DO NOTHING;
	INSERT INTO departments (unit_code, name)
	SELECT $1, $3 || lpad(d::text, 2, '0') FROM generate_series(1, $4) d;
$$;

CREATE FUNCTION pg_temp.bench_person_id(p bigint, seq int) RETURNS text LANGUAGE sql
IMMUTABLE AS $$
	SELECT pg_temp.idnum('410105' || to_char(date '1970-01-01' + (p % 9000)::int, 'YYYYMMDD') ||
	    lpad((seq + p / 9000)::text, 3, '0'))
$$;

CREATE FUNCTION pg_temp.bench_name(p bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT (ARRAY['王','李','张','刘','陈','杨','赵','黄','周','吴','徐','孙','胡','朱','高'])[1 + p % 15] ||
	    (ARRAY['伟','芳','娜','敏','静','磊','洋','勇','艳','杰','军','强','霞','平','刚','桂'])[1 + (p / 15) % 16] ||
	    (ARRAY['','华','明','英','红','兰','玲','峰','超','云'])[1 + (p / 240) % 10]
$$;

CREATE FUNCTION pg_temp.bench_fields(kind text, g bigint) RETURNS jsonb LANGUAGE sql IMMUTABLE
AS $$
	SELECT jsonb_build_object('name', kind || '记录' || g, 'course', kind || '课程' || g,
	    'title', kind || '论文' || g, 'organiser', '压测主办单位')
$$;
