"""Checks made before a batch is written: rows whose source moved since an old plan, and fields
someone edited on the target since the snapshot, are held back (stale_plans); before crmsync first
writes to Salesforce it learns which user it writes as (salesforce_edit_times)."""

from __future__ import annotations

from dataclasses import replace

from crmsync_pipeline.write.job import ApplyJob, PendingRecord
from crmsync_pipeline.write.stale_plans import drop_rows_whose_target_moved, drop_stale_rows


def know_who_writes(job: ApplyJob, records: list[PendingRecord]) -> None:
    """Before a phase's writes, the writer learns who it writes as (Salesforce: see CrmWriter)."""
    if records:
        job.writer.learn_who_writes(job.connect)


def fresh_rows(job: ApplyJob, batch: list[PendingRecord]) -> list[PendingRecord]:
    """The batch without the rows whose source moved since the plan (checked only once they are old)."""
    source = job.writer.source
    if source is None or not batch:
        return batch
    dropped = drop_stale_rows(
        job.connect,
        source,
        job.run_id,
        job.pair_name,
        job.pair,
        job.target,
        [r.ref for r in batch],
        job.max_age,
    )
    if not dropped:
        return batch
    job.summary.stale += len({ref for ref, _ in dropped})
    return _without(batch, dropped)


def untouched_targets(job: ApplyJob, batch: list[PendingRecord]) -> list[PendingRecord]:
    """The update batch without the fields someone edited on the target since the snapshot. Bulk jobs
    are checked too (one query per 200 records): a job that overwrote an edit made while the run planned
    would lose it without a trace (found by the chaos soak)."""
    reader = job.writer.target_reader()
    if reader is None or not batch:
        return batch
    moved = drop_rows_whose_target_moved(
        job.connect,
        reader,
        job.run_id,
        job.pair_name,
        job.pair,
        batch,
    )
    if not moved:
        return batch
    job.summary.stale += len({ref for ref, _ in moved})
    return _without(batch, moved)


def _without(batch: list[PendingRecord], dropped: set[tuple[str, str]]) -> list[PendingRecord]:
    kept = []
    for record in batch:
        values = {k: v for k, v in record.values.items() if (record.ref, k) not in dropped}
        if values:
            kept.append(replace(record, values=values))
    return kept
