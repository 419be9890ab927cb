-- One row per planned field write (temp table `planned_writes`) that would close a ping-pong cycle,
-- `loop` saying which kind:
-- - two_sided: crmsync already wrote this very value to the target (write A), the target turned it into
--   another value, crmsync carried that one to the source side (write B), and the source now holds the
--   first value again (A and B are crmsync's latest two writes of that link and field);
-- - one_sided: crmsync's latest write of that link and field (B) already sent this very value to the
--   same target, and the target now holds another value: the target turned it around and the direction
--   would send it again (always_<source>, or prefer_<source> while the source holds a value).
-- The writes are confirmed, in the pair's last $recent_runs runs that wrote anything, and after the
-- field's last ping-pong review item was settled and after the last undo that wrote it (a resolution or
-- an undo starts the count afresh: an undo's write is a person's decision, never automation's, and has
-- no plan row to count as write A or B). Who made the
-- rewrites is judged by the caller
-- (plan/ping_pong.py) from the Salesforce facts that come along: the user an extract saw change the
-- field (else the record's last modifier), and whether any user but crmsync's and the automation users
-- edited the record since crmsync's write to Salesforce: after the stamp Salesforce gave that write when
-- an extract has seen it, else within 2 s of clock skew of crmsync's own time of the write (a record a
-- person created a second before the sync that wrote it is no edit since).
-- Parameters: $pair, $recent_runs, $integration_user, $automation_users. Placeholder: {salesforce_table}.
WITH recent_runs AS (
    SELECT run_id FROM audit_log
    WHERE pair = $pair AND outcome = 'confirmed'
    GROUP BY run_id
    ORDER BY max(intended_at) DESC
    LIMIT $recent_runs
),
settled AS (
    SELECT hubspot_id, detail ->> 'field' AS field, max(settled_at) AS settled_at
    FROM review_items
    WHERE pair = $pair AND kind = 'ping_pong' AND settled_at IS NOT NULL
    GROUP BY ALL
),
undone AS (  -- the latest confirmed write of an undo (`crmsync undo`) to each planned link and field
    SELECT w.hubspot_id, w.field, max(a.intended_at) AS undone_at
    FROM audit_log a
    JOIN planned_writes w
      ON (a.target = 'salesforce' AND a.record_id = w.salesforce_id AND a.field = w.salesforce_field)
      OR (a.target = 'hubspot' AND a.record_id = w.hubspot_id AND a.field = w.hubspot_field)
    WHERE a.pair = $pair AND a.outcome = 'confirmed' AND a.run_id LIKE 'undo-%'
    GROUP BY ALL
),
field_writes AS (  -- one row per run, target, link and field crmsync wrote
    SELECT a.run_id, a.target, p.hubspot_id, p.field,
           any_value(p.canonical_value) AS value, max(a.intended_at) AS intended_at
    FROM audit_log a
    JOIN plan_rows p
      ON p.run_id = a.run_id AND p.pair = a.pair AND p.target = a.target AND p.action = 'update'
     AND p.record_ref = a.source_id AND p.target_field = a.field
    WHERE a.pair = $pair AND a.outcome = 'confirmed' AND NOT a.created_record
      AND a.run_id IN (SELECT run_id FROM recent_runs)
      AND EXISTS (SELECT 1 FROM planned_writes w WHERE w.hubspot_id = p.hubspot_id AND w.field = p.field)
    GROUP BY ALL
),
writes AS (
    SELECT f.*, row_number() OVER (PARTITION BY f.hubspot_id, f.field ORDER BY f.intended_at DESC) AS nth
    FROM field_writes f
    LEFT JOIN settled s ON s.hubspot_id = f.hubspot_id AND s.field = f.field
    LEFT JOIN undone u ON u.hubspot_id = f.hubspot_id AND u.field = f.field
    WHERE (s.settled_at IS NULL OR f.intended_at > s.settled_at)
      AND (u.undone_at IS NULL OR f.intended_at > u.undone_at)
),
cycles AS (
    SELECT w.*, b.value AS carried, a.run_id AS first_run, b.run_id AS second_run,
           CASE WHEN w.target = 'salesforce' THEN a.intended_at ELSE b.intended_at END AS salesforce_written_at
    FROM planned_writes w
    JOIN writes b ON b.hubspot_id = w.hubspot_id AND b.field = w.field AND b.nth = 1
    JOIN writes a ON a.hubspot_id = w.hubspot_id AND a.field = w.field AND a.nth = 2
    WHERE b.target = w.source AND b.value IS DISTINCT FROM w.value
      AND a.target = w.target AND a.value IS NOT DISTINCT FROM w.value
      AND w.target_value IS NOT DISTINCT FROM b.value
),
one_sided AS (
    SELECT w.*, 'one_sided' AS loop, b.run_id AS first_run, NULL::VARCHAR AS second_run,
           CASE WHEN w.target = 'salesforce' THEN b.intended_at END AS salesforce_written_at
    FROM planned_writes w
    JOIN writes b ON b.hubspot_id = w.hubspot_id AND b.field = w.field AND b.nth = 1
    WHERE b.target = w.target AND b.value IS NOT DISTINCT FROM w.value
      AND w.target_value IS DISTINCT FROM w.value
),
found AS (
    SELECT hubspot_id, salesforce_object, salesforce_id, field, salesforce_field, target,
           hubspot_value, salesforce_value, hubspot_raw, salesforce_raw,
           'two_sided' AS loop, first_run, second_run, salesforce_written_at
    FROM cycles
    UNION ALL
    SELECT hubspot_id, salesforce_object, salesforce_id, field, salesforce_field, target,
           hubspot_value, salesforce_value, hubspot_raw, salesforce_raw,
           loop, first_run, second_run, salesforce_written_at
    FROM one_sided
)
SELECT
    c.hubspot_id, c.salesforce_object, c.salesforce_id, c.field, c.target,
    c.hubspot_value, c.salesforce_value, c.hubspot_raw, c.salesforce_raw,
    c.first_run, c.second_run,
    coalesce(ft.changed_by, s._last_modified_by_id) AS salesforce_changed_by,
    EXISTS (
        SELECT 1 FROM salesforce_edit_times e
        WHERE e.salesforce_id = c.salesforce_id
          AND e.modified_by IS DISTINCT FROM $integration_user
          AND NOT list_contains($automation_users::VARCHAR[], e.modified_by)
          AND e.edited_at > coalesce(
                  -- the stamp Salesforce gave crmsync's write, once an extract saw it: an edit the
                  -- write's own run had already read (stamped before it) is no edit since
                  (SELECT max(i.edited_at) FROM salesforce_edit_times i
                   WHERE i.salesforce_id = c.salesforce_id AND i.modified_by = $integration_user
                     AND i.edited_at >= c.salesforce_written_at - INTERVAL 2 SECOND),
                  c.salesforce_written_at - INTERVAL 2 SECOND)
    ) AS person_edited_salesforce,
    c.loop
FROM found c
LEFT JOIN {salesforce_table} s ON s.id = c.salesforce_id
LEFT JOIN salesforce_field_times ft ON ft.salesforce_id = c.salesforce_id AND ft.field = c.salesforce_field
ORDER BY c.hubspot_id, c.field
