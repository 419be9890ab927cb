"""A daily cap given as a share of the CRM's own limit (`0.03%` of Salesforce's 100,000 calls): the run
stops at exactly 30 calls on the CRM's own counter, and its message names the same figures it kept to."""

from __future__ import annotations

import json

import pytest
import requests
from sandboxes import Sandbox


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=30, seed=8)
    yield box
    box.stop()


def salesforce_usage(sandbox) -> tuple[int, int]:
    """(used, limit) as Salesforce counts them: /limits' DailyApiRequests (this call counted too)."""
    url = f"{sandbox.salesforce.url}/services/data/v59.0/limits/"
    body = requests.get(url, headers={"Authorization": "Bearer sandbox-token"}, timeout=10).json()
    daily = body["DailyApiRequests"]
    return daily["Max"] - daily["Remaining"], daily["Max"]


def test_a_share_cap_stops_the_run_at_the_cap_it_names(sandbox, crm_env, sync, query, monkeypatch):
    used_before, limit = salesforce_usage(sandbox)
    assert limit == 100_000 and used_before < 30  # the field setup's calls count against the day too
    monkeypatch.setenv("CRMSYNC_SALESFORCE_DAILY_CAP", "0.03%")
    stopped = sync()
    assert not stopped.success
    status, summary = query("SELECT status, summary FROM runs WHERE run_id = ?", stopped.run_id)[0]
    summary = json.loads(summary)
    assert status == "stopped" and summary["crm"] == "salesforce"
    assert summary["cap"] == 30  # 0.03% of 100,000, not 29
    assert summary["used"] <= summary["cap"]
    assert f"{summary['used']} of 30 calls used today (0.03% of the 100,000" in summary["stopped"]
    used_after, _ = salesforce_usage(sandbox)
    assert used_after - 1 <= 30  # minus the /limits call just made: the CRM never saw a 31st call
