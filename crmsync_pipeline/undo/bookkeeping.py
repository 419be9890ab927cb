"""The state file's side of an undo, in the one transaction that closes it: audit rows confirmed or
marked undone, base moved with the restored values, the snapshots given what the CRMs took, links of
archived creates forgotten and the review items an undo opens (`undo_split`, `undone_create`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from crmsync_pipeline.config import Side
from crmsync_pipeline.state.names import column_exists, quoted, table_exists
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items
from crmsync_pipeline.state.snapshots import SnapshotTables
from crmsync_pipeline.undo.side_write import SideWrite


def confirm_archives(con, undo_run_id, creates, archived, now) -> None:  # type: ignore[no-untyped-def]
    gone = {(c.target, c.record_id) for c in archived}
    each(
        con,
        "UPDATE audit_log SET outcome = ?, confirmed_at = ? WHERE run_id = ? AND pair = ? AND target = ? "
        "AND record_id = ? AND field = '@archive' AND outcome = 'intended'",
        [
            ("confirmed" if (c.target, c.record_id) in gone else "failed",
             now if (c.target, c.record_id) in gone else None, undo_run_id, c.pair, c.target, c.record_id)
            for c in creates
        ],
    )  # fmt: skip


def move_base(con, undo_run_id, done, now) -> None:  # type: ignore[no-untyped-def]
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


def reflect_writes(con, landed: list[SideWrite], started: datetime) -> None:  # type: ignore[no-untyped-def]
    """Every write a CRM took, in order (a put-back after its restore), into the snapshots. Salesforce
    stamps a save to the whole second: the read of a save made in the undo's first second (by the undo
    itself, rewritten by a before-save flow, or by a person just after) is stamped before `started` and
    would lose to the reflected row forever (a row gives way only to one at least as new), and a delete
    moves only SystemModstamp, so the deleted row of a record merged away right after the undo would be
    dropped, the merge never seen (soak s11, p997). Salesforce rows are reflected at the second, as
    write/reflect.py does for a sync's writes."""
    for s in landed:
        at = started.replace(microsecond=0) if s.side is Side.SALESFORCE else started
        _reflect(con, SnapshotTables.of(s.undo.write.pair).on(s.side), s.record_id, s.name, s.value, at)


def open_splits(con, undo_run_id, split: list[SideWrite], refused, now) -> None:  # type: ignore[no-untyped-def]
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


def forget_created(con, undo_run_id, original_run, archived, now) -> None:  # type: ignore[no-untyped-def]
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


def mark_originals(con, original_run, done, archived) -> None:  # type: ignore[no-untyped-def]
    each(
        con,
        "UPDATE audit_log SET outcome = 'undone' WHERE run_id = ? AND pair = ? AND target = ? AND record_id = ? "
        "AND field = ? AND outcome = 'confirmed'",
        [(original_run, f.write.pair, f.write.target, f.write.record_id, f.write.target_field) for f in done],
    )
    each(
        con,
        "UPDATE audit_log SET outcome = 'undone' WHERE run_id = ? AND pair = ? AND target = ? AND record_id = ? "
        "AND outcome = 'confirmed'",
        [(original_run, c.pair, c.target, c.record_id) for c in archived],
    )


def each(con: duckdb.DuckDBPyConnection, statement: str, rows: list[tuple]) -> None:
    if rows:  # DuckDB refuses executemany with no rows
        con.executemany(statement, rows)
