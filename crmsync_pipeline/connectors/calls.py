"""Every CRM API call goes through a `CrmCaller`: it counts the call, retries what can succeed on a
second try (429, 5xx, dropped connections, UNABLE_TO_LOCK_ROW) with jittered exponential backoff that
honours Retry-After, re-authenticates once on an expired session, and turns the client's exception into
a `CrmError` that keeps the CRM's error code. Before each call it asks the daily budget (a cap raises
`BudgetExhausted` instead of calling) and the pacer (connectors/pacing.py); after it, the CRM's
rate-limit headers feed both."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from simple_salesforce.exceptions import SalesforceError

from .budget import DailyBudget
from .errors import CONNECTION_ERRORS, CrmError, from_connection, from_hubspot, from_salesforce
from .pacing import Pacer

T = TypeVar("T")


class CallMeter:
    """API calls made per CRM and route during one run (attempts, so retries count too)."""

    def __init__(self, budget: DailyBudget | None = None) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        self.budget = budget
        self.lock = threading.Lock()  # parallel requests share the meter (connectors/parallel.py)

    def count(self, crm: str, route: str) -> None:
        with self.lock:
            self.calls[(crm, route)] += 1

    def charge(self, crm: str, route: str) -> None:
        """Ask the budget, then count the call, as one step: threads never pass the cap together."""
        with self.lock:
            if self.budget is not None:
                self.budget.check(crm, self.total(crm))
            self.calls[(crm, route)] += 1

    def total(self, crm: str | None = None) -> int:
        return sum(n for (c, _), n in self.calls.items() if crm is None or c == crm)

    def rows(self) -> list[dict[str, Any]]:
        return [{"crm": c, "route": r, "calls": n} for (c, r), n in sorted(self.calls.items())]


def to_crm_error(crm: str, exc: BaseException) -> CrmError | None:
    """The CrmError for an exception a client raised, or None when it is not a CRM failure."""
    if isinstance(exc, CrmError):
        return exc
    if isinstance(exc, SalesforceError):
        return from_salesforce(exc)
    if isinstance(exc, CONNECTION_ERRORS):
        return from_connection(crm, exc)
    if type(exc).__module__.startswith("hubspot.") and hasattr(exc, "status"):
        return from_hubspot(exc)
    return None


class CrmCaller:
    def __init__(
        self,
        crm: str,
        meter: CallMeter,
        *,
        max_attempts: int = 5,
        base_delay_s: float = 0.5,
        max_delay_s: float = 30.0,
        reauthenticate: Callable[[], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        pacer: Pacer | None = None,
    ):
        self.crm = crm
        self.meter = meter
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.reauthenticate = reauthenticate
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.pacer = pacer or Pacer(crm)
        # Salesforce: (used, limit) from the last Sforce-Limit-Info header; the connector sets it
        self.limit_info: Callable[[], tuple[int, int] | None] | None = None

    def __call__(self, route: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        attempt, reauthenticated = 0, False
        while True:
            attempt += 1
            self.meter.charge(self.crm, route)
            if self.pacer is not None and (wait := self.pacer.wait_s(route)) > 0:
                self.sleep(wait)
            try:
                result = fn(*args, **kwargs)
                self._observe(fn, None)
                return result
            except Exception as exc:
                self._observe(fn, exc)
                err = to_crm_error(self.crm, exc)
                if err is None:
                    raise
                if err.status == 401 and self.reauthenticate is not None and not reauthenticated:
                    reauthenticated = True
                    self.reauthenticate()
                    continue
                if not err.retryable or attempt >= self.max_attempts:
                    raise err from exc
                self.sleep(self.delay_s(attempt, err))

    def _observe(self, fn: Callable[..., Any], exc: BaseException | None) -> None:
        """Feed the CRM's own usage figures to the pacer and the budget; never fails the call."""
        usage = None
        try:
            if self.crm == "hubspot" and self.pacer is not None:
                headers = getattr(exc, "headers", None) if exc is not None else _hubspot_headers(fn)
                usage = self.pacer.observe_hubspot(dict(headers or {}))
            elif self.limit_info is not None:
                usage = self.limit_info()
                if usage is not None and self.pacer is not None:
                    self.pacer.observe_daily(*usage)
        except Exception:  # noqa: BLE001 - headers are advice; a missing one must not fail a write
            return
        if usage is not None and self.meter.budget is not None:
            self.meter.budget.observe(self.crm, *usage)

    def delay_s(self, attempt: int, err: CrmError) -> float:
        """Full-jitter backoff, never shorter than what the CRM asked us to wait."""
        backoff = self.rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1)))
        floor = err.retry_after_s or 0.0
        if err.code == "RATE_LIMIT" and self.crm == "hubspot" and not floor:
            floor = 1.0  # HubSpot's rolling window: a second usually frees capacity
        return max(backoff, floor)


def _hubspot_headers(fn: Callable[..., Any]) -> Any:
    """The headers of the response a hubspot-api-client method just read (its ApiClient keeps it)."""
    client = getattr(getattr(fn, "__self__", None), "api_client", None)
    response = getattr(client, "last_response", None)
    return response.getheaders() if response is not None else None
