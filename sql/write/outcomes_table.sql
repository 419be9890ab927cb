-- One row per record a batch wrote (or tried to): what the CRM answered. Creates (or empties) the
-- temp table that sql/write/apply_outcomes.sql reads.
-- Parameters: none.
CREATE OR REPLACE TEMP TABLE write_outcomes (
    record_ref VARCHAR NOT NULL,
    record_id VARCHAR,
    succeeded BOOLEAN NOT NULL,
    created BOOLEAN NOT NULL,
    error_code VARCHAR,
    error_message VARCHAR,
    error_fields VARCHAR[],
    applied_fields VARCHAR[]  -- a failed record's fields the CRM took in another call of the same write
);
