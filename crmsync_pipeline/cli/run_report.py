"""What a run did, per object pair and side, read back from the state file for the terminal."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from crmsync_pipeline.orchestration.run_figures import LABELS, PairSideFigures, run_figures
from crmsync_pipeline.state import db
from crmsync_pipeline.state.db import sql

COLUMNS = ("pair", "side", *(label for label in LABELS.values() if not label.startswith("associations")))


def run_table(state_path: Path, run_id: str, pair_names: list[str], title: str) -> Table:
    """The run's figures per pair and side (orchestration/run_figures.py computes them; docs/operations.md
    says what each column counts). Junction rows added or removed (deal contact roles) are in the
    caption: their deals count as updated, and a 12th column would not fit 120 characters."""
    with db.connect(state_path, read_only=True) as con:
        figures = run_figures(con, run_id, pair_names)
    table = Table(title=title, caption=_associations(figures), caption_justify="left")
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in ("pair", "side") else "right")
    for row in figures:
        counts = [str(v) for k, v in row.metadata().items() if not k.startswith("associations")]
        table.add_row(row.pair, row.side, *counts)
    return table


def _associations(figures: list[PairSideFigures]) -> str | None:
    changed = [
        f"{f.pair} on {f.side} +{f.associations_added} -{f.associations_removed}"
        for f in figures
        if f.associations_added or f.associations_removed
    ]
    return (
        f"associations (junction rows such as deal contact roles): {', '.join(changed)}" if changed else None
    )


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
