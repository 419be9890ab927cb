-- One audit_log row per field write an earlier run intended and never settled because the run died
-- between recording the intent and recording the CRM's answer (killed, out of memory, machine lost).
-- The write may or may not have reached the CRM: the row is marked 'interrupted' (not undone by
-- `crmsync undo`, which only reverts confirmed writes); this run's three-way merge finds the field in
-- sync or plans it again, so nothing is skipped. Rows of a Bulk job not reconciled yet are left for the
-- reconciliation, which confirms them from the job's results.
-- Parameters: $run_id (this run, whose intents are still live), $pair, $target.
UPDATE audit_log SET outcome = 'interrupted'
WHERE outcome = 'intended' AND pair = $pair AND target = $target AND run_id <> $run_id
  AND NOT EXISTS (
      SELECT 1 FROM bulk_jobs j JOIN bulk_job_records r ON r.job_id = j.job_id
      WHERE j.run_id = audit_log.run_id AND j.pair = audit_log.pair AND j.state IN ('preparing', 'submitted')
        AND r.record_ref = audit_log.source_id);
