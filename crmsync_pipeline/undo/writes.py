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
from crmsync_pipeline.state.names import column_exists, quoted, table_exists
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items
from crmsync_pipeline.state.snapshots import SnapshotTables
from crmsync_pipeline.undo.plan import CreatedRecord, FieldUndo, UndoPlan

Connect = Callable[[], Any]


@dataclass
class UndoReport:
    run_id: str
    restored: int = 0  # fields put back (both sides and base)
    archived: int = 0  # created records archived
    failed: dict[str, int] = field(default_factory=dict)  # error code -> records
    put_back: int = 0  # fields whose written side was put back when the other side failed
    split: int = 0  # fields left apart (a put-back failed too): each has an `undo_split` review item


@dataclass(frozen=True)
class SideWrite:
    """One value undo sends to one side for one field (a restore, or a put-back of the value the side
    held before the undo)."""

    undo: FieldUndo
    side: Side
    record_id: str
    name: str
    value: str | None  # what is written
    held: Any  # what the side holds before this write

    def object_name(self, mapping: Mapping) -> str:
        return (
            mapping.pair(self.undo.write.pair).hubspot
            if self.side is Side.HUBSPOT
            else self.undo.write.salesforce_object
        )

    def audit_row(self, run_id: str, now: datetime) -> tuple:
        w = self.undo.write
        return (run_id, w.pair, self.side.value, self.record_id, self.record_id, self.name, _text(self.held),
                self.value, False, now, None, "intended")  # fmt: skip

    def back(self) -> SideWrite:
        """The write that puts this side back to what it held before the undo."""
        return SideWrite(self.undo, self.side, self.record_id, self.name, _text(self.held), self.value)


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
        _confirm_archives(con, undo_run_id, plan.creates, archived, finished)
        _move_base(con, undo_run_id, done, finished)
        _reflect_writes(con, landed, started)
        _open_splits(con, undo_run_id, split, refused, finished)
        _forget_created(con, undo_run_id, plan.run_id, archived, finished)
        _mark_originals(con, plan.run_id, done, archived)
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
        _each(con, "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _count_failure(report: UndoReport, result: WriteResult) -> None:
    code = result.error_code or "UNKNOWN"
    report.failed[code] = report.failed.get(code, 0) + 1


def _confirm_archives(con, undo_run_id, creates, archived, now) -> None:  # type: ignore[no-untyped-def]
    gone = {(c.target, c.record_id) for c in archived}
    _each(
        con,
        "UPDATE audit_log SET outcome = ?, confirmed_at = ? WHERE run_id = ? AND pair = ? AND target = ? "
        "AND record_id = ? AND field = '@archive' AND outcome = 'intended'",
        [
            ("confirmed" if (c.target, c.record_id) in gone else "failed",
             now if (c.target, c.record_id) in gone else None, undo_run_id, c.pair, c.target, c.record_id)
            for c in creates
        ],
    )  # fmt: skip


def _move_base(con, undo_run_id, done, now) -> None:  # type: ignore[no-untyped-def]
    for f in done:
        w = f.write
        if f.sets_base:
            con.execute(
                "INSERT INTO base_values VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (pair, hubspot_id, field) "
                "DO UPDATE SET value = excluded.value, agreed_at = excluded.agreed_at, run_id = excluded.run_id",
                [w.pair, w.hubspot_id, w.field, f.restored, now, undo_run_id],
            )
        else:
            con.execute(
                "DELETE FROM base_values WHERE pair = ? AND hubspot_id = ? AND field = ?",
                [w.pair, w.hubspot_id, w.field],
            )


def _reflect_writes(con, landed: list[SideWrite], started: datetime) -> None:  # type: ignore[no-untyped-def]
    """Every write a CRM took, in order (a put-back after its restore), into the snapshots."""
    for s in landed:
        _reflect(con, SnapshotTables.of(s.undo.write.pair).on(s.side), s.record_id, s.name, s.value, started)


def _open_splits(con, undo_run_id, split: list[SideWrite], refused, now) -> None:  # type: ignore[no-untyped-def]
    """A field whose restore landed on one side only and could not be put back: a person decides."""
    items = []
    for s in split:
        w = s.undo.write
        other, code = refused[id(s.undo)]
        items.append(
            ReviewItem(
                f"undo_split:{undo_run_id}:{w.pair}:{w.hubspot_id}:{w.field}",
                "undo_split",
                w.pair,
                w.hubspot_id,
                [w.salesforce_id],
                {
                    "field": w.field,
                    "restored_on": s.side.value,
                    "value": s.value,
                    "refused_by": other.value,
                    "error": code,
                    "undo_run": undo_run_id,
                },
            )
        )
    open_review_items(con, items, undo_run_id, now)


def _reflect(
    con: duckdb.DuckDBPyConnection, table: str, record_id: str, name: str, value: Any, at: datetime
) -> None:
    """The snapshot takes the restored value (a lagging incremental read cannot bring the old one back)."""
    if not table_exists(con, table) or not column_exists(con, table, name):
        return
    con.execute(
        f"UPDATE {quoted(table)} SET {quoted(name)} = nullif(?, ''), _modified_at = greatest(_modified_at, ?) "
        "WHERE id = ?",
        [value, at, record_id],
    )


def _forget_created(con, undo_run_id, original_run, archived, now) -> None:  # type: ignore[no-untyped-def]
    held = []
    for c in archived:
        con.execute("DELETE FROM links WHERE pair = ? AND hubspot_id = ?", [c.pair, c.hubspot_id])
        con.execute("DELETE FROM base_values WHERE pair = ? AND hubspot_id = ?", [c.pair, c.hubspot_id])
        flag = "_archived" if c.target == "hubspot" else "_deleted"
        table = SnapshotTables.of(c.pair).on(c.target)
        if table_exists(con, table) and column_exists(con, table, flag):
            con.execute(f"UPDATE {quoted(table)} SET {quoted(flag)} = true WHERE id = ?", [c.record_id])
        source_hubspot = c.target == "salesforce"
        held.append(
            ReviewItem(
                f"undone:{c.pair}:{c.target}:{c.source_id}",
                "undone_create",
                c.pair,
                c.source_id if source_hubspot else None,
                [] if source_hubspot else [c.source_id],
                {"created": c.record_id, "in": c.target, "by_run": original_run},
            )
        )
    open_review_items(con, held, undo_run_id, now)


def _mark_originals(con, original_run, done, archived) -> None:  # type: ignore[no-untyped-def]
    _each(
        con,
        "UPDATE audit_log SET outcome = 'undone' WHERE run_id = ? AND pair = ? AND target = ? AND record_id = ? "
        "AND field = ? AND outcome = 'confirmed'",
        [(original_run, f.write.pair, f.write.target, f.write.record_id, f.write.target_field) for f in done],
    )
    _each(
        con,
        "UPDATE audit_log SET outcome = 'undone' WHERE run_id = ? AND pair = ? AND target = ? AND record_id = ? "
        "AND outcome = 'confirmed'",
        [(original_run, c.pair, c.target, c.record_id) for c in archived],
    )


def _each(con: duckdb.DuckDBPyConnection, statement: str, rows: list[tuple]) -> None:
    if rows:  # DuckDB refuses executemany with no rows
        con.executemany(statement, rows)
