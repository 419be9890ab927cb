-- One base_values row per field of a first link (or a fill of a value never set) whose update was
-- dropped because a person edited the target after the plan read it: base becomes the value the merge
-- agreed on (the planned canonical value, which the source holds), so the next plan judges the
-- person's edit as a change made since the link and carries it across, instead of deciding a first
-- link again and overwriting the edit under prefer_*. Fields that already have a base are left alone
-- (their merge sees both changes and the newer wins), as are lookups ('@...').
-- Parameters: $run_id, $pair, $target, $refs (record_refs = target ids), $fields (target fields,
-- same positions as $refs), $now.
INSERT INTO base_values
SELECT p.pair, p.hubspot_id, p.field, p.canonical_value, $now, $run_id
FROM plan_rows p
JOIN (SELECT unnest($refs::VARCHAR[]) AS record_ref, unnest($fields::VARCHAR[]) AS target_field) d
  ON d.record_ref = p.record_ref AND d.target_field = p.target_field
WHERE p.run_id = $run_id AND p.pair = $pair AND p.target = $target AND p.action = 'update'
  AND p.hubspot_id IS NOT NULL AND p.field NOT LIKE '@%'
ON CONFLICT (pair, hubspot_id, field) DO NOTHING;
