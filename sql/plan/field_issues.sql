-- One row per value of the pair's i-th mapped field that its transform cannot place (canonical value
-- $cannot): the field's position, the side, the record, the raw value, the deal's pipeline and where
-- the row sorts (part 0 HubSpot, 1 Salesforce; then the field_canonical row). A HubSpot value comes
-- first: a record stops there, so its Salesforce value is not reported as well.
-- Parameters: $cannot, and $objects_<i> when the field applies to some Salesforce objects only.
-- Formatted in (the names in braces): i, the field's position among the mapped fields (an integer),
-- and applies: `true`, or the condition on salesforce_object over $objects_<i>. The statements of
-- all fields are joined by UNION ALL into one query (plan/field_state.py).
SELECT {i} AS field_index, 0 AS part, rowid AS position, 'hubspot' AS side, hubspot_id AS record_id,
       hubspot_raw_{i} AS raw, pipeline
FROM field_canonical
WHERE {applies} AND hubspot_value_{i} = $cannot
UNION ALL
SELECT {i}, 1, rowid, 'salesforce', salesforce_id, salesforce_raw_{i}, pipeline FROM field_canonical
WHERE {applies} AND hubspot_value_{i} IS DISTINCT FROM $cannot AND salesforce_value_{i} = $cannot
