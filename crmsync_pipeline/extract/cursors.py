"""Extract cursors (table `extract_cursors`): per CRM object, the time the last extract started. The
next extract reads what changed since then, minus an overlap, so edits made during a long extract are
picked up by the next cycle.

The bookkeeping is declared, not written per CRM: an extract names its cursor with `Incremental(crm,
key, overlap)` and reads inside `Incremental.window(...)`, which notes the start time, reads the cursor
(none: a full load), counts the pages, records and API calls, and stores the start time as the next
cursor in the transaction of the last rows, so the cursor moves only if every row is in."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from crmsync_pipeline import progress
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.extract.pages import Hook, snapshot_writer
from crmsync_pipeline.state import db
from crmsync_pipeline.state.run_context import Clock, utc_now


@dataclass
class ExtractStats:
    """What one extract of one CRM object did."""

    records: int = 0
    pages: int = 0
    api_calls: int = 0
    full: bool = False  # a first load (listing everything) rather than an incremental read
    bulk: bool = False  # read through a Bulk API 2.0 query job
    missing_fields: list[str] = field(default_factory=list)  # mapped, but not in the CRM's schema
    # needed now, but not kept current by the previous reads (newly mapped, or mapped again): the reason
    # this read lists every record
    unread_fields: list[str] = field(default_factory=list)

    def add(self, other: ExtractStats) -> ExtractStats:
        return ExtractStats(
            self.records + other.records,
            self.pages + other.pages,
            self.api_calls + other.api_calls,
            self.full or other.full,
            self.bulk or other.bulk,
            sorted({*self.missing_fields, *other.missing_fields}),
            sorted({*self.unread_fields, *other.unread_fields}),
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
    con: duckdb.DuckDBPyConnection,
    crm: str,
    key: str,
    value: datetime,
    records: int,
    run_id: str,
    fields: Sequence[str] | None = None,
) -> None:
    """Store a cursor; `fields`, when given, are the fields its read kept current (kept otherwise)."""
    con.execute(
        "INSERT INTO extract_cursors (crm, object, cursor_value, records_seen, updated_at, run_id, fields) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (crm, object) DO UPDATE SET "
        "cursor_value = excluded.cursor_value, "
        "records_seen = extract_cursors.records_seen + excluded.records_seen, "
        "updated_at = excluded.updated_at, run_id = excluded.run_id, "
        "fields = coalesce(excluded.fields, extract_cursors.fields)",
        [crm, key, value, records, datetime.now(UTC), run_id, None if fields is None else sorted(fields)],
    )


def fields_kept_current(con: duckdb.DuckDBPyConnection, crm: str, key: str) -> set[str] | None:
    """The fields the reads under this cursor have kept current (None: not known, a cursor stored before
    crmsync kept them)."""
    rows = con.execute(
        "SELECT fields FROM extract_cursors WHERE crm = ? AND object = ?", [crm, key]
    ).fetchall()
    return set(rows[0][0]) if rows and rows[0][0] is not None else None


def move_cursor(
    con: duckdb.DuckDBPyConnection, crm: str, key: str, value: datetime, records: int, run_id: str
) -> None:
    """Move a cursor, keeping the records_seen and run_id of its first store (the junction extract's)."""
    con.execute(
        "INSERT INTO extract_cursors (crm, object, cursor_value, records_seen, updated_at, run_id) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (crm, object) "
        "DO UPDATE SET cursor_value = excluded.cursor_value, updated_at = excluded.updated_at",
        [crm, key, value, records, datetime.now(UTC), run_id],
    )


@dataclass(frozen=True)
class Incremental:
    """How one CRM object is read incrementally: its cursor is the row (`crm`, `key`) of
    extract_cursors, and a read after the first asks for what changed since the previous read started,
    minus `overlap`."""

    crm: str
    key: str
    overlap: timedelta

    @contextmanager
    def window(
        self, state_path: Path, meter: CallMeter, run_id: str, clock: Clock = utc_now
    ) -> Iterator[CursorWindow]:
        """One extract's window onto the cursor; the stats count the `crm` calls made in the block."""
        calls_before = meter.total(self.crm)
        started = clock()
        last = read_cursor(state_path, self.crm, self.key)
        since = None if last is None else last - self.overlap
        window = CursorWindow(self, run_id, started, since, ExtractStats(full=last is None))
        yield window
        window.stats.api_calls = meter.total(self.crm) - calls_before


@dataclass
class CursorWindow:
    """What one extract reads: from `since` (None: everything, a full load); `started` becomes the
    next cursor once the rows are in."""

    incremental: Incremental
    run_id: str
    started: datetime
    since: datetime | None
    stats: ExtractStats
    fields: tuple[str, ...] = ()  # stored with the cursor: the fields this read keeps current

    def read_everything(self) -> None:
        """Newly mapped columns: every record is read once to fill them in."""
        self.since = None
        self.stats.full = True

    def keep_current(self, con: duckdb.DuckDBPyConnection, fields: Sequence[str]) -> None:
        """This read fetches `fields`, and stores them with the cursor. One the previous reads did not
        keep current (newly mapped, or mapped again after a while unmapped, when the snapshot holds only
        the values of its last read) makes this read list every record: the plan never merges a copy
        that stopped being read."""
        self.fields = tuple(sorted(set(fields)))
        kept = fields_kept_current(con, self.incremental.crm, self.incremental.key)
        if self.stats.full or kept is None:  # a first read, or a cursor from before crmsync kept them
            return
        unread = sorted(set(fields) - kept)
        if unread:
            self.stats.unread_fields = unread
            self.read_everything()

    def write(
        self,
        state_path: Path,
        table: str,
        pages: Iterable[list[dict[str, Any]]],
        then: Hook | None = None,
        before: Hook | None = None,
        total: Callable[[], int | None] = lambda: None,
    ) -> None:
        """Upsert each page of rows into `table`, counting pages and records; with the last rows, in
        their transaction, `then(con)` runs and the cursor is stored. `before(con)` runs ahead of each
        upsert (pages.SnapshotWriter); `total()` is the read's size, when known, for progress."""

        def finish(con: duckdb.DuckDBPyConnection) -> None:
            if then is not None:
                then(con)
            store_cursor(
                con,
                self.incremental.crm,
                self.incremental.key,
                self.started,
                self.stats.records,
                self.run_id,
                self.fields or None,
            )

        label = f"extract {self.incremental.crm} {self.incremental.key}"
        with snapshot_writer(state_path, table, then=finish, before=before) as snapshot:
            for rows in pages:
                snapshot.add(rows)
                self.stats.pages += 1
                self.stats.records += len(rows)
                progress.report(label, self.stats.records, total())
