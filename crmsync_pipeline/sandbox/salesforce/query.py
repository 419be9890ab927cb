"""REST SOQL: `/query` and `/queryAll` with server-side cursors paged through `nextRecordsUrl`."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..emulator import ApiError
from . import ids
from .rest import Call, Reply, RouteTable

if TYPE_CHECKING:
    from .emulator import SalesforceEmulator

MIN_BATCH, MAX_BATCH = 200, 2000
_BATCH = re.compile(r"batchSize\s*=\s*(\d+)", re.I)


@dataclass
class Cursor:
    records: list[dict[str, Any]]
    total: int
    page_size: int
    include_deleted: bool = False
    touched: float = field(default_factory=time.monotonic)


def soql_error(exc: Any) -> ApiError:
    return ApiError(400, exc.code, exc.message)


class QueryResource:
    """Handlers for `/query` and `/queryAll`; cursors live in memory (a restart forgets them)."""

    def __init__(self, org: SalesforceEmulator):
        self.org = org
        self.cursors: dict[str, Cursor] = {}

    def register(self, table: RouteTable) -> None:
        table.add("GET", "/query", self.query)
        table.add("GET", "/queryAll", self.query_all)
        table.add("GET", "/query/{locator}", self.more)
        table.add("GET", "/queryAll/{locator}", self.more)

    def query(self, call: Call) -> Reply:
        return self._start(call, include_deleted=False)

    def query_all(self, call: Call) -> Reply:
        return self._start(call, include_deleted=True)

    def _start(self, call: Call, include_deleted: bool) -> Reply:
        text = call.query.get("q")
        if not text:
            raise ApiError(400, "MALFORMED_QUERY", "A query string must be provided as the q parameter")
        result = self.org.run_soql(text, include_deleted, call.version)
        if result.is_count:
            return Reply(body={"totalSize": result.total_size, "done": True, "records": []})
        cursor = Cursor(result.records, result.total_size, self._page_size(call), include_deleted)
        return Reply(body=self._page(call, cursor, 0))

    def _page_size(self, call: Call) -> int:
        size = self.org.settings.query_page_size
        m = _BATCH.search(call.headers.get("Sforce-Query-Options", ""))
        if m:
            size = int(m.group(1))
        return max(MIN_BATCH, min(MAX_BATCH, size))

    def _page(self, call: Call, cursor: Cursor, offset: int, locator: str | None = None) -> dict:
        end = offset + cursor.page_size
        body: dict[str, Any] = {"totalSize": cursor.total, "done": end >= len(cursor.records),
                                "records": cursor.records[offset:end]}  # fmt: skip
        if not body["done"]:
            self._expire()
            if locator is None:
                locator = ids.make_id(ids.KEY_PREFIXES["QueryLocator"], self.org.store.next_counter("id:01g"))
                self.cursors[locator] = cursor
            cursor.touched = time.monotonic()
            path = (
                "queryAll"
                if cursor.include_deleted and self.org.settings.query_all_next_url_uses_query_all
                else "query"
            )
            body["nextRecordsUrl"] = f"{call.base}/{path}/{locator}-{end}"
        elif locator is not None:
            self.cursors.pop(locator, None)
        return body

    def more(self, call: Call) -> Reply:
        raw = call.params["locator"]
        locator, _, offset_text = raw.partition("-")
        cursor = self.cursors.get(locator)
        self._expire()
        if cursor is None or locator not in self.cursors or not offset_text.isdigit():
            raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return Reply(body=self._page(call, cursor, int(offset_text), locator))

    def _expire(self) -> None:
        ttl = self.org.settings.query_locator_ttl_s
        now = time.monotonic()
        for key in [k for k, c in self.cursors.items() if now - c.touched > ttl]:
            del self.cursors[key]
