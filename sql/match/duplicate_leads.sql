-- One row per unlinked Salesforce record of the same or a less preferred sObject (a Lead) that shares a
-- match key value with a Salesforce record already linked in this pair (the person's Contact, or the
-- Lead kept of two Leads): a duplicate to review, never a second HubSpot record. Parameters: $pair.
SELECT DISTINCT
    other.record_id AS duplicate_id,
    other.sobject AS duplicate_object,
    l.hubspot_id,
    l.salesforce_id AS linked_salesforce_id,
    linked.key_kind
FROM links l
JOIN match_keys linked
  ON linked.side = 'salesforce' AND linked.record_id = l.salesforce_id
JOIN match_keys other
  ON other.side = 'salesforce' AND other.key_kind = linked.key_kind AND other.key_value = linked.key_value
 AND other.record_id <> l.salesforce_id AND other.sobject_rank >= linked.sobject_rank
WHERE l.pair = $pair
  AND other.record_id NOT IN (SELECT salesforce_id FROM links WHERE pair = $pair)
ORDER BY duplicate_id
