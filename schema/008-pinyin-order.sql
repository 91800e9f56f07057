-- 008: lists in the order people expect: Chinese names by pinyin, a person's declarations
-- by the time the list shows.
--
-- Names of people, departments and units sort by their pinyin (安 李 王 张), not by code
-- point (张 before 李 by accident of Unicode), whatever the server's locale: every ORDER
-- BY on such a name says COLLATE zh_pinyin, ICU's Chinese collation (PostgreSQL built
-- with ICU, as Debian's and the PGDG packages are).  ICU collations are deterministic by
-- default (strings that compare equal are equal byte for byte), so a keyset cursor on
-- (name, id) neither skips nor repeats a row.  The indexes that walk names in order are
-- rebuilt in the new order, or the lists would sort every page.

CREATE COLLATION IF NOT EXISTS zh_pinyin (provider = icu, locale = 'zh-u-co-pinyin');

DROP INDEX accounts_by_unit;
CREATE INDEX accounts_by_unit ON accounts (unit_code, state, name COLLATE zh_pinyin);

DROP INDEX units_by_region;
CREATE INDEX units_by_region ON units (region, name COLLATE zh_pinyin);

-- declaration.list: newest first by the time a row shows (submitted, else created).
CREATE INDEX declarations_by_person_shown
	ON declarations (account_id, (COALESCE(submitted_at, created_at)) DESC, id DESC);
