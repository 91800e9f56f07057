-- 005: no lockout, no squatting (issue 12, points 5 and 6).
--
-- Failed passwords are counted per ID number string, registered or not, so that a known
-- and an unknown ID number behave alike; the count slows further attempts on that ID
-- number (a delay and the verification code, auth.c) and never refuses the right
-- password.  The count restarts when its last failure is older than
-- security.throttle_window; rows that old are pruned by the statement that counts a
-- failure, so a spray over many ID numbers cannot grow the table beyond what one window
-- of failures holds.  accounts.failed_logins and accounts.locked_until stay (nothing
-- reads or writes them any more).

CREATE TABLE login_throttle (
	id_number	char(18) PRIMARY KEY CHECK (id_number ~ '^[0-9]{17}[0-9X]$'),
	failures	integer NOT NULL CHECK (failures >= 0),
	last_failure	timestamptz NOT NULL
);
CREATE INDEX login_throttle_by_age ON login_throttle (last_failure);

-- An ID number may carry several applications (a person's and a stranger's claim on it,
-- each in its own unit, each reviewed), but at most one active account: the unit
-- administrator's approval of an application is what settles a claim (rpc-review.c).
-- Disabled accounts are not in the index: approving the owner's application disables a
-- squatter's active account, and both rows then remain.
ALTER TABLE accounts DROP CONSTRAINT accounts_id_number_key;
CREATE UNIQUE INDEX accounts_one_active_per_id_number ON accounts (id_number)
	WHERE state = 'active';
CREATE INDEX accounts_by_id_number ON accounts (id_number, submitted_at DESC, id DESC);
