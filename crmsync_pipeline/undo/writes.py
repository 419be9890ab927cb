"""Carrying out an undo plan: the undo is a run of its own (runs.trigger = 'undo') with its own audit
rows, intended before the CRM calls and confirmed after them, like any sync's writes. The originals it
reverted are marked 'undone', so they are never undone twice. State connections are short and never
held across the CRM calls."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from crmsync_pipeline.config import Mapping, Side
from crmsync_pipeline.connectors.errors import CrmError
from crmsync_pipeline.connectors.hubspot import HubSpotConnector
from crmsync_pipeline.connectors.outcome import WriteResult
from crmsync_pipeline.connectors.salesforce import SalesforceConnector
from crmsync_pipeline.undo.bookkeeping import (
    confirm_archives,
    each,
    forget_created,
    mark_originals,
    move_base,
    open_splits,
    reflect_writes,
)
from crmsync_pipeline.undo.plan import CreatedRecord, UndoPlan
from crmsync_pipeline.undo.side_write import SideWrite

Connect = Callable[[], Any]


@dataclass
class UndoReport:
    run_id: str
    restored: int = 0  # fields put back (both sides and base)
    archived: int = 0  # created records archived
    failed: dict[str, int] = field(default_factory=dict)  # error code -> records
    put_back: int = 0  # fields whose written side was put back when the other side failed
    split: int = 0  # fields left apart (a put-back failed too): each has an `undo_split` review item


def execute_undo(
    connect: Connect,
    hubspot: HubSpotConnector,
    salesforce: SalesforceConnector,
    mapping: Mapping,
    plan: UndoPlan,
    undo_run_id: str,
) -> UndoReport:
    """Each field of a link moves on both sides and in base, or not at all: when one side's restore
    fails, the side that took it is put back (its own audit rows), and if that fails too a review item
    (`undo_split`) says which side holds what."""
    report = UndoReport(undo_run_id)
    started = datetime.now(UTC)
    restoring = plan.by_status("restore")
    restores = [
        SideWrite(f, side, record_id, name, value, held)
        for f in restoring
        for side, (record_id, name, value, held) in f.writes.items()
    ]
    with connect() as con:
        con.execute(
            "INSERT INTO runs VALUES (?, ?, NULL, 'running', 'undo', ?)",
            [undo_run_id, started, json.dumps(plan.summary())],
        )
    # Salesforce first (the stricter CRM: required fields, validation rules): HubSpot is written only
    # for fields whose Salesforce side landed (or had nothing to write), so a refusal costs no put-back
    first = [s for s in restores if s.side is Side.SALESFORCE]
    results = _phase(connect, hubspot, salesforce, mapping, undo_run_id, first, plan.creates, report)
    refused = {id(s.undo): (s.side, results[id(s)].error_code) for s in first if not results[id(s)].succeeded}
    then = [s for s in restores if s.side is Side.HUBSPOT and id(s.undo) not in refused]
    results |= _phase(connect, hubspot, salesforce, mapping, undo_run_id, then, [], report)
    refused |= {id(s.undo): (s.side, results[id(s)].error_code) for s in then if not results[id(s)].succeeded}
    restores = first + then
    failed_fields = set(refused)
    took = [s for s in restores if results[id(s)].succeeded and id(s.undo) in failed_fields]
    back = [s.back() for s in took]
    back_results = (
        _phase(connect, hubspot, salesforce, mapping, undo_run_id, back, [], report) if back else {}
    )
    split = [s for s, b in zip(took, back, strict=True) if not back_results[id(b)].succeeded]
    report.put_back = len(took) - len(split)
    report.split = len(split)
    archived = _archive(hubspot, salesforce, mapping, plan.creates, report)
    done = [f for f in restoring if id(f) not in failed_fields]
    report.restored = len(done)
    report.archived = len(archived)
    finished = datetime.now(UTC)
    landed = [s for s in restores if results[id(s)].succeeded] + [
        b for b in back if back_results[id(b)].succeeded
    ]
    with connect() as con:
        con.execute("BEGIN")
        confirm_archives(con, undo_run_id, plan.creates, archived, finished)
        move_base(con, undo_run_id, done, finished)
        reflect_writes(con, landed, started)
        open_splits(con, undo_run_id, split, refused, finished)
        forget_created(con, undo_run_id, plan.run_id, archived, finished)
        mark_originals(con, plan.run_id, done, archived)
        _finish_run(con, plan, report, finished)
        con.execute("COMMIT")
    return report


def _finish_run(
    con: duckdb.DuckDBPyConnection, plan: UndoPlan, report: UndoReport, finished: datetime
) -> None:
    status = "succeeded" if not report.failed else "failed"
    summary = {
        **plan.summary(),
        "restored": report.restored,
        "archived": report.archived,
        "failed": report.failed,
        "put back": report.put_back,
        "left apart (review)": report.split,
    }
    con.execute(
        "UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE run_id = ?",
        [finished, status, json.dumps(summary), report.run_id],
    )


def _phase(
    connect, hubspot, salesforce, mapping, undo_run_id, writes, creates, report
) -> dict[int, WriteResult]:  # type: ignore[no-untyped-def]
    """Intent rows, the CRM calls, then each row confirmed or failed by what its CRM answered for it."""
    intended = datetime.now(UTC)
    with connect() as con:
        each(con, "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              [s.audit_row(undo_run_id, intended) for s in writes] + _archive_intents(undo_run_id, creates, intended))  # fmt: skip
    results = _send(hubspot, salesforce, mapping, writes, report)
    answered = datetime.now(UTC)
    with connect() as con:
        for s in writes:
            outcome = "confirmed" if results[id(s)].succeeded else "failed"
            con.execute(
                "UPDATE audit_log SET outcome = ?, confirmed_at = ? WHERE run_id = ? AND pair = ? AND target = ? "
                "AND record_id = ? AND field = ? AND intended_at = ? AND outcome = 'intended'",
                [outcome, answered if outcome == "confirmed" else None, undo_run_id, s.undo.write.pair,
                 s.side.value, s.record_id, s.name, intended],
            )  # fmt: skip
    return results


def _archive_intents(undo_run_id: str, creates: list[CreatedRecord], now: datetime) -> list[tuple]:
    return [
        (undo_run_id, c.pair, c.target, c.record_id, c.record_id, "@archive", c.record_id, None, False, now,
         None, "intended")
        for c in creates
    ]  # fmt: skip


def _send(
    hubspot, salesforce, mapping, writes: list[SideWrite], report: UndoReport
) -> dict[int, WriteResult]:  # type: ignore[no-untyped-def]
    """One update per record and side (the fields of a record merged), batched by the connectors; the
    answer for each SideWrite (by id) is its record's. A whole call refused fails each of its records
    with the CRM's code."""
    records: dict[tuple[Side, str, str], list[SideWrite]] = defaultdict(list)
    for s in writes:
        records[(s.side, s.object_name(mapping), s.record_id)].append(s)
    by_object: dict[tuple[Side, str], list[str]] = defaultdict(list)
    for side, obj, record_id in records:
        by_object[(side, obj)].append(record_id)
    out: dict[int, WriteResult] = {}
    for (side, obj), ids in by_object.items():
        inputs = [{s.name: s.value for s in records[(side, obj, i)]} for i in ids]
        try:
            if side is Side.HUBSPOT:
                results = hubspot.batch_update(
                    obj, [{"id": i, **{k: "" if v is None else v for k, v in f.items()}} for i, f in zip(ids, inputs, strict=True)]
                )  # fmt: skip
            else:
                results = salesforce.update(obj, [{"Id": i, **f} for i, f in zip(ids, inputs, strict=True)])
        except CrmError as err:
            results = [WriteResult.failed(i, err.code, err.message) for i in ids]
        for record_id, result in zip(ids, results, strict=True):
            if not result.succeeded:
                _count_failure(report, result)
            for s in records[(side, obj, record_id)]:
                out[id(s)] = result
    return out


def _archive(hubspot, salesforce, mapping, creates, report) -> list[CreatedRecord]:  # type: ignore[no-untyped-def]
    archived: list[CreatedRecord] = []
    by_object: dict[tuple[str, str], list[CreatedRecord]] = defaultdict(list)
    for c in creates:
        obj = mapping.pair(c.pair).hubspot if c.target == "hubspot" else c.salesforce_object
        by_object[(c.target, obj)].append(c)
    for (target, obj), records in by_object.items():
        ids = [c.record_id for c in records]
        try:
            results: list[WriteResult] = (
                hubspot.batch_archive(obj, ids) if target == "hubspot" else salesforce.delete(ids)
            )
        except CrmError as err:
            results = [WriteResult.failed(i, err.code, err.message) for i in ids]
        for c, result in zip(records, results, strict=True):
            if result.succeeded:
                archived.append(c)
            else:
                _count_failure(report, result)
    return archived


def _count_failure(report: UndoReport, result: WriteResult) -> None:
    code = result.error_code or "UNKNOWN"
    report.failed[code] = report.failed.get(code, 0) + 1
