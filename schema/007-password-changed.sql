-- 007: when each account's password last changed, for the daemons' reconciliation after
-- their LISTEN connection was away (daemon/notify.c).
--
-- A password change ends the account's sessions on every jxjyd through NOTIFY, but a
-- notice reaches only the connections listening when it is committed.  A daemon whose
-- listener reconnects (PostgreSQL restarted, the connection was cut) compares each of
-- its logged-in sessions' login time with this column and ends those that logged in
-- before the change.  The column is kept by a trigger, so every way of changing a
-- password (the person's own change, an administrator's reset, a sysadmin's edit)
-- counts without each statement having to remember it; NULL: never changed since the
-- account was made.

ALTER TABLE accounts ADD COLUMN password_changed_at timestamptz;

CREATE FUNCTION accounts_password_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.password_changed_at := now();
	RETURN NEW;
END
$$;

CREATE TRIGGER accounts_password_changed
	BEFORE UPDATE OF password_hash ON accounts
	FOR EACH ROW WHEN (OLD.password_hash IS DISTINCT FROM NEW.password_hash)
	EXECUTE FUNCTION accounts_password_changed();
