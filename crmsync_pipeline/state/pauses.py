"""Pausing and resuming one object pair (table paused_pairs). While paused, the pair's assets neither read
nor write either CRM and its extract cursors stay put, so a resume catches up on every change made
meanwhile. Pausing is state, not mapping: the mapping file's `paused:` removes a pair from the
definitions altogether, this only skips it at run time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from crmsync_pipeline.state import db


@dataclass(frozen=True)
class Pause:
    pair: str
    paused_at: datetime
    paused_by: str | None
    reason: str | None

    def note(self) -> str:
        why = f": {self.reason}" if self.reason else ""
        return f"paused since {self.paused_at:%Y-%m-%d %H:%M} UTC{why} (`crmsync resume {self.pair}`)"


def pause_pair(state_path: Path, pair_name: str, reason: str | None = None, by: str | None = None) -> bool:
    """Pause `pair_name`; False when it was paused already (the first pause is kept)."""
    with db.connect(state_path) as con:
        inserted = con.execute(
            "INSERT INTO paused_pairs VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING pair",
            [pair_name, datetime.now(UTC), by, reason],
        ).fetchall()
    return bool(inserted)


def resume_pair(state_path: Path, pair_name: str) -> bool:
    """Resume `pair_name`; False when it was not paused."""
    with db.connect(state_path) as con:
        deleted = con.execute(
            "DELETE FROM paused_pairs WHERE pair = ? RETURNING pair", [pair_name]
        ).fetchall()
    return bool(deleted)


def paused_pairs(state_path: Path, *, read_only: bool = False) -> dict[str, Pause]:
    if read_only and not state_path.exists():
        return {}
    with db.connect(state_path, read_only=read_only) as con:
        try:
            rows = con.execute(
                "SELECT pair, paused_at, paused_by, reason FROM paused_pairs ORDER BY pair"
            ).fetchall()
        except duckdb.CatalogException:  # a read-only look at a state file older than migration 004
            return {}
    return {row[0]: Pause(*row) for row in rows}


def pause_of(state_path: Path, pair_name: str) -> Pause | None:
    """The pause holding `pair_name`, if any (what a pair's assets ask before touching a CRM)."""
    return paused_pairs(state_path).get(pair_name)
