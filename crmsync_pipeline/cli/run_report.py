"""What a run did, per object pair and side, read back from the state file for the terminal."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from crmsync_pipeline.state import db

COLUMNS = ("pair", "side", "read", "matched", "created", "updated", "unchanged", "conflicts", "errors")


def run_table(state_path: Path, run_id: str, pairs: list[str], title: str) -> Table:
    table = Table(title=title)
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in ("pair", "side") else "right")
    with db.connect(state_path, read_only=True) as con:
        for pair in pairs:
            for side in ("hubspot", "salesforce"):
                table.add_row(pair, side, *(str(v) for v in _row(con, run_id, pair, side)))
    return table


def _row(con, run_id: str, pair: str, side: str) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    snapshot = f"{side}_{pair}_snapshot"
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [snapshot]
    ).fetchall()
    read = (
        con.execute(f'SELECT count(*) FROM "{snapshot}" WHERE _run_id = ?', [run_id]).fetchall()[0][0]
        if exists[0][0]
        else 0
    )
    matched = con.execute(
        "SELECT count(*) FROM links WHERE pair = ? AND run_id = ? AND matched_by <> 'created'", [pair, run_id]
    ).fetchall()[0][0]
    written = dict(
        con.execute(
            """SELECT operation, count(*) FROM write_results WHERE run_id = ? AND pair = ? AND target = ? AND succeeded
           GROUP BY operation""",
            [run_id, pair, side],
        ).fetchall()
    )
    linked = con.execute("SELECT count(*) FROM links WHERE pair = ?", [pair]).fetchall()[0][0]
    conflicts = con.execute(
        "SELECT count(*) FROM conflicts WHERE run_id = ? AND pair = ? AND winner <> ?", [run_id, pair, side]
    ).fetchall()[0][0]
    errors = con.execute(
        "SELECT count(*) FROM write_results WHERE run_id = ? AND pair = ? AND target = ? AND NOT succeeded",
        [run_id, pair, side],
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
        rows = con.execute(
            """SELECT pair, target,
                      count(DISTINCT record_ref) FILTER (WHERE action = 'create' AND preflight_error IS NULL),
                      count(DISTINCT record_ref) FILTER (WHERE action = 'update' AND preflight_error IS NULL),
                      count(DISTINCT record_ref) FILTER (WHERE reason LIKE 'deletes:%' AND preflight_error IS NULL),
                      count(*) FILTER (WHERE preflight_error IS NULL),
                      count(DISTINCT record_ref) FILTER (WHERE preflight_error IS NOT NULL)
               FROM plan_rows WHERE run_id = ? GROUP BY ALL ORDER BY ALL""",
            [run_id],
        ).fetchall()
    for row in rows:
        table.add_row(*(str(v) for v in row))
    return table


def wide_console() -> Console:
    """Run tables need ~110 columns; piped output (make, CI logs) would otherwise wrap them at 80."""
    console = Console()
    return console if console.is_terminal else Console(width=120)
