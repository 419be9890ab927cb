"""What `crmsync sync` and `crmsync plan` say about a run the approval threshold held: not a failure, but a
plan waiting for a person, with what it would change and the exact command that releases it. Such a run
exits with HELD_EXIT_CODE, so a script or scheduler can tell it from a failure (exit 1)."""

from __future__ import annotations

from pathlib import Path

import rich.markup
from rich.console import Console

from crmsync_pipeline.config import Mapping
from crmsync_pipeline.plan.approvals import PlanVerdict, approve_command, held_message, held_verdicts
from crmsync_pipeline.state import db

HELD_EXIT_CODE = 3
HELD_STEP = "plan_within_threshold"


def held_pairs_of(state_path: Path, run_id: str) -> list[PlanVerdict]:
    if not state_path.exists():
        return []
    with db.connect(state_path, read_only=True) as con:
        return held_verdicts(con, run_id)


def wrote_anything(state_path: Path, run_id: str) -> bool:
    """Whether the run attempted any write (a pair not held, or not waiting on a held one, may have)."""
    with db.connect(state_path, read_only=True) as con:
        return con.execute("SELECT count(*) FROM write_results WHERE run_id = ?", [run_id]).fetchone()[0] > 0


def only_held(failed_steps: list[str]) -> bool:
    """Whether every failed step is a threshold check (a hold), so the run did not fail otherwise."""
    return bool(failed_steps) and all(step.endswith(HELD_STEP) for step in failed_steps)


def print_held(console: Console, mapping: Mapping | None, run_id: str, held: list[PlanVerdict]) -> None:
    console.print(
        f"[yellow]held for approval[/yellow]: run {run_id} wrote nothing for these pairs (nor for the pairs "
        "that wait on them); nothing failed"
    )
    for verdict in held:
        thresholds = mapping.pair(verdict.pair).thresholds if mapping else None
        line = held_message(verdict, thresholds) if thresholds else verdict.pair
        console.print(f"  {rich.markup.escape(line)}", highlight=False)
    console.print(f"Look at the plan: table plan_rows WHERE run_id = '{run_id}'. To write exactly that plan:")
    console.print(f"  {approve_command(run_id)}", soft_wrap=True)
