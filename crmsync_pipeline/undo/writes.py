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
    restored: int = 0  # fields put back
    archived: int = 0  # created records archived
    failed: dict[str, int] = field(default_factory=dict)  # error code -> records


def execute_undo(
    connect: Connect,
    hubspot: HubSpotConnector,
    salesforce: SalesforceConnector,
    mapping: Mapping,
    plan: UndoPlan,
    undo_run_id: str,
) -> UndoReport:
    report = UndoReport(undo_run_id)
    started = datetime.now(UTC)
    restoring = plan.by_status("restore")
    with connect() as con:
        con.execute(
            "INSERT INTO runs VALUES (?, ?, NULL, 'running', 'undo', ?)",
            [undo_run_id, started, json.dumps(plan.summary())],
        )
        _record_intent(con, undo_run_id, restoring, plan.creates, started)
    failed_fields = _write_fields(hubspot, salesforce, mapping, restoring, report)
    archived = _archive(hubspot, salesforce, mapping, plan.creates, report)
    done = [f for f in restoring if id(f) not in failed_fields]
    report.restored = len(done)
    report.archived = len(archived)
    finished = datetime.now(UTC)
    with connect() as con:
        con.execute("BEGIN")
        _confirm(con, undo_run_id, restoring, failed_fields, plan.creates, archived, finished)
        _move_base_and_snapshots(con, undo_run_id, done, started, finished)
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
    }
    con.execute(
        "UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE run_id = ?",
        [finished, status, json.dumps(summary), report.run_id],
    )


def _record_intent(con, undo_run_id, restoring, creates, now) -> None:  # type: ignore[no-untyped-def]
    rows = [
        (
            undo_run_id,
            f.write.pair,
            side.value,
            record_id,
            record_id,
            name,
            _text(held),
            value,
            False,
            now,
            None,
            "intended",
        )
        for f in restoring
        for side, (record_id, name, value, held) in f.writes.items()
    ]
    rows += [
        (
            undo_run_id,
            c.pair,
            c.target,
            c.record_id,
            c.record_id,
            "@archive",
            c.record_id,
            None,
            False,
            now,
            None,
            "intended",
        )
        for c in creates
    ]
    _each(con, "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _write_fields(hubspot, salesforce, mapping, restoring, report) -> set[int]:  # type: ignore[no-untyped-def]
    """One update per record and side (fields of a record merged), batched by the connectors; returns
    the ids of FieldUndos whose record a CRM rejected."""
    records: dict[tuple[Side, str, str], dict[str, Any]] = defaultdict(dict)
    owners: dict[tuple[Side, str, str], list[FieldUndo]] = defaultdict(list)
    for f in restoring:
        for side, (record_id, name, value, _) in f.writes.items():
            obj = mapping.pair(f.write.pair).hubspot if side is Side.HUBSPOT else f.write.salesforce_object
            records[(side, obj, record_id)][name] = value
            owners[(side, obj, record_id)].append(f)
    by_object: dict[tuple[Side, str], list[str]] = defaultdict(list)
    for side, obj, record_id in records:
        by_object[(side, obj)].append(record_id)
    failed: set[int] = set()
    for (side, obj), ids in by_object.items():
        if side is Side.HUBSPOT:
            inputs = [
                {"id": i, **{k: "" if v is None else v for k, v in records[(side, obj, i)].items()}}
                for i in ids
            ]
            results = hubspot.batch_update(obj, inputs)
        else:
            results = salesforce.update(obj, [{"Id": i, **records[(side, obj, i)]} for i in ids])
        for record_id, result in zip(ids, results, strict=True):
            if not result.succeeded:
                _count_failure(report, result)
                failed |= {id(f) for f in owners[(side, obj, record_id)]}
    return failed


def _archive(hubspot, salesforce, mapping, creates, report) -> list[CreatedRecord]:  # type: ignore[no-untyped-def]
    archived: list[CreatedRecord] = []
    by_object: dict[tuple[str, str], list[CreatedRecord]] = defaultdict(list)
    for c in creates:
        obj = mapping.pair(c.pair).hubspot if c.target == "hubspot" else c.salesforce_object
        by_object[(c.target, obj)].append(c)
    for (target, obj), records in by_object.items():
        ids = [c.record_id for c in records]
        results: list[WriteResult] = (
            hubspot.batch_archive(obj, ids) if target == "hubspot" else salesforce.delete(ids)
        )
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


def _confirm(con, undo_run_id, restoring, failed_fields, creates, archived, now) -> None:  # type: ignore[no-untyped-def]
    failed_rows = [
        (undo_run_id, f.write.pair, side.value, record_id, name)
        for f in restoring
        if id(f) in failed_fields
        for side, (record_id, name, _, _) in f.writes.items()
    ]
    gone = {(c.target, c.record_id) for c in archived}
    failed_rows += [
        (undo_run_id, c.pair, c.target, c.record_id, "@archive")
        for c in creates
        if (c.target, c.record_id) not in gone
    ]
    _each(
        con,
        "UPDATE audit_log SET outcome = 'failed' WHERE run_id = ? AND pair = ? AND target = ? "
        "AND record_id = ? AND field = ?",
        failed_rows,
    )
    con.execute(
        "UPDATE audit_log SET outcome = 'confirmed', confirmed_at = ? WHERE run_id = ? AND outcome = 'intended'",
        [now, undo_run_id],
    )


def _move_base_and_snapshots(con, undo_run_id, done, started, now) -> None:  # type: ignore[no-untyped-def]
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
        for side, (record_id, name, value, _) in f.writes.items():
            _reflect(con, SnapshotTables.of(w.pair).on(side), record_id, name, value, started)


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
