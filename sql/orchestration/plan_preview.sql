-- One row per planned write of one pair in run $run_id, the first 20 by target, action and record:
-- the plan asset's preview table. No old or new value: Dagster's run storage keeps asset metadata for
-- good, where erasing a person cannot reach it.
-- Parameters: $run_id, $pair.
SELECT target, action, record_ref, target_field, reason
FROM plan_rows
WHERE run_id = $run_id AND pair = $pair
ORDER BY target, action, record_ref
LIMIT 20
