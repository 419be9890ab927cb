"""Every run records itself and the API calls it made, per CRM and route."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.orchestration.api_budget import save_usage
from crmsync_pipeline.state import db


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
        con.executemany(
            "INSERT INTO api_calls VALUES (?, ?, ?, ?) ON CONFLICT (run_id, crm, route) DO UPDATE "
            "SET calls = api_calls.calls + excluded.calls",
            rows,
        )
        save_usage(con, meter.budget)  # the next step's budget starts from the usage this one reached


def finish_run(state_path: Path, run_id: str, status: str, summary: dict[str, Any]) -> None:
    with db.connect(state_path) as con:
        con.execute(
            "UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE run_id = ?",
            [datetime.now(UTC), status, json.dumps(summary, default=str), run_id],
        )
