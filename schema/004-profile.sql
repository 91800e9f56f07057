-- 004: profile changes (用户资料管理): the history of every change a staff member makes to
-- the fields entered at registration (变更记录), and the unit administrator's review of
-- changes of the professional title (专业技术职务), which take effect only when approved.
--
-- A direct change (phone, e-mail, department, ...) is applied to accounts at once and
-- recorded here with kind 'direct' and no state.  A title change is recorded with kind
-- 'reviewed', state 'pending', and waits: approval applies new_raw to accounts.title_id
-- in the same transaction that sets the row 'approved'; rejection keeps the old title and
-- records the reason; the person may cancel it; a second change while one is pending
-- replaces it (the first becomes 'cancelled' with reason 'replaced').

CREATE TABLE profile_changes (
	id		bigserial PRIMARY KEY,
	account_id	bigint NOT NULL REFERENCES accounts,
	-- The account's unit when the change was made (a unit never changes after
	-- registration): the administrators' queue is per unit.
	unit_code	text NOT NULL REFERENCES units,
	field		text NOT NULL CHECK (field IN ('phone', 'email', 'department',
			    'ethnicity', 'native_place', 'school', 'major', 'education_level',
			    'title')),
	old_value	text,		-- as shown: department name, "工程 / 中级 / 工程师", ...
	new_value	text,
	old_raw		text,		-- as stored in accounts: codes and ids
	new_raw		text,
	changed_at	timestamptz NOT NULL DEFAULT now(),	-- for a reviewed change: asked at
	kind		text NOT NULL CHECK (kind IN ('direct', 'reviewed')),
	state		text CHECK (state IN ('pending', 'approved', 'rejected', 'cancelled')),
	reason		text,		-- rejected: the administrator's; cancelled: 'replaced' or NULL
	decided_by	bigint REFERENCES accounts,	-- administrator, or the person who cancelled
	decided_at	timestamptz,
	CHECK ((kind = 'direct') = (state IS NULL)),
	CHECK (kind = 'direct' OR field = 'title'),
	CHECK (state IS DISTINCT FROM 'rejected' OR reason IS NOT NULL),
	CHECK ((state IS NULL OR state = 'pending') = (decided_at IS NULL))
);

-- The person's history, newest first, keyset paged.
CREATE INDEX profile_changes_history ON profile_changes (account_id, changed_at DESC, id DESC);

-- The unit administrator's queue of pending title changes, newest first, keyset paged.
CREATE INDEX profile_changes_queue ON profile_changes (unit_code, changed_at DESC, id DESC)
	WHERE state = 'pending' AND field = 'title';

-- At most one pending change per account (only titles are reviewed).
CREATE UNIQUE INDEX profile_changes_one_pending ON profile_changes (account_id)
	WHERE state = 'pending';
