-- Appends to the temp table field_state one row per linked record x mapped field (the rows of
-- field_values.sql, one per field): both canonical values next to their base, and the Salesforce
-- field's own change time: for a change since base, a person's (unless crmsync's integration user made
-- that change, the record's person time then); for a first link, anyone's, crmsync's own writes included
-- (a copy crmsync wrote is no newer than its write). A side's value that accepted_values holds for the
-- current base (a value the CRM filled in on a create, kept under a direction that does not carry it
-- across) counts as base's value.
-- Parameters: $pair, $integration_user, and those of field_values.sql for every field.
-- Formatted in (the name in braces): values, the UNION ALL of field_values.sql over the pair's fields.
INSERT INTO field_state
SELECT $pair, v.hubspot_id, v.salesforce_object, v.salesforce_id, v.field, v.direction,
       v.preferred_side,
       CASE WHEN ah.field IS NOT NULL AND ah.value IS NOT DISTINCT FROM v.hubspot_value
            THEN b.value ELSE v.hubspot_value END,
       CASE WHEN a_s.field IS NOT NULL AND a_s.value IS NOT DISTINCT FROM v.salesforce_value
            THEN b.value ELSE v.salesforce_value END,
       v.hubspot_raw, v.salesforce_raw,
       v.pipeline, b.value, b.field IS NOT NULL, v.hubspot_modified_at, NULL,
       -- the field's own time, unless crmsync was the last to change the record then
       coalesce(CASE WHEN t.changed_by IS DISTINCT FROM $integration_user THEN t.changed_at END,
                v.salesforce_modified_at),
       t.changed_at
FROM ({values}) v
LEFT JOIN base_values b ON b.pair = $pair AND b.hubspot_id = v.hubspot_id AND b.field = v.field
LEFT JOIN accepted_values ah ON ah.pair = $pair AND ah.hubspot_id = v.hubspot_id AND ah.field = v.field
 AND ah.side = 'hubspot' AND ah.base_agreed_at = b.agreed_at AND ah.base_value IS NOT DISTINCT FROM b.value
LEFT JOIN accepted_values a_s ON a_s.pair = $pair AND a_s.hubspot_id = v.hubspot_id AND a_s.field = v.field
 AND a_s.side = 'salesforce' AND a_s.base_agreed_at = b.agreed_at AND a_s.base_value IS NOT DISTINCT FROM b.value
LEFT JOIN salesforce_field_times t ON t.salesforce_id = v.salesforce_id AND t.field = v.salesforce_field
