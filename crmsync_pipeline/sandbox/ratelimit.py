"""Rate-limit primitives shared by both emulators: a rolling window and a daily allocation."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass


@dataclass
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: float = 0.0


class RollingWindow:
    """At most `limit` requests in any `window_s` seconds (HubSpot's ten-secondly and secondly limits)."""

    def __init__(self, limit: int, window_s: float):
        self.limit = limit
        self.window_s = window_s
        self._hits: deque[float] = deque()

    def _expire(self, now: float) -> None:
        while self._hits and now - self._hits[0] >= self.window_s:
            self._hits.popleft()

    def used(self, now: float | None = None) -> int:
        """Requests counted in the current window."""
        self._expire(time.monotonic() if now is None else now)
        return len(self._hits)

    def acquire(self, now: float | None = None) -> Verdict:
        now = time.monotonic() if now is None else now
        self._expire(now)
        if self.limit <= 0:
            return Verdict(True, 0, 0)
        if len(self._hits) >= self.limit:
            retry = self.window_s - (now - self._hits[0])
            return Verdict(False, self.limit, 0, max(retry, 0.0))
        self._hits.append(now)
        return Verdict(True, self.limit, self.limit - len(self._hits))


class DailyAllocation:
    """A daily request allocation; `used` survives restarts through the owner's store."""

    def __init__(self, limit: int, used: int = 0):
        self.limit = limit
        self.used = used
        self._day = time.strftime("%Y-%m-%d", time.gmtime())

    def acquire(self) -> Verdict:
        today = time.strftime("%Y-%m-%d", time.gmtime())
        if today != self._day:
            self._day, self.used = today, 0
        if self.limit > 0 and self.used >= self.limit:
            return Verdict(False, self.limit, 0)
        self.used += 1
        return Verdict(True, self.limit, max(self.limit - self.used, 0))
