"""Backfill of a newly mapped field. Base is kept per link and field, so linked records have no base
for a field the mapping just gained (or whose form changed: plan/mapping_changes.py): the plan merges
that field as a first link (each direction's first-link rule), and the extract reads every record once
to fill the column in with fresh values, for a field mapped again too (extract/cursors.py,
`CursorWindow.keep_current`). What it costs is shown before it runs: records and write calls per field
and side (`crmsync plan`)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from crmsync_pipeline.state.db import sql


@dataclass(frozen=True)
class BackfillCost:
    pair: str
    field: str
    target: str
    records: int
    write_calls: int


def backfill_costs(con: duckdb.DuckDBPyConnection, run_id: str) -> list[BackfillCost]:
    return [
        BackfillCost(*row)
        for row in con.execute(sql("plan/backfill_cost.sql"), {"run_id": run_id}).fetchall()
    ]
