-- crmsync state, schema version 6: record merges seen on either side and what crmsync did about them.

-- One merge of a linked record seen on one side (HubSpot's `hs_merged_object_ids`, Salesforce's
-- `MasterRecordId`): the loser's link was re-pointed to the survivor (relinked), or both were linked and
-- the other side's pair was merged too (mirror: planned, then done or failed with the CRM's code) or
-- sent to review (review). The losers (and a mirrored other-side loser) are never created again.
CREATE TABLE IF NOT EXISTS record_merges (
    pair VARCHAR NOT NULL,
    side VARCHAR NOT NULL,                -- hubspot | salesforce: where the merge happened
    loser_id VARCHAR NOT NULL,
    survivor_id VARCHAR NOT NULL,
    salesforce_object VARCHAR,
    action VARCHAR NOT NULL,              -- relinked | mirror | review
    other_loser_id VARCHAR,               -- the loser's partner on the other side
    other_survivor_id VARCHAR,            -- the survivor's partner on the other side (mirror, review)
    status VARCHAR NOT NULL,              -- done | planned | failed | open
    error_code VARCHAR,
    error_message VARCHAR,
    seen_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR,
    done_at TIMESTAMPTZ,
    PRIMARY KEY (pair, side, loser_id)
);
