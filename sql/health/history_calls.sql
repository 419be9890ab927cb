-- One row per recent run x CRM: the API calls the run made (retries included), for the health report's
-- "API calls per run" chart.
-- Parameters: $runs.
WITH recent AS (SELECT run_id, started_at FROM runs ORDER BY started_at DESC LIMIT $runs)
SELECT r.run_id, r.started_at, a.crm, sum(a.calls) AS calls
FROM recent r JOIN api_calls a USING (run_id)
GROUP BY ALL
ORDER BY r.started_at, a.crm
