-- One row per recent run x conflict outcome (who won: hubspot, salesforce, or held for review): how many
-- fields both sides had changed, for the health report's "conflicts per run" chart.
-- Parameters: $runs.
WITH recent AS (SELECT run_id, started_at FROM runs ORDER BY started_at DESC LIMIT $runs)
SELECT r.run_id, r.started_at, c.winner, count(*) AS conflicts
FROM recent r JOIN conflicts c USING (run_id)
GROUP BY ALL
ORDER BY r.started_at, c.winner
