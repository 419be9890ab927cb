-- Counts one more sync for every drifting field of temp table `drift_now` (pair, hubspot_id, field,
-- salesforce_id), starts a count for new ones, and forgets the fields that no longer drift. A run already
-- counted is not counted twice (the checks can be launched again for the same run).
-- Parameters: $run_id, $now.
DELETE FROM drift_cycles d
WHERE NOT EXISTS (SELECT 1 FROM drift_now n
                  WHERE n.pair = d.pair AND n.hubspot_id = d.hubspot_id AND n.field = d.field);
INSERT INTO drift_cycles
SELECT n.pair, n.hubspot_id, n.field, n.salesforce_id, $run_id, $now, $run_id, 1
FROM drift_now n
WHERE true
ON CONFLICT (pair, hubspot_id, field) DO UPDATE SET
    cycles = CASE WHEN drift_cycles.last_run = excluded.last_run THEN drift_cycles.cycles
                  ELSE drift_cycles.cycles + 1 END,
    last_run = excluded.last_run,
    salesforce_id = excluded.salesforce_id;
