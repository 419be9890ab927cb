-- One row per unlinked Salesforce record that shares a match-key value with another unlinked Salesforce
-- record of the pair (the same person as a Contact and a forgotten Lead, or two Contacts). `kept` is
-- the record that may be created in HubSpot: the single one of the most preferred sObject, if there is
-- exactly one; every other record of the group is held for review. Parameters: $pair.
WITH unlinked AS (
    SELECT record_id, sobject, key_kind, key_value, sobject_rank
    FROM match_keys
    WHERE side = 'salesforce' AND key_kind NOT IN ('salesforce_id_in_hubspot', 'hubspot_id_in_salesforce')
      AND record_id NOT IN (SELECT salesforce_id FROM links WHERE pair = $pair)
),
groups AS (
    SELECT key_kind, key_value, min(sobject_rank) AS best_rank,
           count(*) FILTER (WHERE true) AS members
    FROM unlinked GROUP BY key_kind, key_value HAVING count(DISTINCT record_id) > 1
),
preferred AS (
    SELECT u.key_kind, u.key_value, CASE WHEN count(*) = 1 THEN any_value(u.record_id) END AS kept
    FROM unlinked u JOIN groups g USING (key_kind, key_value)
    WHERE u.sobject_rank = g.best_rank
    GROUP BY u.key_kind, u.key_value
)
SELECT u.record_id, u.sobject, u.key_kind, p.kept
FROM unlinked u JOIN preferred p USING (key_kind, key_value)
WHERE p.kept IS NULL OR u.record_id <> p.kept
ORDER BY u.record_id
