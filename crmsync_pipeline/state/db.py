"""Opening the state file: short-lived connections (one DuckDB file takes one writing process, so a
connection is never used across API calls; `held_open` keeps an idle one for a step's duration),
owner-only permissions, and schema migrations.

Migrations are the numbered files in `sql/schema/`; the applied version is kept in
`crmsync_schema_version`, so a newer crmsync opens an older state file and carries on.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb

T = TypeVar("T")

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = PROJECT_ROOT / "sql"
SCHEMA_DIR = SQL_DIR / "schema"
MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def default_state_path() -> Path:
    if os.environ.get("CRMSYNC_STATE_DB"):
        return Path(os.environ["CRMSYNC_STATE_DB"]).expanduser().resolve()
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / "dagster_home")
    return home.resolve() / "crmsync.duckdb"


def migrations() -> list[tuple[int, Path]]:
    found = []
    for path in sorted(SCHEMA_DIR.glob("*.sql")):
        match = MIGRATION_NAME.match(path.name)
        if not match:
            raise RuntimeError(f"{path}: migration files are named NNN_description.sql")
        found.append((int(match.group(1)), path))
    return found


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    con.execute("CREATE TABLE IF NOT EXISTS crmsync_schema_version (version INTEGER, applied_at TIMESTAMPTZ)")
    row = con.execute("SELECT max(version) FROM crmsync_schema_version").fetchall()[0]
    return int(row[0]) if row and row[0] is not None else 0


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration newer than the file's version, each in its own transaction."""
    current = schema_version(con)
    for version, path in migrations():
        if version <= current:
            continue
        con.execute("BEGIN")
        try:
            con.execute(path.read_text())
            con.execute("INSERT INTO crmsync_schema_version VALUES (?, ?)", [version, datetime.now(UTC)])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        current = version
    return current


@contextmanager
def connect(path: Path | None = None, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for one step; migrated when writable. Close it before calling a CRM."""
    path = path or default_state_path()
    if read_only:
        con = duckdb.connect(str(path), read_only=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        created = not path.exists()
        con = duckdb.connect(str(path))
        if created:
            os.chmod(path, 0o600)  # the state holds personal data from both CRMs
        migrate(con)
    _apply_limits(con)
    try:
        yield con
    finally:
        con.close()


def held_open(step: Callable[..., T]) -> Callable[..., T]:
    """Keep one idle connection open while `step(state_path, ...)` runs, so the step's many short-lived
    connections reuse this process's open database instead of each opening the file (and checkpointing
    it on the last close): ~20 ms a time, which dominated an incremental extract. Nothing is read or
    written through it; the file lock it keeps is the run's own as the file's one writer."""

    @functools.wraps(step)
    def run(state_path: Path, *args: Any, **kwargs: Any) -> T:
        with connect(state_path):
            return step(state_path, *args, **kwargs)

    return run


def _apply_limits(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB takes 80% of RAM by default; `CRMSYNC_DUCKDB_MEMORY_LIMIT` (e.g. `1GB`, spilling to disk
    beyond it) and `CRMSYNC_DUCKDB_THREADS` bound a large pair's plan on a shared machine."""
    limit, threads = os.environ.get("CRMSYNC_DUCKDB_MEMORY_LIMIT"), os.environ.get("CRMSYNC_DUCKDB_THREADS")
    if limit:
        con.execute(f"SET memory_limit = '{_checked_size(limit)}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")


def _checked_size(text: str) -> str:
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", text.strip(), re.IGNORECASE):
        raise ValueError(f"CRMSYNC_DUCKDB_MEMORY_LIMIT={text!r}: use a size such as 1GB or 512MB")
    return text.strip()


def sql(name: str) -> str:
    """The text of a transformation in `sql/` (e.g. `match_links.sql`)."""
    return (SQL_DIR / name).read_text()
