-- 019: a person-year's recompute in two statements instead of five (schema 016 kept its
-- figures right, but its trigger cost a submit several times the submit's own statement):
-- the lock, then one statement that computes the figures, writes the row and appends the
-- change to the aggregates.  The same locks as 016 says, but a first row of a person-year
-- holds the account FOR NO KEY UPDATE, so that two first rows of one person-year are made
-- one after the other (and a move of the account waits for them, or they for it) instead of
-- one of them having to start again.
CREATE OR REPLACE FUNCTION person_year_refresh(person bigint, y smallint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	was person_year;
BEGIN
	SELECT * INTO was FROM person_year WHERE account_id = person AND year = y FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM 1 FROM accounts WHERE id = person FOR NO KEY UPDATE;
		SELECT * INTO was FROM person_year
		    WHERE account_id = person AND year = y FOR UPDATE;
	END IF;
	-- Its snapshot is taken after the locks: it sees what the transactions before committed.
	WITH f AS (SELECT pub, pro, pending, met FROM completion_person_year_figures
		WHERE account_id = person AND year = y),
	made AS (INSERT INTO person_year (account_id, year, pub, pro, pending, met)
		SELECT person, y, pub, pro, pending, met FROM f WHERE was.account_id IS NULL
		RETURNING 1),
	changed AS (UPDATE person_year p
		SET pub = f.pub, pro = f.pro, pending = f.pending, met = f.met FROM f
		WHERE was.account_id IS NOT NULL AND p.account_id = person AND p.year = y
		    AND (f.pub, f.pro, f.pending, f.met) IS DISTINCT FROM
			(was.pub, was.pro, was.pending, was.met)
		RETURNING 1),
	gone AS (DELETE FROM person_year p
		WHERE was.account_id IS NOT NULL AND p.account_id = person AND p.year = y
		    AND NOT EXISTS (SELECT 1 FROM f)
		RETURNING 1)
	INSERT INTO completion_stats_delta (year, unit_code, department_id, people, met, pub,
	    pro, pending)
	SELECT y, a.unit_code, COALESCE(a.department_id, 0),
	    (f.pub IS NOT NULL)::integer - (was.account_id IS NOT NULL)::integer,
	    COALESCE(f.met::integer, 0) - COALESCE(was.met::integer, 0),
	    COALESCE(f.pub, 0) - COALESCE(was.pub, 0), COALESCE(f.pro, 0) - COALESCE(was.pro, 0),
	    COALESCE(f.pending, 0) - COALESCE(was.pending, 0)
	FROM accounts a LEFT JOIN f ON true
	WHERE a.id = person AND a.state = 'active' AND a.role = 'staff'
	    AND EXISTS (SELECT 1 FROM made UNION ALL SELECT 1 FROM changed
		UNION ALL SELECT 1 FROM gone);
END
$$;
