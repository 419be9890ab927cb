-- One row per linked record x lookup association (Contact.AccountId <-> the contact's company, Task.WhoId
-- <-> the task's contact ...), appended to the temp table `field_state` so the three-way merge judges a
-- changed lookup as it judges any field. The canonical value is the HubSpot id of the associated record
-- of the other pair. HubSpot may hold several associations of a kind where Salesforce holds one lookup:
-- the Salesforce value (or else base) stands for HubSpot when HubSpot holds it among others.
-- A side that points at a record not linked yet (or not synced at all) cannot be judged: no row.
-- Nor can a lookup that names an orphan (a record deleted on one side, its link waiting for a person:
-- crmsync_pipeline/plan/orphans.py): HubSpot drops an archived record's associations, which is not a
-- person clearing the lookup. Its base stays until the orphan is settled.
-- Parameters: $pair, $to_pair, $field, $direction, $preferred_side, $mine (HubSpot object of this pair),
-- $other (HubSpot object of the associated pair), $objects (the Salesforce objects carrying the lookup),
-- $frozen (the associated pair's HubSpot ids whose link is an orphan), $integration_user. Formatted in: the two snapshot tables, the lookup column, and the expression for
-- a person's last change to the Salesforce record (not crmsync's; see
-- crmsync_pipeline/extract/salesforce_edit_times.py).
-- Only the associations read from this pair's records count: the other direction's rows were read
-- with the other record and go stale when this record moves.
WITH associated AS (
    SELECT DISTINCT from_id AS mine, to_id AS theirs FROM hubspot_associations
    WHERE from_object = $mine AND to_object = $other
),
hubspot_side AS (
    SELECT a.mine,
           list(DISTINCT t.hubspot_id ORDER BY t.hubspot_id) FILTER (WHERE t.hubspot_id IS NOT NULL) AS linked_ids,
           count(*) FILTER (WHERE t.hubspot_id IS NULL) AS unlinked
    FROM associated a
    LEFT JOIN links t ON t.pair = $to_pair AND t.hubspot_id = a.theirs
    GROUP BY a.mine
),
judged AS (
    SELECT l.pair, l.hubspot_id, l.salesforce_object, l.salesforce_id,
           hs.linked_ids, coalesce(hs.unlinked, 0) AS unlinked,
           s.{lookup_column} AS salesforce_raw, st.hubspot_id AS salesforce_value,
           b.value AS base_value, b.field IS NOT NULL AS has_base,
           h._modified_at AS hubspot_modified_at, {salesforce_modified_at} AS salesforce_modified_at
    FROM links l
    JOIN {hubspot_table} h ON h.id = l.hubspot_id
    JOIN {salesforce_table} s ON s.id = l.salesforce_id
    LEFT JOIN hubspot_side hs ON hs.mine = l.hubspot_id
    LEFT JOIN links st ON st.pair = $to_pair AND st.salesforce_id = s.{lookup_column}
    LEFT JOIN base_values b ON b.pair = l.pair AND b.hubspot_id = l.hubspot_id AND b.field = $field
    WHERE l.pair = $pair
      AND NOT coalesce(h._archived, false) AND NOT coalesce(s._deleted, false)
      AND list_contains($objects, l.salesforce_object)
)
INSERT INTO field_state
SELECT pair, hubspot_id, salesforce_object, salesforce_id, $field, $direction, $preferred_side,
       CASE
           WHEN linked_ids IS NULL OR len(linked_ids) = 0 THEN NULL
           WHEN list_contains(linked_ids, salesforce_value) THEN salesforce_value
           WHEN list_contains(linked_ids, base_value) THEN base_value
           ELSE linked_ids[1]
       END AS hubspot_value,
       salesforce_value,
       array_to_string(linked_ids, ';') AS hubspot_raw,
       salesforce_raw,
       NULL AS pipeline,
       base_value, has_base, hubspot_modified_at, NULL, salesforce_modified_at,
       NULL AS salesforce_field_changed_at  -- an association has no time of its own
FROM judged
WHERE (salesforce_raw IS NULL OR salesforce_value IS NOT NULL)
  AND (unlinked = 0 OR len(coalesce(linked_ids, [])) > 0)
  AND NOT list_has_any(coalesce(linked_ids, []), $frozen::VARCHAR[])
  AND NOT list_contains($frozen::VARCHAR[], coalesce(salesforce_value, ''))
  AND NOT list_contains($frozen::VARCHAR[], coalesce(base_value, ''))
