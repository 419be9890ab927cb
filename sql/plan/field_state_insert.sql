-- Appends to the temp table field_state one row per linked record x mapped field (the rows of
-- field_values.sql, one per field): both canonical values next to their base, and the Salesforce
-- field's own change time: for a change since base, a person's (unless crmsync's integration user made
-- that change, the record's person time then); for a first link, anyone's, crmsync's own writes included
-- (a copy crmsync wrote is no newer than its write).
-- Parameters: $pair, $integration_user, and those of field_values.sql for every field.
-- Formatted in (the name in braces): values, the UNION ALL of field_values.sql over the pair's fields.
INSERT INTO field_state
SELECT $pair, v.hubspot_id, v.salesforce_object, v.salesforce_id, v.field, v.direction,
       v.preferred_side, v.hubspot_value, v.salesforce_value, v.hubspot_raw, v.salesforce_raw,
       v.pipeline, b.value, b.field IS NOT NULL, v.hubspot_modified_at, NULL,
       -- the field's own time, unless crmsync was the last to change the record then
       coalesce(CASE WHEN t.changed_by IS DISTINCT FROM $integration_user THEN t.changed_at END,
                v.salesforce_modified_at),
       t.changed_at
FROM ({values}) v
LEFT JOIN base_values b ON b.pair = $pair AND b.hubspot_id = v.hubspot_id AND b.field = v.field
LEFT JOIN salesforce_field_times t ON t.salesforce_id = v.salesforce_id AND t.field = v.salesforce_field
