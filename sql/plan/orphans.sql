-- One row per link whose record is gone on one side or both: archived in HubSpot, deleted in
-- Salesforce (the loser of a Salesforce merge included: merged_into holds its master), or vanished for
-- good (a GDPR delete, a hard delete: table vanished_records). What happens to it is the pair's
-- `deletes:` policy (report, propagate, restore). Identifiers in braces are the pair's snapshots.
-- Parameters: $pair.
WITH gone AS (
    SELECT l.hubspot_id, l.salesforce_object, l.salesforce_id,
           coalesce(h._archived, false) OR vh.record_id IS NOT NULL AS hubspot_gone,
           coalesce(s._deleted, false) OR vs.record_id IS NOT NULL AS salesforce_gone,
           vh.record_id IS NOT NULL OR vs.record_id IS NOT NULL AS vanished,
           s._master_record_id AS merged_into
    FROM links l
    LEFT JOIN {hubspot_table} h ON h.id = l.hubspot_id
    LEFT JOIN {salesforce_table} s ON s.id = l.salesforce_id
    LEFT JOIN vanished_records vh ON vh.pair = l.pair AND vh.side = 'hubspot'
         AND vh.record_id = l.hubspot_id AND vh.settled_at IS NULL
    LEFT JOIN vanished_records vs ON vs.pair = l.pair AND vs.side = 'salesforce'
         AND vs.record_id = l.salesforce_id AND vs.settled_at IS NULL
    WHERE l.pair = $pair
)
SELECT hubspot_id, salesforce_object, salesforce_id,
       CASE WHEN hubspot_gone AND salesforce_gone THEN 'both'
            WHEN hubspot_gone THEN 'hubspot' ELSE 'salesforce' END AS deleted_in,
       merged_into, vanished
FROM gone
WHERE hubspot_gone OR salesforce_gone
ORDER BY hubspot_id
