"""The API cost of backfilling newly mapped fields, as `crmsync plan` prints it before anything runs."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from crmsync_pipeline.plan.backfill import backfill_costs
from crmsync_pipeline.state import db


def backfill_table(state_path: Path, run_id: str) -> Table | None:
    """None when the plan backfills nothing."""
    with db.connect(state_path, read_only=True) as con:
        costs = backfill_costs(con, run_id)
    if not costs:
        return None
    table = Table(title="Backfill of newly mapped fields (records linked before, no agreed value yet)")
    for column in ("pair", "field", "target", "records to write", "write calls"):
        table.add_column(column, justify="right" if column[0] in "rw" else "left")
    for c in costs:
        table.add_row(c.pair, c.field, c.target, str(c.records), str(c.write_calls))
    return table
