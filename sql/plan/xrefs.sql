-- One plan row per linked record whose own side does not hold the other side's id yet: the
-- cross-reference that lets a lost state file be rebuilt and a repeated create find its record.
-- Records created in this run are not in the snapshots; they got their cross-reference as the
-- upsert key when created. Identifiers in braces are validated column/table names from the mapping.
-- Parameters: $run_id, $pair, $now, $hubspot_field, $salesforce_field.
INSERT INTO plan_rows
SELECT $run_id, $pair, 'hubspot', 'update', l.hubspot_id, l.hubspot_id, l.salesforce_object, l.salesforce_id,
       '@xref', $hubspot_field, h.{hubspot_xref}, l.salesforce_id, NULL, 'cross_reference', NULL, $now
FROM links l
JOIN {hubspot_table} h ON h.id = l.hubspot_id
WHERE l.pair = $pair AND NOT coalesce(h._archived, false)
  AND h.{hubspot_xref} IS DISTINCT FROM l.salesforce_id
  AND NOT EXISTS (SELECT 1 FROM plan_rows p WHERE p.run_id = $run_id AND p.pair = $pair
                  AND p.target = 'hubspot' AND p.record_ref = l.hubspot_id AND p.field = '@xref')
UNION ALL
SELECT $run_id, $pair, 'salesforce', 'update', l.salesforce_id, l.hubspot_id, l.salesforce_object, l.salesforce_id,
       '@xref', $salesforce_field, s.{salesforce_xref}, l.hubspot_id, NULL, 'cross_reference', NULL, $now
FROM links l
JOIN {salesforce_table} s ON s.id = l.salesforce_id
WHERE l.pair = $pair AND NOT coalesce(s._deleted, false)
  AND s.{salesforce_xref} IS DISTINCT FROM l.hubspot_id
  AND NOT EXISTS (SELECT 1 FROM plan_rows p WHERE p.run_id = $run_id AND p.pair = $pair
                  AND p.target = 'salesforce' AND p.record_ref = l.salesforce_id AND p.field = '@xref')
