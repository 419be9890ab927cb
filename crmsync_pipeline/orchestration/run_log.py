"""Every run records itself and the API calls it made, per CRM and route."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.orchestration.api_budget import save_usage
from crmsync_pipeline.state import db
from crmsync_pipeline.state.bulk import insert_rows

ADD_CALLS = "ON CONFLICT (run_id, crm, route) DO UPDATE SET calls = api_calls.calls + excluded.calls"


def note_run(state_path: Path, run_id: str, trigger: str = "dagster") -> None:
    with db.connect(state_path) as con:
        con.execute(
            "INSERT OR IGNORE INTO runs VALUES (?, ?, NULL, 'running', ?, NULL)",
            [run_id, datetime.now(UTC), trigger],
        )


def record_calls(state_path: Path, run_id: str, meter: CallMeter) -> None:
    rows = [(run_id, r["crm"], r["route"], r["calls"]) for r in meter.rows()]
    if not rows:
        return
    with db.connect(state_path) as con:
        # one statement (DuckDB's executemany runs one per row); the meter has one row per CRM and route
        insert_rows(con, "api_calls", rows, ADD_CALLS)
        save_usage(con, meter.budget)  # the next step's budget starts from the usage this one reached


def finish_run(state_path: Path, run_id: str, status: str, summary: dict[str, Any]) -> None:
    with db.connect(state_path) as con:
        con.execute(
            "UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE run_id = ?",
            [datetime.now(UTC), status, json.dumps(summary, default=str), run_id],
        )


def hold_run(state_path: Path, run_id: str, message: str, command: str) -> None:
    """Mark the run `held` for approval (not failed: nothing went wrong), each held pair's message in its
    summary with the command that releases it. A run already stopped at the API cap stays `stopped`."""
    with db.connect(state_path) as con:
        note = con.execute("SELECT summary FROM runs WHERE run_id = ?", [run_id]).fetchall()
        summary = json.loads(note[0][0]) if note and note[0][0] else {}
        summary["held"] = [*summary.get("held", []), message]
        summary["approve"] = command
        con.execute(
            "UPDATE runs SET status = 'held', finished_at = ?, summary = ? WHERE run_id = ? AND status IN ('running', 'held')",
            [datetime.now(UTC), json.dumps(summary), run_id],
        )
