"""Extract cursors (table `extract_cursors`): per CRM object, the time the last extract started. The
next extract reads what changed since then, minus an overlap, so edits made during a long extract are
picked up by the next cycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from crmsync_pipeline.state import db


@dataclass
class ExtractStats:
    """What one extract of one CRM object did."""

    records: int = 0
    pages: int = 0
    api_calls: int = 0
    full: bool = False  # a first load (listing everything) rather than an incremental read
    bulk: bool = False  # read through a Bulk API 2.0 query job
    missing_fields: list[str] = field(default_factory=list)  # mapped, but not in the CRM's schema

    def add(self, other: ExtractStats) -> ExtractStats:
        return ExtractStats(
            self.records + other.records,
            self.pages + other.pages,
            self.api_calls + other.api_calls,
            self.full or other.full,
            self.bulk or other.bulk,
            sorted({*self.missing_fields, *other.missing_fields}),
        )


def read_cursor(state_path: Path, crm: str, key: str) -> datetime | None:
    with db.connect(state_path) as con:
        return cursor_of(con, crm, key)


def save_cursor(state_path: Path, crm: str, key: str, value: datetime, records: int, run_id: str) -> None:
    with db.connect(state_path) as con:
        store_cursor(con, crm, key, value, records, run_id)


def cursor_of(con: duckdb.DuckDBPyConnection, crm: str, key: str) -> datetime | None:
    rows = con.execute(
        "SELECT cursor_value FROM extract_cursors WHERE crm = ? AND object = ?", [crm, key]
    ).fetchall()
    return rows[0][0] if rows else None


def store_cursor(
    con: duckdb.DuckDBPyConnection, crm: str, key: str, value: datetime, records: int, run_id: str
) -> None:
    con.execute(
        "INSERT INTO extract_cursors VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (crm, object) DO UPDATE SET "
        "cursor_value = excluded.cursor_value, "
        "records_seen = extract_cursors.records_seen + excluded.records_seen, "
        "updated_at = excluded.updated_at, run_id = excluded.run_id",
        [crm, key, value, records, datetime.now(UTC), run_id],
    )
