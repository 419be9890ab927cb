-- One row per link and field held out of the sync for a ping-pong loop (CRM automation on both sides,
-- or on one side against an always_* direction, turning the value around, plan/ping_pong.py): its open
-- `ping_pong` review item, both values and the automation suspected. Settle with
-- `crmsync review resolve ITEM --resume` (or --keep).
-- No parameters.
SELECT pair,
       hubspot_id,
       salesforce_ids[1] AS salesforce_id,
       detail ->> 'field' AS field,
       detail ->> 'hubspot' AS hubspot_value,
       detail ->> 'salesforce' AS salesforce_value,
       detail ->> 'suspected' AS suspected,
       opened_at,
       item_id
FROM review_items
WHERE kind = 'ping_pong' AND settled_at IS NULL
ORDER BY opened_at, pair, hubspot_id, field
