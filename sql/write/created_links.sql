-- One row per record this run created on $target for the pair, among the creates whose source ids are
-- $refs: the link the confirmed create made (hubspot_id, salesforce_object, salesforce_id). A create
-- that failed made no link and is left out, unless HubSpot took the record and refused only its
-- association: that record exists and is linked (sql/write/apply_outcomes.sql), so it is read back too.
-- Parameters: $pair, $run_id, $target ('hubspot' | 'salesforce'), $refs (the creates' source ids).
SELECT l.hubspot_id, l.salesforce_object, l.salesforce_id
FROM links l
WHERE l.pair = $pair AND l.matched_by = 'created' AND l.run_id = $run_id
  AND CASE WHEN $target = 'salesforce' THEN l.hubspot_id ELSE l.salesforce_id END
      IN (SELECT unnest($refs::VARCHAR[]))
ORDER BY l.hubspot_id
