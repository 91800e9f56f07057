-- 011: the role of a continuing-education base's administrator (继续教育基地管理员).
--
-- Alone in its file: PostgreSQL lets a new enum value be used only after the transaction
-- that added it has committed, and each migration runs in a transaction of its own.
ALTER TYPE account_role ADD VALUE IF NOT EXISTS 'base_admin';
