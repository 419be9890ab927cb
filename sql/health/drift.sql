-- One row per linked record x mapped field whose two sides still differ after the last sync although
-- the merge says one side should carry its value to the other (temp table field_decisions: the plan's
-- three-way merge over the snapshots the writes were reflected into), and the sending side's inclusion
-- rule admits the record (temp table included_records). Never-set empties, create_only and `none`
-- fields, and values held for review are not drift (nor a field held for a ping-pong loop: the
-- ping_pong check counts it; nor one whose write the CRM refused alone, held in a not_applied item
-- that open_reviews counts); failing writes are, and the errors check says why.
-- No parameters: it reads the temp tables field_decisions and included_records.
SELECT d.pair, d.hubspot_id, d.salesforce_object, d.salesforce_id, d.field, d.decision, d.reason,
       d.hubspot_value, d.salesforce_value, d.base_value
FROM field_decisions d
WHERE d.decision IN ('write_hubspot', 'write_salesforce')
  AND d.hubspot_value IS DISTINCT FROM d.salesforce_value
  AND NOT EXISTS (
      SELECT 1 FROM review_items r
      WHERE r.kind IN ('ping_pong', 'not_applied') AND r.pair = d.pair AND r.hubspot_id = d.hubspot_id
        AND r.detail ->> 'field' = d.field AND (r.settled_at IS NULL OR r.resolution = 'skip'))
  AND EXISTS (
      SELECT 1 FROM included_records i
      WHERE (d.decision = 'write_salesforce' AND i.side = 'hubspot' AND i.id = d.hubspot_id)
         OR (d.decision = 'write_hubspot' AND i.side = 'salesforce' AND i.id = d.salesforce_id))
ORDER BY d.pair, d.field, d.hubspot_id
