-- One row per field of a batch's updates the target confirmed (record_ref, target_field, new_value),
-- kept in the temp table `reflected_writes`: plan_rows and audit_log hold the whole run, so the batch's
-- rows are found once and read by the association mirror and each snapshot field's UPDATE.
-- Parameters: $run_id, $pair, $target, $refs (the batch's record_refs).
CREATE OR REPLACE TEMP TABLE reflected_writes AS
SELECT p.record_ref, p.target_field, p.new_value
FROM plan_rows p
JOIN audit_log a ON a.run_id = p.run_id AND a.pair = p.pair AND a.target = p.target
 AND a.source_id = p.record_ref AND a.field = p.target_field AND a.outcome = 'confirmed'
WHERE p.run_id = $run_id AND p.pair = $pair AND p.target = $target AND p.action = 'update'
  AND p.record_ref IN (SELECT unnest($refs::VARCHAR[]))
