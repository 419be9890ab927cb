-- One row per planned write of one pair in run $run_id, the first 20 by target, action and record:
-- the plan asset's preview table.
-- Parameters: $run_id, $pair.
SELECT target, action, record_ref, target_field, old_value, new_value, reason
FROM plan_rows
WHERE run_id = $run_id AND pair = $pair
ORDER BY target, action, record_ref
LIMIT 20
