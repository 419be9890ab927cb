-- One row per link whose record on $target crmsync saved in this run with an update of a mapped field
-- (confirmed; not a create): the records whose save may have enrolled the target's automation
-- (write/updated_values.py reads them back). A save of the cross-reference id alone is left out: it
-- wrote no synced value automation could turn around, and on a first sync it is nearly every record
-- (reading them all back took the first sync from 0.09 to 0.107 calls per record).
-- Parameters: $pair, $run_id, $target ('hubspot' | 'salesforce').
SELECT DISTINCT p.hubspot_id, p.salesforce_object, p.salesforce_id
FROM plan_rows p
JOIN audit_log a
  ON a.run_id = p.run_id AND a.pair = p.pair AND a.target = p.target AND a.source_id = p.record_ref
 AND a.field = p.target_field
WHERE p.run_id = $run_id AND p.pair = $pair AND p.target = $target AND p.action = 'update'
  AND p.field <> '@xref'
  AND a.outcome = 'confirmed' AND NOT a.created_record
  AND p.hubspot_id IS NOT NULL AND p.salesforce_id IS NOT NULL
ORDER BY p.hubspot_id
