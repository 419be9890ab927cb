-- Deletes from hubspot_associations the associations a HubSpot write batch confirmed removing: its
-- confirmed updates (temp table reflected_writes) whose target field is
-- `association-remove:<object>:<type id>:<id>`, matched in either direction.
-- Parameters: $object (the batch's HubSpot object), $remove (the target-field prefix of a removal).
DELETE FROM hubspot_associations h USING (
    SELECT record_ref AS record_id, split_part(target_field, ':', 2) AS to_object,
           split_part(target_field, ':', 4) AS other
    FROM reflected_writes WHERE starts_with(target_field, $remove)) w
WHERE (h.from_object = $object AND h.from_id = w.record_id AND h.to_object = w.to_object
       AND h.to_id = w.other)
   OR (h.from_object = w.to_object AND h.from_id = w.other AND h.to_object = $object
       AND h.to_id = w.record_id)
