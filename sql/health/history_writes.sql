-- One row per recent run x target CRM: records written successfully and records that failed, for the
-- health report's "records synced per run" chart.
-- Parameters: $runs (how many recent runs).
WITH recent AS (SELECT run_id, started_at FROM runs ORDER BY started_at DESC LIMIT $runs)
SELECT r.run_id, r.started_at, w.target,
       count(DISTINCT w.record_ref) FILTER (WHERE w.succeeded) AS synced,
       count(DISTINCT w.record_ref) FILTER (WHERE NOT w.succeeded) AS failed
FROM recent r JOIN write_results w USING (run_id)
GROUP BY ALL
ORDER BY r.started_at, w.target
