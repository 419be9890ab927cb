"""Opening the state file: short-lived connections (one DuckDB file takes one writing process, so a
connection is never used across API calls; `held_open` keeps an idle one for a step's duration),
owner-only permissions, memory limits, and schema migrations.

Migrations are the numbered files in `sql/schema/`; the applied version is kept in
`crmsync_schema_version`, so a newer crmsync opens an older state file and carries on.

The project's files read at run time (`sql/`, `crmsync.yaml`, `dagster_home/dagster.yaml`) are at the
repository's top level; a built wheel holds copies of them inside the package (setup.py). `PROJECT_ROOT`
is where they are: the repository in a checkout (or an editable install), the package in a wheel.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb

T = TypeVar("T")

PACKAGE_DIR = Path(__file__).resolve().parents[1]
PROJECT_ROOT = PACKAGE_DIR if (PACKAGE_DIR / "sql").is_dir() else PACKAGE_DIR.parent
SQL_DIR = PROJECT_ROOT / "sql"
SCHEMA_DIR = SQL_DIR / "schema"
MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
# DuckDB's own default is 80% of RAM: too much beside the CRMs' clients on a shared machine.
DEFAULT_MEMORY_LIMIT = "1GB"


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
        if path.exists():
            _owner_only_temp_directory(path)
        con = duckdb.connect(str(path), read_only=True)
        _apply_limits(con, _limits())
        try:
            yield con
        finally:
            con.close()
        return
    host = _attach(path)
    try:
        con = host.cursor()
        try:
            con.execute(f"USE {STATE_ALIAS}")
            yield con
        finally:
            con.close()
    finally:
        _release(path)


# Writable connections go through one in-memory DuckDB instance per state file, kept by the process:
# the file is ATTACHed to it while a connection of ours is open and DETACHed (checkpointed, its lock
# released) when the last one closes, exactly when a database of its own would have closed. Creating a
# DuckDB instance costs ~15 ms (its catalog of built-in functions); attaching a file to a live one ~2 ms.
# Each file's identity (inode, size, times) when it was last detached says it is migrated: while it is
# unchanged, attaching skips the schema check. A file deleted, recreated or replaced (a test copying an
# older file in) no longer matches and is migrated again.
STATE_ALIAS = "crmsync_state"
IDLE_HOSTS = 2  # in-memory instances kept for files not open at the moment (tests use many files)


@dataclass
class _Host:
    con: duckdb.DuckDBPyConnection
    pid: int
    users: int = 0
    attached: bool = False
    limits: tuple[str, int | None] | None = None  # the settings the instance took last (kept across ATTACHes)


_lock = threading.Lock()
_hosts: dict[str, _Host] = {}
_migrated: dict[str, tuple[int, ...] | None] = {}


def _attach(path: Path) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.path.abspath(path)
    with _lock:
        host = _hosts.get(key)
        if host is None or host.pid != os.getpid():  # a forked child must not use its parent's
            host = _hosts[key] = _new_host(path)
        _hosts[key] = _hosts.pop(key)  # most recently used last
        if not host.attached:
            created = not path.exists()
            _owner_only_temp_directory(path)
            host.con.execute(f"ATTACH {_sql_text(str(path))} AS {STATE_ALIAS}")
            host.attached = True
            try:
                if created:
                    os.chmod(path, 0o600)  # the state holds personal data from both CRMs
                limits = _limits()
                if host.limits != limits:  # instance-wide settings: only a changed environment resets them
                    _apply_limits(host.con, limits)
                    host.limits = limits
                if _migrated.get(key) != _identity(path):
                    _migrated[key] = None
                    with host.con.cursor() as con:
                        con.execute(f"USE {STATE_ALIAS}")
                        migrate(con)
            except BaseException:
                _detach(key, host)
                raise
        host.users += 1
        return host.con


def attached_here(path: Path) -> bool:
    """Whether this process has the file open (a connection of ours, or an attachment left behind);
    the rewrite of the file (state/rewrite.py) waits for none."""
    host = _hosts.get(os.path.abspath(path))
    if host is None or host.pid != os.getpid():
        return False
    with _lock:
        if host.attached and host.users == 0:
            _detach(os.path.abspath(path), host)
        return host.attached


def _release(path: Path) -> None:
    key = os.path.abspath(path)
    with _lock:
        host = _hosts[key]
        host.users -= 1
        if host.users == 0:
            _migrated[key] = _identity(path) if _detach(key, host) else None


def _detach(key: str, host: _Host) -> bool:
    try:
        host.con.execute(f"DETACH {STATE_ALIAS}")
    except duckdb.Error:  # a connection of ours left open elsewhere: stays attached until the next
        return False
    host.attached = False
    return True


def _new_host(path: Path) -> _Host:
    idle = [k for k, h in _hosts.items() if h.users == 0 and not h.attached]
    for key in idle[: max(0, len(idle) - IDLE_HOSTS + 1)]:
        old = _hosts.pop(key)
        if old.pid == os.getpid():
            old.con.close()
    con = duckdb.connect(":memory:")
    # spills go next to the state file (owner-only), not into the working directory
    con.execute(f"SET temp_directory = {_sql_text(str(path.with_name(path.name + '.tmp')))}")
    # A kept instance would otherwise hold the memory of its largest query (up to the memory limit)
    # after the file is detached; the allocator's background thread hands it back within seconds.
    con.execute("SET allocator_background_threads = true")
    return _Host(con, os.getpid())


def _sql_text(text: str) -> str:
    """A path as a SQL string literal: ATTACH and SET take no parameters."""
    return "'" + text.replace("'", "''") + "'"


def _identity(path: Path) -> tuple[int, ...] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def held_open(step: Callable[..., T]) -> Callable[..., T]:
    """Keep one idle connection open while `step(state_path, ...)` runs, so the step's many short-lived
    connections reuse the attached file instead of each attaching it (and checkpointing it on the last
    close), which dominated an incremental extract. Nothing is read or written through it; the file
    lock it keeps is the run's own as the file's one writer."""

    @functools.wraps(step)
    def run(state_path: Path, *args: Any, **kwargs: Any) -> T:
        with connect(state_path):
            return step(state_path, *args, **kwargs)

    return run


def _limits() -> tuple[str, int | None]:
    """DuckDB would take 80% of RAM; a self-hosted sync shares its machine, so the state connections
    stop at `CRMSYNC_DUCKDB_MEMORY_LIMIT` (default 1GB; beyond it DuckDB spills to the temporary
    directory) and `CRMSYNC_DUCKDB_THREADS` (default: all cores). Read whenever the file is attached."""
    limit = os.environ.get("CRMSYNC_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT
    threads = os.environ.get("CRMSYNC_DUCKDB_THREADS")
    return _checked_size(limit), int(threads) if threads else None


def _apply_limits(con: duckdb.DuckDBPyConnection, limits: tuple[str, int | None]) -> None:
    memory_limit, threads = limits
    con.execute(f"SET memory_limit = '{memory_limit}'")
    if threads is not None:
        con.execute(f"SET threads = {threads}")


def _owner_only_temp_directory(path: Path) -> None:
    """DuckDB spills to `<state file>.tmp`, which it would create world-readable; the spilled rows are
    the state's personal data, so the directory is made owner-only first (DuckDB then leaves it)."""
    temp = path.with_name(path.name + ".tmp")
    try:
        temp.mkdir(mode=0o700)
    except FileExistsError:
        mode = temp.stat()
        if mode.st_mode & 0o077 and mode.st_uid == os.getuid():
            os.chmod(temp, 0o700)
    except OSError:  # e.g. a read-only opener of a missing file or directory: nothing to spill there
        pass


def _checked_size(text: str) -> str:
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", text.strip(), re.IGNORECASE):
        raise ValueError(f"CRMSYNC_DUCKDB_MEMORY_LIMIT={text!r}: use a size such as 1GB or 512MB")
    return text.strip()


# A sync reads the same statements in every step of every pair (thousands of reads a run); each text is
# kept with its file's modification time and size, so a file edited while the process runs is read again.
_sql_texts: dict[str, tuple[tuple[int, int], str]] = {}


def sql(name: str) -> str:
    """The text of a statement in `sql/`, by its path there (e.g. `plan/plan_digest.sql`)."""
    path = os.path.join(SQL_DIR, name)
    st = os.stat(path)
    stamp = (st.st_mtime_ns, st.st_size)
    kept = _sql_texts.get(name)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    text = Path(path).read_text()
    _sql_texts[name] = (stamp, text)
    return text
