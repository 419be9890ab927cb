-- One row per (target CRM, who stopped it, error code) of one run's records that were not written, and
-- how many records: `kind` is 'crm' when the CRM refused the write (what the run table's errors column
-- counts, as sync_errors keeps it), 'preflight' when crmsync refused it before sending (plan or
-- follow-up preflight: its message starts 'preflight:'), 'held' when it was held back unsent because
-- its source moved since the plan (STALE_PLAN). A record that succeeded later in the run is left out.
-- Parameters: $run_id.
WITH failed AS (
    SELECT DISTINCT f.pair, f.target, f.record_ref, f.error_code,
           CASE WHEN f.error_code = 'STALE_PLAN' THEN 'held'
                WHEN f.error_message LIKE 'preflight:%' THEN 'preflight'
                ELSE 'crm' END AS kind
    FROM write_results f
    WHERE f.run_id = $run_id AND NOT f.succeeded
      AND NOT EXISTS (SELECT 1 FROM write_results s WHERE s.run_id = $run_id AND s.succeeded
                      AND s.pair = f.pair AND s.target = f.target AND s.record_ref = f.record_ref
                      AND s.operation = f.operation)
)
SELECT target, kind, coalesce(error_code, 'UNKNOWN') AS code, count(DISTINCT pair || ':' || record_ref) AS records,
       CASE kind WHEN 'crm' THEN 1 WHEN 'preflight' THEN 2 ELSE 3 END AS kind_order
FROM failed GROUP BY target, kind, code
ORDER BY kind_order, records DESC, target, code
