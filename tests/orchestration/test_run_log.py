"""A run's API calls, per CRM and route, added up over its steps."""

from __future__ import annotations

from pathlib import Path

from crmsync_pipeline.connectors.calls import CallMeter
from crmsync_pipeline.orchestration.run_log import record_calls
from crmsync_pipeline.state import db


def _meter(*calls: tuple[str, str]) -> CallMeter:
    meter = CallMeter()
    for crm, route in calls:
        meter.count(crm, route)
    return meter


def test_each_step_adds_its_calls_to_the_run(tmp_path: Path) -> None:
    state = tmp_path / "state.duckdb"
    record_calls(state, "r1", _meter(("hubspot", "search"), ("hubspot", "search"), ("salesforce", "query")))
    record_calls(state, "r1", _meter(("hubspot", "search"), ("salesforce", "composite")))
    record_calls(state, "r2", _meter(("hubspot", "search")))
    record_calls(state, "r2", CallMeter())  # a step that called nothing
    with db.connect(state) as con:
        rows = con.execute("SELECT run_id, crm, route, calls FROM api_calls ORDER BY ALL").fetchall()
    assert rows == [
        ("r1", "hubspot", "search", 3),
        ("r1", "salesforce", "composite", 1),
        ("r1", "salesforce", "query", 1),
        ("r2", "hubspot", "search", 1),
    ]
