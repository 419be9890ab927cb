"""Pacing from what the CRMs say about their limits, so a run slows down before it is refused.

- HubSpot: `X-HubSpot-RateLimit-Remaining` of the rolling 10-second window on every response; when only a
  few calls are left, wait for the window to free some (its interval / its max, per missing call).
  Search has its own limit (5 a second per account) and no header: searches are spaced locally.
- Salesforce: `Sforce-Limit-Info: api-usage=U/T` is a daily allocation, not a window: past 90% of it,
  each call waits a little, leaving headroom to the org's other integrations (the hard stop is the
  budget cap, connectors/budget.py).
- HubSpot, and crmsync's own parallel requests: the pacer also keeps the times it let calls through and
  never lets more than the window's maximum (less the reserve) through in any window, whatever the number
  of threads asking, so parallel batches stay inside the budget without waiting for a 429 to say so.
  Until a response tells the window, the lowest tier's (100 per 10 s) is assumed.
Each CrmCaller keeps its own pacer and learns the window from its first response; run steps call one
after another, so they do not need to share one."""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

HUBSPOT_SEARCHES_PER_SECOND = 4  # HubSpot allows 5; one spare for clock jitter between us and them
HUBSPOT_RESERVE = 3  # calls kept free in the 10-second window
HUBSPOT_DEFAULT_WINDOW = (100, 10.0)  # calls, seconds: the lowest tier's burst limit
SALESFORCE_SLOW_FROM = 0.9
SALESFORCE_SLOW_DELAY_S = 0.5


@dataclass
class Window:
    remaining: int
    maximum: int
    interval_s: float
    seen_at: float


class Pacer:
    def __init__(self, crm: str, clock: Callable[[], float] = time.monotonic):
        self.crm = crm
        self.clock = clock
        self.window: Window | None = None
        self.daily: tuple[int, int] | None = None  # (used, limit) as the CRM reported it
        self.searches: deque[float] = deque(maxlen=HUBSPOT_SEARCHES_PER_SECOND)
        self.admitted: list[float] = []  # when each recent HubSpot call was let through, sorted
        self.lock = threading.Lock()

    def wait_s(self, route: str) -> float:
        """How long to wait before calling `route`; the call is then assumed made."""
        with self.lock:
            now, wait = self.clock(), 0.0
            if self.crm == "hubspot":
                if ".search" in route and len(self.searches) == self.searches.maxlen:
                    wait = max(wait, self.searches[0] + 1.0 - now)
                w = self.window
                if w is not None and w.remaining < HUBSPOT_RESERVE and now - w.seen_at < w.interval_s:
                    wait = max(wait, (HUBSPOT_RESERVE - w.remaining) * w.interval_s / max(w.maximum, 1))
                    w.remaining += 1  # what the wait frees; the next response says the truth
                wait = self._window_slot(now, wait)
                if ".search" in route:
                    self.searches.append(now + wait)
            elif (
                self.daily is not None
                and self.daily[1]
                and self.daily[0] / self.daily[1] >= SALESFORCE_SLOW_FROM
            ):
                wait = SALESFORCE_SLOW_DELAY_S
            return wait

    def _window_slot(self, now: float, wait: float) -> float:
        """The wait (at least `wait`) after which this call keeps our own admitted calls within the
        window's allowance in every window holding it: the call goes at the first moment with fewer than
        `allowed` other calls within one interval either side, and is recorded at that moment."""
        maximum, interval = (
            (self.window.maximum, self.window.interval_s) if self.window else HUBSPOT_DEFAULT_WINDOW
        )
        allowed = max(maximum - HUBSPOT_RESERVE, 1)
        del self.admitted[: bisect.bisect_right(self.admitted, now - interval)]
        at = now + wait
        first = bisect.bisect_right(self.admitted, at - interval)
        while True:
            if bisect.bisect_left(self.admitted, at + interval) - first < allowed:
                bisect.insort(self.admitted, at)
                return at - now
            # Once the earliest neighbour has left the window; one step up, since t + interval can round
            # to less than an interval after t. That neighbour counts as gone from here on: searching for
            # it again by time, where (t + interval) - interval rounds below t, found it still inside and
            # never moved on.
            at = max(at, math.nextafter(self.admitted[first] + interval, math.inf))
            first = max(first + 1, bisect.bisect_right(self.admitted, at - interval))

    def observe_hubspot(self, headers: Mapping[str, str]) -> tuple[int, int] | None:
        """Read HubSpot's rate-limit headers; answers (used today, daily limit) when they carry it."""
        low = {k.lower(): v for k, v in headers.items()}
        try:
            if "x-hubspot-ratelimit-remaining" in low:
                with self.lock:
                    self.window = Window(
                        int(low["x-hubspot-ratelimit-remaining"]),
                        int(low.get("x-hubspot-ratelimit-max", "100")),
                        int(low.get("x-hubspot-ratelimit-interval-milliseconds", "10000")) / 1000,
                        self.clock(),
                    )
            if "x-hubspot-ratelimit-daily" in low and "x-hubspot-ratelimit-daily-remaining" in low:
                limit = int(low["x-hubspot-ratelimit-daily"])
                return limit - int(low["x-hubspot-ratelimit-daily-remaining"]), limit
        except ValueError:
            return None
        return None

    def observe_daily(self, used: int, limit: int) -> None:
        with self.lock:
            self.daily = (used, limit)
