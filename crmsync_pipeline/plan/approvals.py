"""Approving a plan the update threshold held. An approval is bound to the plan it approved (docs/design.md):
it stores a digest of that plan's rows, and the threshold check of a later run lets its plan through
only when the plan is the very same (same records, fields, old and new values). So the writes that
happen are exactly the ones a person looked at; if anyone edited a record meanwhile, the new plan
differs and is held again for a fresh look. An approval is used once.

Re-planning from fresh data instead of replaying the old plan rows means nothing stale is ever written
(the held plan's old values are re-checked against the CRMs by the new run's extract)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from crmsync_pipeline.state import db
from crmsync_pipeline.state.db import sql


@dataclass(frozen=True)
class Approval:
    pair: str  # the pair's name, as in table plan_approvals
    digest: str
    records: int
    already: bool = False  # this plan was approved before (and not used yet)


def plan_digest(con: duckdb.DuckDBPyConnection, run_id: str, pair_name: str) -> tuple[str, int]:
    """(digest, records to update) of one run's plan for one pair."""
    digest, records = con.execute(sql("plan/digest.sql"), {"run_id": run_id, "pair": pair_name}).fetchall()[0]
    return digest, int(records)


def held_pairs(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """The pairs this run planned (with rows to write) but wrote nothing for: what an approval can release."""
    rows = con.execute(
        """SELECT DISTINCT pair FROM plan_rows p WHERE run_id = $run AND preflight_error IS NULL
           AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.run_id = $run AND a.pair = p.pair
                           AND a.outcome <> 'merged')
           ORDER BY pair""",
        {"run": run_id},
    ).fetchall()
    return [r[0] for r in rows]


def approve_plan(
    state_path: Path, run_id: str, pair_names: list[str] | None = None, by: str | None = None
) -> list[Approval]:
    """Record approvals of `run_id`'s plans (every held pair, or the ones named)."""
    now = datetime.now(UTC)
    out = []
    with db.connect(state_path) as con:
        for pair_name in pair_names or held_pairs(con, run_id):
            digest, records = plan_digest(con, run_id, pair_name)
            inserted = con.execute(
                "INSERT INTO plan_approvals VALUES (?, ?, ?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING RETURNING pair",
                [pair_name, digest, run_id, records, now, by],
            ).fetchall()
            out.append(Approval(pair_name, digest, records, already=not inserted))
    return out


def use_approval(con: duckdb.DuckDBPyConnection, run_id: str, pair_name: str) -> bool:
    """Whether this run's plan for the pair was approved; marks the approval used by this run."""
    digest, _ = plan_digest(con, run_id, pair_name)
    used = con.execute(
        """UPDATE plan_approvals SET used_by_run_id = $run
           WHERE pair = $pair AND plan_digest = $digest AND (used_by_run_id IS NULL OR used_by_run_id = $run)
           RETURNING pair""",
        {"run": run_id, "pair": pair_name, "digest": digest},
    ).fetchall()
    return bool(used)
