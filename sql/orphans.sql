-- One row per link whose record is gone on one side (archived in HubSpot, deleted in Salesforce,
-- including the loser of a Salesforce merge): an orphan, reported and not propagated by default.
-- Identifiers in braces are the pair's snapshots. Parameters: $pair.
SELECT l.hubspot_id, l.salesforce_id,
       CASE WHEN coalesce(h._archived, false) THEN 'hubspot' ELSE 'salesforce' END AS deleted_in,
       s._master_record_id AS merged_into
FROM links l
LEFT JOIN {hubspot_table} h ON h.id = l.hubspot_id
LEFT JOIN {salesforce_table} s ON s.id = l.salesforce_id
WHERE l.pair = $pair AND (coalesce(h._archived, false) OR coalesce(s._deleted, false))
ORDER BY l.hubspot_id
