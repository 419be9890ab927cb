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
even with parallel requests."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

CAP_ENV = {"salesforce": "CRMSYNC_SALESFORCE_DAILY_CAP", "hubspot": "CRMSYNC_HUBSPOT_DAILY_CAP"}


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
    reported on their last responses (fed by the CrmCaller)."""

    caps: dict[str, Cap] = field(default_factory=dict)
    used_before: dict[str, int] = field(default_factory=dict)
    reported: dict[str, tuple[int, int]] = field(default_factory=dict)  # crm -> (used, daily limit)
    on_exhausted: Callable[[BudgetExhausted], None] | None = None
    # calls let through and not yet answered, and let through since the last fresh report: the CRM's
    # figure does not include them yet
    in_flight: dict[str, int] = field(default_factory=dict)
    unreported: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def from_env(
        cls,
        used_before: Mapping[str, int],
        environ: Mapping[str, str] | None = None,
        on_exhausted: Callable[[BudgetExhausted], None] | None = None,
    ) -> DailyBudget | None:
        env = os.environ if environ is None else environ
        caps = {crm: cap for crm, name in CAP_ENV.items() if (cap := Cap.parse(env.get(name))) is not None}
        if not caps:
            return None
        return cls(caps=caps, used_before=dict(used_before), on_exhausted=on_exhausted)

    def check(self, crm: str, calls_this_step: int) -> None:
        """Raise BudgetExhausted when one more call would pass the cap."""
        cap = self.caps.get(crm)
        if cap is None:
            return
        problem = None
        with self.lock:
            if cap.calls is not None:
                used = self.used_before.get(crm, 0) + calls_this_step
                if used + 1 > cap.calls:
                    problem = BudgetExhausted(crm, used, cap.calls, "made by crmsync today")
            if problem is None and cap.percent is not None and crm in self.reported:
                reported, limit = self.reported[crm]
                used, allowed = reported + self.unreported.get(crm, 0), cap.allowed(limit)
                if used + 1 > allowed:
                    problem = BudgetExhausted(crm, used, allowed, f"used today ({cap.describe(limit)})")
            if problem is None:
                self.in_flight[crm] = self.in_flight.get(crm, 0) + 1
                self.unreported[crm] = self.unreported.get(crm, 0) + 1
        if problem is not None:
            if self.on_exhausted is not None:
                self.on_exhausted(problem)
            raise problem

    def answered(self, crm: str, usage: tuple[int, int] | None) -> None:
        """A call let through by `check` got its answer, with the usage the CRM reported (if any)."""
        with self.lock:
            self.in_flight[crm] = max(self.in_flight.get(crm, 0) - 1, 0)
        if usage is not None:
            self.observe(crm, *usage)

    def observe(self, crm: str, used: int, limit: int) -> None:
        """A usage figure from the CRM. Only a higher one is fresh (answers arrive out of order, and a
        stale header is repeated): it counts every call answered so far, not the ones still in flight."""
        with self.lock:
            before = self.reported.get(crm)
            if before is not None and before[1] == limit and used <= before[0]:
                return
            self.reported[crm] = (used, limit)
            self.unreported[crm] = self.in_flight.get(crm, 0)
