-- One row per linked record x mapped field: both sides' canonical values, the base they last agreed
-- on, when each side last changed (the record, and the field itself where known), and the field's
-- direction. Built by the plan stage each run.
-- Parameters: none.
CREATE OR REPLACE TEMP TABLE field_state (
    pair VARCHAR NOT NULL,
    hubspot_id VARCHAR NOT NULL,
    salesforce_object VARCHAR NOT NULL,
    salesforce_id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    direction VARCHAR NOT NULL,
    preferred_side VARCHAR NOT NULL,      -- wins ties and clock-skew races
    hubspot_value VARCHAR,                -- canonical
    salesforce_value VARCHAR,             -- canonical
    hubspot_raw VARCHAR,                  -- as the CRM holds it (the audit log's "before")
    salesforce_raw VARCHAR,
    pipeline VARCHAR,                     -- the HubSpot deal's pipeline, for stage maps
    base_value VARCHAR,
    has_base BOOLEAN NOT NULL,
    hubspot_modified_at TIMESTAMPTZ,
    hubspot_property_changed_at TIMESTAMPTZ, -- the property's own time (history), when fetched
    salesforce_modified_at TIMESTAMPTZ,   -- a person's last change: the field's own time, else the record's
    salesforce_field_changed_at TIMESTAMPTZ -- the field's own last change by anyone, crmsync included
);
