-- 010: issued certificates of continuing education (学时证明, daemon/app/certificates.c).
--
-- A certificate states a person's approved hours of one to five years ("the facts", a JSON
-- object, docs/protocol.md certificate.issue), signed with the daemon's Ed25519 key.  The
-- facts are kept as they were signed, so that `verify CODE` can show them and check the
-- signature again years later, after key rotations (key_id names the key).  A certificate
-- is never changed or deleted: the records it states are kept beside it, and it is "no
-- longer valid" once one of them is no longer approved, is gone, or has changed (its
-- version moved on).

CREATE TABLE certificates (
	id		bigserial PRIMARY KEY,
	-- 12 characters of 23456789ABCDEFGHJKLMNPQRSTUVWXYZ, grouped by 4: K7QX-3MPA-9TRD
	code		text NOT NULL UNIQUE
			    CHECK (code ~ '^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$'),
	account_id	bigint NOT NULL REFERENCES accounts,	-- whom it is about
	from_year	smallint NOT NULL CHECK (from_year BETWEEN 1990 AND 2200),
	to_year		smallint NOT NULL CHECK (to_year BETWEEN from_year AND from_year + 4),
	facts		jsonb NOT NULL,		-- what was signed (its canonical text: certificates.c)
	signature	text NOT NULL CHECK (signature ~ '^[A-Za-z0-9_-]{86}$'),	-- Ed25519
	key_id		text NOT NULL CHECK (key_id ~ '^[0-9a-f]{8}$'),
	issued_at	timestamptz NOT NULL DEFAULT now(),
	issued_by	bigint NOT NULL REFERENCES accounts	-- the person, or their administrator
);
CREATE INDEX certificates_by_account ON certificates (account_id, issued_at DESC);

-- The records a certificate states, as they were when it was issued.  Not a foreign key:
-- a record deleted since makes the certificate no longer valid, it does not go with it.
CREATE TABLE certificate_records (
	certificate_id	bigint NOT NULL REFERENCES certificates,
	declaration_id	bigint NOT NULL,
	version		integer NOT NULL,	-- declarations.version when issued
	PRIMARY KEY (certificate_id, declaration_id)
);
