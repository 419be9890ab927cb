-- One row per (live unlinked record, twin) where the record shares a match-key value with a live record
-- of the other side that is already linked to a different record, its partner (on the new record's
-- side). Either the partner is gone and crmsync has not seen it yet (HubSpot archives are listed at most
-- once per CRMSYNC_HUBSPOT_ARCHIVE_CHECK_MINUTES; a Salesforce hard delete never shows in queryAll), so
-- the new record is its re-creation; or the partner is live and the new record is the same person
-- twice on one side. Either way the key loop cannot link it (its twin is taken) and the plan would
-- create it a second time. Records held by review are left out, except by this check's own open items
-- (`held` true), which are looked at again. `partner_gone`: the snapshot already knows the partner is
-- archived / deleted. A record that is the survivor of a CRM merge of the partner is left out: the
-- plan moves the link to it (the placeholder merge_survivor, match/merge_losers.py, over the partner's row `ph` / `ps`
-- and the new HubSpot record's row `nh`). Reads the temp table `match_keys`; the identifiers in braces
-- are the pair's snapshot tables and {kinds} this check's review kinds as a SQL list. Parameters: $pair.
WITH linked AS (
    SELECT hubspot_id, salesforce_object, salesforce_id FROM links WHERE pair = $pair
),
twins AS (
    SELECT 'salesforce' AS twin_side, salesforce_id AS twin_id, hubspot_id AS partner_id,
           NULL::VARCHAR AS partner_sobject
    FROM linked
    UNION ALL
    SELECT 'hubspot', hubspot_id, salesforce_id, salesforce_object FROM linked
),
items AS (
    SELECT hubspot_id, salesforce_ids, kind IN {kinds} AND settled_at IS NULL AS own
    FROM review_items
    WHERE pair = $pair AND (settled_at IS NULL OR resolution = 'skip')
),
held AS (
    SELECT hubspot_id AS record_id, own FROM items WHERE hubspot_id IS NOT NULL
    UNION ALL
    SELECT unnest(salesforce_ids), own FROM items
)
SELECT DISTINCT
    n.record_id AS new_id,
    n.side AS new_side,
    t.twin_id,
    t.partner_id,
    t.partner_sobject,
    CASE WHEN n.side = 'hubspot' THEN coalesce(ph._archived, false)
         ELSE coalesce(ps._deleted, false) END AS partner_gone,
    n.record_id IN (SELECT record_id FROM held WHERE own) AS held,
    tk.key_kind
FROM twins t
JOIN match_keys tk ON tk.side = t.twin_side AND tk.record_id = t.twin_id
JOIN match_keys n ON n.side <> t.twin_side AND n.key_kind = tk.key_kind AND n.key_value = tk.key_value
LEFT JOIN {hubspot_table} ph ON n.side = 'hubspot' AND ph.id = t.partner_id
LEFT JOIN {salesforce_table} ps ON n.side = 'salesforce' AND ps.id = t.partner_id
LEFT JOIN {hubspot_table} nh ON n.side = 'hubspot' AND nh.id = n.record_id
WHERE tk.key_kind NOT IN ('salesforce_id_in_hubspot', 'hubspot_id_in_salesforce')
  AND n.record_id <> t.partner_id
  AND NOT {merge_survivor}
  AND n.record_id NOT IN (SELECT hubspot_id FROM linked)
  AND n.record_id NOT IN (SELECT salesforce_id FROM linked)
  AND n.record_id NOT IN (SELECT record_id FROM held WHERE NOT own AND record_id IS NOT NULL)
ORDER BY new_side, new_id, twin_id, key_kind
