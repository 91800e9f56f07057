-- 012: continuing-education bases (继续教育基地), their classes (班次) and rosters, and the
-- records they report for the people who attended (基地学时申报, declarations.source = 'base').
--
-- A base is reference data like a unit: it comes in through `jxjyd import bases FILE.csv`.
-- Its administrators are accounts with role base_admin and base_code set (jxjyd.conf
-- base_admins, as unit_admins); they belong to no unit.
CREATE TABLE bases (
	code		text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9]{1,32}$'),
	name		text NOT NULL UNIQUE CHECK (name <> ''),
	region		char(6) NOT NULL REFERENCES regions,
	kind		text NOT NULL DEFAULT '',	-- names a list of forms in jxjyd.conf
	forms		text[] NOT NULL DEFAULT '{}',	-- forms it may report; empty: its kind's
	active		boolean NOT NULL DEFAULT true,	-- a suspended base cannot report
	created_at	timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE accounts ALTER COLUMN unit_code DROP NOT NULL;
ALTER TABLE accounts ADD COLUMN base_code text REFERENCES bases;
ALTER TABLE accounts ADD CONSTRAINT accounts_scope CHECK (
	CASE WHEN role::text = 'base_admin' THEN base_code IS NOT NULL AND unit_code IS NULL
	     ELSE base_code IS NULL AND unit_code IS NOT NULL END);

-- draft: being prepared (the roster may hold bad rows, marked)
-- reported: one record per attendee was created (declarations.class_id)
-- withdrawn: the whole report taken back before any record was decided
-- deleted: a draft the base deleted (class.delete); kept, with its audit, but its
--   roster and attachment are gone and no list shows it
CREATE TYPE class_state AS ENUM ('draft', 'reported', 'withdrawn', 'deleted');

CREATE TABLE base_classes (
	id		bigserial PRIMARY KEY,
	base_code	text NOT NULL REFERENCES bases,
	name		text NOT NULL CHECK (name <> ''),
	form_id		integer NOT NULL REFERENCES learning_forms,	-- the exact version
	form_code	text NOT NULL,
	fields		jsonb NOT NULL DEFAULT '{}',	-- the form's own fields, by key
	start_date	date NOT NULL,
	end_date	date NOT NULL CHECK (end_date >= start_date),
	year		smallint NOT NULL CHECK (year BETWEEN 1990 AND 2200),	-- 计入年度
	amount		numeric(8,2) NOT NULL CHECK (amount > 0),	-- per attendee, by default
	state		class_state NOT NULL DEFAULT 'draft',
	created_by	bigint NOT NULL REFERENCES accounts,
	reported_by	bigint REFERENCES accounts,
	reported_at	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	version		integer NOT NULL DEFAULT 1,	-- optimistic locking of edits
	CHECK (state IN ('draft', 'deleted') OR reported_at IS NOT NULL)
);
CREATE INDEX base_classes_by_base ON base_classes (base_code, created_at DESC, id DESC);

-- The class's one optional attachment (the approval document, an attendance sheet),
-- stored as declarations' attachments are.
CREATE TABLE base_class_attachments (
	class_id	bigint PRIMARY KEY REFERENCES base_classes ON DELETE CASCADE,
	name		text NOT NULL CHECK (name <> ''),
	mime		text NOT NULL CHECK (mime IN ('image/jpeg', 'image/png',
			    'application/pdf', 'application/zip')),
	size		integer NOT NULL CHECK (size > 0),
	sha256		text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	data		bytea NOT NULL CHECK (octet_length(data) = size),
	created_at	timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE base_class_attachments ALTER COLUMN data SET STORAGE EXTERNAL;

-- A class's roster, a row per attendee as the base gave it.  A row that failed a check
-- keeps its problem (a reason word of the message catalogue) and the file's line, so
-- that the base sees every bad row at once and a class with one is never reported.
-- account_id is the registered person the row names (NULL: nobody with that ID number
-- is registered and approved yet: unclaimed); declaration_id the record made for it.
CREATE TABLE base_roster (
	id		bigserial PRIMARY KEY,
	class_id	bigint NOT NULL REFERENCES base_classes ON DELETE CASCADE,
	line		integer,		-- in the file it came from; NULL: typed
	id_number	text NOT NULL,		-- as given (a bad one is kept, with its problem)
	name		text NOT NULL,
	amount		numeric(8,2) CHECK (amount > 0),	-- NULL: the class's
	problem		text,			-- NULL: the row is good
	account_id	bigint REFERENCES accounts,
	declaration_id	bigint REFERENCES declarations,
	withdrawn	boolean NOT NULL DEFAULT false,	-- taken back after reporting
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX base_roster_by_class ON base_roster (class_id, id);
-- A row's earlier namesakes in its class, as a file's rows go in checked (roster.c).
CREATE INDEX base_roster_by_class_person ON base_roster (class_id, id_number);
CREATE UNIQUE INDEX base_roster_one_per_person ON base_roster (class_id, id_number)
	WHERE problem IS NULL AND NOT withdrawn;
-- Unclaimed rows of reported classes, found by the ID number of an approved registration.
CREATE INDEX base_roster_unclaimed ON base_roster (id_number)
	WHERE account_id IS NULL AND problem IS NULL AND NOT withdrawn;

-- A base record points back to its class and row.
ALTER TABLE declarations ADD COLUMN class_id bigint REFERENCES base_classes;
ALTER TABLE declarations ADD CONSTRAINT declarations_base_class
	CHECK ((source = 'base') = (class_id IS NOT NULL));
CREATE INDEX declarations_by_class ON declarations (class_id) WHERE class_id IS NOT NULL;

-- The audit of a declaration gains the base's actions.
ALTER TABLE declaration_audit DROP CONSTRAINT declaration_audit_action_check;
ALTER TABLE declaration_audit ADD CONSTRAINT declaration_audit_action_check
	CHECK (action IN ('create', 'submit', 'withdraw', 'approve', 'reject', 'revise',
	    'delete', 'report', 'claim', 'change', 'unreport'));

-- Every change of a class and its roster: who, when, what (create, update, roster,
-- report, withdraw, change_row, withdraw_row, claim), with what it changed.
CREATE TABLE base_class_audit (
	id		bigserial PRIMARY KEY,
	class_id	bigint NOT NULL REFERENCES base_classes,
	actor_id	bigint REFERENCES accounts,	-- NULL: the system (a claim at approval)
	action		text NOT NULL,
	detail		jsonb NOT NULL DEFAULT '{}',
	at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX base_class_audit_by_class ON base_class_audit (class_id, at, id);
