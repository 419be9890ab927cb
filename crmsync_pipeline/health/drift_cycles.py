"""Drift over time: the Drift check's rows (health/drift.py) minus the fields a person is already asked
about (any open review item on the link and field, or on the whole link: a held conflict, a ping-pong
hold, ...), counted per sync in `drift_cycles`. A field still differing after DRIFT_CYCLES consecutive
syncs has outlived the re-planning that should have carried it across: the check turns ERROR and a
review item (kind `drift`) names the field and both values, so a person looks instead of the sync trying
forever; the item settles by itself once the field no longer differs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.review_items import ReviewItem, open_review_items

DRIFT_CYCLES = 2  # syncs after which a field may still differ before a person is asked


@dataclass(frozen=True)
class DriftRow:
    """One row of sql/health/drift.sql, by the names it selects."""

    pair: str
    hubspot_id: str
    salesforce_object: str
    salesforce_id: str
    field: str
    decision: str
    reason: str
    hubspot_value: str | None
    salesforce_value: str | None
    base_value: str | None

    @classmethod
    def of(cls, columns: list[str], row: tuple) -> DriftRow:
        values = dict(zip(columns, row, strict=True))
        return cls(**{name: values.get(name) for name in cls.__dataclass_fields__})  # type: ignore[arg-type]


def under_review(con: duckdb.DuckDBPyConnection, rows: list[DriftRow]) -> set[tuple[str, str, str]]:
    """(pair, hubspot_id, field) of the rows a person is already asked about (an open review item on the
    link, for that field or for no field in particular), whatever kind holds them."""
    if not rows:
        return set()
    items = con.execute(
        "SELECT pair, hubspot_id, kind, detail FROM review_items WHERE settled_at IS NULL AND hubspot_id IS NOT NULL"
    ).fetchall()
    held: set[tuple[str, str, str | None]] = set()
    for pair, hubspot_id, kind, detail in items:
        if kind == "drift":
            continue  # drift's own item does not hide the drift
        named = json.loads(detail).get("field") if detail else None
        held.add((pair, hubspot_id, named if isinstance(named, str) else None))
    return {
        (r.pair, r.hubspot_id, r.field)
        for r in rows
        if (r.pair, r.hubspot_id, r.field) in held or (r.pair, r.hubspot_id, None) in held
    }


def count_cycles(con: duckdb.DuckDBPyConnection, rows: list[DriftRow], run_id: str) -> None:
    """Count this sync for each drifting field; a field past DRIFT_CYCLES gets its review item."""
    now = datetime.now(UTC)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE drift_now (pair VARCHAR, hubspot_id VARCHAR, field VARCHAR, salesforce_id VARCHAR)"
    )
    insert_rows(con, "drift_now", sorted({(r.pair, r.hubspot_id, r.field, r.salesforce_id) for r in rows}))
    body = "\n".join(
        line
        for line in sql("health/drift_cycles_update.sql").splitlines()
        if not line.lstrip().startswith("--")
    )
    for statement in (s.strip() for s in body.split(";")):
        if statement:
            con.execute(
                statement, {k: v for k, v in {"run_id": run_id, "now": now}.items() if f"${k}" in statement}
            )
    lasting = {(r.pair, r.hubspot_id, r.field): r for r in rows}
    items = [
        _item(lasting[(pair, hubspot_id, field)], cycles, first_run)
        for pair, hubspot_id, field, cycles, first_run in outlived(con)
        if (pair, hubspot_id, field) in lasting
    ]
    open_review_items(con, items, run_id, now)


def settle_converged(con: duckdb.DuckDBPyConnection, differing: list[DriftRow], now: datetime) -> int:
    """Open `drift` items whose field no longer differs (`differing`: every row of the Drift check, those
    under another review item included) settle by themselves: `in_sync` when the link is still there (a
    later edit, a resync or the re-planning brought both sides equal), `unlinked` when it is gone. A
    person is not left a chore the sync already did. Returns the items settled."""
    still = {(r.pair, r.hubspot_id, r.field) for r in differing}
    items = con.execute(
        """SELECT r.item_id, r.pair, r.hubspot_id, r.detail->>'field',
                  EXISTS (SELECT 1 FROM links l WHERE l.pair = r.pair AND l.hubspot_id = r.hubspot_id)
           FROM review_items r WHERE r.kind = 'drift' AND r.settled_at IS NULL"""
    ).fetchall()
    settled = [
        (now, "in_sync" if linked else "unlinked", item)
        for item, pair, hubspot_id, field_name, linked in items
        if (pair, hubspot_id, field_name) not in still
    ]
    if settled:
        con.executemany(
            "UPDATE review_items SET settled_at = ?, resolution = ? WHERE item_id = ? AND settled_at IS NULL",
            settled,
        )
    return len(settled)


def outlived(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, int, str]]:
    """(pair, hubspot_id, field, cycles, first run) of the drifts past DRIFT_CYCLES syncs."""
    return con.execute(
        "SELECT pair, hubspot_id, field, cycles, first_run FROM drift_cycles WHERE cycles >= ? "
        "ORDER BY pair, field, hubspot_id",
        [DRIFT_CYCLES],
    ).fetchall()


def cycles_of(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], int]:
    return {
        (pair, hubspot_id, field): cycles
        for pair, hubspot_id, field, cycles in con.execute(
            "SELECT pair, hubspot_id, field, cycles FROM drift_cycles"
        ).fetchall()
    }


def _item(row: DriftRow, cycles: int, first_run: str) -> ReviewItem:
    return ReviewItem(
        f"drift:{row.pair}:{row.hubspot_id}:{row.field}:{first_run}",
        "drift",
        row.pair,
        row.hubspot_id,
        [row.salesforce_id],
        {
            "field": row.field,
            "hubspot": row.hubspot_value,
            "salesforce": row.salesforce_value,
            "base": row.base_value,
            "should": row.decision,
            "reason": row.reason,
            "syncs": cycles,
            "since_run": first_run,
        },
    )
