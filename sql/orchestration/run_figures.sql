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
--   errors     records whose write to this side failed and did not succeed later in the run
--   associations_added / _removed  junction rows (deal contact roles) added / removed on this side
-- Parameters: $run_id. Reads the temp table run_reads (pair, side, records): the records each
-- snapshot read this run (the snapshots' names come from the mapping, so Python counts them; a row
-- keeps the last run that read it, so `read` of an older run shrinks once later runs re-read it).
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
      AND NOT EXISTS (SELECT 1 FROM succeeded s WHERE s.pair = f.pair AND s.side = f.target
                      AND s.record_ref = f.record_ref AND s.operation = f.operation)
),
linked_now AS (
    SELECT pair, 'hubspot' AS side, hubspot_id AS record_id FROM links
    UNION ALL
    SELECT pair, 'salesforce', salesforce_id FROM links
)
SELECT
    r.pair,
    r.side,
    r.records AS records_read,
    (SELECT count(*) FROM links l WHERE l.pair = r.pair AND l.run_id = $run_id AND l.matched_by <> 'created') AS linked,
    (SELECT count(*) FROM created c WHERE c.pair = r.pair AND c.side = r.side) AS created,
    (SELECT count(*) FROM updated u WHERE u.pair = r.pair AND u.side = r.side) AS updated,
    (SELECT count(DISTINCT record_ref) FROM succeeded s
     WHERE s.pair = r.pair AND s.side = r.side AND s.operation IN ('delete', 'archive', 'erase')) AS deleted,
    (SELECT count(DISTINCT other_loser_id) FROM merged m WHERE m.pair = r.pair AND m.side = r.side) AS merged,
    (SELECT count(*) FROM linked_now n
     WHERE n.pair = r.pair AND n.side = r.side
       AND NOT EXISTS (SELECT 1 FROM written w WHERE w.pair = n.pair AND w.side = n.side AND w.record_id = n.record_id)
       AND NOT EXISTS (SELECT 1 FROM created c WHERE c.pair = n.pair AND c.side = n.side AND c.record_id = n.record_id)
    ) AS unchanged,
    (SELECT count(*) FROM conflicts k WHERE k.run_id = $run_id AND k.pair = r.pair AND k.winner <> r.side) AS conflicts,
    (SELECT count(*) FROM failed f WHERE f.pair = r.pair AND f.side = r.side) AS errors,
    (SELECT count(*) FROM succeeded s WHERE s.pair = r.pair AND s.side = r.side AND s.operation = 'associate') AS associations_added,
    (SELECT count(*) FROM succeeded s WHERE s.pair = r.pair AND s.side = r.side AND s.operation = 'dissociate') AS associations_removed
FROM run_reads r
ORDER BY r.ordinal
