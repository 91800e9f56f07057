-- 017: the review chain (issue 16): a record is decided by its unit, then by the authority,
-- as its learning form's config says (learning_forms[].review in jxjyd.conf).
--
-- review_chain is the chain the record took when it was (last) submitted, or reported by a
-- base: a chain changed in the config applies to records submitted afterwards, and a record
-- in review finishes on the chain it started with.  review_step is the step deciding it
-- while it is pending; for a decided record the step that decided last (the rejecting one,
-- or the last); a draft keeps the step of its last round until it is submitted again.
-- Records older than this file were the unit's alone: the defaults say so (adding a column
-- with a constant default rewrites nothing).
ALTER TABLE declarations ADD COLUMN review_chain text[] NOT NULL DEFAULT '{unit}'
	CHECK (review_chain IN ('{unit}', '{authority}', '{unit,authority}'));
ALTER TABLE declarations ADD COLUMN review_step text NOT NULL DEFAULT 'unit'
	CHECK (review_step = ANY (review_chain));

-- A decision's step: 'unit' or 'authority' (NULL for the other actions; the approve and
-- reject rows older than this file are the unit's).
ALTER TABLE declaration_audit ADD COLUMN step text CHECK (step IN ('unit', 'authority'));

-- The unit's queue holds the records at the unit's step: the indexes of 003 again, with
-- the step in their predicate (the counts stay index-only).
DROP INDEX declarations_review_queue;
DROP INDEX declarations_queue_by_form;
CREATE INDEX declarations_review_queue ON declarations (unit_code, submitted_at DESC, id DESC)
	INCLUDE (year, form_code) WHERE state = 'pending' AND review_step = 'unit';
CREATE INDEX declarations_queue_by_form
	ON declarations (unit_code, form_code, submitted_at DESC, id DESC) INCLUDE (year)
	WHERE state = 'pending' AND review_step = 'unit';
-- The authority's: every record at its step, newest submission first; a scope's units are
-- checked on the rows it yields (a city's or the province's), a unit filter by the second.
CREATE INDEX declarations_authority_queue ON declarations (submitted_at DESC, id DESC)
	INCLUDE (unit_code, year, form_code) WHERE state = 'pending' AND review_step = 'authority';
CREATE INDEX declarations_authority_queue_by_unit
	ON declarations (unit_code, submitted_at DESC, id DESC) INCLUDE (year, form_code)
	WHERE state = 'pending' AND review_step = 'authority';

-- The person is told when a step moves the record on (state stays pending): the word
-- 'forwarded' in record.changed (docs/protocol.md), as well as of every change of state.
CREATE OR REPLACE FUNCTION declarations_record_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	d declarations;
	name text;
	word text;
BEGIN
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

DROP TRIGGER declarations_record_changed ON declarations;
CREATE TRIGGER declarations_record_changed
	AFTER UPDATE OF state, review_step ON declarations
	FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state
	    OR (NEW.state = 'pending' AND OLD.review_step IS DISTINCT FROM NEW.review_step))
	EXECUTE FUNCTION declarations_record_changed();
