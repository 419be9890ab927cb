"""Custom object schemas (`/crm/v3/schemas`, which the client calls as `/crm-object-schemas/v3/schemas`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..clock import iso_z
from . import errors
from .default_properties import prop, xref_property
from .http import json_body, json_response
from .properties import groups_table
from .registry import props_table

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator

NAMED_TYPES = {"CONTACT": "0-1", "COMPANY": "0-2", "DEAL": "0-3", "TASK": "0-27"}


class SchemaRoutes:
    def __init__(self, em: HubSpotEmulator):
        self.em = em

    def add(self, router: web.UrlDispatcher) -> None:
        for base in ("/crm/v3/schemas", "/crm-object-schemas/v3/schemas"):
            router.add_get(base, self.list_all)
            router.add_post(base, self.create)
            router.add_get(base + "/{type}", self.get)

    def _shape(self, schema: dict[str, Any]) -> dict[str, Any]:
        type_id = schema["objectTypeId"]
        props = [d for d in self.em.registry.properties(type_id).values() if not d.get("archived")]
        associations = []
        for to in schema.get("associatedTypeIds", []):
            row = self.em.associations.default_type(type_id, to)
            associations.append(
                {
                    "fromObjectTypeId": type_id,
                    "toObjectTypeId": to,
                    "id": str(row["typeId"]),
                    "name": f"{schema['name']}_to_{self.em.registry.types[to].singular}",
                    "createdAt": schema["createdAt"],
                    "updatedAt": schema["updatedAt"],
                }
            )
        return {
            **{k: v for k, v in schema.items() if k != "associatedTypeIds"},
            "properties": props,
            "associations": associations,
        }

    async def list_all(self, request: web.Request) -> web.Response:
        return json_response({"results": [self._shape(s) for s in self.em.store.table("schemas").values()]})

    async def get(self, request: web.Request) -> web.Response:
        otype = self.em.registry.maybe(request.match_info["type"])
        schema = self.em.store.table("schemas").get(otype.type_id) if otype else None
        if schema is None:
            raise errors.not_found(f"Unable to find object schema {request.match_info['type']}")
        return json_response(self._shape(schema))

    async def create(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        name = str(body.get("name") or "").lower()
        labels = body.get("labels") or {}
        if not name or not labels.get("singular") or not labels.get("plural"):
            raise errors.validation("A schema needs name and labels {singular, plural}")
        if self.em.registry.maybe(name) is not None:
            raise errors.ApiError(
                409, "OBJECT_ALREADY_EXISTS", f"An object type named '{name}' already exists."
            )
        associated = []
        for ref in body.get("associatedObjects") or []:
            target = NAMED_TYPES.get(str(ref).upper()) or (self.em.registry.maybe(str(ref)) or None)
            if target is None:
                raise errors.validation(f"Unknown associated object {ref}")
            associated.append(target if isinstance(target, str) else target.type_id)
        number = self.em.store.next_counter("schema_id", 10_001)
        type_id, now = f"2-{number}", iso_z(self.em.clock.now())
        schema = {
            "id": str(number),
            "objectTypeId": type_id,
            "name": name,
            "labels": labels,
            "fullyQualifiedName": f"p{self.em.settings.portal_id}_{name}",
            "primaryDisplayProperty": body.get("primaryDisplayProperty"),
            "requiredProperties": body.get("requiredProperties") or [],
            "searchableProperties": body.get("searchableProperties") or [],
            "secondaryDisplayProperties": body.get("secondaryDisplayProperties") or [],
            "description": body.get("description"),
            "archived": False,
            "createdAt": now,
            "updatedAt": now,
            "associatedTypeIds": associated,
        }
        group = f"{name}_information"
        self.em.store.put(
            groups_table(type_id),
            group,
            {
                "name": group,
                "label": f"{labels['singular']} information",
                "displayOrder": -1,
                "archived": False,
            },
        )
        definitions = [
            prop("hs_createdate", "Object create date/time", "datetime", group=group, read_only=True),
            prop(
                "hs_lastmodifieddate",
                "Object last modified date/time",
                "datetime",
                group=group,
                read_only=True,
            ),
            prop("hs_object_id", "Record ID", "number", group=group, read_only=True),
            prop(
                "hs_merged_object_ids", "Merged Record IDs", "enumeration", "checkbox", group, read_only=True
            ),
            prop("hubspot_owner_id", "Owner", "enumeration", "select", group, referenced="OWNER"),
        ]
        if self.em.settings.install_xref_properties:
            definitions.append({**xref_property(), "groupName": group})
        for item in body.get("properties") or []:
            if not item.get("name") or not item.get("type"):
                raise errors.validation("Each property needs name and type")
            field_type = item.get("fieldType") or {
                "number": "number",
                "enumeration": "select",
                "date": "date",
                "datetime": "date",
            }.get(item["type"], "text")
            definitions.append(
                prop(
                    item["name"],
                    item.get("label", item["name"]),
                    item["type"],
                    field_type,
                    group,
                    [
                        {
                            "label": o.get("label", o["value"]),
                            "value": o["value"],
                            "hidden": False,
                            "displayOrder": i,
                            "description": "",
                        }
                        for i, o in enumerate(item.get("options") or [])
                    ],
                    unique=bool(item.get("hasUniqueValue")),
                    hubspot_defined=False,
                )
            )
        for definition in definitions:
            self.em.store.put(props_table(type_id), definition["name"], definition)
        self.em.store.put("schemas", type_id, schema)
        self.em.registry.rebuild()
        self.em.records.order.setdefault(type_id, [])
        return json_response(self._shape(schema), 201)
