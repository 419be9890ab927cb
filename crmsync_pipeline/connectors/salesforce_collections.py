"""Salesforce writes through sObject Collections: upsert, create, update and soft delete, 200 records a
call, each record typed from the object's describe. A mixin of `SalesforceConnector` (salesforce.py)."""

from __future__ import annotations

from typing import Any

from .outcome import WriteResult
from .salesforce_reads import SalesforceReads

COLLECTION = 200  # sObject Collections take at most 200 records
NUMBER_TYPES = {"int": int, "double": float, "currency": float, "percent": float, "long": int}


class SalesforceCollections(SalesforceReads):
    """Writes of up to 200 records a call; one WriteResult per record, in input order."""

    def upsert(
        self, sobject: str, external_id_field: str, records: list[dict[str, Any]]
    ) -> list[WriteResult]:
        """Create-or-update keyed on an external id: a repeated create finds its record."""
        path = f"composite/sobjects/{sobject}/{external_id_field}"
        return self._collections(sobject, records, f"{sobject}.collection.upsert", path, "PATCH", upsert=True)

    def create(self, sobject: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        """Plain inserts, for objects without an external id (junctions): callers dedupe by natural key."""
        return self._collections(
            sobject, records, f"{sobject}.collection.create", "composite/sobjects", "POST"
        )

    def update(self, sobject: str, records: list[dict[str, Any]]) -> list[WriteResult]:
        """Each record holds its `Id` (or `id`) and the fields to set; None clears a field."""
        return self._collections(
            sobject, records, f"{sobject}.collection.update", "composite/sobjects", "PATCH"
        )

    def delete(self, ids: list[str]) -> list[WriteResult]:
        """Soft deletes (Recycle Bin), 200 ids a call, any mix of objects."""
        out: list[WriteResult] = []
        for start in range(0, len(ids), COLLECTION):
            chunk = ids[start : start + COLLECTION]
            params = {"ids": ",".join(chunk), "allOrNone": "false"}
            answers = self.call(
                "collection.delete",
                lambda p=params: self.sf.restful("composite/sobjects", method="DELETE", params=p),
            )
            out += [_result(a, {"Id": i}, upsert=False) for a, i in zip(answers, chunk, strict=True)]
        return out

    def _collections(
        self,
        sobject: str,
        records: list[dict[str, Any]],
        route: str,
        path: str,
        method: str,
        upsert: bool = False,
    ) -> list[WriteResult]:
        types = self.field_types(sobject)
        out: list[WriteResult] = []
        for start in range(0, len(records), COLLECTION):
            chunk = [self.typed(sobject, r, types) for r in records[start : start + COLLECTION]]
            body = {"allOrNone": False, "records": chunk}
            answers = self.call(route, lambda b=body: self.sf.restful(path, method=method, json=b))
            out += [_result(a, r, upsert) for a, r in zip(answers, chunk, strict=True)]
        return out

    def typed(
        self, sobject: str, record: dict[str, Any], types: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Text values from the plan in the field's JSON type; None or '' clears the field."""
        types = types or self.field_types(sobject)
        body: dict[str, Any] = {"attributes": {"type": sobject}}
        for name, value in record.items():
            kind = types.get(name)
            if name == "id":
                name = "Id"
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


def _result(answer: dict[str, Any], record: dict[str, Any], upsert: bool) -> WriteResult:
    record_id = answer.get("id") or record.get("Id") or record.get("id")
    if answer.get("success"):
        return WriteResult.ok(record_id, created=bool(answer.get("created", False)) if upsert else False)
    first = (answer.get("errors") or [{}])[0]
    return WriteResult.failed(
        record_id, first.get("statusCode", "UNKNOWN"), first.get("message"), tuple(first.get("fields") or ())
    )
