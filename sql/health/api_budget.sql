-- One row per CRM whose API calls over the last 24 hours (runs started since $since) reached $warn_share
-- of its daily limit: calls, the limit, and the share used.
-- Parameters: $since, $warn_share, $salesforce_limit, $hubspot_limit.
WITH limits(crm, daily_limit) AS (
    VALUES ('salesforce', $salesforce_limit::BIGINT), ('hubspot', $hubspot_limit::BIGINT)
), used AS (
    SELECT a.crm, sum(a.calls) AS calls
    FROM api_calls a JOIN runs r USING (run_id)
    WHERE r.started_at >= $since
    GROUP BY a.crm
)
SELECT l.crm, coalesce(u.calls, 0) AS calls, l.daily_limit,
       round(coalesce(u.calls, 0) / l.daily_limit, 4) AS share_used
FROM limits l LEFT JOIN used u USING (crm)
WHERE l.daily_limit > 0 AND coalesce(u.calls, 0) >= $warn_share * l.daily_limit
ORDER BY share_used DESC
