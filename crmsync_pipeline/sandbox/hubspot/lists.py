"""Lists API v3: MANUAL, SNAPSHOT and DYNAMIC lists with memberships.

DYNAMIC lists are not re-evaluated: their members are whatever the seed put in, and manual membership
changes are refused as HubSpot refuses them (documented gap).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..clock import iso_z
from . import errors
from .http import bool_param, int_param, json_body, json_response, list_param, no_content

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator

PROCESSING_TYPES = ("MANUAL", "SNAPSHOT", "DYNAMIC")


class Lists:
    """List definitions plus a membership index (list -> record -> timestamp, and its reverse)."""

    def __init__(self, em: HubSpotEmulator):
        self.em = em
        self.members: dict[str, dict[str, str]] = {}
        self.of_record: dict[tuple[str, str], set[str]] = {}

    def rebuild(self) -> None:
        self.members, self.of_record = {}, {}
        for entry in self.em.store.table("list_members").values():
            self._index(entry["l"], entry["r"], entry["t"])

    def _index(self, list_id: str, record_id: str, ts: str) -> None:
        self.members.setdefault(list_id, {})[record_id] = ts
        object_type = self.em.store.table("lists")[list_id]["objectTypeId"]
        self.of_record.setdefault((object_type, record_id), set()).add(list_id)

    def create(
        self, name: str, object_type_id: str, processing_type: str, extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        now = iso_z(self.em.clock.now())
        list_id = str(self.em.store.next_counter("list_id", 1))
        record = {
            "listId": list_id,
            "listVersion": 1,
            "name": name,
            "objectTypeId": object_type_id,
            "processingType": processing_type,
            "processingStatus": "COMPLETE",
            "createdAt": now,
            "updatedAt": now,
            "filtersUpdatedAt": now,
            "createdById": "1",
            "updatedById": "1",
            **(extra or {}),
        }
        self.em.store.put("lists", list_id, record)
        return record

    def add(self, list_id: str, record_id: str, ts: str | None = None) -> None:
        ts = ts or iso_z(self.em.clock.now())
        self.em.store.put("list_members", f"{list_id}:{record_id}", {"l": list_id, "r": record_id, "t": ts})
        self._index(list_id, record_id, ts)

    def remove(self, list_id: str, record_id: str) -> None:
        self.em.store.delete("list_members", f"{list_id}:{record_id}")
        self.members.get(list_id, {}).pop(record_id, None)
        object_type = self.em.store.table("lists")[list_id]["objectTypeId"]
        self.of_record.get((object_type, record_id), set()).discard(list_id)

    def forget_record(self, type_id: str, record_id: str) -> None:
        for list_id in list(self.of_record.get((type_id, record_id), ())):
            self.remove(list_id, record_id)

    def shape(self, record: dict[str, Any], include_filters: bool = False) -> dict[str, Any]:
        body = {k: v for k, v in record.items() if k != "filterBranch" or include_filters}
        body["size"] = len(self.members.get(record["listId"], {}))
        return body


class ListRoutes:
    def __init__(self, em: HubSpotEmulator):
        self.em = em
        self.lists = em.lists

    def add(self, router: web.UrlDispatcher) -> None:
        for base in ("/crm/v3/lists", "/crm/v3/lists/"):
            router.add_post(base, self.create)
            router.add_get(base, self.get_many)
        router.add_post("/crm/v3/lists/search", self.search)
        router.add_get("/crm/v3/lists/object-type-id/{ot}/name/{name}", self.get_by_name)
        router.add_get("/crm/v3/lists/records/{ot}/{rid}/memberships", self.record_memberships)
        router.add_get("/crm/v3/lists/{lid}", self.get)
        router.add_delete("/crm/v3/lists/{lid}", self.delete)
        router.add_put("/crm/v3/lists/{lid}/restore", self.restore)
        router.add_get("/crm/v3/lists/{lid}/memberships", self.memberships)
        router.add_get("/crm/v3/lists/{lid}/memberships/join-order", self.memberships)
        router.add_delete("/crm/v3/lists/{lid}/memberships", self.remove_all)
        router.add_put("/crm/v3/lists/{lid}/memberships/add", self.add_members)
        router.add_put("/crm/v3/lists/{lid}/memberships/remove", self.remove_members)
        router.add_put("/crm/v3/lists/{lid}/memberships/add-and-remove", self.add_and_remove)
        router.add_put("/crm/v3/lists/{lid}/memberships/add-from/{source}", self.add_from)

    def _list(self, list_id: str, deleted: bool = False) -> dict[str, Any]:
        found = self.em.store.table("lists").get(list_id)
        if found is None or bool(found.get("deletedAt")) != deleted:
            raise errors.not_found(f"List {list_id} does not exist")
        return found

    def _editable(self, list_id: str) -> dict[str, Any]:
        found = self._list(list_id)
        if found["processingType"] == "DYNAMIC":
            raise errors.validation(
                f"List {list_id} is a DYNAMIC list; its memberships cannot be changed manually"
            )
        return found

    async def create(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        name, object_type = body.get("name"), str(body.get("objectTypeId", ""))
        processing = body.get("processingType")
        if not name or processing not in PROCESSING_TYPES or self.em.registry.maybe(object_type) is None:
            raise errors.validation(
                "A list needs name, a known objectTypeId and processingType MANUAL|SNAPSHOT|DYNAMIC"
            )
        object_type = self.em.registry.resolve(object_type).type_id
        if any(
            r["name"].lower() == str(name).lower() and not r.get("deletedAt")
            for r in self.em.store.table("lists").values()
        ):
            raise errors.validation(f"A list named '{name}' already exists")
        extra = {"filterBranch": body["filterBranch"]} if body.get("filterBranch") else {}
        record = self.lists.create(str(name), object_type, processing, extra)
        return json_response({"list": self.lists.shape(record)})

    async def get_many(self, request: web.Request) -> web.Response:
        ids, include = list_param(request, "listIds") or [], bool_param(request, "includeFilters")
        table = self.em.store.table("lists")
        return json_response(
            {
                "lists": [
                    self.lists.shape(table[i], include)
                    for i in ids
                    if i in table and not table[i].get("deletedAt")
                ]
            }
        )

    async def get(self, request: web.Request) -> web.Response:
        found = self._list(request.match_info["lid"])
        return json_response({"list": self.lists.shape(found, bool_param(request, "includeFilters"))})

    async def get_by_name(self, request: web.Request) -> web.Response:
        object_type = self.em.registry.resolve(request.match_info["ot"]).type_id
        for record in self.em.store.table("lists").values():
            if (
                record["objectTypeId"] == object_type
                and record["name"].lower() == request.match_info["name"].lower()
                and not record.get("deletedAt")
            ):
                return json_response(
                    {"list": self.lists.shape(record, bool_param(request, "includeFilters"))}
                )
        raise errors.not_found(f"List {request.match_info['name']} does not exist")

    async def search(self, request: web.Request) -> web.Response:
        body = await json_body(request, default={})
        query, offset, count = (
            str(body.get("query") or "").lower(),
            int(body.get("offset") or 0),
            int(body.get("count") or 20),
        )
        types, ids = body.get("processingTypes") or [], [str(i) for i in body.get("listIds") or []]
        found = [
            r
            for r in self.em.store.table("lists").values()
            if not r.get("deletedAt")
            and query in r["name"].lower()
            and (not types or r["processingType"] in types)
            and (not ids or r["listId"] in ids)
        ]
        page = found[offset : offset + count]
        results = [
            {
                **{k: v for k, v in r.items() if k != "filterBranch"},
                "additionalProperties": {"hs_list_size": str(len(self.lists.members.get(r["listId"], {})))},
            }
            for r in page
        ]
        return json_response(
            {
                "lists": results,
                "total": len(found),
                "offset": offset + len(page),
                "hasMore": offset + count < len(found),
            }
        )

    async def delete(self, request: web.Request) -> web.Response:
        found = self._list(request.match_info["lid"])
        self.em.store.put("lists", found["listId"], {**found, "deletedAt": iso_z(self.em.clock.now())})
        return no_content()

    async def restore(self, request: web.Request) -> web.Response:
        found = self._list(request.match_info["lid"], deleted=True)
        self.em.store.put("lists", found["listId"], {k: v for k, v in found.items() if k != "deletedAt"})
        return no_content()

    async def memberships(self, request: web.Request) -> web.Response:
        list_id = self._list(request.match_info["lid"])["listId"]
        members = self.lists.members.get(list_id, {})
        join_order = request.path.endswith("join-order")
        ordered = sorted(
            members.items(), key=(lambda kv: (kv[1], int(kv[0]))) if join_order else (lambda kv: int(kv[0]))
        )
        limit = int_param(request, "limit", 100, maximum=250)
        after = request.query.get("after")
        start = int(after) if after and after.isdigit() else 0
        page = ordered[start : start + limit]
        body: dict[str, Any] = {
            "results": [{"recordId": r, "membershipTimestamp": t} for r, t in page],
            "total": len(ordered),
        }
        if start + limit < len(ordered):
            body["paging"] = {"next": {"after": str(start + limit)}}
        return json_response(body)

    def _change(self, list_id: str, add: list[Any], remove: list[Any]) -> dict[str, list[str]]:
        found = self._editable(list_id)
        otype = self.em.registry.types[found["objectTypeId"]]
        members = self.lists.members.setdefault(list_id, {})
        added, removed, missing = [], [], []
        for rid in map(str, add):
            if self.em.records.find(otype, rid, follow_merges=False) is None:
                missing.append(rid)
            elif rid not in members:
                self.lists.add(list_id, rid)
                added.append(rid)
        for rid in map(str, remove):
            if rid in members:
                self.lists.remove(list_id, rid)
                removed.append(rid)
            elif self.em.records.find(otype, rid, follow_merges=False) is None:
                missing.append(rid)
        return {"recordsIdsAdded": added, "recordIdsRemoved": removed, "recordIdsMissing": missing}

    async def add_members(self, request: web.Request) -> web.Response:
        return json_response(self._change(request.match_info["lid"], await json_body(request), []))

    async def remove_members(self, request: web.Request) -> web.Response:
        return json_response(self._change(request.match_info["lid"], [], await json_body(request)))

    async def add_and_remove(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        return json_response(
            self._change(
                request.match_info["lid"],
                body.get("recordIdsToAdd") or [],
                body.get("recordIdsToRemove") or [],
            )
        )

    async def add_from(self, request: web.Request) -> web.Response:
        source = self._list(request.match_info["source"])["listId"]
        self._change(request.match_info["lid"], list(self.lists.members.get(source, {})), [])
        return no_content()

    async def remove_all(self, request: web.Request) -> web.Response:
        list_id = self._editable(request.match_info["lid"])["listId"]
        self._change(list_id, [], list(self.lists.members.get(list_id, {})))
        return no_content()

    async def record_memberships(self, request: web.Request) -> web.Response:
        object_type = self.em.registry.resolve(request.match_info["ot"]).type_id
        table = self.em.store.table("lists")
        results = [
            {
                "listId": lid,
                "listVersion": table[lid]["listVersion"],
                "firstAddedTimestamp": self.lists.members[lid][request.match_info["rid"]],
                "lastAddedTimestamp": self.lists.members[lid][request.match_info["rid"]],
            }
            for lid in sorted(self.lists.of_record.get((object_type, request.match_info["rid"]), ()), key=int)
        ]
        return json_response({"results": results})
