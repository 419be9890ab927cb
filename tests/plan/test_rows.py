"""PlanRow is plan_rows' row: its fields are the table's columns in the table's order, and what it
inserts reads back unchanged."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime

import pytest

from crmsync_pipeline.plan.rows import COLUMNS, PlanRow, insert_plan_rows
from crmsync_pipeline.state import db
from crmsync_pipeline.state.names import table_columns

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def test_fields_are_the_table_columns_in_order(tmp_path):
    with db.connect(tmp_path / "state.duckdb") as con:
        assert tuple(table_columns(con, "plan_rows")) == COLUMNS


def test_rows_insert_and_read_back(tmp_path):
    row = PlanRow(
        run_id="r1",
        pair="contacts",
        target="salesforce",
        action="create",
        record_ref="101",
        hubspot_id="101",
        salesforce_object="Contact",
        field="email",
        target_field="Email",
        new_value="ada@example.org",
        canonical_value="ada@example.org",
        reason="create",
        planned_at=NOW,
    )
    with db.connect(tmp_path / "state.duckdb") as con:
        insert_plan_rows(con, [row])
        insert_plan_rows(con, [])
        (stored,) = con.execute("SELECT * FROM plan_rows").fetchall()
    assert stored == row.values()
    assert stored[7] is None and stored[14] is None  # salesforce_id, preflight_error default to NULL
    with pytest.raises(FrozenInstanceError):
        row.reason = "other"  # type: ignore[misc]
