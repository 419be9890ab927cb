-- One row per plan row (all of plan_rows' columns, in table order) of these records that passed
-- preflight and was planned at or before $before: the rows old enough to be checked against their
-- source before they are written.
-- Parameters: $run_id, $pair, $target, $before, $refs (the batch's record_refs).
SELECT *
FROM plan_rows
WHERE run_id = $run_id AND pair = $pair AND target = $target AND preflight_error IS NULL
  AND planned_at <= $before AND record_ref IN (SELECT unnest($refs::VARCHAR[]))
