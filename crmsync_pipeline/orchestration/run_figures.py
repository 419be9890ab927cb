"""What one run did, per object pair and side: the figures of the run summary, computed in one place
(sql/orchestration/run_figures.sql) from what happened, for the CLI's table, the writes assets'
Dagster metadata and the runs table's summary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields

import duckdb

from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import quoted, table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables

SIDES = ("hubspot", "salesforce")


@dataclass(frozen=True)
class PairSideFigures:
    """One row of sql/orchestration/run_figures.sql (its header says what each figure counts)."""

    pair: str
    side: str
    records_read: int
    linked: int
    created: int
    updated: int
    deleted: int
    merged: int
    unchanged: int
    conflicts: int
    errors: int
    associations_added: int
    associations_removed: int

    def metadata(self) -> dict[str, int]:
        """The figures as the writes asset's metadata shows them (labels as in the CLI's table)."""
        return {LABELS[name]: value for name, value in asdict(self).items() if name in LABELS}


# column labels, in the table's order (docs/operations.md explains each)
LABELS = {
    "records_read": "read",
    "linked": "linked",
    "created": "created",
    "updated": "updated",
    "deleted": "deleted",
    "merged": "merged",
    "unchanged": "unchanged",
    "conflicts": "conflicts",
    "errors": "errors",
    "associations_added": "associations added",
    "associations_removed": "associations removed",
}


def run_figures(
    con: duckdb.DuckDBPyConnection, run_id: str, pair_names: Iterable[str], sides: Iterable[str] = SIDES
) -> list[PairSideFigures]:
    """The figures of `run_id` for each pair and side, in the order given."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE run_reads (ordinal INTEGER, pair VARCHAR, side VARCHAR, records BIGINT)"
    )
    rows = []
    for pair_name in pair_names:
        for side in sides:
            rows.append((len(rows), pair_name, side, _read(con, run_id, pair_name, side)))
    insert_rows(con, "run_reads", rows)
    found = con.execute(sql("orchestration/run_figures.sql"), {"run_id": run_id}).fetchall()
    con.execute("DROP TABLE run_reads")
    assert all(len(r) == len(fields(PairSideFigures)) for r in found)
    return [PairSideFigures(*r) for r in found]  # the file's columns are the fields, in order


def _read(con: duckdb.DuckDBPyConnection, run_id: str, pair_name: str, side: str) -> int:
    """Records the pair's snapshot of `side` read this run (0 when it was never extracted)."""
    snapshot = SnapshotTables.of(pair_name).on(side)
    if not table_exists(con, snapshot):
        return 0
    return con.execute(f"SELECT count(*) FROM {quoted(snapshot)} WHERE _run_id = ?", [run_id]).fetchall()[0][
        0
    ]
