-- One row per record that failed to sync on at least $min_attempts runs and still fails (sync_errors):
-- its pair, target, code, message, attempts and when it first and last failed.
-- Parameters: $min_attempts.
SELECT pair, target, record_ref, error_code, error_message, attempts, first_seen, last_seen
FROM sync_errors
WHERE attempts >= $min_attempts
ORDER BY attempts DESC, last_seen DESC, pair, target, record_ref
