-- crmsync state, schema version 15: what the approval threshold decided about each pair's plan in each run,
-- so a held run says what it holds (`crmsync status`, `crmsync approve`), and a run resuming a plan that was
-- let through (then stopped at the API cap or by a crash) is judged only on what it adds to that plan.

-- One pair's plan in one run, as the plan_within_threshold check weighed it.
CREATE TABLE IF NOT EXISTS plan_verdicts (
    run_id VARCHAR NOT NULL,
    pair VARCHAR NOT NULL,
    job VARCHAR,                          -- sync | plan: only a sync's verdict lets writes happen
    verdict VARCHAR NOT NULL,             -- passed | approved | held
    linked INTEGER NOT NULL,              -- the pair's links when the plan was made
    records_to_overwrite INTEGER NOT NULL, -- records whose values the plan would change (see plan_within_threshold.sql)
    records_to_delete INTEGER NOT NULL,
    carried_on INTEGER NOT NULL,          -- planned changes left out: the rest of a plan let through before
    by_field JSON,                        -- {"hubspot jobtitle": 24, ...}: records counted, per target and field
    decided_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, pair)
);
