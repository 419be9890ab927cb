-- One row per field about to be written to one record: the intent, recorded before the CRM call so a
-- crash between the call and its confirmation leaves a trace to reconcile.
-- Parameters: $run_id, $pair, $target, $refs (the record_refs of the batch), $now.
INSERT INTO audit_log
SELECT
    run_id, pair, target,
    CASE WHEN action = 'update' THEN record_ref END AS record_id,
    record_ref AS source_id,
    target_field, old_value, new_value,
    action = 'create' AS created_record,
    $now AS intended_at,
    NULL AS confirmed_at,
    'intended' AS outcome
FROM plan_rows
WHERE run_id = $run_id AND pair = $pair AND target = $target
  AND preflight_error IS NULL
  AND record_ref IN (SELECT unnest($refs::VARCHAR[]))
