-- Re-point every link whose Salesforce record is a converted Lead to the Contact the conversion made
-- (or reused), unless that Contact is already linked to another HubSpot record, or is the master of a
-- linked record merged away (the merge's link moves there in the plan stage): then it is a merge of two
-- linked records (plan/record_merge_converted.sql). Nor is a Contact taken that carries another live
-- HubSpot record's id which carries the Contact's back: the two were linked (a lost state file rebuilt
-- while the Contact was in the Recycle Bin); the ids link them again once it is back, and the conversion
-- is then a merge of two linked records.
-- Identifiers in braces: the pair's Salesforce and HubSpot snapshots, merge_survivors a subquery of those
-- masters (match/moved_links.py linked_merge_survivors), and paired_contacts a subquery of the Contacts
-- whose cross-reference ids name a live HubSpot record that names them back (match/review.py).
-- Parameters: $pair, $now, $run_id.
UPDATE links l
SET salesforce_object = 'Contact', salesforce_id = s."ConvertedContactId", matched_by = 'converted_lead',
    linked_at = $now, run_id = $run_id
FROM {salesforce_table} s
WHERE l.pair = $pair AND l.salesforce_id = s.id AND l.salesforce_object = 'Lead'
  AND s."IsConverted" = 'true' AND s."ConvertedContactId" IS NOT NULL
  AND s."ConvertedContactId" NOT IN (SELECT salesforce_id FROM links WHERE pair = $pair)
  AND s."ConvertedContactId" NOT IN ({merge_survivors})
  AND s."ConvertedContactId" NOT IN (SELECT contact_id FROM ({paired_contacts}) p WHERE p.hubspot_id <> l.hubspot_id)
