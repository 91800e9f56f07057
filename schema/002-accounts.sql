-- 002: accounts (专业技术人员 and 用人单位管理员), their review, their SSH keys.

CREATE TYPE account_role AS ENUM ('staff', 'unit_admin');

-- pending: 提交审核, waiting for the unit administrator
-- active: approved; may log in
-- rejected: 审核不通过, reject_reason says why; may be corrected and resubmitted
-- withdrawn: 撤回申请 by the applicant; the ID number may register again
-- disabled: switched off (e.g. an administrator removed from jxjyd.conf)
CREATE TYPE account_state AS ENUM ('pending', 'active', 'rejected', 'withdrawn', 'disabled');

CREATE TABLE accounts (
	id		bigserial PRIMARY KEY,
	id_number	char(18) NOT NULL UNIQUE CHECK (id_number ~ '^[0-9]{17}[0-9X]$'),
	role		account_role NOT NULL DEFAULT 'staff',
	state		account_state NOT NULL DEFAULT 'pending',
	password_hash	text,			-- Argon2id, libsodium's encoded form; NULL: key only
	phone		text,
	email		text,
	unit_code	text NOT NULL REFERENCES units,
	department_id	bigint REFERENCES departments,
	name		text NOT NULL,
	sex		smallint CHECK (sex IN (0, 1)),	-- 0 female, 1 male (GB 11643)
	birth_date	date,
	ethnicity	char(2) REFERENCES ethnicities,
	native_place	text,
	school		text,
	major_code	text REFERENCES majors,
	education_level	text,
	title_id	integer REFERENCES titles,
	reject_reason	text,
	decided_by	bigint REFERENCES accounts,
	decided_at	timestamptz,
	failed_logins	integer NOT NULL DEFAULT 0,
	locked_until	timestamptz,
	version		integer NOT NULL DEFAULT 1,	-- optimistic locking of profile edits
	submitted_at	timestamptz NOT NULL DEFAULT now(),	-- last (re)submission, orders the queue
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (state <> 'rejected' OR reject_reason IS NOT NULL)
);

-- The review queue: a unit's pending applications, newest first, keyset paged.
CREATE INDEX accounts_review_queue ON accounts (unit_code, submitted_at DESC, id DESC)
	WHERE state = 'pending';
CREATE INDEX accounts_by_unit ON accounts (unit_code, state, name);

-- Every decision and state change of an account: who, when, what, why.
CREATE TABLE account_audit (
	id		bigserial PRIMARY KEY,
	account_id	bigint NOT NULL REFERENCES accounts,
	actor_id	bigint REFERENCES accounts,	-- NULL: the system (config, lockout)
	action		text NOT NULL,	-- register, resubmit, withdraw, approve, reject, ...
	from_state	account_state,
	to_state	account_state,
	reason		text,
	at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_audit_by_account ON account_audit (account_id, at);

-- SSH public keys that log an account in without password or captcha.
CREATE TABLE account_keys (
	id		bigserial PRIMARY KEY,
	account_id	bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
	key_type	text NOT NULL,		-- ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256...
	key_base64	text NOT NULL,
	fingerprint	text NOT NULL,		-- "SHA256:..." as OpenSSH prints it
	comment		text,
	source		text NOT NULL DEFAULT 'user' CHECK (source IN ('user', 'config')),
	created_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (key_type, key_base64)
);
CREATE INDEX account_keys_by_account ON account_keys (account_id);
