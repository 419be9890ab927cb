-- One row per recent run x error code: how many records failed with it, for the health report's "errors by
-- code over time" chart.
-- Parameters: $runs.
WITH recent AS (SELECT run_id, started_at FROM runs ORDER BY started_at DESC LIMIT $runs)
SELECT r.run_id, r.started_at, coalesce(w.error_code, 'UNKNOWN') AS error_code,
       count(DISTINCT w.target || w.record_ref) AS failed
FROM recent r JOIN write_results w USING (run_id)
WHERE NOT w.succeeded
GROUP BY ALL
ORDER BY r.started_at, error_code
