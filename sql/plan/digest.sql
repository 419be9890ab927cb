-- One row: the digest of one run's plan for one pair, over what it would write (target, action, record,
-- field, old and new value), independent of run id and timing, so two runs that would write the very
-- same things have the same digest. Parameters: $run_id, $pair.
SELECT
    md5(coalesce(string_agg(
        concat_ws(chr(31), target, action, record_ref, target_field, coalesce(old_value, chr(0)),
                  coalesce(new_value, chr(0))),
        chr(30) ORDER BY target, action, record_ref, target_field, old_value, new_value), '')) AS digest,
    count(DISTINCT CASE WHEN action = 'update' THEN target || record_ref END) AS records
FROM plan_rows
WHERE run_id = $run_id AND pair = $pair AND preflight_error IS NULL
