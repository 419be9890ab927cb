"""A daily API budget per CRM. Before each call the CrmCaller asks the budget; a call that would pass
the cap raises `BudgetExhausted` instead of being made, so a run stops cleanly between two calls and the
next run resumes from the state (extract cursors, confirmed writes).

Caps come from the environment: `CRMSYNC_SALESFORCE_DAILY_CAP` / `CRMSYNC_HUBSPOT_DAILY_CAP`, either a
number of calls (counted by crmsync over today's runs) or a share such as `20%` of the daily limit the
CRM itself reports (Salesforce's `Sforce-Limit-Info: api-usage=U/T`, HubSpot's
`X-HubSpot-RateLimit-Daily[-Remaining]`), which also counts calls made by anyone else on the account.

A share becomes a whole number of calls rounded DOWN (`0.03%` of 100,000 is 30; `0.035%` is 35, not 35.5
rounded up): a cap is a promise not to pass it, so a fraction of a call is never granted. The share is
computed in decimal, so `0.03%` never turns into 29 through binary floating point. The usage a CRM
reports lags the calls in flight (and Salesforce's header is only refreshed by some responses), so the
budget adds the calls it let through since the last fresh report: a run never passes the cap it reports,
even with parallel requests.

Every run step (and every `crmsync` process) has a budget of its own, so the last usage a budget knew is
carried to the next one (a `UsageEstimate`, kept in the state file by orchestration/api_budget.py): a
step that starts where the last one ended at the cap makes no call. The CRM's first answer to the new
budget replaces the carried figure (it counts every call answered so far, and may be lower: Salesforce's
allocation is a rolling 24 hours, HubSpot's day resets). A carried figure is trusted for 24 hours after
the CRM reported it, the longest either CRM's count can hold it. With a share cap and no usage known at
all (a first run, or nothing reported for a day), one call at a time goes until the CRM has answered
with its usage, so parallel requests cannot pass a cap nobody has measured yet; that first call is the
one crmsync cannot check, and only passes the cap when the account was already past it."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

CAP_ENV = {"salesforce": "CRMSYNC_SALESFORCE_DAILY_CAP", "hubspot": "CRMSYNC_HUBSPOT_DAILY_CAP"}
# how long a usage figure a CRM reported still bounds its count: Salesforce's allocation is a rolling 24
# hours and HubSpot's resets daily, so after a day the figure no longer says anything about today
CARRIED_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class UsageEstimate:
    """What a budget last knew of one CRM's daily usage: the CRM's last fresh figure (`reported` of
    `limit`, read at `reported_at`) and the calls let through since that it did not include yet."""

    crm: str
    reported: int
    limit: int
    reported_at: datetime
    unreported: int

    @property
    def used(self) -> int:
        return self.reported + self.unreported

    def current(self, now: datetime) -> bool:
        return now - self.reported_at < CARRIED_FOR


class BudgetExhausted(Exception):
    """A run stopped at the daily API cap: the next run resumes where this one stopped."""

    def __init__(self, crm: str, used: int, cap: int, how: str, advice: str | None = None):
        self.crm, self.used, self.cap = crm, used, cap
        advice = advice or f"raise {CAP_ENV[crm]} to allow more"
        super().__init__(
            f"{crm} daily API budget reached: {used:,} of {cap:,} calls {how}; the run stopped before its "
            f"next call and the next run resumes where it stopped ({advice})"
        )

    @classmethod
    def refused_by_crm(cls, crm: str, reported: tuple[int, int] | None, said: str) -> BudgetExhausted:
        """The CRM itself refused a call for its daily limit (Salesforce 403 REQUEST_LIMIT_EXCEEDED
        "TotalRequests Limit exceeded."): a budget stop, not a failure."""
        used, limit = reported or (0, 0)
        return cls(
            crm, used, limit, f"used today, the org's whole daily allocation ({said})",
            "the allocation renews over 24 hours; ask Salesforce for more API calls or lower other integrations' use",
        )  # fmt: skip


@dataclass(frozen=True)
class Cap:
    calls: int | None = None  # an absolute number of calls today, as crmsync counts them
    percent: Decimal | None = None  # a share of the daily limit the CRM reports, in percent (exact)

    @classmethod
    def parse(cls, text: str | None) -> Cap | None:
        if not text or not text.strip():
            return None
        text = text.strip()
        try:
            if text.endswith("%"):
                return cls(percent=Decimal(text[:-1].strip()))
            return cls(calls=int(text.replace("_", "").replace(",", "")))
        except (InvalidOperation, ValueError) as exc:
            raise ValueError(
                f"a daily cap is a number of calls (5000) or a share of the CRM's limit (20%), not {text!r}"
            ) from exc

    def allowed(self, limit: int) -> int:
        """The calls a share cap allows out of the CRM's daily `limit`: rounded down (see the module)."""
        assert self.percent is not None
        return int(Decimal(limit) * self.percent / 100)  # int() of a positive Decimal truncates: floor

    def describe(self, limit: int) -> str:
        return (
            f"{self.percent.normalize():f}% of the {limit:,} the CRM allows, rounded down"
            if self.percent is not None
            else ""
        )


@dataclass
class DailyBudget:
    """Caps per CRM, the calls crmsync recorded today before this run step, and the usage the CRMs
    reported on their last responses (fed by the CrmCaller), or carried from the budget before."""

    caps: dict[str, Cap] = field(default_factory=dict)
    used_before: dict[str, int] = field(default_factory=dict)
    reported: dict[str, tuple[int, int]] = field(default_factory=dict)  # crm -> (used, daily limit)
    on_exhausted: Callable[[BudgetExhausted], None] | None = None
    # calls let through and not yet answered, and let through since the last fresh report: the CRM's
    # figure does not include them yet
    in_flight: dict[str, int] = field(default_factory=dict)
    unreported: dict[str, int] = field(default_factory=dict)
    reported_at: dict[str, datetime] = field(default_factory=dict)
    # CRMs whose figure was carried from an earlier budget: the CRM's first answer here replaces it
    carried: set[str] = field(default_factory=set)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), repr=False, compare=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    answer: threading.Condition = field(init=False, repr=False, compare=False)
    # the thread whose call goes alone while no usage is known (it never waits for itself)
    alone: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.answer = threading.Condition(self.lock)

    @classmethod
    def from_env(
        cls,
        used_before: Mapping[str, int],
        environ: Mapping[str, str] | None = None,
        on_exhausted: Callable[[BudgetExhausted], None] | None = None,
        carried: Iterable[UsageEstimate] = (),
    ) -> DailyBudget | None:
        env = os.environ if environ is None else environ
        caps = {crm: cap for crm, name in CAP_ENV.items() if (cap := Cap.parse(env.get(name))) is not None}
        if not caps:
            return None
        budget = cls(caps=caps, used_before=dict(used_before), on_exhausted=on_exhausted)
        budget.carry(carried)
        return budget

    def carry(self, estimates: Iterable[UsageEstimate]) -> None:
        """Start from what earlier budgets knew (figures older than CARRIED_FOR say nothing of today)."""
        now = self.clock()
        with self.lock:
            for est in estimates:
                if est.current(now) and est.crm not in self.reported:
                    self.reported[est.crm] = (est.reported, est.limit)
                    self.reported_at[est.crm] = est.reported_at
                    self.unreported[est.crm] = self.unreported.get(est.crm, 0) + est.unreported
                    self.carried.add(est.crm)

    def estimates(self) -> list[UsageEstimate]:
        """What this budget knows now, for the next one (calls still in flight count as unreported)."""
        with self.lock:
            return [
                UsageEstimate(crm, used, limit, self.reported_at[crm], self.unreported.get(crm, 0))
                for crm, (used, limit) in sorted(self.reported.items())
            ]

    def check(self, crm: str, calls_this_step: int) -> None:
        """Raise BudgetExhausted when one more call would pass the cap; otherwise count the call in
        flight. With a share cap and no usage known, wait until the call in flight has been answered."""
        cap = self.caps.get(crm)
        with self.lock:
            if cap is not None and cap.percent is not None:
                self._wait_for_a_figure(crm)
            problem = self._problem(crm, cap, calls_this_step) if cap is not None else None
            if problem is None:
                self.in_flight[crm] = self.in_flight.get(crm, 0) + 1
                self.unreported[crm] = self.unreported.get(crm, 0) + 1
                if crm not in self.reported:
                    self.alone[crm] = threading.get_ident()
        if problem is not None:
            if self.on_exhausted is not None:
                self.on_exhausted(problem)
            raise problem

    def _wait_for_a_figure(self, crm: str) -> None:
        """No usage known: the calls let through cannot be weighed against a share, so one goes at a
        time until an answer carries the CRM's figure (called with the lock held; the caller's meter
        lock stays held too, so other threads wait their turn behind this one). A thread never waits for
        its own call."""
        while (
            crm not in self.reported
            and self.in_flight.get(crm, 0) > 0
            and self.alone.get(crm) != threading.get_ident()
        ):
            self.answer.wait()

    def _problem(self, crm: str, cap: Cap, calls_this_step: int) -> BudgetExhausted | None:
        if cap.calls is not None:
            used = self.used_before.get(crm, 0) + calls_this_step
            if used + 1 > cap.calls:
                return BudgetExhausted(crm, used, cap.calls, "made by crmsync today")
        if cap.percent is not None and crm in self.reported:
            reported, limit = self.reported[crm]
            used, allowed = reported + self.unreported.get(crm, 0), cap.allowed(limit)
            if used + 1 > allowed:
                return BudgetExhausted(
                    crm, used, allowed, f"used today ({cap.describe(limit)}{self._since(crm)})"
                )
        return None

    def _since(self, crm: str) -> str:
        """For a figure carried from an earlier run: when the CRM reported it."""
        if crm not in self.carried:
            return ""
        return (
            f"; as the CRM reported at {self.reported_at[crm]:%Y-%m-%d %H:%M} UTC, plus crmsync's calls since"
        )

    def answered(self, crm: str, usage: tuple[int, int] | None) -> None:
        """A call let through by `check` got its answer, with the usage the CRM reported (if any)."""
        with self.lock:
            self.in_flight[crm] = max(self.in_flight.get(crm, 0) - 1, 0)
            if usage is not None:
                self._observe(crm, *usage)
            self.answer.notify_all()

    def observe(self, crm: str, used: int, limit: int) -> None:
        """A usage figure from the CRM."""
        with self.lock:
            self._observe(crm, used, limit)
            self.answer.notify_all()

    def _observe(self, crm: str, used: int, limit: int) -> None:
        """Only a higher figure is fresh (answers arrive out of order, and a stale header is repeated): it
        counts every call answered so far, not the ones still in flight. The first figure after a carried
        one is fresh whatever it says: the CRM's count may have gone down since (called with the lock)."""
        before = self.reported.get(crm)
        if crm in self.carried:
            self.carried.discard(crm)
        elif before is not None and before[1] == limit and used <= before[0]:
            return
        self.reported[crm] = (used, limit)
        self.reported_at[crm] = self.clock()
        self.unreported[crm] = self.in_flight.get(crm, 0)
