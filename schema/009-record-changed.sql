-- 009: tell the person's sessions when one of their records changes state (daemon/notify.c).
--
-- When an administrator approves a registration, a title change or a declaration (or
-- anything else moves one: the person withdrawing, revising, deleting, an administrator
-- resetting), every session of the person, on whichever jxjyd, is sent the notification
-- record.changed (docs/protocol.md).  A trigger sends the notice, so that every statement
-- that changes a state counts without each having to remember it, and PostgreSQL delivers
-- it only when the transaction commits (never for one rolled back).
--
-- Payload, on the channel the daemons already listen to (jxjy_sessions):
--   "changed ACCOUNT KIND ID STATE ORIGIN NAME"
-- ORIGIN is the setting jxjy.origin of the connection that made the change: "INSTANCE.SERIAL"
-- of the jxjyd session whose request it was (daemon/core/db.h db_set_origin), which is not
-- told (it knows), or "-".  KIND is registration, title or declaration; STATE the new state ("deleted" for a
-- declaration deleted; a declaration or title change made counts as a change too); NAME, up to the end, the record's own name, at most 60
-- characters: a declaration's first field (培训名称, 论文题目, ...) or its form's name, a
-- title change's new title, a registration's person's name.

CREATE FUNCTION record_changed_notify(account bigint, kind text, id bigint, state text,
    name text) RETURNS void
LANGUAGE sql AS $$
	SELECT pg_notify('jxjy_sessions', 'changed ' || account || ' ' || kind || ' ' || id ||
	    ' ' || state || ' ' ||
	    coalesce(nullif(current_setting('jxjy.origin', true), ''), '-') || ' ' || regexp_replace(left(coalesce(name, ''), 60), '[[:cntrl:]]', ' ', 'g'));
$$;

CREATE FUNCTION accounts_record_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM record_changed_notify(NEW.id, 'registration', NEW.id, NEW.state::text, NEW.name);
	RETURN NULL;
END
$$;

CREATE TRIGGER accounts_record_changed
	AFTER UPDATE OF state ON accounts
	FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
	EXECUTE FUNCTION accounts_record_changed();

CREATE FUNCTION declarations_record_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	d declarations;
	name text;
BEGIN
	d := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
	SELECT coalesce(nullif(d.fields ->> (f.definition -> 'fields' -> 0 ->> 'key'), ''),
	    f.definition ->> 'name')
	  INTO name FROM learning_forms f WHERE f.id = d.form_id;
	PERFORM record_changed_notify(d.account_id, 'declaration', d.id,
	    CASE WHEN TG_OP = 'DELETE' THEN 'deleted' ELSE d.state::text END, name);
	RETURN NULL;
END
$$;

CREATE TRIGGER declarations_record_changed
	AFTER UPDATE OF state ON declarations
	FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
	EXECUTE FUNCTION declarations_record_changed();

CREATE TRIGGER declarations_record_made
	AFTER INSERT ON declarations
	FOR EACH ROW EXECUTE FUNCTION declarations_record_changed();

CREATE TRIGGER declarations_record_deleted
	AFTER DELETE ON declarations
	FOR EACH ROW EXECUTE FUNCTION declarations_record_changed();

CREATE FUNCTION profile_changes_record_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM record_changed_notify(NEW.account_id, 'title', NEW.id, NEW.state, NEW.new_value);
	RETURN NULL;
END
$$;

CREATE TRIGGER profile_changes_record_changed
	AFTER UPDATE OF state ON profile_changes
	FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state AND NEW.kind = 'reviewed')
	EXECUTE FUNCTION profile_changes_record_changed();

CREATE TRIGGER profile_changes_record_asked
	AFTER INSERT ON profile_changes
	FOR EACH ROW WHEN (NEW.kind = 'reviewed')
	EXECUTE FUNCTION profile_changes_record_changed();
