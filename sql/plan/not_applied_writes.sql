-- One row per link and field whose latest write by crmsync the target CRM refused for that field alone
-- while both sides still hold what they held then: the target the value it kept (`kept`, the audit
-- row's before value), the source the value written (canonical). Refused means either
-- - taken without being applied (audit outcome `not_applied`: HubSpot answered 200 but kept its value,
--   as it does for a lifecycle stage moved backward; code NOT_APPLIED), or
-- - failed with an error the CRM pinned on this field (write_results.error_fields names it) and that
--   sending the same value cannot cure (not in $transient; e.g. HubSpot's INVALID_LIFECYCLE_STAGE).
-- Such a write would be refused again, and the kept value is no edit to carry across
-- (plan/not_applied.py). Reads the temp table field_state of the plan being made.
-- Parameters: $pair, $transient.
WITH field_writes AS (  -- crmsync's writes of each link and field that reached the CRM, latest first
    SELECT p.hubspot_id, p.salesforce_id, p.field, a.target, a.field AS target_field, a.source_id,
           a.before_value, a.after_value, p.canonical_value, a.outcome, a.run_id,
           row_number() OVER (PARTITION BY p.hubspot_id, p.field ORDER BY a.intended_at DESC) AS nth
    FROM audit_log a
    JOIN plan_rows p
      ON p.run_id = a.run_id AND p.pair = a.pair AND p.target = a.target AND p.action = 'update'
     AND p.record_ref = a.source_id AND p.target_field = a.field
    WHERE a.pair = $pair AND a.outcome IN ('confirmed', 'not_applied', 'failed') AND NOT a.created_record
),
refused AS (
    SELECT w.*, CASE WHEN w.outcome = 'not_applied' THEN 'NOT_APPLIED' ELSE r.error_code END AS code,
           r.error_message
    FROM field_writes w
    LEFT JOIN write_results r
      ON w.outcome = 'failed' AND r.run_id = w.run_id AND r.pair = $pair AND r.target = w.target
     AND r.record_ref = w.source_id AND NOT r.succeeded AND list_contains(r.error_fields, w.target_field)
     AND r.error_code NOT IN (SELECT unnest($transient::VARCHAR[]))
    WHERE w.nth = 1 AND (w.outcome = 'not_applied' OR r.error_code IS NOT NULL)
)
SELECT w.hubspot_id, w.salesforce_id, w.field, w.target, w.target_field,
       w.after_value AS written, w.before_value AS kept, w.run_id, any_value(w.code) AS code,
       any_value(w.error_message) AS error_message
FROM refused w
JOIN field_state f ON f.pair = $pair AND f.hubspot_id = w.hubspot_id AND f.field = w.field
WHERE nullif(CASE WHEN w.target = 'hubspot' THEN f.hubspot_raw ELSE f.salesforce_raw END, '')
      IS NOT DISTINCT FROM nullif(w.before_value, '')
  AND (CASE WHEN w.target = 'hubspot' THEN f.salesforce_value ELSE f.hubspot_value END)
      IS NOT DISTINCT FROM w.canonical_value
GROUP BY ALL
ORDER BY w.hubspot_id, w.field
