"""What each side held when a field of a link was first judged without a base (a first link, a fill of a
value never set), kept until base is set (docs/design.md, "First links"). The next plan compares with it:
a side that moved since while the other did not is the side that changed, so a person's edit made after
a rebuilt state file, or after a first link whose write never landed (a killed run, a refused write),
wins instead of losing to the first-link rule again (sql/plan/field_decisions.sql)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import duckdb

from crmsync_pipeline.plan.holds import WRITES
from crmsync_pipeline.plan.merge import FieldDecision
from crmsync_pipeline.state.bulk import insert_rows
from crmsync_pipeline.state.db import sql

NO_BASE_RULES = ("first_link", "fill_empty")  # the reasons of a write decided without a base


def keep_first_link_values(
    con: duckdb.DuckDBPyConnection,
    pair_name: str,
    run_id: str,
    decisions: Iterable[FieldDecision],
    now: datetime,
) -> None:
    """Forget the pair's rows that no longer apply, then keep both sides' values of each field these
    decisions (the plan's, before any hold) write without a base; the earliest row of a field stays."""
    con.execute(sql("plan/first_link_values_dropped.sql"), {"pair": pair_name})
    rows = [
        (pair_name, d.hubspot_id, d.salesforce_id, d.field, d.hubspot_value, d.salesforce_value, now, run_id)
        for d in decisions
        if not d.has_base
        and d.decision in WRITES
        and any(rule in d.reason for rule in NO_BASE_RULES)
        and not d.field.startswith("@")
    ]
    insert_rows(con, "first_link_values", rows, "ON CONFLICT DO NOTHING")
