-- crmsync state, schema version 2.
-- One record of a Bulk API ingest job: the plan record it carries and the exact row uploaded for it,
-- stored with the job id before the upload, so a restart can match the job's result files to records.
CREATE TABLE IF NOT EXISTS bulk_job_records (
    job_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,            -- the row's place in the job's upload
    record_ref VARCHAR NOT NULL,          -- as in plan_rows: the target id, or the source id for a create
    payload JSON NOT NULL,                -- the fields uploaded (JSON null = cleared with #N/A)
    PRIMARY KEY (job_id, position)
);
