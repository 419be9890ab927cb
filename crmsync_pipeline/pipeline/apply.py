"""Apply a pair's plan to one CRM: creates first (as upserts on the cross-reference field, so a create
repeated after a crash finds its record), then the cross-references those creates made necessary,
then updates. Around every batch: the audit intent before the call, the outcome after it, each in its
own short-lived state connection (never held across an API call)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import duckdb

from crmsync_pipeline.config import ObjectPair
from crmsync_pipeline.connectors.outcome import WriteResult

from .outcomes import WriteOutcome, record_intent, record_outcomes
from .reflect import reflect_writes
from .xrefs import plan_cross_references

Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


class CrmWriter(Protocol):
    """What applying a plan needs from a CRM connector. Outcomes come back in input order."""

    crm: str
    batch_size: int

    def create(
        self, object_name: str, key_field: str, records: list[dict[str, Any]]
    ) -> list[WriteResult]: ...

    def update(self, object_name: str, records: list[dict[str, Any]]) -> list[WriteResult]: ...


@dataclass
class ApplySummary:
    created: int = 0
    updated: int = 0
    failed: int = 0
    errors: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class PendingRecord:
    ref: str
    object_name: str
    values: dict[str, Any]


def apply_plan(
    connect: Connect, writer: CrmWriter, run_id: str, pair_name: str, pair: ObjectPair
) -> ApplySummary:
    target = writer.crm
    summary = ApplySummary()
    key_field = pair.xref.salesforce_field if target == "salesforce" else pair.xref.hubspot_property
    creates = _pending(connect, run_id, pair_name, target, "create", pair)
    for object_name, batch in _batches(creates, writer.batch_size):
        payload = [{**r.values, key_field: r.ref} for r in batch]
        outcomes = _write(
            connect,
            run_id,
            pair_name,
            target,
            batch,
            lambda p=payload, o=object_name: writer.create(o, key_field, p),
        )
        _count(summary, outcomes, created=True)
    with connect() as con:
        plan_cross_references(con, run_id, pair_name, pair, datetime.now(UTC))
    updates = _pending(connect, run_id, pair_name, target, "update", pair)
    for object_name, batch in _batches(updates, writer.batch_size):
        payload = [{**r.values, "id": r.ref} for r in batch]
        outcomes = _write(
            connect, run_id, pair_name, target, batch, lambda p=payload, o=object_name: writer.update(o, p)
        )
        _count(summary, outcomes, created=False)
    return summary


def _pending(
    connect: Connect, run_id: str, pair_name: str, target: str, action: str, pair: ObjectPair
) -> list[PendingRecord]:
    """Plan rows not yet applied (no confirmed or failed audit row), grouped into one payload per record."""
    with connect() as con:
        rows = con.execute(
            """SELECT p.record_ref, p.salesforce_object, p.target_field, p.new_value
               FROM plan_rows p
               WHERE p.run_id = $run_id AND p.pair = $pair AND p.target = $target AND p.action = $action
                 AND p.preflight_error IS NULL
                 AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.run_id = p.run_id AND a.pair = p.pair
                                 AND a.target = p.target AND a.source_id = p.record_ref
                                 AND a.outcome IN ('confirmed', 'failed'))
               ORDER BY p.record_ref, p.target_field""",
            {"run_id": run_id, "pair": pair_name, "target": target, "action": action},
        ).fetchall()
    grouped: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    for ref, sobject, target_field, value in rows:
        object_name = sobject if target == "salesforce" else pair.hubspot
        grouped[(ref, object_name)][target_field] = value
    return [PendingRecord(ref, obj, values) for (ref, obj), values in grouped.items()]


def _batches(records: list[PendingRecord], size: int) -> Iterator[tuple[str, list[PendingRecord]]]:
    by_object: dict[str, list[PendingRecord]] = defaultdict(list)
    for record in records:
        by_object[record.object_name].append(record)
    for object_name, items in by_object.items():
        for start in range(0, len(items), size):
            yield object_name, items[start : start + size]


def _write(
    connect: Connect,
    run_id: str,
    pair_name: str,
    target: str,
    batch: list[PendingRecord],
    call: Callable[[], list[WriteResult]],
) -> list[WriteOutcome]:
    refs = [r.ref for r in batch]
    intended_at = datetime.now(UTC)
    with connect() as con:
        record_intent(con, run_id, pair_name, target, refs, intended_at)
    results = call()
    outcomes = [
        WriteOutcome(ref, o.record_id, o.succeeded, o.created, o.error_code, o.error_message, o.error_fields)
        for ref, o in zip(refs, results, strict=True)
    ]
    with connect() as con:
        record_outcomes(con, run_id, pair_name, target, outcomes, datetime.now(UTC))
        reflect_writes(
            con,
            run_id,
            pair_name,
            target,
            [o.record_ref for o in outcomes if o.succeeded],
            intended_at,
            hubspot_object=batch[0].object_name if target == "hubspot" else None,
        )
    return outcomes


def _count(summary: ApplySummary, outcomes: list[WriteOutcome], created: bool) -> None:
    for o in outcomes:
        if not o.succeeded:
            summary.failed += 1
            summary.errors[o.error_code or "UNKNOWN"] += 1
        elif created:
            summary.created += 1
        else:
            summary.updated += 1
