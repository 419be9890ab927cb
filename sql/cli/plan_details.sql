-- One row per plan row of one run that `crmsync plan` lists: the first $limit records of each
-- (pair, target), creates first, then updates, then record-level actions (delete, archive, erase,
-- restore), each record with every field the run would write to it. `records` is how many records
-- the (pair, target) has in all, `erased` whether the record belongs to an erased person (an id in
-- table erasures, or a record this run erases), whose values are never shown.
-- Parameters: $run_id, $limit.
WITH erased_ids AS (
    SELECT pair, hubspot_id AS id FROM erasures WHERE hubspot_id IS NOT NULL
    UNION SELECT pair, salesforce_id FROM erasures WHERE salesforce_id IS NOT NULL
    UNION SELECT pair, hubspot_id FROM plan_rows WHERE run_id = $run_id AND action = 'erase' AND hubspot_id IS NOT NULL
    UNION SELECT pair, salesforce_id FROM plan_rows WHERE run_id = $run_id AND action = 'erase' AND salesforce_id IS NOT NULL
),
records AS (
    SELECT pair, target, record_ref,
           min(CASE action WHEN 'create' THEN 1 WHEN 'update' THEN 2 ELSE 3 END) AS kind_order,
           any_value(action) FILTER (WHERE field = '@record') AS record_action
    FROM plan_rows WHERE run_id = $run_id GROUP BY ALL
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY pair, target ORDER BY kind_order, record_ref) AS n,
           count(*) OVER (PARTITION BY pair, target) AS records
    FROM records
)
SELECT p.pair, p.target, p.record_ref, coalesce(r.record_action, p.action) AS action, p.hubspot_id,
       p.salesforce_object, p.salesforce_id, p.field, p.target_field, p.old_value, p.new_value, p.reason,
       p.preflight_error, r.records,
       EXISTS (SELECT 1 FROM erased_ids e WHERE e.pair = p.pair
               AND e.id IN (p.record_ref, p.hubspot_id, p.salesforce_id)) AS erased
FROM plan_rows p
JOIN ranked r USING (pair, target, record_ref)
WHERE p.run_id = $run_id AND r.n <= $limit
ORDER BY p.pair, p.target, r.n, p.field
