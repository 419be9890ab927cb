-- One row per object pair x side (hubspot | salesforce) of one run: what the run did to that CRM's
-- records of the pair, from what happened (write_results, audit_log, links, record_merges, conflicts
-- of THIS run), never from plan counts. A record counts once per column:
--   linked     links the run made by matching (not by creating): the same on both sides
--   created    records the run created on this side (their new ids, audit_log created_record)
--   updated    records that existed before the run and got a confirmed write on this side: fields,
--              cross-references, lookups, associations and junction rows (a Salesforce contact role
--              added or removed updates its deal), the survivor of a merge it mirrored; a record
--              created this run is only "created"
--   deleted    records deleted (Salesforce) or archived (HubSpot) by the run, GDPR erasures included
--   merged     records the run merged away on this side, mirroring a merge made on the other side
--   unchanged  linked records on this side (after the run) the run neither created nor wrote
--   conflicts  fields both sides changed where this side's value lost (or is held for review)
--   errors     records this side's CRM refused (a failed write_results row that did not succeed later
--              in the run), as sync_errors keeps them; records crmsync's preflight refused before
--              sending (message 'preflight: ...') and records held back unsent because their source
--              moved since the plan (STALE_PLAN) were never attempted and are not counted here
--              (the CLI lists them apart: sql/cli/failed_records.sql)
--   associations_added / _removed  junction rows (deal contact roles) added / removed on this side
-- Parameters: $run_id. Reads the temp table run_reads (pair, side, records): the records each
-- snapshot read this run (the snapshots' names come from the mapping, so Python counts them; a row
-- keeps the last run that read it, so `read` of an older run shrinks once later runs re-read it).
-- Each figure is counted once per (pair, side) and joined to run_reads, rather than by a subquery per
-- run_reads row: DuckDB took ~40 ms to plan the eleven correlated subqueries, on every writes step.
WITH span AS (
    SELECT started_at, coalesce(finished_at, now()) AS finished_at FROM runs WHERE run_id = $run_id
),
created AS (
    SELECT DISTINCT pair, target AS side, record_id FROM audit_log
    WHERE run_id = $run_id AND created_record AND record_id IS NOT NULL AND outcome IN ('confirmed', 'undone')
),
succeeded AS (
    SELECT pair, target AS side, operation, split_part(record_ref, ':', 1) AS record_id, record_ref
    FROM write_results WHERE run_id = $run_id AND succeeded
),
merged AS (  -- a merge seen on one side, mirrored by this run on the other (its survivor is written)
    SELECT m.pair, CASE m.side WHEN 'hubspot' THEN 'salesforce' ELSE 'hubspot' END AS side,
           m.other_loser_id, m.other_survivor_id
    FROM record_merges m, span
    WHERE m.action = 'mirror' AND m.status = 'done' AND m.done_at BETWEEN span.started_at AND span.finished_at
),
written AS (
    SELECT pair, side, record_id FROM succeeded WHERE operation IN ('update', 'associate', 'dissociate')
    UNION
    SELECT pair, side, other_survivor_id FROM merged
),
updated AS (
    SELECT w.* FROM written w
    WHERE NOT EXISTS (SELECT 1 FROM created c WHERE c.pair = w.pair AND c.side = w.side AND c.record_id = w.record_id)
),
failed AS (
    SELECT DISTINCT pair, target AS side, record_ref FROM write_results f
    WHERE run_id = $run_id AND NOT succeeded
      AND f.error_code IS DISTINCT FROM 'STALE_PLAN' AND NOT coalesce(f.error_message LIKE 'preflight:%', false)
      AND NOT EXISTS (SELECT 1 FROM succeeded s WHERE s.pair = f.pair AND s.side = f.target
                      AND s.record_ref = f.record_ref AND s.operation = f.operation)
),
linked_now AS (
    SELECT pair, 'hubspot' AS side, hubspot_id AS record_id FROM links
    UNION ALL
    SELECT pair, 'salesforce', salesforce_id FROM links
),
linked_counts AS (
    SELECT pair, count(*) AS n FROM links WHERE run_id = $run_id AND matched_by <> 'created' GROUP BY pair
),
created_counts AS (SELECT pair, side, count(*) AS n FROM created GROUP BY pair, side),
updated_counts AS (SELECT pair, side, count(*) AS n FROM updated GROUP BY pair, side),
succeeded_counts AS (
    SELECT pair, side,
           count(DISTINCT record_ref) FILTER (WHERE operation IN ('delete', 'archive', 'erase')) AS deleted,
           count(*) FILTER (WHERE operation = 'associate') AS associations_added,
           count(*) FILTER (WHERE operation = 'dissociate') AS associations_removed
    FROM succeeded GROUP BY pair, side
),
merged_counts AS (SELECT pair, side, count(DISTINCT other_loser_id) AS n FROM merged GROUP BY pair, side),
unchanged_counts AS (
    SELECT pair, side, count(*) AS n FROM linked_now n
    WHERE NOT EXISTS (SELECT 1 FROM written w WHERE w.pair = n.pair AND w.side = n.side AND w.record_id = n.record_id)
      AND NOT EXISTS (SELECT 1 FROM created c WHERE c.pair = n.pair AND c.side = n.side AND c.record_id = n.record_id)
    GROUP BY pair, side
),
conflict_counts AS (  -- the fields where this side's value lost: the winner is another side (or review)
    SELECT r.ordinal, count(*) AS n FROM run_reads r
    JOIN conflicts k ON k.pair = r.pair AND k.winner <> r.side
    WHERE k.run_id = $run_id
    GROUP BY r.ordinal
),
failed_counts AS (SELECT pair, side, count(*) AS n FROM failed GROUP BY pair, side)
SELECT
    r.pair,
    r.side,
    r.records AS records_read,
    coalesce(lc.n, 0) AS linked,
    coalesce(cc.n, 0) AS created,
    coalesce(uc.n, 0) AS updated,
    coalesce(sc.deleted, 0) AS deleted,
    coalesce(mc.n, 0) AS merged,
    coalesce(nc.n, 0) AS unchanged,
    coalesce(kc.n, 0) AS conflicts,
    coalesce(fc.n, 0) AS errors,
    coalesce(sc.associations_added, 0) AS associations_added,
    coalesce(sc.associations_removed, 0) AS associations_removed
FROM run_reads r
LEFT JOIN linked_counts lc ON lc.pair = r.pair
LEFT JOIN created_counts cc ON cc.pair = r.pair AND cc.side = r.side
LEFT JOIN updated_counts uc ON uc.pair = r.pair AND uc.side = r.side
LEFT JOIN succeeded_counts sc ON sc.pair = r.pair AND sc.side = r.side
LEFT JOIN merged_counts mc ON mc.pair = r.pair AND mc.side = r.side
LEFT JOIN unchanged_counts nc ON nc.pair = r.pair AND nc.side = r.side
LEFT JOIN conflict_counts kc ON kc.ordinal = r.ordinal
LEFT JOIN failed_counts fc ON fc.pair = r.pair AND fc.side = r.side
ORDER BY r.ordinal
