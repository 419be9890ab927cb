-- One row per merge crmsync left to a person (review, or a mirror that failed) whose other side has
-- since been merged by hand: its partner-to-be-merged is now a merged-away record (Salesforce: deleted
-- with a MasterRecordId; HubSpot: named in a survivor's hs_merged_object_ids).
-- Identifiers in braces: the pair's snapshots and the HubSpot merged-ids expression. Parameters: $pair.
SELECT m.side, m.loser_id, m.other_loser_id
FROM record_merges m
WHERE m.pair = $pair AND m.action IN ('review', 'mirror') AND m.status IN ('open', 'failed')
  AND ((m.side = 'hubspot' AND m.other_loser_id IN (
            SELECT id FROM {salesforce_table} WHERE coalesce(_deleted, false) AND _master_record_id IS NOT NULL))
    OR (m.side = 'salesforce' AND m.other_loser_id IN ({hubspot_merged_ids})))
