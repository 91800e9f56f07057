-- bench-seed-totals.sql - declaration_totals summed from the declarations that the
-- condition :totals_of selects, as every transition keeps them; a seed sets totals_of
-- (\set) and includes this (\ir) after making its declarations.
INSERT INTO declaration_totals (account_id, year, form_code, category, approved_hours,
    pending_hours)
SELECT account_id, year, form_code, min(category),
    coalesce(sum(hours) FILTER (WHERE state = 'approved'), 0),
    coalesce(sum(hours) FILTER (WHERE state = 'pending'), 0)
FROM declarations WHERE :totals_of
GROUP BY account_id, year, form_code
ON CONFLICT (account_id, year, form_code) DO UPDATE SET
    approved_hours = EXCLUDED.approved_hours, pending_hours = EXCLUDED.pending_hours;
