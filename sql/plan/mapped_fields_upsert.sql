-- Records one mapped field's current canonical form (crmsync_pipeline/plan/mapping_changes.py):
-- inserted the first time, replaced when its form or direction changed (changed_at says since when).
-- Parameters: $pair, $field, $digest, $form, $direction, $now, $run_id.
INSERT INTO mapped_fields (pair, field, form_digest, form, direction, changed_at, run_id)
VALUES ($pair, $field, $digest, $form, $direction, $now, $run_id)
ON CONFLICT (pair, field) DO UPDATE SET
    form_digest = excluded.form_digest, form = excluded.form, direction = excluded.direction,
    changed_at = excluded.changed_at, run_id = excluded.run_id
WHERE mapped_fields.form_digest <> excluded.form_digest OR mapped_fields.direction <> excluded.direction
