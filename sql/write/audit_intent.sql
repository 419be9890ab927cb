-- One row per field about to be written to one record: the intent, recorded before the CRM call so a
-- crash between the call and its confirmation leaves a trace to reconcile. Exactly the fields the batch
-- sends (sql/write/pending_values.sql): a record written once already in this run sends only its
-- follow-ups (`...:rewritten_on_save`), so its fields settled earlier in the run get no second row (the
-- outcome of this batch would otherwise be pinned on fields it never sent: a field that failed before
-- called confirmed, or not_applied because HubSpot's answer does not show it).
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
FROM plan_rows p
WHERE run_id = $run_id AND pair = $pair AND target = $target
  AND preflight_error IS NULL
  AND record_ref IN (SELECT unnest($refs::VARCHAR[]))
  AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.run_id = p.run_id AND a.pair = p.pair
                  AND a.target = p.target AND a.source_id = p.record_ref
                  AND (p.reason NOT LIKE '%:rewritten_on_save' OR a.field = p.target_field)
                  AND a.outcome IN ('confirmed', 'failed', 'not_applied'))
