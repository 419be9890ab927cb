"""Every CRM API call goes through a `CrmCaller`: it counts the call, retries what can succeed on a
second try (429, 5xx, dropped connections, UNABLE_TO_LOCK_ROW) with jittered exponential backoff that
honours Retry-After, re-authenticates once on an expired session, and turns the client's exception into
a `CrmError` that keeps the CRM's error code."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from simple_salesforce.exceptions import SalesforceError

from .errors import CONNECTION_ERRORS, CrmError, from_connection, from_hubspot, from_salesforce

T = TypeVar("T")


class CallMeter:
    """API calls made per CRM and route during one run (attempts, so retries count too)."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()

    def count(self, crm: str, route: str) -> None:
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
    ):
        self.crm = crm
        self.meter = meter
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.reauthenticate = reauthenticate
        self.sleep = sleep
        self.rng = rng or random.Random()

    def __call__(self, route: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        attempt, reauthenticated = 0, False
        while True:
            attempt += 1
            self.meter.count(self.crm, route)
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
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

    def delay_s(self, attempt: int, err: CrmError) -> float:
        """Full-jitter backoff, never shorter than what the CRM asked us to wait."""
        backoff = self.rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1)))
        floor = err.retry_after_s or 0.0
        if err.code == "RATE_LIMIT" and self.crm == "hubspot" and not floor:
            floor = 1.0  # HubSpot's rolling window: a second usually frees capacity
        return max(backoff, floor)
