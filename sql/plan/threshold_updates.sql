-- One row per planned update the approval threshold counts in run $run_id for pair $pair: a value the plan
-- would change on a record that exists on the target (creates and cross-reference ids never count):
--   * any change of a field both sides had agreed on (base_values holds it), and
--   * at a first link (no base: a first sync, a field newly mapped, a resync) a write over a value the
--     target holds (old_value not empty); filling an empty field loses nothing and does not count.
-- Rows that carry on the plan of the pair's last sync run, when that plan was let through (passed or
-- approved) and its run ended before finishing its writes (stopped at the API cap, killed, failed), are
-- flagged `carried_on`: that plan was judged already, so the check counts only what this run adds to it.
-- Parameters: $run_id, $pair.
WITH last_verdict AS (
    SELECT v.run_id, v.verdict, r.status
    FROM plan_verdicts v LEFT JOIN runs r USING (run_id)
    WHERE v.pair = $pair AND v.run_id <> $run_id AND v.job = 'sync'
    ORDER BY v.decided_at DESC
    LIMIT 1
), carried AS (
    SELECT p.target, p.record_ref, p.target_field, p.old_value, p.new_value
    FROM plan_rows p JOIN last_verdict v ON v.run_id = p.run_id
    WHERE p.pair = $pair AND p.action = 'update'
      AND v.verdict IN ('passed', 'approved') AND coalesce(v.status, 'running') NOT IN ('succeeded', 'held')
)
SELECT p.target, p.record_ref, p.field,
       EXISTS (SELECT 1 FROM carried c
               WHERE c.target = p.target AND c.record_ref = p.record_ref AND c.target_field = p.target_field
                 AND c.old_value IS NOT DISTINCT FROM p.old_value
                 AND c.new_value IS NOT DISTINCT FROM p.new_value) AS carried_on
FROM plan_rows p
LEFT JOIN base_values b ON b.pair = p.pair AND b.hubspot_id = p.hubspot_id AND b.field = p.field
WHERE p.run_id = $run_id AND p.pair = $pair AND p.action = 'update' AND p.field <> '@xref'
  AND p.preflight_error IS NULL
  AND (b.hubspot_id IS NOT NULL OR p.old_value IS NOT NULL)
