-- One row per (HubSpot record, Salesforce record) that share the value of one match key, among
-- records not linked yet and not waiting in (or skipped by) review. Only the most preferred sObject holding a value
-- takes part (a Contact wins over a Lead with the same email). `outcome` is 'link' when the value is
-- unique on both sides, else 'ambiguous' (for review, never for a create).
-- Parameters: $pair, $key_kind.
WITH hubspot AS (
    SELECT record_id, key_value
    FROM match_keys
    WHERE side = 'hubspot' AND key_kind = $key_kind
      AND record_id NOT IN (SELECT hubspot_id FROM links WHERE pair = $pair)
      AND record_id NOT IN (SELECT hubspot_id FROM review_items
                            WHERE pair = $pair AND (settled_at IS NULL OR resolution = 'skip') AND hubspot_id IS NOT NULL)
),
salesforce AS (
    SELECT record_id, sobject, key_value, sobject_rank
    FROM match_keys
    WHERE side = 'salesforce' AND key_kind = $key_kind
      AND record_id NOT IN (SELECT salesforce_id FROM links WHERE pair = $pair)
    QUALIFY sobject_rank = min(sobject_rank) OVER (PARTITION BY key_value)
),
hubspot_counts AS (SELECT key_value, count(*) AS n FROM hubspot GROUP BY key_value),
salesforce_counts AS (SELECT key_value, count(*) AS n FROM salesforce GROUP BY key_value)
SELECT
    h.record_id AS hubspot_id,
    s.record_id AS salesforce_id,
    s.sobject AS salesforce_object,
    h.key_value,
    CASE WHEN hc.n = 1 AND sc.n = 1 THEN 'link' ELSE 'ambiguous' END AS outcome
FROM hubspot h
JOIN salesforce s USING (key_value)
JOIN hubspot_counts hc USING (key_value)
JOIN salesforce_counts sc USING (key_value)
