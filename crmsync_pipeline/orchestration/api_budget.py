"""The daily API budget in the state file: calls crmsync made today per CRM (view api_calls_daily), and a
run stopped at the cap (status `stopped`, the reason in its summary, the calls it made counted)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from crmsync_pipeline.connectors.budget import CAP_ENV, BudgetExhausted, DailyBudget
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.state import db


def calls_today(state_path: Path) -> dict[str, int]:
    with db.connect(state_path) as con:
        rows = con.execute(
            "SELECT crm, calls FROM api_calls_daily WHERE day = ?", [datetime.now(UTC).date()]
        ).fetchall()
    return {crm: int(calls) for crm, calls in rows}


def record_stop(state_path: Path, run_id: str, meter: CallMeter, err: BudgetExhausted) -> None:
    """Mark the run stopped and count the calls its step made before the cap (the step ends here)."""
    rows = [(run_id, r["crm"], r["route"], r["calls"]) for r in meter.rows()]
    summary = {"stopped": str(err), "crm": err.crm, "used": err.used, "cap": err.cap}
    with db.connect(state_path) as con:
        if rows:
            con.executemany(
                "INSERT INTO api_calls VALUES (?, ?, ?, ?) ON CONFLICT (run_id, crm, route) DO UPDATE "
                "SET calls = api_calls.calls + excluded.calls",
                rows,
            )
        con.execute(
            "INSERT OR IGNORE INTO runs VALUES (?, ?, NULL, 'running', 'dagster', NULL)",
            [run_id, datetime.now(UTC)],
        )
        con.execute(
            "UPDATE runs SET status = 'stopped', finished_at = ?, summary = ? WHERE run_id = ?",
            [datetime.now(UTC), json.dumps(summary), run_id],
        )
    meter.calls.clear()  # counted now; a caller that records the meter later must not count them twice


def attach_budget(state_path: Path, run_id: str | None, meter: CallMeter) -> None:
    """Give `meter` today's budget (when a cap is configured), stopping `run_id` when it is reached."""
    if meter.budget is not None:
        return

    def stop(err: BudgetExhausted) -> None:
        if run_id is not None:
            record_stop(state_path, run_id, meter, err)

    if not any(os.environ.get(name) for name in CAP_ENV.values()):
        # no cap: no need to read today's calls, but a CRM's own daily-limit refusal still stops the run
        meter.budget = DailyBudget(on_exhausted=stop)
        return
    meter.budget = DailyBudget.from_env(calls_today(state_path), on_exhausted=stop)
