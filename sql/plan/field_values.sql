-- One row per live link where the pair's i-th mapped field applies and both sides' values could be
-- placed: the field's canonical values and raw values, unpivoted from field_canonical for field_state.
-- Parameters: $cannot, $name_<i>, $direction_<i>, $preferred_<i>, $salesforce_field_<i>, and
-- $objects_<i> / $cut_<i> when the field has them.
-- Formatted in (the names in braces): i, the field's position among the mapped fields (an integer);
-- applies: `true`, or the condition on salesforce_object over $objects_<i>; salesforce_value: the
-- Salesforce column, or for a field cut to a Salesforce length the expression that reads a cut value
-- as its full form.
SELECT hubspot_id, salesforce_object, salesforce_id, $name_{i} AS field,
       $direction_{i} AS direction, $preferred_{i} AS preferred_side, hubspot_value_{i} AS hubspot_value,
       {salesforce_value} AS salesforce_value, hubspot_raw_{i} AS hubspot_raw,
       salesforce_raw_{i} AS salesforce_raw, pipeline, hubspot_modified_at,
       salesforce_modified_at, $salesforce_field_{i} AS salesforce_field
FROM field_canonical
WHERE {applies} AND hubspot_value_{i} IS DISTINCT FROM $cannot AND salesforce_value_{i} IS DISTINCT FROM $cannot
