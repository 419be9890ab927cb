-- Drop from this run's plan the records whose last write failed for a reason that sending the same
-- data again cannot cure (a validation error, a missing required field ...), as long as their source
-- record has not changed since: they stay in sync_errors, and are retried once someone edits them, or
-- after a back-off (1 h, 2 h, 4 h ... at most a day after the last attempt), since the cure may be made
-- on the target's side (a validation rule relaxed, access granted). Transient failures (locks, limits,
-- outages) are always retried. Identifiers in braces are snapshot tables.
-- Parameters: $run_id, $pair, $transient (codes to retry), $now.
DELETE FROM plan_rows
WHERE run_id = $run_id AND pair = $pair AND (target, record_ref) IN (
    SELECT e.target, e.record_ref
    FROM sync_errors e
    LEFT JOIN {hubspot_table} h ON e.target = 'salesforce' AND h.id = coalesce(
        (SELECT any_value(hubspot_id) FROM plan_rows p WHERE p.run_id = $run_id AND p.pair = $pair
         AND p.target = 'salesforce' AND p.record_ref = e.record_ref), e.record_ref)
    LEFT JOIN {salesforce_table} s ON e.target = 'hubspot' AND s.id = coalesce(
        (SELECT any_value(salesforce_id) FROM plan_rows p WHERE p.run_id = $run_id AND p.pair = $pair
         AND p.target = 'hubspot' AND p.record_ref = e.record_ref), e.record_ref)
    WHERE e.pair = $pair
      AND e.error_code NOT IN (SELECT unnest($transient::VARCHAR[]))
      AND coalesce(h._modified_at, s._modified_at) <= e.last_seen
      AND e.last_seen > $now - to_hours(least(pow(2, greatest(e.attempts, 1) - 1), 24)::BIGINT)
)
