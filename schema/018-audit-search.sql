-- 018: the authority's audit search over every decision in its scope, and the bases it
-- accredits, suspends, reinstates and sets the forms of (issue 16).

-- --- Bases ----------------------------------------------------------------------------
--
-- Whether a base may report is decided by three owners, so that none undoes another:
--   active      the bases file lists it (jxjyd import bases; delisted when dropped)
--   accredited  the authority accredited it; a base a later import brings in for the
--               first time is inserted false (import.c); the bases there now count as
--               accredited (the default true)
--   suspended_at  the authority suspended it (with suspend_reason) until reinstated
-- A re-import touches neither accredited nor a suspension, nor forms once the authority
-- has set them (forms_decided).
ALTER TABLE bases ADD COLUMN accredited boolean NOT NULL DEFAULT true;
ALTER TABLE bases ADD COLUMN suspended_at timestamptz;
ALTER TABLE bases ADD COLUMN suspend_reason text;
ALTER TABLE bases ADD COLUMN forms_decided boolean NOT NULL DEFAULT false;
ALTER TABLE bases ADD CONSTRAINT bases_suspension
	CHECK ((suspended_at IS NULL) = (suspend_reason IS NULL));

-- A city's bases, for an authority's list.
CREATE INDEX bases_by_region ON bases (region, code);

-- Every change the authority makes to a base: who, when, what, why, and the base's state
-- before and after ({accredited, suspended, suspend_reason, forms, forms_decided}).
CREATE TABLE base_audit (
	id		bigserial PRIMARY KEY,
	base_code	text NOT NULL REFERENCES bases,
	actor_id	bigint REFERENCES accounts,	-- NULL: the system
	action		text NOT NULL CHECK (action IN ('accredit', 'suspend', 'reinstate',
			    'set_forms')),
	reason		text,
	before		jsonb NOT NULL,
	after		jsonb NOT NULL,
	at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX base_audit_by_base ON base_audit (base_code, at DESC, id DESC);
CREATE INDEX base_audit_by_time ON base_audit (at DESC, id DESC);
CREATE INDEX base_audit_by_actor ON base_audit (actor_id, at DESC, id DESC);

-- --- Audit search (rpc-audit.c) --------------------------------------------------------
--
-- audit.search reads each audit table newest first, keyset paged on (at, id), and stops
-- at a page's rows: each kind below has an index for the time window (at), one for a
-- person as subject (account_id: also a unit's people, through accounts_by_unit), and one
-- for a person as actor (actor_id).  The scope (the region of the subject's unit, or of
-- the base) is checked on the rows these indexes yield.

-- Registrations: the decisions about an application, not key or password changes.
CREATE INDEX account_audit_search_by_time ON account_audit (at DESC, id DESC)
	WHERE action IN ('register', 'resubmit', 'withdraw', 'approve', 'reject',
	    'supersede', 'disable');
CREATE INDEX account_audit_search_by_account ON account_audit (account_id, at DESC, id DESC)
	WHERE action IN ('register', 'resubmit', 'withdraw', 'approve', 'reject',
	    'supersede', 'disable');
CREATE INDEX account_audit_search_by_actor ON account_audit (actor_id, at DESC, id DESC)
	WHERE action IN ('register', 'resubmit', 'withdraw', 'approve', 'reject',
	    'supersede', 'disable');

-- Title changes: a reviewed change is one row, found at its last event (decided, or
-- asked while pending).
CREATE INDEX profile_changes_search_by_time
	ON profile_changes ((coalesce(decided_at, changed_at)) DESC, id DESC)
	WHERE kind = 'reviewed';
CREATE INDEX profile_changes_search_by_unit
	ON profile_changes (unit_code, (coalesce(decided_at, changed_at)) DESC, id DESC)
	WHERE kind = 'reviewed';
CREATE INDEX profile_changes_search_by_actor
	ON profile_changes (decided_by, (coalesce(decided_at, changed_at)) DESC, id DESC)
	WHERE kind = 'reviewed';
-- (a person's: profile_changes_history, schema 004, on (account_id, changed_at))

-- Declarations: the largest (several rows per record).
CREATE INDEX declaration_audit_by_time ON declaration_audit (at DESC, id DESC);
CREATE INDEX declaration_audit_by_account ON declaration_audit (account_id, at DESC, id DESC);
CREATE INDEX declaration_audit_by_actor ON declaration_audit (actor_id, at DESC, id DESC);
-- Rejections are few among the decisions: searching for them (outcome "reject") reads
-- them alone, not every row of the window.
CREATE INDEX declaration_audit_rejections ON declaration_audit (at DESC, id DESC)
	WHERE action = 'reject';

-- Base reports (a class's changes): by time; a base's through its classes.
CREATE INDEX base_class_audit_by_time ON base_class_audit (at DESC, id DESC);
CREATE INDEX base_class_audit_by_actor ON base_class_audit (actor_id, at DESC, id DESC);

-- who: a name prefix (LIKE 'prefix%') finds its people by index.
CREATE INDEX accounts_name_prefix ON accounts (name text_pattern_ops);
