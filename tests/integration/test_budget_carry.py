"""A share cap holds across runs: when one run ends with the day's usage exactly at the cap, the next
run (a new budget with no answer from the CRM yet) makes no call at all. The oracle is Salesforce's own
count (`/limits` DailyApiRequests), not crmsync's tables."""

from __future__ import annotations

import json

import pytest
from sandboxes import Sandbox
from test_budget_share import salesforce_usage


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=30, seed=9)
    yield box
    box.stop()


def test_a_run_that_starts_at_the_cap_makes_no_call(sandbox, crm_env, sync, query, monkeypatch):
    assert sync().success  # no cap: everything linked; crmsync saw the day's usage on its last answers
    used, limit = salesforce_usage(sandbox)  # this read is billed too: crmsync last saw used - 1
    at_cap = used - 1
    share = f"{at_cap * 100 / limit:f}%"  # exact in decimal: at_cap of the 100,000 calls, to the call
    monkeypatch.setenv("CRMSYNC_SALESFORCE_DAILY_CAP", share)
    stopped = sync()
    assert not stopped.success
    status, summary = query("SELECT status, summary FROM runs WHERE run_id = ?", stopped.run_id)[0]
    summary = json.loads(summary)
    assert status == "stopped" and summary["crm"] == "salesforce" and summary["cap"] == at_cap
    used_after, _ = salesforce_usage(sandbox)
    assert used_after - 2 == at_cap  # minus the two /limits reads: the stopped run made no billed call
