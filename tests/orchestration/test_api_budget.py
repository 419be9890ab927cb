"""The usage a step's budget reached is kept in the state file (api_usage_estimates), so the next step, or
a new `crmsync sync` process, starts from it instead of from nothing."""

from __future__ import annotations

import pytest

from crmsync_pipeline.connectors.budget import BudgetExhausted
from crmsync_pipeline.connectors.calls import CallMeter, CrmCaller
from crmsync_pipeline.orchestration.api_budget import attach_budget
from crmsync_pipeline.orchestration.run_log import note_run, record_calls
from crmsync_pipeline.state import db


def step_caller(state, run_id: str, crm_used: list[int]) -> CrmCaller:
    """A step's Salesforce caller over a fake CRM that reports its usage on every answer."""
    meter = CallMeter()
    attach_budget(state, run_id, meter)
    caller = CrmCaller("salesforce", meter, sleep=lambda s: None, pacer=None)
    caller.limit_info = lambda: (crm_used[0], 100_000)
    return caller


def test_the_next_step_or_process_starts_from_the_usage_the_last_step_reached(tmp_path, monkeypatch):
    monkeypatch.setenv("CRMSYNC_SALESFORCE_DAILY_CAP", "0.03%")
    state, crm_used = tmp_path / "crmsync.duckdb", [27]
    note_run(state, "run-1")

    def serve() -> None:
        crm_used[0] += 1

    first = step_caller(state, "run-1", crm_used)
    for _ in range(3):
        first("query", serve)
    record_calls(state, "run-1", first.meter)  # the step ends exactly at the cap
    with db.connect(state) as con:
        assert con.execute(
            "SELECT crm, reported, daily_limit, unreported FROM api_usage_estimates"
        ).fetchall() == [("salesforce", 30, 100_000, 0)]

    note_run(state, "run-2")  # a new process: nothing in memory, only the state file
    with pytest.raises(BudgetExhausted, match="30 of 30 calls used today"):
        step_caller(state, "run-2", crm_used)("query", serve)
    assert crm_used[0] == 30
    with db.connect(state) as con:
        assert con.execute("SELECT status FROM runs WHERE run_id = 'run-2'").fetchall() == [("stopped",)]
