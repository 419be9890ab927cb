-- crmsync state, schema version 10: drift is counted in cycles, so one that outlives two syncs becomes
-- an ERROR of the Drift check and a review item (health/drift_cycles.py).

-- One row per linked record x mapped field that differed after consecutive syncs although the merge says
-- one side should carry its value across: since which run, until which run, after how many syncs. A
-- field that agrees again (or is held for review) loses its row.
CREATE TABLE IF NOT EXISTS drift_cycles (
    pair VARCHAR NOT NULL,
    hubspot_id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    salesforce_id VARCHAR,
    first_run VARCHAR NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_run VARCHAR NOT NULL,
    cycles INTEGER NOT NULL,
    PRIMARY KEY (pair, hubspot_id, field)
);
