-- crmsync state, schema version 14: the daily API usage crmsync last knew, carried between run steps and
-- processes, so a share cap (CRMSYNC_*_DAILY_CAP=20%) holds from a step's first call.

-- One row per CRM: the usage figure the CRM last reported (Sforce-Limit-Info api-usage, HubSpot's
-- X-HubSpot-RateLimit-Daily minus -Remaining) of its daily limit, when crmsync read it (UTC), and the calls
-- crmsync let through after it that the figure did not count yet. Written at the end of every step that
-- called a CRM; a figure older than 24 hours is not trusted.
CREATE TABLE IF NOT EXISTS api_usage_estimates (
    crm VARCHAR PRIMARY KEY,
    reported BIGINT NOT NULL,
    daily_limit BIGINT NOT NULL,
    reported_at TIMESTAMP NOT NULL,
    unreported BIGINT NOT NULL
);
