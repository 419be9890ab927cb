-- One row per record a run created and the CRM confirmed (not yet undone): where it was created, its new
-- id, the source record it was made from, and the link that joins the two.
-- Parameters: $run_id.
SELECT DISTINCT
    a.pair, a.target, a.record_id, a.source_id, p.salesforce_object,
    CASE WHEN a.target = 'hubspot' THEN a.record_id ELSE a.source_id END AS hubspot_id
FROM audit_log a
JOIN plan_rows p
  ON p.run_id = a.run_id AND p.pair = a.pair AND p.target = a.target
 AND p.record_ref = a.source_id AND p.action = 'create'
WHERE a.run_id = $run_id AND a.outcome = 'confirmed' AND a.created_record AND a.record_id IS NOT NULL
ORDER BY a.pair, a.target, a.record_id
