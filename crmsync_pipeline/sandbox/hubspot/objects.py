"""CRM v3 object endpoints for single records: list, get, create, update, archive."""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import errors
from .http import bool_param, int_param, json_body, json_response, list_param, no_content
from .schema import ObjectType
from .validation import clean_properties

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator

PREFIX = "/crm/v3/objects/{type}"


class ObjectRoutes:
    """Handlers for `/crm/v3/objects/{type}` and `/crm/v3/objects/{type}/{id}`."""

    def __init__(self, em: HubSpotEmulator):
        self.em = em

    def add(self, router: web.UrlDispatcher) -> None:
        router.add_get(PREFIX, self.list_page)
        router.add_post(PREFIX, self.create)
        router.add_get(PREFIX + "/{id}", self.get)
        router.add_patch(PREFIX + "/{id}", self.update)
        router.add_delete(PREFIX + "/{id}", self.archive)

    def otype(self, request: web.Request) -> ObjectType:
        return self.em.registry.resolve(request.match_info["type"])

    async def list_page(self, request: web.Request) -> web.Response:
        otype, records = self.otype(request), self.em.records
        limit = int_param(request, "limit", 10, maximum=100)
        after = request.query.get("after")
        archived = bool_param(request, "archived")
        order = records.order.get(otype.type_id, [])
        start = bisect_right(order, int(after)) if after and after.isdigit() else 0
        table, page, last = records.table(otype.type_id), [], None
        for position in range(start, len(order)):
            record = table.get(str(order[position]))
            if record is None or (record["a"] is not None) != archived:
                continue
            if len(page) == limit:
                last = page[-1]["id"]
                break
            page.append(record)
        body: dict[str, Any] = {"results": [self.render(request, otype, r) for r in page]}
        if last is not None:
            link = f"{request.scheme}://{request.host}{request.path}?after={last}"
            body["paging"] = {"next": {"after": last, "link": link}}
        return json_response(body)

    def render(self, request: web.Request, otype: ObjectType, record: dict[str, Any]) -> dict[str, Any]:
        body = self.em.records.to_api(
            otype, record, list_param(request, "properties"), list_param(request, "propertiesWithHistory")
        )
        wanted = list_param(request, "associations")
        if wanted:
            embedded = self.em.embedded_associations(otype, record["id"], wanted)
            if embedded:
                body["associations"] = embedded
        return body

    async def get(self, request: web.Request) -> web.Response:
        otype = self.otype(request)
        record = self.em.records.find(
            otype,
            request.match_info["id"],
            request.query.get("idProperty"),
            archived=bool_param(request, "archived"),
        )
        if record is None:
            raise errors.not_found()
        return json_response(self.render(request, otype, record))

    async def create(self, request: web.Request) -> web.Response:
        otype, body = self.otype(request), await json_body(request)
        record = self.create_one(otype, body)
        return json_response(self.em.records.to_api(otype, record, list(body.get("properties") or {})), 201)

    def create_one(self, otype: ObjectType, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise errors.validation("Invalid input: expected an object with properties")
        changes = clean_properties(self.em, otype, body.get("properties"), None)
        links = self.parse_associations(otype, body.get("associations") or [])
        self.em.records.conflicts(otype, changes, None)
        record = self.em.records.create(otype, changes, "INTEGRATION")
        for to_type, to_id, specs in links:
            self.em.associations.add(otype.type_id, record["id"], to_type, to_id, specs)
        return record

    def parse_associations(self, otype: ObjectType, items: list[Any]) -> list[tuple[str, str, list]]:
        links = []
        for item in items:
            to_id = str((item.get("to") or {}).get("id", ""))
            specs, to_type = [], None
            for spec in item.get("types") or []:
                type_id = int(spec.get("associationTypeId", 0))
                rows = [
                    r
                    for (f, _, t), r in self.em.associations.type_rows.items()
                    if f == otype.type_id and t == type_id
                ]
                if not rows:
                    raise errors.validation(f"{type_id} is not a valid association type id for {otype.name}")
                to_type = rows[0]["to"]
                specs.append((spec.get("associationCategory", rows[0]["category"]), type_id))
            if to_type is None or self.em.records.find(self.em.registry.types[to_type], to_id) is None:
                raise errors.validation(f"Association target {to_id} does not exist or has no valid type")
            links.append((to_type, to_id, specs))
        return links

    async def update(self, request: web.Request) -> web.Response:
        otype, body = self.otype(request), await json_body(request)
        record = self.em.records.require(otype, request.match_info["id"], request.query.get("idProperty"))
        updated = self.update_one(otype, record, (body or {}).get("properties"))
        return json_response(
            self.em.records.to_api(otype, updated, list((body or {}).get("properties") or {}))
        )

    def update_one(
        self,
        otype: ObjectType,
        record: dict[str, Any],
        raw: Any,
        source: str = "INTEGRATION",
        source_id: str | None = None,
        user_edit: bool = False,
    ) -> dict[str, Any]:
        changes = clean_properties(self.em, otype, raw, record["p"], user_edit=user_edit)
        self.em.records.conflicts(otype, changes, record["id"])
        return self.em.records.update(otype, record, changes, source, source_id)

    async def archive(self, request: web.Request) -> web.Response:
        otype = self.otype(request)
        record = self.em.records.require(otype, request.match_info["id"])
        self.em.records.archive(otype, record)
        return no_content()
