"""Checks made before a batch is written: rows whose source moved since an old plan, and fields
someone edited on the target since the snapshot, are held back (stale_plans); before crmsync first
writes to Salesforce it learns which user it writes as (salesforce_edit_times)."""

from __future__ import annotations

from dataclasses import replace

from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.extract.salesforce_edit_times import learn_integration_user
from crmsync_pipeline.write.job import ApplyJob, PendingRecord
from crmsync_pipeline.write.stale_plans import (
    HubSpotSource,
    SalesforceSource,
    SourceReader,
    drop_rows_whose_target_moved,
    drop_stale_rows,
)


def know_who_writes(job: ApplyJob, records: list[PendingRecord]) -> None:
    """Before crmsync's first Salesforce write, learn which user it writes as (see salesforce_edit_times)."""
    connector = getattr(job.writer, "connector", None)
    if records and job.target == "salesforce" and isinstance(connector, SalesforceConnector):
        learn_integration_user(job.connect, connector)


def fresh_rows(job: ApplyJob, batch: list[PendingRecord]) -> list[PendingRecord]:
    """The batch without the rows whose source moved since the plan (checked only once they are old)."""
    source: SourceReader | None = getattr(job.writer, "source", None)
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
    connector = getattr(job.writer, "connector", None)
    if connector is None or not batch:
        return batch
    reader: SourceReader = (
        HubSpotSource(connector) if job.target == "hubspot" else SalesforceSource(connector)
    )
    moved = drop_rows_whose_target_moved(
        job.connect,
        reader,
        job.run_id,
        job.pair_name,
        job.pair,
        [(r.ref, r.object_name, list(r.values)) for r in batch],
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
