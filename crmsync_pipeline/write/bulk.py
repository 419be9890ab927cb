"""Large Salesforce writes as Bulk API 2.0 jobs instead of sObject Collections (200 records a call):
above a threshold of records for one sObject, creates go as one upsert job on the external-id field
and updates as one update job. Each job id is stored in `bulk_jobs`, with the rows it carries in
`bulk_job_records`, before its data is uploaded; a job a crash left `submitted` is reconciled (its
result files read, outcomes recorded as a collections write would) before anything is planned again."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from crmsync_pipeline.connectors.bulk_csv import bulk_job_slices
from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.connections import Connect
from crmsync_pipeline.write.batch import confirm, still_intended

BULK_THRESHOLD_ENV = "CRMSYNC_BULK_THRESHOLD"
# Below this many records, Collections (one call per 200) cost fewer calls and less waiting than a job
# (create, upload, close, polls, three result files).
DEFAULT_BULK_THRESHOLD = 2_000

log = dg.get_dagster_logger("crmsync.bulk")  # lands in the Dagster run log


def bulk_threshold() -> int:
    """Records of one sObject above which a write goes as a Bulk job (env CRMSYNC_BULK_THRESHOLD)."""
    return int(os.environ.get(BULK_THRESHOLD_ENV) or DEFAULT_BULK_THRESHOLD)


def bulk_write(
    connect: Connect,
    connector: SalesforceConnector,
    run_id: str,
    pair_name: str,
    sobject: str,
    operation: str,
    refs: Sequence[str],
    records: Sequence[dict[str, Any]],
    external_id_field: str | None = None,
) -> list[WriteResult]:
    """One Bulk 2.0 job (more past ~90 MB of CSV) for these records, results in input order. The caller
    records the intent before and the outcomes after, then calls `settle_jobs`."""
    types = connector.field_types(sobject)
    rows = [_bulk_row(connector.typed(sobject, r, types)) for r in records]
    slices = iter(bulk_job_slices(rows, operation))

    def on_job_created(job_id: str) -> None:
        start, end = next(slices)
        now = datetime.now(UTC)
        with connect() as con:
            con.execute(
                "INSERT INTO bulk_jobs VALUES (?, ?, ?, ?, ?, 'submitted', ?, ?)",
                [job_id, run_id, pair_name, sobject, operation, now, now],
            )
            insert_rows(
                con,
                "bulk_job_records",
                [(job_id, i - start, refs[i], json.dumps(rows[i])) for i in range(start, end)],
            )
        log.info(
            "Bulk %s job %s for %d %s record(s) of %s", operation, job_id, end - start, sobject, pair_name
        )

    return connector.bulk_ingest(operation, sobject, rows, external_id_field, on_job_created)


def settle_jobs(
    connect: Connect, run_id: str, pair_name: str, sobject: str, results: Sequence[WriteResult]
) -> None:
    """After the outcomes are recorded: this run's submitted jobs for the sObject are done."""
    failed = bool(results) and all((r.error_code or "").startswith("BULK_JOB_") for r in results)
    with connect() as con:
        con.execute(
            "UPDATE bulk_jobs SET state = ?, updated_at = ? WHERE run_id = ? AND pair = ? AND sobject = ? "
            "AND state = 'submitted'",
            ["failed" if failed else "complete", datetime.now(UTC), run_id, pair_name, sobject],
        )


def reconcile_bulk_jobs(
    connect: Connect,
    connector: SalesforceConnector,
    pair_name: str | None = None,
    sobject: str | None = None,
) -> int:
    """Settle every job still recorded as submitted (a run died while it ran): read its results and
    record them under the run that submitted it, for the records whose intent has no outcome yet.
    A job never closed (the crash came before the upload finished) is aborted: nothing was written, so
    those intents stay open and the records are planned again. Returns the jobs settled."""
    with connect() as con:
        rows = con.execute(
            """SELECT job_id, run_id, pair, sobject, operation, created_at FROM bulk_jobs
               WHERE state = 'submitted' AND job_id IS NOT NULL
                 AND ($pair IS NULL OR pair = $pair) AND ($sobject IS NULL OR sobject = $sobject)
               ORDER BY created_at""",
            {"pair": pair_name, "sobject": sobject},
        ).fetchall()
    jobs = [SubmittedJob(*row) for row in rows]  # the SELECT's columns are the fields, in order
    for job in jobs:
        state = _reconcile_job(connect, connector, job)
        with connect() as con:
            con.execute(
                "UPDATE bulk_jobs SET state = ?, updated_at = ? WHERE job_id = ?",
                [state, datetime.now(UTC), job.job_id],
            )
        log.info(
            "Bulk job %s of run %s (%s %s) reconciled: %s",
            job.job_id,
            job.run_id,
            job.operation,
            job.sobject,
            state,
        )
    return len(jobs)


@dataclass(frozen=True)
class SubmittedJob:
    """A row of `bulk_jobs` still 'submitted': a run died while the job ran."""

    job_id: str
    run_id: str
    pair_name: str
    sobject: str
    operation: str  # upsert | update
    created_at: datetime


def _reconcile_job(connect: Connect, connector: SalesforceConnector, job: SubmittedJob) -> str:
    """Read the job's results into the outcomes of the intents still open; returns its new state."""
    job_id, sobject = job.job_id, job.sobject
    with connect() as con:
        stored = con.execute(
            "SELECT record_ref, payload FROM bulk_job_records WHERE job_id = ? ORDER BY position", [job_id]
        ).fetchall()
    try:
        state = _job_info(connector, job_id).get("state")
        if state == "Open":
            # Never closed: Salesforce processes nothing until then, and would wait for us forever.
            connector.call("bulk2.ingest.abort", lambda: connector._bulk(sobject).abort_job(job_id, False))
        if state in ("Open", "Aborted"):
            return "failed"  # nothing was written: the intents stay open and the records are planned again
        results = connector.bulk_ingest_results(
            sobject, job_id, [json.loads(p) for _, p in stored], job.operation
        )
    except CrmError as error:
        if error.status == 404:  # the org no longer knows the job (it keeps them 7 days)
            return "failed"
        raise
    refs = [ref for ref, _ in stored]
    open_refs = still_intended(connect, job.run_id, job.pair_name, "salesforce", refs)
    kept = [(ref, r) for ref, r in zip(refs, results, strict=True) if ref in open_refs]
    if kept:
        kept_refs, kept_results = [k for k, _ in kept], [r for _, r in kept]
        confirm(connect, job.run_id, job.pair_name, "salesforce", kept_refs, kept_results, job.created_at)
    return "reconciled"


def _job_info(connector: SalesforceConnector, job_id: str) -> dict[str, Any]:
    return connector.call("bulk2.ingest.status", lambda: connector._bulk("Job").get_job(job_id, False))


def _bulk_row(typed: dict[str, Any]) -> dict[str, Any]:
    """The record as the connector types it for Collections (numbers, booleans, None = clear), which
    the Bulk CSV writes the same way, so both APIs store the same values."""
    return {k: v for k, v in typed.items() if k != "attributes"}
