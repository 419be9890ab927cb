"""The daily cap stops before the call that would pass it; pacing waits when the CRM says its window is
nearly used. Pure logic: the sandbox tests of the same behaviour are in tests/integration."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crmsync_pipeline.connectors.budget import BudgetExhausted, Cap, DailyBudget
from crmsync_pipeline.connectors.calls import CallMeter, CrmCaller
from crmsync_pipeline.connectors.pacing import Pacer


def test_caps_read_as_calls_or_a_share_of_the_crms_limit():
    assert Cap.parse("20%") == Cap(percent=Decimal("20"))
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
    budget.answered("salesforce", (19_998, 100_000))
    budget.check("salesforce", 0)
    budget.answered("salesforce", (19_999, 100_000))
    budget.check("salesforce", 0)
    budget.answered("salesforce", (20_000, 100_000))
    with pytest.raises(BudgetExhausted, match="20,000 of 20,000"):
        budget.check("salesforce", 0)
    budget.check("hubspot", 10**9)  # no HubSpot cap


def test_a_share_cap_is_exact_and_rounds_down():
    """`0.03%` of 100,000 is 30 calls, not the 29 binary floating point made of it; a fraction of a call
    is never granted."""
    assert Cap.parse("0.03%").allowed(100_000) == 30
    assert Cap.parse("0.035%").allowed(100_000) == 35
    assert Cap.parse("20%").allowed(15_001) == 3_000
    with pytest.raises(ValueError, match="a share of the CRM's limit"):
        Cap.parse("lots")


def test_a_share_cap_counts_calls_the_crms_figure_does_not_include_yet():
    """Salesforce's usage header is refreshed by some answers only and lags calls in flight: the budget
    adds the calls it let through since the last fresh figure, so the run stops AT the cap it names."""
    budget = DailyBudget.from_env({}, environ={"CRMSYNC_SALESFORCE_DAILY_CAP": "0.03%"})
    meter = CallMeter(budget)
    caller = CrmCaller("salesforce", meter, sleep=lambda s: None, pacer=None)
    crm_usage = [0]
    caller.limit_info = lambda: (crm_usage[0] - crm_usage[0] % 7, 100_000)  # a header refreshed 1 call in 7

    def call() -> None:
        crm_usage[0] += 1

    with pytest.raises(BudgetExhausted) as stop:
        for _ in range(100):
            caller("query", call)
    assert crm_usage[0] == 30 and meter.total() == 30
    assert "30 of 30 calls used today (0.03% of the 100,000 the CRM allows, rounded down)" in str(stop.value)


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
