-- 016: the completion figures, maintained (issue 16, "Scale"): per person and year, and per
-- unit, department and year, kept in the transaction of every change they follow, so that
-- the authority's statistics over a province of a million staff read a few thousand rows
-- instead of every record.  daemon/app/figures.h describes what readers see.
--
-- person_year is the single source: each person's counted hours of a year exactly as
-- completion.c counted them from declaration_totals (each form's approved hours capped at
-- its current yearly_cap, summed per its current category; pending summed; met against the
-- requirement of the year), recomputed from the person's few totals rows by a trigger on
-- declaration_totals.  The aggregates are sums of person_year rows of the active staff of a
-- unit and department: appended as deltas (completion_stats_delta, insert only, so that the
-- submits of one unit never wait for each other on a shared row) and folded into
-- completion_stats every second or so by jxjyd (completion_stats_fold); readers add the
-- deltas not yet folded (completion_stats_now), so what they read is exact.
--
-- Locks, and why they keep the sums right when changes race:
--   * a person-year is recomputed holding its person_year row (FOR UPDATE), from a snapshot
--     taken after the lock, so two transactions of one person never lose each other's hours;
--   * a first row of a person-year is made holding the account FOR SHARE, and an account
--     that changes unit, department, state or role holds its person_year rows (FOR UPDATE)
--     before moving them: whichever comes first, the other sees it, so no hour is left
--     behind in the unit a person left;
--   * a recompute of many rows (a requirement or a form's cap changed, a rebuild) holds
--     person_year EXCLUSIVE: submits wait for it (they never see half of it), reads do not.

-- The requirement in force for each year a declaration may have, as config_requirement_for
-- resolves the config's `requirements` (the default 90 / 60 / 24 until jxjyd first syncs
-- it): synced by jxjyd at start and on SIGHUP (figures.c), so that met can be judged here.
CREATE TABLE completion_requirements (
	year		smallint PRIMARY KEY CHECK (year BETWEEN 1990 AND 2200),
	total		numeric NOT NULL CHECK (total > 0),
	pro		numeric NOT NULL CHECK (pro >= 0),	-- 专业科目 at least
	pub		numeric NOT NULL CHECK (pub >= 0)	-- 公需科目 at least
);
INSERT INTO completion_requirements (year, total, pro, pub)
	SELECT y, 90, 60, 24 FROM generate_series(1990, 2200) y;

-- Each learning form's current name, category and cap (NULL: none), as completion.c takes
-- them: the active definition, or for a form the config no longer offers, its last one.
-- Kept by a trigger at the commit of every change to learning_forms (the forms' sync).
CREATE TABLE completion_form_terms (
	code		text PRIMARY KEY,
	name		text,
	category	text NOT NULL CHECK (category IN ('public', 'professional')),
	cap		numeric CHECK (cap > 0)
);

-- A form's current terms computed from learning_forms.
CREATE FUNCTION completion_form_current(form text)
RETURNS TABLE (name text, category text, cap numeric)
LANGUAGE sql STABLE AS $$
	SELECT definition->>'name', definition->>'category',
	    NULLIF((definition->>'yearly_cap')::numeric, 0)
	FROM learning_forms WHERE code = form ORDER BY active DESC, version DESC LIMIT 1
$$;

-- Each person-year's figures from declaration_totals: the one computation.  A filter on
-- account_id and year reaches the totals' primary key.
CREATE VIEW completion_person_year_figures AS
SELECT s.account_id, s.year, s.pub, s.pro, s.pending,
	COALESCE(s.pub + s.pro >= r.total AND s.pro >= r.pro AND s.pub >= r.pub, false) AS met
FROM (SELECT t.account_id, t.year,
		COALESCE(sum(x.counted) FILTER (WHERE x.category = 'public'), 0) AS pub,
		COALESCE(sum(x.counted) FILTER (WHERE x.category = 'professional'), 0) AS pro,
		COALESCE(sum(t.pending_hours), 0) AS pending
	FROM declaration_totals t LEFT JOIN completion_form_terms f ON f.code = t.form_code
	CROSS JOIN LATERAL (SELECT COALESCE(f.category, t.category) AS category,
		CASE WHEN f.cap IS NULL THEN t.approved_hours
		ELSE least(t.approved_hours, f.cap) END AS counted) x
	GROUP BY t.account_id, t.year) s
LEFT JOIN completion_requirements r ON r.year = s.year;

-- A person's counted hours of a year: a row exactly when declaration_totals has one of that
-- person and year (so the years a person has figures for are these rows).
CREATE TABLE person_year (
	account_id	bigint NOT NULL REFERENCES accounts,
	year		smallint NOT NULL,
	pub		numeric NOT NULL,	-- 公需 hours as counted (capped)
	pro		numeric NOT NULL,	-- 专业 hours as counted
	pending		numeric NOT NULL,	-- 待审核 hours, uncapped
	met		boolean NOT NULL,	-- 达标 against completion_requirements
	PRIMARY KEY (account_id, year)
);

-- The figures of the active staff of a unit and department (0: none) and year, folded.
-- Year 0 rows hold the staff count (staff are not per year); the other rows hold people
-- (staff with a person_year row of the year), met and the sums, with staff 0.
CREATE TABLE completion_stats (
	year		smallint NOT NULL,
	unit_code	text NOT NULL,
	department_id	bigint NOT NULL,
	staff		bigint NOT NULL DEFAULT 0,
	people		bigint NOT NULL DEFAULT 0,
	met		bigint NOT NULL DEFAULT 0,
	pub		numeric NOT NULL DEFAULT 0,
	pro		numeric NOT NULL DEFAULT 0,
	pending		numeric NOT NULL DEFAULT 0,
	PRIMARY KEY (year, unit_code, department_id)
);

-- Changes to completion_stats not yet folded, appended by the triggers.  No key and no
-- index: rows are only appended, and read and deleted whole by the fold, so concurrent
-- submits share nothing here but the heap's free pages.
CREATE TABLE completion_stats_delta (
	year		smallint NOT NULL,
	unit_code	text NOT NULL,
	department_id	bigint NOT NULL,
	staff		bigint NOT NULL DEFAULT 0,
	people		bigint NOT NULL DEFAULT 0,
	met		bigint NOT NULL DEFAULT 0,
	pub		numeric NOT NULL DEFAULT 0,
	pro		numeric NOT NULL DEFAULT 0,
	pending		numeric NOT NULL DEFAULT 0
);

-- Every unit, department and year as of the reader's snapshot: folded plus not yet folded.
-- A filter on year (and unit) reaches completion_stats' primary key.
CREATE VIEW completion_stats_now AS
SELECT unit_code, department_id, year, sum(staff)::bigint AS staff,
	sum(people)::bigint AS people, sum(met)::bigint AS met, sum(pub) AS pub,
	sum(pro) AS pro, sum(pending) AS pending
FROM (SELECT year, unit_code, department_id, staff, people, met, pub, pro, pending
	FROM completion_stats
	UNION ALL
	SELECT year, unit_code, department_id, staff, people, met, pub, pro, pending
	FROM completion_stats_delta) s
GROUP BY unit_code, department_id, year
HAVING sum(staff) <> 0 OR sum(people) <> 0;

-- One year of every unit and department: staff (year 0) beside the year's figures.
CREATE FUNCTION completion_stats_year(y smallint)
RETURNS TABLE (unit_code text, department_id bigint, staff bigint, people bigint, met bigint,
	pub numeric, pro numeric, pending numeric)
LANGUAGE sql STABLE AS $$
	SELECT unit_code, department_id, sum(staff)::bigint, sum(people)::bigint,
		sum(met)::bigint, sum(pub), sum(pro), sum(pending)
	FROM completion_stats_now WHERE year IN (0, y)
	GROUP BY unit_code, department_id
$$;

-- Recompute one person-year from its totals rows and append the change to the aggregates.
CREATE FUNCTION person_year_refresh(person bigint, y smallint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	was person_year;
	f record;
	a record;
	n integer;
BEGIN
	SELECT * INTO was FROM person_year WHERE account_id = person AND year = y FOR UPDATE;
	IF NOT FOUND THEN
		-- A first row: an account moving now is moved first, or moves it (see the top).
		PERFORM 1 FROM accounts WHERE id = person FOR SHARE;
		SELECT * INTO f FROM completion_person_year_figures
		    WHERE account_id = person AND year = y;
		IF NOT FOUND THEN
			RETURN;
		END IF;
		INSERT INTO person_year (account_id, year, pub, pro, pending, met)
		    VALUES (person, y, f.pub, f.pro, f.pending, f.met)
		    ON CONFLICT (account_id, year) DO NOTHING;
		GET DIAGNOSTICS n = ROW_COUNT;
		IF n = 0 THEN
			-- Another transaction made it first and has committed: recompute on it.
			SELECT * INTO was FROM person_year
			    WHERE account_id = person AND year = y FOR UPDATE;
		END IF;
	END IF;
	IF was.account_id IS NOT NULL THEN
		-- Held: a fresh snapshot sees what the transactions before us committed.
		SELECT * INTO f FROM completion_person_year_figures
		    WHERE account_id = person AND year = y;
		IF NOT FOUND THEN
			DELETE FROM person_year WHERE account_id = person AND year = y;
		ELSIF (f.pub, f.pro, f.pending, f.met) IS NOT DISTINCT FROM
		    (was.pub, was.pro, was.pending, was.met) THEN
			RETURN;
		ELSE
			UPDATE person_year SET pub = f.pub, pro = f.pro, pending = f.pending,
			    met = f.met WHERE account_id = person AND year = y;
		END IF;
	END IF;
	SELECT unit_code, COALESCE(department_id, 0) AS department_id INTO a FROM accounts
	    WHERE id = person AND state = 'active' AND role = 'staff';
	IF NOT FOUND THEN
		RETURN;		-- counted in no unit
	END IF;
	INSERT INTO completion_stats_delta (year, unit_code, department_id, people, met, pub,
	    pro, pending)
	VALUES (y, a.unit_code, a.department_id,
	    (f.account_id IS NOT NULL)::integer - (was.account_id IS NOT NULL)::integer,
	    COALESCE(f.met::integer, 0) - COALESCE(was.met::integer, 0),
	    COALESCE(f.pub, 0) - COALESCE(was.pub, 0), COALESCE(f.pro, 0) - COALESCE(was.pro, 0),
	    COALESCE(f.pending, 0) - COALESCE(was.pending, 0));
END
$$;

CREATE FUNCTION person_year_follow_totals() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		PERFORM person_year_refresh(OLD.account_id, OLD.year);
	END IF;
	IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND
	    (OLD.account_id, OLD.year) IS DISTINCT FROM (NEW.account_id, NEW.year)) THEN
		PERFORM person_year_refresh(NEW.account_id, NEW.year);
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER person_year_follow_totals AFTER INSERT OR UPDATE OR DELETE
	ON declaration_totals FOR EACH ROW EXECUTE FUNCTION person_year_follow_totals();

-- An account that starts or stops counting, or changes unit or department, takes its
-- staff count and its person-years along: out of where it was counted, into where it is.
CREATE FUNCTION completion_follow_account() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	counted_before boolean := TG_OP <> 'INSERT' AND OLD.state = 'active'
	    AND OLD.role = 'staff';
	counted_now boolean := TG_OP <> 'DELETE' AND NEW.state = 'active' AND NEW.role = 'staff';
	person bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
	old_unit text;
	old_department bigint;
	new_unit text;
	new_department bigint;
BEGIN
	IF NOT counted_before AND NOT counted_now OR counted_before AND counted_now
	    AND OLD.unit_code = NEW.unit_code
	    AND OLD.department_id IS NOT DISTINCT FROM NEW.department_id THEN
		RETURN NULL;
	END IF;
	IF counted_before THEN
		old_unit := OLD.unit_code;
		old_department := COALESCE(OLD.department_id, 0);
	END IF;
	IF counted_now THEN
		new_unit := NEW.unit_code;
		new_department := COALESCE(NEW.department_id, 0);
	END IF;
	-- Wait for a change of this person's figures in flight (see the top).
	PERFORM 1 FROM person_year WHERE account_id = person FOR UPDATE;
	WITH moves (unit_code, department_id, sign) AS (
		SELECT * FROM (VALUES (old_unit, old_department, -1),
		    (new_unit, new_department, 1)) v WHERE v.column1 IS NOT NULL)
	INSERT INTO completion_stats_delta (year, unit_code, department_id, staff, people,
	    met, pub, pro, pending)
	SELECT 0, k.unit_code, k.department_id, k.sign, 0, 0, 0, 0, 0 FROM moves k
	UNION ALL
	SELECT p.year, k.unit_code, k.department_id, 0, k.sign, k.sign * p.met::integer,
	    k.sign * p.pub, k.sign * p.pro, k.sign * p.pending
	FROM moves k CROSS JOIN person_year p WHERE p.account_id = person;
	RETURN NULL;
END
$$;
CREATE TRIGGER completion_follow_account
	AFTER INSERT OR DELETE OR UPDATE OF unit_code, department_id, state, role ON accounts
	FOR EACH ROW EXECUTE FUNCTION completion_follow_account();

-- The deltas folded into completion_stats, atomically: a reader sees each change either in
-- the deltas or in completion_stats, never both nor neither.  One fold at a time (another
-- running returns 0 at once); deltas committed while it runs wait for the next.  Returns
-- the number of deltas folded.
CREATE FUNCTION completion_stats_fold() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
	years smallint[];
	units text[];
	departments bigint[];
BEGIN
	IF NOT pg_try_advisory_xact_lock(hashtext('jxjyd completion_stats_fold')) THEN
		RETURN 0;
	END IF;
	WITH moved AS (DELETE FROM completion_stats_delta RETURNING *),
	summed AS (SELECT year, unit_code, department_id, sum(staff) AS staff,
		sum(people) AS people, sum(met) AS met, sum(pub) AS pub, sum(pro) AS pro,
		sum(pending) AS pending, count(*) AS deltas
	    FROM moved GROUP BY year, unit_code, department_id),
	folded AS (INSERT INTO completion_stats AS s (year, unit_code, department_id, staff,
		people, met, pub, pro, pending)
	    SELECT year, unit_code, department_id, staff, people, met, pub, pro, pending
	    FROM summed
	    ON CONFLICT (year, unit_code, department_id) DO UPDATE SET
		staff = s.staff + EXCLUDED.staff, people = s.people + EXCLUDED.people,
		met = s.met + EXCLUDED.met, pub = s.pub + EXCLUDED.pub,
		pro = s.pro + EXCLUDED.pro, pending = s.pending + EXCLUDED.pending
	    RETURNING year, unit_code, department_id, staff = 0 AND people = 0 AS empty)
	SELECT (SELECT COALESCE(sum(deltas), 0) FROM summed),
	    array_agg(year) FILTER (WHERE empty), array_agg(unit_code) FILTER (WHERE empty),
	    array_agg(department_id) FILTER (WHERE empty)
	INTO n, years, units, departments FROM folded;
	-- A department emptied of staff and figures leaves no row behind.
	IF years IS NOT NULL THEN
		DELETE FROM completion_stats s
		USING unnest(years, units, departments) AS e (year, unit_code, department_id)
		WHERE s.year = e.year AND s.unit_code = e.unit_code
		    AND s.department_id = e.department_id AND s.staff = 0 AND s.people = 0;
	END IF;
	RETURN n;
END
$$;

-- Recompute many person-years (their totals or their terms changed under them), appending
-- what changed to the aggregates.  The caller holds person_year EXCLUSIVE.
CREATE FUNCTION person_year_recompute(pairs bigint[], pair_years smallint[]) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	WITH target AS (SELECT DISTINCT * FROM unnest(pairs, pair_years) AS t (account_id, year)),
	changed AS (UPDATE person_year p SET pub = f.pub, pro = f.pro, pending = f.pending,
		met = f.met
	    FROM target t CROSS JOIN LATERAL (SELECT * FROM completion_person_year_figures x
		WHERE x.account_id = t.account_id AND x.year = t.year) f
	    JOIN person_year o ON o.account_id = t.account_id AND o.year = t.year
	    WHERE p.account_id = t.account_id AND p.year = t.year
		AND (o.pub, o.pro, o.pending, o.met) IS DISTINCT FROM
		    (f.pub, f.pro, f.pending, f.met)
	    RETURNING p.account_id, p.year, p.pub - o.pub AS pub, p.pro - o.pro AS pro,
		p.pending - o.pending AS pending, p.met::integer - o.met::integer AS met),
	counted AS (INSERT INTO completion_stats_delta (year, unit_code, department_id, met,
		pub, pro, pending)
	    SELECT c.year, a.unit_code, COALESCE(a.department_id, 0), sum(c.met), sum(c.pub),
		sum(c.pro), sum(c.pending)
	    FROM changed c JOIN accounts a ON a.id = c.account_id
	    WHERE a.state = 'active' AND a.role = 'staff'
	    GROUP BY c.year, a.unit_code, COALESCE(a.department_id, 0))
	SELECT count(*) INTO n FROM changed;
	RETURN n;
END
$$;

-- At the commit of a change to learning_forms (the forms' sync): a form whose current name,
-- category or cap changed gets new terms, and when its category or cap changed, every
-- person-year holding it is recomputed.  That finds them by scanning declaration_totals
-- (no index leads with the form: every submit would pay for one) and holds person_year
-- EXCLUSIVE while it runs, so submits wait for it (design.md: what a SIGHUP costs).
CREATE FUNCTION completion_form_terms_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	cur record;
	was completion_form_terms;
	pairs bigint[];
	pair_years smallint[];
BEGIN
	SELECT * INTO cur FROM completion_form_current(NEW.code);
	SELECT * INTO was FROM completion_form_terms WHERE code = NEW.code;
	IF FOUND AND (was.name, was.category, was.cap) IS NOT DISTINCT FROM
	    (cur.name, cur.category, cur.cap) THEN
		RETURN NULL;	-- unchanged, or already followed by another row's trigger
	END IF;
	IF FOUND AND (was.category, was.cap) IS DISTINCT FROM (cur.category, cur.cap) THEN
		LOCK TABLE person_year IN EXCLUSIVE MODE;
	END IF;
	INSERT INTO completion_form_terms (code, name, category, cap)
	    VALUES (NEW.code, cur.name, cur.category, cur.cap)
	    ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,
		category = EXCLUDED.category, cap = EXCLUDED.cap;
	IF was.code IS NOT NULL AND (was.category, was.cap) IS DISTINCT FROM
	    (cur.category, cur.cap) THEN
		SELECT array_agg(account_id), array_agg(year) INTO pairs, pair_years
		FROM (SELECT DISTINCT account_id, year FROM declaration_totals
		    WHERE form_code = NEW.code) t;
		IF pairs IS NOT NULL THEN
			PERFORM person_year_recompute(pairs, pair_years);
		END IF;
	END IF;
	RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER completion_form_terms_follow AFTER INSERT OR UPDATE ON learning_forms
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION completion_form_terms_follow();

-- The requirement of every year from the config (figures.c): the years 1990-2200 with the
-- total, professional and public figures config_requirement_for gives each.  Years whose
-- requirement changed get met recomputed, the aggregates with them, in this transaction;
-- the same requirements again change nothing (several jxjyd share one database).  Returns
-- the number of person-years whose met changed, or NULL when no requirement did.
CREATE FUNCTION completion_requirements_sync(years smallint[], totals numeric[],
    pros numeric[], pubs numeric[]) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	changed smallint[];
	n bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(hashtext('jxjyd completion_requirements_sync'));
	WITH given AS (SELECT * FROM unnest(years, totals, pros, pubs) AS g (year, total, pro, pub)),
	updated AS (UPDATE completion_requirements r
	    SET total = g.total, pro = g.pro, pub = g.pub FROM given g
	    WHERE r.year = g.year AND (r.total, r.pro, r.pub) IS DISTINCT FROM (g.total, g.pro, g.pub)
	    RETURNING r.year)
	SELECT array_agg(year) INTO changed FROM updated;
	IF changed IS NULL THEN
		RETURN NULL;
	END IF;
	LOCK TABLE person_year IN EXCLUSIVE MODE;
	WITH changed_rows AS (UPDATE person_year p
	    SET met = (p.pub + p.pro >= r.total AND p.pro >= r.pro AND p.pub >= r.pub)
	    FROM completion_requirements r
	    WHERE r.year = p.year AND p.year = ANY (changed)
		AND p.met <> (p.pub + p.pro >= r.total AND p.pro >= r.pro AND p.pub >= r.pub)
	    RETURNING p.account_id, p.year, CASE WHEN p.met THEN 1 ELSE -1 END AS met),
	counted AS (INSERT INTO completion_stats_delta (year, unit_code, department_id, met)
	    SELECT c.year, a.unit_code, COALESCE(a.department_id, 0), sum(c.met)
	    FROM changed_rows c JOIN accounts a ON a.id = c.account_id
	    WHERE a.state = 'active' AND a.role = 'staff'
	    GROUP BY c.year, a.unit_code, COALESCE(a.department_id, 0))
	SELECT count(*) INTO n FROM changed_rows;
	RETURN n;
END
$$;

-- Everything again from declaration_totals, learning_forms and accounts: after a bulk load
-- (COPY with the triggers off, as tests/bench's generator does) and by the tests.  Holds
-- every table it reads SHARE and those it writes ACCESS EXCLUSIVE until its transaction
-- ends.  Returns the number of person-years.
CREATE FUNCTION completion_stats_rebuild() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	LOCK TABLE declaration_totals, learning_forms, accounts IN SHARE MODE;
	LOCK TABLE completion_form_terms, person_year, completion_stats, completion_stats_delta
	    IN ACCESS EXCLUSIVE MODE;
	TRUNCATE completion_form_terms, person_year, completion_stats, completion_stats_delta;
	INSERT INTO completion_form_terms (code, name, category, cap)
	SELECT DISTINCT ON (code) code, definition->>'name', definition->>'category',
	    NULLIF((definition->>'yearly_cap')::numeric, 0)
	FROM learning_forms ORDER BY code, active DESC, version DESC;
	INSERT INTO person_year (account_id, year, pub, pro, pending, met)
	SELECT account_id, year, pub, pro, pending, met FROM completion_person_year_figures;
	GET DIAGNOSTICS n = ROW_COUNT;
	INSERT INTO completion_stats (year, unit_code, department_id, staff)
	SELECT 0, unit_code, COALESCE(department_id, 0), count(*) FROM accounts
	WHERE state = 'active' AND role = 'staff' GROUP BY unit_code, COALESCE(department_id, 0);
	INSERT INTO completion_stats (year, unit_code, department_id, people, met, pub, pro,
	    pending)
	SELECT p.year, a.unit_code, COALESCE(a.department_id, 0), count(*),
	    count(*) FILTER (WHERE p.met), sum(p.pub), sum(p.pro), sum(p.pending)
	FROM person_year p JOIN accounts a ON a.id = p.account_id
	WHERE a.state = 'active' AND a.role = 'staff'
	GROUP BY p.year, a.unit_code, COALESCE(a.department_id, 0);
	RETURN n;
END
$$;

SELECT completion_stats_rebuild();
