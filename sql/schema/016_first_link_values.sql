-- crmsync state, schema version 16: what each side held when a field of a link was first judged without a
-- base (a first link, a fill of a never-set value), kept until base is set. A side that moved since then
-- while the other did not is the side that changed, so a person's edit made after a rebuild (or after a
-- first link whose write never landed: a killed run, a refused write) wins, instead of losing to the
-- first-link rule again (docs/design.md, "First links").

-- One row per link and field without a base: each side's canonical value when first judged.
CREATE TABLE IF NOT EXISTS first_link_values (
    pair VARCHAR NOT NULL,
    hubspot_id VARCHAR NOT NULL,
    salesforce_id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    hubspot_value VARCHAR,                -- canonical, as first judged
    salesforce_value VARCHAR,             -- canonical, as first judged
    seen_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR,
    PRIMARY KEY (pair, hubspot_id, salesforce_id, field)
);
