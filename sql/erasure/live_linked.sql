-- One row per link of a pair not yet known to be gone for good (vanished_records): both ids, the
-- Salesforce object, and whether the mirror holds the HubSpot record archived or the Salesforce record
-- deleted. {hubspot_table} and {salesforce_table} are the pair's snapshot tables, filled only with
-- state.names.quoted() names.
-- Parameters: $pair.
SELECT l.hubspot_id, coalesce(h._archived, false), l.salesforce_object, l.salesforce_id,
       coalesce(s._deleted, false)
FROM links l
LEFT JOIN {hubspot_table} h ON h.id = l.hubspot_id
LEFT JOIN {salesforce_table} s ON s.id = l.salesforce_id
WHERE l.pair = $pair
  AND NOT EXISTS (SELECT 1 FROM vanished_records v WHERE v.pair = l.pair
                  AND v.record_id IN (l.hubspot_id, l.salesforce_id))
ORDER BY l.hubspot_id
