-- crmsync state, schema version 13: mapping changes are safe. A field mapped again after a while
-- unmapped is read afresh on both sides before the plan trusts it, and a field whose transform or
-- value map changed has its base taken again in the new canonical form.

-- The fields the reads under this cursor keep current, as of its last read (NULL: a cursor stored
-- before this version; the snapshot's columns are then taken as current). A field the mapping needs that
-- is not listed was not read by the last incremental reads: the next read lists every record again.
ALTER TABLE extract_cursors ADD COLUMN IF NOT EXISTS fields VARCHAR[];

-- One mapped field of a pair, as the plan last merged it: what its canonical form depends on (both
-- fields' names, the Salesforce objects it applies to, the transform with its value map or stage map,
-- the defaults) as JSON, and a digest of that. When the digest changes, the base kept in the old form
-- is forgotten for that field, so the next merge takes agreement afresh and judges differences by the
-- first-link rules (crmsync_pipeline/plan/mapping_changes.py). Rows stay when a field is unmapped.
CREATE TABLE IF NOT EXISTS mapped_fields (
    pair VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    form_digest VARCHAR NOT NULL,
    form JSON NOT NULL,
    direction VARCHAR NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,      -- when this form (and direction) was first merged
    run_id VARCHAR,
    PRIMARY KEY (pair, field)
);
