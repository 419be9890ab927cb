-- Re-point every link whose Salesforce record is a converted Lead to the Contact the conversion made
-- (or reused), unless that Contact is already linked to another HubSpot record (then review decides).
-- Identifiers in braces are the pair's Salesforce snapshot. Parameters: $pair, $now, $run_id.
UPDATE links l
SET salesforce_object = 'Contact', salesforce_id = s."ConvertedContactId", matched_by = 'converted_lead',
    linked_at = $now, run_id = $run_id
FROM {salesforce_table} s
WHERE l.pair = $pair AND l.salesforce_id = s.id AND l.salesforce_object = 'Lead'
  AND s."IsConverted" = 'true' AND s."ConvertedContactId" IS NOT NULL
  AND s."ConvertedContactId" NOT IN (SELECT salesforce_id FROM links WHERE pair = $pair)
