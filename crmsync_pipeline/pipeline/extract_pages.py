"""Pages of one extract into its snapshot table: rows are gathered into Arrow-backed upserts of a few
thousand (one SQL statement each, instead of one per 100-record API page), and one idle connection keeps
this process's database instance open meanwhile, so each short-lived write connection costs ~1 ms
rather than a file open and checkpoint. No connection is used during an API call; a crash mid-extract
loses only unflushed rows, which the next run reads again because the cursor moves only at the end."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crmsync_pipeline.state import db

from .snapshots import upsert_rows

FLUSH_ROWS = 2_000


class SnapshotWriter:
    def __init__(self, state_path: Path, table: str, flush_rows: int = FLUSH_ROWS):
        self.state_path = state_path
        self.table = table
        self.flush_rows = flush_rows
        self.pending: list[dict[str, Any]] = []

    def add(self, rows: list[dict[str, Any]]) -> None:
        self.pending += rows
        if len(self.pending) >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            with db.connect(self.state_path) as con:
                upsert_rows(con, self.table, self.pending)
            self.pending = []


@contextmanager
def snapshot_writer(state_path: Path, table: str) -> Iterator[SnapshotWriter]:
    """A writer whose rows are all upserted when the block ends without an error."""
    with db.connect(state_path):  # the idle connection that keeps the database instance open
        writer = SnapshotWriter(state_path, table)
        yield writer
        writer.flush()
