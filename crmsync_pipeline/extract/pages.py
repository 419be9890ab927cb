"""Pages of one extract into its snapshot table: rows are gathered into Arrow-backed upserts of a few
thousand (one SQL statement each, instead of one per 100-record API page), and one idle connection keeps
this process's database instance open meanwhile, so each short-lived write connection costs ~1 ms
rather than a file open and checkpoint. No connection is used during an API call; a crash mid-extract
loses only unflushed rows, which the next run reads again because the cursor moves only at the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from crmsync_pipeline.state import db
from crmsync_pipeline.state.snapshots import upsert_rows

FLUSH_ROWS = 2_000


Hook = Callable[[duckdb.DuckDBPyConnection], None]


class SnapshotWriter:
    def __init__(
        self, state_path: Path, table: str, flush_rows: int = FLUSH_ROWS, before: Hook | None = None
    ):
        """`before(con)`: run before each upsert, with the rows as `snapshot_page` (upsert_rows)."""
        self.state_path = state_path
        self.table = table
        self.flush_rows = flush_rows
        self.before = before
        self.pending: list[dict[str, Any]] = []

    def add(self, rows: list[dict[str, Any]]) -> None:
        self.pending += rows
        if len(self.pending) >= self.flush_rows:
            self.flush()

    def flush(self, then: Hook | None = None) -> None:
        """Upsert the rows gathered; `then(con)` runs in the same transaction (the cursor, saved with
        the last rows, moves only if they are in)."""
        if not self.pending and then is None:
            return
        with db.connect(self.state_path) as con:
            con.execute("BEGIN")
            upsert_rows(con, self.table, self.pending, self.before)
            if then is not None:
                then(con)
            con.execute("COMMIT")
        self.pending = []


@contextmanager
def snapshot_writer(
    state_path: Path, table: str, then: Hook | None = None, before: Hook | None = None
) -> Iterator[SnapshotWriter]:
    """A writer whose rows are all upserted when the block ends without an error, with `then(con)` in
    the same transaction as the last of them, and `before(con)` ahead of each upsert."""
    with db.connect(state_path):  # the idle connection that keeps the database instance open
        writer = SnapshotWriter(state_path, table, before=before)
        yield writer
        writer.flush(then)
