-- Keeps what each side holds for every field of a link that the plan judges without a base and writes
-- (a first link, a fill of a value never set): one first_link_values row per link and field, the
-- earliest kept (a later plan compares with what the sides held then, not now).
-- Input: the decisions (field_decisions.sql over the temp table `field_state`, formatted in as
-- "decisions" in braces). Parameters: $run_id, $now, $skew_seconds.
INSERT INTO first_link_values
SELECT pair, hubspot_id, salesforce_id, field, hubspot_value, salesforce_value, $now, $run_id
FROM ({decisions})
WHERE NOT has_base AND decision IN ('write_hubspot', 'write_salesforce')
  AND (reason LIKE '%first_link%' OR reason LIKE '%fill_empty%') AND field NOT LIKE '@%'
ON CONFLICT DO NOTHING
