"""Properties API: definitions and groups per object type (`/crm/v3/properties/{objectType}`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..clock import iso_z
from . import errors
from .default_properties import prop
from .http import bool_param, json_body, json_response, no_content
from .registry import props_table
from .unmodelled import missing_scopes

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator

TYPES = {"string", "number", "date", "datetime", "enumeration", "bool", "phone_number"}
FIELD_TYPES = {
    "text",
    "textarea",
    "html",
    "phonenumber",
    "file",
    "number",
    "date",
    "select",
    "radio",
    "checkbox",
    "booleancheckbox",
    "calculation_equation",
}
EDITABLE = {
    "label",
    "description",
    "groupName",
    "options",
    "displayOrder",
    "hidden",
    "formField",
    "fieldType",
}


def groups_table(type_id: str) -> str:
    return f"groups:{type_id}"


class PropertyRoutes:
    """Property definitions and groups; the emulator validates writes against these live tables."""

    def __init__(self, em: HubSpotEmulator):
        self.em = em

    def add(self, router: web.UrlDispatcher) -> None:
        base = "/crm/v3/properties/{type}"
        router.add_get(base, self.list_all)
        router.add_post(base, self.create)
        router.add_post(base + "/batch/create", self.batch_create)
        router.add_post(base + "/batch/read", self.batch_read)
        router.add_post(base + "/batch/archive", self.batch_archive)
        router.add_get(base + "/groups", self.list_groups)
        router.add_post(base + "/groups", self.create_group)
        router.add_get(base + "/groups/{group}", self.get_group)
        router.add_patch(base + "/groups/{group}", self.update_group)
        router.add_delete(base + "/groups/{group}", self.archive_group)
        router.add_get(base + "/{name}", self.get)
        router.add_patch(base + "/{name}", self.update)
        router.add_delete(base + "/{name}", self.archive)

    def _type(self, request: web.Request) -> str:
        name = request.match_info["type"]
        if self.em.registry.maybe(name) is None and (refused := missing_scopes(name)) is not None:
            raise refused
        return self.em.registry.resolve(name).type_id

    async def list_all(self, request: web.Request) -> web.Response:
        archived = bool_param(request, "archived")
        table = self.em.registry.properties(self._type(request))
        return json_response({"results": [d for d in table.values() if bool(d.get("archived")) == archived]})

    def _find(self, type_id: str, name: str, archived: bool = False) -> dict[str, Any]:
        definition = self.em.registry.properties(type_id).get(name)
        if definition is None or bool(definition.get("archived")) != archived:
            raise errors.not_found(f"Unable to find property {name}")
        return definition

    async def get(self, request: web.Request) -> web.Response:
        type_id = self._type(request)
        return json_response(self._find(type_id, request.match_info["name"], bool_param(request, "archived")))

    async def create(self, request: web.Request) -> web.Response:
        type_id = self._type(request)
        return json_response(self.create_one(type_id, await json_body(request)), 201)

    def create_one(self, type_id: str, body: dict[str, Any]) -> dict[str, Any]:
        name = str(body.get("name") or "")
        missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
        if missing:
            raise errors.validation(f"Missing required fields: {missing}")
        if body["type"] not in TYPES or body["fieldType"] not in FIELD_TYPES:
            raise errors.validation(f"Invalid type/fieldType: {body['type']}/{body['fieldType']}")
        if name in self.em.registry.properties(type_id) and not self.em.registry.properties(type_id)[
            name
        ].get("archived"):
            raise errors.ApiError(409, "OBJECT_ALREADY_EXISTS", f"A property named '{name}' already exists.")
        if body["groupName"] not in self.em.store.table(groups_table(type_id)):
            raise errors.validation(f"Property group {body['groupName']} does not exist")
        options = [
            {
                "label": o.get("label", o.get("value")),
                "value": o.get("value"),
                "hidden": bool(o.get("hidden", False)),
                "displayOrder": o.get("displayOrder", i),
                "description": o.get("description", ""),
            }
            for i, o in enumerate(body.get("options") or [])
        ]
        definition = prop(
            name,
            body["label"],
            body["type"],
            body["fieldType"],
            body["groupName"],
            options,
            unique=bool(body.get("hasUniqueValue")),
            hubspot_defined=False,
            order=body.get("displayOrder", -1),
        )
        now = iso_z(self.em.clock.now())
        definition.update(
            description=body.get("description", ""),
            hidden=bool(body.get("hidden", False)),
            formField=bool(body.get("formField", True)),
            createdAt=now,
            updatedAt=now,
        )
        self.em.store.put(props_table(type_id), name, definition)
        if definition["hasUniqueValue"]:
            self.em.records.reindex_property(type_id, name)
        return definition

    async def update(self, request: web.Request) -> web.Response:
        type_id, name = self._type(request), request.match_info["name"]
        definition = dict(self._find(type_id, name))
        body = await json_body(request)
        unknown = set(body) - EDITABLE - {"type"}
        if unknown:
            raise errors.validation(f"Unknown or read-only fields in property update: {sorted(unknown)}")
        if "type" in body and definition["hubspotDefined"] and body["type"] != definition["type"]:
            raise errors.validation(f"The type of HubSpot defined property {name} cannot be changed")
        for key, value in body.items():
            definition[key] = value
        if "options" in body:
            definition["options"] = [
                {
                    "label": o.get("label", o.get("value")),
                    "value": o.get("value"),
                    "hidden": bool(o.get("hidden", False)),
                    "displayOrder": o.get("displayOrder", i),
                    "description": o.get("description", ""),
                }
                for i, o in enumerate(body["options"])
            ]
        definition["updatedAt"] = iso_z(self.em.clock.now())
        self.em.store.put(props_table(type_id), name, definition)
        return json_response(definition)

    def archive_one(self, type_id: str, name: str) -> None:
        definition = self._find(type_id, name)
        if definition["hubspotDefined"]:
            raise errors.validation(f"Property {name} is HubSpot defined and cannot be archived")
        now = iso_z(self.em.clock.now())
        self.em.store.put(props_table(type_id), name, {**definition, "archived": True, "archivedAt": now})
        if definition.get("hasUniqueValue"):
            self.em.records.unique.get(type_id, {}).pop(name, None)

    async def archive(self, request: web.Request) -> web.Response:
        self.archive_one(self._type(request), request.match_info["name"])
        return no_content()

    async def batch_create(self, request: web.Request) -> web.Response:
        type_id, body = self._type(request), await json_body(request)
        now = iso_z(self.em.clock.now())
        results = [self.create_one(type_id, item) for item in body.get("inputs") or []]
        return json_response(
            {
                "status": "COMPLETE",
                "results": results,
                "startedAt": now,
                "completedAt": iso_z(self.em.clock.now()),
            },
            201,
        )

    async def batch_read(self, request: web.Request) -> web.Response:
        type_id, body = self._type(request), await json_body(request)
        now, table = iso_z(self.em.clock.now()), self.em.registry.properties(type_id)
        names = [str(i.get("name")) for i in body.get("inputs") or []]
        archived = bool(body.get("archived", False))
        results = [table[n] for n in names if n in table and bool(table[n].get("archived")) == archived]
        missing = [n for n in names if n not in table or bool(table[n].get("archived")) != archived]
        answer: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": now,
            "completedAt": iso_z(self.em.clock.now()),
        }
        if missing:
            answer.update(
                numErrors=1,
                errors=[errors.batch_error("OBJECT_NOT_FOUND", "Unable to find properties", missing)],
            )
        return json_response(answer, 207 if missing else 200)

    async def batch_archive(self, request: web.Request) -> web.Response:
        type_id, body = self._type(request), await json_body(request)
        for item in body.get("inputs") or []:
            self.archive_one(type_id, str(item.get("name")))
        return no_content()

    # ---- groups ----------------------------------------------------------------------------------
    async def list_groups(self, request: web.Request) -> web.Response:
        table = self.em.store.table(groups_table(self._type(request)))
        return json_response({"results": [g for g in table.values() if not g.get("archived")]})

    def _group(self, type_id: str, name: str) -> dict[str, Any]:
        group = self.em.store.table(groups_table(type_id)).get(name)
        if group is None or group.get("archived"):
            raise errors.not_found(f"Unable to find property group {name}")
        return group

    async def get_group(self, request: web.Request) -> web.Response:
        return json_response(self._group(self._type(request), request.match_info["group"]))

    async def create_group(self, request: web.Request) -> web.Response:
        type_id, body = self._type(request), await json_body(request)
        if not body.get("name") or not body.get("label"):
            raise errors.validation("A property group needs name and label")
        if body["name"] in self.em.store.table(groups_table(type_id)):
            raise errors.ApiError(
                409, "OBJECT_ALREADY_EXISTS", f"A group named '{body['name']}' already exists."
            )
        group = {
            "name": body["name"],
            "label": body["label"],
            "displayOrder": body.get("displayOrder", -1),
            "archived": False,
        }
        self.em.store.put(groups_table(type_id), group["name"], group)
        return json_response(group, 201)

    async def update_group(self, request: web.Request) -> web.Response:
        type_id = self._type(request)
        group = {**self._group(type_id, request.match_info["group"])}
        body = await json_body(request)
        group.update({k: v for k, v in body.items() if k in ("label", "displayOrder")})
        self.em.store.put(groups_table(type_id), group["name"], group)
        return json_response(group)

    async def archive_group(self, request: web.Request) -> web.Response:
        type_id = self._type(request)
        group = self._group(type_id, request.match_info["group"])
        self.em.store.put(groups_table(type_id), group["name"], {**group, "archived": True})
        return no_content()
