"""The three-way merge per field (DESIGN.md, "Merge semantics"), as one SQL statement over
`field_state`. Each side's value is compared with base in canonical form: a side changed when it
differs from base; both equal means in sync; a clear of a set value is a change; an empty value that
was never set never overwrites data; when both changed, the newer timestamp wins, and within the
clock-skew window the field's preferred side does."""

from __future__ import annotations

from dataclasses import dataclass

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
    con.execute(sql("field_state_table.sql"))


def decide_fields(
    con: duckdb.DuckDBPyConnection, skew_seconds: float = CLOCK_SKEW_SECONDS
) -> list[FieldDecision]:
    rows = con.execute(sql("plan_field_decisions.sql"), {"skew_seconds": skew_seconds}).fetchall()
    return [FieldDecision(*row) for row in rows]
