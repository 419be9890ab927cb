-- One row per linked Salesforce record merged into another (deleted with a MasterRecordId while its link
-- still stands): the loser, the master (survivor), and what the loser is linked to.
-- Identifiers in braces: the pair's Salesforce snapshot. Parameters: $pair.
SELECT s.id AS loser_id, s._master_record_id AS survivor_id, l.salesforce_object, l.hubspot_id AS loser_partner
FROM {salesforce_table} s
JOIN links l ON l.pair = $pair AND l.salesforce_id = s.id
WHERE coalesce(s._deleted, false) AND s._master_record_id IS NOT NULL AND s._master_record_id <> s.id
ORDER BY s._master_record_id, s.id
