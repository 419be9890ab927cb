-- crmsync state, schema version 1. One row of each table is described above it.
-- Snapshot (mirror) tables are created per object pair by the extract stage, from the mapping file.

-- One sync run (a Dagster run, whether launched from the UI, a schedule, a sensor or the CLI).
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status VARCHAR NOT NULL,              -- running | succeeded | failed | stopped
    trigger VARCHAR,                      -- ui | cli | schedule | sensor
    summary JSON
);

-- API calls one run made to one CRM route (attempts, so retries count).
CREATE TABLE IF NOT EXISTS api_calls (
    run_id VARCHAR NOT NULL,
    crm VARCHAR NOT NULL,
    route VARCHAR NOT NULL,
    calls INTEGER NOT NULL,
    PRIMARY KEY (run_id, crm, route)
);

-- Where incremental extraction of one CRM object resumes: the cursor was taken when extraction began.
CREATE TABLE IF NOT EXISTS extract_cursors (
    crm VARCHAR NOT NULL,
    object VARCHAR NOT NULL,
    cursor_value TIMESTAMPTZ NOT NULL,
    records_seen BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR,
    PRIMARY KEY (crm, object)
);

-- Which HubSpot record is which Salesforce record, how they were matched, and when.
CREATE TABLE IF NOT EXISTS links (
    pair VARCHAR NOT NULL,
    hubspot_id VARCHAR NOT NULL,
    salesforce_object VARCHAR NOT NULL,
    salesforce_id VARCHAR NOT NULL,
    matched_by VARCHAR NOT NULL,          -- existing_link | cross_reference | email | domain | name | created
    linked_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR,
    PRIMARY KEY (pair, hubspot_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS links_by_salesforce ON links (pair, salesforce_id);

-- For one link and field: the canonical value both sides agreed on after the last confirmed write.
CREATE TABLE IF NOT EXISTS base_values (
    pair VARCHAR NOT NULL,
    hubspot_id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    value VARCHAR,                        -- canonical form; NULL = agreed empty
    agreed_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR,
    PRIMARY KEY (pair, hubspot_id, field)
);

-- One record x field x target the next apply will write, with old and new values and the deciding rule.
CREATE TABLE IF NOT EXISTS plan_rows (
    run_id VARCHAR NOT NULL,
    pair VARCHAR NOT NULL,
    target VARCHAR NOT NULL,              -- hubspot | salesforce
    action VARCHAR NOT NULL,              -- create | update
    record_ref VARCHAR NOT NULL,          -- the target id, or the source id for a create
    hubspot_id VARCHAR,
    salesforce_object VARCHAR,
    salesforce_id VARCHAR,
    field VARCHAR NOT NULL,               -- the mapping's name for the field (base is kept by it)
    target_field VARCHAR NOT NULL,        -- the property or field written on the target
    old_value VARCHAR,
    new_value VARCHAR,                    -- in the target's own form
    canonical_value VARCHAR,              -- becomes base once the target confirms the write
    reason VARCHAR NOT NULL,              -- which rule decided, e.g. two_way:hubspot_changed
    preflight_error VARCHAR,              -- the code the CRM would answer; such rows are never sent
    planned_at TIMESTAMPTZ NOT NULL
);

-- A field both sides changed since base: both values, their timestamps, and who won by which rule.
CREATE TABLE IF NOT EXISTS conflicts (
    run_id VARCHAR NOT NULL,
    pair VARCHAR NOT NULL,
    hubspot_id VARCHAR NOT NULL,
    salesforce_id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    base_value VARCHAR,
    hubspot_value VARCHAR,
    salesforce_value VARCHAR,
    hubspot_changed_at TIMESTAMPTZ,
    salesforce_changed_at TIMESTAMPTZ,
    winner VARCHAR NOT NULL,              -- hubspot | salesforce | review
    rule VARCHAR NOT NULL,
    settled_at TIMESTAMPTZ
);

-- The outcome of one record written to one CRM in one run.
CREATE TABLE IF NOT EXISTS write_results (
    run_id VARCHAR NOT NULL,
    pair VARCHAR NOT NULL,
    target VARCHAR NOT NULL,
    record_ref VARCHAR NOT NULL,          -- the target id, or the source id for a create
    operation VARCHAR NOT NULL,
    succeeded BOOLEAN NOT NULL,
    error_code VARCHAR,
    error_message VARCHAR,
    error_fields VARCHAR[],
    written_at TIMESTAMPTZ NOT NULL
);

-- A record that keeps failing: first and last seen, attempts; it leaves the table once it syncs.
CREATE TABLE IF NOT EXISTS sync_errors (
    pair VARCHAR NOT NULL,
    target VARCHAR NOT NULL,
    record_ref VARCHAR NOT NULL,
    error_code VARCHAR NOT NULL,
    error_message VARCHAR,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    attempts INTEGER NOT NULL,
    last_run_id VARCHAR,
    PRIMARY KEY (pair, target, record_ref)
);

-- Every field write ever made: intent recorded before the CRM call, confirmed after it (undo reads this).
CREATE TABLE IF NOT EXISTS audit_log (
    run_id VARCHAR NOT NULL,
    pair VARCHAR NOT NULL,
    target VARCHAR NOT NULL,
    record_id VARCHAR,
    source_id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    before_value VARCHAR,
    after_value VARCHAR,
    created_record BOOLEAN NOT NULL DEFAULT false,
    intended_at TIMESTAMPTZ NOT NULL,
    confirmed_at TIMESTAMPTZ,
    outcome VARCHAR NOT NULL DEFAULT 'intended'  -- intended | confirmed | failed | undone
);

-- Something a person must decide: an ambiguous match, a held conflict, a duplicate Lead.
CREATE TABLE IF NOT EXISTS review_items (
    item_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,                -- ambiguous_match | held_conflict | duplicate_lead | keyless
    pair VARCHAR NOT NULL,
    hubspot_id VARCHAR,
    salesforce_ids VARCHAR[],
    detail JSON,
    opened_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR,
    settled_at TIMESTAMPTZ,
    resolution VARCHAR
);

-- A Bulk API job, stored before it is submitted so a restart can reconcile it.
CREATE TABLE IF NOT EXISTS bulk_jobs (
    job_id VARCHAR,
    run_id VARCHAR NOT NULL,
    pair VARCHAR NOT NULL,
    sobject VARCHAR NOT NULL,
    operation VARCHAR NOT NULL,
    state VARCHAR NOT NULL,               -- preparing | submitted | complete | failed | reconciled
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- The CRMs' schemas (describe, properties), cached for at most an hour.
CREATE TABLE IF NOT EXISTS schema_cache (
    crm VARCHAR NOT NULL,
    object VARCHAR NOT NULL,
    body JSON NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (crm, object)
);

-- A value one side holds that the mapping cannot carry (an unmapped picklist value, an owner unknown
-- on the other side): reported by the plan, and that field is not synced for that record.
CREATE TABLE IF NOT EXISTS value_issues (
    run_id VARCHAR NOT NULL,
    pair VARCHAR NOT NULL,
    side VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    value VARCHAR,
    problem VARCHAR NOT NULL,
    seen_at TIMESTAMPTZ NOT NULL
);
