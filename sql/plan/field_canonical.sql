-- One row per live link of the pair (neither record archived nor deleted): each side's raw value of
-- every mapped field and its canonical form (columns hubspot_raw_<i>, salesforce_raw_<i>,
-- hubspot_value_<i>, salesforce_value_<i> for the pair's i-th field), the deal's pipeline, and when each
-- side last changed the record. Kept as the temp table field_canonical, from which field_state is built.
-- Parameters: $pair, the transforms' own values ($p0, $p1 ...: SqlTransforms in
-- crmsync_pipeline/match/canonical.py) and $integration_user when the Salesforce change time needs it.
-- Formatted in (the names in braces): the two snapshot tables (quoted), the expression for a person's
-- last change to the Salesforce record (crmsync_pipeline/extract/salesforce_edit_times.py), and the
-- columns: the pipeline and the per-field expressions built from the mapping over quoted columns.
CREATE OR REPLACE TEMP TABLE field_canonical AS
SELECT l.hubspot_id, l.salesforce_object, l.salesforce_id,
       h._modified_at AS hubspot_modified_at, {salesforce_modified_at} AS salesforce_modified_at,
       {columns}
FROM links l
JOIN {hubspot_table} h ON h.id = l.hubspot_id
JOIN {salesforce_table} s ON s.id = l.salesforce_id
WHERE l.pair = $pair AND NOT coalesce(h._archived, false) AND NOT coalesce(s._deleted, false)
