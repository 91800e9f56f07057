-- 014: the role of the authority's administrators (人社 / 主管部门: the provincial 人社厅, a
-- city's 人社局), who read and review a province or one of its cities (issue 16).
--
-- Alone in its file: PostgreSQL lets a new enum value be used only after the transaction
-- that added it has committed, and each migration runs in a transaction of its own.
ALTER TYPE account_role ADD VALUE IF NOT EXISTS 'authority';
