-- crmsync state, schema version 3.
-- One HubSpot list that a mapping's inclusion rule names (`in_list:`), as last read from HubSpot.
CREATE TABLE IF NOT EXISTS hubspot_lists (
    list_ref VARCHAR NOT NULL,            -- as written in the mapping: a list name or an ILS id
    object_type VARCHAR NOT NULL,         -- the HubSpot object type whose rule names it
    list_id VARCHAR NOT NULL,
    list_name VARCHAR NOT NULL,
    processing_type VARCHAR,              -- MANUAL, SNAPSHOT or DYNAMIC
    members INTEGER NOT NULL,
    extracted_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (object_type, list_ref)
);
-- One record that is a member of one of those lists, as of the last extract (the list is re-read whole,
-- so a record that left the list has no row).
CREATE TABLE IF NOT EXISTS hubspot_list_memberships (
    list_id VARCHAR NOT NULL,
    list_name VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    extracted_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (list_id, record_id)
);
