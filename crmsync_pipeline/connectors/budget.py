"""A daily API budget per CRM. Before each call the CrmCaller asks the budget; a call that would pass
the cap raises `BudgetExhausted` instead of being made, so a run stops cleanly between two calls and the
next run resumes from the state (extract cursors, confirmed writes).

Caps come from the environment: `CRMSYNC_SALESFORCE_DAILY_CAP` / `CRMSYNC_HUBSPOT_DAILY_CAP`, either a
number of calls (counted by crmsync over today's runs) or a share such as `20%` of the daily limit the
CRM itself reports (Salesforce's `Sforce-Limit-Info: api-usage=U/T`, HubSpot's
`X-HubSpot-RateLimit-Daily[-Remaining]`), which also counts calls made by anyone else on the account."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

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
    share: float | None = None  # a share of the daily limit the CRM reports

    @classmethod
    def parse(cls, text: str | None) -> Cap | None:
        if not text or not text.strip():
            return None
        text = text.strip()
        if text.endswith("%"):
            return cls(share=float(text[:-1]) / 100)
        return cls(calls=int(text.replace("_", "").replace(",", "")))


@dataclass
class DailyBudget:
    """Caps per CRM, the calls crmsync recorded today before this run step, and the usage the CRMs
    reported on their last responses (fed by the CrmCaller)."""

    caps: dict[str, Cap] = field(default_factory=dict)
    used_before: dict[str, int] = field(default_factory=dict)
    reported: dict[str, tuple[int, int]] = field(default_factory=dict)  # crm -> (used, daily limit)
    on_exhausted: Callable[[BudgetExhausted], None] | None = None

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
        if cap.calls is not None:
            used = self.used_before.get(crm, 0) + calls_this_step
            if used + 1 > cap.calls:
                problem = BudgetExhausted(crm, used, cap.calls, "made by crmsync today")
        if problem is None and cap.share is not None and crm in self.reported:
            used, limit = self.reported[crm]
            allowed = int(limit * cap.share)
            if used + 1 > allowed:
                problem = BudgetExhausted(
                    crm, used, allowed, f"used today ({cap.share:.0%} of the {limit:,} the CRM allows)"
                )
        if problem is not None:
            if self.on_exhausted is not None:
                self.on_exhausted(problem)
            raise problem

    def observe(self, crm: str, used: int, limit: int) -> None:
        self.reported[crm] = (used, limit)
