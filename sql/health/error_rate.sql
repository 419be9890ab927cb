-- One row per object pair x target CRM of one run whose share of records that failed to write is above
-- $max_share: records written, records failed, the share and the most frequent error code.
-- Parameters: $run_id, $max_share.
SELECT pair, target,
       count(DISTINCT record_ref) AS records,
       count(DISTINCT record_ref) FILTER (WHERE NOT succeeded) AS failed,
       round(count(DISTINCT record_ref) FILTER (WHERE NOT succeeded) / count(DISTINCT record_ref), 4) AS error_rate,
       mode(error_code) FILTER (WHERE NOT succeeded) AS top_code
FROM write_results
WHERE run_id = $run_id
GROUP BY pair, target
HAVING count(DISTINCT record_ref) FILTER (WHERE NOT succeeded) > $max_share * count(DISTINCT record_ref)
ORDER BY error_rate DESC, pair, target
