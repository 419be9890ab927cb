-- One row per record with a planned delete, archive, erase or restore (reason 'deletes:...') not yet
-- confirmed or failed in the audit log: its action, target, ref, both ids, and the side the record was
-- deleted in. The columns are write/deletes.py's PlannedDelete fields, in order.
-- Parameters: $run, $pair, $reason (the LIKE pattern of the delete reasons).
SELECT DISTINCT action, target, record_ref, hubspot_id, salesforce_object, salesforce_id,
       regexp_extract(reason, '(hubspot|salesforce)$') AS deleted_in
FROM plan_rows p
WHERE run_id = $run AND pair = $pair AND reason LIKE $reason AND preflight_error IS NULL
  AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.run_id = p.run_id AND a.pair = p.pair
                  AND a.target = p.target AND a.source_id = p.record_ref
                  AND a.outcome IN ('confirmed', 'failed'))
ORDER BY record_ref
