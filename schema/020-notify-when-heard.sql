-- 020: a record.changed is sent only when some session could hear it (issue 19).
--
-- 009's notices went out for every change of every record.  PostgreSQL serialises the
-- commits of all transactions that sent a notice, through a lock on the database taken
-- before the commit is written and held until it is flushed (async.c PreCommit_Notify), so
-- every declaration submitted waited for the one before it: measured on 2 cores, 8 sessions
-- submitting made 2,470-2,690 submits/s with the notice and 3,790-3,870 without it, and
-- jxjyd's own CPU per submit fell from 111-127 to 98-99 µs (docs/benchmarks.md).  Yet a
-- notice is only of use to a session of the record's person (or a guest watching that
-- person's application) other than the one whose request made the change, which already
-- knows: the person submitting their own declaration, alone, has nobody to tell.
--
-- session_presence lists, for every jxjyd, the sessions that could hear one: its instance
-- (notify_instance()), the session's serial and the account it is logged in to or watches.
-- The daemon writes a session's row when the request that logged it in (or made it watch)
-- ends, before the reply goes out, and deletes it when the session logs out (at once) or
-- ends (within a second); once a minute it brings its rows in line with its sessions and
-- refreshes seen_at, and rows of a jxjyd not seen for five minutes (killed) are deleted
-- (daemon/app/presence.c).  A stale row only costs a notice nobody hears, as before 020.
-- The origin (jxjy.origin, 009) is "INSTANCE.SERIAL" of the session that made the change,
-- or unset (psql, an operator's script): then any session present hears it.

CREATE TABLE session_presence (
	instance	text NOT NULL,		-- the jxjyd's notify_instance()
	serial		bigint NOT NULL,	-- the session's serial in that jxjyd
	account_id	bigint NOT NULL,	-- logged in to, or watching the application of
	made		bigint NOT NULL,	-- the daemon's presence clock when written
	seen_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (instance, serial)
);
CREATE INDEX session_presence_by_account ON session_presence (account_id);

-- Whether a session other than the one this change comes from could hear of account's records.
CREATE FUNCTION record_changed_heard(account bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT EXISTS (SELECT 1 FROM session_presence p
	    WHERE p.account_id = $1
	      AND p.instance || '.' || p.serial <>
		  coalesce(current_setting('jxjy.origin', true), ''));
$$;

-- 009's, sending only when heard: every trigger that tells of a change calls it.
CREATE OR REPLACE FUNCTION record_changed_notify(account bigint, kind text, id bigint,
    state text, name text) RETURNS void
LANGUAGE sql AS $$
	SELECT pg_notify('jxjy_sessions', 'changed ' || account || ' ' || kind || ' ' || id ||
	    ' ' || state || ' ' ||
	    coalesce(nullif(current_setting('jxjy.origin', true), ''), '-') || ' ' ||
	    regexp_replace(left(coalesce(name, ''), 60), '[[:cntrl:]]', ' ', 'g'))
	 WHERE record_changed_heard(account);
$$;

-- 019's, asking first, so that a change nobody hears costs no look-up of the form's name
-- and no call of record_changed_notify.
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
	d := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
	-- record_changed_heard's test, written out: a SQL function called from PL/pgSQL is not
	-- inlined, and setting up its call each time cost a fifth of a submit's throughput
	-- (pgbench, the submit's statement, fsync off: 3,150-3,250/s against 4,090-4,140/s).
	IF NOT EXISTS (SELECT 1 FROM session_presence p
	    WHERE p.account_id = d.account_id
	      AND p.instance || '.' || p.serial <>
		  coalesce(current_setting('jxjy.origin', true), '')) THEN
		RETURN NULL;
	END IF;
	IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM declarations x WHERE x.id = OLD.id) THEN
		RETURN NULL;
	END IF;
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
