-- 006: the unit administrator's password reset, and SSH keys that must be proved.
--
-- Reset (review.reset_password): the administrator gets a one-time code, shown once; its
-- Argon2id hash replaces accounts.password_hash, so the old password stops working at
-- once, and must_change_password forces a new password at the next login.  The code is
-- good until reset_expires_at; after that a login with it fails like a wrong password.
-- While must_change_password is set, SSH key logins of the account are refused: the
-- person chooses at the forced change which of their keys stay.
--
-- Keys: a key a person adds is 'unconfirmed' until someone logs in at SSH level as that
-- account with a valid signature by it, which proves the private half is theirs.  An
-- unconfirmed key blocks nobody: a key is unique among confirmed keys only (and once per
-- account), so registering another person's public key first no longer keeps them out.
-- Keys from jxjyd.conf are confirmed by the configuration.  Keys that exist already were
-- added without any proof: they start unconfirmed and are confirmed by their next use.

ALTER TABLE accounts
	ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
	ADD COLUMN reset_expires_at timestamptz,	-- while a reset code stands in for the password
	ADD CHECK (reset_expires_at IS NULL OR must_change_password);

ALTER TABLE account_keys
	ADD COLUMN confirmed boolean NOT NULL DEFAULT false,
	ADD COLUMN confirmed_at timestamptz;

UPDATE account_keys SET confirmed = true, confirmed_at = created_at WHERE source = 'config';

ALTER TABLE account_keys
	DROP CONSTRAINT account_keys_key_type_key_base64_key,
	ADD CONSTRAINT account_keys_once_per_account UNIQUE (account_id, key_type, key_base64);

-- One account at most holds a key for real; this is also the lookup of a key login.
CREATE UNIQUE INDEX account_keys_confirmed ON account_keys (key_type, key_base64)
	WHERE confirmed;
