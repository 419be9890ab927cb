-- Records, per row of the temp table `accepted_fills` (hubspot_id, field, side, value, reason), that the
-- value a CRM filled in on `side` of a link just created stands for the link's current base: one
-- accepted_values row, tied to that base row's value and agreed_at (a later base ends it).
-- Parameters: $pair, $run_id, $now.
INSERT INTO accepted_values
SELECT $pair, f.hubspot_id, f.field, f.side, f.value, b.value, b.agreed_at, f.reason, $run_id, $now
FROM accepted_fills f
JOIN base_values b ON b.pair = $pair AND b.hubspot_id = f.hubspot_id AND b.field = f.field
ON CONFLICT (pair, hubspot_id, field, side) DO UPDATE SET
    value = excluded.value, base_value = excluded.base_value, base_agreed_at = excluded.base_agreed_at,
    reason = excluded.reason, run_id = excluded.run_id, accepted_at = excluded.accepted_at
