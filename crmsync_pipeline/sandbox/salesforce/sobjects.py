"""sObject REST: describe, basic info, CRUD, upsert/get by external id, getDeleted/getUpdated."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..clock import parse_ts, sf_datetime
from ..emulator import ApiError
from . import ids
from .describe import basic_info, describe_object, global_describe
from .errors import RecordError, not_found
from .permissions import user_access
from .rest import Call, Reply, RouteTable
from .schema import ObjectDef

if TYPE_CHECKING:
    from .emulator import SalesforceEmulator


def record_json(base: str, obj: str, row: dict[str, Any], fields: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": {"type": obj, "url": f"{base}/sobjects/{obj}/{row['Id']}"}}
    if fields is None:
        out.update(row)
    else:
        for name in fields:
            out[name] = row.get(name)
    return out


def save_result(rid: str, created: bool | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": rid, "success": True, "errors": []}
    if created is not None:
        body["created"] = created
    return body


class SObjectResource:
    """Handlers for `/sobjects/...`."""

    def __init__(self, org: SalesforceEmulator):
        self.org = org

    def register(self, table: RouteTable) -> None:
        table.add("GET", "/sobjects", self.describe_global)
        table.add("GET", "/sobjects/{obj}/describe", self.describe)
        table.add("GET", "/sobjects/{obj}/deleted", self.deleted)
        table.add("GET", "/sobjects/{obj}/updated", self.updated)
        table.add("GET POST", "/sobjects/{obj}", self.collection)
        table.add("GET PATCH DELETE", "/sobjects/{obj}/{id}", self.record)
        table.add("GET PATCH DELETE", "/sobjects/{obj}/{field}/{value}", self.by_external_id)

    # ---- metadata -------------------------------------------------------------------------------
    def obj(self, name: str) -> ObjectDef:
        # an object the integration user may not read does not exist for it (REST answers 404 NOT_FOUND)
        obj = self.org.schema.get(name)
        if obj is None or not user_access(self.org).can(obj.name, "read"):
            raise not_found()
        return obj

    def describe_global(self, call: Call) -> Reply:
        return Reply(body=global_describe(call.base, self.org.schema, user_access(self.org)))

    def describe(self, call: Call) -> Reply:
        obj = self.obj(call.params["obj"])
        settings, access = self.org.settings, user_access(self.org)
        restricted = {n.lower() for n in settings.restricted_picklists.get(obj.name, [])}
        read_only = access.read_only.get(obj.name, frozenset())
        denied = access.denied.get(obj.name, frozenset())
        hidden = access.hidden.get(obj.name, frozenset())
        return Reply(
            body=describe_object(call.base, self.org.schema, obj, restricted, read_only, denied, hidden)
        )

    def collection(self, call: Call) -> Reply:
        obj = self.obj(call.params["obj"])
        if call.method == "GET":
            table = self.org.store.table(obj.name)
            recent = [record_json(call.base, obj.name, {"Id": rid, "Name": row.get("Name")}, ["Id", "Name"])
                      for rid, row in list(table.items())[-3:] if not row["IsDeleted"]]  # fmt: skip
            return Reply(body=basic_info(call.base, obj, recent))
        rid = self.org.records.insert(obj.name, call.json_object(), self.org.api_user_id)
        return Reply(201, save_result(rid), {"Location": call.record_url(obj.name, rid)})

    # ---- single records -------------------------------------------------------------------------
    def record(self, call: Call) -> Reply:
        obj = self.obj(call.params["obj"])
        rid = call.params["id"]
        if ids.normalize(rid) is None:
            raise ApiError(
                404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {rid}"
            )
        records = self.org.records
        if call.method == "GET":
            row = records.live(obj.name, rid)
            return Reply(body=record_json(call.base, obj.name, row, self.visible_fields(obj, call)))
        if call.method == "PATCH":
            records.update(obj.name, rid, call.json_object(), self.org.api_user_id)
            return Reply(204)
        records.delete(obj.name, rid)
        return Reply(204)

    def visible_fields(self, obj: ObjectDef, call: Call) -> list[str] | None:
        """The `fields` asked for, or every field the integration user can see (None: all of them)."""
        asked = self.fields_param(obj, call)
        hidden = user_access(self.org).hidden.get(obj.name, frozenset())
        if asked is not None or not hidden:
            return asked
        return [n for n in obj.fields if n.lower() not in hidden]

    def fields_param(self, obj: ObjectDef, call: Call) -> list[str] | None:
        raw = call.query.get("fields")
        if not raw:
            return None
        names = []
        access = user_access(self.org)
        for name in raw.split(","):
            f = obj.field(name.strip())
            if f is None or not access.sees(obj.name, f.name):
                raise ApiError(
                    400, "INVALID_FIELD", f"No such column '{name.strip()}' on sobject of type {obj.name}"
                )
            names.append(f.name)
        return names

    def by_external_id(self, call: Call) -> Reply:
        obj = self.obj(call.params["obj"])
        f = obj.field(call.params["field"])
        value = call.params["value"]
        if f is None or not (f.external_id or f.id_lookup):
            raise ApiError(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {call.params['field']}",
            )
        records = self.org.records
        if call.method == "PATCH":
            return self.upsert(call, obj, f.name, value)
        matches = records.find(obj.name, f.name, value) if f.name != "Id" else [ids.normalize(value) or ""]
        if len(matches) > 1:
            return Reply(300, [call.record_url(obj.name, m) for m in matches])
        if not matches:
            raise not_found()
        if call.method == "DELETE":
            records.delete(obj.name, matches[0])
            return Reply(204)
        row = records.live(obj.name, matches[0])
        return Reply(body=record_json(call.base, obj.name, row, self.visible_fields(obj, call)))

    def upsert(self, call: Call, obj: ObjectDef, field_name: str, value: str) -> Reply:
        records = self.org.records
        body = call.json_object()
        if str(call.query.get("updateOnly", "")).lower() == "true" and not records.find(
            obj.name, field_name, value
        ):
            raise not_found()
        try:
            rid, created = records.upsert(obj.name, field_name, value, body, self.org.api_user_id)
        except RecordError as err:
            if err.first.status == 300:
                return Reply(300, [call.record_url(obj.name, m) for m in err.first.extra["matches"]])
            raise
        if created:
            return Reply(201, save_result(rid, True), {"Location": call.record_url(obj.name, rid)})
        if not self.org.settings.upsert_update_returns_body or float(call.version) < 46:
            return Reply(204)
        return Reply(200, save_result(rid, False), {"Location": call.record_url(obj.name, rid)})

    # ---- replication ----------------------------------------------------------------------------
    def _window(self, call: Call) -> tuple[str, str]:
        try:
            start = sf_datetime(parse_ts(call.query["start"]))
            end = sf_datetime(parse_ts(call.query["end"]))
        except (KeyError, ValueError):
            raise ApiError(400, "MALFORMED_QUERY", "start and end must be ISO-8601 date-times") from None
        return start, end

    def deleted(self, call: Call) -> Reply:
        obj = self.obj(call.params["obj"])
        start, end = self._window(call)
        rows = [
            r
            for r in self.org.store.table(obj.name).values()
            if r["IsDeleted"] and start <= r["SystemModstamp"] <= end
        ]
        rows.sort(key=lambda r: r["SystemModstamp"])
        earliest = min((r["SystemModstamp"] for r in rows), default=start)
        return Reply(body={
            "deletedRecords": [{"id": r["Id"], "deletedDate": r["SystemModstamp"]} for r in rows],
            "earliestDateAvailable": earliest, "latestDateCovered": end,
        })  # fmt: skip

    def updated(self, call: Call) -> Reply:
        obj = self.obj(call.params["obj"])
        start, end = self._window(call)
        rows = [
            r
            for r in self.org.store.table(obj.name).values()
            if not r["IsDeleted"] and start <= r["SystemModstamp"] <= end
        ]
        rows.sort(key=lambda r: r["SystemModstamp"])
        return Reply(body={"ids": [r["Id"] for r in rows], "latestDateCovered": end})
