-- 019: declarations and their attachments partitioned by 计入年度 (issue 17; docs/design.md
-- "Partitioning", docs/operations.md "Archiving a year").
--
-- declarations and attachments become PARTITION BY RANGE (year), a partition a year
-- (declarations_2024, attachments_2024, FROM (2024) TO (2025)) and a DEFAULT partition each
-- (declarations_default, attachments_default) that takes any year without its own, so that
-- no insert ever fails for want of a partition.  A year's queries then read only that
-- year's partition, and an old year can be detached, dumped and dropped
-- (declarations_detach_year) or attached back (declarations_attach_year).
--
-- What changes for the rest of the schema:
--  - the primary keys include the partition key: declarations (id, year), attachments
--    (id, year); ids still come from declarations_id_seq / attachments_id_seq (same names,
--    same values), so they stay unique across years although no index says so any more.
--  - attachments gains year, the year of its declaration, with the foreign key
--    (declaration_id, year) -> declarations (id, year) ON UPDATE CASCADE ON DELETE CASCADE:
--    editing a draft's year moves the record and its attachment to the new year's
--    partitions in the same statement.
--  - base_roster.declaration_id is no longer a foreign key: a class's roster must keep
--    pointing at its records while their year is archived (a foreign key would forbid the
--    detach, or force the roster to forget its records), and the two statements that set
--    it make the record in the same statement (base-report.c, rpc-base-report.c); the
--    deletion of base records unlinks the roster first.  It also spared a scan of
--    base_roster at every deletion of a declaration (it had no index).
--  - declaration_audit and certificate_records keep their plain declaration_id (never
--    foreign keys); declaration_totals, person_year and the figures of 016 are kept from
--    the statements, not from these tables, and do not change.
--
-- The copy keeps every row: the counts and sums (hours, amounts, ids) per year, and the
-- attachments' count, bytes and ids, are compared before and after, and any difference
-- raises, which rolls the whole migration back (jxjyd migrate runs a file in one
-- transaction).  It is built for speed on tens of millions of rows: the partitions are
-- filled bare, in one pass each, then the indexes are built, then the keys and the
-- foreign keys are checked, then the triggers made (so that the copy notifies nobody).

SET LOCAL maintenance_work_mem = '256MB';

-- ---- the figures to keep -----------------------------------------------------------------
CREATE TEMP TABLE migration_019_declarations ON COMMIT DROP AS
	SELECT year, count(*) AS n, sum(hours) AS hours, sum(amount) AS amount, sum(id) AS ids
	FROM declarations GROUP BY year;
CREATE TEMP TABLE migration_019_attachments ON COMMIT DROP AS
	SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes, coalesce(sum(id), 0) AS ids
	FROM attachments;

-- ---- the old tables out of the way -------------------------------------------------------
ALTER TABLE base_roster DROP CONSTRAINT base_roster_declaration_id_fkey;
ALTER TABLE attachments RENAME TO attachments_unpartitioned;
ALTER TABLE attachments_unpartitioned RENAME CONSTRAINT attachments_pkey
	TO attachments_unpartitioned_pkey;
ALTER TABLE attachments_unpartitioned RENAME CONSTRAINT attachments_declaration_id_key
	TO attachments_unpartitioned_declaration_id_key;
ALTER TABLE declarations RENAME TO declarations_unpartitioned;
ALTER TABLE declarations_unpartitioned RENAME CONSTRAINT declarations_pkey
	TO declarations_unpartitioned_pkey;
DROP INDEX declarations_by_person, declarations_by_person_shown, declarations_review_queue,
	declarations_queue_by_form, declarations_authority_queue,
	declarations_authority_queue_by_unit, declarations_by_class;

-- ---- the partitioned tables, bare ---------------------------------------------------------
-- The same columns in the same order (the triggers' row type), defaults and checks.
CREATE TABLE declarations (LIKE declarations_unpartitioned
	INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)
	PARTITION BY RANGE (year);
ALTER SEQUENCE declarations_id_seq OWNED BY declarations.id;
-- 017's IN list of arrays is stored as nested ORs, which pg_dump writes in a form that
-- reads back flat: a year's partition restored from its dump would then differ from the
-- parent and could not be attached back.  The same check, flat from the start.
ALTER TABLE declarations DROP CONSTRAINT declarations_review_chain_check,
	ADD CONSTRAINT declarations_review_chain_check CHECK (review_chain = '{unit}'
	    OR review_chain = '{authority}' OR review_chain = '{unit,authority}');

-- attachments as they were, and year, its declaration's, the partition key.
CREATE TABLE attachments (LIKE attachments_unpartitioned
	INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS,
	year smallint NOT NULL)
	PARTITION BY RANGE (year);
ALTER SEQUENCE attachments_id_seq OWNED BY attachments.id;

CREATE TABLE declarations_default PARTITION OF declarations DEFAULT;
CREATE TABLE attachments_default PARTITION OF attachments DEFAULT;

-- A partition for every year that has records, and for this year and the next (China
-- Standard Time, as jxjyd counts years: db_year_now).  jxjyd makes the rest of its window
-- at start (daemon/app/partitions.c).
DO $$
DECLARE
	y integer;
	now_year integer := extract(year FROM now() AT TIME ZONE 'UTC' + interval '8 hours');
BEGIN
	FOR y IN SELECT year FROM migration_019_declarations
	    UNION SELECT now_year UNION SELECT now_year + 1 ORDER BY 1 LOOP
		EXECUTE format('CREATE TABLE %I PARTITION OF declarations'
		    ' FOR VALUES FROM (%s) TO (%s)', 'declarations_' || y, y, y + 1);
		EXECUTE format('CREATE TABLE %I PARTITION OF attachments'
		    ' FOR VALUES FROM (%s) TO (%s)', 'attachments_' || y, y, y + 1);
	END LOOP;
END
$$;

-- ---- the copy: one pass over each old table ----------------------------------------------
INSERT INTO declarations SELECT * FROM declarations_unpartitioned;
INSERT INTO attachments (id, declaration_id, year, name, mime, size, sha256, data, created_at)
	SELECT a.id, a.declaration_id, d.year, a.name, a.mime, a.size, a.sha256, a.data,
	    a.created_at
	FROM attachments_unpartitioned a JOIN declarations_unpartitioned d
	    ON d.id = a.declaration_id;

DO $$
DECLARE
	bad text;
	before record;
	after record;
BEGIN
	SELECT string_agg(format('%s: %s rows before, %s after', coalesce(o.year, n.year),
	    coalesce(o.n, 0), coalesce(n.n, 0)), '; ') INTO bad
	FROM migration_019_declarations o
	FULL JOIN (SELECT year, count(*) AS n, sum(hours) AS hours, sum(amount) AS amount,
	    sum(id) AS ids FROM declarations GROUP BY year) n ON n.year = o.year
	WHERE (o.n, o.hours, o.amount, o.ids) IS DISTINCT FROM (n.n, n.hours, n.amount, n.ids);
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION '019: the declarations copied differ from the originals (%)', bad;
	END IF;
	SELECT * INTO before FROM migration_019_attachments;
	SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes, coalesce(sum(id), 0) AS ids
	  INTO after FROM attachments;
	IF (before.n, before.bytes, before.ids) IS DISTINCT FROM (after.n, after.bytes, after.ids)
	THEN
		RAISE EXCEPTION '019: the attachments copied differ from the originals '
		    '(% rows of % bytes before, % of % after)', before.n, before.bytes,
		    after.n, after.bytes;
	END IF;
END
$$;

DROP TABLE attachments_unpartitioned;
DROP TABLE declarations_unpartitioned;

-- ---- indexes, keys, foreign keys: built once the rows are in -----------------------------
ALTER TABLE declarations ADD CONSTRAINT declarations_pkey PRIMARY KEY (id, year);
-- 申报进度查询 (003, 008).
CREATE INDEX declarations_by_person ON declarations (account_id, created_at DESC, id DESC);
CREATE INDEX declarations_by_person_shown
	ON declarations (account_id, (COALESCE(submitted_at, created_at)) DESC, id DESC);
-- The review queues (017).
CREATE INDEX declarations_review_queue ON declarations (unit_code, submitted_at DESC, id DESC)
	INCLUDE (year, form_code) WHERE state = 'pending' AND review_step = 'unit';
CREATE INDEX declarations_queue_by_form
	ON declarations (unit_code, form_code, submitted_at DESC, id DESC) INCLUDE (year)
	WHERE state = 'pending' AND review_step = 'unit';
CREATE INDEX declarations_authority_queue ON declarations (submitted_at DESC, id DESC)
	INCLUDE (unit_code, year, form_code) WHERE state = 'pending' AND review_step = 'authority';
CREATE INDEX declarations_authority_queue_by_unit
	ON declarations (unit_code, submitted_at DESC, id DESC) INCLUDE (year, form_code)
	WHERE state = 'pending' AND review_step = 'authority';
-- A class's records (012).
CREATE INDEX declarations_by_class ON declarations (class_id) WHERE class_id IS NOT NULL;

ALTER TABLE declarations
	ADD CONSTRAINT declarations_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts,
	ADD CONSTRAINT declarations_unit_code_fkey FOREIGN KEY (unit_code) REFERENCES units,
	ADD CONSTRAINT declarations_form_id_fkey FOREIGN KEY (form_id) REFERENCES learning_forms,
	ADD CONSTRAINT declarations_decided_by_fkey FOREIGN KEY (decided_by) REFERENCES accounts,
	ADD CONSTRAINT declarations_class_id_fkey FOREIGN KEY (class_id) REFERENCES base_classes;

ALTER TABLE attachments ADD CONSTRAINT attachments_pkey PRIMARY KEY (id, year);
ALTER TABLE attachments ADD CONSTRAINT attachments_declaration_id_key
	UNIQUE (declaration_id, year);
ALTER TABLE attachments ADD CONSTRAINT attachments_declaration_id_fkey
	FOREIGN KEY (declaration_id, year) REFERENCES declarations (id, year)
	ON UPDATE CASCADE ON DELETE CASCADE;

-- ---- the triggers of 009 and 017 ---------------------------------------------------------
-- Row movement: an UPDATE that changes a record's year (a draft edited) is a DELETE from
-- the old year's partition and an INSERT into the new one, and fires the AFTER DELETE and
-- AFTER INSERT triggers, not the AFTER UPDATE one.  The person is told of the insert (the
-- record with its state now: what the update would have said, or "draft" again), not of
-- a deletion that did not happen: the DELETE of a row whose id is still there is a move.
-- jxjy.moving (declarations_add_year's own moves) tells nobody.
CREATE OR REPLACE FUNCTION declarations_record_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	d declarations;
	name text;
	word text;
BEGIN
	IF current_setting('jxjy.moving', true) = 'on' THEN
		RETURN NULL;
	END IF;
	IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM declarations x WHERE x.id = OLD.id) THEN
		RETURN NULL;
	END IF;
	d := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
	SELECT coalesce(nullif(d.fields ->> (f.definition -> 'fields' -> 0 ->> 'key'), ''),
	    f.definition ->> 'name')
	  INTO name FROM learning_forms f WHERE f.id = d.form_id;
	IF TG_OP = 'DELETE' THEN
		word := 'deleted';
	ELSIF TG_OP = 'UPDATE' AND OLD.state = 'pending' AND NEW.state = 'pending' THEN
		word := 'forwarded';
	ELSE
		word := d.state::text;
	END IF;
	PERFORM record_changed_notify(d.account_id,
	    CASE WHEN d.source = 'base' THEN 'base' ELSE 'declaration' END, d.id, word, name);
	RETURN NULL;
END
$$;

CREATE TRIGGER declarations_record_changed
	AFTER UPDATE OF state, review_step ON declarations
	FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state
	    OR (NEW.state = 'pending' AND OLD.review_step IS DISTINCT FROM NEW.review_step))
	EXECUTE FUNCTION declarations_record_changed();
CREATE TRIGGER declarations_record_made
	AFTER INSERT ON declarations
	FOR EACH ROW EXECUTE FUNCTION declarations_record_changed();
CREATE TRIGGER declarations_record_deleted
	AFTER DELETE ON declarations
	FOR EACH ROW EXECUTE FUNCTION declarations_record_changed();

-- ---- keeping the partitions ---------------------------------------------------------------
-- Partitions are made, detached and attached under this transaction-level advisory lock,
-- so that several jxjyd (and an operator) never race to make the same one.
CREATE FUNCTION declarations_partitions_lock() RETURNS void
LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock(7472019) $$;

-- Whether year y's partition of parent (declarations or attachments) is attached.
CREATE FUNCTION declarations_partition_attached(parent regclass, y integer) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
	    WHERE i.inhparent = parent AND c.relname = format('%s_%s', parent, y))
$$;

-- Make year y's partitions (declarations_Y, attachments_Y) unless they are there, moving
-- the rows of y that the default partitions took meanwhile into them (the notifications
-- of 009 are not sent for these moves).  Returns the records moved, or NULL when the
-- partitions were there already.  jxjyd calls it for every year of its window and the
-- next (partitions.c); an operator may call it for any year.
CREATE FUNCTION declarations_add_year(y integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	moved bigint;
BEGIN
	IF y IS NULL OR y NOT BETWEEN 1990 AND 2200 THEN
		RAISE EXCEPTION 'declarations_add_year: year % is not between 1990 and 2200', y;
	END IF;
	PERFORM declarations_partitions_lock();
	IF declarations_partition_attached('declarations', y) THEN
		RETURN NULL;
	END IF;
	IF to_regclass(format('declarations_%s', y)) IS NOT NULL
	    OR to_regclass(format('attachments_%s', y)) IS NOT NULL THEN
		RAISE EXCEPTION 'declarations_add_year: declarations_% or attachments_% exists but is '
		    'not attached: attach it back (declarations_attach_year) or drop it', y, y;
	END IF;
	-- The default's rows of y must leave it before y's partition may exist.
	PERFORM set_config('jxjy.moving', 'on', true);
	CREATE TEMP TABLE declarations_moving AS
		SELECT * FROM declarations_default WHERE year = y;
	GET DIAGNOSTICS moved = ROW_COUNT;
	CREATE TEMP TABLE attachments_moving AS
		SELECT * FROM attachments_default WHERE year = y;
	IF moved > 0 THEN
		DELETE FROM declarations_default WHERE year = y;	-- and attachments: cascade
	END IF;
	EXECUTE format('CREATE TABLE %I PARTITION OF declarations FOR VALUES FROM (%s) TO (%s)',
	    'declarations_' || y, y, y + 1);
	EXECUTE format('CREATE TABLE %I PARTITION OF attachments FOR VALUES FROM (%s) TO (%s)',
	    'attachments_' || y, y, y + 1);
	INSERT INTO declarations SELECT * FROM declarations_moving;
	INSERT INTO attachments SELECT * FROM attachments_moving;
	DROP TABLE declarations_moving, attachments_moving;
	PERFORM set_config('jxjy.moving', '', true);
	RETURN moved;
END
$$;

-- Detach year y's partitions, attachments first (the foreign key from them to the
-- declarations must be gone before the declarations can leave).  They stay as plain tables
-- declarations_Y and attachments_Y, to be dumped (pg_dump -t) and dropped; the records
-- disappear from every list and report, while declaration_totals, person_year, the
-- figures and the audit keep the year's hours (docs/operations.md "Archiving a year").
-- Returns the records detached.
CREATE FUNCTION declarations_detach_year(y integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
	fk name;
BEGIN
	PERFORM declarations_partitions_lock();
	IF NOT declarations_partition_attached('declarations', y)
	    OR NOT declarations_partition_attached('attachments', y) THEN
		RAISE EXCEPTION 'declarations_detach_year: year % has no attached partitions', y;
	END IF;
	EXECUTE format('SELECT count(*) FROM %I', 'declarations_' || y) INTO n;
	EXECUTE format('ALTER TABLE attachments DETACH PARTITION %I', 'attachments_' || y);
	-- The detached attachments keep a copy of the foreign key to declarations, which
	-- would forbid the declarations' detach: the archive does without it (attaching back
	-- makes it again, checked).
	FOR fk IN SELECT conname FROM pg_constraint
	    WHERE conrelid = format('attachments_%s', y)::regclass AND contype = 'f'
	    AND conparentid = 0 LOOP	-- its copies for each partition go with it
		EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', 'attachments_' || y, fk);
	END LOOP;
	EXECUTE format('ALTER TABLE declarations DETACH PARTITION %I', 'declarations_' || y);
	RETURN n;
END
$$;

-- Attach year y's partitions back (tables of the detached shape, e.g. restored from
-- their dump), declarations first.  Every row is checked: its year, its keys, and each
-- attachment's declaration.  Returns the records attached.
CREATE FUNCTION declarations_attach_year(y integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	PERFORM declarations_partitions_lock();
	IF declarations_partition_attached('declarations', y) THEN
		RAISE EXCEPTION 'declarations_attach_year: year % is attached already', y;
	END IF;
	EXECUTE format('ALTER TABLE declarations ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',
	    'declarations_' || y, y, y + 1);
	EXECUTE format('ALTER TABLE attachments ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',
	    'attachments_' || y, y, y + 1);
	EXECUTE format('SELECT count(*) FROM %I', 'declarations_' || y) INTO n;
	RETURN n;
END
$$;
