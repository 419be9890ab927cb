-- Adds, per record of the page about to be upserted (temp table snapshot_page) and mapped field whose
-- value differs from the snapshot {table}, the record's time and modifier as when that field changed
-- (salesforce_field_times); a page row older than the snapshot's changes nothing. {table} is a
-- quoted() table name; {changes} is a list of structs, one per mapped field: its name ($field_<i>)
-- and whether the page's value IS DISTINCT FROM the snapshot's (`moved`), columns as quoted() names
-- (extract/salesforce_edit_times.py builds both).
-- Parameters: $field_0, $field_1, ... (the mapped fields' names).
INSERT INTO salesforce_field_times
SELECT id, c.field, _modified_at, _last_modified_by_id FROM (
    SELECT p.id, p._modified_at, p._last_modified_by_id, unnest([{changes}]) AS c
    FROM snapshot_page p JOIN {table} t ON t.id = p.id
    WHERE p._modified_at IS NOT NULL
      AND (t._modified_at IS NULL OR p._modified_at >= t._modified_at))
WHERE c.moved
QUALIFY row_number() OVER (PARTITION BY id, c.field ORDER BY _modified_at DESC) = 1
ON CONFLICT (salesforce_id, field) DO UPDATE SET changed_at = excluded.changed_at,
    changed_by = excluded.changed_by
-- Salesforce's stamps have whole seconds, crmsync's own rows (write/reflected_field_times.sql) its
-- intent time: a save in the same second as crmsync's write (an Automated Process flow it enrolled)
-- reads as earlier, yet a value that differs from the one crmsync wrote was saved after it
WHERE excluded.changed_at >= date_trunc('second', salesforce_field_times.changed_at)
