-- crmsync state, schema version 12: what a closed link had agreed, so a restore picks it up again.

-- One base value of a link crmsync closed (deletes propagated or re-created, both sides gone): the
-- pair's two ids and the field's last agreed value. When a person restores both records (HubSpot's
-- recycle bin, Salesforce's Recycle Bin: the same ids) and the cross-reference ids link them again,
-- this base comes back, so each side's edits since are judged three-way instead of as a first link
-- (which would let one side's older value overwrite the other's new edit). Lookup and junction bases
-- are not kept: HubSpot drops an archived record's associations. Purged with the audit log's retention.
CREATE TABLE IF NOT EXISTS closed_link_bases (
    pair VARCHAR NOT NULL,
    hubspot_id VARCHAR NOT NULL,
    salesforce_id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    value VARCHAR,
    agreed_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (pair, hubspot_id, salesforce_id, field)
);
