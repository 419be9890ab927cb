-- Record what one batch's CRM call answered, for every record in `write_outcomes`: confirm or fail the
-- audit intents (a failed record's fields the CRM took all the same, `applied_fields`, are confirmed:
-- HubSpot took the properties and refused an association), keep per-record results, keep the errors
-- table (first/last seen, attempts; a record that synced leaves it), link created records (a create
-- HubSpot took whose association it refused too: the record exists, `taken_creates`), and move base to
-- what the CRM confirmed, never further.
-- A created record's mapped fields that the create left empty are agreed empty (a NULL base): both
-- sides are empty, so the first edit of either side next cycle is a change, not a first link.
-- Parameters: $run_id, $pair, $target, $now, $agreed_empty (the pair's mapped field names).

-- The batch's plan rows, found once: plan_rows holds every record of the run, and each statement below
-- scanning it again cost a first sync of 100,000 contacts most of its bookkeeping time.
CREATE OR REPLACE TEMP TABLE batch_plan AS
SELECT p.* FROM plan_rows p
WHERE p.run_id = $run_id AND p.pair = $pair AND p.target = $target
  AND p.record_ref IN (SELECT record_ref FROM write_outcomes);

-- The creates the CRM took although the record failed (its association refused): HubSpot holds the
-- record and the fields in applied_fields, so it is linked and its base moves for those fields alone.
CREATE OR REPLACE TEMP TABLE taken_creates AS
SELECT o.record_ref FROM write_outcomes o
WHERE NOT o.succeeded AND o.record_id IS NOT NULL AND len(o.applied_fields) > 0
  AND EXISTS (SELECT 1 FROM batch_plan p WHERE p.record_ref = o.record_ref AND p.action = 'create');

-- The rows this batch sent, whose base may move: those with an open audit intent. A record written once
-- already in this run sends only its follow-ups; its other rows (confirmed, or failed) stay as they are.
CREATE OR REPLACE TEMP TABLE batch_sent AS
SELECT p.* FROM batch_plan p
WHERE EXISTS (SELECT 1 FROM audit_log a WHERE a.run_id = $run_id AND a.pair = $pair AND a.target = $target
              AND a.source_id = p.record_ref AND a.field = p.target_field AND a.outcome = 'intended');

UPDATE audit_log a
SET outcome = CASE WHEN o.succeeded OR list_contains(o.applied_fields, a.field) THEN 'confirmed' ELSE 'failed' END,
    confirmed_at = CASE WHEN o.succeeded OR list_contains(o.applied_fields, a.field) THEN $now END,
    record_id = coalesce(a.record_id, o.record_id)
FROM write_outcomes o
WHERE a.run_id = $run_id AND a.pair = $pair AND a.target = $target
  AND a.source_id = o.record_ref AND a.outcome = 'intended';

INSERT INTO write_results
SELECT $run_id, $pair, $target, o.record_ref,
       (SELECT any_value(action) FROM batch_plan p WHERE p.record_ref = o.record_ref),
       o.succeeded, o.error_code, o.error_message, o.error_fields, $now
FROM write_outcomes o;

INSERT INTO sync_errors
SELECT $pair, $target, o.record_ref, o.error_code, o.error_message, $now, $now, 1, $run_id
FROM write_outcomes o
WHERE NOT o.succeeded
ON CONFLICT (pair, target, record_ref) DO UPDATE SET
    error_code = excluded.error_code,
    error_message = excluded.error_message,
    last_seen = excluded.last_seen,
    attempts = sync_errors.attempts + 1,
    last_run_id = excluded.last_run_id;

-- A linked record written in full settles its errors, those a taken create left under its source id too
-- (the create's ref): the next run writes the refused association to the linked record, as an update.
DELETE FROM sync_errors
WHERE pair = $pair AND target = $target
  AND record_ref IN (SELECT record_ref FROM write_outcomes WHERE succeeded
                     UNION ALL
                     SELECT CASE WHEN $target = 'hubspot' THEN p.salesforce_id ELSE p.hubspot_id END
                     FROM write_outcomes o JOIN batch_plan p ON p.record_ref = o.record_ref
                     WHERE o.succeeded AND p.action = 'update');

INSERT INTO links
SELECT DISTINCT $pair,
       CASE WHEN $target = 'hubspot' THEN o.record_id ELSE p.hubspot_id END,
       p.salesforce_object,
       CASE WHEN $target = 'salesforce' THEN o.record_id ELSE p.salesforce_id END,
       'created', $now, $run_id
FROM write_outcomes o
JOIN batch_plan p ON p.record_ref = o.record_ref
WHERE (o.succeeded OR o.record_ref IN (SELECT record_ref FROM taken_creates)) AND p.action = 'create'
ON CONFLICT DO NOTHING;

INSERT INTO base_values
SELECT $pair,
       CASE WHEN $target = 'hubspot' AND p.action = 'create' THEN o.record_id ELSE p.hubspot_id END,
       p.field, p.canonical_value, $now, $run_id
FROM write_outcomes o
JOIN batch_sent p ON p.record_ref = o.record_ref
WHERE (o.succeeded OR ((p.action = 'update' OR o.record_ref IN (SELECT record_ref FROM taken_creates))
                         AND list_contains(o.applied_fields, p.target_field)))
  AND p.preflight_error IS NULL
  -- lookups planned as updates keep a base (creates' lookup rows and the removal half of a move do not)
  AND (p.field NOT LIKE '@%' OR (p.action = 'update' AND p.field LIKE '@association:%' AND p.field NOT LIKE '%:replaced'))
ON CONFLICT (pair, hubspot_id, field) DO UPDATE SET
    value = excluded.value, agreed_at = excluded.agreed_at, run_id = excluded.run_id;

INSERT INTO base_values
SELECT DISTINCT $pair, CASE WHEN $target = 'hubspot' THEN o.record_id ELSE p.hubspot_id END,
       f.field, NULL, $now, $run_id
FROM write_outcomes o
JOIN batch_sent p ON p.record_ref = o.record_ref
CROSS JOIN (SELECT unnest($agreed_empty::VARCHAR[]) AS field) f
WHERE (o.succeeded OR o.record_ref IN (SELECT record_ref FROM taken_creates)) AND p.action = 'create'
ON CONFLICT DO NOTHING;
