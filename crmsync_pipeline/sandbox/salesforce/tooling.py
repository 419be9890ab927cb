"""Tooling API: create custom fields and objects, and query them back (`SELECT ... FROM CustomField`), with
FieldDefinition (every field of every object) and ValidationRule rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..emulator import ApiError
from . import ids
from .metadata import TOOLING_TYPES
from .rest import Call, Reply, RouteTable

if TYPE_CHECKING:
    from .emulator import SalesforceEmulator

TOOLING_FIELDS = {
    "CustomField": ["Id", "DeveloperName", "TableEnumOrId", "NamespacePrefix", "ManageableState", "CreatedDate",
                    "LastModifiedDate", "IsDeleted"],
    "CustomObject": ["Id", "DeveloperName", "NamespacePrefix", "ManageableState", "CreatedDate", "LastModifiedDate",
                     "IsDeleted"],
    # Tooling API Reference, ValidationRule: EntityDefinitionId is the object's name for standard objects
    # Tooling API Reference, FieldDefinition: a standard or custom field, whatever the reading user's field-level
    # security (it is metadata, read with "View Setup and Configuration"); EntityDefinitionId is the object's
    # name for standard objects and its id for custom ones, as TableEnumOrId above
    "FieldDefinition": ["Id", "DurableId", "QualifiedApiName", "DeveloperName", "EntityDefinitionId", "Label",
                        "DataType", "IsDeleted"],
    "ValidationRule": ["Id", "ValidationName", "Active", "EntityDefinitionId", "ErrorDisplayField", "ErrorMessage",
                       "Description", "NamespacePrefix", "ManageableState", "CreatedDate", "LastModifiedDate",
                       "IsDeleted"],
}  # fmt: skip


class ToolingCatalog:
    """The SOQL catalog for Tooling queries: CustomField and CustomObject rows from the metadata specs."""

    def __init__(self, org: SalesforceEmulator):
        self.org = org

    def object_name(self, name: str) -> str | None:
        return next((n for n in TOOLING_FIELDS if n.lower() == name.lower()), None)

    def field(self, sobject: str, name: str) -> Any:
        from .soql import FieldMeta

        obj = self.object_name(sobject)
        hit = next((f for f in TOOLING_FIELDS.get(obj or "", []) if f.lower() == name.lower()), None)
        if hit is None:
            return None
        kind = {
            "Id": "id",
            "CreatedDate": "datetime",
            "LastModifiedDate": "datetime",
            "IsDeleted": "boolean",
            "Active": "boolean",
        }.get(hit, "string")
        return FieldMeta(name=hit, type=kind)

    def relationship(self, sobject: str, relationship_name: str) -> None:
        return None

    def child_relationship(self, sobject: str, name: str) -> None:
        return None

    def rows(self, sobject: str) -> Iterable[dict[str, Any]]:
        store = self.org.store
        if sobject == "ValidationRule":
            return [self._row({"id": ids.make_id("03d", i), "created": "2024-01-01T00:00:00.000+0000"},
                              {"ValidationName": f"{r.object}_Rule_{i}", "Active": r.active, "EntityDefinitionId": r.object,
                               "ErrorDisplayField": r.field, "ErrorMessage": r.message, "Description": r.error_condition})
                    for i, r in enumerate(self.org.settings.validation_rules, 1)]  # fmt: skip
        if sobject == "FieldDefinition":
            return self._field_definitions()
        if sobject == "CustomObject":
            specs = store.meta("custom_objects", [])
            return [self._row(s, {"DeveloperName": s["name"].removesuffix("__c")}) for s in specs]
        custom_ids = {s["name"]: s["id"] for s in store.meta("custom_objects", [])}
        return [self._row(s, {"DeveloperName": s["name"].removesuffix("__c"),
                              "TableEnumOrId": custom_ids.get(s["object"], s["object"])})
                for s in store.meta("custom_fields", [])]  # fmt: skip

    def _field_definitions(self) -> list[dict[str, Any]]:
        custom_ids = {s["name"]: s["id"] for s in self.org.store.meta("custom_objects", [])}
        rows = []
        for obj in self.org.schema.objects.values():
            entity = custom_ids.get(obj.name, obj.name)
            for f in obj.fields.values():
                durable = f"{entity}.{f.name}"
                rows.append({"Id": durable, "DurableId": durable, "QualifiedApiName": f.name,
                             "DeveloperName": f.name.removesuffix("__c"), "EntityDefinitionId": entity,
                             "Label": f.label or f.name, "DataType": f.type, "IsDeleted": False})  # fmt: skip
        return rows

    def _row(self, spec: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        return {"Id": spec["id"], "NamespacePrefix": None, "ManageableState": "unmanaged", "IsDeleted": False,
                "CreatedDate": spec["created"], "LastModifiedDate": spec["created"], "TableEnumOrId": None, **values}  # fmt: skip

    def get_by_id(self, record_id: str) -> None:
        return None


class ToolingResource:
    def __init__(self, org: SalesforceEmulator):
        self.org = org

    def register(self, table: RouteTable) -> None:
        table.add("POST", "/tooling/sobjects/CustomField", self.create_field)
        table.add("POST", "/tooling/sobjects/CustomObject", self.create_object)
        table.add("GET", "/tooling/query", self.query)

    def _guard(self) -> None:
        if not self.org.settings.can_customize:
            raise ApiError(self.org.settings.insufficient_access_status, "INSUFFICIENT_ACCESS_OR_READONLY",
                           "insufficient access rights on entity: CustomField")  # fmt: skip

    def _stamp(self) -> str:
        from ..clock import sf_datetime

        return sf_datetime(self.org.clock.now())

    def create_field(self, call: Call) -> Reply:
        self._guard()
        body = call.json_object()
        full_name = str(body.get("FullName") or "")
        meta = body.get("Metadata") or {}
        obj_name, _, field_name = full_name.partition(".")
        obj = self.org.schema.get(obj_name)
        if obj is None or not field_name.endswith("__c"):
            raise ApiError(400, "FIELD_INTEGRITY_EXCEPTION", f"Invalid FullName: {full_name}")
        if obj.field(field_name) is not None:
            raise ApiError(
                400,
                "DUPLICATE_DEVELOPER_NAME",
                f"There is already a field named {field_name.removesuffix('__c')} on {obj.name}.",
            )
        kind = TOOLING_TYPES.get(str(meta.get("type", "")).lower())
        if kind is None:
            raise ApiError(400, "FIELD_INTEGRITY_EXCEPTION", f"Unsupported field type: {meta.get('type')}")
        values = [
            v.get("fullName")
            for v in ((meta.get("valueSet") or {}).get("valueSetDefinition") or {}).get("value", [])
        ]
        default = next((v.get("fullName") for v in ((meta.get("valueSet") or {}).get("valueSetDefinition") or {}).get("value", [])
                        if v.get("default")), None)  # fmt: skip
        if kind == "boolean":
            default = str(meta.get("defaultValue", "false")).lower() == "true"
        spec = {
            "id": ids.make_id(ids.KEY_PREFIXES["CustomField"], self.org.store.next_counter("id:00N")),
            "object": obj.name, "name": field_name, "type": kind, "label": meta.get("label"),
            "length": meta.get("length"), "precision": meta.get("precision"), "scale": meta.get("scale"),
            "external_id": bool(meta.get("externalId")), "unique": bool(meta.get("unique")),
            "case_sensitive": bool(meta.get("caseSensitive")), "required": bool(meta.get("required")),
            "values": values, "default": default, "restricted": bool((meta.get("valueSet") or {}).get("restricted")),
            "reference_to": meta.get("referenceTo"), "created": self._stamp(),
        }  # fmt: skip
        self.org.store.set_meta("custom_fields", [*self.org.store.meta("custom_fields", []), spec])
        self.org.on_loaded_keep_usage()
        return Reply(201, {"id": spec["id"], "success": True, "errors": [], "warnings": [], "infos": []})

    def create_object(self, call: Call) -> Reply:
        self._guard()
        body = call.json_object()
        name = str(body.get("FullName") or "")
        meta = body.get("Metadata") or {}
        if not name.endswith("__c") or self.org.schema.get(name) is not None:
            raise ApiError(400, "DUPLICATE_DEVELOPER_NAME" if name.endswith("__c") else "FIELD_INTEGRITY_EXCEPTION",
                           f"Invalid or duplicate custom object name: {name}")  # fmt: skip
        number = self.org.store.next_counter("custom_object_number") - 1
        spec = {
            "id": ids.make_id(ids.KEY_PREFIXES["CustomObject"], number + 1), "name": name,
            "label": meta.get("label"), "label_plural": meta.get("pluralLabel"),
            "key_prefix": "a" + ids.base62(number, 2), "created": self._stamp(),
        }  # fmt: skip
        self.org.store.set_meta("custom_objects", [*self.org.store.meta("custom_objects", []), spec])
        self.org.on_loaded_keep_usage()
        return Reply(201, {"id": spec["id"], "success": True, "errors": [], "warnings": [], "infos": []})

    def query(self, call: Call) -> Reply:
        from .soql import SoqlError, execute, parse_soql

        if not self.org.settings.can_view_setup:  # setup objects need "View Setup and Configuration"
            raise ApiError(self.org.settings.insufficient_access_status, "INSUFFICIENT_ACCESS_OR_READONLY",
                           "insufficient access rights on object id")  # fmt: skip
        try:
            result = execute(
                parse_soql(call.query.get("q", "")), ToolingCatalog(self.org), api_version=call.version
            )
        except SoqlError as exc:
            raise ApiError(400, exc.code, exc.message) from None
        records = result.records
        for r in records:
            attrs = r.get("attributes") or {}
            if "url" in attrs:
                attrs["url"] = attrs["url"].replace("/sobjects/", "/tooling/sobjects/")
        return Reply(body={"size": result.total_size, "totalSize": result.total_size, "done": True,
                           "queryLocator": None, "entityTypeName": records[0]["attributes"]["type"] if records else None,
                           "records": [] if result.is_count else records})  # fmt: skip
