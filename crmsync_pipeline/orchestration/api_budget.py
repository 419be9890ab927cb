"""The daily API budget in the state file: calls crmsync made today per CRM (view api_calls_daily), the
usage the CRMs last reported (table api_usage_estimates, carried from one step's budget to the next step's
and the next process's), and a run stopped at the cap (status `stopped`, the reason in its summary, the
calls it made counted)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from crmsync_pipeline.connectors.budget import CAP_ENV, BudgetExhausted, DailyBudget, UsageEstimate
from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.state import db


def calls_today(state_path: Path) -> dict[str, int]:
    with db.connect(state_path) as con:
        rows = con.execute(
            "SELECT crm, calls FROM api_calls_daily WHERE day = ?", [datetime.now(UTC).date()]
        ).fetchall()
    return {crm: int(calls) for crm, calls in rows}


def carried_usage(state_path: Path) -> list[UsageEstimate]:
    with db.connect(state_path) as con:
        rows = con.execute(
            "SELECT crm, reported, daily_limit, reported_at, unreported FROM api_usage_estimates"
        ).fetchall()
    return [
        UsageEstimate(crm, int(used), int(limit), at.replace(tzinfo=UTC), int(n))
        for crm, used, limit, at, n in rows
    ]


def save_usage(con: duckdb.DuckDBPyConnection, budget: DailyBudget | None) -> None:
    """Keep what `budget` knows of each CRM's usage for the next step or process (inside the caller's
    connection: the step's calls and the usage they led to are written together)."""
    if budget is None:
        return
    for est in budget.estimates():
        con.execute(
            "INSERT OR REPLACE INTO api_usage_estimates VALUES (?, ?, ?, ?, ?)",
            [
                est.crm,
                est.reported,
                est.limit,
                est.reported_at.astimezone(UTC).replace(tzinfo=None),
                est.unreported,
            ],
        )


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
        save_usage(con, meter.budget)
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
    else:
        budget = DailyBudget.from_env(calls_today(state_path), on_exhausted=stop)
        if budget is not None:  # this step starts from the usage the last one knew (the module's docstring)
            budget.carry(carried_usage(state_path))
        meter.budget = budget
