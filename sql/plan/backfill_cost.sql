-- One row per pair x mapped field x target where a run's plan fills in a field that records linked (and
-- synced) before have no base for: a field newly added to the mapping, merged as a first link for that
-- field. Gives the records to write and the write calls that takes on its own (HubSpot batch update:
-- 100 records a call; Salesforce sObject Collections: 200). Parameters: $run_id.
SELECT
    p.pair, p.field, p.target,
    count(DISTINCT p.record_ref) AS records,
    ceil(count(DISTINCT p.record_ref) / CASE p.target WHEN 'hubspot' THEN 100 ELSE 200 END)::INTEGER AS write_calls
FROM plan_rows p
JOIN links l ON l.pair = p.pair AND l.hubspot_id = p.hubspot_id AND l.run_id IS DISTINCT FROM p.run_id
WHERE p.run_id = $run_id AND p.action = 'update' AND p.preflight_error IS NULL AND p.field NOT LIKE '@%'
  AND NOT EXISTS (SELECT 1 FROM base_values b
                  WHERE b.pair = p.pair AND b.hubspot_id = p.hubspot_id AND b.field = p.field)
  AND EXISTS (SELECT 1 FROM base_values b
              WHERE b.pair = p.pair AND b.hubspot_id = p.hubspot_id AND b.field NOT LIKE '@%')
GROUP BY p.pair, p.field, p.target
ORDER BY p.pair, p.field, p.target
