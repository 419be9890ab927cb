-- One row per linked HubSpot record merged into another (a loser named in a survivor's
-- hs_merged_object_ids while its link still stands): the loser, the survivor, and what each is linked to.
-- Identifiers in braces: the pair's HubSpot snapshot. Parameters: $pair.
WITH named AS (
    SELECT h.id AS survivor_id, trim(m.loser_id) AS loser_id, m.position
    FROM {hubspot_table} h,
         unnest(string_split(h.hs_merged_object_ids, ';')) WITH ORDINALITY AS m(loser_id, position)
    WHERE h.hs_merged_object_ids IS NOT NULL AND NOT coalesce(h._archived, false)
)
SELECT n.loser_id, n.survivor_id, l.salesforce_object, l.salesforce_id AS loser_partner
FROM named n
JOIN links l ON l.pair = $pair AND l.hubspot_id = n.loser_id
WHERE n.loser_id <> n.survivor_id
ORDER BY n.survivor_id, n.position
