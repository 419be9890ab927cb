"""A share cap holds across runs: when one run ends with the day's usage exactly at the cap, the next
run (a new budget with no answer from the CRM yet) makes no call at all. The oracles are the CRMs' own
counts (Salesforce's `/limits` DailyApiRequests, HubSpot's X-HubSpot-RateLimit-Daily[-Remaining]), not
crmsync's tables."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests
from sandboxes import Sandbox
from test_budget_share import salesforce_usage

pytestmark = pytest.mark.slow  # a long end-to-end module: make test-slow (and CI) run it


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(people=30, seed=9)
    yield box
    box.stop()


def test_a_run_that_starts_at_the_cap_makes_no_call(sandbox, crm_env, sync, query, monkeypatch):
    assert sync().success  # no cap: everything linked; crmsync saw the day's usage on its last answers
    used, limit = salesforce_usage(sandbox)  # this read is billed too: crmsync last saw used - 1
    at_cap = used - 1
    share = f"{Decimal(at_cap) * 100 / limit}%"  # exact: at_cap of the 100,000 calls, to the call
    monkeypatch.setenv("CRMSYNC_SALESFORCE_DAILY_CAP", share)
    stopped = sync()
    assert not stopped.success
    status, summary = query("SELECT status, summary FROM runs WHERE run_id = ?", stopped.run_id)[0]
    summary = json.loads(summary)
    assert status == "stopped" and summary["crm"] == "salesforce" and summary["cap"] == at_cap
    used_after, _ = salesforce_usage(sandbox)
    assert used_after - 2 == at_cap  # minus the two /limits reads: the stopped run made no billed call


def hubspot_usage(sandbox) -> tuple[int, int]:
    """(used, limit) as HubSpot counts them, from the daily headers of a read (this call counted too)."""
    url = f"{sandbox.hubspot.url}/crm/v3/objects/contacts?limit=1"
    headers = requests.get(url, headers={"Authorization": "Bearer sandbox-token"}, timeout=10).headers
    limit = int(headers["X-HubSpot-RateLimit-Daily"])
    return limit - int(headers["X-HubSpot-RateLimit-Daily-Remaining"]), limit


def test_a_hubspot_share_cap_holds_from_the_first_call_of_the_next_run(
    sandbox, crm_env, sync, query, monkeypatch
):
    """The same on HubSpot, whose requests go several at a time: none passes a cap already reached."""
    monkeypatch.delenv("CRMSYNC_SALESFORCE_DAILY_CAP", raising=False)
    assert sync().success
    used, limit = hubspot_usage(sandbox)
    at_cap = used - 1  # where crmsync's last answer left the day
    monkeypatch.setenv("CRMSYNC_HUBSPOT_DAILY_CAP", f"{Decimal(at_cap) * 100 / limit}%")
    stopped = sync()
    assert not stopped.success
    status, summary = query("SELECT status, summary FROM runs WHERE run_id = ?", stopped.run_id)[0]
    summary = json.loads(summary)
    assert status == "stopped" and summary["crm"] == "hubspot" and summary["cap"] == at_cap
    used_after, _ = hubspot_usage(sandbox)
    assert used_after - 2 == at_cap  # minus the two reads: the stopped run made no call HubSpot counted
