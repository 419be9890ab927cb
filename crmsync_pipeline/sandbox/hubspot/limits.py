"""HubSpot's rate limits: a ten-second burst window, a per-second search window and a daily allocation,
with the `X-HubSpot-RateLimit-*` headers on every API response."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..ratelimit import DailyAllocation, RollingWindow
from . import errors

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator


class RateLimits:
    """Built from the settings; rebuilt whenever settings change (usage so far is kept for the day)."""

    def __init__(self, em: HubSpotEmulator):
        self.em = em
        s = em.settings
        self.burst = RollingWindow(s.burst_limit_per_10s, 10.0)
        self.search = RollingWindow(s.search_limit_per_second, 1.0)
        self.daily = DailyAllocation(s.daily_limit, int(em.store.meta("daily_used", 0)))

    def admit(self, is_search: bool) -> None:
        s = self.em.settings
        if not s.rate_limits_enabled:
            self.daily.used += 1
            return
        retry = s.send_retry_after
        if s.daily_limit > 0 and self.daily.used >= s.daily_limit:
            raise errors.rate_limited("DAILY", s.portal_id, 3600.0 if retry else None)
        verdict = self.burst.acquire()
        if not verdict.allowed:
            raise errors.rate_limited(
                "TEN_SECONDLY_ROLLING", s.portal_id, verdict.retry_after_s if retry else None
            )
        if is_search:
            verdict = self.search.acquire()
            if not verdict.allowed:
                raise errors.rate_limited("SECONDLY", s.portal_id, verdict.retry_after_s if retry else None)
        self.daily.acquire()

    def headers(self) -> dict[str, str]:
        s = self.em.settings
        self.em.store.set_meta("daily_used", self.daily.used)
        burst_used = self.burst.used()
        return {
            "X-HubSpot-RateLimit-Daily": str(s.daily_limit),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(s.daily_limit - self.daily.used, 0)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": str(s.burst_limit_per_10s),
            "X-HubSpot-RateLimit-Remaining": str(max(s.burst_limit_per_10s - burst_used, 0)),
        }
