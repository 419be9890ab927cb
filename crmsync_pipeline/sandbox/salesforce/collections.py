"""sObject Collections (`/composite/sobjects`): up to 200 records per call, per-record results in
input order, and allOrNone rollback."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..emulator import ApiError
from . import ids
from .errors import NOT_FOUND_MESSAGE, RecordError, SfError, batch_error, fail
from .rest import Call, Reply, RouteTable
from .sobjects import record_json, save_result

if TYPE_CHECKING:
    from .emulator import SalesforceEmulator

MAX_RECORDS = 200
ROLLED_BACK = SfError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone header",
)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


class CollectionsResource:
    """Handlers for `/composite/sobjects...`."""

    def __init__(self, org: SalesforceEmulator):
        self.org = org

    def register(self, table: RouteTable) -> None:
        table.add("POST PATCH DELETE", "/composite/sobjects", self.many)
        table.add("GET POST", "/composite/sobjects/{obj}", self.retrieve)
        table.add("PATCH", "/composite/sobjects/{obj}/{field}", self.upsert)

    def _records_of(self, call: Call) -> tuple[list[dict[str, Any]], bool]:
        body = call.json_object()
        items = body.get("records")
        if not isinstance(items, list):
            raise ApiError(400, "JSON_PARSER_ERROR", "records: expected a JSON array")
        if len(items) > MAX_RECORDS:
            raise ApiError(
                400,
                "EXCEEDED_ID_LIMIT",
                "record limit reached. cannot submit more than 200 records into this call",
            )
        return items, _truthy(body.get("allOrNone", False))

    def many(self, call: Call) -> Reply:
        user = self.org.api_user_id
        records = self.org.records
        if call.method == "DELETE":
            raw = [i for i in str(call.query.get("ids", "")).split(",") if i]
            if len(raw) > MAX_RECORDS:
                raise ApiError(
                    400,
                    "EXCEEDED_ID_LIMIT",
                    "record limit reached. cannot submit more than 200 records into this call",
                )
            return self._run(
                raw, lambda rid: self._delete(rid), _truthy(call.query.get("allOrNone")), id_of=lambda r: r
            )
        items, all_or_none = self._records_of(call)
        if call.method == "POST":
            return self._run(items, lambda r: save_result(records.insert(_type(r), _fields(r), user)), all_or_none,
                             id_of=lambda r: None)  # fmt: skip

        def update(r: dict) -> dict:
            rid = r.get("id") or r.get("Id")
            if not rid:
                raise fail("MISSING_ARGUMENT", "Id not specified in an update call", [])
            return save_result(records.update(_type(r), rid, _fields(r, drop_id=True), user))

        return self._run(items, update, all_or_none, id_of=lambda r: r.get("id") or r.get("Id"))

    def upsert(self, call: Call) -> Reply:
        obj = self.org.records.object(call.params["obj"])
        f = obj.field(call.params["field"])
        if f is None or not (f.external_id or f.id_lookup):
            raise ApiError(
                400,
                "INVALID_FIELD",
                f"Field name provided, {call.params['field']} is not an External ID or indexed field for {obj.name}",
            )
        items, all_or_none = self._records_of(call)

        def one(r: dict) -> dict:
            if _type(r).lower() != obj.name.lower():
                raise fail("INVALID_TYPE", f"Record type {_type(r)} does not match the URI {obj.name}", [])
            key = next((k for k in r if k.lower() == f.name.lower()), None)
            if key is None or r[key] in (None, ""):
                raise fail("MISSING_ARGUMENT", f"{f.name} not specified", [])
            rid, created = self.org.records.upsert(obj.name, f.name, r[key], _fields(r), self.org.api_user_id)
            return save_result(rid, created)

        return self._run(items, one, all_or_none, id_of=lambda r: None)

    def retrieve(self, call: Call) -> Reply:
        obj = self.org.records.object(call.params["obj"])
        if call.method == "POST":
            body = call.json_object()
            wanted, fields = list(body.get("ids") or []), list(body.get("fields") or [])
        else:
            wanted = [i for i in str(call.query.get("ids", "")).split(",") if i]
            fields = [f for f in str(call.query.get("fields", "")).split(",") if f]
        if not fields:
            raise ApiError(400, "MISSING_ARGUMENT", "The fields parameter is required")
        canonical = []
        for name in fields:
            f = obj.field(name)
            if f is None:
                raise ApiError(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}")
            canonical.append(f.name)
        out: list[Any] = []
        for rid in wanted:
            found = self.org.records.locate(rid)
            ok = found is not None and found[0] == obj.name and not found[1]["IsDeleted"]
            out.append(record_json(call.base, obj.name, found[1], canonical) if ok else None)  # type: ignore[index]
        return Reply(body=out)

    # ---- shared ---------------------------------------------------------------------------------
    def _delete(self, rid: str) -> dict:
        if ids.normalize(rid) is None:
            raise fail("MALFORMED_ID", f"malformed id {rid}", [])
        found = self.org.records.locate(rid)
        if found is None:
            raise fail("NOT_FOUND", NOT_FOUND_MESSAGE, None, 404)  # item code: settings.missing_id_error
        return save_result(self.org.records.delete(found[0], rid))

    def _run(
        self, items: list, op: Callable[[Any], dict], all_or_none: bool, id_of: Callable[[Any], Any]
    ) -> Reply:
        records = self.org.records
        results: list[dict[str, Any]] = []
        failed = False
        with records.atomic() as rollback:
            for item in items:
                try:
                    if self.org.faults.record_fails():
                        rid = id_of(item) or "unknown"
                        raise fail(
                            "UNABLE_TO_LOCK_ROW",
                            f"unable to obtain exclusive access to this record or 1 records: {rid}",
                            [],
                        )
                    results.append(op(item))
                except RecordError as err:
                    if err.first.request_level:
                        rollback()
                        raise err.api_error() from None
                    failed = True
                    missing_id = self.org.settings.missing_id_error
                    results.append(self._failure(batch_error(err.first, missing_id), id_of(item)))
            if failed and all_or_none:
                rollback()
                results = [r if not r["success"] else self._failure(ROLLED_BACK, id_of(item))
                           for r, item in zip(results, items, strict=True)]  # fmt: skip
        self.org.stats.records_written += sum(1 for r in results if r["success"])
        return Reply(body=results)

    def _failure(self, err: SfError, rid: Any) -> dict[str, Any]:
        item: dict[str, Any] = {"success": False, "errors": [err.collection_item()]}
        if rid:
            item = {"id": ids.normalize(rid) or rid, **item}
        elif self.org.settings.collection_create_failure_id == "null":
            item = {"id": None, **item}
        return item


def _type(record: dict[str, Any]) -> str:
    attrs = record.get("attributes") or {}
    if not isinstance(attrs, dict) or not attrs.get("type"):
        raise fail("INVALID_TYPE", "Must specify a type attribute for each record", [])
    return str(attrs["type"])


def _fields(record: dict[str, Any], drop_id: bool = False) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "attributes" and not (drop_id and k.lower() == "id")}
