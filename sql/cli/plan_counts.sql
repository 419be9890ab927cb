-- One row per (object pair, target CRM) of one run's plan: records to create, to update, to delete,
-- restore or erase, and field writes, all among rows preflight let through, then the records preflight
-- rejected.
-- Parameters: $run_id.
SELECT pair, target,
       count(DISTINCT record_ref) FILTER (WHERE action = 'create' AND preflight_error IS NULL),
       count(DISTINCT record_ref) FILTER (WHERE action = 'update' AND preflight_error IS NULL),
       count(DISTINCT record_ref) FILTER (WHERE reason LIKE 'deletes:%' AND preflight_error IS NULL),
       count(*) FILTER (WHERE preflight_error IS NULL),
       count(DISTINCT record_ref) FILTER (WHERE preflight_error IS NOT NULL)
FROM plan_rows WHERE run_id = $run_id GROUP BY ALL ORDER BY ALL
