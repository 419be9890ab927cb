"""Drift: linked records whose mapped fields still differ after a sync although the merge says one side
should carry its value to the other. Reuses the plan's own machinery (field_state, the three-way merge,
inclusion rules) over the snapshots the writes were reflected into, so drift means exactly "the next
plan would write this again"."""

from __future__ import annotations

import duckdb

from crmsync_pipeline.config import Mapping, Side
from crmsync_pipeline.plan.cut_lengths import cached_cut_lengths
from crmsync_pipeline.plan.field_state import build_field_state
from crmsync_pipeline.plan.inclusion import included_ids
from crmsync_pipeline.plan.merge import CLOCK_SKEW_SECONDS, FieldDecision
from crmsync_pipeline.plan.stage import owner_directory
from crmsync_pipeline.plan.updates import left_out
from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.db import sql
from crmsync_pipeline.state.names import table_exists
from crmsync_pipeline.state.snapshots import SnapshotTables


def drift_rows(con: duckdb.DuckDBPyConnection, mapping: Mapping | None) -> tuple[list[str], list[tuple]]:
    """The rows of sql/health/drift.sql for every active pair (columns, rows)."""
    columns: list[str] = []
    rows: list[tuple] = []
    if mapping is not None:
        owners = owner_directory(con)
        for pair_name in mapping.active_pairs():
            tables = SnapshotTables.of(pair_name)
            if not (table_exists(con, tables.hubspot) and table_exists(con, tables.salesforce)):
                continue
            pair = mapping.pair(pair_name)
            try:
                build_field_state(con, pair_name, pair, owners, tables, cached_cut_lengths(con, pair))
            except duckdb.BinderException:
                continue  # a field mapped since the last extract: the next sync reads it, then it counts
            con.execute(
                "CREATE OR REPLACE TEMP TABLE field_decisions AS " + sql("plan/field_decisions.sql"),
                {"skew_seconds": CLOCK_SKEW_SECONDS},
            )
            con.execute("CREATE OR REPLACE TEMP TABLE included_records (side VARCHAR, id VARCHAR)")
            for side in Side:
                ids = included_ids(con, mapping, pair_name, side, owners)
                insert_rows(con, "included_records", [(side.value, i) for i in ids])
            cursor = con.execute(sql("health/drift.sql"))
            columns = [d[0] for d in cursor.description]
            found = cursor.fetchall()
            issues = _left_out(con, pair, owners)
            rows += [r for r in found if (r[1], r[4]) not in issues]
    return columns, rows


def _left_out(con: duckdb.DuckDBPyConnection, pair, owners) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(HubSpot id, field) of the writes the plan leaves out as a value issue (value_issues: an owner
    unknown on the other side, a value the target cannot take): reported there, so not drift too. Read
    from the pair's `field_decisions` (decide_fields' rows, already computed: field_state is unchanged)."""
    needs_action = con.execute("SELECT * FROM field_decisions WHERE decision <> 'in_sync' OR is_conflict")
    return {
        (d.hubspot_id, d.field)
        for d in (FieldDecision(*row) for row in needs_action.fetchall())
        if left_out(pair, owners, d) is not None
    }
