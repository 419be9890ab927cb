-- One row per link and field of the pair held out of the sync for a ping-pong loop: the latest
-- `ping_pong` review item of that link and field is still open, or was settled with 'skip' (hold for good).
-- Parameters: $pair.
SELECT hubspot_id, field, item_id, settled_at IS NULL AS open
FROM (
    SELECT item_id, hubspot_id, detail ->> 'field' AS field, settled_at, resolution,
           row_number() OVER (PARTITION BY hubspot_id, detail ->> 'field' ORDER BY opened_at DESC) AS nth
    FROM review_items
    WHERE pair = $pair AND kind = 'ping_pong'
)
WHERE nth = 1 AND (settled_at IS NULL OR resolution = 'skip')
