-- 015: an authority administrator's scope: the region it reads and decides for.
--
-- scope_region is the province (its code, 410000 for Henan: every unit and base) or one
-- of its prefecture-level cities (units and bases whose region is that city).  An
-- authority account belongs to no unit and no base; it comes in through jxjyd.conf's
-- authority_admins, as unit administrators do through unit_admins.
ALTER TABLE accounts ADD COLUMN scope_region char(6) REFERENCES regions;
ALTER TABLE accounts DROP CONSTRAINT accounts_scope;
ALTER TABLE accounts ADD CONSTRAINT accounts_scope CHECK (
	CASE role::text
	WHEN 'base_admin' THEN base_code IS NOT NULL AND unit_code IS NULL
		AND scope_region IS NULL
	WHEN 'authority' THEN scope_region IS NOT NULL AND unit_code IS NULL
		AND base_code IS NULL
	ELSE base_code IS NULL AND unit_code IS NOT NULL AND scope_region IS NULL END);

-- A scope's units: the statistics and queues of a city read its units by region.
-- (units_by_region, schema 001, serves it.)
