-- 013: the people are told of a record a training base reported for them in words of its
-- own (issue 15): record.changed (009-record-changed.sql) names such a record kind "base",
-- not "declaration", in every change of it -- reported (pending, or approved under
-- base_reports.review = "none"), decided by the unit, taken back by the base (deleted) --
-- so that the message says a base reported it rather than "your declaration was
-- submitted".  The id is still the declaration's.
CREATE OR REPLACE FUNCTION declarations_record_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	d declarations;
	name text;
BEGIN
	d := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
	SELECT coalesce(nullif(d.fields ->> (f.definition -> 'fields' -> 0 ->> 'key'), ''),
	    f.definition ->> 'name')
	  INTO name FROM learning_forms f WHERE f.id = d.form_id;
	PERFORM record_changed_notify(d.account_id,
	    CASE WHEN d.source = 'base' THEN 'base' ELSE 'declaration' END, d.id,
	    CASE WHEN TG_OP = 'DELETE' THEN 'deleted' ELSE d.state::text END, name);
	RETURN NULL;
END
$$;
