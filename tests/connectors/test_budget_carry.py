"""A share cap holds across the budgets of a run's steps: the usage one budget reached is carried to the
next, and while no usage is known at all, calls go one at a time until the CRM has said where the day
stands. A fake CRM counts the calls it served; pure logic (the sandbox test is
tests/integration/test_budget_carry.py)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from crmsync_pipeline.connectors.budget import BudgetExhausted, Cap, DailyBudget, UsageEstimate
from crmsync_pipeline.connectors.calls import CallMeter, CrmCaller

CAP = {"CRMSYNC_SALESFORCE_DAILY_CAP": "0.03%"}  # 30 of the fake CRM's 100,000


class FakeCrm:
    """Serves calls, counting them, and reports its usage on every answer (Sforce-Limit-Info)."""

    def __init__(self, used: int):
        self.used = used

    def caller(self, budget: DailyBudget) -> CrmCaller:
        caller = CrmCaller("salesforce", CallMeter(budget), sleep=lambda s: None, pacer=None)
        caller.limit_info = lambda: (self.used, 100_000)
        return caller

    def serve(self) -> None:
        self.used += 1


def test_a_step_that_starts_where_the_last_one_ended_at_the_cap_makes_no_call():
    crm = FakeCrm(used=25)
    first = DailyBudget.from_env({}, environ=CAP)
    call = crm.caller(first)
    for _ in range(5):
        call("query", crm.serve)  # the step ends with the day exactly at the cap
    assert crm.used == 30

    second = DailyBudget.from_env({}, environ=CAP, carried=first.estimates())  # the next step
    with pytest.raises(BudgetExhausted, match="30 of 30 calls used today"):
        crm.caller(second)("query", crm.serve)
    assert crm.used == 30  # the CRM never saw a 31st call


def test_calls_no_answer_has_counted_yet_are_carried_too():
    """The step ended with calls whose answers carried no fresh figure: the next budget counts them."""
    crm = FakeCrm(used=20)
    first = DailyBudget.from_env({}, environ=CAP)
    call = crm.caller(first)
    call("query", crm.serve)  # 21, reported
    call.limit_info = lambda: (21, 100_000)  # the header stops being refreshed
    for _ in range(9):
        call("query", crm.serve)
    assert crm.used == 30
    (carried,) = first.estimates()
    assert (carried.reported, carried.unreported, carried.used) == (21, 9, 30)
    with pytest.raises(BudgetExhausted):
        crm.caller(DailyBudget.from_env({}, environ=CAP, carried=[carried]))("query", crm.serve)
    assert crm.used == 30


def test_with_no_usage_known_parallel_calls_go_one_at_a_time_until_the_crm_answers():
    """The day is at 29 of a cap of 30 and this budget knows nothing yet: of two calls started together,
    the second waits for the first one's answer (30) and is not made."""
    crm = FakeCrm(used=29)
    call = crm.caller(DailyBudget.from_env({}, environ=CAP))
    second: list[BaseException | None] = []

    def second_call() -> None:
        try:
            call("query", crm.serve)
            second.append(None)
        except BudgetExhausted as exc:
            second.append(exc)

    def first_call() -> None:
        other = threading.Thread(target=second_call)
        other.start()
        other.join(timeout=2)  # before the fix the second call is served meanwhile; after, it waits
        crm.serve()

    call("query", first_call)
    while not second:  # the second call ends once the first has answered
        threading.Event().wait(0.01)
    assert crm.used == 30
    assert isinstance(second[0], BudgetExhausted) and "30 of 30" in str(second[0])


def test_the_crms_first_answer_replaces_a_carried_figure_even_a_lower_one():
    """Salesforce's allocation is a rolling 24 hours (HubSpot's day resets): a figure carried from an
    earlier step is only the best guess until the CRM answers."""
    now = datetime.now(UTC)
    carried = UsageEstimate("salesforce", reported=29, limit=100_000, reported_at=now, unreported=0)
    budget = DailyBudget.from_env({}, environ=CAP, carried=[carried])
    crm = FakeCrm(used=10)  # calls older than a day have left the count meanwhile
    call = crm.caller(budget)
    call("query", crm.serve)  # 29 + 1 fits; the answer says 11
    for _ in range(19):
        call("query", crm.serve)
    assert crm.used == 30
    with pytest.raises(BudgetExhausted, match="30 of 30"):
        call("query", crm.serve)


def test_a_figure_reported_more_than_a_day_ago_is_not_carried():
    stale = datetime.now(UTC) - timedelta(hours=25)
    carried = UsageEstimate("salesforce", reported=30, limit=100_000, reported_at=stale, unreported=0)
    budget = DailyBudget.from_env({}, environ=CAP, carried=[carried])
    assert budget.reported == {}
    crm = FakeCrm(used=3)
    crm.caller(budget)("query", crm.serve)  # the first call goes (alone) and learns the day's usage
    assert budget.reported["salesforce"] == (4, 100_000)


def test_a_stop_on_a_carried_figure_says_when_the_crm_reported_it():
    at = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    budget = DailyBudget(caps={"salesforce": Cap.parse("0.03%")}, clock=lambda: at + timedelta(hours=2))
    budget.carry([UsageEstimate("salesforce", reported=30, limit=100_000, reported_at=at, unreported=0)])
    with pytest.raises(BudgetExhausted, match="as the CRM reported at 2026-03-02 09:15 UTC"):
        budget.check("salesforce", 0)
