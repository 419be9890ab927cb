-- One row per record or associated pair whose write outside the plan failed (a junction pair, a mirrored
-- merge): the CRM's code and message, first and last seen, attempts counted across runs.
-- Parameters: $pair, $target, $refs, $codes, $messages (lists in the same order), $now, $run_id.
INSERT INTO sync_errors
SELECT $pair, $target, f.ref, f.code, f.message, $now, $now, 1, $run_id
FROM (SELECT unnest($refs::VARCHAR[]) AS ref, unnest($codes::VARCHAR[]) AS code,
             unnest($messages::VARCHAR[]) AS message) f
ON CONFLICT (pair, target, record_ref) DO UPDATE SET
    error_code = excluded.error_code,
    error_message = excluded.error_message,
    last_seen = excluded.last_seen,
    attempts = sync_errors.attempts + 1,
    last_run_id = excluded.last_run_id
