"""Apply a pair's plan to one CRM: creates first (as upserts on the cross-reference field, so a create
repeated after a crash finds its record), then what the CRM filled in on those creates, carried across
(created_values), then the cross-references those creates made necessary, then updates. Around every
batch: the audit intent before the call, the outcome after it, each in its own short-lived state
connection (never held across an API call). Rows that waited past the plan's maximum age are checked
against their source first, and every update batch against its target (stale_plans); large Salesforce
writes go as Bulk API jobs (bulk_writes), recorded exactly as a collections write would be."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from crmsync_pipeline import progress
from crmsync_pipeline.config import ObjectPair
from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.plan.xrefs import plan_cross_references
from crmsync_pipeline.state.audit_log import mark_interrupted_intents
from crmsync_pipeline.state.connections import Connect, one_database_instance
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.write.batch import confirm, intend
from crmsync_pipeline.write.batch_pipeline import Send, write_in_batches
from crmsync_pipeline.write.created_values import settle_created
from crmsync_pipeline.write.crm_writer import CrmWriter
from crmsync_pipeline.write.job import ApplyJob, ApplySummary, PendingRecord
from crmsync_pipeline.write.rechecks import fresh_rows, know_who_writes, untouched_targets
from crmsync_pipeline.write.stale_plans import max_plan_age

__all__ = ["ApplySummary", "Connect", "CrmWriter", "PendingRecord", "apply_plan"]


def apply_plan(
    connect: Connect,
    writer: CrmWriter,
    run_id: str,
    pair_name: str,
    pair: ObjectPair,
    max_age: timedelta | None = None,
    halt: threading.Event | None = None,
    after_creates: Callable[[], None] | None = None,
) -> ApplySummary:
    """`max_age`: plan rows older than this are checked against their source before being written
    (default: env CRMSYNC_MAX_PLAN_AGE_SECONDS, else one minute). `halt`: once set, the writes stop
    before their next batch (WritesHalted). `after_creates`: called between the creates and the
    cross-references they need (apply_both waits there for the other CRM's creates)."""
    with one_database_instance(connect):
        return _apply_plan(connect, writer, run_id, pair_name, pair, max_age, halt, after_creates)


def _apply_plan(
    connect: Connect,
    writer: CrmWriter,
    run_id: str,
    pair_name: str,
    pair: ObjectPair,
    max_age: timedelta | None,
    halt: threading.Event | None,
    after_creates: Callable[[], None] | None,
) -> ApplySummary:
    age = max_plan_age() if max_age is None else max_age
    job = ApplyJob(connect, writer, run_id, pair_name, pair, age, ApplySummary(), halt)
    writer.reconcile_bulk_jobs(connect, pair_name)  # a job a crashed run left behind settles first
    target = writer.crm
    with connect() as con:
        mark_interrupted_intents(con, run_id, pair_name, target)
    key_field = pair.xref.salesforce_field if target == "salesforce" else pair.xref.hubspot_property
    creates = _pending(connect, run_id, pair_name, target, "create", pair)
    know_who_writes(job, creates)
    _write_all(job, "create", creates, key_field)
    settle_created(job, creates)  # what the CRM filled in goes across before either side's updates
    if after_creates is not None:
        after_creates()
    with connect() as con:
        plan_cross_references(con, run_id, pair_name, pair, datetime.now(UTC))
    updates = _pending(connect, run_id, pair_name, target, "update", pair)
    know_who_writes(job, updates)
    _write_all(job, "update", updates, key_field)
    return job.summary


def _write_all(job: ApplyJob, action: str, records: list[PendingRecord], key_field: str) -> None:
    writer = job.writer
    for object_name, items in _by_object(records).items():
        task = f"write {job.target} {job.pair_name}:{object_name} {action}s"
        if writer.goes_in_bulk(len(items)):
            job.check_halt()
            fresh = fresh_rows(job, items)
            if action == "update":  # one query per 200 records: a user's edit is never overwritten unseen
                fresh = untouched_targets(job, fresh)
            _write_in_bulk(job, action, object_name, fresh, key_field)
            progress.report(task, len(items), len(items))
            continue
        write_in_batches(job, action, items, _sender(writer, action, object_name, key_field), task)


def _sender(writer: CrmWriter, action: str, object_name: str, key_field: str) -> Send:
    def send(batch: list[PendingRecord]) -> list[WriteResult]:
        if action == "create":
            return writer.create(object_name, key_field, _payload(action, batch, key_field))
        return writer.update(object_name, _payload(action, batch, key_field))

    return send


def _payload(action: str, batch: list[PendingRecord], key_field: str) -> list[dict[str, Any]]:
    """A create carries its cross-reference key (the upsert key), an update its target id."""
    if action == "create":
        return [{**r.values, key_field: r.ref} for r in batch]
    return [{**r.values, "id": r.ref} for r in batch]


def _write_in_bulk(
    job: ApplyJob, action: str, object_name: str, batch: list[PendingRecord], key_field: str
) -> None:
    if not batch:
        return
    refs = [r.ref for r in batch]
    payload = _payload(action, batch, key_field)
    writer = job.writer
    intended_at = intend(job.connect, job.run_id, job.pair_name, job.target, refs)
    results = writer.write_in_bulk(
        job.connect, job.run_id, job.pair_name, object_name, action, refs, payload, key_field
    )
    outcomes = confirm(
        job.connect,
        job.run_id,
        job.pair_name,
        job.target,
        refs,
        results,
        intended_at,
        agreed_empty=job.agreed_empty,
    )
    writer.settle_bulk_jobs(job.connect, job.run_id, job.pair_name, object_name, results)
    job.summary.count(outcomes, created=action == "create")


def _pending(
    connect: Connect, run_id: str, pair_name: str, target: str, action: str, pair: ObjectPair
) -> list[PendingRecord]:
    """Plan rows not yet applied (no confirmed or failed audit row), grouped into one payload per record."""
    with connect() as con:
        rows = con.execute(
            sql("write/pending_values.sql"),
            {"run_id": run_id, "pair": pair_name, "target": target, "action": action},
        ).fetchall()
    grouped: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    for ref, sobject, target_field, value in rows:
        object_name = sobject if target == "salesforce" else pair.hubspot
        grouped[(ref, object_name)][target_field] = value
    return [PendingRecord(ref, obj, values) for (ref, obj), values in grouped.items()]


def _by_object(records: list[PendingRecord]) -> dict[str, list[PendingRecord]]:
    by_object: dict[str, list[PendingRecord]] = defaultdict(list)
    for record in records:
        by_object[record.object_name].append(record)
    return by_object
