"""Every CRM API call goes through a `CrmCaller`: it counts the call, retries what can succeed on a
second try (429, 5xx, dropped connections, UNABLE_TO_LOCK_ROW, Salesforce's concurrent-request 403) with
jittered exponential backoff that honours Retry-After (429s and concurrency 403s on an allowance of their
own; Salesforce's daily-limit 403 stops the run as a budget stop), renews a refused session a capped number of
times (sessions.py), and turns the client's exception into a `CrmError` that keeps the CRM's error code.
A credential that cannot be renewed (HubSpot's private-app token, a static Salesforce token) fails fast:
once refused, the caller makes no further call with it. Before each call it asks the daily budget (a cap
raises `BudgetExhausted` instead of calling) and the pacer (connectors/pacing.py); after it, the CRM's
rate-limit headers feed both."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from simple_salesforce.exceptions import SalesforceError

from .budget import BudgetExhausted, DailyBudget
from .errors import CONNECTION_ERRORS, CrmError, from_connection, from_hubspot, from_salesforce
from .pacing import Pacer
from .sessions import MAX_RENEWALS_PER_CALL, WHAT_TO_CHECK

T = TypeVar("T")


class RenewableSession(Protocol):
    """What the caller needs from a session it may renew (salesforce_auth.SessionLease)."""

    def current(self) -> object: ...
    def renew(self, stale: object) -> None: ...
    def discard(self, stale: object) -> None: ...
    def succeeded(self) -> None: ...


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
        max_rate_limited: int = 12,
        base_delay_s: float = 0.5,
        max_delay_s: float = 30.0,
        session: RenewableSession | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        pacer: Pacer | None = None,
    ):
        self.crm = crm
        self.meter = meter
        self.max_attempts = max_attempts
        # A 429 says "slow down", not "this failed": a burst of them is waited out on its own allowance,
        # so it does not use up the attempts a 5xx or a dropped connection right after would need.
        self.max_rate_limited = max_rate_limited
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.session = session
        self.refused: CrmError | None = None  # a 401 with nothing to renew: every later call fails with it
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.pacer = pacer or Pacer(crm)
        # Salesforce: (used, limit) from the last Sforce-Limit-Info header; the connector sets it
        self.limit_info: Callable[[], tuple[int, int] | None] | None = None

    def __call__(self, route: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        attempt, renewals, rate_limited = 0, 0, 0
        while True:
            attempt += 1
            if self.refused is not None:
                raise replace(self.refused)  # a fresh exception per call: threads may raise it at once
            used = self.session.current() if self.session is not None else None
            self.meter.charge(self.crm, route)
            if self.pacer is not None and (wait := self.pacer.wait_s(route)) > 0:
                self.sleep(wait)
            try:
                result = fn(*args, **kwargs)
                self._observe(fn, None)
                if self.session is not None:
                    self.session.succeeded()
                return result
            except Exception as exc:
                self._observe(fn, exc)
                err = to_crm_error(self.crm, exc)
                if err is None:
                    raise
                if err.status == 401:
                    if self.session is None:
                        self.refused = refused_credentials(err)
                        raise self.refused from exc
                    if renewals >= MAX_RENEWALS_PER_CALL:
                        self.session.discard(used)
                        raise still_refused(err, renewals) from exc
                    renewals += 1
                    self.session.renew(used)
                    continue
                if err.daily_limit and self.crm == "salesforce":
                    raise self._daily_limit_stop(err) from exc
                if (err.status == 429 or err.concurrency_limit) and err.retryable:
                    rate_limited += 1
                    if rate_limited >= self.max_rate_limited:
                        raise err from exc
                    attempt -= 1
                    self.sleep(self.delay_s(rate_limited, err))
                    continue
                if not err.retryable or attempt >= self.max_attempts:
                    raise err from exc
                self.sleep(self.delay_s(attempt, err))

    def _daily_limit_stop(self, err: CrmError) -> BudgetExhausted:
        budget = self.meter.budget
        stop = BudgetExhausted.refused_by_crm(
            self.crm, budget.reported.get(self.crm) if budget is not None else None, err.message
        )
        if budget is not None and budget.on_exhausted is not None:
            budget.on_exhausted(stop)
        return stop

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
            usage = None
        if self.meter.budget is not None:
            self.meter.budget.answered(self.crm, usage)

    def delay_s(self, attempt: int, err: CrmError) -> float:
        """Full-jitter backoff, never shorter than what the CRM asked us to wait."""
        backoff = self.rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1)))
        floor = err.retry_after_s or 0.0
        if err.code == "RATE_LIMIT" and self.crm == "hubspot" and not floor:
            floor = 1.0  # HubSpot's rolling window: a second usually frees capacity
        if err.concurrency_limit and not floor:
            floor = self.base_delay_s * 2  # long requests (>= 20 s) must finish before a slot frees
        return max(backoff, floor)


def refused_credentials(err: CrmError) -> CrmError:
    """A 401 for a token crmsync cannot renew, with the CRM's code and what to do about it."""
    if err.crm == "hubspot":
        advice = (
            "HubSpot refused the access token: check HUBSPOT_ACCESS_TOKEN (a private app's token for this "
            "account, not rotated or deleted, with the app's scopes)"
        )
    else:
        advice = (
            "Salesforce refused the session in SALESFORCE_ACCESS_TOKEN: set a current one, or set "
            "SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET and SALESFORCE_LOGIN_URL so crmsync renews "
            "sessions itself"
        )
    said = f" ({err.message})" if err.message else ""
    return CrmError(err.crm, err.code, f"{advice}{said}", err.status, err.fields)


def still_refused(err: CrmError, renewals: int) -> CrmError:
    return CrmError(
        err.crm,
        "INVALID_SESSION_ID",
        f"Salesforce refused {renewals} new session(s) in a row for the same call ({err.message}). "
        f"{WHAT_TO_CHECK}",
        err.status,
    )


def _hubspot_headers(fn: Callable[..., Any]) -> Any:
    """The headers of the response a hubspot-api-client method just read (its ApiClient keeps it)."""
    client = getattr(getattr(fn, "__self__", None), "api_client", None)
    response = getattr(client, "last_response", None)
    return response.getheaders() if response is not None else None
