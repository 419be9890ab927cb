-- One row per pair whose latest verdict held its plan and nobody has approved that plan yet: what
-- `crmsync status` lists as waiting for approval, newest first. A later verdict of the pair that let a
-- plan through (or approved it) ends the hold. No parameters.
WITH latest AS (
    SELECT v.*, row_number() OVER (PARTITION BY v.pair ORDER BY v.decided_at DESC) AS n
    FROM plan_verdicts v
)
SELECT l.run_id, l.pair, l.linked, l.records_to_overwrite, l.records_to_delete, l.carried_on, l.by_field
FROM latest l
WHERE l.n = 1 AND l.verdict = 'held'
  AND NOT EXISTS (SELECT 1 FROM plan_approvals a WHERE a.approved_run_id = l.run_id AND a.pair = l.pair)
ORDER BY l.decided_at DESC, l.pair
