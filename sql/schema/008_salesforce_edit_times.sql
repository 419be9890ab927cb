-- crmsync state, schema version 8: when people (not crmsync) last changed Salesforce records and fields.

-- One Salesforce record x user who last modified it: the latest LastModifiedDate crmsync saw with that
-- LastModifiedById (extracts and the re-read before every update batch). Salesforce keeps one time per
-- record and crmsync's own writes move it; the three-way merge takes a person's time from here.
CREATE TABLE IF NOT EXISTS salesforce_edit_times (
    salesforce_id VARCHAR NOT NULL,
    modified_by VARCHAR NOT NULL,         -- a User id
    edited_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (salesforce_id, modified_by)
);

-- One Salesforce record x mapped field: when an extract last saw its value change, as the record's
-- LastModifiedDate and LastModifiedById of that read. Salesforce keeps no time per field; a field not
-- changed since is older than a later edit of another field of the same record.
CREATE TABLE IF NOT EXISTS salesforce_field_times (
    salesforce_id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,               -- the Salesforce field name
    changed_at TIMESTAMPTZ NOT NULL,
    changed_by VARCHAR,
    PRIMARY KEY (salesforce_id, field)
);

-- One CRM: the user crmsync's credentials act as (asked once, before crmsync first writes there).
CREATE TABLE IF NOT EXISTS crm_identity (
    crm VARCHAR PRIMARY KEY,              -- salesforce
    user_id VARCHAR NOT NULL,
    learned_at TIMESTAMPTZ NOT NULL
);
