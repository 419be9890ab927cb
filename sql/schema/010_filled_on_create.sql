-- crmsync state, schema version 10: values a CRM filled in on a record crmsync created there, which the
-- field's direction does not carry across, are accepted as that side's form of base (docs/design.md,
-- "Values a CRM fills on create"), so the sides may legitimately differ without the next plan writing.

-- One row per link, field and side: while base_values still holds exactly the row it was accepted
-- against (same value and agreed_at), `value` on `side` counts as base's value in field_state.
CREATE TABLE IF NOT EXISTS accepted_values (
    pair VARCHAR NOT NULL,
    hubspot_id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    side VARCHAR NOT NULL,                -- hubspot | salesforce: the side holding `value`
    value VARCHAR,                        -- that side's canonical value, as read back after the create
    base_value VARCHAR,                   -- the base it stands for (NULL: agreed empty)
    base_agreed_at TIMESTAMPTZ NOT NULL,  -- base_values.agreed_at when accepted: a later base ends it
    reason VARCHAR NOT NULL,              -- the rule, e.g. always_hubspot:filled_on_create
    run_id VARCHAR,
    accepted_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (pair, hubspot_id, field, side)
);
