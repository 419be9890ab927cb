"""The three-way merge per field (docs/design.md, "Merge semantics"), as one SQL statement over
`field_state`. Each side's value is compared with base in canonical form: a side changed when it
differs from base; both equal means in sync; a clear of a set value is a change; an empty value that
was never set never overwrites data; when both changed, the newer timestamp wins, and within the
clock-skew window the field's preferred side does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from crmsync_pipeline.state.db import sql

CLOCK_SKEW_SECONDS = 2.0


@dataclass(frozen=True)
class FieldDecision:
    pair: str
    hubspot_id: str
    salesforce_object: str
    salesforce_id: str
    field: str
    decision: str  # in_sync | write_hubspot | write_salesforce | hold | skip
    reason: str
    hubspot_value: str | None
    salesforce_value: str | None
    hubspot_raw: str | None
    salesforce_raw: str | None
    pipeline: str | None
    base_value: str | None
    has_base: bool
    is_conflict: bool
    hubspot_changed_at: object
    salesforce_changed_at: object
    agreed_value: str | None


def create_field_state(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(sql("plan/field_state_table.sql"))


def _decisions(where: str) -> str:
    return f"SELECT * FROM ({sql('plan/field_decisions.sql')}) WHERE {where}"


def decide_fields(
    con: duckdb.DuckDBPyConnection, skew_seconds: float = CLOCK_SKEW_SECONDS, *, in_sync: bool = True
) -> list[FieldDecision]:
    """The decision for every `field_state` row, or with `in_sync=False` only for those that need
    action (a write, a hold, a skip, a conflict). In-sync rows are most of a large pair: they stay in
    SQL, where plan_updates moves their base (settle_in_sync) without making a Python object of each."""
    needs_action = "true" if in_sync else "decision <> 'in_sync' OR is_conflict"
    rows = con.execute(
        _decisions(needs_action) + " ORDER BY pair, hubspot_id, field", {"skew_seconds": skew_seconds}
    ).fetchall()
    return [FieldDecision(*row) for row in rows]


def settle_in_sync(con: duckdb.DuckDBPyConnection, run_id: str, now: datetime) -> int:
    """Move base to the agreed value of every in-sync `field_state` row; returns how many are in sync.
    Agreement does not depend on timestamps, so any skew window finds the same rows. `has_base` was read
    from base_values in this same transaction, so a field without one is a plain insert (an upsert costs
    twice as much, and most of a first sync's fields have no base yet). The decisions read only
    `field_state`, so they are computed once (planning that statement is most of its cost on a small
    pair) and the insert, the update and the count read the result."""
    in_sync = _decisions("decision = 'in_sync'")
    count = con.execute(
        f"""CREATE OR REPLACE TEMP TABLE settled_in_sync AS
            SELECT pair, hubspot_id, field, agreed_value, has_base, base_value FROM ({in_sync})""",
        {"skew_seconds": CLOCK_SKEW_SECONDS},
    ).fetchall()[0][0]
    params = {"now": now, "run_id": run_id}
    con.execute(
        """INSERT INTO base_values
           SELECT pair, hubspot_id, field, agreed_value, $now, $run_id FROM settled_in_sync WHERE NOT has_base""",
        params,
    )
    con.execute(
        """UPDATE base_values b SET value = d.agreed_value, agreed_at = $now, run_id = $run_id
            FROM settled_in_sync d
            WHERE d.has_base AND d.base_value IS DISTINCT FROM d.agreed_value
              AND b.pair = d.pair AND b.hubspot_id = d.hubspot_id AND b.field = d.field""",
        params,
    )
    con.execute("DROP TABLE settled_in_sync")
    return count
