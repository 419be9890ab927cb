-- One row: what the plan_within_threshold check weighs for one pair's plan in run $run_id: the pair's
-- links made before this run, the linked records the plan would update (cross-references aside), and
-- the records deleted on one side it would delete, restore or erase (those preflight did not reject).
-- Parameters: $pair, $run_id.
SELECT (SELECT count(*) FROM links WHERE pair = $pair AND run_id <> $run_id) AS linked,
       (SELECT count(DISTINCT p.target || p.record_ref) FROM plan_rows p
        JOIN links l ON l.pair = p.pair AND l.hubspot_id = p.hubspot_id AND l.run_id <> $run_id
        WHERE p.run_id = $run_id AND p.pair = $pair AND p.action = 'update' AND p.field <> '@xref') AS updated,
       (SELECT count(DISTINCT p.target || p.record_ref) FROM plan_rows p
        WHERE p.run_id = $run_id AND p.pair = $pair AND p.reason LIKE 'deletes:%'
          AND p.preflight_error IS NULL) AS deleted
