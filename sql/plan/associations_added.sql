-- Inserts into hubspot_associations one row per association a HubSpot write batch confirmed adding:
-- its confirmed updates (temp table reflected_writes) whose target field is
-- `association:<object>:<type id>`, with the associated record's id as the value.
-- Parameters: $object (the batch's HubSpot object), $add (the target-field prefix of an addition).
INSERT INTO hubspot_associations
SELECT $object, record_ref, split_part(target_field, ':', 2), new_value,
       [CAST(split_part(target_field, ':', 3) AS INTEGER)], now()
FROM reflected_writes
WHERE starts_with(target_field, $add) AND coalesce(new_value, '') <> ''
