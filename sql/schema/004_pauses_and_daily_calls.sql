-- crmsync state, schema version 4: pausing object pairs, and API calls per day.

-- One object pair whose syncing a person paused (`crmsync pause PAIR`); `crmsync resume` deletes the row.
-- A paused pair's assets skip extract, plan and write, so its extract cursors stay where they were and
-- the resume reads everything changed meanwhile.
CREATE TABLE IF NOT EXISTS paused_pairs (
    pair VARCHAR PRIMARY KEY,
    paused_at TIMESTAMPTZ NOT NULL,
    paused_by VARCHAR,
    reason VARCHAR
);

-- One CRM on one UTC day: the API calls every run made (a run's calls count on the day it started).
CREATE OR REPLACE VIEW api_calls_daily AS
SELECT CAST(timezone('UTC', r.started_at) AS DATE) AS day, c.crm, sum(c.calls)::BIGINT AS calls,
       count(DISTINCT c.run_id) AS runs
FROM api_calls c JOIN runs r USING (run_id)
GROUP BY ALL;
