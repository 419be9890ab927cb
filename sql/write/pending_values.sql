-- One row per value still to write with one action to one target: plan rows of the run that passed
-- preflight and whose record has no confirmed, failed or not_applied audit row yet (a resumed run skips what it
-- wrote), ordered by record so the caller groups them into one payload per record. A follow-up planned
-- after the record's own write (reason `...:rewritten_on_save`, write/updated_values.py) is judged by
-- its own field's audit row instead: the record was written once already in this run.
-- Parameters: $run_id, $pair, $target, $action.
SELECT p.record_ref, p.salesforce_object, p.target_field, p.new_value
FROM plan_rows p
WHERE p.run_id = $run_id AND p.pair = $pair AND p.target = $target AND p.action = $action
  AND p.preflight_error IS NULL
  AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.run_id = p.run_id AND a.pair = p.pair
                  AND a.target = p.target AND a.source_id = p.record_ref
                  AND (p.reason NOT LIKE '%:rewritten_on_save' OR a.field = p.target_field)
                  AND a.outcome IN ('confirmed', 'failed', 'not_applied'))
ORDER BY p.record_ref, p.target_field
