-- One row per linked pair of records that came back from a recycle bin: a link whose two records are
-- live again while an orphan item about it is open (under `deletes: report`: restored is 'orphan'),
-- or a link made again between the very two records of a link crmsync closed (after `propagate`, the
-- cross-reference ids relink both restored records: restored is 'relinked'). The identifiers in
-- braces are the pair's snapshot tables. Parameters: $pair.
SELECT l.hubspot_id, l.salesforce_id, 'orphan' AS restored
FROM links l
JOIN {hubspot_table} h ON h.id = l.hubspot_id AND NOT coalesce(h._archived, false)
JOIN {salesforce_table} s ON s.id = l.salesforce_id AND NOT coalesce(s._deleted, false)
JOIN review_items r ON r.pair = l.pair AND r.kind = 'orphan' AND r.settled_at IS NULL
 AND r.hubspot_id = l.hubspot_id AND list_contains(r.salesforce_ids, l.salesforce_id)
WHERE l.pair = $pair
UNION
SELECT DISTINCT l.hubspot_id, l.salesforce_id, 'relinked' AS restored
FROM links l
JOIN closed_link_bases c ON c.pair = l.pair AND c.hubspot_id = l.hubspot_id AND c.salesforce_id = l.salesforce_id
WHERE l.pair = $pair
ORDER BY 1
