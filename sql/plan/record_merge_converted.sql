-- One row per linked Lead converted into a Contact that is already linked to another record of the pair:
-- the conversion merged two linked people, so it is handled as a merge seen in Salesforce (loser: the
-- Lead, survivor: the Contact, and what the Lead is linked to). A Lead converted into a new or unlinked
-- Contact is no merge: the match stage moved its link (match/relink_converted_leads.sql). A Contact that
-- is the master of a linked record merged away counts as linked: that merge, handled first, moves its
-- link there, and a Contact's link outranks a Lead's.
-- Identifiers in braces: the pair's Salesforce snapshot, and merge_survivors a subquery of those masters
-- (match/moved_links.py linked_merge_survivors). Parameters: $pair.
SELECT s.id AS loser_id, s."ConvertedContactId" AS survivor_id, l.salesforce_object, l.hubspot_id AS loser_partner
FROM {salesforce_table} s
JOIN links l ON l.pair = $pair AND l.salesforce_id = s.id AND l.salesforce_object = 'Lead'
WHERE s._sobject = 'Lead' AND NOT coalesce(s._deleted, false)
  AND s."IsConverted" = 'true' AND s."ConvertedContactId" IS NOT NULL
  AND (s."ConvertedContactId" IN (SELECT salesforce_id FROM links WHERE pair = $pair AND hubspot_id <> l.hubspot_id)
       OR s."ConvertedContactId" IN ({merge_survivors}))
ORDER BY s."ConvertedContactId", s.id
