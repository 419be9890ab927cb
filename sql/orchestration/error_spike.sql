-- One row when run $run_id failed to write at least $min_failed records and more than $factor times the
-- average of the $window runs with writes before it (an error spike): its failures, that average, and
-- its most frequent code.
-- Parameters: $run_id, $min_failed, $factor, $window.
WITH per_run AS (
    SELECT w.run_id, min(w.written_at) AS written_at,
           count(DISTINCT w.target || w.record_ref) FILTER (WHERE NOT w.succeeded) AS failed,
           mode(w.error_code) FILTER (WHERE NOT w.succeeded) AS top_code
    FROM write_results w
    GROUP BY w.run_id
), this_run AS (
    SELECT * FROM per_run WHERE run_id = $run_id
), before AS (
    SELECT p.failed FROM per_run p, this_run t
    WHERE p.written_at < t.written_at
    ORDER BY p.written_at DESC LIMIT $window
)
SELECT t.run_id, t.failed, round(coalesce((SELECT avg(failed) FROM before), 0), 2) AS usual_failed, t.top_code
FROM this_run t
WHERE t.failed >= $min_failed AND t.failed > $factor * coalesce((SELECT avg(failed) FROM before), 0)
