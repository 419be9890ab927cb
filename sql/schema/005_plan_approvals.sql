-- crmsync state, schema version 5: approvals of plans held by the update threshold.

-- One approval of one pair's plan (`crmsync approve RUN_ID`): bound to that plan by a digest of its rows
-- (target, action, record, field, old and new value). A later run whose plan for the pair has the same
-- digest passes the threshold check; any other plan (someone edited a record since) is held again.
CREATE TABLE IF NOT EXISTS plan_approvals (
    pair VARCHAR NOT NULL,
    plan_digest VARCHAR NOT NULL,
    approved_run_id VARCHAR NOT NULL,     -- the held run whose plan was approved
    records INTEGER NOT NULL,             -- records to update in that plan (what the person saw)
    approved_at TIMESTAMPTZ NOT NULL,
    approved_by VARCHAR,
    used_by_run_id VARCHAR,               -- the run that wrote the approved plan (an approval is used once)
    PRIMARY KEY (pair, plan_digest)
);
