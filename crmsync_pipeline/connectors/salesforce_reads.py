"""Salesforce reads: describes (cached per connector, optionally from the plan's schema cache), REST
SOQL pages, counts, users and the org's limits. A mixin of `SalesforceConnector` (salesforce.py), which
sets `sf`, `call` and the describe cache."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from simple_salesforce import Salesforce

from .calls import CrmCaller

SOBJECT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class SalesforceReads:
    """Describes and REST queries, each one counted call (or one a page)."""

    sf: Salesforce
    call: CrmCaller
    describe_cache: Callable[[str, Callable[[], dict[str, Any]]], dict[str, Any]] | None
    _describes: dict[str, dict[str, Any]]

    def describe(self, sobject: str) -> dict[str, Any]:
        if sobject not in self._describes:

            def fetch() -> dict[str, Any]:
                return self.call(f"{sobject}.describe", lambda: getattr(self.sf, sobject).describe())

            self._describes[sobject] = self.describe_cache(sobject, fetch) if self.describe_cache else fetch()
        return self._describes[sobject]

    def describe_global(self) -> dict[str, Any]:
        return self.call("describe.global", lambda: self.sf.describe())

    def forget_describes(self) -> None:
        self._describes.clear()

    def field_types(self, sobject: str) -> dict[str, str]:
        return {f["name"]: f["type"] for f in self.describe(sobject)["fields"]}

    def query_pages(
        self, soql: str, include_deleted: bool = False, on_total_size: Callable[[int], None] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """REST query (queryAll with include_deleted) following nextRecordsUrl: one call a page of up to
        2,000 records, each record as Salesforce sends it (with `attributes`). `on_total_size` hears the
        query's totalSize once the first page is in."""
        page = self.call(
            "queryAll" if include_deleted else "query",
            lambda: self.sf.query(soql, include_deleted=include_deleted),
        )
        if on_total_size is not None:
            on_total_size(int(page.get("totalSize") or 0))
        while True:
            yield page["records"]
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return
            next_url = page["nextRecordsUrl"]
            page = self.call("queryMore", lambda u=next_url: self.sf.query_more(u, identifier_is_url=True))

    def count(self, sobject: str, include_deleted: bool = False) -> int:
        """`SELECT COUNT()` of an object (queryAll with include_deleted): one call."""
        if not SOBJECT_NAME.match(sobject):
            raise ValueError(f"not an sObject name: {sobject!r}")
        page = self.call(
            "queryAll" if include_deleted else "query",
            lambda: self.sf.query(f"SELECT COUNT() FROM {sobject}", include_deleted=include_deleted),
        )
        return int(page["totalSize"])

    def users(self) -> list[dict[str, Any]]:
        # UserType tells the Automated Process user (flows' scheduled paths) from people
        soql = "SELECT Id, Email, Username, FirstName, LastName, IsActive, UserType FROM User"
        return [r for page in self.query_pages(soql) for r in page]

    def limits(self) -> dict[str, Any]:
        return self.call("limits", lambda: self.sf.limits())

    def api_usage(self) -> tuple[int, int] | None:
        """(used, allocation) from the last Sforce-Limit-Info header seen; no call is made."""
        usage = self.sf.api_usage.get("api-usage")
        return (usage.used, usage.total) if usage is not None else None
