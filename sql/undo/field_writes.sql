-- One row per field a run wrote to an existing record and the CRM confirmed (not yet undone): the written
-- side's value before and after, the mapping's field name, the canonical value written, and the rule that
-- decided it. Undo reads this.
-- Parameters: $run_id.
SELECT DISTINCT
    a.pair, a.target, a.record_id, p.hubspot_id, p.salesforce_object, p.salesforce_id,
    p.field, a.field AS target_field, a.before_value, a.after_value, p.canonical_value, p.reason
FROM audit_log a
JOIN plan_rows p
  ON p.run_id = a.run_id AND p.pair = a.pair AND p.target = a.target
 AND p.record_ref = a.source_id AND p.target_field = a.field AND p.action = 'update'
WHERE a.run_id = $run_id AND a.outcome = 'confirmed' AND NOT a.created_record
ORDER BY a.pair, a.target, a.record_id, p.field
