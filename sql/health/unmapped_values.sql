-- One row per object pair x side x field x value that records held in one run but the mapping cannot carry
-- (a stage or picklist value missing from the value map, an owner unknown on the other side): how many
-- records hold it, one of them, and the problem.
-- Parameters: $run_id.
SELECT pair, side, field, value,
       count(DISTINCT record_id) AS records,
       min(record_id) AS sample_record,
       any_value(problem) AS problem
FROM value_issues
WHERE run_id = $run_id
GROUP BY pair, side, field, value
ORDER BY records DESC, pair, side, field, value
