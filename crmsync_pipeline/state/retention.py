"""How long the state keeps what runs wrote. The audit log holds before and after values of every field
ever written (personal data from both CRMs), so it is kept for a retention period, then purged with the
other per-run tables that carry values. Links, base and snapshots are the live state and stay."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from crmsync_pipeline.state.names import quoted

DEFAULT_RETENTION_DAYS = 365
RETENTION_ENV = "CRMSYNC_AUDIT_RETENTION_DAYS"

# table -> its time (a column or an expression of the table's columns); rows older than the cutoff go
PURGED = {
    "audit_log": "intended_at",
    "plan_rows": "planned_at",
    "write_results": "written_at",
    "value_issues": "seen_at",
    "closed_link_bases": "closed_at",
    "conflicts": "coalesce(settled_at, now())",  # a conflict still open stays
}


@dataclass(frozen=True)
class PurgeReport:
    cutoff: datetime
    deleted: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def retention_days() -> int:
    raw = os.environ.get(RETENTION_ENV, "").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    try:
        days = int(raw)
    except ValueError:
        raise ValueError(f"{RETENTION_ENV} must be a whole number of days, not {raw!r}") from None
    if days < 1:
        raise ValueError(f"{RETENTION_ENV} must be at least 1 day (undo reads the audit log), not {days}")
    return days


def purge_older_than(con: duckdb.DuckDBPyConnection, days: int, now: datetime | None = None) -> PurgeReport:
    """Delete per-run rows older than `days`, in one transaction."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    deleted = {}
    con.execute("BEGIN")
    for table, column in PURGED.items():
        before = con.execute(f"SELECT count(*) FROM {quoted(table)}").fetchall()[0][0]
        con.execute(f"DELETE FROM {quoted(table)} WHERE {column} < ?", [cutoff])
        deleted[table] = before - con.execute(f"SELECT count(*) FROM {quoted(table)}").fetchall()[0][0]
    con.execute("COMMIT")
    return PurgeReport(cutoff, deleted)
