-- crmsync state, schema version 7: deletes acted on (deletes: propagate | restore) and GDPR erasures.

-- One link crmsync closed because a record behind it was deleted: it deleted/archived the other side
-- (propagated), re-created the deleted side (restored: the link now points at the new record), found
-- both sides gone, or erased the person. A record crmsync deleted itself is known from this table, so
-- it never comes back as a delete to restore on the next cycle.
CREATE TABLE IF NOT EXISTS deleted_links (
    pair VARCHAR NOT NULL,
    hubspot_id VARCHAR NOT NULL,
    salesforce_object VARCHAR,
    salesforce_id VARCHAR NOT NULL,
    deleted_in VARCHAR NOT NULL,          -- hubspot | salesforce | both
    action VARCHAR NOT NULL,              -- propagated | restored | both_gone | erased
    run_id VARCHAR,
    closed_at TIMESTAMPTZ NOT NULL
);

-- One linked record a CRM no longer has at all (not live, not archived / not in the Recycle Bin): a
-- GDPR delete in HubSpot or a hard delete in Salesforce, seen by the hourly check. Settled once the
-- person is erased (or the pair does not erase on such deletes, then it is reported).
CREATE TABLE IF NOT EXISTS vanished_records (
    pair VARCHAR NOT NULL,
    side VARCHAR NOT NULL,                -- hubspot | salesforce
    record_id VARCHAR NOT NULL,
    seen_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR,
    settled_at TIMESTAMPTZ,
    PRIMARY KEY (pair, side, record_id)
);

-- One person erased (`crmsync forget`, or a GDPR delete seen in a CRM): both ids and a salted hash of
-- the email, nothing else about them. Creates of a record with these ids or this email are refused, so
-- a stale copy never brings the person back. Their audit_log rows keep that a write happened, with
-- before/after values set to NULL (view audit_erasures marks them).
CREATE TABLE IF NOT EXISTS erasures (
    erasure_id VARCHAR PRIMARY KEY,
    pair VARCHAR NOT NULL,
    hubspot_id VARCHAR,
    salesforce_object VARCHAR,
    salesforce_id VARCHAR,
    email_hash VARCHAR,                   -- sha256 of the salt and the normalized email
    requested_in VARCHAR NOT NULL,        -- crmsync (the forget command) | hubspot | salesforce
    erased_at TIMESTAMPTZ NOT NULL,
    erased_by VARCHAR,
    hubspot_outcome VARCHAR,              -- gdpr_deleted | archived | already_gone | an error code
    salesforce_outcome VARCHAR            -- hard_deleted | deleted | already_gone | an error code
);

-- The salt of erasures.email_hash (one row, made on first use): a hash without it cannot be matched
-- against a list of addresses taken from elsewhere.
CREATE TABLE IF NOT EXISTS erasure_salt (
    salt VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- One audit_log row of an erased person: the write happened, its values were erased.
CREATE OR REPLACE VIEW audit_erasures AS
SELECT a.run_id, a.pair, a.target, a.record_id, a.source_id, a.field, a.outcome, e.erasure_id, e.erased_at
FROM audit_log a
JOIN erasures e ON e.pair = a.pair
 AND (a.record_id IN (e.hubspot_id, e.salesforce_id) OR a.source_id IN (e.hubspot_id, e.salesforce_id));
