"""The state file rewritten into a fresh file, so bytes of deleted rows are gone. DuckDB reuses freed
blocks but never zeroes them (CHECKPOINT and VACUUM included): a person erased with DELETE and UPDATE
stays readable in the file's raw bytes until the blocks happen to be overwritten. Copying every table,
view, index and constraint into a new file (`COPY FROM DATABASE`) writes only live rows; the new file
then replaces the old one atomically (a rename), while the old one is still held, so no other process
can open it in between."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from crmsync_pipeline.state import db


class StateInUse(RuntimeError):
    """The file is open (in this process or another), so it cannot be swapped for a fresh copy."""


def rewrite_state_file(path: Path) -> int:
    """Rewrite the state file at `path` with its live rows only; returns the bytes saved. Raises
    StateInUse when a connection of this process is open on it or another process holds it."""
    if db.attached_here(path):
        raise StateInUse(f"{path} is open in this process")
    fresh = path.with_name(f".{path.name}.{os.getpid()}.rewrite")
    fresh.unlink(missing_ok=True)
    before = path.stat().st_size
    con = duckdb.connect(":memory:")
    try:
        try:
            # read-write, so DuckDB's lock keeps every other process out until the swap is done
            con.execute(f"ATTACH {_literal(path)} AS old_state")
        except duckdb.IOException as err:
            raise StateInUse(f"{path} is open in another process: {err}") from err
        con.execute("CHECKPOINT old_state")  # nothing left in the WAL, which is named after the path
        con.execute(f"ATTACH {_literal(fresh)} AS new_state")
        os.chmod(fresh, 0o600)  # the state holds personal data from both CRMs
        con.execute("COPY FROM DATABASE old_state TO new_state")
        con.execute("CHECKPOINT new_state")
        con.execute("DETACH new_state")
        os.replace(fresh, path)
        con.execute("DETACH old_state")
    finally:
        con.close()
        fresh.unlink(missing_ok=True)
    return before - path.stat().st_size


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
