-- Records in salesforce_field_times, per Salesforce field of a batch's confirmed updates (the temp table
-- reflected_writes), that crmsync set it at $at as its integration user. The snapshot takes the written
-- value, so no extract sees this change; without this row a first link (review resync, a field mapped
-- again) would judge the field by the record's time, which a person's later edit of another field moves.
-- A conflict ignores these rows (field_state_insert.sql): a side changed since base was changed by a person.
-- Parameters: $at (the batch's intent time), $integration_user (NULL when not known yet).
INSERT INTO salesforce_field_times
SELECT DISTINCT record_ref, target_field, $at::TIMESTAMPTZ, $integration_user::VARCHAR FROM reflected_writes
ON CONFLICT (salesforce_id, field) DO UPDATE SET changed_at = excluded.changed_at,
    changed_by = excluded.changed_by
WHERE excluded.changed_at >= salesforce_field_times.changed_at
