-- Drops the first_link_values rows of a pair that no longer stand for a field judged without a base: the
-- field has a base since (a write landed, or the sides came to agree), or the link is gone or now names
-- another Salesforce record. Parameters: $pair.
DELETE FROM first_link_values f
WHERE f.pair = $pair
  AND (EXISTS (SELECT 1 FROM base_values b WHERE b.pair = f.pair AND b.hubspot_id = f.hubspot_id AND b.field = f.field)
       OR NOT EXISTS (SELECT 1 FROM links l WHERE l.pair = f.pair AND l.hubspot_id = f.hubspot_id
                                           AND l.salesforce_id = f.salesforce_id))
