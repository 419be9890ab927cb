"""What a run did, per object pair and side, read back from the state file for the terminal."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from crmsync_pipeline.state import db
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import quoted, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables

COLUMNS = ("pair", "side", "read", "matched", "created", "updated", "unchanged", "conflicts", "errors")


def run_table(state_path: Path, run_id: str, pair_names: list[str], title: str) -> Table:
    table = Table(title=title)
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in ("pair", "side") else "right")
    with db.connect(state_path, read_only=True) as con:
        for pair_name in pair_names:
            for side in ("hubspot", "salesforce"):
                table.add_row(pair_name, side, *(str(v) for v in _row(con, run_id, pair_name, side)))
    return table


def _row(con, run_id: str, pair_name: str, side: str) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    snapshot = SnapshotTables.of(pair_name).on(side)
    read = (
        con.execute(f"SELECT count(*) FROM {quoted(snapshot)} WHERE _run_id = ?", [run_id]).fetchall()[0][0]
        if table_exists(con, snapshot)
        else 0
    )
    matched = con.execute(
        "SELECT count(*) FROM links WHERE pair = ? AND run_id = ? AND matched_by <> 'created'",
        [pair_name, run_id],
    ).fetchall()[0][0]
    written = dict(
        con.execute(
            """SELECT operation, count(*) FROM write_results WHERE run_id = ? AND pair = ? AND target = ? AND succeeded
           GROUP BY operation""",
            [run_id, pair_name, side],
        ).fetchall()
    )
    linked = con.execute("SELECT count(*) FROM links WHERE pair = ?", [pair_name]).fetchall()[0][0]
    conflicts = con.execute(
        "SELECT count(*) FROM conflicts WHERE run_id = ? AND pair = ? AND winner <> ?",
        [run_id, pair_name, side],
    ).fetchall()[0][0]
    errors = con.execute(
        "SELECT count(*) FROM write_results WHERE run_id = ? AND pair = ? AND target = ? AND NOT succeeded",
        [run_id, pair_name, side],
    ).fetchall()[0][0]
    updated = written.get("update", 0)
    return read, matched, written.get("create", 0), updated, max(linked - updated, 0), conflicts, errors


def error_codes(state_path: Path, run_id: str) -> list[tuple[str, str, int]]:
    with db.connect(state_path, read_only=True) as con:
        return con.execute(
            """SELECT target, error_code, count(*) FROM write_results WHERE run_id = ? AND NOT succeeded
                              GROUP BY ALL ORDER BY 3 DESC""",
            [run_id],
        ).fetchall()


def plan_table(state_path: Path, run_id: str, title: str) -> Table:
    table = Table(title=title)
    for column in (
        "pair",
        "target",
        "records to create",
        "records to update",
        "records to delete/restore/erase",
        "field writes",
        "rejected by preflight",
    ):
        table.add_column(column, justify="left" if column in ("pair", "target") else "right")
    with db.connect(state_path, read_only=True) as con:
        rows = con.execute(sql("cli/plan_counts.sql"), {"run_id": run_id}).fetchall()
    for row in rows:
        table.add_row(*(str(v) for v in row))
    return table


def wide_console() -> Console:
    """Run tables need ~110 columns; piped output (make, CI logs) would otherwise wrap them at 80."""
    console = Console()
    return console if console.is_terminal else Console(width=120)
