-- One row per value of the pair's i-th mapped field that its transform cannot place (canonical value
-- $cannot): the side, the record, the raw value and the deal's pipeline. A HubSpot value comes first:
-- a record stops there, so its Salesforce value is not reported as well.
-- Parameters: $cannot, and $objects when the field applies to some Salesforce objects only.
-- Formatted in (the names in braces): i, the field's position among the mapped fields (an integer),
-- and applies: `true`, or the condition on salesforce_object over $objects.
SELECT 'hubspot', hubspot_id, hubspot_raw_{i}, pipeline FROM field_canonical
WHERE {applies} AND hubspot_value_{i} = $cannot
UNION ALL
SELECT 'salesforce', salesforce_id, salesforce_raw_{i}, pipeline FROM field_canonical
WHERE {applies} AND hubspot_value_{i} IS DISTINCT FROM $cannot AND salesforce_value_{i} = $cannot
