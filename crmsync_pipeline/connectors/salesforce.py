"""Salesforce through `simple-salesforce`: SOQL pages, describe, and writes through sObject
Collections (200 records a call), every call counted by the CrmCaller. Values arrive as text and are
given each field's type from describe; per-record failures keep Salesforce's statusCode."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from simple_salesforce import Salesforce, format_soql

from .calls import CallMeter, CrmCaller
from .clients import SALESFORCE_API_VERSION, salesforce_session
from .outcome import WriteResult
from .settings import SalesforceSettings

COLLECTION = 200  # sObject Collections take at most 200 records
NUMBER_TYPES = {"int": int, "double": float, "currency": float, "percent": float, "long": int}


class SalesforceConnector:
    crm = "salesforce"

    def __init__(
        self,
        settings: SalesforceSettings,
        meter: CallMeter,
        describe_cache: Callable[[str, Callable[[], dict[str, Any]]], dict[str, Any]] | None = None,
        **caller_options: Any,
    ):
        """`describe_cache(sobject, fetch)` may answer describes from a cache instead of calling fetch."""
        self.settings = settings
        self.describe_cache = describe_cache
        self.sf = self._login()
        self.call = CrmCaller(
            "salesforce",
            meter,
            reauthenticate=self._relogin if settings.client_id else None,
            **caller_options,
        )
        self._describes: dict[str, dict[str, Any]] = {}

    def _login(self) -> Salesforce:
        s = self.settings
        if s.access_token is not None and s.instance_url:
            return Salesforce(
                instance_url=s.instance_url,
                session_id=s.access_token.get_secret_value(),
                version=SALESFORCE_API_VERSION,
                session=salesforce_session(s.instance_url),
            )
        host = urlsplit(s.login_url or "").netloc
        return Salesforce(
            consumer_key=s.client_id,
            consumer_secret=s.client_secret.get_secret_value() if s.client_secret else None,
            domain=host.removesuffix(".salesforce.com"),
            version=SALESFORCE_API_VERSION,
        )

    def _relogin(self) -> None:
        self.sf = self._login()

    # reads -------------------------------------------------------------------------------------
    def describe(self, sobject: str) -> dict[str, Any]:
        if sobject not in self._describes:

            def fetch() -> dict[str, Any]:
                return self.call(f"{sobject}.describe", getattr(self.sf, sobject).describe)

            self._describes[sobject] = self.describe_cache(sobject, fetch) if self.describe_cache else fetch()
        return self._describes[sobject]

    def forget_describes(self) -> None:
        self._describes.clear()

    def field_types(self, sobject: str) -> dict[str, str]:
        return {f["name"]: f["type"] for f in self.describe(sobject)["fields"]}

    def query_pages(self, soql: str, include_deleted: bool = False) -> Iterator[list[dict[str, Any]]]:
        """One API call a page of up to 2,000 records."""
        page = self.call(
            "queryAll" if include_deleted else "query", self.sf.query, soql, include_deleted=include_deleted
        )
        while True:
            yield page["records"]
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return
            page = self.call(
                "queryMore",
                self.sf.query_more,
                page["nextRecordsUrl"],
                identifier_is_url=True,
                include_deleted=include_deleted,
            )

    def users(self) -> list[dict[str, Any]]:
        return [
            r for page in self.query_pages("SELECT Id, Email, Username, IsActive FROM User") for r in page
        ]

    def limits(self) -> dict[str, Any]:
        return self.call("limits", self.sf.limits)

    def create_custom_field(self, full_name: str, metadata: dict[str, Any]) -> dict[str, Any]:
        return self.call(
            "tooling.CustomField.create",
            self.sf.toolingexecute,
            "sobjects/CustomField",
            method="POST",
            data={"FullName": full_name, "Metadata": metadata},
        )

    # writes ------------------------------------------------------------------------------------
    def upsert(
        self, sobject: str, external_id_field: str, records: list[dict[str, Any]]
    ) -> list[WriteResult]:
        """Create-or-update keyed on an external id: a repeated create finds its record."""
        path = f"composite/sobjects/{sobject}/{external_id_field}"
        return self._collections(
            sobject,
            records,
            lambda body: self.call(
                f"{sobject}.collection.upsert", self.sf.restful, path, method="PATCH", json=body
            ),
            upsert=True,
        )

    def create(self, sobject: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        """Plain inserts, for objects without an external id (junctions): callers dedupe by natural key."""
        return self._collections(
            sobject,
            records,
            lambda body: self.call(
                f"{sobject}.collection.create",
                self.sf.restful,
                "composite/sobjects",
                method="POST",
                json=body,
            ),
        )

    def update(self, sobject: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        return self._collections(
            sobject,
            records,
            lambda body: self.call(
                f"{sobject}.collection.update",
                self.sf.restful,
                "composite/sobjects",
                method="PATCH",
                json=body,
            ),
        )

    def _collections(
        self, sobject: str, records: list[dict[str, Any]], send: Any, upsert: bool = False
    ) -> list[WriteResult]:
        types = self.field_types(sobject)
        out: list[WriteResult] = []
        for start in range(0, len(records), COLLECTION):
            chunk = [self.typed(sobject, r, types) for r in records[start : start + COLLECTION]]
            answers = send({"allOrNone": False, "records": chunk})
            for record, answer in zip(chunk, answers, strict=True):
                out.append(_result(answer, record, upsert))
        return out

    def typed(
        self, sobject: str, record: dict[str, Any], types: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Text values from the plan in the field's JSON type; None clears the field."""
        types = types or self.field_types(sobject)
        body: dict[str, Any] = {"attributes": {"type": sobject}}
        for name, value in record.items():
            kind = types.get(name)
            if value is None or value == "":
                body[name] = None
            elif kind in NUMBER_TYPES:
                number = float(value)
                body[name] = int(number) if NUMBER_TYPES[kind] is int or number.is_integer() else number
            elif kind == "boolean":
                body[name] = str(value).lower() == "true"
            else:
                body[name] = value
        return body


def soql_in(field: str, values: list[str]) -> str:
    """A `field IN (...)` clause with every value quoted by simple-salesforce (no injection)."""
    return format_soql(f"{field} IN {{}}", values)


def _result(answer: dict[str, Any], record: dict[str, Any], upsert: bool) -> WriteResult:
    if answer.get("success"):
        created = bool(answer.get("created", False)) if upsert else False
        return WriteResult(answer.get("id") or record.get("id"), True, created=created)
    errors = answer.get("errors") or [{}]
    first = errors[0]
    return WriteResult(
        answer.get("id") or record.get("id"),
        False,
        error_code=first.get("statusCode", "UNKNOWN"),
        error_message=first.get("message"),
        error_fields=tuple(first.get("fields") or ()),
    )
