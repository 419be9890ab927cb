"""Counts every CRM API request an emulator serves, in total and per route."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any


class ApiStats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.api_calls = 0
        self.billed_calls = 0  # what the CRM's API limit counts: composite/batch bills each subrequest
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()
        self.records_written = 0
        self.since = time.time()

    def count(self, route: str) -> None:
        self.api_calls += 1
        self.billed_calls += 1
        self.by_route[route] += 1

    def bill(self, extra: int) -> None:
        """Calls the API limit counts beyond the HTTP request itself (subrequests billed one by one)."""
        self.billed_calls += extra

    def count_status(self, status: int) -> None:
        self.by_status[status] += 1

    def as_json(self) -> dict[str, Any]:
        return {
            "api_calls": self.api_calls,
            "billed_calls": self.billed_calls,
            "by_route": dict(self.by_route.most_common()),
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "records_written": self.records_written,
            "since": self.since,
        }
