-- 003: learning forms (学习形式) and declarations of hours and credits (学时学分申报), their
-- attachments (附件), their review by the unit administrator, and per-person totals.

-- A learning form as the config defined it.  jxjyd syncs the config's learning_forms into
-- this table at start and on SIGHUP (daemon/forms.c): a new or changed definition inserts
-- a new version row, a form dropped from the config becomes inactive.  Rows are never
-- changed otherwise and never deleted, so a declaration keeps the definition it was made
-- with however the config changes later.
CREATE TABLE learning_forms (
	id		serial PRIMARY KEY,
	code		text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{0,31}$'),
	version		integer NOT NULL CHECK (version > 0),
	definition	jsonb NOT NULL,		-- name, category, counts, fields... (forms.c)
	checksum	text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),	-- SHA-256
	active		boolean NOT NULL DEFAULT true,	-- the version the config has now
	created_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (code, version),
	UNIQUE (code, checksum)
);
CREATE UNIQUE INDEX learning_forms_one_active ON learning_forms (code) WHERE active;

-- draft: 待提交 (saved, not submitted; the person may edit or delete it)
-- pending: 待审核 (submitted; the person may withdraw it back to draft)
-- approved: 审核通过
-- rejected: 审核不通过 (reject_reason says why; the person may revise it into a draft)
CREATE TYPE declaration_state AS ENUM ('draft', 'pending', 'approved', 'rejected');

CREATE TABLE declarations (
	id		bigserial PRIMARY KEY,
	account_id	bigint NOT NULL REFERENCES accounts,
	unit_code	text NOT NULL REFERENCES units,	-- the person's unit when declared
	form_id		integer NOT NULL REFERENCES learning_forms,	-- the exact version
	form_code	text NOT NULL,		-- learning_forms.code of form_id: filters, totals
	year		smallint NOT NULL CHECK (year BETWEEN 1990 AND 2200),	-- 计入年度
	amount		numeric(8,2) NOT NULL CHECK (amount > 0),	-- as claimed: hours or credits
	hours		numeric(10,2) NOT NULL CHECK (hours >= 0),	-- amount × credit_hours
	category	text NOT NULL CHECK (category IN ('public', 'professional')),
	fields		jsonb NOT NULL DEFAULT '{}',	-- the form's fields, validated, by key
	state		declaration_state NOT NULL DEFAULT 'draft',
	reject_reason	text,
	source		text NOT NULL DEFAULT 'person' CHECK (source IN ('person', 'base')),
	submitted_at	timestamptz,		-- last submission; orders the review queue
	decided_by	bigint REFERENCES accounts,
	decided_at	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	version		integer NOT NULL DEFAULT 1,	-- optimistic locking of draft edits
	CHECK (state <> 'rejected' OR reject_reason IS NOT NULL),
	CHECK (state = 'draft' OR submitted_at IS NOT NULL)
);

-- 申报进度查询: a person's records, newest first, keyset paged.
CREATE INDEX declarations_by_person ON declarations (account_id, created_at DESC, id DESC);
-- 学时审核: a unit's pending declarations, newest submission first, keyset paged; the
-- year filter is checked on the rows this index yields.  year and form_code are included
-- so that counting the queue, filtered or not, reads the index only.
CREATE INDEX declarations_review_queue ON declarations (unit_code, submitted_at DESC, id DESC)
	INCLUDE (year, form_code) WHERE state = 'pending';
-- A form filter that matches few of a large queue.
CREATE INDEX declarations_queue_by_form
	ON declarations (unit_code, form_code, submitted_at DESC, id DESC) INCLUDE (year)
	WHERE state = 'pending';

-- Every transition of a declaration: who, when, from, to, why.  Not a foreign key: the
-- row of a deleted draft is gone, its history stays.
CREATE TABLE declaration_audit (
	id		bigserial PRIMARY KEY,
	declaration_id	bigint NOT NULL,
	account_id	bigint NOT NULL REFERENCES accounts,	-- the declaration's owner
	actor_id	bigint REFERENCES accounts,	-- NULL: the system
	action		text NOT NULL CHECK (action IN ('create', 'submit', 'withdraw',
			    'approve', 'reject', 'revise', 'delete')),
	from_state	declaration_state,	-- NULL: created
	to_state	declaration_state,	-- NULL: deleted
	reason		text,
	at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX declaration_audit_by_declaration ON declaration_audit (declaration_id, at, id);

-- The one attachment (附件) of a declaration: a scan (JPEG, PNG), a PDF, or a ZIP of
-- several, its type found from its content.  Stored uncompressed (these formats are
-- compressed already), so a download reads only the slices it asks for.
CREATE TABLE attachments (
	id		bigserial PRIMARY KEY,
	declaration_id	bigint NOT NULL UNIQUE REFERENCES declarations ON DELETE CASCADE,
	name		text NOT NULL CHECK (name <> ''),
	mime		text NOT NULL CHECK (mime IN ('image/jpeg', 'image/png',
			    'application/pdf', 'application/zip')),
	size		integer NOT NULL CHECK (size > 0),
	sha256		text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	data		bytea NOT NULL CHECK (octet_length(data) = size),
	created_at	timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE attachments ALTER COLUMN data SET STORAGE EXTERNAL;

-- Hours per person, year and form, kept by every transition in its own transaction:
-- pending_hours of the pending declarations, approved_hours of the approved ones.  The
-- annual completion report sums these and applies each form's yearly cap.
CREATE TABLE declaration_totals (
	account_id	bigint NOT NULL REFERENCES accounts,
	year		smallint NOT NULL,
	form_code	text NOT NULL,
	category	text NOT NULL CHECK (category IN ('public', 'professional')),
	approved_hours	numeric NOT NULL DEFAULT 0 CHECK (approved_hours >= 0),
	pending_hours	numeric NOT NULL DEFAULT 0 CHECK (pending_hours >= 0),
	PRIMARY KEY (account_id, year, form_code)
);
