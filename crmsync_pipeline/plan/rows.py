"""One row of table `plan_rows` (sql/schema/001_initial.sql): one value to write to one field of one
record on one target, or one record-level action ('archive', 'delete', 'erase'). The planners build
them here and the writers read them back from the table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter

import duckdb

from crmsync_pipeline.state.bulk import insert_rows


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanRow:
    """The fields are the table's columns, in the table's order."""

    run_id: str
    pair: str  # the pair's name
    target: str  # hubspot | salesforce
    action: str  # update | create | archive | delete | erase
    record_ref: str  # the target id, or the source id for a create
    hubspot_id: str | None = None
    salesforce_object: str | None = None
    salesforce_id: str | None = None
    field: str  # the mapping's name for the field, or '@record', '@pipeline', '@association:<pair>'
    target_field: str  # the property or field written on the target
    old_value: str | None = None
    new_value: str | None = None  # in the target's own form
    canonical_value: str | None = None  # becomes base once the target confirms the write
    reason: str  # which rule decided, e.g. two_way:hubspot_changed
    preflight_error: str | None = None  # the code the CRM would answer; such rows are never sent
    planned_at: datetime

    @classmethod
    def from_values(cls, row: Sequence[object]) -> PlanRow:
        """A row of plan_rows as read from the table, in its column order (the inverse of `values`)."""
        return cls(**dict(zip(COLUMNS, row, strict=True)))

    def values(self) -> tuple:
        """The row in plan_rows' column order."""
        return _VALUES(self)


COLUMNS = tuple(f.name for f in fields(PlanRow))
_VALUES = attrgetter(*COLUMNS)


def insert_plan_rows(con: duckdb.DuckDBPyConnection, rows: Iterable[PlanRow]) -> None:
    """Insert rows into plan_rows in one statement."""
    insert_rows(con, "plan_rows", [row.values() for row in rows])
