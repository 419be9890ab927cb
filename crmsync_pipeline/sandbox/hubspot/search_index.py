"""What search sees: a per-type view of records that trails writes by `search_lag_seconds`.

Writes enqueue the new record version (or None for a removal); the queue is applied when due, so
searching costs nothing extra per write and a lag of 0 applies every change at once.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any


class SearchIndex:
    """Lagged copy of the record tables, keyed by type id then record id."""

    def __init__(self, lag_seconds: Callable[[], float]):
        self._lag = lag_seconds
        self.views: dict[str, dict[str, dict[str, Any]]] = {}
        self._pending: deque[tuple[float, str, str, dict[str, Any] | None]] = deque()

    def reset(self) -> None:
        self.views = {}
        self._pending.clear()

    def load(self, type_id: str, record: dict[str, Any]) -> None:
        """Seeded and reloaded records are visible at once."""
        if record["a"] is None:
            self.views.setdefault(type_id, {})[record["id"]] = record

    def changed(self, type_id: str, record_id: str, record: dict[str, Any] | None) -> None:
        lag = self._lag()
        if lag <= 0 and not self._pending:
            self._apply(type_id, record_id, record)
        else:
            self._pending.append((time.monotonic() + max(lag, 0), type_id, record_id, record))

    def view(self, type_id: str) -> dict[str, dict[str, Any]]:
        self.catch_up()
        return self.views.setdefault(type_id, {})

    def catch_up(self) -> None:
        now = time.monotonic()
        flush_all = self._lag() <= 0
        pending = self._pending
        while pending and (flush_all or pending[0][0] <= now):
            _, type_id, record_id, record = pending.popleft()
            self._apply(type_id, record_id, record)

    def flush(self) -> None:
        """Apply every pending change now, whatever the lag."""
        while self._pending:
            _, type_id, record_id, record = self._pending.popleft()
            self._apply(type_id, record_id, record)

    def _apply(self, type_id: str, record_id: str, record: dict[str, Any] | None) -> None:
        view = self.views.setdefault(type_id, {})
        if record is None or record["a"] is not None:
            view.pop(record_id, None)
        else:
            view[record_id] = record
