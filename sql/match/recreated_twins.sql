-- One row per link with one record gone (archived in HubSpot or deleted in Salesforce, not merged) whose
-- live twin shares a match-key value with exactly one live, unlinked record of the gone side that no
-- review item holds (an open duplicate_hubspot / duplicate_salesforce item does not count: it held the
-- record only while the old one looked live, match/linked_twins.py): a person re-created the record (a
-- new HubSpot contact with the archived one's email), and it takes the old record's place. Reads the
-- temp table `match_keys`; the identifiers in braces are the pair's snapshot tables, {not_merged}
-- tests that the Salesforce row is no merge loser, and the placeholder hubspot_merge_losers is a
-- subquery of the HubSpot ids a live survivor lists as merged into it (match/merge_losers.py): a merge
-- loser's link is the plan's to move to the survivor (plan/record_merges.py), never a re-creation.
-- Parameters: $pair.
WITH orphaned AS (
    SELECT l.hubspot_id, l.salesforce_id,
           CASE WHEN coalesce(h._archived, false) THEN 'hubspot' ELSE 'salesforce' END AS deleted_in
    FROM links l
    JOIN {hubspot_table} h ON h.id = l.hubspot_id
    JOIN {salesforce_table} s ON s.id = l.salesforce_id
    WHERE l.pair = $pair AND coalesce(h._archived, false) <> coalesce(s._deleted, false)
      AND {not_merged}
      AND l.hubspot_id NOT IN ({hubspot_merge_losers})
),
held AS (
    SELECT hubspot_id AS record_id FROM review_items
    WHERE pair = $pair AND (settled_at IS NULL OR resolution = 'skip') AND hubspot_id IS NOT NULL
      AND NOT (settled_at IS NULL AND kind IN ('duplicate_hubspot', 'duplicate_salesforce'))
    UNION ALL
    SELECT unnest(salesforce_ids) FROM review_items
    WHERE pair = $pair AND (settled_at IS NULL OR resolution = 'skip') AND kind <> 'orphan'
      AND NOT (settled_at IS NULL AND kind IN ('duplicate_hubspot', 'duplicate_salesforce'))
),
candidates AS (
    SELECT o.hubspot_id, o.salesforce_id, o.deleted_in, n.record_id AS new_id, n.sobject AS new_sobject,
           twin.key_kind
    FROM orphaned o
    JOIN match_keys twin
      ON twin.side = CASE WHEN o.deleted_in = 'hubspot' THEN 'salesforce' ELSE 'hubspot' END
     AND twin.record_id = CASE WHEN o.deleted_in = 'hubspot' THEN o.salesforce_id ELSE o.hubspot_id END
    JOIN match_keys n
      ON n.side = o.deleted_in AND n.key_kind = twin.key_kind AND n.key_value = twin.key_value
    WHERE twin.key_kind NOT IN ('salesforce_id_in_hubspot', 'hubspot_id_in_salesforce')
      AND n.record_id NOT IN (SELECT hubspot_id FROM links WHERE pair = $pair)
      AND n.record_id NOT IN (SELECT salesforce_id FROM links WHERE pair = $pair)
      AND n.record_id NOT IN (SELECT record_id FROM held WHERE record_id IS NOT NULL)
)
SELECT hubspot_id, salesforce_id, deleted_in, any_value(new_id) AS new_id, any_value(new_sobject) AS new_sobject
FROM candidates
GROUP BY hubspot_id, salesforce_id, deleted_in
HAVING count(DISTINCT new_id) = 1
ORDER BY hubspot_id
