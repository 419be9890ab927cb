"""The daily cap stops before the call that would pass it; pacing waits when the CRM says its window is
nearly used. Pure logic: the sandbox tests of the same behaviour are in tests/integration."""

from __future__ import annotations

import pytest

from crmsync_pipeline.connectors.budget import BudgetExhausted, Cap, DailyBudget
from crmsync_pipeline.connectors.calls import CallMeter, CrmCaller
from crmsync_pipeline.connectors.pacing import Pacer


def test_caps_read_as_calls_or_a_share_of_the_crms_limit():
    assert Cap.parse("20%") == Cap(share=0.2)
    assert Cap.parse("5_000") == Cap(calls=5000)
    assert Cap.parse("") is None
    assert DailyBudget.from_env({}, environ={}) is None


def test_the_call_that_would_pass_the_cap_is_not_made():
    stopped = []
    budget = DailyBudget.from_env(
        {"salesforce": 8}, environ={"CRMSYNC_SALESFORCE_DAILY_CAP": "10"}, on_exhausted=stopped.append
    )
    meter = CallMeter(budget)
    caller = CrmCaller("salesforce", meter, sleep=lambda s: None)
    made = []
    caller("query", lambda: made.append(1))
    caller("query", lambda: made.append(1))
    with pytest.raises(BudgetExhausted, match="10 of 10"):
        caller("query", lambda: made.append(1))
    assert len(made) == 2 and meter.total() == 2 and len(stopped) == 1


def test_a_share_cap_follows_the_usage_the_crm_reports():
    budget = DailyBudget.from_env({}, environ={"CRMSYNC_SALESFORCE_DAILY_CAP": "20%"})
    budget.check("salesforce", 0)  # nothing reported yet: no stop
    budget.observe("salesforce", 19_999, 100_000)
    budget.check("salesforce", 0)
    budget.observe("salesforce", 20_000, 100_000)
    with pytest.raises(BudgetExhausted):
        budget.check("salesforce", 0)
    budget.check("hubspot", 10**9)  # no HubSpot cap


def test_hubspot_searches_are_spaced_and_a_nearly_used_window_waits():
    now = [100.0]
    pacer = Pacer("hubspot", clock=lambda: now[0])
    waits = [pacer.wait_s("contacts.search") for _ in range(5)]
    assert waits[:4] == [0, 0, 0, 0] and waits[4] == pytest.approx(1.0)
    assert pacer.wait_s("contacts.batch.update") == 0
    pacer.observe_hubspot({"X-HubSpot-RateLimit-Remaining": "1", "X-HubSpot-RateLimit-Max": "190",
                           "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"})  # fmt: skip
    assert pacer.wait_s("contacts.batch.update") > 0
    now[0] += 11  # the window has rolled: the old figure no longer holds
    assert pacer.wait_s("contacts.batch.update") == 0


def test_salesforce_slows_down_past_ninety_percent_of_its_day():
    pacer = Pacer("salesforce")
    pacer.observe_daily(50_000, 100_000)
    assert pacer.wait_s("query") == 0
    pacer.observe_daily(95_000, 100_000)
    assert pacer.wait_s("query") > 0
